"""Benchmark: 1,000,000 police.uk street rows from CSV to the live store, end to end.

Targets (issue 2): under 15 s on the 2-core machine, peak memory under 2 GB.
Each measurement runs in a fresh subprocess so peak RSS belongs to the ingest alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, print_table, write_police_csv

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.ingest.pipeline import ingest_file
from geo.store.database import Store
config = load_config(sys.argv[2])
area = load_study_area(config.study_area)
t0 = time.perf_counter()
with Store(config.store_path) as store:
    report = ingest_file(store, config, area, "police_street", Path(sys.argv[3]))
elapsed = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "read": report.read,
                  "accepted": report.accepted, "rejected": report.rejected}))
"""


def main(n: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = folder / "police.csv"
        t = time.perf_counter()
        write_police_csv(csv, n)
        print(f"wrote {n:,} rows ({csv.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t:.1f} s")
        toml = folder / "bench.toml"
        toml.write_text(
            f'[store]\npath = "bench.duckdb"\n[study_area]\nboundary = '
            f'"{ROOT / "data" / "demo" / "boundary.geojson"}"\nbuffer_m = 250\n'
        )
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), str(toml), str(csv)],
            capture_output=True, text=True,
        )
        if out.returncode:
            raise SystemExit(out.stderr)
        result = json.loads(out.stdout.strip().splitlines()[-1])
    print_table([
        {"benchmark": "ingest police.uk CSV -> store", "rows": f"{n:,}",
         "seconds": round(result["seconds"], 2), "target_s": 15,
         "peak_MB": round(result["peak_mb"]), "target_MB": 2048,
         "accepted": f"{result['accepted']:,}", "rejected": f"{result['rejected']:,}"},
    ])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
