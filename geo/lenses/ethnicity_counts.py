"""Records counted by ethnic group for the disproportionality audit, every record accounted for.

Every record is counted in exactly one of :data:`geo.core.ethnicity.COUNT_GROUPS`: a
census group, ``not_recorded`` (blank, "not stated") or ``unmapped`` (a value none of
the mapping tables knows). Unrecorded records are never dropped: they are shown with
their share and have no rate, because they have no population. Records left out by a
selection are counted by the first filter they fail, so ``rows`` always equals the
records counted plus those excluded (:class:`GroupCounts`).

This module holds the counting shared by every feed (groups by period, selections, an
aggregate or list feed) and the standing caveats (:data:`CAVEATS`); the feeds are
counted in :mod:`geo.lenses.stop_search` and :mod:`geo.lenses.feed_counts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.ethnicity import (
    COUNT_GROUPS,
    NOT_RECORDED,
    UNMAPPED,
    Scheme,
    category_key,
    group_codes,
)
from geo.core.filters import Filters, month_quarter_label

__all__ = [
    "CAVEATS",
    "GroupCounts",
    "PeriodBy",
    "blank_values",
    "counts_frame",
    "counts_from_frame",
    "ethnicity_counts",
    "in_list_sql",
    "list_counts",
    "period_index",
    "rows_in_period",
    "select_rows",
]

PeriodBy = Literal["month", "quarter"]

#: Standing caveats shown with every audit (fixed text, safe for HTML).
CAVEATS: Final[Mapping[str, str]] = {
    "resident_population": (
        "Rates use resident populations (Census 2021). People who travel in — to schools, "
        "town centres and the night-time economy — are counted in the events but not in the "
        "population, so rates are overstated where many visitors are involved, and an RRI can "
        "be biased either way if visitors' ethnic mix differs from residents'."
    ),
    "small_numbers": (
        "Small numbers give wide intervals: where a 95 % interval includes 1, the difference "
        "may be chance. Counts from a single month or a small area are especially unstable."
    ),
    "events_not_people": (
        "Counts are events (searches, episodes, exclusions), not people: someone recorded "
        "several times counts several times."
    ),
    "unrecorded": (
        "Records with no ethnicity are shown but have no rate. If they are not spread across "
        "groups like the recorded ones, every rate and RRI is biased."
    ),
    "all_ages": (
        "The population table has no ethnicity by age, so rates use all ages. Groups whose "
        "residents are younger will look more over-represented among young people than they are."
    ),
    "self_defined": (
        "Self-defined ethnicity is mapped to the five census groups (Chinese counts as Asian "
        "and Arab as Other, as in Census 2021; 'not stated' counts as not recorded)."
    ),
    "officer_defined": (
        "Officer-defined ethnicity is the officer's perception. Older police.uk files have "
        "four groups and no Mixed, so people of mixed heritage are counted in another group "
        "and the Mixed RRI is not calculable."
    ),
    "census_year": (
        "The population is from Census 2021; events from years far from 2021 are compared with "
        "a population that may have changed."
    ),
    "school_population": (
        "Exclusions and managed moves are compared with the resident population, not pupils on "
        "roll: pupils travel in from and out to other areas, and only school-age residents "
        "can be excluded."
    ),
    "incident_roles": (
        "Incidents carry one ethnicity per record; a feed of victims and a feed of suspects "
        "must be loaded as separate sources to be audited apart."
    ),
    "hit_rate": (
        "A lower hit rate for a group can mean searches on weaker grounds; it does not by "
        "itself show why."
    ),
    "hit_rate_proxy": (
        "This feed does not record whether the outcome was linked to the object of search, so "
        "the hit rate shown is the share of searches with any outcome other than no further "
        "action (which includes outcomes unrelated to what was searched for)."
    ),
}


@dataclass(frozen=True)
class GroupCounts:
    """Records counted by ethnic group, with every record accounted for.

    Attributes
    ----------
    counts : DataFrame
        ``group`` (every one of :data:`COUNT_GROUPS`) and ``count`` (int); with a
        ``period`` column (first) when split by period, every group in every period.
    subject : str
        What was counted, for headings ("stop and search, self-defined ethnicity").
    unit : str
        The plural noun of a record ("searches", "episodes", "children").
    rows : int
        Records considered before the selection.
    excluded : dict of str to int
        Records left out by the selection, by reason (the first filter each failed).
        ``rows == total + sum(excluded.values())``.
    not_applicable : dict of str to str
        Groups for which this feed cannot give a count, with the reason.
    caveats : tuple of str
        Feed-specific caveats (keys of :data:`CAVEATS` or full sentences).
    """

    counts: pd.DataFrame
    subject: str
    unit: str
    rows: int
    excluded: dict[str, int] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Records counted (all groups, including not recorded and unmapped)."""
        return int(self.counts["count"].sum())

    @property
    def unrecorded(self) -> int:
        """Records counted as ``not_recorded`` or ``unmapped``."""
        held = self.counts["group"].isin([NOT_RECORDED, UNMAPPED]).to_numpy()
        return int(self.counts["count"].to_numpy()[held].sum())

    @property
    def unrecorded_share(self) -> float:
        """Share of counted records without a usable ethnicity (NaN when none counted)."""
        total = self.total
        return self.unrecorded / total if total else float("nan")

    @property
    def accounted(self) -> int:
        """Counted plus excluded records (equals ``rows``)."""
        return self.total + sum(self.excluded.values())

    def by_group(self) -> pd.Series:
        """Counts summed over periods, indexed by :data:`COUNT_GROUPS`."""
        summed = self.counts.groupby("group", sort=False)["count"].sum()
        return summed.reindex(list(COUNT_GROUPS), fill_value=0).astype("int64")


def counts_frame(
    codes: npt.NDArray[np.int64],
    period_codes: npt.NDArray[np.int64] | None = None,
    period_labels: Sequence[str] = (),
    weights: npt.NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    """Counts of every group (and period) from integer codes (:func:`group_codes`, and
    positions in ``period_labels``), zeros included."""
    n_groups = len(COUNT_GROUPS)
    if period_codes is None:
        flat = np.bincount(codes, weights=weights, minlength=n_groups)
        return pd.DataFrame({"group": list(COUNT_GROUPS), "count": np.rint(flat).astype(np.int64)})
    n_periods = len(period_labels)
    flat = np.bincount(
        period_codes * n_groups + codes, weights=weights, minlength=n_periods * n_groups
    )
    return pd.DataFrame(
        {
            "period": np.repeat(np.asarray(list(period_labels), dtype=object), n_groups),
            "group": np.tile(np.asarray(COUNT_GROUPS, dtype=object), n_periods),
            "count": np.rint(flat).astype(np.int64),
        }
    )


def period_index(stamps: pd.Series, by: PeriodBy) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Each timestamp's position in the full run of months or quarters it spans."""
    if by not in ("month", "quarter"):
        raise ValueError("by must be 'month' or 'quarter'")
    ts = pd.to_datetime(stamps)
    year = ts.dt.year.to_numpy(dtype=np.int64)
    month = ts.dt.month.to_numpy(dtype=np.int64)
    if by == "month":
        ordinal = (year - 1970) * 12 + month - 1
    else:
        ordinal = (year - 1970) * 4 + (month - 1) // 3
    if ordinal.size == 0:
        return ordinal, []
    lo, hi = int(ordinal.min()), int(ordinal.max())
    freq = "M" if by == "month" else "Q"
    periods = pd.period_range(pd.Period(ordinal=lo, freq=freq), periods=hi - lo + 1, freq=freq)
    if by == "month":
        labels = [str(p) for p in periods]
    else:
        labels = [month_quarter_label(p.asfreq("M", "start")) for p in periods]
    return ordinal - lo, labels


def blank_values(values: pd.Series) -> npt.NDArray[np.bool_]:
    """Which values are missing or blank text."""
    missing = values.isna().to_numpy()
    text = values.astype(object).where(~missing, "").astype(str).str.strip()
    return np.asarray(missing | (text == "").to_numpy(), dtype=bool)


def select_rows(
    frame: pd.DataFrame,
    criteria: Sequence[tuple[str, str, tuple[str, ...]]],
    weights: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.bool_], dict[str, int]]:
    """Apply ``(label, column, allowed)`` filters in order; count who fails which first.

    Matching ignores case. A row with a blank value fails a filter that is set and is
    counted under "<label> not recorded"; others under "<label> not <allowed>".
    With ``weights`` (an aggregate feed) the counts are summed weights, not rows.
    """
    w = np.ones(len(frame)) if weights is None else weights
    keep = np.ones(len(frame), dtype=bool)
    excluded: dict[str, int] = {}
    for label, column, allowed in criteria:
        if not allowed:
            continue
        values = frame[column]
        blank = blank_values(values)
        wanted = {category_key(a) for a in allowed}
        text = values.astype(object).where(~blank, "").astype(str)
        codes, uniques = pd.factorize(text)
        ok_unique = np.array([category_key(u) in wanted for u in uniques] + [False], dtype=bool)
        ok = ok_unique[codes]
        no_value = keep & blank
        other = keep & ~blank & ~ok
        if no_value.any():
            excluded[f"{label} not recorded"] = int(round(float(w[no_value].sum())))
        if other.any():
            excluded[f"{label} not {' or '.join(allowed)}"] = int(round(float(w[other].sum())))
        keep &= ok
    return keep, excluded


def rows_in_period(
    frame: pd.DataFrame, column: str, filters: Filters | None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of a frame within the filters' months; the rest counted as excluded."""
    if filters is None:
        return frame, {}
    start, end = filters.bounds()
    when = pd.to_datetime(frame[column])
    inside = ((when >= start) & (when < end)).to_numpy()
    outside = int((~inside).sum())
    return frame.loc[inside].reset_index(drop=True), (
        {"outside the period": outside} if outside else {}
    )


def in_list_sql(column: str, values: tuple[str, ...]) -> tuple[str, list[object]]:
    """``" AND column IN (?, ...)"`` and its parameters (nothing for no values)."""
    if not values:
        return "", []
    marks = ", ".join("?" for _ in values)
    return f" AND {column} IN ({marks})", list(values)


def ethnicity_counts(
    frame: pd.DataFrame,
    stamp: str,
    by: PeriodBy | None,
    *,
    weights: npt.NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    """Counts by group of a canonical ``ethnicity`` column, split by period of ``stamp``."""
    codes = group_codes(frame["ethnicity"], "ons")
    if by is None:
        return counts_frame(codes, weights=weights)
    pidx, labels = period_index(frame[stamp], by)
    return counts_frame(codes, pidx, labels, weights)


def counts_from_frame(
    frame: pd.DataFrame,
    *,
    group: str = "group",
    count: str | None = "count",
    period: str | None = None,
    scheme: Scheme = "ons",
    subject: str = "records",
    unit: str = "records",
) -> GroupCounts:
    """Counts by group from an aggregate or list feed (a gangs-matrix extract, exclusions).

    Parameters
    ----------
    frame : DataFrame
        One row per group (and period) with a count, or one row per record.
    group : str
        Column of ethnicity values, mapped with ``scheme``.
    count : str or None
        Column of counts; None counts one per row (a list feed).
    period : str or None
        Column of period labels (kept in order of first appearance), for trends.
    scheme : {"self", "officer", "census", "ons"}
        Mapping of the group values (default: PlaceSafe's own codes or labels).
    subject, unit : str
        Labels for headings and sentences.

    Returns
    -------
    GroupCounts
        Rows with a missing or negative count are rejected with a ``ValueError``;
        every row is otherwise counted.
    """
    codes = group_codes(frame[group], scheme)
    weights: npt.NDArray[np.float64] | None = None
    if count is not None:
        values = pd.to_numeric(frame[count], errors="coerce").to_numpy(dtype=float)
        if (~np.isfinite(values)).any() or (values < 0).any():
            raise ValueError(f"column '{count}' must hold whole numbers of 0 or more")
        weights = values
    rows = int(weights.sum()) if weights is not None else len(frame)
    if period is None:
        table = counts_frame(codes, weights=weights)
    else:
        pidx, labels = pd.factorize(frame[period].astype(str), sort=False)
        table = counts_frame(codes, pidx.astype(np.int64), [str(v) for v in labels], weights)
    return GroupCounts(table, subject, unit, rows)


def list_counts(
    frame: pd.DataFrame,
    *,
    group: str,
    count: str | None,
    scheme: Scheme,
    subject: str = "listed people",
) -> GroupCounts:
    """Counts by group of a list-type feed (a gangs-matrix extract...), as read by
    :func:`geo.ingest.sources.ethnicity_list.read_ethnicity_list`: each row is one
    person unless the file has a ``count`` column."""
    return counts_from_frame(
        frame,
        group=group,
        count=count,
        scheme=scheme,
        subject=subject,
        unit="people" if count is None else "records",
    )
