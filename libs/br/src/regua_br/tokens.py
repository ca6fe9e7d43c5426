"""Signed, expiring tokens of the debtor portal: the link in every message
(signed by notifier-service) and the session cookie (negotiation-service).

Binary rather than JSON keeps a link short enough for a WhatsApp line. All
integers big-endian; ``mac = HMAC-SHA256(key, payload)``, 32 bytes, not
truncated; ``token = base64url(payload || mac)`` without ``=`` padding::

    link v3    = 0x03 || kid (u8) || tenant_id (16) || debtor_id (16) || invoice_id (16)
                 || issued_at (u32) || expires_at (u32)
    session v3 = 0x03 || kid (u8) || tenant_id (16) || debtor_id (16) || issued_at (u32) || expires_at (u32)
    link v2    = 0x02 || kid (u8) || tenant_id (16) || debtor_id (16) || invoice_id (16) || expires_at (u32)
    session v2 = 0x02 || kid (u8) || tenant_id (16) || debtor_id (16) || expires_at (u32)
    link v1    = 0x01 || tenant_id || debtor_id || invoice_id || expires_at   (no key id: key 0)
    session v1 = 0x01 || tenant_id || debtor_id || expires_at                 (no key id: key 0)

``kid`` names the key in a :class:`Keyring`, so keys rotate: new tokens are
signed with the current key, and tokens signed with an older one verify as
long as the keyring keeps it. Version 1 tokens (sent before key ids existed)
verify with key 0. Links and sessions use different keyrings, so one is never
accepted as the other.

Claims with an ``issued_at`` are signed as version 3, so a verifier can void
every token of a debtor issued before an instant (revocation); older versions
verify with ``issued_at`` None (treat them as issued before any revocation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LINK_INFO = b"regua-portal-link"
SESSION_INFO = b"regua-portal-session"
CSRF_INFO = b"regua-portal-csrf"
MAX_TOKEN_CHARS = 200
_MAC_SIZE = 32
_LINK = {
    1: struct.Struct(">B16s16s16sI"),
    2: struct.Struct(">BB16s16s16sI"),
    3: struct.Struct(">BB16s16s16sII"),
}
_SESSION = {1: struct.Struct(">B16s16sI"), 2: struct.Struct(">BB16s16sI"), 3: struct.Struct(">BB16s16sII")}
_CURRENT = 2
_ISSUED = 3


class InvalidToken(ValueError):
    """Malformed, forged, unknown version or unknown key."""


class ExpiredToken(InvalidToken):
    """Well signed, but past its expiry."""


@dataclass(frozen=True, slots=True)
class LinkClaims:
    tenant_id: UUID
    debtor_id: UUID
    invoice_id: UUID
    expires_at: datetime
    #: None for tokens of versions 1 and 2 (signed before issue times were carried).
    issued_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionClaims:
    tenant_id: UUID
    debtor_id: UUID
    expires_at: datetime
    issued_at: datetime | None = None


def derive_key(secret: str, info: bytes) -> bytes:
    """A 32-byte key for one use (``info``) from a secret: HKDF-SHA256, no salt."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


@dataclass(frozen=True)
class Keyring:
    """Signing keys by id; ``current`` signs, every key verifies."""

    current: int
    keys: Mapping[int, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys or not all(0 <= kid <= 255 for kid in self.keys):
            raise ValueError("the current key must be in the keyring and key ids must fit a byte")

    @classmethod
    def derived(cls, secret: str, info: bytes) -> Keyring:
        """One key, id 0, derived from ``secret`` for ``info``."""
        return cls(current=0, keys={0: derive_key(secret, info)})

    @classmethod
    def from_secrets(cls, secrets: Sequence[str], info: bytes) -> Keyring:
        """A key per secret, derived for ``info``; the first signs, all verify.

        A key's id is taken from its own hash, not its place in the list, so
        adding a new secret in front (rotation) leaves older tokens verifiable;
        two secrets whose ids collide are refused (generate another)."""
        if not secrets:
            raise ValueError("at least one secret is needed")
        keys: dict[int, bytes] = {}
        for secret in secrets:
            key = derive_key(secret, info)
            kid = hashlib.sha256(b"regua-kid" + key).digest()[0]
            if kid in keys and keys[kid] != key:
                raise ValueError("two secrets share a key id: replace the newer one")
            keys.setdefault(kid, key)
        first = derive_key(secrets[0], info)
        return cls(current=hashlib.sha256(b"regua-kid" + first).digest()[0], keys=keys)

    def all_keys(self) -> list[bytes]:
        """Every key, the current one first."""
        return [self.keys[self.current], *(k for kid, k in self.keys.items() if kid != self.current)]

    def key(self, kid: int) -> bytes:
        try:
            return self.keys[kid]
        except KeyError:
            raise InvalidToken("unknown key") from None


def _seal(key: bytes, payload: bytes) -> str:
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def _open(keyring: Keyring, token: str, formats: Mapping[int, struct.Struct]) -> tuple[Any, ...]:
    """The fields after the version (and key id) of a well-signed token."""
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken("too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("not base64url") from None
    if not raw or raw[0] not in formats:
        raise InvalidToken("unknown version")
    version = raw[0]
    layout = formats[version]
    if len(raw) != layout.size + _MAC_SIZE:
        raise InvalidToken("wrong length")
    payload, mac = raw[: layout.size], raw[layout.size :]
    fields = layout.unpack(payload)
    kid, rest = (0, fields[1:]) if version == 1 else (fields[1], fields[2:])
    if version != _ISSUED:
        rest = (*rest, None)  # no issue time: the caller treats it as long ago
    if not hmac.compare_digest(mac, hmac.new(keyring.key(kid), payload, hashlib.sha256).digest()):
        raise InvalidToken("bad signature")
    return rest


def _expiry(expires: int, now: datetime) -> datetime:
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise ExpiredToken("expired")
    return expires_at


def _times(issued_at: datetime | None, expires_at: datetime) -> tuple[int, tuple[int, ...]]:
    """The version and the time fields of a token with these claims."""
    if issued_at is None:
        return _CURRENT, (int(expires_at.timestamp()),)
    return _ISSUED, (int(issued_at.timestamp()), int(expires_at.timestamp()))


def _issued(first: int, second: int | None) -> tuple[datetime | None, int]:
    """``(issued_at, expires)`` from the unpacked time fields (one or two)."""
    if second is None:
        return None, first
    return datetime.fromtimestamp(first, UTC), second


def sign_link(keyring: Keyring, claims: LinkClaims) -> str:
    version, times = _times(claims.issued_at, claims.expires_at)
    payload = _LINK[version].pack(
        version,
        keyring.current,
        claims.tenant_id.bytes,
        claims.debtor_id.bytes,
        claims.invoice_id.bytes,
        *times,
    )
    return _seal(keyring.key(keyring.current), payload)


def verify_link(keyring: Keyring, token: str, *, now: datetime) -> LinkClaims:
    """The claims of a valid, unexpired link (:class:`ExpiredToken` when only
    the expiry is wrong: the page says so and the debtor asks for a new one)."""
    tenant, debtor, invoice, first, second = _open(keyring, token, _LINK)
    issued, expires = _issued(first, second)
    return LinkClaims(
        UUID(bytes=tenant), UUID(bytes=debtor), UUID(bytes=invoice), _expiry(expires, now), issued
    )


def sign_session(keyring: Keyring, claims: SessionClaims) -> str:
    version, times = _times(claims.issued_at, claims.expires_at)
    payload = _SESSION[version].pack(
        version, keyring.current, claims.tenant_id.bytes, claims.debtor_id.bytes, *times
    )
    return _seal(keyring.key(keyring.current), payload)


def verify_session(keyring: Keyring, token: str, *, now: datetime) -> SessionClaims:
    tenant, debtor, first, second = _open(keyring, token, _SESSION)
    issued, expires = _issued(first, second)
    return SessionClaims(UUID(bytes=tenant), UUID(bytes=debtor), _expiry(expires, now), issued)


def csrf_token(key: bytes, session_token: str) -> str:
    """Bound to the session cookie: a form from another session (or site) is refused."""
    return hmac.new(key, session_token.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(key: bytes, session_token: str, token: str) -> bool:
    """Constant-time; any text (a hostile form may post non-ASCII) is just wrong."""
    return hmac.compare_digest(csrf_token(key, session_token).encode(), token.encode())


def portal_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/portal/l/{token}"
