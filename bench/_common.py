"""Helpers shared by the benchmark scripts (tables, synthetic police.uk files)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POLICE_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)
CRIME_TYPES = (
    "Violence and sexual offences",
    "Anti-social behaviour",
    "Public order",
    "Drugs",
    "Robbery",
    "Possession of weapons",
    "Other theft",
    "Burglary",
)


def print_table(rows: Sequence[dict[str, object]]) -> None:
    """Print rows as an aligned plain-text table."""
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False))


def write_police_csv(path: Path, n: int, seed: int = 0, points: np.ndarray | None = None) -> None:
    """Write ``n`` synthetic police.uk street rows inside the demo borough, or at
    ``points`` (``(n, 2)`` longitude, latitude; EPSG:4326) when given.

    A third of rows are anti-social behaviour with blank Crime IDs (some identical),
    about 8 % have no coordinates, as in real files.
    """
    rng = np.random.default_rng(seed)
    if points is None:
        lng = rng.uniform(-0.005, 0.07, n).round(6)
        lat = rng.uniform(51.515, 51.555, n).round(6)
    else:
        lng, lat = points[:, 0].round(6), points[:, 1].round(6)
    crime = np.array(CRIME_TYPES)[rng.integers(0, len(CRIME_TYPES), n)]
    asb = crime == "Anti-social behaviour"
    ids = np.char.add("c", rng.integers(0, 2**62, n).astype(str))
    ids[asb] = ""
    months = np.array([f"2024-{m:02d}" for m in range(1, 13)])[rng.integers(0, 12, n)]
    lat_s = lat.astype(str)
    lng_s = lng.astype(str)
    unlocated = rng.random(n) < 0.08
    lat_s[unlocated] = ""
    lng_s[unlocated] = ""
    frame = pd.DataFrame(
        {
            "Crime ID": ids,
            "Month": months,
            "Reported by": "Metropolitan Police Service",
            "Falls within": "Metropolitan Police Service",
            "Longitude": lng_s,
            "Latitude": lat_s,
            "Location": "On or near Demo Street",
            "LSOA code": "E01000001",
            "LSOA name": "Demo 001A",
            "Crime type": crime,
            "Last outcome category": np.where(asb, "", "Under investigation"),
            "Context": "",
        }
    )
    frame.to_csv(path, index=False)


def page_timings(
    page: str | None, query: dict[str, str], runs: int, role: str = "analyst"
) -> tuple[float, list[float]]:
    """Seconds of a page's first run and of ``runs`` warm reruns, through AppTest.

    The app runs on ``$PLACESAFE_CONFIG`` in local mode (analyst); ``role`` =
    ``"partnership"`` switches its preview on first. ``page`` None is the Overview.
    """
    import time

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "tests" / "app" / "app_entry.py"), default_timeout=120)
    at.query_params.update(query)
    t = time.perf_counter()
    at.run()
    if role == "partnership":
        at.radio(key="view_as").set_value("partnership").run()
    if page is not None:
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
