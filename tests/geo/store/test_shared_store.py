"""The store shared by several processes: snapshots, the pointer and the writers' lock."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from geo.core.errors import AuditUnavailableError, StoreLockedError
from geo.demo.build import build_demo
from geo.store.database import Store
from geo.store.shared import KEEP_SNAPSHOTS, SharedStore, lock_path, snapshot_dir

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    return out


@pytest.fixture()
def demo(built: Path, tmp_path: Path) -> Path:
    out = tmp_path / "demo"
    shutil.copytree(built, out)
    for stale in out.glob("placesafe.duckdb.*"):
        if stale.is_dir():
            shutil.rmtree(stale)
    return out


def _incidents_batch(store: Store) -> int:
    return int(
        store.batches().query("kind == 'incidents' and status == 'live'")["batch_id"].iloc[0]
    )


def test_a_reader_sees_a_write_published_by_another_process_without_restart(demo: Path) -> None:
    path = demo / "placesafe.duckdb"
    app_a, app_b, loader = SharedStore(path), SharedStore(path), SharedStore(path)
    before_a, before_b = app_a.reader(), app_b.reader()
    incidents = before_a.row_counts()["incidents"]
    assert incidents > 0 and before_b.row_counts()["incidents"] == incidents
    with loader.writer() as store:
        store.rollback(_incidents_batch(store), who="test")
    # each app picks the new snapshot up on its next look, with no restart
    assert app_a.reader().row_counts()["incidents"] == 0
    assert app_b.reader().row_counts()["incidents"] == 0
    assert app_a.reader().data_version() != before_a.data_version()
    # a reader still holding the old snapshot keeps reading it, whole
    assert before_a.row_counts()["incidents"] == incidents


def test_writes_through_a_reader_go_to_the_store_file_and_are_published(demo: Path) -> None:
    shared = SharedStore(demo / "placesafe.duckdb")
    reader = shared.reader()
    reader.rollback(_incidents_batch(reader), who="test")
    assert shared.reader() is not reader
    assert shared.reader().row_counts()["incidents"] == 0
    with Store(demo / "placesafe.duckdb", read_only=True) as live:
        assert live.row_counts()["incidents"] == 0


def test_audit_events_are_written_without_publishing_a_snapshot(demo: Path) -> None:
    shared = SharedStore(demo / "placesafe.duckdb")
    reader = shared.reader()
    pointer = shared.pointer()
    reader.audit("someone", "analyst", "view", page="overview")
    assert shared.pointer() is not None and shared.pointer().snapshot == pointer.snapshot  # type: ignore[union-attr]
    assert shared.reader() is reader  # no copy made for an audit event
    assert reader.audit_log(5)["who"].iloc[0] == "someone"  # read from the store file
    assert reader.verify_audit_chain().ok


def test_a_failed_write_publishes_nothing_and_changes_nothing(demo: Path) -> None:
    shared = SharedStore(demo / "placesafe.duckdb")
    reader = shared.reader()
    pointer = shared.pointer()
    counts = reader.row_counts()
    with pytest.raises(RuntimeError), shared.writer() as store, store.cursor() as cur:
        cur.execute("BEGIN TRANSACTION").fetchall()
        cur.execute("DELETE FROM incidents").fetchall()
        raise RuntimeError("the load failed half way")
    assert shared.pointer().snapshot == pointer.snapshot  # type: ignore[union-attr]
    assert shared.reader().row_counts() == counts


def test_a_half_written_snapshot_is_never_pointed_at(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = SharedStore(demo / "placesafe.duckdb")
    reader = shared.reader()
    pointer = shared.pointer()

    def crash(self: Store, target: Path) -> None:
        half = target.parent / f".{target.name}.{os.getpid() + 1}.tmp"  # a crashed process
        half.write_bytes(b"half a copy")
        Path(f"{half}.wal").write_bytes(b"its log")
        raise OSError("disk full")

    monkeypatch.setattr(Store, "copy_to", crash)
    with pytest.raises(OSError):
        reader.rollback(_incidents_batch(reader), who="test")
    assert shared.pointer() == pointer  # still the last complete snapshot
    assert (snapshot_dir(shared.path) / pointer.snapshot).is_file()  # type: ignore[union-attr]
    assert reader.row_counts()["incidents"] > 0
    # the rollback itself was committed: the next reader publishes it once copying works
    monkeypatch.undo()
    assert SharedStore(shared.path).reader().row_counts()["incidents"] == 0
    # and the half copy is gone once a snapshot is published
    assert not list(snapshot_dir(shared.path).glob(".*tmp*"))


def test_a_writer_waits_for_another_and_gives_up_with_a_clear_error(demo: Path) -> None:
    path = demo / "placesafe.duckdb"
    first, second = SharedStore(path), SharedStore(path, lock_timeout=0.3)
    second.reader()
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with first.writer():
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    holding.wait(10)
    try:
        with pytest.raises(StoreLockedError, match="busy with another write"):
            second.reader().audit("x", None, "view")
        assert second.reader().row_counts()["incidents"] > 0  # readers are never blocked
    finally:
        release.set()
        worker.join()
    patient = SharedStore(path, lock_timeout=10)
    patient.reader().audit("x", None, "view")  # once the lock is free, the write goes through


def test_old_snapshots_are_pruned_and_the_current_one_kept(demo: Path) -> None:
    shared = SharedStore(demo / "placesafe.duckdb")
    for n in range(KEEP_SNAPSHOTS + 3):
        with shared.writer() as store:
            store.add_note("89194e69d07ffff", f"note {n}", "", "test", "analyst")
    files = sorted(p.name for p in snapshot_dir(shared.path).glob("*.duckdb"))
    pointer = shared.pointer()
    assert pointer is not None and pointer.snapshot in files
    assert len(files) == KEEP_SNAPSHOTS + 1


def test_a_store_file_changed_without_the_lock_is_published_on_the_next_look(demo: Path) -> None:
    path = demo / "placesafe.duckdb"
    shared = SharedStore(path)
    assert shared.reader().row_counts()["incidents"] > 0
    with Store(path) as tool:  # a tool that writes the file directly
        tool.rollback(_incidents_batch(tool), who="tool")
    assert shared.reader().row_counts()["incidents"] == 0


def test_read_only_commands_work_while_a_write_holds_the_lock(demo: Path) -> None:
    config = demo / "placesafe.toml"
    SharedStore(demo / "placesafe.duckdb").reader()
    code = (
        "import sys, fcntl, os; "
        f"fd = os.open({str(lock_path(demo / 'placesafe.duckdb'))!r}, os.O_RDWR | os.O_CREAT); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('ready', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        started = time.monotonic()
        for args in (("batches", "--json"), ("hotspots", "--json")):
            done = subprocess.run(
                [sys.executable, "-m", "geo", "--config", str(config), *args],
                capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
            )  # fmt: skip
            assert done.returncode == 0, (args, done.stderr)
            json.loads(done.stdout)
        assert time.monotonic() - started < 120
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


# --- the app's audit queue --------------------------------------------------------------


def _counting_writer(shared: SharedStore, turns: list[int]) -> None:
    """Count the writer's turns (one open of the store file each)."""
    writer = shared.writer

    def counted(timeout: float | None = None) -> Any:
        turns.append(1)
        return writer(timeout)

    shared.writer = counted  # type: ignore[method-assign]


def test_queued_audit_events_are_written_in_order_in_one_turn_per_burst(demo: Path) -> None:
    shared = SharedStore(demo / "placesafe.duckdb", queue_audit=True)
    reader = shared.reader()
    turns: list[int] = []
    _counting_writer(shared, turns)
    with shared.writer():  # a load holds the lock: the views queue up meanwhile
        for i in range(6):
            reader.audit(f"user{i}", "analyst", "view", page="overview")
        time.sleep(0.2)
    log = reader.audit_log(10)  # this process's queue is written before it reads
    assert log["who"].tolist()[:6] == [f"user{i}" for i in range(5, -1, -1)]  # newest first
    assert len(turns) == 2  # the load, then one turn for all six
    assert shared.reader().verify_audit_chain().ok


def test_a_batch_that_fails_is_written_later_once_each_in_order(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = SharedStore(demo / "placesafe.duckdb", queue_audit=True)
    assert shared.audit_queue is not None
    shared.audit_queue._retry_s = 0.05
    failures = [1]
    audit = Store.audit

    def flaky(self: Store, *args: Any, **kwargs: Any) -> None:
        if args[0] == "user2" and failures:
            failures.pop()
            raise OSError("disk full")
        audit(self, *args, **kwargs)

    monkeypatch.setattr(Store, "audit", flaky)
    reader = shared.reader()
    with shared.writer():
        for i in range(4):
            reader.audit(f"user{i}", "analyst", "view")
    shared.flush_audit()
    who = reader.audit_log(10)["who"].tolist()
    assert who[:4] == ["user3", "user2", "user1", "user0"] and "user0" not in who[4:]
    assert not failures  # it did fail once


def test_a_flush_returns_once_the_turn_has_closed_the_store_file(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a flush the store file may be copied: the turn that wrote the events has
    closed it (a copy taken while it closed once lost its vanishing WAL file)."""
    shared = SharedStore(demo / "placesafe.duckdb", queue_audit=True)
    reader = shared.reader()  # published before the slow turn below
    settle = SharedStore._settle
    settling, go_on = threading.Event(), threading.Event()
    settled: list[bool] = []

    def slow(self: SharedStore, store: Store) -> None:
        settling.set()
        go_on.wait(30)
        time.sleep(0.1)  # still closing when the flush below starts waiting
        settle(self, store)
        settled.append(True)

    monkeypatch.setattr(SharedStore, "_settle", slow)
    reader.audit("viewer", "analyst", "view", page="overview")
    assert settling.wait(30)  # the event is written; the turn is closing the file
    assert shared.audit_queue is not None
    with pytest.raises(StoreLockedError, match="still being closed"):
        shared.audit_queue.flush(timeout=0.05)
    go_on.set()
    shared.flush_audit()
    assert settled
    assert not Path(str(demo / "placesafe.duckdb") + ".wal").exists()
    shutil.copytree(demo, demo.parent / "copy")


def test_a_load_or_note_waits_for_the_queued_events_before_it(demo: Path) -> None:
    shared = SharedStore(demo / "placesafe.duckdb", queue_audit=True)
    reader = shared.reader()
    with shared.writer():
        reader.audit("viewer", "analyst", "view", page="overview")
    reader.rollback(_incidents_batch(reader), who="loader")
    with Store(demo / "placesafe.duckdb", read_only=True) as live:
        log = live.audit_log(10)
    events = log["who"].tolist()
    assert events.index("viewer") > events.index("loader")  # newest first: the view came first


def test_an_app_process_writes_its_queue_out_on_exit(demo: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from geo.store.shared import SharedStore\n"
        "shared = SharedStore(Path(sys.argv[1]), queue_audit=True)\n"
        "reader = shared.reader()\n"
        "with shared.writer():\n"
        "    for i in range(3): reader.audit(f'leaving{i}', 'analyst', 'view')\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(demo / "placesafe.duckdb")],
        cwd=REPO, check=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    with Store(demo / "placesafe.duckdb", read_only=True) as live:
        assert live.audit_log(3)["who"].tolist() == ["leaving2", "leaving1", "leaving0"]


def test_while_the_log_cannot_be_written_views_are_refused_and_kept(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = SharedStore(demo / "placesafe.duckdb", queue_audit=True)
    queue = shared.audit_queue
    assert queue is not None
    queue._retry_s = 0.05
    broken = [True]
    audit = Store.audit

    def failing(self: Store, *args: Any, **kwargs: Any) -> None:
        if broken:
            raise OSError("disk full")
        audit(self, *args, **kwargs)

    monkeypatch.setattr(Store, "audit", failing)
    reader = shared.reader()
    reader.audit("first", "analyst", "view")  # the failure is not known yet
    with pytest.raises(AuditUnavailableError):
        queue.flush(timeout=30)
    with pytest.raises(AuditUnavailableError, match="OSError"):
        reader.audit("second", "analyst", "view")  # refused, and kept
    with pytest.raises(AuditUnavailableError):
        reader.check_audit()
    broken.clear()
    shared.flush_audit()
    reader.check_audit()  # written: nothing outstanding
    assert reader.audit_log(2)["who"].tolist() == ["second", "first"]
