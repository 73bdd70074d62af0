"""Tiny partner files for store-backed tests: template headers, rows, and a demo-borough
configuration in a temporary folder."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from geo.core.config import Config, load_config

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "data" / "templates"

# Three places inside the demo borough (lat, lng), far enough apart to differ at res 7..10.
A = (51.5388, 0.0242)
B = (51.5300, 0.0500)
C = (51.5450, 0.0600)
HOME_AREA = "87194e68affffff"  # a valid res-7 cell


def header(name: str) -> list[str]:
    """The column names of a template in ``data/templates``."""
    with (TEMPLATES / name).open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def to_csv(columns: list[str], rows: list[dict[str, str]]) -> bytes:
    """UTF-8 CSV bytes with ``columns``; missing values are empty."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return buf.getvalue().encode("utf-8")


def incident(i: int, when: str, category: str, at: tuple[float, float]) -> dict[str, str]:
    """One row of the partner incident template."""
    return {
        "Incident ID": f"INC-{i:04d}",
        "Date and time": when,
        "Category": category,
        "Latitude": str(at[0]),
        "Longitude": str(at[1]),
        "Age band": "14-17",
        "Sex": "male",
        "Ethnicity": "white",
        "Weapon": "",
        "Location type": "street",
    }


def demo_area_config(folder: Path, extra: str = "") -> Config:
    """A configuration over the committed demo boundary with its store in ``folder``."""
    boundary = REPO / "data" / "demo" / "boundary.geojson"
    assert boundary.exists(), "data/demo/boundary.geojson is missing"
    (folder / "placesafe.toml").write_text(
        "[store]\n"
        'path = "store.duckdb"\n'
        "[study_area]\n"
        f'boundary = "{boundary.as_posix()}"\n'
        "buffer_m = 250\n"
        f"{extra}"
        "[app]\n"
        "demo = true\n",
        encoding="utf-8",
    )
    return load_config(folder / "placesafe.toml")
