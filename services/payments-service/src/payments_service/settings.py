"""Settings of payments-service: environment variables ``REGUA_PAYMENTS_*``."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from regua_platform.settings import HttpSettings, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGUA_PAYMENTS_", env_nested_delimiter="__")

    http: HttpSettings = Field(default_factory=lambda: HttpSettings(port=8005))
    #: Key material for encrypting tenants' webhook secrets at rest (HKDF-SHA256 ->
    #: Fernet). Falls back to ``auth.jwt_secret`` when unset; rotating it makes
    #: stored secrets unreadable, so tenants must PUT them again.
    encryption_key: SecretStr | None = None
    #: The receiving account of tenants that have not PUT /v1/settings/pix yet (the demo's).
    default_pix_key: str = Field(default="5f0e3a71-9c2b-4d8e-a6f4-2b7c1d9e8a30", min_length=1, max_length=77)
    default_merchant_name: str = Field(default="REGUA DEMO", min_length=1, max_length=100)
    default_merchant_city: str = Field(default="SAO PAULO", min_length=1, max_length=100)
    #: COMPE code of the bank issuing the boletos.
    boleto_bank_code: str = Field(default="001", pattern=r"^[0-9]{3}$")
    #: Digits put before the nosso número in the boleto free field (a bank agreement).
    boleto_free_field_prefix: str = Field(default="", pattern=r"^[0-9]{0,15}$")
    #: How far a webhook's signature timestamp may be from now, either way.
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)

    @model_validator(mode="after")
    def _has_key_material(self) -> Settings:
        if self.encryption_key is None and self.auth.jwt_secret is None:
            raise ValueError("set encryption_key: without auth.jwt_secret there is no key to fall back to")
        if self.encryption_key is not None and len(self.encryption_key.get_secret_value()) < 32:
            raise ValueError("encryption_key must be a random string of at least 32 characters")
        return self

    def key_material(self) -> bytes:
        key = self.encryption_key or self.auth.jwt_secret
        assert key is not None  # the validator guarantees one of them
        return key.get_secret_value().encode()
