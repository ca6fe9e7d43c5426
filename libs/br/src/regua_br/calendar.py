"""The Brazilian calendar: the default time zone, national holidays, business days.

National holidays come from the ``holidays`` package (``country_holidays("BR")``);
state and municipal ones are not there, so callers pass a tenant's own
``extra`` holidays where they matter.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache

import holidays

#: The tenants' time zone unless they set another.
DEFAULT_TIMEZONE = "America/Sao_Paulo"


@lru_cache(maxsize=1)
def _brazil() -> holidays.HolidayBase:
    # country_holidays: the typed entry point (holidays.Brazil is built dynamically).
    return holidays.country_holidays("BR")


def national_holiday(day: date) -> bool:
    """A Brazilian national holiday (not a state or municipal one)."""
    return day in _brazil()


def is_business_day(day: date, extra: Collection[date] = ()) -> bool:
    """Monday to Friday, not a national holiday nor one of ``extra``."""
    return day.weekday() < 5 and not national_holiday(day) and day not in extra


def next_business_day(day: date, extra: Collection[date] = ()) -> date:
    """``day`` itself when it is a business day, else the first one after it
    (a due date on a weekend or holiday is payable without charges then)."""
    while not is_business_day(day, extra):
        day += timedelta(days=1)
    return day
