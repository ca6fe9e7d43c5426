"""The dunning policy (the régua): an ordered list of steps and a send window.

These pydantic models are the policy's definition as the tenant writes it and
as it is stored (JSON); validation lives here so the API, storage and the
built-in default all obey the same rules.
"""

from __future__ import annotations

import itertools
import re
from datetime import time
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, field_validator, model_validator

from regua_contracts.dunning.v1 import Channel, StepAction, Tone
from scheduler_service.domain.offsets import OFFSET_PATTERN, Offset, parse_offset
from scheduler_service.domain.windows import DEFAULT_WINDOW, WEEKDAYS, DayHours, SendWindow, Weekday

MAX_STEPS = 30
#: A name: no spaces at either end, no control characters (PostgreSQL text holds no NUL).
NAME_PATTERN = r"^[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
#: The zone of a policy that names none (the scheduler has no per-tenant settings yet).
#: Actions the scheduler can carry out today; the others in the contract come later.
SUPPORTED_ACTIONS: frozenset[str] = frozenset({"message"})

HourMinute = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])]


class StepDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    #: Signed ISO 8601 duration from the due date at 00:00 in the tenant's zone.
    offset: str = Field(
        examples=["-P3D", "P0D", "P10D", "PT30S"],
        max_length=40,
        # In the document; checked after parse_offset, whose messages say more.
        json_schema_extra={"pattern": OFFSET_PATTERN},
    )
    #: In order of preference; the notifier falls back along this list.
    channels: list[Channel] = Field(min_length=1, max_length=4, json_schema_extra={"uniqueItems": True})
    #: A notifier template name (built-in: reminder, due_today, overdue, final_notice).
    template: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.-]+$")
    tone: Tone
    #: The contract names more actions; the document lists only those carried out today.
    action: StepAction = Field(
        default="message", json_schema_extra={"enum": list[JsonValue](sorted(SUPPORTED_ACTIONS))}
    )

    @field_validator("offset")
    @classmethod
    def _offset_parses(cls, value: str) -> str:
        parse_offset(value)
        if not re.fullmatch(OFFSET_PATTERN, value):
            raise ValueError(
                f"{value!r}: at most 99 weeks, 999 days, 9999 hours, 99999 minutes, 999999 seconds"
            )
        return value

    @field_validator("channels")
    @classmethod
    def _channels_unique(cls, value: list[Channel]) -> list[Channel]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value

    @field_validator("action")
    @classmethod
    def _action_supported(cls, value: StepAction) -> StepAction:
        if value not in SUPPORTED_ACTIONS:
            raise ValueError(f"action {value!r} is not supported yet; use 'message'")
        return value

    @property
    def parsed_offset(self) -> Offset:
        return parse_offset(self.offset)


class WindowDefinition(BaseModel):
    """``{"weekdays": {"mon": ["08:00", "20:00"], ...}, "skip_holidays": true}``; a day
    not listed is closed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekdays: dict[Weekday, tuple[HourMinute, HourMinute]] = Field(min_length=1)
    skip_holidays: StrictBool = True  # true or false, never "false"

    @model_validator(mode="after")
    def _valid_window(self) -> WindowDefinition:
        self.to_window()
        return self

    def to_window(self) -> SendWindow:
        days = {day: DayHours(_hm(start), _hm(end)) for day, (start, end) in self.weekdays.items()}
        return SendWindow(weekdays=days, skip_holidays=self.skip_holidays)

    @classmethod
    def of(cls, window: SendWindow) -> WindowDefinition:
        return cls(
            weekdays={
                d: (f"{h.start:%H:%M}", f"{h.end:%H:%M}") for d in WEEKDAYS if (h := window.weekdays.get(d))
            },
            skip_holidays=window.skip_holidays,
        )


def _hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def default_window() -> WindowDefinition:
    return WindowDefinition.of(DEFAULT_WINDOW)


class PolicyDefinition(BaseModel):
    """What a policy says; ``send_window`` left out means the default business
    window, ``null`` means any time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    send_window: WindowDefinition | None = Field(default_factory=default_window)
    steps: list[StepDefinition] = Field(min_length=1, max_length=MAX_STEPS)

    @field_validator("steps")
    @classmethod
    def _steps_ordered(cls, steps: list[StepDefinition]) -> list[StepDefinition]:
        names = [s.name for s in steps]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"step names must be unique: {', '.join(duplicates)}")
        offsets = [s.parsed_offset.approximate for s in steps]
        if any(a >= b for a, b in itertools.pairwise(offsets)):
            raise ValueError("steps must be listed in strictly increasing order of offset")
        return steps

    def window(self) -> SendWindow | None:
        return self.send_window.to_window() if self.send_window else None


#: The IANA zones this machine knows; only these are accepted (``ZoneInfo`` would
#: also try to open any relative path under the zone directory).
TIMEZONES: frozenset[str] = frozenset(available_timezones())
#: The same, sorted, for the JSON Schema's ``enum``.
TIMEZONE_NAMES: list[Any] = sorted(TIMEZONES)


def valid_timezone(name: str) -> str:
    if name not in TIMEZONES:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as America/Sao_Paulo")
    return name


BUILTIN_POLICY_NAME = "Régua padrão"

#: The régua a tenant gets before configuring one: a reminder, the due date, two
#: follow-ups and a final notice; templates are the notifier's built-ins.
BUILTIN_POLICY = PolicyDefinition(
    steps=[
        StepDefinition(
            name="reminder",
            offset="-P3D",
            channels=["email", "whatsapp", "sms"],
            template="reminder",
            tone="friendly",
        ),
        StepDefinition(
            name="due_today",
            offset="P0D",
            channels=["email", "whatsapp", "sms"],
            template="due_today",
            tone="friendly",
        ),
        StepDefinition(
            name="overdue_3d",
            offset="P3D",
            channels=["email", "whatsapp", "sms"],
            template="overdue",
            tone="firm",
        ),
        StepDefinition(
            name="overdue_10d",
            offset="P10D",
            channels=["email", "whatsapp", "sms"],
            template="overdue",
            tone="firm",
        ),
        StepDefinition(
            name="final_notice",
            offset="P20D",
            channels=["email", "whatsapp", "sms"],
            template="final_notice",
            tone="final",
        ),
    ],
)
