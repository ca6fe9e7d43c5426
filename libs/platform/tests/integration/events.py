"""Event builders shared by the platform's integration tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.payment.v1 import PaymentReceivedV1


def issued(debtor: UUID, n: int) -> InvoiceIssuedV1:
    """An ``invoice.issued`` whose external id carries a sequence number, so
    tests can check per-debtor order."""
    return InvoiceIssuedV1(
        debtor_id=debtor,
        invoice_id=uuid4(),
        external_id=f"seq-{n:06d}",
        amount_cents=100 + n,
        due_date=date(2026, 12, 1),
        issued_at=datetime.now(UTC),
    )


def step_due(n: int) -> StepDueV1:
    """A ``step-due`` of the bulk topic; ``step_index`` carries a sequence number."""
    now = datetime.now(UTC)
    return StepDueV1(
        debtor_id=uuid4(),
        step_id=uuid4(),
        invoice_id=uuid4(),
        policy_id=uuid4(),
        step_name="lembrete",
        step_index=n,
        template="lembrete",
        tone="friendly",
        action="message",
        channels=["email"],
        planned_for=now,
        due_at=now,
    )


def payment_received(invoice_id: UUID) -> PaymentReceivedV1:
    return PaymentReceivedV1(
        debtor_id=uuid4(),
        payment_id=uuid4(),
        invoice_id=invoice_id,
        method="pix",
        amount_cents=10_000,
        gateway_reference="E00000000202612020800000000000001",
        paid_at=datetime.now(UTC),
    )
