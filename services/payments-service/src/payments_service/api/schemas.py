"""API schemas of payments-service: ``<Thing>Create/Read/Update`` and the
gateways' webhook bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from regua_br.documents import InvalidDocument, normalise_document
from regua_br.pix_amount import parse_valor
from regua_platform.json_types import CPF_CNPJ, TEXT, VISIBLE_TEXT, JsonBool, JsonInt

Cents = JsonInt


#: Something printable besides spaces (what a BR Code name or city needs), no control character.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*[!-~][^\x00-\x1f\x7f]*$"
#: A Pix key: not blank.
_PIX_KEY = VISIBLE_TEXT
#: What :func:`_gateway_url` accepts, as a pattern. Plain http is further
#: limited to the hosts of the ``GATEWAYS__PLAIN_HTTP_HOSTS`` setting (the dev
#: sandboxes; loopback by default), checked by the route: a 422 otherwise.
GATEWAY_URL = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$"


class PixSettingsUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # The model validator below, said in JSON Schema.
            "if": {"properties": {"static_codes": {"const": True}}, "required": ["static_codes"]},
            "then": {
                "required": ["pix_key", "merchant_name", "merchant_city"],
                "properties": {
                    "pix_key": {"type": "string"},
                    "merchant_name": {"type": "string"},
                    "merchant_city": {"type": "string"},
                },
            },
        },
    )

    #: The HMAC key gateways (and the PSP) sign webhooks with; stored encrypted, never returned.
    webhook_secret: str = Field(min_length=16, max_length=200, pattern=TEXT)
    #: The explicit static-code option: a static BR Code on this plain key for
    #: tenants without a PSP account (txid of at most 25 characters). Off by
    #: default: without a PSP account and without it, invoices get no Pix charge.
    static_codes: JsonBool = False
    pix_key: str | None = Field(default=None, min_length=1, max_length=77, pattern=_PIX_KEY)
    merchant_name: str | None = Field(default=None, min_length=1, max_length=100, pattern=_PRINTABLE)
    merchant_city: str | None = Field(default=None, min_length=1, max_length=100, pattern=_PRINTABLE)

    @model_validator(mode="after")
    def _static_needs_an_account(self) -> PixSettingsUpdate:
        if self.static_codes and not (self.pix_key and self.merchant_name and self.merchant_city):
            raise ValueError("static_codes needs pix_key, merchant_name and merchant_city")
        return self


class PixSettingsRead(BaseModel):
    static_codes: bool
    pix_key: str | None
    merchant_name: str | None
    merchant_city: str | None
    webhook_secret_set: bool
    #: The secret's last 4 characters, to tell which one is configured.
    webhook_secret_last4: str | None
    updated_at: datetime | None


def _gateway_url(value: str | None) -> str | None:
    """An absolute http(s) URL; which hosts may take plain http is the route's
    check (:func:`plain_http_refused`), a deployment setting."""
    if value is None:
        return None
    parsed = urlsplit(value)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise ValueError("must be an absolute https URL")
    if parsed.username or parsed.password or parsed.query or parsed.fragment:
        raise ValueError("must carry no credentials, query or fragment")
    return value.rstrip("/")


def plain_http_refused(url: str | None, allowed_hosts: list[str]) -> str | None:
    """Why ``url`` may not be used, or None: plain http only to ``allowed_hosts``."""
    if url is None:
        return None
    parsed = urlsplit(url)
    if parsed.scheme == "http" and parsed.hostname not in allowed_hosts:
        hosts = ", ".join(allowed_hosts) or "none"
        return f"{url} must use https: plain http is allowed only to {hosts} (GATEWAYS__PLAIN_HTTP_HOSTS)"
    return None


class PspAccountUpdate(BaseModel):
    """The tenant's account at its PSP (Banco Central API Pix v2)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # The model validator below, said in JSON Schema: both paths or neither.
            "anyOf": [
                {
                    "properties": {
                        "client_cert_path": {"type": "null"},
                        "client_key_path": {"type": "null"},
                    }
                },
                {
                    "required": ["client_cert_path", "client_key_path"],
                    "properties": {
                        "client_cert_path": {"type": "string"},
                        "client_key_path": {"type": "string"},
                    },
                },
            ]
        },
    )

    base_url: str = Field(max_length=300, pattern=GATEWAY_URL)
    #: OAuth2 token endpoint; default ``{base_url}/oauth/token``.
    token_url: str | None = Field(default=None, max_length=300, pattern=GATEWAY_URL)
    client_id: str = Field(min_length=1, max_length=200, pattern=TEXT)
    #: Stored encrypted, never returned.
    client_secret: str = Field(min_length=8, max_length=500, pattern=TEXT)
    #: The receiver's Pix key.
    pix_key: str = Field(min_length=1, max_length=77, pattern=_PIX_KEY)
    #: mTLS (production PSPs demand it): paths the service can read.
    client_cert_path: str | None = Field(default=None, min_length=1, max_length=500, pattern=TEXT)
    client_key_path: str | None = Field(default=None, min_length=1, max_length=500, pattern=TEXT)
    ca_bundle_path: str | None = Field(default=None, min_length=1, max_length=500, pattern=TEXT)
    #: ``validadeAposVencimento``: days a cobv stays payable after its due date.
    days_valid_after_due: JsonInt = Field(default=30, ge=0, le=365)

    _urls = field_validator("base_url", "token_url")(_gateway_url)

    @model_validator(mode="after")
    def _cert_and_key(self) -> PspAccountUpdate:
        if (self.client_cert_path is None) != (self.client_key_path is None):
            raise ValueError("client_cert_path and client_key_path go together")
        return self


class PspAccountRead(BaseModel):
    base_url: str
    token_url: str | None
    client_id: str
    client_secret_last4: str
    pix_key: str
    client_cert_path: str | None
    client_key_path: str | None
    ca_bundle_path: str | None
    days_valid_after_due: int
    updated_at: datetime
    #: The end of the last reconciliation sweep (``GET /v2/pix``).
    swept_until: datetime | None


class BankAccountUpdate(BaseModel):
    """The tenant's beneficiary account at its bank (registered boletos)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(max_length=300, pattern=GATEWAY_URL)
    client_id: str = Field(min_length=1, max_length=200, pattern=TEXT)
    client_secret: str = Field(min_length=8, max_length=500, pattern=TEXT)
    #: COMPE code of the bank.
    bank_code: str = Field(pattern=r"^[0-9]{3}$")
    agency: str = Field(pattern=r"^[0-9]{1,10}$")
    account: str = Field(pattern=r"^[0-9]{1,20}$")
    #: Convênio and carteira agreed with the bank.
    agreement: str = Field(pattern=r"^[0-9]{1,20}$")
    wallet: str = Field(pattern=r"^[0-9A-Za-z]{1,5}$")
    #: The tenant, as beneficiário: its name and CNPJ (or CPF).
    beneficiary_name: str = Field(min_length=1, max_length=100, pattern=VISIBLE_TEXT)
    beneficiary_document: Annotated[str, Field(min_length=11, max_length=18), CPF_CNPJ]
    days_valid_after_due: JsonInt = Field(default=30, ge=0, le=365)

    _url = field_validator("base_url")(_gateway_url)

    @field_validator("beneficiary_document")
    @classmethod
    def _document(cls, value: str) -> str:
        try:
            return normalise_document(value)
        except InvalidDocument as exc:
            raise ValueError(str(exc)) from None


class BankAccountRead(BaseModel):
    id: UUID
    base_url: str
    client_id: str
    client_secret_last4: str
    bank_code: str
    agency: str
    account: str
    agreement: str
    wallet: str
    beneficiary_name: str
    beneficiary_document: str
    days_valid_after_due: int
    updated_at: datetime


class ChargeRead(BaseModel):
    id: UUID
    invoice_id: UUID
    debtor_id: UUID
    method: Literal["pix", "boleto", "card"]
    #: ``cobv`` (Pix at the tenant's PSP), ``static`` (static BR Code, the
    #: plain-key option), ``boleto`` (registered at the tenant's bank).
    kind: Literal["cobv", "static", "boleto", "card"]
    #: ``pending`` (at its gateway soon), ``active`` (payable), ``not_configured``
    #: (the tenant has no account for this method: nothing to pay), ``failed``
    #: (the gateway refused it: see ``status_reason``), ``removed``.
    status: Literal["pending", "active", "not_configured", "failed", "removed"]
    status_reason: str | None = None
    amount_cents: int
    currency: Literal["BRL"] = "BRL"
    due_date: date
    fine_bps: int
    monthly_interest_bps: int
    days_valid_after_due: int
    txid: str | None = None
    pix_copy_paste: str | None = None
    nosso_numero: int | None = None
    barcode: str | None = None
    digitable_line: str | None = None
    created_at: datetime
    updated_at: datetime


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
    reason: str | None = Field(default=None, max_length=200, pattern=TEXT)


class ReversalRead(BaseModel):
    id: UUID
    payment_id: UUID
    kind: Literal["refund", "chargeback"]
    amount_cents: int
    reason: str | None
    reversed_at: datetime
    #: False when this Idempotency-Key had already been used: nothing new happened.
    created: bool


#: The API Pix's ``valor``: up to 10 integer digits and exactly 2 decimals (``"110.00"``).
PIX_VALOR = r"^[0-9]{1,10}\.[0-9]{2}$"


def _positive_valor(value: str) -> str:
    if parse_valor(value) <= 0:
        raise ValueError("valor must be positive")
    return value


class PixRefundHorario(BaseModel):
    model_config = ConfigDict(extra="ignore")

    solicitacao: AwareDatetime
    liquidacao: AwareDatetime | None = None


class PixRefundIn(BaseModel):
    """One ``devolucoes`` entry of the API Pix."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^[a-zA-Z0-9]{1,35}$")
    valor: str = Field(pattern=PIX_VALOR, description="Decimal reais, 2 decimals, greater than zero")
    horario: PixRefundHorario
    status: str = Field(min_length=1, max_length=30)

    _valor = field_validator("valor")(_positive_valor)


class PixIn(BaseModel):
    """One received Pix of the API Pix callback. Other fields (``chave``,
    ``infoPagador``, ``componentesValor``...) are accepted and not kept."""

    model_config = ConfigDict(extra="ignore")

    endToEndId: str = Field(pattern=r"^[a-zA-Z0-9]{32}$")
    txid: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9]{1,35}$")
    valor: str = Field(pattern=PIX_VALOR, description="Decimal reais, 2 decimals, greater than zero")
    horario: AwareDatetime
    devolucoes: list[PixRefundIn] = Field(default_factory=list, max_length=20)

    _valor = field_validator("valor")(_positive_valor)


class PixWebhook(BaseModel):
    """The body the API Pix POSTs to ``{webhookUrl}/pix``."""

    model_config = ConfigDict(extra="ignore")

    #: At most 200 per callback: within the 1 MiB body cap whatever the items carry.
    pix: list[PixIn] = Field(min_length=1, max_length=200)


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
