"""Reach: which cells a youth-work session or a deployed team reaches.

One rule serves coverage (:mod:`geo.lenses.coverage`) and the deployment planner
(:mod:`geo.lenses.youth_work_plan`): a place reaches a cell when the straight-line
distance in British National Grid metres (EPSG:27700) between the two cell centres is at
most ``reach_m`` (inclusive). Cells are ``uint64`` here (:func:`geo.core.hexes.as_cells`
converts H3 strings).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp

from geo.core import hexes
from geo.core.area import cells_to_bng
from geo.core.types import CellArray
from geo.lenses.schools import pairs_within

__all__ = ["cells_near", "reach_matrix", "rings_for"]


def rings_for(res: int, reach_m: float) -> int:
    """Grid steps that certainly include every cell centre within ``reach_m``."""
    area_m2 = hexes.average_cell_area_km2(res) * 1e6
    edge = math.sqrt(2.0 * area_m2 / (3.0 * math.sqrt(3.0)))
    # neighbouring centres are about sqrt(3)·edge apart; H3 cells vary by ~±20 %
    return int(math.ceil(reach_m / (math.sqrt(3.0) * edge * 0.8))) + 1


def cells_near(cells: Any, res: int, reach_m: float) -> CellArray:
    """Cells at ``res`` whose centres lie within ``reach_m`` of any of ``cells``' centres.

    ``cells`` (H3 strings or uint64) may be at any resolution (storage cells of
    sessions, for instance). Returns sorted unique uint64 cells.
    """
    src = np.unique(hexes.as_cells(cells))
    if src.size == 0:
        return np.empty(0, dtype=np.uint64)
    src_res = hexes.cell_resolution(src)
    if (src_res < res).any():
        raise ValueError(f"cells_near needs cells at res {res} or finer")
    base = src.copy()
    finer = src_res > res
    if finer.any():
        base[finer] = hexes.cells_to_parent(src[finer], res)
    _, ring = hexes.grid_disk(np.unique(base), rings_for(res, reach_m))
    ring = np.unique(ring)
    rx, ry = cells_to_bng(ring)
    sx, sy = cells_to_bng(src)
    centre, _, _ = pairs_within(rx, ry, sx, sy, reach_m)
    return np.asarray(ring[np.unique(centre)], dtype=np.uint64)


def reach_matrix(targets: CellArray, points: CellArray, reach_m: float) -> sp.csr_matrix:
    """Sparse boolean ``(len(targets), len(points))``: centres within ``reach_m``."""
    tx, ty = cells_to_bng(targets)
    px, py = cells_to_bng(points)
    t_idx, p_idx, _ = pairs_within(tx, ty, px, py, reach_m)
    data = np.ones(t_idx.size, dtype=np.float64)
    return sp.csr_matrix((data, (t_idx, p_idx)), shape=(targets.size, points.size))
