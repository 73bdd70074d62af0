"""School exclusions and managed moves: the optional school-level feed, as tables.

The feed (kind ``school_outcomes``, a mapped CSV of counts, see
``data/templates/school_outcomes.toml``) holds one count per school, period,
measure, ethnic group and optionally sex. This module turns it into the Schools
page's tables and the disproportionality audit's group counts:

* :func:`outcomes_by_school` — each school's counts per measure in the window;
* :func:`outcomes_by_group` — counts per measure and ethnic group, with each
  group's share (the unrecorded group is always shown, never dropped);
* :func:`by_period` — counts per period and measure, for a trend;
* :func:`school_groups` — one school's counts per measure and group (analysts).

A period belongs to the window when its first day (``period_start``) falls in it.

For the partnership every count from 1 to ``min_count - 1`` is withheld, and each
measure's column is protected against the measure's total (which the page shows)
with secondary suppression, so no withheld count can be worked out by
subtraction (:func:`geo.disclosure.missing.disclose_children`, one algorithm for all).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from geo.core.config import Config
from geo.core.ethnicity import GROUP_SHORT_LABELS as GROUP_LABELS
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.core.schema import ETHNIC_GROUPS, SCHOOL_OUTCOME_MEASURES
from geo.disclosure.missing import disclose_children
from geo.store.database import Store

#: Display names of the measures.
OUTCOME_LABELS: Final[dict[str, str]] = {
    "fixed_term_exclusion": "Fixed-term exclusions (suspensions)",
    "permanent_exclusion": "Permanent exclusions",
    "managed_move": "Managed moves",
}


def outcomes(store: Store, filters: Filters) -> pd.DataFrame:
    """Rows of the feed whose period starts in the window.

    Returns
    -------
    DataFrame
        ``urn``, ``period``, ``period_start``, ``measure``, ``ethnicity``, ``sex``
        and ``count`` (int); empty when no feed was loaded.
    """
    start, end = filters.bounds()
    frame = store.query(
        "SELECT urn, period, period_start, measure, ethnicity, sex, count FROM school_outcomes "
        "WHERE period_start >= ? AND period_start < ? ORDER BY period_start, urn",
        [start, end],
    )
    frame["count"] = frame["count"].astype(np.int64)
    return frame


def _protect(table: pd.DataFrame, key: str, totals: pd.Series, config: Config) -> pd.DataFrame:
    """Withhold small counts in each measure column, protected against its total."""
    out = table[[key]].copy()
    for measure in OUTCOME_LABELS:
        part = pd.DataFrame({key: table[key].to_numpy(), "n": table[measure].to_numpy()})
        shown = disclose_children(part, key, float(totals.get(measure, 0)), config, value="n")
        out[measure] = shown.table["n"].to_numpy()
    return out


def measure_totals(frame: pd.DataFrame, role: str, config: Config) -> pd.Series:
    """Each measure's total in the window (NaN when the partnership may not see it)."""
    totals = frame.groupby("measure")["count"].sum().reindex(list(OUTCOME_LABELS)).fillna(0)
    totals = totals.astype(float)
    if role == Role.PARTNERSHIP:
        m = config.disclosure.min_count
        totals[(totals >= 1) & (totals < m)] = np.nan
    return totals


def outcomes_by_school(
    frame: pd.DataFrame, school_names: pd.DataFrame, role: str, config: Config
) -> pd.DataFrame:
    """Each school's counts per measure in the window, largest first.

    Returns
    -------
    DataFrame
        ``urn``, ``school``, one column per measure (float; NaN when withheld).
    """
    wide = frame.pivot_table(index="urn", columns="measure", values="count", aggfunc="sum")
    wide = wide.reindex(columns=list(OUTCOME_LABELS)).fillna(0).astype(float).reset_index()
    wide.columns.name = None
    if role == Role.PARTNERSHIP:
        totals = frame.groupby("measure")["count"].sum()
        wide = _protect(wide, "urn", totals, config)
    names = school_names.drop_duplicates("urn").set_index("urn")["name"]
    wide.insert(1, "school", wide["urn"].map(names).fillna("(not in the schools list)"))
    order = wide[list(OUTCOME_LABELS)].fillna(0).sum(axis=1).sort_values(ascending=False)
    return wide.loc[order.index].reset_index(drop=True)


def outcomes_by_group(frame: pd.DataFrame, role: str, config: Config) -> pd.DataFrame:
    """Counts per ethnic group and measure, with each group's share of the measure.

    Returns
    -------
    DataFrame
        ``group`` (display name; every group, the unrecorded included), then per
        measure its count and ``share`` (0..1) columns; NaN when withheld.
    """
    groups = list(ETHNIC_GROUPS)
    wide = frame.pivot_table(index="ethnicity", columns="measure", values="count", aggfunc="sum")
    wide = wide.reindex(index=groups, columns=list(OUTCOME_LABELS)).fillna(0).astype(float)
    wide = wide.rename_axis("group").reset_index()
    wide.columns.name = None
    totals = frame.groupby("measure")["count"].sum()
    if role == Role.PARTNERSHIP:
        wide = _protect(wide, "group", totals, config)
    out = pd.DataFrame({"group": wide["group"].map(GROUP_LABELS)})
    for measure in SCHOOL_OUTCOME_MEASURES:
        total = float(totals.get(measure, 0))
        out[measure] = wide[measure].to_numpy()
        share = wide[measure] / total if total else wide[measure] * np.nan
        out[f"{measure}_share"] = share.round(3).to_numpy()
    return out


def school_groups(frame: pd.DataFrame, urn: str) -> pd.DataFrame:
    """One school's exact counts per ethnic group and measure in the window.

    Analysts only: a school x group table crossed with the borough's group totals
    and the school totals could reveal small counts, so the partnership sees the
    group breakdown for the whole area only (:func:`outcomes_by_group`).
    """
    one = frame.loc[frame["urn"] == urn]
    wide = one.pivot_table(index="ethnicity", columns="measure", values="count", aggfunc="sum")
    wide = wide.reindex(index=list(ETHNIC_GROUPS), columns=list(OUTCOME_LABELS))
    wide = wide.fillna(0).astype(np.int64).rename_axis("group").reset_index()
    wide.columns.name = None
    wide["group"] = wide["group"].map(GROUP_LABELS)
    return wide


def by_period(frame: pd.DataFrame, role: str, config: Config) -> pd.DataFrame:
    """Counts per period and measure (for a trend chart), periods in order.

    For the partnership, small counts are withheld and each measure's periods are
    protected against the measure's total.
    """
    wide = frame.pivot_table(
        index=["period_start", "period"], columns="measure", values="count", aggfunc="sum"
    )
    wide = wide.reindex(columns=list(OUTCOME_LABELS)).fillna(0).astype(float)
    wide = wide.sort_index().reset_index().drop(columns="period_start")
    wide.columns.name = None
    if role == Role.PARTNERSHIP:
        wide = _protect(wide, "period", frame.groupby("measure")["count"].sum(), config)
    return wide.set_index("period").rename(columns=OUTCOME_LABELS)
