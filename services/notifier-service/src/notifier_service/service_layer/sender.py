"""Deliveries: created by the step-due handler, sent by the sender worker.

The worker never calls a provider inside a transaction. One pass:

1. *prepare* (one transaction): lock due pending deliveries (``FOR UPDATE
   SKIP LOCKED``), decide each one (suppress, fail, wait, or send on which
   channel), and for a send record the (step, channel) attempt with its
   idempotency key and push ``next_attempt_at`` out by a lease, so a crash
   before step 3 leads to a retry under the same key;
2. *send* (no transaction): through the provider's rate limiter;
3. *record* (one transaction per send): sent, retry later with backoff, or
   move on to the next channel; publish ``message-sent`` / ``message-failed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy.engine import RowMapping

from notifier_service.adapters.providers.base import OutgoingMessage, ProviderError, ProviderReceipt
from notifier_service.domain import templates
from notifier_service.domain.channels import CHANNELS, Channel, Contacts, next_channel
from notifier_service.domain.delivery import (
    CLOSED_INVOICE_STATUSES,
    backoff_seconds,
    idempotency_key,
    instruments_awaited,
)
from notifier_service.service_layer.creditor import creditor_of
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings
from regua_br.tokens import Keyring, LinkClaims, portal_link, sign_link
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.notification.v1 import MessageFailedV1, MessageSentV1

log = logging.getLogger("notifier.sender")

SUPPORTED_ACTIONS = frozenset({"message", "offer", "final_notice"})


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
        {
            "message_id": uuid4(),
            "tenant_id": tenant_id,
            "step_id": step.step_id,
            "invoice_id": step.invoice_id,
            "debtor_id": step.debtor_id,
            "template": step.template,
            "tone": step.tone,
            "action": step.action,
            "channels": list(step.channels),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
    )
    if not created:
        log.info("notifier.step.duplicate", extra={"step_id": str(step.step_id)})
    return created


def invoice_closed(invoice: RowMapping) -> str | None:
    """Why nothing may be sent for this invoice, or None. A payment seen on
    ``payment.received`` closes it at once, until a later status change (a
    partial payment, a reversal) says it is open again."""
    status = invoice["status"]
    if status in CLOSED_INVOICE_STATUSES:
        return f"invoice_{status}"
    seen, changed = invoice["payment_seen_at"], invoice["status_changed_at"]
    if seen is not None and (changed is None or changed < seen):
        return "invoice_paid"
    return None


class Sender:
    def __init__(self, settings: Settings, link_keys: Keyring, has_provider: Any) -> None:
        self.settings = settings
        self._s = settings.sender
        self._link_keys = link_keys
        self._has_provider = has_provider
        self._tz = ZoneInfo(settings.default_timezone)

    async def prepare(self, uow: NotifierUnitOfWork, now: datetime) -> list[PreparedSend]:
        rows = await uow.deliveries.claim_due(now, self._s.batch_size)
        attempts_by_step: dict[UUID, dict[str, RowMapping]] = {}
        for a in await uow.deliveries.attempts([r["step_id"] for r in rows]):
            attempts_by_step.setdefault(a["step_id"], {})[a["channel"]] = a
        prepared = []
        for row in rows:
            send = await self._decide(uow, row, attempts_by_step.get(row["step_id"], {}), now)
            if send is not None:
                prepared.append(send)
        return prepared

    async def _decide(
        self, uow: NotifierUnitOfWork, row: RowMapping, attempts: dict[str, RowMapping], now: datetime
    ) -> PreparedSend | None:
        tenant_id: UUID = row["tenant_id"]
        waited = (now - row["created_at"]).total_seconds()
        invoice = await uow.projections.invoice(tenant_id, row["invoice_id"])
        if invoice is not None and (why := invoice_closed(invoice)) is not None:
            await uow.deliveries.update(row["message_id"], status="suppressed", reason=why, updated_at=now)
            log.info(
                "notifier.message.suppressed_paid",
                extra={"step_id": str(row["step_id"]), "invoice_id": str(row["invoice_id"]), "reason": why},
            )
            return None
        if row["template"] not in templates.TEMPLATES:
            await self._fail(uow, row, now, "unknown_template", f"no template named {row['template']!r}")
            return None
        if row["action"] not in SUPPORTED_ACTIONS:
            await self._fail(uow, row, now, "unsupported_action", f"action {row['action']!r}")
            return None
        if invoice is None or invoice["amount_cents"] is None:
            await self._wait_or_fail(uow, row, now, waited, "invoice_unknown")
            return None
        debtor = await uow.projections.debtor(tenant_id, row["debtor_id"])
        if debtor is None:
            await self._wait_or_fail(uow, row, now, waited, "debtor_unknown")
            return None
        contacts = Contacts(
            email=debtor["email"],
            phone=debtor["phone"],
            whatsapp=debtor["whatsapp"],
            preferred_channels=debtor["preferred_channels"],
            consents=debtor["consents"],
        )
        exhausted: set[Channel] = {ch for ch in CHANNELS if not self._has_provider(ch)}
        exhausted |= {a["channel"] for a in attempts.values() if a["status"] in ("failed", "sent")}
        channel = next_channel(row["channels"], contacts, exhausted)
        if channel is None:
            reason = "all_channels_failed" if attempts else "no_consented_channel"
            last = max(attempts.values(), key=lambda a: a["updated_at"])["channel"] if attempts else None
            await self._fail(uow, row, now, reason, None, channel=last)
            return None

        # Charges come on another topic than step-due: hold the message until
        # the codes its channel shows are known, up to charge_wait_seconds.
        charges = await uow.projections.charges_of(tenant_id, row["invoice_id"])
        announced = invoice["charge_methods"]
        missing = instruments_awaited(
            templates.PROMISED_INSTRUMENTS[channel],
            None if announced is None else frozenset(announced),
            frozenset(c["method"] for c in charges),
        )
        if missing and waited < self._s.charge_wait_seconds:
            await self._postpone(uow, row, now, waiting_for="charges")
            return None
        if missing:
            log.warning(
                "notifier.message.without_instruments",
                extra={"step_id": str(row["step_id"]), "missing": sorted(missing), "waited_s": round(waited)},
            )

        creditor = await creditor_of(uow, tenant_id, self.settings.creditor)
        pix = next((c["pix_copy_paste"] for c in charges if c["pix_copy_paste"]), None)
        line = next((c["digitable_line"] for c in charges if c["digitable_line"]), None)
        token = sign_link(
            self._link_keys,
            LinkClaims(
                tenant_id=tenant_id,
                debtor_id=row["debtor_id"],
                invoice_id=row["invoice_id"],
                expires_at=now + timedelta(days=self.settings.portal_link_ttl_days),
            ),
        )
        due = invoice["due_date"]
        amount = (
            invoice["amount_due_cents"]
            if invoice["amount_due_cents"] is not None
            else invoice["amount_cents"]
        )
        context = templates.MessageContext(
            debtor_name=debtor["name"],
            creditor_name=creditor.name,
            creditor_document=creditor.document,
            creditor_address=creditor.address,
            invoice_reference=invoice["external_id"],
            amount_cents=max(int(amount), 0),
            due_date=due,
            days_overdue=max((now.astimezone(self._tz).date() - due).days, 0),
            portal_url=portal_link(creditor.portal_base_url, token),
            pix_copy_paste=pix,
            digitable_line=line,
        )
        try:
            rendered = templates.render(row["template"], channel, cast(templates.Tone, row["tone"]), context)
        except templates.UnknownTemplate:
            await self._fail(uow, row, now, "unknown_template", f"{row['template']}/{channel}/{row['tone']}")
            return None

        key = idempotency_key(row["step_id"], channel)
        attempt = await uow.deliveries.start_attempt(row["step_id"], channel, key, now)
        await uow.deliveries.update(
            row["message_id"],
            channel=channel,
            attempts=row["attempts"] + 1,
            next_attempt_at=now + timedelta(seconds=self._s.lease_seconds),
            waiting_for=None,
            missing_instruments=sorted(missing) or None,
            updated_at=now,
        )
        address = contacts.address(channel)
        assert address is not None
        return PreparedSend(
            message_id=row["message_id"],
            tenant_id=tenant_id,
            step_id=row["step_id"],
            invoice_id=row["invoice_id"],
            debtor_id=row["debtor_id"],
            template=row["template"],
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
        row = await uow.deliveries.get_for_update(send.message_id)
        if row is None or row["status"] != "pending":
            return
        channel = send.message.channel
        ids = {"step_id": str(send.step_id), "invoice_id": str(send.invoice_id), "channel": channel}
        if isinstance(outcome, ProviderReceipt):
            await uow.deliveries.finish_attempt(send.step_id, channel, status="sent", error=None, now=now)
            await uow.deliveries.update(
                send.message_id,
                status="sent",
                provider=outcome.provider,
                provider_message_id=outcome.provider_message_id,
                sent_at=now,
                reason=None,
                updated_at=now,
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
            await uow.deliveries.update(
                send.message_id, next_attempt_at=now + timedelta(seconds=delay), reason=error, updated_at=now
            )
            log.warning("notifier.provider.retrying", extra={**ids, "attempt": send.attempt, "error": error})
            return
        # This channel is done for this step: the next pass falls back to the next one.
        await uow.deliveries.finish_attempt(send.step_id, channel, status="failed", error=error, now=now)
        await uow.deliveries.update(send.message_id, next_attempt_at=now, reason=error, updated_at=now)
        log.warning("notifier.channel.failed", extra={**ids, "attempt": send.attempt, "error": error})

    async def _postpone(
        self, uow: NotifierUnitOfWork, row: RowMapping, now: datetime, waiting_for: str
    ) -> None:
        """Look again in ``wait_poll_seconds``, or as soon as an event about the
        invoice or debtor arrives (the handlers wake waiting deliveries)."""
        await uow.deliveries.update(
            row["message_id"],
            next_attempt_at=now + timedelta(seconds=self._s.wait_poll_seconds),
            waiting_for=waiting_for,
            updated_at=now,
        )

    async def _wait_or_fail(
        self, uow: NotifierUnitOfWork, row: RowMapping, now: datetime, waited: float, reason: str
    ) -> None:
        if waited < self._s.invoice_wait_seconds:
            await self._postpone(uow, row, now, waiting_for=reason.split("_")[0])
        else:
            await self._fail(uow, row, now, reason, f"no {reason.split('_')[0]} data after {waited:.0f}s")

    async def _fail(
        self,
        uow: NotifierUnitOfWork,
        row: RowMapping,
        now: datetime,
        reason: str,
        detail: str | None,
        *,
        channel: Channel | None = None,
    ) -> None:
        await uow.deliveries.update(row["message_id"], status="failed", reason=reason, updated_at=now)
        uow.publish(
            MessageFailedV1(
                debtor_id=row["debtor_id"],
                step_id=row["step_id"],
                invoice_id=row["invoice_id"],
                channel=channel,
                reason=reason,
                detail=detail,
                failed_at=now,
            ),
            tenant_id=row["tenant_id"],
            subject=str(row["invoice_id"]),
        )
        log.warning(
            "notifier.message.failed",
            extra={"step_id": str(row["step_id"]), "invoice_id": str(row["invoice_id"]), "reason": reason},
        )
