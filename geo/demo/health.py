"""Fictional health sites for the synthetic demo (the optional ``health_sites`` feed).

A deterministic handful of sites placed relative to the demo borough's outline: an
A&E and an urgent treatment centre *outside* the borough (as a borough's hospital
often is), two GP surgeries and a sexual-health clinic inside it. Written in the
shipped template's columns (``data/templates/health_sites.toml``), so the demo goes
through the same adapter, validation and store as a partner's file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.core.area import from_bng, to_bng

#: Columns of the shipped template (``data/templates/health_sites.csv``).
COLUMNS: Final = ("Site code", "Site name", "Type", "Latitude", "Longitude")

#: (code, name, type as a partner writes it, anchor, east m, north m). The anchor is
#: ``centre`` (the outline's centroid), ``east`` / ``west`` (the middle of the outline's
#: east / west edge of its bounding box): the offsets are from there. Names are
#: fictional and contain the apostrophes and ampersands real names have (escaped on
#: display).
_SITES: Final = (
    ("DEMOED1", "Demo General Hospital A&E (synthetic)", "A&E", "east", 1800.0, 300.0),
    ("DEMOUT1", "Riverside Urgent Treatment Centre (synthetic)", "other", "west", -900.0, -400.0),
    ("DEMOGP1", "St Mary's & St John's Surgery (synthetic)", "GP surgery", "centre", -1400.0,
     700.0),
    ("DEMOGP2", "Canal Side Health Centre (synthetic)", "gp", "centre", 1300.0, -600.0),
    ("DEMOSH1", "Demo Sexual Health Clinic (synthetic)", "sexual health", "centre", 250.0, 350.0),
)  # fmt: skip


def _bng(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, lambda xy: np.column_stack(to_bng(xy[:, 0], xy[:, 1])))


def demo_health_sites(boundary: BaseGeometry) -> pd.DataFrame:
    """The demo's health sites in the template's columns.

    Parameters
    ----------
    boundary : shapely geometry
        The demo borough outline (EPSG:4326, x = longitude).

    Returns
    -------
    DataFrame
        One row per site, coordinates rounded to 6 decimals. Deterministic.
    """
    poly = _bng(boundary)
    centre = poly.centroid
    minx, _, maxx, _ = poly.bounds
    anchors = {
        "centre": (centre.x, centre.y),
        "east": (maxx, centre.y),
        "west": (minx, centre.y),
    }
    x = np.array([anchors[a][0] + e for *_, a, e, _ in _SITES])
    y = np.array([anchors[a][1] + n for *_, a, _, n in _SITES])
    lng, lat = from_bng(x, y)
    return pd.DataFrame(
        {
            "Site code": [s[0] for s in _SITES],
            "Site name": [s[1] for s in _SITES],
            "Type": [s[2] for s in _SITES],
            "Latitude": np.round(lat, 6),
            "Longitude": np.round(lng, 6),
        },
        columns=list(COLUMNS),
    )


def write_demo_health_sites(path: Path, *, boundary: BaseGeometry | None = None) -> Path:
    """Write ``health_sites.csv`` for the demo.

    Parameters
    ----------
    path : Path
        The CSV to write.
    boundary : shapely geometry, optional
        The borough outline (EPSG:4326); default: the first feature of
        ``boundary.geojson`` beside ``path`` (written by the demo generator).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    if boundary is None:
        collection = json.loads((path.parent / "boundary.geojson").read_text(encoding="utf-8"))
        boundary = shape(collection["features"][0]["geometry"])
    path.parent.mkdir(parents=True, exist_ok=True)
    demo_health_sites(boundary).to_csv(path, index=False, lineterminator="\n")
    return path
