"""Benchmark: Gi* and emerging hot spots on real H3 grids around London.

Targets (DESIGN §5):

* ``geo.stats.getis_ord.gi_star`` on ~50,000 res-10 cells (k = 1) at least 10x faster than
  ``esda.G_Local(x, W, transform="B", star=True, permutations=0)``. The target applies
  to gi_star *warm* (weights cached), the like-for-like case: esda is handed a libpysal
  W built beforehand (untimed; each run gets a fresh deep copy, also untimed). Cold
  (sparse weights built from ``grid_disk`` inside the call) is shown too, next to a
  library-only pipeline that also has to find the neighbours and build W.
* ``geo.stats.emerging.emerging_hotspots`` on 10,000 cells x 36 periods under 3 s.

The grids are the real contiguous grids ``geo.core.hexes.polygon_to_cells`` returns for a
box around central London; counts are Poisson(1). Every timing is the median of
``repeats`` runs. z-scores must agree with esda to 1e-9. ``--profile`` (or a missed
warm target) prints a cProfile of gi_star warm and cold.
"""

from __future__ import annotations

import copy
import cProfile
import pstats
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import esda
import h3
import libpysal
import numpy as np
import pandas as pd
import shapely
from _common import print_table
from libpysal.graph import Graph

from geo.core import hexes
from geo.stats import emerging, getis_ord

LONDON = (51.5072, -0.1276)  # lat, lng of Charing Cross
KM_PER_DEG_LAT = 111.2


def london_grid(n_target: int, res: int) -> np.ndarray:
    """The contiguous grid of a square box around London sized to ~``n_target`` cells."""
    lat0, lng0 = LONDON
    side_km = float(np.sqrt(n_target * h3.average_hexagon_area(res, unit="km^2")))
    cells = np.empty(0, dtype=np.uint64)
    for _ in range(3):  # local cell areas differ from the global average: rescale
        dlat = side_km / 2 / KM_PER_DEG_LAT
        dlng = side_km / 2 / (KM_PER_DEG_LAT * np.cos(np.radians(lat0)))
        box = shapely.box(lng0 - dlng, lat0 - dlat, lng0 + dlng, lat0 + dlat)
        cells = hexes.polygon_to_cells(box, res)
        side_km *= float(np.sqrt(n_target / cells.size))
    return cells


def timed(fn: Callable[[Any], Any], repeats: int,
          setup: Callable[[], Any] = lambda: None) -> tuple[float, Any]:
    """Median wall time of ``fn(setup())`` over ``repeats`` runs; ``setup`` is untimed."""
    times, out = [], None
    for _ in range(repeats):
        arg = setup()
        t = time.perf_counter()
        out = fn(arg)
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def library_pipeline(cells: list[str], values: np.ndarray) -> esda.G_Local:
    """What a library-only user writes: h3 neighbours -> libpysal W -> esda."""
    inside = set(cells)
    neighbours = {c: [d for d in h3.grid_disk(c, 1) if d in inside] for c in cells}
    w = libpysal.weights.W(neighbours, id_order=cells, silence_warnings=True)
    return esda.G_Local(values, w, transform="B", star=True, permutations=0)


def profile_gi_star(counts: pd.Series) -> None:
    for label, clear in (("warm", False), ("cold", True)):
        getis_ord.gi_star(counts)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(5):
            if clear:
                getis_ord._disk_weights.cache_clear()
            getis_ord.gi_star(counts)
        prof.disable()
        print(f"\ncProfile of 5 gi_star calls, {label}:")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(14)


def main(n_gi: int = 50_000, n_ehs: int = 10_000, periods: int = 36, res: int = 10,
         repeats: int = 5, profile: bool = False) -> None:
    rng = np.random.default_rng(0)
    k = 1

    # --- Gi* versus esda --------------------------------------------------------------
    cells = london_grid(n_gi, res)
    n = cells.size
    names = hexes.cells_to_str(cells)
    counts = pd.Series(rng.poisson(1.0, n), index=pd.Index(names), name="count")
    x = counts.to_numpy(dtype=np.float64)

    getis_ord.gi_star(counts, k)  # warm-up (imports, weights cache)
    w_csr = getis_ord.disk_weights(cells, k)  # the neighbours esda gets, self included
    ids = list(range(n))
    nb_self = {i: w_csr.indices[w_csr.indptr[i]:w_csr.indptr[i + 1]].tolist() for i in ids}
    nb_zero = {i: [j for j in v if j != i] for i, v in nb_self.items()}
    w_self = libpysal.weights.W(nb_self, id_order=ids, silence_warnings=True)
    w_zero = libpysal.weights.W(nb_zero, id_order=ids, silence_warnings=True)
    graph = Graph.from_dicts(nb_zero)

    def g_local(w: Any) -> esda.G_Local:
        return esda.G_Local(x, w, transform="B", star=True, permutations=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal/esda chatter, not results
        esda_s, ref = timed(g_local, repeats, lambda: copy.deepcopy(w_self))
        esda_zero_s, ref_zero = timed(g_local, repeats, lambda: copy.deepcopy(w_zero))
        esda_graph_s, ref_graph = timed(g_local, repeats, lambda: graph)
        wbuild_s, _ = timed(lambda nb: libpysal.weights.W(nb, id_order=ids,
                                                          silence_warnings=True),
                            repeats, lambda: nb_self)
        lib_s, ref_lib = timed(lambda _: library_pipeline(names.tolist(), x), repeats)

    cold_s, out_cold = timed(lambda _: getis_ord.gi_star(counts, k), repeats,
                             getis_ord._disk_weights.cache_clear)
    getis_ord.gi_star(counts, k)
    warm_s, out_warm = timed(lambda _: getis_ord.gi_star(counts, k), repeats)

    z = out_warm["z"].to_numpy()
    assert (out_cold["z"].to_numpy() == z).all(), "cold and warm gi_star differ"
    diffs = {name: float(np.abs(np.asarray(r.Zs) - z).max())
             for name, r in (("W", ref), ("W zero diag", ref_zero), ("Graph", ref_graph),
                             ("pipeline", ref_lib))}
    max_diff = max(diffs.values())

    # --- emerging hot spots ----------------------------------------------------------
    ehs_cells = london_grid(n_ehs, res)
    months = [str(p) for p in pd.period_range("2022-01", periods=periods, freq="M")]
    cube = pd.DataFrame(rng.poisson(1.0, (ehs_cells.size, periods)),
                        index=pd.Index(hexes.cells_to_str(ehs_cells)), columns=months)
    ehs_cold_s, res_cold = timed(lambda _: emerging.emerging_hotspots(cube, k), repeats,
                                 getis_ord._disk_weights.cache_clear)
    emerging.emerging_hotspots(cube, k)
    ehs_warm_s, res_warm = timed(lambda _: emerging.emerging_hotspots(cube, k), repeats)
    assert res_cold.z.equals(res_warm.z), "cold and warm emerging_hotspots differ"

    # --- table ---------------------------------------------------------------------------
    def yes(ok: bool) -> str:
        return "yes" if ok else "NO"

    gi = f"{n:,}"
    ehs = f"{ehs_cells.size:,} x {periods}"

    def row(name: str, cells_: str, seconds: object, ratio: str = "", of: str = "",
            target: str = "", met: str = "") -> dict[str, object]:
        return {"benchmark": name, "cells": cells_, "seconds": seconds, "speed-up": ratio,
                "speed-up of": of, "target": target, "met": met}

    print(f"res-{res} grids around London, k = {k}, Poisson(1) counts, "
          f"median of {repeats} runs")
    print_table([
        row("esda.G_Local, prebuilt W incl. self (copy)", gi, round(esda_s, 4)),
        row("gi_star warm (weights cached)", gi, round(warm_s, 4),
            f"{esda_s / warm_s:.1f}x", "esda W / warm", ">= 10x", yes(esda_s / warm_s >= 10)),
        row("gi_star cold (builds weights from grid_disk)", gi, round(cold_s, 4),
            f"{esda_s / cold_s:.1f}x", "esda W / cold", "(10x is warm)",
            yes(esda_s / cold_s >= 10)),
        row("z max |gi_star - esda| (all esda rows)", gi, f"{max_diff:.1e}",
            target="<= 1e-9", met=yes(max_diff <= 1e-9)),
        row("ref: esda.G_Local, W zero diag (esda fills)", gi, round(esda_zero_s, 4),
            f"{esda_zero_s / warm_s:.1f}x", "this / warm"),
        row("ref: esda.G_Local, libpysal.graph.Graph", gi, round(esda_graph_s, 4),
            f"{esda_graph_s / warm_s:.1f}x", "this / warm"),
        row("ref: libpysal W(neighbours incl. self)", gi, round(wbuild_s, 4)),
        row("ref: library-only h3 -> W -> esda pipeline", gi, round(lib_s, 4),
            f"{lib_s / cold_s:.1f}x", "this / cold"),
        row("emerging_hotspots cold", ehs, round(ehs_cold_s, 3), target="< 3 s",
            met=yes(ehs_cold_s < 3)),
        row("emerging_hotspots warm", ehs, round(ehs_warm_s, 3), target="< 3 s",
            met=yes(ehs_warm_s < 3)),
    ])
    print("z max |diff| vs gi_star per esda run: "
          + ", ".join(f"{key}={v:.1e}" for key, v in diffs.items()))

    if profile or esda_s / warm_s < 10:
        profile_gi_star(counts)


if __name__ == "__main__":
    main(profile="--profile" in sys.argv[1:])
