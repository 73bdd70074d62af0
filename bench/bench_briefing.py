"""Benchmark: the review pack and the 7-minute briefing for a demo quarter (issue 9).

Targets: the review pack (PDF and HTML) builds in under 20 s, the 7-minute briefing in
under 10 s. The briefing needs the pack's analysis, so its row counts both.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from _common import print_table


def main(runs: int = 3) -> None:
    from geo.core.area import load_study_area
    from geo.demo.build import build_demo
    from geo.render.briefing import build_pack, pack_html, pack_pdf, seven_minute_pdf
    from geo.store.database import Store

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        build = build_demo(Path(tmp), seed=0)
        area = load_study_area(build.config.study_area)
        with Store(build.config.store_path, read_only=True) as store:
            for audience in ("partnership", "analyst"):
                analysis, pack_s, seven_s, size = [], [], [], 0
                for _ in range(runs):
                    t = time.perf_counter()
                    pack = build_pack(store, area, build.config, "2024Q4", audience)
                    a = time.perf_counter() - t
                    t = time.perf_counter()
                    pdf = pack_pdf(pack)
                    pack_html(pack)
                    p = time.perf_counter() - t
                    t = time.perf_counter()
                    seven_minute_pdf(pack)
                    s = time.perf_counter() - t
                    analysis.append(a)
                    pack_s.append(a + p)
                    seven_s.append(a + s)
                    size = len(pdf)
                rows += [
                    {"output": f"review pack ({audience})", "median s": round(
                        statistics.median(pack_s), 2), "max s": round(max(pack_s), 2),
                     "target s": 20, "PDF kB": size // 1000},
                    {"output": f"7-minute briefing ({audience})", "median s": round(
                        statistics.median(seven_s), 2), "max s": round(max(seven_s), 2),
                     "target s": 10, "PDF kB": ""},
                ]  # fmt: skip
    print_table(rows)


if __name__ == "__main__":
    main()
