"""Benchmark: 24 months of a London borough's police.uk data from the archive zip (issue 14).

Target: about 60,000 street-crime rows (24 monthly files, plus stop and search and the
outcomes files the archive also holds) ingested end to end from the zip in under 30 s.

The archive is synthesised from the real Havering April 2024 street file in
``../shared/data`` (rows resampled with fresh Crime IDs, months set, points moved by up
to 30 m) and laid out as data.police.uk does: ``YYYY-MM/YYYY-MM-metropolitan-*.csv``.
"""

from __future__ import annotations

import io
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from _common import print_table

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
STREET = SHARED / "police" / "havering_2024-04-metropolitan-street_syv_subset.csv"
SEARCHES = SHARED / "police" / "havering_2016-06-metropolitan-stop-and-search.csv"
BOROUGHS = SHARED / "boundaries" / "london_boroughs_lad22_gen20.geojson"
MONTHS = [str(p) for p in pd.period_range("2023-01", "2024-12", freq="M")]
ROWS_PER_MONTH = 2_500


def build_archive(path: Path, seed: int = 0) -> int:
    """Write the synthetic archive; returns the number of street-crime rows."""
    rng = np.random.default_rng(seed)
    street = pd.read_csv(STREET, dtype=str, keep_default_na=False)
    searches = pd.read_csv(SEARCHES, dtype=str, keep_default_na=False)
    total = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for month in MONTHS:
            rows = street.iloc[rng.integers(0, len(street), ROWS_PER_MONTH)].copy()
            has_id = rows["Crime ID"] != ""
            rows.loc[has_id, "Crime ID"] = [f"{rng.integers(0, 2**63):064x}" for _ in
                                            range(int(has_id.sum()))]  # fmt: skip
            rows["Month"] = month
            for col in ("Latitude", "Longitude"):
                located = rows[col] != ""
                jitter = rng.uniform(-0.0003, 0.0003, int(located.sum()))
                moved = (rows.loc[located, col].astype(float) + jitter).round(6)
                rows.loc[located, col] = moved.astype(str)
            total += len(rows)
            zf.writestr(f"{month}/{month}-metropolitan-street.csv", rows.to_csv(index=False))
            ss = searches.copy()
            ss["Date"] = ss["Date"].str.replace("2016-06", month, regex=False)
            zf.writestr(f"{month}/{month}-metropolitan-stop-and-search.csv",
                        ss.to_csv(index=False))  # fmt: skip
            buf = io.StringIO()
            rows[["Crime ID", "Month"]].to_csv(buf, index=False)
            zf.writestr(f"{month}/{month}-metropolitan-outcomes.csv", buf.getvalue())
    return total


def main() -> None:
    from geo.core.area import load_study_area
    from geo.core.config import load_config
    from geo.ingest.archive import ingest_archive
    from geo.store.database import Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        archive = folder / "havering-2023-2024.zip"
        street_rows = build_archive(archive)
        (folder / "placesafe.toml").write_text(
            f'[store]\npath = "store.duckdb"\n\n[study_area]\nboundary = "{BOROUGHS}"\n'
            'code = "E09000016"\nbuffer_m = 250\n',
            encoding="utf-8",
        )
        t0 = time.perf_counter()
        config = load_config(folder / "placesafe.toml")
        area = load_study_area(config.study_area)
        with Store(config.store_path) as store:
            report = ingest_archive(store, config, area, archive)
            stored = int(store.scalar("SELECT count(*) FROM incidents") or 0)
        seconds = time.perf_counter() - t0
    print_table(
        [
            {
                "archive": "24 months, Havering (synthetic from real rows)",
                "street rows": street_rows,
                "files ingested": len(report.reports),
                "files not used": len(report.ignored),
                "incidents stored": stored,
                "seconds": round(seconds, 1),
                "target s": 30,
            }
        ]
    )


if __name__ == "__main__":
    main()
