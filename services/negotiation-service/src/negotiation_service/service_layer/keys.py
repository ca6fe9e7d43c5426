"""The portal's keys, all derived from ``portal_keys`` (never from the JWT
secret): one HKDF info per use, so a token of one kind is never accepted as
another. The first secret signs; every secret verifies (rotation)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from negotiation_service.settings import Settings
from regua_br.tokens import CSRF_INFO, LINK_INFO, SESSION_INFO, Keyring, derive_key

DEVICE_INFO = b"regua-portal-device"
CHALLENGE_INFO = b"regua-portal-challenge"


@dataclass(frozen=True, slots=True)
class PortalKeys:
    #: Verifies the links notifier-service signs (same secrets, same info).
    link: Keyring
    session: Keyring
    #: The cookie of a device that answered the first-device challenge.
    device: Keyring
    csrf: bytes
    #: Keys of the challenge digests, the signing one first.
    challenge: tuple[bytes, ...]

    @classmethod
    def of(cls, settings: Settings) -> PortalKeys:
        secrets = [k.get_secret_value() for k in settings.portal_keys]
        return cls(
            link=Keyring.from_secrets(secrets, LINK_INFO),
            session=Keyring.from_secrets(secrets, SESSION_INFO),
            device=Keyring.from_secrets(secrets, DEVICE_INFO),
            csrf=derive_key(secrets[0], CSRF_INFO),
            challenge=tuple(derive_key(s, CHALLENGE_INFO) for s in secrets),
        )

    def challenge_digest(self, tenant_id: UUID, debtor_id: UUID, answer: str) -> str:
        """The keyed hash kept of the debtor's answer (never the answer): bound
        to the debtor, so equal answers of two debtors give different digests."""
        return _digest(self.challenge[0], tenant_id, debtor_id, answer)

    def challenge_matches(self, tenant_id: UUID, debtor_id: UUID, answer: str, digest: str) -> bool:
        """Constant-time, under every key (a digest made before a rotation still matches)."""
        found = False
        for key in self.challenge:
            found |= hmac.compare_digest(_digest(key, tenant_id, debtor_id, answer).encode(), digest.encode())
        return found


def _digest(key: bytes, tenant_id: UUID, debtor_id: UUID, answer: str) -> str:
    message = tenant_id.bytes + debtor_id.bytes + answer.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
