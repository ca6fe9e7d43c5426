"""Reconciliation: every Pix the PSP received, read back with ``GET /v2/pix``,
applied like a webhook (same use case, deduplicated by endToEndId), so a
callback that never arrived never leaves a paid debtor being dunned."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from payments_service.domain.accounts import PspAccount
from payments_service.domain.gateways import ReceivedPix
from payments_service.domain.webhooks import ItemResult, PixReceived
from payments_service.service_layer.payments import receive_pix
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork

log = logging.getLogger("payments.reconcile")


def sweep_window(
    account: PspAccount, now: datetime, *, overlap: timedelta, first: timedelta
) -> tuple[datetime, datetime]:
    """``[start, now)``: from the end of the last sweep minus ``overlap`` (a Pix
    the PSP lists late is still seen; seen twice changes nothing), or ``first``
    back for an account never swept."""
    start = (account.swept_until or now - first) - overlap
    return start, now


async def apply_sweep(
    uow: PaymentsUnitOfWork, account: PspAccount, received: list[ReceivedPix], until: datetime
) -> list[ItemResult]:
    """Record the Pix of one sweep not yet recorded; returns each item's fate."""
    items = [PixReceived(p.end_to_end_id, p.txid, p.amount_cents, p.paid_at) for p in received]
    digest = hashlib.sha256(f"sweep:{account.tenant_id}:{until.isoformat()}".encode()).hexdigest()
    results = await receive_pix(
        uow, tenant_id=account.tenant_id, items=items, body_sha256=digest, keep_unmatched=False
    )
    await uow.psp_accounts.swept(account.tenant_id, until)
    new = sum(1 for r in results if r.outcome == "recorded")
    if new:
        log.warning(
            "payments.reconcile.recovered",
            extra={"tenant_id": str(account.tenant_id), "recovered": new, "listed": len(received)},
        )
    return results
