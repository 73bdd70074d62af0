"""What sets each ranked recurring location apart, in words (the material of its reasons).

:func:`geo.lenses.recurring.rank_recurring_locations` ranks places by score; for each
ranked place this module says

* how it behaved month by month in plain words, never contradicting the months it was
  hot (:func:`pattern_label`, from Esri's emerging hot spot category);
* its most frequent incident categories, its busiest time of week, the feeds whose
  records are there (police, children's services, A&E) and its nearest school
  (:func:`place_details`).

For the partnership a category or a time is named only when at least ``min_count``
incidents make it, so a reason never points at a small number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.core import hexes, schema
from geo.core.area import to_bng
from geo.core.filters import Filters
from geo.core.time_of_week import DAY_NAMES
from geo.stats.emerging import CATEGORY_NAMES
from geo.store.database import Store

if TYPE_CHECKING:  # the ranking's settings; the ranking imports this module
    from geo.lenses.recurring import RankingSettings

__all__ = [
    "DAY_PARTS",
    "ED_FEED",
    "MISSING_FEED",
    "PlaceDetail",
    "pattern_label",
    "place_details",
]


def pattern_label(code: int, hot: int, recent: int) -> str:
    """The emerging hot spot result in plain words, never contradicting the months hot.

    Esri's categories all need the latest month hot, except Historical; a place hot in 9
    of the last 12 months but not the latest is "No Pattern Detected" in Esri's terms,
    which beside "hot in 9 of the last 12 months" reads as a contradiction. Such a place
    is "Hot in some months, not the latest"; a place never hot is "Not a hot spot".
    """
    if code != 0:
        name = CATEGORY_NAMES[int(code)]
        words = name[0] + name[1:].lower()
        return words + (", not the latest month" if code == 8 else "")
    if hot > 0:
        return f"Hot in {'most' if 2 * hot >= recent else 'some'} months, not the latest"
    return "Not a hot spot"


#: Parts of the day for a place's busiest time (hours from, to).
DAY_PARTS: Final[dict[str, tuple[int, int]]] = {
    "nights": (0, 6),
    "mornings": (6, 12),
    "afternoons": (12, 18),
    "evenings": (18, 24),
}
MISSING_FEED: Final = "missing-from-home reports"
ED_FEED: Final = "A&E assault records (ISTV)"


@dataclass(frozen=True)
class PlaceDetail:
    """What is particular to one ranked place, for its reasons.

    Attributes
    ----------
    categories : tuple of str
        Its most frequent incident categories (labels, at most two), most first.
    peak : str or None
        Its busiest time of week ("Friday evenings") from incidents timed to the minute.
    feeds : tuple of str
        The feeds (agencies' data) whose records are there.
    school : str or None
        The nearest school's name, and ``school_m`` its straight-line distance in metres.
    """

    categories: tuple[str, ...] = ()
    peak: str | None = None
    feeds: tuple[str, ...] = ()
    school: str | None = None
    school_m: float = 0.0


def place_details(
    store: Store, cells: Sequence[str] | np.ndarray, filters: Filters, settings: RankingSettings
) -> dict[str, PlaceDetail]:
    """What sets each ranked place apart: its top categories, busiest time of week, the
    feeds with records there and its nearest school. For the partnership
    (``settings.exact_counts`` false) a category or a time is named only when at least
    ``settings.min_count`` incidents make it, so a reason never points at a small number."""
    if len(cells) == 0:
        return {}
    start, end = filters.bounds()
    col = f"cell_{settings.res}"
    grid = hexes.str_to_cells(list(cells))
    inc = store.query(
        f"SELECT {col} AS cell, category, source, occurred_at, time_precision FROM incidents "
        "WHERE occurred_at >= ? AND occurred_at < ?",
        [start, end],
    )
    inc = inc.loc[inc["cell"].isin(grid)]
    mis = store.query(
        f"SELECT DISTINCT {col} AS cell FROM missing_episodes "
        "WHERE reported_at >= ? AND reported_at < ?",
        [start, end],
    )
    with_missing = set(hexes.cells_to_str(mis["cell"].dropna().to_numpy(dtype=np.uint64)))
    with_ed: set[str] = set()
    if store.has_table("ed_assaults"):
        ed = store.query(
            f"SELECT DISTINCT {col} AS cell FROM ed_assaults "
            "WHERE occurred_at >= ? AND occurred_at < ?",
            [start, end],
        )
        with_ed = set(hexes.cells_to_str(ed["cell"].dropna().to_numpy(dtype=np.uint64)))
    floor = 1 if settings.exact_counts else settings.min_count
    labels = schema.INCIDENT_CATEGORY_LABELS
    names = hexes.cells_to_str(inc["cell"].to_numpy(dtype=np.uint64))
    inc = inc.assign(place=names)
    timed = inc.loc[inc["time_precision"] == "minute"]
    when = pd.to_datetime(timed["occurred_at"])
    part = pd.cut(
        when.dt.hour, [lo for lo, _ in DAY_PARTS.values()] + [24], right=False, labels=False
    )
    timed = timed.assign(day=when.dt.day_of_week.to_numpy(), part=np.asarray(part))
    schools = store.query("SELECT name, cell FROM schools WHERE cell IS NOT NULL")
    glat, glng = hexes.cell_centres(grid)
    gx, gy = to_bng(glng, glat)
    nearest: list[tuple[str | None, float]] = [(None, 0.0)] * len(grid)
    if len(schools):
        slat, slng = hexes.cell_centres(schools["cell"].to_numpy(dtype=np.uint64))
        sx, sy = to_bng(slng, slat)
        dist, idx = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([gx, gy]))
        nearest = [
            (str(schools["name"].iloc[int(i)]), float(d))
            for d, i in zip(np.atleast_1d(dist), np.atleast_1d(idx), strict=True)
        ]
    by_place = dict(tuple(inc.groupby("place", sort=False)))
    timed_by_place = dict(tuple(timed.groupby("place", sort=False)))
    out: dict[str, PlaceDetail] = {}
    for i, cell in enumerate(str(c) for c in cells):  # over ranked places, not events
        rows = by_place.get(cell)
        categories: tuple[str, ...] = ()
        feeds: list[str] = []
        if rows is not None:
            top = rows["category"].value_counts()
            top = top.loc[top >= floor].head(2)
            categories = tuple(labels.get(str(c), str(c).replace("_", " ")) for c in top.index)
            feeds = [schema.incident_source(str(s)).label for s in sorted(rows["source"].unique())]
        if cell in with_missing:
            feeds.append(MISSING_FEED)
        if cell in with_ed:
            feeds.append(ED_FEED)
        peak = None
        t = timed_by_place.get(cell)
        if t is not None and len(t):
            bins = t.groupby(["day", "part"]).size().sort_values(ascending=False, kind="stable")
            if bins.iloc[0] >= max(floor, 2):
                day, part_of_day = bins.index[0]
                peak = f"{DAY_NAMES[int(day)]} {list(DAY_PARTS)[int(part_of_day)]}"
        school, metres = nearest[i]
        out[cell] = PlaceDetail(categories, peak, tuple(feeds), school, metres)
    return out
