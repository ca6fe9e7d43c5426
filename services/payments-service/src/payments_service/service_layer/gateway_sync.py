"""The gateway worker: makes each charge at its PSP or bank what the consumer
recorded it should be (``action``), never inside a transaction. One pass:

1. *prepare* (one transaction): lock a batch of due charges (``FOR UPDATE
   SKIP LOCKED``), count the attempt and push ``next_attempt_at`` out by a
   lease, so a worker that dies before step 3 leaves the charge to be tried
   again after it;
2. *call* (no transaction): the PSP or the bank, at most ``concurrency`` calls
   at once. Every call is idempotent: a cobv is created under its own txid
   and a boleto under its own nosso número, and a retry first reads what the
   gateway has under that key, so dying between the call and step 3 makes no
   second charge;
3. *record* (one transaction per batch, :func:`record_all`; one per charge
   when the batch's fails): the codes and ``active``, then
   ``charge-created`` through the outbox; ``removed`` and ``charge-removed``;
   a retryable :class:`GatewayError` waits with backoff, any other is recorded
   as ``failed`` with its reason. What changed meanwhile (``action_seq``) is
   never overwritten: the next pass does it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol, TypeVar
from uuid import UUID

from payments_service.domain.accounts import BankAccount, PspAccount
from payments_service.domain.charges import Action, Charge, backoff_seconds
from payments_service.domain.debtors import DebtorRecord
from payments_service.domain.gateways import (
    BankGateway,
    BoletoOrder,
    Cobv,
    CobvOrder,
    Debtor,
    GatewayError,
    PixGateway,
    RegisteredBoleto,
)
from payments_service.service_layer.charges import announce, announce_removal, invoice_methods
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork

log = logging.getLogger("payments.gateways")

#: The gateway no longer holds a payable charge under that key.
Gone = Literal["gone"]
T = TypeVar("T")


class Gateways(Protocol):
    """The tenant's PSP and bank clients (adapters built from their accounts)."""

    def pix(self, account: PspAccount) -> PixGateway: ...

    def bank(self, account: BankAccount) -> BankGateway: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    batch_size: int
    lease_seconds: float
    retry_base_seconds: float
    retry_max_seconds: float
    #: How long a charge waits for ``debtor.updated`` before looking again.
    debtor_wait_seconds: float
    #: Gateway calls in flight at once (see :func:`call_all`).
    concurrency: int = 16


@dataclass(frozen=True, slots=True)
class Call:
    """One gateway call to make: the charge as claimed (``attempts`` counted)."""

    charge: Charge
    action: Action
    psp: PspAccount | None
    bank: BankAccount | None
    debtor: DebtorRecord | None


Outcome = Cobv | RegisteredBoleto | Gone | GatewayError


async def prepare(uow: PaymentsUnitOfWork, now: datetime, policy: SyncPolicy) -> list[Call]:
    """Claim the charges whose gateway call is due, under a lease: one claim,
    one read of each tenant's account and of the debtors, one lease update."""
    due = await uow.charges.claim_due(now, policy.batch_size)
    if not due:
        return []
    psps: dict[UUID, PspAccount | None] = {}
    banks: dict[UUID, BankAccount | None] = {}
    for charge in due:
        if charge.kind == "cobv" and charge.tenant_id not in psps:
            psps[charge.tenant_id] = await uow.psp_accounts.get(charge.tenant_id)
        if charge.kind == "boleto" and charge.bank_account_id and charge.bank_account_id not in banks:
            banks[charge.bank_account_id] = await uow.bank_accounts.get(charge.bank_account_id)
    debtors = await uow.debtors.many((c.tenant_id, c.debtor_id) for c in due)
    calls: list[Call] = []
    waiting: list[UUID] = []
    for charge in due:
        assert charge.action is not None
        psp = psps.get(charge.tenant_id) if charge.kind == "cobv" else None
        bank = None
        if charge.kind == "boleto" and charge.bank_account_id:
            bank = banks.get(charge.bank_account_id)
        if psp is None and bank is None:
            await _give_up(uow, charge, "the tenant's account for this charge is gone", now)
            continue
        debtor = debtors.get((charge.tenant_id, charge.debtor_id))
        if debtor is None and charge.action != "remove":
            # The cobv's devedor and the boleto's pagador are required: wait for debtor.updated.
            waiting.append(charge.id)
            continue
        claimed = replace(
            charge,
            attempts=charge.attempts + 1,
            next_attempt_at=now + timedelta(seconds=policy.lease_seconds),
        )
        calls.append(Call(claimed, charge.action, psp, bank, debtor))
    await uow.charges.postpone(
        waiting,
        now + timedelta(seconds=policy.debtor_wait_seconds),
        "waiting for the debtor's document and name",
    )
    await uow.charges.lease([c.charge.id for c in calls], now + timedelta(seconds=policy.lease_seconds))
    return calls


async def idle_until(uow: PaymentsUnitOfWork) -> datetime | None:
    """When the next gateway call falls due, if any (the worker sleeps longer
    when nothing is due soon)."""
    return await uow.charges.next_due()


async def call_all(gateways: Gateways, calls: Sequence[Call], limit: asyncio.Semaphore) -> list[Outcome]:
    """Make ``calls``, as many at a time as ``limit`` allows (shared by the
    worker's loops: a PSP's and a bank's rate limits are per client, and too
    many calls at once are answered 429, retried with backoff); the outcomes
    in the order of ``calls``."""

    async def bounded(call: Call) -> Outcome:
        async with limit:
            return await call_gateway(gateways, call)

    return list(await asyncio.gather(*(bounded(call) for call in calls)))


async def record_all(
    uow: PaymentsUnitOfWork,
    results: Sequence[tuple[Call, Outcome]],
    now: datetime,
    policy: SyncPolicy,
) -> None:
    """:func:`record` for a whole batch in one transaction: the charges locked
    in one query, the methods their announcements name read in one."""
    current = await uow.charges.lock_many([call.charge.id for call, _ in results])
    keys = {(c.tenant_id, c.invoice_id) for c in current.values()}
    for (tenant_id, invoice_id), methods in (await uow.invoices.methods_of(keys)).items():
        uow.memo[("methods", tenant_id, invoice_id)] = methods
    for call, outcome in results:
        charge = current.get(call.charge.id)
        if charge is not None:
            await _record(uow, charge, call, outcome, now, policy)


async def _give_up(uow: PaymentsUnitOfWork, charge: Charge, reason: str, now: datetime) -> None:
    failed = charge.action == "create"
    await uow.charges.save(
        replace(
            charge,
            action=None,
            next_attempt_at=None,
            status="failed" if failed else charge.status,
            status_reason=reason if failed else charge.status_reason,
            last_error=reason,
            updated_at=now,
        )
    )
    log.warning("payments.charge.gave_up", extra={"charge_id": str(charge.id), "action": charge.action})


def cobv_order(call: Call) -> CobvOrder:
    c, debtor = call.charge, call.debtor
    assert c.txid is not None and debtor is not None
    return CobvOrder(
        txid=c.txid,
        due_date=c.due_date,
        days_valid_after_due=c.days_valid_after_due,
        debtor=Debtor(document=debtor.document, name=debtor.name),
        original_cents=c.amount_cents,
        fine_bps=c.fine_bps,
        monthly_interest_bps=c.monthly_interest_bps,
    )


def boleto_order(call: Call) -> BoletoOrder:
    c, debtor, bank = call.charge, call.debtor, call.bank
    assert c.nosso_numero is not None and debtor is not None and bank is not None
    return BoletoOrder(
        account=bank.beneficiary,
        nosso_numero=c.nosso_numero,
        reference=str(c.id),
        due_date=c.due_date,
        amount_cents=c.amount_cents,
        payer=Debtor(document=debtor.document, name=debtor.name),
        fine_bps=c.fine_bps,
        monthly_interest_bps=c.monthly_interest_bps,
        days_valid_after_due=c.days_valid_after_due,
    )


async def call_gateway(gateways: Gateways, call: Call) -> Outcome:
    """Make ``call``; a failure comes back as the :class:`GatewayError`."""
    try:
        if call.psp is not None:
            return await _call_psp(gateways.pix(call.psp), call)
        assert call.bank is not None
        return await _call_bank(gateways.bank(call.bank), call)
    except GatewayError as exc:
        return exc
    except Exception as exc:  # a bug or an unwrapped transport error: try again later
        log.exception("payments.gateway.crashed", extra={"charge_id": str(call.charge.id)})
        return GatewayError(type(exc).__name__, retryable=True)


async def _existing(read: Awaitable[T]) -> T | None:
    """What the gateway holds under a key; None when it holds nothing (404)."""
    try:
        return await read
    except GatewayError as exc:
        if exc.status == 404:
            return None
        raise


async def _call_psp(pix: PixGateway, call: Call) -> Outcome:
    c = call.charge
    assert c.txid is not None
    if call.action == "create":
        if c.attempts > 1:
            # An earlier attempt may have created it before dying: same txid, one cobv.
            found = await _existing(pix.get_cobv(c.txid))
            if found is not None:
                return found
        return await pix.create_cobv(cobv_order(call))
    if call.action == "revise":
        return await pix.revise_cobv(cobv_order(call))
    try:
        return await pix.remove_cobv(c.txid)
    except GatewayError as exc:
        if exc.retryable:
            raise
        found = await _existing(pix.get_cobv(c.txid))
        if found is None or found.status != "ATIVA":
            return "gone"  # never created, already removed, or paid
        raise


async def _call_bank(bank: BankGateway, call: Call) -> Outcome:
    c, account = call.charge, call.bank
    assert c.nosso_numero is not None and account is not None
    beneficiary = account.beneficiary
    if call.action == "create":
        if c.attempts > 1:
            found_boleto = await _existing(bank.get(beneficiary, c.nosso_numero))
            if found_boleto is not None:
                return found_boleto
        return await bank.register(boleto_order(call))
    try:
        return await bank.write_off(beneficiary, c.nosso_numero)
    except GatewayError as exc:
        if exc.retryable:
            raise
        written = await _existing(bank.get(beneficiary, c.nosso_numero))
        if written is None or written.status != "registered":
            return "gone"
        raise


async def record(
    uow: PaymentsUnitOfWork, call: Call, outcome: Outcome, now: datetime, policy: SyncPolicy
) -> None:
    """Record what the gateway answered; publish what became of the charge."""
    charge = await uow.charges.get_for_update(call.charge.id)
    if charge is not None:
        await _record(uow, charge, call, outcome, now, policy)


async def _record(
    uow: PaymentsUnitOfWork, charge: Charge, call: Call, outcome: Outcome, now: datetime, policy: SyncPolicy
) -> None:
    changed = charge.action_seq != call.charge.action_seq
    ids = {"charge_id": str(charge.id), "invoice_id": str(charge.invoice_id), "action": call.action}
    if isinstance(outcome, GatewayError):
        await _record_error(uow, charge, call, outcome, changed, now, policy, ids)
        return
    # Whatever was asked while we called is still to do; a create that has
    # been answered is done.
    follow: Action | None = charge.action if changed else None
    if follow == "create":
        follow = None
    done = replace(charge, attempts=0, last_error=None, updated_at=now)
    if call.action == "remove":
        done = replace(done, status="removed", action=follow, next_attempt_at=now if follow else None)
        await uow.charges.save(done)
        if charge.announced:
            announce_removal(uow, charge, charge.status_reason or "removed")
        return
    if isinstance(outcome, Cobv):
        done = replace(done, pix_copy_paste=outcome.pix_copy_paste, location=outcome.location)
        if follow is None and (outcome.original_cents, outcome.due_date) != (
            charge.amount_cents,
            charge.due_date,
        ):
            follow = "revise"  # created by an earlier attempt with terms since revised
    elif isinstance(outcome, RegisteredBoleto):
        done = replace(done, barcode=outcome.barcode, digitable_line=outcome.digitable_line)
    if call.action == "revise":
        log.info("payments.charge.revised", extra=ids)
    done = replace(done, status="active", action=follow, next_attempt_at=now if follow else None)
    # Same charge, new terms (a cobv's code does not change): charge-created
    # again with the same charge_id tells the notifier and the portal the face
    # value now asked, so they stop holding the code back.
    publish = follow != "remove" and (
        (call.action == "create" and not charge.announced) or (call.action == "revise" and charge.announced)
    )
    if not await uow.charges.save(replace(done, announced=done.announced or publish)):
        # A barcode some charge already has: the database refuses two identical ones.
        await uow.charges.save(
            replace(charge, action=None, status="failed", status_reason="duplicate barcode", updated_at=now)
        )
        log.error("payments.charge.duplicate_barcode", extra=ids)
        return
    if publish:
        announce(uow, done, await invoice_methods(uow, done))


async def _record_error(
    uow: PaymentsUnitOfWork,
    charge: Charge,
    call: Call,
    error: GatewayError,
    changed: bool,
    now: datetime,
    policy: SyncPolicy,
    ids: dict[str, str],
) -> None:
    detail = error.detail[:300]
    extra = {**ids, "status": str(error.status), "attempt": str(call.charge.attempts)}
    if error.retryable:
        delay = backoff_seconds(
            call.charge.attempts, base=policy.retry_base_seconds, cap=policy.retry_max_seconds
        )
        at = now if changed else now + timedelta(seconds=delay)
        await uow.charges.save(replace(charge, next_attempt_at=at, last_error=detail, updated_at=now))
        log.warning("payments.gateway.retrying", extra=extra)
        return
    if changed:
        # Something new was asked meanwhile (a removal, new terms): do that instead.
        await uow.charges.save(replace(charge, next_attempt_at=now, last_error=detail, updated_at=now))
        return
    failed = call.action == "create"
    await uow.charges.save(
        replace(
            charge,
            action=None,
            next_attempt_at=None,
            attempts=0,
            status="failed" if failed else charge.status,
            status_reason=detail if failed else charge.status_reason,
            last_error=detail,
            updated_at=now,
        )
    )
    log.warning("payments.gateway.refused", extra=extra)
