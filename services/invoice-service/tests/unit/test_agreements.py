"""Pure rules of the agreement flow: crediting what was paid, statuses, ids."""

from __future__ import annotations

from uuid import UUID

import pytest

from invoice_service.domain.invoices import allocate_credit, status_after_payments
from invoice_service.service_layer.agreements import (
    credit_id,
    installment_description,
    installment_external_id,
)


def test_credit_goes_to_the_oldest_debt_first() -> None:
    assert allocate_credit(150_00, [100_00, 100_00, 50_00]) == [100_00, 50_00, 0]


def test_credit_covering_everything_leaves_the_rest_on_the_last_debt() -> None:
    assert allocate_credit(300_00, [100_00, 50_00]) == [100_00, 200_00]


def test_no_credit_or_no_debts() -> None:
    assert allocate_credit(0, [100, 200]) == [0, 0]
    assert allocate_credit(100, []) == []
    # A debt already overpaid takes nothing.
    assert allocate_credit(100, [-50, 80]) == [0, 100]
    with pytest.raises(ValueError, match="must not be negative"):
        allocate_credit(-1, [100])


def test_payments_do_not_move_a_renegotiated_invoice() -> None:
    for settled, paid in ((True, 100), (False, 50), (False, 0)):
        status = status_after_payments(
            current="renegotiated", settled=settled, paid_cents=paid, flagged_overdue=True
        )
        assert status == "renegotiated"


def test_installment_names_and_credit_ids_are_deterministic() -> None:
    agreement = UUID("11111111-1111-1111-1111-111111111111")
    invoice = UUID("22222222-2222-2222-2222-222222222222")
    assert installment_external_id(agreement, 2) == f"agreement-{agreement}-2"
    assert installment_description(2, 3) == "Parcela 2/3 do acordo"
    assert credit_id(agreement, invoice, "broken") == credit_id(agreement, invoice, "broken")
    assert credit_id(agreement, invoice, "broken") != credit_id(agreement, invoice, "completed")
