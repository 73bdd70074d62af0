"""The school-level exclusions and managed-moves feed (mapped CSV of counts by group)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.geo.ingest.test_validation import Env, assert_redacted, issue_rows, template_header

HEADER = template_header("school_outcomes.csv")


def outcome(**fields: str) -> dict[str, str]:
    row = {
        "URN": "900101",
        "Period": "2023/24 spring",
        "Period start": "04/01/2024",
        "Measure": "fixed-term exclusion",
        "Ethnic group": "black",
        "Sex": "male",
        "Count": "7",
    }
    row.update(fields)
    return row


def to_bytes(rows: list[dict[str, str]]) -> bytes:
    lines = [",".join(HEADER)] + [",".join(r[c] for c in HEADER) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def stored(env: Env) -> pd.DataFrame:
    return env.store.query("SELECT * FROM school_outcomes ORDER BY urn, measure, ethnicity")


def test_the_shipped_template_ingests(env: Env, repo_root: Path) -> None:
    data = (repo_root / "data" / "templates" / "school_outcomes.csv").read_bytes()
    report = env.ingest(data, "school_outcomes.csv", kind="school_outcomes")
    assert report.status == "live", report.summary()
    assert (report.read, report.accepted, report.rejected) == (4, 4, 0)
    rows = stored(env)
    assert set(rows["measure"]) == {"fixed_term_exclusion", "managed_move"}
    # a suspension is a fixed-term exclusion; a blank group is kept as not recorded
    blank = rows[rows["urn"] == "900102"].iloc[0]
    assert (blank["measure"], blank["ethnicity"], blank["count"]) == (
        "fixed_term_exclusion",
        "not_recorded",
        3,
    )
    assert rows["period_start"].min() == pd.Timestamp("2024-01-04")


def test_bad_rows_are_rejected_with_row_column_and_rule(env: Env) -> None:
    rows = [
        outcome(),
        outcome(Count="-2", **{"Ethnic group": "white"}),
        outcome(Count="2.5", **{"Ethnic group": "asian"}),
        outcome(Measure="detention", **{"Ethnic group": "mixed"}),
        outcome(URN="SCH-9", **{"Ethnic group": "other"}),
        outcome(**{"Ethnic group": "martian"}),
        outcome(**{"Period start": "31/02/2024", "Ethnic group": "white"}),
    ]
    report = env.ingest(to_bytes(rows), kind="school_outcomes")
    assert report.accepted == 1 and report.rejected == 6
    found = issue_rows(report)
    assert found[3] == ("Count", "count must be a whole number of 0 or more")
    assert found[4] == ("Count", "count must be a whole number of 0 or more")
    assert found[5] == ("Measure", "measure not in the allowed list")
    assert found[6] == ("URN", "not a URN")
    assert found[7] == ("Ethnic group", "value not in the allowed list")
    assert found[8][0] == "Period start"
    assert_redacted(report, "detention", "martian", "SCH-9")


def test_an_overlapping_extract_is_not_counted_twice(env: Env) -> None:
    first = env.ingest(to_bytes([outcome(), outcome(Sex="female")]), kind="school_outcomes")
    again = env.ingest(
        to_bytes([outcome(), outcome(Sex="female"), outcome(Measure="managed move")]),
        name="later.csv",
        kind="school_outcomes",
    )
    assert first.accepted == 2
    assert (again.accepted, again.duplicates) == (1, 2)
    assert int(stored(env)["count"].sum()) == 7 + 7 + 7


def test_a_personal_data_column_refuses_the_feed(env: Env) -> None:
    header = [*HEADER, "Pupil name"]
    data = (",".join(header) + "\n" + ",".join([*outcome().values(), "Jo Bloggs"]) + "\n").encode()
    report = env.ingest(data, kind="school_outcomes")
    assert report.status == "refused"
    assert stored(env).empty
    assert_redacted(report, "Jo Bloggs")
