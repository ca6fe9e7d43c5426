from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError

from payments_service.adapters.crypto import SecretBox, SecretDecryptionError
from payments_service.settings import Settings


def key() -> SecretStr:
    return SecretStr(Fernet.generate_key().decode())


def test_secrets_round_trip_and_need_a_configured_key() -> None:
    k = key()
    token = SecretBox([k]).encrypt("whsec_abc")
    assert b"whsec_abc" not in token
    assert SecretBox([k]).decrypt(token) == "whsec_abc"
    with pytest.raises(SecretDecryptionError):
        SecretBox([key()]).decrypt(token)


def test_a_new_first_key_still_reads_old_secrets_and_rotation_moves_them() -> None:
    old, new = key(), key()
    token = SecretBox([old]).encrypt("whsec_abc")
    ring = SecretBox([new, old])
    assert ring.decrypt(token) == "whsec_abc"
    assert not ring.is_current(token)
    rotated = ring.rotate(token)
    assert ring.is_current(rotated)
    # Once rotated, the old key can be dropped.
    assert SecretBox([new]).decrypt(rotated) == "whsec_abc"
    assert ring.is_current(ring.encrypt("x"))


def test_encryption_keys_are_required_fernet_keys_never_the_jwt_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REGUA_PAYMENTS_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("REGUA_PAYMENTS_AUTH__JWT_SECRET", "x" * 40)
    with pytest.raises(ValidationError, match="encryption_keys"):
        Settings()
    monkeypatch.setenv("REGUA_PAYMENTS_ENCRYPTION_KEYS", '["not-a-fernet-key"]')
    with pytest.raises(ValidationError, match="Fernet"):
        Settings()
    k = Fernet.generate_key().decode()
    monkeypatch.setenv("REGUA_PAYMENTS_ENCRYPTION_KEYS", f'["{k}"]')
    assert [s.get_secret_value() for s in Settings().encryption_keys] == [k]
