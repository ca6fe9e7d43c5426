"""The ports payments-service talks to a tenant's PSP and bank through.

Adapters (``adapters/pix_api``, ``adapters/bank_api``) implement them over
HTTP; use cases depend on these protocols only. Every figure is integer
centavos; rates are the invoice's frozen basis points.

Pix: a ``cobv`` (charge with due date) of the Banco Central's API Pix v2, so
the PSP prices fine and interest on the day the debtor pays. Boleto: a
registered boleto (FEBRABAN Nova Plataforma de Cobrança), fine and interest as
instructions the bank applies on late payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

CobvStatus = Literal["ATIVA", "CONCLUIDA", "REMOVIDA_PELO_USUARIO_RECEBEDOR", "REMOVIDA_PELO_PSP"]
BoletoStatus = Literal["registered", "paid", "written_off"]


class GatewayError(Exception):
    """The PSP or bank refused or failed a call. ``retryable`` when trying
    again later may succeed (timeouts, 5xx, 429); otherwise the request itself
    is wrong (4xx) and ``detail`` says why, without personal data."""

    def __init__(self, detail: str, *, status: int | None = None, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class Debtor:
    #: CPF (11 digits) or CNPJ (14 characters), no punctuation.
    document: str
    name: str


@dataclass(frozen=True, slots=True)
class CobvOrder:
    """What ``PUT /v2/cobv/{txid}`` (create) or ``PATCH`` (revise) sends."""

    txid: str
    due_date: date
    #: ``calendario.validadeAposVencimento``: days it stays payable after due.
    days_valid_after_due: int
    debtor: Debtor
    original_cents: int
    #: ``valor.multa`` modalidade 2 (percent) and ``valor.juros`` modalidade 3
    #: (percent a month, calendar days); 0 leaves the block out.
    fine_bps: int
    monthly_interest_bps: int
    #: ``valor.abatimento`` modalidade 1 (fixed value); 0 leaves it out.
    rebate_cents: int = 0
    #: ``solicitacaoPagador`` (shown to the payer, at most 140 characters).
    payer_message: str | None = None


@dataclass(frozen=True, slots=True)
class Cobv:
    txid: str
    revision: int
    status: CobvStatus
    #: The payload location (without scheme) the dynamic BR Code points to.
    location: str
    #: The dynamic BR Code the PSP returned (``pixCopiaECola``).
    pix_copy_paste: str
    original_cents: int
    due_date: date


@dataclass(frozen=True, slots=True)
class ReceivedPix:
    """One Pix received, as ``GET /v2/pix`` and the webhook list it."""

    end_to_end_id: str
    txid: str | None
    amount_cents: int
    paid_at: datetime


class PixGateway(Protocol):
    async def create_cobv(self, order: CobvOrder) -> Cobv: ...

    async def revise_cobv(self, order: CobvOrder) -> Cobv: ...

    async def remove_cobv(self, txid: str) -> Cobv: ...

    async def get_cobv(self, txid: str) -> Cobv: ...

    async def received_pix(self, start: datetime, end: datetime) -> list[ReceivedPix]:
        """Every Pix received in ``[start, end)``, all pages read."""
        ...


@dataclass(frozen=True, slots=True)
class BeneficiaryAccount:
    """The tenant's account at its bank: who is paid, and under which agreement."""

    bank_code: str
    agency: str
    account: str
    #: Convênio (agreement number) and carteira (wallet) with the bank.
    agreement: str
    wallet: str
    beneficiary_name: str
    #: CNPJ or CPF of the tenant, the beneficiário.
    beneficiary_document: str


@dataclass(frozen=True, slots=True)
class BoletoOrder:
    account: BeneficiaryAccount
    #: Unique per beneficiary account; assigned by payments-service.
    nosso_numero: int
    #: Our reference (the charge id), echoed by the bank in notifications.
    reference: str
    due_date: date
    amount_cents: int
    payer: Debtor
    fine_bps: int
    monthly_interest_bps: int
    #: Days after due the bank still accepts payment (then it writes off).
    days_valid_after_due: int


@dataclass(frozen=True, slots=True)
class RegisteredBoleto:
    nosso_numero: int
    status: BoletoStatus
    barcode: str
    digitable_line: str
    amount_cents: int
    due_date: date


class BankGateway(Protocol):
    async def register(self, order: BoletoOrder) -> RegisteredBoleto: ...

    async def write_off(self, account: BeneficiaryAccount, nosso_numero: int) -> RegisteredBoleto:
        """Baixa: the bank stops accepting payment of this boleto."""
        ...

    async def get(self, account: BeneficiaryAccount, nosso_numero: int) -> RegisteredBoleto: ...
