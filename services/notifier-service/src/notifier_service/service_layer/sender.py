"""Deliveries: created by the step-due handler, sent by the sender worker.

The worker runs one *router* and one loop per channel, so a slow channel
never holds another's messages; it never calls a provider inside a
transaction.

0. *route* (the router, one transaction per batch): lock due pending
   deliveries no channel is decided for (``FOR UPDATE SKIP LOCKED``), let the
   pure :func:`~notifier_service.domain.decide.decide` say what to do
   (suppress, fail, wait, or send on which channel) and apply it; a send is
   only queued for its channel (``next_channel``).

Each channel's loop then, for as many deliveries as it has free send slots:

1. *prepare* (one transaction): lock due deliveries queued for its channel,
   decide again on what is known now (one now decided for another channel is
   queued there), and for a send render the message and push
   ``next_attempt_at`` out by a lease, so a crash before step 4 leads to a
   retry under the same idempotency key;
2. wait for the channel's rate limiter (no transaction);
3. *recheck* (one short transaction per send, right before the call): lock
   the delivery, re-read the notifier's own projection of the invoice (status,
   payment seen, applied payments: what the payment and invoice consumers
   wrote, committed up to this instant) and suppress if it is now paid or
   closed or nothing is due; give the lease back if the amount of the day or
   the debtor's contacts changed since rendering; else record the (step,
   channel) attempt and call the provider once this commits;
4. *record* (one transaction per send): sent, retry later on the same
   channel with backoff, or leave the channel (back to the router, which
   picks the next one); publish ``message-sent`` / ``message-failed``.

Steps 2 to 4 of different sends run concurrently, up to the channel's
``concurrency_per_channel``: a provider's latency does not cap its
throughput below its rate limit.

Every suppression (at step 0, 1 or 3) ends the delivery ``suppressed`` with a
machine reason (``suppressed_paid``, ``suppressed_cancelled``,
``suppressed_renegotiated``, ``nothing_due``) and publishes
``message-suppressed`` in the same transaction, once per step: only a
``pending`` delivery can become ``suppressed``.

The window that remains: a payment the notifier learns of after step 3
commits, that is while the provider call itself is in flight (bounded by the
provider's timeout, 10 s by default, typically tens of milliseconds), cannot
stop that message. Whatever the notifier knew before the call stops it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import cast
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from notifier_service.adapters.providers.base import OutgoingMessage, ProviderError, ProviderReceipt
from notifier_service.domain import templates
from notifier_service.domain.amount import (
    AmountShown,
    amount_shown,
    charges_to_show,
    current_charges,
    template_for_day,
)
from notifier_service.domain.channels import CHANNELS, Channel, usable
from notifier_service.domain.decide import (
    Fail,
    FailReason,
    Send,
    Suppress,
    SuppressReason,
    Wait,
    Waits,
    decide,
    stop_reason,
)
from notifier_service.domain.delivery import backoff_seconds, idempotency_key
from notifier_service.domain.model import (
    ChargeView,
    DebtorView,
    Delivery,
    DeliveryAttempt,
    InvoiceView,
    WaitingFor,
)
from notifier_service.service_layer.creditor import creditor_of
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings
from regua_br.tokens import Keyring, LinkClaims, portal_link, sign_link
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.notification.v1 import MessageFailedV1, MessageSentV1, MessageSuppressedV1

log = logging.getLogger("notifier.sender")


@dataclass(frozen=True)
class PreparedSend:
    message_id: UUID
    tenant_id: UUID
    step_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    template: str
    message: OutgoingMessage
    #: The send lease taken by *prepare*: the delivery is still this send's while it holds.
    lease_until: datetime
    #: The amount due the message shows (of the day it was rendered).
    amount_cents: int
    #: This (step, channel)'s attempt number, set by :meth:`Sender.recheck`.
    attempt: int = 0


@dataclass(frozen=True)
class Routed:
    """A delivery queued for ``channel``'s loop."""

    channel: Channel


@dataclass(frozen=True)
class SenderPass:
    """What one pass of the router or of a channel's loop did."""

    #: Deliveries it claimed (a full batch: more may be due).
    claimed: int
    #: The sends to make now (a channel loop's pass).
    sends: list[PreparedSend]
    #: The channels it queued deliveries for (their loops have work).
    routed: frozenset[Channel]


#: The ``NOTIFY`` channel that wakes the sender's router: a delivery was
#: created, or waiting ones were made due (see :mod:`regua_platform.wakeup`).
DELIVERIES_READY = "regua_notifier_deliveries"


async def wake_waiting(
    uow: NotifierUnitOfWork, tenant_id: UUID, *, invoice_id: UUID | None = None, debtor_id: UUID | None = None
) -> None:
    """News of an invoice or debtor: the deliveries waiting for it are due now,
    and the router is woken when this transaction commits."""
    await uow.deliveries.wake(tenant_id, uow.clock.now(), invoice_id=invoice_id, debtor_id=debtor_id)
    uow.notify(DELIVERIES_READY)


async def create_delivery(uow: NotifierUnitOfWork, tenant_id: UUID, step: StepDueV1, now: datetime) -> bool:
    """One pending delivery per step (a redelivered or re-emitted step-due,
    whatever its event id, finds the step's row and adds nothing)."""
    created = await uow.deliveries.create(
        Delivery(
            message_id=uuid4(),
            tenant_id=tenant_id,
            step_id=step.step_id,
            invoice_id=step.invoice_id,
            debtor_id=step.debtor_id,
            template=step.template,
            tone=step.tone,
            action=step.action,
            channels=tuple(step.channels),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    if created:
        uow.notify(DELIVERIES_READY)
    else:
        log.info("notifier.step.duplicate", extra={"step_id": str(step.step_id)})
    return created


class Sender:
    def __init__(
        self, settings: Settings, link_keys: Keyring, has_provider: Callable[[Channel], bool]
    ) -> None:
        self.settings = settings
        self._s = settings.sender
        self._link_keys = link_keys
        self._providers = frozenset(ch for ch in CHANNELS if has_provider(ch))
        self._waits = Waits(
            invoice_seconds=self._s.invoice_wait_seconds, charge_seconds=self._s.charge_wait_seconds
        )
        self._tz = ZoneInfo(settings.default_timezone)

    def today(self, now: datetime) -> date:
        """The tenant-local calendar day of ``now``: the day a message's figures are for."""
        return now.astimezone(self._tz).date()

    async def route(self, uow: NotifierUnitOfWork, now: datetime) -> SenderPass:
        """The router's pass: decide the due deliveries no channel is decided
        for yet, apply suppressions, failures and waits, and queue each send
        for its channel's loop (nothing is rendered or sent here)."""
        due = await uow.deliveries.claim_due(now, self._s.batch_size, channel="unrouted")
        return await self._decide_all(uow, due, now, send_on=frozenset())

    async def prepare(
        self,
        uow: NotifierUnitOfWork,
        now: datetime,
        *,
        channel: Channel | None = None,
        limit: int | None = None,
    ) -> list[PreparedSend]:
        """Decide each due delivery and apply the decision; the sends to make
        (see :meth:`prepare_pass`)."""
        return (await self.prepare_pass(uow, now, channel=channel, limit=limit)).sends

    async def prepare_pass(
        self,
        uow: NotifierUnitOfWork,
        now: datetime,
        *,
        channel: Channel | None = None,
        limit: int | None = None,
    ) -> SenderPass:
        """Claim up to ``limit`` due deliveries, decide each and apply the
        decision; a send is rendered and leased.

        ``channel``: the pass of that channel's loop: only deliveries queued
        for it are claimed, decided again on what is known now, and one now
        decided for another channel is queued there instead. None: every due
        delivery, sent on whichever channel it is decided for (one loop)."""
        due = await uow.deliveries.claim_due(now, limit or self._s.batch_size, channel=channel)
        send_on = frozenset(CHANNELS if channel is None else (channel,))
        return await self._decide_all(uow, due, now, send_on=send_on)

    async def _decide_all(
        self, uow: NotifierUnitOfWork, due: Sequence[Delivery], now: datetime, *, send_on: frozenset[Channel]
    ) -> SenderPass:
        attempts_by_step: dict[UUID, list[DeliveryAttempt]] = {}
        for a in await uow.deliveries.attempts([d.step_id for d in due]):
            attempts_by_step.setdefault(a.step_id, []).append(a)
        prepared: list[PreparedSend] = []
        routed: set[Channel] = set()
        for delivery in due:
            attempts = attempts_by_step.get(delivery.step_id, [])
            match await self._prepare_one(uow, delivery, attempts, now, send_on):
                case PreparedSend() as send:
                    prepared.append(send)
                case Routed(channel):
                    routed.add(channel)
        return SenderPass(claimed=len(due), sends=prepared, routed=frozenset(routed))

    async def _prepare_one(
        self,
        uow: NotifierUnitOfWork,
        delivery: Delivery,
        attempts: Sequence[DeliveryAttempt],
        now: datetime,
        send_on: frozenset[Channel],
    ) -> PreparedSend | Routed | None:
        tenant_id = delivery.tenant_id
        invoice = await uow.projections.invoice(tenant_id, delivery.invoice_id)
        debtor = await uow.projections.debtor(tenant_id, delivery.debtor_id)
        # The amount is the one of the day the message goes out, computed now.
        shown = self._shown(invoice, now)
        if (why := stop_reason(invoice, None if shown is None else shown.due_cents)) is not None:
            await self._suppress(uow, delivery, why, now)
            return None
        every_charge = await uow.projections.charges_of(tenant_id, delivery.invoice_id)
        # Only the codes a message sent today may carry count as known: a
        # removed, replaced or mispriced one is awaited like a missing one.
        charges = charges_to_show(every_charge, None if shown is None else shown.due_cents)
        if len(charges) < len(current := current_charges(every_charge)):
            log.info(
                "notifier.charge.withheld",
                extra={
                    "step_id": str(delivery.step_id),
                    "charge_ids": sorted(str(c.charge_id) for c in current if c not in charges),
                },
            )
        decision = decide(delivery, invoice, debtor, charges, attempts, self._providers, self._waits, now)
        match decision:
            case Suppress(reason):
                await self._suppress(uow, delivery, reason, now)
                return None
            case Fail(reason, detail, channel):
                await self._fail(uow, delivery, now, reason, detail, channel=channel)
                return None
            case Wait(waiting_for):
                await self._postpone(uow, delivery, now, waiting_for)
                return None
            case Send(channel=channel) if channel not in send_on:
                await uow.deliveries.route(delivery.message_id, channel, now=now)
                return Routed(channel)
            case Send():
                # decide() sends only once the invoice (so the amount) and the debtor are known.
                assert invoice is not None and debtor is not None and shown is not None
                return await self._start_send(uow, delivery, invoice, debtor, charges, decision, shown, now)

    def _shown(self, invoice: InvoiceView | None, now: datetime) -> AmountShown | None:
        return amount_shown(invoice, self.today(now)) if invoice is not None and invoice.issued else None

    async def recheck(
        self, uow: NotifierUnitOfWork, send: PreparedSend, now: datetime
    ) -> PreparedSend | None:
        """The last look before the provider call, in its own short
        transaction: the send with its attempt recorded, or None when it must
        not go out now (suppressed and announced; its lease lost to another
        pass; or given back because the amount or the contacts changed, so the
        next pass renders it again). See the module docstring for the window
        this leaves."""
        ids = {"step_id": str(send.step_id), "invoice_id": str(send.invoice_id)}
        delivery = await uow.deliveries.get_for_update(send.message_id)
        if delivery is None or delivery.status != "pending" or delivery.next_attempt_at != send.lease_until:
            log.info("notifier.send.stale", extra=ids)
            return None
        invoice = await uow.projections.invoice(send.tenant_id, send.invoice_id)
        shown = self._shown(invoice, now)
        if (why := stop_reason(invoice, None if shown is None else shown.due_cents)) is not None:
            await self._suppress(uow, send, why, now)
            return None
        channel = send.message.channel
        debtor = await uow.projections.debtor(send.tenant_id, send.debtor_id)
        if shown is None or shown.due_cents != send.amount_cents:
            await uow.deliveries.release(send.message_id, now=now)
            log.info("notifier.send.repriced", extra=ids)
            return None
        if (
            debtor is None
            or not usable(channel, debtor.contacts)
            or debtor.contacts.address(channel) != send.message.to
        ):
            await uow.deliveries.release(send.message_id, now=now)
            log.info("notifier.send.contacts_changed", extra={**ids, "channel": channel})
            return None
        key = send.message.idempotency_key
        attempt = await uow.deliveries.start_attempt(send.step_id, channel, key, now)
        await uow.deliveries.count_attempt(send.message_id, now=now)
        return replace(send, attempt=attempt)

    async def _suppress(
        self,
        uow: NotifierUnitOfWork,
        delivery: Delivery | PreparedSend,
        reason: SuppressReason,
        now: datetime,
    ) -> None:
        """End the delivery ``suppressed`` and announce it, once."""
        if not await uow.deliveries.suppress(delivery.message_id, reason=reason, now=now):
            return
        uow.publish(
            MessageSuppressedV1(
                debtor_id=delivery.debtor_id,
                step_id=delivery.step_id,
                invoice_id=delivery.invoice_id,
                reason=reason,
                suppressed_at=now,
            ),
            tenant_id=delivery.tenant_id,
            subject=str(delivery.invoice_id),
        )
        log.info(
            "notifier.message.suppressed",
            extra={
                "step_id": str(delivery.step_id),
                "invoice_id": str(delivery.invoice_id),
                "reason": reason,
            },
        )

    async def _start_send(
        self,
        uow: NotifierUnitOfWork,
        delivery: Delivery,
        invoice: InvoiceView,
        debtor: DebtorView,
        charges: Sequence[ChargeView],
        send: Send,
        shown: AmountShown,
        now: datetime,
    ) -> PreparedSend | None:
        """Render the message with ``shown``, the amount due on the day of
        sending, and take the send lease (the attempt is recorded by
        :meth:`recheck`, right before the call)."""
        channel, missing = send.channel, send.missing_instruments
        if missing:
            log.warning(
                "notifier.message.without_instruments",
                extra={
                    "step_id": str(delivery.step_id),
                    "missing": sorted(missing),
                    "waited_s": round(delivery.waited(now)),
                },
            )

        creditor = await creditor_of(uow, delivery.tenant_id, self.settings.creditor)
        pix = next((c.pix_copy_paste for c in charges if c.pix_copy_paste), None)
        line = next((c.digitable_line for c in charges if c.digitable_line), None)
        token = sign_link(
            self._link_keys,
            LinkClaims(
                tenant_id=delivery.tenant_id,
                debtor_id=delivery.debtor_id,
                invoice_id=delivery.invoice_id,
                expires_at=now + timedelta(days=self.settings.portal_link_ttl_days),
                issued_at=now,  # the portal voids links issued before a revocation
            ),
        )
        # invoice.issued brings the reference, the amount and the due date together.
        assert invoice.external_id is not None
        parts = shown.parts
        context = templates.MessageContext(
            debtor_name=debtor.name,
            creditor_name=creditor.name,
            creditor_document=creditor.document,
            creditor_address=creditor.address,
            invoice_reference=invoice.external_id,
            amount_cents=shown.due_cents,
            due_date=shown.due_date,
            pay_by=shown.pay_by,
            today=shown.today,
            days_overdue=shown.days_late,
            portal_url=portal_link(creditor.portal_base_url, token),
            pix_copy_paste=pix,
            digitable_line=line,
            open_principal_cents=None if parts is None else parts.open_principal_cents,
            fine_cents=0 if parts is None else parts.open_fine_cents,
            interest_cents=0 if parts is None else parts.open_interest_cents,
            paid_cents=0 if parts is None else parts.paid_cents,
        )
        try:
            rendered = templates.render(
                template_for_day(delivery.template, shown),
                channel,
                cast(templates.Tone, delivery.tone),
                context,
            )
        except templates.UnknownTemplate:
            detail = f"{delivery.template}/{channel}/{delivery.tone}"
            await self._fail(uow, delivery, now, "unknown_template", detail)
            return None

        key = idempotency_key(delivery.step_id, channel)
        lease_until = now + timedelta(seconds=self._s.lease_seconds)
        await uow.deliveries.start_send(
            delivery.message_id,
            channel=channel,
            lease_until=lease_until,
            missing_instruments=missing,
            now=now,
        )
        address = debtor.contacts.address(channel)
        assert address is not None
        return PreparedSend(
            message_id=delivery.message_id,
            tenant_id=delivery.tenant_id,
            step_id=delivery.step_id,
            invoice_id=delivery.invoice_id,
            debtor_id=delivery.debtor_id,
            template=delivery.template,
            lease_until=lease_until,
            amount_cents=shown.due_cents,
            message=OutgoingMessage(
                channel=channel,
                to=address,
                subject=rendered.subject,
                body=rendered.body,
                idempotency_key=key,
            ),
        )

    async def record(
        self,
        uow: NotifierUnitOfWork,
        send: PreparedSend,
        outcome: ProviderReceipt | ProviderError,
        now: datetime,
    ) -> None:
        delivery = await uow.deliveries.get_for_update(send.message_id)
        if delivery is None or delivery.status != "pending":
            return
        channel = send.message.channel
        ids = {"step_id": str(send.step_id), "invoice_id": str(send.invoice_id), "channel": channel}
        if isinstance(outcome, ProviderReceipt):
            await uow.deliveries.finish_attempt(send.step_id, channel, status="sent", error=None, now=now)
            await uow.deliveries.mark_sent(
                send.message_id,
                provider=outcome.provider,
                provider_message_id=outcome.provider_message_id,
                now=now,
            )
            uow.publish(
                MessageSentV1(
                    debtor_id=send.debtor_id,
                    message_id=send.message_id,
                    step_id=send.step_id,
                    invoice_id=send.invoice_id,
                    channel=channel,
                    template=send.template,
                    provider=outcome.provider,
                    provider_message_id=outcome.provider_message_id,
                    sent_at=now,
                ),
                tenant_id=send.tenant_id,
                subject=str(send.invoice_id),
            )
            log.info("notifier.message.sent", extra=ids)
            return
        error = outcome.reason[:200]
        if outcome.retryable and send.attempt < self._s.max_attempts_per_channel:
            delay = backoff_seconds(
                send.attempt, base=self._s.retry_base_seconds, cap=self._s.retry_max_seconds
            )
            await uow.deliveries.finish_attempt(
                send.step_id, channel, status="retrying", error=error, now=now
            )
            await uow.deliveries.retry_at(
                send.message_id, at=now + timedelta(seconds=delay), reason=error, now=now
            )
            log.warning("notifier.provider.retrying", extra={**ids, "attempt": send.attempt, "error": error})
            return
        # This channel is done for this step: the next pass falls back to the next one.
        await uow.deliveries.finish_attempt(send.step_id, channel, status="failed", error=error, now=now)
        await uow.deliveries.retry_at(send.message_id, at=now, reason=error, now=now, channel_done=True)
        log.warning("notifier.channel.failed", extra={**ids, "attempt": send.attempt, "error": error})

    async def _postpone(
        self, uow: NotifierUnitOfWork, delivery: Delivery, now: datetime, waiting_for: WaitingFor
    ) -> None:
        """Look again in ``wait_poll_seconds``, or as soon as an event about the
        invoice or debtor arrives (the handlers wake waiting deliveries)."""
        await uow.deliveries.postpone(
            delivery.message_id,
            until=now + timedelta(seconds=self._s.wait_poll_seconds),
            waiting_for=waiting_for,
            now=now,
        )

    async def _fail(
        self,
        uow: NotifierUnitOfWork,
        delivery: Delivery,
        now: datetime,
        reason: FailReason,
        detail: str | None,
        *,
        channel: Channel | None = None,
    ) -> None:
        await uow.deliveries.fail(delivery.message_id, reason=reason, now=now)
        uow.publish(
            MessageFailedV1(
                debtor_id=delivery.debtor_id,
                step_id=delivery.step_id,
                invoice_id=delivery.invoice_id,
                channel=channel,
                reason=reason,
                detail=detail,
                failed_at=now,
            ),
            tenant_id=delivery.tenant_id,
            subject=str(delivery.invoice_id),
        )
        log.warning(
            "notifier.message.failed",
            extra={
                "step_id": str(delivery.step_id),
                "invoice_id": str(delivery.invoice_id),
                "reason": reason,
            },
        )
