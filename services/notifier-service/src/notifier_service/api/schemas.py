"""API bodies. Message reads carry statuses, channels and times, never the
text or the debtor's address: the tenant already owns those, and a list of
collection messages is personal data we need not copy around."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AnyHttpUrl, BaseModel, Field, UrlConstraints, field_validator

from notifier_service.domain.channels import Channel
from regua_br.documents import is_valid_cnpj, normalise_document
from regua_platform.json_types import CNPJ, VISIBLE_TEXT


class TemplateRead(BaseModel):
    name: str
    description: str
    channels: list[Channel]
    tones: list[Literal["friendly", "firm", "final"]]


class CreditorUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=VISIBLE_TEXT)
    #: The creditor's CNPJ, with or without punctuation.
    document: Annotated[str, Field(min_length=14, max_length=18), CNPJ]
    address: str = Field(min_length=1, max_length=300, pattern=VISIBLE_TEXT)
    #: Where the portal links of this tenant's messages point (negotiation-service's portal).
    portal_base_url: Annotated[AnyHttpUrl, UrlConstraints(max_length=300)]

    @field_validator("document")
    @classmethod
    def _cnpj(cls, value: str) -> str:
        if not is_valid_cnpj(value):
            raise ValueError("not a valid CNPJ")
        return normalise_document(value)


class CreditorRead(BaseModel):
    name: str
    document: str
    address: str
    portal_base_url: str
    #: True while the tenant has not set its own (the service's demo default).
    is_default: bool


class AttemptRead(BaseModel):
    channel: Channel
    status: Literal["sending", "retrying", "sent", "failed"]
    attempts: int
    last_error: str | None


class MessageRead(BaseModel):
    id: UUID
    step_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    template: str
    tone: str
    status: Literal["pending", "sent", "failed", "suppressed"]
    channel: Channel | None
    provider: str | None
    provider_message_id: str | None
    reason: str | None
    #: A pending delivery's wait: "invoice", "debtor" or "charges" (their events have not arrived yet).
    waiting_for: str | None = None
    #: What a sent message went without, its wait for the charges having run out ("pix", "boleto").
    missing_instruments: list[str] | None = None
    attempts: int
    channel_attempts: list[AttemptRead]
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
