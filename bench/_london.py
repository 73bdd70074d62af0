"""A London-wide study area for benchmarks: all 33 boroughs and a year of synthetic
police.uk street rows (``write_london_police_csv``), ingested into a store of its own.

The boundary is read from ``../shared/data/boundaries/london_boroughs_lad22_gen20.geojson``
(ONS, Open Government Licence) beside the repository and never copied into it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from _common import ROOT, write_police_csv

BOROUGHS = ROOT.parent / "shared" / "data" / "boundaries" / "london_boroughs_lad22_gen20.geojson"
#: The audit key of the benchmark's store (a real store needs its own; this one is synthetic).
BENCH_AUDIT_KEY = "placesafe-bench-london-synthetic-" + "0" * 16
#: Rows inside the area (before the ~8 % without coordinates that police.uk files carry).
IN_AREA_ROWS = 900_000


@dataclass(frozen=True)
class LondonStore:
    """A built London store: its configuration and how it was built."""

    config: Path
    rows_written: int
    ingest_s: float
    report: str


def _inside(boundary: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points (lng, lat) drawn uniformly inside ``boundary`` (vectorised rejection)."""
    min_x, min_y, max_x, max_y = boundary.bounds
    shapely.prepare(boundary)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        xy = rng.uniform((min_x, min_y), (max_x, max_y), size=(2 * n, 2))
        keep = xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])]
        out.append(keep)
        have += len(keep)
    return np.concatenate(out)[:n]


def write_london_police_csv(path: Path, n_in_area: int = IN_AREA_ROWS, seed: int = 0) -> int:
    """Write police.uk street rows over London: 45 % spread across the boroughs, 55 %
    around 400 hot places (Gaussian, 60-400 m), 8 % without coordinates. Returns the
    number of rows written."""
    rng = np.random.default_rng(seed)
    boroughs = gpd.read_file(BOROUGHS).to_crs(4326)
    area = shapely.union_all(boroughs.geometry.values)
    n_uniform = int(n_in_area * 0.45)
    uniform = _inside(area, n_uniform, rng)
    centres = _inside(area, 400, rng)
    n_clustered = n_in_area - n_uniform
    which = rng.integers(0, len(centres), n_clustered)
    spread_m = rng.uniform(60, 400, len(centres))[which]
    offsets = rng.normal(size=(n_clustered, 2)) * spread_m[:, None]
    clustered = centres[which] + offsets / np.array([111_320 * np.cos(np.radians(51.5)), 110_540])
    xy = np.concatenate([uniform, clustered])
    write_police_csv(path, len(xy), seed=seed, points=xy)
    return len(xy)


CONFIG = """# London-wide benchmark store (synthetic police.uk rows; bench/_london.py)
[store]
path = "placesafe.duckdb"

[study_area]
boundary = "{boundary}"
buffer_m = 0
name = "London (synthetic benchmark)"

[app]
demo = false
allow_local_real_data = true
ask_purpose = false
tiles = "none"
"""


def bench_env(config: Path) -> dict[str, str]:
    """The environment the app and CLI need for the benchmark store."""
    return dict(os.environ, PLACESAFE_CONFIG=str(config), PLACESAFE_AUDIT_KEY=BENCH_AUDIT_KEY)


def build_london_store(out_dir: Path, rebuild: bool = False) -> LondonStore:
    """Build (or reuse) the London store in ``out_dir``; returns its configuration."""
    out_dir.mkdir(parents=True, exist_ok=True)
    config = out_dir / "placesafe.toml"
    store = out_dir / "placesafe.duckdb"
    done = out_dir / "built.txt"
    if done.is_file() and store.is_file() and not rebuild:
        rows, seconds, report = done.read_text(encoding="utf-8").split("\n", 2)
        return LondonStore(config, int(rows), float(seconds), report)
    for old in out_dir.glob("placesafe.duckdb*"):
        if old.is_file():
            old.unlink()
    config.write_text(CONFIG.format(boundary=BOROUGHS.resolve()), encoding="utf-8")
    csv = out_dir / "london-street.csv"
    rows = write_london_police_csv(csv)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "geo", "ingest", "--kind", "police_street", str(csv)],
        cwd=ROOT,
        env=bench_env(config),
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    csv.unlink()
    report = result.stdout.strip()
    done.write_text(f"{rows}\n{seconds:.1f}\n{report}", encoding="utf-8")
    return LondonStore(config, rows, seconds, report)
