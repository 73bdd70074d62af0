"""School term dates and the school-journey windows (weekdays, term time only).

Shared by the schools lens and the recurring-location ranking. Times are UK local,
naive. Term dates are an approximation for England unless configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any, Final

import numpy as np
import pandas as pd

from geo.core.types import BoolArray

#: Approximate English half-terms (yearly, inclusive ``MM-DD``): late October,
#: mid-February and late May. Real dates differ by a few days each year.
ENGLAND_HALF_TERMS: Final[tuple[tuple[str, str], ...]] = (
    ("10-23", "10-31"),
    ("02-12", "02-18"),
    ("05-27", "05-31"),
)


@dataclass(frozen=True)
class TermDates:
    """School term dates (hashable, so they can key caches).

    The default approximates English state-school terms: autumn 1 Sep-20 Dec,
    spring 4 Jan-31 Mar, summer 14 Apr-22 Jul, every year, with no half-terms.
    It is an approximation (Easter moves; authorities set their own dates), so
    pass the local calendar when it is known.

    Attributes
    ----------
    terms : tuple of (str, str)
        Yearly term ranges as inclusive ``("MM-DD", "MM-DD")`` pairs; a range whose
        start is after its end wraps over the new year.
    closures : tuple of (str, str)
        Inclusive ranges out of term inside the terms (half-terms, INSET days, bank
        holidays): ``("MM-DD", "MM-DD")`` recurs every year, ``("YYYY-MM-DD",
        "YYYY-MM-DD")`` is a dated range.
    """

    terms: tuple[tuple[str, str], ...] = (
        ("09-01", "12-20"),
        ("01-04", "03-31"),
        ("04-14", "07-22"),
    )
    closures: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        """Plain English, e.g. "terms 1 Sep-20 Dec, 4 Jan-31 Mar; 3 closures"."""

        def day(text: str) -> str:
            stamp = pd.Timestamp(text if len(text) == 10 else f"2000-{text}")
            return f"{stamp.day} {stamp:%b}" + (f" {stamp.year}" if len(text) == 10 else "")

        terms = ", ".join(f"{day(a)}-{day(b)}" for a, b in self.terms)
        n = len(self.closures)
        closed = "" if not n else f"; {n} closure" + ("s" if n > 1 else "")
        return f"terms {terms}{closed}"

    @classmethod
    def england(cls, half_terms: bool = True) -> TermDates:
        """The default terms, with :data:`ENGLAND_HALF_TERMS` as closures if asked."""
        return cls(closures=ENGLAND_HALF_TERMS if half_terms else ())


#: The default term dates (England, approximate, no half-terms).
DEFAULT_TERMS: Final = TermDates()
#: Time classes of an incident relative to the school journey (the schools lens's
#: ``incidents_{d}m_{class}`` columns, and what the partnership may see of them).
JOURNEY, OTHER, UNKNOWN = "journey", "other", "time_unknown"
TIME_CLASSES: Final[tuple[str, str, str]] = (JOURNEY, OTHER, UNKNOWN)


def _month_day(text: str) -> int:
    month, day = (int(p) for p in text.split("-"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(f"not a MM-DD date: {text!r}")
    return month * 100 + day


def _in_ranges(stamps: pd.DatetimeIndex, ranges: tuple[tuple[str, str], ...]) -> BoolArray:
    """Which ``stamps`` fall in any inclusive yearly (``MM-DD``) or dated range."""
    md = np.asarray(stamps.month * 100 + stamps.day)
    day = stamps.normalize()
    out = np.zeros(len(stamps), dtype=bool)
    for start, end in ranges:
        if len(start) == 10 and len(end) == 10:
            lo, hi = pd.Timestamp(start), pd.Timestamp(end)
            out |= np.asarray((day >= lo) & (day <= hi))
        elif len(start) == 5 and len(end) == 5:
            s, e = _month_day(start), _month_day(end)
            out |= ((md >= s) & (md <= e)) if s <= e else ((md >= s) | (md <= e))
        else:
            raise ValueError(f"a range must be two MM-DD or two YYYY-MM-DD dates: {start}, {end}")
    return out


def to_stamps(times: Any) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(times)))


def in_term(times: Any, terms: TermDates = DEFAULT_TERMS) -> BoolArray:
    """Which ``times`` (UK local, naive) fall on a term day, weekends included.

    Missing times (NaT) are not in term.
    """
    stamps = to_stamps(times)
    inside = _in_ranges(stamps, terms.terms) & ~_in_ranges(stamps, terms.closures)
    out: BoolArray = inside & np.asarray(stamps.notna(), dtype=bool)
    return out


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def journey_window(
    times: Any,
    terms: TermDates = DEFAULT_TERMS,
    morning: tuple[time, time] = (time(7, 30), time(9, 0)),
    afternoon: tuple[time, time] = (time(15, 0), time(17, 30)),
) -> BoolArray:
    """Which ``times`` fall in a school-journey window.

    Weekdays (Monday-Friday) in term, inside ``morning`` or ``afternoon``, each a
    half-open ``[start, end)`` interval of clock times (minutes; seconds ignored).
    Only minute-precision times should be passed: see :func:`classify_times`.
    """
    stamps = to_stamps(times)
    minute = np.asarray(stamps.hour * 60 + stamps.minute)
    weekday = np.asarray(stamps.day_of_week < 5)
    window = np.zeros(len(stamps), dtype=bool)
    for start, end in (morning, afternoon):
        window |= (minute >= _minutes(start)) & (minute < _minutes(end))
    return weekday & window & in_term(stamps, terms)
