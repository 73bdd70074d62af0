"""Disproportionality audit: rates per 1,000 and relative rate indices by ethnic group.

The partnership's scrutiny asked for audits of who is stopped and searched, excluded
or moved between schools, recorded in serious youth violence, reported missing or
listed on a gangs matrix, compared with the local population (DESIGN §5).

This module is what the Disproportionality page and the review pack call: the
auditable measures held in the store (:data:`MEASURES`) and one entry point per
result (:func:`run_audit`, :func:`run_trend`, :func:`run_hit_rate`,
:func:`run_list_audit`). The audit is built by stage:

* ethnic groups and the published wordings mapped to them: :mod:`geo.core.ethnicity`;
* a police.uk file or an uploaded list read without the store:
  :mod:`geo.ingest.sources.stop_search_file`, :mod:`geo.ingest.sources.ethnicity_list`;
* records counted by group, every record accounted for: :mod:`geo.lenses.ethnicity_counts`,
  :mod:`geo.lenses.stop_search` (and hit rates), :mod:`geo.lenses.feed_counts`;
* Census 2021 denominators and sub-areas: :mod:`geo.lenses.census_populations`;
* rates, RRIs and their intervals on arrays: :mod:`geo.stats.rates`;
* the RRI table, its findings in words and the audit of one feed: :mod:`geo.lenses.rri_audit`;
* what the partnership may see (the only withholding): :mod:`geo.disclosure.rates`;
* chart data and the tables people read: :mod:`geo.render.charts`, :mod:`geo.render.rate_tables`.

The names of those modules the page, the cache, the pack and the tests use are also
importable from here (re-exports, listed in ``__all__``).

An uploaded list file is read by ingest
(:func:`geo.ingest.sources.ethnicity_list.read_ethnicity_list`), counted here with
:func:`list_counts` and audited with :func:`run_counts_audit`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

import pandas as pd

from geo.core.area import StudyArea
from geo.core.ethnicity import (  # re-exports: pages, tests and bench use dp.<name>
    CENSUS_TO_GROUP,
    COUNT_GROUPS,
    GROUP_LABELS,
    GROUPS,
    map_ethnicity,
)
from geo.core.filters import Filters
from geo.disclosure.rates import (  # WITHHELD_RULES, disclose: re-exports (tests, bench)
    WITHHELD_RULES,
    disclose,
    disclose_hit_rates,
)
from geo.lenses.census_populations import (  # re-exports: ui, pack, tests use dp.<name>
    AGE_SEPARATOR,
    OUTSIDE_AREAS,
    Denominators,
    area_choices,
    census_areas,
    census_denominators,
    schools_in_areas,
)
from geo.lenses.ethnicity_counts import (  # re-exports: pack, tests use dp.<name>
    CAVEATS,
    GroupCounts,
    PeriodBy,
    counts_from_frame,
    list_counts,
)
from geo.lenses.feed_counts import (  # re-exports: pages, tests, bench use dp.<name>
    SCHOOL_MEASURES,
    incident_group_counts,
    missing_counts,
    school_outcome_counts,
)
from geo.lenses.rri_audit import (  # re-exports: ui, pack, tests use dp.<name>
    RRI_COLUMNS,
    Audit,
    audit,
    finding_sentence,
    findings,
    relative_rate_index,
    trend,
)
from geo.lenses.stop_search import (  # re-exports: ui, pages, pack, tests use dp.<name>
    AGE_RANGES,
    HitRates,
    SearchSelection,
    hit_rate,
    stop_search_counts,
    stop_search_options,
)
from geo.store.database import Store

__all__ = [
    # defined here
    "MEASURES",
    "SUBAREA_IGNORED",
    "MeasureSpec",
    "measure_counts",
    "population_age_bands",
    "run_audit",
    "run_counts_audit",
    "run_hit_rate",
    "run_trend",
    # re-exported (see the import lines)
    "CAVEATS",
    "CENSUS_TO_GROUP",
    "COUNT_GROUPS",
    "GROUPS",
    "GROUP_LABELS",
    "OUTSIDE_AREAS",
    "SCHOOL_MEASURES",
    "WITHHELD_RULES",
    "Audit",
    "Denominators",
    "GroupCounts",
    "HitRates",
    "SearchSelection",
    "area_choices",
    "audit",
    "census_areas",
    "census_denominators",
    "counts_from_frame",
    "disclose",
    "finding_sentence",
    "findings",
    "hit_rate",
    "incident_group_counts",
    "list_counts",
    "map_ethnicity",
    "missing_counts",
    "relative_rate_index",
    "school_outcome_counts",
    "schools_in_areas",
    "stop_search_counts",
    "stop_search_options",
    "trend",
]


# --------------------------------------------------------------------------------------------
# the page's audits: one call per measure, for the Disproportionality page and the briefing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureSpec:
    """One auditable measure held in the store.

    Attributes
    ----------
    label : str
        Menu text.
    verb, subject : str
        Wording of the findings ("were excluded", "young people").
    locatable : bool
        Records have a location, so a sub-area restricts the counts as well as the
        population (missing episodes carry only a coarse home area: not locatable).
    age_band : str or None
        The population age band used unless another is chosen.
    """

    label: str
    verb: str
    subject: str
    locatable: bool
    age_band: str | None


#: The measures the page offers, keyed as passed to :func:`run_audit`.
MEASURES: Final[Mapping[str, MeasureSpec]] = {
    "stop_search_self": MeasureSpec(
        "Stop and search (self-defined ethnicity)",
        "were stopped and searched",
        "people",
        True,
        None,
    ),
    "stop_search_officer": MeasureSpec(
        "Stop and search (officer-defined ethnicity)",
        "were stopped and searched",
        "people",
        True,
        None,
    ),
    "fixed_term_exclusion": MeasureSpec(
        "Fixed-term exclusions", "were excluded for a fixed term", "young people", True, "10-17"
    ),
    "managed_move": MeasureSpec(
        "Managed moves", "were moved between schools", "young people", True, "10-17"
    ),
    "permanent_exclusion": MeasureSpec(
        "Permanent exclusions", "were permanently excluded", "young people", True, "10-17"
    ),
    "syv_incidents": MeasureSpec(
        "Serious youth violence (ethnicity recorded on the incident)",
        "were recorded in serious youth violence",
        "young people",
        True,
        "10-17",
    ),
    "missing_children": MeasureSpec(
        "Children reported missing", "were reported missing", "children", False, "10-17"
    ),
    "missing_episodes": MeasureSpec(
        "Missing episodes", "were reported missing", "children", False, "10-17"
    ),
}

SUBAREA_IGNORED: Final = (
    "Missing episodes record only a coarse home area, not an LSOA, so they cannot be placed "
    "in the chosen sub-area: the whole study area is used for this measure."
)


def population_age_bands(store: Store) -> list[str]:
    """Age bands held as ethnicity-by-age populations (``"<group> | <band>"`` measures)."""
    frame = store.query(
        "SELECT DISTINCT split_part(measure, ?, 2) AS band FROM area_stats "
        "WHERE contains(measure, ?) ORDER BY 1",
        [AGE_SEPARATOR, AGE_SEPARATOR],
    )
    bands = [str(b) for b in frame["band"] if str(b)]
    order = {b: i for i, b in enumerate(AGE_RANGES)}
    return sorted(bands, key=lambda b: (order.get(b, len(order)), b))


def _school_periods(store: Store, filters: Filters | None) -> tuple[str, ...] | None:
    """Labels of the school-outcome periods starting inside the filters' months (None:
    all periods; an empty tuple: none)."""
    if filters is None:
        return None
    exists = store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'school_outcomes'"
    )
    if not exists:
        return None
    start, end = filters.bounds()
    frame = store.query(
        "SELECT DISTINCT period FROM school_outcomes WHERE period_start >= ? AND period_start < ?",
        [start, end],
    )
    return tuple(sorted(str(p) for p in frame["period"]))


def measure_counts(
    store: Store,
    measure: str,
    filters: Filters | None = None,
    selection: SearchSelection | None = None,
    lsoas: Sequence[str] = (),
    by: PeriodBy | None = None,
) -> GroupCounts:
    """Counts by group for one of :data:`MEASURES` (``lsoas`` ignored for measures that
    are not locatable; school outcomes count the terms starting within ``filters``)."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    areas = tuple(lsoas) if MEASURES[measure].locatable else ()
    if measure in ("stop_search_self", "stop_search_officer"):
        scheme: Literal["self", "officer"] = "self" if measure == "stop_search_self" else "officer"
        return stop_search_counts(store, scheme, selection, filters, by, lsoas=areas)
    if measure in SCHOOL_MEASURES:
        urns = schools_in_areas(store, areas) if areas else ()
        if areas and not urns:
            urns = ("",)  # no school in the chosen areas: count nothing
        periods = _school_periods(store, filters)
        if periods == ():
            periods = ("",)  # no term starts in the window: count nothing
        return school_outcome_counts(
            store, measure, urns, periods=periods or (), by_period=by is not None
        )
    if measure == "syv_incidents":
        return incident_group_counts(store, filters, by=by, lsoas=areas)
    unit: Literal["children", "episodes"] = (
        "children" if measure == "missing_children" else "episodes"
    )
    return missing_counts(store, filters, unit, by=by)


def _measure_denominators(
    store: Store,
    measure: str,
    lsoas: Sequence[str],
    age_band: str | None,
    area: StudyArea | None = None,
) -> tuple[Denominators, list[str]]:
    spec = MEASURES[measure]
    notes: list[str] = []
    areas: Sequence[str] | None = tuple(lsoas) if lsoas else None
    if areas is not None and not spec.locatable:
        areas = None
        notes.append(SUBAREA_IGNORED)
    return census_denominators(store, areas, age_band, area=area), notes


def run_audit(
    store: Store,
    measure: str,
    *,
    filters: Filters | None = None,
    reference: str = "white",
    role: str = "analyst",
    min_count: int,
    selection: SearchSelection | None = None,
    lsoas: Sequence[str] = (),
    age_band: str | None = None,
    area: StudyArea | None = None,
) -> Audit:
    """The audit of one stored measure: counts, census denominators for the same
    (sub-)area and age band, disclosure for ``role``, caveats and findings.

    A pure function of the store, for the page and for the briefing pack
    (``run_audit(...).findings``).
    """
    spec = MEASURES.get(measure)
    if spec is None:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    counts = measure_counts(store, measure, filters, selection, lsoas)
    den, notes = _measure_denominators(store, measure, lsoas, age_band, area)
    result = audit(
        counts, den, reference, role, min_count=min_count, verb=spec.verb, subject=spec.subject
    )
    if notes:
        result = replace(result, caveats=(*notes, *result.caveats))
    return result


def run_trend(
    store: Store,
    measure: str,
    *,
    filters: Filters | None = None,
    reference: str = "white",
    role: str = "analyst",
    min_count: int,
    selection: SearchSelection | None = None,
    lsoas: Sequence[str] = (),
    age_band: str | None = None,
    area: StudyArea | None = None,
    by: PeriodBy = "quarter",
) -> pd.DataFrame:
    """RRIs per period (school terms for school outcomes), disclosed for ``role``."""
    counts = measure_counts(store, measure, filters, selection, lsoas, by=by)
    if "period" not in counts.counts.columns:
        return pd.DataFrame(columns=["period", *RRI_COLUMNS, "withheld"])
    den, _ = _measure_denominators(store, measure, lsoas, age_band, area)
    return disclose(trend(counts, den, reference), role, min_count, reference).table


def run_hit_rate(
    store: Store,
    measure: str,
    *,
    filters: Filters | None = None,
    role: str = "analyst",
    min_count: int,
    selection: SearchSelection | None = None,
    lsoas: Sequence[str] = (),
) -> HitRates | None:
    """Disclosed hit rates for a stop-and-search measure (None for other measures)."""
    if measure not in ("stop_search_self", "stop_search_officer"):
        return None
    scheme: Literal["self", "officer"] = "self" if measure == "stop_search_self" else "officer"
    hits = hit_rate(store, scheme, selection, filters, lsoas=tuple(lsoas))
    table, rules = disclose_hit_rates(
        hits.table,
        role,
        min_count,
        all_searches=lambda: (
            stop_search_counts(store, scheme, selection, filters, lsoas=tuple(lsoas)).counts
        ),
    )
    return HitRates(table, hits.basis, (*hits.caveats, *rules), hits.not_measured)


def run_counts_audit(
    counts: GroupCounts,
    store: Store,
    *,
    reference: str = "white",
    role: str = "analyst",
    min_count: int,
    lsoas: Sequence[str] = (),
    age_band: str | None = None,
    area: StudyArea | None = None,
) -> Audit:
    """The audit of a list-type feed's counts (:func:`list_counts`) against the census
    population of the chosen (sub-)area (the list is taken to be for that area)."""
    den = census_denominators(store, tuple(lsoas) if lsoas else None, age_band, area=area)
    return audit(counts, den, reference, role, min_count=min_count, verb="were listed")
