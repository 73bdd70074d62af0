"""Synthetic A&E assaults (the ``ed_assaults`` table) added to a test store directly.

The demo generator plants its own emergency-department (ISTV) extract (geo.demo.istv),
placed by postcode and place name. Tests that need A&E assaults following the police's
violent incidents, or at chosen cells (a sensitive premise's, say), write rows straight into
the store, as the ``istv`` adapter would have stored them (a store marked as the synthetic
demo refuses partner files): a share of the store's violent incidents is treated at A&E
(same storage cell, the assault a few minutes after the incident, so the A&E layer shares
the planted hot spots and near repeats), plus assaults at a private home and assaults that
could not be placed (counted, never given a cell), plus optionally a few at chosen storage
cells. One live ``istv`` batch holds them, so the store's data version changes; a store the
demo generator built is marked as its again (the app serves a demo store only as the
generator left it). :func:`remove_ed_assaults` takes every A&E assault out, for a store
that never loaded the feed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.schema import CELL_COLUMNS
from geo.store.database import Store

#: Incident categories of which a share is treated at A&E, with the likely means.
VIOLENT: dict[str, tuple[str, ...]] = {
    "knife_crime": ("knife_or_sharp",),
    "violence_with_injury": ("body_part", "bottle_or_glass", "blunt_object", "not_recorded"),
    "robbery": ("body_part", "other"),
    "weapons_possession": ("knife_or_sharp", "blunt_object"),
}


def add_ed_assaults(
    store_path: Path | str,
    *,
    share: float = 0.4,
    homes: int = 60,
    unplaced: int = 30,
    at_cells: tuple[tuple[str, int], ...] = (),
    seed: int = 0,
) -> pd.DataFrame:
    """Add synthetic A&E assaults to the store at ``store_path``; returns the rows added.

    Parameters
    ----------
    share : float
        Share of the violent incidents (:data:`VIOLENT`) that become A&E assaults.
    homes, unplaced : int
        Assaults at a private home, and assaults whose place was not found, spread over
        the incidents' months (no cell).
    at_cells : tuple of (str, int)
        ``(storage cell, n)``: n more assaults at that storage cell (H3 string).
    seed : int
        Seeds every draw.
    """
    rng = np.random.default_rng(seed)
    with Store(store_path) as store:
        incidents = store.query(
            "SELECT category, occurred_at, cell FROM incidents WHERE cell IS NOT NULL "
            "AND time_precision = 'minute' AND category IN "
            f"({', '.join(repr(c) for c in VIOLENT)}) ORDER BY occurred_at, incident_id"
        )
        treated = incidents.loc[rng.random(len(incidents)) < share].reset_index(drop=True)
        lo, hi = incidents["occurred_at"].min(), incidents["occurred_at"].max()
        placed_cells = treated["cell"].to_numpy(dtype=np.uint64)
        extra = [np.full(n, hexes.str_to_cells([c])[0], dtype=np.uint64) for c, n in at_cells]
        cells = np.concatenate([placed_cells, *extra]) if extra else placed_cells
        n_placed, n_rows = cells.size, cells.size + homes + unplaced
        when = pd.concat(
            [
                pd.to_datetime(treated["occurred_at"])
                + pd.to_timedelta(rng.integers(0, 30, len(treated)), unit="min"),
                pd.Series(lo + (hi - lo) * rng.random(n_rows - len(treated))).dt.floor("min"),
            ],
            ignore_index=True,
        )
        means = [str(rng.choice(VIOLENT[c])) for c in treated["category"]]
        others = n_rows - len(treated)
        means += [str(rng.choice(("body_part", "knife_or_sharp"))) for _ in range(others)]
        home = np.zeros(n_rows, dtype=bool)
        home[n_placed : n_placed + homes] = True
        located = np.arange(n_rows) < n_placed
        frame = pd.DataFrame(
            {
                "source": "ed_assaults",
                "attendance_id": [f"ED-T{seed}-{i:06d}" for i in range(n_rows)],
                "arrived_at": when + pd.Timedelta(minutes=45),
                "assaulted_at": when,
                "occurred_at": when,
                "time_basis": "assault",
                "means": means,
                "location_type": np.where(home, "home", "street"),
                "age_band": rng.choice(["14-17", "18-24", "25+"], n_rows),
                "sex": rng.choice(["female", "male"], n_rows),
                "ed_site": "RF4",
                "private_home": home,
                "locate_method": np.where(located, "coordinates", None),
                "unlocated_reason": np.where(~located & ~home, "no place found", None),
            }
        )
        for column in CELL_COLUMNS:
            values = cells if column == "cell" else hexes.cells_to_parent(cells, int(column[5:]))
            full = pd.array([pd.NA] * n_rows, dtype="UInt64")
            full[:n_placed] = values
            frame[column] = full
        now = datetime(2025, 1, 1, 9, 0)
        with store.cursor() as cur:
            next_id = cur.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()
            batch = int(next_id[0]) if next_id else 1
            cur.execute(
                "INSERT INTO batches (batch_id, kind, source, file_name, sha256, rows_read, "
                "rows_accepted, rows_rejected, rows_duplicate, who, created_at, status, "
                "status_changed_at) VALUES (?, 'istv', 'ed_assaults', 'istv.csv', ?, ?, ?, 0, 0, "
                "'test', ?, 'live', ?)",
                [batch, f"test-istv-{seed}-{batch}", n_rows, n_rows, now, now],
            )
            frame.insert(0, "batch_id", batch)
            cur.register("ed_rows", frame)
            columns = ", ".join(frame.columns)
            cur.execute(f"INSERT INTO ed_assaults ({columns}) SELECT {columns} FROM ed_rows")
            cur.unregister("ed_rows")
            cur.execute(
                "UPDATE ed_assaults SET record_key = CAST(hash(source, attendance_id) % 256 "
                "AS USMALLINT) WHERE record_key IS NULL"
            )
        marker = store.demo_marker()
        if marker is not None:  # the rows stand in for the demo's own ISTV feed
            store.mark_synthetic_demo(marker.seed, marker.null, marker.generator_version)
    return frame


def remove_ed_assaults(store_path: Path | str) -> None:
    """Take every A&E assault and its batches out of the store at ``store_path``: a store
    that never loaded an emergency department's feed (kept marked as the demo's)."""
    with Store(store_path) as store:
        with store.cursor() as cur:
            cur.execute("DELETE FROM ed_assaults")
            cur.execute("DELETE FROM batches WHERE kind = 'istv'")
        marker = store.demo_marker()
        if marker is not None:
            store.mark_synthetic_demo(marker.seed, marker.null, marker.generator_version)
