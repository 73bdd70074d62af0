"""ONS / GLA boundary GeoJSON (LSOAs, MSOAs, wards, boroughs) as reference areas.

Each feature becomes one row of ``areas``: its code from the first ``*CD`` column,
its name from the matching ``*NM`` column, its kind from the code column's prefix
(``LSOA21CD`` -> ``lsoa21``) and its geometry as WKB in EPSG:4326. Only features
that touch the study area (plus buffer) are kept; the others are counted as
outside the study area.
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.area import WGS84, StudyArea
from geo.core.errors import FileRefusedError
from geo.ingest.readers import RowIssues
from geo.ingest.sources.base import Adapter, Parsed


def parse_boundary(data: bytes, issues: RowIssues, area: StudyArea) -> Parsed:
    """Parse boundary GeoJSON bytes into ``areas`` rows."""
    try:
        frame = gpd.read_file(io.BytesIO(data))
    except Exception:
        raise FileRefusedError("the file cannot be read as GeoJSON") from None
    if frame.empty:
        raise FileRefusedError("the GeoJSON has no features")
    frame = frame.set_crs(WGS84) if frame.crs is None else frame.to_crs(WGS84)
    code_cols = [c for c in frame.columns if str(c).upper().endswith("CD")]
    if not code_cols:
        raise FileRefusedError("the GeoJSON has no *CD code column")
    code_col = code_cols[0]
    name_col = code_col[:-2] + ("NM" if code_col.endswith("CD") else "nm")
    kind = code_col[:-2].lower()
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)
    geoms = frame.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])
    issues.add(rows[~polygonal], "geometry", "not a polygon")
    inside = polygonal & shapely.intersects(area.buffered, geoms)
    issues.add(rows[polygonal & ~inside], "geometry", "outside the study area")
    frame = frame.loc[inside]
    out = pd.DataFrame(
        {
            "source": f"boundary_{kind}",
            "area_code": frame[code_col].astype(str).to_numpy(),
            "name": frame[name_col].astype(str).to_numpy() if name_col in frame else None,
            "area_kind": kind,
            "geometry_wkb": shapely.to_wkb(shapely.make_valid(frame.geometry.to_numpy())),
        }
    )
    return Parsed("areas", f"boundary_{kind}", out, rows[inside], locate="none")


#: The formats this module reads (found by :func:`geo.ingest.sources.adapter_for`).
ADAPTERS: tuple[Adapter, ...] = (
    Adapter(("boundary",), lambda f: parse_boundary(f.data, f.issues, f.area)),
)
