"""Stop and search by ethnic group: searches counted under a selection, and hit rates.

Searches come from the store (located, inside the study area) or from a police.uk file
read whole (:func:`geo.ingest.sources.stop_search_file.read_stop_search_file`) for a
force-wide audit. Ethnicity is self-defined or officer-defined
(:data:`geo.core.ethnicity.SELF_DEFINED_TO_GROUP`, ``OFFICER_DEFINED_TO_GROUP``).

**Hit rate**: the share of searches whose outcome was linked to the object of search
(police.uk ``Outcome linked to object of search``), with a Wilson 95 % interval
(:func:`geo.stats.rates.wilson_interval`). Where a feed leaves that column blank (the
Met's 2016 files do), the proxy is the share with an outcome other than no further
action, and the result says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from geo.core.ethnicity import COUNT_GROUPS, GROUP_INDEX, category_key, group_codes
from geo.core.filters import Filters
from geo.lenses.census_populations import within_areas
from geo.lenses.ethnicity_counts import (
    CAVEATS,
    GroupCounts,
    PeriodBy,
    blank_values,
    counts_frame,
    period_index,
    rows_in_period,
    select_rows,
)
from geo.stats.rates import proportions, wilson_interval, z_value
from geo.store.database import Store

__all__ = [
    "AGE_RANGES",
    "NO_FURTHER_ACTION",
    "HitBasis",
    "HitRates",
    "SearchSelection",
    "hit_rate",
    "stop_search_counts",
    "stop_search_options",
]

HitBasis = Literal["auto", "linked", "outcome"]

#: police.uk age ranges, youngest first.
AGE_RANGES: Final[tuple[str, ...]] = ("under 10", "10-17", "18-24", "25-34", "over 34")
#: police.uk outcomes meaning no further action (both vintages).
NO_FURTHER_ACTION: Final[tuple[str, ...]] = (
    "Nothing found - no further action",
    "A no further action disposal",
    "No further action",
)
_SEARCH_COLUMNS: Final[tuple[str, ...]] = (
    "searched_at",
    "sex",
    "age_range",
    "self_defined_ethnicity",
    "officer_defined_ethnicity",
    "object_of_search",
    "outcome",
    "outcome_linked",
)
_ETHNICITY_COLUMN: Final[Mapping[str, str]] = {
    "self": "self_defined_ethnicity",
    "officer": "officer_defined_ethnicity",
}


@dataclass(frozen=True)
class SearchSelection:
    """Which stop-and-search records to count (hashable, so it can key caches).

    Each field lists the values to keep (case-insensitive); empty keeps all,
    including blanks.

    Attributes
    ----------
    age_ranges : tuple of str
        police.uk age ranges (:data:`AGE_RANGES`), e.g. ``("10-17",)``.
    sexes : tuple of str
        ``male``, ``female``, ``other``.
    objects : tuple of str
        Objects of search as published ("Controlled drugs", "Offensive weapons"...).
    outcomes : tuple of str
        Outcomes as published.
    """

    age_ranges: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()

    def criteria(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """``(label, column, allowed)`` in the order rows are tested."""
        return [
            ("age range", "age_range", self.age_ranges),
            ("sex", "sex", self.sexes),
            ("object of search", "object_of_search", self.objects),
            ("outcome", "outcome", self.outcomes),
        ]

    def describe(self) -> str:
        """Plain-English description ("aged 10-17, male")."""
        parts = []
        if self.age_ranges:
            parts.append("aged " + " or ".join(self.age_ranges))
        if self.sexes:
            parts.append(" or ".join(self.sexes))
        if self.objects:
            parts.append("for " + " or ".join(o.lower() for o in self.objects))
        if self.outcomes:
            parts.append("outcome " + " or ".join(o.lower() for o in self.outcomes))
        return ", ".join(parts) if parts else "all searches"


def _search_rows(
    source: pd.DataFrame | Store, filters: Filters | None, lsoas: Sequence[str] = ()
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The stop-and-search columns this module needs, from a frame or the store
    (only the store's rows can be restricted to chosen areas: they are located)."""
    if isinstance(source, Store):
        cols = ", ".join(_SEARCH_COLUMNS)
        where, params = "", []
        if filters is not None:
            start, end = filters.bounds()
            where, params = " WHERE searched_at >= ? AND searched_at < ?", [start, end]
        if not lsoas:
            return source.query(f"SELECT {cols} FROM stop_search{where}", params), {}
        frame = source.query(f"SELECT {cols}, cell_10 FROM stop_search{where}", params)
        return within_areas(frame, source, lsoas)
    if lsoas:
        raise ValueError("a file's searches cannot be restricted to areas: load it into the store")
    missing = [c for c in _SEARCH_COLUMNS if c not in source.columns]
    if missing:
        raise ValueError(
            "not a canonical stop_search frame (use read_stop_search_file); missing "
            + ", ".join(missing)
        )
    return rows_in_period(source.loc[:, list(_SEARCH_COLUMNS)], "searched_at", filters)


def _year_caveat(stamps: pd.Series) -> tuple[str, ...]:
    if stamps.empty:
        return ()
    years = pd.to_datetime(stamps).dt.year
    far = (years.min() < 2019) or (years.max() > 2023)
    return (CAVEATS["census_year"],) if far else ()


def stop_search_counts(
    source: pd.DataFrame | Store,
    scheme: Literal["self", "officer"] = "self",
    selection: SearchSelection | None = None,
    filters: Filters | None = None,
    by: PeriodBy | None = None,
    lsoas: Sequence[str] = (),
) -> GroupCounts:
    """Stop-and-search records by ethnic group, every record accounted for.

    Parameters
    ----------
    source : DataFrame or Store
        Canonical ``stop_search`` rows
        (:func:`geo.ingest.sources.stop_search_file.read_stop_search_file`) or the store.
    scheme : {"self", "officer"}
        Self-defined or officer-defined ethnicity.
    selection : SearchSelection, optional
        Age range, sex, object of search and outcome filters.
    filters : Filters, optional
        Months to include (by ``searched_at``); a frame's rows outside them are
        counted as excluded, the store's are not read.
    by : {"month", "quarter"}, optional
        Split by period (every period from the first to the last, zeros included).
    lsoas : sequence of str
        Keep only searches located in these areas
        (:func:`geo.lenses.census_populations.area_cells`; store only); the others are
        counted as excluded "outside the chosen areas".

    Returns
    -------
    GroupCounts
        ``rows`` = records read, ``excluded`` = records outside the selection by
        the first filter they fail, counts include ``not_recorded`` and ``unmapped``.
    """
    if scheme not in _ETHNICITY_COLUMN:
        raise ValueError("scheme must be 'self' or 'officer'")
    sel = selection or SearchSelection()
    frame, excluded = _search_rows(source, filters, lsoas)
    rows = len(frame) + sum(excluded.values())
    keep, more = select_rows(frame, sel.criteria())
    excluded.update(more)
    chosen = frame.loc[keep].reset_index(drop=True)
    codes = group_codes(chosen[_ETHNICITY_COLUMN[scheme]], scheme)
    if by is None:
        table = counts_frame(codes)
    else:
        pidx, labels = period_index(chosen["searched_at"], by)
        table = counts_frame(codes, pidx, labels)
    caveats: list[str] = [CAVEATS["events_not_people"]]
    not_applicable: dict[str, str] = {}
    if scheme == "officer":
        caveats.append(CAVEATS["officer_defined"])
        all_codes = group_codes(frame["officer_defined_ethnicity"], "officer")
        if not (all_codes == GROUP_INDEX["mixed"]).any():
            not_applicable["mixed"] = (
                "officer-defined ethnicity in this feed has no Mixed category: not calculable"
            )
    else:
        caveats.append(CAVEATS["self_defined"])
    caveats.extend(_year_caveat(frame["searched_at"]))
    label = "self-defined" if scheme == "self" else "officer-defined"
    subject = f"stop and search ({label} ethnicity; {sel.describe()})"
    return GroupCounts(table, subject, "searches", rows, excluded, not_applicable, tuple(caveats))


@dataclass(frozen=True)
class HitRates:
    """Hit rates by group.

    Attributes
    ----------
    table : DataFrame
        ``group``, ``searches`` (with the outcome measure recorded), ``hits``,
        ``hit_rate`` (0-1), ``ci_low``, ``ci_high`` (Wilson), ``note``.
    basis : {"linked", "outcome"}
        ``linked``: outcome linked to the object of search; ``outcome``: the proxy
        (any outcome other than no further action).
    caveats : tuple of str
    not_measured : int
        Selected searches left out because the measure was not recorded for them.
    """

    table: pd.DataFrame
    basis: str
    caveats: tuple[str, ...]
    not_measured: int


def hit_rate(
    source: pd.DataFrame | Store,
    scheme: Literal["self", "officer"] = "self",
    selection: SearchSelection | None = None,
    filters: Filters | None = None,
    basis: HitBasis = "auto",
    confidence: float = 0.95,
    lsoas: Sequence[str] = (),
) -> HitRates:
    """Share of searches that found what was searched for, by ethnic group.

    Parameters
    ----------
    source, scheme, selection, filters, lsoas
        As for :func:`stop_search_counts`.
    basis : {"auto", "linked", "outcome"}
        ``auto`` uses ``outcome_linked`` when any selected search records it,
        otherwise the outcome proxy (see module docstring).
    confidence : float
        Level of the Wilson interval.
    """
    if scheme not in _ETHNICITY_COLUMN:
        raise ValueError("scheme must be 'self' or 'officer'")
    if basis not in ("auto", "linked", "outcome"):
        raise ValueError("basis must be 'auto', 'linked' or 'outcome'")
    sel = selection or SearchSelection()
    frame, _ = _search_rows(source, filters, lsoas)
    keep, _ = select_rows(frame, sel.criteria())
    chosen = frame.loc[keep].reset_index(drop=True)
    linked = chosen["outcome_linked"]
    linked_known = linked.notna().to_numpy()
    used = "linked" if basis == "linked" or (basis == "auto" and linked_known.any()) else "outcome"
    if used == "linked":
        measured = linked_known
        hit = measured & linked.astype(object).where(linked_known, False).astype(bool).to_numpy()
    else:
        measured = ~blank_values(chosen["outcome"])
        nfa = {category_key(o) for o in NO_FURTHER_ACTION}
        text = chosen["outcome"].astype(object).where(measured, "").astype(str)
        codes, uniques = pd.factorize(text)
        is_nfa = np.array([category_key(u) in nfa for u in uniques] + [False], dtype=bool)[codes]
        hit = measured & ~is_nfa
    groups = group_codes(chosen[_ETHNICITY_COLUMN[scheme]], scheme)
    n_groups = len(COUNT_GROUPS)
    searches = np.bincount(groups[measured], minlength=n_groups).astype(float)
    hits = np.bincount(groups[hit], minlength=n_groups).astype(float)
    low, high = wilson_interval(hits, searches, z_value(confidence))
    rate = proportions(hits, searches)
    note = np.where(searches > 0, "", "no searches with the measure recorded")
    table = pd.DataFrame(
        {
            "group": list(COUNT_GROUPS),
            "searches": searches.astype(np.int64),
            "hits": hits.astype(np.int64),
            "hit_rate": rate,
            "ci_low": low,
            "ci_high": high,
            "note": note.astype(object),
        }
    )
    caveats = [CAVEATS["hit_rate"]]
    if used == "outcome":
        caveats.append(CAVEATS["hit_rate_proxy"])
    return HitRates(table, used, tuple(caveats), int((~measured).sum()))


def stop_search_options(store: Store) -> dict[str, list[str]]:
    """Values present in the store for the stop-and-search filters (menus)."""
    out: dict[str, list[str]] = {}
    for column in ("age_range", "sex", "object_of_search", "outcome"):
        frame = store.query(
            f"SELECT DISTINCT {column} AS v FROM stop_search WHERE {column} IS NOT NULL ORDER BY 1"
        )
        out[column] = [str(v) for v in frame["v"]]
    order = {a: i for i, a in enumerate(AGE_RANGES)}
    out["age_range"].sort(key=lambda a: order.get(a, len(order)))
    return out
