"""Cached wrappers of the Schools page: open schools, the ranking of harm near each, and
exclusions and managed moves."""

from __future__ import annotations

import pandas as pd

from geo.core.filters import Filters
from geo.disclosure import as_role
from geo.lenses import missing, school_outcomes
from geo.lenses import schools as schools_lens
from geo.store import queries as overview
from ui.cache.base import (
    analysis_window,
    cache_data,
    get_area,
    get_config,
    get_store,
    store_as,
)

__all__ = ["school_outcome_groups", "school_outcome_tables", "school_ranking", "schools"]


@cache_data(show_spinner=False, max_entries=16)
def schools(fingerprint: str, version: str) -> pd.DataFrame:
    """Open schools."""
    return overview.schools(get_store(get_config()))


@cache_data(show_spinner="Ranking schools…", max_entries=16)
def school_ranking(
    fingerprint: str, version: str, role: str, filters: Filters, distance_m: float
) -> pd.DataFrame:
    """Every open school ranked, disclosure-controlled for ``role``."""
    config = get_config()
    store = store_as(config, role)
    children = None
    if as_role(role).is_published_to:
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


@cache_data(show_spinner=False, max_entries=16)
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


@cache_data(show_spinner=False, max_entries=32)
def school_outcome_groups(
    fingerprint: str, version: str, filters: Filters, urn: str
) -> pd.DataFrame:
    """One school's exclusions and managed moves by group (analysts only)."""
    frame = school_outcomes.outcomes(get_store(get_config()), filters)
    return school_outcomes.school_groups(frame, urn)
