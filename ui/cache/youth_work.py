"""Cached wrappers of the Youth work page: need, coverage and gaps, the map layers, and the
greedy and exact deployment plans."""

from __future__ import annotations

import pandas as pd

import geo.lenses.coverage as cv
import geo.lenses.coverage_view as cview
from geo.core.filters import Filters
from geo.disclosure import check_resolution
from geo.lenses import youth_work_plan as ywp
from geo.render import coverage_layers, layers
from geo.render.hexlayer import HexLayer
from ui.cache.base import cache_data, get_area, get_config, get_store, store_as

__all__ = [
    "coverage_analysis",
    "coverage_gaps",
    "coverage_map_layers",
    "coverage_plan",
    "coverage_plan_exact",
    "coverage_problem",
    "health_sites",
]


@cache_data(show_spinner="Analysing youth-work coverage…", max_entries=16)
def coverage_analysis(
    fingerprint: str, version: str, role: str, filters: Filters, settings: cv.CoverageSettings
) -> cv.CoverageAnalysis:
    """Need, coverage and ranked gaps (reasons built for ``role`` by ``settings``)."""
    config = get_config()
    check_resolution(role, settings.res, config)
    return cv.analyse(store_as(config, role), get_area(config), filters, settings)


@cache_data(show_spinner=False, max_entries=8)
def health_sites(fingerprint: str, version: str) -> pd.DataFrame:
    """Stored health sites (A&E, GP surgeries, sexual-health clinics)."""
    return cview.health_sites(get_store(get_config()))


@cache_data(show_spinner=False, max_entries=32)
def coverage_gaps(
    fingerprint: str, version: str, role: str, filters: Filters, settings: cv.CoverageSettings
) -> pd.DataFrame:
    """The ranked gaps as ``role`` may see them, with the nearest health site."""
    analysis = coverage_analysis(fingerprint, version, role, filters, settings)
    sites = health_sites(fingerprint, version)
    return cview.role_gaps(analysis.gaps, sites, role, settings.res, get_config())


@cache_data(show_spinner=False, max_entries=16)
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


@cache_data(show_spinner=False, max_entries=32)
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


@cache_data(show_spinner="Planning deployments…", max_entries=32)
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


@cache_data(show_spinner="Solving exactly (MILP, up to 30 s)…", max_entries=16)
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
