"""Settings of negotiation-service: environment variables ``REGUA_NEGOTIATION_*``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from regua_platform.settings import HttpSettings, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGUA_NEGOTIATION_", env_nested_delimiter="__")

    http: HttpSettings = Field(default_factory=lambda: HttpSettings(port=8004))
    #: How often the worker looks for agreements to break.
    breaker_interval_seconds: float = 30.0
    breaker_batch_size: int = 200
    #: The portal session cookie lasts this long after opening a link.
    portal_session_minutes: int = 60
    #: Token bucket per portal session (or client address): burst and refill per second.
    portal_rate_capacity: int = 60
    portal_rate_per_second: float = 1.0
    #: Mark the portal cookie Secure (behind HTTPS in production; plain HTTP in dev).
    portal_secure_cookie: bool = False
