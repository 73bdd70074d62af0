"""The publishable dataset: the store as the partnership's analyses see it.

Records located at a sensitive premise (a children's home, a refuge) are removed from
everything the partnership sees *before any analysis runs*: every layer, every
resolution, every statistic and every total is computed from a store in which those
records do not exist. No cell is therefore ever withheld *because* it is sensitive, so
a grey cell never means "protected place here", and no page answers differently for a
premise's cell (DESIGN §4).

:class:`PublishedStore` is a read view of a :class:`geo.store.database.Store`: each cursor it
hands out shadows the located record tables (``incidents``, ``missing_episodes``,
``stop_search``, ``ed_assaults``) with temporary views that leave out records whose storage
cell lies within ``premise_radius_m`` of a premise. Every query any lens runs against it —
whatever its SQL — sees only publishable records. Analysts keep the exact store.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core import hexes
from geo.core.area import to_bng
from geo.core.config import Config
from geo.store.database import Store

#: Tables whose records carry a location (the storage cell ``cell``) and are removed
#: when located at a premise.
LOCATED_TABLES: tuple[str, ...] = (
    "incidents",
    "missing_episodes",
    "stop_search",
    "ed_assaults",
)


@functools.lru_cache(maxsize=8)
def _premise_points(path: Path | None, mtime: float) -> tuple[tuple[float, float], ...]:
    if path is None or not path.exists():
        return ()
    frame = pd.read_csv(path, dtype=str)
    if not {"latitude", "longitude"} <= set(frame.columns):
        raise ValueError("the sensitive-premises file needs latitude and longitude columns")
    lat = pd.to_numeric(frame["latitude"], errors="coerce")
    lng = pd.to_numeric(frame["longitude"], errors="coerce")
    ok = lat.notna() & lng.notna()
    return tuple(zip(lat[ok].to_numpy(dtype=float), lng[ok].to_numpy(dtype=float), strict=True))


def premise_points(config: Config) -> npt.NDArray[np.float64]:
    """The configured sensitive premises as ``(lat, lng)`` rows (EPSG:4326 degrees)."""
    path = config.disclosure.sensitive_premises
    mtime = path.stat().st_mtime if path is not None and path.exists() else 0.0
    points = _premise_points(path, mtime)
    return np.asarray(points, dtype=float).reshape(-1, 2)


def protected_cells(config: Config) -> npt.NDArray[np.uint64]:
    """Storage cells whose records are not published: every cell at the storage
    resolution whose centre lies within ``premise_radius_m`` plus one cell edge of a
    premise (so a record snapped to a neighbouring cell is still caught), and the
    premise's own cell.

    Returns
    -------
    ndarray of uint64
        Sorted, unique storage cells (empty without premises).
    """
    points = premise_points(config)
    if points.shape[0] == 0:
        return np.zeros(0, dtype=np.uint64)
    res = config.storage_resolution
    own = hexes.points_to_cells(points[:, 0], points[:, 1], res)
    edge = hexes.average_edge_length_m(res)
    reach = config.disclosure.premise_radius_m + edge
    # grid_disk(k) reaches at least k * 1.5 edges from the centre cell
    k = max(1, math.ceil(reach / (1.5 * edge)) + 1)
    origin, ring = hexes.grid_disk(own, k)
    lat, lng = hexes.cell_centres(ring)
    px, py = to_bng(points[origin, 1], points[origin, 0])
    rx, ry = to_bng(lng, lat)
    near = ring[np.hypot(rx - px, ry - py) <= reach]  # EPSG:27700 metres
    return np.unique(np.concatenate([own, near]).astype(np.uint64))


def _exclusion_sql(cells: npt.NDArray[np.uint64]) -> str:
    if cells.size == 0:
        return "TRUE"
    listed = ", ".join(str(int(c)) for c in cells)
    return f"cell IS NULL OR cell NOT IN ({listed})"


class PublishedStore(Store):
    """A read view of ``base`` without the records located at sensitive premises.

    Parameters
    ----------
    base : Store
        The exact store (its connection is shared, nothing is copied).
    excluded : ndarray of uint64
        Storage cells whose records are removed (:func:`protected_cells`).
    """

    def __init__(self, base: Store, excluded: npt.NDArray[np.uint64]) -> None:
        self.path = base.path
        self._con = base._con
        self._lock = base._lock
        self.base = base
        self.excluded = np.asarray(excluded, dtype=np.uint64)
        with base.cursor() as cur:
            database = str(cur.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
        where = _exclusion_sql(self.excluded)
        self._views = "; ".join(
            f'CREATE OR REPLACE TEMP VIEW {t} AS SELECT * FROM "{database}".main.{t} WHERE {where}'
            for t in LOCATED_TABLES
        )
        # one cursor per thread, its views made once (a cursor is a connection of its own;
        # a thread's cursor is closed when the thread ends and its storage is freed)
        self._local = threading.local()

    def close(self) -> None:
        """Closing a view leaves the base store open."""

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor whose located tables hold publishable records only (reused within a
        thread: every read method fetches its whole result before returning)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute(self._views)
            self._local.cursor = cur
        yield cur

    def data_version(self) -> str:
        """The base store's version and the protected cells' fingerprint."""
        digest = hashlib.sha256(self.excluded.tobytes()).hexdigest()[:12]
        return f"{self.base.data_version()}:p{digest}"


def publishable_store(store: Store, config: Config) -> PublishedStore:
    """The partnership's view of ``store`` (records at sensitive premises removed); one
    view per store and set of protected cells, so its cursors are reused."""
    cells = protected_cells(config)
    key = hashlib.sha256(cells.tobytes()).hexdigest()
    views: dict[str, PublishedStore] = store.__dict__.setdefault("_published_views", {})
    if key not in views:
        views[key] = PublishedStore(store, cells)
    return views[key]


def protected_record_counts(
    store: Store, config: Config, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, tuple[int, int]]:
    """How many records in ``[start, end)`` are left out of the publishable dataset.

    Returns
    -------
    dict
        Per located table with a time column: ``(count, record key sum)``, exact; the
        caller publishes it through :func:`geo.disclosure.publish_counts`.
    """
    cells = protected_cells(config)
    out: dict[str, tuple[int, int]] = {}
    if cells.size == 0:
        return {t: (0, 0) for t in ("incidents", "missing_episodes", "ed_assaults")}
    listed = ", ".join(str(int(c)) for c in cells)
    for table, column in (
        ("incidents", "occurred_at"),
        ("missing_episodes", "reported_at"),
        ("ed_assaults", "occurred_at"),
    ):
        row = store.query(
            f"SELECT count(*) AS n, coalesce(sum(record_key), 0) AS k FROM {table} "
            f"WHERE {column} >= ? AND {column} < ? AND cell IN ({listed})",
            [start, end],
        )
        out[table] = (int(row["n"].iloc[0]), int(row["k"].iloc[0]))
    return out
