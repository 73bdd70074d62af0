"""The schools lens: harm near schools, on the school journey, and among their pupils.

For every open school, :func:`incidents_near_schools` counts

* incidents within each walking distance (400 m and 800 m by default), split into
  the school journey (weekdays 07:30-09:00 and 15:00-17:30 in term time, windows
  half-open), other times, and time unknown (incidents recorded only to the day or
  month cannot be placed in a window and are counted apart, never guessed);
* harmful sexual behaviour incidents within 400 m;
* missing episodes of its pupils (``missing_episodes.school_urn``, ``;``-separated
  for dual registration, each episode counted once per school it names), the
  distinct children, and the children missing 3 or more times within 90 days;
* recurring locations nearby: cells of the recurring-location ranking
  (:func:`geo.lenses.recurring.rank_recurring_locations`, top ``recurring_top``) within
  800 m, with their emerging hot spot categories.

**Distances** are straight-line metres between storage-cell centres in British
National Grid (EPSG:27700). Walking distance is approximated by straight-line
distance: real routes are longer, so "within 400 m" reads as "within about a
five-minute walk or less". Pairs are found with a k-d tree
(``scipy.spatial.cKDTree.query_ball_point``), never a double loop.

**Term dates** are configurable (:class:`TermDates`); the default is an
approximation of English state-school terms, not any authority's calendar.

:func:`geo.lenses.school_ranking.rank_schools` ranks schools with a transparent weighted
score and one or two plain-English reasons; :func:`geo.disclosure.schools.disclose_schools`
applies the
partnership's suppression rules (counts 1 to ``min_count - 1`` withheld, with secondary
suppression so a withheld count cannot be recovered from a total).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.core import hexes
from geo.core.area import StudyArea, cells_to_bng, from_bng
from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.core.schema import HSB
from geo.core.terms import (
    DEFAULT_TERMS,
    JOURNEY,
    OTHER,
    TIME_CLASSES,
    UNKNOWN,
    TermDates,
    journey_window,
    to_stamps,
)
from geo.core.types import FloatArray, IntArray
from geo.disclosure.schools import disclose_schools
from geo.lenses.missing import (
    repeat_children,
    repeat_children_in_period,
)
from geo.lenses.recurring import RankingSettings, rank_recurring_locations
from geo.lenses.school_ranking import FLAGGED_KINDS, distance_column, rank_schools
from geo.store.database import Store
from geo.store.school_register import open_schools


def classify_times(
    times: Any, precision: Any, terms: TermDates = DEFAULT_TERMS
) -> npt.NDArray[np.object_]:
    """``journey``, ``other`` or ``time_unknown`` for each incident.

    Only ``minute``-precision times are classified; ``day`` and ``month`` ones (and
    missing times) are ``time_unknown``.
    """
    precise = pd.Series(np.asarray(precision)).eq("minute").to_numpy(dtype=bool)
    precise = precise & np.asarray(to_stamps(times).notna(), dtype=bool)
    journey = journey_window(times, terms)
    return np.where(precise, np.where(journey, JOURNEY, OTHER), UNKNOWN).astype(object)


# --------------------------------------------------------------------------- distances
def pairs_within(
    cx: npt.ArrayLike,
    cy: npt.ArrayLike,
    px: npt.ArrayLike,
    py: npt.ArrayLike,
    radius_m: float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (centre, point) pair no more than ``radius_m`` apart.

    Parameters
    ----------
    cx, cy, px, py : array_like
        Centres and points in projected metres (EPSG:27700).
    radius_m : float
        Inclusive radius in metres.

    Returns
    -------
    centre, point : int64 arrays
        Indexes of each pair.
    distance : float64 array
        Straight-line distance of each pair in metres.
    """
    c = np.column_stack([np.asarray(cx, dtype=float), np.asarray(cy, dtype=float)])
    p = np.column_stack([np.asarray(px, dtype=float), np.asarray(py, dtype=float)])
    if len(c) == 0 or len(p) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    tree = cKDTree(p)
    # a hair wider than the radius; the exact test is on the distances below
    hits = tree.query_ball_point(c, r=radius_m * (1 + 1e-9) + 1e-6)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    if lengths.sum() == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    centre = np.repeat(np.arange(len(c), dtype=np.int64), lengths)
    point = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if len(h)])
    distance = np.hypot(p[point, 0] - c[centre, 0], p[point, 1] - c[centre, 1])
    keep = distance <= radius_m
    return centre[keep], point[keep], distance[keep]


def buffer_counts(
    cx: npt.ArrayLike,
    cy: npt.ArrayLike,
    px: npt.ArrayLike,
    py: npt.ArrayLike,
    distances_m: Sequence[float],
    groups: npt.ArrayLike | None = None,
    n_groups: int = 1,
) -> IntArray:
    """Points within each distance of each centre, optionally by group.

    Parameters
    ----------
    cx, cy, px, py : array_like
        Centres and points in projected metres (EPSG:27700).
    distances_m : sequence of float
        Inclusive radii in metres.
    groups : array_like of int, optional
        Each point's group, ``0 .. n_groups - 1`` (all 0 when omitted).
    n_groups : int
        Number of groups.

    Returns
    -------
    int64 array of shape ``(centres, len(distances_m), n_groups)``
    """
    n_c, n_d = len(np.asarray(cx)), len(distances_m)
    out = np.zeros((n_c, n_d, n_groups), dtype=np.int64)
    if n_d == 0:
        return out
    radii = np.asarray(distances_m, dtype=float)
    centre, point, distance = pairs_within(cx, cy, px, py, float(radii.max()))
    g = (
        np.zeros(len(point), dtype=np.int64)
        if groups is None
        else np.asarray(groups, dtype=np.int64)[point]
    )
    for k, r in enumerate(radii):
        m = distance <= r
        flat = centre[m] * n_groups + g[m]
        out[:, k, :] = np.bincount(flat, minlength=n_c * n_groups).reshape(n_c, n_groups)
    return out


# --------------------------------------------------------------------------- the table
def _schools(store: Store) -> pd.DataFrame:
    return open_schools(store)


def missing_by_school(episodes: pd.DataFrame, repeat: pd.Index | None = None) -> pd.DataFrame:
    """Missing episodes, children and repeat children per school URN.

    ``episodes`` has ``source``, ``episode_id``, ``child_key``, ``reported_at`` and
    ``school_urn`` (``;``-separated when a child is dual-registered). Each episode
    counts once for every distinct school it names; repeat status is the child's,
    from all of ``episodes``. Returns columns ``missing_episodes``,
    ``missing_children``, ``missing_repeat_children`` indexed by ``urn``.
    """
    cols = ["missing_episodes", "missing_children", "missing_repeat_children"]
    if episodes.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="urn"), dtype=np.int64)
    if repeat is None:
        repeat = repeat_children(episodes[["child_key", "reported_at"]])
    frame = episodes.assign(urn=episodes["school_urn"].fillna("").astype(str).str.split(";"))
    frame = frame.explode("urn")
    frame["urn"] = frame["urn"].astype(str).str.strip()
    frame = frame.loc[frame["urn"] != ""]
    frame = frame.drop_duplicates(["source", "episode_id", "urn"])
    frame["repeat_child"] = frame["child_key"].where(frame["child_key"].isin(repeat))
    out = frame.groupby("urn").agg(
        missing_episodes=("episode_id", "size"),
        missing_children=("child_key", "nunique"),
        missing_repeat_children=("repeat_child", "nunique"),
    )
    return out.astype(np.int64)


def top_recurring(
    store: Store,
    area: StudyArea,
    filters: Filters,
    *,
    top: int = 20,
    settings: RankingSettings | None = None,
) -> pd.DataFrame | None:
    """The ``top`` places of the recurring-location ranking (``cell``, ``category``),
    or None when the window is too short for it (under 10 months)."""
    try:
        ranked = rank_recurring_locations(store, area, filters, settings or RankingSettings())
    except InsufficientDataError:
        return None
    return ranked.head(top)[["rank", "cell", "category"]].reset_index(drop=True)


def incidents_near_schools(
    store: Store,
    filters: Filters,
    distances_m: Sequence[float] = (400.0, 800.0),
    terms: TermDates = DEFAULT_TERMS,
    hsb_distance_m: float = 400.0,
    recurring: pd.DataFrame | None = None,
    recurring_distance_m: float = 800.0,
) -> pd.DataFrame:
    """Per open school: incidents nearby by time class, HSB, pupils missing, recurring places.

    Parameters
    ----------
    store : Store
        The data.
    filters : Filters
        The period (by ``occurred_at`` / ``reported_at``) and incident categories.
        Harmful sexual behaviour is counted whatever the category filter.
    distances_m : sequence of float
        Walking distances in metres, approximated by straight-line distance between
        storage-cell centres in EPSG:27700 (inclusive).
    terms : TermDates
        Term dates for the school-journey windows.
    hsb_distance_m : float
        Radius in metres for harmful sexual behaviour incidents.
    recurring : DataFrame, optional
        Recurring places (``cell`` as H3 strings, ``category``), e.g. from
        :func:`top_recurring`; none counted when omitted.
    recurring_distance_m : float
        Radius in metres from the school to a recurring place's cell centre.

    Returns
    -------
    DataFrame
        One row per open school: ``school_id``, ``urn``, ``name``, ``phase``,
        ``kind``, ``flag`` (alternative provision / special school, else empty),
        ``cell`` (H3 string or None), for each distance ``d``
        ``incidents_{d}m`` and ``incidents_{d}m_{journey,other,time_unknown}``;
        ``hsb_{h}m``; ``missing_episodes``, ``missing_children``,
        ``missing_repeat_children``; ``recurring_nearby`` and
        ``recurring_categories`` (e.g. ``"Persistent Hot Spot ×2; New Hot Spot"``).
        Incidents without a cell cannot be placed and are not counted.
    """
    schools = _schools(store)
    start, end = filters.bounds()
    inc = store.query(
        "SELECT category, occurred_at, time_precision, cell FROM incidents "
        "WHERE occurred_at >= ? AND occurred_at < ? AND cell IS NOT NULL",
        [start, end],
    )
    located = schools["cell"].notna().to_numpy()
    school_cells = schools["cell"].fillna(0).to_numpy(dtype=np.uint64)
    sx, sy = cells_to_bng(school_cells[located])
    px, py = cells_to_bng(inc["cell"].to_numpy(dtype=np.uint64))
    out = schools[["school_id", "urn", "name", "phase", "kind"]].copy()
    out["flag"] = schools["kind"].map(FLAGGED_KINDS).fillna("")
    out["cell"] = [
        str(s) if ok else None
        for s, ok in zip(hexes.cells_to_str(school_cells), located, strict=True)
    ]

    def scatter(values: IntArray) -> IntArray:
        full = np.zeros((len(schools),) + values.shape[1:], dtype=np.int64)
        full[located] = values
        return full

    # incidents in the category filter, by time class
    cat_ok = (
        inc["category"].isin(filters.categories).to_numpy()
        if filters.categories
        else np.ones(len(inc), dtype=bool)
    )
    cls = classify_times(inc["occurred_at"], inc["time_precision"], terms)
    group = np.select([cls == JOURNEY, cls == OTHER], [0, 1], 2)
    counts = scatter(
        buffer_counts(sx, sy, px[cat_ok], py[cat_ok], distances_m, group[cat_ok], n_groups=3)
    )
    for k, d in enumerate(distances_m):
        out[distance_column("incidents", d)] = counts[:, k, :].sum(axis=1)
        for g, name in enumerate(TIME_CLASSES):
            out[distance_column("incidents", d, name)] = counts[:, k, g]
    hsb = (inc["category"] == HSB).to_numpy()
    out[distance_column("hsb", hsb_distance_m)] = scatter(
        buffer_counts(sx, sy, px[hsb], py[hsb], [hsb_distance_m])
    )[:, 0, 0]

    episodes = store.query(
        "SELECT source, episode_id, child_key, reported_at, school_urn FROM missing_episodes "
        "WHERE reported_at >= ? AND reported_at < ?",
        [start, end],
    )
    missing = missing_by_school(episodes, repeat_children_in_period(store, filters))
    joined = missing.reindex(schools["urn"].astype(str)).fillna(0).astype(np.int64)
    for name in missing.columns:
        out[name] = joined[name].to_numpy()

    nearby = np.zeros(len(schools), dtype=np.int64)
    cats: list[str] = [""] * len(schools)
    if recurring is not None and len(recurring):
        rx, ry = cells_to_bng(hexes.str_to_cells(recurring["cell"]))
        centre, place, _ = pairs_within(sx, sy, rx, ry, recurring_distance_m)
        school_index = np.flatnonzero(located)[centre]
        nearby = np.bincount(school_index, minlength=len(schools)).astype(np.int64)
        labels = recurring["category"].astype(str).to_numpy()[place]
        pairs = pd.DataFrame({"school": school_index, "category": labels})
        for school, frame in pairs.groupby("school"):
            tally = frame["category"].value_counts()
            cats[int(str(school))] = "; ".join(
                f"{c} ×{n}" if n > 1 else str(c) for c, n in tally.items()
            )
    out["recurring_nearby"] = nearby
    out["recurring_categories"] = cats
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- ranking


# --------------------------------------------------------------------------- the page
def school_headers(d: str) -> dict[str, str]:
    """Human headers for the schools table at buffer ``d`` (e.g. ``"400m"``)."""
    metres = d.removesuffix("m") + " m"
    return {
        "rank": "Rank",
        "name": "School",
        "phase": "Phase",
        "kind": "Kind",
        "flag": "Marked",
        f"incidents_{d}_journey": f"Incidents within {metres}, school journey",
        f"incidents_{d}_other": f"Incidents within {metres}, other times",
        f"incidents_{d}_time_unknown": f"Incidents within {metres}, time unknown",
        f"hsb_{d}": f"Harmful sexual behaviour within {metres}",
        "missing_children": "Pupils missing",
        "missing_repeat_children": "Pupils missing 3+ times in 90 days",
        "recurring_nearby": "Recurring locations within 800 m",
        "recurring_categories": "Their trends",
        "reasons": "Why",
    }


def filter_schools(
    ranking: pd.DataFrame, phases: Sequence[str] = (), kinds: Sequence[str] = ()
) -> pd.DataFrame:
    """Keep the schools of these phases and kinds (empty keeps all); ranks stay the
    schools' places in the whole ranking."""
    keep = np.ones(len(ranking), dtype=bool)
    if phases:
        keep &= ranking["phase"].isin(list(phases)).to_numpy()
    if kinds:
        keep &= ranking["kind"].isin(list(kinds)).to_numpy()
    return ranking.loc[keep].reset_index(drop=True)


def school_buffers(cell: str, distances_m: Sequence[float] = (400.0, 800.0)) -> list[Any]:
    """Circles (EPSG:4326 polygons) of ``distances_m`` around a school's cell centre,
    drawn on its small map (buffers are built in EPSG:27700 metres)."""
    x, y = cells_to_bng(hexes.str_to_cells([cell]))
    out = []
    for d in distances_m:
        ring = shapely.Point(float(x[0]), float(y[0])).buffer(float(d), 32)
        bx, by = np.asarray(ring.exterior.coords).T
        lng, lat = from_bng(bx, by)
        out.append(shapely.Polygon(np.column_stack([lng, lat])))
    return out


def schools_view(
    store: Store,
    area: StudyArea,
    filters: Filters,
    role: str,
    min_count: int,
    *,
    children: pd.DataFrame | None = None,
    distances_m: Sequence[float] = (400.0, 800.0),
    distance_m: float = 400.0,
    terms: TermDates = DEFAULT_TERMS,
    recurring_window: Filters | None = None,
) -> pd.DataFrame:
    """The school ranking for ``role``: every open school, best first, disclosed.

    Parameters
    ----------
    store, area, filters
        Data, study area and period (the recurring places nearby come from the
        recurring-location ranking over the same window, when it is long enough).
    role : str
        ``analyst`` (exact) or ``partnership``
        (see :func:`geo.disclosure.schools.disclose_schools`).
    min_count : int
        Disclosure threshold.
    children : DataFrame, optional
        The Missing page's disclosed per-school figures (partnership).
    distances_m, distance_m : floats
        Walking distances counted, and the one the score uses (metres).
    terms : TermDates
        Term dates of the school-journey windows.
    recurring_window : Filters, optional
        Window of the recurring-location ranking (default ``filters``; it needs at
        least 10 months, so a quarter's view passes a longer one).
    """
    if distance_m not in distances_m:
        raise ValueError("the scored distance must be one of the counted distances")
    recurring = top_recurring(store, area, recurring_window or filters)
    table = incidents_near_schools(
        store, filters, distances_m, terms, hsb_distance_m=distance_m, recurring=recurring
    )
    ranked = rank_schools(
        table,
        distance_m=distance_m,
        hsb_distance_m=distance_m,
        exact_counts=role != Role.PARTNERSHIP,
        min_count=min_count,
    )
    return disclose_schools(ranked, role, min_count, children=children)
