"""The ISTV feed (emergency-department assaults) and the place lookups that place it:
postcode centroids (ONSPD, Code-Point Open) and named places (OS Open Names)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import to_bng
from geo.core.schema import ASSAULT_MEANS
from geo.ingest.report import IngestReport
from geo.ingest.sources.istv import assault_means
from geo.store import catalogue
from geo.store.place_names import place_names
from tests.geo.ingest.test_validation import Env, assert_redacted, issue_rows, template_header

HEADER = template_header("istv.csv")
#: Points well inside the demo borough (WGS84 lat, lng), about 700 m apart.
PUB = (51.5401, 0.0263)
STATION = (51.5350, 0.0330)
POSTCODE_POINT = (51.5380, 0.0200)
#: Manchester: outside the study area.
FAR = (53.4808, -2.2426)


def bng(point: tuple[float, float]) -> tuple[int, int]:
    x, y = to_bng(np.array([point[1]]), np.array([point[0]]))
    return int(round(float(x[0]))), int(round(float(y[0])))


def codepoint_bytes(rows: list[tuple[str, tuple[float, float]]]) -> bytes:
    lines = []
    for postcode, point in rows:
        e, n = bng(point)
        lines.append(
            f'"{postcode}",10,{e},{n},"E92000001","E19000003","E18000007","","E09000025",""'
        )
    return ("\n".join(lines) + "\n").encode()


def open_names_bytes(rows: list[tuple[str, str, tuple[float, float]]]) -> bytes:
    out = ["ID,NAME1,LOCAL_TYPE,GEOMETRY_X,GEOMETRY_Y"]
    for i, (name, kind, point) in enumerate(rows):
        e, n = bng(point)
        out.append(f'osgb{i},"{name}",{kind},{e},{n}')
    return ("\n".join(out) + "\n").encode()


def attendance(**fields: str) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update(
        {
            "Attendance ID": "ED-1",
            "Arrival date time": "06/02/2024 01:12",
            "Assault date time": "06/02/2024 00:40",
            "Assault location": "outside the Anchor and Crown",
            "Location type": "pub/bar/club",
            "Primary means of assault": "bottle/glass",
            "Age band": "18-24",
            "Sex": "male",
            "ED site code": "rf4",
        }
    )
    row.update(fields)
    return row


def istv_bytes(rows: list[dict[str, str]], header: list[str] = HEADER) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    e = Env(tmp_path)
    pc = e.ingest(
        codepoint_bytes([("ZD1 1AB", POSTCODE_POINT), ("M1 1AE", FAR)]), "zd.csv", kind="postcodes"
    )
    assert pc.status == "live" and pc.accepted == 1, pc.summary()
    gz = e.ingest(
        open_names_bytes(
            [
                ("The Anchor and Crown", "Public House", PUB),
                ("Quayside Parade", "Named Road", STATION),
                ("Demoton", "Town", PUB),
            ]
        ),
        "names.csv",
        kind="gazetteer",
    )
    assert gz.status == "live" and gz.accepted == 2, gz.summary()
    return e


def stored(env: Env) -> pd.DataFrame:
    return env.store.query("SELECT * FROM ed_assaults ORDER BY attendance_id").set_index(
        "attendance_id"
    )


def cell_of(point: tuple[float, float]) -> int:
    return int(hexes.points_to_cells([point[0]], [point[1]], 11)[0])


def report_text(report: IngestReport) -> str:
    return " ".join([report.summary(), *report.warnings, *report.notes, report.issues.to_string()])


def test_the_shipped_template_ingests(tmp_path: Path, repo_root: Path) -> None:
    env = Env(tmp_path)
    data = (repo_root / "data" / "templates" / "istv.csv").read_bytes()
    report = env.ingest(data, "istv.csv", kind="istv")
    assert report.status == "live", report.summary()
    assert (report.read, report.accepted, report.rejected) == (4, 4, 0)
    rows = stored(env)
    assert rows.loc["ED-000003", "private_home"]
    assert rows["cell"].isna().all()  # no lookups loaded: nothing can be placed
    assert set(rows["means"]) == {"body_part", "bottle_or_glass", "other", "knife_or_sharp"}


def test_records_are_placed_by_postcode_and_by_name_and_homes_never(env: Env) -> None:
    rows = [
        attendance(),
        attendance(**{"Attendance ID": "ED-2", "Assault location": "bus stop Quayside Pde"}),
        attendance(**{"Attendance ID": "ED-3", "Assault location": "car park",
                      "Assault postcode": "zd11ab"}),
        attendance(**{"Attendance ID": "ED-4", "Assault location": "at home"}),
        attendance(**{"Attendance ID": "ED-5", "Assault location": "friend's flat",
                      "Latitude": str(PUB[0]), "Longitude": str(PUB[1])}),
        attendance(**{"Attendance ID": "ED-6", "Assault location": "not known"}),
        attendance(**{"Attendance ID": "ED-7", "Assault location": "somewhere in Demoton"}),
        attendance(**{"Attendance ID": "ED-8", "Assault location": "street",
                      "Location type": "Home"}),
    ]  # fmt: skip
    report = env.ingest(istv_bytes(rows), kind="istv")
    assert report.status == "live" and report.accepted == 8, report.summary()
    got = stored(env)
    assert got.loc["ED-1", "cell"] == cell_of(PUB)
    assert got.loc["ED-1", "locate_method"] == "gazetteer"
    assert got.loc["ED-2", "cell"] == cell_of(STATION)
    assert got.loc["ED-3", "cell"] == cell_of(POSTCODE_POINT)
    assert got.loc["ED-3", "locate_method"] == "postcode"
    for home in ("ED-4", "ED-5", "ED-8"):  # even with coordinates; even by location type
        assert got.loc[home, "private_home"], home
        assert pd.isna(got.loc[home, "cell"]) and pd.isna(got.loc[home, "cell_7"]), home
        assert got.loc[home, "unlocated_reason"] == "private home"
    for lost in ("ED-6", "ED-7"):
        assert pd.isna(got.loc[lost, "cell"]) and not got.loc[lost, "private_home"]
        assert got.loc[lost, "unlocated_reason"], lost
    assert got["locate_confidence"].notna().sum() == 3
    notes = " ".join(report.notes)
    assert "Placed 3 of 8 records" in notes and "3 at a private home" in notes


def test_the_location_text_is_never_stored_nor_reported(env: Env) -> None:
    secret = "behind the Anchor and Crown near ZD1 1AB"
    rows = [attendance(**{"Assault location": secret, "Assault postcode": "ZD1 1AB"})]
    report = env.ingest(istv_bytes(rows), kind="istv")
    assert report.status == "live"
    assert_redacted(report, secret, "Anchor", "ZD1 1AB")
    for table in ("ed_assaults", "batches", "audit_log"):
        dump = env.store.query(f"SELECT * FROM {table}").astype(str).to_csv()
        assert "Anchor" not in dump and "ZD1" not in dump, table
    assert set(stored(env).columns).isdisjoint({"location", "postcode", "assault_location"})


def test_the_assault_time_is_used_when_given_else_the_arrival(env: Env) -> None:
    rows = [
        attendance(),
        attendance(**{"Attendance ID": "ED-2", "Assault date time": ""}),
        attendance(**{"Attendance ID": "ED-3", "Assault date time": "06/02/2024 02:00"}),
    ]
    report = env.ingest(istv_bytes(rows), kind="istv")
    assert report.accepted == 2 and issue_rows(report) == {
        4: ("Assault date time", "assault after the arrival")
    }
    got = stored(env)
    assert got.loc["ED-1", "occurred_at"] == pd.Timestamp("2024-02-06 00:40")
    assert got.loc["ED-1", "time_basis"] == "assault"
    assert got.loc["ED-2", "occurred_at"] == pd.Timestamp("2024-02-06 01:12")
    assert got.loc["ED-2", "time_basis"] == "arrival"
    assert got.loc["ED-1", "ed_site"] == "RF4"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Knife/sharp object", "knife_or_sharp"),
        ("STABBING", "knife_or_sharp"),
        ("Bottle or glass", "bottle_or_glass"),
        ("punch/kick", "body_part"),
        ("Body part", "body_part"),
        ("baseball bat", "blunt_object"),
        ("gunshot", "firearm"),
        ("Other", "other"),
        ("blunt_object", "blunt_object"),
        ("", "not_recorded"),
        ("unknown", "not_recorded"),
        ("spoon", "not_recorded"),
    ],
)
def test_means_of_assault_are_mapped_and_unknowns_kept_as_not_recorded(
    written: str, code: str
) -> None:
    assert assault_means(pd.Series([written])).tolist() == [code]
    assert code in ASSAULT_MEANS


def test_unrecorded_means_are_kept_and_counted(env: Env) -> None:
    rows = [
        attendance(**{"Attendance ID": f"ED-{i}", "Primary means of assault": m})
        for i, m in enumerate(["", "spoon", "knife"])
    ]
    report = env.ingest(istv_bytes(rows), kind="istv")
    assert report.accepted == 3
    assert "not recorded (blank or not in the list) for 2 records" in " ".join(report.notes)
    assert "spoon" not in report_text(report)


def test_a_personal_identifier_refuses_the_file(env: Env) -> None:
    before = env.snapshot()
    nhs = "943 476 5919"  # passes the modulus-11 check
    report = env.ingest(istv_bytes([attendance(**{"Assault location": f"ward, {nhs}"})]),
                        kind="istv")  # fmt: skip
    assert report.status == "refused" and "NHS number" in (report.error or "")
    assert nhs not in report_text(report)
    header = [*HEADER, "Patient name"]
    row = {**attendance(), "Patient name": "Jo Bloggs"}
    report = env.ingest(istv_bytes([row], header), kind="istv")
    assert report.status == "refused" and "Jo Bloggs" not in report_text(report)
    assert env.snapshot()[0] == before[0]


def test_a_postcode_in_the_location_is_a_place_not_a_person(env: Env) -> None:
    report = env.ingest(
        istv_bytes([attendance(**{"Assault location": "outside ZD1 1AB shops"})]), kind="istv"
    )
    assert report.status == "live", report.error
    assert stored(env).loc["ED-1", "cell"] == cell_of(POSTCODE_POINT)


def test_the_onspd_layout_is_read_and_outside_postcodes_left_out(tmp_path: Path) -> None:
    env = Env(tmp_path)
    onspd = (
        "pcd,pcds,dointr,lat,long,osward\n"
        f"ZD1 2AB,ZD1 2AB,202001,{PUB[0]},{PUB[1]},E05000001\n"
        f"M1  1AE,M1 1AE,202001,{FAR[0]},{FAR[1]},E05000002\n"
        "ZD9 9ZZ,ZD9 9ZZ,202001,99.999999,0.000000,\n"
    ).encode()
    report = env.ingest(onspd, "ONSPD_extract.csv", kind="postcodes")
    assert report.status == "live" and report.accepted == 1, report.summary()
    assert "1 postcodes in the study area; 1 outside it left out" in report.notes
    got = env.store.query("SELECT postcode, cell FROM postcodes")
    assert got["postcode"].tolist() == ["ZD1 2AB"] and int(got["cell"][0]) == cell_of(PUB)


@pytest.mark.parametrize("kind", ["postcodes", "gazetteer"])
def test_a_file_of_another_kind_is_refused_and_changes_nothing(env: Env, kind: str) -> None:
    before = env.snapshot()
    report = env.ingest(istv_bytes([attendance()]), "wrong.csv", kind=kind)
    assert report.status == "refused" and "not a" in (report.error or "")
    assert env.snapshot() == before


def test_open_names_name_places_and_the_catalogue_lists_the_feeds(env: Env) -> None:
    assert env.ingest(istv_bytes([attendance()]), kind="istv").status == "live"
    cells = hexes.points_to_cells([PUB[0], FAR[0]], [PUB[1], FAR[1]], 10)
    names = place_names(env.store, cells, 10).tolist()
    assert names[0] == "near The Anchor and Crown"
    assert names[1] == "Unnamed place"  # nothing loaded within reach
    feeds = {f.table: f for f in catalogue.feed_catalogue(env.store)}
    assert feeds["ed_assaults"].label == "A&E assaults (ISTV)"
    assert feeds["ed_assaults"].precision == "minute" and feeds["ed_assaults"].rows == 1
    assert "ethnicity" in feeds["ed_assaults"].cannot_tell
    assert feeds["postcodes"].rows == 1 and feeds["gazetteer_names"].rows == 2
