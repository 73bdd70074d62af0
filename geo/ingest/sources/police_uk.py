"""data.police.uk formats: street-level crime and stop and search.

Street-level crime
------------------
Header (exact, as published)::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,
    LSOA name,Crime type,Last outcome category,Context

* Month precision (``YYYY-MM``; stored as the first of the month).
* ``Crime type`` maps to the canonical vocabulary through
  :data:`geo.core.schema.POLICE_UK_CRIME_TYPES`; an unknown type rejects the row.
* Rows without coordinates are rejected as *unlocatable* and counted.
* Rows with a blank Crime ID (anti-social behaviour) may be identical in every
  column: several reports share one anonymous map point in a month. They are all
  kept, with a stable id from :func:`geo.ingest.sources.base.stable_row_ids` (content hash
  plus occurrence number), so re-ingesting the month adds nothing.
* **Policy for a Crime ID on several rows of one file** (the same crime published
  with different map points or outcomes): the first valid row in file order is
  kept and the others are counted as duplicates under the reason
  ``record id repeated in file (first row kept)``. The location of a crime is the
  one police.uk listed first; outcomes are not analysed by PlaceSafe.
* The free-text ``Location`` ("On or near ...") and LSOA names are not stored.

Stop and search
---------------
Header::

    Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,
    Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,
    Object of search,Outcome,Outcome linked to object of search,
    Removal of more than just outer clothing

``Date`` is ISO 8601 with a UTC offset; it is converted to UK local time. Records
have no id; a stable content id is derived as for anonymous street rows.

Both formats accept only these published columns plus the configured
``[ingest] ignore_columns``: any other column refuses the file (see
:func:`geo.ingest.sources.base.check_header`), so a column such as "Suspect name" added to
a police extract can never be ingested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.core.schema import POLICE_UK_CRIME_TYPES
from geo.ingest.readers import RowIssues
from geo.ingest.sources.base import (
    Adapter,
    AdapterContext,
    Parsed,
    check_header,
    reject,
    stable_row_ids,
)
from geo.ingest.validate import EARLIEST_DATE, parse_numbers

STREET_COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
STREET_REQUIRED = ["Crime ID", "Month", "Longitude", "Latitude", "Crime type"]

STOP_SEARCH_FILE_COLUMNS = [
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]
STOP_SEARCH_REQUIRED = ["Type", "Date", "Latitude", "Longitude"]

#: police.uk gender -> canonical sex.
_SEX = {"male": "male", "female": "female", "other": "other"}


def parse_street(
    frame: pd.DataFrame, rows: np.ndarray, issues: RowIssues, ctx: AdapterContext
) -> Parsed:
    """Parse a data.police.uk street-level crime file (see module docstring)."""
    check_header(
        list(frame.columns), STREET_REQUIRED, STREET_COLUMNS, issues, "police.uk street", ctx
    )
    for col in STREET_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    crime_id = frame["Crime ID"].str.strip()
    anon = crime_id == ""
    ids = crime_id.copy()
    if anon.any():
        content = [c for c in STREET_COLUMNS if c != "Crime ID"]
        ids[anon] = stable_row_ids(
            frame.loc[anon], content, "anon-", coordinates=("Latitude", "Longitude")
        ).to_numpy()

    month = pd.to_datetime(frame["Month"].str.strip(), format="%Y-%m", errors="coerce")
    category = frame["Crime type"].str.strip().map(POLICE_UK_CRIME_TYPES)
    out = pd.DataFrame(
        {
            "source": "police_uk_street",
            "incident_id": ids,
            "category": category,
            "occurred_at": month,
            "time_precision": "month",
            "age_band": None,
            "sex": None,
            "ethnicity": None,
            "weapon": None,
            "location_type": None,
            "outcome": frame["Last outcome category"].str.strip().replace("", None),
            # the public, anonymised map-point name: places are named after it
            "location_name": frame["Location"].str.strip().str.slice(0, 120).replace("", None),
            "lat": parse_numbers(frame["Latitude"]),
            "lng": parse_numbers(frame["Longitude"]),
        }
    )
    out, rows = reject(
        out,
        rows,
        out["occurred_at"].isna().to_numpy(),
        "Month",
        "not a valid month (YYYY-MM)",
        issues,
    )
    month_ok = out["occurred_at"]
    bad_time = ((month_ok > ctx.now) | (month_ok < EARLIEST_DATE)).to_numpy()
    out, rows = reject(out, rows, bad_time, "Month", "month in the future or before 2000", issues)
    out, rows = reject(
        out, rows, out["category"].isna().to_numpy(), "Crime type", "unknown crime type", issues
    )
    return Parsed("incidents", "police_uk_street", out, rows, locate="required")


def parse_stop_search(
    frame: pd.DataFrame, rows: np.ndarray, issues: RowIssues, ctx: AdapterContext
) -> Parsed:
    """Parse a data.police.uk stop-and-search file (see module docstring)."""
    check_header(
        list(frame.columns),
        STOP_SEARCH_REQUIRED,
        STOP_SEARCH_FILE_COLUMNS,
        issues,
        "police.uk stop and search",
        ctx,
    )
    for col in STOP_SEARCH_FILE_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    ids = stable_row_ids(
        frame, STOP_SEARCH_FILE_COLUMNS, "ss-", coordinates=("Latitude", "Longitude")
    )
    stamps = pd.to_datetime(frame["Date"].str.strip(), format="ISO8601", utc=True, errors="coerce")
    local = stamps.dt.tz_convert("Europe/London").dt.tz_localize(None)

    def flag(col: str) -> pd.Series:
        text = frame[col].str.strip().str.lower()
        return text.map({"true": True, "false": False})

    def blank_none(col: str) -> pd.Series:
        return frame[col].str.strip().replace("", None)

    out = pd.DataFrame(
        {
            "source": "police_uk_stop_search",
            "search_id": ids,
            "searched_at": local,
            "search_type": blank_none("Type"),
            "sex": frame["Gender"].str.strip().str.lower().map(_SEX),
            "age_range": blank_none("Age range"),
            "self_defined_ethnicity": blank_none("Self-defined ethnicity"),
            "officer_defined_ethnicity": blank_none("Officer-defined ethnicity"),
            "legislation": blank_none("Legislation"),
            "object_of_search": blank_none("Object of search"),
            "outcome": blank_none("Outcome"),
            "outcome_linked": flag("Outcome linked to object of search"),
            "removal_of_clothing": flag("Removal of more than just outer clothing"),
            "lat": parse_numbers(frame["Latitude"]),
            "lng": parse_numbers(frame["Longitude"]),
        }
    )
    out, rows = reject(
        out,
        rows,
        out["searched_at"].isna().to_numpy(),
        "Date",
        "not a valid ISO 8601 date-time",
        issues,
    )
    when = out["searched_at"]
    bad_time = ((when > ctx.now) | (when < EARLIEST_DATE)).to_numpy()
    out, rows = reject(out, rows, bad_time, "Date", "date in the future or before 2000", issues)
    return Parsed("stop_search", "police_uk_stop_search", out, rows, locate="required")


#: The formats this module reads (found by :func:`geo.ingest.sources.adapter_for`).
ADAPTERS: tuple[Adapter, ...] = (
    Adapter(("police_street",), lambda f: parse_street(*f.table(), f.issues, f.ctx)),
    Adapter(("stop_search",), lambda f: parse_stop_search(*f.table(), f.issues, f.ctx)),
)
