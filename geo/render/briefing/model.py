"""The review pack as data: its tables and sections, and the periods and number formats
every section shares (:mod:`geo.render.briefing`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from geo.core.errors import PackError
from geo.core.filters import Filters, quarter_label, quarter_menu
from geo.core.roles import Role
from geo.disclosure import as_role
from geo.disclosure.windows import partnership_pattern_window
from geo.store import queries as overview
from geo.store.database import Store

__all__ = [
    "AUDIENCES",
    "PATTERN_MONTHS",
    "Audience",
    "PackSection",
    "PackTable",
    "ReviewPack",
    "available_quarters",
    "parse_quarter",
]

Audience = Role
AUDIENCES: Final[tuple[str, ...]] = (Role.PARTNERSHIP, Role.ANALYST)
#: Longest run of months the pattern analyses look back over from the quarter's end.
PATTERN_MONTHS: Final = 24


@dataclass(frozen=True)
class PackTable:
    """A table as printed: caption, column names and rows of display strings."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PackSection:
    """One section: paragraphs, then tables, then images (PNG bytes with a caption)."""

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[PackTable, ...] = ()
    images: tuple[tuple[str, bytes], ...] = ()
    #: Printed from the top of a new page.
    new_page: bool = False


@dataclass(frozen=True)
class ReviewPack:
    """Everything a review pack prints.

    Attributes
    ----------
    title, area_name, quarter : str
        ``quarter`` as ``"2024 Q3"``.
    audience : str
        ``partnership`` or ``analyst``.
    synthetic : bool
        Built from the synthetic demo (printed on every page).
    generated_at : str
        Local time the pack was built.
    sections : tuple of PackSection
    headlines : tuple of str
        Plain-English sentences for the 7-minute briefing.
    """

    title: str
    area_name: str
    quarter: str
    audience: str
    synthetic: bool
    generated_at: str
    sections: tuple[PackSection, ...]
    headlines: tuple[str, ...] = field(default=())


# --- periods and number formats ------------------------------------------------------------


def parse_quarter(text: str) -> Filters:
    """``"2025Q1"`` or ``"2025 Q1"`` -> the quarter's months as Filters."""
    match = re.fullmatch(r"\s*(\d{4})\s*-?\s*Q([1-4])\s*", text, flags=re.IGNORECASE)
    if not match:
        raise PackError(f"period must look like 2025Q1, not {text!r}")
    q = pd.Period(f"{match.group(1)}Q{match.group(2)}", freq="Q")
    return Filters(q.asfreq("M", "start").strftime("%Y-%m"), q.asfreq("M", "end").strftime("%Y-%m"))


def available_quarters(store: Store) -> list[str]:
    """Whole quarters with data, oldest first, as ``"2024Q3"``."""
    menu = quarter_menu(overview.available_months(store))
    return [quarter_label(f).replace(" ", "") for f in menu]


def _pattern_window(store: Store, quarter: Filters, role: str) -> Filters:
    """The pattern analyses' window: for the partnership the calendar year of the quarter
    (one fixed hierarchy, never a rolling window); for analysts up to
    :data:`PATTERN_MONTHS` months ending with the quarter."""
    months = overview.available_months(store)
    if not as_role(role).sees_exact_counts:
        return partnership_pattern_window(quarter, months)
    months = [m for m in months if m <= quarter.month_to]
    return Filters(months[-PATTERN_MONTHS:][0], quarter.month_to)


def _count(value: float) -> str:
    return "withheld" if value is None or not np.isfinite(value) else f"{value:,.0f}"


def _pct_change(now: float, before: float) -> str:
    if not (np.isfinite(now) and np.isfinite(before)):
        return "not shown"
    if before == 0:
        return "new" if now > 0 else "no change"
    change = (now - before) / before
    if abs(change) < 0.005:
        return "no change"
    return f"{'up' if change > 0 else 'down'} {abs(change):.0%}"


def _table(caption: str, frame: pd.DataFrame) -> PackTable:
    """Display strings of a frame (NaN / NA as "withheld" in count columns)."""
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for v in record:
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                cells.append("withheld")
            elif isinstance(v, float | np.floating) and float(v).is_integer():
                cells.append(f"{float(v):,.0f}")
            elif isinstance(v, float | np.floating):
                cells.append(f"{float(v):,.2f}")
            elif isinstance(v, bool | np.bool_):
                cells.append("yes" if v else "")
            else:
                cells.append(str(v))
        rows.append(tuple(cells))
    return PackTable(caption, tuple(str(c) for c in frame.columns), tuple(rows))
