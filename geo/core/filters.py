"""Filters and periods: the shared period-and-category selection every page, lens and cache
key uses, and the one way to name and list calendar quarters.

Periods are whole months, ``YYYY-MM`` strings, inclusive at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = [
    "ANALYSIS_RESOLUTIONS",
    "Filters",
    "is_calendar_quarter",
    "month_quarter_label",
    "quarter_label",
    "quarter_menu",
]

ANALYSIS_RESOLUTIONS = (7, 8, 9, 10)


@dataclass(frozen=True)
class Filters:
    """Shared filters (hashable, so they can key caches).

    Attributes
    ----------
    month_from, month_to : str
        First and last month, ``YYYY-MM``, inclusive.
    categories : tuple of str
        Canonical incident categories; empty means all.
    """

    month_from: str
    month_to: str
    categories: tuple[str, ...] = ()

    def bounds(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Half-open ``[start, end)`` timestamps of the period."""
        start = pd.Timestamp(self.month_from + "-01")
        end = pd.Timestamp(self.month_to + "-01") + pd.offsets.MonthBegin(1)
        return start, end

    @property
    def months(self) -> int:
        """Length of the period in months."""
        start, end = self.bounds()
        return (end.year - start.year) * 12 + end.month - start.month

    def period_only(self) -> Filters:
        """The same months with every incident category: the key of an analysis that
        incident categories do not bear on."""
        return self if not self.categories else Filters(self.month_from, self.month_to)

    def previous(self) -> Filters:
        """The equal-length period immediately before this one."""
        start, _ = self.bounds()
        prev_end = start - pd.offsets.MonthBegin(1)
        prev_start = start - pd.offsets.MonthBegin(self.months)
        return Filters(prev_start.strftime("%Y-%m"), prev_end.strftime("%Y-%m"), self.categories)


def quarter_menu(months: list[str]) -> list[Filters]:
    """The fixed menu of periods for the partnership role: whole calendar quarters.

    Only quarters whose three months all lie within ``months`` are offered. The
    windows never overlap, so no count can be found by differencing two of them.
    """
    if not months:
        return []
    available = set(months)
    quarters = pd.period_range(months[0], months[-1], freq="Q")
    menu = []
    for q in quarters:
        first = q.asfreq("M", "start")
        last = q.asfreq("M", "end")
        inside = [str(p) for p in pd.period_range(first, last, freq="M")]
        if all(m in available for m in inside):
            menu.append(Filters(inside[0], inside[-1]))
    return menu


def quarter_label(filters: Filters) -> str:
    """``2024 Q3`` for a quarter's filters."""
    return month_quarter_label(filters.month_from)


def month_quarter_label(month: str | pd.Period) -> str:
    """``2024 Q3`` for the calendar quarter holding ``month`` (``YYYY-MM`` or a Period)."""
    p = pd.Period(month, freq="M").asfreq("Q")
    return f"{p.year} Q{p.quarter}"


def is_calendar_quarter(filters: Filters) -> bool:
    """Whether ``filters`` covers exactly one calendar quarter (Jan-Mar, Apr-Jun, ...)."""
    start = pd.Period(filters.month_from, freq="M")
    return filters.months == 3 and start.month in (1, 4, 7, 10)
