"""Request and response bodies of the negotiation-service API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from negotiation_service.domain.offers import DiscountTier, Eligibility, Offer, OfferRules

Cents = StrictInt


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiscountTierBody(Strict):
    min_days_overdue: int = Field(ge=0)
    max_discount_bps: int = Field(ge=0, le=10_000)


class EligibilityBody(Strict):
    min_amount_cents: Cents = Field(default=0, ge=0)
    max_amount_cents: Cents | None = Field(default=None, ge=0)
    min_days_overdue: int = Field(default=0, ge=0)
    max_days_overdue: int | None = Field(default=None, ge=0)
    segment: str | None = Field(default=None, min_length=1, max_length=64)


class OfferRulesCreate(Strict):
    """Percentages are basis points (1000 = 10%); money is int centavos."""

    cash_discount_bps: int = Field(default=1_000, ge=0, le=10_000)
    discount_tiers: list[DiscountTierBody] = Field(default_factory=list, max_length=20)
    min_installments: int = Field(default=2, ge=2, le=120)
    max_installments: int = Field(default=6, ge=2, le=120)
    min_installment_cents: Cents = Field(default=5_000, ge=1)
    monthly_interest_bps: int = Field(default=199, ge=0, le=2_000)
    down_payment_bps: int | None = Field(default=None, ge=1, le=9_999)
    eligibility: EligibilityBody = Field(default_factory=EligibilityBody)
    tolerance_days: int = Field(default=5, ge=0, le=90)
    first_due_in_days: int = Field(default=3, ge=0, le=30)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.max_installments < self.min_installments:
            raise ValueError("max_installments must be >= min_installments")
        return self

    def to_domain(self) -> OfferRules:
        return OfferRules(
            **self.model_dump(exclude={"discount_tiers", "eligibility"}),
            discount_tiers=tuple(DiscountTier(**t.model_dump()) for t in self.discount_tiers),
            eligibility=Eligibility(**self.eligibility.model_dump()),
        )


class OfferRulesRead(OfferRulesCreate):
    model_config = ConfigDict(extra="ignore")
    #: True when the tenant set no rules and these are the built-in defaults.
    default: bool = False


class SimulateRequest(Strict):
    debtor_id: UUID
    invoice_ids: list[UUID] = Field(min_length=1, max_length=100)


class InstallmentRead(BaseModel):
    number: int
    due_date: date
    amount_cents: int


class OfferRead(BaseModel):
    offer_id: str
    kind: str
    installments: list[InstallmentRead]
    total_cents: int
    discount_cents: int
    original_cents: int
    #: Effective monthly rate as a decimal string ("0.0199" = 1.99%/month).
    monthly_rate: str

    @classmethod
    def of(cls, offer: Offer) -> OfferRead:
        return cls(
            offer_id=offer.offer_id,
            kind=offer.kind,
            installments=[
                InstallmentRead(number=i.number, due_date=i.due_date, amount_cents=i.amount_cents)
                for i in offer.installments
            ],
            total_cents=offer.total_cents,
            discount_cents=offer.discount_cents,
            original_cents=offer.original_cents,
            monthly_rate=offer.monthly_rate,
        )


class SimulateResponse(BaseModel):
    offers: list[OfferRead]


class AgreementCreate(Strict):
    debtor_id: UUID
    invoice_ids: list[UUID] = Field(min_length=1, max_length=100)
    #: From a simulation (proves nothing changed since); or pass ``kind`` instead.
    offer_id: str | None = Field(default=None, min_length=1, max_length=64)
    kind: str | None = Field(default=None, pattern=r"^(cash|installments_\d{1,3})$")

    @model_validator(mode="after")
    def _one_choice(self) -> Self:
        if (self.offer_id is None) == (self.kind is None):
            raise ValueError("pass exactly one of offer_id or kind")
        return self


class AgreementInstallmentRead(BaseModel):
    installment_id: UUID
    number: int
    due_date: date
    amount_cents: int
    status: str
    paid_at: datetime | None


class AgreementRead(BaseModel):
    agreement_id: UUID
    debtor_id: UUID
    status: str
    kind: str
    invoice_ids: list[UUID]
    original_cents: int
    discount_cents: int
    total_cents: int
    paid_cents: int
    monthly_rate: str
    reason: str | None
    created_at: datetime
    closed_at: datetime | None
    installments: list[AgreementInstallmentRead]
