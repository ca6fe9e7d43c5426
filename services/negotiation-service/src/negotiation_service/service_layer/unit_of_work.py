"""The unit of work of negotiation-service: the platform's, with our repositories."""

from __future__ import annotations

from typing import Self

from negotiation_service.adapters.db.repositories import (
    AgreementRepository,
    InvoiceProjection,
    OfferRulesRepository,
    PortalRepository,
    PortalSettingsRepository,
)
from regua_platform.uow import UnitOfWork


class NegotiationUnitOfWork(UnitOfWork):
    rules: OfferRulesRepository
    invoices: InvoiceProjection
    agreements: AgreementRepository
    portal: PortalRepository
    portal_settings: PortalSettingsRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.rules = OfferRulesRepository(self.session)
        self.invoices = InvoiceProjection(self.session)
        self.agreements = AgreementRepository(self.session)
        self.portal = PortalRepository(self.session)
        self.portal_settings = PortalSettingsRepository(self.session)
        return self
