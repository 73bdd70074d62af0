"""The sections of the review pack, one function each, built from the same functions the
pages use with the same disclosure rules (:mod:`geo.render.briefing`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.area import StudyArea
from geo.core.config import Config
from geo.core.filters import Filters, quarter_label
from geo.core.roles import Role
from geo.disclosure import WITHHELD_EXPLAINED, as_role, check_resolution
from geo.disclosure.counts import disclosed_kpis
from geo.disclosure.windows import window_label
from geo.lenses import (
    coverage,
    coverage_view,
    disproportionality,
    missing_view,
    story,
    youth_work_plan,
)
from geo.lenses.hotspot_report import TREND_RESOLUTION, HotspotReport, trend_text
from geo.lenses.recurring import RankingSettings, rank_recurring_locations
from geo.lenses.schools import schools_view
from geo.render import layers
from geo.render.briefing.model import PackSection, PackTable, _count, _pct_change, _table
from geo.render.static_maps import render_layers
from geo.stats.emerging import CATEGORY_NAMES
from geo.store import catalogue
from geo.store import queries as overview
from geo.store.database import Store
from geo.store.place_names import place_names

__all__ = [
    "KPI_LABELS",
    "TOP",
    "disproportionality_section",
    "headline_section",
    "hotspot_section",
    "missing_schools_section",
    "recurring_section",
    "sources_section",
    "story_section",
    "youth_work_section",
]

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


# --- sections ------------------------------------------------------------------------------


def headline_section(
    store: Store, quarter: Filters, role: str, config: Config
) -> tuple[PackSection, list[str]]:
    kpis = disclosed_kpis(store, role, quarter, config)
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


def story_section(
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
            [layers.story_layer(told, names, role, res, config)],
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


def hotspot_section(
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


def recurring_section(
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


def missing_schools_section(
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


def youth_work_section(
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
    plan = youth_work_plan.plan_greedy(problem, coverage_view.DEFAULT_TEAMS)
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


def disproportionality_section(
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


def sources_section(
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
        ("ed_assaults", "occurred_at"),
    ):
        if not store.has_table(table):  # a store last written by an older version
            continue
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
