"""The recurring-location ranking: evidence from every layer combined into one list.

Each cell of the study-area grid at the analysis resolution gets five components,
each between 0 and 1, and a score that is their weighted sum (no black box)::

    score = 3·category_strength + 2·hot_share + 1·active_share + 2·volume
            + 1·near_repeat + 2·convergence

* ``category_strength`` — the emerging hot spot category (Esri's rules, :mod:`geo.stats.emerging`)
  mapped to a strength: Intensifying 1, Persistent 0.85, New 0.7, Consecutive 0.7,
  Sporadic 0.5, Diminishing 0.4, Oscillating 0.35, Historical 0.2, anything else 0;
* ``hot_share`` — share of the last ``recent`` periods in which the cell's
  space-time Gi* bin was a significant hot spot;
* ``active_share`` — share of the last ``recent`` periods with at least one incident;
* ``volume`` — the cell's incidents in the last ``recent`` periods as a share of the
  busiest cell's (so a hot spot ranks above the neighbours it makes hot);
* ``near_repeat`` — incidents in the cell that belong to a near-repeat chain
  (events linked within ``chain_distance_m`` and ``chain_days``), as a share capped
  at 1 when five or more do;
* ``convergence`` — how many of four layers are active in the cell over the window:
  serious youth violence, missing-from-home found/last-seen locations, harmful sexual
  behaviour, and school-journey incidents (weekdays 07:30-09:00 and 15:00-17:30 in
  term time, :func:`geo.core.terms.journey_window`) — divided by four; where an
  emergency department's feed holds records in the window, assaults treated at A&E are
  a fifth layer (divided by five), and a place with A&E-treated assaults but no police
  record is ranked too.

The maximum score is 11. New, Consecutive and Intensifying hot spots carry an
escalation flag. A *place* is a cell whose score is the highest in its ring of
neighbours: cells next to a higher-scoring one are folded into that place (listed
in ``part_of``) rather than ranked again, so the list names distinct places.
Every ranked place gets one or two plain-English reasons from its strongest
components and from what sets it apart (:mod:`geo.lenses.recurring_places`), with any
count passed through disclosure control for the partnership.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.core import hexes, schema
from geo.core.area import StudyArea, from_bng, to_bng
from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.core.headers import HEADERS
from geo.core.terms import journey_window
from geo.lenses.recurring_places import PlaceDetail, pattern_label, place_details
from geo.stats.emerging import CATEGORY_NAMES, emerging_hotspots
from geo.stats.knox import KnoxResult, knox
from geo.stats.near_repeat_chains import chain_summary, near_repeat_chains
from geo.store.cube import build_cube
from geo.store.database import Store
from geo.store.place_names import place_names
from geo.store.queries import holds_ed_assaults

WEIGHTS: Final[dict[str, float]] = {
    "category_strength": 3.0,
    "hot_share": 2.0,
    "active_share": 1.0,
    "volume": 2.0,
    "near_repeat": 1.0,
    "convergence": 2.0,
}
CATEGORY_STRENGTH: Final[dict[int, float]] = {
    3: 1.0,
    4: 0.85,
    1: 0.7,
    2: 0.7,
    6: 0.5,
    5: 0.4,
    7: 0.35,
    8: 0.2,
}
#: Escalation: the emerging patterns (New, Consecutive) and Intensifying hot spots.
ESCALATE: Final[frozenset[int]] = frozenset({1, 2, 3})
#: Columns of the ranking that carry no counts (all the partnership may see).
PUBLIC_COLUMNS: Final[tuple[str, ...]] = (
    "rank",
    "place",
    "cell",
    "score",
    "pattern",
    "escalate",
    "reasons",
)
#: Columns of the ranking the pages do not show: the Esri category name and its code are
#: replaced by the plain ``pattern`` ("No Pattern Detected" beside "hot in 9 of the last
#: 12 months" reads as a contradiction; the category only says the latest month was not hot).
HIDDEN_COLUMNS: Final[tuple[str, ...]] = ("category", "code")
#: Human headers for the ranking's columns (tables on pages and in exports): the one
#: mapping of :data:`geo.core.headers.HEADERS`.
RANKING_HEADERS: Final[dict[str, str]] = {
    k: HEADERS[k]
    for k in (
        "rank", "place", "cell", "score", "pattern", "category", "escalate", "reasons",
        "category_strength", "hot_share", "active_share", "volume", "near_repeat",
        "convergence", "code", "hot_periods", "chain_events", "n_syv", "n_missing", "n_hsb",
        "n_school_journey", "n_ed", "sessions_nearby", "recent_events", "part_of",
    )
}  # fmt: skip
#: The layers whose meeting at a place is ``convergence`` (``ed`` only where an emergency
#: department's feed holds records in the window: :func:`ranking_layers`).
LAYERS: Final[tuple[str, ...]] = ("syv", "missing", "hsb", "school_journey", "ed")
LAYER_WORDS: Final[dict[str, str]] = {
    "syv": "serious youth violence",
    "missing": "missing children found or last seen",
    "hsb": "harmful sexual behaviour",
    "school_journey": "incidents on the school journey",
    "ed": "A&E-treated assaults",
}


def ranking_layers(store: Store, filters: Filters) -> tuple[str, ...]:
    """The layers of :data:`LAYERS` a ranking over ``filters`` reads: A&E-treated assaults
    only where the store holds some in the window (a feed not loaded is no evidence of
    calm, so it neither counts nor dilutes ``convergence``)."""
    held = holds_ed_assaults(store, filters)
    return tuple(layer for layer in LAYERS if layer != "ed" or held)


@dataclass(frozen=True)
class RankingSettings:
    """Parameters of the ranking (hashable, so they can key caches)."""

    res: int = 9
    recent: int = 12
    chain_distance_m: float = 100.0
    chain_days: int = 7
    reach_m: float = 400.0
    min_count: int = 6
    exact_counts: bool = True


def _layer_flags(
    store: Store, res: int, filters: Filters, grid: np.ndarray, layers: Sequence[str]
) -> pd.DataFrame:
    start, end = filters.bounds()
    col = f"cell_{res}"
    inc = store.query(
        f"SELECT {col} AS cell, category, source, occurred_at, time_precision FROM incidents "
        "WHERE occurred_at >= ? AND occurred_at < ?",
        [start, end],
    )
    flags = pd.DataFrame(0, index=pd.Index(grid, name="cell"), columns=list(layers), dtype=int)
    cells = inc["cell"].to_numpy(dtype=np.uint64)
    hsb = (inc["category"] == "harmful_sexual_behaviour").to_numpy()
    precise = (inc["time_precision"] == "minute").to_numpy()
    journey = precise & journey_window(inc["occurred_at"])
    syv = schema.is_syv(inc["category"], inc["source"]) & ~hsb
    for name, mask in (("syv", syv), ("hsb", hsb), ("school_journey", journey)):
        counts = pd.Series(cells[mask]).value_counts()
        flags.loc[flags.index.intersection(counts.index), name] = counts
    located = (("missing", "missing_episodes", "reported_at"), ("ed", "ed_assaults", "occurred_at"))
    for name, table, time_col in located:
        if name not in layers:
            continue
        n = store.query(
            f"SELECT {col} AS cell, count(*) AS n FROM {table} "
            f"WHERE {time_col} >= ? AND {time_col} < ? AND {col} IS NOT NULL GROUP BY 1",
            [start, end],
        )
        per_cell = n.set_index(n["cell"].to_numpy(dtype=np.uint64))["n"]
        flags.loc[flags.index.intersection(per_cell.index), name] = per_cell
    return flags


def _chain_events(store: Store, res: int, filters: Filters, settings: RankingSettings) -> pd.Series:
    """Incidents per analysis cell that belong to a near-repeat chain."""
    events = incident_events_bng(store, filters)
    if len(events) < 3:
        return pd.Series(dtype=float)
    chains = near_repeat_chains(
        events["x"].to_numpy(),
        events["y"].to_numpy(),
        events["day"].to_numpy(),
        settings.chain_distance_m,
        settings.chain_days,
    )
    in_chain = hexes.cells_to_parent(events.loc[chains >= 0, "cell"].to_numpy(dtype=np.uint64), res)
    return pd.Series(in_chain).value_counts().astype(float)


def _sessions_within(
    store: Store, grid: np.ndarray, filters: Filters, reach_m: float
) -> np.ndarray:
    """Youth-work sessions in the period within ``reach_m`` of each grid cell's centre."""
    start, end = filters.bounds()
    sessions = store.query(
        "SELECT c.session_id, c.cell FROM youth_session_cells c JOIN youth_sessions s "
        "USING (source, session_id) WHERE s.started_at >= ? AND s.started_at < ? "
        "UNION ALL SELECT session_id, cell FROM youth_sessions "
        "WHERE NOT is_area AND started_at >= ? AND started_at < ?",
        [start, end, start, end],
    )
    out = np.zeros(grid.size, dtype=np.int64)
    if sessions.empty or grid.size == 0:
        return out
    slat, slng = hexes.cell_centres(sessions["cell"].to_numpy(dtype=np.uint64))
    sx, sy = to_bng(slng, slat)
    glat, glng = hexes.cell_centres(grid)
    gx, gy = to_bng(glng, glat)
    tree = cKDTree(np.column_stack([sx, sy]))
    hits = tree.query_ball_point(np.column_stack([gx, gy]), r=reach_m)
    ids = sessions["session_id"].to_numpy()
    return np.array([len(set(ids[h])) for h in hits], dtype=np.int64)


def _count_text(n: float, settings: RankingSettings) -> str:
    """A count for a reason; none at all when counts are not exact (the partnership),
    because a window total beside the per-quarter map values could be differenced."""
    return f" {int(n):,}" if settings.exact_counts else ""


def rank_recurring_locations(
    store: Store,
    area: StudyArea,
    filters: Filters,
    settings: RankingSettings = RankingSettings(),
) -> pd.DataFrame:
    """Rank the study area's cells as recurring locations of harm.

    Parameters
    ----------
    store, area : Store, StudyArea
        The data and the grid.
    filters : Filters
        The window (monthly periods; at least 10 months for the emerging category).
    settings : RankingSettings
        Resolution, recent-period count, near-repeat and youth-work reach settings,
        and whether counts in reasons are exact (analysts) or disclosure-controlled.

    Returns
    -------
    DataFrame
        One row per ranked cell (score > 0), best first: ``rank``, ``place`` (its name,
        :func:`geo.store.place_names.place_names`), ``cell`` (H3 string),
        ``score``, the five components, ``category`` (Esri's name), ``pattern`` (the
        same in plain words, :func:`~geo.lenses.recurring_places.pattern_label`),
        ``escalate``, ``sessions_nearby`` and ``reasons`` (sentences built from what is
        particular to the place: :func:`~geo.lenses.recurring_places.place_details`).
    """
    cube = build_cube(store, area, "incidents", settings.res, filters)
    if cube.shape[1] < 10:
        held = cube.shape[1]
        raise InsufficientDataError(
            "the ranking needs at least 10 months to read emerging hot spot trends; "
            f"{filters.month_from} to {filters.month_to} holds {held} month{'s' * (held != 1)}"
        )
    em = emerging_hotspots(cube)
    grid = hexes.str_to_cells(cube.index)
    recent = min(settings.recent, cube.shape[1])
    counts = cube.to_numpy()
    active_share = (counts[:, -recent:] > 0).mean(axis=1)
    recent_events = counts[:, -recent:].sum(axis=1)
    volume = recent_events / max(float(recent_events.max()), 1.0)
    hot_bins = em.bins.to_numpy()[:, -recent:] > 0
    hot_share = hot_bins.mean(axis=1)
    code = em.cells["code"].to_numpy()
    category = np.array([CATEGORY_STRENGTH.get(int(c), 0.0) for c in code])
    chain = _chain_events(store, settings.res, filters, settings).reindex(grid).fillna(0.0)
    near_repeat = np.minimum(chain.to_numpy() / 5.0, 1.0)
    layers = ranking_layers(store, filters)
    flags = _layer_flags(store, settings.res, filters, grid, layers)
    convergence = (flags.to_numpy() > 0).sum(axis=1) / len(layers)
    parts = {
        "category_strength": category,
        "hot_share": hot_share,
        "active_share": active_share,
        "volume": volume,
        "near_repeat": near_repeat,
        "convergence": convergence,
    }
    score = sum(WEIGHTS[k] * v for k, v in parts.items())
    frame = pd.DataFrame({"cell": cube.index.to_numpy(), "score": np.round(score, 3), **parts})
    frame["code"] = code
    frame["category"] = [CATEGORY_NAMES[int(c)] for c in code]
    frame["escalate"] = np.isin(code, list(ESCALATE))
    frame["hot_periods"] = hot_bins.sum(axis=1)
    frame["chain_events"] = chain.to_numpy()
    for layer in layers:
        frame[f"n_{layer}"] = flags[layer].to_numpy()
    # a place with A&E-treated assaults and no police record is a place too
    recorded = counts.sum(axis=1) > 0
    if "ed" in layers:
        recorded |= frame["n_ed"].to_numpy() > 0
    keep = (frame["score"] > 0) & recorded
    frame = frame.loc[keep].copy()
    sessions = _sessions_within(store, hexes.str_to_cells(frame["cell"]), filters, settings.reach_m)
    frame["sessions_nearby"] = sessions
    frame["recent_events"] = recent_events[keep.to_numpy()]
    frame = frame.sort_values(["score", "recent_events"], ascending=False, kind="stable")
    frame = _fold_neighbours(frame)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.insert(1, "place", place_names(store, frame["cell"].to_numpy(), settings.res).to_numpy())
    frame["pattern"] = [
        pattern_label(int(c), int(h), recent)
        for c, h in zip(frame["code"], frame["hot_periods"], strict=True)
    ]
    youth_work = bool(store.scalar("SELECT count(*) > 0 FROM youth_sessions"))
    details = place_details(store, frame["cell"].to_numpy(), filters, settings)
    frame["reasons"] = [
        _reasons(row, recent, settings, youth_work=youth_work, detail=details.get(row["cell"]))
        for row in frame.to_dict("records")
    ]
    ranked: pd.DataFrame = frame.reset_index(drop=True)
    return ranked


def _fold_neighbours(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep cells that outscore their ring of neighbours; fold the others into them.

    ``frame`` is sorted best first. A cell is a place when no neighbour of it is
    already a place; otherwise it is recorded in that place's ``part_of`` list.
    """
    cells = hexes.str_to_cells(frame["cell"])
    origin, neighbour = hexes.grid_disk(cells, 1)
    position = {int(c): i for i, c in enumerate(cells)}
    neighbours: list[list[int]] = [[] for _ in range(len(cells))]
    for o, n in zip(origin.tolist(), neighbour.tolist(), strict=True):
        j = position.get(int(n))
        if j is not None and j != o:
            neighbours[o].append(j)
    is_place = np.zeros(len(cells), dtype=bool)
    owner = np.full(len(cells), -1)
    for i in range(len(cells)):  # over ranked cells, best first (not over events)
        taken = [j for j in neighbours[i] if is_place[j]]
        if taken:
            owner[i] = taken[0]
        else:
            is_place[i] = True
    folded = pd.Series(frame["cell"].to_numpy()[owner >= 0]).groupby(owner[owner >= 0]).agg(list)
    out = frame.loc[is_place].copy()
    out["part_of"] = [folded.get(i, []) for i in np.flatnonzero(is_place)]
    return out


def _distance_words(metres: float) -> str:
    """A straight-line distance in m (to 10 m) or km (to 0.1 km), never feet or miles."""
    if metres < 1000:
        return f"{max(10, round(metres, -1)):.0f} m"
    return f"{metres / 1000:.1f} km"


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _reasons(
    row: Mapping[Any, Any],
    recent: int,
    settings: RankingSettings,
    *,
    youth_work: bool = True,
    detail: PlaceDetail | None = None,
) -> str:
    """Sentences from what is particular to a place: how often it was hot, what happens
    there and when, its strongest other evidence, whose data put it there and its nearest
    school (``youth_work``: whether a youth-work feed is loaded; without one, its absence
    near a place is no reason; ``detail``: :func:`~geo.lenses.recurring_places.place_details`
    for the place)."""
    detail = detail or PlaceDetail()
    hot = int(row["hot_periods"])
    code = int(row["code"])
    if hot:
        first = f"hot in {hot} of the last {recent} months"
        if row["escalate"]:
            first += f" ({str(row['category']).lower()})"
        elif code in (0, 8):
            first += ", but not in the latest"
    else:
        events = int(row["recent_events"])
        first = "not a hot spot"
        if settings.exact_counts and events:
            first += f", but {events:,} incidents in the last {recent} months"
    what = []
    if detail.categories:
        what.append("mostly " + _and([c[0].lower() + c[1:] for c in detail.categories]))
    if detail.peak:
        what.append(f"busiest on {detail.peak}")
    sentences = [first + ("; " + ", ".join(what) if what else "")]
    candidates: list[tuple[float, str]] = []
    if row["n_missing"]:
        count = _count_text(float(row["n_missing"]), settings)
        candidates.append(
            (
                WEIGHTS["convergence"] * 0.6,
                f"missing children found or last seen here{count}" + (" times" if count else ""),
            )
        )
    if row.get("n_ed"):
        count = _count_text(float(row["n_ed"]), settings)
        candidates.append(
            (
                WEIGHTS["convergence"] * 0.55,
                f"{count.strip()} assaults here treated at A&E"
                if count
                else "assaults here treated at A&E",
            )
        )
    others = [LAYER_WORDS[k] for k in ("hsb", "school_journey") if row[f"n_{k}"] > 0]
    if others:
        candidates.append((WEIGHTS["convergence"] * 0.5, "also " + " and ".join(others)))
    if row["chain_events"]:
        count = _count_text(float(row["chain_events"]), settings)
        candidates.append(
            (
                WEIGHTS["near_repeat"] * row["near_repeat"],
                f"{count.strip()} incidents in near-repeat chains"
                if count
                else "part of near-repeat chains",
            )
        )
    if youth_work and int(row["sessions_nearby"]) == 0:
        candidates.append((1.0, f"no youth-work session within {settings.reach_m:.0f} m"))
    best = sorted(candidates, key=lambda c: -c[0])[:2]
    if best:
        sentences.append("; ".join(t for _, t in best))
    where = []
    if detail.feeds:
        where.append("records from " + _and(list(detail.feeds)))
    if detail.school:
        where.append(f"nearest school {detail.school} ({_distance_words(detail.school_m)})")
    if where:
        sentences.append("; ".join(where))
    return " ".join(t[0].upper() + t[1:] + "." for t in sentences)


#: Layers near repeats are tested on (records timed to the day or finer), in words.
NEAR_REPEAT_LAYERS: Final[dict[str, str]] = {
    "incidents": "incidents",
    "ed_assaults": "A&E-treated assaults",
}
#: One and many of each near-repeat layer's records, as the Knox verdict words them.
NEAR_REPEAT_NOUNS: Final[dict[str, tuple[str, str]]] = {
    "incidents": ("incident", "incidents"),
    "ed_assaults": ("assault", "assaults"),
}
#: Each near-repeat layer's table and the condition for a record to be timed and placed.
_TIMED_SQL: Final[dict[str, str]] = {
    "incidents": "incidents WHERE time_precision <> 'month'",
    "ed_assaults": "ed_assaults WHERE TRUE",  # timed to the minute; homes have no cell
}


def timed_events_bng(store: Store, filters: Filters, layer: str = "incidents") -> pd.DataFrame:
    """Records of ``layer`` (one of :data:`NEAR_REPEAT_LAYERS`) with a time of day and a
    place in the window as ``x``, ``y`` (EPSG:27700 metres, the storage-cell centre) and
    ``day`` (days since 1970-01-01), plus their storage ``cell``."""
    if layer not in _TIMED_SQL:
        raise ValueError(f"layer must be one of {sorted(_TIMED_SQL)}")
    start, end = filters.bounds()
    events = store.query(
        f"SELECT cell, occurred_at FROM {_TIMED_SQL[layer]} AND occurred_at >= ? "
        "AND occurred_at < ? AND cell IS NOT NULL",
        [start, end],
    )
    lat, lng = hexes.cell_centres(events["cell"].to_numpy(dtype=np.uint64))
    x, y = to_bng(lng, lat)
    day = (pd.to_datetime(events["occurred_at"]) - pd.Timestamp("1970-01-01")).dt.days
    return pd.DataFrame({"cell": events["cell"], "x": x, "y": y, "day": day.to_numpy()})


def incident_events_bng(store: Store, filters: Filters) -> pd.DataFrame:
    """Incidents with a time of day in the window (:func:`timed_events_bng`)."""
    return timed_events_bng(store, filters, "incidents")


def untimed_in_window(store: Store, filters: Filters) -> int:
    """Incidents in the window known only to the month (police.uk street crime), which
    time-of-day, near-repeat and journey-window analyses leave out."""
    start, end = filters.bounds()
    n = store.scalar(
        "SELECT count(*) FROM incidents WHERE occurred_at >= ? AND occurred_at < ? "
        "AND time_precision = 'month'",
        [start, end],
    )
    return int(n or 0)


def month_precision_note(n: int) -> str:
    """The sentence that says how many records a timed analysis left out, and why."""
    if n <= 0:
        return ""
    return (
        f"{n:,} incidents known only to the month (police.uk publishes street crime by month) "
        "are left out: near-repeat, time-of-day and journey-window analyses need the day or time."
    )


def knox_for_window(
    store: Store,
    filters: Filters,
    *,
    layer: str = "incidents",
    permutations: int = 199,
    seed: int = 0,
) -> KnoxResult | None:
    """The Knox test (100 m × 5 and 7 days × 4 bands) on the window's timed records of
    ``layer`` (incidents or A&E assaults), or None when there are too few of them."""
    events = timed_events_bng(store, filters, layer)
    if len(events) < 20:
        return None
    try:
        return knox(
            events["x"].to_numpy(),
            events["y"].to_numpy(),
            events["day"].to_numpy(),
            permutations=permutations,
            seed=seed,
        )
    except InsufficientDataError:
        return None


def near_repeat_chain_table(
    store: Store,
    filters: Filters,
    res: int,
    *,
    layer: str = "incidents",
    settings: RankingSettings = RankingSettings(),
) -> pd.DataFrame:
    """Near-repeat chains of ``layer``'s records in the window for analysts, largest
    first: ``events``, ``first`` and ``last`` dates, ``span_days`` and the ``cell`` (at
    ``res``) of the chain's centre."""
    events = timed_events_bng(store, filters, layer)
    if len(events) < 3:
        return pd.DataFrame(columns=["events", "first", "last", "span_days", "cell"])
    x, y, day = events["x"].to_numpy(), events["y"].to_numpy(), events["day"].to_numpy()
    chains = near_repeat_chains(x, y, day, settings.chain_distance_m, settings.chain_days)
    summary = chain_summary(x, y, day, chains)
    lng, lat = from_bng(summary["x_m"].to_numpy(), summary["y_m"].to_numpy())
    epoch = pd.Timestamp("1970-01-01")
    out = pd.DataFrame(
        {
            "events": summary["events"].to_numpy(),
            "first": (epoch + pd.to_timedelta(summary["first_day"], unit="D")).dt.date,
            "last": (epoch + pd.to_timedelta(summary["last_day"], unit="D")).dt.date,
            "span_days": summary["span_days"].to_numpy(),
            "cell": hexes.cells_to_str(hexes.points_to_cells(lat, lng, res)),
        }
    )
    return out.sort_values("events", ascending=False, kind="stable").reset_index(drop=True)


def filter_ranking(
    ranking: pd.DataFrame, categories: Sequence[str] = (), layers: Sequence[str] = ()
) -> pd.DataFrame:
    """The ranked places with one of ``categories`` (all when empty) and every layer in
    ``layers`` active (names of :data:`LAYERS`)."""
    keep = np.ones(len(ranking), dtype=bool)
    if categories:  # Esri's names or the plain patterns
        chosen = list(categories)
        by_pattern = ranking["pattern"].isin(chosen) if "pattern" in ranking else False
        keep &= (ranking["category"].isin(chosen) | by_pattern).to_numpy()
    for layer in layers:
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r}")
        keep &= (ranking[f"n_{layer}"] > 0).to_numpy()
    return ranking.loc[keep]


def ranking_entry(ranking: pd.DataFrame, cell: str) -> dict[str, Any] | None:
    """The ranked place ``cell`` belongs to, in the ranking shown on the Recurring page.

    The profile of a place asks the same ranking the list was read from (the page's
    resolution and window), whatever resolution the selected cell has: a cell ranked
    itself or folded into a ranked place (``part_of``), a finer cell inside one (a click
    on a finer map), or a coarser cell holding one (its best-ranked place). Returns the
    row as a dict with ``match`` ("place", "part", "inside" or "contains"), or None.
    """
    if ranking.empty or not hexes.is_valid_cell(cell):
        return None
    rows = [{str(k): v for k, v in r.items()} for r in ranking.to_dict("records")]
    for row in rows:  # over ranked places (a few hundred), not events
        if row["cell"] == cell:
            return {**row, "match": "place"}
        if cell in row.get("part_of", []):
            return {**row, "match": "part"}
    own = int(hexes.cell_resolution(hexes.str_to_cells([cell]))[0])
    ranked = int(hexes.cell_resolution(hexes.str_to_cells([str(rows[0]["cell"])]))[0])
    if own > ranked:
        parent = str(
            hexes.cells_to_str(hexes.cells_to_parent(hexes.str_to_cells([cell]), ranked))[0]
        )
        for row in rows:
            if row["cell"] == parent or parent in row.get("part_of", []):
                return {**row, "match": "inside"}
    elif own < ranked:
        for row in rows:  # best first: the best-ranked place inside the coarser cell
            members = [str(row["cell"]), *row.get("part_of", [])]
            parents = hexes.cells_to_str(hexes.cells_to_parent(hexes.str_to_cells(members), own))
            if cell in set(parents):
                return {**row, "match": "contains"}
    return None


#: Each part of the score in plain words (for "How this is worked out").
PART_WORDS: Final[dict[str, str]] = {
    "category_strength": (
        "its emerging hot spot trend over the window: intensifying counts most, then "
        "persistent, new and consecutive, sporadic, diminishing, oscillating and historical"
    ),
    "hot_share": "how many of the last 12 months it was a significant hot spot",
    "active_share": "how many of the last 12 months had at least one incident",
    "volume": "how many incidents it had in those months, against the busiest place",
    "near_repeat": (
        "incidents that followed another within 100 m and 7 days (near repeats); five or "
        "more count in full"
    ),
    "convergence": (
        "how many of four kinds of harm meet there: serious youth violence, missing "
        "children found or last seen, harmful sexual behaviour, and incidents on the "
        "school journey"
    ),
}


#: ``convergence`` in words where A&E-treated assaults are a fifth layer.
CONVERGENCE_WITH_ED: Final = (
    "how many of five kinds of harm meet there: serious youth violence, missing "
    "children found or last seen, harmful sexual behaviour, incidents on the "
    "school journey, and assaults treated at A&E (a place with A&E-treated assaults "
    "and no police record is ranked too)"
)


def method_in_words(weights: Mapping[str, float] = WEIGHTS, *, health: bool = False) -> str:
    """How the ranking is worked out, in plain words (Markdown), from the weights used
    (``health``: whether A&E-treated assaults are a layer, :func:`ranking_layers`)."""
    words = {**PART_WORDS, "convergence": CONVERGENCE_WITH_ED} if health else PART_WORDS
    total = sum(weights.values())
    lines = [
        "Each place gets a mark between 0 and 1 for each kind of evidence below; the marks "
        f"are weighted and added up, so a place can score at most {total:g}. The weight "
        "says how much each kind counts:",
        "",
    ]
    lines += [f"- **{w:g}×** {words[k]};" for k, w in weights.items() if k in words]
    lines += [
        "",
        "A hexagon next to a higher-scoring one is folded into it, so each row is a "
        "different place. *Pattern over time* says in words how the place behaved month by "
        "month (Esri's emerging hot spot categories); a place hot in most months but not "
        "the latest is one Esri's method calls 'no pattern detected'. Why it is ranked "
        "names what happens there, when it is busiest, whose data put it on the list and "
        "the nearest school. Places to escalate are new, consecutive or intensifying "
        "hot spots.",
    ]
    return "\n".join(lines)
