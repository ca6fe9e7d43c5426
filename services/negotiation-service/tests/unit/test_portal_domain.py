"""Portal link verification (against a vector signed by notifier-service), sessions, CSRF, rate limit, formats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from negotiation_service.domain.portal import (
    CSRF_INFO,
    LINK_INFO,
    SESSION_INFO,
    ExpiredToken,
    InvalidToken,
    LinkClaims,
    PortalSession,
    RateLimiter,
    br_date,
    brl,
    csrf_token,
    csrf_valid,
    derive_key,
    sign_link,
    sign_session,
    verify_link,
    verify_session,
)

#: Produced once with notifier_service.domain.portal_link.sign_portal_token.
VECTOR_SECRET = "portal-vector-secret-0123456789abcdef"
VECTOR_TOKEN = "AREREREiIkMzhERVVVVVVVVmZmZmd3dIiImZqqqqqqqqu7u7u8zMTd2O7v_______2nNCMCsjzgbdu2j-xkCXKfR0XgrgL--sp_QGviMpKU-K4lzEQ"
VECTOR_CLAIMS = LinkClaims(
    UUID("11111111-2222-4333-8444-555555555555"),
    UUID("66666666-7777-4888-8999-aaaaaaaaaaaa"),
    UUID("bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"),
    datetime(2026, 4, 1, 12, 0, tzinfo=UTC),
)
BEFORE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_notifier_vector_verifies() -> None:
    key = derive_key(VECTOR_SECRET, LINK_INFO)
    assert verify_link(key, VECTOR_TOKEN, now=BEFORE) == VECTOR_CLAIMS
    assert sign_link(key, VECTOR_CLAIMS) == VECTOR_TOKEN


def test_expired_wrong_key_tampered_and_garbage_are_refused() -> None:
    key = derive_key(VECTOR_SECRET, LINK_INFO)
    with pytest.raises(ExpiredToken):
        verify_link(key, VECTOR_TOKEN, now=VECTOR_CLAIMS.expires_at)
    with pytest.raises(InvalidToken):
        verify_link(derive_key("another-secret-0123456789abcdefghij", LINK_INFO), VECTOR_TOKEN, now=BEFORE)
    tampered = VECTOR_TOKEN[:10] + ("A" if VECTOR_TOKEN[10] != "A" else "B") + VECTOR_TOKEN[11:]
    for bad in (tampered, "", "not a token!", VECTOR_TOKEN[:-2], "A" * 500):
        with pytest.raises(InvalidToken):
            verify_link(key, bad, now=BEFORE)
    # A link is not a session (other key, other shape).
    with pytest.raises(InvalidToken):
        verify_session(derive_key(VECTOR_SECRET, SESSION_INFO), VECTOR_TOKEN, now=BEFORE)


def test_session_round_trip_expiry_and_csrf() -> None:
    key = derive_key(VECTOR_SECRET, SESSION_INFO)
    session = PortalSession(uuid4(), uuid4(), BEFORE + timedelta(hours=1))
    value = sign_session(key, session)
    assert verify_session(key, value, now=BEFORE) == session
    with pytest.raises(ExpiredToken):
        verify_session(key, value, now=BEFORE + timedelta(hours=1))
    csrf = derive_key(VECTOR_SECRET, CSRF_INFO)
    token = csrf_token(csrf, value)
    assert csrf_valid(csrf, value, token)
    other = sign_session(key, PortalSession(uuid4(), uuid4(), session.expires_at))
    assert not csrf_valid(csrf, other, token)
    assert not csrf_valid(csrf, value, "")


def test_token_bucket() -> None:
    limiter = RateLimiter(capacity=3, rate=1.0)
    assert [limiter.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", 0.0)  # buckets are per key
    assert limiter.allow("a", 1.0) and not limiter.allow("a", 1.0)


def test_formats() -> None:
    assert brl(123456) == "R$ 1.234,56"
    assert brl(5) == "R$ 0,05"
    assert brl(100_000_000) == "R$ 1.000.000,00"
    assert br_date(date(2026, 2, 8)) == "08/02/2026"
