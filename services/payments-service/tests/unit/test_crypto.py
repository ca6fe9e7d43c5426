from __future__ import annotations

import pytest

from payments_service.adapters.crypto import SecretBox, SecretDecryptionError


def test_secrets_round_trip_and_need_the_same_key() -> None:
    box = SecretBox(b"k" * 40)
    token = box.encrypt("whsec_abc")
    assert b"whsec_abc" not in token
    assert box.decrypt(token) == "whsec_abc"
    assert SecretBox(b"k" * 40).decrypt(token) == "whsec_abc"
    with pytest.raises(SecretDecryptionError):
        SecretBox(b"j" * 40).decrypt(token)
