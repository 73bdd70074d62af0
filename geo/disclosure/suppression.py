"""Suppression and publication of count layers: what the partnership sees of counts.

Every count layer the partnership sees passes through :func:`disclose_levels` (or its
one-resolution form :func:`disclose_counts`): it enforces the resolution floor,
withholds counts from 1 to ``min_count - 1`` (primary suppression), adds secondary
suppression (:func:`protect_hierarchy`) so that no withheld count can be worked out
from totals or other resolutions, and perturbs every shown count with its cell key
(:mod:`geo.disclosure.perturbation`). Records at sensitive premises never reach this
module: they are removed from the publishable dataset before any analysis runs
(:mod:`geo.disclosure.publishable`), so no cell is ever withheld *because* of a premise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.config import Config
from geo.core.roles import Role, as_role
from geo.disclosure.perturbation import perturb
from geo.disclosure.policy import disclosure_policy, small_counts

#: The one label every withheld figure gets, whatever the reason (a small count or
#: protecting another figure). Withheld values are NaN in numeric columns.
WITHHELD = "withheld (disclosure control)"
#: Why figures are withheld, for captions and legends (never per cell).
WITHHELD_EXPLAINED = (
    "Withheld: counts from 1 to {max_small} and figures that would let a withheld one be "
    "worked out. Figures are rounded and perturbed to protect privacy; records at "
    "children's homes and refuges are not included."
)
#: The sentence every partnership output carries.
PUBLICATION_NOTE = (
    "Figures are rounded and perturbed to protect privacy (each count may differ from the "
    "true count by up to {max_noise}); counts from 1 to {max_small} are withheld; records at "
    "children's homes and refuges are not included."
)


def publication_note(config: Config) -> str:
    """:data:`PUBLICATION_NOTE` with this configuration's parameters."""
    policy = disclosure_policy(config)
    return PUBLICATION_NOTE.format(max_noise=policy.max_noise, max_small=policy.min_count - 1)


def check_resolution(role: str | Role, res: int, config: Config) -> None:
    """Raise :class:`~geo.disclosure.DisclosureError` when ``res`` is finer than ``role``
    may see."""
    disclosure_policy(config).check_resolution(role, res)


def publish_counts(counts: np.ndarray, key_sums: np.ndarray | None, config: Config) -> np.ndarray:
    """Perturbed counts (NaN kept) for publication; without key sums, the counts.

    Parameters
    ----------
    counts : ndarray of float
        Exact counts, NaN where withheld.
    key_sums : ndarray of int or None
        The sums of each count's record keys.
    config : Config
        The perturbation table comes from its policy.
    """
    values = np.asarray(counts, dtype=float)
    if key_sums is None or values.size == 0:
        return values
    ok = np.isfinite(values)
    out = values.copy()
    keys = np.asarray(key_sums, dtype=np.int64)
    out[ok] = perturb(values[ok].astype(np.int64), keys[ok], disclosure_policy(config).ptable)
    return out


def disclose_counts(
    counts: pd.DataFrame,
    role: str | Role,
    res: int,
    config: Config,
    *,
    value: str = "count",
) -> pd.DataFrame:
    """Apply disclosure control to one per-cell count layer whose total is known.

    The single-resolution case of :func:`disclose_levels` (primary and secondary
    suppression against the layer's total, then perturbation when the frame has a
    ``key_sum`` column).

    Parameters
    ----------
    counts : DataFrame
        Columns ``cell`` (uint64 at ``res``), ``value`` and optionally ``key_sum``.
    role : Role
        ``partnership``, ``analyst`` or ``admin``.
    res : int
        H3 resolution of the cells.
    config : Config
        The disclosure policy comes from it.
    value : str
        Name of the count column.

    Returns
    -------
    DataFrame
        ``cell`` (uint64), ``value`` (float, NaN when withheld), ``withheld`` (bool),
        ``label`` (display text). Only these columns leave this function.

    Raises
    ------
    DisclosureError
        When ``res`` is finer than the role's floor.
    """
    frame = pd.DataFrame(
        {"cell": counts["cell"].to_numpy(dtype=np.uint64), "count": counts[value].to_numpy()}
    )
    total_key = None
    if "key_sum" in counts.columns:
        frame["key_sum"] = counts["key_sum"].to_numpy(dtype=np.int64)
        total_key = int(frame["key_sum"].sum())
    total = float(frame["count"].sum())
    return disclose_levels({res: frame}, total, role, config, total_key=total_key).levels[res]


def _int_labels(values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), "", dtype=object)
    ok = np.isfinite(values)
    out[ok] = pd.Series(values[ok]).map("{:,.0f}".format).to_numpy()
    return out


# --- secondary suppression over a hierarchy -------------------------------------------------


@dataclass(frozen=True)
class DisclosedLevels:
    """Counts at several resolutions and their total after hierarchical disclosure control.

    Attributes
    ----------
    total : float or None
        The overall total (None when withheld).
    levels : dict of int to DataFrame
        Per resolution: ``cell`` (uint64), ``value`` (NaN when withheld), ``withheld``
        (bool) and ``label`` — the only columns that may leave this module.
    """

    total: float | None
    levels: dict[int, pd.DataFrame]


def protect_hierarchy(
    values: list[np.ndarray],
    withheld: list[np.ndarray],
    parents: list[np.ndarray],
    total: float,
    total_withheld: bool,
    min_count: int,
) -> tuple[list[np.ndarray], bool]:
    """Secondary suppression so that no withheld value can be found by differencing.

    The tables form a tree: the total, then level 0 (coarsest) whose parent is the
    total, then level 1 whose ``parents[1]`` index into level 0, and so on. A
    displayed node's withheld children, if any, must be at least two and sum to at
    least ``min_count`` (otherwise the node minus its displayed children would
    reveal them); a withheld node must have at least ``min_count`` of its value in
    withheld children (otherwise its displayed children would reveal it). Where a
    group cannot be protected with more children, the node itself is withheld. The
    smallest displayed positive values are withheld first, to lose the least.

    Withheld cells are still drawn (grey), so a reader knows each holds at least
    one event, and a withheld node at least its displayed children plus those
    bounds of its withheld ones. The withheld children of a displayed node must
    therefore also sum to more than their known lower bounds (otherwise, e.g., a
    shown 20 over a shown 14 and six grey cells pins every grey cell to 1).

    Parameters
    ----------
    values : list of ndarray
        Non-negative counts per level, coarsest first.
    withheld : list of ndarray of bool
        Primary suppression per level (small counts, few distinct children).
    parents : list of ndarray of int
        For level ``i``, the position of each node's parent in level ``i - 1``;
        ``parents[0]`` is ignored (the parent is the total). A level-0 pseudo-node
        may stand for events without a cell (always withheld).
    total : float
        The total over all level-0 nodes.
    total_withheld : bool
        Whether the total is withheld by primary suppression.
    min_count : int
        Counts from 1 to ``min_count - 1`` are disclosive.

    Returns
    -------
    (list of ndarray of bool, bool)
        Withheld flags per level and for the total.
    """
    held = [w.copy() for w in withheld]
    vals = [np.asarray(v, dtype=float) for v in values]
    total_held = bool(total_withheld)
    groups: list[list[np.ndarray]] = []
    for level in range(len(vals)):
        if level == 0:
            groups.append([np.arange(len(vals[0]))])
        else:
            order = np.argsort(parents[level], kind="stable")
            bounds = np.searchsorted(parents[level][order], np.arange(len(vals[level - 1]) + 1))
            groups.append([order[bounds[i] : bounds[i + 1]] for i in range(len(vals[level - 1]))])

    changed = True
    while changed:
        changed = False
        lower = _known_lower_bounds(vals, held, parents)
        for level in range(len(vals)):
            parent_count = 1 if level == 0 else len(vals[level - 1])
            for p in range(parent_count):
                members = groups[level][p]
                if members.size == 0:
                    continue
                parent_held = total_held if level == 0 else bool(held[level - 1][p])
                parent_value = total if level == 0 else float(vals[level - 1][p])
                if parent_value <= 0:
                    continue
                # withheld members that carry events (a withheld zero protects nothing)
                w = members[held[level][members] & (vals[level][members] > 0)]
                w_sum = float(vals[level][w].sum())
                if parent_held:
                    ok = w_sum >= min(min_count, parent_value)
                else:
                    slack = w_sum - float(lower[level][w].sum())
                    ok = w.size == 0 or (w.size >= 2 and w_sum >= min_count and slack >= 1)
                if ok:
                    continue
                candidates = members[~held[level][members] & (vals[level][members] > 0)]
                if candidates.size:
                    pick = candidates[np.argmin(vals[level][candidates])]
                    held[level][pick] = True
                elif not parent_held:
                    if level == 0:
                        total_held = True
                    else:
                        held[level - 1][p] = True
                else:
                    continue
                changed = True
                lower = _known_lower_bounds(vals, held, parents)
    return held, total_held


def _known_lower_bounds(
    vals: list[np.ndarray], held: list[np.ndarray], parents: list[np.ndarray]
) -> list[np.ndarray]:
    """What a reader can prove about each node from below: a displayed node its value;
    a withheld node with events at least 1 (it is drawn) and at least its displayed
    children plus the bounds of its withheld ones."""
    lower = [np.zeros(len(v)) for v in vals]
    for level in range(len(vals) - 1, -1, -1):
        v, h = vals[level], held[level]
        below = np.zeros(len(v))
        if level + 1 < len(vals) and len(vals[level + 1]):
            below = np.asarray(
                np.bincount(parents[level + 1], lower[level + 1], minlength=len(v))[: len(v)],
                dtype=float,
            )
        lower[level] = np.where(h, np.maximum((v > 0).astype(float), below), v)
    return lower


def disclose_levels(
    counts: dict[int, pd.DataFrame],
    total: float,
    role: str | Role,
    config: Config,
    extra_withheld: dict[int, np.ndarray] | None = None,
    total_key: int | None = None,
) -> DisclosedLevels:
    """Disclosure control for a count layer shown at several resolutions with a total.

    Parameters
    ----------
    counts : dict of int to DataFrame
        Per resolution (e.g. 7 and 8): ``cell`` (uint64), ``count`` and optionally
        ``key_sum`` (the sum of the cell's record keys), from the same events, so that
        every cell's parent is in the coarser table.
    total : float
        All events in the filter, including any without a cell.
    role : Role
        Only the partnership is controlled; other roles see exact values.
    config : Config
        The disclosure policy comes from it.
    extra_withheld : dict of int to ndarray of bool, optional
        Further primary suppression per resolution (e.g. few distinct children).
    total_key : int, optional
        The sum of the record keys of all events in ``total`` (perturbs the total).

    Returns
    -------
    DisclosedLevels
        For the partnership, shown counts are perturbed (cell-key perturbation) where
        key sums are given; withheld counts are NaN with the label :data:`WITHHELD`.
    """
    resolutions = sorted(counts)
    for res in resolutions:
        check_resolution(role, res, config)
    min_count = disclosure_policy(config).min_count
    frames = {r: counts[r].reset_index(drop=True) for r in resolutions}
    if as_role(role).sees_exact_counts:
        levels = {
            r: pd.DataFrame(
                {
                    "cell": f["cell"].to_numpy(dtype=np.uint64),
                    "value": f["count"].to_numpy(dtype=float),
                    "withheld": np.zeros(len(f), dtype=bool),
                    "label": _int_labels(f["count"].to_numpy(dtype=float)),
                }
            )
            for r, f in frames.items()
        }
        return DisclosedLevels(float(total), levels)

    values: list[np.ndarray] = []
    withheld: list[np.ndarray] = []
    parents: list[np.ndarray] = []
    for i, r in enumerate(resolutions):
        f = frames[r]
        cells = f["cell"].to_numpy(dtype=np.uint64)
        v = f["count"].to_numpy(dtype=float)
        primary = small_counts(v, min_count)
        if extra_withheld and r in extra_withheld:
            primary |= extra_withheld[r]
        if i == 0:
            located = float(v.sum())
            unlocated = max(float(total) - located, 0.0)
            # events without a cell: an always-withheld pseudo-node under the total
            values.append(np.append(v, unlocated))
            withheld.append(np.append(primary, True))
            parents.append(np.zeros(len(v) + 1, dtype=np.int64))
        else:
            coarse = resolutions[i - 1]
            coarse_cells = frames[coarse]["cell"].to_numpy(dtype=np.uint64)
            order = np.argsort(coarse_cells)
            up = hexes.cells_to_parent(cells, coarse) if cells.size else cells
            pos = order[np.searchsorted(coarse_cells[order], up)] if cells.size else up
            values.append(v)
            withheld.append(primary)
            parents.append(np.asarray(pos, dtype=np.int64))
    total_small = 1 <= total < min_count
    held, total_held = protect_hierarchy(
        values, withheld, parents, float(total), total_small, min_count
    )
    levels = {}
    for i, r in enumerate(resolutions):
        f = frames[r]
        h = held[i][: len(f)]
        v = f["count"].to_numpy(dtype=float)
        keys = f["key_sum"].to_numpy(dtype=np.int64) if "key_sum" in f.columns else None
        shown = publish_counts(np.where(h, np.nan, v), keys, config)
        labels = np.where(h, WITHHELD, _int_labels(shown))
        levels[r] = pd.DataFrame(
            {
                "cell": f["cell"].to_numpy(dtype=np.uint64),
                "value": shown,
                "withheld": h,
                "label": labels,
            }
        )
    shown_total = None
    if not total_held:
        keys_total = None if total_key is None else np.array([total_key])
        shown_total = float(publish_counts(np.array([float(total)]), keys_total, config)[0])
    return DisclosedLevels(shown_total, levels)
