"""Signed, expiring links to the debtor portal (negotiation-service verifies them).

Format (version 1), all integers big-endian::

    payload = 0x01 || tenant_id (16 bytes) || debtor_id (16) || invoice_id (16) || expires_at (uint32, unix s)
    mac     = HMAC-SHA256(key, payload)                  # 32 bytes, not truncated
    token   = base64url(payload || mac) without '=' padding   # 85 bytes -> 114 characters
    key     = HKDF-SHA256(ikm=utf8(auth.jwt_secret), salt=None, info=b"regua-portal-link", length=32)
    link    = {portal_base_url}/portal/l/{token}

Binary rather than JSON keeps the link short enough for a WhatsApp line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
HKDF_INFO = b"regua-portal-link"
DEFAULT_TTL = timedelta(days=30)
_PAYLOAD = struct.Struct(">B16s16s16sI")
_MAC_SIZE = 32


class InvalidPortalToken(ValueError):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True, slots=True)
class PortalClaims:
    tenant_id: UUID
    debtor_id: UUID
    invoice_id: UUID
    expires_at: datetime


def derive_key(jwt_secret: str) -> bytes:
    """The link-signing key: HKDF-SHA256 of the JWT secret, bound to this use."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(jwt_secret.encode())


def sign_portal_token(key: bytes, claims: PortalClaims) -> str:
    payload = _PAYLOAD.pack(
        VERSION,
        claims.tenant_id.bytes,
        claims.debtor_id.bytes,
        claims.invoice_id.bytes,
        int(claims.expires_at.timestamp()),
    )
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def verify_portal_token(key: bytes, token: str, *, now: datetime) -> PortalClaims:
    """The claims of a valid, unexpired token; :class:`InvalidPortalToken` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidPortalToken("not base64url") from None
    if len(raw) != _PAYLOAD.size + _MAC_SIZE:
        raise InvalidPortalToken("wrong length")
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    if not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()):
        raise InvalidPortalToken("bad signature")
    version, tenant, debtor, invoice, expires = _PAYLOAD.unpack(payload)
    if version != VERSION:
        raise InvalidPortalToken("unknown version")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise InvalidPortalToken("expired")
    return PortalClaims(UUID(bytes=tenant), UUID(bytes=debtor), UUID(bytes=invoice), expires_at)


def portal_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/portal/l/{token}"
