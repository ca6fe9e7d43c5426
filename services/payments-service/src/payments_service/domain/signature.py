"""Webhook signatures: ``X-Regua-Signature: t=<unix seconds>,v2=<hex>``.

``v2`` is the lowercase hex HMAC-SHA256, keyed with the tenant's webhook
secret (UTF-8), of the bytes::

    <t> "." <tenant_id> "." <path> "." <raw body>

where ``tenant_id`` is the tenant's UUID as it appears in the URL, lowercase
with hyphens, and ``path`` the URL path the request is posted to, without
scheme, host or query (``/v1/webhooks/pix/<tenant_id>/pix``). Binding the
tenant and the path means a body signed for one tenant, or for one provider's
route, is refused on any other, even where tenants share a secret; the
timestamp makes a captured request useless after the tolerance; comparisons
are constant-time. Several ``v2`` may be sent (secret rotation at the sender).

The legacy scheme, ``v1`` = HMAC-SHA256 of ``<t> "." <raw body>``, is accepted
until a configured date (a migration window) and counted; after it, refused.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

HEADER = "X-Regua-Signature"
TOLERANCE_SECONDS = 300
#: Unix seconds fit 11 digits until the year 5138; more is hostile input
#: (and Python's int() refuses over 4,300 digits with a ValueError).
_MAX_T_DIGITS = 12
_MAX_SIGNATURES = 8
_HEX = frozenset("0123456789abcdef")

Scheme = Literal["v2", "v1"]


class SignatureError(ValueError):
    """A missing, malformed, stale or wrong signature; ``reason`` is stable for logs and metrics."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SignatureHeader:
    t: int
    v2: tuple[str, ...]
    v1: tuple[str, ...]


def string_to_sign(t: int, tenant_id: UUID | str, path: str, body: bytes) -> bytes:
    return f"{t}.{str(tenant_id).lower()}.{path}.".encode() + body


def compute(secret: str, body: bytes, t: int, *, tenant_id: UUID | str, path: str) -> str:
    """The hex ``v2`` HMAC-SHA256 of ``"<t>.<tenant_id>.<path>.<body>"``."""
    return hmac.new(secret.encode(), string_to_sign(t, tenant_id, path, body), hashlib.sha256).hexdigest()


def compute_legacy(secret: str, body: bytes, t: int) -> str:
    """The hex ``v1`` HMAC-SHA256 of ``"<t>.<body>"`` (the legacy scheme)."""
    return hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int, *, tenant_id: UUID | str, path: str) -> str:
    """The ``X-Regua-Signature`` value for ``body`` posted to ``path`` of
    ``tenant_id`` at unix time ``t``. Gateways sign exactly the bytes they send."""
    return f"t={t},v2={compute(secret, body, t, tenant_id=tenant_id, path=path)}"


def sign_legacy(secret: str, body: bytes, t: int) -> str:
    """A header of the legacy scheme (``v1``), accepted only during the migration window."""
    return f"t={t},v1={compute_legacy(secret, body, t)}"


def parse_header(header: str | None) -> SignatureHeader:
    """The header's parts; unknown schemes are ignored. Raises
    :class:`SignatureError` (``missing`` or ``malformed``)."""
    if not header:
        raise SignatureError("missing", f"the {HEADER} header is missing")
    malformed = SignatureError("malformed", f"{HEADER} must look like t=<unix seconds>,v2=<hex>")
    t: int | None = None
    v2: list[str] = []
    v1: list[str] = []
    parts = header.split(",")
    if len(parts) > 2 * _MAX_SIGNATURES:
        raise malformed
    for part in parts:
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise malformed
        if name == "t":
            if not (0 < len(value) <= _MAX_T_DIGITS and value.isascii() and value.isdigit()):
                raise SignatureError("malformed", "t must be a unix timestamp in seconds")
            t = int(value)
        elif name in ("v1", "v2"):
            if len(value) != 64 or not _HEX.issuperset(value):
                raise SignatureError("malformed", f"{name} must be 64 lowercase hex characters")
            (v2 if name == "v2" else v1).append(value)
    if t is None or not (v1 or v2):
        raise malformed
    return SignatureHeader(t, tuple(v2), tuple(v1))


def check_timestamp(signed: SignatureHeader, *, now: int, tolerance: int = TOLERANCE_SECONDS) -> None:
    """Refuse (``stale``) a timestamp more than ``tolerance`` seconds from ``now``, either way."""
    if abs(now - signed.t) > tolerance:
        raise SignatureError(
            "stale", f"the signature timestamp is more than {tolerance} seconds away from now"
        )


def _any_match(expected: str, candidates: tuple[str, ...]) -> bool:
    # compare_digest on every candidate, no early exit on the first match.
    matches = [hmac.compare_digest(expected.encode(), c.encode()) for c in candidates]
    return any(matches)


def verify(
    signed: SignatureHeader,
    body: bytes,
    secret: str,
    *,
    tenant_id: UUID | str,
    path: str,
    legacy_allowed: bool,
) -> Scheme:
    """Which scheme authenticated ``body``: ``v2``, else ``v1`` while
    ``legacy_allowed``. Raises :class:`SignatureError` (``mismatch``, or
    ``legacy_expired`` for a v1-only header after the window)."""
    if signed.v2 and _any_match(compute(secret, body, signed.t, tenant_id=tenant_id, path=path), signed.v2):
        return "v2"
    if signed.v1 and legacy_allowed and _any_match(compute_legacy(secret, body, signed.t), signed.v1):
        return "v1"
    if signed.v1 and not signed.v2 and not legacy_allowed:
        raise SignatureError("legacy_expired", "v1 signatures are no longer accepted: sign with v2")
    raise SignatureError("mismatch", "the signature does not match the tenant, path and body")
