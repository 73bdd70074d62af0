"""Public place lookups that let a feed be placed from words: postcode centroids and named
places.

* ``postcodes``: the ONS Postcode Directory (columns ``pcds``, ``lat``, ``long`` as
  published, any other columns ignored) or an OS Code-Point Open area file (no header row,
  Easting/Northing in British National Grid metres).
* ``gazetteer``: an OS Open Names extract (no header row as published, or a header naming
  ``NAME1``, ``LOCAL_TYPE``, ``GEOMETRY_X``, ``GEOMETRY_Y``). Settlements are left out:
  a town's name says too little about where something happened.

Both are open data about places, not people. Entries outside the study area are left out
(a national file is expected) and counted in the report; the rest are stored as cells, and
:mod:`geo.ingest.geocode` reads them back through
:func:`geo.ingest.gazetteer.postcodes_from_store` and
:func:`geo.ingest.gazetteer.gazetteer_from_store`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO

import numpy as np
import pandas as pd

from geo.core.errors import FileRefusedError
from geo.ingest.gazetteer import read_codepoint_open, read_onspd, read_open_names
from geo.ingest.sources.base import Adapter, Parsed, SourceFile, stable_row_ids

__all__ = ["ADAPTERS", "parse_gazetteer", "parse_postcodes"]


def _first_line(data: bytes) -> str:
    return data[:4096].decode("utf-8-sig", errors="replace").splitlines()[0] if data else ""


def _read_csv(
    file: SourceFile, reader: Callable[[IO[bytes]], pd.DataFrame], refusal: str
) -> pd.DataFrame:
    """The file read by one of :mod:`geo.ingest.gazetteer`'s readers; a spreadsheet or a
    file the reader cannot read refuses the file with ``refusal``."""
    if file.file_name.lower().endswith((".xlsx", ".xls")):
        raise FileRefusedError(f"{refusal} (these files are read as CSV)")
    try:
        return reader(io.BytesIO(file.data))
    except (ValueError, KeyError, pd.errors.ParserError) as exc:
        raise FileRefusedError(refusal) from exc


def _inside(file: SourceFile, frame: pd.DataFrame, what: str) -> tuple[pd.DataFrame, str]:
    """Keep the entries inside the study area; the note says how many were left out."""
    inside = file.area.contains(frame["lat"].to_numpy(float), frame["lng"].to_numpy(float))
    kept = frame.loc[inside].reset_index(drop=True)
    note = f"{len(kept):,} {what} in the study area; {int((~inside).sum()):,} outside it left out"
    return kept, note


def parse_postcodes(file: SourceFile) -> Parsed:
    """Postcode centroids from an ONSPD or Code-Point Open CSV, inside the study area."""
    header = [h.strip().strip('"').lower() for h in _first_line(file.data).split(",")]
    table = _read_csv(
        file,
        read_onspd if "pcds" in header else read_codepoint_open,
        "not a postcode table: expected the ONS Postcode Directory (columns pcds, lat, long) "
        "or an OS Code-Point Open file",
    )
    table, note = _inside(file, table, "postcodes")
    frame = pd.DataFrame(
        {"source": "postcodes", "postcode": table["postcode"], "lat": table["lat"],
         "lng": table["lng"]}
    )  # fmt: skip
    parsed = Parsed(
        "postcodes",
        "postcodes",
        frame,
        np.arange(2, len(frame) + 2, dtype=np.int64),
        coordinate_columns="centroid",
    )
    parsed.notes.append(note)
    return parsed


def parse_gazetteer(file: SourceFile) -> Parsed:
    """Named places from an OS Open Names CSV, inside the study area."""
    names = _read_csv(
        file,
        read_open_names,
        "not an OS Open Names file: expected its 34 published columns, or a header naming "
        "NAME1, LOCAL_TYPE, GEOMETRY_X and GEOMETRY_Y",
    )
    names, note = _inside(file, names, "named places")
    names = names.assign(name=names["name"].astype(str).str.strip())
    names = names.loc[names["name"] != ""].reset_index(drop=True)
    ids = stable_row_ids(
        names.assign(lat=names["lat"].astype(str), lng=names["lng"].astype(str)),
        ["name", "kind", "lat", "lng"],
        "on:",
        coordinates=("lat", "lng"),
    )
    frame = pd.DataFrame(
        {
            "source": "gazetteer",
            "name_id": ids.to_numpy(),
            "name": names["name"],
            "local_type": names["kind"].replace("", None),
            "lat": names["lat"],
            "lng": names["lng"],
        }
    )
    parsed = Parsed(
        "gazetteer_names",
        "gazetteer",
        frame,
        np.arange(2, len(frame) + 2, dtype=np.int64),
        coordinate_columns="GEOMETRY_X/GEOMETRY_Y",
    )
    parsed.notes.append(note)
    return parsed


#: The formats this module reads (found by :func:`geo.ingest.sources.adapter_for`).
ADAPTERS: tuple[Adapter, ...] = (
    Adapter(("postcodes",), parse_postcodes),
    Adapter(("gazetteer",), parse_gazetteer),
)
