"""Incidents, missing from home and school outcomes counted by ethnic group, from the store.

Each feed records the person's ethnicity in PlaceSafe's vocabulary
(:data:`geo.core.ethnicity.ETHNIC_GROUPS`); the counts account for every record, as
stop and search does (:mod:`geo.lenses.stop_search`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
import pandas as pd

from geo.core.ethnicity import group_codes
from geo.core.filters import Filters
from geo.core.schema import SYV_CATEGORIES, syv_sql
from geo.lenses.census_populations import within_areas
from geo.lenses.ethnicity_counts import (
    CAVEATS,
    GroupCounts,
    PeriodBy,
    blank_values,
    counts_frame,
    counts_from_frame,
    ethnicity_counts,
    in_list_sql,
    period_index,
    select_rows,
)
from geo.store.database import Store

__all__ = [
    "SCHOOL_MEASURES",
    "incident_group_counts",
    "missing_counts",
    "school_outcome_counts",
]


def incident_group_counts(
    store: Store,
    filters: Filters | None = None,
    categories: tuple[str, ...] = SYV_CATEGORIES,
    sources: tuple[str, ...] = (),
    age_bands: tuple[str, ...] = (),
    sexes: tuple[str, ...] = (),
    by: PeriodBy | None = None,
    lsoas: Sequence[str] = (),
) -> GroupCounts:
    """Incidents (default: serious youth violence) by the recorded person's ethnicity.

    Parameters
    ----------
    store : Store
    filters : Filters, optional
        Months (by ``occurred_at``).
    categories : tuple of str
        Canonical categories (default :data:`geo.core.schema.SYV_CATEGORIES`); empty = all.
    sources : tuple of str
        Feeds to include (e.g. a victims feed and a suspects feed loaded as separate
        sources); empty = all. police.uk street rows have no ethnicity and count as
        not recorded.
    age_bands, sexes : tuple of str
        Canonical values to keep; empty keeps all.
    by : {"month", "quarter"}, optional
    lsoas : sequence of str
        Keep only incidents located in these areas
        (see :func:`geo.lenses.census_populations.area_cells`).
    """
    where = "WHERE TRUE"
    params: list[object] = []
    if filters is not None:
        start, end = filters.bounds()
        where += " AND occurred_at >= ? AND occurred_at < ?"
        params += [start, end]
    for column, values in (("category", categories), ("source", sources)):
        sql, p = in_list_sql(column, values)
        where += sql
        params += p
    if tuple(categories) == SYV_CATEGORIES:
        where += f" AND {syv_sql()}"  # all-ages feeds (police.uk) are never youth violence
    cell = ", cell_10" if lsoas else ""
    frame = store.query(
        f"SELECT occurred_at, age_band, sex, ethnicity{cell} FROM incidents {where}", params
    )
    outside: dict[str, int] = {}
    if lsoas:
        frame, outside = within_areas(frame, store, lsoas)
    rows = len(frame) + sum(outside.values())
    keep, excluded = select_rows(
        frame, [("age band", "age_band", age_bands), ("sex", "sex", sexes)]
    )
    excluded = {**outside, **excluded}
    table = ethnicity_counts(frame.loc[keep].reset_index(drop=True), "occurred_at", by)
    what = ", ".join(sources) if sources else "all feeds"
    return GroupCounts(
        table,
        f"incidents ({what})",
        "incidents",
        rows,
        excluded,
        caveats=(CAVEATS["events_not_people"], CAVEATS["incident_roles"]),
    )


def missing_counts(
    store: Store,
    filters: Filters | None = None,
    unit: Literal["children", "episodes"] = "children",
    age_bands: tuple[str, ...] = (),
    sexes: tuple[str, ...] = (),
    by: PeriodBy | None = None,
) -> GroupCounts:
    """Missing-from-home episodes, or distinct children, by ethnicity.

    A child is counted once (per period when split), in the group of their latest
    episode with an ethnicity recorded (``not_recorded`` when none is), among their
    episodes that pass the filters. ``rows`` and ``excluded`` count children for
    ``unit="children"`` (those with no episode passing the filters are excluded).
    """
    if unit not in ("children", "episodes"):
        raise ValueError("unit must be 'children' or 'episodes'")
    where = "WHERE TRUE"
    params: list[object] = []
    if filters is not None:
        start, end = filters.bounds()
        where += " AND reported_at >= ? AND reported_at < ?"
        params += [start, end]
    frame = store.query(
        "SELECT child_key, reported_at, age_band, sex, ethnicity FROM missing_episodes "
        f"{where} ORDER BY child_key, reported_at",
        params,
    )
    keep, excluded = select_rows(
        frame, [("age band", "age_band", age_bands), ("sex", "sex", sexes)]
    )
    chosen = frame.loc[keep].reset_index(drop=True)
    caveats = (CAVEATS["unrecorded"],)
    if unit == "episodes":
        table = ethnicity_counts(chosen, "reported_at", by)
        return GroupCounts(
            table, "missing episodes", "episodes", len(frame), excluded, caveats=caveats
        )
    # children: last recorded ethnicity per child (per period when split)
    keys = ["child_key"]
    if by is not None:
        pidx, labels = period_index(chosen["reported_at"], by)
        chosen = chosen.assign(_p=pidx)
        keys.append("_p")
    eth = chosen["ethnicity"].astype(object).where(~blank_values(chosen["ethnicity"]), None)
    last = chosen.assign(ethnicity=eth).groupby(keys, sort=False)["ethnicity"].last()
    children = last.reset_index()
    codes = group_codes(children["ethnicity"], "ons")
    if by is None:
        table = counts_frame(codes)
    else:
        table = counts_frame(codes, children["_p"].to_numpy(dtype=np.int64), labels)
    n_children = int(frame["child_key"].nunique())
    left_out = n_children - int(chosen["child_key"].nunique())
    ex = {"no episode matching the filters": left_out} if left_out else {}
    return GroupCounts(
        table, "children missing from home", "children", n_children, ex, caveats=caveats
    )


SCHOOL_MEASURES: Final[tuple[str, ...]] = (
    "fixed_term_exclusion",
    "managed_move",
    "permanent_exclusion",
)


def school_outcome_counts(
    store: Store,
    measure: str = "fixed_term_exclusion",
    urns: tuple[str, ...] = (),
    sexes: tuple[str, ...] = (),
    periods: tuple[str, ...] = (),
    by_period: bool = False,
) -> GroupCounts:
    """Exclusions or managed moves by ethnic group from the school-level feed.

    Parameters
    ----------
    store : Store
        Reads ``school_outcomes`` (urn, period, period_start, measure, ethnicity,
        sex, count); a store without that table gives zero counts.
    measure : str
        One of :data:`SCHOOL_MEASURES`.
    urns, sexes, periods : tuple of str
        Values to keep; empty keeps all.
    by_period : bool
        Split by the feed's period labels (in order of ``period_start``).
    """
    if measure not in SCHOOL_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(SCHOOL_MEASURES)}")
    subject = measure.replace("_", " ") + "s"
    exists = store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'school_outcomes'"
    )
    frame = pd.DataFrame({"period": [], "period_start": [], "sex": [], "group": [], "count": []})
    if exists:
        where = "WHERE measure = ?"
        params: list[object] = [measure]
        for column, values in (("urn", urns), ("period", periods)):
            sql, p = in_list_sql(column, values)
            where += sql
            params += p
        frame = store.query(
            'SELECT period, period_start, sex, ethnicity AS "group", count '
            f"FROM school_outcomes {where}",
            params,
        )
    weights = frame["count"].to_numpy(dtype=float)
    rows = int(weights.sum())
    keep, excluded = select_rows(frame, [("sex", "sex", sexes)], weights)
    frame = frame.loc[keep].reset_index(drop=True)
    if by_period and len(frame):
        frame = frame.sort_values("period_start", kind="stable")
        out = counts_from_frame(frame, period="period", subject=subject, unit=subject)
    else:
        out = counts_from_frame(frame, subject=subject, unit=subject)
    return GroupCounts(
        out.counts,
        subject,
        subject,
        rows,
        excluded,
        caveats=(CAVEATS["school_population"], CAVEATS["events_not_people"]),
    )
