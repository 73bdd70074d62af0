"""The demo period: its hour grid, calendars, time-of-week profiles and written times.

The demo covers 2023-01-01 00:00 to 2024-12-31 23:59, UK local time (naive). Times are
minutes since :data:`START`; :func:`demo_calendar` gives the hour grid with school
days and the days the youth service is open; :func:`sample_minutes` draws event times
with given counts per month, weighted by hour (:func:`background_hour_weights`: time of
week, Friday- and Saturday-night boost, season); :func:`format_times` writes them as
the partner files do (``DD/MM/YYYY HH:MM``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.demo.borough import BoolArray, FloatArray, IntArray

__all__ = [
    "DEMO_FIRST_MONTH",
    "DEMO_LAST_MONTH",
    "END_MINUTE",
    "MINUTES_PER_DAY",
    "N_DAYS",
    "N_MONTHS",
    "START",
    "Calendar",
    "background_hour_weights",
    "demo_calendar",
    "format_times",
    "month_mass",
    "sample_minutes",
    "weekend_evening_mask",
]

DEMO_FIRST_MONTH: Final = "2023-01"
DEMO_LAST_MONTH: Final = "2024-12"
_DATETIME_FORMAT: Final = "%d/%m/%Y %H:%M"

START: Final = np.datetime64("2023-01-01T00:00", "m")
N_DAYS: Final = 731  # 2023-01-01 .. 2024-12-31
N_MONTHS: Final = 24
_N_HOURS: Final = N_DAYS * 24
MINUTES_PER_DAY: Final = 1440
END_MINUTE: Final = N_DAYS * MINUTES_PER_DAY - 1  # 31/12/2024 23:59

#: Relative incident intensity by hour of day on school days (Mon-Fri).
_WEEKDAY_PROFILE: Final = np.array(
    [0.55, 0.4, 0.22, 0.13, 0.1, 0.1, 0.15, 0.35, 0.55, 0.45, 0.45, 0.5,
     0.6, 0.6, 0.75, 1.35, 1.65, 1.6, 1.4, 1.2, 1.1, 1.0, 0.9, 0.7]
)  # fmt: skip
#: Relative incident intensity by hour of day at weekends (no after-school peak).
_WEEKEND_PROFILE: Final = np.array(
    [0.9, 0.7, 0.5, 0.3, 0.15, 0.1, 0.1, 0.15, 0.25, 0.35, 0.5, 0.7,
     0.85, 0.95, 1.0, 1.05, 1.1, 1.1, 1.1, 1.1, 1.1, 1.05, 1.0, 0.95]
)  # fmt: skip
#: Friday- and Saturday-night multiplier (Fri/Sat 20:00 to 03:59 the next morning).
_NIGHT_BOOST: Final = 1.9
#: Seasonal multiplier by calendar month (January first).
_SEASON: Final = np.array([0.9, 0.88, 0.95, 1.0, 1.05, 1.1, 1.15, 1.1, 1.0, 1.0, 0.95, 0.9])

#: School holidays and closures (inclusive), approximating London calendars 2022-25.
_SCHOOL_HOLIDAYS: Final[tuple[tuple[str, str], ...]] = (
    ("2023-01-01", "2023-01-03"),
    ("2023-02-13", "2023-02-17"),
    ("2023-04-03", "2023-04-14"),
    ("2023-05-01", "2023-05-01"),
    ("2023-05-08", "2023-05-08"),
    ("2023-05-29", "2023-06-02"),
    ("2023-07-21", "2023-09-01"),
    ("2023-10-23", "2023-10-27"),
    ("2023-12-21", "2024-01-03"),
    ("2024-02-12", "2024-02-16"),
    ("2024-03-29", "2024-04-12"),
    ("2024-05-06", "2024-05-06"),
    ("2024-05-27", "2024-05-31"),
    ("2024-07-23", "2024-09-02"),
    ("2024-10-28", "2024-11-01"),
    ("2024-12-20", "2024-12-31"),
)
#: Days on which the youth service runs no sessions.
_YOUTH_CLOSURES: Final[tuple[tuple[str, str], ...]] = (
    ("2023-01-01", "2023-01-02"),
    ("2023-12-24", "2024-01-01"),
    ("2024-12-24", "2024-12-31"),
)


@dataclass(frozen=True)
class Calendar:
    """Hour grid over the demo period (UK local, naive)."""

    dow: IntArray  # per hour: 0 = Monday
    hour: IntArray  # per hour: hour of day
    month: IntArray  # per hour: 0 = 2023-01
    month_start_hour: IntArray  # 25 entries, hour index of each month start
    day_dow: IntArray  # per day: 0 = Monday
    day_month: IntArray  # per day: month index
    term_day: BoolArray  # per day: a school day (weekday, not a holiday)
    youth_open: BoolArray  # per day: youth service runs sessions


def _day_mask(ranges: Sequence[tuple[str, str]]) -> BoolArray:
    days = np.arange(N_DAYS)
    start = START.astype("datetime64[D]")
    mask = np.zeros(N_DAYS, dtype=bool)
    for a, b in ranges:
        lo = int((np.datetime64(a) - start).astype(np.int64))
        hi = int((np.datetime64(b) - start).astype(np.int64))
        mask |= (days >= lo) & (days <= hi)
    return mask


@cache
def demo_calendar() -> Calendar:
    """The hour grid of the demo period (computed once)."""
    hours = np.arange(_N_HOURS, dtype=np.int64)
    days = hours // 24
    day_dow = (np.arange(N_DAYS, dtype=np.int64) + 6) % 7  # 2023-01-01 was a Sunday
    dates = START.astype("datetime64[D]") + np.arange(N_DAYS)
    day_month = (dates.astype("datetime64[M]") - np.datetime64(DEMO_FIRST_MONTH, "M")).astype(
        np.int64
    )
    month_starts = np.datetime64(DEMO_FIRST_MONTH, "M") + np.arange(N_MONTHS + 1)
    month_start_hour = (
        month_starts.astype("datetime64[h]") - START.astype("datetime64[h]")
    ).astype(np.int64)
    return Calendar(
        dow=day_dow[days],
        hour=hours % 24,
        month=day_month[days],
        month_start_hour=month_start_hour,
        day_dow=day_dow,
        day_month=day_month,
        term_day=(day_dow < 5) & ~_day_mask(_SCHOOL_HOLIDAYS),
        youth_open=~_day_mask(_YOUTH_CLOSURES),
    )


def background_hour_weights(cal: Calendar) -> FloatArray:
    """Relative incident intensity of every hour in the period (time of week x season)."""
    weekend = cal.dow >= 5
    w = np.where(weekend, _WEEKEND_PROFILE[cal.hour], _WEEKDAY_PROFILE[cal.hour])
    night = (
        ((cal.dow == 4) & (cal.hour >= 20))
        | ((cal.dow == 5) & ((cal.hour >= 20) | (cal.hour < 4)))
        | ((cal.dow == 6) & (cal.hour < 4))
    )
    w = np.where(night, w * _NIGHT_BOOST, w)
    calendar_month = cal.month % 12
    return np.asarray(w * _SEASON[calendar_month], dtype=np.float64)


def weekend_evening_mask(cal: Calendar) -> BoolArray:
    """Fri/Sat/Sun 19:00-22:59 hours."""
    return (cal.dow >= 4) & (cal.hour >= 19) & (cal.hour < 23)


def sample_minutes(
    rng: np.random.Generator, weights: FloatArray, month_counts: IntArray, cal: Calendar
) -> IntArray:
    """Event times (minutes since 2023-01-01 00:00) with given counts per month.

    Within each month the hour is drawn with probability proportional to
    ``weights`` (one per hour of the period), and the minute uniformly.
    """
    counts = np.asarray(month_counts, dtype=np.int64)
    months = np.repeat(np.arange(N_MONTHS), counts)
    cum = np.concatenate(([0.0], np.cumsum(weights)))
    lo_h = cal.month_start_hour[months]
    hi_h = cal.month_start_hour[months + 1]
    lo, hi = cum[lo_h], cum[hi_h]
    if np.any(hi <= lo):
        raise ValueError("events requested in a month with zero weight")
    u = lo + rng.random(months.size) * (hi - lo)
    h = np.clip(np.searchsorted(cum, u, side="right") - 1, lo_h, hi_h - 1)
    out: IntArray = (h * 60 + rng.integers(0, 60, months.size)).astype(np.int64)
    return out


def month_mass(weights: FloatArray, cal: Calendar) -> FloatArray:
    """Total of hourly ``weights`` in each month of the period."""
    return np.bincount(cal.month, weights=weights, minlength=N_MONTHS).astype(np.float64)


def format_times(
    minutes: npt.ArrayLike, missing: BoolArray | None = None
) -> npt.NDArray[np.object_]:
    """``DD/MM/YYYY HH:MM`` strings for minutes since 2023-01-01 00:00; blanks where missing."""
    m = np.asarray(minutes, dtype=np.int64)
    ts = pd.Series(START + m.astype("timedelta64[m]"))
    out: npt.NDArray[np.object_] = ts.dt.strftime(_DATETIME_FORMAT).to_numpy(dtype=object)
    if missing is not None:
        out[missing] = ""
    return out
