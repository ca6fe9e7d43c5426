"""Channel order and fallback, rate limiting, backoff, formatting, portal tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from notifier_service.domain.channels import Contacts, next_channel, ordered_channels, usable
from notifier_service.domain.delivery import (
    backoff_seconds,
    idempotency_key,
    instruments_awaited,
    smtp_message_id,
)
from regua_br.formatting import format_brl, format_date, format_digitable_line, format_document
from regua_br.rate_limit import TokenBucket
from regua_br.tokens import LINK_INFO, InvalidToken, Keyring, LinkClaims, portal_link, sign_link, verify_link

ALL = Contacts(email="a@b.com", phone="+5511912345678", whatsapp="+5511912345679")


def test_step_order_unless_the_debtor_prefers() -> None:
    assert ordered_channels(["email", "sms", "whatsapp"], []) == ["email", "sms", "whatsapp"]
    assert ordered_channels(["email", "sms", "whatsapp"], ["whatsapp", "sms"]) == ["whatsapp", "sms", "email"]
    # A preferred channel the step does not use is not added.
    assert ordered_channels(["email"], ["whatsapp"]) == ["email"]


def test_first_usable_channel_skips_opt_outs_missing_contacts_and_voice() -> None:
    opted_out = Contacts(email="a@b.com", phone="+5511912345678", consents={"email": False})
    assert next_channel(["voice", "email", "sms"], opted_out, set()) == "sms"
    no_email = Contacts(phone="+5511912345678")
    assert next_channel(["email", "sms"], no_email, set()) == "sms"
    assert not usable("voice", ALL)
    assert next_channel(["email"], Contacts(), set()) is None


def test_fallback_moves_to_the_next_channel() -> None:
    assert next_channel(["sms", "whatsapp", "email"], ALL, {"sms"}) == "whatsapp"
    assert next_channel(["sms", "whatsapp", "email"], ALL, {"sms", "whatsapp"}) == "email"
    assert next_channel(["sms", "whatsapp"], ALL, {"sms", "whatsapp"}) is None


def test_whatsapp_falls_back_on_the_mobile_number() -> None:
    assert Contacts(phone="+5511912345678").address("whatsapp") == "+5511912345678"


def test_token_bucket() -> None:
    bucket = TokenBucket(rate=10, capacity=2)
    assert bucket.wait_time(0.0) == 0
    assert bucket.wait_time(0.0) == 0
    assert bucket.wait_time(0.0) == pytest.approx(0.1)
    assert bucket.wait_time(0.05) == pytest.approx(0.05)
    assert bucket.wait_time(0.1) == 0
    # Ten a second over a long run, whatever the burst.
    granted = sum(1 for i in range(1000) if bucket.wait_time(1.0 + i * 0.01) == 0)
    assert 95 <= granted <= 105


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff_seconds(n, base=1, cap=5) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_idempotency_key_is_stable_per_step_and_channel() -> None:
    step = uuid4()
    assert idempotency_key(step, "sms") == idempotency_key(step, "sms")
    assert idempotency_key(step, "sms") != idempotency_key(step, "email")
    assert smtp_message_id("k", "regua.local") == "<k@regua.local>"


def test_brazilian_formats() -> None:
    assert format_brl(123456) == "R$ 1.234,56"
    assert format_brl(5) == "R$ 0,05"
    assert format_brl(100_000_000) == "R$ 1.000.000,00"
    assert format_date(date(2026, 3, 7)) == "07/03/2026"
    assert format_document("11222333000181") == "11.222.333/0001-81"
    assert format_document("52998224725") == "529.982.247-25"
    assert (
        format_digitable_line("00190500954014481606906809350314337370000000100")
        == "00190.50095 40144.816069 06809.350314 3 37370000000100"
    )


def test_portal_token_round_trip_and_tamper() -> None:
    key = Keyring.derived("x" * 48, LINK_INFO)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    claims = LinkClaims(uuid4(), uuid4(), uuid4(), now + timedelta(days=30))
    token = sign_link(key, claims)
    assert len(token) == 115
    assert verify_link(key, token, now=now) == claims
    assert portal_link("http://x/", token) == f"http://x/portal/l/{token}"
    with pytest.raises(InvalidToken):
        verify_link(key, token, now=now + timedelta(days=31))
    with pytest.raises(InvalidToken):
        verify_link(Keyring.derived("y" * 48, LINK_INFO), token, now=now)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    with pytest.raises(InvalidToken):
        verify_link(key, flipped, now=now)
    with pytest.raises(InvalidToken):
        verify_link(key, "not a token!", now=now)


PIX_AND_BOLETO = frozenset({"pix", "boleto"})


@pytest.mark.parametrize(
    ("promised", "announced", "seen", "awaited"),
    [
        # No charge-created yet: every promised code may still come.
        (PIX_AND_BOLETO, None, frozenset(), PIX_AND_BOLETO),
        # Both announced, one arrived: wait for the other.
        (PIX_AND_BOLETO, PIX_AND_BOLETO, frozenset({"pix"}), frozenset({"boleto"})),
        (PIX_AND_BOLETO, PIX_AND_BOLETO, PIX_AND_BOLETO, frozenset()),
        # A tenant without Pix: the invoice will never have one; nothing to wait for.
        (PIX_AND_BOLETO, frozenset({"boleto"}), frozenset({"boleto"}), frozenset()),
        # The SMS shows only the boleto: the missing Pix does not hold it.
        (frozenset({"boleto"}), PIX_AND_BOLETO, frozenset({"boleto"}), frozenset()),
        (frozenset({"boleto"}), None, frozenset(), frozenset({"boleto"})),
    ],
)
def test_a_message_waits_for_the_codes_its_channel_shows_and_the_invoice_will_have(
    promised: frozenset[str], announced: frozenset[str] | None, seen: frozenset[str], awaited: frozenset[str]
) -> None:
    assert instruments_awaited(promised, announced, seen) == awaited


def test_every_channel_of_the_templates_declares_what_it_shows() -> None:
    from notifier_service.domain.templates import PROMISED_INSTRUMENTS, TEMPLATE_CHANNELS

    assert set(PROMISED_INSTRUMENTS) == set(TEMPLATE_CHANNELS)
