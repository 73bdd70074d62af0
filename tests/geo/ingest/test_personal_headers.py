"""Headers that name a person refuse the file; known formats accept only published columns.

DESIGN §4: known formats (police.uk street, stop and search, GIAS/EduBase, the school
directory) accept only their published columns plus ``[ingest] ignore_columns``; a
mapped feed refuses any header that names a person in any role or a personal detail,
unless it is a place's or an organisation's name ("LSOA name") or configured in
``[ingest] allowed_headers``. One function decides (:func:`geo.ingest.personal_data.header_rule`);
every refusal names the column's position, header and rule — never a cell value —
and leaves the store unchanged.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from geo.core.config import load_config
from geo.core.errors import ConfigError, FileRefusedError
from geo.ingest.personal_data import (
    RULE_DETAIL,
    RULE_NAME,
    RULE_ROLE,
    RULE_SUBJECT,
    header_rule,
    header_words,
    personal_data_columns,
    refuse_personal_data_columns,
)
from geo.ingest.sources import police_uk, schools
from tests.geo.ingest.test_validation import (
    INSIDE,
    KEY_ENV,
    MISSING_HEADER,
    Env,
    assert_redacted,
    episode,
    missing_csv,
    to_csv,
    write_toml,
)

#: Realistic headers that must refuse a mapped feed (partner extracts, case systems).
MUST_REFUSE: tuple[str, ...] = (
    "Suspect name",
    "Victim",
    "Offender",
    "Witness",
    "Persons involved",
    "Child's name",
    "YP Name",
    "Young person",
    "Forename",
    "SURNAME",
    "Mother's name",
    "Social worker",
    "D.O.B",
    "Home address",
    "Contact number",
    "Name",
    "First name",
    "Last Name",
    "Full name",
    "Given names",
    "Middle name",
    "Preferred name",
    "Known as",
    "Alias",
    "Child surname",
    "Pupil name",
    "childName",
    "YPName",
    "Date of birth",
    "DateOfBirth",
    "DOB",
    "DoB",
    "Place of birth",
    "Address line 1",
    "Postcode",
    "Post code",
    "Telephone",
    "Mobile",
    "Phone no.",
    "E-mail",
    "Email address",
    "NHS number",
    "NHS No.",
    "UPN",
    "Unique Pupil Number",
    "NI number",
    "National Insurance number",
    "Parent/carer",
    "Parent name",
    "Guardian",
    "Father",
    "Sibling",
    "Next of kin",
    "Victim age band",
    "Perpetrator",
    "Suspect details",
    "Witness statement",
    "Allocated social worker",
    "Keyworker",
    "Caller",
    "Child",
    "Pupil",
    "Associates",
    "Officer in charge name",
    "Street",
    "House number",
    "Passport number",
    "Vehicle registration",
    "Initials",
    "Girlfriend",
    "Head teacher's name",
    "Reported by",
    "Completed by",
    "Allocated to",
)

#: Headers that must pass: published police.uk columns, the mapped templates' own
#: headers, place and organisation names, ONS area tables.
MUST_PASS: tuple[str, ...] = (
    # police.uk's "Reported by" (a force) is published; in a mapped feed it names a person
    *(c for c in police_uk.STREET_COLUMNS if c != "Reported by"),
    *police_uk.STOP_SEARCH_FILE_COLUMNS,
    *MISSING_HEADER,
    "LSOA name",
    "School name",
    "Establishment name",
    "EstablishmentName",
    "Team name",
    "Site name",
    "Ward name",
    "Area name",
    "Youth hub site name",
    "LA (name)",
    "TypeOfEstablishment (name)",
    "LSOA name (2011)",
    "lsoa11_name",
    "Local Authority District name (2019)",
    "Keyworker team",
    "Contacts",
    "Session ID",
    "Area WKT",
    "Notes",
    "total_residents",
    "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
    "Children and Young People Sub-domain Score",
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    e = Env(tmp_path / "cfg")
    seed = e.ingest(missing_csv([episode(episode_id="EP-SEED", child_id="CH-SEED")]), "seed.csv")
    assert seed.status == "live"
    yield e
    e.store.close()


def env_with(tmp_path: Path, extra: str) -> Env:
    return Env(tmp_path / "cfg2", extra=extra)


def assert_refused_unchanged(env: Env, data: bytes, kind: str, *values: str) -> str:
    before = env.snapshot()
    report = env.ingest(data, "partner.csv", kind=kind)
    assert report.status == "refused", report.summary()
    assert report.batch_id is None and report.accepted == 0
    assert env.snapshot() == before
    assert_redacted(report, *values)
    return report.error or ""


# --- the vocabulary ------------------------------------------------------------------------


def test_the_vocabularies_are_large_enough() -> None:
    assert len(set(MUST_REFUSE)) >= 40
    assert len(set(MUST_PASS)) >= 15
    assert not set(MUST_REFUSE) & set(MUST_PASS)


@pytest.mark.parametrize("header", MUST_REFUSE)
def test_header_naming_a_person_is_refused(header: str) -> None:
    assert header_rule(header) in (RULE_NAME, RULE_ROLE, RULE_DETAIL, RULE_SUBJECT)


@pytest.mark.parametrize("header", MUST_PASS)
def test_header_not_naming_a_person_passes(header: str) -> None:
    assert header_rule(header) is None


@pytest.mark.parametrize(
    ("header", "rule"),
    [
        ("Suspect name", RULE_ROLE),
        ("Forename", RULE_NAME),
        ("SURNAME", RULE_NAME),
        ("Home address", RULE_DETAIL),
        ("D.O.B", RULE_DETAIL),
        ("Pupil", RULE_SUBJECT),
    ],
)
def test_the_rule_is_named(header: str, rule: str) -> None:
    assert header_rule(header) == rule


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Child's name", ["childs", "name"]),
        ("D.O.B", ["dob"]),
        ("HeadFirstName", ["head", "first", "name"]),
        ("YPName", ["yp", "name"]),
        ("lsoa11_name", ["lsoa", "name"]),
        ("N.I. number", ["ni", "number"]),
    ],
)
def test_header_words(header: str, words: list[str]) -> None:
    assert header_words(header) == words


def test_configured_allowed_headers_pass_and_extend_place_names() -> None:
    assert header_rule("Patch name") == RULE_NAME
    assert header_rule("Patch name", allowed=["Patch name"]) is None
    assert header_rule("PATCH_NAME", allowed=["Patch name"]) is None
    assert header_rule("Youth patch name", allowed=["Patch name"]) is None
    # an allowed place name never excuses a person elsewhere in the header
    assert header_rule("Victim school name") == RULE_ROLE


def test_findings_name_position_header_and_rule() -> None:
    found = personal_data_columns(["Episode ID", "Victim", "Team name", "YP Name"])
    assert [(f.position, f.column) for f in found] == [(2, "Victim"), (4, "YP Name")]
    with pytest.raises(FileRefusedError) as caught:
        refuse_personal_data_columns(["Episode ID", "Victim", "Team name", "YP Name"])
    message = str(caught.value)
    assert 'column 2 "Victim" (names a person in a role)' in message
    assert 'column 4 "YP Name"' in message
    assert "Team name" not in message


def test_a_long_header_is_shortened_in_messages() -> None:
    header = "Victim " + "x" * 500
    with pytest.raises(FileRefusedError) as caught:
        refuse_personal_data_columns([header])
    assert "x" * 100 not in str(caught.value)


# --- mapped feeds end to end -----------------------------------------------------------------


@pytest.mark.parametrize("header", MUST_REFUSE)
def test_mapped_feed_with_a_person_header_is_refused(env: Env, header: str) -> None:
    value = "PLANTED-VALUE-7Q"
    data = missing_csv([episode(episode_id="EP-P1", **{header: value})], extra=(header,))
    error = assert_refused_unchanged(env, data, "missing", value)
    position = len(MISSING_HEADER) + 1
    assert f"column {position} " in error and "personal data" in error


@pytest.mark.parametrize("header", [h for h in MUST_PASS if h not in MISSING_HEADER])
def test_mapped_feed_with_an_innocuous_extra_column_is_accepted(env: Env, header: str) -> None:
    data = missing_csv([episode(episode_id="EP-OK1", **{header: "x"})], extra=(header,))
    report = env.ingest(data)
    assert report.status == "live", report.error
    assert any("ignored" in w for w in report.warnings)


def test_missing_episodes_with_yp_name_is_refused_and_the_store_unchanged(env: Env) -> None:
    rows = [
        episode(episode_id="EP-Y1", **{"YP Name": "Jordan Example"}),
        episode(episode_id="EP-Y2", **{"YP Name": "Sam Sample"}),
    ]
    data = missing_csv(rows, extra=("YP Name",))
    error = assert_refused_unchanged(env, data, "missing", "Jordan Example", "Sam Sample")
    assert f'column {len(MISSING_HEADER) + 1} "YP Name"' in error
    assert env.store.scalar("SELECT count(*) FROM missing_episodes") == 1  # the seed only


def test_a_mapped_column_naming_a_person_is_refused_even_when_the_profile_maps_it(
    env: Env, tmp_path: Path
) -> None:
    profile = (
        Path(__file__).resolve().parents[3] / "data/templates/missing_episodes.toml"
    ).read_text(encoding="utf-8")
    path = tmp_path / "yp.toml"
    path.write_text(profile.replace('child_id = "Child ID"', 'child_id = "Young person"'))
    header = [("Young person" if h == "Child ID" else h) for h in MISSING_HEADER]
    data = to_csv(header, [episode(**{"Young person": "YP-77"})]).encode()
    from geo.ingest.pipeline import ingest_bytes

    before = env.snapshot()
    report = ingest_bytes(env.store, env.config, env.area, "missing", data, "p.csv", profile=path)
    assert report.status == "refused" and "Young person" in (report.error or "")
    assert env.snapshot() == before


def test_allowed_headers_from_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    data = missing_csv(
        [episode(episode_id="EP-H1", **{"Patch name": "North"})], extra=("Patch name",)
    )
    plain = Env(tmp_path / "a")
    assert plain.ingest(data).status == "refused"
    allowed = env_with(tmp_path, '\n[ingest]\nallowed_headers = ["Patch name"]\n')
    assert allowed.ingest(data).status == "live"


def test_area_tables_refuse_person_headers(env: Env) -> None:
    data = b"LSOA code,Resident name,value\nE01000001,PLANTED-VALUE-7Q,3\n"
    error = assert_refused_unchanged(env, data, "area_stats", "PLANTED-VALUE-7Q")
    assert 'column 2 "Resident name"' in error


# --- known formats end to end ----------------------------------------------------------------


def street_csv(extra: dict[str, str] | None = None) -> bytes:
    extra = extra or {}
    header = [*police_uk.STREET_COLUMNS, *extra]
    row = {
        "Crime ID": "abc123",
        "Month": "2024-03",
        "Reported by": "Metropolitan Police Service",
        "Falls within": "Metropolitan Police Service",
        "Longitude": str(INSIDE[1]),
        "Latitude": str(INSIDE[0]),
        "Location": "On or near High Street",
        "LSOA code": "E01000001",
        "LSOA name": "Somewhere 001A",
        "Crime type": "Robbery",
        "Last outcome category": "Under investigation",
        "Context": "",
        **extra,
    }
    return to_csv(header, [row]).encode()


def stop_search_csv(extra: dict[str, str] | None = None) -> bytes:
    extra = extra or {}
    header = [*police_uk.STOP_SEARCH_FILE_COLUMNS, *extra]
    row = dict.fromkeys(police_uk.STOP_SEARCH_FILE_COLUMNS, "")
    row.update(
        {
            "Type": "Person search",
            "Date": "2024-03-02T21:15:00+00:00",
            "Latitude": str(INSIDE[0]),
            "Longitude": str(INSIDE[1]),
            "Gender": "Male",
            "Age range": "18-24",
            **extra,
        }
    )
    return to_csv(header, [row]).encode()


def gias_csv(extra: dict[str, str] | None = None) -> bytes:
    extra = extra or {}
    header = [*schools.PUBLISHED["gias"], *extra]
    row = dict.fromkeys(schools.PUBLISHED["gias"], "")
    row.update(
        {
            "URN": "900001",
            "EstablishmentName": "Example Primary School",
            "TypeOfEstablishment (name)": "Community school",
            "PhaseOfEducation (name)": "Primary",
            "EstablishmentStatus (name)": "Open",
            "LA (code)": "316",
            "Easting": "539000",
            "Northing": "184000",
            "HeadFirstName": "Published",
            "HeadLastName": "Headteacher",
            **extra,
        }
    )
    return to_csv(header, [row]).encode()


@pytest.mark.parametrize(
    "column", ["Suspect name", "Victim", "Offender", "Witness", "Persons involved"]
)
def test_police_street_file_with_a_person_column_is_refused(env: Env, column: str) -> None:
    data = street_csv({column: "PLANTED-VALUE-7Q"})
    error = assert_refused_unchanged(env, data, "police_street", "PLANTED-VALUE-7Q")
    assert f'column 13 "{column}"' in error and "personal data" in error
    assert env.store.scalar("SELECT count(*) FROM incidents") == 0


def test_police_street_file_with_suspect_name_is_refused_even_if_ignore_listed(
    tmp_path: Path,
) -> None:
    e = env_with(tmp_path, '\n[ingest]\nignore_columns = ["Suspect name"]\n')
    before = e.snapshot()
    report = e.ingest(street_csv({"Suspect name": "Jo Bloggs"}), kind="police_street")
    assert report.status == "refused" and "Suspect name" in (report.error or "")
    assert_redacted(report, "Jo Bloggs")
    assert e.snapshot() == before


@pytest.mark.parametrize(
    ("kind", "build", "position"),
    [
        ("police_street", street_csv, 13),
        ("stop_search", stop_search_csv, 16),
        ("schools", gias_csv, 141),
    ],
)
def test_known_format_with_an_unpublished_column_is_refused(
    env: Env, kind: str, build, position: int
) -> None:
    data = build({"Force reference": "PLANTED-VALUE-7Q"})
    error = assert_refused_unchanged(env, data, kind, "PLANTED-VALUE-7Q")
    assert f'column {position} "Force reference"' in error
    assert "not a published" in error and "ignore_columns" in error


@pytest.mark.parametrize(
    ("kind", "build", "table"),
    [
        ("police_street", street_csv, "incidents"),
        ("stop_search", stop_search_csv, "stop_search"),
        ("schools", gias_csv, "schools"),
    ],
)
def test_known_format_accepts_an_ignore_listed_column_and_never_stores_it(
    tmp_path: Path, kind: str, build, table: str
) -> None:
    e = env_with(tmp_path, '\n[ingest]\nignore_columns = ["force REFERENCE"]\n')
    report = e.ingest(build({"Force reference": "PLANTED-VALUE-7Q"}), kind=kind)
    assert report.status == "live", report.error
    assert report.accepted == 1
    assert any("Force reference" in w for w in report.warnings)
    stored = e.store.query(f"SELECT * FROM {table}").astype(str).to_numpy()
    assert "PLANTED-VALUE-7Q" not in stored


@pytest.mark.parametrize(
    ("kind", "build"),
    [("police_street", street_csv), ("stop_search", stop_search_csv), ("schools", gias_csv)],
)
def test_known_format_with_every_published_column_is_accepted(env: Env, kind: str, build) -> None:
    """All 140 GIAS columns (head teacher's names included: published, never stored)."""
    report = env.ingest(build(), kind=kind)
    assert report.status == "live", report.error
    assert report.accepted == 1


def test_gias_file_with_a_pupil_name_column_is_refused(env: Env) -> None:
    error = assert_refused_unchanged(
        env, gias_csv({"Pupil name": "Jo Bloggs"}), "schools", "Jo Bloggs"
    )
    assert 'column 141 "Pupil name"' in error


def test_xlsx_police_file_with_a_person_column_is_refused(env: Env) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([*police_uk.STREET_COLUMNS, "Victim"])
    sheet.append(["abc", "2024-03", "", "", INSIDE[1], INSIDE[0], "", "", "", "Robbery", "", "",
                  "Jo Bloggs"])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    before = env.snapshot()
    report = env.ingest(out.getvalue(), "street.xlsx", kind="police_street")
    assert report.status == "refused" and 'column 13 "Victim"' in (report.error or "")
    assert_redacted(report, "Jo Bloggs")
    assert env.snapshot() == before


# --- configuration ---------------------------------------------------------------------------


def test_ingest_config_defaults(tmp_path: Path) -> None:
    config = load_config(write_toml(tmp_path / "d"))
    assert config.ingest.ignore_columns == ()
    assert config.ingest.allowed_headers == ()
    assert config.ingest.max_cell_chars == 2000
    assert config.ingest.max_rows == 2_000_000
    assert config.ingest.max_columns == 200
    assert config.ingest.max_uncompressed_bytes == 200_000_000


@pytest.mark.parametrize(
    "section",
    [
        'ignore_columns = "Notes"',
        "ignore_columns = [1]",
        'allowed_headers = [""]',
        "max_rows = 0",
        "max_cell_chars = -5",
        'max_columns = "many"',
    ],
)
def test_bad_ingest_config_is_refused(tmp_path: Path, section: str) -> None:
    with pytest.raises(ConfigError):
        load_config(write_toml(tmp_path / "bad", extra=f"\n[ingest]\n{section}\n"))
