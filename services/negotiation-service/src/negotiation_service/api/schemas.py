"""Request and response bodies of the negotiation-service API."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic import Strict as NoCoercion
from pydantic.json_schema import SkipJsonSchema

from negotiation_service.domain.agreements import Payoff
from negotiation_service.domain.offers import DiscountTier, Eligibility, Offer, OfferRules
from negotiation_service.domain.portal import PortalSettings
from regua_br.documents import InvalidDocument, normalise_document
from regua_platform.json_types import CNPJ, PHONE, TEXT, VISIBLE_TEXT, JsonBool, JsonInt, integral

Cents = JsonInt
#: A mailbox as the portal shows it: one @, a dot in the domain, no spaces.
#: A contact e-mail as the schema states it and the validator checks it:
#: printable ASCII but ``@`` (no spaces, no control characters) around one ``@``.
EMAIL_PATTERN = r"^[!-?A-~]{1,64}@[!-?A-~]+\.[!-?A-~]+$"
#: A Brazilian phone, punctuation removed: +55 optional, area code and 8 or 9
#: digits; or a nationwide 0800/0300/0500/0900 or 4003-style number.
PHONE_DIGITS = re.compile(r"^(?:(?:55)?[1-9][1-9][2-9][0-9]{7,8}|0[3589]00[0-9]{6,7}|[34]00[0-9]{5})$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiscountTierBody(Strict):
    min_days_overdue: JsonInt = Field(ge=0)
    max_discount_bps: JsonInt = Field(ge=0, le=10_000)


class EligibilityBody(Strict):
    min_amount_cents: Cents = Field(default=0, ge=0)
    max_amount_cents: Annotated[int, Field(ge=0), NoCoercion(), BeforeValidator(integral)] | None = None
    min_days_overdue: JsonInt = Field(default=0, ge=0)
    max_days_overdue: Annotated[int, Field(ge=0), NoCoercion(), BeforeValidator(integral)] | None = None
    segment: str | None = Field(default=None, min_length=1, max_length=64, pattern=TEXT)


class OfferRulesCreate(Strict):
    """Percentages are basis points (1000 = 10%); money is int centavos."""

    cash_discount_bps: JsonInt = Field(default=1_000, ge=0, le=10_000)
    discount_tiers: list[DiscountTierBody] = Field(default_factory=list, max_length=20)
    min_installments: JsonInt = Field(default=2, ge=2, le=120)
    max_installments: JsonInt = Field(default=6, ge=2, le=120)
    min_installment_cents: Cents = Field(default=5_000, ge=1)
    monthly_interest_bps: JsonInt = Field(default=199, ge=0, le=2_000)
    down_payment_bps: (
        Annotated[int, Field(ge=1, le=9_999), NoCoercion(), BeforeValidator(integral)] | None
    ) = None
    eligibility: EligibilityBody = Field(default_factory=EligibilityBody)
    tolerance_days: JsonInt = Field(default=5, ge=0, le=90)
    first_due_in_days: JsonInt = Field(default=3, ge=0, le=30)

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
    default: JsonBool = False


class SimulateRequest(Strict):
    debtor_id: UUID
    invoice_ids: list[UUID] = Field(min_length=1, max_length=100)


class InstallmentRead(BaseModel):
    number: int
    due_date: date
    amount_cents: int


class DebtBaseRead(BaseModel):
    """What the renegotiated debt is made of on the day of the offer (each part still open)."""

    principal_cents: int
    fine_cents: int
    interest_cents: int
    total_cents: int


class OfferTermsRead(BaseModel):
    """What happens when an installment is late or the agreement breaks, and the
    right to pay early (CDC art. 52 and its §2)."""

    #: An installment unpaid this many days after its due date breaks the agreement.
    tolerance_days: int
    #: A late installment's invoice is charged these (the renegotiated invoices' rates;
    #: null when one of them was issued without rates).
    late_fine_bps: int | None
    late_monthly_interest_bps: int | None
    #: Broken: the unpaid installments are cancelled and the original invoices come
    #: back with their fine and interest, what was paid credited to them.
    on_break: Literal["originals_restored_with_charges_less_paid"] = (
        "originals_restored_with_charges_less_paid"
    )
    #: The rest may be paid at any time with the interest reduced proportionally
    #: (``POST /v1/agreements/{id}:prepay``).
    early_payment: Literal["interest_reduced_proportionally"] = "interest_reduced_proportionally"


class OfferRead(BaseModel):
    """An offer with what CDC art. 52 asks to be stated before it is accepted."""

    offer_id: str
    kind: str
    #: The day the offer is priced on (interest runs from it).
    start_date: date
    base: DebtBaseRead
    #: The debt renegotiated (``base.total_cents``) and the discount for cash.
    original_cents: int
    discount_cents: int
    installment_count: int
    periodicity: Literal["monthly"] = "monthly"
    installments: list[InstallmentRead]
    total_cents: int
    #: Interest of the installments: total less the debt after the discount.
    interest_cents: int
    #: The quoted monthly rate as a decimal string ("0.0199" = 1,99 % a.m.).
    monthly_rate: str
    #: The effective monthly rate of the real schedule (the CET: Régua adds no
    #: fees) and its annual equivalent, as decimal strings.
    effective_monthly_rate: str
    effective_annual_rate: str
    terms: OfferTermsRead

    @classmethod
    def of(cls, offer: Offer) -> OfferRead:
        return cls(
            offer_id=offer.offer_id,
            kind=offer.kind,
            start_date=offer.start,
            base=DebtBaseRead(
                principal_cents=offer.base.principal_cents,
                fine_cents=offer.base.fine_cents,
                interest_cents=offer.base.interest_cents,
                total_cents=offer.base.total_cents,
            ),
            original_cents=offer.original_cents,
            discount_cents=offer.discount_cents,
            installment_count=len(offer.installments),
            installments=[
                InstallmentRead(number=i.number, due_date=i.due_date, amount_cents=i.amount_cents)
                for i in offer.installments
            ],
            total_cents=offer.total_cents,
            interest_cents=offer.interest_cents,
            monthly_rate=offer.monthly_rate,
            effective_monthly_rate=str(offer.effective_monthly_rate),
            effective_annual_rate=str(offer.effective_annual_rate),
            terms=OfferTermsRead(
                tolerance_days=offer.tolerance_days,
                late_fine_bps=offer.late_fine_bps,
                late_monthly_interest_bps=offer.late_monthly_interest_bps,
            ),
        )


class SimulateResponse(BaseModel):
    offers: list[OfferRead]


class AgreementCreate(Strict):
    """Exactly one of ``offer_id`` (from a simulation) or ``kind``."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["offer_id"]}, {"required": ["kind"]}]}
    )

    debtor_id: UUID
    invoice_ids: list[UUID] = Field(min_length=1, max_length=100)
    #: From a simulation (proves nothing changed since); or pass ``kind`` instead.
    offer_id: Annotated[str, Field(min_length=1, max_length=64, pattern=TEXT)] | SkipJsonSchema[None] = None
    kind: Annotated[str, Field(pattern=r"^(cash|installments_\d{1,3})$")] | SkipJsonSchema[None] = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(data.get(k, "") is None for k in ("offer_id", "kind")):
            raise ValueError("leave out offer_id or kind rather than sending null")
        return data

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
    #: open, overdue, paid, or replaced (by a payoff).
    status: str
    paid_at: datetime | None
    #: The installment that pays the rest early.
    payoff: bool


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
    #: The day the offer was priced on.
    start_date: date
    #: Interest the early payment saved (0 without one).
    interest_waived_cents: int
    reason: str | None
    created_at: datetime
    closed_at: datetime | None
    installments: list[AgreementInstallmentRead]


class PayoffRead(BaseModel):
    """Paying the rest of an agreement on ``on`` (CDC art. 52 §2)."""

    agreement_id: UUID
    on: date
    #: Due date of the payoff installment: ``on``, or the next business day.
    due_date: date
    amount_cents: int
    replaced_installment_ids: list[UUID]
    #: What the replaced installments add up to, and the interest paying early saves.
    replaced_cents: int
    interest_waived_cents: int

    @classmethod
    def of(cls, agreement_id: UUID, payoff: Payoff) -> PayoffRead:
        return cls(
            agreement_id=agreement_id,
            on=payoff.on,
            due_date=payoff.due_date,
            amount_cents=payoff.amount_cents,
            replaced_installment_ids=[p.id for p in payoff.replaced],
            replaced_cents=payoff.replaced_cents,
            interest_waived_cents=payoff.interest_waived_cents,
        )


class PrepayRead(BaseModel):
    payoff: PayoffRead
    #: The agreement after the prepayment: the replaced installments and the payoff one.
    agreement: AgreementRead


class PortalSettingsUpdate(Strict):
    """Who is collecting, shown on every page of the tenant's portal (CDC art. 42-A)."""

    model_config = ConfigDict(
        json_schema_extra={
            # _contact below, said in JSON Schema: a non-null e-mail or phone.
            "anyOf": [
                {"required": ["contact_email"], "properties": {"contact_email": {"type": "string"}}},
                {"required": ["contact_phone"], "properties": {"contact_phone": {"type": "string"}}},
            ]
        }
    )

    creditor_name: str = Field(min_length=1, max_length=200, pattern=VISIBLE_TEXT)
    #: The creditor's CNPJ, with or without punctuation (alphanumeric CNPJs accepted).
    creditor_document: Annotated[str, Field(min_length=14, max_length=18), CNPJ]
    creditor_address: str = Field(min_length=5, max_length=300, pattern=VISIBLE_TEXT)
    #: At least one of them.
    contact_email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    #: A Brazilian number: area code and 8 or 9 digits (+55 optional), or 0800-style.
    contact_phone: Annotated[str, Field(max_length=20), PHONE] | None = None

    @field_validator("creditor_name", "creditor_address")
    @classmethod
    def _text(cls, value: str) -> str:
        cleaned = " ".join(value.split())
        if not cleaned:
            raise ValueError("must not be blank")
        return cleaned

    @field_validator("creditor_document")
    @classmethod
    def _cnpj(cls, value: str) -> str:
        try:
            document = normalise_document(value)
        except InvalidDocument as exc:
            raise ValueError(str(exc)) from None
        if len(document) != 14:
            raise ValueError("the creditor is identified by a CNPJ, not a CPF")
        return document

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(EMAIL_PATTERN, value):
            raise ValueError("not an e-mail address")
        return value or None

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = re.sub(r"[\s().+-]", "", value)
        if not PHONE_DIGITS.match(digits):
            raise ValueError("not a Brazilian phone number (area code and 8 or 9 digits, or 0800)")
        return value.strip()

    @model_validator(mode="after")
    def _contact(self) -> Self:
        if not (self.contact_email or self.contact_phone):
            raise ValueError("give a contact: contact_email or contact_phone")
        return self

    def to_domain(self) -> PortalSettings:
        return PortalSettings(**self.model_dump())


class PortalSettingsRead(BaseModel):
    creditor_name: str
    #: Normalised CNPJ (14 characters).
    creditor_document: str
    creditor_address: str
    contact_email: str | None
    contact_phone: str | None

    @classmethod
    def of(cls, settings: PortalSettings) -> PortalSettingsRead:
        return cls(
            creditor_name=settings.creditor_name,
            creditor_document=settings.creditor_document,
            creditor_address=settings.creditor_address,
            contact_email=settings.contact_email,
            contact_phone=settings.contact_phone,
        )


class PortalLinksRevoked(BaseModel):
    debtor_id: UUID
    #: Links, sessions and devices issued up to this instant no longer open the portal.
    revoked_before: datetime
