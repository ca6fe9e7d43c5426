"""The debtor portal's security and presentation rules (pure, no I/O).

Link tokens are signed by notifier-service (``notifier_service.domain.portal_link``);
services never import each other, so verification is re-implemented here from
the documented format (version 1), all integers big-endian::

    payload = 0x01 || tenant_id (16) || debtor_id (16) || invoice_id (16) || expires_at (uint32 unix s)
    mac     = HMAC-SHA256(key, payload)
    token   = base64url(payload || mac) without '=' padding
    key     = HKDF-SHA256(ikm=utf8(auth.jwt_secret), salt=None, info=b"regua-portal-link", length=32)

The portal session cookie uses the same shape with its own key (another HKDF
``info``), so a link token is never accepted as a session and vice versa.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LINK_VERSION = 1
SESSION_VERSION = 1
LINK_INFO = b"regua-portal-link"
SESSION_INFO = b"regua-portal-session"
CSRF_INFO = b"regua-portal-csrf"
_LINK = struct.Struct(">B16s16s16sI")
_SESSION = struct.Struct(">B16s16sI")
_MAC_SIZE = 32


class InvalidToken(ValueError):
    """Malformed, forged or unknown-version token."""


class ExpiredToken(InvalidToken):
    """Well signed, but past its expiry."""


@dataclass(frozen=True, slots=True)
class LinkClaims:
    tenant_id: UUID
    debtor_id: UUID
    invoice_id: UUID
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PortalSession:
    tenant_id: UUID
    debtor_id: UUID
    expires_at: datetime


def derive_key(jwt_secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(jwt_secret.encode())


def _b64decode(token: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("not base64url") from None


def _open(key: bytes, token: str, size: int) -> bytes:
    if len(token) > 200:
        raise InvalidToken("too long")
    raw = _b64decode(token)
    if len(raw) != size + _MAC_SIZE:
        raise InvalidToken("wrong length")
    payload, mac = raw[:size], raw[size:]
    if not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()):
        raise InvalidToken("bad signature")
    return payload


def _seal(key: bytes, payload: bytes) -> str:
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def verify_link(key: bytes, token: str, *, now: datetime) -> LinkClaims:
    """The claims of a valid, unexpired link token (:class:`ExpiredToken` when
    only the expiry is wrong: the page says so, the debtor asks for a new one)."""
    version, tenant, debtor, invoice, expires = _LINK.unpack(_open(key, token, _LINK.size))
    if version != LINK_VERSION:
        raise InvalidToken("unknown version")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise ExpiredToken("expired")
    return LinkClaims(UUID(bytes=tenant), UUID(bytes=debtor), UUID(bytes=invoice), expires_at)


def sign_link(key: bytes, claims: LinkClaims) -> str:
    """Only for tests and tools: the notifier signs the real links."""
    return _seal(
        key,
        _LINK.pack(
            LINK_VERSION,
            claims.tenant_id.bytes,
            claims.debtor_id.bytes,
            claims.invoice_id.bytes,
            int(claims.expires_at.timestamp()),
        ),
    )


def sign_session(key: bytes, session: PortalSession) -> str:
    return _seal(
        key,
        _SESSION.pack(
            SESSION_VERSION,
            session.tenant_id.bytes,
            session.debtor_id.bytes,
            int(session.expires_at.timestamp()),
        ),
    )


def verify_session(key: bytes, value: str, *, now: datetime) -> PortalSession:
    version, tenant, debtor, expires = _SESSION.unpack(_open(key, value, _SESSION.size))
    if version != SESSION_VERSION:
        raise InvalidToken("unknown version")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise ExpiredToken("expired")
    return PortalSession(UUID(bytes=tenant), UUID(bytes=debtor), expires_at)


def csrf_token(key: bytes, session_value: str) -> str:
    """Bound to the session cookie: a form from another session (or site) is refused."""
    return hmac.new(key, session_value.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(key: bytes, session_value: str, token: str) -> bool:
    return hmac.compare_digest(csrf_token(key, session_value), token)


@dataclass(slots=True)
class TokenBucket:
    """``capacity`` requests at once, refilled at ``rate`` per second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class RateLimiter:
    """One bucket per key (session's debtor or client address), in memory: each
    replica limits on its own, which bounds abuse well enough for a portal."""

    def __init__(self, capacity: int, rate: float, max_keys: int = 50_000) -> None:
        self.capacity = capacity
        self.rate = rate
        self.max_keys = max_keys
        self.buckets: dict[str, TokenBucket] = {}

    def allow(self, key: str, now: float) -> bool:
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                # Full buckets carry no information: forget them first.
                self.buckets = {
                    k: b
                    for k, b in self.buckets.items()
                    if b.tokens + (now - b.updated) * b.rate < b.capacity
                }
            bucket = self.buckets[key] = TokenBucket(self.capacity, self.rate, self.capacity, now)
        return bucket.take(now)


def brl(cents: int) -> str:
    """``123456`` -> ``R$ 1.234,56`` (Brazilian grouping and decimal comma)."""
    sign = "-" if cents < 0 else ""
    reais, centavos = divmod(abs(cents), 100)
    return f"{sign}R$ {reais:,}".replace(",", ".") + f",{centavos:02d}"


def br_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def first_name(name: str | None) -> str | None:
    return name.split()[0] if name and name.split() else None
