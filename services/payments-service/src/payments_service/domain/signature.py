"""Webhook signatures: ``X-Regua-Signature: t=<unix>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 of ``"<t>.<raw body>"`` keyed with the tenant's webhook secret.

The timestamp in the signed string makes a captured request useless after the
tolerance; the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Regua-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """A missing, malformed, stale or wrong signature; ``reason`` is stable for logs."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def compute(secret: str, body: bytes, t: int) -> str:
    """The hex HMAC-SHA256 of ``"<t>.<body>"``."""
    return hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int) -> str:
    """The ``X-Regua-Signature`` header value for ``body`` sent at unix time ``t``.
    Gateways (and tests, and the demo) sign exactly the bytes they send."""
    return f"t={t},v1={compute(secret, body, t)}"


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """``(t, [v1 signatures])`` of a header; several ``v1`` allow secret rotation."""
    if not header:
        raise SignatureError("missing", f"the {HEADER} header is missing")
    t: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", f"{HEADER} must look like t=<unix>,v1=<hex>")
        if name == "t":
            if not value.isdigit() or not value.isascii():
                raise SignatureError("malformed", "t must be a unix timestamp in seconds")
            t = int(value)
        elif name == "v1":
            signatures.append(value)
    if t is None or not signatures:
        raise SignatureError("malformed", f"{HEADER} must look like t=<unix>,v1=<hex>")
    return t, signatures


def verify(
    header: str | None, body: bytes, secret: str, *, now: int, tolerance: int = TOLERANCE_SECONDS
) -> int:
    """Check ``header`` against ``body`` at unix time ``now``; returns ``t``.
    Raises :class:`SignatureError` (reason ``missing``, ``malformed``, ``stale``
    or ``mismatch``)."""
    t, signatures = parse_header(header)
    if abs(now - t) > tolerance:
        raise SignatureError(
            "stale", f"the signature timestamp is more than {tolerance} seconds away from now"
        )
    expected = compute(secret, body, t)
    # compare_digest on every candidate, no early exit on the first match.
    matches = [hmac.compare_digest(expected.encode(), s.encode()) for s in signatures]
    if not any(matches):
        raise SignatureError("mismatch", "the signature does not match the body")
    return t
