"""Every query of payments-service. Repositories run inside the unit of work's
transaction and never commit; they take and return the domain's values, never rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Table,
    TextClause,
    Uuid,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
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
from payments_service.domain.secrets import SecretKind, StoredSecret
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

    async def many(self, keys: Iterable[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], DebtorRecord]:
        """The known debtors among (tenant, debtor) ``keys``, in one query."""
        wanted = set(keys)
        if not wanted:
            return {}
        query = select(debtors).where(debtors.c.debtor_id.in_({debtor for _, debtor in wanted}))
        found = (DebtorRecord(**row) for row in (await self._s.execute(query)).mappings())
        return {(d.tenant_id, d.debtor_id): d for d in found if (d.tenant_id, d.debtor_id) in wanted}


class InvoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, invoice: Invoice, methods: list[str]) -> bool:
        """Store a newly issued invoice; False when it was known already."""
        values = {**_invoice_values(invoice), "methods": methods}
        return (await self._s.execute(_ADD_INVOICE, values)).first() is not None

    async def add_many(self, new: Sequence[tuple[Invoice, list[str]]]) -> set[tuple[UUID, UUID]]:
        """Store newly issued invoices in one statement; the (tenant, invoice)
        stored (one known already is not)."""
        if not new:
            return set()
        rows = [{**_invoice_values(invoice), "methods": methods} for invoice, methods in new]
        result = await self._s.execute(_ADD_INVOICES, rows)
        return {(row[0], row[1]) for row in result}

    async def methods_of(self, keys: Iterable[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], list[str]]:
        """The methods promised for each (tenant, invoice) in ``keys``, in one query."""
        pairs = list(set(keys))
        if not pairs:
            return {}
        query = select(invoices.c.tenant_id, invoices.c.invoice_id, invoices.c.methods).where(
            invoices.c.invoice_id.in_({invoice for _, invoice in pairs})
        )
        wanted = set(pairs)
        found = {(row[0], row[1]): list(row[2]) for row in await self._s.execute(query)}
        return {key: methods for key, methods in found.items() if key in wanted}

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


# Statements built once (SQLAlchemy caches their compiled form; an
# ``insert().values(**row)`` built per call cost more CPU than its round trip).
_ADD_INVOICE = (
    insert(invoices)
    .on_conflict_do_nothing(index_elements=[invoices.c.tenant_id, invoices.c.invoice_id])
    .returning(invoices.c.invoice_id)
)
_ADD_INVOICES = (
    insert(invoices)
    .on_conflict_do_nothing(index_elements=[invoices.c.tenant_id, invoices.c.invoice_id])
    .returning(invoices.c.tenant_id, invoices.c.invoice_id)
)


def _invoice_values(invoice: Invoice) -> dict[str, Any]:
    values = {f.name: getattr(invoice, f.name) for f in fields(invoice) if f.name != "payments"}
    values["payments"] = [[p.on.isoformat(), p.cents] for p in invoice.payments]
    return values


def _invoice(row: Any) -> Invoice:
    values = {k: v for k, v in row.items() if k not in ("payments", "methods")}
    paid = tuple(AmountPayment(date.fromisoformat(on), int(cents)) for on, cents in row["payments"])
    return Invoice(**values, payments=paid)


class ChargeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        #: The earliest ``next_attempt_at`` of gateway work written in this
        #: transaction (the unit of work wakes the gateway worker on commit).
        self.queued_at: datetime | None = None
        self._new: list[dict[str, Any]] = []

    async def methods_of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> set[str]:
        """Every method the invoice ever had a charge of (whatever its status)."""
        await self.flush()
        result = await self._s.execute(
            select(charges.c.method).where(
                charges.c.tenant_id == tenant_id, charges.c.invoice_id == invoice_id
            )
        )
        return set(result.scalars())

    def _queued(self, charge: Charge) -> None:
        at = charge.next_attempt_at
        if charge.action is not None and at is not None and (self.queued_at is None or at < self.queued_at):
            self.queued_at = at

    async def add(self, charge: Charge) -> bool:
        """Store ``charge``; False when the invoice already has a current charge of that method."""
        return charge.id in await self.add_many([charge])

    def add_new(self, new: Sequence[Charge]) -> None:
        """Store ``new``, charges of an invoice first recorded in this
        transaction (nothing can conflict with them), with the next statement
        of this repository or at commit: a batch of events inserts its charges
        in one statement."""
        for charge in new:
            self._queued(charge)
            self._new.append(_charge_values(charge))

    async def flush(self) -> None:
        """Write the charges :meth:`add_new` holds (every other method, and
        the unit of work's commit, does this first)."""
        if self._new:
            new, self._new = self._new, []
            await self._s.execute(_INSERT_CHARGE, new)

    async def add_many(self, new: Sequence[Charge]) -> set[UUID]:
        """Store ``new`` in one statement; the ids stored (a charge of a method
        the invoice already has a current charge of is not)."""
        if not new:
            return set()
        await self.flush()
        result = await self._s.execute(_ADD_CHARGE, [_charge_values(charge) for charge in new])
        added = {row[0] for row in result}
        for charge in new:
            if charge.id in added:
                self._queued(charge)
        return added

    async def save(self, charge: Charge) -> bool:
        """Write every field of ``charge``; False (and nothing written) when a
        unique constraint refuses it (a barcode some charge already has)."""
        await self.flush()
        values = {f"v_{k}": v for k, v in _charge_values(charge).items()}
        self._queued(charge)
        if charge.barcode is None:  # nothing a unique constraint could refuse on update
            await self._s.execute(_SAVE_CHARGE, values)
            return True
        try:
            async with self._s.begin_nested():
                await self._s.execute(_SAVE_CHARGE, values)
        except IntegrityError:
            return False
        return True

    async def lease(self, ids: Sequence[UUID], until: datetime) -> None:
        """Count an attempt of each charge and leave it alone until ``until``."""
        await self.flush()
        if ids:
            await self._s.execute(
                update(charges)
                .where(charges.c.id.in_(ids))
                .values(attempts=charges.c.attempts + 1, next_attempt_at=until)
            )

    async def postpone(self, ids: Sequence[UUID], until: datetime, reason: str) -> None:
        """Look at these charges again at ``until`` (no attempt counted)."""
        await self.flush()
        if ids:
            await self._s.execute(
                update(charges).where(charges.c.id.in_(ids)).values(next_attempt_at=until, last_error=reason)
            )

    async def next_due(self) -> datetime | None:
        """When the earliest gateway call is due (None: there is none)."""
        await self.flush()
        query = select(func.min(charges.c.next_attempt_at)).where(charges.c.action.isnot(None))
        due: datetime | None = (await self._s.execute(query)).scalar()
        return due

    async def current_of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> list[Charge]:
        """The invoice's current charges (not superseded), locked."""
        await self.flush()
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
        await self.flush()
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
        await self.flush()
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
        self.queued_at = now if self.queued_at is None else min(self.queued_at, now)

    async def get(self, tenant_id: UUID, charge_id: UUID) -> Charge | None:
        await self.flush()
        result = await self._s.execute(
            select(charges).where(charges.c.tenant_id == tenant_id, charges.c.id == charge_id)
        )
        row = result.mappings().first()
        return Charge(**row) if row else None

    async def get_for_update(self, charge_id: UUID) -> Charge | None:
        await self.flush()
        result = await self._s.execute(select(charges).where(charges.c.id == charge_id).with_for_update())
        row = result.mappings().first()
        return Charge(**row) if row else None

    async def lock_many(self, ids: Sequence[UUID]) -> dict[UUID, Charge]:
        """These charges, locked in id order (two batches never deadlock)."""
        await self.flush()
        if not ids:
            return {}
        query = select(charges).where(charges.c.id.in_(ids)).order_by(charges.c.id).with_for_update()
        return {row["id"]: Charge(**row) for row in (await self._s.execute(query)).mappings()}

    async def page(
        self,
        tenant_id: UUID,
        *,
        invoice_id: UUID | None,
        after: tuple[datetime, UUID] | None,
        limit: int,
    ) -> list[Charge]:
        await self.flush()
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


#: ``LISTEN``ed by the gateway worker (see :mod:`regua_platform.wakeup`).
GATEWAY_CHANNEL = f"regua_gateway_{charges.schema}"
_CHARGE_FIELDS = tuple(f.name for f in fields(Charge))
_INSERT_CHARGE = insert(charges)
_ADD_CHARGE = (
    insert(charges)
    .on_conflict_do_nothing(
        index_elements=[charges.c.tenant_id, charges.c.invoice_id, charges.c.method],
        index_where=~charges.c.superseded,
    )
    .returning(charges.c.id)
)
_SAVE_CHARGE = (
    update(charges)
    # The tenant too: a charge is never moved to another tenant, whatever a caller passes.
    .where(charges.c.id == bindparam("v_id"), charges.c.tenant_id == bindparam("v_tenant_id"))
    .values({c.name: bindparam(f"v_{c.name}") for c in charges.c if c.name not in ("id", "tenant_id")})
)


def _charge_values(charge: Charge) -> dict[str, Any]:
    # Not dataclasses.asdict: its deep copy of every field cost more than the insert.
    return {name: getattr(charge, name) for name in _CHARGE_FIELDS}


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

    async def prune(self, older_than: datetime, limit: int) -> int:
        """Delete at most ``limit`` rejections received before ``older_than``."""
        victims = (
            select(webhook_rejections.c.id)
            .where(webhook_rejections.c.received_at < older_than)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self._s.execute(
            delete(webhook_rejections).where(webhook_rejections.c.id.in_(victims.scalar_subquery()))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def of_tenant(self, tenant_id: UUID) -> list[WebhookRejection]:
        query = select(webhook_rejections).where(webhook_rejections.c.tenant_id == tenant_id)
        rows = (await self._s.execute(query.order_by(webhook_rejections.c.id))).mappings()
        return [WebhookRejection(**row) for row in rows]


#: The columns holding secrets encrypted at rest, by kind: (table, key column, secret column).
_SECRET_COLUMNS: dict[SecretKind, tuple[Table, Column[Any], Column[Any]]] = {
    "webhook": (pix_settings, pix_settings.c.tenant_id, pix_settings.c.webhook_secret_encrypted),
    "psp": (psp_accounts, psp_accounts.c.tenant_id, psp_accounts.c.client_secret_encrypted),
    "bank": (bank_accounts, bank_accounts.c.id, bank_accounts.c.client_secret_encrypted),
}


class StoredSecretRepository:
    """Every secret encrypted at rest, for key rotation."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def batch(self, after: StoredSecret | None, limit: int) -> list[StoredSecret]:
        """Up to ``limit`` stored secrets after ``after`` (ordered by kind, then key), locked."""
        found: list[StoredSecret] = []
        for kind, (_, key, column) in sorted(_SECRET_COLUMNS.items()):
            if after is not None and kind < after.kind:
                continue
            query = select(key, column).order_by(key).limit(limit - len(found)).with_for_update()
            if after is not None and kind == after.kind:
                query = query.where(key > after.key)
            found += [StoredSecret(kind, row[0], row[1]) for row in await self._s.execute(query)]
            if len(found) >= limit:
                break
        return found

    async def replace(self, secret: StoredSecret, token: bytes) -> None:
        table, key, column = _SECRET_COLUMNS[secret.kind]
        await self._s.execute(update(table).where(key == secret.key).values({column.name: token}))
