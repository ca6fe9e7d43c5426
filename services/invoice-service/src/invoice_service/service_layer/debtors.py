"""Use cases on debtors. Callers commit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from invoice_service.domain.models import Channel, Debtor
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_platform.errors import Conflict, NotFound

#: Fields a PATCH may change (the identity, external_id and document, may not).
MUTABLE_FIELDS = frozenset(
    {"name", "email", "phone", "whatsapp", "preferred_channels", "consents", "segment"}
)


@dataclass(frozen=True)
class DebtorFields:
    """A debtor as posted, already validated and normalised."""

    external_id: str
    name: str
    document: str
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    preferred_channels: list[Channel] = field(default_factory=list)
    consents: dict[Channel, bool] = field(default_factory=dict)
    segment: str | None = None


def _same(debtor: Debtor, fields: DebtorFields) -> bool:
    return all(getattr(debtor, name) == value for name, value in asdict(fields).items())


async def create_debtor(
    uow: InvoiceUnitOfWork, tenant_id: UUID, fields: DebtorFields, *, now: datetime
) -> tuple[Debtor, bool]:
    """The debtor and whether it was created now. Posting the same external id
    again with the same body returns the existing debtor; a different body is a
    conflict."""
    inserted = await uow.debtors.add_if_absent(
        {"id": uuid4(), "tenant_id": tenant_id, "created_at": now, "updated_at": now, **asdict(fields)}
    )
    debtor = await uow.debtors.get_by_external_id(tenant_id, fields.external_id)
    assert debtor is not None
    if not inserted:
        if not _same(debtor, fields):
            raise Conflict(
                f"A debtor with external_id {fields.external_id!r} exists with different data; "
                "use PATCH /v1/debtors/{id} to change it."
            )
        return debtor, False
    _publish(uow, debtor)
    return debtor, True


async def get_debtor(uow: InvoiceUnitOfWork, tenant_id: UUID, debtor_id: UUID) -> Debtor:
    debtor = await uow.debtors.get(tenant_id, debtor_id)
    if debtor is None:
        raise NotFound("No such debtor.")
    return debtor


async def update_debtor(
    uow: InvoiceUnitOfWork, tenant_id: UUID, debtor_id: UUID, changes: dict[str, Any], *, now: datetime
) -> Debtor:
    """Apply ``changes`` (already validated); consents merge per channel. Publishes
    ``debtor.updated`` when anything changed."""
    assert set(changes) <= MUTABLE_FIELDS
    debtor = await uow.debtors.get(tenant_id, debtor_id, for_update=True)
    if debtor is None:
        raise NotFound("No such debtor.")
    values = dict(changes)
    if "consents" in values:
        values["consents"] = {**debtor.consents, **values["consents"]}
    values = {k: v for k, v in values.items() if getattr(debtor, k) != v}
    if not values:
        return debtor
    await uow.debtors.update(debtor_id, {**values, "updated_at": now})
    updated = await uow.debtors.get(tenant_id, debtor_id)
    assert updated is not None
    _publish(uow, updated)
    return updated


def _publish(uow: InvoiceUnitOfWork, debtor: Debtor) -> None:
    uow.publish(
        DebtorUpdatedV1(
            debtor_id=debtor.id,
            external_id=debtor.external_id,
            name=debtor.name,
            document=debtor.document,
            email=debtor.email,
            phone=debtor.phone,
            whatsapp=debtor.whatsapp,
            preferred_channels=debtor.preferred_channels,
            consents=debtor.consents,
            updated_at=debtor.updated_at,
            segment=debtor.segment,
        ),
        tenant_id=debtor.tenant_id,
        subject=str(debtor.id),
    )
