"""Read-only commands while the app holds the store: the snapshot the app publishes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.core.errors import StoreLockedError
from geo.demo.build import build_demo
from geo.store.connection import snapshot_path
from geo.store.database import Store

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture()
def demo(tmp_path: Path) -> Path:
    out = tmp_path / "demo"
    build_demo(out, seed=0)
    return out


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "geo", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )


@pytest.fixture()
def app_holding_the_store(demo: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A second process that holds the store for writing, as the app does."""
    snapshots = bool(getattr(request, "param", True))
    code = (
        "import sys; from geo.store.database import Store; "
        f"s = Store({str(demo / 'placesafe.duckdb')!r}, snapshots={snapshots}); "
        "print('ready', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    try:
        yield demo
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)


def test_the_app_publishes_a_snapshot_and_refreshes_it_after_a_rollback(demo: Path) -> None:
    path = demo / "placesafe.duckdb"
    with Store(path, snapshots=True) as store:
        snap = snapshot_path(path)
        assert snap.is_file()
        assert stat.S_IMODE(snap.stat().st_mode) == stat.S_IMODE(path.stat().st_mode)
        live = store.row_counts()
        with Store(snap, read_only=True) as copy:
            assert copy.row_counts() == live
            assert copy.data_version() == store.data_version()
        batch = int(store.batches().query("kind == 'incidents'")["batch_id"].iloc[0])
        store.rollback(batch, who="test")
        with Store(snap, read_only=True) as copy:
            assert copy.row_counts()["incidents"] == 0
            assert copy.data_version() == store.data_version()


def test_a_store_opened_without_snapshots_publishes_none(demo: Path) -> None:
    path = demo / "placesafe.duckdb"
    with Store(path):
        pass
    assert not snapshot_path(path).exists()


def test_read_only_commands_work_while_the_app_holds_the_store(
    app_holding_the_store: Path,
) -> None:
    config = app_holding_the_store / "placesafe.toml"
    with pytest.raises(StoreLockedError):
        Store(app_holding_the_store / "placesafe.duckdb", read_only=True)
    for args in (
        ("hotspots", "--json"),
        ("recurring", "--json"),
        ("knox", "--json"),
        ("batches", "--json"),
    ):
        done = cli(config, *args)
        assert done.returncode == 0, (args, done.stderr)
        json.loads(done.stdout)  # stdout stays JSON; the note goes to stderr
        assert "reads the snapshot it published at" in done.stderr, args
    text = cli(config, "hotspots")
    assert text.returncode == 0 and "snapshot" in text.stderr


@pytest.mark.parametrize("app_holding_the_store", [False], indirect=True)
def test_without_a_snapshot_a_locked_store_is_one_clear_line(app_holding_the_store: Path) -> None:
    done = cli(app_holding_the_store / "placesafe.toml", "hotspots", "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"].startswith("the store is locked")
    assert "Traceback" not in done.stderr
