"""negotiation-service events, version 1 (topic ``regua.agreement.events``)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from regua_contracts.base import CalendarDate, Cents, Currency, Instant, Payload


class InstallmentV1(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    installment_id: UUID
    number: int = Field(ge=1)
    due_date: CalendarDate
    amount_cents: Cents


class AgreementCreatedV1(Payload):
    agreement_id: UUID
    invoice_ids: list[UUID] = Field(min_length=1)
    original_amount_cents: Cents
    discount_cents: Cents
    total_cents: Cents
    currency: Currency = "BRL"
    installments: list[InstallmentV1] = Field(min_length=1)
    created_at: Instant


class AgreementBrokenV1(Payload):
    agreement_id: UUID
    invoice_ids: list[UUID] = Field(min_length=1)
    paid_cents: Cents
    reason: str = Field(min_length=1, max_length=200)
    broken_at: Instant


class AgreementCompletedV1(Payload):
    agreement_id: UUID
    invoice_ids: list[UUID] = Field(min_length=1)
    paid_cents: Cents
    completed_at: Instant


class AgreementPrepaidV1(Payload):
    """The debtor chose to pay the rest of an agreement at once (CDC art. 52
    §2: early payment reduces interest proportionally). The listed unpaid
    installments are replaced by one payoff installment: invoice-service
    cancels them and issues the payoff as an invoice (its id is
    ``payoff.installment_id``), so charges and reminders follow as usual."""

    agreement_id: UUID
    replaced_installment_ids: list[UUID] = Field(min_length=1)
    payoff: InstallmentV1
    #: Interest the early payment saves (what the replaced installments sum to, minus the payoff).
    interest_waived_cents: Cents
    currency: Currency = "BRL"
    prepaid_at: Instant
