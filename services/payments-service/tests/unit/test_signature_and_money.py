from __future__ import annotations

import pytest

from payments_service.domain.signature import SignatureError, sign, verify
from payments_service.domain.txid import is_valid_txid, txid_for
from regua_br.pix_amount import InvalidAmountError, format_cents, parse_valor

SECRET = "whsec_0123456789abcdef"
BODY = b'{"pix":[]}'
NOW = 1_800_000_000


def test_sign_then_verify() -> None:
    header = sign(SECRET, BODY, NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert verify(header, BODY, SECRET, now=NOW + 299) == NOW
    assert verify(header, BODY, SECRET, now=NOW - 299) == NOW


def test_known_vector() -> None:
    # HMAC-SHA256("1800000000.{\"pix\":[]}", "whsec_0123456789abcdef"), computed independently.
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, NOW) == f"t={NOW},v1={expected}"


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (None, BODY, NOW, "missing"),
        ("", BODY, NOW, "missing"),
        ("garbage", BODY, NOW, "malformed"),
        (f"t={NOW}", BODY, NOW, "malformed"),
        ("t=abc,v1=00", BODY, NOW, "malformed"),
        (sign(SECRET, BODY, NOW), BODY, NOW + 301, "stale"),
        (sign(SECRET, BODY, NOW), BODY, NOW - 301, "stale"),
        (sign(SECRET, BODY, NOW), BODY + b" ", NOW, "mismatch"),
        (sign("another-secret", BODY, NOW), BODY, NOW, "mismatch"),
        (sign(SECRET, BODY, NOW).replace(f"t={NOW}", f"t={NOW + 1}"), BODY, NOW, "mismatch"),
    ],
)
def test_bad_signatures(header: str | None, body: bytes, now: int, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify(header, body, SECRET, now=now)
    assert caught.value.reason == reason


def test_rotation_accepts_any_listed_signature() -> None:
    good = sign(SECRET, BODY, NOW).split(",")[1]
    assert verify(f"t={NOW},v1=deadbeef,{good}", BODY, SECRET, now=NOW) == NOW


@pytest.mark.parametrize(
    ("valor", "cents"),
    [("110.00", 11000), ("0.01", 1), ("1", 100), ("1.5", 150), ("99999999999.99", 9999999999999)],
)
def test_valor_parses_exactly(valor: str, cents: int) -> None:
    assert parse_valor(valor) == cents


@pytest.mark.parametrize(
    "valor", ["-1.00", "1.001", "1e3", "1,00", " 1.00", "", "NaN", "1.", ".5", "0x10", "１.00"]
)
def test_bad_valor_is_refused(valor: str) -> None:
    with pytest.raises(InvalidAmountError):
        parse_valor(valor)


def test_format_cents() -> None:
    assert format_cents(12345) == "123.45"
    assert format_cents(5) == "0.05"
    assert format_cents(100) == "1.00"


def test_txid() -> None:
    from uuid import uuid4

    txid = txid_for(uuid4())
    assert len(txid) == 32 and is_valid_txid(txid)
    assert not is_valid_txid("a" * 25) and not is_valid_txid("a" * 36) and not is_valid_txid("a-" * 14)
