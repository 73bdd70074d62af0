"""Benchmark: weighted HDBSCAN (geo.stats.clustering) on 50,000 incident cells.

Target (brief): ``geo.stats.clustering.cluster_points`` on 50,000 distinct storage cells with
event counts, spread like a ~110 km² London borough, in under 10 s on the 2-core
machine. The synthetic borough is a 10.5 km square of British National Grid metres
around Charing Cross: 45 % of locations uniform, the rest around 14 "town centres and
estates" (Gaussian, sigma 250-900 m); counts are geometric (mean ~1.8 events).
Locations are continuous points (one per ~2,200 m², the area of a resolution-11 cell):
50,000 occupied resolution-11 cells would be almost every cell of such a borough.

Also shown: scikit-learn's own HDBSCAN (exact Prim's MST, ``algorithm="kd_tree"``) on
the same 50,000 locations without counts, for reference; that the sparse candidate graph
used above 1,500 locations gives the same labels as all pairs on 2,000 locations; and
the whole monthly pipeline on the synthetic demo (24 months plus the two-year window).
Every timing is the median of ``repeats`` runs.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import print_table
from sklearn.cluster import HDBSCAN

from geo.core.area import to_bng
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.lenses import clusters
from geo.stats import clustering
from geo.store.database import Store

TARGET_S = 10.0


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``fn()`` over ``repeats`` runs, and its last result."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def borough(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` distinct locations (BNG metres) with event counts, over ~110 km²."""
    rng = np.random.default_rng(seed)
    x0, y0 = (float(v[0]) for v in to_bng([-0.1276], [51.5072]))
    side = float(np.sqrt(110e6))
    k = 14
    cx = rng.uniform(1000, side - 1000, k)
    cy = rng.uniform(1000, side - 1000, k)
    sigma = rng.uniform(250, 900, k)
    comp = rng.integers(0, k, n)
    floor = rng.random(n) < 0.45
    x = np.where(floor, rng.uniform(0, side, n), cx[comp] + rng.normal(0, 1, n) * sigma[comp])
    y = np.where(floor, rng.uniform(0, side, n), cy[comp] + rng.normal(0, 1, n) * sigma[comp])
    w = rng.geometric(0.55, n)
    return x + x0, y + y0, w


def summary(labels: np.ndarray, w: np.ndarray) -> tuple[int, str]:
    found = int(labels.max()) + 1 if labels.size else 0
    noise = float(w[labels < 0].sum() / w.sum())
    return found, f"{noise:.0%}"


def main(n: int = 50_000, repeats: int = 3) -> None:
    x, y, w = borough(n)
    events = int(w.sum())
    rows: list[dict[str, object]] = []

    def row(name: str, cells: int, ev: int | str, seconds: float, found: object,
            noise: str, target: str = "", met: str = "") -> None:
        rows.append({"benchmark": name, "cells": f"{cells:,}",
                     "events": ev if isinstance(ev, str) else f"{ev:,}",
                     "seconds": round(seconds, 2), "clusters": found, "noise": noise,
                     "target": target, "met": met})

    def yes(ok: bool) -> str:
        return "yes" if ok else "NO"

    mcs = clustering.default_min_cluster_size(events)
    s, lab = timed(lambda: clustering.cluster_points(x, y, w), repeats)
    row(f"cluster_points, default min_cluster_size={mcs}", n, events, s, *summary(lab, w),
        f"< {TARGET_S:.0f} s", yes(s < TARGET_S))
    s, lab = timed(lambda: clustering.cluster_points(x, y, w, min_cluster_size=50), repeats)
    row("cluster_points, min_cluster_size=50", n, events, s, *summary(lab, w),
        f"< {TARGET_S:.0f} s", yes(s < TARGET_S))
    ones = np.ones(n, dtype=np.int64)
    s, lab = timed(lambda: clustering.cluster_points(x, y, None, min_cluster_size=50), repeats)
    row("cluster_points, no counts, min_cluster_size=50", n, n, s, *summary(lab, ones))

    pts = np.column_stack([x, y])
    s, model = timed(
        lambda: HDBSCAN(min_cluster_size=50, algorithm="kd_tree", copy=True).fit(pts), repeats
    )
    row("ref: sklearn HDBSCAN kd_tree, no counts, mcs=50", n, n, s,
        *summary(np.asarray(model.labels_), ones))

    # the sparse candidate graph against all pairs
    m = 2_000
    xs, ys, ws = borough(m, seed=1)
    saved = clustering.EXACT_MAX_LOCATIONS
    try:
        clustering.EXACT_MAX_LOCATIONS = m
        s_all, exact = timed(lambda: clustering.cluster_points(xs, ys, ws, 15), 1)
        clustering.EXACT_MAX_LOCATIONS = 0
        s_sparse, sparse = timed(lambda: clustering.cluster_points(xs, ys, ws, 15), 1)
    finally:
        clustering.EXACT_MAX_LOCATIONS = saved
    same = bool((exact == sparse).all())
    row("check: all-pairs graph, min_cluster_size=15", m, int(ws.sum()), s_all,
        *summary(exact, ws))
    row("check: Delaunay + 16-NN graph, same data", m, int(ws.sum()), s_sparse,
        *summary(sparse, ws), "labels identical", yes(same))

    # the monthly pipeline on the synthetic demo
    with tempfile.TemporaryDirectory() as tmp:
        demo = build_demo(Path(tmp), seed=0)
        with Store(demo.config.store_path, read_only=True) as store:
            ev = clusters.event_cells(store, Filters("2023-01", "2024-12"))
        s, result = timed(lambda: clusters.clusters_for_period(ev), repeats)
    long_tracks = int((result.tracks["persistence"] >= 12).sum())
    row("clusters_for_period, demo, 24 months + window", len(ev), int(ev["events"].sum()), s,
        f"{len(result.tracks)} tracks ({long_tracks} >= 12 months)", "")

    print(f"geo.stats.clustering weighted HDBSCAN, median of {repeats} runs "
          f"(check rows: 1 run); cells = distinct locations; noise = share of events")
    print_table(rows)


if __name__ == "__main__":
    main(repeats=int(sys.argv[1]) if len(sys.argv) > 1 else 3)
