"""Benchmark: the Knox test (geo.stats.knox.knox) on a synthetic borough.

Target (DESIGN §5, issue brief): 999 permutations on 5,000 events in under 5 s on the
2-core development machine, with the default bands (100 m x 5, 7 days x 4, so pairs
within 500 m are recounted per permutation).

Events are spread over a 6 km x 5 km (30 km²) borough in British National Grid metres
over 730 days: 60 % uniform, 40 % around 12 town-centre hot spots (normal, sd 250 m),
which is what makes the close pairs numerous. Every timing is the median of
``repeats`` runs. A brute-force O(N²) count on a sample checks the observed table.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
from _common import print_table

from geo.stats.knox import KnoxResult, knox

WIDTH_M, HEIGHT_M, N_DAYS = 6_000.0, 5_000.0, 730
ORIGIN = (535_000.0, 181_000.0)  # an east-London corner, EPSG:27700
TARGET_S = 5.0


def borough_events(
    n: int, seed: int = 0, clustered: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` events: x, y in EPSG:27700 metres and whole day numbers 0..729."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, WIDTH_M, n)
    y = rng.uniform(0, HEIGHT_M, n)
    if clustered:
        hx = rng.uniform(500, WIDTH_M - 500, 12)
        hy = rng.uniform(500, HEIGHT_M - 500, 12)
        hot = rng.random(n) < 0.4
        k = rng.integers(0, 12, n)
        x = np.where(hot, hx[k] + rng.normal(0, 250, n), x).clip(0, WIDTH_M)
        y = np.where(hot, hy[k] + rng.normal(0, 250, n), y).clip(0, HEIGHT_M)
    days = rng.integers(0, N_DAYS, n)
    return x + ORIGIN[0], y + ORIGIN[1], days


def brute_force(
    x: np.ndarray, y: np.ndarray, days: np.ndarray, s: float, n_s: int, tau: int, n_t: int
) -> np.ndarray:
    """The Knox table by the letter of DESIGN §5 over all pairs."""
    i, j = np.triu_indices(x.size, k=1)
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    dt = np.abs(days[i] - days[j])
    row = np.where(d < 1.0, 0, np.minimum(np.floor(d / s).astype(int) + 1, n_s + 1))
    col = np.minimum(dt // tau, n_t)
    table = np.zeros((n_s + 2, n_t + 1), dtype=np.int64)
    np.add.at(table, (row, col), 1)
    return table


def timed(
    repeats: int, x: np.ndarray, y: np.ndarray, days: np.ndarray, permutations: int
) -> tuple[float, KnoxResult]:
    """Median wall time of ``knox`` with the default bands over ``repeats`` runs."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = knox(x, y, days, permutations=permutations)
        times.append(time.perf_counter() - t)
    assert out is not None
    return statistics.median(times), out


def main(repeats: int = 3, permutations: int = 999) -> None:
    s, n_s, tau, n_t = 100.0, 5, 7, 4  # knox's defaults
    knox(*borough_events(500), permutations=9)  # warm-up (imports)

    rows = []
    cases = [(1_000, True), (5_000, True), (5_000, False), (10_000, True)]
    for n, clustered in cases:
        x, y, days = borough_events(n, clustered=clustered)
        seconds, result = timed(repeats, x, y, days, permutations)
        is_target = n == 5_000
        rows.append(
            {
                "events": f"{n:,}",
                "layout": "40 % hot spots" if clustered else "uniform",
                "pairs within 500 m": f"{result.n_close_pairs:,}",
                "permutations": permutations,
                "seconds": round(seconds, 2),
                "target": f"< {TARGET_S:g} s" if is_target else "",
                "met": ("yes" if seconds < TARGET_S else "NO") if is_target else "",
            }
        )
    print(
        f"knox: bands {s:g} m x {n_s} and {tau} days x {n_t}; {WIDTH_M / 1000:g} km x "
        f"{HEIGHT_M / 1000:g} km x {N_DAYS} days; median of {repeats} runs"
    )
    print_table(rows)

    # brute-force cross-check of the observed table on samples, several band settings
    checks = []
    x, y, days = borough_events(2_000, seed=1)
    x = np.round(x, -1)  # a 10 m lattice: duplicates and distances exactly on band edges
    y = np.round(y, -1)
    for settings in [(100.0, 5, 7, 4), (150.0, 3, 10, 2), (62.5, 4, 3, 6)]:
        t = time.perf_counter()
        result = knox(x, y, days, *settings, permutations=1)
        fast_s = time.perf_counter() - t
        t = time.perf_counter()
        reference = brute_force(x, y, days, *settings)
        brute_s = time.perf_counter() - t
        same = bool((result.observed.to_numpy() == reference).all())
        checks.append(
            {
                "sample events": f"{x.size:,}",
                "bands": "{:g} m x {}, {} days x {}".format(*settings),
                "pairs": f"{result.n_pairs:,}",
                "same-location pairs": f"{int(reference[0].sum()):,}",
                "knox observed (s)": round(fast_s, 3),
                "brute force (s)": round(brute_s, 3),
                "identical": "yes" if same else "NO",
            }
        )
    print()
    print("observed counts against a brute-force O(N²) count (10 m lattice coordinates)")
    print_table(checks)


if __name__ == "__main__":
    main(permutations=int(sys.argv[1]) if len(sys.argv) > 1 else 999)
