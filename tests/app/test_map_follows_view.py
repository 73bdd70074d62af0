"""A map with more hexagons than one view can draw (a London-wide area at resolution 10)
is drawn coarser, says so, and follows the viewer in; a borough's map is unchanged.

The cap is lowered for the demo borough so that its resolution-10 Overview is past it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h3
import pytest
from streamlit.testing.v1 import AppTest

ENTRY = Path(__file__).with_name("app_entry.py")
KEY = "overview-map-10"
#: A small view around the demo borough's middle (zoom 15).
ZOOMED = {"_southWest": {"lat": 51.532, "lng": 0.025}, "_northEast": {"lat": 51.538, "lng": 0.037}}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("follow")
    build_demo(out, seed=0)
    return out / "placesafe.toml"


@pytest.fixture()
def drawn(demo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    import ui.context
    import ui.map

    monkeypatch.setenv("PLACESAFE_CONFIG", str(demo))
    monkeypatch.setattr(ui.map, "MAX_HEXAGONS", 800)
    calls: list[dict[str, Any]] = []
    build = ui.context.build_map

    def recording(centre: Any, bounds: Any, boundary: Any, layers: Any, *a: Any, **kw: Any) -> Any:
        calls.append({"layers": {x.name: x for x in layers}, "view": kw.get("view")})
        return build(centre, bounds, boundary, layers, *a, **kw)

    monkeypatch.setattr(ui.context, "build_map", recording)
    yield calls


def _cells(layer: Any) -> list[str]:
    return [f["properties"]["cell"] for f in layer.geojson["features"]]


def test_past_the_cap_the_map_is_drawn_coarser_then_follows_the_view_in(
    drawn: list[dict[str, Any]],
) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    at.query_params["res"] = "10"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    first = drawn[0]
    incidents = first["layers"]["Incidents"]
    assert first["view"] is None  # the whole area first
    (coarser,) = {h3.get_resolution(c) for c in _cells(incidents)}
    assert coarser < 10
    assert sum(len(x.geojson["features"]) for x in first["layers"].values()) <= 800
    notes = [c.value for c in at.caption if f"Drawn at resolution {coarser}" in c.value]
    assert notes and "Zoom in to see resolution 10" in notes[0]
    # the viewer zooms in: the map reports its view and the next run draws resolution 10 there
    drawn.clear()
    at.session_state[KEY] = {"bounds": ZOOMED, "zoom": 15, "last_object_clicked": None}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    zoomed = drawn[0]
    cells = _cells(zoomed["layers"]["Incidents"])
    assert cells and {h3.get_resolution(c) for c in cells} == {10}
    assert zoomed["view"] is not None and zoomed["view"].zoom == 15
    for cell in cells:  # inside the view, padded by a quarter on each side
        lat, lng = h3.cell_to_latlng(cell)
        assert 51.529 <= lat <= 51.541 and 0.019 <= lng <= 0.043  # (and a cell's reach)
    assert not [c.value for c in at.caption if "Drawn at resolution" in c.value]


def test_a_view_reported_at_the_fitted_zoom_draws_the_first_map_again(
    drawn: list[dict[str, Any]],
) -> None:
    """A map reports its view as it lays out, and the page settling around it can shift
    that view. At the zoom the area is fitted to, such a view is the first map again
    (whole, fitted, not clipped): drawing the map at it made the browser report another
    view, and the page reran without end (seen in Chromium on a London-wide area)."""
    from geo.render.viewport import fitted_zoom
    from ui import cache

    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    at.query_params["res"] = "10"
    at.run()
    first = drawn[0]
    bounds = cache.get_area(cache.get_config()).bounds
    zoom = fitted_zoom(*bounds, 560)
    west, south, east, north = bounds
    shift = (east - west) / 3  # a third of the area off the map's left edge
    shifted = {
        "_southWest": {"lat": south, "lng": west - shift},
        "_northEast": {"lat": north, "lng": east - shift},
    }
    drawn.clear()
    at.session_state[KEY] = {"bounds": shifted, "zoom": zoom, "last_object_clicked": None}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    again = drawn[0]
    assert again["view"] is None
    assert _cells(again["layers"]["Incidents"]) == _cells(first["layers"]["Incidents"])
    # one zoom closer, the map follows
    drawn.clear()
    at.session_state[KEY] = {"bounds": ZOOMED, "zoom": zoom + 1, "last_object_clicked": None}
    at.run()
    assert drawn[0]["view"] is not None


def test_under_the_cap_the_map_is_sent_whole_and_fitted_to_the_area(
    drawn: list[dict[str, Any]],
) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    at.query_params["res"] = "8"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    first = drawn[0]
    assert first["view"] is None
    assert {h3.get_resolution(c) for c in _cells(first["layers"]["Incidents"])} == {8}
    assert not [c.value for c in at.caption if "Drawn at resolution" in c.value]
