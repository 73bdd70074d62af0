"""Bounded readers and linear-time validation (DESIGN §4, issue 13 items 7 and 8).

A partner file cannot make the server work without limit: CSV and XLSX reading stops
at the configured size, row and column limits (an XLSX's zip is checked before it is
unpacked), a cell longer than the cap rejects its row before any value check runs,
and every value pattern runs in linear time. Limits are lowered through ``[ingest]``
so the files stay small; every refusal leaves the store unchanged and quotes no value.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.core.errors import FileRefusedError
from geo.ingest.personal_data import personal_data_values
from geo.ingest.readers import (
    ReadLimits,
    RowIssues,
    check_xlsx_archive,
    read_csv_strings,
    read_excel_strings,
)
from tests.geo.ingest.test_personal_headers import street_csv
from tests.geo.ingest.test_validation import (
    KEY_ENV,
    MISSING_HEADER,
    Env,
    assert_redacted,
    episode,
    issue_rows,
    missing_csv,
    xlsx,
    xlsx_row,
)

NOTES = len(MISSING_HEADER) + 1  # position of an extra "Notes" column


@pytest.fixture
def make_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    made: list[Env] = []

    def make(ingest: str = "") -> Env:
        e = Env(tmp_path / f"cfg{len(made)}", extra=f"\n[ingest]\n{ingest}\n" if ingest else "")
        seed = e.ingest(missing_csv([episode(episode_id="EP-SEED")]), "seed.csv")
        assert seed.status == "live"
        made.append(e)
        return e

    yield make
    for e in made:
        e.store.close()


def refused(env: Env, data: bytes, name: str, rule: str, *values: str, kind: str = "missing"):
    before = env.snapshot()
    report = env.ingest(data, name, kind=kind)
    assert report.status == "refused", report.summary()
    assert rule in (report.error or ""), report.error
    assert env.snapshot() == before
    assert_redacted(report, *values)
    return report


# --- linear-time value checks ----------------------------------------------------------------

#: Inputs that made the old e-mail pattern quadratic (each about 1 MB).
QUADRATIC = {
    "a@ repeated": "a@" * 500_000,
    "a... then @": "a" * 10**6 + "@",
    "dotted words": "a." * 500_000,
    "@ then dotted domain": "x@" + "a." * 500_000,
    "hyphenated words": "a-" * 500_000,
}


@pytest.mark.parametrize("text", list(QUADRATIC.values()), ids=list(QUADRATIC))
def test_value_patterns_are_linear_on_a_1mb_cell(text: str) -> None:
    """The old pattern needs hours here (21 s at 120 kB, growing with the square); the
    linear one a fraction of a second. 5 s leaves room for a loaded machine."""
    frame = pd.DataFrame({"Notes": [text, "nothing here"]})
    t0 = time.perf_counter()
    hits = personal_data_values(frame, ["Notes"])
    assert time.perf_counter() - t0 < 5
    assert hits == []


@pytest.mark.parametrize(
    "text",
    ["jane.smithson@example.org", "write to jane@example.co.uk.", "a@b@jo@example.org"],
)
def test_the_linear_email_pattern_still_finds_addresses(text: str) -> None:
    frame = pd.DataFrame({"Notes": ["", text]})
    assert personal_data_values(frame, ["Notes"]) == [("Notes", "e-mail address")]


@pytest.mark.parametrize("text", ["a@b", "nobody @ home", "x@localhost", "@example.org"])
def test_the_linear_email_pattern_ignores_non_addresses(text: str) -> None:
    frame = pd.DataFrame({"Notes": [text]})
    assert personal_data_values(frame, ["Notes"]) == []


# --- the cell length cap ---------------------------------------------------------------------


def test_a_1mb_cell_rejects_its_row_quickly_and_the_rest_is_kept(make_env) -> None:
    env = make_env()
    big = "PLANTED" + "a." * 500_000
    rows = [
        episode(episode_id="EP-L1", Notes="short"),
        episode(episode_id="EP-L2", Notes=big),
        episode(episode_id="EP-L3", Notes="short"),
    ]
    t0 = time.perf_counter()
    report = env.ingest(missing_csv(rows, extra=("Notes",)))
    elapsed = time.perf_counter() - t0
    assert report.status == "live", report.error
    assert (report.read, report.accepted, report.rejected) == (3, 2, 1)
    assert issue_rows(report) == {3: ("Notes", "longer than 2,000 characters")}
    assert_redacted(report, "PLANTED", "a.a.a.")
    assert elapsed < 5


def test_the_cap_is_configurable(make_env) -> None:
    env = make_env("max_cell_chars = 100")
    rows = [
        episode(episode_id="EP-C1", Notes="x" * 100),
        episode(episode_id="EP-C2", Notes="x" * 101),
    ]
    report = env.ingest(missing_csv(rows, extra=("Notes",)))
    assert report.status == "live"
    assert issue_rows(report) == {3: ("Notes", "longer than 100 characters")}


def test_a_long_mapped_value_is_rejected_before_value_checks(make_env) -> None:
    """An over-long cell in a mapped column never reaches the personal-data scan: the row
    is rejected for its length, not the file refused for the address inside it."""
    env = make_env()
    rows = [
        episode(episode_id="EP-M1"),
        episode(episode_id="EP-M2", risk_level="x" * 3000 + " jo@example.org"),
    ]
    report = env.ingest(missing_csv(rows))
    assert report.status == "live", report.error
    assert issue_rows(report) == {3: ("Risk level", "longer than 2,000 characters")}
    assert_redacted(report, "jo@example.org")


def test_police_cells_have_a_shorter_cap(make_env) -> None:
    env = make_env()
    report = env.ingest(
        street_csv({}).replace(b"On or near High Street", b"L" * 501), kind="police_street"
    )
    assert report.status == "refused"  # nothing usable: never an empty live batch
    assert (report.accepted, report.rejected) == (0, 1)
    assert issue_rows(report) == {2: ("Location", "longer than 500 characters")}


def test_a_header_longer_than_the_cap_refuses_the_file(make_env) -> None:
    env = make_env()
    header = "N" * 2001
    data = missing_csv([episode(**{header: "v"})], extra=(header,))
    report = refused(env, data, "p.csv", f"column {NOTES} is longer than 2,000 characters")
    assert "N" * 100 not in (report.error or "")


def test_a_long_area_polygon_is_within_its_own_cap() -> None:
    limits = ReadLimits(max_cell_chars=100, long_columns=(("Area WKT", 10_000),))
    data = ("Session ID,Area WKT\nS1," + "1" * 5000 + "\nS2," + "1" * 10_001 + "\n").encode()
    issues = RowIssues()
    frame, rows = read_csv_strings(data, issues, limits)
    assert list(rows) == [2]
    assert list(issues.frame()["rule"]) == ["longer than 10,000 characters"]


# --- bounded CSV reading ---------------------------------------------------------------------


def test_csv_beyond_the_row_limit_is_refused(make_env) -> None:
    env = make_env("max_rows = 3")
    three = [episode(episode_id=f"EP-R{i}") for i in range(3)]
    assert env.ingest(missing_csv(three)).status == "live"
    four = [episode(episode_id=f"EP-S{i}") for i in range(4)]
    refused(env, missing_csv(four), "p.csv", "more than 3 data rows", "EP-S0")


def test_csv_beyond_the_column_limit_is_refused(make_env) -> None:
    env = make_env(f"max_columns = {len(MISSING_HEADER)}")
    data = missing_csv([episode(Notes="x")], extra=("Notes",))
    refused(env, data, "p.csv", f"at most {len(MISSING_HEADER)} are accepted")


def test_csv_beyond_the_size_limit_is_refused(make_env) -> None:
    env = make_env("max_uncompressed_mb = 1")
    rows = [episode(episode_id=f"EP-B{i}", Notes="n" * 1500) for i in range(700)]
    data = missing_csv(rows, extra=("Notes",))
    assert len(data) > 1_000_000
    refused(env, data, "p.csv", "more than 1,000,000 bytes", "EP-B1")


# --- bounded XLSX reading ---------------------------------------------------------------------


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_zip_bomb_is_refused_before_it_is_unpacked(make_env) -> None:
    """A small workbook whose members declare more than the limit (repetitive text
    compresses about 1000:1) is refused from the zip's directory alone."""
    env = make_env("max_uncompressed_mb = 1")
    rows = [[*xlsx_row(episode_id=f"EP-Z{i}"), f"{i:03d}" + "z" * 30_000] for i in range(60)]
    data = xlsx([*MISSING_HEADER, "Notes"], rows)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        declared = sum(m.file_size for m in z.infolist())
    assert len(data) < 200_000 < 1_000_000 < declared
    refused(env, data, "bomb.xlsx", "would expand to more than 1,000,000 bytes")


def test_xlsx_with_too_many_zip_members_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in range(20):
            z.writestr(f"part{i}.xml", "<x/>")
    with pytest.raises(FileRefusedError, match="more than 10 parts"):
        check_xlsx_archive(out.getvalue(), ReadLimits(max_zip_members=10))


def test_xlsx_beyond_the_row_limit_is_refused(make_env) -> None:
    env = make_env("max_rows = 5")
    five = xlsx(MISSING_HEADER, [xlsx_row(episode_id=f"EP-X{i}") for i in range(5)])
    assert env.ingest(five, "ok.xlsx").status == "live"
    six = xlsx(MISSING_HEADER, [xlsx_row(episode_id=f"EP-Y{i}") for i in range(6)])
    refused(env, six, "six.xlsx", "more than 5 data rows", "EP-Y0")


def test_xlsx_row_far_down_the_sheet_is_refused_without_reading_every_row() -> None:
    """One cell at row 1,000,000 (openpyxl would pad every row in between): refused at
    the limit, quickly."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Episode ID", "Child ID"])
    sheet.append(["EP-1", "CH-1"])
    sheet.cell(row=1_000_000, column=1, value="EP-FAR")
    out = io.BytesIO()
    book.save(out)
    t0 = time.perf_counter()
    with pytest.raises(FileRefusedError, match="more than 1,000 data rows"):
        read_excel_strings(out.getvalue(), RowIssues(), ReadLimits(max_rows=1000))
    assert time.perf_counter() - t0 < 5


def test_xlsx_beyond_the_column_limit_is_refused(make_env) -> None:
    env = make_env(f"max_columns = {len(MISSING_HEADER)}")
    data = xlsx([*MISSING_HEADER, "Notes"], [[*xlsx_row(), "x"]])
    refused(env, data, "wide.xlsx", f"at most {len(MISSING_HEADER)} are accepted")


def test_xlsx_header_far_to_the_right_is_seen() -> None:
    """A header cell at column 300 cannot hide: it counts against the column limit."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Episode ID", "Child ID"])
    sheet.cell(row=1, column=300, value="Victim")
    sheet.append(["EP-1", "CH-1"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(FileRefusedError, match="300 columns"):
        read_excel_strings(out.getvalue(), RowIssues(), ReadLimits(max_columns=200))


def test_xlsx_declared_dimensions_are_not_trusted() -> None:
    """A sheet claiming A1:B2 still yields all its rows (nothing is silently cut)."""
    data = workbook([["Episode ID", "Child ID"], *[[f"EP-{i}", f"CH-{i}"] for i in range(5)]])
    src = io.BytesIO(data)
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                start = text.index('<dimension ref="')
                end = text.index('"', start + len('<dimension ref="'))
                body = (text[: start + len('<dimension ref="')] + "A1:B2" + text[end:]).encode()
            zout.writestr(item, body)
    frame, rows = read_excel_strings(out.getvalue(), RowIssues())
    assert list(frame["Episode ID"]) == [f"EP-{i}" for i in range(5)]
    assert list(rows) == [2, 3, 4, 5, 6]


def test_xlsx_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers() -> None:
    data = workbook([["Episode ID", "Child ID"], ["EP-1", "CH-1"], [None, None], ["EP-3", "CH-3"]])
    frame, rows = read_excel_strings(data, RowIssues())
    assert list(frame["Episode ID"]) == ["EP-1", "EP-3"]
    assert list(rows) == [2, 4]


def test_xlsx_long_cell_rejects_its_row(make_env) -> None:
    env = make_env()
    rows = [
        [*xlsx_row(episode_id="EP-XL1"), "short"],
        [*xlsx_row(episode_id="EP-XL2"), "PLANTED" + "q" * 5000],
    ]
    report = env.ingest(xlsx([*MISSING_HEADER, "Notes"], rows), "long.xlsx")
    assert report.status == "live", report.error
    assert issue_rows(report) == {3: ("Notes", "longer than 2,000 characters")}
    assert_redacted(report, "PLANTED")


def test_xlsx_header_is_the_first_non_blank_row() -> None:
    data = workbook([[None, None], [None, None], ["Episode ID", "Child ID"], ["EP-1", "CH-1"]])
    frame, rows = read_excel_strings(data, RowIssues())
    assert list(frame.columns) == ["Episode ID", "Child ID"]
    assert list(rows) == [4]


def test_xlsx_without_a_header_near_the_top_is_refused() -> None:
    book = openpyxl.Workbook()
    book.active.cell(row=5_000, column=1, value="Episode ID")
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(FileRefusedError, match="no header row within its first 1,000 rows"):
        read_excel_strings(out.getvalue(), RowIssues())
