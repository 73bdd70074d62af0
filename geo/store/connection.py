"""The store's connection: opening it, one lock for writers, cursors, reads and copies.

:class:`StoreConnection` is the base of :class:`geo.store.database.Store`: it holds the
DuckDB connection and the lock that serialises writers within one process, runs reads, and
writes complete copies of the store (:meth:`StoreConnection.copy_to`, the snapshots of
:mod:`geo.store.shared`).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import duckdb
import pandas as pd

from geo.core.audit import AuditSettings

__all__ = ["StoreConnection"]


def _run(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> None:
    """Execute a statement and drain its result (DuckDB 2 requires it before other work)."""
    cur.execute(sql, params or []).fetchall()


def _one(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The single value a query returns (result fully drained)."""
    rows = cur.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


class StoreConnection:
    """The DuckDB connection a store holds, with its lock (see :class:`geo.store.database.Store`).

    Attributes
    ----------
    path : str
        The database file, or ``":memory:"``.
    """

    path: str
    _con: duckdb.DuckDBPyConnection
    _lock: threading.RLock
    _audit_settings: AuditSettings

    def copy_to(self, target: Path) -> None:
        """Write a complete copy of the store to ``target`` (a new file).

        The copy is made under a temporary name with DuckDB's ``COPY FROM DATABASE``,
        given the store's file permissions, synced to disk and then renamed, so
        ``target`` never names half a copy.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
        quoted = str(tmp).replace("'", "''")
        with self._lock, self.cursor() as cur:
            source = str(_one(cur, "SELECT current_database()"))
            _run(cur, f"ATTACH '{quoted}' AS placesafe_copy")
            try:
                _run(cur, f'COPY FROM DATABASE "{source}" TO placesafe_copy')
            finally:
                _run(cur, "DETACH placesafe_copy")
        os.chmod(tmp, stat.S_IMODE(os.stat(self.path).st_mode))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def __enter__(self) -> Self:
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

    # --- versions -----------------------------------------------------------------------

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
