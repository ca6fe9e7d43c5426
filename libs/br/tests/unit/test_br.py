"""regua_br against outside oracles: hand-written pt-BR amounts, the Receita
Federal's published check digits, the national calendar, a link token signed
before key ids existed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from regua_br.calendar import is_business_day, national_holiday, next_business_day
from regua_br.documents import InvalidDocument, is_valid_cnpj, normalise_document
from regua_br.formatting import ascii_fold, format_brl, format_date, format_digitable_line, format_document
from regua_br.rate_limit import RateLimiter, TokenBucket
from regua_br.tokens import (
    CSRF_INFO,
    LINK_INFO,
    SESSION_INFO,
    ExpiredToken,
    InvalidToken,
    Keyring,
    LinkClaims,
    SessionClaims,
    csrf_token,
    csrf_valid,
    derive_key,
    sign_link,
    sign_session,
    verify_link,
    verify_session,
)


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "R$ 0,00"),
        (5, "R$ 0,05"),
        (123456, "R$ 1.234,56"),
        (100000000, "R$ 1.000.000,00"),
        (-500, "-R$ 5,00"),
    ],
)
def test_brl_as_brazilians_write_it(cents: int, text: str) -> None:
    assert format_brl(cents) == text


def test_dates_documents_and_boleto_lines() -> None:
    assert format_date(date(2026, 3, 5)) == "05/03/2026"
    assert format_document("11222333000181") == "11.222.333/0001-81"
    assert format_document("12ABC34501DE35") == "12.ABC.345/01DE-35"
    assert format_document("52998224725") == "529.982.247-25"
    # DOMAIN.md's checked sample.
    assert (
        format_digitable_line("00190500954014481606906809350314337370000000100")
        == "00190.50095 40144.816069 06809.350314 3 37370000000100"
    )
    assert ascii_fold("Não pagou? Atenção") == "Nao pagou? Atencao"


def test_cpf_and_cnpj_check_digits() -> None:
    assert normalise_document("529.982.247-25") == "52998224725"
    assert normalise_document("11.222.333/0001-81") == "11222333000181"
    # The Receita Federal's example of an alphanumeric CNPJ (from July 2026).
    assert normalise_document("12.abc.345/01de-35") == "12ABC34501DE35"
    assert is_valid_cnpj("12ABC34501DE35") and not is_valid_cnpj("12ABC34501DE36")
    for bad in ("529.982.247-24", "11.222.333/0001-80", "123", "12ABC34501DEXX"):
        with pytest.raises(InvalidDocument):
            normalise_document(bad)


def test_business_days_skip_weekends_national_and_extra_holidays() -> None:
    # Sun 15/11/2026 is also Proclamação da República; Fri 20/11/2026 is
    # Consciência Negra (national since Lei 14.759/2023).
    assert national_holiday(date(2026, 11, 15)) and national_holiday(date(2026, 11, 20))
    assert next_business_day(date(2026, 11, 15)) == date(2026, 11, 16)
    assert next_business_day(date(2026, 11, 20)) == date(2026, 11, 23)
    assert next_business_day(date(2026, 12, 25)) == date(2026, 12, 28)
    assert next_business_day(date(2026, 12, 2)) == date(2026, 12, 2)
    # A tenant's city holiday (São Paulo's anniversary falls on Mon 25/01/2027).
    assert not is_business_day(date(2027, 1, 25), extra={date(2027, 1, 25)})
    assert next_business_day(date(2027, 1, 23), extra={date(2027, 1, 25)}) == date(2027, 1, 26)


#: Signed by the notifier's version-1 signer, before key ids existed.
V1_SECRET = "portal-vector-secret-0123456789abcdef"
V1_TOKEN = "AREREREiIkMzhERVVVVVVVVmZmZmd3dIiImZqqqqqqqqu7u7u8zMTd2O7v_______2nNCMCsjzgbdu2j-xkCXKfR0XgrgL--sp_QGviMpKU-K4lzEQ"
V1_CLAIMS = LinkClaims(
    UUID("11111111-2222-4333-8444-555555555555"),
    UUID("66666666-7777-4888-8999-aaaaaaaaaaaa"),
    UUID("bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"),
    datetime(2026, 4, 1, 12, 0, tzinfo=UTC),
)
BEFORE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_version_1_links_still_verify_with_key_0() -> None:
    keyring = Keyring.derived(V1_SECRET, LINK_INFO)
    assert verify_link(keyring, V1_TOKEN, now=BEFORE) == V1_CLAIMS
    with pytest.raises(ExpiredToken):
        verify_link(keyring, V1_TOKEN, now=V1_CLAIMS.expires_at)


def test_keys_rotate_new_links_carry_their_key_id() -> None:
    old = derive_key(V1_SECRET, LINK_INFO)
    new = derive_key("a-newer-secret-0123456789abcdefghijkl", LINK_INFO)
    before_rotation = Keyring(current=0, keys={0: old})
    during = Keyring(current=1, keys={0: old, 1: new})
    after = Keyring(current=1, keys={1: new})
    token = sign_link(during, V1_CLAIMS)
    assert len(token) == 115  # 86 bytes, base64url without padding
    assert verify_link(during, token, now=BEFORE) == V1_CLAIMS
    assert verify_link(after, token, now=BEFORE) == V1_CLAIMS
    with pytest.raises(InvalidToken, match="unknown key"):
        verify_link(before_rotation, token, now=BEFORE)
    with pytest.raises(InvalidToken, match="unknown key"):
        verify_link(after, V1_TOKEN, now=BEFORE)  # key 0 retired: old links die with it


def test_issue_times_ride_in_version_3_and_keyrings_from_secrets_rotate() -> None:
    issued = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    claims = LinkClaims(
        V1_CLAIMS.tenant_id, V1_CLAIMS.debtor_id, V1_CLAIMS.invoice_id, V1_CLAIMS.expires_at, issued
    )
    old = Keyring.from_secrets(["old-secret-0123456789"], LINK_INFO)
    both = Keyring.from_secrets(["new-secret-0123456789", "old-secret-0123456789"], LINK_INFO)
    token = sign_link(old, claims)
    assert len(token) == 120  # 90 bytes: 58 of payload (issue time included) and the 32-byte MAC
    assert verify_link(both, token, now=BEFORE) == claims  # the old key still verifies after rotation
    assert both.current != old.current and sign_link(both, claims) != token
    session = SessionClaims(claims.tenant_id, claims.debtor_id, claims.expires_at, issued)
    sessions = Keyring.from_secrets(["old-secret-0123456789"], SESSION_INFO)
    assert verify_session(sessions, sign_session(sessions, session), now=BEFORE) == session
    with pytest.raises(ValueError, match="at least one"):
        Keyring.from_secrets([], LINK_INFO)


def test_tampered_garbage_and_cross_use_tokens_are_refused() -> None:
    links = Keyring.derived(V1_SECRET, LINK_INFO)
    sessions = Keyring.derived(V1_SECRET, SESSION_INFO)
    token = sign_link(links, V1_CLAIMS)
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (tampered, "", "not a token!", token[:-2], "A" * 500):
        with pytest.raises(InvalidToken):
            verify_link(links, bad, now=BEFORE)
    with pytest.raises(InvalidToken):
        verify_session(sessions, token, now=BEFORE)
    session = SessionClaims(V1_CLAIMS.tenant_id, V1_CLAIMS.debtor_id, BEFORE + timedelta(hours=1))
    cookie = sign_session(sessions, session)
    assert verify_session(sessions, cookie, now=BEFORE) == session
    with pytest.raises(InvalidToken):
        verify_link(links, cookie, now=BEFORE)


def test_token_bucket_and_keyed_limiter() -> None:
    bucket = TokenBucket(rate=2, capacity=2)
    assert bucket.wait_time(0.0) == 0 and bucket.wait_time(0.0) == 0
    assert bucket.wait_time(0.0) == pytest.approx(0.5)  # refused: one token takes half a second
    assert bucket.take(0.5) and not bucket.take(0.5)
    limiter = RateLimiter(capacity=1, rate=1, max_keys=2)
    assert limiter.allow("a", 0.0) and not limiter.allow("a", 0.1)
    assert limiter.allow("b", 0.0)
    assert limiter.allow("c", 5.0)  # full buckets forgotten to make room
    assert set(limiter.buckets) == {"c"}


def test_sessions_expire_and_csrf_is_bound_to_the_session() -> None:
    sessions = Keyring.derived(V1_SECRET, SESSION_INFO)
    session = SessionClaims(UUID(int=1), UUID(int=2), BEFORE + timedelta(hours=1))
    cookie = sign_session(sessions, session)
    with pytest.raises(ExpiredToken):
        verify_session(sessions, cookie, now=session.expires_at)
    key = derive_key(V1_SECRET, CSRF_INFO)
    token = csrf_token(key, cookie)
    assert csrf_valid(key, cookie, token)
    other = sign_session(sessions, SessionClaims(UUID(int=3), UUID(int=2), session.expires_at))
    assert not csrf_valid(key, other, token)
    assert not csrf_valid(key, cookie, "")
    assert not csrf_valid(key, cookie, "ção" * 20)  # non-ASCII: refused, not a crash
