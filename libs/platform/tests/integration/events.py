"""Event builders shared by the platform's integration tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from regua_contracts.invoice.v1 import InvoiceIssuedV1


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
