"""A police.uk stop-and-search file read whole, for a force-wide audit without the store.

The store keeps only located searches inside the study area; a disproportionality
audit of a force's file (:func:`geo.lenses.stop_search.stop_search_counts` on a frame)
works on every row the police.uk adapter accepts instead, read here with the same
adapter (:func:`geo.ingest.sources.police_uk.parse_stop_search`) and the same table
reader as ingest, so the file is parsed exactly as a load would parse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.ingest.readers import RowIssues, read_table
from geo.ingest.sources.base import AdapterContext
from geo.ingest.sources.police_uk import parse_stop_search

__all__ = ["StopSearchFile", "read_stop_search_file"]


@dataclass(frozen=True)
class StopSearchFile:
    """A police.uk stop-and-search file parsed as the store would hold it.

    Attributes
    ----------
    frame : DataFrame
        Canonical ``stop_search`` columns, one row per accepted record, with or
        without coordinates and wherever they are (nothing is dropped for location).
    read : int
        Data rows in the file.
    rejected : dict of str to int
        Rows the adapter rejected, by rule (``read = len(frame) + sum(rejected)``).
    """

    frame: pd.DataFrame
    read: int
    rejected: dict[str, int]


def read_stop_search_file(path: Path, *, now: pd.Timestamp | None = None) -> StopSearchFile:
    """Parse a police.uk stop-and-search CSV with the ingest adapter, keeping every
    row it accepts (the store keeps only located rows inside the study area, so a
    force-wide audit of a file works on this frame instead)."""
    data = Path(path).read_bytes()
    issues = RowIssues()
    raw, rows = read_table(data, Path(path).name, issues)
    ctx = AdapterContext(now=now if now is not None else pd.Timestamp.now())
    parsed = parse_stop_search(raw, rows, issues, ctx)
    found = issues.frame()
    rejected = {str(k): int(v) for k, v in found["rule"].value_counts().items()}
    frame = parsed.frame.drop(columns=["lat", "lng"])
    return StopSearchFile(frame, len(frame) + len(found), rejected)
