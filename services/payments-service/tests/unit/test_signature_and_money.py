from __future__ import annotations

import pytest

from payments_service.domain.signature import (
    SignatureError,
    check_timestamp,
    parse_header,
    sign,
    sign_legacy,
    verify,
)
from payments_service.domain.txid import is_valid_txid, txid_for
from regua_br.pix_amount import InvalidAmountError, format_cents, parse_valor

SECRET = "whsec_0123456789abcdef"
BODY = b'{"pix":[]}'
NOW = 1_800_000_000
TENANT = "0b5e6c1e-8d1f-4c3a-9a57-3f1f6c0e2a11"
OTHER = "7d2c1f3a-0000-4000-8000-000000000002"
PATH = f"/v1/webhooks/pix/{TENANT}/pix"


def check(
    header: str | None,
    body: bytes = BODY,
    *,
    now: int = NOW,
    tenant: str = TENANT,
    path: str = PATH,
    legacy: bool = True,
) -> str:
    signed = parse_header(header)
    check_timestamp(signed, now=now, tolerance=300)
    return verify(signed, body, SECRET, tenant_id=tenant, path=path, legacy_allowed=legacy)


def v2(secret: str = SECRET, body: bytes = BODY, t: int = NOW, tenant: str = TENANT, path: str = PATH) -> str:
    return sign(secret, body, t, tenant_id=tenant, path=path)


def test_sign_then_verify() -> None:
    assert v2().startswith(f"t={NOW},v2=")
    assert check(v2(), now=NOW + 300) == "v2"
    assert check(v2(), now=NOW - 300) == "v2"


def test_known_vector() -> None:
    # HMAC-SHA256 over "1800000000.<tenant>.<path>.{\"pix\":[]}", computed independently.
    import hashlib
    import hmac

    message = f"1800000000.{TENANT}./v1/webhooks/pix/{TENANT}/pix.".encode() + BODY
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert v2() == f"t={NOW},v2={expected}"
    legacy = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert sign_legacy(SECRET, BODY, NOW) == f"t={NOW},v1={legacy}"


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (None, BODY, NOW, "missing"),
        ("", BODY, NOW, "missing"),
        ("garbage", BODY, NOW, "malformed"),
        (f"t={NOW}", BODY, NOW, "malformed"),
        ("t=abc,v2=" + "0" * 64, BODY, NOW, "malformed"),
        ("t=" + "9" * 4300 + ",v2=" + "0" * 64, BODY, NOW, "malformed"),
        ("t=" + "1" * 13 + ",v2=" + "0" * 64, BODY, NOW, "malformed"),
        (f"t={NOW},v2=00", BODY, NOW, "malformed"),
        (f"t={NOW}," + ",".join(["v2=" + "0" * 64] * 20), BODY, NOW, "malformed"),
        (v2(), BODY, NOW + 301, "stale"),
        (v2(), BODY, NOW - 301, "stale"),
        (v2(), BODY + b" ", NOW, "mismatch"),
        (v2("another-secret"), BODY, NOW, "mismatch"),
        (v2().replace(f"t={NOW}", f"t={NOW + 1}"), BODY, NOW, "mismatch"),
    ],
)
def test_bad_signatures(header: str | None, body: bytes, now: int, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        check(header, body, now=now)
    assert caught.value.reason == reason


def test_a_signature_binds_the_tenant_and_the_path() -> None:
    with pytest.raises(SignatureError, match="tenant"):
        check(v2(), tenant=OTHER, path=PATH.replace(TENANT, OTHER))
    with pytest.raises(SignatureError):
        check(v2(), path=f"/v1/webhooks/boleto/{TENANT}")


def test_legacy_signatures_only_inside_the_window() -> None:
    legacy = sign_legacy(SECRET, BODY, NOW)
    assert check(legacy, legacy=True) == "v1"
    with pytest.raises(SignatureError) as caught:
        check(legacy, legacy=False)
    assert caught.value.reason == "legacy_expired"
    # A v2 that fails is not rescued by a v1 after the window.
    with pytest.raises(SignatureError):
        check(f"{v2('x' * 20)},{legacy.split(',')[1]}", legacy=False)


def test_rotation_accepts_any_listed_signature() -> None:
    good = v2().split(",")[1]
    assert check(f"t={NOW},v2={'d' * 64},{good}") == "v2"


@pytest.mark.parametrize(
    ("valor", "cents"),
    [("110.00", 11000), ("0.01", 1), ("1", 100), ("1.5", 150), ("9999999999.99", 999999999999)],
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
