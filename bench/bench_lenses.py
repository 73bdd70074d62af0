"""Benchmark: the Missing from home and Schools pages on the demo store (issue 6).

Target: both pages rerun in under 1 s on the demo store, for analysts (24 months,
resolution 9) and for the partnership (one quarter, resolution 8). First runs include
the analysis (cached afterwards); reruns are what a user waits for on every click.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import ROOT, print_table


def _timings(page: str, query: dict[str, str], role: str, runs: int) -> tuple[float, list[float]]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "tests" / "app" / "app_entry.py"), default_timeout=120)
    at.query_params.update(query)
    at.run()
    if role == "partnership":
        at.radio(key="view_as").set_value("partnership").run()
    t = time.perf_counter()
    at.switch_page(str(ROOT / "pages" / page)).run()
    first = time.perf_counter() - t
    assert not at.exception, [e.value for e in at.exception]
    reruns = []
    for _ in range(runs):
        t = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - t)
    assert not at.exception
    return first, reruns


def main(runs: int = 5) -> None:
    from geo.demo import build_demo

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
            first, reruns = _timings(page, query, role, runs)
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
