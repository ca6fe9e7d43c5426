"""Tenants' webhook secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256), its key
derived with HKDF-SHA256 from the service's key material, so the database alone
never reveals a secret."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"regua/payments-service/webhook-secret/v1"


class SecretDecryptionError(RuntimeError):
    """A stored secret that the current key cannot read (the key changed)."""


class SecretBox:
    def __init__(self, key_material: bytes) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key_material)
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise SecretDecryptionError(
                "the webhook secret cannot be decrypted with the current key"
            ) from None
