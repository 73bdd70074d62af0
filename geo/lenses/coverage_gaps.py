"""Youth-work gaps: where and when need goes unmet, ranked and explained, and the nearest
health site to each.

**Gaps** (:func:`rank_gaps`; :func:`geo.lenses.coverage.analyse` runs it over the study
area): the (cell, block) pairs of recurring locations (the top of
:func:`geo.lenses.recurring.rank_recurring_locations`) and of hot cells (Getis-Ord Gi* of
the block's need over the grid, 95 % after FDR, :func:`hot_cells`) that have need of at
least ``min_need`` in the block, ranked by unmet need (ties: more need first), each with
a plain-English reason ("312 incidents and 4 missing children found on weekend evenings
(Fri-Sun 19:00-23:00) in 2023-01 to 2024-12; no youth-work session within 400 m at those
times"). Need and unmet need come from :mod:`geo.lenses.coverage`, the time blocks from
:mod:`geo.core.time_of_week`.

**Health sites** (:func:`nearest_sites`): straight-line distance (EPSG:27700 metres)
from each gap's cell centre to the nearest site (A&E, GP, sexual-health clinic...),
which may lie outside the study area.

Reasons quote exact counts only when ``exact_counts`` is set; what a role may see of
the ranked table is decided in :mod:`geo.disclosure.coverage`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from geo.core import hexes
from geo.core.area import cells_to_bng, to_bng
from geo.core.errors import InsufficientDataError
from geo.core.time_of_week import DEFAULT_BLOCKS, TimeBlock
from geo.core.types import BoolArray, FloatArray
from geo.stats.getis_ord import gi_star

__all__ = ["hot_cells", "nearest_sites", "rank_gaps"]


def hot_cells(
    need_table: pd.DataFrame,
    grid: Any,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
    k: int = 1,
) -> pd.DataFrame:
    """Getis-Ord Gi* of each block's need over the whole grid (zeros included, FDR on).

    Returns ``cell``, ``block``, ``z``, ``bin`` (-3..3) for grid cells; blocks with no
    variance are left out.
    """
    grid_str = pd.Index(hexes.cells_to_str(np.sort(hexes.as_cells(grid))).astype(object))
    frames = []
    for b in blocks:  # a handful of blocks
        sub = need_table.loc[need_table["block"] == b.name]
        values = sub.groupby("cell")["need"].sum().reindex(grid_str, fill_value=0.0)
        try:
            gi = gi_star(values.astype(float), k=k, fdr=True)
        except InsufficientDataError:
            continue
        frames.append(
            pd.DataFrame(
                {"cell": grid_str.to_numpy(), "block": b.name, "z": gi["z"].to_numpy(),
                 "bin": gi["bin"].to_numpy()}
            )
        )  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=["cell", "block", "z", "bin"])
    return pd.concat(frames, ignore_index=True)


_GAP_COLUMNS: Final = [
    "rank", "cell", "block", "block_label", "need", "unmet", "incidents", "syv", "hsb",
    "missing", "hours", "hours_per_week", "sessions", "coverage", "recurring_rank",
    "category", "hot_bin", "why", "reason",
]  # fmt: skip


def rank_gaps(
    table: pd.DataFrame,
    places: pd.DataFrame | None = None,
    hot: pd.DataFrame | None = None,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
    reach_m: float = 400.0,
    min_need: float = 3.0,
    period: str = "the period",
    exact_counts: bool = True,
    *,
    min_count: int,
) -> pd.DataFrame:
    """Rank the recurring places and hot cells by the need left unmet in their blocks.

    Parameters
    ----------
    table : DataFrame
        From :func:`geo.lenses.coverage.unmet_need`.
    places : DataFrame, optional
        Recurring places: ``cell`` (H3 string at the same resolution), ``rank``,
        ``category``. Every block of a place with enough need is a candidate.
    hot : DataFrame, optional
        From :func:`hot_cells`; (cell, block) pairs with ``bin >= 2`` are candidates.
    blocks, reach_m : the blocks (for labels) and the reach (for reasons), metres.
    min_need : float
        Least weighted need in the block.
    period : str
        How reasons name the period ("2023-01 to 2024-12", "this quarter").
    exact_counts, min_count : bool, int
        When ``exact_counts`` is False, counts from 1 to ``min_count - 1`` are never
        quoted in reasons, nor a place's number in the full recurring-location ranking
        (the partnership's ranking is renumbered without sensitive places).

    Returns
    -------
    DataFrame
        Gaps, most unmet need first (ties: more need, then cell): ``rank``, ``cell``,
        ``block``, ``block_label``, ``need``, ``unmet``, the counts, ``hours``,
        ``hours_per_week``, ``sessions``, ``coverage``, ``recurring_rank`` (0 when not
        a recurring place), ``category``, ``hot_bin``, ``why`` and ``reason``.
        Only pairs with unmet need are listed.
    """
    frame = table.copy()
    frame["recurring_rank"] = 0
    frame["category"] = ""
    frame["hot_bin"] = 0
    if places is not None and len(places):
        p = places.drop_duplicates("cell").set_index("cell")
        frame["recurring_rank"] = frame["cell"].map(p["rank"]).fillna(0).astype(np.int64)
        frame["category"] = frame["cell"].map(p["category"]).fillna("").astype(str)
    if hot is not None and len(hot):
        h = hot.set_index(["cell", "block"])["bin"]
        key = pd.MultiIndex.from_frame(frame[["cell", "block"]])
        frame["hot_bin"] = h.reindex(key).fillna(0).astype(np.int64).to_numpy()
    is_place = frame["recurring_rank"].gt(0)
    is_hot = frame["hot_bin"].ge(2)
    keep = (is_place | is_hot) & frame["need"].ge(min_need) & frame["unmet"].gt(1e-9)
    frame = frame.loc[keep].copy()
    frame["why"] = np.select(
        [is_place[keep] & is_hot[keep], is_place[keep]],
        ["recurring location and hot spot", "recurring location"],
        "hot spot",
    )
    labels = {b.name: b.label for b in blocks}
    frame["block_label"] = frame["block"].map(labels).fillna(frame["block"])
    frame = frame.sort_values(
        ["unmet", "need", "cell", "block"], ascending=[False, False, True, True], kind="stable"
    )
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    phrases = {b.name: b.phrase for b in blocks}
    frame["reason"] = [
        _gap_reason(row, phrases, reach_m, period, exact_counts, min_count)
        for row in frame.to_dict("records")
    ]
    return frame[_GAP_COLUMNS].reset_index(drop=True)


def _gap_reason(
    row: Mapping[Any, Any],
    phrases: Mapping[str, str],
    reach_m: float,
    period: str,
    exact_counts: bool,
    min_count: int,
) -> str:
    def n_text(n: int, one: str, many: str) -> str:
        if exact_counts or n >= min_count:
            return f"{n:,} {one if n == 1 else many}"
        return many  # a withheld count is never quoted

    when = phrases.get(str(row["block"]), str(row["block"]))
    what = []
    if int(row["incidents"]):
        what.append(n_text(int(row["incidents"]), "incident", "incidents"))
    if int(row["missing"]):
        what.append(n_text(int(row["missing"]), "missing child", "missing children") + " found")
    first = " and ".join(what) + f" on {when} in {period}"
    hpw = float(row["hours_per_week"])
    if int(row["sessions"]) == 0:
        cover = f"no youth-work session within {reach_m:g} m at those times"
    else:
        cover = f"sessions within {reach_m:g} m average only {hpw:.1f} h a week at those times"
    text = f"{first}; {cover}"
    if int(row["recurring_rank"]):
        # the partnership's ranking leaves out sensitive places and is renumbered, so
        # the full ranking's number is quoted to analysts only
        text += (
            f"; recurring location #{int(row['recurring_rank'])}"
            if exact_counts
            else "; a recurring location"
        )
        if row["category"] and row["category"] != "No Pattern Detected":
            text += f" ({str(row['category']).lower()})"
    return text[0].upper() + text[1:] + "."


def nearest_sites(
    gap_table: pd.DataFrame, sites: pd.DataFrame, *, kinds: Sequence[str] = ()
) -> pd.DataFrame:
    """Distance from each gap's cell centre to the nearest health site.

    Parameters
    ----------
    gap_table : DataFrame
        With ``cell`` (H3 strings).
    sites : DataFrame
        ``kind`` (``"a_and_e"``, ``"gp"``, ``"sexual_health"``...), ``name`` and either
        ``latitude``/``longitude`` (WGS84 degrees) or ``cell`` (H3 string); sites may
        lie outside the study area. Rows without a location are ignored.
    kinds : sequence of str
        Also add ``distance_{kind}_m`` and ``name_{kind}`` for each of these kinds.

    Returns
    -------
    DataFrame
        ``gap_table`` with ``site_distance_m`` (straight line, EPSG:27700 metres,
        rounded to the metre), ``site_kind`` and ``site_name`` of the nearest site
        (NaN / empty when there are no sites).
    """
    out = gap_table.copy()
    if "latitude" in sites.columns and "longitude" in sites.columns:
        located = sites.loc[sites["latitude"].notna() & sites["longitude"].notna()]
        sx, sy = to_bng(located["longitude"].to_numpy(float), located["latitude"].to_numpy(float))
    else:
        located = sites.loc[sites["cell"].notna()]
        sx, sy = cells_to_bng(hexes.as_cells(located["cell"].to_numpy()))
    gx, gy = cells_to_bng(hexes.as_cells(out["cell"].to_numpy()))
    site_kind = located["kind"].astype(str).to_numpy() if len(located) else np.empty(0, object)
    site_name = located["name"].astype(str).to_numpy() if len(located) else np.empty(0, object)

    def nearest(mask: BoolArray) -> tuple[FloatArray, npt.NDArray[np.object_], Any]:
        n = len(out)
        if not mask.any() or n == 0:
            return np.full(n, np.nan), np.full(n, "", dtype=object), np.full(n, "", dtype=object)
        tree = cKDTree(np.column_stack([sx[mask], sy[mask]]))
        dist, idx = tree.query(np.column_stack([gx, gy]), k=1)
        return (
            np.round(np.asarray(dist, dtype=float)),
            site_kind[mask][idx].astype(object),
            site_name[mask][idx].astype(object),
        )

    every = np.ones(len(located), dtype=bool)
    out["site_distance_m"], out["site_kind"], out["site_name"] = nearest(every)
    for kind in kinds:
        d, _, nm = nearest(site_kind == kind)
        out[f"distance_{kind}_m"] = d
        out[f"name_{kind}"] = nm
    return out
