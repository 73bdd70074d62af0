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

from _common import ROOT, print_table


def main(runs: int = 5) -> None:
    from geo import layers, overview
    from geo.demo import build_demo
    from geo.maps import build_map
    from geo.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        build = build_demo(Path(tmp) / "demo", seed=0)
        config = build.config
        os.environ["PLACESAFE_CONFIG"] = str(build.out_dir / "placesafe.toml")
        from geo.area import load_study_area

        area = load_study_area(config.study_area)
        with Store(config.store_path) as store:
            months = overview.available_months(store)
            f = overview.Filters(months[-12], months[-1])
            rows = []
            for res in (8, 9, 10):
                t = time.perf_counter()
                hex_layers = (
                    layers.incident_layer(overview.incident_counts(store, res, f), "analyst",
                                          res, config),
                    layers.missing_layer(overview.missing_found_counts(store, min(res, 9), f),
                                         "analyst", min(res, 9), config),
                    layers.youth_work_layer(overview.youth_work_cells(store, min(res, 9), f)),
                )
                markers = layers.school_markers(overview.schools(store))
                m = build_map(area.centre, area.bounds, area.boundary, hex_layers, markers)
                html = m.get_root().render()
                cold = time.perf_counter() - t
                n_cells = len(hex_layers[0].geojson["features"])
                rows.append({"res": res, "incident cells": n_cells,
                             "layers+map build s": round(cold, 3),
                             "payload MB": round(len(html.encode()) / 1e6, 2),
                             "target MB": 2.0})
        store = None

        from streamlit.testing.v1 import AppTest

        entry = ROOT / "tests" / "app" / "app_entry.py"
        at = AppTest.from_file(str(entry), default_timeout=120)
        at.query_params["res"] = "10"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t)
        assert not at.exception

        hot = AppTest.from_file(str(entry), default_timeout=120)
        hot.query_params.update({"res": "9", "from": months[0], "to": months[-1]})
        hot.run()
        t = time.perf_counter()
        hot.switch_page(str(ROOT / "pages" / "hotspots.py")).run()
        hot_cold = time.perf_counter() - t
        assert not hot.exception, [e.value for e in hot.exception]
        hot_times = []
        for _ in range(runs):
            t = time.perf_counter()
            hot.run()
            hot_times.append(time.perf_counter() - t)
        profile = AppTest.from_file(str(entry), default_timeout=120)
        profile.query_params.update({"res": "9", "from": months[0], "to": months[-1],
                                     "cell": build.truth["recurring_hotspots"][0]["cell"]})
        profile.run()
        t = time.perf_counter()
        profile.switch_page(str(ROOT / "pages" / "profile.py")).run()
        profile_cold = time.perf_counter() - t
        assert not profile.exception, [e.value for e in profile.exception]
        profile_times = []
        for _ in range(runs):
            t = time.perf_counter()
            profile.run()
            profile_times.append(time.perf_counter() - t)
    print_table(rows)
    print()
    print_table([{"benchmark": "Overview rerun, res 10, warm (AppTest)", "runs": runs,
                  "median s": round(statistics.median(times), 3),
                  "max s": round(max(times), 3), "target s": 1.0},
                 {"benchmark": "Hotspots page, res 9, 24 months: first run (analysis)",
                  "runs": 1, "median s": round(hot_cold, 3), "max s": round(hot_cold, 3),
                  "target s": 1.5},
                 {"benchmark": "Hotspots page, res 9, 24 months: rerun (warm)", "runs": runs,
                  "median s": round(statistics.median(hot_times), 3),
                  "max s": round(max(hot_times), 3), "target s": 1.5},
                 {"benchmark": "Location profile, planted cell: first run", "runs": 1,
                  "median s": round(profile_cold, 3), "max s": round(profile_cold, 3),
                  "target s": ""},
                 {"benchmark": "Location profile, planted cell: rerun (warm)", "runs": runs,
                  "median s": round(statistics.median(profile_times), 3),
                  "max s": round(max(profile_times), 3), "target s": 1.0}])


if __name__ == "__main__":
    main()
