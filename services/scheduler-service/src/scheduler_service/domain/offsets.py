"""Step offsets: signed ISO 8601 durations from the due date (``-P3D``, ``P0D``, ``PT30S``).

Only weeks, days, hours, minutes and seconds are accepted: years and months
have no fixed length, and a régua is planned in days. Days are calendar days
(wall-clock in the tenant's zone); the time part is exact elapsed time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_DURATION = re.compile(
    r"^(?P<sign>[+-])?P"
    r"(?:(?P<weeks>[0-9]+)W)?"
    r"(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+)S)?)?$"
)
#: A régua longer than this (either way) is a typo, not a plan.
MAX_OFFSET = timedelta(days=3660)
#: The offsets the API takes, as the JSON Schema pattern its document shows:
#: at least one part, and few enough digits per part that every match is
#: within MAX_OFFSET (99 weeks + 999 days + 9999 h + 99999 min + 999999 s is
#: under 2,200 days), so a request the schema admits is one we accept.
_DATE = r"(?:[0-9]{1,2}W(?:[0-9]{1,3}D)?|[0-9]{1,3}D)"
_TIME = r"T(?:[0-9]{1,4}H(?:[0-9]{1,5}M)?(?:[0-9]{1,6}S)?|[0-9]{1,5}M(?:[0-9]{1,6}S)?|[0-9]{1,6}S)"
OFFSET_PATTERN = rf"^[+-]?P(?:{_DATE}(?:{_TIME})?|{_TIME})$"


class InvalidOffset(ValueError):
    """An offset that is not a supported ISO 8601 duration."""


@dataclass(frozen=True, slots=True)
class Offset:
    """A parsed offset: ``days`` of calendar days plus ``time`` of exact elapsed time,
    both carrying the sign."""

    text: str
    days: int
    time: timedelta

    @property
    def approximate(self) -> timedelta:
        """Days as 24 hours: for ordering steps and range checks."""
        return timedelta(days=self.days) + self.time

    def apply(self, start: datetime, tz: ZoneInfo) -> datetime:
        """``start`` moved by this offset: days on the wall clock of ``tz``, then the time part."""
        local = start.astimezone(tz)
        moved = (local.replace(tzinfo=None) + timedelta(days=self.days)).replace(tzinfo=tz)
        return (moved.astimezone(ZoneInfo("UTC")) + self.time).astimezone(tz)


def parse_offset(text: str) -> Offset:
    """Parse a signed ISO 8601 duration; :class:`InvalidOffset` says why it is refused."""
    match = _DURATION.match(text)
    if match is None or text.endswith("T"):
        if re.match(r"^[+-]?P[^T]*[YM]", text):
            raise InvalidOffset(f"{text!r}: years and months are not supported, use days (e.g. P30D)")
        raise InvalidOffset(f"{text!r} is not an ISO 8601 duration such as -P3D, P0D, P1DT2H or PT30S")
    parts = {k: int(v) for k, v in match.groupdict().items() if k != "sign" and v is not None}
    if not parts:
        raise InvalidOffset(f"{text!r} has no amount: write P0D for the due date itself")
    sign = -1 if match.group("sign") == "-" else 1
    days = sign * (parts.get("weeks", 0) * 7 + parts.get("days", 0))
    try:
        time = sign * timedelta(
            hours=parts.get("hours", 0), minutes=parts.get("minutes", 0), seconds=parts.get("seconds", 0)
        )
        offset = Offset(text=text, days=days, time=time)
        too_far = abs(offset.approximate) > MAX_OFFSET
    except OverflowError:  # beyond what timedelta holds: far beyond MAX_OFFSET anyway
        too_far = True
    if too_far:
        raise InvalidOffset(f"{text!r} is more than {MAX_OFFSET.days} days from the due date")
    return offset
