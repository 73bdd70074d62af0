"""Benchmark: Overview page at res 10 and Hotspots page at res 9 on the demo borough.

Targets (issue 2): server-side rerun under 1 s with the store warm; map payload
(the folium HTML that st_folium sends to the browser) under 2 MB. Issue 3: the Hotspots
page reruns in under 1.5 s at res 9 with 24 months.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import page_timings, print_table


def main(runs: int = 5) -> None:
    from geo.core.filters import Filters
    from geo.demo.build import build_demo
    from geo.render import layers
    from geo.render.maps import build_map
    from geo.store import queries as overview
    from geo.store.database import Store

    with tempfile.TemporaryDirectory() as tmp:
        build = build_demo(Path(tmp) / "demo", seed=0)
        config = build.config
        os.environ["PLACESAFE_CONFIG"] = str(build.out_dir / "placesafe.toml")
        from geo.core.area import load_study_area

        area = load_study_area(config.study_area)
        with Store(config.store_path) as store:
            months = overview.available_months(store)
            f = Filters(months[-12], months[-1])
            rows = []
            for res in (8, 9, 10):
                t = time.perf_counter()
                hex_layers = (
                    layers.incident_layer(
                        overview.incident_counts(store, res, f), "analyst", res, config
                    ),
                    layers.missing_layer(
                        overview.missing_found_counts(store, min(res, 9), f),
                        "analyst",
                        min(res, 9),
                        config,
                    ),
                    layers.youth_work_layer(overview.youth_work_cells(store, min(res, 9), f)),
                )
                markers = layers.school_markers(overview.schools(store))
                m = build_map(area.centre, area.bounds, area.boundary, hex_layers, markers)
                html = m.get_root().render()
                cold = time.perf_counter() - t
                n_cells = len(hex_layers[0].geojson["features"])
                rows.append(
                    {
                        "res": res,
                        "incident cells": n_cells,
                        "layers+map build s": round(cold, 3),
                        "payload MB": round(len(html.encode()) / 1e6, 2),
                        "target MB": 2.0,
                    }
                )
        store = None

        cell = build.truth["recurring_hotspots"][0]["cell"]
        window = {"from": months[0], "to": months[-1]}
        overview = page_timings(None, {"res": "10"}, runs)
        hotspots = page_timings("hotspots.py", {"res": "9", **window}, runs)
        profile = page_timings("profile.py", {"res": "9", "cell": cell, **window}, runs)
    print_table(rows)
    print()
    print_table(
        [
            _row("Overview, res 10: rerun (warm)", overview[1], 1.0),
            _row("Hotspots page, res 9, 24 months: first run (analysis)", [hotspots[0]], 1.5),
            _row("Hotspots page, res 9, 24 months: rerun (warm)", hotspots[1], 1.5),
            _row("Location profile, planted cell: first run", [profile[0]], ""),
            _row("Location profile, planted cell: rerun (warm)", profile[1], 1.0),
        ]
    )


def _row(name: str, seconds: list[float], target: float | str) -> dict[str, object]:
    return {
        "benchmark": name,
        "runs": len(seconds),
        "median s": round(statistics.median(seconds), 3),
        "max s": round(max(seconds), 3),
        "target s": target,
    }


if __name__ == "__main__":
    main()
