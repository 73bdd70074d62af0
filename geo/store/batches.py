"""Ingest batches: one file's rows stored in one transaction, de-duplicated, rolled back.

The batch row is recorded first, as ``ingesting``; the data transaction then lands the rows
and marks it ``live``, or fails and marks it ``failed``. Records of keyed tables get their
record key for cell-key perturbation as they land.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from geo.core.errors import StoreError
from geo.core.schema import TABLE_ID_COLUMNS
from geo.store.audit_log import AuditedConnection
from geo.store.connection import _one, _run
from geo.store.tables import DATA_TABLES, KEYED_TABLES

__all__ = ["Batch", "BatchStore"]


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


class BatchStore(AuditedConnection):
    """A store connection with its ingest batches (see :class:`geo.store.database.Store`)."""

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
        """The store's random record-key salt, made on first use: provided by
        :class:`geo.store.database.Store`, the one writer of the ``meta`` table."""
        raise NotImplementedError

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
        return removed
