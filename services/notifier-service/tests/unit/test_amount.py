"""The amount and dates a message shows on the day it is sent, the template
that reads true that day, and the payment codes it may carry. Money is checked
against hand-computed values (the arithmetic is in the comments)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from notifier_service.domain.amount import (
    AmountShown,
    amount_shown,
    charges_to_show,
    current_charges,
    fits,
    template_for_day,
)
from notifier_service.domain.model import ChargeView, InvoiceView
from notifier_service.domain.templates import TEMPLATE_CHANNELS, TEMPLATES, TONES, MessageContext, render
from regua_br.amount_due import Payment
from regua_br.brcode import build_brcode, build_dynamic_brcode

TENANT, INVOICE, DEBTOR = uuid4(), uuid4(), uuid4()
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

#: R$ 1.500,00 due Tue 10/11/2026, 2 % fine and 1 % a month, R$ 1.000,00 paid on 05/11.
PARTLY_PAID = InvoiceView(
    invoice_id=INVOICE,
    tenant_id=TENANT,
    debtor_id=DEBTOR,
    external_id="NF-1",
    amount_cents=150000,
    due_date=date(2026, 11, 10),
    status="partially_paid",
    effective_due_date=date(2026, 11, 10),
    fine_bps=200,
    monthly_interest_bps=100,
    payments=(Payment(on=date(2026, 11, 5), cents=100000),),
)
#: R$ 1.500,00 due Sun 15/11/2026 (also a national holiday): payable without charges on Mon 16/11.
DUE_ON_SUNDAY = replace(
    PARTLY_PAID,
    due_date=date(2026, 11, 15),
    effective_due_date=date(2026, 11, 16),
    payments=(),
    status="open",
)
#: An older producer's invoice.issued: no rates, no effective due date.
LEGACY = replace(PARTLY_PAID, effective_due_date=None, fine_bps=None, monthly_interest_bps=None, payments=())


@pytest.mark.parametrize(
    ("invoice", "today", "due", "late", "days_late"),
    [
        # Before and on the due date: the principal still open, 1.500,00 - 1.000,00.
        (PARTLY_PAID, date(2026, 11, 9), 50000, False, 0),
        (PARTLY_PAID, date(2026, 11, 10), 50000, False, 0),
        # 20/11: 500,00 + fine 2 % of 500,00 = 10,00 + interest 500,00 x 1 % x 10/30 = 1,6667 -> 1,67.
        (PARTLY_PAID, date(2026, 11, 20), 51167, True, 10),
        # 25/11: 500,00 + 10,00 + 500,00 x 1 % x 15/30 = 2,50 -> 512,50.
        (PARTLY_PAID, date(2026, 11, 25), 51250, True, 15),
        # 30/11: 500,00 + 10,00 + 500,00 x 1 % x 20/30 = 3,3333 -> 3,33 -> 513,33.
        (PARTLY_PAID, date(2026, 11, 30), 51333, True, 20),
        # Due on a Sunday, paid on Monday 16/11: 1.500,00 (not 1.530,50).
        (DUE_ON_SUNDAY, date(2026, 11, 16), 150000, False, 0),
        # Tuesday 17/11: 1.500,00 + 30,00 fine + 1.500,00 x 1 % x 2/30 = 1,00 (from the due date) -> 1.531,00.
        (DUE_ON_SUNDAY, date(2026, 11, 17), 153100, True, 2),
        # An older producer's invoice: the issued amount, the due date as the last day.
        (LEGACY, date(2026, 11, 20), 150000, True, 10),
        # ... or the figure invoice-service froze on invoice.overdue, as before.
        (replace(LEGACY, amount_due_cents=153050), date(2026, 11, 30), 153050, True, 20),
    ],
)
def test_the_amount_is_the_one_of_the_day_of_sending(
    invoice: InvoiceView, today: date, due: int, late: bool, days_late: int
) -> None:
    shown = amount_shown(invoice, today)
    assert (shown.due_cents, shown.late, shown.days_late) == (due, late, days_late)


def test_the_parts_of_the_issue_example() -> None:
    shown = amount_shown(PARTLY_PAID, date(2026, 11, 20))
    assert shown.parts is not None
    parts = shown.parts
    assert (
        parts.open_principal_cents,
        parts.open_fine_cents,
        parts.open_interest_cents,
        parts.paid_cents,
    ) == (
        50000,
        1000,
        167,
        100000,
    )
    assert amount_shown(LEGACY, date(2026, 11, 20)).parts is None


def test_pay_by_is_the_effective_due_date_and_the_due_date_for_older_events() -> None:
    assert amount_shown(DUE_ON_SUNDAY, date(2026, 11, 13)).pay_by == date(2026, 11, 16)
    # Rates without an effective due date (contract: read it as the due date).
    assert amount_shown(replace(DUE_ON_SUNDAY, effective_due_date=None), date(2026, 11, 13)).pay_by == date(
        2026, 11, 15
    )
    assert amount_shown(LEGACY, date(2026, 11, 1)).pay_by == date(2026, 11, 10)


def shown_on(today: date) -> AmountShown:
    return amount_shown(DUE_ON_SUNDAY, today)


@pytest.mark.parametrize(
    ("template", "today", "rendered"),
    [
        ("reminder", date(2026, 11, 12), "reminder"),
        ("due_today", date(2026, 11, 16), "due_today"),
        ("due_today", date(2026, 11, 15), "due_today"),
        # Past the last day without charges: the before-due texts would be untrue.
        ("reminder", date(2026, 11, 17), "overdue"),
        ("due_today", date(2026, 11, 17), "overdue"),
        ("overdue", date(2026, 11, 17), "overdue"),
        ("final_notice", date(2026, 11, 30), "final_notice"),
        # Planned from a due date on a Sunday: not late yet on Monday.
        ("overdue", date(2026, 11, 16), "due_today"),
        ("final_notice", date(2026, 11, 15), "reminder"),
        ("unknown", date(2026, 11, 17), "unknown"),
    ],
)
def test_the_template_reads_true_on_the_day(template: str, today: date, rendered: str) -> None:
    assert template_for_day(template, shown_on(today)) == rendered


def charge(
    method: str,
    *,
    age: int = 0,
    amount_cents: int | None = None,
    removed: bool = False,
    pix: str | None = None,
) -> ChargeView:
    created = T0 + timedelta(minutes=age)
    return ChargeView(
        charge_id=uuid4(),
        tenant_id=TENANT,
        invoice_id=INVOICE,
        method=method,
        created_at=created,
        pix_copy_paste=(pix or DYNAMIC) if method == "pix" else None,
        digitable_line="0" * 47 if method == "boleto" else None,
        amount_cents=amount_cents,
        removed_at=created + timedelta(hours=1) if removed else None,
    )


DYNAMIC = build_dynamic_brcode(
    location="psp.example.com/qr/v2/cobv/9d36b84fc70b478fb95c12729b90ca25",
    merchant_name="Escola Aurora",
    merchant_city="São Paulo",
)


def static(amount_cents: int | None) -> str:
    return build_brcode(
        pix_key="11222333000181",
        merchant_name="Escola Aurora",
        merchant_city="São Paulo",
        amount_cents=amount_cents,
        txid="REGUA0000000000000000001",
    )


def test_a_later_charge_replaces_the_earlier_one_of_its_method_and_removed_ones_are_gone() -> None:
    old_boleto, revised_boleto = charge("boleto", age=0), charge("boleto", age=5)
    pix = charge("pix", age=1)
    assert current_charges([old_boleto, pix, revised_boleto]) == [revised_boleto, pix]
    removed_pix = replace(pix, removed_at=T0 + timedelta(hours=1))
    assert current_charges([old_boleto, removed_pix]) == [old_boleto]
    # The newest boleto removed: the one it replaced does not come back.
    assert current_charges([old_boleto, replace(revised_boleto, removed_at=T0 + timedelta(hours=1))]) == []


@pytest.mark.parametrize(
    ("charge_", "due", "shown"),
    [
        # A cobv's dynamic code: the PSP adds fine and interest on the day of payment.
        (charge("pix", amount_cents=150000), 153100, True),
        (charge("pix", amount_cents=50000), 51167, True),
        # Issued before the R$ 1.000,00 payment and not revised: would collect 1.500,00 for 511,67.
        (charge("pix", amount_cents=150000), 51167, False),
        (charge("boleto", amount_cents=150000), 51167, False),
        # A registered boleto for the principal: the bank adds the charges as instructions.
        (charge("boleto", amount_cents=150000), 153100, True),
        (charge("boleto"), 153100, True),
        # A static code is paid at the value it carries: it must be the amount.
        (charge("pix", pix=static(51167)), 51167, True),
        (charge("pix", pix=static(50000)), 51167, False),
        (charge("pix", pix=static(None)), 51167, True),
    ],
)
def test_a_code_is_shown_only_when_its_value_can_be_the_amount(
    charge_: ChargeView, due: int, shown: bool
) -> None:
    assert fits(charge_, due) is shown


def test_charges_to_show_on_the_day() -> None:
    stale_pix = charge("pix", age=0, amount_cents=150000)
    revised_pix = charge("pix", age=10, amount_cents=50000)
    boleto = charge("boleto", age=1, amount_cents=150000)
    # After the payment, before the revised cobv: neither 1.500,00 code for 511,67.
    assert charges_to_show([stale_pix, boleto], 51167) == []
    assert charges_to_show([stale_pix, boleto, revised_pix], 51167) == [revised_pix]
    # The amount unknown (invoice not issued yet): the current charges as they are.
    assert charges_to_show([stale_pix, boleto], None) == [boleto, stale_pix]


def context_for(invoice: InvoiceView, today: date, **codes: str | None) -> MessageContext:
    """What the sender builds from ``amount_shown`` on ``today``."""
    shown = amount_shown(invoice, today)
    parts = shown.parts
    assert parts is not None
    return MessageContext(
        debtor_name="Maria Aparecida Souza",
        creditor_name="Escola Aurora Ltda",
        creditor_document="11222333000181",
        creditor_address="Rua das Flores, 100, São Paulo - SP",
        invoice_reference="NF-1",
        amount_cents=shown.due_cents,
        due_date=shown.due_date,
        pay_by=shown.pay_by,
        today=today,
        days_overdue=shown.days_late,
        portal_url="https://pagar.aurora.com.br/portal/l/abc",
        open_principal_cents=parts.open_principal_cents,
        fine_cents=parts.open_fine_cents,
        interest_cents=parts.open_interest_cents,
        paid_cents=parts.paid_cents,
        **codes,  # type: ignore[arg-type]
    )


def test_an_overdue_message_shows_the_figure_of_its_day_and_what_makes_it() -> None:
    body = render("overdue", "email", "friendly", context_for(PARTLY_PAID, date(2026, 11, 20))).body
    assert "O valor atualizado para hoje, 20/11/2026, é R$ 511,67." in body
    assert (
        "saldo de R$ 500,00 (já descontados R$ 1.000,00 pagos), multa de R$ 10,00 e juros de R$ 1,67" in body
    )
    later = render("overdue", "email", "friendly", context_for(PARTLY_PAID, date(2026, 11, 30))).body
    assert "O valor atualizado para hoje, 30/11/2026, é R$ 513,33." in later


DATE = re.compile(r"\d{2}/\d{2}/\d{4}")
#: The phrases that promise no charges, and the date that follows them.
NO_CHARGES_UNTIL = re.compile(r"sem (?:multa e juros|encargos) (?:at[eé]) (?:hoje, )?(\d{2}/\d{2}/\d{4})")


@pytest.mark.parametrize("today", [date(2026, 11, 13), date(2026, 11, 15), date(2026, 11, 16)])
@pytest.mark.parametrize(
    ("name", "channel", "tone"), [(t, c, o) for t in TEMPLATES for c in TEMPLATE_CHANNELS for o in TONES]
)
def test_no_text_sends_a_debtor_to_a_day_with_charges(
    name: str, channel: str, tone: str, today: date
) -> None:
    """Due Sun 15/11/2026, payable without charges until Mon 16/11: whatever
    the template, "sem encargos até" names 16/11 and "hoje" names the day of sending."""
    shown = amount_shown(DUE_ON_SUNDAY, today)
    message = render(template_for_day(name, shown), channel, tone, context_for(DUE_ON_SUNDAY, today))  # type: ignore[arg-type]
    text = f"{message.subject or ''}\n{message.body}"
    assert "R$ 1.500,00" in text
    assert all(d == "16/11/2026" for d in NO_CHARGES_UNTIL.findall(text)), text
    for match in re.finditer(r"[Hh]oje,? \(?(\d{2}/\d{2}/\d{4})", text):
        assert match.group(1) == today.strftime("%d/%m/%Y"), text
    assert "multa de" not in text


def test_due_today_on_the_monday_after_a_sunday_due_date_names_monday() -> None:
    context = context_for(DUE_ON_SUNDAY, date(2026, 11, 16))
    final = render("due_today", "email", "final", context)
    assert (
        "Hoje (16/11/2026) é o último dia para pagar a sua fatura NF-1, no valor de R$ 1.500,00" in final.body
    )
    assert "hoje (15/11/2026)" not in final.body.lower()
    friendly = render("due_today", "email", "friendly", context)
    assert "pode ser paga sem multa e juros até hoje, 16/11/2026" in friendly.body
    assert friendly.subject == "Sua fatura NF-1 vence hoje"
    sms = render("due_today", "sms", "friendly", context)
    assert "sem encargos ate hoje, 16/11/2026" in sms.body


def test_messages_read_well_with_a_boleto_only_or_the_link_only() -> None:
    line = "00190500954014481606906809350314337370000000100"
    today = date(2026, 11, 20)
    boleto_only = render(
        "overdue", "email", "firm", context_for(PARTLY_PAID, today, digitable_line=line)
    ).body
    assert "Pix" not in boleto_only
    assert (
        "Como pagar:\n- Boleto, linha digitável: 00190.50095 40144.816069 06809.350314 3 37370000000100"
        in (boleto_only)
    )
    link_only = render("overdue", "email", "firm", context_for(PARTLY_PAID, today)).body
    assert "Pix" not in link_only and "Boleto" not in link_only and "Como pagar:" not in link_only
    assert (
        "Para ver como pagar e obter a segunda via, acesse: https://pagar.aurora.com.br/portal/l/abc"
        in link_only
    )
    whatsapp = render("overdue", "whatsapp", "firm", context_for(PARTLY_PAID, today)).body
    assert "Pix" not in whatsapp
    assert "Como pagar e segunda via: https://pagar.aurora.com.br/portal/l/abc" in whatsapp
    assert not DATE.search(whatsapp.split("Como pagar")[1].split("Se você")[0])
