"""Benchmark: per-school buffers (geo.lenses.schools.buffer_counts) against a brute-force check.

Target (issue 6): 100 schools x 100,000 incidents, 400 m and 800 m buffers split into
three time classes, under 2 s. Synthetic points are uniform in metres over a
~110 km² square (10.5 km a side, EPSG:27700-like coordinates). Timings are the
median of ``repeats`` runs; counts are checked against an O(n·m) numpy computation.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
from _common import print_table

from geo.lenses.schools import buffer_counts

TARGET_S = 2.0


def run(n_schools: int, n_points: int, repeats: int = 5, seed: int = 0) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    side = np.sqrt(110e6)
    x0, y0 = 530_000.0, 180_000.0
    cx, cy = x0 + rng.uniform(0, side, n_schools), y0 + rng.uniform(0, side, n_schools)
    px, py = x0 + rng.uniform(0, side, n_points), y0 + rng.uniform(0, side, n_points)
    groups = rng.integers(0, 3, n_points)
    times = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = buffer_counts(cx, cy, px, py, (400.0, 800.0), groups, n_groups=3)
        times.append(time.perf_counter() - t)
    assert out is not None
    d = np.hypot(cx[:, None] - px[None, :], cy[:, None] - py[None, :])
    ok = all(
        np.array_equal(out[:, k, g], ((d <= r) & (groups == g)).sum(axis=1))
        for k, r in enumerate((400.0, 800.0))
        for g in range(3)
    )
    median = statistics.median(times)
    return {
        "schools": n_schools,
        "incidents": n_points,
        "median_s": round(median, 4),
        "pairs_800m": int(out[:, 1, :].sum()),
        "matches_brute_force": ok,
        "target_s": TARGET_S if (n_schools, n_points) == (100, 100_000) else "",
        "ok": median < TARGET_S,
    }


def main() -> int:
    rows = [run(100, 10_000), run(100, 100_000), run(400, 100_000)]
    print_table(rows)
    return 0 if all(r["ok"] and r["matches_brute_force"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
