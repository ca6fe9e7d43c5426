"""Deliveries: created by the step-due handler, sent by the sender worker.

The worker never calls a provider inside a transaction. One pass:

1. *prepare* (one transaction): lock due pending deliveries (``FOR UPDATE
   SKIP LOCKED``), load what is known of each and let the pure
   :func:`~notifier_service.domain.decide.decide` say what to do (suppress,
   fail, wait, or send on which channel), apply it, and for a send render the
   message, record the (step, channel) attempt with its
   idempotency key and push ``next_attempt_at`` out by a lease, so a crash
   before step 3 leads to a retry under the same key;
2. *send* (no transaction): through the provider's rate limiter;
3. *record* (one transaction per send): sent, retry later with backoff, or
   move on to the next channel; publish ``message-sent`` / ``message-failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from notifier_service.domain.channels import CHANNELS, Channel
from notifier_service.domain.decide import Fail, FailReason, Send, Suppress, Wait, Waits, decide
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
from regua_contracts.notification.v1 import MessageFailedV1, MessageSentV1

log = logging.getLogger("notifier.sender")


@dataclass(frozen=True)
class PreparedSend:
    message_id: UUID
    tenant_id: UUID
    step_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    template: str
    attempt: int
    message: OutgoingMessage


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
    if not created:
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

    async def prepare(self, uow: NotifierUnitOfWork, now: datetime) -> list[PreparedSend]:
        """Decide each due delivery and apply the decision; the sends to make."""
        due = await uow.deliveries.claim_due(now, self._s.batch_size)
        attempts_by_step: dict[UUID, list[DeliveryAttempt]] = {}
        for a in await uow.deliveries.attempts([d.step_id for d in due]):
            attempts_by_step.setdefault(a.step_id, []).append(a)
        prepared = []
        for delivery in due:
            send = await self._prepare_one(uow, delivery, attempts_by_step.get(delivery.step_id, []), now)
            if send is not None:
                prepared.append(send)
        return prepared

    async def _prepare_one(
        self, uow: NotifierUnitOfWork, delivery: Delivery, attempts: Sequence[DeliveryAttempt], now: datetime
    ) -> PreparedSend | None:
        tenant_id = delivery.tenant_id
        invoice = await uow.projections.invoice(tenant_id, delivery.invoice_id)
        debtor = await uow.projections.debtor(tenant_id, delivery.debtor_id)
        # The amount is the one of the day the message goes out, computed now.
        shown = amount_shown(invoice, self.today(now)) if invoice is not None and invoice.issued else None
        if shown is not None and shown.due_cents <= 0:
            # Payments cover everything: never collect what is paid (CDC art. 42).
            await self._suppress(uow, delivery, "nothing_due", now)
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
            case Send():
                # decide() sends only once the invoice (so the amount) and the debtor are known.
                assert invoice is not None and debtor is not None and shown is not None
                return await self._start_send(uow, delivery, invoice, debtor, charges, decision, shown, now)

    async def _suppress(
        self, uow: NotifierUnitOfWork, delivery: Delivery, reason: str, now: datetime
    ) -> None:
        await uow.deliveries.suppress(delivery.message_id, reason=reason, now=now)
        log.info(
            "notifier.message.suppressed_paid",
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
        sending, record the attempt under its idempotency key and take the
        send lease."""
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
        attempt = await uow.deliveries.start_attempt(delivery.step_id, channel, key, now)
        await uow.deliveries.start_send(
            delivery.message_id,
            channel=channel,
            attempts=delivery.attempts + 1,
            lease_until=now + timedelta(seconds=self._s.lease_seconds),
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
            attempt=attempt,
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
        await uow.deliveries.retry_at(send.message_id, at=now, reason=error, now=now)
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
