"""Benchmark: H3 indexing of 1,000,000 points (target >= 1 million points/s).

Compares geo.core.hexes.points_to_cells (vectorised, h3ronpy) with the scalar h3-py loop
and a pandas row-wise apply (on a 20,000-row sample, scaled), and checks they agree.
"""

from __future__ import annotations

import time

import h3
import numpy as np
import pandas as pd
from _common import print_table

from geo.core import hexes


def main(n: int = 1_000_000, res: int = 11) -> None:
    rng = np.random.default_rng(0)
    lat = rng.uniform(51.28, 51.70, n)
    lng = rng.uniform(-0.51, 0.33, n)
    hexes.points_to_cells(lat[:10], lng[:10], res)  # warm-up

    t = time.perf_counter()
    cells = hexes.points_to_cells(lat, lng, res)
    vec_s = time.perf_counter() - t

    t = time.perf_counter()
    parents = {r: hexes.cells_to_parent(cells, r) for r in hexes.PARENT_RESOLUTIONS}
    parent_s = time.perf_counter() - t

    t = time.perf_counter()
    scalar = np.fromiter(
        (h3.api.basic_int.latlng_to_cell(a, b, res) for a, b in zip(lat.tolist(), lng.tolist(),
                                                                    strict=True)),
        dtype=np.uint64, count=n,
    )
    scalar_s = time.perf_counter() - t

    sample = pd.DataFrame({"lat": lat[:20_000], "lng": lng[:20_000]})
    t = time.perf_counter()
    sample.apply(lambda r: h3.latlng_to_cell(r["lat"], r["lng"], res), axis=1)
    apply_s = (time.perf_counter() - t) * n / len(sample)

    assert (cells == scalar).all(), "vectorised and scalar cells differ"
    ref9 = np.array([h3.api.basic_int.cell_to_parent(int(c), 9) for c in cells[:10_000]],
                    dtype=np.uint64)
    assert (parents[9][:10_000] == ref9).all(), "parents differ from h3"
    print_table([
        {"method": "geo.core.hexes.points_to_cells (h3ronpy)", "points": f"{n:,}",
         "seconds": round(vec_s, 3), "M points/s": round(n / vec_s / 1e6, 2), "target": ">= 1"},
        {"method": "parents 7-10 by bit ops", "points": f"{n:,}",
         "seconds": round(parent_s, 3), "M points/s": round(n / parent_s / 1e6, 2), "target": ""},
        {"method": "h3-py scalar loop (reference)", "points": f"{n:,}",
         "seconds": round(scalar_s, 3), "M points/s": round(n / scalar_s / 1e6, 2), "target": ""},
        {"method": "pandas apply(axis=1) (never)", "points": f"{n:,} (scaled)",
         "seconds": round(apply_s, 1), "M points/s": round(n / apply_s / 1e6, 3), "target": ""},
    ])


if __name__ == "__main__":
    main()
