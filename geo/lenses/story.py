"""The quarter's story: which places are new, escalated, persistent or no longer active
compared with the previous quarter, with a plain sentence of why and the agencies whose
data put each there.

A place is *active* in a quarter when its emerging hot spot analysis (Esri's space-time
Gi*, month by month over the trend window ending with the quarter, see
:mod:`geo.lenses.hotspot_report`) finds it a significant hot spot in at least
:data:`ACTIVE_MONTHS` of the quarter's three months. Comparing the chosen quarter with the
one before:

========================  =======================================================================
status                    rule
========================  =======================================================================
New                       active now, and not a hot spot in any month of the previous quarter
Escalated                 active now, a hot spot in the previous quarter too, and records
                          rose by at least a quarter (ratio >= :data:`ESCALATION_RATIO`)
                          with a one-sided binomial test of the two quarters' records at
                          p <= :data:`ESCALATION_ALPHA` (significant and meaningful)
Persistent                active now, a hot spot in the previous quarter too, not escalated
No longer active          active in the previous quarter, not now
========================  =======================================================================

Every statement is worked out on exact counts; the sentences for the partnership carry no
counts (a status and a category mix are patterns, not figures), and places are shown at
a resolution the partnership may see (the caller's ``res``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from geo.core import hexes
from geo.core.filters import Filters, is_calendar_quarter, month_quarter_label, quarter_menu
from geo.core.schema import ASSAULT_MEANS_LABELS, INCIDENT_CATEGORY_LABELS
from geo.lenses.hotspot_report import HotspotReport
from geo.store.database import Store
from geo.store.queries import holds_ed_assaults

#: Months of a quarter a place must be a significant hot spot in to count as active.
ACTIVE_MONTHS: Final[int] = 2
#: An escalation is at least this many times the previous quarter's records ...
ESCALATION_RATIO: Final[float] = 1.25
#: ... and significant at this level (one-sided binomial test, equal rates under the null).
ESCALATION_ALPHA: Final[float] = 0.05

#: Story statuses, most urgent first (the order of the page and the pack).
STATUSES: Final[tuple[str, ...]] = ("Escalated", "New", "Persistent", "No longer active")

#: Hot spot layers the story reads (each is one agency's data); A&E assaults only where
#: an emergency department's feed is loaded (:func:`story_layers`).
STORY_LAYERS: Final[tuple[str, ...]] = ("incidents", "missing", "ed_assaults")

#: Which agency's data each hot spot layer comes from.
LAYER_AGENCIES: Final[dict[str, str]] = {
    "incidents": "Police",
    "missing": "Children's services",
    "ed_assaults": "Health (A&E)",
}

#: Added to the sentence of a place that only the A&E layer puts in the story.
HEALTH_ONLY_NOTE: Final[str] = (
    " Known mainly through health data: not a police or children's services hot spot."
)

#: What each layer's records are, leading its sentence.
LAYER_WHAT: Final[dict[str, str]] = {
    "incidents": "Incidents",
    "missing": "Missing children found here",
    "ed_assaults": "Assaults treated at A&E",
}


def story_layers(store: Store) -> tuple[str, ...]:
    """The layers of :data:`STORY_LAYERS` the story reads on ``store``: A&E assaults only
    where an emergency department's (ISTV) feed is loaded, so that a feed never loaded
    adds no note and no place."""
    held = holds_ed_assaults(store)
    return tuple(layer for layer in STORY_LAYERS if layer != "ed_assaults" or held)


#: Return-home interview themes in words.
RHI_THEME_LABELS: Final[dict[str, str]] = {
    "exploitation_criminal": "criminal exploitation",
    "exploitation_sexual": "sexual exploitation",
    "peer_group": "peer groups",
    "family_conflict": "family conflict",
    "substance_use": "substance use",
    "relationship": "relationships",
    "mental_health": "mental health",
    "other": "other worries",
}

#: The columns of :attr:`QuarterStory.places`.
STORY_COLUMNS: Final[tuple[str, ...]] = (
    "cell",
    "status",
    "why",
    "agencies",
    "records_now",
    "records_before",
)

#: Human headers of the story table.
STORY_HEADERS: Final[dict[str, str]] = {
    "status": "What changed",
    "why": "Why it is here",
    "agencies": "Whose data",
    "records_now": "Records this quarter",
    "records_before": "Records last quarter",
}


@dataclass(frozen=True)
class QuarterStory:
    """The places that changed between two quarters.

    Attributes
    ----------
    quarter : Filters
        The chosen quarter.
    previous : Filters or None
        The quarter before (None when the trend window does not reach back to it).
    trend : Filters
        The trend window the hot spot months come from.
    places : DataFrame
        :data:`STORY_COLUMNS`, most urgent first (:data:`STATUSES`), then most records.
    notes : tuple of str
        Why a layer could not be read (too few months or records), in words.
    """

    quarter: Filters
    previous: Filters | None
    trend: Filters
    places: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        """Number of places per status (every status, zeros included)."""
        found = self.places["status"].value_counts()
        return {s: int(found.get(s, 0)) for s in STATUSES}

    def summary(self) -> str:
        """One sentence: how many places of each status."""
        n = self.counts()
        if not sum(n.values()):
            return (
                f"No place was an active hot spot in {quarter_words(self.quarter)} "
                "or the quarter before."
            )
        parts = [f"{number_words(v)} {k.lower()}" for k, v in n.items() if v]
        return (
            f"{quarter_words(self.quarter)} compared with "
            f"{quarter_words(self.previous) if self.previous else 'no earlier quarter'}: "
            + ", ".join(parts)
            + (" place." if sum(n.values()) == 1 else " places.")
        )


def number_words(n: int) -> str:
    """Whole numbers below ten in words, as house style writes them in sentences."""
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if 0 <= n < 10 else f"{n:,}"


def quarter_words(quarter: Filters | None) -> str:
    """``2024 Q4`` for a whole calendar quarter (else ``2024-01 to 2024-05``)."""
    if quarter is None:
        return "the previous quarter"
    if is_calendar_quarter(quarter):
        return month_quarter_label(quarter.month_from)
    return f"{quarter.month_from} to {quarter.month_to}"


def previous_quarter(quarter: Filters) -> Filters:
    """The three months before ``quarter``."""
    start = pd.Period(quarter.month_from, freq="M")
    return Filters(str(start - 3), str(start - 1), quarter.categories)


def _months(window: Filters) -> list[str]:
    return [str(p) for p in pd.period_range(window.month_from, window.month_to, freq="M")]


@dataclass(frozen=True)
class _LayerChange:
    """One layer's quarter-on-quarter reading per cell."""

    status: pd.Series
    hot_now: pd.Series
    hot_before: pd.Series
    now: pd.Series
    before: pd.Series


def _layer_change(report: HotspotReport, quarter: Filters) -> _LayerChange | None:
    if report.emerging is None:
        return None
    bins = report.emerging.bins
    series = report.series
    now_cols = [m for m in _months(quarter) if m in bins.columns]
    if len(now_cols) < 3:
        return None
    before_cols = [m for m in _months(previous_quarter(quarter)) if m in bins.columns]
    hot_now = (bins[now_cols] > 0).sum(axis=1)
    hot_before = (bins[before_cols] > 0).sum(axis=1) if before_cols else hot_now * 0
    now = series[now_cols].sum(axis=1)
    before = series[before_cols].sum(axis=1) if before_cols else now * 0
    full_before = len(before_cols) == 3
    active_now = hot_now >= ACTIVE_MONTHS
    active_before = (hot_before >= ACTIVE_MONTHS) & full_before
    hot_earlier = (hot_before > 0) & full_before
    rose = (now >= ESCALATION_RATIO * before) & (now > before)
    escalated = pd.Series(False, index=bins.index)
    for cell in bins.index[active_now & hot_earlier & rose]:
        n_now, n_before = int(now[cell]), int(before[cell])
        p = binomtest(n_now, n_now + n_before, 0.5, alternative="greater").pvalue
        escalated[cell] = p <= ESCALATION_ALPHA
    status = pd.Series("", index=bins.index, dtype=object)
    status[active_now & ~hot_earlier] = "New"
    status[active_now & hot_earlier] = "Persistent"
    status[escalated] = "Escalated"
    status[~active_now & active_before] = "No longer active"
    keep = status != ""
    return _LayerChange(status[keep], hot_now[keep], hot_before[keep], now[keep], before[keep])


def _top_incident_kinds(
    store: Store, res: int, cells: Sequence[str], quarter: Filters
) -> pd.Series:
    """Per cell, the one or two incident categories that make up most of its records."""
    return _top_categories(
        store, res, cells, quarter, "incidents", "category", INCIDENT_CATEGORY_LABELS
    )


def _top_categories(
    store: Store,
    res: int,
    cells: Sequence[str],
    quarter: Filters,
    table: str,
    column: str,
    labels: dict[str, str],
) -> pd.Series:
    """Per cell, the one or two values of ``table.column`` (timed by ``occurred_at``) that
    make up most of its records in the quarter, in words (values not in ``labels`` never
    lead)."""
    if not cells or not store.has_table(table):
        return pd.Series(dtype=object)
    start, end = quarter.bounds()
    rows = store.query(
        f"SELECT cell_{res} AS cell, {column} AS category, count(*) AS n FROM {table} "
        f"WHERE occurred_at >= ? AND occurred_at < ? AND cell_{res} IN "
        "(SELECT unnest(?::UBIGINT[])) GROUP BY 1, 2",
        [start, end, [int(c) for c in hexes.str_to_cells(cells)]],
    )
    return _top_labels(rows, labels)


def _top_rhi_themes(store: Store, res: int, cells: Sequence[str], quarter: Filters) -> pd.Series:
    """Per cell, the one or two return-home interview themes most often recorded."""
    if not cells or not store.has_table("missing_episodes"):
        return pd.Series(dtype=object)
    start, end = quarter.bounds()
    rows = store.query(
        f"SELECT cell_{res} AS cell, unnest(string_split(rhi_themes, ';')) AS category, "
        "count(*) AS n FROM missing_episodes WHERE reported_at >= ? AND reported_at < ? "
        f"AND rhi_themes IS NOT NULL AND rhi_themes <> '' AND cell_{res} IN "
        "(SELECT unnest(?::UBIGINT[])) GROUP BY 1, 2",
        [start, end, [int(c) for c in hexes.str_to_cells(cells)]],
    )
    return _top_labels(rows, RHI_THEME_LABELS)


def _top_assault_means(store: Store, res: int, cells: Sequence[str], quarter: Filters) -> pd.Series:
    """Per cell, the one or two recorded means of its A&E-treated assaults (knife or
    sharp object, bottle or glass, ...; "not recorded" and "other" never lead)."""
    named = {k: v for k, v in ASSAULT_MEANS_LABELS.items() if k not in ("not_recorded", "other")}
    return _top_categories(store, res, cells, quarter, "ed_assaults", "means", named)


#: Parts of the day, by hour (0-23), for the time a place's harm most often happens.
_DAYPARTS: Final[tuple[tuple[str, int, int], ...]] = (
    ("late at night", 23, 7),
    ("in the morning school run", 7, 9),
    ("in the daytime", 9, 15),
    ("after school", 15, 19),
    ("in the evening", 19, 23),
)

#: What two years of emerging hot spot results say about a place, by Esri category code.
TREND_PHRASES: Final[dict[int, str]] = {
    1: "hot for the first time in the latest month",
    2: "a hot spot only in the latest months",
    3: "getting more intense over the trend window",
    4: "a hot spot almost throughout the trend window",
    5: "easing over the trend window, though still a hot spot",
    6: "on and off over the trend window",
    7: "on and off over the trend window, once a cold spot",
    8: "a hot spot for most of the trend window but not lately",
}


#: The records timed to the minute of each layer with a time of day.
_TIMED: Final[dict[str, tuple[str, str]]] = {
    "incidents": ("incidents", " AND time_precision = 'minute'"),
    "ed_assaults": ("ed_assaults", ""),  # ISTV records are timed to the minute
}


def _peak_times(
    store: Store, res: int, cells: Sequence[str], quarter: Filters, layer: str = "incidents"
) -> pd.Series:
    """Per cell, when its records of ``layer`` (incidents or A&E assaults) timed to the
    minute most often happen ("weekend evenings"), where one part of the week holds at
    least 40 % of them."""
    table, timed = _TIMED[layer]
    if not cells or not store.has_table(table):
        return pd.Series(dtype=object)
    start, end = quarter.bounds()
    rows = store.query(
        f"SELECT cell_{res} AS cell, isodow(occurred_at) >= 6 AS weekend, "
        f"hour(occurred_at) AS hour, count(*) AS n FROM {table} "
        f"WHERE occurred_at >= ? AND occurred_at < ?{timed} AND "
        f"cell_{res} IN (SELECT unnest(?::UBIGINT[])) GROUP BY 1, 2, 3",
        [start, end, [int(c) for c in hexes.str_to_cells(cells)]],
    )
    if rows.empty:
        return pd.Series(dtype=object)
    hour = rows["hour"].to_numpy()
    part = np.full(len(rows), "", dtype=object)
    for name, lo, hi in _DAYPARTS:
        inside = (hour >= lo) & (hour < hi) if lo < hi else (hour >= lo) | (hour < hi)
        part[inside] = name
    school = (part == "in the morning school run") | (part == "after school")
    day = np.where(rows["weekend"].to_numpy(dtype=bool), "at weekends", "on weekdays")
    when = np.where(school & (day == "at weekends"), "at weekends in the daytime", "")
    when = np.where(when == "", day + " " + part, when)
    frame = (
        pd.DataFrame(
            {
                "cell": hexes.cells_to_str(rows["cell"].to_numpy(dtype=np.uint64)),
                "when": when,
                "n": rows["n"].to_numpy(),
            }
        )
        .groupby(["cell", "when"], as_index=False)
        .agg(n=("n", "sum"))
    )
    frame["share"] = frame["n"] / frame.groupby("cell")["n"].transform("sum")
    top = frame.sort_values(["cell", "n", "when"], ascending=[True, False, True])
    top = top.drop_duplicates("cell")
    top = top.loc[top["share"] >= 0.4]
    return pd.Series(top["when"].to_numpy(), index=top["cell"].to_numpy(), dtype=object)


def _top_labels(rows: pd.DataFrame, labels: dict[str, str]) -> pd.Series:
    if rows.empty:
        return pd.Series(dtype=object)
    rows = rows.assign(
        cell=hexes.cells_to_str(rows["cell"].to_numpy(dtype=np.uint64)),
        label=rows["category"].str.strip().map(labels),
    ).dropna(subset=["label"])
    rows = rows.sort_values(["cell", "n", "label"], ascending=[True, False, True])
    total = rows.groupby("cell")["n"].transform("sum")
    rows["share"] = rows["n"] / total
    out: dict[str, str] = {}
    for cell, group in rows.groupby("cell", sort=False):
        first = group.iloc[0]
        if first["share"] >= 0.5 or len(group) == 1:
            out[str(cell)] = str(first["label"]).lower()
        else:
            second = group.iloc[1]
            out[str(cell)] = f"{str(first['label']).lower()} and {str(second['label']).lower()}"
    return pd.Series(out, dtype=object)


def _months_phrase(n: int) -> str:
    return {0: "no month", 1: "one month", 2: "two of the three months"}.get(n, "all three months")


def _sentence(
    layer: str,
    change: _LayerChange,
    cell: str,
    mix: pd.Series,
    previous: str,
    exact: bool,
    peak: pd.Series | None = None,
    trend_code: int = 0,
    busiest: int | None = None,
    min_records: int = 0,
) -> str:
    status = str(change.status[cell])
    hot_now, hot_before = int(change.hot_now[cell]), int(change.hot_before[cell])
    now, before = int(change.now[cell]), int(change.before[cell])
    what = LAYER_WHAT[layer]
    if status == "No longer active":
        text = (
            f"{what}: a hot spot in {_months_phrase(hot_before)} of {previous}, "
            f"{_months_phrase(hot_now)} this quarter"
        )
    elif status == "New":
        text = f"{what}: a hot spot in {_months_phrase(hot_now)} of the quarter, not in {previous}"
    elif status == "Escalated":
        text = (
            f"{what}: a hot spot in {_months_phrase(hot_now)} of the quarter, "
            f"with at least a quarter more records than in {previous}"
        )
    elif hot_now == hot_before == 3:
        text = f"{what}: a hot spot in every month of this quarter and of {previous}"
    else:
        text = (
            f"{what}: a hot spot in {_months_phrase(hot_now)} of the quarter "
            f"and {_months_phrase(hot_before)} of {previous}"
        )
    if exact:
        text += f" ({now} records; {before} in {previous})"
    elif status == "Persistent" and min(now, before) >= max(min_records, 1):
        text += (
            f", with about as many records as in {previous}"
            if abs(now - before) <= 0.1 * max(now, before)
            else f", with {'more' if now > before else 'fewer'} records than in {previous}"
        )
    if busiest is not None and busiest < 3:
        text += f"; the {('', 'second ', 'third ')[busiest]}busiest of the quarter's places"
    kinds = mix.get(cell)
    if isinstance(kinds, str) and kinds:
        text += {
            "incidents": f"; mostly {kinds}",
            "missing": f"; return-home interviews most often mention {kinds}",
            "ed_assaults": f"; most often by {kinds}",
        }[layer]
    when = None if peak is None else peak.get(cell)
    if isinstance(when, str) and when:
        text += f"; most often {when}"
    if trend_code in TREND_PHRASES and status != "No longer active":
        text += f"; {TREND_PHRASES[trend_code]}"
    return text + "."


def quarter_story(
    store: Store,
    reports: dict[str, HotspotReport],
    quarter: Filters,
    res: int,
    exact: bool,
    min_records: int = 0,
    *,
    describe: bool = True,
) -> QuarterStory:
    """The quarter's story from emerging hot spot reports of one or more layers.

    Parameters
    ----------
    store : Store
        The store the reports were worked out on (for the category mix per place).
    reports : dict
        Layer name (``incidents``, ``missing``, ``ed_assaults``) -> its report at ``res``,
        whose trend window ends with ``quarter``.
    quarter : Filters
        The chosen quarter (three months).
    res : int
        The resolution of the reports' cells.
    exact : bool
        Whether the sentences may carry record counts (analysts) or not (partnership).
    min_records : int
        Fewest records (of the place in the quarter) for its category mix or interview
        themes to be described: the partnership's ``min_count``, so that no sentence says
        what a handful of children's records hold.
    describe : bool
        Whether to write each place's sentence (which reads the store for its category
        mix and times). False gives the same places and statuses with an empty ``why``:
        enough for :meth:`QuarterStory.summary`, at a fraction of the cost.
    """
    previous = previous_quarter(quarter)
    prev_words = quarter_words(previous)
    rows: list[dict[str, object]] = []
    notes: list[str] = []
    trend = next((r.trend for r in reports.values() if r.trend is not None), quarter)
    reached_back = False
    for layer, report in reports.items():
        change = _layer_change(report, quarter)
        if change is None:
            message = report.emerging_message or "no result for this quarter"
            notes.append(f"{LAYER_AGENCIES.get(layer, layer)}: {message}")
            continue
        reached_back = reached_back or previous.month_from in report.series.columns
        cells = list(change.status.index)
        described = [c for c in cells if int(change.now[c]) >= max(min_records, 1)]
        if not describe:
            rows.extend(
                {
                    "cell": cell,
                    "layer": layer,
                    "status": change.status[cell],
                    "why": "",
                    "records_now": int(change.now[cell]),
                    "records_before": int(change.before[cell]),
                }
                for cell in cells
            )
            continue
        mix = {
            "incidents": _top_incident_kinds,
            "missing": _top_rhi_themes,
            "ed_assaults": _top_assault_means,
        }[layer](store, res, described, quarter)
        timed = layer in _TIMED
        peak = _peak_times(store, res, described, quarter, layer) if timed else None
        codes = report.emerging.cells["code"] if report.emerging is not None else None
        order = change.now.rank(method="first", ascending=False).astype(int) - 1
        for cell in cells:
            code = int(codes.get(cell, 0)) if codes is not None else 0
            rows.append(
                {
                    "cell": cell,
                    "layer": layer,
                    "status": change.status[cell],
                    "why": _sentence(
                        layer,
                        change,
                        cell,
                        mix,
                        prev_words,
                        exact,
                        peak,
                        code,
                        busiest=int(order[cell])
                        if change.status[cell] != "No longer active"
                        else None,
                        min_records=min_records,
                    ),
                    "records_now": int(change.now[cell]),
                    "records_before": int(change.before[cell]),
                }
            )
    places = _merge(pd.DataFrame(rows))
    return QuarterStory(quarter, previous if reached_back else None, trend, places, tuple(notes))


def _merge(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per place: the most urgent status over layers, every layer's sentence."""
    if rows.empty:
        return pd.DataFrame(columns=list(STORY_COLUMNS))
    urgency = {s: i for i, s in enumerate(STATUSES)}
    order = {layer: i for i, layer in enumerate(STORY_LAYERS)}  # police first, then the others
    rows = rows.assign(urgency=rows["status"].map(urgency), order=rows["layer"].map(order))
    rows = rows.sort_values(["cell", "urgency", "order"])
    merged = rows.groupby("cell", sort=False).agg(
        urgency=("urgency", "min"),
        why=("why", " ".join),
        agencies=(
            "layer",
            lambda s: ", ".join(
                LAYER_AGENCIES.get(x, x) for x in sorted(set(s), key=lambda x: order.get(x, 9))
            ),
        ),
        records_now=("records_now", "sum"),
        records_before=("records_before", "sum"),
        health_only=("layer", lambda s: set(s) == {"ed_assaults"}),
    )
    merged["why"] = merged["why"].where(~merged["health_only"], merged["why"] + HEALTH_ONLY_NOTE)
    merged["status"] = [STATUSES[int(u)] for u in merged["urgency"]]
    merged = merged.reset_index().sort_values(
        ["urgency", "records_now", "cell"], ascending=[True, False, True]
    )
    return merged[list(STORY_COLUMNS)].reset_index(drop=True)


def story_table(story: QuarterStory, names: Sequence[str], exact: bool) -> pd.DataFrame:
    """The story as a table with human headers: place, what changed, why, whose data
    (record counts for analysts only), the cell id last."""
    frame = story.places.copy()
    frame.insert(0, "Place", list(names))
    if not exact:
        frame = frame.drop(columns=["records_now", "records_before"])
    frame = frame.rename(columns=STORY_HEADERS)
    frame["Cell id"] = frame.pop("cell")
    return frame


def story_quarter(period: Filters, months: Sequence[str]) -> Filters | None:
    """The quarter the story tells: the latest whole calendar quarter with data that ends
    no later than ``period`` (the chosen quarter itself for the partnership)."""
    menu = [q for q in quarter_menu(list(months)) if q.month_to <= period.month_to]
    if not menu:
        return None
    return Filters(menu[-1].month_from, menu[-1].month_to, period.categories)
