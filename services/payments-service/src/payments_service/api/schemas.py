"""API schemas of payments-service: ``<Thing>Create/Read/Update`` and the
gateways' webhook bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, field_validator

from regua_br.pix_amount import InvalidAmountError, parse_valor

Cents = StrictInt


class PixSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pix_key: str = Field(min_length=1, max_length=77)
    merchant_name: str = Field(min_length=1, max_length=100)
    merchant_city: str = Field(min_length=1, max_length=100)
    #: The HMAC key gateways sign webhooks with; stored encrypted, never returned.
    webhook_secret: str = Field(min_length=16, max_length=200)


class PixSettingsRead(BaseModel):
    pix_key: str
    merchant_name: str
    merchant_city: str
    webhook_secret_set: bool
    #: The secret's last 4 characters, to tell which one is configured.
    webhook_secret_last4: str | None
    updated_at: datetime | None
    #: True while the tenant has no settings of its own and charges use the service defaults.
    is_default: bool


class ChargeRead(BaseModel):
    id: UUID
    invoice_id: UUID
    debtor_id: UUID
    method: Literal["pix", "boleto", "card"]
    amount_cents: int
    currency: Literal["BRL"] = "BRL"
    due_date: date
    txid: str | None = None
    pix_copy_paste: str | None = None
    nosso_numero: int | None = None
    barcode: str | None = None
    digitable_line: str | None = None
    created_at: datetime


class ChargeDetailRead(ChargeRead):
    #: The BR Code as a QR image (``data:image/png;base64,...``), for Pix charges.
    qr_code_data_uri: str | None = None


class PaymentRead(BaseModel):
    id: UUID
    charge_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    method: Literal["pix", "boleto", "card"]
    gateway_reference: str
    amount_cents: int
    reversed_cents: int
    currency: Literal["BRL"] = "BRL"
    paid_at: datetime
    created_at: datetime


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: Cents = Field(gt=0, le=10**13)
    reason: str | None = Field(default=None, max_length=200)


class ReversalRead(BaseModel):
    id: UUID
    payment_id: UUID
    kind: Literal["refund", "chargeback"]
    amount_cents: int
    reason: str | None
    reversed_at: datetime
    #: False when this Idempotency-Key had already been used: nothing new happened.
    created: bool


def _cents(value: Any) -> int:
    if not isinstance(value, str):
        raise ValueError("valor must be a string like '110.00'")
    try:
        cents = parse_valor(value)
    except InvalidAmountError as exc:
        raise ValueError(str(exc)) from None
    if cents <= 0:
        raise ValueError("valor must be positive")
    return cents


class PixRefundHorario(BaseModel):
    model_config = ConfigDict(extra="ignore")

    solicitacao: AwareDatetime
    liquidacao: AwareDatetime | None = None


class PixRefundIn(BaseModel):
    """One ``devolucoes`` entry of the API Pix."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^[a-zA-Z0-9]{1,35}$")
    valor: int
    horario: PixRefundHorario
    status: str = Field(min_length=1, max_length=30)

    _valor = field_validator("valor", mode="before")(_cents)


class PixIn(BaseModel):
    """One received Pix of the API Pix callback. Other fields (``chave``,
    ``infoPagador``, ``componentesValor``...) are accepted and not kept."""

    model_config = ConfigDict(extra="ignore")

    endToEndId: str = Field(pattern=r"^[a-zA-Z0-9]{32}$")
    txid: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9]{1,35}$")
    valor: int
    horario: AwareDatetime
    devolucoes: list[PixRefundIn] = Field(default_factory=list, max_length=100)

    _valor = field_validator("valor", mode="before")(_cents)


class PixWebhook(BaseModel):
    """The body the API Pix POSTs to ``{webhookUrl}/pix``."""

    model_config = ConfigDict(extra="ignore")

    pix: list[PixIn] = Field(min_length=1, max_length=1000)


class BoletoWebhook(BaseModel):
    """A boleto settlement: name the boleto by its barcode or its linha digitável."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=100)
    barcode: str | None = Field(default=None, pattern=r"^[0-9]{44}$")
    digitable_line: str | None = Field(default=None, min_length=47, max_length=60)
    amount_cents: Cents = Field(gt=0, le=10**13)
    paid_at: AwareDatetime


class CardWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=100)
    type: Literal["capture", "refund", "chargeback"]
    charge_id: UUID | None = None
    payment_id: UUID | None = None
    amount_cents: Cents = Field(gt=0, le=10**13)
    occurred_at: AwareDatetime


class ItemResultRead(BaseModel):
    reference: str
    kind: Literal["payment", "reversal"]
    outcome: Literal["recorded", "duplicate", "unmatched", "refused", "ignored"]
    payment_id: UUID | None = None
    reversal_id: UUID | None = None
    detail: str | None = None
    reversals: list[ItemResultRead] = Field(default_factory=list)


class WebhookResultRead(BaseModel):
    results: list[ItemResultRead]
