"""PSP sandbox: the subset of the Banco Central's API Pix v2 that Régua speaks,
for several receivers at once (one OAuth2 client = one receiver with its Pix key).

API Pix (bearer token from ``POST /oauth/token`` on every call):

- ``PUT /v2/cobv/{txid}`` create (201); the same body again answers 200 with the
  charge unchanged (an idempotent replay); a different body revises an ``ATIVA``
  charge (``revisao`` + 1) and is refused (400) otherwise.
- ``PATCH /v2/cobv/{txid}`` revise (fields given replace, ``valor`` and
  ``calendario`` merge field by field); ``{"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"}``
  alone removes it. Only an ``ATIVA`` charge can be revised.
- ``GET /v2/cobv/{txid}[?revisao=n]``, ``GET /v2/pix?inicio&fim`` (paginated),
  ``PUT|GET|DELETE /v2/webhook/{chave}``.
- ``GET /qr/v2/cobv/{token}?DPP=YYYY-MM-DD``: the location the dynamic BR Code
  points to, open (no token), serving ``CobVPayload`` with the value on the
  intended payment date (JSON here; a signed JWS at a real PSP).

Errors are RFC 7807 ``Problema`` with ``type`` ``https://pix.bcb.gov.br/api/v2/error/<TipoErro>``.

Sandbox-only (no token): ``POST /sandbox/clients`` registers a receiver,
``GET /sandbox/cobv/{txid}/value?on=`` the value on a day,
``POST /sandbox/cobv/{txid}/simulate-payment`` settles it and calls the webhook,
``PUT /sandbox/faults`` makes the next API calls fail, ``POST /sandbox/tokens/revoke``
expires every token, ``PUT /sandbox/clock`` shifts "today".

Webhook callbacks go to ``{webhookUrl}/pix`` (the spec appends ``/pix``; as at
several PSPs, a URL ending in ``?ignorar=`` keeps its own path). Production
callbacks are authenticated by mTLS; the sandbox's stand-in is the NON-standard
header ``X-Sandbox-Webhook-Secret`` on ``PUT /v2/webhook/{chave}``: when given,
callbacks carry ``X-Regua-Signature`` computed with it, as payments-service's
webhook endpoint expects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import secrets
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

import httpx
from fastapi import Body, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from regua_br.brcode import build_dynamic_brcode
from regua_devtools.sandboxes import pix_schemas as api
from regua_devtools.sandboxes.charges import Rule, Terms, UnsupportedModality, Value, money, value_on
from regua_devtools.sandboxes.common import (
    TIMEZONE,
    FaultUpdate,
    OAuthServer,
    SandboxClock,
    add_ops_routes,
    free_port,
    serving,
    sign,
)
from regua_devtools.sandboxes.common import Fault as _Fault

log = logging.getLogger("regua.sandbox.psp")

DEFAULT_PORT = 8026
ERROR_TYPE = "https://pix.bcb.gov.br/api/v2/error/"
#: ISPB standing for the payer's PSP in the endToEndIds the sandbox makes up.
PAYER_ISPB = "99999999"
_ALNUM = string.ascii_letters + string.digits


@dataclass
class Receiver:
    """An OAuth2 client of the PSP: a receiver (usuário recebedor) and its key."""

    client_id: str
    pix_key: str
    name: str
    city: str
    cnpj: str


@dataclass
class StoredCobv:
    client_id: str
    txid: str
    created_at: datetime
    loc_id: int
    location: str
    #: Every revision's normalised ``CobVSolicitada`` (index = revisao).
    revisions: list[dict[str, Any]]
    status: str = "ATIVA"
    pix: list[dict[str, Any]] = field(default_factory=list)

    @property
    def revision(self) -> int:
        return len(self.revisions) - 1

    @property
    def body(self) -> dict[str, Any]:
        return self.revisions[-1]


@dataclass
class Webhook:
    url: str
    secret: str | None
    created_at: datetime


@dataclass
class ReceivedPix:
    client_id: str
    at: datetime
    body: dict[str, Any]


@dataclass
class PspStore:
    clock: SandboxClock
    oauth: OAuthServer
    receivers: dict[str, Receiver] = field(default_factory=dict)
    cobvs: dict[tuple[str, str], StoredCobv] = field(default_factory=dict)
    #: location token -> (client id, txid)
    locations: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (client id, chave) -> webhook
    webhooks: dict[tuple[str, str], Webhook] = field(default_factory=dict)
    received: list[ReceivedPix] = field(default_factory=list)
    #: Every callback attempt: {"url", "status", "pix"} (status None when unreachable).
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    next_loc_id: int = 1

    def add_receiver(
        self,
        *,
        client_id: str,
        client_secret: str,
        pix_key: str,
        name: str = "Recebedor Sandbox",
        city: str = "Sao Paulo",
        cnpj: str = "12345678000195",
    ) -> Receiver:
        self.oauth.add(client_id, client_secret)
        receiver = Receiver(client_id, pix_key, name, city, cnpj)
        self.receivers[client_id] = receiver
        return receiver

    def find(self, txid: str, client_id: str | None = None) -> StoredCobv | None:
        if client_id is not None:
            return self.cobvs.get((client_id, txid))
        found = [c for (_, t), c in self.cobvs.items() if t == txid]
        return found[0] if len(found) == 1 else None


def problem(
    status: int, kind: str, title: str, detail: str, violations: list[dict[str, str]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"type": ERROR_TYPE + kind, "title": title, "status": status, "detail": detail}
    if violations:
        body["violacoes"] = violations
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _violations(exc: ValidationError, prefix: str) -> list[dict[str, str]]:
    return [
        {"razao": e["msg"], "propriedade": ".".join([prefix, *(str(p) for p in e["loc"])])}
        for e in exc.errors(include_url=False, include_input=False)
    ]


def _terms(body: dict[str, Any]) -> Terms:
    valor = body["valor"]

    def rule(name: str) -> Rule | None:
        block = valor.get(name)
        return Rule(block["modalidade"], Decimal(block["valorPerc"])) if block else None

    desconto = valor.get("desconto") or {}
    calendario = body["calendario"]
    return Terms(
        due_date=date.fromisoformat(calendario["dataDeVencimento"]),
        days_valid_after_due=calendario.get("validadeAposVencimento", 30),
        original=Decimal(valor["original"]),
        fine=rule("multa"),
        interest=rule("juros"),
        rebate=rule("abatimento"),
        discount_modality=desconto.get("modalidade"),
        discounts=[
            (date.fromisoformat(d["data"]), Decimal(d["valorPerc"]))
            for d in desconto.get("descontoDataFixa") or []
        ],
    )


def _normalise(model: BaseModel) -> dict[str, Any]:
    body = model.model_dump(mode="json", exclude_none=True)
    body.setdefault("calendario", {}).setdefault("validadeAposVencimento", 30)
    body.pop("loc", None)
    return body


def _merge(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in patch.items():
        if key in ("valor", "calendario") and isinstance(value, dict):
            merged[key] = {**current.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


def _end_to_end_id(at: datetime) -> str:
    """``E`` + ISPB (8) + ``yyyyMMddHHmm`` (12) + 11 alphanumerics: the SPI's format."""
    return f"E{PAYER_ISPB}{at.astimezone(UTC):%Y%m%d%H%M}" + "".join(
        secrets.choice(_ALNUM) for _ in range(11)
    )


def _valor_block(value: Value) -> dict[str, str]:
    block = {"original": money(value.original)}
    for name, amount in (
        ("multa", value.fine),
        ("juros", value.interest),
        ("abatimento", value.rebate),
        ("desconto", value.discount),
    ):
        if amount:
            block[name] = money(amount)
    block["final"] = money(value.final)
    return block


class PaymentSimulation(BaseModel):
    on: date | None = None
    amount: str | None = Field(default=None, pattern=api.VALOR)
    infoPagador: str | None = Field(default=None, max_length=140)


class ReceiverCreate(BaseModel):
    client_id: str = Field(min_length=1, max_length=100)
    client_secret: str = Field(min_length=1, max_length=200)
    pix_key: str = Field(min_length=1, max_length=77)
    name: str = Field(default="Recebedor Sandbox", min_length=1, max_length=200)
    city: str = Field(default="Sao Paulo", min_length=1, max_length=200)
    cnpj: str = Field(default="12345678000195", pattern=api.CNPJ)


class TokenSettings(BaseModel):
    token_ttl_seconds: int = Field(ge=1, le=86_400)


Auth = Annotated[str | None, Header()]


def create_psp_app(store: PspStore) -> FastAPI:
    app = FastAPI(title="Régua PSP sandbox (API Pix v2 subset)", version="0.1.0")
    add_ops_routes(app, store.clock)

    def authorise(authorization: str | None) -> tuple[Receiver | None, JSONResponse | None]:
        client_id = store.oauth.client_of(authorization)
        if client_id is None or client_id not in store.receivers:
            return None, JSONResponse(
                {
                    "type": ERROR_TYPE + "AcessoNegado",
                    "title": "Não autorizado",
                    "status": 401,
                    "detail": "Token de acesso ausente, inválido ou expirado.",
                },
                status_code=401,
                media_type="application/problem+json",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if (status := store.oauth.take_fault()) is not None:
            return None, problem(
                status, "ServicoIndisponivel", "Serviço Indisponível", "Falha simulada pelo sandbox."
            )
        return store.receivers[client_id], None

    def generated(cobv: StoredCobv, *, complete: bool = False) -> dict[str, Any]:
        receiver = store.receivers[cobv.client_id]
        body = cobv.body
        out: dict[str, Any] = {
            "calendario": {"criacao": cobv.created_at.isoformat(), **body["calendario"]},
            "txid": cobv.txid,
            "revisao": cobv.revision,
            "devedor": body["devedor"],
            "recebedor": _recebedor(receiver),
            "loc": {
                "id": cobv.loc_id,
                "location": cobv.location,
                "tipoCob": "cobv",
                "criacao": cobv.created_at.isoformat(),
            },
            "location": cobv.location,
            "status": cobv.status,
            "valor": body["valor"],
            "chave": body["chave"],
            "pixCopiaECola": build_dynamic_brcode(
                location=cobv.location, merchant_name=receiver.name, merchant_city=receiver.city
            ),
        }
        for optional in ("solicitacaoPagador", "infoAdicionais"):
            if optional in body:
                out[optional] = body[optional]
        if complete and cobv.pix:
            out["pix"] = cobv.pix
        return out

    def semantic_check(
        receiver: Receiver, body: dict[str, Any], *, new_due_date: bool
    ) -> JSONResponse | None:
        violations: list[dict[str, str]] = []
        if body["chave"] != receiver.pix_key:
            violations.append(
                {"razao": "A chave não pertence a este usuário recebedor.", "propriedade": "cobv.chave"}
            )
        terms = _terms(body)
        if new_due_date and terms.due_date < store.clock.today():
            violations.append(
                {
                    "razao": "A data de vencimento é anterior à data de criação da cobrança.",
                    "propriedade": "cobv.calendario.dataDeVencimento",
                }
            )
        if terms.original <= 0:
            violations.append({"razao": "O valor original é zero.", "propriedade": "cobv.valor.original"})
        if terms.rebate is not None:
            rebate = (
                terms.rebate.value
                if terms.rebate.modality == 1
                else terms.original * terms.rebate.value / 100
            )
            if rebate >= terms.original or (terms.rebate.modality == 2 and terms.rebate.value >= 100):
                violations.append(
                    {
                        "razao": "O abatimento é maior ou igual ao valor original.",
                        "propriedade": "cobv.valor.abatimento",
                    }
                )
        if any(d > terms.due_date for d, _ in terms.discounts):
            violations.append(
                {"razao": "Desconto com data posterior ao vencimento.", "propriedade": "cobv.valor.desconto"}
            )
        try:
            value_on(terms, store.clock.today())
        except UnsupportedModality as exc:
            violations.append({"razao": str(exc), "propriedade": "cobv.valor"})
        if violations:
            return problem(
                400,
                "CobVOperacaoInvalida",
                "Cobrança inválida.",
                "A requisição que busca alterar ou criar uma cobrança com vencimento não respeita o "
                "schema ou está semanticamente errada.",
                violations,
            )
        return None

    @app.post("/oauth/token", tags=["oauth"])
    async def token(request: Request, authorization: Auth = None) -> Response:
        return store.oauth.issue(authorization, await request.body())

    @app.put("/v2/cobv/{txid}", tags=["CobV"])
    async def put_cobv(txid: str, request: Request, authorization: Auth = None) -> Response:
        receiver, refused = authorise(authorization)
        if refused is not None or receiver is None:
            return refused or problem(401, "AcessoNegado", "Não autorizado", "")
        if not _valid_txid(txid):
            return problem(
                400,
                "CobVOperacaoInvalida",
                "Cobrança inválida.",
                "txid deve ter 26 a 35 letras e dígitos.",
                [{"razao": "txid não respeita o schema.", "propriedade": "cobv.txid"}],
            )
        try:
            model = api.CobVSolicitada.model_validate_json(await request.body())
        except ValidationError as exc:
            return problem(
                400,
                "CobVOperacaoInvalida",
                "Cobrança inválida.",
                "A requisição não respeita o schema.",
                _violations(exc, "cobv"),
            )
        body = _normalise(model)
        existing = store.cobvs.get((receiver.client_id, txid))
        if existing is not None:
            if body == existing.body:
                return JSONResponse(generated(existing), status_code=200)
            if existing.status != "ATIVA":
                return problem(
                    400,
                    "CobVOperacaoInvalida",
                    "Operação inválida.",
                    "A cobrança já existe, não está ATIVA, e a presente requisição busca alterá-la.",
                )
            changed_date = (
                body["calendario"]["dataDeVencimento"] != existing.body["calendario"]["dataDeVencimento"]
            )
            if (bad := semantic_check(receiver, body, new_due_date=changed_date)) is not None:
                return bad
            existing.revisions.append(body)
            return JSONResponse(generated(existing), status_code=200)
        if (bad := semantic_check(receiver, body, new_due_date=True)) is not None:
            return bad
        token = secrets.token_hex(16)
        location = f"{request.base_url.netloc}/qr/v2/cobv/{token}"
        cobv = StoredCobv(receiver.client_id, txid, store.clock.now(), store.next_loc_id, location, [body])
        store.next_loc_id += 1
        store.cobvs[(receiver.client_id, txid)] = cobv
        store.locations[token] = (receiver.client_id, txid)
        log.info("sandbox.psp.cobv_created", extra={"txid": txid})
        return JSONResponse(generated(cobv), status_code=201)

    @app.patch("/v2/cobv/{txid}", tags=["CobV"])
    async def patch_cobv(txid: str, request: Request, authorization: Auth = None) -> Response:
        receiver, refused = authorise(authorization)
        if refused is not None or receiver is None:
            return refused or problem(401, "AcessoNegado", "Não autorizado", "")
        cobv = store.cobvs.get((receiver.client_id, txid))
        if cobv is None:
            return problem(
                404,
                "CobVNaoEncontrada",
                "Cobrança não encontrada.",
                "Cobrança com vencimento não encontrada para o txid informado.",
            )
        try:
            model = api.CobVRevisada.model_validate_json(await request.body())
        except ValidationError as exc:
            return problem(
                400,
                "CobVOperacaoInvalida",
                "Cobrança inválida.",
                "A requisição não respeita o schema.",
                _violations(exc, "cobv"),
            )
        if cobv.status != "ATIVA":
            return problem(
                400,
                "CobVOperacaoInvalida",
                "Operação inválida.",
                "Cobrança não encontra-se mais com o status ATIVA: somente cobranças ativas são revisadas.",
            )
        patch = model.model_dump(mode="json", exclude_none=True)
        patch.pop("loc", None)  # a loc change alone does not revise the charge
        status = patch.pop("status", None)
        if status is not None:
            if patch:
                return problem(
                    400,
                    "CobVOperacaoInvalida",
                    "Operação inválida.",
                    "Não é possível remover a cobrança e alterá-la na mesma requisição.",
                )
            cobv.status = status
            cobv.revisions.append(cobv.body)
            store.locations = {t: k for t, k in store.locations.items() if k != (receiver.client_id, txid)}
            log.info("sandbox.psp.cobv_removed", extra={"txid": txid})
            return JSONResponse(generated(cobv), status_code=200)
        merged = _merge(cobv.body, patch)
        try:
            merged = _normalise(api.CobVSolicitada.model_validate(merged))
        except ValidationError as exc:
            return problem(
                400,
                "CobVOperacaoInvalida",
                "Cobrança inválida.",
                "A cobrança revisada não respeita o schema.",
                _violations(exc, "cobv"),
            )
        if merged != cobv.body:
            changed_date = (
                merged["calendario"]["dataDeVencimento"] != cobv.body["calendario"]["dataDeVencimento"]
            )
            if (bad := semantic_check(receiver, merged, new_due_date=changed_date)) is not None:
                return bad
            cobv.revisions.append(merged)
        return JSONResponse(generated(cobv), status_code=200)

    @app.get("/v2/cobv/{txid}", tags=["CobV"])
    async def get_cobv(txid: str, revisao: int | None = None, authorization: Auth = None) -> Response:
        receiver, refused = authorise(authorization)
        if refused is not None or receiver is None:
            return refused or problem(401, "AcessoNegado", "Não autorizado", "")
        cobv = store.cobvs.get((receiver.client_id, txid))
        if cobv is None:
            return problem(
                404,
                "CobVNaoEncontrada",
                "Cobrança não encontrada.",
                "Cobrança com vencimento não encontrada para o txid informado.",
            )
        if revisao is not None:
            if not 0 <= revisao <= cobv.revision:
                return problem(400, "CobVConsultaInvalida", "Consulta inválida.", "Revisão inexistente.")
            past = StoredCobv(
                cobv.client_id,
                txid,
                cobv.created_at,
                cobv.loc_id,
                cobv.location,
                cobv.revisions[: revisao + 1],
                cobv.status if revisao == cobv.revision else "ATIVA",
            )
            return JSONResponse(generated(past))
        return JSONResponse(generated(cobv, complete=True))

    @app.get("/v2/pix", tags=["Pix"])
    async def list_pix(
        inicio: datetime,
        fim: datetime,
        txid: str | None = None,
        pagina: Annotated[int, Query(alias="paginacao.paginaAtual", ge=0)] = 0,
        por_pagina: Annotated[int, Query(alias="paginacao.itensPorPagina", ge=1, le=1000)] = 100,
        authorization: Auth = None,
    ) -> Response:
        receiver, refused = authorise(authorization)
        if refused is not None or receiver is None:
            return refused or problem(401, "AcessoNegado", "Não autorizado", "")
        if inicio.tzinfo is None or fim.tzinfo is None or fim < inicio:
            return problem(
                400,
                "PixConsultaInvalida",
                "Consulta inválida.",
                "inicio e fim seguem a RFC 3339 e fim não é anterior a inicio.",
            )
        matching = [
            r.body
            for r in store.received
            if r.client_id == receiver.client_id
            and inicio <= r.at <= fim
            and (txid is None or r.body.get("txid") == txid)
        ]
        pages = max(1, math.ceil(len(matching) / por_pagina))
        parametros: dict[str, Any] = {
            "inicio": inicio.isoformat(),
            "fim": fim.isoformat(),
            "paginacao": {
                "paginaAtual": pagina,
                "itensPorPagina": por_pagina,
                "quantidadeDePaginas": pages,
                "quantidadeTotalDeItens": len(matching),
            },
        }
        if txid is not None:
            parametros["txid"] = txid
        page = matching[pagina * por_pagina : (pagina + 1) * por_pagina]
        return JSONResponse({"parametros": parametros, "pix": page})

    @app.put("/v2/webhook/{chave}", tags=["Webhook"])
    async def put_webhook(
        chave: str,
        request: Request,
        authorization: Auth = None,
        sandbox_secret: Annotated[str | None, Header(alias="X-Sandbox-Webhook-Secret")] = None,
    ) -> Response:
        receiver, refused = authorise(authorization)
        if refused is not None or receiver is None:
            return refused or problem(401, "AcessoNegado", "Não autorizado", "")
        try:
            body = api.WebhookSolicitado.model_validate_json(await request.body())
        except ValidationError as exc:
            return problem(
                400,
                "WebhookOperacaoInvalida",
                "Webhook inválido.",
                "A requisição não respeita o schema.",
                _violations(exc, "webhook"),
            )
        if chave != receiver.pix_key:
            return problem(
                400,
                "WebhookOperacaoInvalida",
                "Webhook inválido.",
                "A chave não pertence a este usuário recebedor.",
            )
        if not body.webhookUrl.startswith(("https://", "http://")):
            return problem(
                400, "WebhookOperacaoInvalida", "Webhook inválido.", "webhookUrl deve ser uma URL."
            )
        store.webhooks[(receiver.client_id, chave)] = Webhook(
            body.webhookUrl, sandbox_secret, store.clock.now()
        )
        return Response(status_code=200)

    @app.get("/v2/webhook/{chave}", tags=["Webhook"])
    async def get_webhook(chave: str, authorization: Auth = None) -> Response:
        receiver, refused = authorise(authorization)
        if refused is not None or receiver is None:
            return refused or problem(401, "AcessoNegado", "Não autorizado", "")
        hook = store.webhooks.get((receiver.client_id, chave))
        if hook is None:
            return problem(
                404, "WebhookNaoEncontrado", "Webhook não encontrado.", "Nenhum webhook para esta chave."
            )
        return JSONResponse(
            {
                "webhookUrl": hook.url,
                "chave": chave,
                "cnpj": receiver.cnpj,
                "criacao": hook.created_at.isoformat(),
            }
        )

    @app.delete("/v2/webhook/{chave}", tags=["Webhook"])
    async def delete_webhook(chave: str, authorization: Auth = None) -> Response:
        receiver, refused = authorise(authorization)
        if refused is not None or receiver is None:
            return refused or problem(401, "AcessoNegado", "Não autorizado", "")
        if store.webhooks.pop((receiver.client_id, chave), None) is None:
            return problem(
                404, "WebhookNaoEncontrado", "Webhook não encontrado.", "Nenhum webhook para esta chave."
            )
        return Response(status_code=204)

    @app.get("/qr/v2/cobv/{token}", tags=["CobPayload"])
    async def payload(token: str, dpp: Annotated[date | None, Query(alias="DPP")] = None) -> Response:
        key = store.locations.get(token)
        cobv = store.cobvs.get(key) if key else None
        if cobv is None:
            return problem(
                404,
                "CobPayloadNaoEncontrado",
                "Cobrança não encontrada.",
                "A cobrança em questão não foi encontrada para a location requisitada.",
            )
        today = store.clock.today()
        on = dpp or today
        value = value_on(_terms(cobv.body), on)
        if on < today or not value.payable:
            return problem(
                400,
                "CobPayloadOperacaoInvalida",
                "Operação inválida.",
                "DPP anterior ao momento presente ou posterior à validade da cobrança.",
            )
        receiver = store.receivers[cobv.client_id]
        body = cobv.body
        out: dict[str, Any] = {
            "calendario": {
                "criacao": cobv.created_at.isoformat(),
                "apresentacao": store.clock.now().isoformat(),
                **body["calendario"],
            },
            "devedor": body["devedor"],
            "recebedor": _recebedor(receiver),
            "txid": cobv.txid,
            "revisao": cobv.revision,
            "status": cobv.status,
            "valor": _valor_block(value),
            "chave": body["chave"],
        }
        if "solicitacaoPagador" in body:
            out["solicitacaoPagador"] = body["solicitacaoPagador"]
        return JSONResponse(out)

    # ---- sandbox-only ------------------------------------------------------------------

    def locate(txid: str, client_id: str | None) -> StoredCobv | JSONResponse:
        cobv = store.find(txid, client_id)
        if cobv is None:
            return JSONResponse(
                {"detail": "no such cobv (pass client_id when two receivers share a txid)"}, status_code=404
            )
        return cobv

    @app.post("/sandbox/clients", status_code=201, tags=["sandbox"])
    async def add_client(body: ReceiverCreate) -> dict[str, str]:
        store.add_receiver(**body.model_dump())
        return {"client_id": body.client_id, "pix_key": body.pix_key}

    @app.put("/sandbox/tokens", tags=["sandbox"])
    async def token_settings(body: TokenSettings) -> dict[str, int]:
        store.oauth.token_ttl_seconds = body.token_ttl_seconds
        return {"token_ttl_seconds": body.token_ttl_seconds}

    @app.post("/sandbox/tokens/revoke", status_code=204, tags=["sandbox"])
    async def revoke() -> None:
        store.oauth.revoke_all()

    @app.put("/sandbox/faults", tags=["sandbox"])
    async def set_fault(body: FaultUpdate) -> dict[str, int]:
        store.oauth.fault = _Fault(body.status, body.count)
        return {"status": body.status, "remaining": body.count}

    @app.get("/sandbox/cobv/{txid}/value", tags=["sandbox"])
    async def value(txid: str, on: date | None = None, client_id: str | None = None) -> Response:
        cobv = locate(txid, client_id)
        if isinstance(cobv, JSONResponse):
            return cobv
        result = value_on(_terms(cobv.body), on or store.clock.today())
        return JSONResponse(
            {
                "txid": txid,
                "on": result.on.isoformat(),
                "status": cobv.status,
                "payable": result.payable and cobv.status == "ATIVA",
                "dataDeVencimento": cobv.body["calendario"]["dataDeVencimento"],
                "vencimentoEfetivo": result.effective_due_date.isoformat(),
                "ultimoDiaPagavel": result.last_payable_day.isoformat(),
                "valor": _valor_block(result),
            }
        )

    @app.post("/sandbox/cobv/{txid}/simulate-payment", tags=["sandbox"])
    async def simulate_payment(
        txid: str,
        body: Annotated[PaymentSimulation | None, Body()] = None,
        client_id: str | None = None,
    ) -> Response:
        cobv = locate(txid, client_id)
        if isinstance(cobv, JSONResponse):
            return cobv
        body = body or PaymentSimulation()
        today = store.clock.today()
        on = body.on or today
        if cobv.status != "ATIVA":
            return JSONResponse({"detail": f"the cobv is {cobv.status}: it cannot be paid"}, status_code=409)
        result = value_on(_terms(cobv.body), on)
        if not result.payable:
            return JSONResponse(
                {"detail": f"the cobv was payable until {result.last_payable_day}"}, status_code=409
            )
        at = store.clock.now() if on == today else datetime.combine(on, time(12), TIMEZONE).astimezone(UTC)
        components = {k: {"valor": v} for k, v in _valor_block(result).items() if k != "final"}
        pix: dict[str, Any] = {
            "endToEndId": _end_to_end_id(at),
            "txid": txid,
            "valor": body.amount or money(result.final),
            "componentesValor": components,
            "chave": cobv.body["chave"],
            "horario": at.isoformat(),
        }
        if body.infoPagador:
            pix["infoPagador"] = body.infoPagador
        cobv.pix.append(pix)
        cobv.status = "CONCLUIDA"
        store.received.append(ReceivedPix(cobv.client_id, at, pix))
        delivered = await _deliver(store, cobv.client_id, cobv.body["chave"], [pix])
        log.info("sandbox.psp.pix_received", extra={"txid": txid, "webhook_status": delivered})
        return JSONResponse({"pix": pix, "webhook_status": delivered})

    @app.get("/sandbox/deliveries", tags=["sandbox"])
    async def deliveries() -> list[dict[str, Any]]:
        return store.deliveries

    return app


def _valid_txid(txid: str) -> bool:
    return 26 <= len(txid) <= 35 and txid.isascii() and txid.isalnum()


def _recebedor(receiver: Receiver) -> dict[str, str]:
    return {
        "cnpj": receiver.cnpj,
        "nome": receiver.name,
        "logradouro": "Rua do Sandbox, 1",
        "cidade": receiver.city,
        "uf": "SP",
        "cep": "01001000",
    }


async def _deliver(store: PspStore, client_id: str, chave: str, pix: list[dict[str, Any]]) -> int | None:
    """POST the callback to ``{webhookUrl}/pix``; the status answered, None when unreachable or no webhook."""
    hook = store.webhooks.get((client_id, chave))
    if hook is None:
        return None
    raw = json.dumps({"pix": pix}, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    url = hook.url + "/pix"
    if hook.secret:
        headers["X-Regua-Signature"] = sign(hook.secret, raw, int(store.clock.now().timestamp()), url=url)
    status: int | None
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            status = (await client.post(url, content=raw, headers=headers)).status_code
    except httpx.HTTPError:
        status = None
    store.deliveries.append({"url": url, "status": status, "pix": [p["endToEndId"] for p in pix]})
    return status


@dataclass
class PspSandbox:
    store: PspStore
    url: str


def new_store(clock: SandboxClock | None = None) -> PspStore:
    clock = clock or SandboxClock()
    return PspStore(clock=clock, oauth=OAuthServer(clock=clock))


@contextlib.asynccontextmanager
async def running_psp_sandbox(
    *, host: str = "127.0.0.1", port: int | None = None, clock: SandboxClock | None = None
) -> AsyncIterator[PspSandbox]:
    """Serve the PSP sandbox on the running loop while the block runs (tests)."""
    store = new_store(clock)
    async with serving(create_psp_app(store), host=host, port=port or free_port(host)) as url:
        yield PspSandbox(store, url)
