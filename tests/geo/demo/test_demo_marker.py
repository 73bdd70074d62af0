"""The synthetic demo's marker: written by the generator only, refusing partner files,
and the only store demo mode serves (DESIGN §4, issue 13 item 9)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from geo.core.access import is_loopback, open_address_problem
from geo.core.area import load_study_area
from geo.core.config import Config, load_config
from geo.demo.build import DemoBuild, build_demo, ensure_demo_store, synthetic_demo_problem
from geo.demo.data import GENERATOR_VERSION
from geo.ingest.pipeline import DEMO_STORE_REFUSAL, KINDS, ingest_bytes, ingest_file
from geo.store.database import ORIGIN_KEY, SYNTHETIC_DEMO, DemoMarker, Store

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    return build_demo(tmp_path_factory.mktemp("demo"), seed=3)


def copy_demo(demo: DemoBuild, folder: Path) -> Config:
    """A copy of the built demo (files, truth, store) in ``folder``, with its config."""
    shutil.copytree(demo.out_dir, folder)
    return load_config(folder / "placesafe.toml")


def snapshot(store: Store) -> tuple[str, dict[str, int], list[tuple[object, ...]]]:
    batches = store.query("SELECT batch_id, status FROM batches ORDER BY batch_id")
    return (
        store.data_version(),
        store.row_counts(),
        [tuple(r) for r in batches.itertuples(index=False)],
    )


def unmark(path: Path) -> None:
    """Remove the generator's marker, as a store from before the marker would lack it."""
    with Store(path) as store, store.cursor() as cur:
        cur.execute("DELETE FROM meta WHERE key = ? OR key LIKE 'demo%'", [ORIGIN_KEY])


# --- the marker ------------------------------------------------------------------------


def test_the_generator_marks_its_store_with_seed_and_version(demo: DemoBuild) -> None:
    with Store(demo.config.store_path, read_only=True) as store:
        assert store.origin() == SYNTHETIC_DEMO == "synthetic-demo"
        last = int(store.scalar("SELECT max(batch_id) FROM batches"))
        assert store.demo_marker() == DemoMarker(
            seed=3, null=False, generator_version=GENERATOR_VERSION, last_batch=last
        )
        assert synthetic_demo_problem(store) is None
    # the null-model demo records that too
    with Store(":memory:") as store:
        store.mark_synthetic_demo(7, True, GENERATOR_VERSION)
        assert store.demo_marker() == DemoMarker(7, True, GENERATOR_VERSION, 0)


def test_ingest_never_marks_a_store(demo: DemoBuild, tmp_path: Path) -> None:
    """The same files ingested outside the generator make an unmarked store."""
    area = load_study_area(demo.config.study_area)
    with Store(tmp_path / "copy.duckdb") as store:
        for kind, name in (("schools", "schools.csv"), ("incidents", "incidents.csv")):
            assert ingest_file(store, demo.config, area, kind, demo.out_dir / name).ok
        assert store.origin() is None
        assert store.demo_marker() is None
        problem = synthetic_demo_problem(store)
    assert problem is not None and "not built by the demo generator" in problem
    assert "python -m geo demo" in problem and "allow_local_real_data" in problem


def test_only_the_generator_writes_the_marker() -> None:
    """No module but geo/demo/build.py calls the marker's writer (geo/store/database.py has it)."""
    callers = {
        str(path.relative_to(REPO))
        for folder in ("geo", "ui", "pages", "bench")
        for path in (REPO / folder).rglob("*.py")
        if "mark_synthetic_demo(" in path.read_text(encoding="utf-8")
    } | ({"app.py"} if "mark_synthetic_demo(" in (REPO / "app.py").read_text() else set())
    assert callers == {"geo/demo/build.py", "geo/store/database.py"}
    # and nothing else writes the meta table's origin key
    writers = {
        str(path.relative_to(REPO))
        for path in (REPO / "geo").rglob("*.py")
        if re.search(r"INTO meta", path.read_text(encoding="utf-8"))
    }
    assert writers == {"geo/store/database.py"}


def test_a_corrupt_marker_is_not_a_marker() -> None:
    with Store(":memory:") as store:
        store.mark_synthetic_demo(0, False, GENERATOR_VERSION)
        with store.cursor() as cur:
            cur.execute("UPDATE meta SET value = 'x' WHERE key = 'demo_last_batch'")
        assert store.origin() == SYNTHETIC_DEMO  # still refuses partner files
        assert store.demo_marker() is None
        assert synthetic_demo_problem(store) is not None  # but is not served


# --- partner files are refused ----------------------------------------------------------


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_marked_store_refuses_every_partner_file(
    demo: DemoBuild, tmp_path: Path, dry_run: bool
) -> None:
    config = copy_demo(demo, tmp_path / "demo")
    area = load_study_area(config.study_area)
    # a valid schools file (the demo's own, made new), sent as every kind: refused unread
    data = (config.store_path.parent / "schools.csv").read_bytes().replace(b"\n", b"\r\n")
    with Store(config.store_path) as store:
        before = snapshot(store)
        events = len(store.audit_log(10_000))
        for kind in KINDS:
            report = ingest_bytes(store, config, area, kind, data, "partner.csv", dry_run=dry_run)
            assert report.status == "refused" and not report.ok
            assert report.error == DEMO_STORE_REFUSAL
            assert DEMO_STORE_REFUSAL in report.summary()
            assert "Nothing was stored" in report.summary()
        assert snapshot(store) == before
        log = store.audit_log(10_000)
        refused = log.loc[log["event"] == "ingest_refused"]
        if dry_run:  # a check writes nothing, not even to the log
            assert len(log) == events
        else:
            assert len(log) == events + len(KINDS) and len(refused) == len(KINDS)
            assert all(DEMO_STORE_REFUSAL in d for d in refused["detail"])
        assert store.verify_audit_chain().ok


def test_an_unmarked_store_still_takes_partner_files(demo: DemoBuild, tmp_path: Path) -> None:
    """The refusal is the marker's doing: the same file goes into an unmarked store."""
    area = load_study_area(demo.config.study_area)
    data = (demo.out_dir / "schools.csv").read_bytes()
    with Store(tmp_path / "real.duckdb") as store:
        report = ingest_bytes(store, demo.config, area, "schools", data, "schools.csv")
    assert report.status == "live" and report.accepted > 0


# --- demo mode serves only the generator's store -----------------------------------------


def test_a_batch_added_after_the_generator_is_not_served(demo: DemoBuild, tmp_path: Path) -> None:
    """A store the generator marked, into which data came later (by older code that had no
    refusal), is no longer the synthetic demo."""
    config = copy_demo(demo, tmp_path / "demo")
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:
        marker = store.demo_marker()
        assert marker is not None
        with store.cursor() as cur:  # what an ingest without the refusal did
            cur.execute("DELETE FROM meta WHERE key = ?", [ORIGIN_KEY])
        data = (config.store_path.parent / "schools.csv").read_bytes().replace(b"\n", b"\r\n")
        assert ingest_bytes(store, config, area, "schools", data, "extra.csv").status == "live"
        with store.cursor() as cur:
            cur.execute("INSERT INTO meta VALUES (?, ?)", [ORIGIN_KEY, SYNTHETIC_DEMO])
        assert store.demo_marker() == marker
        problem = synthetic_demo_problem(store)
        assert problem is not None and "1 batch(es) were added" in problem
        # rolling that batch back makes it the generator's store again
        newest = int(store.scalar("SELECT max(batch_id) FROM batches"))
        store.rollback(newest, who="test")
        assert synthetic_demo_problem(store) is None


def test_ensure_demo_store_never_replaces_a_store_it_did_not_build(
    demo: DemoBuild, tmp_path: Path
) -> None:
    config = copy_demo(demo, tmp_path / "demo")
    config.store_path.unlink()
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:  # real data at the demo's path
        assert ingest_file(
            store, config, area, "schools", config.store_path.parent / "schools.csv"
        ).ok
        before = snapshot(store)
    for version in (GENERATOR_VERSION, GENERATOR_VERSION - 1):  # current or stale truth
        truth_path = config.store_path.parent / "truth.json"
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        truth["generator_version"] = version
        truth_path.write_text(json.dumps(truth), encoding="utf-8")
        assert not ensure_demo_store(config)
        with Store(config.store_path, read_only=True) as store:
            assert snapshot(store) == before
            assert synthetic_demo_problem(store) is not None  # and it is not served


def test_ensure_demo_store_rebuilds_an_unmarked_store_of_an_older_generator(
    demo: DemoBuild, tmp_path: Path
) -> None:
    config = copy_demo(demo, tmp_path / "demo")
    unmark(config.store_path)
    truth_path = config.store_path.parent / "truth.json"
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    truth["generator_version"] = GENERATOR_VERSION - 1
    truth_path.write_text(json.dumps(truth), encoding="utf-8")
    assert ensure_demo_store(config)
    with Store(config.store_path, read_only=True) as store:
        marker = store.demo_marker()
        assert marker is not None and marker.seed == 3
        assert marker.generator_version == GENERATOR_VERSION
        assert synthetic_demo_problem(store) is None


def test_a_current_but_unmarked_demo_store_is_refused_not_rebuilt(
    demo: DemoBuild, tmp_path: Path
) -> None:
    config = copy_demo(demo, tmp_path / "demo")
    unmark(config.store_path)
    assert not ensure_demo_store(config)
    with Store(config.store_path, read_only=True) as store:
        assert store.origin() is None
        assert synthetic_demo_problem(store) is not None


# --- the command line --------------------------------------------------------------------


def test_cli_ingest_into_the_demo_store_is_refused(
    demo: DemoBuild, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from geo.__main__ import main

    config = copy_demo(demo, tmp_path / "demo")
    with Store(config.store_path, read_only=True) as store:
        before = snapshot(store)
    schools = str(config.store_path.parent / "schools.csv")
    code = main(["--config", str(config.path), "ingest", "--kind", "schools", schools])
    assert code == 1
    out = capsys.readouterr().out
    assert "refused" in out and DEMO_STORE_REFUSAL in out
    with Store(config.store_path, read_only=True) as store:
        assert snapshot(store) == before


def test_cli_ingest_with_the_shipped_demo_configuration_is_refused(
    demo: DemoBuild, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default configuration names the demo's store: refused before the store is opened."""
    from geo.__main__ import main

    monkeypatch.delenv("PLACESAFE_CONFIG", raising=False)
    opened: list[object] = []
    monkeypatch.setattr("geo.__main__.Store", lambda *a, **k: opened.append(a))
    schools = str(demo.out_dir / "schools.csv")
    assert main(["ingest", "--kind", "schools", schools]) == 2
    assert DEMO_STORE_REFUSAL in capsys.readouterr().err
    assert not opened


# --- the listening address -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        (None, False),  # unset: Streamlit listens on every interface
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("placesafe.example.org", False),
        ("localhost.example.org", False),
    ],
)
def test_only_loopback_addresses_start_without_login(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback
    problem = open_address_problem(address)
    assert (problem is None) is loopback
    if problem:
        assert "this computer" in problem and "127.0.0.1" in problem
        assert ("every network interface" in problem) is (not address)
