"""What each role sees of the missing-from-home lens (the Missing page's tables).

:mod:`geo.lenses.missing` and :mod:`geo.lenses.missing_places` compute exact figures.
This module assembles them for a role: analysts get them as they are; for the
partnership every figure goes through the disclosure rules of DESIGN §4
(:mod:`geo.disclosure.missing`) before it leaves ``geo/``:

* counts from 1 to ``min_count - 1`` (episodes, children, interviews, theme
  mentions) are withheld, and so is any share, duration or change that would give
  one away (a share is withheld when its numerator or denominator is; a change when
  either period's figure is);
* tables whose rows add up to a figure shown elsewhere (areas under a theme's
  total, schools under the children total) get secondary suppression, so no
  withheld row can be worked out by subtraction
  (:func:`geo.disclosure.missing.disclose_children`);
* found / last-seen places are shown at resolution 7 or 8 only, home areas at
  resolution 7 or as LSOAs, and places holding a sensitive premise (a children's
  home, a refuge) are left out of every list: their figures count only towards the
  withheld remainder, and nothing says why.

Periods follow :class:`geo.core.filters.Filters`; the partnership's period is a whole
quarter from the fixed menu, compared with the quarter before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo.core.area import StudyArea
from geo.core.config import Config
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.disclosure import check_resolution, store_for
from geo.disclosure.missing import (
    coarsen_home_area,
    disclose_theme_table,
    found_cells_for_partnership,
    home_areas_for_partnership,
    protect_theme_areas,
    publish_measures,
)
from geo.lenses.missing import (
    THEMES,
    AreaKey,
    by_school,
    episodes,
    measures,
    repeat_children,
    repeat_children_in_period,
    schools_for_partnership,
    theme_counts,
    theme_key_sums,
    theme_rows,
)
from geo.lenses.missing_places import found_location_overlap, quarters_active
from geo.store.database import Store

#: Display names of the headline measures, in display order.
MEASURE_LABELS: Final[dict[str, str]] = {
    "episodes": "Episodes reported",
    "children": "Children (distinct)",
    "repeat_children": "Children missing 3 or more times in 90 days",
    "looked_after_share": "Looked-after children (share of children)",
    "still_missing": "Not yet returned",
    "median_duration_h": "Median time missing (hours)",
    "p90_duration_h": "Longest tenth missing at least (hours)",
    "rhi_offered": "Return-home interviews offered",
    "rhi_completed": "Interviews completed",
    "rhi_completed_72h": "Interviews completed within 72 hours of return",
    "rhi_completed_72h_share": "Share of due interviews completed within 72 hours",
    "rhi_declined": "Interviews declined",
    "rhi_declined_share": "Share of offered interviews declined",
}
#: Plain names of the RHI theme codes.
THEME_LABELS: Final[dict[str, str]] = {
    "exploitation_criminal": "Criminal exploitation",
    "exploitation_sexual": "Sexual exploitation",
    "peer_group": "Peer group",
    "family_conflict": "Family conflict",
    "substance_use": "Substance use",
    "relationship": "Relationship",
    "mental_health": "Mental health",
    "other": "Other",
}
_CONFIDENCE: Final[dict[int, str]] = {1: "hot (90 %)", 2: "hot (95 %)", 3: "hot (99 %)"}


@dataclass(frozen=True)
class MissingView:
    """The Missing page's tables for one role, period and area unit.

    Attributes
    ----------
    measures : DataFrame
        Index: :data:`MEASURE_LABELS` values; columns ``current``, ``previous``,
        ``change`` (NaN when withheld or not defined).
    themes : DataFrame
        One row per theme (plain name): ``count`` (interviews listing it),
        ``previous``, ``change`` and ``repeat_children_count`` (interviews of repeat
        children listing it).
    themes_monthly : DataFrame or None
        Month x theme counts (analysts only).
    theme_areas : DataFrame
        Area x theme counts (``area`` column first).
    theme_areas_repeat : DataFrame
        The same for repeat children's interviews only.
    places : DataFrame
        Found / last-seen places: ``cell``, ``episodes``, ``children``,
        ``quarters_active``, ``missing_hot_spot``, ``syv_hot_spot``, ``both_hot``.
    overlap : DataFrame
        Places hot for missing episodes and SYV incidents, with a ``reason``.
    schools : DataFrame
        Per attended school: ``urn``, ``school``, ``episodes``, ``children``,
        ``repeat_children``, ``dual_registered_children``.
    home_areas : DataFrame
        Per home area (res 7 or LSOA): ``home_area``, ``children``, ``episodes``.
    res : int
        Resolution of ``places``.
    quarters : int
        Quarters over which ``quarters_active`` is counted.
    """

    measures: pd.DataFrame
    themes: pd.DataFrame
    themes_monthly: pd.DataFrame | None
    theme_areas: pd.DataFrame
    theme_areas_repeat: pd.DataFrame
    places: pd.DataFrame
    overlap: pd.DataFrame
    schools: pd.DataFrame
    home_areas: pd.DataFrame
    res: int
    quarters: int


# --- headline measures ---------------------------------------------------------------------


def measures_table(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    role: str,
    config: Config,
    repeat: tuple[pd.Index, pd.Index] | None = None,
) -> pd.DataFrame:
    """Headline measures of two periods and the change, for ``role``.

    ``repeat`` holds each period's repeat children (runs reaching back before the
    period: :func:`geo.lenses.missing.repeat_children_in_period`); default: within each frame.
    """
    r_now, r_before = repeat if repeat is not None else (None, None)
    now, before = measures(current, repeat=r_now), measures(previous, repeat=r_before)
    if role == Role.PARTNERSHIP:
        now, before = (
            publish_measures(now, current, config),
            publish_measures(before, previous, config),
        )
    table = pd.DataFrame({"current": now, "previous": before})
    table["change"] = table["current"] - table["previous"]  # NaN when either is withheld
    table = table.loc[list(MEASURE_LABELS)].rename(index=MEASURE_LABELS)
    table.index.name = "measure"
    return table


# --- return-home interview themes ----------------------------------------------------------


def themes_table(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    role: str,
    config: Config,
    repeat: pd.Index | None = None,
) -> pd.DataFrame:
    """Interviews listing each theme this period and last, and those of repeat children."""
    now = _theme_totals(current, repeat)
    before = _theme_totals(previous)
    table = pd.DataFrame(
        {
            "count": now["count"].astype(float),
            "previous": before["count"].astype(float),
            "repeat_children_count": now["repeat_count"].astype(float),
        }
    )
    if role == Role.PARTNERSHIP:
        table = disclose_theme_table(
            table,
            config,
            keys_now=theme_key_sums(current, repeat),
            keys_before=theme_key_sums(previous),
        )
    table["change"] = table["count"] - table["previous"]
    table = table[["count", "previous", "change", "repeat_children_count"]]
    return table.rename(index=THEME_LABELS).rename_axis("theme")


def _theme_totals(frame: pd.DataFrame, repeat: pd.Index | None = None) -> pd.DataFrame:
    """Per theme code: interviews listing it (``count``) and of repeat children."""
    counts = theme_counts(frame.assign(cell_7="all"), by="area", res=7, repeat=repeat)
    totals = counts.groupby("theme", sort=False)[["count", "repeat_count"]].sum()
    return totals.reindex(list(THEMES)).fillna(0)


def themes_by_month(frame: pd.DataFrame) -> pd.DataFrame:
    """Month x theme interview counts (exact: analysts only)."""
    counts = theme_counts(frame, by="period")
    if counts.empty:
        return pd.DataFrame(columns=list(THEME_LABELS.values()))
    table = counts.pivot_table(index="key", columns="theme", values="count", aggfunc="sum")
    table = table.reindex(columns=list(THEMES)).fillna(0).astype(np.int64)
    return table.rename(columns=THEME_LABELS).rename_axis(index="month", columns=None)


def _area_keys(rows: pd.DataFrame, unit: AreaKey) -> pd.Series:
    """Each episode's area: home area (never finer than res 7) or found cell at ``unit``."""
    return coarsen_home_area(rows["home_area"]) if unit == "home" else rows[f"cell_{unit}"]


def _theme_crosstab(frame: pd.DataFrame, unit: AreaKey) -> tuple[pd.DataFrame, pd.Series]:
    """Area x theme interview counts (located areas) and each theme's total (all)."""
    rows = theme_rows(frame, _area_keys(frame, unit), pd.Index([]), located_only=False)
    rows = rows[rows["theme"].isin(list(THEMES))]
    totals = rows.groupby("theme").size().reindex(list(THEMES)).fillna(0).astype(float)
    located = rows[rows["key"] != ""]
    table = pd.crosstab(located["key"], located["theme"]).reindex(columns=list(THEMES))
    table = table.fillna(0).astype(float).rename_axis(index="area", columns=None)
    return table, totals


def theme_area_counts(
    frame: pd.DataFrame,
    area_key: AreaKey,
    role: str,
    config: Config,
    repeat_only: bool = False,
    repeat_keys: pd.Index | None = None,
) -> pd.DataFrame:
    """Area x theme interview counts, disclosure-controlled for the partnership.

    Home areas are coarsened to resolution 7 (LSOA codes kept). For the partnership,
    each theme is protected against its total, and found places jointly over
    resolutions 7 and 8 (:func:`geo.disclosure.disclose_levels`), so neither the
    other resolution nor the total reveals a withheld area; an area holding a
    sensitive premise is withheld whatever its count (listed like any withheld
    area). In the repeat-children table an area is also withheld where the
    interviews of other children there (all minus repeat) would be 1 to
    ``min_count - 1``, so the two tables cannot be subtracted.
    """
    partnership = role == Role.PARTNERSHIP
    if area_key in (7, 8) and partnership:
        check_resolution(role, int(area_key), config)
    repeat = repeat_children(frame) if repeat_keys is None else repeat_keys
    picked = frame.loc[frame["child_key"].isin(repeat)] if repeat_only else frame
    units: tuple[AreaKey, ...] = (7, 8) if partnership and area_key != "home" else (area_key,)
    exact = {unit: _theme_crosstab(picked, unit) for unit in units}
    table, totals = exact[area_key]
    if partnership:
        tables = {unit: t for unit, (t, _) in exact.items()}
        # repeat children's areas are also protected against all children's
        everyone = (
            {unit: _theme_crosstab(frame, unit)[0] for unit in tables} if repeat_only else None
        )
        table = protect_theme_areas(tables, totals, config, area_key=area_key, everyone=everyone)
    table = table.rename(columns=THEME_LABELS).reset_index()
    return table.sort_values("area", kind="stable").reset_index(drop=True)


# --- found / last-seen places --------------------------------------------------------------


def found_places(
    store: Store,
    area: StudyArea,
    filters: Filters,
    frame: pd.DataFrame,
    role: str,
    res: int,
    config: Config,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Found / last-seen places with recurrence and hot-spot overlap, for ``role``.

    Returns
    -------
    (DataFrame, DataFrame, int)
        The places (see :class:`MissingView`), the overlap list (places hot for both
        layers, with a reason) and the quarters counted for recurrence.
    """
    check_resolution(role, res, config)
    col = f"cell_{res}"
    located = frame[frame[col] != ""]
    grouped = located.groupby(col, sort=True)
    places = pd.DataFrame(
        {"episodes": grouped.size().astype(float), "children": grouped["child_key"].nunique()}
    ).astype(float)
    places.index.name = "cell"
    if role == Role.PARTNERSHIP:
        levels = found_cells_for_partnership(frame, config, resolutions=tuple(sorted({7, 8, res})))
        level = levels.levels[res].set_index("cell")
        # the map draws the same cells: a sensitive cell stays, withheld like any other
        places["episodes"] = level["value"].reindex(places.index)
        places["children"] = level["children"].reindex(places.index)
    active, n_quarters = quarters_active(store, res, filters)
    shown = places["episodes"].notna()
    places["quarters_active"] = active.reindex(places.index).where(shown).astype(float)
    overlap = found_location_overlap(store, area, filters, res=res)
    m_bin = overlap.missing_gi["bin"].reindex(places.index).fillna(0).astype(np.int64)
    i_bin = overlap.incident_gi["bin"].reindex(places.index).fillna(0).astype(np.int64)
    if role == Role.PARTNERSHIP:  # a hot withheld cell would say its count is not small
        m_bin = m_bin.where(shown.to_numpy(), 0)
        i_bin = i_bin.where(shown.to_numpy(), 0)
    places["missing_hot_spot"] = m_bin.map(_CONFIDENCE).fillna("")
    places["syv_hot_spot"] = i_bin.map(_CONFIDENCE).fillna("")
    places["both_hot"] = ((m_bin > 0) & (i_bin > 0)).to_numpy()
    places = places.sort_values(
        ["both_hot", "episodes"], ascending=False, kind="stable", na_position="last"
    ).reset_index()
    both = places.loc[places["both_hot"]].copy()
    both["reason"] = _overlap_reason(both, n_quarters)
    overlap_table = both[["cell", "episodes", "quarters_active", "reason"]].reset_index(drop=True)
    return places, overlap_table, n_quarters


def _overlap_reason(rows: pd.DataFrame, n_quarters: int) -> list[str]:
    out = []
    for ep, q, m, s in zip(
        rows["episodes"],
        rows["quarters_active"],
        rows["missing_hot_spot"],
        rows["syv_hot_spot"],
        strict=True,
    ):
        times = "" if np.isnan(ep) else " once" if ep == 1 else f" {int(ep):,} times"
        found = f"children found or last seen here{times}"
        recur = "" if np.isnan(q) else f", in {int(q)} of the last {n_quarters} quarters"
        out.append(
            f"{found.capitalize()}{recur}; a missing hot spot ({m.split('(')[1][:-1]} "
            f"confidence) and an SYV hot spot ({s.split('(')[1][:-1]} confidence)."
        )
    return out


# --- schools and home areas ----------------------------------------------------------------


def schools_table(
    frame: pd.DataFrame,
    school_names: pd.DataFrame,
    role: str,
    config: Config,
    repeat: pd.Index | None = None,
) -> pd.DataFrame:
    """Episodes and children per attended school, named (URNs not on the list say so)."""
    if role == Role.PARTNERSHIP:
        table = schools_for_partnership(frame, config, repeat).table
        table = table.drop(columns=["withheld", "label"])
    else:
        table = by_school(frame, repeat).astype(
            {c: float for c in ("episodes", "children", "repeat_children")}
        )
    names = school_names.drop_duplicates("urn").set_index("urn")["name"]
    school = table["urn"].map(names).fillna("(not in the schools list)")
    table.insert(1, "school", school.to_numpy())
    cols = [
        "urn",
        "school",
        "episodes",
        "children",
        "repeat_children",
        "dual_registered_children",
    ]
    return table[cols].reset_index(drop=True)


def home_area_table(frame: pd.DataFrame, role: str, config: Config) -> pd.DataFrame:
    """Children and episodes per home area (never finer than res 7)."""
    if role == Role.PARTNERSHIP:
        table = home_areas_for_partnership(frame, config).table
        return table[["home_area", "children", "episodes"]].reset_index(drop=True)
    homes = pd.DataFrame(
        {"home_area": coarsen_home_area(frame["home_area"]), "child_key": frame["child_key"]}
    )
    grouped = homes[homes["home_area"] != ""].groupby("home_area", sort=True)
    return pd.DataFrame(
        {"children": grouped["child_key"].nunique(), "episodes": grouped.size()}
    ).reset_index()


# --- the whole view ------------------------------------------------------------------------


def missing_view(
    store: Store,
    area: StudyArea,
    filters: Filters,
    role: str,
    config: Config,
    res: int,
    area_key: AreaKey,
    school_names: pd.DataFrame,
) -> MissingView:
    """Every table of the Missing page for ``role``.

    Parameters
    ----------
    store, area, filters
        Data, study area and period (the previous equal period is compared).
    role : str
        ``analyst`` (exact) or ``partnership`` (disclosure-controlled).
    config : Config
        Disclosure thresholds, resolution floors and sensitive premises.
    res : int
        Resolution of the found / last-seen places (7-8 for the partnership).
    area_key : {7, 8, "home"}
        Area unit of the theme x area tables.
    school_names : DataFrame
        ``urn`` and ``name`` of the schools on the list.
    """
    store = store_for(store, role, config)
    current = episodes(store, filters)
    previous = episodes(store, filters.previous())
    repeat = repeat_children_in_period(store, filters)
    repeat_before = repeat_children_in_period(store, filters.previous())
    places, overlap, n_quarters = found_places(store, area, filters, current, role, res, config)
    return MissingView(
        measures=measures_table(current, previous, role, config, (repeat, repeat_before)),
        themes=themes_table(current, previous, role, config, repeat),
        themes_monthly=themes_by_month(current) if role != Role.PARTNERSHIP else None,
        theme_areas=theme_area_counts(current, area_key, role, config, False, repeat),
        theme_areas_repeat=theme_area_counts(current, area_key, role, config, True, repeat),
        places=places,
        overlap=overlap,
        schools=schools_table(current, school_names, role, config, repeat),
        home_areas=home_area_table(current, role, config),
        res=res,
        quarters=n_quarters,
    )
