"""Use cases on debtors. Callers commit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from invoice_service.domain.consent import (
    ConsentBasis,
    ConsentChange,
    ConsentSource,
    blocked_reenables,
)
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
    uow: InvoiceUnitOfWork, tenant_id: UUID, fields: DebtorFields, *, now: datetime, actor: str
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
    await _record_consents(uow, debtor, fields.consents, source="api", actor=actor, basis=None, at=now)
    _publish(uow, debtor)
    return debtor, True


async def get_debtor(uow: InvoiceUnitOfWork, tenant_id: UUID, debtor_id: UUID) -> Debtor:
    debtor = await uow.debtors.get(tenant_id, debtor_id)
    if debtor is None:
        raise NotFound("No such debtor.")
    return debtor


async def update_debtor(
    uow: InvoiceUnitOfWork,
    tenant_id: UUID,
    debtor_id: UUID,
    changes: dict[str, Any],
    *,
    now: datetime,
    actor: str,
    source: ConsentSource = "api",
    basis: ConsentBasis | None = None,
) -> Debtor:
    """Apply ``changes`` (already validated); consents merge per channel, and
    each consent that changes is recorded with ``source``, ``actor`` and
    ``basis``. An API change may turn a channel back on after the debtor's own
    opt-out only with a legal ``basis`` (:class:`Conflict` otherwise, nothing
    changed). Publishes ``debtor.updated`` when anything changed."""
    assert set(changes) <= MUTABLE_FIELDS
    debtor = await uow.debtors.get(tenant_id, debtor_id, for_update=True)
    if debtor is None:
        raise NotFound("No such debtor.")
    values = dict(changes)
    consents: dict[Channel, bool] = {}
    if "consents" in values:
        consents = {c: v for c, v in values["consents"].items() if debtor.consents.get(c) != v}
        values["consents"] = {**debtor.consents, **values["consents"]}
        if source == "api" and basis is None and consents:
            blocked = blocked_reenables(await uow.consents.latest(tenant_id, debtor_id), consents)
            if blocked:
                raise Conflict(
                    f"The debtor opted out of {', '.join(blocked)} themselves; only the debtor, or a "
                    "change that records a legal basis (consent_basis), may turn it back on.",
                    reason="consent_withdrawn_by_debtor",
                    channels=blocked,
                )
    values = {k: v for k, v in values.items() if getattr(debtor, k) != v}
    if not values:
        return debtor
    await uow.debtors.update(tenant_id, debtor_id, {**values, "updated_at": now})
    updated = await uow.debtors.get(tenant_id, debtor_id)
    assert updated is not None
    await _record_consents(uow, updated, consents, source=source, actor=actor, basis=basis, at=now)
    _publish(uow, updated)
    return updated


async def consent_history(
    uow: InvoiceUnitOfWork, tenant_id: UUID, debtor_id: UUID, *, after_seq: int | None, limit: int
) -> list[tuple[int, ConsentChange]]:
    await get_debtor(uow, tenant_id, debtor_id)
    return await uow.consents.page(tenant_id, debtor_id, after_seq=after_seq, limit=limit)


async def _record_consents(
    uow: InvoiceUnitOfWork,
    debtor: Debtor,
    consents: dict[Channel, bool],
    *,
    source: ConsentSource,
    actor: str,
    basis: ConsentBasis | None,
    at: datetime,
) -> None:
    recorded_at = uow.clock.now()
    await uow.consents.add_many(
        [
            ConsentChange(
                id=uuid4(),
                tenant_id=debtor.tenant_id,
                debtor_id=debtor.id,
                channel=channel,
                consent=consent,
                source=source,
                actor=actor[:200],
                basis=basis,
                changed_at=at,
                recorded_at=recorded_at,
            )
            for channel, consent in sorted(consents.items())
        ]
    )


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
