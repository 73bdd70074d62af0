"""The youth-work deployment planner: where and when K more teams would reach the most
unmet need.

A deployment is a (cell, block) pair — one team for one weekly session in that block at
that cell — and it covers the unmet need (:func:`geo.lenses.coverage.unmet_need`) of
every cell within ``reach_m`` in the same block (:mod:`geo.lenses.reach`). With K
deployments, maximise the unmet need covered (weighted maximum coverage).
:func:`coverage_problem` builds the instance; :func:`plan_greedy` takes the deployment
with the largest marginal gain K times (guaranteed at least ``1 − 1/e`` ≈ 63 % of the
optimum); :func:`plan_exact` solves the same problem with :func:`scipy.optimize.milp`
(HiGHS) when it is small enough (status ``too_large`` otherwise). The solvers work on a
plain sparse matrix and live in :mod:`geo.stats.max_cover`.

Public API
----------
- ``coverage_problem(unmet_table, reach_m, allowed_blocks, candidates, fixed, blocks)
  -> CoverProblem``
- ``plan_greedy(problem, k) -> Plan``, ``plan_exact(problem, k, ...) -> Plan``,
  ``greedy_ratio(greedy, exact) -> float | None``
- ``plan_frame(plan) -> DataFrame`` (as exported), ``plan_summary(plan, ...) -> str``
  (Markdown, printable)
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from geo.core import hexes
from geo.core.time_of_week import DEFAULT_BLOCKS, TimeBlock
from geo.core.types import CellArray, FloatArray, IntArray
from geo.lenses.reach import cells_near, reach_matrix
from geo.stats.max_cover import exact_max_cover, greedy_max_cover

__all__ = [
    "CoverProblem",
    "Plan",
    "coverage_problem",
    "greedy_ratio",
    "plan_exact",
    "plan_frame",
    "plan_greedy",
    "plan_summary",
]


@dataclass(frozen=True, eq=False)
class CoverProblem:
    """A weighted maximum-coverage instance built from unmet need.

    Attributes
    ----------
    cover : scipy.sparse.csr_matrix
        ``(candidates, items)``, 1 where the candidate deployment covers the item.
    weights : ndarray
        Unmet need of each item (after existing sessions and fixed sites).
    cand_cells : ndarray of str
        Cell of each candidate deployment (H3 strings).
    cand_blocks : ndarray of str
        Block of each candidate deployment.
    item_cells, item_blocks : ndarray of str
        Cell (H3 string) and block of each item.
    need_total : float
        Need in the allowed blocks, covered or not.
    unmet_total : float
        Unmet need in the allowed blocks before any deployment (= ``weights.sum()``).
    fixed_covered : float
        Need taken out by the fixed sites.
    reach_m : float
    block_labels : dict
    """

    cover: sp.csr_matrix
    weights: FloatArray
    cand_cells: npt.NDArray[np.object_]
    cand_blocks: npt.NDArray[np.object_]
    item_cells: npt.NDArray[np.object_]
    item_blocks: npt.NDArray[np.object_]
    need_total: float
    unmet_total: float
    fixed_covered: float
    reach_m: float
    block_labels: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int, int]:
        """Candidates, items and non-zeros of the cover matrix."""
        return self.cover.shape[0], self.cover.shape[1], int(self.cover.nnz)


def coverage_problem(
    table: pd.DataFrame,
    reach_m: float = 400.0,
    allowed_blocks: Sequence[str] | None = None,
    candidates: Any = None,
    fixed: Sequence[tuple[str, str]] = (),
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
) -> CoverProblem:
    """Build the deployment problem from a table of unmet need.

    Parameters
    ----------
    table : DataFrame
        From :func:`geo.lenses.coverage.unmet_need`: ``cell`` (H3 strings, one
        resolution), ``block``, ``need`` and ``unmet``.
    reach_m : float
        A deployment at cell c in block b covers the unmet need of every cell whose
        centre is within ``reach_m`` metres (EPSG:27700, inclusive) in block b.
    allowed_blocks : sequence of str, optional
        Blocks the teams may work (all of ``blocks`` when None).
    candidates : array_like, optional
        Cells where a team may be deployed (H3 strings at the table's resolution);
        default every cell within ``reach_m`` of a cell with unmet need.
    fixed : sequence of (cell, block)
        Sites already covered (any resolution); a block of ``""`` means every allowed
        block. The need they reach is taken out before planning.
    blocks : sequence of TimeBlock
        For names and labels.
    """
    labels = {b.name: b.label for b in blocks}
    allowed = list(labels) if allowed_blocks is None else list(allowed_blocks)
    unknown = [b for b in allowed if b not in labels]
    if unknown:
        raise ValueError(f"unknown blocks: {unknown}")
    rows = table.loc[table["block"].isin(allowed)]
    item_cells = hexes.as_cells(rows["cell"].to_numpy())
    item_blocks = rows["block"].to_numpy(dtype=object)
    weights = rows["unmet"].to_numpy(dtype=float).copy()
    need_total = float(rows["need"].sum())
    before = float(weights.sum())
    for f_cell, f_block in fixed:  # a few fixed sites
        where = hexes.as_cells([f_cell])
        hit = reach_matrix(where, item_cells, reach_m).toarray()[0] > 0
        if f_block:
            hit &= item_blocks == f_block
        weights[hit] = 0.0
    fixed_covered = before - float(weights.sum())
    live = weights > 1e-12
    item_cells, item_blocks, weights = item_cells[live], item_blocks[live], weights[live]
    if candidates is None:
        res = int(hexes.cell_resolution(item_cells[:1])[0]) if item_cells.size else 9
        cand = cells_near(item_cells, res, reach_m) if item_cells.size else item_cells
    else:
        cand = np.unique(hexes.as_cells(candidates))
    reach = reach_matrix(cand, item_cells, reach_m)  # candidate cells × items
    cand_cells: list[CellArray] = []
    cand_blocks: list[npt.NDArray[np.object_]] = []
    mats = []
    for name in allowed:  # a handful of blocks
        in_block = sp.diags((item_blocks == name).astype(np.float64))
        m = (reach @ in_block).tocsr()
        m.eliminate_zeros()
        useful = np.diff(m.indptr) > 0
        mats.append(m[useful])
        cand_cells.append(cand[useful])
        cand_blocks.append(np.full(int(useful.sum()), name, dtype=object))
    cover = sp.vstack(mats, format="csr") if mats else sp.csr_matrix((0, item_cells.size))
    cover.data = np.ones_like(cover.data)
    all_cand_cells = np.concatenate(cand_cells) if cand_cells else np.empty(0, np.uint64)
    return CoverProblem(
        cover=cover,
        weights=weights,
        cand_cells=hexes.cells_to_str(all_cand_cells).astype(object),
        cand_blocks=np.concatenate(cand_blocks) if cand_blocks else np.empty(0, object),
        item_cells=hexes.cells_to_str(item_cells).astype(object),
        item_blocks=item_blocks,
        need_total=need_total,
        unmet_total=float(weights.sum()),
        fixed_covered=fixed_covered,
        reach_m=float(reach_m),
        block_labels={b: labels[b] for b in allowed},
    )


@dataclass(frozen=True, eq=False)
class Plan:
    """A deployment plan.

    Attributes
    ----------
    method : str
        ``"greedy"`` or ``"exact"``.
    status : str
        ``"ok"`` (greedy), ``"optimal"``, ``"time_limit"``, ``"too_large"`` or
        ``"failed"``.
    k : int
        Deployments asked for.
    steps : DataFrame
        One row per deployment: ``step``, ``cell`` (H3 string), ``block``,
        ``block_label``, ``gain`` (unmet need newly covered), ``cells_reached``
        (cells with unmet need it reaches in its block), ``cumulative``,
        ``share_unmet`` (cumulative / unmet need before planning) and ``share_need``
        (share of all need in the allowed blocks covered by existing sessions, fixed
        sites and the plan so far). For an exact plan the steps are ordered greedily
        within the chosen set.
    covered : float
        Unmet need the plan covers.
    unmet_total, need_total : float
        As in :class:`CoverProblem`.
    bound : float
        Upper bound on the optimum (exact: the solver's bound; greedy: ``covered /
        (1 − 1/e)``).
    seconds : float
        Solve time.
    reach_m : float
    message : str
    """

    method: str
    status: str
    k: int
    steps: pd.DataFrame
    covered: float
    unmet_total: float
    need_total: float
    bound: float
    seconds: float
    reach_m: float
    message: str = ""

    @property
    def share(self) -> float:
        """Share of the unmet need the plan covers (0 when there was none)."""
        return self.covered / self.unmet_total if self.unmet_total > 0 else 0.0


_GREEDY_FACTOR: Final = 1.0 - 1.0 / math.e


def _steps(problem: CoverProblem, chosen: IntArray, gains: FloatArray) -> pd.DataFrame:
    cells = problem.cand_cells[chosen].astype(object)
    blocks = problem.cand_blocks[chosen]
    reached = np.diff(problem.cover.indptr)[chosen]
    cumulative = np.cumsum(gains)
    already = problem.need_total - problem.unmet_total
    return pd.DataFrame(
        {
            "step": np.arange(1, chosen.size + 1, dtype=np.int64),
            "cell": cells,
            "block": blocks.astype(object),
            "block_label": [problem.block_labels.get(str(b), str(b)) for b in blocks],
            "gain": gains,
            "cells_reached": reached.astype(np.int64),
            "cumulative": cumulative,
            "share_unmet": cumulative / problem.unmet_total if problem.unmet_total else 0.0,
            "share_need": (already + cumulative) / problem.need_total
            if problem.need_total
            else 0.0,
        }
    )


def plan_greedy(problem: CoverProblem, k: int) -> Plan:
    """Greedy plan of up to ``k`` deployments (fewer when nothing is left to cover)."""
    t = _time.perf_counter()
    chosen, gains = greedy_max_cover(problem.cover, problem.weights, k)
    seconds = _time.perf_counter() - t
    covered = float(gains.sum())
    return Plan(
        method="greedy",
        status="ok",
        k=int(k),
        steps=_steps(problem, chosen, gains),
        covered=covered,
        unmet_total=problem.unmet_total,
        need_total=problem.need_total,
        bound=min(covered / _GREEDY_FACTOR, problem.unmet_total),
        seconds=seconds,
        reach_m=problem.reach_m,
        message=f"{chosen.size} of {k} deployments add coverage",
    )


def plan_exact(
    problem: CoverProblem, k: int, *, max_nonzeros: int = 2_000_000, time_limit_s: float = 30.0
) -> Plan:
    """The optimal plan of ``k`` deployments by mixed-integer programming (HiGHS).

    Status ``too_large`` (no steps) when the instance exceeds ``max_nonzeros``;
    ``time_limit`` with the best plan found and the solver's bound when HiGHS runs out
    of time.
    """
    t = _time.perf_counter()
    result = exact_max_cover(problem.cover, problem.weights, k, max_nonzeros, time_limit_s)
    seconds = _time.perf_counter() - t
    chosen = result.chosen
    if chosen.size:
        # order the chosen deployments greedily so the steps read as marginal gains
        order, gains = greedy_max_cover(problem.cover[chosen], problem.weights, chosen.size)
        chosen = chosen[order]
    else:
        gains = np.empty(0, dtype=np.float64)
    empty = 0.0 if result.status == "optimal" else math.nan
    covered = float(gains.sum()) if chosen.size else empty
    return Plan(
        method="exact",
        status=result.status,
        k=int(k),
        steps=_steps(problem, chosen, gains),
        covered=covered,
        unmet_total=problem.unmet_total,
        need_total=problem.need_total,
        bound=result.bound,
        seconds=seconds,
        reach_m=problem.reach_m,
        message=result.message,
    )


def greedy_ratio(greedy: Plan, exact: Plan) -> float | None:
    """Greedy coverage over the exact optimum (None when the exact plan has none)."""
    if exact.status not in ("optimal", "time_limit") or not exact.covered > 0:
        return None
    return greedy.covered / exact.covered


# =========================================================================== export
def plan_frame(plan: Plan) -> pd.DataFrame:
    """The plan's steps with rounded figures, as exported."""
    frame = plan.steps.copy()
    for col in ("gain", "cumulative"):
        frame[col] = frame[col].round(2)
    for col in ("share_unmet", "share_need"):
        frame[col] = (frame[col] * 100).round(1)
    frame = frame.rename(
        columns={"share_unmet": "share_of_unmet_need_pct", "share_need": "share_of_all_need_pct"}
    )
    frame.insert(0, "method", plan.method)
    frame["reach_m"] = plan.reach_m
    return frame


def plan_summary(
    plan: Plan,
    gap_table: pd.DataFrame | None = None,
    exact: Plan | None = None,
    title: str = "Youth-work deployment plan",
    period: str = "",
    top_gaps: int = 5,
    show_need: bool = True,
) -> str:
    """A printable Markdown summary of the plan (and the top gaps, and the exact check).

    For the partnership pass ``show_need=False`` (weighted need totals, which are sums
    of counts, are left out and only shares shown) and a disclosure-controlled
    ``gap_table`` (:func:`geo.disclosure.coverage.disclose_gaps` of a ranking built with
    ``exact_counts=False``).
    Cells are H3 strings; all text is fixed wording, numbers or the gap reasons.
    """
    lines = [f"# {title}", ""]
    if period:
        lines += [f"Period: {period}.", ""]
    lines += [
        f"Plan: {len(plan.steps)} of {plan.k} weekly deployments ({plan.method}), each covering "
        f"cells within {plan.reach_m:g} m in its time block.",
        "",
    ]
    met = 1.0 - plan.unmet_total / plan.need_total if plan.need_total > 0 else 0.0
    if show_need:
        lines += [
            f"Need in the allowed blocks: {plan.need_total:,.1f} (weighted); already met by "
            f"existing sessions and fixed sites: {plan.need_total - plan.unmet_total:,.1f}; "
            f"unmet: {plan.unmet_total:,.1f}.",
            f"The plan covers {plan.covered:,.1f} of the unmet need ({plan.share:.0%}).",
            "",
        ]
    else:
        lines += [
            f"Existing sessions and fixed sites meet {met:.0%} of the need in the allowed "
            f"blocks; the plan covers {plan.share:.0%} of the rest.",
            "",
        ]
    if exact is not None:
        ratio = greedy_ratio(plan, exact)
        if ratio is not None:
            optimum = f"optimum {exact.covered:,.1f}; " if show_need else ""
            lines += [
                f"Exact check (MILP, {exact.status}): {optimum}this plan reaches {ratio:.1%} of "
                "the best possible.",
                "",
            ]
        else:
            lines += [f"Exact check not available ({exact.status}: {exact.message}).", ""]
    if len(plan.steps):
        head = "| Step | Cell | Time block |" + (" Need covered |" if show_need else "")
        lines += [
            head + " Cumulative share of unmet need |",
            "|---:|---|---|" + ("---:|" if show_need else "") + "---:|",
        ]
        for r in plan.steps.to_dict("records"):
            gain = f" {r['gain']:,.1f} |" if show_need else ""
            lines.append(
                f"| {r['step']} | {r['cell']} | {r['block_label']} |{gain} {r['share_unmet']:.0%} |"
            )
        lines.append("")
    if gap_table is not None and len(gap_table):
        lines += ["## Largest gaps", ""]
        for r in gap_table.head(top_gaps).to_dict("records"):
            lines.append(f"{r['rank']}. {r['cell']}, {r['block_label']}: {r['reason']}")
        lines.append("")
    lines.append(
        "Distances are straight lines between hexagon centres; walking routes are longer. "
        "Only incidents recorded to the minute are counted."
    )
    return "\n".join(lines) + "\n"
