"""Gateway webhooks: no bearer token; each request is authenticated by the
``X-Regua-Signature`` header, an HMAC-SHA256 keyed with the tenant's webhook
secret over ``"<t>.<raw body>"``, at most ``webhook_tolerance_seconds`` old.

Refusals (no secret, bad or stale signature, malformed body) answer 4xx
problem+json, publish nothing and store nothing but a reconciliation row.

A Pix callback may carry several Pix. Each item is applied on its own: every
Pix we can match is recorded (once per endToEndId) and published, because that
money arrived whatever its neighbours look like. If every item was applied (or
had been before) the answer is 200 with per-item ``results``; if any item could
not be matched (unknown txid) or was refused (a devolução above what was paid)
the answer is 422 problem+json carrying the same ``results``: the matched items
are already recorded, so a gateway that retries the whole callback changes
nothing, and the unmatched ones wait in ``webhook_rejections``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, NoReturn, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from payments_service.adapters.crypto import SecretDecryptionError
from payments_service.api.deps import UowDep, WebhookSecretsDep, WebhookToleranceDep
from payments_service.api.schemas import (
    BoletoWebhook,
    CardWebhook,
    ItemResultRead,
    PixWebhook,
    WebhookResultRead,
)
from payments_service.domain.signature import HEADER, SignatureError, verify
from payments_service.domain.webhooks import ItemResult, PixReceived, PixRefund, Provider
from payments_service.service_layer.payments import (
    receive_boleto,
    receive_card,
    receive_pix,
    record_rejection,
)
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.service_layer.webhook_secrets import WebhookSecrets
from regua_br.boleto import BoletoError, parse_barcode, parse_digitable_line
from regua_platform.problems import Problem, problem_response

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
B = TypeVar("B")
M = TypeVar("M", bound=BaseModel)

_SIGNED = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' keyed with the webhook secret>",
        }
    ]
}


@dataclass(frozen=True, slots=True)
class _Webhook(Generic[B]):
    """One webhook request: for which tenant, from which provider, the SHA-256 of
    its raw body (all a refusal keeps of it) and the body, raw bytes until parsed."""

    uow: PaymentsUnitOfWork
    tenant_id: UUID
    provider: Provider
    body_sha256: str
    body: B

    async def refuse(
        self, *, reason: str, status: int, title: str, detail: str, **extensions: Any
    ) -> NoReturn:
        """Record the refusal for reconciliation and answer it as a problem."""
        # The request's transaction holds nothing else: commit just the reconciliation row.
        await record_rejection(
            self.uow,
            tenant_id=self.tenant_id,
            provider=self.provider,
            reason=reason,
            body_sha256=self.body_sha256,
            detail=detail,
        )
        await self.uow.commit()
        raise Problem(status, title, detail, reason=reason, **extensions)

    async def refuse_malformed(self, detail: str, **extensions: Any) -> NoReturn:
        await self.refuse(
            reason="malformed", status=422, title="Invalid webhook body", detail=detail, **extensions
        )


async def _authenticate(
    hook: _Webhook[bytes], header: str | None, secrets: WebhookSecrets, tolerance: int
) -> None:
    now = int(hook.uow.clock.now().timestamp())
    secret, cached = await _secret(hook, secrets, fresh=False)
    try:
        verify(header, hook.body, secret, now=now, tolerance=tolerance)
        return
    except SignatureError as exc:
        if not (cached and exc.reason == "mismatch"):
            await _refuse_signature(hook, exc)
    # Signed with a secret newer than the one we cached: read it again.
    secret, _ = await _secret(hook, secrets, fresh=True)
    try:
        verify(header, hook.body, secret, now=now, tolerance=tolerance)
    except SignatureError as exc:
        await _refuse_signature(hook, exc)


async def _secret(hook: _Webhook[bytes], secrets: WebhookSecrets, *, fresh: bool) -> tuple[str, bool]:
    try:
        secret, cached = await secrets.get(hook.tenant_id, fresh=fresh)
    except SecretDecryptionError:
        await hook.refuse(
            reason="secret_unreadable",
            status=403,
            title="Webhooks not configured",
            detail="The stored webhook secret cannot be read: PUT /v1/settings/pix again.",
        )
    if secret is None:
        await hook.refuse(
            reason="no_webhook_secret",
            status=403,
            title="Webhooks not configured",
            detail="This tenant has no webhook secret: PUT /v1/settings/pix first.",
        )
    return secret, cached


async def _refuse_signature(hook: _Webhook[bytes], exc: SignatureError) -> NoReturn:
    await hook.refuse(
        reason=f"signature_{exc.reason}", status=401, title="Invalid signature", detail=str(exc)
    )


async def _parse(hook: _Webhook[bytes], model: type[M]) -> M:
    try:
        return model.model_validate_json(hook.body)
    except ValidationError as exc:
        errors = [
            {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        await hook.refuse_malformed(f"The body is not a valid {hook.provider} webhook.", errors=errors)


def _signed(model: type[M], provider: Provider) -> Callable[..., Awaitable[_Webhook[M]]]:
    """The dependency every webhook endpoint starts with: the request's signature
    verified with the tenant's secret, then its body parsed as ``model``; a
    refusal of either is recorded (``webhook_rejections``) and answered 4xx."""

    async def signed_webhook(
        tenant_id: UUID,
        request: Request,
        uow: UowDep,
        secrets: WebhookSecretsDep,
        tolerance: WebhookToleranceDep,
    ) -> _Webhook[M]:
        raw = await request.body()
        hook = _Webhook(uow, tenant_id, provider, hashlib.sha256(raw).hexdigest(), raw)
        await _authenticate(hook, request.headers.get(HEADER), secrets, tolerance)
        body = await _parse(hook, model)
        return _Webhook(uow, tenant_id, provider, hook.body_sha256, body)

    return signed_webhook


PixDelivery = Annotated[_Webhook[PixWebhook], Depends(_signed(PixWebhook, "pix"))]
BoletoDelivery = Annotated[_Webhook[BoletoWebhook], Depends(_signed(BoletoWebhook, "boleto"))]
CardDelivery = Annotated[_Webhook[CardWebhook], Depends(_signed(CardWebhook, "card"))]


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
    openapi_extra=_SIGNED,
    response_model=WebhookResultRead,
)
@router.post(
    "/pix/{tenant_id}/pix",
    summary="The same callback where a PSP posts it: register webhookUrl = .../v1/webhooks/pix/{tenant_id}",
    description="The API Pix posts to ``{webhookUrl}/pix``.",
    openapi_extra=_SIGNED,
    response_model=WebhookResultRead,
)
async def pix_webhook(hook: PixDelivery, uow: UowDep) -> JSONResponse | WebhookResultRead:
    items = [
        PixReceived(
            end_to_end_id=p.endToEndId,
            txid=p.txid,
            amount_cents=p.valor,
            paid_at=p.horario,
            refunds=tuple(
                PixRefund(d.id, d.valor, d.status, d.horario.liquidacao or d.horario.solicitacao)
                for d in p.devolucoes
            ),
        )
        for p in hook.body.pix
    ]
    results = await receive_pix(uow, tenant_id=hook.tenant_id, items=items, body_sha256=hook.body_sha256)
    await uow.commit()
    return _answer(results)


@router.post(
    "/boleto/{tenant_id}",
    summary="Boleto settlement",
    openapi_extra=_SIGNED,
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
    return _answer([result])


@router.post(
    "/card/{tenant_id}",
    summary="Card capture, refund or chargeback",
    openapi_extra=_SIGNED,
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
    return _answer([result])
