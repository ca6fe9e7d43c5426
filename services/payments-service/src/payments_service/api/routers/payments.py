"""``/v1/payments``: money received, and refunds asked through the API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, Response

from payments_service.api.deps import UowDep
from payments_service.api.schemas import PaymentRead, RefundCreate, ReversalRead
from payments_service.api.scopes import PaymentsRead, PaymentsWrite
from payments_service.service_layer.payments import UnknownPaymentError, reverse_payment
from regua_platform.openapi import problems

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.get("", summary="Payments of an invoice")
async def list_payments(invoice_id: UUID, principal: PaymentsRead, uow: UowDep) -> list[PaymentRead]:
    found = await uow.payments.of_invoice(principal.tenant_id, invoice_id)
    return [PaymentRead.model_validate(p, from_attributes=True) for p in found]


@router.post(
    "/{payment_id}:refund",
    status_code=201,
    responses={
        200: {
            "description": "This Idempotency-Key was used before: the refund it made.",
            "model": ReversalRead,
        },
        **problems(
            400,
            404,
            _422="Invalid body, or the refund exceeds what is left of the payment (`refundable_cents`).",
        ),
    },
    summary="Refund part or all of a payment (never more than was paid); publishes payment.reversed",
)
async def refund_payment(
    payment_id: UUID,
    body: RefundCreate,
    principal: PaymentsWrite,
    uow: UowDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> ReversalRead:
    reference = f"api:{idempotency_key or uuid4()}"
    now = uow.clock.now()
    result = await reverse_payment(
        uow,
        tenant_id=principal.tenant_id,
        payment_id=payment_id,
        kind="refund",
        reference=reference,
        amount_cents=body.amount_cents,
        reason=body.reason,
        reversed_at=now,
    )
    await uow.commit()
    assert result.reversal_id is not None
    reversal = await uow.reversals.by_reference(principal.tenant_id, reference)
    assert reversal is not None
    if result.outcome == "duplicate":
        response.status_code = 200
    return ReversalRead(
        id=reversal.id,
        payment_id=payment_id,
        kind=reversal.kind,
        amount_cents=reversal.amount_cents,
        reason=reversal.reason,
        reversed_at=reversal.reversed_at,
        created=result.outcome == "recorded",
    )


# ":uuid": only an id matches, never "<id>:refund" (a GET there is a 405, not a 422).
@router.get("/{payment_id:uuid}", responses=problems(404), summary="One payment")
async def get_payment(payment_id: UUID, principal: PaymentsRead, uow: UowDep) -> PaymentRead:
    payment = await uow.payments.get(principal.tenant_id, payment_id)
    if payment is None:
        raise UnknownPaymentError
    return PaymentRead.model_validate(payment, from_attributes=True)
