from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from regua_br.calendar import national_holiday
from scheduler_service.domain.windows import (
    DEFAULT_WINDOW,
    DayHours,
    NoSendSlot,
    SendWindow,
    is_open,
    next_allowed,
)

SP = ZoneInfo("America/Sao_Paulo")


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SP)


@pytest.mark.parametrize(
    ("planned", "expected"),
    [
        # Thursday 2026-12-10: before, inside, at the edges, after.
        (at(2026, 12, 10, 0), at(2026, 12, 10, 8)),
        (at(2026, 12, 10, 7, 59), at(2026, 12, 10, 8)),
        (at(2026, 12, 10, 8), at(2026, 12, 10, 8)),
        (at(2026, 12, 10, 14, 30), at(2026, 12, 10, 14, 30)),
        (at(2026, 12, 10, 19, 59), at(2026, 12, 10, 19, 59)),
        (at(2026, 12, 10, 20), at(2026, 12, 11, 8)),
        (at(2026, 12, 10, 23), at(2026, 12, 11, 8)),
        # Friday evening goes to Saturday 09:00.
        (at(2026, 12, 11, 21), at(2026, 12, 12, 9)),
        # Saturday: 09:00–13:00 only.
        (at(2026, 12, 12, 8), at(2026, 12, 12, 9)),
        (at(2026, 12, 12, 12, 59), at(2026, 12, 12, 12, 59)),
        (at(2026, 12, 12, 13), at(2026, 12, 14, 8)),
        # Sunday pushes to Monday 08:00.
        (at(2026, 12, 13, 0), at(2026, 12, 14, 8)),
        (at(2026, 12, 13, 10), at(2026, 12, 14, 8)),
        # Christmas (Friday 2026-12-25) pushes to Saturday 09:00.
        (at(2026, 12, 25, 10), at(2026, 12, 26, 9)),
        (at(2026, 12, 24, 20, 30), at(2026, 12, 26, 9)),
        # New Year's Day 2027 is a Friday: Saturday 09:00.
        (at(2027, 1, 1, 0), at(2027, 1, 2, 9)),
        # Saturday 2027-01-02 after 13:00, Sunday, then Monday 08:00.
        (at(2027, 1, 2, 15), at(2027, 1, 4, 8)),
        # Tiradentes (Wednesday 2026-04-21).
        (at(2026, 4, 21, 9), at(2026, 4, 22, 8)),
        # Carnival is not a national holiday in the calendar we use: Good Friday is.
        (at(2026, 4, 3, 9), at(2026, 4, 4, 9)),
    ],
)
def test_default_window(planned: datetime, expected: datetime) -> None:
    result = next_allowed(planned, DEFAULT_WINDOW, SP)
    assert result == expected
    assert result.utcoffset() == timedelta(hours=-3)


def test_instants_in_other_zones_are_read_in_the_tenant_zone() -> None:
    # 10:30 UTC on a Thursday is 07:30 in São Paulo: before opening.
    utc = datetime(2026, 12, 10, 10, 30, tzinfo=ZoneInfo("UTC"))
    assert next_allowed(utc, DEFAULT_WINDOW, SP) == at(2026, 12, 10, 8)
    # 22:30 UTC is 19:30 local: open.
    late = datetime(2026, 12, 10, 22, 30, tzinfo=ZoneInfo("UTC"))
    assert next_allowed(late, DEFAULT_WINDOW, SP) == late


def test_no_window_means_any_time() -> None:
    sunday_night = at(2026, 12, 13, 23, 30)
    assert next_allowed(sunday_night, None, SP) == sunday_night
    assert next_allowed(at(2026, 12, 25, 3), None, SP) == at(2026, 12, 25, 3)


def test_custom_window_may_keep_holidays_open() -> None:
    window = SendWindow(weekdays={"fri": DayHours(time(10), time(12))}, skip_holidays=False)
    assert next_allowed(at(2026, 12, 25, 9), window, SP) == at(2026, 12, 25, 10)
    closed = SendWindow(weekdays={"fri": DayHours(time(10), time(12))}, skip_holidays=True)
    assert next_allowed(at(2026, 12, 25, 9), closed, SP) == at(2027, 1, 8, 10)


def test_custom_holiday_calendar() -> None:
    municipal = {date(2026, 12, 10)}
    result = next_allowed(at(2026, 12, 10, 9), DEFAULT_WINDOW, SP, lambda d: d in municipal)
    assert result == at(2026, 12, 11, 8)


def test_is_open() -> None:
    assert is_open(at(2026, 12, 10, 9), DEFAULT_WINDOW, SP)
    assert not is_open(at(2026, 12, 13, 9), DEFAULT_WINDOW, SP)


def test_windows_must_open_before_closing_and_on_some_day() -> None:
    with pytest.raises(ValueError, match="open before"):
        DayHours(time(20), time(8))
    with pytest.raises(ValueError, match="at least one"):
        SendWindow(weekdays={})


def test_a_window_that_never_opens_is_reported() -> None:
    window = SendWindow(weekdays={"fri": DayHours(time(10), time(12))})
    with pytest.raises(NoSendSlot):
        next_allowed(at(2026, 12, 10), window, SP, lambda d: True)


def test_national_holidays() -> None:
    assert national_holiday(date(2026, 12, 25))
    assert national_holiday(date(2027, 1, 1))
    assert national_holiday(date(2026, 9, 7))
    assert not national_holiday(date(2026, 12, 10))
