"""Use cases around charges, run by the Kafka handlers inside the consumer's
transaction: they record what each charge should become (``action``) and never
call a gateway; :mod:`payments_service.service_layer.gateway_sync` does that.

- ``invoice.issued``: a cobv at the tenant's PSP and a boleto at its bank, both
  ``pending`` until the worker has them; a method the tenant has no account
  for is recorded ``not_configured`` and not promised in ``invoice_methods``.
  The static BR Code (plain key, no PSP) is made at once: no gateway.
- ``invoice.status-changed`` to paid, cancelled or renegotiated: every current
  charge is removed (cobv removed, boleto written off, static code withdrawn).
  Back from one of those (a broken agreement restores its originals, a
  reversal reopens a paid invoice): new charges for what is open.
- ``invoice.balance-changed``: the cobv is revised; the boleto (and a static
  code) is replaced by a new one for what is open.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from payments_service.domain.accounts import BankAccount, PspAccount
from payments_service.domain.charges import (
    Charge,
    PixAccount,
    Terms,
    cobv_txid,
    static_code,
    static_txid,
)
from payments_service.domain.debtors import DebtorRecord
from payments_service.domain.invoices import CLOSED, Invoice, first_terms, revised_terms
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from regua_br.amount_due import Payment as AmountPayment
from regua_br.calendar import DEFAULT_TIMEZONE
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.invoice.v1 import InvoiceBalanceChangedV1, InvoiceIssuedV1, InvoiceStatusChangedV1
from regua_contracts.payment.v1 import ChargeCreatedV1, ChargeRemovedV1, PaymentMethod

log = logging.getLogger("payments.charges")
TZ = ZoneInfo(DEFAULT_TIMEZONE)


@dataclass(frozen=True, slots=True)
class ChargePolicy:
    """Settings-level rules of charge creation."""

    #: Rates for ``invoice.issued`` events of producers older than the frozen
    #: rates (invoice-service's own defaults: 2 % fine, 1 % a month).
    fallback_fine_bps: int
    fallback_monthly_interest_bps: int
    #: How long a static BR Code's charge is offered after the due date.
    static_days_valid_after_due: int = 60


def invoice_of(tenant_id: UUID, event: InvoiceIssuedV1, policy: ChargePolicy) -> Invoice:
    return Invoice(
        tenant_id=tenant_id,
        invoice_id=event.invoice_id,
        debtor_id=event.debtor_id,
        principal_cents=event.amount_cents,
        due_date=event.due_date,
        effective_due_date=event.effective_due_date or event.due_date,
        fine_bps=policy.fallback_fine_bps if event.fine_bps is None else event.fine_bps,
        monthly_interest_bps=(
            policy.fallback_monthly_interest_bps
            if event.monthly_interest_bps is None
            else event.monthly_interest_bps
        ),
        status="open",
    )


@dataclass(frozen=True, slots=True)
class TenantAccounts:
    """What a tenant has configured for charges, read once per transaction."""

    psp: PspAccount | None
    static: PixAccount | None
    bank: BankAccount | None


async def tenant_accounts(uow: PaymentsUnitOfWork, tenant_id: UUID) -> TenantAccounts:
    """The tenant's PSP, static-code and bank accounts; a batch of events of one
    tenant reads them once (kept in the transaction's memo)."""
    key = ("accounts", tenant_id)
    known = uow.memo.get(key)
    if known is None:
        psp = await uow.psp_accounts.get(tenant_id)
        pix_settings = await uow.pix_settings.get(tenant_id) if psp is None else None
        known = TenantAccounts(
            psp=psp,
            static=pix_settings.static_account if pix_settings else None,
            bank=await uow.bank_accounts.current(tenant_id),
        )
        uow.memo[key] = known
    assert isinstance(known, TenantAccounts)
    return known


@dataclass(frozen=True, slots=True)
class _Issued:
    """An ``invoice.issued`` handled in this transaction, stored at its end."""

    invoice: Invoice
    methods: list[PaymentMethod]
    charges: list[Charge]


_ISSUED = "issued"


async def create_charges_for_invoice(
    uow: PaymentsUnitOfWork, *, tenant_id: UUID, invoice: InvoiceIssuedV1, policy: ChargePolicy
) -> list[Charge]:
    """A Pix and a boleto charge for ``invoice``, once however often it is
    announced. Returns the charges to record (pending ones still need the worker).

    Set-based: the invoices and charges of a whole batch of events are stored
    by :func:`record_issued` at commit (or before any use case of the same
    transaction reads them), in one statement each; the tenant's accounts are
    read once per transaction. Only a boleto's nosso número costs a statement here."""
    if invoice.amount_cents <= 0:
        log.info("payments.charges.skipped_zero_amount", extra={"invoice_id": str(invoice.invoice_id)})
        return []
    pending: dict[tuple[UUID, UUID], _Issued] = uow.memo.setdefault(_ISSUED, {})
    if (tenant_id, invoice.invoice_id) in pending:
        return []  # the same invoice twice in one batch: once
    terms_of = invoice_of(tenant_id, invoice, policy)
    accounts = await tenant_accounts(uow, tenant_id)
    psp, static, bank = accounts.psp, accounts.static, accounts.bank
    methods: list[PaymentMethod] = [
        *(["pix"] if psp or static else []),  # type: ignore[list-item]
        *(["boleto"] if bank else []),  # type: ignore[list-item]
    ]
    now = uow.clock.now()
    wanted = [
        _pix_charge(terms_of, psp, static, policy, now),
        await _boleto_charge(uow, terms_of, bank, now),
    ]
    pending[(tenant_id, invoice.invoice_id)] = _Issued(terms_of, methods, wanted)
    uow.before_commit(_ISSUED, record_issued)
    return wanted


async def record_issued(uow: PaymentsUnitOfWork) -> None:
    """Store what :func:`create_charges_for_invoice` held: the new invoices in
    one insert; their charges with the batch's (a static code already
    announced, its ``charge-created`` published); an invoice known already
    (announced again) keeps what it promised and gets only what it lacks."""
    pending: dict[tuple[UUID, UUID], _Issued] | None = uow.memo.pop(_ISSUED, None)
    if not pending:
        return
    fresh = await uow.invoices.add_many([(item.invoice, list(item.methods)) for item in pending.values()])
    for key, item in pending.items():
        if key in fresh:
            # A new invoice has no charge to conflict with: inserted with the batch's.
            wanted = [replace(c, announced=True) if c.status == "active" else c for c in item.charges]
            uow.charges.add_new(wanted)
            _recorded(uow, wanted, item.methods)
            continue
        tenant_id, invoice_id = key
        methods: list[PaymentMethod] = await uow.invoices.methods(tenant_id, invoice_id)  # type: ignore[assignment]
        existing = await uow.charges.methods_of_invoice(tenant_id, invoice_id)
        wanted = [
            replace(c, announced=True) if c.status == "active" else c
            for c in item.charges
            if c.method not in existing
        ]
        added = await uow.charges.add_many(wanted)
        _recorded(uow, [c for c in wanted if c.id in added], methods)


def _recorded(uow: PaymentsUnitOfWork, created: list[Charge], methods: list[PaymentMethod]) -> None:
    for charge in created:
        if charge.status == "active":
            announce(uow, charge, methods)
        log.info(
            "payments.charge.recorded",
            extra={
                "charge_id": str(charge.id),
                "invoice_id": str(charge.invoice_id),
                "kind": charge.kind,
                "status": charge.status,
            },
        )


def _pix_charge(
    invoice: Invoice, psp: PspAccount | None, static: PixAccount | None, policy: ChargePolicy, now: datetime
) -> Charge:
    charge_id = uuid4()
    if psp is not None:
        terms = opening_terms(invoice, psp.days_valid_after_due, now)
        return _new_charge(invoice, charge_id, "cobv", terms, now)
    if static is not None:
        return _static_charge(
            invoice, charge_id, static, first_terms(invoice, policy.static_days_valid_after_due), now
        )
    return replace(
        _new_charge(invoice, charge_id, "cobv", first_terms(invoice, 0), now),
        status="not_configured",
        status_reason="the tenant has no PSP account (PUT /v1/settings/psp) nor static codes",
        txid=None,
        action=None,
        next_attempt_at=None,
    )


def opening_terms(invoice: Invoice, days_valid_after_due: int, now: datetime) -> Terms:
    """The first terms of a charge at a gateway: the principal and the frozen
    rates, re-based when the invoice is already past due (no PSP or bank
    accepts a due date in the past): see :func:`revised_terms`."""
    terms = revised_terms(
        invoice,
        today=now.astimezone(TZ).date(),
        days_valid_after_due=days_valid_after_due,
        rebase_when_past_due=True,
    )
    assert terms is not None  # a new invoice has no payments: its principal is open
    return terms


def _static_charge(
    invoice: Invoice, charge_id: UUID, account: PixAccount, terms: Terms, now: datetime
) -> Charge:
    txid = static_txid(charge_id)
    return replace(
        _new_charge(invoice, charge_id, "static", terms, now),
        status="active",
        txid=txid,
        pix_copy_paste=static_code(account, txid, terms.amount_cents),
        action=None,
        next_attempt_at=None,
    )


async def _boleto_charge(
    uow: PaymentsUnitOfWork,
    invoice: Invoice,
    bank: BankAccount | None,
    now: datetime,
    *,
    terms: Terms | None = None,
) -> Charge:
    charge_id = uuid4()
    if bank is None:
        return replace(
            _new_charge(invoice, charge_id, "boleto", first_terms(invoice, 0), now),
            status="not_configured",
            status_reason="the tenant has no bank account (PUT /v1/settings/bank)",
            action=None,
            next_attempt_at=None,
        )
    return replace(
        _new_charge(
            invoice, charge_id, "boleto", terms or opening_terms(invoice, bank.days_valid_after_due, now), now
        ),
        bank_account_id=bank.id,
        nosso_numero=await uow.bank_accounts.next_nosso_numero(bank.id),
    )


def _new_charge(invoice: Invoice, charge_id: UUID, kind: str, terms: Terms, now: datetime) -> Charge:
    """A pending charge the worker will create at its gateway."""
    return Charge(
        id=charge_id,
        tenant_id=invoice.tenant_id,
        invoice_id=invoice.invoice_id,
        debtor_id=invoice.debtor_id,
        method="boleto" if kind == "boleto" else "pix",
        kind=kind,  # type: ignore[arg-type]
        status="pending",
        amount_cents=terms.amount_cents,
        due_date=terms.due_date,
        fine_bps=terms.fine_bps,
        monthly_interest_bps=terms.monthly_interest_bps,
        days_valid_after_due=terms.days_valid_after_due,
        created_at=now,
        updated_at=now,
        txid=cobv_txid(charge_id) if kind == "cobv" else None,
        action="create",
        next_attempt_at=now,
    )


async def invoice_methods(uow: PaymentsUnitOfWork, charge: Charge) -> list[PaymentMethod]:
    """The methods promised for the charge's invoice (prefetched in the memo by
    the gateway worker for a whole batch)."""
    key = ("methods", charge.tenant_id, charge.invoice_id)
    if key not in uow.memo:
        uow.memo[key] = await uow.invoices.methods(charge.tenant_id, charge.invoice_id)
    return list(uow.memo[key])


def announce(uow: PaymentsUnitOfWork, charge: Charge, methods: Sequence[PaymentMethod]) -> Charge:
    """Publish ``charge-created`` for an active charge; returns it marked
    announced (the caller stores that with the charge)."""
    uow.publish(
        ChargeCreatedV1(
            debtor_id=charge.debtor_id,
            charge_id=charge.id,
            invoice_id=charge.invoice_id,
            method=charge.method,
            amount_cents=charge.amount_cents,
            due_date=charge.due_date,
            txid=charge.txid,
            pix_copy_paste=charge.pix_copy_paste,
            digitable_line=charge.digitable_line,
            barcode=charge.barcode,
            created_at=uow.clock.now(),
            invoice_methods=sorted(set(methods) | {charge.method}),
        ),
        tenant_id=charge.tenant_id,
        subject=str(charge.invoice_id),
    )
    log.info(
        "payments.charge.created",
        extra={"charge_id": str(charge.id), "invoice_id": str(charge.invoice_id), "kind": charge.kind},
    )
    return replace(charge, announced=True)


def announce_removal(uow: PaymentsUnitOfWork, charge: Charge, reason: str) -> None:
    uow.publish(
        ChargeRemovedV1(
            debtor_id=charge.debtor_id,
            charge_id=charge.id,
            invoice_id=charge.invoice_id,
            method=charge.method,
            reason=reason[:200],
            removed_at=uow.clock.now(),
        ),
        tenant_id=charge.tenant_id,
        subject=str(charge.invoice_id),
    )
    log.info(
        "payments.charge.removed",
        extra={"charge_id": str(charge.id), "invoice_id": str(charge.invoice_id), "kind": charge.kind},
    )


async def _withdraw(uow: PaymentsUnitOfWork, charge: Charge, reason: str) -> None:
    """Make ``charge`` unpayable: a static code at once, a gateway's charge by the worker."""
    now = uow.clock.now()
    if charge.kind == "static" or charge.status in ("not_configured", "failed", "removed"):
        done = replace(
            charge,
            superseded=True,
            updated_at=now,
            status="removed" if charge.status == "active" else charge.status,
            status_reason=reason if charge.status == "active" else charge.status_reason,
        )
        await uow.charges.save(done)
        if charge.announced and charge.status == "active":
            announce_removal(uow, charge, reason)
        return
    await uow.charges.save(
        replace(
            charge,
            superseded=True,
            status_reason=reason,
            action="remove",
            action_seq=charge.action_seq + 1,
            attempts=0,
            next_attempt_at=now,
            updated_at=now,
        )
    )


async def close_charges(
    uow: PaymentsUnitOfWork, *, tenant_id: UUID, event: InvoiceStatusChangedV1, policy: ChargePolicy
) -> None:
    """Paid, cancelled or renegotiated: no charge of the invoice stays payable.
    Reopened (open, overdue or partially paid again after one of those): it
    gets charges again, for what is open now."""
    await record_issued(uow)  # an invoice issued earlier in this batch first
    invoice = await uow.invoices.get(tenant_id, event.invoice_id, for_update=True)
    if invoice is not None:
        invoice = replace(invoice, status=event.status)
        await uow.invoices.update(invoice)
    if event.status in CLOSED:
        for charge in await uow.charges.current_of_invoice(tenant_id, event.invoice_id):
            await _withdraw(uow, charge, f"invoice {event.status}")
    elif invoice is not None and event.previous_status in CLOSED:
        await _recharge(uow, invoice, policy)


async def _recharge(uow: PaymentsUnitOfWork, invoice: Invoice, policy: ChargePolicy) -> None:
    """New charges for the methods whose charges were withdrawn when the
    invoice closed (terms re-based on today when it is past due)."""
    tenant_id = invoice.tenant_id
    current = {c.method for c in await uow.charges.current_of_invoice(tenant_id, invoice.invoice_id)}
    methods = await uow.invoices.methods(tenant_id, invoice.invoice_id)
    psp = await uow.psp_accounts.get(tenant_id)
    pix_settings = await uow.pix_settings.get(tenant_id)
    static = pix_settings.static_account if pix_settings and psp is None else None
    bank = await uow.bank_accounts.current(tenant_id)
    now = uow.clock.now()
    wanted: list[Charge] = []
    if "pix" in methods and "pix" not in current:
        wanted.append(_pix_charge(invoice, psp, static, policy, now))
    if "boleto" in methods and "boleto" not in current:
        wanted.append(await _boleto_charge(uow, invoice, bank, now))
    for charge in wanted:
        if not await uow.charges.add(charge):
            continue
        if charge.status == "active":
            await uow.charges.save(announce(uow, charge, methods))  # type: ignore[arg-type]
        log.info(
            "payments.charge.recharged",
            extra={"charge_id": str(charge.id), "invoice_id": str(charge.invoice_id), "kind": charge.kind},
        )


async def revise_charges(uow: PaymentsUnitOfWork, *, tenant_id: UUID, event: InvoiceBalanceChangedV1) -> None:
    """The invoice's payments changed: its charges ask what is open now."""
    await record_issued(uow)  # an invoice issued earlier in this batch first
    invoice = await uow.invoices.get(tenant_id, event.invoice_id, for_update=True)
    if invoice is None:
        log.info("payments.charges.unknown_invoice", extra={"invoice_id": str(event.invoice_id)})
        return
    invoice = replace(
        invoice,
        status=event.status,
        payments=tuple(
            AmountPayment(p.paid_on, p.amount_cents) for p in event.payments if p.amount_cents > 0
        ),
    )
    await uow.invoices.update(invoice)
    if invoice.closed:
        return  # status-changed removes them
    now = uow.clock.now()
    today = now.astimezone(TZ).date()
    psp = await uow.psp_accounts.get(tenant_id)
    bank = await uow.bank_accounts.current(tenant_id)
    pix_settings = await uow.pix_settings.get(tenant_id)
    for charge in await uow.charges.current_of_invoice(tenant_id, event.invoice_id):
        if charge.status not in ("pending", "active"):
            continue
        if charge.kind == "cobv":
            days = psp.days_valid_after_due if psp else charge.days_valid_after_due
            terms = revised_terms(invoice, today=today, days_valid_after_due=days)
            if terms is None or terms == charge.terms:
                continue
            await uow.charges.save(
                replace(
                    charge.with_terms(terms),
                    action="revise" if charge.status == "active" else charge.action,
                    action_seq=charge.action_seq + 1,
                    attempts=0,
                    next_attempt_at=now,
                    updated_at=now,
                )
            )
            log.info("payments.charge.revising", extra={"charge_id": str(charge.id)})
        elif charge.kind == "boleto" and bank is not None:
            terms = revised_terms(
                invoice,
                today=today,
                days_valid_after_due=bank.days_valid_after_due,
                rebase_when_past_due=True,
            )
            if terms is None or terms == charge.terms:
                continue
            await _withdraw(uow, charge, "revised: replaced by a boleto for what is open")
            await uow.charges.add(await _boleto_charge(uow, invoice, bank, now, terms=terms))
        elif charge.kind == "static":
            account = pix_settings.static_account if pix_settings else None
            if account is None:
                continue
            terms = revised_terms(invoice, today=today, days_valid_after_due=charge.days_valid_after_due)
            if terms is None or terms.amount_cents == charge.amount_cents:
                continue
            await _withdraw(uow, charge, "revised: replaced by a code for what is open")
            fresh = _static_charge(invoice, uuid4(), account, terms, now)
            if await uow.charges.add(fresh):
                await uow.charges.save(announce(uow, fresh, await invoice_methods(uow, fresh)))


async def remember_debtor(uow: PaymentsUnitOfWork, *, tenant_id: UUID, event: DebtorUpdatedV1) -> None:
    """Keep the debtor's document and name (a cobv's devedor, a boleto's pagador),
    and wake the charges that were waiting for them."""
    await record_issued(uow)  # an invoice issued earlier in this batch first
    await uow.debtors.put(
        DebtorRecord(
            tenant_id=tenant_id,
            debtor_id=event.debtor_id,
            document=event.document,
            name=event.name,
            updated_at=event.updated_at,
        )
    )
    await uow.charges.wake_waiting_for_debtor(tenant_id, event.debtor_id, uow.clock.now())
