"""Cached wrappers (the only cached functions), keyed on explicit hashable values.

Keys are the configuration path and fingerprint, the store's data version and the
filters — never a DataFrame.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.core import hexes
from geo.core.area import StudyArea, load_study_area
from geo.core.audit import AuditSettings
from geo.core.config import CONFIG_ENV, Config, load_config
from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.demo.build import ensure_demo_store
from geo.disclosure import as_role, protected_records_note, store_for
from geo.disclosure.counts import disclosed_counts, disclosed_kpis
from geo.disclosure.windows import partnership_pattern_window
from geo.ingest.sources.ethnicity_list import read_ethnicity_list
from geo.lenses import area_tables, missing, school_outcomes
from geo.lenses import missing_view as missing_lens
from geo.lenses import schools as schools_lens
from geo.lenses import youth_work_plan as ywp
from geo.lenses.clusters import clusters_for_period, event_cells
from geo.lenses.hotspot_report import HotspotReport, run_trend_hotspots
from geo.lenses.profiles import LocationProfile, build_profile
from geo.lenses.recurring import (
    RankingSettings,
    knox_for_window,
    near_repeat_chain_table,
    rank_recurring_locations,
)
from geo.render import briefing, coverage_layers, layers
from geo.render.hexlayer import HexLayer, outline_layer
from geo.stats.emerging import describe_category
from geo.stats.knox import KnoxResult, verdict
from geo.store import catalogue
from geo.store import queries as overview
from geo.store.database import Store
from geo.store.place_names import place_names


@st.cache_resource(show_spinner="Loading configuration…")
def _config(path: str | None) -> Config:
    config = load_config(path)
    ensure_demo_store(config)
    return config


def get_config() -> Config:
    """The configuration named by ``PLACESAFE_CONFIG`` (building the demo store if needed)."""
    return _config(os.environ.get(CONFIG_ENV))


@st.cache_resource(show_spinner=False)
def _store(path: str, fingerprint: str, _audit: AuditSettings) -> Store:
    return Store(Path(path), audit=_audit, snapshots=True)


def get_store(config: Config) -> Store:
    """The shared store connection for this configuration (audit key and head file from it)."""
    return _store(str(config.store_path), config.fingerprint, config.audit_settings())


def store_as(config: Config, role: str) -> Store:
    """The store ``role``'s analyses run on: for the partnership, the publishable
    dataset (records at sensitive premises removed before any analysis)."""
    return store_for(get_store(config), role, config)


def get_area(config: Config) -> StudyArea:
    """The configured study area."""
    return load_study_area(config.study_area)


@st.cache_data(show_spinner=False, max_entries=64)
def months(fingerprint: str, version: str) -> list[str]:
    """Months with data."""
    return overview.available_months(get_store(get_config()))


@st.cache_data(show_spinner=False, max_entries=16)
def schools(fingerprint: str, version: str) -> pd.DataFrame:
    """Open schools."""
    return overview.schools(get_store(get_config()))


@st.cache_data(show_spinner=False, max_entries=64)
def kpis(fingerprint: str, version: str, role: str, filters: Filters) -> pd.DataFrame:
    """Headline figures for the period and the previous one, disclosure-controlled for ``role``."""
    config = get_config()
    return disclosed_kpis(store_as(config, role), role, filters, config)


@st.cache_data(show_spinner=False, max_entries=64)
def kpi_coverage(fingerprint: str, version: str, role: str, filters: Filters) -> pd.DataFrame:
    """Which headline figures a loaded feed can tell, per period (False = not loaded)."""
    return catalogue.kpi_coverage(feeds(fingerprint, version, role), filters)


@st.cache_data(show_spinner=False, max_entries=16)
def neighbourhood_rates(
    fingerprint: str, version: str, filters: Filters
) -> area_tables.NeighbourhoodRates | str:
    """Harm per 1,000 residents by neighbourhood with IMD (analysts only: the page
    never calls this for the partnership), or why it cannot be given."""
    config = get_config()
    try:
        return area_tables.neighbourhood_rates(get_store(config), get_area(config), filters)
    except InsufficientDataError as exc:
        return str(exc)


@st.cache_data(show_spinner=False, max_entries=16)
def feeds(fingerprint: str, version: str, role: str) -> list[catalogue.Feed]:
    """The catalogue of loaded feeds (as ``role``'s store holds them)."""
    return catalogue.feed_catalogue(store_as(get_config(), role))


@st.cache_data(show_spinner=False, max_entries=64)
def protected_note(fingerprint: str, version: str, filters: Filters) -> str | None:
    """That records at protected places are left out, and how many (published)."""
    config = get_config()
    return protected_records_note(get_store(config), config, filters)


@st.cache_data(show_spinner=False, max_entries=64)
def overview_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[HexLayer, ...]:
    """The Overview's hex layers after disclosure control for ``role``."""
    config = get_config()
    store = store_as(config, role)
    found_res = min(res, 9)
    incidents = disclosed_counts(store, "incidents", role, res, filters, config)
    missing = disclosed_counts(store, "missing", role, found_res, filters, config)
    return (
        layers.incident_layer_from(incidents, res, config),
        layers.missing_layer_from(missing, found_res, config),
        layers.youth_work_layer(overview.youth_work_cells(store, found_res, filters)),
    )


@st.cache_data(show_spinner=False, max_entries=64)
def overview_map_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[HexLayer, ...]:
    """The Overview's layers for the map: each hexagon's tooltip led by its place name."""
    store = store_as(get_config(), role)
    return tuple(
        layers.named_layer(x, store)
        for x in overview_layers(fingerprint, version, role, res, filters)
    )


@st.cache_data(show_spinner=False, max_entries=16)
def school_markers(fingerprint: str, version: str) -> tuple[tuple[float, float, str, bool], ...]:
    """School markers ``(lat, lng, name, is_alternative_provision)``."""
    frame = overview.schools(get_store(get_config()))
    return layers.school_markers(frame)


@st.cache_data(show_spinner=False, max_entries=64)
def cell_summary(
    fingerprint: str, version: str, role: str, res: int, filters: Filters, cell: str
) -> str:
    """Plain-English summary of one cell from the disclosure-controlled layers, led by
    the place's name."""
    config = get_config()
    name = str(place_names(store_as(config, role), [cell]).iloc[0])
    summary = layers.cell_summary(overview_layers(fingerprint, version, role, res, filters), cell)
    return f"{name} · {summary}"


@st.cache_data(show_spinner="Running hot spot analysis…", max_entries=32)
def hotspot_report(
    fingerprint: str,
    version: str,
    role: str,
    layer: str,
    res: int,
    filters: Filters,
    k: int = 1,
    fdr: bool = True,
) -> HotspotReport:
    """Gi* over the chosen period and emerging hot spots over the trend window ending with
    it (:func:`geo.lenses.hotspot_report.trend_window`, month by month, worked out at
    :data:`~geo.lenses.hotspot_report.TREND_RESOLUTION` and shown at ``res``): exact results on
    the store ``role``'s analyses run on; pages pass them through the disclosure-controlled
    layers."""
    config = get_config()
    return run_trend_hotspots(
        store_as(config, role),
        get_area(config),
        layer,
        res,
        filters,
        months(fingerprint, version),
        k,
        fdr,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def hotspot_layers(
    fingerprint: str,
    version: str,
    role: str,
    layer: str,
    res: int,
    filters: Filters,
    k: int = 1,
    fdr: bool = True,
) -> tuple[HexLayer | None, HexLayer | None]:
    """The Gi* and emerging hot spot map layers after disclosure control for ``role``."""
    report = hotspot_report(fingerprint, version, role, layer, res, filters, k, fdr)
    config = get_config()
    store = store_as(config, role)  # names come from public sources only
    gi = layers.gi_layer(report.gi, role, res, config) if report.gi is not None else None
    em = None
    if report.emerging is not None:
        em = layers.emerging_layer(
            report.emerging.cells, report.periods, report.period, role, res, config
        )
    return (
        None if gi is None else layers.named_layer(gi, store),
        None if em is None else layers.named_layer(em, store),
    )


def analysis_window(fingerprint: str, version: str, role: str, filters: Filters) -> Filters:
    """The window for pattern analyses: for the partnership (whose period menu is whole
    quarters) the calendar year of the chosen quarter, from the one fixed hierarchy
    quarter -> year (:func:`geo.disclosure.windows.partnership_pattern_window`);
    analysts use their own window."""
    if as_role(role).sees_exact_counts:
        return filters
    return partnership_pattern_window(filters, months(fingerprint, version))


@st.cache_data(show_spinner="Building the missing-from-home view…", max_entries=16)
def missing_view(
    fingerprint: str, version: str, role: str, res: int, area_key: int | str, filters: Filters
) -> missing_lens.MissingView:
    """The Missing page's tables for ``role`` (disclosure-controlled for the partnership)."""
    config = get_config()
    store = store_as(config, role)
    names = overview.schools(store)[["urn", "name"]]
    key: missing.AreaKey = "home" if area_key == "home" else 8 if area_key == 8 else 7
    return missing_lens.missing_view(
        store, get_area(config), filters, role, config, res, key, names
    )


@st.cache_data(show_spinner=False, max_entries=16)
def missing_map_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[HexLayer, HexLayer]:
    """Found / last-seen places (controlled counts) and the places also hot for SYV."""
    config = get_config()
    levels = disclosed_counts(store_as(config, role), "missing", role, res, filters, config)
    found = layers.missing_layer_from(levels, res, config)
    view = missing_view(fingerprint, version, role, res, 7, filters)
    overlap = outline_layer(
        "Also an SYV hot spot",
        hexes.str_to_cells(view.overlap["cell"]),
        ["Hot spot of missing episodes and of SYV incidents"] * len(view.overlap),
        "#e7298a",
    )
    named_from = store_as(config, role)  # names come from public sources only
    return layers.named_layer(found, named_from), layers.named_layer(overlap, named_from)


@st.cache_data(show_spinner="Ranking schools…", max_entries=16)
def school_ranking(
    fingerprint: str, version: str, role: str, filters: Filters, distance_m: float
) -> pd.DataFrame:
    """Every open school ranked, disclosure-controlled for ``role``."""
    config = get_config()
    store = store_as(config, role)
    children = None
    if role == Role.PARTNERSHIP:
        episodes = missing.episodes(store, filters)
        repeat = missing.repeat_children_in_period(store, filters)
        children = missing.schools_for_partnership(episodes, config, repeat).table
    return schools_lens.schools_view(
        store,
        get_area(config),
        filters,
        role,
        config.disclosure.min_count,
        children=children,
        distances_m=config.schools.distances_m,
        distance_m=distance_m,
        terms=config.schools.terms,
        recurring_window=analysis_window(fingerprint, version, role, filters),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def school_outcome_tables(
    fingerprint: str, version: str, role: str, filters: Filters
) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Exclusions and managed moves: totals, by school, by group and by period."""
    config = get_config()
    store = store_as(config, role)
    frame = school_outcomes.outcomes(store, filters)
    names = overview.schools(store)[["urn", "name"]]
    return (
        school_outcomes.measure_totals(frame, role, config),
        school_outcomes.outcomes_by_school(frame, names, role, config),
        school_outcomes.outcomes_by_group(frame, role, config),
        school_outcomes.by_period(frame, role, config),
    )


@st.cache_data(show_spinner=False, max_entries=32)
def school_outcome_groups(
    fingerprint: str, version: str, filters: Filters, urn: str
) -> pd.DataFrame:
    """One school's exclusions and managed moves by group (analysts only)."""
    frame = school_outcomes.outcomes(get_store(get_config()), filters)
    return school_outcomes.school_groups(frame, urn)


@st.cache_data(show_spinner=False, max_entries=4)
def review_quarters(fingerprint: str, version: str) -> list[str]:
    """Whole quarters a review pack can be built for (``"2024Q3"``)."""
    return briefing.available_quarters(get_store(get_config()))


@st.cache_data(show_spinner="Building the review pack…", max_entries=8)
def review_pack(
    fingerprint: str, version: str, quarter: str, audience: str
) -> tuple[bytes, str, bytes, tuple[str, ...]]:
    """The review pack PDF, its HTML, the 7-minute briefing PDF and the headlines."""
    config = get_config()
    store = store_for(get_store(config), audience, config)
    pack = briefing.build_pack(store, get_area(config), config, quarter, audience)
    return (
        briefing.pack_pdf(pack),
        briefing.pack_html(pack),
        briefing.seven_minute_pdf(pack),
        pack.headlines,
    )


@st.cache_data(show_spinner="Ranking recurring locations…", max_entries=16)
def recurring(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> pd.DataFrame:
    """The recurring-location ranking (reasons disclosure-controlled for the partnership)."""
    config = get_config()
    settings = RankingSettings(
        res=res, min_count=config.disclosure.min_count, exact_counts=role != Role.PARTNERSHIP
    )
    ranking = rank_recurring_locations(store_as(config, role), get_area(config), filters, settings)
    if role == Role.PARTNERSHIP:
        ranking = layers.hot_cells_table(ranking, role, res, config)
    return ranking


@st.cache_data(show_spinner="Building the location profile…", max_entries=32)
def profile(
    fingerprint: str, version: str, role: str, cell: str, filters: Filters
) -> LocationProfile:
    """One cell's profile as ``role`` may see it."""
    config = get_config()
    return build_profile(
        store_as(config, role), cell, filters, months(fingerprint, version), role, config
    )


@st.cache_data(show_spinner=False, max_entries=16)
def ranking_layer(
    fingerprint: str, version: str, role: str, res: int, filters: Filters, top: int
) -> HexLayer:
    """The top of the ranking as a map layer (score as colour, rank and reason as label)."""
    return layers.ranking_layer_from(recurring(fingerprint, version, role, res, filters), top)


@st.cache_data(show_spinner="Testing for near repeats…", max_entries=16)
def knox(fingerprint: str, version: str, role: str, filters: Filters) -> KnoxResult | None:
    """The Knox test on incidents with a time of day in the window (None if too few)."""
    return knox_for_window(store_as(get_config(), role), filters)


@st.cache_data(show_spinner=False, max_entries=64)
def untimed_note(fingerprint: str, version: str, role: str, filters: Filters) -> str:
    """How many incidents in the window are known only to the month, and why they are left
    out of timed analyses ("" when none)."""
    from geo.lenses.recurring import month_precision_note, untimed_in_window

    return month_precision_note(untimed_in_window(store_as(get_config(), role), filters))


@st.cache_data(show_spinner=False, max_entries=64)
def feeds_used(
    fingerprint: str, version: str, role: str, tables: tuple[str, ...], filters: Filters
) -> str:
    """The sentence naming the feeds and months an analysis used."""
    return catalogue.feeds_used(feeds(fingerprint, version, role), tables, filters)


def knox_verdict(fingerprint: str, version: str, role: str, filters: Filters) -> str:
    """The plain-English verdict of :func:`knox`."""
    result = knox(fingerprint, version, role, filters)
    return "" if result is None else verdict(result)


@st.cache_data(show_spinner="Finding clusters…", max_entries=16)
def cluster_map_layer(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> HexLayer | None:
    """Monthly HDBSCAN clusters matched into tracks, as the role may see them."""
    config = get_config()
    events = event_cells(store_as(config, role), filters)
    try:
        result = clusters_for_period(events, analysis_res=res)
    except ValueError:  # too few events
        return None
    return layers.cluster_layer(result, role, res, config)


def cell_hotspot_history(
    fingerprint: str, version: str, role: str, cell: str, filters: Filters
) -> tuple[str, pd.DataFrame] | None:
    """A cell's emerging hot spot category sentence and its per-month significance bins
    (from the incidents cube at the cell's resolution), or None when not available."""
    res = int(hexes.cell_resolution(hexes.str_to_cells([cell]))[0])
    report = hotspot_report(fingerprint, version, role, "incidents", res, filters)
    if report.emerging is None or cell not in report.emerging.cells.index:
        return None
    row = pd.Series(report.emerging.cells.loc[cell])
    sentence = f"{row['category']}: " + describe_category(row, report.periods, "month")
    bins = pd.Series(report.emerging.bins.loc[cell], name="hot (+) / cold (-) confidence, 1-3")
    return sentence, bins.to_frame()


def cell_ranking_row(
    fingerprint: str, version: str, role: str, cell: str, filters: Filters
) -> dict[str, object] | None:
    """The recurring-location ranking's entry for ``cell`` (or the place it is part of)."""
    res = int(hexes.cell_resolution(hexes.str_to_cells([cell]))[0])
    try:
        ranking = recurring(fingerprint, version, role, res, filters)
    except ValueError:
        return None
    for row in ranking.to_dict("records"):
        if row["cell"] == cell or cell in row.get("part_of", []):
            return {str(k): v for k, v in row.items()}
    return None


@st.cache_data(show_spinner=False, max_entries=16)
def chains(fingerprint: str, version: str, res: int, filters: Filters) -> pd.DataFrame:
    """Near-repeat chains in the window (analysts only)."""
    return near_repeat_chain_table(get_store(get_config()), filters, res)


# --- Disproportionality page -----------------------------------------------------------------
import geo.lenses.disproportionality as dp  # noqa: E402  (appended section; keeps the top untouched)


@st.cache_data(show_spinner=False, max_entries=16)
def disproportionality_menus(
    fingerprint: str, version: str
) -> tuple[pd.DataFrame, list[str], dict[str, list[str]]]:
    """Sub-area choices (LSOAs with census rows), population age bands and the
    stop-and-search filter values held in the store."""
    store = get_store(get_config())
    return dp.area_choices(store), dp.population_age_bands(store), dp.stop_search_options(store)


@st.cache_data(show_spinner="Auditing…", max_entries=64)
def disproportionality_audit(
    fingerprint: str,
    version: str,
    role: str,
    measure: str,
    filters: Filters,
    reference: str,
    selection: dp.SearchSelection,
    lsoas: tuple[str, ...],
    age_band: str | None,
) -> dp.Audit:
    """One measure's RRI table, caveats and findings, disclosure-controlled for ``role``."""
    config = get_config()
    return dp.run_audit(
        store_as(config, role),
        measure,
        filters=filters,
        reference=reference,
        role=role,
        min_count=config.disclosure.min_count,
        selection=selection,
        lsoas=lsoas,
        age_band=age_band,
        area=get_area(config),
    )


@st.cache_data(show_spinner=False, max_entries=32)
def disproportionality_trend(
    fingerprint: str,
    version: str,
    role: str,
    measure: str,
    filters: Filters,
    reference: str,
    selection: dp.SearchSelection,
    lsoas: tuple[str, ...],
    age_band: str | None,
) -> pd.DataFrame:
    """RRIs by quarter (school terms for school outcomes), disclosed for ``role``."""
    config = get_config()
    return dp.run_trend(
        store_as(config, role),
        measure,
        filters=filters,
        reference=reference,
        role=role,
        min_count=config.disclosure.min_count,
        selection=selection,
        lsoas=lsoas,
        age_band=age_band,
        area=get_area(config),
    )


@st.cache_data(show_spinner=False, max_entries=32)
def disproportionality_hit_rate(
    fingerprint: str,
    version: str,
    role: str,
    measure: str,
    filters: Filters,
    selection: dp.SearchSelection,
    lsoas: tuple[str, ...],
) -> dp.HitRates | None:
    """Stop-and-search hit rates by group, disclosed for ``role`` (None for other measures)."""
    config = get_config()
    return dp.run_hit_rate(
        store_as(config, role),
        measure,
        filters=filters,
        role=role,
        min_count=config.disclosure.min_count,
        selection=selection,
        lsoas=lsoas,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def disproportionality_list_audit(
    fingerprint: str,
    version: str,
    role: str,
    data: bytes,
    file_name: str,
    reference: str,
    lsoas: tuple[str, ...],
    age_band: str | None,
) -> dp.Audit:
    """An uploaded list-type feed (counts by group) against the census population."""
    config = get_config()
    listed = read_ethnicity_list(data, file_name)
    counts = dp.list_counts(
        listed.frame, group=listed.group, count=listed.count, scheme=listed.scheme
    )
    return dp.run_counts_audit(
        counts,
        store_as(config, role),
        reference=reference,
        role=role,
        min_count=config.disclosure.min_count,
        lsoas=lsoas,
        age_band=age_band,
        area=get_area(config),
    )


# --- Youth work page (coverage, gaps, planner; issue 7) --------------------------------------
import geo.lenses.coverage as cv  # noqa: E402  (appended section; keeps the top untouched)
import geo.lenses.coverage_view as cview  # noqa: E402
from geo.disclosure import check_resolution as _check_resolution  # noqa: E402


@st.cache_data(show_spinner="Analysing youth-work coverage…", max_entries=16)
def coverage_analysis(
    fingerprint: str, version: str, role: str, filters: Filters, settings: cv.CoverageSettings
) -> cv.CoverageAnalysis:
    """Need, coverage and ranked gaps (reasons built for ``role`` by ``settings``)."""
    config = get_config()
    _check_resolution(role, settings.res, config)
    return cv.analyse(store_as(config, role), get_area(config), filters, settings)


@st.cache_data(show_spinner=False, max_entries=8)
def health_sites(fingerprint: str, version: str) -> pd.DataFrame:
    """Stored health sites (A&E, GP surgeries, sexual-health clinics)."""
    return cview.health_sites(get_store(get_config()))


@st.cache_data(show_spinner=False, max_entries=32)
def coverage_gaps(
    fingerprint: str, version: str, role: str, filters: Filters, settings: cv.CoverageSettings
) -> pd.DataFrame:
    """The ranked gaps as ``role`` may see them, with the nearest health site."""
    analysis = coverage_analysis(fingerprint, version, role, filters, settings)
    sites = health_sites(fingerprint, version)
    return cview.role_gaps(analysis.gaps, sites, role, settings.res, get_config())


@st.cache_data(show_spinner=False, max_entries=16)
def coverage_map_layers(
    fingerprint: str,
    version: str,
    role: str,
    filters: Filters,
    settings: cv.CoverageSettings,
    allowed: tuple[str, ...],
) -> tuple[HexLayer, ...]:
    """Gap cells, youth-work coverage outline and health sites for the map."""
    analysis = coverage_analysis(fingerprint, version, role, filters, settings)
    gaps = coverage_gaps(fingerprint, version, role, filters, settings)
    shown = cview.gaps_in_blocks(gaps, allowed)
    named_from = store_as(get_config(), role)  # names come from public sources only
    return (
        layers.named_layer(coverage_layers.gap_layer(shown, settings.blocks), named_from),
        coverage_layers.coverage_layer(analysis.hours, analysis.weeks, allowed, settings.reach_m),
        coverage_layers.sites_layer(health_sites(fingerprint, version), settings.res),
    )


@st.cache_data(show_spinner=False, max_entries=32)
def coverage_problem(
    fingerprint: str,
    version: str,
    role: str,
    filters: Filters,
    settings: cv.CoverageSettings,
    allowed: tuple[str, ...],
    fixed: tuple[tuple[str, str], ...],
) -> ywp.CoverProblem:
    """The deployment problem (sensitive cells left out for the partnership)."""
    analysis = coverage_analysis(fingerprint, version, role, filters, settings)
    return cview.plan_problem(analysis, role, get_config(), allowed, fixed)


@st.cache_data(show_spinner="Planning deployments…", max_entries=32)
def coverage_plan(
    fingerprint: str,
    version: str,
    role: str,
    filters: Filters,
    settings: cv.CoverageSettings,
    allowed: tuple[str, ...],
    fixed: tuple[tuple[str, str], ...],
    k: int,
) -> ywp.Plan:
    """The greedy plan of ``k`` weekly deployments."""
    problem = coverage_problem(fingerprint, version, role, filters, settings, allowed, fixed)
    return ywp.plan_greedy(problem, k)


@st.cache_data(show_spinner="Solving exactly (MILP, up to 30 s)…", max_entries=16)
def coverage_plan_exact(
    fingerprint: str,
    version: str,
    role: str,
    filters: Filters,
    settings: cv.CoverageSettings,
    allowed: tuple[str, ...],
    fixed: tuple[tuple[str, str], ...],
    k: int,
) -> ywp.Plan:
    """The exact plan (scipy.optimize.milp), or status ``too_large``."""
    problem = coverage_problem(fingerprint, version, role, filters, settings, allowed, fixed)
    return ywp.plan_exact(problem, k)


# --- This quarter (the quarter's story) --------------------------------------------------------
from geo.lenses import story as story_mod  # noqa: E402


@st.cache_data(show_spinner="Reading the quarter…", max_entries=16)
def quarter_story(
    fingerprint: str, version: str, role: str, res: int, quarter: Filters
) -> tuple[story_mod.QuarterStory, tuple[str, ...], HexLayer]:
    """The quarter's story for ``role`` at ``res``: the places, their names (public
    sources only) and the map layer. Hot spot months come from the same reports as the
    Hot spots page (:func:`hotspot_report` with ``quarter`` as the chosen period)."""
    config = get_config()
    store = store_as(config, role)
    reports = {
        layer: hotspot_report(fingerprint, version, role, layer, res, quarter)
        for layer in story_mod.STORY_LAYERS
    }
    exact = as_role(role).sees_exact_counts
    min_records = 0 if exact else config.disclosure.min_count
    told = story_mod.quarter_story(store, reports, quarter, res, exact, min_records)
    names = tuple(str(n) for n in place_names(store, list(told.places["cell"]), res))
    layer = layers.story_layer(told, names, role, res, config)
    return told, names, layer
