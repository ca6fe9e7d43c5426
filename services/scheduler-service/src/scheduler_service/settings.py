"""Settings of scheduler-service: environment variables ``REGUA_SCHEDULER_*``."""

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from regua_platform.settings import HttpSettings, ServiceSettings


class TimerSettings(BaseModel):
    """``REGUA_SCHEDULER_TIMER__INTERVAL_MS``, ``__IDLE_MAX_MS``, ``__BATCH_SIZE``."""

    #: Pause between timer rounds when there was nothing (more) to fire.
    interval_ms: int = Field(default=500, ge=10, le=60_000)
    #: While rounds find nothing, the pause doubles from ``interval_ms`` up to
    #: this: an idle scheduler costs little, and a step is fired at most this
    #: late (steps are planned for days; a send window opens on the minute).
    idle_max_ms: int = Field(default=2_000, ge=10, le=60_000)
    #: Steps claimed per round (one transaction); bench/bench_timer.py measured
    #: 1,000 against 200 (fewer round trips and commits per step).
    batch_size: int = Field(default=1_000, ge=1, le=5_000)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGUA_SCHEDULER_", env_nested_delimiter="__")

    http: HttpSettings = Field(default_factory=lambda: HttpSettings(port=8002))
    timer: TimerSettings = Field(default_factory=TimerSettings)
