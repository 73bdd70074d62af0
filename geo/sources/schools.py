"""Schools from Get Information about Schools (GIAS) and its predecessor EduBase.

Three layouts are recognised by their headers:

* **GIAS current export** (``edubasealldata*.csv``): ``URN``, ``EstablishmentName``,
  ``TypeOfEstablishment (name)``, ``PhaseOfEducation (name)``,
  ``EstablishmentStatus (name)``, ``LA (code)``, ``Easting``, ``Northing``.
* **EduBase** (before 2017): ``URN``, ``Establishment name``, ``Type of establishment``,
  ``Phase of education``, ``Establishment status``, ``Local authority (code)``, ``X``, ``Y``.
* **School directory** (GIAS-derived lists without URNs): ``slug``, ``name``,
  ``phase``, ``latitude``, ``longitude``; the slug becomes the record id.

Easting/northing are British National Grid metres (EPSG:27700) converted with
pyproj. Columns the layout does not use (addresses, head teachers, telephone
numbers) are ignored and never stored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.area import from_bng
from geo.sources.base import AdapterContext, Parsed, reject
from geo.validate import FileRefusedError, RowIssues, parse_numbers

_LAYOUTS: dict[str, dict[str, str]] = {
    "gias": {
        "urn": "URN",
        "name": "EstablishmentName",
        "type": "TypeOfEstablishment (name)",
        "phase": "PhaseOfEducation (name)",
        "status": "EstablishmentStatus (name)",
        "la_code": "LA (code)",
        "x": "Easting",
        "y": "Northing",
    },
    "edubase": {
        "urn": "URN",
        "name": "Establishment name",
        "type": "Type of establishment",
        "phase": "Phase of education",
        "status": "Establishment status",
        "la_code": "Local authority (code)",
        "x": "X",
        "y": "Y",
    },
    "directory": {
        "slug": "slug",
        "name": "name",
        "phase": "phase",
        "lat": "latitude",
        "lng": "longitude",
    },
}

_PHASES = {
    "nursery": "nursery",
    "primary": "primary",
    "middle deemed primary": "middle",
    "middle deemed secondary": "middle",
    "secondary": "secondary",
    "all-through": "all_through",
    "all through": "all_through",
    "16 plus": "sixth_form",
    "sixth form": "sixth_form",
    "not applicable": "not_applicable",
}


def school_kind(type_names: pd.Series) -> pd.Series:
    """Canonical kind from GIAS/EduBase establishment type names (vectorised)."""
    t = type_names.fillna("").str.lower()
    kind = pd.Series("mainstream", index=t.index, dtype=object)
    kind[t.str.contains("academy|free school|studio school|university technical", regex=True)] = (
        "academy"
    )
    kind[t.str.contains("independent", regex=False)] = "independent"
    kind[t.str.contains("special", regex=False)] = "special"
    kind[t.str.contains("pupil referral|alternative provision", regex=True)] = (
        "alternative_provision"
    )
    return kind


def detect_layout(columns: list[str]) -> str:
    """Which school layout a header is, or refuse the file."""
    for name, cols in _LAYOUTS.items():
        if all(c in columns for c in cols.values()):
            return name
    raise FileRefusedError(
        "not a recognised schools file: expected GIAS (URN, EstablishmentName, ..., Easting, "
        "Northing), EduBase (URN, Establishment name, ..., X, Y) or a directory (slug, name, "
        "phase, latitude, longitude)"
    )


def parse_schools(
    frame: pd.DataFrame, rows: np.ndarray, issues: RowIssues, ctx: AdapterContext
) -> Parsed:
    """Parse a schools file in any supported layout."""
    layout = detect_layout(list(frame.columns))
    cols = _LAYOUTS[layout]
    unused = [c for c in frame.columns if c not in cols.values()]
    if unused:
        issues.warnings.append(f"{len(unused)} column(s) not used by PlaceSafe were ignored")

    def text(key: str) -> pd.Series:
        if key not in cols:
            return pd.Series([None] * len(frame), dtype=object)
        values = frame[cols[key]].str.strip()
        return values.astype(object).where(~values.isin(["", "NA"]), None)

    if layout == "directory":
        lat = parse_numbers(frame[cols["lat"]])
        lng = parse_numbers(frame[cols["lng"]])
        school_id = "slug:" + frame[cols["slug"]].str.strip()
        urn = pd.Series([None] * len(frame), dtype=object)
        kind = pd.Series("mainstream", index=frame.index, dtype=object)
    else:
        x = parse_numbers(frame[cols["x"]])
        y = parse_numbers(frame[cols["y"]])
        located = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
        lng = np.full(len(frame), np.nan)
        lat = np.full(len(frame), np.nan)
        if located.any():
            lng[located], lat[located] = from_bng(x[located], y[located])
        urn = text("urn")
        school_id = urn
        kind = school_kind(text("type"))
    phase = text("phase").str.lower().map(_PHASES).fillna("not_applicable")
    out = pd.DataFrame(
        {
            "source": f"schools_{layout}",
            "school_id": school_id,
            "urn": urn,
            "name": text("name"),
            "phase": phase,
            "kind": kind,
            "status": text("status").str.lower() if "status" in cols else "open",
            "la_code": text("la_code"),
            "lat": lat,
            "lng": lng,
        }
    )
    out, rows = reject(
        out,
        rows,
        out["school_id"].isna().to_numpy(),
        cols.get("urn", "slug"),
        "no school id",
        issues,
    )
    out, rows = reject(
        out, rows, out["name"].isna().to_numpy(), cols["name"], "no school name", issues
    )
    coordinates = (
        f"{cols['lat']}/{cols['lng']}" if layout == "directory" else f"{cols['x']}/{cols['y']}"
    )
    return Parsed(
        "schools", f"schools_{layout}", out, rows, locate="required", coordinate_columns=coordinates
    )
