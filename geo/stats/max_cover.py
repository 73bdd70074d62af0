"""Weighted maximum coverage on a plain sparse matrix: greedy, exact (MILP) and brute force.

Arrays in, arrays out: a candidate-by-item cover matrix (``cover[j, i]`` non-zero when
candidate ``j`` covers item ``i``) and the items' weights; no cells, no store, no roles.
The youth-work planner (:mod:`geo.lenses.youth_work_plan`) builds the matrix from unmet
need and calls these.

Choose ``k`` candidates to maximise the weight of the items covered by at least one.

- :func:`greedy_max_cover` takes the candidate with the largest marginal gain ``k``
  times (guaranteed at least ``1 − 1/e`` ≈ 63 % of the optimum).
- :func:`exact_max_cover` solves the same problem with :func:`scipy.optimize.milp`
  (HiGHS) when it is small enough (status ``too_large`` otherwise).
- :func:`brute_force_max_cover` enumerates every set of ``k`` (tiny instances, for checks).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.core.types import FloatArray, IntArray

__all__ = [
    "ExactResult",
    "brute_force_max_cover",
    "exact_max_cover",
    "greedy_max_cover",
]


def greedy_max_cover(
    cover: sp.spmatrix, weights: npt.ArrayLike, k: int
) -> tuple[IntArray, FloatArray]:
    """Greedy weighted maximum coverage.

    At each of ``k`` steps take the candidate (row of ``cover``) whose uncovered items
    (columns) weigh most; stop early when nothing is left to gain. Ties go to the
    lowest row. Achieves at least ``1 − 1/e`` of the optimum.

    Returns
    -------
    chosen : int64 array
        Rows in the order taken.
    gains : float64 array
        The weight each step newly covered.
    """
    a = sp.csr_matrix(cover, dtype=np.float64)
    a.data = np.ones_like(a.data)
    w = np.asarray(weights, dtype=np.float64).copy()
    a_csc = a.tocsc()
    gains = np.asarray(a @ w, dtype=np.float64)
    chosen: list[int] = []
    got: list[float] = []
    for _ in range(max(int(k), 0)):  # K greedy steps
        if gains.size == 0:
            break
        j = int(np.argmax(gains))
        if gains[j] <= 1e-12:
            break
        items = a.indices[a.indptr[j] : a.indptr[j + 1]]
        items = items[w[items] > 0]
        gain = float(w[items].sum())
        gains -= np.asarray(a_csc[:, items] @ w[items], dtype=np.float64)
        w[items] = 0.0
        chosen.append(j)
        got.append(gain)
    return np.asarray(chosen, dtype=np.int64), np.asarray(got, dtype=np.float64)


@dataclass(frozen=True)
class ExactResult:
    """What :func:`exact_max_cover` found."""

    chosen: IntArray
    objective: float
    bound: float
    status: str  # "optimal", "time_limit", "too_large", "failed"
    message: str


def exact_max_cover(
    cover: sp.spmatrix,
    weights: npt.ArrayLike,
    k: int,
    max_nonzeros: int = 2_000_000,
    time_limit_s: float = 30.0,
) -> ExactResult:
    """Weighted maximum coverage solved exactly with :func:`scipy.optimize.milp`.

    maximise ``Σ w_i y_i`` subject to ``y_i ≤ Σ_j A_ji x_j``, ``Σ x_j ≤ k``, ``x``
    binary, ``0 ≤ y ≤ 1`` (y is integral at an optimum given binary x).

    Parameters
    ----------
    max_nonzeros : int
        Refuse (status ``too_large``) when the constraint matrix would have more
        non-zeros than this.
    time_limit_s : float
        HiGHS time limit; at the limit the best plan found is returned with status
        ``time_limit`` and the solver's upper bound.
    """
    a = sp.csr_matrix(cover, dtype=np.float64)
    a.data = np.ones_like(a.data)
    w = np.asarray(weights, dtype=np.float64)
    n_c, n_i = a.shape
    size = int(a.nnz) + n_i + n_c
    if size > max_nonzeros:
        return ExactResult(
            np.empty(0, np.int64), math.nan, math.nan, "too_large",
            f"{n_c:,} candidates × {n_i:,} items ({size:,} non-zeros) exceeds {max_nonzeros:,}",
        )  # fmt: skip
    if n_c == 0 or n_i == 0 or k <= 0:
        return ExactResult(np.empty(0, np.int64), 0.0, 0.0, "optimal", "nothing to cover")
    # y_i - Σ_j A_ji x_j <= 0 ; Σ x_j <= k
    link = sp.hstack([-a.T.tocsr(), sp.identity(n_i, format="csr")], format="csr")
    budget = sp.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_i)])[None, :])
    constraints = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(budget, 0.0, float(k)),
    ]
    c = np.concatenate([np.zeros(n_c), -w])
    integrality = np.concatenate([np.ones(n_c), np.zeros(n_i)])
    res = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": float(time_limit_s), "disp": False},
    )
    if res.x is None:
        return ExactResult(np.empty(0, np.int64), math.nan, math.nan, "failed", str(res.message))
    x = np.asarray(res.x[:n_c]) > 0.5
    chosen = np.flatnonzero(x).astype(np.int64)
    covered = np.asarray(a[chosen].sum(axis=0)).ravel() > 0
    objective = float(w[covered].sum())
    bound = getattr(res, "mip_dual_bound", None)
    bound_v = -float(bound) if bound is not None and np.isfinite(bound) else objective
    status = "optimal" if res.status == 0 else "time_limit"
    return ExactResult(chosen, objective, max(bound_v, objective), status, str(res.message))


def brute_force_max_cover(cover: sp.spmatrix, weights: npt.ArrayLike, k: int) -> float:
    """The optimum by enumerating every set of ``k`` candidates (tiny instances only)."""
    a = sp.csr_matrix(cover).toarray() > 0
    w = np.asarray(weights, dtype=np.float64)
    n = a.shape[0]
    if math.comb(n, min(k, n)) > 200_000:
        raise ValueError("too many combinations for brute force")
    best = 0.0
    for combo in itertools.combinations(range(n), min(k, n)):
        best = max(best, float(w[a[list(combo)].any(axis=0)].sum()))
    return best
