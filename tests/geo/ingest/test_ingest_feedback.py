"""Admin feedback that cannot mislead: grouped reasons naming the study area, nothing
accepted is a refusal, and ingest stages reported to a progress callback (issue 15, item 6)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.demo.build import build_demo
from geo.ingest.pipeline import OUTSIDE_AREA, STAGES, ingest_bytes
from geo.ingest.report import reasons_in_words
from geo.store.database import Store

AREA = "Demo borough (synthetic)"


def test_one_reason_for_every_row_reads_as_one_sentence() -> None:
    text = reasons_in_words({OUTSIDE_AREA: 1058}, 1058, AREA)
    assert text == f"all 1,058 points lie outside {AREA}"


def test_reasons_are_grouped_with_counts_most_first() -> None:
    text = reasons_in_words({"a date in the future": 3, OUTSIDE_AREA: 40, "no date": 1}, 50, AREA)
    assert text == (f"40 points lie outside {AREA}; 3 are a date in the future; 1 is no date")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    return out


def shifted_incidents(demo: Path, rows: int = 1058) -> bytes:
    """The demo's incidents moved about 55 km north: every point outside the area."""
    frame = pd.read_csv(demo / "incidents.csv", dtype=str).head(rows)
    frame["Latitude"] = (frame["Latitude"].astype(float) + 0.5).round(5).astype(str)
    return frame.to_csv(index=False).encode()


def test_a_file_with_every_point_outside_is_refused_naming_the_area(
    demo: Path, tmp_path: Path
) -> None:
    config = load_config(demo / "placesafe.toml")
    area = load_study_area(config.study_area)
    with Store(tmp_path / "real.duckdb") as store:
        report = ingest_bytes(
            store, config, area, "incidents", shifted_incidents(demo), "far.csv", dry_run=True
        )
    assert report.status == "refused" and report.accepted == 0
    assert f"all 1,058 points lie outside {area.name}" in str(report.error)
    assert "Nothing was stored" in report.summary()


def test_ingest_reports_its_stages_in_order(demo: Path, tmp_path: Path) -> None:
    config = load_config(demo / "placesafe.toml")
    area = load_study_area(config.study_area)
    data = (demo / "incidents.csv").read_bytes()
    seen: list[tuple[str, float]] = []
    with Store(tmp_path / "real.duckdb") as store:
        checked = ingest_bytes(
            store, config, area, "incidents", data, "inc.csv", dry_run=True,
            progress=lambda stage, f: seen.append((stage, f)),
        )  # fmt: skip
        assert checked.status == "checked"
        assert [s for s, _ in seen] == ["read", "map to cells", "validate", "done"]
        seen.clear()
        live = ingest_bytes(
            store, config, area, "incidents", data, "inc.csv",
            progress=lambda stage, f: seen.append((stage, f)),
        )  # fmt: skip
    assert live.status == "live"
    assert [s for s, _ in seen] == list(STAGES)
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
