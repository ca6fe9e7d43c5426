import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler_service.domain.offsets import OFFSET_PATTERN, InvalidOffset, parse_offset

SP = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("text", "days", "time"),
    [
        ("-P3D", -3, timedelta(0)),
        ("P0D", 0, timedelta(0)),
        ("P1D", 1, timedelta(0)),
        ("+P1D", 1, timedelta(0)),
        ("PT30S", 0, timedelta(seconds=30)),
        ("-PT2H", 0, timedelta(hours=-2)),
        ("P1DT2H30M", 1, timedelta(hours=2, minutes=30)),
        ("-P1DT12H", -1, timedelta(hours=-12)),
        ("P2W", 14, timedelta(0)),
        ("PT0S", 0, timedelta(0)),
        ("PT90M", 0, timedelta(minutes=90)),
    ],
)
def test_parses_supported_durations(text: str, days: int, time: timedelta) -> None:
    offset = parse_offset(text)
    assert (offset.days, offset.time, offset.text) == (days, time, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "-P",
        "P1DT",
        "3D",
        "p3d",
        "P3",
        "PT1.5S",
        "P-3D",
        "P1D2H",
        "--P1D",
        "P3D ",
        "PTH",
        "P99999D",
    ],
)
def test_refuses_malformed_durations(text: str) -> None:
    with pytest.raises(InvalidOffset):
        parse_offset(text)


@pytest.mark.parametrize("text", ["P1M", "P1Y", "-P2M3D", "P1Y2M"])
def test_refuses_years_and_months_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidOffset, match="years and months"):
        parse_offset(text)


def test_minutes_in_the_time_part_are_not_months() -> None:
    assert parse_offset("PT5M").time == timedelta(minutes=5)


def test_apply_moves_days_on_the_wall_clock_and_time_exactly() -> None:
    midnight = datetime(2026, 12, 10, tzinfo=SP)
    assert parse_offset("-P3D").apply(midnight, SP) == datetime(2026, 12, 7, tzinfo=SP)
    assert parse_offset("P1DT8H").apply(midnight, SP) == datetime(2026, 12, 11, 8, tzinfo=SP)
    moved = parse_offset("-PT2H").apply(midnight, SP)
    assert moved == datetime(2026, 12, 9, 22, tzinfo=SP)
    assert moved.utcoffset() == timedelta(hours=-3)
    assert moved.astimezone(UTC) == datetime(2026, 12, 10, 1, tzinfo=UTC)


def test_apply_across_a_dst_change_keeps_calendar_days() -> None:
    # New York springs forward on 2027-03-14: P1D from midnight is still midnight.
    ny = ZoneInfo("America/New_York")
    start = datetime(2027, 3, 13, tzinfo=ny)
    assert parse_offset("P1D").apply(start, ny) == datetime(2027, 3, 14, tzinfo=ny)
    assert parse_offset("P2D").apply(start, ny).hour == 0


@pytest.mark.parametrize(
    "text",
    [
        "P0D",
        "-P3D",
        "+P10D",
        "PT30S",
        "P1DT2H",
        "P2W",
        "P1W3D",
        "PT1H30M",
        "-PT45M",
        "P999DT9999H99999M999999S",
    ],
)
def test_what_the_documented_pattern_admits_parses(text: str) -> None:
    """The pattern in the OpenAPI document admits only offsets parse_offset takes."""
    assert re.fullmatch(OFFSET_PATTERN, text)
    parse_offset(text)


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "P1M", "P1Y", "P9999D", "3D", "P1D2W", "p1d"])
def test_the_documented_pattern_refuses(text: str) -> None:
    assert not re.fullmatch(OFFSET_PATTERN, text)
