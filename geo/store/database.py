"""The DuckDB store: canonical tables, ingest batches, de-duplication, rollback, audit.

One file holds everything. Cells are ``UBIGINT`` H3 indexes: the storage cell
(``cell``) and its parents ``cell_7`` .. ``cell_10``, so any analysis resolution is
a plain ``GROUP BY``. Exact coordinates are never stored.

One ingest is one transaction: the batch row and all of the file's rows land
together or not at all.

:class:`Store` is built up in layers, one module each: the connection, its lock, reads
and copies (:mod:`geo.store.connection`), the audit log (:mod:`geo.store.audit_log`)
and ingest batches (:mod:`geo.store.batches`); this module opens the store, creates and
migrates its tables (:mod:`geo.store.tables`) and keeps the demo marker and the
assessment notes.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from geo.core.audit import AuditSettings, default_settings
from geo.core.errors import StoreError, StoreLockedError
from geo.store.batches import BatchStore
from geo.store.connection import _one, _run
from geo.store.tables import DATA_TABLES, DDL, MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "ORIGIN_KEY",
    "SYNTHETIC_DEMO",
    "DemoMarker",
    "Store",
]

#: ``meta`` key that says who built the store. Only the demo generator writes it
#: (:meth:`Store.mark_synthetic_demo`, called by :func:`geo.demo.build.build_demo`).
ORIGIN_KEY = "origin"
#: The ``origin`` of a store built by the demo generator.
SYNTHETIC_DEMO = "synthetic-demo"


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


class Store(BatchStore):
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
    maintain : bool
        On opening for writing, create missing tables, migrate, recover interrupted
        loads and key new records (the default). A process that opens the store for
        every write (:class:`geo.store.shared.SharedStore`) does it on its first open only.

    Several processes share a store through :class:`geo.store.shared.SharedStore`
    (snapshots for readers, one writer at a time).
    """

    def __init__(
        self,
        path: Path | str,
        read_only: bool = False,
        audit: AuditSettings | None = None,
        *,
        maintain: bool = True,
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
        if not read_only and maintain:
            self._con.execute(DDL)
            for statement in MIGRATIONS:
                self._con.execute(statement)
            self._con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
            self._recover_interrupted_batches()
            self._assign_record_keys()
            self._seal_legacy_audit()

    def _record_key_salt(self, cur: duckdb.DuckDBPyConnection) -> str:
        salt = _one(cur, "SELECT value FROM meta WHERE key = 'record_key_salt'")
        if salt is None:
            salt = secrets.token_hex(16)
            _run(cur, "INSERT INTO meta VALUES ('record_key_salt', ?)", [salt])
        return str(salt)

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
