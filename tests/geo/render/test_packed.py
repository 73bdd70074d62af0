"""The packed map layers: what the browser decodes is what the layer holds, and nothing
else of the layer reaches the page."""

from __future__ import annotations

import json
import re

import h3
import numpy as np
import pytest
import shapely

from geo.core import hexes
from geo.core.escape import escape_text
from geo.render import hexlayer
from geo.render.maps import build_map
from geo.render.packed import pack_layer, packed_json, script_json, unpack_layer

HOSTILE = "</script><script>alert(1)</script>{{ 7*7 }}\u2028`${x}`"


def _layer(n: int = 50) -> hexlayer.HexLayer:
    cells = np.unique(
        hexes.points_to_cells(np.linspace(51.52, 51.55, n), np.linspace(0.0, 0.05, n), 10)
    )
    values = np.arange(len(cells), dtype=float)
    values[3] = np.nan
    labels = [f"{int(v)} incidents" if np.isfinite(v) else "withheld" for v in values]
    labels[1] = HOSTILE
    return hexlayer.count_layer("Incidents", cells, values, labels)


def test_decoded_hexagons_are_the_h3_boundaries_to_a_micro_degree() -> None:
    layer = _layer()
    decoded = unpack_layer(pack_layer(layer.geojson))
    assert len(decoded) == len(layer.geojson["features"])
    for feature, got in zip(layer.geojson["features"], decoded, strict=True):
        cell = feature["properties"]["cell"]
        want = np.asarray(h3.cell_to_boundary(cell))  # (lat, lng), open ring
        (ring,) = got["polygons"][0]
        assert np.abs(np.asarray(ring) - want).max() < 1.01e-6
        assert got["colour"] == feature["properties"]["colour"]
        assert got["label"] == feature["properties"]["label"]


def test_only_colours_labels_and_geometry_reach_the_browser() -> None:
    layer = _layer()
    packed = pack_layer(layer.geojson)
    assert set(packed) <= {"c", "l", "f", "g", "n", "p"}
    text = json.dumps(packed)
    for feature in layer.geojson["features"]:
        assert feature["properties"]["cell"] not in text  # no cell ids, values or bands
    assert len(packed["c"]) < len(layer.geojson["features"])  # shared, not per hexagon


def test_hostile_label_is_escaped_and_cannot_end_the_script() -> None:
    layer = _layer()
    assert escape_text(HOSTILE) in {f["properties"]["label"] for f in layer.geojson["features"]}
    html = build_map((51.53, 0.03), (0.0, 51.52, 0.05, 51.55), shapely.box(0, 51.52, 0.05, 51.55),
                     [layer]).get_root().render()  # fmt: skip
    assert "<script>alert" not in html
    assert "</script><script>" not in html
    assert "\u2028" not in html
    assert "{{ 7*7 }}" not in html and "49" not in re.findall(r"alert\((\d+)\)", html)


def test_script_json_escapes_markup_and_line_separators() -> None:
    text = script_json({"a": "</script>&'\u2028\u2029"})
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"a": "</script>&'\u2028\u2029"}


def test_multipolygons_and_holes_keep_their_structure() -> None:
    outer = shapely.Polygon([(0, 51), (0.1, 51), (0.1, 51.1), (0, 51.1)],
                            [[(0.02, 51.02), (0.05, 51.02), (0.05, 51.05)]])  # fmt: skip
    multi = shapely.MultiPolygon([shapely.box(0.2, 51, 0.3, 51.1), shapely.box(0.4, 51, 0.5, 51.2)])
    layer = hexlayer.polygon_layer("Clusters", [outer, multi], ["a", "b"], "#123456")
    decoded = unpack_layer(pack_layer(layer.geojson))
    assert [len(p) for p in decoded[0]["polygons"]] == [2]  # one polygon with a hole
    assert len(decoded[1]["polygons"]) == 2
    hole = decoded[0]["polygons"][0][1]
    assert sorted(hole) == [(51.02, 0.02), (51.02, 0.05), (51.05, 0.05)]


def test_an_empty_layer_packs_and_draws() -> None:
    packed = pack_layer({"type": "FeatureCollection", "features": []})
    assert unpack_layer(packed) == []


def test_the_packed_form_is_remembered_for_the_same_layer_object() -> None:
    layer = _layer()
    first = packed_json(layer.geojson)
    assert packed_json(layer.geojson) is first
    copy = json.loads(json.dumps(layer.geojson))
    assert packed_json(copy) == first  # another object: packed again, same result


def test_a_res_10_hexagon_costs_under_a_hundred_bytes() -> None:
    layer = _layer(400)
    n = len(layer.geojson["features"])
    assert len(packed_json(layer.geojson)) / n < 100
    assert len(json.dumps(layer.geojson)) / n > 300


@pytest.mark.parametrize("show", [True, False])
def test_a_layer_is_added_to_the_map_only_when_shown(show: bool) -> None:
    layer = hexlayer.HexLayer("Incidents", _layer().geojson, (), show=show)
    m = build_map(
        (51.53, 0.03), (0.0, 51.52, 0.05, 51.55), shapely.box(0, 51.52, 0.05, 51.55), [layer]
    )
    html = m.get_root().render()
    added = re.findall(r"group\.addTo\(map_\w+\)", html)
    assert (len(added) == 2) is show  # the study area, and the layer when shown
