"""Benchmark: the publication layer on the demo (issue 13).

Targets: publishing the Overview at resolution 8 for the partnership (both count layers at
resolutions 7 and 8 with suppression and perturbation, and the headline tiles) under 50 ms;
every partnership page reruns under 1 s with the store warm. Also shows what the
publishable dataset costs a query (each cursor shadows three tables with temporary views).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import page_timings, print_table

PAGES = (
    None,
    "hotspots.py",
    "recurring.py",
    "youth_work.py",
    "disproportionality.py",
    "profile.py",
    "missing.py",
    "schools.py",
    "briefing.py",
)


def _median_ms(fn, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1), round(max(times), 1)


def main(runs: int = 20) -> None:
    from geo.core.filters import Filters
    from geo.demo.build import build_demo
    from geo.disclosure import Role, disclose_levels, store_for
    from geo.disclosure.counts import disclosed_counts, disclosed_kpis
    from geo.store import queries as overview
    from geo.store.database import Store

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        build = build_demo(Path(tmp) / "demo", seed=0)
        config = build.config
        os.environ["PLACESAFE_CONFIG"] = str(build.out_dir / "placesafe.toml")
        with Store(config.store_path) as store:
            months = overview.available_months(store)
            q = Filters(months[-3], months[-1])
            published = store_for(store, Role.PARTNERSHIP, config)

            def publish_overview() -> None:
                for layer in ("incidents", "missing"):
                    disclosed_counts(store, layer, Role.PARTNERSHIP, 8, q, config)
                disclosed_kpis(store, Role.PARTNERSHIP, q, config)

            counts = {r: overview.incident_counts(published, r, q) for r in (7, 8)}
            total, key = overview.layer_total_and_key(published, "incidents", q)

            def publish_only() -> None:
                disclose_levels(counts, float(total), Role.PARTNERSHIP, config, total_key=key)

            def exact_query() -> None:
                overview.incident_counts(store, 8, q)

            def published_query() -> None:
                overview.incident_counts(published, 8, q)

            for name, fn, target in (
                ("Overview res 8: queries + publish, both layers and KPIs", publish_overview, 50),
                ("publish step only: incidents at res 7+8 and total", publish_only, ""),
                ("one count query, exact store", exact_query, ""),
                ("one count query, publishable dataset", published_query, ""),
            ):
                fn()  # warm
                median, worst = _median_ms(fn, runs)
                rows.append(
                    {"benchmark": name, "runs": runs, "median ms": median, "max ms": worst,
                     "target ms": target}
                )  # fmt: skip
        print_table(rows)
        print()
        page_rows = []
        for page in PAGES:
            first, warm = page_timings(page, {}, 3, role="partnership")
            page_rows.append(
                {
                    "partnership page": page or "overview",
                    "first run s": round(first, 2),
                    "rerun median s": round(statistics.median(warm), 3),
                    "rerun max s": round(max(warm), 3),
                    "target s": 1.0,
                }
            )
        print_table(page_rows)


if __name__ == "__main__":
    main()
