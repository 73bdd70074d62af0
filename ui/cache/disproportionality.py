"""Cached wrappers of the Disproportionality page: its menus, each measure's audit and
trend, stop-and-search hit rates and the audit of an uploaded list."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pandas as pd

import geo.lenses.disproportionality as dp
from geo.core.filters import Filters
from geo.ingest.sources.ethnicity_list import read_ethnicity_list
from ui.cache.base import cache_data, get_area, get_config, get_store, store_as

__all__ = [
    "disproportionality_audit",
    "disproportionality_hit_rate",
    "disproportionality_list_audit",
    "disproportionality_menus",
    "disproportionality_trend",
]

_Result = TypeVar("_Result")


@cache_data(show_spinner=False, max_entries=16)
def disproportionality_menus(
    fingerprint: str, version: str
) -> tuple[pd.DataFrame, list[str], dict[str, list[str]]]:
    """Sub-area choices (LSOAs with census rows), population age bands and the
    stop-and-search filter values held in the store."""
    store = get_store(get_config())
    return dp.area_choices(store), dp.population_age_bands(store), dp.stop_search_options(store)


def _run_measure(
    run: Callable[..., _Result],
    role: str,
    measure: str,
    filters: Filters,
    reference: str,
    selection: dp.SearchSelection,
    lsoas: tuple[str, ...],
    age_band: str | None,
) -> _Result:
    """``run`` (:func:`dp.run_audit` or :func:`dp.run_trend`) on ``role``'s store with the
    page's choices and the configured threshold."""
    config = get_config()
    return run(
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


@cache_data(show_spinner="Auditing…", max_entries=64)
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
    return _run_measure(dp.run_audit, role, measure, filters, reference, selection, lsoas, age_band)


@cache_data(show_spinner=False, max_entries=32)
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
    return _run_measure(dp.run_trend, role, measure, filters, reference, selection, lsoas, age_band)


@cache_data(show_spinner=False, max_entries=32)
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


@cache_data(show_spinner=False, max_entries=8)
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
