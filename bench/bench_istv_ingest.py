"""Benchmark: an emergency department's ISTV extract from CSV to the live store, end to end.

Target (issue 17): the feed's ingest under 5 s for 20,000 records on the 2-core machine.

The study area is the demo borough. Before the timed run, the store is given the lookups a
partnership would load: an OS Open Names-style extract of 3,000 invented street and venue
names inside the borough (``gazetteer`` kind) and 6,000 Code-Point Open-style postcode
centroids (``postcodes`` kind); both loads are timed too. The ISTV file then has 20,000
records: 60 % a name as staff write it (prefixes, abbreviations, slips; see
:mod:`bench_geocode`), 15 % a postcode (its own column or in the text), 10 % a private home,
15 % unlocatable. The timed ingest includes building the gazetteer and postcode table from
the store, geocoding, validation and the write.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from _common import ROOT, print_table
from bench_geocode import _UNLOCATABLE, as_written, invented_words
from shapely.geometry import shape

from geo.core.area import load_study_area, to_bng
from geo.core.config import load_config
from geo.ingest.pipeline import ingest_bytes
from geo.store.database import Store

TARGET_S = 5.0
_TYPES = ("Road", "Street", "Lane", "Avenue", "Close", "Parade", "Way")
_VENUES = ("Tavern", "Arms", "Bar", "Club", "Social", "Lounge")
_HOMES = ("at home", "friend's flat", "his address", "home address", "her house")


def _points_in_borough(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random points inside the demo borough, as BNG easting/northing metres."""
    geo = json.loads((ROOT / "data" / "demo" / "boundary.geojson").read_text())
    poly = shape(geo["features"][0]["geometry"] if "features" in geo else geo)
    poly = shapely.transform(poly, lambda xy: np.column_stack(to_bng(xy[:, 0], xy[:, 1])))
    minx, miny, maxx, maxy = poly.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    while sum(len(x) for x in xs) < n:
        x = rng.uniform(minx, maxx, 4 * n)
        y = rng.uniform(miny, maxy, 4 * n)
        ok = shapely.contains_xy(poly.buffer(-50), x, y)
        xs.append(x[ok])
        ys.append(y[ok])
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def lookup_files(rng: np.random.Generator, n_names: int, n_postcodes: int) -> tuple[
    bytes, bytes, list[str], list[str]
]:
    """An Open Names CSV, a Code-Point Open CSV, the names and the postcodes."""
    words = invented_words(rng, n_names)
    kinds = rng.integers(0, len(_TYPES) + len(_VENUES), n_names)
    labels = np.array([*_TYPES, *_VENUES])[kinds]
    names = [f"{w} {t}" for w, t in zip(words, labels, strict=True)]
    local = np.where(kinds < len(_TYPES), "Named Road", "Public House")
    x, y = _points_in_borough(rng, n_names)
    names_csv = pd.DataFrame(
        {"ID": [f"osgb{i}" for i in range(n_names)], "NAME1": names, "LOCAL_TYPE": local,
         "GEOMETRY_X": x.round(), "GEOMETRY_Y": y.round()}
    ).to_csv(index=False).encode()  # fmt: skip
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    sector = rng.integers(1, 10, n_postcodes)
    units = letters[rng.integers(0, letters.size, (n_postcodes, 2))]
    postcodes = sorted(
        {f"ZD{s % 9 + 1} {s}{a}{b}" for s, (a, b) in zip(sector, units, strict=True)}
    )
    px, py = _points_in_borough(rng, len(postcodes))
    buf = io.StringIO()
    pd.DataFrame(
        {"postcode": postcodes, "pqi": 10, "e": px.round().astype(int),
         "n": py.round().astype(int), "c": "E92000001", "r": "", "h": "", "a": "", "d": "",
         "w": ""}
    ).to_csv(buf, index=False, header=False)  # fmt: skip
    return names_csv, buf.getvalue().encode(), names, postcodes


def istv_file(rng: np.random.Generator, n: int, names: list[str], postcodes: list[str]) -> bytes:
    """``n`` ISTV records in the shipped template's columns."""
    what = rng.random(n)
    texts = np.empty(n, dtype=object)
    postcode_col = np.full(n, "", dtype=object)
    for i in range(n):  # building the test file, not the code under test
        if what[i] < 0.60:
            texts[i] = as_written(names[int(rng.integers(0, len(names)))], rng)
        elif what[i] < 0.75:
            pc = postcodes[int(rng.integers(0, len(postcodes)))]
            if rng.random() < 0.5:
                texts[i], postcode_col[i] = "car park", pc
            else:
                texts[i] = f"outside the shops {pc}"
        elif what[i] < 0.85:
            texts[i] = str(rng.choice(_HOMES))
        else:
            texts[i] = str(rng.choice(_UNLOCATABLE))
    start = pd.Timestamp("2024-01-01")
    assault = start + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), unit="min")
    arrival = assault + pd.to_timedelta(rng.integers(10, 240, n), unit="min")
    blank = rng.random(n) < 0.15
    frame = pd.DataFrame(
        {
            "Attendance ID": [f"ED-{i:06d}" for i in range(n)],
            "Arrival date time": arrival.strftime("%d/%m/%Y %H:%M"),
            "Assault date time": np.where(blank, "", assault.strftime("%d/%m/%Y %H:%M")),
            "Assault location": texts,
            "Assault postcode": postcode_col,
            "Latitude": "",
            "Longitude": "",
            "Location type": rng.choice(["street", "pub/bar/club", "park", "other", ""], n),
            "Primary means of assault": rng.choice(
                ["body part", "punch/kick", "bottle/glass", "knife", "blunt object", "", "other"],
                n,
            ),
            "Age band": rng.choice(["14-17", "18-24", "25+"], n),
            "Sex": rng.choice(["male", "female", "M", "F"], n),
            "ED site code": "RF4",
        }
    )
    return frame.to_csv(index=False).encode()


def main(n: int = 20_000) -> None:
    rng = np.random.default_rng(17)
    names_csv, postcodes_csv, names, postcodes = lookup_files(rng, 3_000, 6_000)
    data = istv_file(rng, n, names, postcodes)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        toml = Path(tmp) / "bench.toml"
        toml.write_text(
            f'[store]\npath = "{Path(tmp) / "bench.duckdb"}"\n[study_area]\nboundary = '
            f'"{ROOT / "data" / "demo" / "boundary.geojson"}"\nbuffer_m = 250\n'
        )
        config = load_config(toml)
        area = load_study_area(config.study_area)
        now = pd.Timestamp("2025-06-01")
        with Store(config.store_path) as store:
            for kind, blob, what in (
                ("gazetteer", names_csv, f"{len(names):,} names"),
                ("postcodes", postcodes_csv, f"{len(postcodes):,} postcodes"),
                ("istv", data, f"{n:,} records"),
            ):
                t0 = time.perf_counter()
                report = ingest_bytes(store, config, area, kind, blob, f"{kind}.csv", now=now)
                seconds = time.perf_counter() - t0
                placed = ""
                if kind == "istv":
                    got = store.query(
                        "SELECT count(cell) AS placed, count(*) AS n FROM ed_assaults"
                    )
                    placed = f"{got['placed'][0] / got['n'][0]:.0%}"
                rows.append(
                    {"ingest": kind, "input": what, "seconds": round(seconds, 2),
                     "target_s": TARGET_S if kind == "istv" else "",
                     "accepted": f"{report.accepted:,}", "rejected": f"{report.rejected:,}",
                     "placed": placed}
                )  # fmt: skip
                if report.status != "live":
                    raise SystemExit(report.summary())
    print_table(rows)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
