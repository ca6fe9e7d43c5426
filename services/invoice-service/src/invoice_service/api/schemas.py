"""Request and response bodies of the invoice-service API."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from invoice_service.domain.consent import BasisKind, ConsentBasis, ConsentChange, ConsentSource
from invoice_service.domain.contacts import normalise_document, normalise_email, normalise_phone
from invoice_service.domain.invoices import InvoiceStatus
from invoice_service.domain.models import Channel, Debtor, Invoice
from invoice_service.domain.money import (
    DEFAULT_LATE_FINE_BPS,
    DEFAULT_MONTHLY_INTEREST_BPS,
    MAX_LATE_FINE_BPS,
    MAX_MONTHLY_INTEREST_BPS,
)
from regua_br.amount_due import Breakdown
from regua_br.calendar import DEFAULT_TIMEZONE
from regua_platform.json_types import CPF_CNPJ, JsonBool, JsonInt, integral
from regua_platform.json_types import PHONE as PHONE_SCHEMA

#: Free text: anything but NUL (PostgreSQL text cannot hold it) and other C0 controls but tab and newlines.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
#: No spaces at either end, no control characters inside.
ExternalId = Annotated[
    str,
    Field(
        min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
    ),
]
#: Digits, letters and the usual punctuation; the check digits are verified on top.
Document = Annotated[
    str,
    Field(
        min_length=11,
        max_length=18,
        pattern=r"^[0-9A-Za-z./\- ]+$",
    ),
    AfterValidator(normalise_document),
    CPF_CNPJ,
]
#: What ``normalise_email`` accepts (it trims the ends and lower-cases the domain).
Email = Annotated[
    str,
    Field(
        max_length=254,
        pattern=r"^\s*[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]{2,}\s*$",
    ),
    AfterValidator(normalise_email),
]
#: Digits with optional ``+``, spaces, dots, dashes and parentheses; national
#: numbers are read as Brazilian, and the number must exist (libphonenumber).
PHONE = r"^\+?[0-9 ().\-]{8,31}$"
#: ``format: phone``: a number that exists (libphonenumber's rules), e.g. +55 11 91234-5678.
PHONE_FIELD = Field(max_length=32, pattern=PHONE)
Phone = Annotated[str, PHONE_FIELD, AfterValidator(normalise_phone), PHONE_SCHEMA]
Whatsapp = Annotated[
    str, PHONE_FIELD, AfterValidator(lambda v: normalise_phone(v, field="whatsapp")), PHONE_SCHEMA
]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT)]
#: The tenant's own label for a debtor (offer rules and strategies per segment).
Segment = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9_-]+$",
        description="Lowercase letters, digits, '_' and '-' (1-64), e.g. `varejo-sp`",
    ),
]
#: Money in centavos: an integer; 10.5 and "1000" are refused.
# Flat (not Annotated[JsonInt, Field(...)]): nested, the bounds would leave the JSON Schema.
PositiveCents = Annotated[int, Field(gt=0, le=10**13), Strict(), BeforeValidator(integral)]


#: A real calendar day of 2000-2099, YYYY-MM-DD (leap days included): due dates,
#: holidays and the days amounts are asked for; farther dates are typos, and
#: date arithmetic near year 9999 overflows.
DATE_PATTERN = (
    r"^20(?:[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|(?:[02468][048]|[13579][26])-02-29)$"
)
ISO_DATE = re.compile(DATE_PATTERN)


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` within 2000-2099: pydantic alone would also take a Unix timestamp."""
    if isinstance(value, date):
        value = value.isoformat()
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("must be a date of 2000-2099 written YYYY-MM-DD")
    return value


#: The IANA zones this machine knows.
TIMEZONES: frozenset[str] = frozenset(available_timezones())
TIMEZONE_NAMES: list[Any] = sorted(TIMEZONES)

IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "pattern": DATE_PATTERN, "description": "YYYY-MM-DD, 2000-2099"}),
]
#: At most a few hundred: a tenant's own holidays over some years.
MAX_HOLIDAYS = 500


def _unique_channels(value: list[Channel]) -> list[Channel]:
    if len(set(value)) != len(value):
        raise ValueError("preferred_channels lists each channel at most once")
    return value


Channels = Annotated[
    list[Channel],
    Field(max_length=4, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_unique_channels),
]


class TenantSettingsBody(BaseModel):
    """A tenant's collection settings; PUT replaces them (absent fields take the defaults)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        max_length=64,
        json_schema_extra={"enum": TIMEZONE_NAMES},
        description="IANA time zone of due dates",
    )
    late_fine_bps: JsonInt = Field(
        default=DEFAULT_LATE_FINE_BPS,
        ge=0,
        le=MAX_LATE_FINE_BPS,
        description="Late fine, basis points (200 = 2%)",
    )
    monthly_interest_bps: JsonInt = Field(
        default=DEFAULT_MONTHLY_INTEREST_BPS,
        ge=0,
        le=MAX_MONTHLY_INTEREST_BPS,
        description="Default interest per 30-day month, pro rata die, basis points (100 = 1%)",
    )
    holidays: list[IsoDate] = Field(
        default_factory=list,
        max_length=MAX_HOLIDAYS,
        description=(
            "The tenant's own holidays (state, municipal), YYYY-MM-DD, besides the national ones: "
            "a due date on one moves to the next business day. Applies to invoices issued afterwards."
        ),
    )

    @field_validator("holidays")
    @classmethod
    def _sorted_once(cls, value: list[date]) -> list[date]:
        return sorted(set(value))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # Only the zones listed: ZoneInfo would also try to open any relative path.
        if value not in TIMEZONES:
            raise ValueError("timezone must be an IANA time zone such as America/Sao_Paulo")
        return value


class DebtorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId
    name: Name
    document: Document = Field(description="CPF or CNPJ (numeric or alphanumeric), punctuation allowed")
    email: Email | None = None
    phone: Phone | None = None
    whatsapp: Whatsapp | None = None
    preferred_channels: Channels = Field(default_factory=list)
    consents: dict[Channel, JsonBool] = Field(default_factory=dict)
    segment: Segment | None = None


class DebtorUpdate(BaseModel):
    """Only the fields sent change; ``null`` clears a contact or the segment; consents merge per channel."""

    model_config = ConfigDict(extra="forbid")

    # Fields that cannot be cleared are not nullable (the route refuses a null with a 422).
    name: Name | SkipJsonSchema[None] = None
    email: Email | None = None
    phone: Phone | None = None
    whatsapp: Whatsapp | None = None
    preferred_channels: Channels | SkipJsonSchema[None] = None
    consents: dict[Channel, JsonBool] | SkipJsonSchema[None] = None
    segment: Segment | None = None
    consent_basis: ConsentBasisBody | None = Field(
        default=None,
        description=(
            "The legal basis for turning back on a channel the debtor opted out of themselves "
            "(in the portal); without it such a change is a 409. Recorded in the consent history."
        ),
    )


class ConsentBasisBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: BasisKind = Field(
        description=(
            "debtor_request_recorded: the debtor asked for it through another channel (a call, a letter); "
            "legal_obligation: a law or regulator requires the contact; credit_protection: LGPD art. 7, X"
        )
    )
    reference: str = Field(
        min_length=3,
        max_length=500,
        pattern=TEXT,
        description="Where the evidence is: a protocol number, a call recording id, a document reference",
    )

    def basis(self) -> ConsentBasis:
        return ConsentBasis(kind=self.kind, reference=self.reference)


class ConsentChangeRead(BaseModel):
    channel: Channel
    consent: bool
    source: ConsentSource = Field(description="debtor: the debtor in the portal; api: a tenant's token")
    actor: str = Field(description="The token's subject for api; `debtor` for the portal")
    basis: ConsentBasisBody | None
    changed_at: datetime
    recorded_at: datetime

    @classmethod
    def of(cls, change: ConsentChange) -> ConsentChangeRead:
        return cls(
            channel=change.channel,
            consent=change.consent,
            source=change.source,
            actor=change.actor,
            basis=ConsentBasisBody(kind=change.basis.kind, reference=change.basis.reference)
            if change.basis
            else None,
            changed_at=change.changed_at,
            recorded_at=change.recorded_at,
        )


class DebtorRead(BaseModel):
    id: UUID
    external_id: str
    name: str
    document: str
    document_type: Literal["cpf", "cnpj"]
    email: str | None
    phone: str | None
    whatsapp: str | None
    preferred_channels: list[Channel]
    consents: dict[Channel, bool]
    segment: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, debtor: Debtor) -> DebtorRead:
        return cls(
            id=debtor.id,
            external_id=debtor.external_id,
            name=debtor.name,
            document=debtor.document,
            document_type="cpf" if len(debtor.document) == 11 else "cnpj",
            email=debtor.email,
            phone=debtor.phone,
            whatsapp=debtor.whatsapp,
            preferred_channels=debtor.preferred_channels,
            consents=debtor.consents,
            segment=debtor.segment,
            created_at=debtor.created_at,
            updated_at=debtor.updated_at,
        )


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId
    debtor_id: UUID
    amount_cents: PositiveCents
    due_date: IsoDate
    description: str | None = Field(default=None, max_length=500, pattern=TEXT)


class AppliedPaymentRead(BaseModel):
    payment_id: UUID
    paid_on: date = Field(description="Tenant-local day it was paid: the day CC art. 354 imputes it on")
    amount_cents: int = Field(description="Net of reversals")


class AmountDueRead(BaseModel):
    """What the invoice amounts to on ``as_of`` by the amount rule
    (``regua_br.amount_due``): the late fine charged once on the principal still
    open at the effective due date, default interest pro rata die on open
    principal only, payments imputed per CC art. 354 (interest, then fine, then
    principal) on the day each was made."""

    invoice_id: UUID
    status: InvoiceStatus
    currency: Literal["BRL"] = "BRL"
    as_of: date = Field(description="Tenant-local date the amounts are computed for")
    due_date: date
    effective_due_date: date = Field(
        description="due_date moved to the next business day (national and tenant holidays), frozen at issue"
    )
    days_late: int = Field(description="Days from due_date once past the effective due date, else 0")
    late_fine_bps: int
    monthly_interest_bps: int
    principal_cents: int
    fine_cents: int = Field(description="Late fine charged (once)")
    interest_cents: int = Field(description="Default interest accrued in all")
    paid_cents: int = Field(description="Paid up to as_of, net of reversals")
    open_principal_cents: int
    open_fine_cents: int
    open_interest_cents: int
    due_cents: int = Field(description="What paying on as_of settles it with; 0 once cancelled")
    overpaid_cents: int = Field(description="Paid beyond what was due (all of it for a cancelled invoice)")
    payments: list[AppliedPaymentRead] = Field(description="Payments made up to as_of")

    @classmethod
    def of(cls, invoice: Invoice, amount: Breakdown) -> AmountDueRead:
        cancelled = invoice.status == "cancelled"
        return cls(
            invoice_id=invoice.id,
            status=invoice.status,
            as_of=amount.as_of,
            due_date=amount.due_date,
            effective_due_date=amount.effective_due_date,
            days_late=amount.days_late,
            late_fine_bps=invoice.late_fine_bps,
            monthly_interest_bps=invoice.monthly_interest_bps,
            principal_cents=amount.principal_cents,
            fine_cents=amount.fine_cents,
            interest_cents=amount.interest_cents,
            paid_cents=amount.paid_cents,
            open_principal_cents=amount.open_principal_cents,
            open_fine_cents=amount.open_fine_cents,
            open_interest_cents=amount.open_interest_cents,
            # A cancelled invoice is owed no more; money received for it is to be given back.
            due_cents=0 if cancelled else amount.due_cents,
            overpaid_cents=amount.paid_cents if cancelled else amount.overpaid_cents,
            payments=[
                AppliedPaymentRead(payment_id=p.payment_id, paid_on=p.paid_on, amount_cents=p.net_cents)
                for p in invoice.payments
                if p.net_cents > 0 and p.paid_on <= amount.as_of
            ],
        )


class InvoiceRead(BaseModel):
    id: UUID
    external_id: str
    debtor_id: UUID
    status: InvoiceStatus
    amount_cents: int
    currency: Literal["BRL"] = "BRL"
    due_date: date
    effective_due_date: date = Field(
        description="due_date moved to the next business day (national and tenant holidays), frozen at issue"
    )
    description: str | None
    late_fine_bps: int
    monthly_interest_bps: int
    as_of: date = Field(description="Tenant-local date the amounts below are computed for (today)")
    days_overdue: int = Field(description="Same as breakdown.days_late")
    fine_cents: int
    interest_cents: int
    total_cents: int = Field(description="amount_cents + fine_cents + interest_cents")
    amount_paid_cents: int
    amount_due_cents: int = Field(description="What is still owed on as_of; never negative")
    overpaid_cents: int = Field(
        description="Paid beyond what was due (or anything paid for a cancelled invoice)"
    )
    breakdown: AmountDueRead = Field(description="The amount rule's breakdown for as_of")
    overdue_since: date | None
    settled_on: date | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    agreement_id: UUID | None = Field(
        default=None, description="Set on an installment invoice: the agreement it belongs to"
    )
    renegotiated_in: UUID | None = Field(
        default=None, description="Set on an original invoice: the agreement that renegotiated it last"
    )

    @classmethod
    def of(cls, invoice: Invoice, *, today: date) -> InvoiceRead:
        amount = AmountDueRead.of(invoice, invoice.amount_on(today))
        return cls(
            id=invoice.id,
            external_id=invoice.external_id,
            debtor_id=invoice.debtor_id,
            status=invoice.status,
            amount_cents=invoice.amount_cents,
            due_date=invoice.due_date,
            effective_due_date=invoice.effective_due_date,
            description=invoice.description,
            late_fine_bps=invoice.late_fine_bps,
            monthly_interest_bps=invoice.monthly_interest_bps,
            as_of=amount.as_of,
            days_overdue=amount.days_late,
            fine_cents=amount.fine_cents,
            interest_cents=amount.interest_cents,
            total_cents=amount.principal_cents + amount.fine_cents + amount.interest_cents,
            amount_paid_cents=invoice.amount_paid_cents,
            amount_due_cents=amount.due_cents,
            overpaid_cents=amount.overpaid_cents,
            breakdown=amount,
            overdue_since=invoice.overdue_since,
            settled_on=invoice.settled_on,
            cancelled_at=invoice.cancelled_at,
            created_at=invoice.created_at,
            updated_at=invoice.updated_at,
            agreement_id=invoice.agreement_id,
            renegotiated_in=invoice.renegotiated_in,
        )


class BatchItem(BaseModel):
    row: int
    id: UUID
    external_id: str


class BatchRowError(BaseModel):
    row: int
    external_id: str | None = None
    status: int = Field(description="The HTTP status the row alone would have had (409, 422)")
    detail: str


class BatchResult(BaseModel):
    received: int = Field(description="Rows read (valid or not)")
    created: list[BatchItem]
    existing: list[BatchItem]
    errors: list[BatchRowError]
