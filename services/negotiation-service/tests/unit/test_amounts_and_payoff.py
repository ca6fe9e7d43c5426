"""Hand-computed: what a projected invoice is worth on the day it is seen, the
payoff of an agreement paid early (CDC art. 52 §2), which Pix codes the pay
page may show, and the portal settings' validation."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from negotiation_service.api.schemas import PortalSettingsUpdate
from negotiation_service.domain.agreements import Agreement, AgreementInstallment, PayoffRefused, payoff
from negotiation_service.domain.invoices import Invoice
from negotiation_service.domain.portal import Charge, payable_codes, pix_pays_exactly
from regua_br.amount_due import Payment
from regua_br.brcode import build_brcode, build_dynamic_brcode

T0 = datetime(2026, 9, 13, 15, 0, tzinfo=UTC)


def invoice(**values: object) -> Invoice:
    fields: dict[str, object] = {
        "id": uuid4(),
        "tenant_id": uuid4(),
        "debtor_id": uuid4(),
        "amount_cents": 150_000,
        "due_date": date(2026, 11, 10),
        "status": "overdue",
        "agreement_id": None,
        "updated_at": T0,
        "fine_bps": 200,
        "monthly_interest_bps": 100,
    }
    fields.update(values)
    return Invoice(**fields)  # type: ignore[arg-type]


def test_amount_due_is_computed_for_the_day_it_is_seen() -> None:
    # The issue: 1.500,00 due Tue 10/11/2026, 1.000,00 paid 05/11. On 20/11 (10 days late):
    # principal 500,00 + fine 2 % x 500 = 10,00 + interest 500 x 1 % x 10/30 = 1,67 = 511,67.
    partly = invoice(payments=(Payment(date(2026, 11, 5), 100_000),))
    due = partly.due_on(date(2026, 11, 20))
    assert (due.principal_cents, due.fine_cents, due.interest_cents, due.paid_cents) == (
        50_000,
        1_000,
        167,
        100_000,
    )
    assert due.due_cents == 51_167 and due.days_late == 10 and due.computed
    # Ten days later, the same invoice: interest 500 x 1 % x 20/30 = 3,33 -> 513,33 (never a frozen copy).
    assert partly.due_on(date(2026, 11, 30)).due_cents == 51_333
    # Due Sun 15/11/2026 (a holiday too): paying on Mon 16/11 costs no charges -> 1.500,00.
    sunday = invoice(due_date=date(2026, 11, 15), effective_due_date=date(2026, 11, 16), status="open")
    assert sunday.due_on(date(2026, 11, 16)).due_cents == 150_000
    # Paid in full: nothing due; no longer collectable (renegotiated): nothing due either.
    assert (
        invoice(status="paid", payments=(Payment(date(2026, 11, 10), 150_000),))
        .due_on(date(2026, 11, 20))
        .due_cents
        == 0
    )
    assert invoice(status="renegotiated").due_on(date(2026, 11, 20)).due_cents == 0


def test_invoices_without_rates_fall_back_to_the_reported_amount() -> None:
    # An older producer sent no rates: the last amount due invoice-service reported (1.530,50)
    # is shown, split into the principal (1.500,00) and charges it cannot tell apart (30,50).
    legacy = invoice(fine_bps=None, monthly_interest_bps=None, reported_due_cents=153_050)
    due = legacy.due_on(date(2026, 11, 30))
    assert (due.principal_cents, due.fine_cents, due.interest_cents) == (150_000, 0, 3_050)
    assert due.due_cents == 153_050 and not due.computed


def agreement(status: str = "active") -> Agreement:
    return Agreement(
        id=uuid4(),
        seq=1,
        tenant_id=uuid4(),
        debtor_id=uuid4(),
        status=status,
        kind="installments_3",
        invoice_ids=(uuid4(),),
        original_cents=153_050,
        discount_cents=0,
        total_cents=156_417,
        monthly_rate="0.0199",
        tolerance_days=5,
        reason=None,
        created_at=T0,
        closed_at=None,
        start_date=date(2026, 9, 13),
    )


def parts(
    a: Agreement, paid: Collection[int] = (), payoff_pending: bool = False
) -> list[AgreementInstallment]:
    """The issue's schedule: 3 x 521,39 on Wed 16/09, Fri 16/10, Mon 16/11/2026."""
    dates = [date(2026, 9, 16), date(2026, 10, 16), date(2026, 11, 16)]
    found = [
        AgreementInstallment(
            uuid4(),
            a.id,
            a.tenant_id,
            n,
            d,
            52_139,
            T0 if n in paid else None,
            replaced_at=T0 if payoff_pending else None,
        )
        for n, d in enumerate(dates, start=1)
    ]
    if payoff_pending:
        found.append(
            AgreementInstallment(uuid4(), a.id, a.tenant_id, 4, date(2026, 9, 14), 153_050, None, True)
        )
    return found


def test_payoff_reduces_interest_proportionally() -> None:
    a = agreement()
    # On Fri 16/10 with the first paid: 521,39 due today + 521,39 / 1.0199**(31/30) = 521.39 + 510.88
    # = 1.032,27, instead of 1.042,78: 10,51 of interest waived; due that same day.
    p = payoff(a, parts(a, {1}), date(2026, 10, 16))
    assert (p.amount_cents, p.replaced_cents, p.interest_waived_cents) == (103_227, 104_278, 1_051)
    assert p.due_date == date(2026, 10, 16) and [i.number for i in p.replaced] == [2, 3]
    # Paid out of order (the 2nd only), on Mon 14/09: the 1st in 2 days and the 3rd in 63:
    # 521.39 x 1.0199**(-2/30) + 521.39 x 1.0199**(-63/30) = 520.7056 + 500.2553 = 1.020,96.
    p = payoff(a, parts(a, {2}), date(2026, 9, 14))
    assert (p.amount_cents, p.interest_waived_cents) == (102_096, 104_278 - 102_096)
    # On Sat 19/09 with the 1st paid: 521.39 x 1.0199**(-27/30) + 521.39 x 1.0199**(-58/30)
    # = 512.2251 + 501.9010 = 1.014,13, due on the next business day, Mon 21/09.
    p = payoff(a, parts(a, {1}), date(2026, 9, 19))
    assert (p.amount_cents, p.due_date) == (101_413, date(2026, 9, 21))


@pytest.mark.parametrize(
    ("status", "paid", "pending", "on", "reason"),
    [
        ("broken", set(), False, date(2026, 9, 14), "inactive"),
        ("completed", {1, 2, 3}, False, date(2026, 9, 14), "inactive"),
        ("active", {1, 2, 3}, False, date(2026, 9, 14), "nothing_owed"),
        ("active", set(), True, date(2026, 9, 14), "payoff_pending"),
        # The 1st was due 16/09 and is unpaid on 17/09: it is paid first (its own late charges).
        ("active", set(), False, date(2026, 9, 17), "overdue"),
    ],
)
def test_payoff_refused(status: str, paid: set[int], pending: bool, on: date, reason: str) -> None:
    a = agreement(status)
    with pytest.raises(PayoffRefused) as refused:
        payoff(a, parts(a, paid, pending), on)
    assert refused.value.reason == reason


def static_code(amount_cents: int | None) -> str:
    return build_brcode(
        pix_key="financeiro@escola-aurora.com.br",
        merchant_name="ESCOLA AURORA",
        merchant_city="SAO PAULO",
        amount_cents=amount_cents,
        txid="REGUA0001",
    )


#: A dynamic BR Code as a PSP returns it for a cobv: its location, no amount, txid ***.
DYNAMIC = build_dynamic_brcode(
    location="pix.example.com/qr/v2/cobv/9d36b84fc70b478fb95c12729b90ca25",
    merchant_name="Escola Aurora",
    merchant_city="São Paulo",
)


def test_only_codes_for_exactly_the_amount_are_shown() -> None:
    assert pix_pays_exactly(static_code(51_167), 51_167)
    assert not pix_pays_exactly(static_code(150_000), 51_167)  # the overpaying code
    assert not pix_pays_exactly(static_code(None), 51_167)  # the payer would type the amount
    assert pix_pays_exactly(DYNAMIC, 51_167)  # the PSP prices the day of payment
    assert not pix_pays_exactly(DYNAMIC[:-4] + "0000", 51_167)  # a broken code is never shown

    def charge(method: str, pix: str | None, line: str | None, removed: bool = False) -> Charge:
        return Charge(
            uuid4(), uuid4(), uuid4(), method, 150_000, None, pix, line, None, T0, T0 if removed else None
        )

    line = "1" * 47
    shown = payable_codes(
        [
            charge("pix", DYNAMIC, None),
            charge("pix", static_code(150_000), None),
            charge("boleto", None, line),
        ],
        51_167,
    )
    assert (shown.pix, shown.boleto) == (DYNAMIC, line)
    # A removed charge is never shown; nothing is shown when nothing is due.
    gone = payable_codes([charge("pix", DYNAMIC, None, True), charge("boleto", None, line, True)], 51_167)
    assert (gone.pix, gone.boleto) == (None, None)
    assert payable_codes([charge("pix", DYNAMIC, None)], 0).pix is None


def test_portal_settings_are_validated() -> None:
    good = PortalSettingsUpdate(
        creditor_name="  Escola   Aurora Ltda ",
        creditor_document="11.222.333/0001-81",
        creditor_address="Rua das Flores, 100, São Paulo - SP",
        contact_phone="(11) 3333-4444",
    )
    assert good.creditor_name == "Escola Aurora Ltda" and good.creditor_document == "11222333000181"
    assert good.to_domain().contact_email is None
    for bad in (
        {"creditor_document": "11.222.333/0001-82"},  # check digits
        {"creditor_document": "529.982.247-25"},  # a CPF: the creditor is a company
        {"contact_phone": None, "contact_email": None},  # no contact
        {"contact_email": "financeiro.escola"},
        {"contact_phone": "123"},
    ):
        with pytest.raises(ValidationError):
            PortalSettingsUpdate.model_validate({**good.model_dump(), **bad})
    assert PortalSettingsUpdate.model_validate({**good.model_dump(), "contact_phone": "0800 123 4567"})
