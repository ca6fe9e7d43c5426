"""Request and response bodies of the invoice-service API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, field_validator

from invoice_service.domain.contacts import normalise_document, normalise_email, normalise_phone
from invoice_service.domain.invoices import InvoiceStatus
from invoice_service.domain.models import Channel, Debtor, Invoice
from invoice_service.domain.money import (
    DEFAULT_LATE_FINE_BPS,
    DEFAULT_MONTHLY_INTEREST_BPS,
    MAX_LATE_FINE_BPS,
    MAX_MONTHLY_INTEREST_BPS,
)
from regua_br.calendar import DEFAULT_TIMEZONE

ExternalId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^\S(.*\S)?$")]
Document = Annotated[str, Field(min_length=11, max_length=18), AfterValidator(normalise_document)]
Email = Annotated[str, Field(max_length=254), AfterValidator(normalise_email)]
Phone = Annotated[str, Field(max_length=32), AfterValidator(normalise_phone)]
Whatsapp = Annotated[
    str, Field(max_length=32), AfterValidator(lambda v: normalise_phone(v, field="whatsapp"))
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
#: Money in centavos: an integer; 10.5 and "1000" are refused.
PositiveCents = Annotated[StrictInt, Field(gt=0, le=10**13)]


def _unique_channels(value: list[Channel]) -> list[Channel]:
    if len(set(value)) != len(value):
        raise ValueError("preferred_channels lists each channel at most once")
    return value


Channels = Annotated[list[Channel], Field(max_length=4), AfterValidator(_unique_channels)]


class TenantSettingsBody(BaseModel):
    """A tenant's collection settings; PUT replaces them (absent fields take the defaults)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(default=DEFAULT_TIMEZONE, description="IANA time zone of due dates")
    late_fine_bps: int = Field(
        default=DEFAULT_LATE_FINE_BPS,
        ge=0,
        le=MAX_LATE_FINE_BPS,
        description="Late fine, basis points (200 = 2%)",
    )
    monthly_interest_bps: int = Field(
        default=DEFAULT_MONTHLY_INTEREST_BPS,
        ge=0,
        le=MAX_MONTHLY_INTEREST_BPS,
        description="Default interest per 30-day month, pro rata die, basis points (100 = 1%)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("timezone must be an IANA time zone such as America/Sao_Paulo") from None
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
    consents: dict[Channel, bool] = Field(default_factory=dict)


class DebtorUpdate(BaseModel):
    """Only the fields sent change; ``null`` clears a contact; consents merge per channel."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    whatsapp: Whatsapp | None = None
    preferred_channels: Channels | None = None
    consents: dict[Channel, bool] | None = None


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
            created_at=debtor.created_at,
            updated_at=debtor.updated_at,
        )


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId
    debtor_id: UUID
    amount_cents: PositiveCents
    due_date: date
    description: str | None = Field(default=None, max_length=500)


class InvoiceRead(BaseModel):
    id: UUID
    external_id: str
    debtor_id: UUID
    status: InvoiceStatus
    amount_cents: int
    currency: Literal["BRL"] = "BRL"
    due_date: date
    description: str | None
    late_fine_bps: int
    monthly_interest_bps: int
    as_of: date = Field(description="Tenant-local date the amounts below are computed for")
    days_overdue: int
    fine_cents: int
    interest_cents: int
    total_cents: int = Field(description="amount_cents + fine_cents + interest_cents")
    amount_paid_cents: int
    amount_due_cents: int = Field(description="What is still owed on as_of; never negative")
    overpaid_cents: int = Field(
        description="Paid beyond what was due (or anything paid for a cancelled invoice)"
    )
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
        amount = invoice.amount_today(today)
        cancelled = invoice.status == "cancelled"
        return cls(
            id=invoice.id,
            external_id=invoice.external_id,
            debtor_id=invoice.debtor_id,
            status=invoice.status,
            amount_cents=invoice.amount_cents,
            due_date=invoice.due_date,
            description=invoice.description,
            late_fine_bps=invoice.late_fine_bps,
            monthly_interest_bps=invoice.monthly_interest_bps,
            as_of=amount.as_of,
            days_overdue=amount.days_overdue,
            fine_cents=amount.fine_cents,
            interest_cents=amount.interest_cents,
            total_cents=amount.total_cents,
            amount_paid_cents=invoice.amount_paid_cents,
            # A cancelled invoice is owed no more; money received for it is to be given back.
            amount_due_cents=0 if cancelled else amount.amount_due_cents,
            overpaid_cents=invoice.amount_paid_cents if cancelled else amount.overpaid_cents,
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
