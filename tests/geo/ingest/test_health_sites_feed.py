"""The optional health-sites feed (A&E, GP surgeries, sexual-health clinics): a mapped CSV
whose sites may lie outside the study area."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.schema import HEALTH_SITE_KINDS
from geo.demo.health import demo_health_sites, write_demo_health_sites
from geo.ingest.pipeline import NEARBY_M, OUTSIDE_AREA, TOO_FAR
from tests.geo.ingest.test_validation import (
    INSIDE,
    Env,
    assert_redacted,
    issue_rows,
    template_header,
)

HEADER = template_header("health_sites.csv")
#: About 2 km east of the demo borough's eastern edge (outside it, well within 30 km).
OUTSIDE_NEAR = (51.5368, 0.1100)
#: Manchester: in Great Britain, far from the demo borough.
FAR_AWAY = (53.4808, -2.2426)


def site(**fields: str) -> dict[str, str]:
    row = {
        "Site code": "S1",
        "Site name": "Example Road Surgery",
        "Type": "GP surgery",
        "Latitude": str(INSIDE[0]),
        "Longitude": str(INSIDE[1]),
    }
    row.update(fields)
    return row


def to_bytes(rows: list[dict[str, str]], header: list[str] = HEADER) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def stored(env: Env) -> pd.DataFrame:
    return env.store.query("SELECT * FROM health_sites ORDER BY site_id")


def test_the_shipped_template_ingests(env: Env, repo_root: Path) -> None:
    data = (repo_root / "data" / "templates" / "health_sites.csv").read_bytes()
    report = env.ingest(data, "health_sites.csv", kind="health_sites")
    assert report.status == "live", report.summary()
    assert (report.read, report.accepted, report.rejected) == (4, 4, 0)
    rows = stored(env)
    assert set(rows["kind"]) == {"emergency_department", "gp_surgery", "sexual_health_clinic"}
    assert rows.set_index("site_id").loc["XGP02", "kind"] == "gp_surgery"  # "gp"


def test_sites_outside_the_area_are_kept_and_stored_as_cells(env: Env) -> None:
    rows = [
        site(),
        site(**{"Site code": "ED1", "Site name": "County Hospital A&E", "Type": "A&E",
                "Latitude": str(OUTSIDE_NEAR[0]), "Longitude": str(OUTSIDE_NEAR[1])}),
    ]  # fmt: skip
    assert not env.area.contains([OUTSIDE_NEAR[0]], [OUTSIDE_NEAR[1]])[0]
    report = env.ingest(to_bytes(rows), kind="health_sites")
    assert report.status == "live" and report.accepted == 2 and report.rejected == 0
    assert OUTSIDE_AREA not in report.reasons
    out = stored(env).set_index("site_id")
    # no raw coordinates: the storage cell and its parents only
    assert not {"lat", "lng", "latitude", "longitude"} & set(out.columns)
    cell = hexes.points_to_cells([OUTSIDE_NEAR[0]], [OUTSIDE_NEAR[1]], 11)[0]
    assert int(out.loc["ED1", "cell"]) == int(cell)
    assert int(out.loc["ED1", "cell_8"]) == int(hexes.cells_to_parent(np.array([cell]), 8)[0])
    assert out.loc["ED1", "kind"] == "emergency_department"
    assert out.loc["ED1", "name"] == "County Hospital A&E"


def test_other_feeds_still_reject_points_outside_the_area(env: Env) -> None:
    from tests.geo.ingest.test_validation import INCIDENT_HEADER, incident, to_csv

    far = incident(latitude=str(OUTSIDE_NEAR[0]), longitude=str(OUTSIDE_NEAR[1]))
    report = env.ingest(to_csv(INCIDENT_HEADER, [far]).encode("utf-8"), kind="incidents")
    assert report.reasons == {OUTSIDE_AREA: 1}


def test_bad_rows_are_rejected_with_row_column_and_rule(env: Env) -> None:
    rows = [
        site(),
        site(**{"Site code": "S2", "Type": "veterinary practice"}),
        site(**{"Site code": "S3", "Latitude": "", "Longitude": ""}),
        site(**{"Site code": "S4", "Latitude": str(FAR_AWAY[0]), "Longitude": str(FAR_AWAY[1])}),
        site(**{"Site code": "S5", "Latitude": "0.0263", "Longitude": "51.5401"}),
        site(**{"Site code": "S6", "Site name": ""}),
        site(**{"Site code": "", "Site name": "No code clinic"}),
        site(**{"Site code": "S8", "Site name": "x" * 201}),
        site(**{"Site code": "S9", "Latitude": "north"}),
        site(),  # S1 again
    ]
    report = env.ingest(to_bytes(rows), kind="health_sites")
    assert report.status == "live"
    assert report.accepted == 1 and report.rejected == 8 and report.duplicates == 1
    assert report.read == len(rows)
    found = issue_rows(report)
    assert found[3] == ("Type", "value not in the allowed list")
    assert found[4] == ("Latitude/Longitude", "no coordinates (unlocatable)")
    assert found[5] == ("Latitude/Longitude", TOO_FAR)
    assert found[6] == ("Latitude/Longitude", "latitude and longitude look swapped")
    assert found[7] == ("Site name", "required value is empty")
    assert found[8] == ("Site code", "required value is empty")
    assert found[9] == ("Site name", "name longer than 200 characters")
    assert found[10] == ("Latitude", "coordinates are not numbers")
    assert_redacted(report, "veterinary", "No code clinic", "x" * 201, "north", str(FAR_AWAY[0]))
    assert NEARBY_M == 30_000.0 and "30 km" in TOO_FAR


def test_personal_data_column_refuses_the_file(env: Env) -> None:
    header = [*HEADER, "Postcode"]
    row = {**site(), "Postcode": "E15 1AB"}
    report = env.ingest(to_bytes([row], header), kind="health_sites")
    assert report.status == "refused"
    assert report.error is not None and "Postcode" in report.error
    assert "E15 1AB" not in report.summary()
    assert stored(env).empty


def test_rollback_removes_the_sites(env: Env) -> None:
    report = env.ingest(to_bytes([site()]), kind="health_sites")
    assert len(stored(env)) == 1
    assert report.batch_id is not None
    env.store.rollback(report.batch_id)
    assert stored(env).empty


def test_demo_sites_lie_inside_and_outside_and_ingest(
    env: Env, tmp_path: Path, repo_root: Path
) -> None:
    frame = demo_health_sites(env.area.boundary)
    assert list(frame.columns) == HEADER
    inside = env.area.contains(frame["Latitude"], frame["Longitude"])
    assert inside.sum() == 3 and (~inside).sum() == 2
    assert frame.equals(demo_health_sites(env.area.boundary))  # deterministic
    shutil.copy(repo_root / "data" / "demo" / "boundary.geojson", tmp_path / "boundary.geojson")
    path = write_demo_health_sites(tmp_path / "health_sites.csv")
    report = env.ingest(path.read_bytes(), "health_sites.csv", kind="health_sites")
    assert report.status == "live" and report.accepted == 5 and report.rejected == 0
    kinds = stored(env)["kind"].value_counts().to_dict()
    assert kinds == {"gp_surgery": 2, "emergency_department": 1, "sexual_health_clinic": 1,
                     "other": 1}  # fmt: skip
    assert set(kinds) == set(HEALTH_SITE_KINDS)
