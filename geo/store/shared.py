"""The store as several processes share it: immutable snapshots for readers, one writer
at a time, and an atomic pointer between them.

DuckDB lets one process hold a database file read-write, and then no other process may
open it at all. PlaceSafe serves a partnership with several app processes (``make
serve``), and the CLI loads files while the app runs, so the store is used like this:

* **The store file** (``config.store_path``) is opened read-write only to write: an
  ingest, a rollback, an audit event, a note. :meth:`SharedStore.writer` holds an
  exclusive ``flock`` on ``<store>.lock`` for that time, so writers in any process take
  turns (waiting up to :data:`LOCK_TIMEOUT_S`), and closes the file afterwards.
* **Snapshots** (``<store>.snapshots/<n>-<version>.duckdb``) are complete copies made
  after every write that changes the data or the assessment notes:
  written to a temporary name with DuckDB's ``COPY FROM DATABASE``, synced, renamed, and
  never changed again.
* **The pointer** (``<store>.snapshots/CURRENT``, JSON) names the current snapshot, the
  data version it holds and the store file's size and modification time when it was
  checked. It is replaced with ``os.replace`` once the snapshot is complete, so a reader
  finds the old snapshot or the new one, never half of one.
* **Readers** (each app process, the CLI's read-only commands) open the current
  snapshot read-only (:meth:`SharedStore.reader`): a stat and a small read per script
  run tell them when a new one is published, and they switch without a restart. A
  reader that still has an older snapshot open keeps reading it; old snapshots are
  removed after :data:`KEEP_SNAPSHOTS` newer ones (an open file stays readable on POSIX).

Audit events are the one write made on nearly every script run (each page view). An app
process hands them to :class:`AuditQueue`, whose thread writes whatever has queued up in
one turn of the writer's lock, in the order given; the process's other writes, and its
reads of the audit log, wait until its queue is written.

A store file changed by a process that does not take the lock (a tool holding a
:class:`~geo.store.database.Store`) is noticed by its size or time, and the next reader
publishes it. Swapping this module is the one change needed to keep snapshots as
Parquet on shared storage, or to move the store to PostgreSQL/PostGIS (see the README's
deployment notes).
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.core.audit import AuditSettings, default_settings
from geo.core.errors import AuditUnavailableError, StoreLockedError
from geo.store.database import Store

__all__ = [
    "AuditQueue",
    "flush_audit_queues",
    "KEEP_SNAPSHOTS",
    "SnapshotStore",
    "LOCK_TIMEOUT_S",
    "Pointer",
    "SharedStore",
    "lock_path",
    "snapshot_dir",
    "store_lock",
]

#: How long a writer waits for another one to finish (seconds).
LOCK_TIMEOUT_S = 120.0
#: Snapshots kept besides the current one.
KEEP_SNAPSHOTS = 3
POINTER = "CURRENT"


def snapshot_dir(store_path: Path | str) -> Path:
    """The folder of the store's snapshots and their pointer."""
    return Path(str(store_path) + ".snapshots")


def lock_path(store_path: Path | str) -> Path:
    """The lock file writers take turns on."""
    return Path(str(store_path) + ".lock")


@dataclass(frozen=True)
class Pointer:
    """What ``CURRENT`` says: the snapshot, its data version and the store file's
    ``(size, mtime_ns)`` when that version was last confirmed."""

    snapshot: str
    version: str
    stamp: tuple[int, int]


def _stamp(path: Path) -> tuple[int, int]:
    """The store file's size and modification time (its write-ahead log's too)."""
    size = mtime = 0
    for part in (path, Path(str(path) + ".wal")):
        try:
            st = part.stat()
        except FileNotFoundError:
            continue
        size += st.st_size
        mtime = max(mtime, st.st_mtime_ns)
    return (size, mtime)


def _published_version(store: Store) -> str:
    """What readers must see a new snapshot for: the data (batches loaded or rolled back)
    and the assessment notes. Audit events alone are not published (they are read from
    the store file)."""
    notes = store.scalar("SELECT coalesce(max(note_id), 0) FROM assessment_notes")
    return f"{store.data_version()}|notes:{notes}"


@contextmanager
def _flock(path: Path, exclusive: bool, timeout: float) -> Iterator[None]:
    """An inter-process lock on ``path`` (created if missing), waited for up to ``timeout``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreLockedError(
                        f"the store has been busy with another write for {timeout:.0f} s"
                    ) from None
                time.sleep(0.01)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def store_lock(store_path: Path | str, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """The writers' lock on the store at ``store_path``, for work that replaces the store
    file as a whole (building the demo)."""
    with _flock(lock_path(store_path), True, timeout):
        yield


_log = logging.getLogger(__name__)
#: Every audit queue of this process, written out at exit (:func:`flush_audit_queues`).
_QUEUES: weakref.WeakSet[AuditQueue] = weakref.WeakSet()


def flush_audit_queues() -> None:
    """Wait until every audit queue of this process is written (at exit; and before
    anything copies or opens the store file beside the app, as tests do)."""
    for queue in list(_QUEUES):
        queue.flush()


atexit.register(flush_audit_queues)


class AuditQueue:
    """A process's audit events, written by one thread in batches, in the order given.

    A page view costs the script run no write: the event joins the queue and the
    thread writes every event queued by then in one turn of the writer's lock (one open
    of the store file instead of one per event). An event's time is when it is written,
    a moment after it was queued. A batch that cannot be written (the lock busy for
    :data:`LOCK_TIMEOUT_S`, a full disk) is kept and tried again, and the failure is
    logged; events written before the failure are not written twice. While the last
    attempt has failed, :meth:`put` still queues the event but raises
    :class:`~geo.core.errors.AuditUnavailableError`, so that the app shows no data it
    cannot account for (as when each view was written before the page). The queue is
    written out when the process exits normally; a process killed outright loses what
    was still queued (events of its last moment).

    Parameters
    ----------
    shared : SharedStore
        The store the events are written to.
    retry_s : float
        Seconds between attempts at a batch that could not be written.
    """

    def __init__(self, shared: SharedStore, retry_s: float = 1.0) -> None:
        self._shared = shared
        self._retry_s = retry_s
        self._events: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self._failure: str | None = None  # why the last attempt failed (None: it did not)
        self._attempts = 0
        self._writing = False  # a turn of the writer's lock is under way (until it closes)
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        _QUEUES.add(self)

    def put(self, *args: Any, **kwargs: Any) -> None:
        """Queue one event (the arguments of :meth:`Store.audit`).

        Raises
        ------
        AuditUnavailableError
            When the last attempt to write the queue failed (the event is queued all the
            same, and written with the others once writing works again).
        """
        with self._cond:
            self._events.append((args, kwargs))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="placesafe-audit", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()
        self.check()

    def check(self) -> None:
        """Raise :class:`~geo.core.errors.AuditUnavailableError` while the last attempt to
        write the queue has failed."""
        with self._cond:
            failure, left = self._failure, len(self._events)
        if failure is not None and left:
            raise AuditUnavailableError(
                f"the audit log could not be written ({failure}); the events are kept and "
                "written as soon as it can be"
            )

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every event queued so far is written and the turn that wrote them
        has closed the store file (so that the file may be copied or opened beside it).

        Raises
        ------
        AuditUnavailableError
            When they could not be written on two tries since this call.
        StoreLockedError
            When they are not written within ``timeout`` seconds (default: the writer's
            lock timeout and a retry).
        """
        wait = self._shared.lock_timeout + self._retry_s if timeout is None else timeout
        with self._cond:
            tried = self._attempts
            # done, or still failing after two tries since this call (a failure that a
            # retry mends is waited for; a lasting one is reported within seconds)
            self._cond.wait_for(
                lambda: (
                    (not self._events and not self._writing)
                    or (self._failure is not None and self._attempts >= tried + 2)
                ),
                wait,
            )
            left, closing = len(self._events), self._writing
        if left:
            self.check()  # failing: say so
            raise StoreLockedError(f"audit events still waited to be written after {wait:.0f} s")
        if closing:
            raise StoreLockedError(
                f"the audit events were written but the store file was still being closed "
                f"after {wait:.0f} s"
            )

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._events))
                self._writing = True
            failure = None
            try:
                self._write()
            except Exception as exc:
                _log.exception("audit events could not be written yet; trying again")
                failure = type(exc).__name__
            with self._cond:
                self._writing = False
                self._failure = failure
                self._attempts += 1
                self._cond.notify_all()
            if failure is not None:
                time.sleep(self._retry_s)

    def _write(self) -> None:
        """Write the queue out in one turn of the writer's lock, taking events queued
        while the lock was awaited too; an event leaves the queue once it is written."""
        with self._shared.writer() as store:
            while True:
                with self._cond:
                    if not self._events:
                        return
                    args, kwargs = self._events[0]
                store.audit(*args, **kwargs)
                with self._cond:
                    del self._events[0]


class SharedStore:
    """One store shared by several processes (see the module notes).

    Parameters
    ----------
    path : Path or str
        The store file (``config.store_path``).
    audit : AuditSettings, optional
        The audit chain's key and head file.
    lock_timeout : float
        Seconds a writer waits for the lock.
    queue_audit : bool
        Whether the readers' audit events go through an :class:`AuditQueue` (the app)
        rather than being written before ``audit`` returns (the CLI, tools).
    """

    def __init__(
        self,
        path: Path | str,
        audit: AuditSettings | None = None,
        lock_timeout: float = LOCK_TIMEOUT_S,
        *,
        queue_audit: bool = False,
    ) -> None:
        self.path = Path(path)
        self.audit_settings = audit or default_settings(str(self.path))
        self.lock_timeout = lock_timeout
        self._local = threading.RLock()  # one writer per process at a time, then the flock
        self._reader: SnapshotStore | None = None
        self._reader_name = ""
        self._maintained = False  # tables checked and migrated on this process's first write
        self.audit_queue = AuditQueue(self) if queue_audit else None

    def flush_audit(self) -> None:
        """Wait until this process's queued audit events are written (if it queues them)."""
        if self.audit_queue is not None:
            self.audit_queue.flush()

    # --- the pointer ----------------------------------------------------------------------

    def pointer(self) -> Pointer | None:
        """The current pointer, or None before the first snapshot."""
        try:
            raw = json.loads((snapshot_dir(self.path) / POINTER).read_text(encoding="utf-8"))
            size, mtime = (int(v) for v in raw["stamp"])
            return Pointer(str(raw["snapshot"]), str(raw["version"]), (size, mtime))
        except (FileNotFoundError, KeyError, ValueError, TypeError):
            return None

    def _write_pointer(self, pointer: Pointer) -> None:
        folder = snapshot_dir(self.path)
        tmp = folder / f".{POINTER}.{os.getpid()}.tmp"
        tmp.write_text(
            json.dumps({"snapshot": pointer.snapshot, "version": pointer.version,
                        "stamp": list(pointer.stamp)}),
            encoding="utf-8",
        )  # fmt: skip
        os.replace(tmp, folder / POINTER)

    # --- writing --------------------------------------------------------------------------

    @contextmanager
    def writer(self, timeout: float | None = None) -> Iterator[Store]:
        """The store file opened read-write, for this process alone and no other writer.

        On leaving, a write that changed the data is published as a new snapshot before
        the lock is released (a failed write publishes nothing: the store rolled it back).
        ``timeout`` overrides how long to wait for the lock (0: do not wait).
        """
        wait = self.lock_timeout if timeout is None else timeout
        took = self._local.acquire(timeout=wait) if wait > 0 else self._local.acquire(False)
        if not took:
            raise StoreLockedError(f"the store has been busy with another write for {wait:.0f} s")
        try:
            with _flock(lock_path(self.path), True, wait):
                store = Store(self.path, audit=self.audit_settings, maintain=not self._maintained)
                self._maintained = True
                try:
                    yield store
                finally:
                    self._settle(store)
        finally:
            self._local.release()

    def _settle(self, store: Store) -> None:
        """After a write (lock held): publish when the data changed, then close the store
        and confirm the pointer for the store file's new size and time."""
        published = ""
        try:
            version = _published_version(store)
            current = self.pointer()
            if current is None or version != current.version:
                published = self._copy(store, current)
        finally:
            store.close()
        if published:
            self._write_pointer(Pointer(published, version, _stamp(self.path)))
            self._prune(published)
        elif current is not None:
            self._write_pointer(Pointer(current.snapshot, version, _stamp(self.path)))

    def _copy(self, store: Store, current: Pointer | None) -> str:
        """Copy ``store`` to the next snapshot file (lock held); returns its name."""
        folder = snapshot_dir(self.path)
        number = int(current.snapshot.split("-", 1)[0]) + 1 if current else 1
        digest = hashlib.sha256(_published_version(store).encode()).hexdigest()[:8]
        name = f"{number:06d}-{digest}.duckdb"
        store.copy_to(folder / name)
        return name

    def _prune(self, keep: str) -> None:
        """Remove all but the newest :data:`KEEP_SNAPSHOTS` snapshots besides ``keep``, and
        what a copy or pointer cut short by a crash left (lock held: no other writer is
        writing a temporary file now)."""
        for leftover in snapshot_dir(self.path).glob(".*.tmp*"):
            leftover.unlink(missing_ok=True)
        files = sorted(f for f in snapshot_dir(self.path).glob("*.duckdb") if f.name != keep)
        for f in files[: max(len(files) - KEEP_SNAPSHOTS, 0)]:
            f.unlink(missing_ok=True)
            Path(str(f) + ".wal").unlink(missing_ok=True)

    def publish(self, timeout: float | None = None) -> Path:
        """Publish the store file as it is now (e.g. after a demo build)."""
        with self.writer(timeout):
            pass
        pointer = self.pointer()
        assert pointer is not None
        return snapshot_dir(self.path) / pointer.snapshot

    # --- reading --------------------------------------------------------------------------

    def current_snapshot(self) -> Path:
        """The snapshot readers should use now, publishing one first when there is none
        or the store file has changed since the pointer was confirmed."""
        pointer = self.pointer()
        if pointer is not None and pointer.stamp == _stamp(self.path):
            path = snapshot_dir(self.path) / pointer.snapshot
            if path.is_file():
                return path
        try:
            # a writer busy now moves the pointer itself when it is done: do not queue
            # behind it (only a first snapshot is worth waiting for)
            return self.publish(timeout=None if pointer is None else 0)
        except StoreLockedError:
            if pointer is None:
                raise
            return snapshot_dir(self.path) / pointer.snapshot

    def reader(self) -> SnapshotStore:
        """The current snapshot, open read-only (the same object until a new one is
        published). Its writes go to :meth:`writer`."""
        path = self.current_snapshot()
        reader = self._reader
        if reader is None or path.name != self._reader_name:
            reader = SnapshotStore(path, self)
            self._reader, self._reader_name = reader, path.name
        return reader

    @contextmanager
    def live(self) -> Iterator[Store]:
        """The store file itself, read-only, while no writer has it (the audit log is
        written there and never published)."""
        with (
            self._local,
            _flock(lock_path(self.path), False, self.lock_timeout),
            Store(self.path, read_only=True, audit=self.audit_settings) as store,
        ):
            yield store

    def live_audit_log(self, limit: int) -> Any:
        """The newest audit events from the store file itself (not a snapshot)."""
        with self.live() as store:
            return store.audit_log(limit)

    def live_audit_check(self) -> Any:
        """:meth:`~geo.store.audit_log.AuditedConnection.verify_audit_chain` on the store file."""
        with self.live() as store:
            return store.verify_audit_chain()


class SnapshotStore(Store):
    """A snapshot opened read-only whose writes go to the shared store's writer.

    Pages and ``ui`` functions keep calling ``store.audit(...)``, ``store.rollback(...)``
    or ingest into it as before; reads see the snapshot, which a write that changes the
    data replaces (the app picks the new one up on its next run).
    """

    def __init__(self, path: Path, shared: SharedStore) -> None:
        super().__init__(path, read_only=True, audit=shared.audit_settings)
        self.shared = shared

    def check_audit(self) -> None:  # noqa: D102
        if self.shared.audit_queue is not None:
            self.shared.audit_queue.check()

    def audit(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        if self.shared.audit_queue is not None:
            self.shared.audit_queue.put(*args, **kwargs)
            return
        with self.shared.writer() as store:
            store.audit(*args, **kwargs)

    @contextmanager
    def _writer(self) -> Iterator[Store]:
        """The shared writer, after this process's queued audit events (so the log keeps
        the order things happened in)."""
        self.shared.flush_audit()
        with self.shared.writer() as store:
            yield store

    def write_batch(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        with self._writer() as store:
            return store.write_batch(*args, **kwargs)

    def record_failed_batch(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        with self._writer() as store:
            return store.record_failed_batch(*args, **kwargs)

    def rollback(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        with self._writer() as store:
            return store.rollback(*args, **kwargs)

    def add_note(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        with self._writer() as store:
            return store.add_note(*args, **kwargs)

    def audit_log(self, limit: int = 1000) -> Any:  # noqa: D102
        self.shared.flush_audit()
        return self.shared.live_audit_log(limit)

    def verify_audit_chain(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        self.shared.flush_audit()
        return self.shared.live_audit_check()
