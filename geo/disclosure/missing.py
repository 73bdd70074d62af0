"""Disclosure of the missing-from-home figures (DESIGN §4): what the partnership may see.

:mod:`geo.lenses.missing` computes exact figures and :mod:`geo.lenses.missing_view`
assembles the Missing page; every figure that leaves them for the partnership is
withheld, protected or perturbed here:

* counts from 1 to ``min_count - 1`` (episodes, children, interviews, theme
  mentions) are withheld, and so is any share or duration that would give one away
  (:func:`disclose_measures`, :func:`publish_measures`, :func:`disclose_theme_table`);
* tables whose rows add up to a figure shown elsewhere (areas under a theme's
  total, schools under the children total) get secondary suppression, so no
  withheld row can be worked out by subtraction (:func:`disclose_children`, one
  algorithm for every table of distinct children, :func:`protect_theme_areas`);
* found / last-seen places are published like the map's cells
  (:func:`found_cells_for_partnership`), home areas never finer than resolution 7
  (:func:`coarsen_home_area`, for every role);
* shown counts are perturbed with their records' keys (:func:`measure_key_sums`,
  :func:`child_key_sums`), so the same children publish the same figure everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.config import Config
from geo.core.roles import Role
from geo.disclosure.policy import small_counts
from geo.disclosure.suppression import (
    WITHHELD,
    DisclosedLevels,
    check_resolution,
    disclose_levels,
    protect_hierarchy,
    publish_counts,
)

__all__ = [
    "HOME_AREA_RESOLUTION",
    "DisclosedChildren",
    "child_key_sums",
    "children_key_sum",
    "coarsen_home_area",
    "disclose_children",
    "disclose_measures",
    "disclose_school_children",
    "disclose_theme_table",
    "found_cells_for_partnership",
    "home_areas_for_partnership",
    "measure_key_sums",
    "protect_theme_areas",
    "publish_measures",
    "withheld_note",
]

#: The coarsest resolution a home area may be shown at is this one (never finer).
HOME_AREA_RESOLUTION: Final = 7
#: Headline measures that are counts (withheld from 1 to ``min_count - 1``).
_MEASURE_COUNTS: Final = (
    "episodes",
    "children",
    "repeat_children",
    "still_missing",
    "rhi_offered",
    "rhi_completed",
    "rhi_completed_72h",
    "rhi_declined",
)


# --- perturbation keys ---------------------------------------------------------------------


def child_key_sums(frame: pd.DataFrame, by: str) -> pd.Series:
    """Perturbation key sums for counts of distinct children per ``by``: each child
    counts with the key of their episode with the smallest id (as
    :func:`geo.store.queries.kpis_with_keys` does, so the same children publish the same
    figure everywhere)."""
    first = frame.sort_values("episode_id", kind="stable").drop_duplicates([by, "child_key"])
    return first.groupby(by, sort=True)["record_key"].sum()


def children_key_sum(frame: pd.DataFrame) -> int:
    """The perturbation key sum of the distinct children in ``frame`` (see
    :func:`child_key_sums`)."""
    first = frame.sort_values("episode_id", kind="stable").drop_duplicates("child_key")
    return int(first["record_key"].sum())


def measure_key_sums(frame: pd.DataFrame) -> dict[str, int]:
    """Perturbation key sums of the headline counts that other pages also show:
    ``episodes`` and ``children`` (the KPI tiles' missing episodes and children)."""
    return {
        "episodes": int(frame["record_key"].sum()),
        "children": children_key_sum(frame),
    }


# --- headline measures ---------------------------------------------------------------------


def _numerators(m: pd.Series) -> dict[str, tuple[float, float]]:
    """(numerator, denominator) of each share, as counts."""
    children = float(m["children"])
    due = float(m["rhi_due"])
    return {
        "looked_after_share": (float(np.round(m["looked_after_share"] * children)), children),
        "rhi_completed_72h_share": (float(np.round(m["rhi_completed_72h_share"] * due)), due),
        "rhi_declined_share": (float(m["rhi_declined"]), float(m["rhi_offered"])),
    }


def disclose_measures(m: pd.Series, min_count: int) -> pd.Series:
    """Headline measures with every figure that could single out a child withheld (NaN).

    Counts from 1 to ``min_count - 1`` are withheld; a share when its numerator or
    denominator is; the durations when fewer than ``min_count`` episodes returned.
    """
    out = m.astype(float).copy()
    for name in (*_MEASURE_COUNTS, "rhi_due"):
        if small_counts([m[name]], min_count)[0]:
            out[name] = np.nan
    shares = _numerators(m)
    for name, (num, den) in shares.items():
        if np.isnan(num) or small_counts([num, den], min_count).any():
            out[name] = np.nan
    returned = float(m["episodes"] - m["still_missing"])
    if returned < min_count:
        out[["median_duration_h", "p90_duration_h"]] = np.nan
    # a part shown beside its whole gives the other part by subtraction
    children = float(m["children"])
    lac = shares["looked_after_share"][0]
    for part, whole, value in (
        ("repeat_children", children, float(m["repeat_children"])),
        ("looked_after_share", children, lac),
        ("rhi_completed_72h", float(m["rhi_completed"]), float(m["rhi_completed_72h"])),
    ):
        if np.isfinite(value) and small_counts([whole - value], min_count)[0]:
            out[part] = np.nan
    return out


def publish_measures(m: pd.Series, frame: pd.DataFrame, config: Config) -> pd.Series:
    """Disclosed headline measures with the counts other pages also show (episodes,
    children) perturbed by their records' keys, so they equal the KPI tiles."""
    out = disclose_measures(m, config.disclosure.min_count)
    keys = measure_key_sums(frame)
    for name, key in keys.items():
        out[name] = publish_counts(np.array([out[name]]), np.array([key]), config)[0]
    return out


# --- return-home interview themes ----------------------------------------------------------


def disclose_theme_table(
    table: pd.DataFrame, config: Config, *, keys_now: pd.DataFrame, keys_before: pd.DataFrame
) -> pd.DataFrame:
    """The partnership's theme table: counts withheld and the shown ones perturbed.

    Parameters
    ----------
    table : DataFrame
        Per theme: ``count`` (interviews listing it this period), ``previous`` and
        ``repeat_children_count`` (exact).
    config : Config
        ``min_count`` and the perturbation table.
    keys_now, keys_before : DataFrame
        Perturbation key sums per theme of this period (``key_sum``,
        ``repeat_key_sum``) and of the previous one
        (:func:`geo.lenses.missing.theme_key_sums`).

    Returns
    -------
    DataFrame
        ``table`` with counts from 1 to ``min_count - 1`` withheld (NaN), the repeat
        children's count withheld too where the other children's would be small,
        and the shown counts perturbed with the interviews' keys.
    """
    table = table.copy()
    min_count = config.disclosure.min_count
    others = table["count"] - table["repeat_children_count"]
    for col in table.columns:
        table.loc[small_counts(table[col], min_count), col] = np.nan
    # all minus repeat children's interviews would give the others'
    table.loc[small_counts(others, min_count), "repeat_children_count"] = np.nan
    # shown counts are perturbed with the interviews' keys
    keys_now = keys_now.reindex(table.index)
    keys_before = keys_before.reindex(table.index)
    for col, keys in (
        ("count", keys_now["key_sum"]),
        ("previous", keys_before["key_sum"]),
        ("repeat_children_count", keys_now["repeat_key_sum"]),
    ):
        table[col] = publish_counts(
            table[col].to_numpy(dtype=float), keys.to_numpy(dtype=np.int64), config
        )
    return table


def protect_theme_areas(
    exact: Mapping[Any, pd.DataFrame],
    totals: pd.Series,
    config: Config,
    *,
    area_key: int | str,
    everyone: Mapping[Any, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The partnership's area x theme table
    (:func:`geo.lenses.missing_view.theme_area_counts`).

    Each theme is protected against its total: home areas as distinct children
    (:func:`disclose_children`), found places jointly over resolutions 7 and 8
    (:func:`geo.disclosure.disclose_levels`), so neither the other resolution nor the
    total reveals a withheld area.

    Parameters
    ----------
    exact : mapping
        The exact area x theme tables of every unit protected together: ``{"home": t}``
        or ``{7: t7, 8: t8}``; columns are the theme codes.
    totals : Series
        Each theme's interviews over all areas.
    config : Config
        ``min_count`` and resolution floors.
    area_key : {7, 8, "home"}
        The unit shown.
    everyone : mapping, optional
        For the repeat children's table: the same tables over all children, so an area
        is also withheld where the other children's interviews (all minus repeat)
        would be 1 to ``min_count - 1`` and the two tables cannot be subtracted.
    """
    min_count = config.disclosure.min_count
    extra: dict[Any, pd.DataFrame] = {}
    for unit, table in exact.items():
        held = np.zeros(table.shape, dtype=bool)
        if everyone is not None:  # the complement (all children's interviews minus these)
            held = small_counts((everyone[unit].reindex(table.index).fillna(0) - table), min_count)
        extra[unit] = pd.DataFrame(held, index=table.index, columns=table.columns)
    out = pd.DataFrame(index=exact[area_key].index)
    for theme in exact[area_key].columns:  # the theme codes, in order
        if area_key == "home":
            t = exact["home"]
            part = pd.DataFrame({"area": t.index, "n": t[theme].to_numpy()})
            shown = disclose_children(
                part,
                "area",
                float(totals[theme]),
                config,
                value="n",
                extra_withheld=extra["home"][theme].to_numpy(),
            )
            out[theme] = shown.table["n"].to_numpy()
            continue
        counts = {
            r: pd.DataFrame(
                {"cell": hexes.str_to_cells(exact[r].index), "count": exact[r][theme].to_numpy()}
            )
            for r in (7, 8)
        }
        levels = disclose_levels(
            counts,
            float(totals[theme]),
            Role.PARTNERSHIP,
            config,
            {r: extra[r][theme].to_numpy(dtype=bool) for r in (7, 8)},
        )
        out[theme] = levels.levels[int(area_key)]["value"].to_numpy()
    return out


# --- distinct children ---------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosedChildren:
    """Distinct-children counts after disclosure control.

    Attributes
    ----------
    table : DataFrame
        The key column, ``children`` (float, NaN when withheld), ``withheld``
        (bool) and ``label``; other count columns are withheld on the same rows.
    total : float or None
        Distinct children over all rows (None when withheld).
    """

    table: pd.DataFrame
    total: float | None


def disclose_children(
    table: pd.DataFrame,
    key: str,
    total: float,
    config: Config,
    *,
    value: str = "children",
    extra_withheld: np.ndarray | None = None,
    keep: tuple[str, ...] = (),
) -> DisclosedChildren:
    """Withhold distinct-children counts from 1 to ``min_count - 1``, with secondary
    suppression of other rows or the total so none can be found by differencing.

    Uses :func:`geo.disclosure.protect_hierarchy` with one level under the total;
    children counted in no row (``total`` above the rows' sum) form an
    always-withheld pseudo-row, as in :func:`geo.disclosure.disclose_levels`.
    Withholding takes the smallest shown rows first and the total only when no
    row is left to withhold.

    Parameters
    ----------
    table : DataFrame
        ``key`` and ``value`` (exact distinct children per row).
    key : str
        The row label column (kept as is).
    total : float
        Distinct children over all rows.
    config : Config
        ``min_count``.
    value : str
        Name of the children column.
    extra_withheld : ndarray of bool, optional
        Further primary suppression: rows holding a sensitive premise (labelled so).
    keep : tuple of str
        Other count columns to pass through (NaN on withheld rows).
    """
    min_count = config.disclosure.min_count
    v = table[value].to_numpy(dtype=float)
    held = small_counts(v, min_count)
    if extra_withheld is not None:
        held |= np.asarray(extra_withheld, dtype=bool)
    rest = max(float(total) - float(v.sum()), 0.0)
    values = np.append(v, rest) if rest > 0 else v
    primary = np.append(held, True) if rest > 0 else held
    flags, total_held = protect_hierarchy(
        [values],
        [primary],
        [np.zeros(len(values), dtype=np.int64)],
        float(total),
        bool(1 <= total < min_count),
        min_count,
    )
    withheld = flags[0][: len(v)]
    out = pd.DataFrame({key: table[key].to_numpy()})
    out[value] = np.where(withheld, np.nan, v)
    for col in keep:
        out[col] = np.where(withheld, np.nan, table[col].to_numpy(dtype=float))
    out["withheld"] = withheld
    labels = pd.Series(v).map("{:,.0f}".format).to_numpy(dtype=object)
    out["label"] = np.where(withheld, WITHHELD, labels)
    return DisclosedChildren(out, None if total_held else float(total))


def disclose_school_children(
    table: pd.DataFrame,
    config: Config,
    *,
    children_total: float,
    repeat_total: float,
    dual_registered_total: float,
) -> DisclosedChildren:
    """A per-school table (:func:`geo.lenses.missing.by_school`) with its
    distinct-children counts disclosure-controlled.

    Episodes and repeat-children columns are withheld on the same rows; the repeat
    and dual-registration children columns, being counts of children too, are
    withheld wherever they are from 1 to ``min_count - 1``.

    Parameters
    ----------
    table : DataFrame
        ``urn``, ``episodes``, ``children``, ``repeat_children`` and
        ``dual_registered_children`` (exact).
    config : Config
        ``min_count``.
    children_total, repeat_total, dual_registered_total : float
        Distinct children, repeat children and dual-registered children over all
        schools (each column is protected against its own total).
    """
    out = disclose_children(table, "urn", children_total, config, keep=("episodes",))
    t = out.table
    min_count = config.disclosure.min_count
    held = t["withheld"].to_numpy(dtype=bool)
    children = table["children"].to_numpy(dtype=float)
    totals = {
        "repeat_children": repeat_total,
        "dual_registered_children": dual_registered_total,
    }
    for col, total in totals.items():
        c = table[col].to_numpy(dtype=float)
        # withheld with the school, when small, or when the school's other children
        # (children minus these) would be small; then protected against the headline
        # total of these children so no withheld school can be found by subtraction
        primary = held | small_counts(children - c, min_count)
        part = pd.DataFrame({"urn": table["urn"].to_numpy(), "n": c})
        shown = disclose_children(part, "urn", total, config, value="n", extra_withheld=primary)
        t[col] = shown.table["n"].to_numpy()
    return DisclosedChildren(t, out.total)


# --- places --------------------------------------------------------------------------------


def _is_cell(text: pd.Series) -> pd.Series:
    """Which strings are valid H3 cells (checked once per distinct value)."""
    distinct = pd.unique(text[text.str.fullmatch(r"[0-9a-f]{15}")])
    valid = {str(v) for v in distinct if hexes.is_valid_cell(str(v))}
    return text.isin(valid)


def coarsen_home_area(home_area: pd.Series) -> pd.Series:
    """Home areas never finer than res 7: H3 cells finer than 7 become their res-7
    parent; coarser cells and LSOA codes are kept as they are."""
    text = home_area.fillna("").astype(str).str.lower()
    is_cell = _is_cell(text)
    out = home_area.fillna("").astype(str).copy()
    if is_cell.any():
        cells = hexes.str_to_cells(text[is_cell])
        fine = hexes.cell_resolution(cells) > HOME_AREA_RESOLUTION
        coarse = cells.copy()
        coarse[fine] = hexes.cells_to_parent(cells[fine], HOME_AREA_RESOLUTION)
        out[is_cell] = hexes.cells_to_str(coarse)
    return out


def home_areas_for_partnership(frame: pd.DataFrame, config: Config) -> DisclosedChildren:
    """Distinct children per home area (never finer than res 7), controlled.

    Cells holding a sensitive premise (at their own resolution) are withheld
    whatever their count. Returns ``home_area``, ``children``, ``episodes``,
    ``withheld`` and ``label``.
    """
    area = coarsen_home_area(frame["home_area"])
    homes = pd.DataFrame({"home_area": area, "child_key": frame["child_key"]})
    grouped = homes[homes["home_area"] != ""].groupby("home_area", sort=True)
    table = pd.DataFrame(
        {"children": grouped["child_key"].nunique(), "episodes": grouped.size()}
    ).reset_index()
    return disclose_children(
        table,
        "home_area",
        float(frame["child_key"].nunique()),
        config,
        keep=("episodes",),
    )


def found_cells_for_partnership(
    frame: pd.DataFrame, config: Config, *, resolutions: tuple[int, ...] = (7, 8)
) -> DisclosedLevels:
    """Episodes per found / last-seen cell at res 7 and 8, disclosure-controlled.

    Cells with 1 to ``min_count - 1`` episodes or distinct children are withheld,
    with secondary suppression across the levels and the total
    (:func:`geo.disclosure.disclose_levels`); shown counts are perturbed with the
    episodes' keys, exactly as on the map. Each level frame also gets ``children``
    (NaN where withheld, perturbed otherwise) and ``cell`` as H3 strings.

    Raises
    ------
    DisclosureError
        When a resolution is finer than the partnership role may see.
    """
    counts: dict[int, pd.DataFrame] = {}
    children: dict[int, pd.Series] = {}
    child_keys: dict[int, pd.Series] = {}
    extra: dict[int, np.ndarray] = {}
    for res in resolutions:  # one pass per resolution, not per row
        check_resolution(Role.PARTNERSHIP, res, config)
        col = f"cell_{res}"
        located = frame[frame[col] != ""]
        grouped = located.groupby(col, sort=True)
        kids = grouped["child_key"].nunique()
        cells = hexes.str_to_cells(kids.index)
        counts[res] = pd.DataFrame(
            {
                "cell": cells,
                "count": grouped.size().to_numpy(),
                "key_sum": grouped["record_key"].sum().to_numpy(dtype=np.int64),
            }
        )
        children[res] = kids
        child_keys[res] = child_key_sums(located, col)
        k = kids.to_numpy(dtype=float)
        extra[res] = small_counts(k, config.disclosure.min_count)
    disclosed = disclose_levels(
        counts,
        float(len(frame)),
        Role.PARTNERSHIP,
        config,
        extra,
        total_key=int(frame["record_key"].sum()),
    )
    levels = {}
    for res, level in disclosed.levels.items():
        level = level.copy()
        k = children[res].to_numpy(dtype=float)
        k = np.where(level["withheld"].to_numpy(dtype=bool), np.nan, k)
        level["children"] = publish_counts(k, child_keys[res].to_numpy(dtype=np.int64), config)
        level["cell"] = hexes.cells_to_str(level["cell"].to_numpy(dtype=np.uint64))
        levels[res] = level
    return DisclosedLevels(disclosed.total, levels)


def withheld_note(min_count: int) -> str:
    """The caption under partnership tables (cells reading "withheld")."""
    return (
        f"Cells reading “withheld” are {WITHHELD}: counts from 1 to {min_count - 1}, places "
        "that could identify a children's home or refuge, and figures that would let a "
        "withheld one be worked out."
    )
