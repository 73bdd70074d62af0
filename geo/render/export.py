"""Exports exactly as displayed: CSV that is safe to open in a spreadsheet, and GeoJSON and
GeoPackage for GIS (map layers with their allow-listed properties only, tables about places
with their hexagons)."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.core import hexes
from geo.render.hexlayer import ALLOWED_PROPERTIES, HexLayer

#: Leading characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that start like a formula with an apostrophe.

    Numeric columns are left alone (a negative number is not a formula). Column names
    that start like a formula are neutralised the same way.
    """
    out = frame.copy()
    out.columns = [
        f"'{c}" if isinstance(c, str) and c.startswith(FORMULA_PREFIXES) else c for c in out.columns
    ]
    for i in range(out.shape[1]):  # by position: two columns may share a name
        column = out.iloc[:, i]
        if column.dtype.kind in "biufc":
            continue
        text = column.astype(object)
        as_str = text.where(text.isna(), text.astype(str))
        starts = as_str.astype("string").str.startswith(FORMULA_PREFIXES)
        risky = starts.fillna(False).to_numpy(dtype=bool)
        out.isetitem(i, np.where(risky, "'" + as_str.astype(str), as_str))
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads it as UTF-8) with formulas neutralised.

    Rows end in CRLF, so that any value holding a carriage return or a line feed is
    quoted: a spreadsheet would otherwise start a new row mid-value, and a formula
    there (``"a\r=1"``) would escape the check on the start of each value.
    """
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


# --- GIS exports: GeoJSON and GeoPackage ------------------------------------------------

#: Columns whose H3 cells locate a table's rows (the first one holding valid cells wins).
EXPORT_CELL_COLUMNS: tuple[str, ...] = ("cell", "Cell id", "area", "home_area")
#: Coordinates of exported geometries (the map's: WGS 84 longitude/latitude).
EXPORT_CRS = "EPSG:4326"


def export_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A shown table as it is exported: a meaningful index (named, or labels that are not
    plain row numbers, such as months or distance bands) becomes columns, column names
    become text, and cells holding lists, tuples, sets or dicts become text.

    Values are never recomputed: what the table shows is what is exported.
    """
    out = frame
    named = any(n is not None for n in out.index.names)
    if named or not pd.api.types.is_integer_dtype(out.index.dtype):
        names = [str(n) if n is not None else "index" for n in out.index.names]
        out = out.reset_index(names=names)
    out = out.copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        series = out[col]
        if series.dtype == object and series.map(_is_container).any():
            out[col] = series.map(lambda v: _container_text(v) if _is_container(v) else v)
    return out


def _is_container(value: object) -> bool:
    return isinstance(value, list | tuple | set | frozenset | dict | np.ndarray)


def _container_text(value: object) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    items = [str(v) for v in cast(Iterable[Any], value)]
    return "; ".join(sorted(items) if isinstance(value, set | frozenset) else items)


def safe_layer_name(name: str, *, default: str = "placesafe") -> str:
    """A GeoPackage table name: lower-case letters, digits and underscores, starting
    with a letter, at most 60 characters (safe in SQL and in every GIS)."""
    text = re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")
    if not text or not text[0].isalpha():
        text = f"{default}_{text}".strip("_")
    return text[:60].rstrip("_") or default


def _cell_geometries(values: pd.Series) -> npt.NDArray[np.object_] | None:
    """Hexagons for the valid H3 cells of a column (None for other values), or None when
    the column holds no valid cell at all."""
    text = values.astype(object).where(values.notna(), None)
    valid = np.array([isinstance(v, str) and hexes.is_valid_cell(v) for v in text], dtype=bool)
    if not valid.any():
        return None
    geoms = np.full(len(text), None, dtype=object)
    cells = hexes.str_to_cells([str(v) for v in text[valid]])
    # the map's coordinates: six decimals (about 0.1 m)
    geoms[valid] = [shapely.Polygon(ring) for ring in hexes.cell_rings(cells, decimals=6)]
    return geoms


def table_geometries(frame: pd.DataFrame) -> npt.NDArray[np.object_] | None:
    """Geometries locating a table's rows: points from ``latitude`` and ``longitude``
    columns, else hexagons from its first column of H3 cells (``cell``, ``area`` or
    ``home_area``); None for a table that is not about places."""
    if {"latitude", "longitude"} <= set(frame.columns):
        lat = pd.to_numeric(frame["latitude"], errors="coerce").round(6).to_numpy(dtype=float)
        lng = pd.to_numeric(frame["longitude"], errors="coerce").round(6).to_numpy(dtype=float)
        ok = np.isfinite(lat) & np.isfinite(lng)
        if ok.any():
            points = np.full(len(frame), None, dtype=object)
            points[ok] = shapely.points(lng[ok], lat[ok])
            return points
    for col in EXPORT_CELL_COLUMNS:
        if col in frame.columns:
            geoms = _cell_geometries(frame[col])
            if geoms is not None:
                return geoms
    return None


def layer_properties(layer: HexLayer) -> pd.DataFrame:
    """A map layer's features as a table of their allow-listed properties only (the map
    carries nothing else; ``geo.render.maps`` already controlled what is disclosed)."""
    keys = [k for k in ("cell", "value", "label", "band", "colour") if k in ALLOWED_PROPERTIES]
    rows = [{k: f.get("properties", {}).get(k) for k in keys} for f in layer.geojson["features"]]
    frame = pd.DataFrame(rows, columns=keys)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    frame["band"] = pd.to_numeric(frame["band"], errors="coerce").astype("Int64")
    return frame


def layer_to_geojson_bytes(layer: HexLayer) -> bytes:
    """A map layer as a GeoJSON FeatureCollection (UTF-8), exactly as drawn: the same
    geometries (coordinates to six decimals) and only the allow-listed properties."""
    features = []
    for feature in layer.geojson["features"]:
        props = feature.get("properties", {})
        features.append(
            {
                "type": "Feature",
                "geometry": feature.get("geometry"),
                "properties": {k: props[k] for k in sorted(props) if k in ALLOWED_PROPERTIES},
            }
        )
    collection = {"type": "FeatureCollection", "name": layer.name, "features": features}
    return json.dumps(collection, allow_nan=False, ensure_ascii=False).encode("utf-8")


def _geoframe(source: pd.DataFrame | HexLayer) -> Any:
    """A GeoDataFrame (EPSG:4326) of a layer's features or a table's rows; a table that
    is not about places gets no geometry column (it is written as an attribute table)."""
    import geopandas as gpd
    import shapely.geometry

    if isinstance(source, HexLayer):
        geoms = [
            shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None
            for f in source.geojson["features"]
        ]
        return gpd.GeoDataFrame(layer_properties(source), geometry=geoms, crs=EXPORT_CRS)
    frame = _gis_safe(export_table(source))
    located = table_geometries(frame)
    if located is None:
        return frame
    if "geometry" in frame.columns:
        frame = frame.rename(columns={"geometry": "geometry_text"})
    return gpd.GeoDataFrame(frame, geometry=list(located), crs=EXPORT_CRS)


def _gis_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Column types every GIS reads: text for anything that is not a number, a bool or a
    timestamp (periods, intervals, durations, categories, mixed objects)."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        kind = series.dtype.kind
        if kind in "biuf" or pd.api.types.is_datetime64_any_dtype(series.dtype):
            if isinstance(series.dtype, pd.DatetimeTZDtype):
                out[col] = series.dt.tz_convert("UTC").dt.tz_localize(None)
            continue
        if isinstance(series.dtype, pd.BooleanDtype | pd.Int64Dtype | pd.Float64Dtype):
            continue
        if pd.api.types.is_extension_array_dtype(series.dtype) and kind in "iuf":
            continue
        out[col] = series.astype(object).map(lambda v: None if _missing(v) else str(v))
    return out


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def to_geojson_bytes(source: pd.DataFrame | HexLayer) -> bytes:
    """A layer (see :func:`layer_to_geojson_bytes`) or a table about places as GeoJSON;
    each row of a table becomes a feature located by its H3 cell (null geometry when a
    row has none).

    Raises
    ------
    ValueError
        For a table without a column of H3 cells (export it as CSV or GeoPackage).
    """
    if isinstance(source, HexLayer):
        return layer_to_geojson_bytes(source)
    gdf = _geoframe(source)
    if not hasattr(gdf, "geometry"):
        raise ValueError("this table has no H3 cell column to locate its rows")
    return str(gdf.to_json(drop_id=True, na="null", to_wgs84=False)).encode("utf-8")


def has_geometry(source: pd.DataFrame | HexLayer) -> bool:
    """Whether a source can be exported as GeoJSON (a layer, or a table of places)."""
    if isinstance(source, HexLayer):
        return True
    return table_geometries(export_table(source)) is not None


def to_geopackage_bytes(source: pd.DataFrame | HexLayer, layer_name: str = "") -> bytes:
    """A layer or a table as a GeoPackage (one table named ``layer_name``, made safe).

    Layers keep their allow-listed properties; tables with an H3 ``cell`` (or ``area``)
    column get hexagon polygons in EPSG:4326; any other table is written as a plain
    attribute table. Written through pyogrio to a temporary file whose bytes are returned.
    """
    import pyogrio

    name = safe_layer_name(layer_name or (source.name if isinstance(source, HexLayer) else ""))
    data = _geoframe(source)
    with tempfile.TemporaryDirectory(prefix="placesafe-export-") as tmp:
        path = Path(tmp) / f"{name}.gpkg"
        if hasattr(data, "geometry"):
            data.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        else:
            pyogrio.write_dataframe(data, path, layer=name, driver="GPKG")
        return path.read_bytes()
