"""Send windows: on which days and hours a message may go out (CDC arts. 42 and 71,
state contact-hour laws).

The default is business days 08:00–20:00 and Saturdays 09:00–13:00 in the
tenant's zone, never on Sundays or national holidays. National holidays come
from the ``holidays`` package (``holidays.Brazil()``); state and municipal
holidays are not covered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from regua_br.calendar import national_holiday

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Answers whether a calendar date is a holiday.
HolidayCalendar = Callable[[date], bool]

#: How far ahead we look for an open slot before giving up (a window always has one
#: within a couple of weeks; this bounds a loop, it is not a business rule).
_SEARCH_DAYS = 400


class NoSendSlot(ValueError):
    """The window never opens (only possible with a malformed window)."""


@dataclass(frozen=True, slots=True)
class DayHours:
    """Messages may go out from ``start`` (inclusive) until ``end`` (exclusive)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"a window must open before it closes ({self.start:%H:%M}–{self.end:%H:%M})")


@dataclass(frozen=True, slots=True)
class SendWindow:
    """Open hours per weekday (a day not listed is closed) and whether holidays are closed."""

    weekdays: Mapping[Weekday, DayHours] = field(default_factory=dict)
    skip_holidays: bool = True

    def __post_init__(self) -> None:
        if not self.weekdays:
            raise ValueError("a send window must open on at least one weekday")


DEFAULT_WINDOW = SendWindow(
    weekdays={
        **{d: DayHours(time(8), time(20)) for d in ("mon", "tue", "wed", "thu", "fri")},
        "sat": DayHours(time(9), time(13)),
    },
    skip_holidays=True,
)


def next_allowed(
    instant: datetime,
    window: SendWindow | None,
    tz: ZoneInfo,
    is_holiday: HolidayCalendar = national_holiday,
) -> datetime:
    """The first instant at or after ``instant`` inside ``window`` (in ``tz``);
    ``instant`` itself when it is inside, or when there is no window (any time)."""
    if window is None:
        return instant
    local = instant.astimezone(tz)
    day = local.date()
    for _ in range(_SEARCH_DAYS):
        hours = window.weekdays.get(WEEKDAYS[day.weekday()])
        if hours is not None and not (window.skip_holidays and is_holiday(day)):
            opens = datetime.combine(day, hours.start, tzinfo=tz)
            closes = datetime.combine(day, hours.end, tzinfo=tz)
            if local < opens:
                return opens
            if local < closes:
                return local
        day += timedelta(days=1)
    raise NoSendSlot("the send window never opens")


def is_open(
    instant: datetime,
    window: SendWindow | None,
    tz: ZoneInfo,
    is_holiday: HolidayCalendar = national_holiday,
) -> bool:
    return next_allowed(instant, window, tz, is_holiday) == instant
