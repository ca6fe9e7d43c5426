"""The PSP adapter: :class:`PixGateway` over the Banco Central's API Pix v2
(``cobv``, ``pix``), OAuth2 client credentials, mTLS-ready HTTP client
(:func:`payments_service.adapters.gateway_http.gateway_http_client`).

Choices where the API leaves room:

- Fine and interest go as ``multa`` modalidade 2 (percentage) and ``juros``
  modalidade 3 (percentage a month, calendar days), from the invoice's frozen
  basis points, so the PSP prices the debt on the day the debtor pays.
- ``PUT /cobv/{txid}`` is our create: replaying it must not fail a retry. A PSP
  answering the replay with an error (as some do for an existing txid) is
  asked ``GET /cobv/{txid}``; when that charge is the one we asked for (same
  value, due date and key) it is returned as created.
- A revision (``PATCH``) sends every block, with ``"0.00"`` for a rate now
  zero, because PATCH merges and an absent block would keep the old one.
- ``GET /pix`` has an inclusive ``fim``; :meth:`ApiPixClient.received_pix`
  reads every page and keeps ``start <= horario < end``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx

from payments_service.adapters.gateway_http import OAuthSession, error_of
from payments_service.adapters.gateway_http import gateway_http_client as gateway_http_client
from payments_service.domain.gateways import Cobv, CobvOrder, GatewayError, ReceivedPix
from regua_br.pix_amount import InvalidAmountError, format_cents, parse_valor

PAGE_SIZE = 100
#: A runaway pagination (a PSP announcing pages forever) stops here.
MAX_PAGES = 10_000
REMOVED = "REMOVIDA_PELO_USUARIO_RECEBEDOR"


def percent_of_bps(bps: int) -> str:
    """``200`` basis points -> ``"2.00"`` (percent, two decimals)."""
    if bps < 0:
        raise ValueError("basis points cannot be negative")
    return f"{bps // 100}.{bps % 100:02d}"


def cobv_body(order: CobvOrder, pix_key: str, *, revision: bool = False) -> dict[str, Any]:
    """The ``CobVSolicitada`` (or, with ``revision``, ``CobVRevisada``) body of an order."""
    document = order.debtor.document
    devedor = {"cpf" if len(document) == 11 else "cnpj": document, "nome": order.debtor.name[:200]}
    valor: dict[str, Any] = {"original": format_cents(order.original_cents)}
    if order.fine_bps or revision:
        valor["multa"] = {"modalidade": 2, "valorPerc": percent_of_bps(order.fine_bps)}
    if order.monthly_interest_bps or revision:
        valor["juros"] = {"modalidade": 3, "valorPerc": percent_of_bps(order.monthly_interest_bps)}
    if order.rebate_cents or revision:
        valor["abatimento"] = {"modalidade": 1, "valorPerc": format_cents(order.rebate_cents)}
    body: dict[str, Any] = {
        "calendario": {
            "dataDeVencimento": order.due_date.isoformat(),
            "validadeAposVencimento": order.days_valid_after_due,
        },
        "devedor": devedor,
        "valor": valor,
        "chave": pix_key,
    }
    if order.payer_message:
        body["solicitacaoPagador"] = order.payer_message[:140]
    return body


class ApiPixClient:
    """:class:`PixGateway` for one receiver (client id and Pix key) at one PSP."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        pix_key: str,
        http: httpx.AsyncClient,
        token_url: str | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._pix_key = pix_key
        self._session = OAuthSession(
            http=http,
            token_url=token_url or f"{self._base}/oauth/token",
            client_id=client_id,
            client_secret=client_secret,
            what="PSP",
        )

    def _url(self, path: str) -> str:
        return f"{self._base}/v2{path}"

    async def create_cobv(self, order: CobvOrder) -> Cobv:
        response = await self._session.request(
            "PUT",
            self._url(f"/cobv/{order.txid}"),
            "PUT /v2/cobv/{txid}",
            json=cobv_body(order, self._pix_key),
        )
        if response.status_code in (200, 201):
            return _cobv(response)
        if response.status_code in (400, 409):
            existing = await self._get(order.txid)
            if existing is not None and _same_charge(existing, order, self._pix_key):
                return _cobv_of(existing)
        raise error_of(response, "PSP PUT /v2/cobv")

    async def revise_cobv(self, order: CobvOrder) -> Cobv:
        body = cobv_body(order, self._pix_key, revision=True)
        response = await self._session.request(
            "PATCH", self._url(f"/cobv/{order.txid}"), "PATCH /v2/cobv/{txid}", json=body
        )
        if response.status_code == 200:
            return _cobv(response)
        raise error_of(response, "PSP PATCH /v2/cobv")

    async def remove_cobv(self, txid: str) -> Cobv:
        response = await self._session.request(
            "PATCH", self._url(f"/cobv/{txid}"), "PATCH /v2/cobv/{txid}", json={"status": REMOVED}
        )
        if response.status_code == 200:
            return _cobv(response)
        if response.status_code == 400:
            # Not ATIVA any more: removed before (a replay) or paid meanwhile; say which.
            existing = await self._get(txid)
            if existing is not None and existing.get("status") != "ATIVA":
                return _cobv_of(existing)
        raise error_of(response, "PSP PATCH /v2/cobv")

    async def get_cobv(self, txid: str) -> Cobv:
        existing = await self._get(txid)
        if existing is None:
            raise GatewayError("PSP GET /v2/cobv answered 404: no such cobv", status=404, retryable=False)
        return _cobv_of(existing)

    async def _get(self, txid: str) -> dict[str, Any] | None:
        response = await self._session.request("GET", self._url(f"/cobv/{txid}"), "GET /v2/cobv/{txid}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise error_of(response, "PSP GET /v2/cobv")
        return _json(response)

    async def received_pix(self, start: datetime, end: datetime) -> list[ReceivedPix]:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        received: list[ReceivedPix] = []
        page = 0
        while page < MAX_PAGES:
            response = await self._session.request(
                "GET",
                self._url("/pix"),
                "GET /v2/pix",
                params={
                    "inicio": start.isoformat(),
                    "fim": end.isoformat(),
                    "paginacao.paginaAtual": page,
                    "paginacao.itensPorPagina": PAGE_SIZE,
                },
            )
            if response.status_code != 200:
                raise error_of(response, "PSP GET /v2/pix")
            body = _json(response)
            try:
                items = body["pix"]
                pages = int(body["parametros"]["paginacao"]["quantidadeDePaginas"])
                for item in items:
                    pix = ReceivedPix(
                        end_to_end_id=str(item["endToEndId"]),
                        txid=item.get("txid"),
                        amount_cents=parse_valor(item["valor"]),
                        paid_at=datetime.fromisoformat(item["horario"]),
                    )
                    if start <= pix.paid_at < end:
                        received.append(pix)
            except (KeyError, TypeError, ValueError, InvalidAmountError):
                raise GatewayError(
                    "PSP GET /v2/pix answer is malformed", status=200, retryable=False
                ) from None
            page += 1
            if page >= pages:
                break
        return received


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GatewayError(
            "PSP answered something that is not a JSON object", status=response.status_code, retryable=False
        )
    return body


def _cobv(response: httpx.Response) -> Cobv:
    return _cobv_of(_json(response))


def _cobv_of(body: dict[str, Any]) -> Cobv:
    try:
        code = body.get("pixCopiaECola")
        if not code:
            raise KeyError("pixCopiaECola")
        return Cobv(
            txid=str(body["txid"]),
            revision=int(body["revisao"]),
            status=body["status"],
            location=str(body["loc"]["location"] if "loc" in body else body["location"]),
            pix_copy_paste=str(code),
            original_cents=parse_valor(body["valor"]["original"]),
            due_date=date.fromisoformat(body["calendario"]["dataDeVencimento"]),
        )
    except (KeyError, TypeError, ValueError, InvalidAmountError):
        raise GatewayError("PSP cobv answer is malformed", status=200, retryable=False) from None


def _same_charge(body: dict[str, Any], order: CobvOrder, pix_key: str) -> bool:
    try:
        return (
            body.get("chave") == pix_key
            and parse_valor(body["valor"]["original"]) == order.original_cents
            and body["calendario"]["dataDeVencimento"] == order.due_date.isoformat()
        )
    except (KeyError, TypeError, InvalidAmountError):
        return False
