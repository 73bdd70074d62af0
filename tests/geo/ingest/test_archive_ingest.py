"""A data.police.uk archive zip ingested as it is downloaded (real City of London files)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.ingest.archive import archive_kind, ingest_archive
from geo.store.database import Store

pytestmark = pytest.mark.shared_data

REPO = Path(__file__).resolve().parents[3]
BOROUGHS = "boundaries/london_boroughs_lad22_gen20.geojson"
CITY = "police/city_of_london_street_2023/{m}-city-of-london-street.csv"
HAVERING = "police/havering_2024-04-metropolitan-street_syv_subset.csv"


def test_members_are_routed_by_name() -> None:
    assert archive_kind("2024-04/2024-04-metropolitan-street.csv") == "police_street"
    assert archive_kind("2024-04/2024-04-city-of-london-stop-and-search.csv") == "stop_search"
    assert archive_kind("2024-04/2024-04-metropolitan-outcomes.csv") is None


@pytest.fixture
def archive(shared_data: Path, tmp_path: Path) -> Path:
    path = tmp_path / "download.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for m in ("2023-01", "2023-02"):
            zf.write(shared_data / CITY.format(m=m), f"{m}/{m}-city-of-london-street.csv")
            zf.writestr(f"{m}/{m}-city-of-london-outcomes.csv", "Crime ID,Month\n")
        # another force's month: no row in the City
        zf.write(shared_data / HAVERING, "2024-04/2024-04-metropolitan-street.csv")
    return path


def config_for(shared_data: Path, folder: Path) -> Path:
    path = folder / "placesafe.toml"
    path.write_text(
        f'[store]\npath = "store.duckdb"\n\n[study_area]\nboundary = "{shared_data / BOROUGHS}"'
        '\ncode = "E09000001"\nbuffer_m = 250\n',
        encoding="utf-8",
    )
    return path


def test_each_month_is_a_batch_and_other_areas_are_listed(
    shared_data: Path, tmp_path: Path, archive: Path
) -> None:
    config = load_config(config_for(shared_data, tmp_path))
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:
        report = ingest_archive(store, config, area, archive)
        assert report.ok
        assert [r.file_name for r in report.reports] == [
            "2023-01-city-of-london-street.csv",
            "2023-02-city-of-london-street.csv",
        ]
        assert [r.accepted for r in report.reports] == [666, 716]  # as the files one by one
        assert report.outside == ["2024-04/2024-04-metropolitan-street.csv"]
        assert len(report.ignored) == 2
        assert store.scalar("SELECT count(*) FROM incidents") == 666 + 716
        again = ingest_archive(store, config, area, archive)
        assert {r.status for r in again.reports} == {"already_ingested"}


def test_the_command_line_reads_a_zip_without_kind(
    shared_data: Path, tmp_path: Path, archive: Path
) -> None:
    path = config_for(shared_data, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "geo", "--config", str(path), "ingest", "--json", str(archive)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "PLACESAFE_AUDIT_KEY": "k" * 64},
    )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert [m["accepted"] for m in payload["members"]] == [666, 716]
