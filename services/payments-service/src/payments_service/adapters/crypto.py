"""Tenants' webhook and PSP/bank client secrets at rest: Fernet (AES-128-CBC +
HMAC-SHA256) under a ring of keys (MultiFernet): the first key encrypts, every
key decrypts, so a new key can be put first while secrets stored under the old
one still read; :meth:`SecretBox.rotate` re-encrypts a token under the first key."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class SecretDecryptionError(RuntimeError):
    """A stored secret that no configured key can read (its key was dropped)."""


class SecretBox:
    def __init__(self, keys: Sequence[SecretStr]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(k.get_secret_value().encode()) for k in keys])
        self._first = Fernet(keys[0].get_secret_value().encode())

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise SecretDecryptionError(
                "the stored secret cannot be decrypted with any configured key"
            ) from None

    def is_current(self, token: bytes) -> bool:
        """Whether ``token`` is already under the first key."""
        try:
            self._first.decrypt(token)
        except InvalidToken:
            return False
        return True

    def rotate(self, token: bytes) -> bytes:
        """``token`` re-encrypted under the first key (same secret)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise SecretDecryptionError(
                "the stored secret cannot be decrypted with any configured key"
            ) from None
