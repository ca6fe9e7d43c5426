"""Gateway webhooks: no bearer token; each request is authenticated by the
``X-Regua-Signature`` header (see :mod:`payments_service.domain.signature`):
``t=<unix>,v2=<hex>``, an HMAC-SHA256 keyed with the tenant's webhook secret
over ``"<t>.<tenant_id>.<path>.<raw body>"``, at most
``webhook_tolerance_seconds`` from now; the legacy ``v1`` (over
``"<t>.<raw body>"``) until ``webhook_legacy_signatures_until``.

Cheap checks come first and touch no database: a token bucket per client
address (429), the header's shape and timestamp (401); then the tenant's secret
(cached; a tenant without one: 403); only then is the body read (the platform
caps it: 413) and its signature checked. Every refusal is counted in
``regua_webhooks_refused_total{reason}`` and logged at most once per reason
every 10 s; it is stored in ``webhook_rejections`` (for the tenant's
reconciliation view) only when the tenant exists, in a transaction of its own:
a request naming an unknown tenant writes nothing.

A Pix callback may carry several Pix. Each item is applied on its own: every
Pix we can match is recorded (once per endToEndId) and published, because that
money arrived whatever its neighbours look like. If every item was applied (or
had been before) the answer is 200 with per-item ``results``; if any item could
not be matched (unknown txid) or was refused (a devolução above what was paid)
the answer is 422 problem+json carrying the same ``results``: the matched items
are already recorded, so a gateway that retries the whole callback changes
nothing, and the unmatched ones wait in ``webhook_rejections``.

Gateway times (``horario``, ``paid_at``, ``occurred_at``) more than
``webhook_future_skew_seconds`` in the future or ``webhook_max_age_days`` in
the past are refused (422): a payment dated in the future would otherwise
stand as the latest word on an invoice for good.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Generic, Literal, NoReturn, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from payments_service.adapters.crypto import SecretDecryptionError
from payments_service.api.deps import UowDep, webhook_secrets
from payments_service.api.schemas import (
    BoletoWebhook,
    CardWebhook,
    ItemResultRead,
    PixWebhook,
    WebhookResultRead,
)
from payments_service.api.webhook_guard import RefusalLog, SourceLimiter
from payments_service.domain.signature import (
    HEADER,
    SignatureError,
    SignatureHeader,
    check_timestamp,
    parse_header,
    verify,
)
from payments_service.domain.webhooks import ItemResult, PixReceived, PixRefund, Provider
from payments_service.metrics import WEBHOOKS_LEGACY_SIGNATURES, observe_results
from payments_service.service_layer.payments import (
    receive_boleto,
    receive_card,
    receive_pix,
    record_rejection,
)
from payments_service.service_layer.webhook_secrets import WebhookSecrets
from payments_service.settings import Settings
from regua_br.boleto import BoletoError, parse_barcode, parse_digitable_line
from regua_br.pix_amount import parse_valor
from regua_platform.app import Runtime, runtime_of
from regua_platform.auth import public
from regua_platform.openapi import problems
from regua_platform.problems import Problem, problem_response

B = TypeVar("B")
M = TypeVar("M", bound=BaseModel)


@dataclass
class _Guard:
    """The per-process state of the webhook routes (``runtime.extras``)."""

    settings: Settings
    limiter: SourceLimiter
    refusals: RefusalLog
    secrets: WebhookSecrets
    runtime: Runtime[Any, Any]


def guard_of(runtime: Runtime[Any, Any]) -> _Guard:
    guard: _Guard | None = runtime.extras.get("webhook_guard")
    if guard is None:
        settings: Settings = runtime.settings
        guard = runtime.extras["webhook_guard"] = _Guard(
            settings,
            SourceLimiter(settings.webhook_rate_burst, settings.webhook_rate_per_second),
            RefusalLog(),
            webhook_secrets(runtime),
            runtime,
        )
    return guard


async def _rate_limited(request: Request) -> None:
    """First of all: a token bucket per client address."""
    guard = guard_of(runtime_of(request))
    source = request.client.host if request.client else "unknown"
    wait = guard.limiter.retry_after(source)
    if wait:
        guard.refusals.refused("rate_limited", path=request.url.path)
        raise Problem(
            429,
            "Too many requests",
            f"Too many webhook requests from this address; retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )


router = APIRouter(
    prefix="/v1/webhooks",
    tags=["webhooks"],
    dependencies=[
        Depends(public("HMAC-SHA256 signature (X-Regua-Signature) over t.tenant_id.path.body")),
        Depends(_rate_limited),
    ],
    responses=problems(
        401,
        403,
        429,
        _401="Missing, malformed, stale or wrong signature.",
        _403="The tenant has no webhook secret configured.",
        _422="The body is not a valid webhook, or some items were not applied (see `results`).",
    ),
)


@dataclass(frozen=True, slots=True)
class _Webhook(Generic[B]):
    """One webhook request: for which tenant, from which provider, the SHA-256 of
    its raw body (all a refusal keeps of it; empty before it was read) and the body."""

    guard: _Guard
    tenant_id: UUID
    provider: Provider
    path: str
    known: bool
    body_sha256: str
    body: B

    async def refuse(
        self, *, reason: str, status: int, title: str, detail: str, **extensions: Any
    ) -> NoReturn:
        """Count, log (bounded) and, for a tenant that exists, store the refusal; answer it."""
        self.guard.refusals.refused(reason, provider=self.provider)
        if self.known:
            # A transaction of its own: the request's, if any, is rolled back.
            async with self.guard.runtime.uow() as uow:
                await record_rejection(
                    uow,
                    tenant_id=self.tenant_id,
                    provider=self.provider,
                    reason=reason,
                    body_sha256=self.body_sha256,
                    detail=detail,
                    quiet=True,
                )
                await uow.commit()
        raise Problem(status, title, detail, reason=reason, **extensions)

    async def refuse_malformed(
        self, detail: str, *, reason: str = "malformed", **extensions: Any
    ) -> NoReturn:
        await self.refuse(
            reason=reason, status=422, title="Invalid webhook body", detail=detail, **extensions
        )

    async def check_times(self, times: Iterable[datetime]) -> None:
        """Refuse gateway times beyond the future skew or older than the maximum age."""
        now = self.guard.runtime.clock.now()
        settings = self.guard.settings
        latest = now + timedelta(seconds=settings.webhook_future_skew_seconds)
        earliest = now - timedelta(days=settings.webhook_max_age_days)
        for at in times:
            if at > latest:
                await self.refuse_malformed(
                    f"A time in the body is over {settings.webhook_future_skew_seconds} s in the future.",
                    reason="time_in_future",
                )
            if at < earliest:
                await self.refuse_malformed(
                    f"A time in the body is more than {settings.webhook_max_age_days} days old.",
                    reason="time_too_old",
                )


async def _secret(hook: _Webhook[None], *, fresh: bool) -> tuple[str | None, bool]:
    try:
        return await hook.guard.secrets.get(hook.tenant_id, fresh=fresh)
    except SecretDecryptionError:
        await hook.refuse(
            reason="secret_unreadable",
            status=403,
            title="Webhooks not configured",
            detail="The stored webhook secret cannot be read: PUT /v1/settings/pix again.",
        )


async def _refuse_signature(hook: _Webhook[Any], exc: SignatureError) -> NoReturn:
    await hook.refuse(
        reason=f"signature_{exc.reason}", status=401, title="Invalid signature", detail=str(exc)
    )


async def _authenticate(hook: _Webhook[None], request: Request) -> _Webhook[bytes]:
    """Header, timestamp, tenant, then (only then) the body and its HMAC."""
    settings = hook.guard.settings
    now = hook.guard.runtime.clock.now()
    header: SignatureHeader | None = None
    failure: SignatureError | None = None
    try:
        header = parse_header(request.headers.get(HEADER))
        check_timestamp(header, now=int(now.timestamp()), tolerance=settings.webhook_tolerance_seconds)
    except SignatureError as exc:
        failure = exc
    secret, cached = await _secret(hook, fresh=False)
    hook = _Webhook(hook.guard, hook.tenant_id, hook.provider, hook.path, secret is not None, "", None)
    if failure is not None:
        await _refuse_signature(hook, failure)
    if secret is None:
        await hook.refuse(
            reason="unknown_tenant",
            status=403,
            title="Webhooks not configured",
            detail="This tenant has no webhook secret: PUT /v1/settings/pix first.",
        )
    assert header is not None
    raw = await request.body()
    signed = _Webhook(
        hook.guard, hook.tenant_id, hook.provider, hook.path, True, hashlib.sha256(raw).hexdigest(), raw
    )
    legacy_allowed = now < datetime.combine(
        settings.webhook_legacy_signatures_until + timedelta(days=1), time(), UTC
    )
    try:
        scheme = verify(
            header, raw, secret, tenant_id=hook.tenant_id, path=hook.path, legacy_allowed=legacy_allowed
        )
    except SignatureError as exc:
        if not (cached and exc.reason == "mismatch"):
            await _refuse_signature(signed, exc)
        # Signed with a secret newer than the one we cached: read it again.
        secret, _ = await _secret(hook, fresh=True)
        try:
            if secret is None:
                raise
            scheme = verify(
                header, raw, secret, tenant_id=hook.tenant_id, path=hook.path, legacy_allowed=legacy_allowed
            )
        except SignatureError as again:
            await _refuse_signature(signed, again)
    if scheme == "v1":
        WEBHOOKS_LEGACY_SIGNATURES.labels(hook.provider).inc()
    return signed


async def _parse(hook: _Webhook[bytes], model: type[M]) -> M:
    try:
        return model.model_validate_json(hook.body)
    except ValidationError as exc:
        errors = [
            {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        await hook.refuse_malformed(f"The body is not a valid {hook.provider} webhook.", errors=errors)


def _signed(
    model: type[M], provider: Provider, times: Callable[[M], Iterable[datetime]]
) -> Callable[..., Awaitable[_Webhook[M]]]:
    """The dependency every webhook endpoint starts with: the request authenticated
    (:func:`_authenticate`), its body parsed as ``model``, its gateway ``times`` bounded."""

    async def signed_webhook(tenant_id: UUID, request: Request) -> _Webhook[M]:
        guard = guard_of(runtime_of(request))
        start = _Webhook(guard, tenant_id, provider, request.url.path, False, "", None)
        hook = await _authenticate(start, request)
        body = await _parse(hook, model)
        await hook.check_times(times(body))
        return _Webhook(guard, tenant_id, provider, hook.path, True, hook.body_sha256, body)

    return signed_webhook


def _pix_times(body: PixWebhook) -> Iterable[datetime]:
    for p in body.pix:
        yield p.horario
        for d in p.devolucoes:
            yield d.horario.solicitacao
            if d.horario.liquidacao is not None:
                yield d.horario.liquidacao


PixDelivery = Annotated[_Webhook[PixWebhook], Depends(_signed(PixWebhook, "pix", _pix_times))]
BoletoDelivery = Annotated[
    _Webhook[BoletoWebhook], Depends(_signed(BoletoWebhook, "boleto", lambda b: [b.paid_at]))
]
CardDelivery = Annotated[
    _Webhook[CardWebhook], Depends(_signed(CardWebhook, "card", lambda b: [b.occurred_at]))
]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON Schema with its ``$defs`` inlined (an OpenAPI request body
    given through ``openapi_extra`` cannot carry local definitions)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


def _signed_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` of a webhook route: the signature header and the raw
    JSON body (read as bytes, signed as sent, parsed only once authenticated)."""
    return {
        "parameters": [
            {
                "name": HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string", "maxLength": 2000},
                "description": (
                    "t=<unix seconds>,v2=<hex HMAC-SHA256 keyed with the tenant's webhook secret "
                    "of '<t>.<tenant_id>.<path>.<raw body>'>; legacy v1 (of '<t>.<raw body>') "
                    "during the migration window"
                ),
            }
        ],
        "requestBody": {
            "required": True,
            "description": "The gateway's JSON, signed byte for byte.",
            "content": {"application/json": {"schema": _inline(model.model_json_schema())}},
        },
    }


def _read(result: ItemResult) -> ItemResultRead:
    return ItemResultRead(
        reference=result.reference,
        kind=result.kind,
        outcome=result.outcome,
        payment_id=result.payment_id,
        reversal_id=result.reversal_id,
        detail=result.detail,
        reversals=[_read(c) for c in result.children],
    )


def _answer(results: list[ItemResult]) -> JSONResponse | WebhookResultRead:
    read = WebhookResultRead(results=[_read(r) for r in results])
    if any(r.failed for r in results):
        return problem_response(
            422,
            "Webhook items not applied",
            "Some items match nothing of ours or were refused; the others were applied.",
            results=read.model_dump(mode="json")["results"],
        )
    return read


@router.post(
    "/pix/{tenant_id}",
    summary="API Pix callback: received Pix and their devoluções",
    openapi_extra=_signed_body(PixWebhook),
    response_model=WebhookResultRead,
)
@router.post(
    "/pix/{tenant_id}/pix",
    summary="The same callback where a PSP posts it: register webhookUrl = .../v1/webhooks/pix/{tenant_id}",
    description="The API Pix posts to ``{webhookUrl}/pix``.",
    openapi_extra=_signed_body(PixWebhook),
    response_model=WebhookResultRead,
)
async def pix_webhook(hook: PixDelivery, uow: UowDep) -> JSONResponse | WebhookResultRead:
    items = [
        PixReceived(
            end_to_end_id=p.endToEndId,
            txid=p.txid,
            amount_cents=parse_valor(p.valor),
            paid_at=p.horario,
            refunds=tuple(
                PixRefund(d.id, parse_valor(d.valor), d.status, d.horario.liquidacao or d.horario.solicitacao)
                for d in p.devolucoes
            ),
        )
        for p in hook.body.pix
    ]
    results = await receive_pix(uow, tenant_id=hook.tenant_id, items=items, body_sha256=hook.body_sha256)
    await uow.commit()
    observe_results("pix", results)
    return _answer(results)


@router.post(
    "/boleto/{tenant_id}",
    summary="Boleto settlement",
    openapi_extra=_signed_body(BoletoWebhook),
    response_model=WebhookResultRead,
)
async def boleto_webhook(hook: BoletoDelivery, uow: UowDep) -> JSONResponse | WebhookResultRead:
    body = hook.body
    barcodes: set[str] = set()
    try:
        if body.barcode:
            barcodes.add(parse_barcode(body.barcode).barcode)
        if body.digitable_line:
            barcodes.add(parse_digitable_line(body.digitable_line).barcode)
        if len(barcodes) != 1:
            raise BoletoError("name the boleto by barcode or digitable_line (the same one if both)")
    except BoletoError as exc:
        await hook.refuse_malformed(str(exc))
    result = await receive_boleto(
        uow,
        tenant_id=hook.tenant_id,
        event_id=body.event_id,
        barcode=barcodes.pop(),
        amount_cents=body.amount_cents,
        paid_at=body.paid_at,
        body_sha256=hook.body_sha256,
    )
    await uow.commit()
    observe_results("boleto", [result])
    return _answer([result])


@router.post(
    "/card/{tenant_id}",
    summary="Card capture, refund or chargeback",
    openapi_extra=_signed_body(CardWebhook),
    response_model=WebhookResultRead,
)
async def card_webhook(hook: CardDelivery, uow: UowDep) -> JSONResponse | WebhookResultRead:
    body = hook.body
    needed: Literal["charge_id", "payment_id"] = "charge_id" if body.type == "capture" else "payment_id"
    if getattr(body, needed) is None:
        await hook.refuse_malformed(f"A card {body.type} must name its {needed}.")
    result = await receive_card(
        uow,
        tenant_id=hook.tenant_id,
        event_id=body.event_id,
        type_=body.type,
        charge_id=body.charge_id,
        payment_id=body.payment_id,
        amount_cents=body.amount_cents,
        occurred_at=body.occurred_at,
        body_sha256=hook.body_sha256,
    )
    await uow.commit()
    observe_results("card", [result])
    return _answer([result])
