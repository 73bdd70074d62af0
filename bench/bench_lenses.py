"""Benchmark: the Missing from home and Schools pages on the demo store (issue 6).

Target: both pages rerun in under 1 s on the demo store, for analysts (24 months,
resolution 9) and for the partnership (one quarter, resolution 8). First runs include
the analysis (cached afterwards); reruns are what a user waits for on every click.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from _common import page_timings, print_table


def main(runs: int = 5) -> None:
    from geo.demo.build import build_demo

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        build_demo(Path(tmp), seed=0)
        os.environ["PLACESAFE_CONFIG"] = str(Path(tmp) / "placesafe.toml")
        cases = [
            ("missing.py", "analyst", {"from": "2023-01", "to": "2024-12", "res": "9"}),
            ("missing.py", "partnership", {"res": "8"}),
            ("schools.py", "analyst", {"from": "2023-01", "to": "2024-12", "res": "9"}),
            ("schools.py", "partnership", {"res": "8"}),
        ]
        for page, role, query in cases:
            first, reruns = page_timings(page, query, runs, role)
            rows.append(
                {
                    "page": page,
                    "role": role,
                    "first run s": round(first, 3),
                    "rerun median s": round(statistics.median(reruns), 3),
                    "rerun max s": round(max(reruns), 3),
                    "target s": 1.0,
                }
            )
    print_table(rows)


if __name__ == "__main__":
    main()
