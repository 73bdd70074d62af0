"""Benchmark: validation time for one very long cell (issue 13, item 7).

The e-mail pattern used before issue 13 (``\\b[^@\\s]+@[^@\\s]+\\.[a-z]{2,}\\b``)
backtracks from every word start: its time grows with the square of the cell's length
(21 s for a 120 kB cell). The current patterns run in linear time and a cell longer
than ``[ingest] max_cell_chars`` rejects its row before any pattern sees it.

Prints three tables:

1. the old and new e-mail patterns on five input shapes (old timed at 10 and 20 kB and
   extrapolated to 1 MB with its measured quadratic growth; new timed at 1 MB);
2. :func:`geo.ingest.personal_data.personal_data_values` (all four value patterns) on 1 MB cells;
3. a whole missing-episodes file with one 1 MB cell through ``ingest_bytes``
   (dry run and stored), target under 1 s.

Run: ``.venv/bin/python bench/bench_validation.py``
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from _common import ROOT, print_table

OLD_EMAIL = r"\b[^@\s]+@[^@\s]+\.[a-z]{2,}\b"
MB = 1_000_000

SHAPES: dict[str, Callable[[int], str]] = {
    '"a@" repeated': lambda n: "a@" * (n // 2),
    '"a" * n + "@"': lambda n: "a" * n + "@",
    "dotted words": lambda n: "a." * (n // 2),
    "@ then dotted domain": lambda n: "x@" + "a." * (n // 2),
    "hyphenated words": lambda n: "a-" * (n // 2),
}


def _time(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def pattern_table() -> list[dict[str, object]]:
    from geo.ingest.personal_data import _EMAIL

    rows = []
    for name, make in SHAPES.items():
        old = {}
        for n in (10_000, 20_000):
            s = pd.Series([make(n)]).str.upper()
            old[n] = _time(lambda s=s: s.str.contains(OLD_EMAIL, regex=True, case=False).any(), 1)
        # measured growth 10 kB -> 20 kB; extrapolate to 1 MB as quadratic (the
        # backtracking's theory) when the growth is clearly super-linear, else linear
        exponent = 1.0 if old[10_000] < 1e-2 else _log2(old[20_000] / old[10_000])
        old_1mb = old[20_000] * (MB / 20_000) ** (2 if exponent > 1.5 else 1)
        s = pd.Series([make(MB)]).str.upper()
        new_1mb = _time(lambda s=s: s.str.contains(_EMAIL, regex=True, case=False).any())
        rows.append(
            {
                "input (e-mail pattern)": name,
                "old 20 kB s": round(old[20_000], 3),
                "old growth": f"n^{exponent:.1f}",
                "old 1 MB s (extrap.)": round(old_1mb, 1),
                "new 1 MB s": round(new_1mb, 4),
            }
        )
    return rows


def _log2(x: float) -> float:
    import math

    return math.log2(x) if x > 0 else 0.0


def values_table() -> list[dict[str, object]]:
    from geo.ingest.personal_data import personal_data_values

    rows = []
    for name, make in SHAPES.items():
        frame = pd.DataFrame({"Notes": [make(MB), "nothing"]})
        seconds = _time(lambda frame=frame: personal_data_values(frame, ["Notes"]))
        rows.append({"input (all value patterns)": name, "1 MB cell s": round(seconds, 4)})
    return rows


def ingest_table() -> list[dict[str, object]]:
    os.environ.pop("PLACESAFE_PSEUDONYM_KEY", None)
    from geo.core.area import load_study_area
    from geo.core.config import load_config
    from geo.ingest.pipeline import ingest_bytes
    from geo.store.database import Store

    header = (ROOT / "data/templates/missing_episodes.csv").read_text().splitlines()[0]
    good = (
        "EP-{i},CH-{i},03/02/2024 21:15,04/02/2024 09:30,51.5401,0.0263,,900101,Y,14-17,"
        "female,white,completed,05/02/2024 14:00,peer_group,medium,{notes}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        toml = Path(tmp) / "placesafe.toml"
        toml.write_text(
            '[store]\npath = "store.duckdb"\n\n[study_area]\nboundary = "'
            f'{ROOT / "data/demo/boundary.geojson"}"\nbuffer_m = 250\n\n[app]\ndemo = true\n',
            encoding="utf-8",
        )
        config = load_config(toml)
        area = load_study_area(config.study_area)
        for name in ("dotted words", "hyphenated words", '"a@" repeated'):
            lines = [header + ",Notes"]
            lines += [good.format(i=i, notes="short") for i in range(999)]
            lines.append(good.format(i=999, notes=SHAPES[name](MB)))
            data = ("\n".join(lines) + "\n").encode()
            for dry in (True, False):
                with Store(":memory:") as store:
                    t0 = time.perf_counter()
                    report = ingest_bytes(
                        store, config, area, "missing", data, "big.csv", dry_run=dry,
                        now=pd.Timestamp("2024-06-30"),
                    )  # fmt: skip
                    seconds = time.perf_counter() - t0
                rows.append(
                    {
                        "file: 1,000 rows, one 1 MB cell": name,
                        "mode": "dry run" if dry else "stored",
                        "seconds": round(seconds, 3),
                        "accepted": report.accepted,
                        "rejected": report.rejected,
                        "rule": next(iter(report.reasons), ""),
                    }
                )
    return rows


def main() -> None:
    print("E-mail pattern, one cell (seconds, best of 3; old pattern extrapolated):")
    print_table(pattern_table())
    print()
    print("personal_data_values on a 1 MB cell:")
    print_table(values_table())
    print()
    print("ingest_bytes, missing-episodes file with one 1 MB cell (target < 1 s):")
    print_table(ingest_table())


if __name__ == "__main__":
    main()
