"""Every query of payments-service. Repositories run inside the unit of work's
transaction and never commit; they take and return the domain's values, never rows."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import TextClause, Uuid, and_, bindparam, delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payments_service.adapters.db.tables import (
    bank_accounts,
    charges,
    debtors,
    invoices,
    payments,
    pix_settings,
    psp_accounts,
    reversals,
    webhook_rejections,
)
from payments_service.domain.accounts import BankAccount, PspAccount
from payments_service.domain.charges import Charge, Method
from payments_service.domain.debtors import DebtorRecord
from payments_service.domain.invoices import Invoice
from payments_service.domain.payments import Payment, Reversal
from payments_service.domain.pix_settings import PixSettings
from payments_service.domain.webhooks import ChargeMatch, WebhookRejection
from regua_br.amount_due import Payment as AmountPayment


class PixSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, tenant_id: UUID) -> PixSettings | None:
        result = await self._s.execute(select(pix_settings).where(pix_settings.c.tenant_id == tenant_id))
        row = result.mappings().first()
        return PixSettings(**row) if row else None

    async def put(self, settings: PixSettings) -> None:
        """Create or replace the tenant's settings."""
        values = asdict(settings)
        changed = {k: v for k, v in values.items() if k != "tenant_id"}
        stmt = insert(pix_settings).values(**values)
        await self._s.execute(
            stmt.on_conflict_do_update(index_elements=[pix_settings.c.tenant_id], set_=changed)
        )


class PspAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, tenant_id: UUID) -> PspAccount | None:
        result = await self._s.execute(select(psp_accounts).where(psp_accounts.c.tenant_id == tenant_id))
        row = result.mappings().first()
        return PspAccount(**row) if row else None

    async def put(self, account: PspAccount) -> None:
        """Create or replace the tenant's PSP account (the sweep position is kept)."""
        values = {k: v for k, v in asdict(account).items() if k != "swept_until"}
        changed = {k: v for k, v in values.items() if k != "tenant_id"}
        stmt = insert(psp_accounts).values(**values)
        await self._s.execute(
            stmt.on_conflict_do_update(index_elements=[psp_accounts.c.tenant_id], set_=changed)
        )

    async def delete(self, tenant_id: UUID) -> bool:
        result = await self._s.execute(delete(psp_accounts).where(psp_accounts.c.tenant_id == tenant_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def all(self) -> list[PspAccount]:
        rows = (await self._s.execute(select(psp_accounts).order_by(psp_accounts.c.tenant_id))).mappings()
        return [PspAccount(**row) for row in rows]

    async def swept(self, tenant_id: UUID, until: datetime) -> None:
        await self._s.execute(
            update(psp_accounts).where(psp_accounts.c.tenant_id == tenant_id).values(swept_until=until)
        )


class BankAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def current(self, tenant_id: UUID) -> BankAccount | None:
        query = select(*_BANK_COLUMNS).where(bank_accounts.c.tenant_id == tenant_id, bank_accounts.c.current)
        row = (await self._s.execute(query)).mappings().first()
        return BankAccount(**row) if row else None

    async def get(self, account_id: UUID) -> BankAccount | None:
        query = select(*_BANK_COLUMNS).where(bank_accounts.c.id == account_id)
        row = (await self._s.execute(query)).mappings().first()
        return BankAccount(**row) if row else None

    async def put(self, account: BankAccount) -> BankAccount | None:
        """Make ``account`` the tenant's current one. The same (bank, agency,
        account, agreement) keeps its id and its nosso número sequence; None when
        another tenant holds that account."""
        found = (
            (
                await self._s.execute(
                    select(bank_accounts.c.id, bank_accounts.c.tenant_id)
                    .where(
                        bank_accounts.c.bank_code == account.bank_code,
                        bank_accounts.c.agency == account.agency,
                        bank_accounts.c.account == account.account,
                        bank_accounts.c.agreement == account.agreement,
                    )
                    .with_for_update()
                )
            )
            .mappings()
            .first()
        )
        if found is not None and found["tenant_id"] != account.tenant_id:
            return None
        await self._s.execute(
            update(bank_accounts)
            .where(bank_accounts.c.tenant_id == account.tenant_id, bank_accounts.c.current)
            .values(current=False)
        )
        values = asdict(account)
        if found is not None:
            values["id"] = found["id"]
            changed = {k: v for k, v in values.items() if k not in ("id", "tenant_id")}
            await self._s.execute(
                update(bank_accounts).where(bank_accounts.c.id == found["id"]).values(**changed, current=True)
            )
        else:
            await self._s.execute(insert(bank_accounts).values(**values, current=True))
        return replace(account, id=values["id"])

    async def next_nosso_numero(self, account_id: UUID) -> int:
        """The account's next boleto number; the row lock serialises concurrent issuers."""
        stmt = (
            update(bank_accounts)
            .where(bank_accounts.c.id == account_id)
            .values(last_nosso_numero=bank_accounts.c.last_nosso_numero + 1)
            .returning(bank_accounts.c.last_nosso_numero)
        )
        return int((await self._s.execute(stmt)).scalar_one())


_BANK_COLUMNS = [c for c in bank_accounts.c if c.name not in ("current", "last_nosso_numero")]


class DebtorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def put(self, debtor: DebtorRecord) -> None:
        values = asdict(debtor)
        changed = {k: v for k, v in values.items() if k not in ("tenant_id", "debtor_id")}
        stmt = insert(debtors).values(**values)
        await self._s.execute(
            stmt.on_conflict_do_update(
                index_elements=[debtors.c.tenant_id, debtors.c.debtor_id],
                set_=changed,
                where=debtors.c.updated_at <= stmt.excluded.updated_at,
            )
        )

    async def get(self, tenant_id: UUID, debtor_id: UUID) -> DebtorRecord | None:
        query = select(debtors).where(debtors.c.tenant_id == tenant_id, debtors.c.debtor_id == debtor_id)
        row = (await self._s.execute(query)).mappings().first()
        return DebtorRecord(**row) if row else None


class InvoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, invoice: Invoice, methods: list[str]) -> bool:
        """Store a newly issued invoice; False when it was known already."""
        stmt = (
            insert(invoices)
            .values(**_invoice_values(invoice), methods=methods)
            .on_conflict_do_nothing(index_elements=[invoices.c.tenant_id, invoices.c.invoice_id])
            .returning(invoices.c.invoice_id)
        )
        return (await self._s.execute(stmt)).first() is not None

    async def get(self, tenant_id: UUID, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
        row = await self._row(tenant_id, invoice_id, for_update=for_update)
        return _invoice(row) if row else None

    async def methods(self, tenant_id: UUID, invoice_id: UUID) -> list[str]:
        row = await self._row(tenant_id, invoice_id)
        return list(row["methods"]) if row else []

    async def update(self, invoice: Invoice) -> None:
        values = _invoice_values(invoice)
        await self._s.execute(
            update(invoices)
            .where(invoices.c.tenant_id == invoice.tenant_id, invoices.c.invoice_id == invoice.invoice_id)
            .values(status=values["status"], payments=values["payments"])
        )

    async def _row(self, tenant_id: UUID, invoice_id: UUID, *, for_update: bool = False) -> Any:
        query = select(invoices).where(invoices.c.tenant_id == tenant_id, invoices.c.invoice_id == invoice_id)
        if for_update:
            query = query.with_for_update()
        return (await self._s.execute(query)).mappings().first()


def _invoice_values(invoice: Invoice) -> dict[str, Any]:
    values = {k: v for k, v in asdict(invoice).items() if k != "payments"}
    values["payments"] = [[p.on.isoformat(), p.cents] for p in invoice.payments]
    return values


def _invoice(row: Any) -> Invoice:
    values = {k: v for k, v in row.items() if k not in ("payments", "methods")}
    paid = tuple(AmountPayment(date.fromisoformat(on), int(cents)) for on, cents in row["payments"])
    return Invoice(**values, payments=paid)


class ChargeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def methods_of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> set[str]:
        """Every method the invoice ever had a charge of (whatever its status)."""
        result = await self._s.execute(
            select(charges.c.method).where(
                charges.c.tenant_id == tenant_id, charges.c.invoice_id == invoice_id
            )
        )
        return set(result.scalars())

    async def add(self, charge: Charge) -> bool:
        """Store ``charge``; False when the invoice already has a current charge of that method."""
        stmt = (
            insert(charges)
            .values(**asdict(charge))
            .on_conflict_do_nothing(
                index_elements=[charges.c.tenant_id, charges.c.invoice_id, charges.c.method],
                index_where=~charges.c.superseded,
            )
            .returning(charges.c.id)
        )
        return (await self._s.execute(stmt)).first() is not None

    async def save(self, charge: Charge) -> bool:
        """Write every field of ``charge``; False (and nothing written) when a
        unique constraint refuses it (a barcode some charge already has)."""
        values = {k: v for k, v in asdict(charge).items() if k != "id"}
        try:
            async with self._s.begin_nested():
                await self._s.execute(update(charges).where(charges.c.id == charge.id).values(**values))
        except IntegrityError:
            return False
        return True

    async def current_of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> list[Charge]:
        """The invoice's current charges (not superseded), locked."""
        query = (
            select(charges)
            .where(
                charges.c.tenant_id == tenant_id,
                charges.c.invoice_id == invoice_id,
                ~charges.c.superseded,
            )
            .order_by(charges.c.created_at, charges.c.id)
            .with_for_update()
        )
        return [Charge(**row) for row in (await self._s.execute(query)).mappings()]

    async def claim_due(self, now: datetime, limit: int) -> list[Charge]:
        """Charges whose gateway call is due, locked (others skip them)."""
        query = (
            select(charges)
            .where(charges.c.action.isnot(None), charges.c.next_attempt_at <= now)
            .order_by(charges.c.next_attempt_at, charges.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [Charge(**row) for row in (await self._s.execute(query)).mappings()]

    async def wake_waiting_for_debtor(self, tenant_id: UUID, debtor_id: UUID, now: datetime) -> None:
        """Charges waiting for the debtor's document and name: try them now."""
        await self._s.execute(
            update(charges)
            .where(
                charges.c.tenant_id == tenant_id,
                charges.c.debtor_id == debtor_id,
                charges.c.action == "create",
                charges.c.next_attempt_at > now,
            )
            .values(next_attempt_at=now)
        )

    async def get(self, tenant_id: UUID, charge_id: UUID) -> Charge | None:
        result = await self._s.execute(
            select(charges).where(charges.c.tenant_id == tenant_id, charges.c.id == charge_id)
        )
        row = result.mappings().first()
        return Charge(**row) if row else None

    async def get_for_update(self, charge_id: UUID) -> Charge | None:
        result = await self._s.execute(select(charges).where(charges.c.id == charge_id).with_for_update())
        row = result.mappings().first()
        return Charge(**row) if row else None

    async def page(
        self,
        tenant_id: UUID,
        *,
        invoice_id: UUID | None,
        after: tuple[datetime, UUID] | None,
        limit: int,
    ) -> list[Charge]:
        query = select(charges).where(charges.c.tenant_id == tenant_id)
        if invoice_id is not None:
            query = query.where(charges.c.invoice_id == invoice_id)
        if after is not None:
            created_at, charge_id = after
            query = query.where(
                or_(
                    charges.c.created_at > created_at,
                    and_(charges.c.created_at == created_at, charges.c.id > charge_id),
                )
            )
        query = query.order_by(charges.c.created_at, charges.c.id).limit(limit)
        return [Charge(**row) for row in (await self._s.execute(query)).mappings()]


def _add_for_charge(column: str, with_method: bool) -> TextClause:
    # Plain SQL: SQLAlchemy compiles an INSERT inside a CTE afresh on every
    # execution (no statement cache), which cost more CPU than the rest of a webhook.
    method = " AND method = :charge_method" if with_method else ""
    return text(
        f"""
        WITH charge AS (
            SELECT id, invoice_id, debtor_id FROM {charges.fullname}
            WHERE tenant_id = :tenant_id AND {column} = :key{method}
            LIMIT 1
        ), added AS (
            INSERT INTO {payments.fullname} (id, tenant_id, charge_id, invoice_id, debtor_id, method,
                gateway_reference, amount_cents, reversed_cents, paid_at, created_at)
            SELECT CAST(:id AS uuid), CAST(:tenant_id AS uuid), id, invoice_id, debtor_id,
                CAST(:method AS varchar), CAST(:reference AS varchar), CAST(:amount_cents AS bigint), 0,
                CAST(:paid_at AS timestamptz), CAST(:created_at AS timestamptz)
            FROM charge
            ON CONFLICT (tenant_id, method, gateway_reference) DO NOTHING
            RETURNING id
        )
        SELECT charge.id, charge.invoice_id, charge.debtor_id, added.id AS added
        FROM charge LEFT JOIN added ON true
        """  # noqa: S608 - table and column names are ours, every value is bound
    ).bindparams(bindparam("tenant_id", type_=Uuid))


_ADD_FOR_CHARGE = {
    (column, with_method): _add_for_charge(column, with_method)
    for column in ("txid", "barcode", "id")
    for with_method in (False, True)
}


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_for_charge(
        self,
        tenant_id: UUID,
        match: ChargeMatch,
        *,
        payment_id: UUID,
        method: Method,
        reference: str,
        amount_cents: int,
        paid_at: datetime,
        created_at: datetime,
    ) -> tuple[Payment, bool] | None:
        """Find the tenant's charge named by ``match`` and record a payment of
        ``method`` for it, in one statement. None when no charge matches;
        otherwise the payment and whether it was recorded now (False: its
        gateway reference was recorded before, and this one was not stored)."""
        column, key, charge_method = match
        params = {
            "tenant_id": tenant_id,
            "key": key,
            "id": payment_id,
            "method": method,
            "reference": reference,
            "amount_cents": amount_cents,
            "paid_at": paid_at,
            "created_at": created_at,
        }
        if charge_method is not None:
            params["charge_method"] = charge_method
        statement = _ADD_FOR_CHARGE[column, charge_method is not None]
        row = (await self._s.execute(statement, params)).mappings().first()
        if row is None:
            return None
        payment = Payment(
            id=payment_id,
            tenant_id=tenant_id,
            charge_id=row["id"],
            invoice_id=row["invoice_id"],
            debtor_id=row["debtor_id"],
            method=method,
            gateway_reference=reference,
            amount_cents=amount_cents,
            reversed_cents=0,
            paid_at=paid_at,
            created_at=created_at,
        )
        return payment, row["added"] is not None

    async def get(self, tenant_id: UUID, payment_id: UUID, *, for_update: bool = False) -> Payment | None:
        query = select(payments).where(payments.c.tenant_id == tenant_id, payments.c.id == payment_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._s.execute(query)).mappings().first()
        return Payment(**row) if row else None

    async def by_reference(
        self, tenant_id: UUID, method: Method, reference: str, *, for_update: bool = False
    ) -> Payment | None:
        query = select(payments).where(
            payments.c.tenant_id == tenant_id,
            payments.c.method == method,
            payments.c.gateway_reference == reference,
        )
        if for_update:
            query = query.with_for_update()
        row = (await self._s.execute(query)).mappings().first()
        return Payment(**row) if row else None

    async def of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> list[Payment]:
        query = (
            select(payments)
            .where(payments.c.tenant_id == tenant_id, payments.c.invoice_id == invoice_id)
            .order_by(payments.c.paid_at, payments.c.id)
        )
        return [Payment(**row) for row in (await self._s.execute(query)).mappings()]

    async def add_reversed(self, payment_id: UUID, amount_cents: int) -> None:
        await self._s.execute(
            update(payments)
            .where(payments.c.id == payment_id)
            .values(reversed_cents=payments.c.reversed_cents + amount_cents)
        )


class ReversalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, reversal: Reversal) -> bool:
        """Record a reversal; False when its gateway reference was already recorded."""
        stmt = (
            insert(reversals)
            .values(**asdict(reversal))
            .on_conflict_do_nothing(index_elements=[reversals.c.tenant_id, reversals.c.gateway_reference])
            .returning(reversals.c.id)
        )
        return (await self._s.execute(stmt)).first() is not None

    async def by_reference(self, tenant_id: UUID, reference: str) -> Reversal | None:
        result = await self._s.execute(
            select(reversals).where(
                reversals.c.tenant_id == tenant_id, reversals.c.gateway_reference == reference
            )
        )
        row = result.mappings().first()
        return Reversal(**row) if row else None


class RejectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, rejection: WebhookRejection) -> None:
        """Store ``rejection``; the database numbers it (its ``id`` is ignored)."""
        values = {k: v for k, v in asdict(rejection).items() if k != "id"}
        await self._s.execute(insert(webhook_rejections).values(**values))

    async def of_tenant(self, tenant_id: UUID) -> list[WebhookRejection]:
        query = select(webhook_rejections).where(webhook_rejections.c.tenant_id == tenant_id)
        rows = (await self._s.execute(query.order_by(webhook_rejections.c.id))).mappings()
        return [WebhookRejection(**row) for row in rows]
