"""Settings of negotiation-service: environment variables ``REGUA_NEGOTIATION_*``."""

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from regua_platform.settings import HttpSettings, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGUA_NEGOTIATION_", env_nested_delimiter="__")

    http: HttpSettings = Field(default_factory=lambda: HttpSettings(port=8004))
    #: How often the worker looks for agreements to break.
    breaker_interval_seconds: float = 30.0
    breaker_batch_size: int = 200
    #: Keys of the portal (JSON list of random strings, ≥ 32 characters; the
    #: first signs, all verify): the same list as notifier-service's, which
    #: signs the links. Session, CSRF, device and challenge keys derive from
    #: them (HKDF, one info each). Never derived from the JWT secret.
    portal_keys: list[SecretStr] = Field(min_length=1)
    #: The portal session cookie lasts this long after opening a link.
    portal_session_minutes: int = Field(default=60, ge=1, le=24 * 60)
    #: A device that answered the first-device challenge is remembered this long.
    portal_device_days: int = Field(default=90, ge=1, le=400)
    #: Wrong answers to the challenge before the link is locked.
    portal_challenge_attempts: int = Field(default=5, ge=1, le=10)
    #: Token bucket per portal session (or client address): burst and refill per second.
    portal_rate_capacity: int = Field(default=60, ge=1)
    portal_rate_per_second: float = Field(default=1.0, gt=0)
    #: The portal is served over HTTPS: cookies are ``Secure`` with the
    #: ``__Host-`` prefix, and pages ask for HSTS. Turn off only for plain HTTP
    #: (the dev stack, tests).
    portal_https: bool = True

    @field_validator("portal_keys")
    @classmethod
    def _strong_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        if any(len(k.get_secret_value()) < 32 for k in keys):
            raise ValueError("each portal key needs at least 32 characters (generate random ones)")
        return keys
