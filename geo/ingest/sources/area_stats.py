"""Area statistics keyed by ONS codes: IMD, population denominators, census tables.

Two layouts are recognised:

* **wide** — one row per area: an ONS code column (``LSOA code (2011)``,
  ``lsoa11_code``, ``LSOA21CD`` ...) and numeric columns, each becoming a measure
  named after its column (IMD ranks and deciles, population by single year of age);
* **long** — one row per area and category: the code column, one text category
  column (``ethnic_group``) and one numeric value column (``n``, ``value`` or
  ``count``); the measure is the category.

Rows are stored in ``area_stats`` as (area_code, measure, value). A later file
with the same (area_code, measure) supersedes the earlier value. Like every tabular
feed, a header that names a person refuses the file
(:func:`geo.ingest.personal_data.refuse_personal_data_columns`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geo.core.errors import FileRefusedError
from geo.ingest.personal_data import refuse_personal_data_columns
from geo.ingest.readers import RowIssues
from geo.ingest.sources.base import Adapter, Parsed, SourceFile
from geo.ingest.validate import parse_numbers

_CODE_VALUE = re.compile(r"^[EWSN]\d{8}$")
#: The rule for area rows outside the study area (as for located records).
AREA_CODE_OUTSIDE = "area outside the study area"
_VALUE_NAMES = ("n", "value", "count", "observation")


def _code_column(frame: pd.DataFrame) -> str:
    for col in frame.columns:
        named_as_code = "code" in col.lower() or col.upper().endswith("CD")
        if named_as_code and frame[col].str.strip().str.match(_CODE_VALUE.pattern).mean() > 0.9:
            return str(col)
    raise FileRefusedError("no column of ONS area codes (for example 'LSOA code (2011)')")


#: Header of a local-authority code column ("Local Authority District code (2019)", LAD22CD).
_LAD_HEADER = re.compile(r"(local authority district code|^lad\d*cd$|^ltla\d*cd$)", re.I)
#: An ONS small-area name: the local authority's name and a 3-digit-and-letter suffix.
_SMALL_AREA_NAME = re.compile(r"^(?P<la>.+) \d{3}[A-Z]$")


def outside_study_area(
    frame: pd.DataFrame, code_col: str, area_codes: tuple[str, ...], area_names: tuple[str, ...]
) -> np.ndarray:
    """Rows of an area table that the file itself places outside the study area: a local
    authority code column naming another authority, or an LSOA/MSOA name ("Havering 001A")
    of another authority. Rows the file cannot place are not flagged."""
    out = np.zeros(len(frame), dtype=bool)
    for col in frame.columns:
        if col == code_col:
            continue
        values = frame[col].fillna("").str.strip()
        if area_codes and _LAD_HEADER.search(str(col)):
            out |= (values != "").to_numpy() & ~values.isin(area_codes).to_numpy()
        elif area_names and re.search(r"name|nm$", str(col), re.I):
            la = values.str.extract(_SMALL_AREA_NAME)["la"]
            if la.notna().mean() > 0.9:
                out |= la.notna().to_numpy() & ~la.isin(area_names).to_numpy()
    return out


def parse_area_stats(
    frame: pd.DataFrame,
    rows: np.ndarray,
    issues: RowIssues,
    allowed_headers: tuple[str, ...] = (),
    area_codes: tuple[str, ...] = (),
    area_names: tuple[str, ...] = (),
) -> Parsed:
    """Parse a wide or long table of area statistics (``allowed_headers``: extra
    headers that are not personal data). Rows the file places in another local
    authority than ``area_codes`` / ``area_names`` (the study area's features) are
    rejected as outside the study area, counted, never stored."""
    refuse_personal_data_columns([str(c) for c in frame.columns], allowed_headers)
    code_col = _code_column(frame)
    outside = outside_study_area(frame, code_col, area_codes, area_names)
    if outside.any():
        issues.add(rows[outside], code_col, AREA_CODE_OUTSIDE)
        frame, rows = frame.loc[~outside].reset_index(drop=True), rows[~outside]
        if frame.empty:
            raise FileRefusedError(
                f"none of the {int(outside.sum()):,} areas in this file lies in the study area "
                f"({', '.join(area_names) or ', '.join(area_codes)}); check that this file is "
                "for the study area"
            )
    codes = frame[code_col].str.strip()
    numeric = {c: parse_numbers(frame[c]) for c in frame.columns if c != code_col}
    numeric_cols = [
        c
        for c, v in numeric.items()
        if np.isfinite(v).mean() > 0.9 and not c.lower().endswith("code")
    ]
    value_cols = [c for c in numeric_cols if c.lower() in _VALUE_NAMES]
    text_cols = [
        c
        for c in frame.columns
        if c not in numeric_cols and c != code_col and not re.search(r"name|code|nm$", c, re.I)
    ]
    if value_cols and len(text_cols) == 1:
        value_col, category = value_cols[0], text_cols[0]
        out = pd.DataFrame(
            {
                "area_code": codes,
                "measure": frame[category].str.strip(),
                "value": numeric[value_col],
            }
        )
        row_numbers = rows
        layout = "long"
    else:
        if not numeric_cols:
            raise FileRefusedError("no numeric columns to store")
        out = pd.DataFrame(
            {
                "area_code": np.repeat(codes.to_numpy(), len(numeric_cols)),
                "measure": np.tile(np.array(numeric_cols, dtype=object), len(codes)),
                "value": np.column_stack([numeric[c] for c in numeric_cols]).ravel(),
            }
        )
        row_numbers = np.repeat(rows, len(numeric_cols))
        layout = "wide"
    bad_code = ~out["area_code"].str.match(_CODE_VALUE.pattern).to_numpy()
    bad_value = ~np.isfinite(out["value"].to_numpy(dtype=float))
    issues.add(np.unique(row_numbers[bad_code]), code_col, "not an ONS area code")
    issues.add(np.unique(row_numbers[bad_value & ~bad_code]), "*", "value is not a number")
    keep = ~(bad_code | bad_value)
    out = out.loc[keep].reset_index(drop=True)
    out.insert(0, "source", "area_stats")
    out.insert(1, "stat_id", out["area_code"] + "|" + out["measure"])
    parsed = Parsed(
        "area_stats", "area_stats", out, row_numbers[keep], locate="none", unit="values"
    )
    parsed.notes.append(f"{layout} layout, {out['measure'].nunique()} measures")
    return parsed


def _parse_file(f: SourceFile) -> Parsed:
    frame, rows = f.table()
    return parse_area_stats(
        frame, rows, f.issues, f.ctx.allowed_headers, f.area.feature_codes, f.area.feature_names
    )


#: The formats this module reads (found by :func:`geo.ingest.sources.adapter_for`).
ADAPTERS: tuple[Adapter, ...] = (Adapter(("area_stats",), _parse_file),)
