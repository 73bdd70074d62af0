"""Quarterly review packs and the 7-minute briefing (PDF and HTML).

:func:`build_pack` gathers one quarter's picture for one audience from the same
functions the pages use, with the same disclosure rules (DESIGN §4):

0. the quarter's story: places new, escalated, persistent or no longer active compared
   with the previous quarter (:mod:`geo.lenses.story`), the same as the app's "This quarter";
1. headline figures and the change on the previous quarter;
2. a static map of emerging hot spot categories and one of the recurring-location
   ranking (hex polygons and the study-area outline, no web tiles);
3. the top recurring locations with their reasons and escalation flags;
4. schools and missing-from-home measures and interview themes;
5. youth-work gaps and a recommended deployment plan;
6. disproportionality findings (when population tables are loaded);
7. data vintages per source, parameters and seeds, and the disclosure rules applied.

The pack is a plain data structure (:class:`ReviewPack`) rendered by
:func:`pack_pdf` (reportlab), :func:`pack_html` (Jinja2, autoescaped) and
:func:`seven_minute_pdf` (one page, plain English).

For the ``partnership`` audience every figure comes from a disclosure-controlled
function, cells are at resolution 8, counts are written either as numbers of
``min_count`` or more or as "withheld", changes as percentages, ranks as "#1", and
places holding a sensitive premise are left out.

Every figure covers the chosen quarter. Patterns need a longer run of data, and the
pack says so once, on its first page: hot spot trends use the 24 months to the
quarter's end (:func:`geo.lenses.hotspot_report.trend_window`, as the Hot spots and This
quarter pages do); the recurring ranking, youth-work gaps and stop and search use the
pattern window (for the partnership the calendar year of the quarter, one fixed
hierarchy; for analysts at most 24 months to the quarter's end).
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.area import StudyArea
from geo.core.config import Config
from geo.core.errors import PackError
from geo.core.filters import Filters, quarter_label, quarter_menu
from geo.core.roles import Role
from geo.disclosure import WITHHELD_EXPLAINED, as_role, check_resolution, store_for
from geo.disclosure.windows import partnership_pattern_window, window_label
from geo.lenses import coverage, coverage_view, disproportionality, missing_view, story
from geo.lenses.hotspot_report import (
    TREND_RESOLUTION,
    HotspotReport,
    run_trend_hotspots,
    trend_text,
)
from geo.lenses.recurring import RankingSettings, rank_recurring_locations
from geo.lenses.schools import schools_view
from geo.render import layers
from geo.render.static_maps import render_layers
from geo.stats.hotspots import CATEGORY_NAMES
from geo.store import catalogue
from geo.store import queries as overview
from geo.store.database import Store
from geo.store.place_names import place_names

Audience = Role
AUDIENCES: Final[tuple[str, ...]] = (Role.PARTNERSHIP, Role.ANALYST)
#: Longest run of months the pattern analyses look back over from the quarter's end.
PATTERN_MONTHS: Final = 24
#: How many places, schools and gaps each table lists.
TOP: Final = 10
KPI_LABELS: Final[dict[str, str]] = {
    "incidents": "Incidents",
    "knife_crime": "Knife crime",
    "harmful_sexual_behaviour": "Harmful sexual behaviour",
    "missing_episodes": "Missing episodes",
    "children_missing": "Children missing",
    "youth_work_hours": "Youth-work hours",
}


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
    return Filters(
        q.asfreq("M", "start").strftime("%Y-%m"), q.asfreq("M", "end").strftime("%Y-%m")
    )


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


# --- sections ------------------------------------------------------------------------------


def _headline_section(
    store: Store, quarter: Filters, role: str, config: Config
) -> tuple[PackSection, list[str]]:
    kpis = layers.disclosed_kpis(store, role, quarter, config)
    held = catalogue.kpi_coverage(catalogue.feed_catalogue(store), quarter)
    rows, sentences = [], []
    for key, label in KPI_LABELS.items():
        if key not in kpis.index:
            continue
        if not held.loc[key, "current"]:
            rows.append((label, "not loaded", "", ""))
            continue
        values = kpis.loc[key, ["current", "previous"]].to_numpy(dtype=float)
        now, before = float(values[0]), float(values[1])
        if not held.loc[key, "previous"]:
            before = float("nan")
        change = _pct_change(now, before) if held.loc[key, "previous"] else "no data before"
        rows.append((label, _count(now), _count(before) if np.isfinite(before) else "no data",
                     change))  # fmt: skip
        if key in ("incidents", "missing_episodes", "children_missing") and np.isfinite(now):
            sentences.append(f"{label}: {_count(now)} this quarter ({change} on the last).")
    table = PackTable(
        "This quarter and the previous one (counts; change in per cent)",
        ("Measure", "This quarter", "Previous quarter", "Change"),
        tuple(rows),
    )
    return PackSection("Headline figures", tables=(table,)), sentences


def _story_section(
    store: Store,
    area: StudyArea,
    quarter: Filters,
    reports: dict[str, HotspotReport],
    window: Filters,
    role: str,
    res: int,
    config: Config,
) -> tuple[PackSection, list[str]]:
    """The quarter's story (:mod:`geo.lenses.story`), as the This quarter page tells it."""
    exact = as_role(role).sees_exact_counts
    min_records = 0 if exact else config.disclosure.min_count
    told = story.quarter_story(store, reports, quarter, res, exact, min_records)
    names = _named(store, told.places["cell"]) if len(told.places) else []
    table = story.story_table(told, names, exact)
    periods = (
        f"Every figure in this pack covers {quarter_label(quarter)} unless it says otherwise. "
        f"Hot spots use the {trend_text(told.trend)}; the recurring ranking and youth-work "
        f"gaps use {window_label(window)}, because a pattern needs more than one quarter of "
        "data."
    )
    paragraphs = [told.summary(), periods, *told.notes]
    images: tuple[tuple[str, bytes], ...] = ()
    if len(told.places):
        png = render_layers(
            [story.story_layer(told, names, role, res, config)],
            area.boundary,
            f"The quarter's places, {quarter_label(quarter)} (resolution {res})",
        )
        images = (("Where they are", png),)
    tables = (_table("The places, most urgent first", table.drop(columns=["Cell id"])),)
    sentences = [told.summary()]
    urgent = told.places.assign(name=names)
    for status in ("Escalated", "New"):
        named = urgent.loc[urgent["status"] == status, "name"].head(3).tolist()
        if named:
            sentences.append(f"{status}: " + "; ".join(named) + ".")
    return (
        PackSection(
            f"The quarter's story: {quarter_label(quarter)}",
            tuple(paragraphs),
            tables,
            images,
        ),
        sentences,
    )


def _hotspot_section(
    store: Store, area: StudyArea, report: HotspotReport, role: str, res: int, config: Config
) -> tuple[PackSection, list[str]]:
    trend = report.trend
    when = trend_text(trend) if trend is not None else "the pattern window"
    if report.emerging is None:
        text = report.emerging_message or "Emerging hot spot analysis is not available."
        return PackSection("Emerging hot spots", paragraphs=(text,)), []
    layer = layers.emerging_layer(
        report.emerging.cells, report.periods, report.period, role, res, config
    )
    png = render_layers([layer], area.boundary, f"Emerging hot spots, {when} (resolution {res})")
    shown = {f["properties"]["cell"] for f in layer.geojson["features"]}
    cells = report.emerging.cells
    cells = cells.loc[cells.index.isin(shown) & (cells["code"] > 0)]
    by_category = []
    for code in sorted(cells["code"].unique()):
        members = sorted(_named(store, cells.index[cells["code"] == code]))
        by_category.append((CATEGORY_NAMES[int(code)], "; ".join(members[:8])
                            + (" and others" if len(members) > 8 else "")))  # fmt: skip
    table = PackTable("Hot spot categories and the places in each", ("Category", "Places"),
                      tuple(by_category))  # fmt: skip
    paragraph = (
        f"Emerging hot spots of all incidents, {when}: Getis-Ord Gi* month by month with "
        "false-discovery-rate control and a Mann-Kendall trend, worked out on small "
        f"hexagons (resolution {TREND_RESOLUTION}) and shown at resolution {res}."
    )
    return (
        PackSection("Emerging hot spots", (paragraph,), (table,), (("Emerging hot spots", png),)),
        [],
    )


def _recurring_section(
    store: Store, area: StudyArea, window: Filters, role: str, res: int, config: Config
) -> tuple[PackSection, list[str], pd.DataFrame | None]:
    settings = RankingSettings(
        res=res, min_count=config.disclosure.min_count, exact_counts=role != Role.PARTNERSHIP
    )
    try:
        ranking = rank_recurring_locations(store, area, window, settings)
    except ValueError as exc:
        return PackSection("Recurring locations", (str(exc).capitalize() + ".",)), [], None
    if role == Role.PARTNERSHIP:
        ranking = layers.hot_cells_table(ranking, role, res, config)
    top = ranking.head(TOP)
    png = render_layers(
        [layers.ranking_layer_from(ranking, TOP)], area.boundary,
        f"Top {TOP} recurring locations by rank (resolution {res})", annotate_ranks=True,
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "Rank": [f"#{r}" for r in top["rank"]],
            "Place": top["place"],
            "Cell": top["cell"],
            "Also covers": [_folded(cells, role, res, config) for cells in top["part_of"]],
            "Category": top["category"],
            "Escalate": np.where(top["escalate"], "escalate", ""),
            "Why": top["reasons"],
        }
    )
    escalated = int(top["escalate"].sum())
    paragraph = (
        "Places ranked by a transparent score of hot spot category, how often they were hot "
        "and active, volume, near repeats and how many kinds of harm meet there. New, "
        "consecutive and intensifying hot spots are flagged for escalation."
    )
    sentences = []
    if len(top):
        first = top.iloc[0]
        sentences.append(
            f"The top recurring location is {first['place']} ({first['category'].lower()})."
        )
    if escalated:
        sentences.append(
            "Places flagged for escalation among the top ten: "
            + "; ".join(top.loc[top["escalate"], "place"].head(3))
            + "."
        )
    table = _table("The top recurring locations", frame)
    return (
        PackSection("Recurring locations", (paragraph,), (table,), (("Recurring", png),)),
        sentences,
        top,
    )


def _named(store: Store, cells: Sequence[str] | pd.Series) -> list[str]:
    """The names people use for ``cells`` (:func:`geo.store.place_names.place_names`)."""
    ids = [str(c) for c in cells]
    if not ids:
        return []
    res = int(hexes.cell_resolution(hexes.str_to_cells(ids[:1]))[0])
    return [str(n) for n in place_names(store, ids, res)]


def _folded(cells: Sequence[str], role: str, res: int, config: Config) -> str:
    """Neighbouring cells folded into a place."""
    check_resolution(role, res, config)
    return ", ".join(str(c) for c in cells)


def _missing_schools_section(
    store: Store,
    area: StudyArea,
    quarter: Filters,
    window: Filters,
    role: str,
    res: int,
    config: Config,
) -> tuple[PackSection, list[str]]:
    names = overview.schools(store)[["urn", "name"]]
    view = missing_view.missing_view(store, area, quarter, role, config, res, 7, names)
    wanted = [
        missing_view.MEASURE_LABELS[k]
        for k in ("episodes", "children", "repeat_children", "rhi_completed_72h_share")
    ]
    m = view.measures.loc[wanted]
    measure_rows = []
    for label, row in m.iterrows():
        share = "share" in str(label).lower()
        fmt = (lambda v: "withheld" if not np.isfinite(v) else f"{v:.0%}") if share else _count
        measure_rows.append((str(label), fmt(row["current"]), fmt(row["previous"])))
    measures = PackTable("Missing from home", ("Measure", "This quarter", "Previous quarter"),
                         tuple(measure_rows))  # fmt: skip
    themes = view.themes[["count", "previous"]].rename(
        columns={"count": "This quarter", "previous": "Previous quarter"}
    )
    themes_table = _table("Return-home interview themes", themes.rename_axis("Theme").reset_index())
    overlap = pd.DataFrame(
        {
            "Place": _named(store, view.overlap["cell"].head(TOP)),
            "Why": view.overlap["reason"].head(TOP).to_numpy(),
        }
    )
    # the pupils' figures of the Missing page (same period, same suppression)
    children = view.schools if role == Role.PARTNERSHIP else None
    ranked = schools_view(
        store, area, quarter, role, config.disclosure.min_count, children=children,
        distances_m=config.schools.distances_m, terms=config.schools.terms,
        recurring_window=window,
    )  # fmt: skip
    ranked = ranked.loc[ranked["rank"].notna()].head(5)  # a school with nothing is not ranked
    schools = pd.DataFrame(
        {
            "Rank": [f"#{r}" for r in ranked["rank"]],
            "School": ranked["name"],
            "Marked": ranked["flag"],
            "Why": ranked["reasons"],
        }
    )
    sentences = []
    rising = view.themes.dropna(subset=["count", "previous"])
    rising = rising.loc[rising["count"] > rising["previous"]]
    if len(rising):
        sentences.append(
            "Interview themes rising on the last quarter: "
            + ", ".join(str(t).lower() for t in rising.index[:3])
            + "."
        )
    if len(view.overlap):
        sentences.append(
            f"{len(view.overlap)} place(s) are hot spots of both missing children and serious "
            "youth violence."
            if role != Role.PARTNERSHIP
            else "Some places are hot spots of both missing children and serious youth violence: "
            + "; ".join(_named(store, view.overlap["cell"].head(3)))
            + "."
        )
    if len(schools):
        sentences.append(f"School most affected: {schools['School'].iloc[0]}.")
    paragraph = (
        "A repeat missing child went missing 3 or more times within 90 days. Places are where "
        "children were found or last seen."
    )
    return (
        PackSection(
            "Schools and missing from home",
            (paragraph,),
            (
                measures,
                themes_table,
                _table("Places hot for missing children and for SYV", overlap),
                _table("Schools most affected", schools),
            ),
        ),
        sentences,
    )


def _youth_work_section(
    store: Store, area: StudyArea, window: Filters, role: str, res: int, config: Config
) -> tuple[PackSection, list[str]]:
    # the same helpers and window as the Youth work page: for the partnership the
    # calendar year of the quarter (never a rolling 12 months, whose overlaps with the
    # page's windows could be differenced); for analysts the 12 months to the quarter's end
    settings = coverage_view.settings_for(role, config, res=res)
    recent = window
    if as_role(role).sees_exact_counts:
        recent = Filters(
            max(window.month_from, (pd.Period(window.month_to, freq="M") - 11).strftime("%Y-%m")),
            window.month_to,
        )
    result = coverage.analyse(store, area, recent, settings)
    sites = coverage_view.health_sites(store)
    gaps = coverage_view.role_gaps(result.gaps, sites, role, res, config).head(5)
    allowed = [b.name for b in settings.blocks]
    problem = coverage_view.plan_problem(result, role, config, allowed)
    plan = coverage.plan_greedy(problem, coverage_view.DEFAULT_TEAMS)
    gap_frame = pd.DataFrame(
        {
            "Rank": [f"#{r}" for r in gaps["rank"]],
            "Place": _named(store, gaps["cell"]),
            "Cell": gaps["cell"],
            "When": gaps["block_label"],
            "Why": gaps["reason"],
        }
    )
    steps = plan.steps
    plan_frame = pd.DataFrame(
        {
            "Step": [f"#{s}" for s in steps["step"]],
            "Place": _named(store, steps["cell"]),
            "Cell": steps["cell"],
            "When": steps["block_label"],
            "Share of unmet need covered so far": [f"{v:.0%}" for v in steps["share_unmet"]],
        }
    )
    paragraph = (
        f"Need is incidents of serious youth violence and harmful sexual behaviour and missing "
        f"children's found places, by time of week, over {coverage.period_text(recent)}; "
        f"coverage is detached youth work within {settings.reach_m:g} m at those times. The "
        f"plan sends {story.number_words(coverage_view.DEFAULT_TEAMS)} teams out once a week "
        "each, where and "
        "when they would reach the most unmet need (as the Youth work page plans by default); "
        "it is a recommendation, not a decision."
    )
    sentences = []
    if len(gaps):
        g = gaps.iloc[0]
        when = str(g["block_label"])
        name = _named(store, [str(g["cell"])])[0]
        sentences.append(f"Largest youth-work gap: {name} on {when[:1].lower()}{when[1:]}.")
    return (
        PackSection(
            "Youth-work gaps and a deployment plan",
            (paragraph,),
            (_table("Largest gaps", gap_frame), _table("Recommended deployments", plan_frame)),
        ),
        sentences,
    )


def _disproportionality_section(
    store: Store, area: StudyArea, window: Filters, role: str, config: Config
) -> tuple[PackSection, list[str]]:
    dp = disproportionality
    denominators = dp.census_denominators(store, area=area)
    findings: list[str] = []
    caveats: set[str] = set()
    feeds: list[tuple[dp.GroupCounts, str, str]] = []
    covers: list[str] = []  # what period each feed's figures cover, in words
    held = catalogue.feed_catalogue(store)
    if catalogue.loaded(held, "stop_search", window):  # a feed of other months says nothing
        feeds.append(
            (
                dp.stop_search_counts(store, "self", filters=window),
                "were stopped and searched",
                "people",
            )  # fmt: skip
        )
        covers.append(f"stop and search over {window_label(window)}")
    outside: list[str] = []
    if catalogue.loaded(held, "school_outcomes", window):  # as the page: terms starting in it
        feeds.append(
            (
                dp.measure_counts(store, "fixed_term_exclusion", window),
                "were excluded for a fixed term",
                "pupils",
            )  # fmt: skip
        )
        covers.append(
            f"fixed-term exclusions in the school terms starting in {window_label(window)}"
        )
    elif catalogue.loaded(held, "school_outcomes"):
        spans = [f for f in held if f.table == "school_outcomes"]
        outside.append(
            f"The school outcomes feed covers {min(str(f.first_month) for f in spans)} to "
            f"{max(str(f.last_month) for f in spans)}, outside {window_label(window)}: no "
            "exclusion figures for this quarter."
        )
    for counts, verb, subject in feeds:
        result = dp.audit(
            counts, denominators, role=role, min_count=config.disclosure.min_count, verb=verb,
            subject=subject,
        )  # fmt: skip
        findings += [f.sentence for f in result.findings if f.significant]
        caveats.update(result.caveats[:2])
    text: tuple[str, ...]
    if not feeds:
        text = ("No stop-and-search or school exclusions data are loaded for this period.",)
        if catalogue.loaded(held, "stop_search"):
            text += ("Stop and search is loaded for other months only.",)
    elif denominators.areas == 0:  # no rates without residents: say so, not "no difference"
        text = (
            denominators.caveat
            if dp.census_areas(store)
            else "No Census 2021 population by ethnic group is loaded for the study area, so "
            "no rates or relative rate indices can be given.",
        )
        caveats.clear()
    elif not findings:
        text = ("No group's rate differs significantly from the reference group's.",)
    else:
        text = tuple(findings)
    if covers and denominators.areas:
        text = (f"Figures cover {' and '.join(covers)}.", *text)
    return (
        PackSection("Disproportionality", text + tuple(outside) + tuple(sorted(caveats))),
        findings[:2],
    )


def _sources_section(
    store: Store, config: Config, role: str, res: int, window: Filters
) -> PackSection:
    batches = store.query(
        "SELECT kind, source, strftime(max(created_at), '%Y-%m-%d') AS loaded "
        "FROM batches WHERE status = 'live' GROUP BY kind, source ORDER BY kind, source"
    )
    spans = []
    for table, col in (
        ("incidents", "occurred_at"),
        ("missing_episodes", "reported_at"),
        ("youth_sessions", "started_at"),
        ("stop_search", "searched_at"),
        ("school_outcomes", "period_start"),
    ):
        first, last = store.query(
            f"SELECT strftime(min({col}), '%Y-%m') AS a, strftime(max({col}), '%Y-%m') AS b "
            f"FROM {table}"
        ).iloc[0]
        if isinstance(first, str):
            spans.append((table.replace("_", " "), f"{first} to {last}"))
    seed = _demo_seed(config)
    params = [
        f"Resolution {res} (about {0.7 if res == 8 else 0.1 if res == 9 else 5:g} km² per cell)",
        f"Pattern window {window.month_from} to {window.month_to}",
        "Gi* neighbourhood: the cell and its first ring; false-discovery-rate control at "
        "0.10, 0.05 and 0.01",
        "Recurring-location score: 3·category + 2·hot share + 1·active share + 2·volume + "
        "1·near repeat + 2·convergence",
        f"Configuration fingerprint {config.fingerprint}",
    ]
    if seed is not None:
        params.append(f"Synthetic demo generated with seed {seed}")
    rules = [
        WITHHELD_EXPLAINED.format(max_small=config.disclosure.min_count - 1)
        if role == Role.PARTNERSHIP
        else "Analyst pack: exact counts. Not for circulation beyond analysts.",
        f"Finest resolution shown: {res}.",
        "Home areas are never shown finer than resolution 7.",
    ]
    return PackSection(
        "Data, parameters and disclosure rules",
        tuple(rules) + tuple(params),
        (
            PackTable(
                "Sources (latest load)",
                ("Kind", "Source", "Loaded"),
                tuple(tuple(map(str, r)) for r in batches.itertuples(index=False)),
            ),
            PackTable("Data coverage", ("Table", "Months"), tuple(spans)),
        ),  # fmt: skip
    )


def _demo_seed(config: Config) -> int | None:
    if not config.app.demo:
        return None
    truth = config.store_path.parent / "truth.json"
    try:
        return int(json.loads(truth.read_text(encoding="utf-8"))["seed"])
    except (OSError, ValueError, KeyError):
        return None


# --- the pack ------------------------------------------------------------------------------


def build_pack(
    store: Store,
    area: StudyArea,
    config: Config,
    quarter: str,
    audience: str,
    now: datetime | None = None,
) -> ReviewPack:
    """Build the review pack for ``quarter`` (``"2025Q1"``, or ``"latest"``) and ``audience``.

    Raises
    ------
    PackError
        When the audience is unknown or the quarter has no data.
    """
    if audience not in AUDIENCES:
        raise PackError(f"audience must be one of {', '.join(AUDIENCES)}")
    if quarter.strip().lower() == "latest":
        quarters = available_quarters(store)
        if not quarters:
            raise PackError(
                "not enough data for a quarterly pack: no feed holds a whole quarter yet"
            )
        quarter = quarters[-1]
    q = parse_quarter(quarter)
    label = quarter_label(q)
    if label.replace(" ", "") not in available_quarters(store):
        held = ", ".join(available_quarters(store)) or "none"
        raise PackError(
            f"not enough data for {label}: no feed holds the whole quarter; quarters held: {held}"
        )
    role = as_role(audience)
    store = store_for(store, role, config)
    res = config.disclosure.partnership_max_resolution if role.is_published_to else 9
    window = _pattern_window(store, q, role)
    months = overview.available_months(store)
    reports = {
        layer: run_trend_hotspots(store, area, layer, res, q, months)
        for layer in story.STORY_LAYERS
    }
    told, s0 = _story_section(store, area, q, reports, window, role, res, config)
    headline, s1 = _headline_section(store, q, role, config)
    hot, _ = _hotspot_section(store, area, reports["incidents"], role, res, config)
    recurring, s2, _ = _recurring_section(store, area, window, role, res, config)
    schools, s3 = _missing_schools_section(store, area, q, window, role, res, config)
    youth, s4 = _youth_work_section(store, area, window, role, res, config)
    dispro, s5 = _disproportionality_section(store, area, q, role, config)
    sources = _sources_section(store, config, role, res, window)
    name = area.name or "the study area"
    return ReviewPack(
        title=f"Quarterly review of recurring themes: {name}, {label}",
        area_name=name,
        quarter=label,
        audience=audience,
        synthetic=config.app.demo,
        generated_at=(now or datetime.now()).strftime("%d %B %Y %H:%M"),
        sections=(
            told,
            replace(headline, new_page=True),
            hot,
            replace(recurring, new_page=True),
            schools,
            replace(youth, new_page=True),
            dispro,
            replace(sources, new_page=True),
        ),
        headlines=tuple(s0[:2] + s1[:2] + s2[:1] + s3[:2] + s4[:1] + s5[:1]),
    )


# --- rendering -----------------------------------------------------------------------------


def _banner(pack: ReviewPack) -> str:
    audience = (
        "Partnership pack: figures are rounded and perturbed to protect privacy."
        if pack.audience == Role.PARTNERSHIP
        else "Analyst pack: exact figures, not for wider circulation."
    )
    synthetic = " SYNTHETIC DEMO DATA: not real people or places." if pack.synthetic else ""
    return audience + synthetic


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    base = getSampleStyleSheet()
    return {
        "title": base["Title"],
        "h2": base["Heading2"],
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=9, leading=12),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=7.5, leading=9.5),
        "banner": ParagraphStyle(
            "banner", parent=base["BodyText"], fontSize=8, textColor="#b2182b"
        ),
    }


def _p(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(xml_escape(text), style)  # partner text (school names) is escaped


def _pdf_table(table: PackTable, styles: dict[str, Any]) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.platypus import Spacer, Table, TableStyle

    out: list[Any] = [_p(table.caption, styles["body"])]
    if not table.rows:
        return [*out, _p("Nothing to show.", styles["small"]), Spacer(1, 6)]
    data = [[_p(c, styles["small"]) for c in table.columns]]
    data += [[_p(c, styles["small"]) for c in row] for row in table.rows]
    widths = _col_widths(table)
    t = Table(data, colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [*out, t, Spacer(1, 8)]


def _col_widths(table: PackTable) -> list[float]:
    """Column widths (points) over 17 cm: each at least as wide as its longest word (so a
    cell id or a rank never breaks), the rest shared by text length."""
    from reportlab.lib.units import cm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    total = 17.0 * cm
    padding = 14.0
    columns = list(zip(*table.rows, strict=True)) if table.rows else [()] * len(table.columns)
    floor = np.array(
        [
            max(stringWidth(w, "Helvetica", 7.5) for w in [*str(c).split(), *(
                word for text in col for word in str(text).split()
            )] or [""]) + padding
            for c, col in zip(table.columns, columns, strict=True)
        ]
    )  # fmt: skip
    lengths = np.array(
        [max([len(c)] + [len(r[i]) for r in table.rows]) for i, c in enumerate(table.columns)],
        dtype=float,
    )
    share = np.clip(lengths, 6, 60)
    spare = max(total - float(floor.sum()), 0.0)
    return list(floor + spare * share / share.sum())


def pack_pdf(pack: ReviewPack) -> bytes:
    """The review pack as an A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, PageBreak, SimpleDocTemplate, Spacer

    styles = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm,
        bottomMargin=1.8 * cm, title=pack.title, author="PlaceSafe",
    )  # fmt: skip
    story: list[Any] = [
        _p(pack.title, styles["title"]),
        _p(_banner(pack), styles["banner"]),
        _p(f"Built {pack.generated_at}.", styles["small"]),
        Spacer(1, 8),
    ]
    for section in pack.sections:
        if section.new_page:
            story.append(PageBreak())
        story.append(_p(section.title, styles["h2"]))
        story += [_p(text, styles["body"]) for text in section.paragraphs]
        story.append(Spacer(1, 4))
        for caption, png in section.images:
            img = Image(io.BytesIO(png))
            scale = min(16 * cm / img.drawWidth, 11 * cm / img.drawHeight)
            img.drawWidth *= scale
            img.drawHeight *= scale
            story += [img, _p(caption, styles["small"]), Spacer(1, 6)]
        for table in section.tables:
            story += _pdf_table(table, styles)

    def footer(canvas: object, document: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont("Helvetica", 7)  # type: ignore[attr-defined]
        canvas.drawString(2 * cm, 1.1 * cm, _banner(pack))  # type: ignore[attr-defined]
        canvas.drawRightString(  # type: ignore[attr-defined]
            19 * cm,
            1.1 * cm,
            f"page {document.page}",  # type: ignore[attr-defined]
        )
        canvas.restoreState()  # type: ignore[attr-defined]

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ pack.title }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}.banner{color:#b2182b;font-weight:600}img{max-width:100%}
</style></head><body>
<h1>{{ pack.title }}</h1>
<p class="banner">{{ banner }}</p><p>Built {{ pack.generated_at }}.</p>
{% for section in pack.sections %}<section><h2>{{ section.title }}</h2>
{% for text in section.paragraphs %}<p>{{ text }}</p>{% endfor %}
{% for caption, png in images[loop.index0] %}<figure>
<img alt="{{ caption }}" src="data:image/png;base64,{{ png }}">
<figcaption>{{ caption }}</figcaption></figure>{% endfor %}
{% for table in section.tables %}<table><caption>{{ table.caption }}</caption>
<tr>{% for c in table.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in table.rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endfor %}</section>{% endfor %}
</body></html>
"""


def pack_html(pack: ReviewPack) -> str:
    """The review pack as one self-contained HTML file (maps embedded, text escaped)."""
    from jinja2 import Environment

    env = Environment(autoescape=True)
    images = [
        [(caption, base64.b64encode(png).decode("ascii")) for caption, png in s.images]
        for s in pack.sections
    ]
    return env.from_string(_HTML).render(pack=pack, banner=_banner(pack), images=images)


SEVEN_MINUTE_PROMPTS: Final[dict[str, tuple[str, ...]]] = {
    "Why it matters": (
        "Harm to adolescents outside the home recurs in the same places; a shared picture lets "
        "partners act on places and themes, not only on individual cases.",
    ),
    "What to do": (
        "Bring the top recurring locations to the next multi-agency meeting and agree who "
        "updates each place's assessment.",
        "Check youth-work timetables against the largest gaps before the next quarter.",
        "Ask schools near the top locations what their pupils say about the journey to school.",
    ),
    "Questions to ask": (
        "Which of these places do we already know about, and what changed?",
        "Whose voice is missing from this picture (children, families, businesses, transport)?",
    ),
}


def seven_minute_pdf(pack: ReviewPack) -> bytes:
    """The 7-minute briefing: one A4 page in plain English."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import KeepInFrame, SimpleDocTemplate, Spacer

    styles = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.5 * cm,
        bottomMargin=1.5 * cm, title=f"7-minute briefing: {pack.area_name}, {pack.quarter}",
        author="PlaceSafe",
    )  # fmt: skip
    story: list[Any] = [
        _p(f"7-minute briefing: {pack.area_name}, {pack.quarter}", styles["title"]),
        _p(_banner(pack), styles["banner"]),
        Spacer(1, 6),
        _p("What we saw", styles["h2"]),
    ]
    story += [_p(f"• {s}", styles["body"]) for s in pack.headlines]
    for heading, lines in SEVEN_MINUTE_PROMPTS.items():
        story.append(_p(heading, styles["h2"]))
        story += [_p(f"• {line}", styles["body"]) for line in lines]
    story.append(Spacer(1, 6))
    story.append(
        _p(
            "From the quarterly review pack of the same quarter, which holds the maps, tables, "
            "sources and the disclosure rules applied.",
            styles["small"],
        )
    )
    frame = KeepInFrame(17 * cm, 26 * cm, story, mode="shrink")  # always one page
    doc.build([frame])
    return buf.getvalue()


def output_names(quarter: str, audience: str) -> dict[str, str]:
    """File names of a pack's outputs."""
    stem = f"placesafe-{quarter.replace(' ', '').lower()}-{audience}"
    return {
        "pdf": f"{stem}-review-pack.pdf",
        "html": f"{stem}-review-pack.html",
        "seven": f"{stem}-7-minute-briefing.pdf",
    }


def sentences_with_counts(text: str, min_count: int) -> Sequence[str]:
    """Numbers from 1 to ``min_count - 1`` in ``text`` that read as counts.

    Allowed (not counts): ranks ``#3``, quarters ``2024 Q3``, resolutions, rule
    numbers ("3 or more times in 90 days"), "k of the last n" recurrence, percentages,
    decimals, dates and page numbers. Used by the tests and by :func:`check_pack`.
    """
    allowed = [
        r"#\d+",
        r"\b\d{4} Q[1-4]\b",
        r"\bQ[1-4]\b",
        r"\bresolution \d+",
        r"\b\d+ or more times (in|within) \d+ days",
        r"\b\d+ recurring locations?",
        r"×\d+",
        r"\b\d+ of the last \d+",
        r"\b\d+(\.\d+)? ?%",
        r"\b\d+\.\d+",
        r"\b\d{4}-\d{2}(-\d{2})?",
        r"\bpage \d+",
        r"\b\d+ (January|February|March|April|May|June|July|August|September|October|November|"
        r"December) \d{4}",
        r"\b\d{1,2}:\d{2}",
        r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b",
        r"\b[1-3]·",
        r"\bfirst ring",
        r"\bseed \d+",
        r"\b0\.\d+",
        r"\b\d+ m\b",
        r"\b\d+ km²",
        r"\bfrom 1 to \d+",
        r"\b(one|two|three|four|five|six|seven|eight|nine) teams",
        r"\(about [\d.]+ km²",
        r"\bfingerprint [0-9a-f]+",
        r"\b[0-9a-f]{15}\b",
        r"\b\d+ (months|hours)\b",
    ]
    cleaned = text
    for pattern in allowed:
        cleaned = re.sub(pattern, " ", cleaned)
    small = "|".join(str(n) for n in range(1, min_count))
    return re.findall(rf"(?<![\w.,]).{{0,30}}\b(?:{small})\b(?![\w.,]).{{0,30}}", cleaned)
