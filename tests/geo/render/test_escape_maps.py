"""geo.core.escape and geo.render.maps: escaping, the allow-list, classes, legends, maps."""

from __future__ import annotations

import html as html_lib
import json
import re

import folium
import numpy as np
import pytest
import shapely

from geo.core import hexes
from geo.core.escape import escape_text
from geo.render import hexlayer, maps

HOSTILE = "St Mary's `${alert(1)}` <b>x</b>"
BOUNDARY = shapely.box(0.0, 51.52, 0.06, 51.55)
BOUNDS = (0.0, 51.52, 0.06, 51.55)
CENTRE = (51.535, 0.03)


# --- escape_text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("<script>alert(1)</script>", ["<script", "</script", "<", ">"]),
        ('say "hi"', ['"']),
        ("it's", ["'"]),
        ("a `tick`", ["`"]),
        ("${alert(1)}", ["${", "$", "{", "}"]),
        ("back\\slash", ["\\"]),
        ("{{ template }}", ["{", "}"]),
        ("`;${document.cookie}//", ["`", "${", "{", "}"]),
    ],
)
def test_escape_text_neutralises(raw: str, forbidden: list[str]) -> None:
    out = escape_text(raw)
    for token in forbidden:
        assert token not in out, (token, out)


def test_escape_text_round_trips_as_html() -> None:
    # the browser shows exactly what the partner wrote
    for raw in (HOSTILE, "a & b", "<script>x</script>", "\\n {x} $y `z`", "plain text"):
        assert html_lib.unescape(escape_text(raw)) == raw


def test_escape_text_exact() -> None:
    assert escape_text("${a}") == "&#36;&#123;a&#125;"
    assert escape_text("`") == "&#96;"
    assert escape_text("\\") == "&#92;"
    assert escape_text("<b>") == "&lt;b&gt;"
    assert escape_text("&") == "&amp;"
    assert escape_text("'\"") == "&#x27;&quot;"


def test_escape_text_none_and_non_str() -> None:
    assert escape_text(None) == ""
    assert escape_text(42) == "42"
    assert escape_text("plain") == "plain"


def test_escape_text_escapes_existing_entities() -> None:
    once = escape_text("&lt;")
    assert once == "&amp;lt;"


# --- classes --------------------------------------------------------------------------


def test_class_breaks_quantiles() -> None:
    breaks = hexlayer.class_breaks(np.arange(1, 11))
    assert breaks.tolist() == [3, 5, 7, 9, 10]


def test_class_breaks_merges_duplicates_and_ignores_nan() -> None:
    assert hexlayer.class_breaks([5, 5, 5, 5, 20]).tolist() == [5, 20]
    assert hexlayer.class_breaks([1.0, np.nan, 3.0]).tolist() == [3.0]
    assert hexlayer.class_breaks([np.nan, np.nan]).size == 0
    assert hexlayer.class_breaks([]).size == 0


def test_classify() -> None:
    breaks = np.array([3.0, 5.0, 7.0, 9.0, 10.0])
    values = [1, 3, 4, 5, 10, 11, np.nan, 0]
    assert hexlayer.classify(values, breaks).tolist() == [0, 0, 1, 1, 4, 4, -1, 0]


def test_classify_all_nan_and_empty_breaks() -> None:
    assert hexlayer.classify([np.nan, np.nan], np.array([])).tolist() == [-1, -1]
    assert hexlayer.classify([2.0], np.array([])).tolist() == [0]


# --- feature collections ----------------------------------------------------------------


def _cells(n: int = 10, res: int = 10) -> np.ndarray:
    lat = np.linspace(51.521, 51.549, n)
    lng = np.linspace(0.001, 0.059, n)
    cells = hexes.points_to_cells(lat, lng, res)
    assert len(set(cells.tolist())) == n
    return cells


def test_hex_feature_collection_allow_list_and_rounding() -> None:
    cells = _cells(4)
    fc = hexlayer.hex_feature_collection(
        cells,
        [1.0, np.nan, 3.0, 4.0],
        ["1 incident", "fewer than 6", HOSTILE, "<img src=x onerror=alert(1)>"],
        [0, -1, 1, 2],
        ["#111111", "#222222", "#333333", "#444444"],
    )
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == 4
    for feature, cell in zip(fc["features"], hexes.cells_to_str(cells), strict=True):
        props = feature["properties"]
        assert set(props) <= hexlayer.ALLOWED_PROPERTIES
        assert props["cell"] == cell
        ring = feature["geometry"]["coordinates"][0]
        assert feature["geometry"]["type"] == "Polygon"
        assert ring[0] == ring[-1]
        for x, y in ring:
            assert round(x, 6) == x and round(y, 6) == y
            assert 51 < y < 52 and -1 < x < 1  # lng/lat order
    props = [f["properties"] for f in fc["features"]]
    assert props[1]["value"] is None  # NaN is sent as null
    assert props[0]["value"] == 1.0
    assert props[2]["label"] == escape_text(HOSTILE)
    assert "<img" not in props[3]["label"]
    assert [p["band"] for p in props] == [0, -1, 1, 2]
    # JSON-serialisable, and no raw template syntax survives
    text = json.dumps(fc)
    assert "${" not in text and "`" not in text and "<b>" not in text


def test_hex_feature_collection_empty() -> None:
    fc = hexlayer.hex_feature_collection(np.empty(0, np.uint64), [], [], [], [])
    assert fc == {"type": "FeatureCollection", "features": []}


def test_allowed_properties_is_minimal() -> None:
    assert hexlayer.ALLOWED_PROPERTIES == frozenset({"cell", "value", "label", "band", "colour"})


# --- count and outline layers -----------------------------------------------------------


def test_count_layer_legend_and_colours() -> None:
    cells = _cells(10)
    layer = hexlayer.count_layer("Incidents", cells, np.arange(1, 11), [f"{i}" for i in range(10)])
    assert layer.name == "Incidents"
    assert layer.legend == (
        (hexlayer.COUNT_PALETTE[0], "1 to 3 incidents"),
        (hexlayer.COUNT_PALETTE[1], "4 to 5 incidents"),
        (hexlayer.COUNT_PALETTE[2], "6 to 7 incidents"),
        (hexlayer.COUNT_PALETTE[3], "8 to 9 incidents"),
        (hexlayer.COUNT_PALETTE[4], "10 incidents"),
    )
    colours = [f["properties"]["colour"] for f in layer.geojson["features"]]
    bands = [f["properties"]["band"] for f in layer.geojson["features"]]
    assert bands == [0, 0, 0, 1, 1, 2, 2, 3, 3, 4]
    assert colours == [hexlayer.COUNT_PALETTE[b] for b in bands]


def test_count_layer_withheld_entry() -> None:
    cells = _cells(4)
    layer = hexlayer.count_layer(
        "Missing",
        cells,
        [np.nan, 7.0, 7.0, 30.0],
        ["a", "b", "c", "d"],
        palette=hexlayer.MISSING_PALETTE,
        unit="episodes",
        withheld_text="withheld (small numbers)",
    )
    assert layer.legend == (
        (hexlayer.MISSING_PALETTE[0], "7 episodes"),
        (hexlayer.MISSING_PALETTE[1], "8 to 30 episodes"),
        (hexlayer.WITHHELD_COLOUR, "withheld (small numbers)"),
    )
    first = layer.geojson["features"][0]["properties"]
    assert first["colour"] == hexlayer.WITHHELD_COLOUR
    assert first["band"] == -1
    assert first["value"] is None


def test_count_layer_all_withheld_and_empty() -> None:
    cells = _cells(3)
    layer = hexlayer.count_layer("X", cells, [np.nan] * 3, ["a", "b", "c"])
    assert layer.legend == ((hexlayer.WITHHELD_COLOUR, "withheld"),)
    assert {f["properties"]["colour"] for f in layer.geojson["features"]} == {
        hexlayer.WITHHELD_COLOUR
    }
    empty = hexlayer.count_layer("X", np.empty(0, np.uint64), [], [])
    assert empty.legend == ()
    assert empty.geojson["features"] == []


def test_outline_layer() -> None:
    cells = _cells(3)
    layer = hexlayer.outline_layer("Youth-work coverage", cells, ["a", "b", HOSTILE], "#1b9e77")
    assert layer.outline_only
    assert layer.legend == (("#1b9e77", "Youth-work coverage"),)
    for f in layer.geojson["features"]:
        assert set(f["properties"]) <= hexlayer.ALLOWED_PROPERTIES
        assert f["properties"]["value"] is None
    assert "${" not in json.dumps(layer.geojson)


# --- build_map ------------------------------------------------------------------------


def _render(name: str, tiles: str = "none", label: str = "3 incidents") -> tuple[folium.Map, str]:
    cells = _cells(3, res=9)
    layer = hexlayer.count_layer("Incidents", cells, [3.0, np.nan, 9.0], [label, "withheld", "9"])
    outline = hexlayer.outline_layer("Youth-work coverage", cells[:1], ["1 session"], "#1b9e77")
    m = maps.build_map(
        CENTRE,
        BOUNDS,
        BOUNDARY,
        [layer, outline],
        schools=[(51.535, 0.03, name, True), (51.54, 0.02, "Plain School", False)],
        tiles=tiles,
    )
    return m, m.get_root().render()


def test_build_map_returns_folium_map() -> None:
    m, html = _render("Plain School")
    assert isinstance(m, folium.Map)
    assert html.count("<html") == 1


def test_build_map_escapes_hostile_school_name() -> None:
    _, benign = _render("Plain School")
    _, html = _render(HOSTILE, label=HOSTILE)
    assert "alert(1)" in html, "the name is shown (escaped), not dropped"
    assert "${alert" not in html
    assert "`${" not in html
    assert "<b>x</b>" not in html
    assert "St Mary's" not in html
    # escaped entities, written inside the GeoJSON data as JSON (& as \u0026)
    assert (
        "&#36;&#123;alert(1)&#125;" in html or "\\u0026#36;\\u0026#123;alert(1)\\u0026#125;" in html
    )
    # folium's own templates use ${...} a fixed number of times; data must add none
    assert html.count("${") == benign.count("${")
    assert html.count("`") == benign.count("`")


def test_build_map_prefers_canvas_and_has_layer_control() -> None:
    _, html = _render("Plain School")
    assert re.search(r'"preferCanvas":\s*true', html)
    assert "L.control.layers(" in html
    assert "Youth-work coverage" in html
    assert "Schools" in html
    assert "Alternative provision" in html  # legend entry when schools are shown


def test_build_map_no_tiles() -> None:
    _, html = _render("Plain School", tiles="none")
    assert "tile.openstreetmap" not in html
    assert "L.tileLayer(" not in html


def test_build_map_osm_tiles() -> None:
    _, html = _render("Plain School", tiles="OpenStreetMap")
    assert "tile.openstreetmap" in html
    assert "L.tileLayer(" in html


def test_build_map_custom_tiles() -> None:
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    _, html = _render("Plain School", tiles=url)
    assert "tiles.example.org" in html
    assert "tile.openstreetmap" not in html


def test_build_map_hidden_layer_not_in_legend() -> None:
    cells = _cells(2, res=9)
    shown = hexlayer.count_layer("Incidents", cells, [7.0, 8.0], ["7", "8"])
    hidden = hexlayer.count_layer("Missing layer", cells, [7.0, 8.0], ["7", "8"], show=False)
    m = maps.build_map(CENTRE, BOUNDS, BOUNDARY, [shown, hidden], tiles="none")
    html = m.get_root().render()
    legend = html[html.index("position:fixed") :]
    legend = legend[: legend.index("</div>")]
    assert "Incidents" in legend
    assert "Missing layer" not in legend
    assert "Alternative provision" not in legend  # no schools, no school legend


def test_the_scale_bar_is_metric_only() -> None:
    """km and m only: one scale control, with Leaflet's imperial (feet, miles) line off."""
    _, html = _render("Incidents")
    controls = [line.strip() for line in html.splitlines() if "L.control.scale(" in line]
    assert len(controls) == 1
    assert "imperial: false" in controls[0] and "metric: true" in controls[0]
