"""The audit chain, attacked: someone with write access to the database (and, where
said, to the head file) but not to the audit key tries to remove or rewrite events.

Every attack must be detected by ``Store.verify_audit_chain``; the one it cannot
detect (deleting the newest events from the database *and* the head file alike) is
stated in geo/core/audit.py and the README, and closed by append-only storage.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from geo.core.audit import (
    DEMO_AUDIT_KEY,
    KEYED_SCHEME,
    SEAL_EVENT,
    AuditSettings,
    event_mac,
    head_line,
)
from geo.core.config import load_config
from geo.core.errors import ConfigError
from geo.store.audit_log import _audit_hash
from geo.store.database import Store

KEY = b"k" * 40  # the deployment's secret key in these tests
WRONG_KEY = b"w" * 40  # the attacker's guess
COLUMNS = "event_id, logged_at, who, role, event, page, CAST(detail AS VARCHAR), purpose"


@dataclass
class Env:
    path: Path
    head: Path
    store: Store

    def rows(self) -> list[tuple[Any, ...]]:
        with self.store.cursor() as cur:
            return cur.execute(
                f"SELECT {COLUMNS}, prev_hash, row_hash, scheme FROM audit_log ORDER BY event_id"
            ).fetchall()

    def sql(self, statement: str, params: list[Any] | None = None) -> None:
        with self.store.cursor() as cur:
            cur.execute(statement, params or []).fetchall()

    def head_lines(self) -> list[str]:
        return self.head.read_text().splitlines(keepends=True)


def open_store(path: Path, key: bytes = KEY, head: Path | None = None) -> Store:
    head = head or Path(str(path) + ".audit-head")
    return Store(path, audit=AuditSettings(key, head))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    path = tmp_path / "store.duckdb"
    store = open_store(path)
    for i in range(8):
        store.audit(f"u-{i}", "analyst", "view", page="Overview", detail={"res": 8, "i": i})
    yield Env(path, Path(str(path) + ".audit-head"), store)
    store.close()


def broken(env: Env) -> tuple[int | None, str]:
    check = env.store.verify_audit_chain()
    assert not check.ok, "the attack went undetected"
    assert check.reason
    return check.first_bad_event, check.reason


def rechain(
    env: Env, key: bytes | None, from_id: int = 1, scheme: str | None = KEYED_SCHEME
) -> None:
    """What an attacker does after editing: recompute every link from ``from_id`` on,
    with the old unkeyed hash (``key=None``) or with a MAC under ``key``."""
    prev = ""
    for row in env.rows():
        eid, fields, row_hash = row[0], row[1:8], row[9]
        if eid >= from_id:
            if key is None:
                row_hash = _audit_hash(prev, *fields)
            else:
                row_hash = event_mac(key, prev, eid, fields)
            env.sql(
                "UPDATE audit_log SET prev_hash = ?, row_hash = ?, scheme = ? WHERE event_id = ?",
                [prev, row_hash, scheme if key is None else KEYED_SCHEME, eid],
            )
        prev = row_hash


def forge_head(env: Env, key: bytes) -> None:
    """Rewrite the head file from the database, with ``key``."""
    lines = [head_line(key, r[0], n, r[9]) for n, r in enumerate(env.rows(), start=1)]
    env.head.write_text("".join(lines))


# --- the honest case ----------------------------------------------------------------------


def test_an_untouched_log_verifies_with_its_head_outside_the_database(env: Env) -> None:
    check = env.store.verify_audit_chain()
    assert check.ok and check.reason is None and check.first_bad_event is None
    assert (check.events, check.keyed_events, check.legacy_events) == (8, 8, 0)
    assert check.head_checked and not check.demo_key
    assert "All 8 events verify" in check.summary()
    # one head line per event, appended: the earlier lines never change
    before = env.head_lines()
    assert len(before) == 8
    env.store.audit("u-9", "admin", "view")
    after = env.head_lines()
    assert after[:8] == before and len(after) == 9
    assert [r[10] for r in env.rows()] == [KEYED_SCHEME] * 9
    # the MAC is keyed: the same events under another key have other MACs
    row = env.rows()[0]
    assert row[9] == event_mac(KEY, "", 1, row[1:8]) != event_mac(WRONG_KEY, "", 1, row[1:8])
    assert row[9] != _audit_hash("", *row[1:8])


def test_the_head_file_is_outside_the_database_and_holds_no_key(env: Env) -> None:
    assert env.head.exists() and env.head.parent == env.path.parent
    assert KEY.decode() not in env.head.read_text()
    assert oct(env.head.stat().st_mode & 0o777) == oct(0o600)
    with env.store.cursor() as cur:
        text = str(cur.execute("SELECT * FROM audit_log").fetchall())
        text += str(cur.execute("SELECT * FROM meta").fetchall())
    assert KEY.decode() not in text


# --- deleting events -----------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 3])
def test_deleting_the_newest_events_is_detected(env: Env, n: int) -> None:
    env.sql("DELETE FROM audit_log WHERE event_id > ?", [8 - n])
    bad, reason = broken(env)
    assert bad == 8 - n + 1
    assert "newest events were deleted" in reason


def test_events_written_after_deleting_the_newest_do_not_cover_the_deletion(env: Env) -> None:
    env.sql("DELETE FROM audit_log WHERE event_id > 6")
    env.store.audit("u-next", "analyst", "view")  # the app carries on writing
    assert env.rows()[-1][0] == 9  # numbered after the head file, not the database
    bad, reason = broken(env)
    assert bad == 7 and "events 7 to 8 are missing" in reason
    env.sql("DELETE FROM audit_log")
    env.store.audit("u-next", "analyst", "view")
    assert env.rows()[0][0] == 10
    bad, reason = broken(env)
    assert bad == 1 and "does not have: it was deleted" in reason


def test_deleting_an_event_in_the_middle_is_detected(env: Env) -> None:
    env.sql("DELETE FROM audit_log WHERE event_id = 4")
    bad, reason = broken(env)
    assert bad == 4 and "gap" in reason


def test_deleting_in_the_middle_and_renumbering_is_detected(env: Env) -> None:
    rows = env.rows()
    env.sql("DELETE FROM audit_log WHERE event_id >= 4")
    for row in rows[4:]:  # move 5..8 down to 4..7, links kept as they were
        env.sql(
            "INSERT INTO audit_log (event_id, logged_at, who, role, event, page, detail, "
            "purpose, prev_hash, row_hash, scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row[0] - 1, *row[1:]],
        )
    bad, reason = broken(env)
    assert bad == 4 and "MAC" in reason


def test_emptying_the_log_is_detected(env: Env) -> None:
    env.sql("DELETE FROM audit_log")
    bad, reason = broken(env)
    assert bad == 1 and "deleted" in reason


# --- editing events ------------------------------------------------------------------------


def test_an_edited_field_is_detected(env: Env) -> None:
    env.sql("UPDATE audit_log SET who = 'someone-else' WHERE event_id = 5")
    assert broken(env)[0] == 5


def test_editing_and_recomputing_with_the_old_hash_function_is_detected(env: Env) -> None:
    env.sql("UPDATE audit_log SET page = 'Data' WHERE event_id = 5")
    rechain(env, None, from_id=5, scheme=KEYED_SCHEME)  # old hash, still marked keyed
    bad, reason = broken(env)
    assert bad == 5 and "MAC" in reason


def test_editing_and_recomputing_as_legacy_events_is_detected(env: Env) -> None:
    env.sql("UPDATE audit_log SET page = 'Data' WHERE event_id = 5")
    rechain(env, None, from_id=5, scheme=None)  # pretend 5.. were written before the key
    bad, reason = broken(env)
    assert bad == 5 and "old hash function" in reason


def test_rewriting_the_whole_log_as_legacy_is_detected(env: Env) -> None:
    env.sql("UPDATE audit_log SET who = 'nobody' WHERE event_id = 2")
    rechain(env, None, from_id=1, scheme=None)
    _, reason = broken(env)
    assert "not been sealed" in reason
    env.head.unlink()  # and without the head file
    _, reason = broken(env)
    assert "not been sealed" in reason


def test_editing_and_recomputing_with_a_wrong_key_is_detected(env: Env) -> None:
    env.sql("UPDATE audit_log SET role = 'admin' WHERE event_id = 3")
    rechain(env, WRONG_KEY, from_id=3)
    bad, reason = broken(env)
    assert bad == 3 and "MAC" in reason
    forge_head(env, WRONG_KEY)  # and a head file to match, also under the wrong key
    bad, reason = broken(env)
    assert bad == 3 and "MAC" in reason


def test_verifying_with_another_key_fails(env: Env) -> None:
    env.store.close()
    with open_store(env.path, key=WRONG_KEY) as other:
        check = other.verify_audit_chain()
    env.store = open_store(env.path)
    assert not check.ok and check.first_bad_event == 1


# --- reordering ----------------------------------------------------------------------------


def test_swapping_two_events_is_detected(env: Env) -> None:
    rows = {r[0]: r for r in env.rows()}
    env.sql("DELETE FROM audit_log WHERE event_id IN (3, 6)")
    for new_id, old_id in ((3, 6), (6, 3)):
        env.sql(
            "INSERT INTO audit_log (event_id, logged_at, who, role, event, page, detail, "
            "purpose, prev_hash, row_hash, scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, *rows[old_id][1:]],
        )
    bad, _ = broken(env)
    assert bad == 3


def test_swapping_two_events_contents_keeping_their_ids_is_detected(env: Env) -> None:
    rows = {r[0]: r for r in env.rows()}
    for target, source in ((2, 7), (7, 2)):
        env.sql(
            "UPDATE audit_log SET who = ?, detail = ? WHERE event_id = ?",
            [rows[source][2], rows[source][6], target],
        )
    assert broken(env)[0] == 2


# --- the head file -------------------------------------------------------------------------


def test_a_truncated_head_file_is_detected(env: Env) -> None:
    env.head.write_text("".join(env.head_lines()[:5]))
    bad, reason = broken(env)
    assert bad == 6 and "head file is behind" in reason
    env.head.write_text("")
    _, reason = broken(env)
    assert "empty" in reason


def test_a_head_file_cut_mid_line_is_detected(env: Env) -> None:
    text = env.head.read_text()
    env.head.write_text(text[: len(text) - 20])
    _, reason = broken(env)
    assert "line 8 of the head file" in reason


def test_a_deleted_head_file_is_detected(env: Env) -> None:
    env.head.unlink()
    _, reason = broken(env)
    assert "missing" in reason


def test_an_older_copy_of_the_head_file_is_detected(env: Env) -> None:
    old = env.head.read_text()
    env.store.audit("u-x", "analyst", "export", page="hot cells")
    env.head.write_text(old)
    bad, reason = broken(env)
    assert bad == 9 and "behind" in reason


def test_the_head_file_of_another_store_with_the_same_key_is_detected(
    env: Env, tmp_path: Path
) -> None:
    with open_store(tmp_path / "other.duckdb") as other:
        for i in range(8):
            other.audit(f"u-{i}", "analyst", "view", page="Hot spots", detail={"i": i})
    env.head.write_bytes(Path(str(tmp_path / "other.duckdb") + ".audit-head").read_bytes())
    bad, reason = broken(env)
    assert bad == 1 and "replaced" in reason


def test_a_head_file_forged_without_the_key_is_detected(env: Env) -> None:
    env.sql("DELETE FROM audit_log WHERE event_id > 6")
    forge_head(env, WRONG_KEY)  # a head file that agrees with the shortened database
    _, reason = broken(env)
    assert "not written with the audit key" in reason


def test_an_edited_head_line_is_detected(env: Env) -> None:
    lines = env.head_lines()
    parts = lines[3].split("\t")
    parts[2] = "3"  # the count of events up to event 4
    lines[3] = "\t".join(parts)
    env.head.write_text("".join(lines))
    _, reason = broken(env)
    assert "line 4 of the head file" in reason


def test_a_head_file_that_skips_a_line_is_detected(env: Env) -> None:
    lines = env.head_lines()
    env.head.write_text("".join(lines[:3] + lines[4:]))
    _, reason = broken(env)
    assert "skips or repeats" in reason


def test_a_head_file_ahead_of_the_database_is_detected(env: Env) -> None:
    """An event whose transaction failed after its head line was written (or an event
    removed from the database) leaves the head file ahead: reported, never ignored."""
    row = env.rows()[-1]
    mac = event_mac(KEY, row[9], 9, (row[1], "u", None, "view", None, "{}", None))
    with env.head.open("a") as f:
        f.write(head_line(KEY, 9, 9, mac))
    bad, reason = broken(env)
    assert bad == 9 and "database does not have" in reason


def test_a_failed_head_write_stores_no_event(env: Env) -> None:
    env.store.close()
    blocked = env.path.parent / "blocked"
    blocked.mkdir()
    with open_store(env.path, head=blocked) as store, pytest.raises(OSError):
        store.audit("u", "analyst", "view")
    with open_store(env.path) as store:
        assert len(store.audit_log()) == 8
        assert store.verify_audit_chain().ok
    env.store = open_store(env.path)


# --- legacy stores -------------------------------------------------------------------------


def legacy_store(path: Path, events: int = 5, unchained: int = 2) -> None:
    """A store as the unkeyed code wrote it: ``unchained`` events from before the hash
    chain existed (no hashes), then a SHA-256 chain without a key."""
    open_store(path).close()  # the tables (an empty log is not sealed: no head file yet)
    assert not Path(str(path) + ".audit-head").exists()
    con = duckdb.connect(str(path))
    prev = ""
    for i in range(1, events + 1):
        fields = (f"2025-01-0{i} 10:00:00", f"u-{i}", "analyst", "view", "Overview",
                  json.dumps({"i": i}), None)  # fmt: skip
        if i <= unchained:
            prev_hash = row_hash = None
        else:
            prev_hash, row_hash = prev, _audit_hash(prev, *fields)
            prev = row_hash
        con.execute(
            "INSERT INTO audit_log (event_id, logged_at, who, role, event, page, detail, "
            "purpose, prev_hash, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [i, *fields, prev_hash, row_hash],
        )
    con.close()


def test_a_legacy_store_is_sealed_on_opening_and_then_keyed(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    legacy_store(path)
    with Store(
        path, read_only=True, audit=AuditSettings(KEY, Path(str(path) + ".audit-head"))
    ) as ro:
        check = ro.verify_audit_chain()
    assert not check.ok and "not been sealed" in str(check.reason)  # honest before sealing
    with open_store(path) as store:
        store.audit("u-new", "analyst", "view")
        log = store.audit_log()
        assert log["event"].tolist()[:2] == ["view", SEAL_EVENT]
        seal = json.loads(log["detail"].iloc[1])
        assert seal["legacy_events"] == 5 and seal["legacy_last_event"] == 5
        check = store.verify_audit_chain()
    assert check.ok, check.reason
    assert (check.legacy_events, check.keyed_events) == (5, 2)
    assert "before the log was keyed" in check.summary()
    with open_store(path) as store:  # sealed once only
        assert (store.audit_log()["event"] == SEAL_EVENT).sum() == 1


@pytest.mark.parametrize("victim", [1, 4])  # an unchained event, a hash-chained one
def test_editing_a_legacy_event_after_the_seal_is_detected(tmp_path: Path, victim: int) -> None:
    path = tmp_path / "old.duckdb"
    legacy_store(path)
    open_store(path).close()  # seals
    with open_store(path) as store:
        with store.cursor() as cur:
            cur.execute("UPDATE audit_log SET who = 'x' WHERE event_id = ?", [victim]).fetchall()
        e = Env(path, Path(str(path) + ".audit-head"), store)
        # recompute the whole legacy chain with the project's old hash function
        prev = ""
        for row in e.rows():
            if row[10] is None and row[8] is not None:
                h = _audit_hash(prev, *row[1:8])
                e.sql(
                    "UPDATE audit_log SET prev_hash = ?, row_hash = ? WHERE event_id = ?",
                    [prev, h, row[0]],
                )
                prev = h
        bad, reason = broken(e)
    assert bad == 6 and "seal" in reason


def test_deleting_a_legacy_event_after_the_seal_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    legacy_store(path)
    open_store(path).close()
    with open_store(path) as store:
        e = Env(path, Path(str(path) + ".audit-head"), store)
        e.sql("DELETE FROM audit_log WHERE event_id = 1")  # unchained: no hash links it
        bad, reason = broken(e)
    assert bad == 6 and "seal" in reason


def test_deleting_the_seal_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    legacy_store(path)
    with open_store(path) as store:
        store.audit("u", "analyst", "view")
        e = Env(path, Path(str(path) + ".audit-head"), store)
        e.sql("DELETE FROM audit_log WHERE event = ?", [SEAL_EVENT])
        bad, reason = broken(e)
    assert bad == 7 and "does not seal the legacy events" in reason  # the next keyed event


# --- where the key comes from --------------------------------------------------------------


def _config(tmp_path: Path, extra: str = "", demo: bool = False) -> Path:
    (tmp_path / "b.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    text = f'[study_area]\nboundary = "b.geojson"\n[app]\ndemo = {str(demo).lower()}\n{extra}'
    (tmp_path / "c.toml").write_text(text)
    return tmp_path / "c.toml"


def test_the_key_comes_from_the_environment_or_a_key_file_never_the_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLACESAFE_AUDIT_KEY", raising=False)
    with pytest.raises(ConfigError, match="no audit key"):
        load_config(_config(tmp_path)).audit_settings()
    monkeypatch.setenv("PLACESAFE_AUDIT_KEY", "short")
    with pytest.raises(ConfigError, match="32 bytes"):
        load_config(_config(tmp_path)).audit_settings()
    monkeypatch.setenv("PLACESAFE_AUDIT_KEY", "e" * 40)
    settings = load_config(_config(tmp_path)).audit_settings()
    assert settings.key == b"e" * 40 and not settings.demo_key
    assert settings.head_file == tmp_path / "placesafe.duckdb.audit-head"
    assert "eeee" not in repr(settings)
    (tmp_path / "audit.key").write_bytes(b"f" * 40 + b"\n")
    extra = '[audit]\nkey_file = "audit.key"\nhead_file = "/var/log/placesafe/head"\n'
    settings = load_config(_config(tmp_path, extra)).audit_settings()
    assert settings.key == b"f" * 40  # the file wins over the environment
    assert settings.head_file == Path("/var/log/placesafe/head")


def test_only_the_demo_falls_back_to_the_public_demo_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLACESAFE_AUDIT_KEY", raising=False)
    settings = load_config(_config(tmp_path, demo=True)).audit_settings()
    assert settings.key == DEMO_AUDIT_KEY and settings.demo_key
    assert b"DEMO-ONLY" in DEMO_AUDIT_KEY
    with Store(tmp_path / "d.duckdb", audit=settings) as store:
        store.audit("u", None, "view")
        assert "public demo key" in store.verify_audit_chain().summary()


def test_events_written_without_the_configured_key_fail_verification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool that opens a real store without its configuration writes under the demo
    key: the deployment's verification flags that event."""
    monkeypatch.delenv("PLACESAFE_AUDIT_KEY", raising=False)
    path = tmp_path / "real.duckdb"
    with open_store(path) as store:
        store.audit("u", "analyst", "view")
    with Store(path) as stray:  # no settings: demo key
        stray.audit("tool", None, "view")
    with open_store(path) as store:
        check = store.verify_audit_chain()
    assert not check.ok and check.first_bad_event == 2


def test_head_lines_are_appended_not_rewritten(env: Env) -> None:
    inode = env.head.stat().st_ino
    env.store.audit("u", "analyst", "view")
    assert env.head.stat().st_ino == inode  # the same file, grown in place
    assert os.path.getsize(env.head) == sum(len(line) for line in env.head_lines())


def test_the_command_line_verifies_and_fails_on_a_tampered_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from geo.__main__ import main

    monkeypatch.setenv("PLACESAFE_AUDIT_KEY", KEY.decode())
    config = _config(tmp_path)
    with open_store(tmp_path / "placesafe.duckdb") as store:
        for i in range(3):
            store.audit(f"u-{i}", "analyst", "view")
    assert main(["--config", str(config), "verify-audit", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    with open_store(tmp_path / "placesafe.duckdb") as store, store.cursor() as cur:
        cur.execute("DELETE FROM audit_log WHERE event_id = 3").fetchall()
    assert main(["--config", str(config), "verify-audit"]) == 1
    assert "newest events were deleted" in capsys.readouterr().out
