"""Location profiles: everything PlaceSafe knows about one cell, role-aware.

A profile is what any meeting opens for a place: its counts over time per layer, the
time of week incidents happen, the nearest schools, youth work nearby and whether it
is there when incidents happen, missing-from-home episodes found there, assaults
treated at A&E (where an emergency department's feed is loaded: their time of week,
how many on the school journey and the means of assault), and the living
multi-agency assessment (notes in :meth:`geo.store.database.Store.notes`).

For the partnership role every count is the value the Overview shows for the same
cell and quarter (:func:`geo.disclosure.counts.disclosed_counts`), so the profile can never be
differenced against the map; per-month and time-of-week detail is for analysts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.core import hexes
from geo.core.area import to_bng
from geo.core.config import Config
from geo.core.filters import Filters, quarter_label, quarter_menu
from geo.core.roles import Role
from geo.core.schema import ASSAULT_MEANS, ASSAULT_MEANS_LABELS
from geo.core.terms import journey_window
from geo.core.time_of_week import DAY_ABBREVIATIONS, DEFAULT_BLOCKS, block_of
from geo.disclosure import check_resolution, store_for
from geo.disclosure.counts import disclosed_counts
from geo.store.database import Store
from geo.store.queries import holds_ed_assaults

ASSESSMENT_HEADINGS: Final[tuple[str, ...]] = (
    "What happens here",
    "Who is affected",
    "What is in place",
    "Actions agreed",
)


@dataclass(frozen=True)
class AssaultDetail:
    """Assaults treated at A&E at one place over the window (analysts only).

    Attributes
    ----------
    total : int
        A&E-treated assaults placed in the cell (those at a private home never are).
    time_of_week : DataFrame
        By day (rows Mon..Sun) and hour (columns 0..23), at the assault's time (else the
        arrival's): every ISTV record is timed to the minute.
    on_school_journey : int
        Those on a school journey (weekdays 07:30-09:00 and 15:00-17:30 in term time).
    means : DataFrame
        Per primary means of assault (index: its label, every means listed) the number
        of ``assaults``.
    """

    total: int
    time_of_week: pd.DataFrame
    on_school_journey: int
    means: pd.DataFrame


@dataclass(frozen=True)
class LocationProfile:
    """A cell's profile as one role may see it.

    Attributes
    ----------
    cell : str
        The H3 cell (hex string) and ``res`` its resolution.
    neighbours : tuple of str
        Its ring of neighbouring cells.
    series : DataFrame
        Counts per period (months for analysts, quarters for the partnership; NaN =
        withheld), columns ``incidents``, ``knife_crime`` (analysts), ``missing_episodes``
        and, where an emergency department's feed is loaded, ``ed_assaults``.
    time_of_week : DataFrame or None
        Incidents by day (rows Mon..Sun) and hour (columns 0..23), minute-precision
        rows only; None for the partnership.
    time_of_week_left_out : int
        Incidents without a time of day, left out of ``time_of_week``.
    schools : DataFrame
        Nearest schools: ``name``, ``phase``, ``kind``, ``distance_m``.
    youth_work : DataFrame
        Per time-of-week block (:data:`geo.core.time_of_week.DEFAULT_BLOCKS`, the Youth
        work page's blocks, indexed by name): incidents in the cell (analysts),
        youth-work sessions and hours within ``reach_m`` (a session counts in the block
        its start falls in).
    missing_themes : DataFrame or None
        Return-home-interview themes of episodes found here (analysts only).
    health : bool
        Whether an emergency department's (ISTV) feed is loaded; without one the
        profile has no A&E figures at all (never zeros).
    assaults : AssaultDetail or None
        The A&E-treated assaults here over the window (analysts, where ``health``).
    """

    cell: str
    res: int
    neighbours: tuple[str, ...]
    series: pd.DataFrame
    time_of_week: pd.DataFrame | None
    time_of_week_left_out: int
    schools: pd.DataFrame
    youth_work: pd.DataFrame
    missing_themes: pd.DataFrame | None
    reach_m: float
    health: bool = False
    assaults: AssaultDetail | None = None


def _partnership_series(
    store: Store, cell: int, res: int, months: list[str], config: Config, health: bool
) -> pd.DataFrame:
    """The cell's counts per quarter as the Overview shows them (the same disclosed
    values, so that the profile can never be differenced against the map)."""
    layers = [("incidents", "incidents"), ("missing", "missing_episodes")]
    if health:
        layers.append(("ed_assaults", "ed_assaults"))
    rows = {}
    for quarter in quarter_menu(months):
        values = {}
        for layer, column in layers:
            levels = disclosed_counts(store, layer, Role.PARTNERSHIP, res, quarter, config)
            frame = levels.levels[res]
            hit = frame.loc[frame["cell"] == np.uint64(cell), "value"]
            values[column] = float(hit.iloc[0]) if len(hit) else 0.0
        rows[quarter_label(quarter)] = values
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "quarter"
    return frame


def build_profile(
    store: Store,
    cell: str,
    filters: Filters,
    months: list[str],
    role: str,
    config: Config,
    *,
    reach_m: float = 400.0,
    n_schools: int = 5,
) -> LocationProfile:
    """Build the profile of ``cell`` for ``role`` over the filter's window.

    Raises
    ------
    ValueError
        ``cell`` is not a valid H3 cell at resolution 7 to 10.
    DisclosureError
        The role may not see the cell's resolution.
    """
    store = store_for(store, role, config)
    cells = hexes.str_to_cells([cell])
    res = int(hexes.cell_resolution(cells)[0])
    if res not in (7, 8, 9, 10):
        raise ValueError("a location profile needs a cell at resolution 7 to 10")
    check_resolution(role, res, config)
    c = int(cells[0])
    col = f"cell_{res}"
    _, ring = hexes.grid_disk(cells, 1)
    neighbours = tuple(str(x) for x in hexes.cells_to_str(ring[ring != np.uint64(c)]))
    start, end = filters.bounds()
    inc = store.query(
        f"SELECT occurred_at, category, time_precision FROM incidents WHERE {col} = ? "
        "AND occurred_at >= ? AND occurred_at < ?",
        [c, start, end],
    )
    mis = store.query(
        f"SELECT reported_at, rhi_themes FROM missing_episodes WHERE {col} = ? "
        "AND reported_at >= ? AND reported_at < ?",
        [c, start, end],
    )
    analyst = role != Role.PARTNERSHIP
    health = holds_ed_assaults(store)
    assaults = _assault_detail(store, col, c, filters, config) if health and analyst else None
    if analyst:
        month = pd.to_datetime(inc["occurred_at"]).dt.strftime("%Y-%m")
        knife = month[inc["category"] == "knife_crime"]
        mmonth = pd.to_datetime(mis["reported_at"]).dt.strftime("%Y-%m")
        index = pd.Index(
            [str(p) for p in pd.period_range(start, end - pd.Timedelta(days=1), freq="M")],
            name="month",
        )
        series = pd.DataFrame(
            {
                "incidents": month.value_counts().reindex(index, fill_value=0),
                "knife_crime": knife.value_counts().reindex(index, fill_value=0),
                "missing_episodes": mmonth.value_counts().reindex(index, fill_value=0),
            }
        ).astype(float)
        if assaults is not None:
            series["ed_assaults"] = assaults.by_month.reindex(index, fill_value=0).astype(float)
        precise = inc.loc[inc["time_precision"] == "minute"]
        t = pd.to_datetime(precise["occurred_at"])
        tow = pd.crosstab(t.dt.day_of_week, t.dt.hour).reindex(
            index=range(7), columns=range(24), fill_value=0
        )
        tow.index = pd.Index(DAY_ABBREVIATIONS, name="day")
        left_out = len(inc) - len(precise)
        themes = (
            mis["rhi_themes"].dropna().str.split(";").explode().value_counts().rename("episodes")
        )
        missing_themes: pd.DataFrame | None = themes.to_frame()
    else:
        series = _partnership_series(store, c, res, months, config, health)
        tow, left_out, missing_themes = None, 0, None

    lat, lng = hexes.cell_centres(cells)
    cx, cy = to_bng(lng, lat)
    schools = store.query("SELECT name, phase, kind, cell FROM schools WHERE cell IS NOT NULL")
    if len(schools):
        slat, slng = hexes.cell_centres(schools["cell"].to_numpy(dtype=np.uint64))
        sx, sy = to_bng(slng, slat)
        schools["distance_m"] = np.hypot(sx - cx[0], sy - cy[0]).round(-1)
        schools = schools.drop(columns="cell").nsmallest(n_schools, "distance_m")
    youth = _youth_work(store, cx[0], cy[0], filters, reach_m)
    if analyst:
        precise_blocks = pd.Series(
            block_of(inc.loc[inc["time_precision"] == "minute", "occurred_at"])
        )
        youth.insert(
            0, "incidents", precise_blocks.value_counts().reindex(youth.index, fill_value=0)
        )
    return LocationProfile(
        cell=cell,
        res=res,
        neighbours=neighbours,
        series=series,
        time_of_week=tow,
        time_of_week_left_out=int(left_out),
        schools=schools.reset_index(drop=True),
        youth_work=youth,
        missing_themes=missing_themes,
        reach_m=reach_m,
        health=health,
        assaults=None if assaults is None else assaults.detail,
    )


@dataclass(frozen=True)
class _Assaults:
    detail: AssaultDetail
    by_month: pd.Series


def _assault_detail(
    store: Store, col: str, cell: int, filters: Filters, config: Config
) -> _Assaults:
    """The A&E-treated assaults placed in ``cell`` (its ``col`` parent) in the window."""
    start, end = filters.bounds()
    rows = store.query(
        f"SELECT occurred_at, means FROM ed_assaults WHERE {col} = ? "
        "AND occurred_at >= ? AND occurred_at < ?",
        [cell, start, end],
    )
    when = pd.to_datetime(rows["occurred_at"])
    tow = pd.crosstab(when.dt.day_of_week, when.dt.hour).reindex(
        index=range(7), columns=range(24), fill_value=0
    )
    tow.index = pd.Index(DAY_ABBREVIATIONS, name="day")
    journey = int(journey_window(when, config.schools.terms).sum()) if len(rows) else 0
    means = rows["means"].value_counts().reindex(list(ASSAULT_MEANS), fill_value=0)
    means.index = pd.Index([ASSAULT_MEANS_LABELS[m] for m in ASSAULT_MEANS], name="means")
    detail = AssaultDetail(len(rows), tow, journey, means.rename("assaults").to_frame())
    return _Assaults(detail, when.dt.strftime("%Y-%m").value_counts())


def _youth_work(store: Store, x: float, y: float, filters: Filters, reach_m: float) -> pd.DataFrame:
    """Youth-work sessions and hours within ``reach_m`` per time-of-week block."""
    start, end = filters.bounds()
    sessions = store.query(
        "SELECT s.session_id, s.started_at, s.ended_at, c.cell FROM youth_sessions s "
        "JOIN (SELECT source, session_id, cell FROM youth_session_cells UNION ALL "
        "SELECT source, session_id, cell FROM youth_sessions WHERE NOT is_area) c "
        "USING (source, session_id) WHERE s.started_at >= ? AND s.started_at < ?",
        [start, end],
    )
    index = pd.Index([b.name for b in DEFAULT_BLOCKS], name="block")
    out = pd.DataFrame({"sessions": 0, "hours": 0.0}, index=index)
    if sessions.empty:
        return out
    slat, slng = hexes.cell_centres(sessions["cell"].to_numpy(dtype=np.uint64))
    sx, sy = to_bng(slng, slat)
    near = cKDTree(np.column_stack([sx, sy])).query_ball_point([x, y], r=reach_m)
    hits = sessions.iloc[sorted(near)].drop_duplicates("session_id")
    if hits.empty:
        return out
    hours = (hits["ended_at"] - hits["started_at"]).dt.total_seconds() / 3600
    blocks = pd.Series(block_of(hits["started_at"]), index=hits.index)
    out["sessions"] = blocks.value_counts().reindex(index, fill_value=0)
    out["hours"] = hours.groupby(blocks).sum().reindex(index, fill_value=0.0).round(1)
    return out
