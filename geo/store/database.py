"""The DuckDB store: canonical tables, ingest batches, de-duplication, rollback, audit.

One file holds everything. Cells are ``UBIGINT`` H3 indexes: the storage cell
(``cell``) and its parents ``cell_7`` .. ``cell_10``, so any analysis resolution is
a plain ``GROUP BY``. Exact coordinates are never stored.

One ingest is one transaction: the batch row and all of the file's rows land
together or not at all.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from geo.core.audit import (
    KEYED_SCHEME,
    SEAL_EVENT,
    AuditEventRow,
    AuditSettings,
    ChainCheck,
    append_head,
    default_settings,
    event_mac,
    head_line,
    last_head_event,
    legacy_hash,
    seal_detail,
    verify_chain,
)
from geo.core.errors import StoreError, StoreLockedError
from geo.core.schema import TABLE_ID_COLUMNS

CELL_COLUMNS = ("cell", "cell_7", "cell_8", "cell_9", "cell_10")
_CELLS_DDL = ", ".join(f"{c} UBIGINT" for c in CELL_COLUMNS)

SCHEMA_VERSION = 2

#: ``meta`` key that says who built the store. Only the demo generator writes it
#: (:meth:`Store.mark_synthetic_demo`, called by :func:`geo.demo.build.build_demo`).
ORIGIN_KEY = "origin"
#: The ``origin`` of a store built by the demo generator.
SYNTHETIC_DEMO = "synthetic-demo"

DDL = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS batch_ids START 1;
CREATE TABLE IF NOT EXISTS batches (
    batch_id INTEGER PRIMARY KEY,
    kind VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    file_name VARCHAR,
    sha256 VARCHAR NOT NULL,
    rows_read INTEGER,
    rows_accepted INTEGER,
    rows_rejected INTEGER,
    rows_duplicate INTEGER,
    who VARCHAR,
    created_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    status_changed_at TIMESTAMP NOT NULL,
    report JSON
);
CREATE TABLE IF NOT EXISTS incidents (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, incident_id VARCHAR NOT NULL,
    category VARCHAR NOT NULL, occurred_at TIMESTAMP NOT NULL, time_precision VARCHAR NOT NULL,
    age_band VARCHAR, sex VARCHAR, ethnicity VARCHAR, weapon VARCHAR, location_type VARCHAR,
    outcome VARCHAR, record_key USMALLINT, {_CELLS_DDL}
);
CREATE TABLE IF NOT EXISTS stop_search (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, search_id VARCHAR NOT NULL,
    searched_at TIMESTAMP NOT NULL, search_type VARCHAR, sex VARCHAR, age_range VARCHAR,
    self_defined_ethnicity VARCHAR, officer_defined_ethnicity VARCHAR, legislation VARCHAR,
    object_of_search VARCHAR, outcome VARCHAR, outcome_linked BOOLEAN,
    removal_of_clothing BOOLEAN, record_key USMALLINT, {_CELLS_DDL}
);
CREATE TABLE IF NOT EXISTS missing_episodes (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, episode_id VARCHAR NOT NULL,
    child_key VARCHAR NOT NULL, reported_at TIMESTAMP NOT NULL, returned_at TIMESTAMP,
    home_area VARCHAR, school_urn VARCHAR, looked_after BOOLEAN, age_band VARCHAR, sex VARCHAR,
    ethnicity VARCHAR, rhi_status VARCHAR, rhi_completed_at TIMESTAMP, rhi_themes VARCHAR,
    risk_level VARCHAR, record_key USMALLINT, {_CELLS_DDL}
);
CREATE TABLE IF NOT EXISTS schools (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, school_id VARCHAR NOT NULL,
    urn VARCHAR, name VARCHAR NOT NULL, phase VARCHAR, kind VARCHAR, status VARCHAR,
    la_code VARCHAR, {_CELLS_DDL}
);
CREATE TABLE IF NOT EXISTS youth_sessions (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, session_id VARCHAR NOT NULL,
    team VARCHAR, started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP NOT NULL,
    contacts INTEGER, referrals INTEGER, is_area BOOLEAN NOT NULL, {_CELLS_DDL}
);
CREATE TABLE IF NOT EXISTS youth_session_cells (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, session_id VARCHAR NOT NULL,
    {_CELLS_DDL}
);
CREATE TABLE IF NOT EXISTS areas (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, area_code VARCHAR NOT NULL,
    name VARCHAR, area_kind VARCHAR NOT NULL, geometry_wkb BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS school_outcomes (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, record_id VARCHAR NOT NULL,
    urn VARCHAR NOT NULL, period VARCHAR NOT NULL, period_start TIMESTAMP NOT NULL,
    measure VARCHAR NOT NULL, ethnicity VARCHAR NOT NULL, sex VARCHAR, count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS health_sites (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, site_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL, kind VARCHAR NOT NULL, {_CELLS_DDL}
);
CREATE TABLE IF NOT EXISTS stations (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, station_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL, {_CELLS_DDL}
);
CREATE TABLE IF NOT EXISTS area_stats (
    batch_id INTEGER NOT NULL, source VARCHAR NOT NULL, stat_id VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL, measure VARCHAR NOT NULL, value DOUBLE NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS note_ids START 1;
CREATE TABLE IF NOT EXISTS assessment_notes (
    note_id BIGINT PRIMARY KEY DEFAULT nextval('note_ids'),
    cell VARCHAR NOT NULL,
    heading VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    who VARCHAR NOT NULL,
    role VARCHAR,
    created_at TIMESTAMP NOT NULL,
    supersedes BIGINT
);
CREATE SEQUENCE IF NOT EXISTS audit_ids START 1;
CREATE TABLE IF NOT EXISTS audit_log (
    event_id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
    logged_at TIMESTAMP NOT NULL,
    who VARCHAR NOT NULL,
    role VARCHAR,
    event VARCHAR NOT NULL,
    page VARCHAR,
    detail JSON,
    purpose VARCHAR,
    prev_hash VARCHAR,
    row_hash VARCHAR,
    scheme VARCHAR
);
"""

#: Columns added after the first schema (stores created earlier are migrated on open).
MIGRATIONS = (
    "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS prev_hash VARCHAR",
    "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS row_hash VARCHAR",
    "ALTER TABLE incidents ADD COLUMN IF NOT EXISTS record_key USMALLINT",
    "ALTER TABLE stop_search ADD COLUMN IF NOT EXISTS record_key USMALLINT",
    "ALTER TABLE missing_episodes ADD COLUMN IF NOT EXISTS record_key USMALLINT",
    # events with no scheme are legacy (unkeyed SHA-256 chain); see geo/core/audit.py
    "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS scheme VARCHAR",
    # police.uk's public map-point name ("On or near Market Place"); partner free text is
    # never stored (geo.store.place_names)
    "ALTER TABLE incidents ADD COLUMN IF NOT EXISTS location_name VARCHAR",
)

#: Tables whose records get a record key for cell-key perturbation
#: (:mod:`geo.disclosure.perturbation`), with their id column.
KEYED_TABLES: dict[str, str] = {
    "incidents": "incident_id",
    "stop_search": "search_id",
    "missing_episodes": "episode_id",
}

#: Tables that receive rows from ingest batches (child tables after parents).
DATA_TABLES: tuple[str, ...] = (
    "incidents",
    "stop_search",
    "missing_episodes",
    "schools",
    "youth_sessions",
    "youth_session_cells",
    "areas",
    "area_stats",
    "school_outcomes",
    "health_sites",
    "stations",
)


def _run(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> None:
    """Execute a statement and drain its result (DuckDB 2 requires it before other work)."""
    cur.execute(sql, params or []).fetchall()


def _one(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The single value a query returns (result fully drained)."""
    rows = cur.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


#: The old, unkeyed chain hash (kept to verify legacy events; see geo/core/audit.py).
_audit_hash = legacy_hash

_AUDIT_COLUMNS = (
    "event_id, scheme, logged_at, who, role, event, page, CAST(detail AS VARCHAR), purpose, "
    "prev_hash, row_hash"
)


#: Suffix of the read-only copy the app publishes beside its store (:meth:`Store.publish_snapshot`).
SNAPSHOT_SUFFIX = ".snapshot"


def snapshot_path(store_path: Path | str) -> Path:
    """Where the read-only snapshot of the store at ``store_path`` is published."""
    return Path(str(store_path) + SNAPSHOT_SUFFIX)


@dataclass(frozen=True)
class Batch:
    """One ingest batch as recorded in ``batches``."""

    batch_id: int
    kind: str
    source: str
    file_name: str | None
    sha256: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int
    who: str | None
    created_at: datetime
    status: str


@dataclass(frozen=True)
class DemoMarker:
    """What the demo generator recorded in the ``meta`` table of a store it built.

    Attributes
    ----------
    seed : int
        The generator's random seed.
    null : bool
        Whether the demo plants no signals (the null model).
    generator_version : int
        :data:`geo.demo.data.GENERATOR_VERSION` of the generator that built the store.
    last_batch : int
        The newest batch the generator wrote; a live batch after it came from elsewhere.
    """

    seed: int
    null: bool
    generator_version: int
    last_batch: int


class Store:
    """A PlaceSafe DuckDB store.

    Parameters
    ----------
    path : Path or str
        The database file (created with its tables when missing), or ``":memory:"``.
    read_only : bool
        Open without write access (several processes may read at once).
    audit : AuditSettings, optional
        The audit chain's key and head file (:meth:`geo.core.config.Config.audit_settings`).
        Default: ``$PLACESAFE_AUDIT_KEY`` or the public demo key, and a head file
        beside the store (:func:`geo.core.audit.default_settings`).
    snapshots : bool
        Keep a read-only copy of the data beside the store (:func:`snapshot_path`),
        published when the store opens and after every load or rollback, so that
        read-only commands work while this process holds the store (the app).
    """

    _snapshots: bool = False

    def __init__(
        self,
        path: Path | str,
        read_only: bool = False,
        audit: AuditSettings | None = None,
        *,
        snapshots: bool = False,
    ) -> None:
        self.path = str(path)
        self._audit_settings = audit or default_settings(self.path)
        if self.path != ":memory:":
            if read_only and not Path(self.path).is_file():
                raise StoreError(
                    f"there is no store at {self.path} yet: ingest a file first "
                    "(python -m geo ingest)"
                )
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreLockedError(
                "the store is locked by another process (is the app running?)"
            ) from exc
        self._lock = threading.RLock()
        if not read_only:
            self._con.execute(DDL)
            for statement in MIGRATIONS:
                self._con.execute(statement)
            self._con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
            self._recover_interrupted_batches()
            self._assign_record_keys()
            self._seal_legacy_audit()
            if snapshots and self.path != ":memory:":
                self._snapshots = True
                self.publish_snapshot(only_if_stale=True)

    def publish_snapshot(self, *, only_if_stale: bool = False) -> Path:
        """Publish a read-only copy of the store beside it (:func:`snapshot_path`).

        The copy is written to a temporary file with DuckDB's ``COPY FROM DATABASE``,
        given the store's file permissions and moved into place atomically, so a reader
        sees the old copy or the new one, never half of one.

        Parameters
        ----------
        only_if_stale : bool
            Skip the copy when the published one holds the current data version.
        """
        target = snapshot_path(self.path)
        stamp = Path(str(target) + ".version")
        version = self.data_version()
        if (
            only_if_stale
            and target.is_file()
            and stamp.is_file()
            and stamp.read_text(encoding="utf-8") == version
        ):
            return target
        tmp = Path(str(target) + ".tmp")
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
        quoted = str(tmp).replace("'", "''")
        with self._lock, self.cursor() as cur:
            source = str(_one(cur, "SELECT current_database()"))
            _run(cur, f"ATTACH '{quoted}' AS placesafe_snapshot")
            try:
                _run(cur, f'COPY FROM DATABASE "{source}" TO placesafe_snapshot')
            finally:
                _run(cur, "DETACH placesafe_snapshot")
        os.chmod(tmp, stat.S_IMODE(os.stat(self.path).st_mode))
        os.replace(tmp, target)
        stamp_tmp = Path(str(stamp) + ".tmp")
        stamp_tmp.write_text(version, encoding="utf-8")
        os.replace(stamp_tmp, stamp)
        return target

    def _recover_interrupted_batches(self) -> None:
        """Mark batches left ``ingesting`` by a process that died mid-ingest as ``failed``.

        Only one process can open the store for writing, so a batch still
        ``ingesting`` when the store is opened belongs to a process that is gone; its
        data transaction never committed, so no rows of it exist.
        """
        now = datetime.now().replace(microsecond=0)
        with self.cursor() as cur:
            _run(
                cur,
                "UPDATE batches SET status = 'failed', status_changed_at = ? "
                "WHERE status = 'ingesting'",
                [now],
            )

    def _record_key_salt(self, cur: duckdb.DuckDBPyConnection) -> str:
        salt = _one(cur, "SELECT value FROM meta WHERE key = 'record_key_salt'")
        if salt is None:
            salt = secrets.token_hex(16)
            _run(cur, "INSERT INTO meta VALUES ('record_key_salt', ?)", [salt])
        return str(salt)

    def _assign_record_keys(self, batch_id: int | None = None) -> None:
        """Give every record without one a record key in 0..255 for cell-key
        perturbation: a hash of a random per-store salt, the source and the record id,
        so a record keeps its key when the same extract is sent again."""
        with self.cursor() as cur:
            salt = self._record_key_salt(cur)
            for table, id_col in KEYED_TABLES.items():
                only = "" if batch_id is None else f" AND batch_id = {int(batch_id)}"
                _run(
                    cur,
                    f"UPDATE {table} SET record_key = CAST(hash(?, source, {id_col}) % 256 "
                    f"AS USMALLINT) WHERE record_key IS NULL{only}",
                    [salt],
                )

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one thread's queries."""
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """Run a query returning one value."""
        with self.cursor() as cur:
            return _one(cur, sql, params)

    # --- versions and batches ---------------------------------------------------------

    def has_table(self, table: str) -> bool:
        """Whether the store has ``table`` (a store opened read-only keeps the tables of
        the version that last wrote it)."""
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
            )
        )

    def data_version(self) -> str:
        """A string that changes whenever live data change (for cache keys)."""
        # The live count matters: a rollback within the same second as the ingest
        # leaves max(batch_id), count(*) and max(status_changed_at) unchanged.
        row = self.scalar(
            "SELECT coalesce(max(batch_id), 0) || ':' || count(*) || ':' || "
            "count(*) FILTER (WHERE status = 'live') || ':' || "
            "coalesce(CAST(max(status_changed_at) AS VARCHAR), '') FROM batches"
        )
        return str(row)

    # --- origin -------------------------------------------------------------------------

    def origin(self) -> str | None:
        """Who built this store: :data:`SYNTHETIC_DEMO` for the demo generator, else None."""
        value = self.scalar("SELECT value FROM meta WHERE key = ?", [ORIGIN_KEY])
        return None if value is None else str(value)

    def demo_marker(self) -> DemoMarker | None:
        """The demo generator's marker, or None for a store the generator did not build."""
        if self.origin() != SYNTHETIC_DEMO:
            return None
        with self.cursor() as cur:
            meta = dict(cur.execute("SELECT key, value FROM meta").fetchall())
        try:
            return DemoMarker(
                seed=int(meta["demo_seed"]),
                null=meta["demo_null"] == "true",
                generator_version=int(meta["demo_generator_version"]),
                last_batch=int(meta["demo_last_batch"]),
            )
        except (KeyError, ValueError):
            return None

    def mark_synthetic_demo(self, seed: int, null: bool, generator_version: int) -> DemoMarker:
        """Record that the demo generator built this store (with its seed and version).

        Only :func:`geo.demo.build.build_demo` calls this, once its last file is ingested; a
        store so marked refuses partner files (:func:`geo.ingest.pipeline.ingest_bytes`).

        Returns
        -------
        DemoMarker
            What was recorded.
        """
        with self._lock, self.cursor() as cur:
            last = int(_one(cur, "SELECT coalesce(max(batch_id), 0) FROM batches"))
            marker = DemoMarker(seed, null, generator_version, last)
            values = {
                ORIGIN_KEY: SYNTHETIC_DEMO,
                "demo_seed": str(seed),
                "demo_null": "true" if null else "false",
                "demo_generator_version": str(generator_version),
                "demo_last_batch": str(last),
            }
            _run(cur, "BEGIN TRANSACTION")
            try:
                for key, value in values.items():
                    _run(cur, "INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
                _run(cur, "COMMIT")
            except BaseException:
                _run(cur, "ROLLBACK")
                raise
        return marker

    def live_batches_after(self, batch_id: int) -> int:
        """How many live batches were written after batch ``batch_id``."""
        return int(
            self.scalar(
                "SELECT count(*) FROM batches WHERE batch_id > ? AND status = 'live'", [batch_id]
            )
        )

    def live_batch_with_hash(self, sha256: str, kind: str | None = None) -> int | None:
        """The live batch that stored rows from bytes with this sha256 (as ``kind``, when
        given), if any. A batch that stored no row never counts, so it never blocks a retry."""
        value = self.scalar(
            "SELECT batch_id FROM batches WHERE sha256 = ? AND status = 'live' "
            "AND coalesce(rows_accepted, 0) > 0 AND (? IS NULL OR kind = ?) LIMIT 1",
            [sha256, kind, kind],
        )
        return None if value is None else int(value)

    def batches(self) -> pd.DataFrame:
        """All batches, newest first (without the JSON report)."""
        return self.query(
            "SELECT batch_id, kind, source, file_name, rows_read, rows_accepted, rows_rejected, "
            "rows_duplicate, who, created_at, status, status_changed_at FROM batches "
            "ORDER BY batch_id DESC"
        )

    def batch(self, batch_id: int) -> Batch:
        """One batch by id."""
        with self.cursor() as cur:
            rows = cur.execute(
                "SELECT batch_id, kind, source, file_name, sha256, rows_read, rows_accepted, "
                "rows_rejected, rows_duplicate, who, created_at, status FROM batches "
                "WHERE batch_id = ?",
                [batch_id],
            ).fetchall()
        if not rows:
            raise StoreError(f"no batch {batch_id}")
        return Batch(*rows[0])

    def write_batch(
        self,
        *,
        kind: str,
        source: str,
        file_name: str | None,
        sha256: str,
        rows_read: int,
        rows_rejected: int,
        who: str | None,
        tables: Mapping[str, pd.DataFrame],
        report: dict[str, Any],
        replace_source: bool = False,
        rows_duplicate_in_file: int = 0,
    ) -> tuple[int, int, int]:
        """Store one ingest batch atomically, de-duplicating on (source, record id).

        Parameters
        ----------
        tables : mapping of table name to DataFrame
            Rows for each canonical table, without ``batch_id`` (added here).
            The first table is the one whose record ids are de-duplicated; the
            others are child rows filtered to the parent records that were new.
        replace_source : bool
            Used for reference tables (areas): earlier live rows with the same
            record ids are superseded instead of the new ones being dropped.
        rows_duplicate_in_file : int
            Rows the caller already dropped as repeats within the file; added to the
            batch's ``rows_duplicate`` so that read = accepted + rejected + duplicates.

        Returns
        -------
        (batch_id, accepted, duplicates)
            ``duplicates`` counts rows already in the store (not the in-file repeats).
        """
        now = datetime.now().replace(microsecond=0)
        names = list(tables)
        main = names[0]
        id_col = TABLE_ID_COLUMNS[main] if main != "youth_session_cells" else "session_id"
        with self._lock, self.cursor() as cur:
            # The batch is recorded first, in its own transaction, as "ingesting": if
            # the process dies during the data transaction the rows vanish with it and
            # the batch is marked failed when the store is next opened.
            batch_id = int(_one(cur, "SELECT nextval('batch_ids')"))
            _run(
                cur,
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?, 'ingesting', ?, ?)",
                [
                    batch_id,
                    kind,
                    source,
                    file_name,
                    sha256,
                    rows_read,
                    rows_rejected,
                    who,
                    now,
                    now,
                    json.dumps(report),
                ],
            )
            salt = self._record_key_salt(cur)
            _run(cur, "BEGIN TRANSACTION")
            try:
                frame = tables[main]
                cur.register("new_rows", frame)
                cols = ", ".join(f'"{c}"' for c in frame.columns)
                if replace_source:
                    _run(
                        cur,
                        f"DELETE FROM {main} WHERE source = ? AND {id_col} IN "
                        f"(SELECT {id_col} FROM new_rows)",
                        [source],
                    )
                before = int(_one(cur, f"SELECT count(*) FROM {main}"))
                _run(
                    cur,
                    f"INSERT INTO {main} (batch_id, {cols}) SELECT ?, {cols} FROM new_rows n "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {main} t WHERE t.source = n.source "
                    f"AND t.{id_col} = n.{id_col})",
                    [batch_id],
                )
                after = int(_one(cur, f"SELECT count(*) FROM {main}"))
                cur.unregister("new_rows")
                if main in KEYED_TABLES:
                    _run(
                        cur,
                        f"UPDATE {main} SET record_key = CAST(hash(?, source, {id_col}) % 256 "
                        "AS USMALLINT) WHERE batch_id = ? AND record_key IS NULL",
                        [salt, batch_id],
                    )
                accepted = after - before
                duplicates = len(frame) - accepted
                for child in names[1:]:
                    cframe = tables[child]
                    cur.register("child_rows", cframe)
                    ccols = ", ".join(f'"{c}"' for c in cframe.columns)
                    _run(
                        cur,
                        f"INSERT INTO {child} (batch_id, {ccols}) SELECT ?, {ccols} "
                        f"FROM child_rows c WHERE c.{id_col} IN "
                        f"(SELECT {id_col} FROM {main} WHERE batch_id = ?)",
                        [batch_id, batch_id],
                    )
                    cur.unregister("child_rows")
                _run(
                    cur,
                    "UPDATE batches SET rows_accepted = ?, rows_duplicate = ?, status = 'live' "
                    "WHERE batch_id = ?",
                    [accepted, duplicates + rows_duplicate_in_file, batch_id],
                )
                _run(cur, "COMMIT")
            except BaseException:
                _run(cur, "ROLLBACK")
                _run(
                    cur,
                    "UPDATE batches SET status = 'failed', status_changed_at = ? "
                    "WHERE batch_id = ?",
                    [datetime.now().replace(microsecond=0), batch_id],
                )
                raise
        if self._snapshots:
            self.publish_snapshot()
        return batch_id, accepted, duplicates

    def record_failed_batch(
        self,
        *,
        kind: str,
        source: str,
        file_name: str | None,
        sha256: str,
        who: str | None,
        report: dict[str, Any],
    ) -> int:
        """Record a refused file in ``batches`` (status ``failed``, no rows)."""
        now = datetime.now().replace(microsecond=0)
        with self._lock, self.cursor() as cur:
            batch_id = int(_one(cur, "SELECT nextval('batch_ids')"))
            _run(
                cur,
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?, 'failed', ?, ?)",
                [
                    batch_id,
                    kind,
                    source,
                    file_name,
                    sha256,
                    report.get("read", 0),
                    report.get("rejected", 0),
                    who,
                    now,
                    now,
                    json.dumps(report),
                ],
            )
        return batch_id

    def rollback(self, batch_id: int, who: str | None = None) -> int:
        """Remove a live batch's rows and mark it ``rolled_back``.

        Returns
        -------
        int
            Number of rows removed across all tables.
        """
        batch = self.batch(batch_id)
        if batch.status != "live":
            raise StoreError(f"batch {batch_id} is {batch.status}, not live")
        removed = 0
        now = datetime.now().replace(microsecond=0)
        with self._lock, self.cursor() as cur:
            _run(cur, "BEGIN TRANSACTION")
            try:
                for table in DATA_TABLES:
                    n = int(
                        _one(cur, f"SELECT count(*) FROM {table} WHERE batch_id = ?", [batch_id])
                    )
                    if n:
                        _run(cur, f"DELETE FROM {table} WHERE batch_id = ?", [batch_id])
                        removed += n
                _run(
                    cur,
                    "UPDATE batches SET status = 'rolled_back', status_changed_at = ? "
                    "WHERE batch_id = ?",
                    [now, batch_id],
                )
                _run(cur, "COMMIT")
            except BaseException:
                _run(cur, "ROLLBACK")
                raise
        self.audit(
            who or "system", None, "rollback", detail={"batch_id": batch_id, "rows": removed}
        )
        if self._snapshots:
            self.publish_snapshot()
        return removed

    # --- audit --------------------------------------------------------------------------

    def audit(
        self,
        who: str,
        role: str | None,
        event: str,
        page: str | None = None,
        detail: Mapping[str, Any] | None = None,
        purpose: str | None = None,
    ) -> None:
        """Append one event to the audit log.

        The log is append-only: this class has no way to change or delete an event.
        Each event carries an HMAC-SHA256 (``row_hash``) over its fields, its id and
        the previous event's MAC (``prev_hash``), with a key that is not in the store;
        the new chain head is appended to the head file outside the database before the
        event is committed. :meth:`verify_audit_chain` checks both.
        """
        detail_json = json.dumps(dict(detail or {}), default=str, sort_keys=True)
        settings = self._audit_settings
        with self._lock, self.cursor() as cur:
            _run(cur, "BEGIN TRANSACTION")
            try:
                last = cur.execute(
                    "SELECT event_id, row_hash FROM audit_log ORDER BY event_id DESC LIMIT 1"
                ).fetchall()
                count = int(_one(cur, "SELECT count(*) FROM audit_log"))
                # ids from max + 1, not the sequence: no gap unless an event is removed;
                # never below the head file's newest id (deleted newest events stay a gap)
                db_newest = int(last[0][0]) if last else 0
                event_id = max(db_newest, last_head_event(settings.head_file) or 0) + 1
                prev_hash = str(last[0][1] or "") if last else ""
                logged_at = datetime.now().replace(microsecond=0)
                fields = (logged_at, who, role, event, page, detail_json, purpose)
                mac = event_mac(settings.key, prev_hash, event_id, fields)
                _run(
                    cur,
                    "INSERT INTO audit_log (event_id, logged_at, who, role, event, page, detail, "
                    "purpose, prev_hash, row_hash, scheme) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [event_id, *fields, prev_hash, mac, KEYED_SCHEME],
                )
                if settings.head_file is not None:
                    append_head(
                        settings.head_file, head_line(settings.key, event_id, count + 1, mac)
                    )
                _run(cur, "COMMIT")
            except BaseException:
                _run(cur, "ROLLBACK")
                raise

    def _audit_rows(self) -> list[AuditEventRow]:
        with self.cursor() as cur:
            rows = cur.execute(
                f"SELECT {_AUDIT_COLUMNS} FROM audit_log ORDER BY event_id"
            ).fetchall()
        return [AuditEventRow(int(r[0]), r[1], tuple(r[2:9]), r[9], r[10]) for r in rows]

    def _seal_legacy_audit(self) -> None:
        """Seal legacy (unkeyed) audit events into the keyed chain, once.

        A store written before the chain was keyed gets one ``audit_keyed`` event whose
        MAC covers the last legacy hash and a digest of every legacy event.
        """
        with self._lock:
            rows = self._audit_rows()
            if not rows or any(r.scheme is not None for r in rows):
                return
            self.audit("system", None, SEAL_EVENT, detail=seal_detail(rows))

    def verify_audit_chain(self) -> ChainCheck:
        """Check the audit log against its key and its head file.

        Returns
        -------
        ChainCheck
            ``ok``, or the first event found deleted, edited, moved or out of step with
            the head file, and the reason in plain words (see :func:`geo.core.audit.verify_chain`).
        """
        settings = self._audit_settings
        with self._lock:  # not between an event's head line and its commit
            rows = self._audit_rows()
            return verify_chain(rows, settings.key, settings.head_file, settings.demo_key)

    def audit_log(self, limit: int = 1000) -> pd.DataFrame:
        """The newest audit events."""
        return self.query(
            "SELECT event_id, logged_at, who, role, event, page, detail, purpose FROM audit_log "
            "ORDER BY event_id DESC LIMIT ?",
            [limit],
        )

    # --- assessment notes ---------------------------------------------------------------

    def add_note(self, cell: str, heading: str, body: str, who: str, role: str | None) -> int:
        """Add a dated note to a location's assessment record (history is kept: a new
        note under a heading supersedes, never overwrites, the previous one)."""
        with self._lock, self.cursor() as cur:
            _run(cur, "BEGIN TRANSACTION")
            try:
                prev = _one(
                    cur,
                    "SELECT max(note_id) FROM assessment_notes WHERE cell = ? AND heading = ?",
                    [cell, heading],
                )
                note_id = int(_one(cur, "SELECT nextval('note_ids')"))
                _run(
                    cur,
                    "INSERT INTO assessment_notes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        note_id,
                        cell,
                        heading,
                        body,
                        who,
                        role,
                        datetime.now().replace(microsecond=0),
                        prev,
                    ],
                )
                _run(cur, "COMMIT")
            except BaseException:
                _run(cur, "ROLLBACK")
                raise
        self.audit(
            who,
            role,
            "assessment_note",
            page="Location profile",
            detail={"cell": cell, "heading": heading, "note_id": note_id},
        )
        return note_id

    def notes(self, cell: str) -> pd.DataFrame:
        """A location's assessment notes, newest first, with ``current`` marking the
        latest note under each heading."""
        frame = self.query(
            "SELECT note_id, heading, body, who, role, created_at, supersedes "
            "FROM assessment_notes WHERE cell = ? ORDER BY note_id DESC",
            [cell],
        )
        frame["current"] = ~frame.duplicated("heading", keep="first")
        return frame

    def row_counts(self) -> dict[str, int]:
        """Rows per canonical table."""
        return {t: int(self.scalar(f"SELECT count(*) FROM {t}")) for t in DATA_TABLES}
