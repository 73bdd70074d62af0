"""Bad partner files: each is refused or its bad rows rejected, with redacted findings.

Files are built in code from the headers of data/templates/. The study area is the
committed demo boundary (data/demo/boundary.geojson) through a TOML file in tmp_path
with ``[app] demo = true`` so that the public demo pseudonym key is available.

Every check on a finding asserts that the report names the row, column and rule, that
the offending value never appears in the report (``to_dict()`` and ``summary()``) and
that a refused file leaves the store unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from geo.core import hexes
from geo.core.area import from_bng, load_study_area, to_bng
from geo.core.config import load_config
from geo.ingest.pipeline import OUTSIDE_AREA, ingest_bytes
from geo.ingest.report import IngestReport
from geo.store.database import Store
from geo.store.tables import DATA_TABLES

REPO = Path(__file__).resolve().parents[3]
TEMPLATES = REPO / "data" / "templates"
DEMO_BOUNDARY = REPO / "data" / "demo" / "boundary.geojson"
NOW = pd.Timestamp("2024-06-30 12:00")
KEY_ENV = "PLACESAFE_PSEUDONYM_KEY"


def template_header(name: str) -> list[str]:
    return next(csv.reader(io.StringIO((TEMPLATES / name).read_text(encoding="utf-8"))))


MISSING_HEADER = template_header("missing_episodes.csv")
INCIDENT_HEADER = template_header("incidents.csv")
#: A point well inside the demo borough, and the res-7 cell around it.
INSIDE = (51.5401, 0.0263)
HOME7 = str(hexes.cells_to_str(hexes.points_to_cells([INSIDE[0]], [INSIDE[1]], 7))[0])


# --- fixtures and helpers ----------------------------------------------------------------


def write_toml(folder: Path, demo: bool = True, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "placesafe.toml"
    path.write_text(
        '[store]\npath = "store.duckdb"\n\n'
        f'[study_area]\nboundary = "{DEMO_BOUNDARY}"\nbuffer_m = 250\n\n'
        f"[app]\ndemo = {'true' if demo else 'false'}\n{extra}",
        encoding="utf-8",
    )
    return path


class Env:
    """A config, study area and empty store for the demo borough."""

    def __init__(self, folder: Path, demo: bool = True, extra: str = "") -> None:
        self.config = load_config(write_toml(folder, demo, extra))
        self.area = load_study_area(self.config.study_area)
        self.store = Store(":memory:")

    def ingest(self, data: bytes, name: str = "partner.csv", kind: str = "missing") -> IngestReport:
        return ingest_bytes(self.store, self.config, self.area, kind, data, name, now=NOW)

    def snapshot(self) -> tuple[dict[str, int], list[tuple[object, ...]]]:
        live = self.store.query(
            "SELECT batch_id, kind, sha256, rows_accepted FROM batches WHERE status = 'live' "
            "ORDER BY batch_id"
        )
        return self.store.row_counts(), [tuple(r) for r in live.itertuples(index=False)]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    e = Env(tmp_path / "cfg")
    # a first good file, so "unchanged" is checked against a store with content
    first = e.ingest(missing_csv([episode(episode_id="EP-SEED", child_id="CH-SEED")]), "seed.csv")
    assert first.status == "live" and first.accepted == 1
    yield e
    e.store.close()


def episode(**fields: str) -> dict[str, str]:
    """One valid missing-episode row (template header), with overrides by field name."""
    row = {
        "Episode ID": "EP-0001",
        "Child ID": "CH-0001",
        "Date reported missing": "03/02/2024 21:15",
        "Date returned": "04/02/2024 09:30",
        "Found latitude": str(INSIDE[0]),
        "Found longitude": str(INSIDE[1]),
        "Home area": HOME7,
        "School URN": "900101",
        "Looked after": "Y",
        "Age band": "14-17",
        "Sex": "female",
        "Ethnicity": "white",
        "RHI status": "completed",
        "RHI completed": "05/02/2024 14:00",
        "RHI themes": "peer_group;substance_use",
        "Risk level": "medium",
    }
    names = {k.lower().replace(" ", "_"): k for k in row}
    for key, value in fields.items():
        row[names.get(key, key)] = value
    return row


def incident(**fields: str) -> dict[str, str]:
    row = {
        "Incident ID": "INC-1",
        "Date and time": "14/03/2024 16:05",
        "Category": "knife_crime",
        "Latitude": str(INSIDE[0]),
        "Longitude": str(INSIDE[1]),
        "Age band": "14-17",
        "Sex": "male",
        "Ethnicity": "black",
        "Weapon": "knife",
        "Location type": "street",
    }
    names = {k.lower().replace(" ", "_"): k for k in row}
    for key, value in fields.items():
        row[names.get(key, key)] = value
    return row


def to_csv(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue()


def missing_csv(rows: list[dict[str, str]], extra: tuple[str, ...] = ()) -> bytes:
    return to_csv(MISSING_HEADER + list(extra), rows).encode("utf-8")


def report_text(report: IngestReport) -> str:
    return json.dumps(report.to_dict(), default=str) + "\n" + report.summary()


def assert_redacted(report: IngestReport, *values: str) -> None:
    text = report_text(report)
    for value in values:
        assert value not in text, f"the report quotes an offending value: {value!r}"


def assert_refused(env: Env, data: bytes, rule: str, *values: str, name: str = "p.csv") -> str:
    """The file is refused for ``rule``, quotes none of ``values`` and changes nothing."""
    before = env.snapshot()
    report = env.ingest(data, name)
    assert report.status == "refused"
    assert not report.ok
    assert report.error is not None and rule in report.error
    assert report.accepted == 0 and report.batch_id is None
    assert "Nothing was stored" in report.summary()
    assert_redacted(report, *values)
    assert env.snapshot() == before
    failed = env.store.query("SELECT status FROM batches ORDER BY batch_id DESC LIMIT 1")
    assert failed["status"].iloc[0] == "failed"
    return report.error


def issue_rows(report: IngestReport) -> dict[int, tuple[str, str]]:
    return {int(r.row): (r.column, r.rule) for r in report.issues.itertuples(index=False)}


def stored_episodes(env: Env) -> pd.DataFrame:
    return env.store.query("SELECT * FROM missing_episodes ORDER BY episode_id").set_index(
        "episode_id"
    )


# --- encodings and file structure ----------------------------------------------------------


def test_utf8_bom_is_accepted(env: Env) -> None:
    data = b"\xef\xbb\xbf" + missing_csv([episode(episode_id="EP-BOM")])
    report = env.ingest(data)
    assert report.status == "live"
    assert (report.read, report.accepted, report.rejected) == (1, 1, 0)
    assert "EP-BOM" in stored_episodes(env).index
    assert_redacted(report, "EP-BOM", "CH-0001")


@pytest.mark.parametrize("text", ["EP-café-1", "EP-£5-1"])
def test_windows_1252_is_accepted_with_a_warning(env: Env, text: str) -> None:
    data = to_csv(MISSING_HEADER, [episode(episode_id=text)]).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = env.ingest(data)
    assert report.status == "live" and report.accepted == 1
    assert any("windows-1252" in w for w in report.warnings)
    assert text in stored_episodes(env).index  # decoded correctly, not mangled
    assert_redacted(report, text)


def test_undecodable_bytes_are_refused(env: Env) -> None:
    data = missing_csv([episode(episode_id="EP-XX")]).replace(b"EP-XX", b"EP-\x81\x8d")
    with pytest.raises(UnicodeDecodeError):
        data.decode("cp1252")
    assert_refused(env, data, "neither UTF-8 nor Windows-1252", "EP-")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Episode ID,Child ID\nEP-1\x00\x00,CH-1\n", id="nul-in-text"),
        pytest.param(bytes(range(256)) * 4, id="binary"),
    ],
)
def test_binary_files_are_refused(env: Env, data: bytes) -> None:
    assert_refused(env, data, "binary")


def test_ragged_rows_are_rejected_with_their_row_numbers(env: Env) -> None:
    rows = [
        to_csv(MISSING_HEADER, [episode(episode_id=f"EP-R{i}")]).splitlines()[1] for i in range(6)
    ]
    rows[1] += ",RAGGED-EXTRA-FIELD"  # file row 3: one field too many
    rows[3] = ",".join(rows[3].split(",")[:5])  # file row 5: too few fields
    rows[5] = rows[5].replace("03/02/2024 21:15", "31/02/2024 21:15")  # row 7: bad date
    data = ("\n".join([",".join(MISSING_HEADER), *rows]) + "\n").encode()
    report = env.ingest(data)
    assert report.status == "live"
    assert (report.read, report.accepted, report.rejected) == (6, 3, 3)
    found = issue_rows(report)
    assert found[3] == ("*", "wrong number of fields")
    assert found[5] == ("*", "wrong number of fields")
    # rows after a ragged row keep their own numbers (header = row 1)
    assert found[7][0] == "Date reported missing"
    assert set(found) == {3, 5, 7}
    assert {"EP-R0", "EP-R2", "EP-R4"} == set(stored_episodes(env).index) - {"EP-SEED"}
    assert_redacted(report, "RAGGED-EXTRA-FIELD", "31/02/2024", "EP-R1", "EP-R3", "EP-R5")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(",".join(MISSING_HEADER).encode(), id="no-newline"),
        pytest.param((",".join(MISSING_HEADER) + "\n").encode(), id="newline"),
        pytest.param((",".join(MISSING_HEADER) + "\r\n\r\n").encode(), id="crlf-blank"),
        pytest.param(b"\xef\xbb\xbf" + (",".join(MISSING_HEADER) + "\n").encode(), id="bom"),
    ],
)
def test_header_only_file_is_refused(env: Env, data: bytes) -> None:
    assert_refused(env, data, "no data rows")


@pytest.mark.parametrize("data", [b"", b"   \n\n"])
def test_empty_file_is_refused(env: Env, data: bytes) -> None:
    assert_refused(env, data, "empty")


def test_unknown_columns_are_ignored_with_a_warning(env: Env) -> None:
    rows = [episode(episode_id="EP-U1", **{"Keyworker team": "UNKNOWN-COLUMN-VALUE"})]
    report = env.ingest(missing_csv(rows, extra=("Keyworker team",)))
    assert report.status == "live" and report.accepted == 1
    assert any("Keyworker team" in w and "ignored" in w for w in report.warnings)
    stored = env.store.query("SELECT * FROM missing_episodes").astype(str).to_numpy()
    assert "UNKNOWN-COLUMN-VALUE" not in stored
    assert_redacted(report, "UNKNOWN-COLUMN-VALUE")


# --- personal data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Name", "Jane Smithson"),
        ("Date of birth", "14/05/2010"),
        ("Address", "12 Acacia Avenue"),
        ("Postcode", "RM3 0TH"),
        ("UPN", "A12345678901B"),
        ("NHS number", "9434765919"),
        ("Child surname", "Smithson"),
        ("DOB", "2010-05-14"),
    ],
)
def test_personal_data_columns_refuse_the_file(env: Env, column: str, value: str) -> None:
    data = missing_csv([episode(**{column: value})], extra=(column,))
    error = assert_refused(env, data, "look like personal data", value)
    assert column in error


def test_personal_data_column_refuses_even_when_the_profile_maps_it(
    env: Env, tmp_path: Path
) -> None:
    """mapped.py: a personal-data column refuses the file whether or not the profile maps it."""
    profile = (TEMPLATES / "missing_episodes.toml").read_text(encoding="utf-8")
    profile = profile.replace('child_id = "Child ID"', 'child_id = "UPN"')
    (tmp_path / "upn.toml").write_text(profile, encoding="utf-8")
    header = [("UPN" if h == "Child ID" else h) for h in MISSING_HEADER]
    data = to_csv(header, [episode(UPN="CH-0099")]).encode()
    before = env.snapshot()
    report = ingest_bytes(
        env.store, env.config, env.area, "missing", data, "p.csv", profile=tmp_path / "upn.toml"
    )
    assert report.status == "refused"
    assert "UPN" in (report.error or "") and "personal data" in (report.error or "")
    assert_redacted(report, "CH-0099")
    assert env.snapshot() == before


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("Notes", "9434765919", "NHS number"),
        ("Notes", "943 476 5919", "NHS number"),
        ("Notes", "seen near RM3 0TH", "full postcode"),
        ("Reference", "rm30th", "full postcode"),
        ("Notes", "A12345678901B", "unique pupil number"),
        ("Notes", "jane.smithson@example.org", "e-mail address"),
        ("Episode ID", "9434765919", "NHS number"),  # a mapped, innocuous-looking column
        ("Risk level", "RM3 0TH", "full postcode"),
    ],
)
def test_personal_data_values_refuse_the_file(env: Env, column: str, value: str, kind: str) -> None:
    extra = () if column in MISSING_HEADER else (column,)
    rows = [episode(episode_id="EP-V1"), episode(episode_id="EP-V2", **{column: value})]
    data = missing_csv(rows, extra=extra)
    error = assert_refused(env, data, "personal data found", value, value.upper())
    assert f"{column} ({kind})" in error


def test_ten_digits_failing_the_nhs_check_are_not_personal_data(env: Env) -> None:
    rows = [episode(episode_id="EP-N1", Notes="9434765918")]  # modulus-11 check fails
    report = env.ingest(missing_csv(rows, extra=("Notes",)))
    assert report.status == "live" and report.accepted == 1


# --- dates ---------------------------------------------------------------------------------


def test_uk_day_first_and_excel_serial_dates(env: Env) -> None:
    rows = [
        episode(episode_id="EP-D1", date_reported_missing="03/02/2024 21:15", date_returned=""),
        episode(episode_id="EP-D2", date_reported_missing="03/02/2024", date_returned=""),
        episode(episode_id="EP-D3", date_reported_missing="45325", date_returned="45326.5"),
        episode(episode_id="EP-D4", date_reported_missing="2024-02-03 21:15", date_returned=""),
        episode(episode_id="EP-D5", date_reported_missing="12/01/2024 08:00", date_returned=""),
    ]
    report = env.ingest(missing_csv(rows))
    assert report.status == "live" and (report.accepted, report.rejected) == (5, 0)
    got = stored_episodes(env)
    assert got.loc["EP-D1", "reported_at"] == pd.Timestamp("2024-02-03 21:15")  # 3 February
    assert got.loc["EP-D2", "reported_at"] == pd.Timestamp("2024-02-03")
    assert got.loc["EP-D3", "reported_at"] == pd.Timestamp("2024-02-03")  # serial 45325
    assert got.loc["EP-D3", "returned_at"] == pd.Timestamp("2024-02-04 12:00")
    assert got.loc["EP-D4", "reported_at"] == pd.Timestamp("2024-02-03 21:15")
    assert got.loc["EP-D5", "reported_at"] == pd.Timestamp("2024-01-12 08:00")  # not 1 December


@pytest.mark.parametrize(
    ("field", "column", "value", "rule"),
    [
        ("date_reported_missing", "Date reported missing", "31/02/2024 10:00", "not a valid date"),
        ("date_reported_missing", "Date reported missing", "29/02/2023 10:00", "not a valid date"),
        ("date_reported_missing", "Date reported missing", "13/13/2024 10:00", "not a valid date"),
        ("date_reported_missing", "Date reported missing", "Feb 3rd 2024", "not a valid date"),
        ("date_returned", "Date returned", "31/04/2024 10:00", "not a valid date"),
        ("date_reported_missing", "Date reported missing", "01/07/2024 10:00", "in the future"),
        ("date_returned", "Date returned", "30/06/2024 12:01", "in the future"),
        ("date_reported_missing", "Date reported missing", "03/02/1999 10:00", "before 2000"),
        ("rhi_completed", "RHI completed", "31/09/2024 10:00", "not a valid date"),
        ("date_reported_missing", "Date reported missing", "", "required value is empty"),
    ],
)
def test_bad_dates_reject_only_their_row(
    env: Env, field: str, column: str, value: str, rule: str
) -> None:
    rows = [
        episode(episode_id="EP-G1"),
        episode(episode_id="EP-BAD", **{field: value}),
        episode(episode_id="EP-G2"),
    ]
    report = env.ingest(missing_csv(rows))
    assert report.status == "live"
    assert (report.read, report.accepted, report.rejected) == (3, 2, 1)
    col, found_rule = issue_rows(report)[3]
    assert col == column and rule in found_rule
    assert set(stored_episodes(env).index) == {"EP-SEED", "EP-G1", "EP-G2"}
    if value:
        assert_redacted(report, value, "EP-BAD")


# --- coordinates ---------------------------------------------------------------------------


def outside_points() -> tuple[tuple[float, float], tuple[float, float]]:
    """(lat, lng) 100 m and 1 km north of the demo borough's northernmost vertex."""
    poly = shapely.from_geojson(DEMO_BOUNDARY.read_text(encoding="utf-8"))
    poly = shapely.get_geometry(poly, 0) if poly.geom_type == "GeometryCollection" else poly
    lng, lat = np.asarray(shapely.get_coordinates(poly)).T
    top = int(np.argmax(lat))
    x, y = to_bng([lng[top]], [lat[top]])
    near_lng, near_lat = from_bng(x, y + 100)
    far_lng, far_lat = from_bng(x, y + 1000)
    return (float(near_lat[0]), float(near_lng[0])), (float(far_lat[0]), float(far_lng[0]))


NEAR, FAR = outside_points()
BAD_POINTS = {
    "bng": (("183123.45", "538321.75"), "British National Grid"),
    "swapped": ((f"{INSIDE[1]:.5f}", f"{INSIDE[0]:.5f}"), "swapped"),
    "zero": (("0.000000", "0.000000"), "(0, 0)"),
    "outside": ((f"{FAR[0]:.7f}", f"{FAR[1]:.7f}"), OUTSIDE_AREA),
    "out-of-range": (("95.123456", "200.654321"), "out of range"),
    "not-numbers": (("fifty-one", "zero"), "not numbers"),
}


@pytest.mark.parametrize("case", list(BAD_POINTS))
@pytest.mark.parametrize("kind", ["missing", "incidents"])
def test_bad_coordinates_reject_only_their_row(env: Env, kind: str, case: str) -> None:
    (lat, lng), rule = BAD_POINTS[case]
    if kind == "missing":
        header, lat_col, lng_col = MISSING_HEADER, "Found latitude", "Found longitude"
        rows = [episode(episode_id="EP-C1"), episode(episode_id="EP-C2"), episode()]
        rows[1].update({lat_col: lat, lng_col: lng})
    else:
        header, lat_col, lng_col = INCIDENT_HEADER, "Latitude", "Longitude"
        rows = [incident(incident_id="INC-1"), incident(incident_id="INC-2"), incident()]
        rows[1].update({lat_col: lat, lng_col: lng})
        rows[2]["Incident ID"] = "INC-3"
        rows[0]["Incident ID"] = "INC-1"
    before = env.store.row_counts()
    report = env.ingest(to_csv(header, rows).encode(), kind=kind)
    assert report.status == "live"
    assert (report.read, report.accepted, report.rejected) == (3, 2, 1)
    column, found_rule = issue_rows(report)[3]
    assert rule in found_rule
    assert lat_col in column  # the file's own column is named
    after = env.store.row_counts()
    table = "missing_episodes" if kind == "missing" else "incidents"
    assert after[table] == before[table] + 2
    assert_redacted(report, lat, lng)


def test_points_in_the_buffer_are_kept_and_beyond_it_rejected(env: Env) -> None:
    assert not env.area.boundary.contains(shapely.Point(NEAR[1], NEAR[0]))
    rows = [
        incident(incident_id="INC-NEAR", latitude=f"{NEAR[0]:.6f}", longitude=f"{NEAR[1]:.6f}"),
        incident(incident_id="INC-FAR", latitude=f"{FAR[0]:.6f}", longitude=f"{FAR[1]:.6f}"),
    ]
    report = env.ingest(to_csv(INCIDENT_HEADER, rows).encode(), kind="incidents")
    assert (report.accepted, report.rejected) == (1, 1)
    assert issue_rows(report) == {3: ("Latitude/Longitude", OUTSIDE_AREA)}
    ids = env.store.query("SELECT incident_id FROM incidents")["incident_id"].tolist()
    assert ids == ["INC-NEAR"]


def test_missing_episode_without_a_location_is_kept_without_a_cell(env: Env) -> None:
    report = env.ingest(
        missing_csv([episode(episode_id="EP-NOLOC", found_latitude="", found_longitude="")])
    )
    assert report.accepted == 1
    assert pd.isna(stored_episodes(env).loc["EP-NOLOC", "cell"])


def test_a_row_level_failure_rejects_only_that_row(env: Env) -> None:
    rows = [episode(episode_id=f"EP-O{i}", child_id=f"CH-O{i}") for i in range(5)]
    rows[2]["Sex"] = "SEX-NOT-IN-LIST"
    report = env.ingest(missing_csv(rows))
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (5, 4, 1, 0)
    assert issue_rows(report) == {4: ("Sex", "value not in the allowed list")}
    assert report.reasons == {"value not in the allowed list": 1}
    assert set(stored_episodes(env).index) == {"EP-SEED", "EP-O0", "EP-O1", "EP-O3", "EP-O4"}
    assert_redacted(report, "SEX-NOT-IN-LIST", "EP-O2", "CH-O2")


# --- XLSX ----------------------------------------------------------------------------------


def xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_row(**fields: object) -> list[object]:
    base: dict[str, object] = dict(episode())
    base["Found latitude"], base["Found longitude"] = INSIDE
    base["School URN"] = 900101
    base["Date returned"] = None
    base["RHI completed"] = None
    names = {k.lower().replace(" ", "_"): k for k in base}
    for key, value in fields.items():
        base[names.get(key, key)] = value
    return [base[h] for h in MISSING_HEADER]


def test_xlsx_through_the_mapped_missing_adapter(env: Env) -> None:
    rows = [
        xlsx_row(episode_id="EP-X1", date_reported_missing=dt.datetime(2024, 2, 3, 21, 15)),
        xlsx_row(episode_id="EP-X2", date_reported_missing=45325, date_returned=45326.5),
        xlsx_row(episode_id="EP-X3", date_reported_missing="03/02/2024 21:15"),
        xlsx_row(episode_id="EP-X4", date_reported_missing="31/02/2024 21:15"),
        xlsx_row(episode_id="EP-X5", date_reported_missing=dt.date(2024, 2, 3)),
    ]
    report = env.ingest(xlsx(MISSING_HEADER, rows), name="episodes.xlsx")
    assert report.status == "live"
    assert (report.read, report.accepted, report.rejected) == (5, 4, 1)
    assert issue_rows(report) == {
        5: ("Date reported missing", "not a valid date in the expected format")
    }
    got = stored_episodes(env)
    assert got.loc["EP-X1", "reported_at"] == pd.Timestamp("2024-02-03 21:15")
    assert got.loc["EP-X2", "reported_at"] == pd.Timestamp("2024-02-03")
    assert got.loc["EP-X2", "returned_at"] == pd.Timestamp("2024-02-04 12:00")
    assert got.loc["EP-X3", "reported_at"] == pd.Timestamp("2024-02-03 21:15")
    assert got.loc["EP-X5", "reported_at"] == pd.Timestamp("2024-02-03")
    assert got.loc["EP-X1", "school_urn"] == "900101"
    assert not pd.isna(got.loc["EP-X1", "cell"])
    assert_redacted(report, "31/02/2024", "EP-X4")


def test_xlsx_with_a_personal_data_column_is_refused(env: Env) -> None:
    header = [*MISSING_HEADER, "Date of birth"]
    data = xlsx(header, [[*xlsx_row(), dt.datetime(2010, 5, 14)]])
    before = env.snapshot()
    report = env.ingest(data, name="episodes.xlsx")
    assert report.status == "refused"
    assert "Date of birth" in (report.error or "")
    assert_redacted(report, "2010-05-14", "14/05/2010")
    assert env.snapshot() == before


def test_corrupt_xlsx_is_refused(env: Env) -> None:
    data = xlsx(MISSING_HEADER, [xlsx_row()])[:200]
    assert_refused(env, data, "Excel workbook", name="episodes.xlsx")


# --- pseudonyms ----------------------------------------------------------------------------

CHILD_IDS = ["CHILD-ZQ7X-0001", "CHILD-ZQ7X-0002", "CHILD-ZQ7X-0003"]


def child_file(prefix: str, children: list[str]) -> bytes:
    return missing_csv(
        [episode(episode_id=f"{prefix}-{i}", child_id=c) for i, c in enumerate(children)]
    )


def all_store_text(store: Store) -> str:
    parts = []
    for table in (*DATA_TABLES, "batches", "audit_log", "meta"):
        frame = store.query(f"SELECT * FROM {table}")
        parts.append(frame.astype(str).to_csv())
    return "\n".join(parts)


def test_child_ids_never_reach_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    e = Env(tmp_path)
    e.store.close()
    e.store = Store(tmp_path / "file.duckdb")
    report = e.ingest(child_file("EP-P", CHILD_IDS))
    assert report.accepted == 3
    keys = e.store.query("SELECT child_key FROM missing_episodes")["child_key"]
    assert keys.str.fullmatch("[0-9a-f]{16}").all()
    text = all_store_text(e.store)
    for child in CHILD_IDS:
        assert child not in text
    assert_redacted(report, *CHILD_IDS)
    e.store.close()
    raw = (tmp_path / "file.duckdb").read_bytes()
    for child in CHILD_IDS:
        assert child.encode() not in raw


def test_same_child_same_key_across_files(env: Env) -> None:
    env.ingest(child_file("EP-A", CHILD_IDS[:2]))
    env.ingest(child_file("EP-B", [CHILD_IDS[1], CHILD_IDS[2], CHILD_IDS[0]]))
    got = stored_episodes(env)["child_key"]
    assert got["EP-A-0"] == got["EP-B-2"]  # CHILD ...0001 in both files
    assert got["EP-A-1"] == got["EP-B-0"]  # CHILD ...0002 in both files
    assert len({got["EP-A-0"], got["EP-A-1"], got["EP-B-1"]}) == 3  # different children


def test_different_keys_give_different_pseudonyms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = []
    for i, secret in enumerate(["k" * 32, "K" * 32, None]):
        if secret is None:
            monkeypatch.delenv(KEY_ENV, raising=False)  # the demo key
        else:
            monkeypatch.setenv(KEY_ENV, secret)
        e = Env(tmp_path / f"k{i}")
        e.ingest(child_file("EP", CHILD_IDS[:1]))
        keys.append(e.store.scalar("SELECT child_key FROM missing_episodes"))
        e.store.close()
    assert len(set(keys)) == 3


@pytest.mark.parametrize("demo", [True, False])
def test_a_short_pseudonym_key_refuses_missing_episodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: bool
) -> None:
    monkeypatch.setenv(KEY_ENV, "x" * 31)
    e = Env(tmp_path, demo=demo)
    before = e.snapshot()
    report = e.ingest(child_file("EP", CHILD_IDS))
    assert report.status == "refused"
    assert "32 bytes" in (report.error or "")
    assert e.snapshot() == before
    assert_redacted(report, *CHILD_IDS, "x" * 31)
    monkeypatch.setenv(KEY_ENV, "x" * 32)
    assert e.ingest(child_file("EP", CHILD_IDS)).accepted == 3


def test_no_pseudonym_key_outside_demo_mode_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    e = Env(tmp_path, demo=False)
    report = e.ingest(child_file("EP", CHILD_IDS))
    assert report.status == "refused"
    assert KEY_ENV in (report.error or "")
    assert e.store.row_counts()["missing_episodes"] == 0


def test_pseudonym_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    (tmp_path / "secret.key").write_bytes(b"s" * 40 + b"\n")
    e = Env(tmp_path, demo=False, extra='\n[pseudonyms]\nkey_file = "secret.key"\n')
    assert e.ingest(child_file("EP", CHILD_IDS)).accepted == 3


# --- home area -----------------------------------------------------------------------------


def cell_at(res: int) -> str:
    return str(hexes.cells_to_str(hexes.points_to_cells([INSIDE[0]], [INSIDE[1]], res))[0])


@pytest.mark.parametrize(
    ("home", "ok"),
    [
        (cell_at(7), True),
        (cell_at(6), True),
        ("E01002276", True),
        ("", True),
        (cell_at(8), False),
        (cell_at(9), False),
        (cell_at(11), False),
        ("87194e68affffff".replace("8", "9", 1), False),  # not a valid cell
        ("RM3", False),
        ("E01002276X", False),
    ],
)
def test_home_area_finer_than_res_7_is_rejected(env: Env, home: str, ok: bool) -> None:
    report = env.ingest(missing_csv([episode(episode_id="EP-H", home_area=home)]))
    assert report.status == ("live" if ok else "refused")  # a file with no usable row
    if ok:
        assert (report.accepted, report.rejected) == (1, 0)
        stored = stored_episodes(env).loc["EP-H", "home_area"]
        assert ("" if pd.isna(stored) else stored) == home
    else:
        assert (report.accepted, report.rejected) == (0, 1)
        column, rule = issue_rows(report)[2]
        assert column == "Home area" and "resolution 7 or coarser" in rule
        assert_redacted(report, home)


# --- nothing from a rejected row reaches reports, logs, the audit log or the CLI -----------

PLANTED_NAME = "Jessamy Quillfeather"
PLANTED_DOB = "14/03/2011"


def test_planted_name_and_date_of_birth_never_leave_the_validator(
    env: Env, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import logging
    import subprocess
    import sys

    caplog.set_level(logging.DEBUG)
    # 1. values in fields that fail their rules (a name where a date should be, a DOB-like
    #    date in the future-date slot of an impossible row) -> rows rejected
    rows = [
        episode(episode_id="EP-N1", date_reported_missing=PLANTED_NAME),
        episode(episode_id="EP-N2", date_returned="31/02/2011 " + PLANTED_NAME[:4]),
        episode(episode_id="EP-N3", sex=PLANTED_NAME),
        episode(episode_id="EP-N4", age_band=PLANTED_DOB),
        episode(episode_id="EP-OK", child_id="CH-OK"),
    ]
    report = env.ingest(missing_csv(rows), "rows.csv")
    assert report.status == "live" and report.rejected == 4 and report.accepted == 1
    # 2. a personal-data column -> the whole file refused
    header, row = missing_csv([episode(episode_id="EP-P1")]).decode().splitlines()
    pii_file = f"{header},Name,Date of birth\n{row},{PLANTED_NAME},{PLANTED_DOB}\n"
    refused = env.ingest(pii_file.encode(), "pii.csv")
    assert refused.status == "refused"
    assert "personal data" in (refused.error or "")
    texts = [
        report_text(report),
        report_text(refused),
        caplog.text,
        capsys.readouterr().out,
        env.store.audit_log(1000).to_json(),
        env.store.query("SELECT CAST(report AS VARCHAR) AS r FROM batches").to_json(),
    ]
    # 3. the command line, with --json, on the same bad rows
    bad = tmp_path / "bad.csv"
    bad.write_bytes(missing_csv(rows))
    toml = write_toml(tmp_path / "cli", demo=True)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "--config",
            str(toml),
            "ingest",
            "--kind",
            "missing",
            "--json",
            str(bad),
        ],
        capture_output=True,
        text=True,
        cwd=str(Path(__file__).resolve().parents[3]),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    texts += [out.stdout, out.stderr]
    for text in texts:
        assert PLANTED_NAME not in text and PLANTED_NAME[:4] + " " not in text
        assert PLANTED_DOB not in text


def test_row_findings_are_grouped_by_rule_with_row_ranges() -> None:
    from geo.ingest.report import group_row_issues

    rows = [*range(2, 676), *range(700, 703), 710]
    issues = pd.DataFrame(
        {
            "row": rows + [5, 9],
            "column": ["Latitude/Longitude"] * len(rows) + ["Month", "Month"],
            "rule": ["outside the study area"] * len(rows) + ["not a month", "not a month"],
        }
    )
    grouped = group_row_issues(issues.sample(frac=1.0, random_state=1))
    assert list(grouped.columns) == ["Rule", "Column", "Rows", "Row numbers"]
    assert grouped.to_dict("records") == [
        {"Rule": "outside the study area", "Column": "Latitude/Longitude", "Rows": 678,
         "Row numbers": "2–675, 700–702, 710"},
        {"Rule": "not a month", "Column": "Month", "Rows": 2, "Row numbers": "5, 9"},
    ]  # fmt: skip
    many = pd.DataFrame({"row": range(2, 60, 2), "column": "c", "rule": "r"})
    assert group_row_issues(many)["Row numbers"].iloc[0].endswith("and 17 more ranges")
    assert group_row_issues(many.iloc[:0]).empty
