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
