"""The partnership's periods: one fixed hierarchy, calendar quarter -> calendar year.

Two overlapping windows (say 12 months ending in June and 12 months ending in
September) differ by a few months' records; a linear program over such windows can
recover a withheld count exactly. The partnership therefore sees only whole calendar
quarters and, for the pattern analyses that need a longer run of months (emerging hot
spots, recurring locations, youth-work gaps), whole calendar years. Any two windows
are then either disjoint or nested along the same hierarchy, and what differencing
them could reveal is itself a published, suppressed and perturbed figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from geo.core.filters import Filters, is_calendar_quarter, month_quarter_label, quarter_menu


def whole_years(months: Sequence[str]) -> list[Filters]:
    """Calendar years all of whose 12 months lie in ``months`` (``YYYY-MM``)."""
    available = set(months)
    years = sorted({m[:4] for m in months})
    return [
        Filters(f"{y}-01", f"{y}-12")
        for y in years
        if all(f"{y}-{m:02d}" in available for m in range(1, 13))
    ]


def partnership_quarters(months: Sequence[str]) -> list[Filters]:
    """The partnership's menu of periods: whole calendar quarters."""
    return quarter_menu(list(months))


def is_partnership_window(window: Filters, months: Sequence[str]) -> bool:
    """Whether ``window`` is a whole quarter or a whole calendar year of ``months``
    with all incident categories."""
    if window.categories:
        return False
    return window in partnership_quarters(months) or window in whole_years(months)


def partnership_pattern_window(quarter: Filters, months: Sequence[str]) -> Filters:
    """The window the partnership's pattern analyses use for ``quarter``.

    The calendar year that holds the quarter when all of it is loaded; otherwise the
    latest whole calendar year before it; otherwise the quarter itself. Never a window
    that overlaps another partially.

    Parameters
    ----------
    quarter : Filters
        A whole calendar quarter (from :func:`partnership_quarters`).
    months : sequence of str
        Months with data, ``YYYY-MM``.
    """
    years = whole_years(months)
    year = quarter.month_from[:4]
    for y in years:
        if y.month_from[:4] == year:
            return y
    before = [y for y in years if y.month_to < quarter.month_from]
    if before:
        return before[-1]
    return Filters(quarter.month_from, quarter.month_to)


def window_label(window: Filters) -> str:
    """``2024`` for a calendar year, ``2024 Q3`` for a quarter, else ``2024-01 to 2024-05``."""
    start = pd.Period(window.month_from, freq="M")
    if window.month_from.endswith("-01") and window.month_to == f"{window.month_from[:4]}-12":
        return window.month_from[:4]
    if is_calendar_quarter(window):
        return month_quarter_label(start)
    return f"{window.month_from} to {window.month_to}"
