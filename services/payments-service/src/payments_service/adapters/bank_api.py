"""The bank adapter: :class:`BankGateway` over the boleto registration API
documented in docs/psp-and-bank.md (OAuth2 client credentials; register, get,
write-off). Fine and interest travel as instructions (percent, percent a
month), so the bank charges them on late payment; the amount is the principal.

A registration replayed with the same data is answered with the same boleto;
the same nosso número with other data is a non-retryable ``GatewayError``
(status 409). Writing off a boleto already paid returns it as ``paid``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from payments_service.adapters.gateway_http import OAuthSession, error_of
from payments_service.adapters.gateway_http import gateway_http_client as gateway_http_client
from payments_service.adapters.pix_api import percent_of_bps
from payments_service.domain.gateways import (
    BeneficiaryAccount,
    BoletoOrder,
    GatewayError,
    RegisteredBoleto,
)
from regua_br.pix_amount import InvalidAmountError, format_cents, parse_valor


def registration_body(order: BoletoOrder) -> dict[str, Any]:
    account = order.account
    body: dict[str, Any] = {
        "beneficiary": {
            "bank_code": account.bank_code,
            "agency": account.agency,
            "account": account.account,
            "agreement": account.agreement,
            "wallet": account.wallet,
            "name": account.beneficiary_name[:100],
            "document": account.beneficiary_document,
        },
        "nosso_numero": order.nosso_numero,
        "reference": order.reference,
        "due_date": order.due_date.isoformat(),
        "amount": format_cents(order.amount_cents),
        "payer": {"document": order.payer.document, "name": order.payer.name[:100]},
        "days_valid_after_due": order.days_valid_after_due,
    }
    if order.fine_bps:
        body["fine"] = {"percent": percent_of_bps(order.fine_bps)}
    if order.monthly_interest_bps:
        body["interest"] = {"monthly_percent": percent_of_bps(order.monthly_interest_bps)}
    return body


class BankApiClient:
    """:class:`BankGateway` for one client at one bank (``base_url``)."""

    def __init__(self, *, base_url: str, client_id: str, client_secret: str, http: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._session = OAuthSession(
            http=http,
            token_url=f"{self._base}/oauth/token",
            client_id=client_id,
            client_secret=client_secret,
            what="bank",
        )

    def _boleto_url(self, account: BeneficiaryAccount, nosso_numero: int, suffix: str = "") -> str:
        return f"{self._base}/v1/agreements/{account.agreement}/boletos/{nosso_numero}{suffix}"

    async def register(self, order: BoletoOrder) -> RegisteredBoleto:
        response = await self._session.request(
            "POST", f"{self._base}/v1/boletos", "POST /v1/boletos", json=registration_body(order)
        )
        if response.status_code in (200, 201):
            return _boleto(response)
        raise error_of(response, "bank POST /v1/boletos")

    async def write_off(self, account: BeneficiaryAccount, nosso_numero: int) -> RegisteredBoleto:
        response = await self._session.request(
            "POST",
            self._boleto_url(account, nosso_numero, "/write-off"),
            "POST /v1/agreements/{agreement}/boletos/{nosso_numero}/write-off",
        )
        if response.status_code == 200:
            return _boleto(response)
        if response.status_code == 409:
            return await self.get(account, nosso_numero)
        raise error_of(response, "bank write-off")

    async def get(self, account: BeneficiaryAccount, nosso_numero: int) -> RegisteredBoleto:
        response = await self._session.request(
            "GET",
            self._boleto_url(account, nosso_numero),
            "GET /v1/agreements/{agreement}/boletos/{nosso_numero}",
        )
        if response.status_code == 200:
            return _boleto(response)
        raise error_of(response, "bank GET boleto")


def _boleto(response: httpx.Response) -> RegisteredBoleto:
    try:
        body = response.json()
        return RegisteredBoleto(
            nosso_numero=int(body["nosso_numero"]),
            status=body["status"],
            barcode=str(body["barcode"]),
            digitable_line=str(body["digitable_line"]),
            amount_cents=parse_valor(body["amount"]),
            due_date=date.fromisoformat(body["due_date"]),
        )
    except (KeyError, TypeError, ValueError, InvalidAmountError):
        raise GatewayError(
            "bank boleto answer is malformed", status=response.status_code, retryable=False
        ) from None
