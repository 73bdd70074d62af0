"""geo.store.database: one ingest is one transaction, de-duplication, rollback, audit,
data_version."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

import geo.store.batches as store_module
from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.core.errors import StoreError
from geo.ingest.pipeline import ALREADY_STORED, REPEATED_IN_FILE, ingest_bytes
from geo.ingest.report import IngestReport
from geo.store.database import Store

REPO = Path(__file__).resolve().parents[3]
TEMPLATES = REPO / "data" / "templates"
DEMO_BOUNDARY = REPO / "data" / "demo" / "boundary.geojson"
NOW = pd.Timestamp("2024-06-30 12:00")
INSIDE = (51.5401, 0.0263)


def header(name: str) -> list[str]:
    return next(csv.reader(io.StringIO((TEMPLATES / name).read_text(encoding="utf-8"))))


INCIDENT_HEADER = header("incidents.csv")
YOUTH_HEADER = header("youth_sessions.csv")


def incidents_csv(ids: list[str], bad: tuple[str, ...] = ()) -> bytes:
    """Incidents file: one row per id; ids in ``bad`` get an impossible date."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(INCIDENT_HEADER)
    for i in ids:
        when = "31/02/2024 16:05" if i in bad else "14/03/2024 16:05"
        w.writerow([i, when, "knife_crime", *INSIDE, "14-17", "male", "black", "knife", "street"])
    return out.getvalue().encode()


def youth_csv() -> bytes:
    """A point session and an area session (the area has child rows in youth_session_cells)."""
    return (
        ",".join(YOUTH_HEADER) + "\n"
        "YS-1,North team,07/06/2024 19:00,07/06/2024 22:00,51.5402,0.0281,,14,1\n"
        'YS-2,Parks team,08/06/2024 13:00,08/06/2024 17:00,,,"POLYGON ((0.020 51.530, '
        '0.026 51.530, 0.026 51.534, 0.020 51.534, 0.020 51.530))",9,0\n'
    ).encode()


class Env:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        toml = folder / "placesafe.toml"
        toml.write_text(
            f'[store]\npath = "store.duckdb"\n[study_area]\nboundary = "{DEMO_BOUNDARY}"\n'
            "[app]\ndemo = true\n",
            encoding="utf-8",
        )
        self.config = load_config(toml)
        self.area = load_study_area(self.config.study_area)
        self.store = Store(self.config.store_path)

    def ingest(self, data: bytes, kind: str = "incidents", **kw: object) -> IngestReport:
        return ingest_bytes(
            self.store, self.config, self.area, kind, data, f"{kind}.csv", now=NOW, **kw
        )

    def snapshot(self) -> tuple[dict[str, int], list[tuple[object, ...]]]:
        live = self.store.query(
            "SELECT batch_id, sha256, rows_accepted FROM batches WHERE status = 'live' "
            "ORDER BY batch_id"
        )
        return self.store.row_counts(), [tuple(r) for r in live.itertuples(index=False)]


@pytest.fixture
def env(tmp_path: Path):
    e = Env(tmp_path)
    yield e
    e.store.close()


def incidents_frame(source: str, ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": source,
            "incident_id": ids,
            "category": "asb",
            "occurred_at": pd.Timestamp("2024-01-01"),
            "time_precision": "month",
        }
    )


def write(store: Store, source: str, ids: list[str], sha: str) -> tuple[int, int, int]:
    return store.write_batch(
        kind="incidents",
        source=source,
        file_name=f"{sha}.csv",
        sha256=sha,
        rows_read=len(ids),
        rows_rejected=0,
        who="test",
        tables={"incidents": incidents_frame(source, ids)},
        report={},
    )


# --- one ingest is one transaction ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fail_on"),
    [
        ("incidents", "INSERT INTO batches"),
        ("incidents", "INSERT INTO incidents"),
        ("incidents", "UPDATE batches SET rows_accepted"),
        ("youth_sessions", "INSERT INTO youth_session_cells"),
        ("youth_sessions", "UPDATE batches SET rows_accepted"),
    ],
)
def test_a_failure_midway_through_write_batch_stores_nothing(
    env: Env, monkeypatch: pytest.MonkeyPatch, kind: str, fail_on: str
) -> None:
    seed = env.ingest(incidents_csv(["SEED-1", "SEED-2"]))
    assert seed.status == "live"
    data = youth_csv() if kind == "youth_sessions" else incidents_csv(["A-1", "A-2", "A-3"])
    before = env.snapshot()
    batches_before = len(env.store.batches())
    real_run = store_module._run
    seen: list[str] = []

    def failing_run(cur, sql, params=None):
        seen.append(sql.strip())
        if sql.strip().startswith(fail_on):
            raise RuntimeError("disk full (simulated)")
        return real_run(cur, sql, params)

    monkeypatch.setattr(store_module, "_run", failing_run)
    with pytest.raises(RuntimeError, match="simulated"):
        env.ingest(data, kind=kind)
    assert any(s.startswith(fail_on) for s in seen)
    monkeypatch.setattr(store_module, "_run", real_run)

    assert env.snapshot() == before  # no data row of the failed batch
    batches = env.store.batches()
    if fail_on == "INSERT INTO batches":
        assert len(batches) == batches_before  # failed before anything was recorded
    else:
        # the data transaction was rolled back and the batch is recorded as failed
        assert "ROLLBACK" in seen[seen.index(next(x for x in seen if x.startswith(fail_on))) :]
        assert len(batches) == batches_before + 1
        assert batches["status"].iloc[0] == "failed"
    assert (batches["status"] == "live").sum() == 1  # only the seed batch is live
    # the same bytes are not "already ingested": nothing of them was left behind
    again = env.ingest(data, kind=kind)
    assert again.status == "live"
    assert again.accepted == 3 if kind == "incidents" else 2
    if kind == "youth_sessions":
        assert env.store.row_counts()["youth_session_cells"] > 0


# --- de-duplication ------------------------------------------------------------------------


def test_deduplication_is_on_source_and_record_id(env: Env) -> None:
    store = env.store
    assert write(store, "feed_a", ["1", "2"], "s1")[1:] == (2, 0)
    assert write(store, "feed_a", ["2", "3"], "s2")[1:] == (1, 1)
    assert write(store, "feed_b", ["1", "2"], "s3")[1:] == (2, 0)  # another source: kept
    assert write(store, "feed_b", ["1", "2"], "s4")[1:] == (0, 2)
    rows = store.query("SELECT source, incident_id, batch_id FROM incidents ORDER BY ALL")
    assert len(rows) == 5
    assert not rows.duplicated(["source", "incident_id"]).any()
    # a duplicate keeps the first batch's row
    assert rows.set_index(["source", "incident_id"]).loc[("feed_a", "2"), "batch_id"] == 1


def test_ingest_reports_in_file_and_stored_duplicates_and_the_batch_balances(env: Env) -> None:
    first = env.ingest(incidents_csv(["I-1", "I-2"]))
    assert (first.accepted, first.duplicates) == (2, 0)
    report = env.ingest(incidents_csv(["I-2", "I-3", "I-3", "I-4", "I-5"], bad=("I-5",)))
    assert report.read == 5
    assert (report.accepted, report.rejected, report.duplicates) == (2, 1, 2)
    assert report.duplicate_reasons == {REPEATED_IN_FILE: 1, ALREADY_STORED: 1}
    batch = env.store.batch(report.batch_id)
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected, batch.rows_duplicate) == (
        5,
        2,
        1,
        2,
    )
    assert batch.rows_read == batch.rows_accepted + batch.rows_rejected + batch.rows_duplicate
    ids = env.store.query("SELECT incident_id FROM incidents ORDER BY 1")["incident_id"].tolist()
    assert ids == ["I-1", "I-2", "I-3", "I-4"]


def test_the_same_ids_from_another_feed_are_not_duplicates(env: Env, tmp_path: Path) -> None:
    profile = (TEMPLATES / "incidents.toml").read_text(encoding="utf-8")
    other = tmp_path / "other_feed.toml"
    other.write_text(profile.replace('source = "syv_extract"', 'source = "other_feed"'))
    data = incidents_csv(["X-1", "X-2"])
    assert env.ingest(data).accepted == 2
    # same ids, other source; the bytes differ so the file is not "already ingested"
    report = env.ingest(data + b"\n", profile=other)
    assert (report.accepted, report.duplicates) == (2, 0)
    assert env.store.query("SELECT DISTINCT source FROM incidents ORDER BY 1")[
        "source"
    ].tolist() == ["other_feed", "syv_extract"]


def test_identical_bytes_are_already_ingested(env: Env) -> None:
    data = incidents_csv(["B-1"])
    first = env.ingest(data)
    before = (env.snapshot(), len(env.store.batches()), env.store.data_version())
    again = env.ingest(data)
    assert again.status == "already_ingested" and again.batch_id == first.batch_id
    assert (env.snapshot(), len(env.store.batches()), env.store.data_version()) == before


# --- rollback ------------------------------------------------------------------------------


def test_rollback_removes_exactly_that_batch(env: Env) -> None:
    a = env.ingest(incidents_csv(["R-1", "R-2", "R-3"]))
    y = env.ingest(youth_csv(), kind="youth_sessions")
    b = env.ingest(incidents_csv(["R-4", "R-5"]))
    counts = env.store.row_counts()
    cells = counts["youth_session_cells"]
    assert cells > 0

    assert env.store.rollback(a.batch_id, who="admin-1") == 3
    after = env.store.row_counts()
    assert after["incidents"] == counts["incidents"] - 3
    ids = env.store.query("SELECT incident_id FROM incidents ORDER BY 1")["incident_id"].tolist()
    assert ids == ["R-4", "R-5"]
    assert env.store.batch(a.batch_id).status == "rolled_back"
    assert env.store.batch(b.batch_id).status == "live"

    # child rows go with their batch
    assert env.store.rollback(y.batch_id) == 2 + cells
    assert env.store.row_counts()["youth_session_cells"] == 0
    assert env.store.row_counts()["youth_sessions"] == 0

    with pytest.raises(StoreError, match="not live"):
        env.store.rollback(a.batch_id)
    with pytest.raises(StoreError, match="no batch"):
        env.store.rollback(9999)
    # the rolled-back file can be ingested again
    again = env.ingest(incidents_csv(["R-1", "R-2", "R-3"]))
    assert again.status == "live" and again.accepted == 3


def test_a_failed_batch_cannot_be_rolled_back(env: Env) -> None:
    refused = env.ingest(b"\x00\x01binary")
    assert refused.status == "refused"
    failed = env.store.query("SELECT batch_id, status FROM batches")
    assert failed["status"].tolist() == ["failed"]
    with pytest.raises(StoreError, match="failed"):
        env.store.rollback(int(failed["batch_id"].iloc[0]))


# --- audit log -----------------------------------------------------------------------------


def test_the_audit_log_is_append_only(env: Env) -> None:
    assert env.store.audit_log().empty
    report = env.ingest(incidents_csv(["L-1", "L-2"]), who="u-7f3a")
    log = env.store.audit_log()
    assert log["event"].tolist() == ["ingest"]
    assert log["who"].iloc[0] == "u-7f3a"
    detail = json.loads(log["detail"].iloc[0])
    assert detail["batch_id"] == report.batch_id and detail["accepted"] == 2
    first = log.copy()

    env.store.audit("u-1", "partnership", "view", page="overview", detail={"res": 8}, purpose="x")
    env.store.rollback(report.batch_id, who="u-admin")
    log = env.store.audit_log()
    assert log["event"].tolist() == ["rollback", "view", "ingest"]  # newest first
    assert log["event_id"].is_monotonic_decreasing and log["event_id"].is_unique
    view = log.loc[log["event"] == "view"].iloc[0]
    assert (view.who, view.role, view.page, view.purpose) == ("u-1", "partnership", "overview", "x")
    rollback = log.loc[log["event"] == "rollback"].iloc[0]
    assert rollback.who == "u-admin"
    assert json.loads(rollback.detail) == {"batch_id": report.batch_id, "rows": 2}
    # earlier entries are untouched
    assert log.tail(1).astype(str).to_numpy().tolist() == first.astype(str).to_numpy().tolist()
    assert env.store.audit_log(limit=1)["event"].tolist() == ["rollback"]


def test_a_refused_file_is_audited_and_a_repeated_one_is_not(env: Env) -> None:
    data = incidents_csv(["Q-1"])
    env.ingest(data)
    env.ingest(data)  # already ingested: nothing happened, nothing to audit
    env.ingest(b"")  # refused: audited, with the rule but no data
    log = env.store.audit_log()
    assert log["event"].tolist() == ["ingest_refused", "ingest"]
    assert "empty" in log["detail"].iloc[0]


# --- data_version --------------------------------------------------------------------------


def test_data_version_changes_on_ingest_and_rollback(env: Env) -> None:
    versions = [env.store.data_version()]
    a = env.ingest(incidents_csv(["V-1"]))
    versions.append(env.store.data_version())
    b = env.ingest(incidents_csv(["V-2"]))
    versions.append(env.store.data_version())
    # immediately, within the same second as the ingest
    env.store.rollback(b.batch_id)
    versions.append(env.store.data_version())
    env.store.rollback(a.batch_id)
    versions.append(env.store.data_version())
    assert len(set(versions)) == len(versions), versions
    # reading does not change it
    env.store.query("SELECT * FROM incidents")
    assert env.store.data_version() == versions[-1]


def test_the_store_persists_and_opens_read_only(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        write(store, "feed", ["1", "2"], "p1")
        version = store.data_version()
    with Store(path, read_only=True) as store:
        assert store.row_counts()["incidents"] == 2
        assert store.data_version() == version
        cells = store.query("SELECT cell FROM incidents")["cell"]
        assert cells.isna().all()  # written without cells: nothing invented


def test_a_process_killed_mid_ingest_leaves_previous_data_live_and_the_batch_failed(
    tmp_path: Path,
) -> None:
    """Kill a real ingest process inside its data transaction, then reopen the store."""
    import os
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "kill.duckdb"
    with Store(db) as store:
        assert write(store, "feed", ["keep-1", "keep-2"], "first")[1] == 2
    child = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
import geo.store.batches as store_module
from geo.store.database import Store
from tests.geo.store.test_store import write
real = store_module._run
def slow(cur, sql, params=None):
    real(cur, sql, params)
    if sql.strip().startswith("INSERT INTO incidents"):
        print("inside", flush=True)
        time.sleep(60)
store_module._run = slow
with Store({str(db)!r}) as store:
    write(store, "feed", [f"new-{{i}}" for i in range(1000)], "second")
"""
    proc = subprocess.Popen(
        [sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).resolve().parents[3]),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "inside"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.2)
    with Store(db) as store:
        batches = store.batches()
        assert batches.set_index("batch_id")["status"].to_dict() == {1: "live", 2: "failed"}
        ids = store.query("SELECT incident_id FROM incidents ORDER BY 1")["incident_id"].tolist()
        assert ids == ["keep-1", "keep-2"]


def test_two_ingests_at_once_in_one_process_are_serialised(tmp_path: Path) -> None:
    import threading

    with Store(tmp_path / "two.duckdb") as store:
        results: list[tuple[int, int, int]] = []
        errors: list[BaseException] = []

        def run(tag: str) -> None:
            try:
                results.append(write(store, "feed", [f"{tag}-{i}" for i in range(2000)], tag))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(t,)) for t in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sorted(r[1] for r in results) == [2000, 2000]
        assert store.row_counts()["incidents"] == 4000
        assert set(store.batches()["status"]) == {"live"}


def test_a_second_process_cannot_write_while_the_store_is_open(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "locked.duckdb"
    with Store(db) as store:
        write(store, "feed", ["x"], "s")
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})\n"
            "from geo.store.database import Store, StoreError\n"
            f"try:\n    Store({str(db)!r})\nexcept StoreError as e:\n    print('refused:', e)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert out.stdout.startswith("refused:"), out.stdout + out.stderr
        assert "locked" in out.stdout
        assert store.row_counts()["incidents"] == 1
