"""Every template renders on every channel and tone, names the creditor and
its CNPJ, and no SMS exceeds 160 characters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from jinja2.exceptions import SecurityError

from notifier_service.domain.templates import (
    _ENV,
    SMS_MAX,
    TEMPLATE_CHANNELS,
    TEMPLATES,
    TONES,
    MessageContext,
    UnknownTemplate,
    render,
)
from regua_br.formatting import ascii_fold

PIX = (
    "00020101021226900014br.gov.bcb.pix2568pix.regua.local/qr/v2/cobv/"
    "9d36b84fc70b478fb95c12729b90ca255204000053039865406110.005802BR5913ESCOLA AURORA"
    "6009SAO PAULO62290525REGUA0000000000000000000016304ABCD"
)
LINE = "00190500954014481606906809350314337370000000100"

CONTEXT = MessageContext(
    debtor_name="Maria Aparecida da Conceição",
    creditor_name="Escola de Educação Infantil Aurora do Vale Ltda",
    creditor_document="11222333000181",
    creditor_address="Rua das Flores, 100, Centro, São Paulo - SP, 01001-000",
    invoice_reference="demo-mensalidade-001-0",
    amount_cents=1_234_567_89,
    due_date=date(2026, 12, 10),
    pay_by=date(2026, 12, 10),
    today=date(2026, 12, 22),
    days_overdue=12,
    portal_url="http://127.0.0.1:8004/portal/l/" + "A" * 114,
    pix_copy_paste=PIX,
    digitable_line=LINE,
)

CASES = [(t, ch, tone) for t in TEMPLATES for ch in TEMPLATE_CHANNELS for tone in TONES]


@pytest.mark.parametrize(("name", "channel", "tone"), CASES)
@pytest.mark.parametrize("context", [CONTEXT, replace(CONTEXT, amount_cents=8_990, creditor_name="Aurora")])
def test_every_version_names_the_creditor_and_cnpj(
    name: str, channel: str, tone: str, context: MessageContext
) -> None:
    message = render(name, channel, tone, context)  # type: ignore[arg-type]

    creditor = ascii_fold(context.creditor_name[:30]).strip() if channel == "sms" else context.creditor_name
    assert creditor in message.body
    assert "11.222.333/0001-81" in message.body
    if channel == "sms":
        assert len(message.body) <= SMS_MAX
        assert message.body.isascii()
        assert message.subject is None
    else:
        assert context.portal_url in message.body
        assert PIX in message.body
        assert "00190.50095 40144.816069 06809.350314 3 37370000000100" in message.body
        assert "desconsidere" in message.body
    if channel == "email":
        assert message.subject
        assert context.creditor_address in message.body


def test_amounts_and_dates_are_brazilian() -> None:
    email = render("reminder", "email", "friendly", replace(CONTEXT, amount_cents=123456))
    assert "R$ 1.234,56" in email.body
    assert "10/12/2026" in email.body
    assert "Olá, Maria!" in email.body


def test_sms_carries_the_digitable_line_when_it_fits() -> None:
    short = replace(CONTEXT, creditor_name="Aurora", amount_cents=8_990)
    assert LINE in render("due_today", "sms", "firm", short).body


def test_no_threatening_words() -> None:
    banned = (
        "processo",
        "justiça",
        "polícia",
        "protesto",
        "negativa",
        "SPC",
        "Serasa",
        "calote",
        "caloteiro",
    )
    for name, channel, tone in CASES:
        body = render(name, channel, tone, CONTEXT).body.lower()  # type: ignore[arg-type]
        assert not [w for w in banned if w.lower() in body], (name, channel, tone)


def test_unknown_template() -> None:
    with pytest.raises(UnknownTemplate):
        render("nope", "email", "friendly", CONTEXT)
    with pytest.raises(UnknownTemplate):
        render("reminder", "voice", "friendly", CONTEXT)


def test_sandbox_refuses_huge_operations() -> None:
    with pytest.raises(SecurityError):
        _ENV.from_string("{{ 'x' * 1000000000 }}").render()
    with pytest.raises(SecurityError):
        _ENV.from_string("{{ 2 ** 99999999 }}").render()
    assert _ENV.from_string("{{ 'ab' * 2 }}{{ 2 ** 3 }}").render() == "abab8"
