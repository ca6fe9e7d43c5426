"""Topic names and the partition-key rule.

One topic per event family; dead letters go to ``<topic>.dlq``. Every event is
keyed by the debtor id so that all events about one debtor land in the same
partition of their topic and are seen in order.
"""

from __future__ import annotations

INVOICE_EVENTS = "regua.invoice.events"
DUNNING_STEP_DUE = "regua.dunning.step-due"
NOTIFICATION_EVENTS = "regua.notification.events"
PAYMENT_EVENTS = "regua.payment.events"
AGREEMENT_EVENTS = "regua.agreement.events"

#: Internal, compacted: the outbox relays' record of their last published batch.
OUTBOX_RELAY_CHECKPOINTS = "regua.outbox-relay.checkpoints"

EVENT_TOPICS: tuple[str, ...] = (
    INVOICE_EVENTS,
    DUNNING_STEP_DUE,
    NOTIFICATION_EVENTS,
    PAYMENT_EVENTS,
    AGREEMENT_EVENTS,
)

DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return topic + DLQ_SUFFIX


def is_dlq(topic: str) -> bool:
    return topic.endswith(DLQ_SUFFIX)


#: Every topic the platform needs, dead-letter topics and internal ones included.
ALL_TOPICS: tuple[str, ...] = (
    *EVENT_TOPICS,
    *(dlq_topic(t) for t in EVENT_TOPICS),
    OUTBOX_RELAY_CHECKPOINTS,
)

#: Topics that must be created with ``cleanup.policy=compact``.
COMPACTED_TOPICS: frozenset[str] = frozenset({OUTBOX_RELAY_CHECKPOINTS})


def namespaced(topic: str, namespace: str) -> str:
    """Prefix ``topic`` with ``namespace`` (used to share one cluster between
    environments or test runs); an empty namespace leaves it unchanged."""
    return f"{namespace}{topic}" if namespace else topic
