"""The audit log's keyed chain and its head file, kept outside the database.

Every audit event carries an HMAC-SHA256 over its own fields (event id included) and
the previous event's MAC, with a key that never enters the store (DESIGN §4). After
each event the chain head — the event id, the number of events and the MAC — is
appended to a *head file* beside the store (``O_APPEND``, ``fsync``). Each head line
carries its own MAC, so only the key holder can write one.

:func:`verify_chain` compares the database with the key and the head file and finds:

- an edited event (its MAC no longer matches, whatever hash or key was used to
  recompute it), an event moved to another id (the id is under the MAC) and an event
  rewritten with the old unkeyed hash after the chain became keyed;
- a deleted event in the middle (a gap in the event ids, a broken link);
- the newest events deleted (the head file records events the database no longer has);
- a head file that is behind (truncated, or replaced by an older copy: the database
  has keyed events it does not record), ahead, edited, forged without the key, or from
  another store.

Stores written before the chain was keyed hold *legacy* events with the unkeyed
SHA-256 chain. Opening such a store for writing seals them: one ``audit_keyed``
event, MAC-chained onto the last legacy hash and recording how many legacy events
there were. From then on editing a legacy event (even recomputing the old chain)
breaks that event's MAC; edits made *before* the seal cannot be detected — the old
chain had no key — and the verification says the events are legacy and unkeyed.

What this cannot do: someone who can write both the database and the head file may
delete the newest events from both consistently. Put the head file on storage the app
can only append to (``chattr +a``, a WORM or log-shipping mount) to close that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

#: The ``scheme`` of events written with the keyed chain (legacy events have none).
KEYED_SCHEME = "hmac-sha256-v1"

#: The event that seals a store's legacy (unkeyed) events into the keyed chain.
SEAL_EVENT = "audit_keyed"

#: Environment variable holding the audit key (the default of ``[audit] key_env``).
AUDIT_KEY_ENV = "PLACESAFE_AUDIT_KEY"

#: A fixed, public key for the synthetic demo only: it proves nothing against anyone
#: who has read this file. Real deployments set their own key (see geo/core/config.py).
DEMO_AUDIT_KEY = b"placesafe-DEMO-ONLY-audit-key-synthetic-data-0000"

#: Suffix of the default head file, beside the store file.
HEAD_SUFFIX = ".audit-head"

_HEAD_VERSION = "v1"


@dataclass(frozen=True)
class AuditSettings:
    """Where the audit chain's key and head file come from.

    Attributes
    ----------
    key : bytes
        The HMAC key (at least 32 bytes), from the environment or a key file — never
        from the store.
    head_file : Path or None
        The append-only head file; None keeps no head (an in-memory store).
    demo_key : bool
        True when ``key`` is the public demo key (synthetic data only).
    """

    key: bytes
    head_file: Path | None
    demo_key: bool = False

    def __repr__(self) -> str:  # never print the key
        return f"AuditSettings(head_file={self.head_file!r}, demo_key={self.demo_key})"


def default_head_file(store_path: Path | str) -> Path | None:
    """The head file beside a store file (None for ``":memory:"``)."""
    if str(store_path) == ":memory:":
        return None
    return Path(str(store_path) + HEAD_SUFFIX)


def default_settings(store_path: Path | str) -> AuditSettings:
    """Settings for a store opened without configuration (tests, tools).

    The key is ``$PLACESAFE_AUDIT_KEY`` when set, else the public demo key; the head
    file sits beside the store. The app and the command line always pass the
    configured settings (:meth:`geo.core.config.Config.audit_settings`); an event written
    through these defaults onto a real store fails verification with the real key.
    """
    env = os.environ.get(AUDIT_KEY_ENV)
    if env:
        return AuditSettings(env.encode(), default_head_file(store_path))
    return AuditSettings(DEMO_AUDIT_KEY, default_head_file(store_path), demo_key=True)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return str(value)


def legacy_hash(prev_hash: str, *fields: object) -> str:
    """The old, unkeyed chain: SHA-256 over the previous hash and the fields.

    Kept only to verify events written before the chain was keyed.
    """
    parts = [prev_hash, *(_text(f) or "" for f in fields)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def event_mac(key: bytes, prev_mac: str, event_id: int, fields: Sequence[object]) -> str:
    """HMAC-SHA256 of one event.

    Parameters
    ----------
    key : bytes
        The audit key.
    prev_mac : str
        The previous event's MAC (or, for the seal, the last legacy hash; "" first).
    event_id : int
        The event's id (under the MAC, so an event cannot be moved).
    fields : sequence
        ``logged_at, who, role, event, page, detail, purpose`` as stored.

    Returns
    -------
    str
        Hex digest.
    """
    message = json.dumps(
        [KEYED_SCHEME, int(event_id), prev_mac, *(_text(f) for f in fields)],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


def _line_mac(key: bytes, event_id: int, count: int, mac: str) -> str:
    message = f"head\t{_HEAD_VERSION}\t{event_id}\t{count}\t{mac}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_line(key: bytes, event_id: int, count: int, mac: str) -> str:
    """One head-file line: version, event id, event count, MAC and the line's own MAC."""
    line_mac = _line_mac(key, event_id, count, mac)
    return f"{_HEAD_VERSION}\t{event_id}\t{count}\t{mac}\t{line_mac}\n"


def append_head(path: Path, line: str) -> None:
    """Append one line to the head file and flush it to disk (``O_APPEND``, ``fsync``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        data = line.encode("ascii")
        written = os.write(fd, data)
        if written != len(data):
            raise OSError("short write to the audit head file")
        os.fsync(fd)
    finally:
        os.close(fd)


def last_head_event(path: Path | None) -> int | None:
    """The event id on the head file's last line (read from its end), or None.

    The writer numbers the next event after the larger of this and the database's
    newest id, so events deleted from the end of the database leave a visible gap
    instead of being renumbered over.
    """
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 4096))
            tail = f.read().decode("ascii", errors="replace")
    except OSError:
        return None
    lines = [line for line in tail.split("\n") if line]
    if not lines:
        return None
    parts = lines[-1].split("\t")
    try:
        return int(parts[1]) if len(parts) == 5 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class HeadEntry:
    """One parsed head-file line."""

    event_id: int
    count: int
    mac: str


@dataclass(frozen=True)
class AuditEventRow:
    """One audit event as stored, for verification."""

    event_id: int
    scheme: str | None
    fields: tuple[object, ...]  # logged_at, who, role, event, page, detail, purpose
    prev_hash: str | None
    row_hash: str | None

    @property
    def event(self) -> str:
        """The event name."""
        return str(self.fields[3])


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of :func:`verify_chain`.

    Attributes
    ----------
    ok : bool
        True when every check passed.
    first_bad_event : int or None
        The first event found missing, altered or out of place (None when the
        problem is not one event, e.g. a missing head file).
    reason : str or None
        What is wrong, in plain words (None when ok).
    events : int
        Events in the database.
    legacy_events : int
        Events written before the chain was keyed (unkeyed SHA-256).
    keyed_events : int
        Events under the keyed MAC.
    head_checked : bool
        Whether a head file was compared (False for a store without one).
    demo_key : bool
        Whether the key is the public demo key.
    """

    ok: bool
    first_bad_event: int | None = None
    reason: str | None = None
    events: int = 0
    legacy_events: int = 0
    keyed_events: int = 0
    head_checked: bool = False
    demo_key: bool = False

    def summary(self) -> str:
        """One paragraph for the Audit log page."""
        if not self.ok:
            where = f" (at event {self.first_bad_event})" if self.first_bad_event else ""
            return f"The audit log failed verification{where}: {self.reason}"
        parts = [f"All {self.events} events verify: none has been changed, removed or reordered."]
        if self.legacy_events:
            parts.append(
                f"The first {self.legacy_events} were written before the log was keyed: "
                "they are checked with the old unkeyed hash (where they have one) and sealed "
                "under the key since then, but a change made to them before that cannot be "
                "detected."
            )
        if self.head_checked:
            parts.append("The chain head agrees with the head file kept outside the database.")
        else:
            parts.append("No head file is kept for this store, so deleting the newest "
                         "events would not be detected.")  # fmt: skip
        if self.demo_key:
            parts.append("The key is the public demo key: this proves nothing on real data.")
        return " ".join(parts)


def read_head(path: Path, key: bytes) -> list[HeadEntry] | tuple[int, str]:
    """Parse and authenticate a head file.

    Returns
    -------
    list of HeadEntry, or (line number, reason)
        The entries, or where and why the file is not a genuine head file.
    """
    entries: list[HeadEntry] = []
    lines = path.read_bytes().decode("ascii", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        parts = line.split("\t")
        if len(parts) != 5 or parts[0] != _HEAD_VERSION:
            return number, "is not a head-file line"
        try:
            event_id, count = int(parts[1]), int(parts[2])
        except ValueError:
            return number, "is not a head-file line"
        if not hmac.compare_digest(parts[4], _line_mac(key, event_id, count, parts[3])):
            return number, "was not written with the audit key (edited, forged or replaced)"
        entries.append(HeadEntry(event_id, count, parts[3]))
    return entries


_UNSEALED = (
    "the events were written before the log was keyed and have not been sealed yet "
    "(open the store with the app or the command line to seal them)"
)
_REWRITTEN_LEGACY = (
    "this event was written without the key after the log became keyed: it was "
    "rewritten with the old hash function"
)
_LEGACY_BROKEN = (
    "a legacy (unkeyed) event does not match its hash: it was changed, or an event "
    "before it was removed"
)
_SEAL_BROKEN = (
    "the first keyed event does not seal the legacy events before it: legacy events "
    "were removed or added"
)
_MAC_BROKEN = (
    "this event does not match its MAC: it was changed, moved, written without the "
    "audit key, or an event before it was removed"
)


def _walk(
    rows: Sequence[AuditEventRow], key: bytes
) -> tuple[dict[int, tuple[int, str]], tuple[int, str] | None]:
    """Check the chain link by link.

    Returns
    -------
    (positions, problem)
        For each keyed event its position (events up to and including it) and MAC;
        and the first broken event with the reason, or None.
    """
    prev = ""
    prev_id: int | None = None
    legacy_seen = 0
    positions: dict[int, tuple[int, str]] = {}
    for n, row in enumerate(rows, start=1):
        eid = row.event_id
        if row.scheme is None:
            if positions:
                return positions, (eid, _REWRITTEN_LEGACY)
            unchained = row.prev_hash is None and row.row_hash is None and prev == ""
            if not unchained and (
                row.prev_hash != prev or row.row_hash != legacy_hash(prev, *row.fields)
            ):
                return positions, (eid, _LEGACY_BROKEN)
            legacy_seen += 1
        elif row.scheme == KEYED_SCHEME:
            if positions and prev_id is not None and eid != prev_id + 1:
                span = (
                    f"event {eid - 1} is"
                    if eid - 1 == prev_id + 1
                    else (f"events {prev_id + 1} to {eid - 1} are")
                )
                gap = f"{span} missing (a gap in the event numbers): deleted from the database"
                return positions, (prev_id + 1, gap)
            if not positions and legacy_seen and not _seal_matches(row, rows[:legacy_seen]):
                return positions, (eid, _SEAL_BROKEN)
            mac = event_mac(key, prev, eid, row.fields)
            if row.prev_hash != prev or not hmac.compare_digest(str(row.row_hash or ""), mac):
                return positions, (eid, _MAC_BROKEN)
            positions[eid] = (n, mac)
        else:
            return positions, (eid, f"unknown chain scheme {row.scheme!r}")
        prev = str(row.row_hash or "")
        prev_id = eid
    return positions, None


def _compare_head(
    entries: Sequence[HeadEntry], positions: Mapping[int, tuple[int, str]]
) -> tuple[int | None, str] | None:
    """The first disagreement between the head file and the keyed events, or None."""
    keyed_ids = list(positions)
    newest = keyed_ids[-1] if keyed_ids else 0
    previous: int | None = None
    for entry in entries:
        eid = entry.event_id
        if previous is not None and eid != previous + 1:
            return None, f"the head file skips or repeats events near event {eid}: it was edited"
        previous = eid
        stored = positions.get(eid)
        if stored is None:
            which = "the newest events were deleted" if eid > newest else "it was deleted"
            return eid, (
                f"the head file records event {eid}, which the database does not have: {which}"
            )
        count, mac = stored
        if mac != entry.mac:
            return eid, (
                "this event differs from the one the head file recorded: the log or the "
                "head file was replaced"
            )
        if count != entry.count:
            return eid, (
                f"the head file counted {entry.count} events up to here, the database has "
                f"{count}: events were removed or inserted"
            )
    recorded = {e.event_id for e in entries}
    missing = [eid for eid in keyed_ids if eid not in recorded]
    if missing:
        return missing[0], (
            f"events {missing[0]} to {missing[-1]} are not in the head file: the head file is "
            "behind (truncated, or replaced by an older copy), or events were added without "
            "the app"
        )
    return None


def verify_chain(
    rows: Sequence[AuditEventRow], key: bytes, head_file: Path | None, demo_key: bool = False
) -> ChainCheck:
    """Verify the audit events (in ``event_id`` order) against the key and the head file.

    Parameters
    ----------
    rows : sequence of AuditEventRow
        Every event in the database, ordered by ``event_id``.
    key : bytes
        The audit key.
    head_file : Path or None
        The head file, or None when the store keeps none.
    demo_key : bool
        Passed through to the result.

    Returns
    -------
    ChainCheck
        ``ok``, or the first problem found.
    """
    legacy = sum(1 for r in rows if r.scheme is None)
    result = ChainCheck(
        True,
        events=len(rows),
        legacy_events=legacy,
        keyed_events=len(rows) - legacy,
        head_checked=head_file is not None,
        demo_key=demo_key,
    )

    def bad(event_id: int | None, reason: str) -> ChainCheck:
        return replace(result, ok=False, first_bad_event=event_id, reason=reason)

    positions, problem = _walk(rows, key)
    if problem is not None:
        return bad(*problem)
    if legacy and not positions:
        return bad(None, _UNSEALED)
    if head_file is None:
        return result
    if not head_file.exists():
        if not rows:
            return result
        return bad(None, f"the head file {head_file.name} is missing: it was deleted or moved")
    entries = read_head(head_file, key)
    if isinstance(entries, tuple):
        return bad(None, f"line {entries[0]} of the head file {entries[1]}")
    if not entries and positions:
        return bad(None, "the head file is empty but the database has keyed events: it was "
                   "truncated or replaced")  # fmt: skip
    mismatch = _compare_head(entries, positions)
    if mismatch is not None:
        return bad(*mismatch)
    return result


def legacy_digest(rows: Sequence[AuditEventRow]) -> str:
    """SHA-256 over every legacy event as stored (ids, fields and old hashes).

    The seal records it under the key, so no legacy event can change after sealing —
    not even one written before the old chain existed (no hash at all).
    """
    digest = hashlib.sha256()
    for row in rows:
        record = [row.event_id, *(_text(f) for f in row.fields), row.prev_hash, row.row_hash]
        digest.update(json.dumps(record, ensure_ascii=True).encode("ascii") + b"\n")
    return digest.hexdigest()


def seal_detail(rows: Sequence[AuditEventRow]) -> dict[str, object]:
    """The detail of the event that seals ``rows`` (the legacy events) into the keyed chain."""
    return {
        "legacy_events": len(rows),
        "legacy_last_event": rows[-1].event_id if rows else None,
        "legacy_last_hash": str(rows[-1].row_hash or "") if rows else "",
        "legacy_digest": legacy_digest(rows),
    }


def _seal_matches(row: AuditEventRow, legacy: Sequence[AuditEventRow]) -> bool:
    """Whether a seal event records exactly the legacy events in front of it."""
    if row.event != SEAL_EVENT:
        return False
    try:
        detail = json.loads(str(row.fields[5]))
    except ValueError:
        return False
    return isinstance(detail, dict) and detail == seal_detail(legacy)
