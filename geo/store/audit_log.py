"""The store's audit log: append-only events in a keyed chain, and its check.

Every event carries an HMAC over its fields, its id and the previous event's MAC, with a key
that is not in the store; the chain head is also written to a file outside the database
(:mod:`geo.core.audit`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from geo.core.audit import (
    KEYED_SCHEME,
    SEAL_EVENT,
    AuditEventRow,
    ChainCheck,
    append_head,
    event_mac,
    head_line,
    last_head_event,
    legacy_hash,
    seal_detail,
    verify_chain,
)
from geo.store.connection import StoreConnection, _one, _run

__all__ = ["AuditedConnection"]


#: The old, unkeyed chain hash (kept to verify legacy events; see geo/core/audit.py).
_audit_hash = legacy_hash

_AUDIT_COLUMNS = (
    "event_id, scheme, logged_at, who, role, event, page, CAST(detail AS VARCHAR), purpose, "
    "prev_hash, row_hash"
)


class AuditedConnection(StoreConnection):
    """A store connection with its audit log (see :class:`geo.store.database.Store`)."""

    def check_audit(self) -> None:
        """Raise :class:`~geo.core.errors.AuditUnavailableError` when events given to
        :meth:`audit` could not be written. Here each event is written before
        :meth:`audit` returns, so there is never one outstanding (an app process's
        snapshot store queues them: :class:`geo.store.shared.AuditQueue`)."""

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
