"""Maps of large areas send what is in view, at most a screenful, strongest first."""

from __future__ import annotations

import numpy as np

from geo.core import hexes
from geo.render import hexlayer
from geo.render.viewport import (
    View,
    clip_to_view,
    feature_count,
    keep_strongest,
    view_from_event,
)


def _layer(name: str = "Incidents", show: bool = True) -> hexlayer.HexLayer:
    lat, lng = np.meshgrid(np.linspace(51.50, 51.56, 30), np.linspace(-0.10, 0.05, 30))
    cells = np.unique(hexes.points_to_cells(lat.ravel(), lng.ravel(), 9))
    values = (np.arange(len(cells)) % 7 + 1).astype(float)
    layer = hexlayer.count_layer(name, cells, values, [f"{v:.0f}" for v in values])
    return hexlayer.HexLayer(layer.name, layer.geojson, layer.legend, show=show)


def test_the_view_st_folium_reports_is_read_and_nonsense_refused() -> None:
    event = {"bounds": {"_southWest": {"lat": 51.5, "lng": -0.1},
                        "_northEast": {"lat": 51.6, "lng": 0.1}}, "zoom": 13}  # fmt: skip
    assert view_from_event(event) == View(51.5, -0.1, 51.6, 0.1, 13)
    assert view_from_event(None) is None
    assert view_from_event({"bounds": None, "zoom": 12}) is None
    inverted = {"bounds": {"_southWest": {"lat": 51.6, "lng": 0.1},
                           "_northEast": {"lat": 51.5, "lng": -0.1}}, "zoom": 13}  # fmt: skip
    assert view_from_event(inverted) is None


def test_clipping_keeps_the_hexagons_in_the_padded_view_only() -> None:
    layer = _layer()
    view = View(51.52, -0.06, 51.54, 0.00, 14)
    clipped = clip_to_view(layer, view, pad=0.0)
    assert 0 < feature_count([clipped]) < feature_count([layer])
    for f in clipped.geojson["features"]:
        lng, lat = f["geometry"]["coordinates"][0][0]
        assert view.south <= lat <= view.north and view.west <= lng <= view.east
    padded = clip_to_view(layer, view)
    assert feature_count([padded]) > feature_count([clipped])  # a small pan shows no gap
    assert clipped.legend == layer.legend and clipped.name == layer.name


def test_keep_strongest_keeps_the_top_classes_of_the_shown_layers_first() -> None:
    shown, hidden = _layer(), _layer("Missing", show=False)
    total = feature_count([shown, hidden])
    kept, left_out = keep_strongest([shown, hidden], limit=100)
    assert feature_count(kept) == 100 and left_out == total - 100
    assert feature_count([kept[1]]) == 0  # a layer switched off gives way first
    top = max(f["properties"]["band"] for f in shown.geojson["features"])
    assert {f["properties"]["band"] for f in kept[0].geojson["features"]} == {top}
    same, none_left = keep_strongest([shown], limit=10**6)
    assert same == [shown] and none_left == 0


def test_keep_strongest_copes_with_an_empty_layer() -> None:
    empty = hexlayer.count_layer("Empty", np.array([], np.uint64), np.array([]), [])
    kept, left_out = keep_strongest([empty, _layer()], limit=10)
    assert feature_count(kept) == 10 and left_out > 0


def test_a_view_covers_a_box_only_when_it_holds_all_of_it() -> None:
    view = View(51.4, -0.2, 51.6, 0.1, 11)
    assert view.covers(-0.15, 51.45, 0.05, 51.55)
    assert not view.covers(-0.25, 51.45, 0.05, 51.55)
    assert not view.covers(-0.15, 51.45, 0.05, 51.65)


def test_fitted_zoom_is_the_zoom_leaflet_fits_a_box_to_by_height() -> None:
    from geo.render.viewport import fitted_zoom

    # Greater London (about 0.4 degrees of latitude): 466 px tall at zoom 10, 932 at 11
    london = (-0.51, 51.29, 0.33, 51.69)
    assert fitted_zoom(*london, 560) == 10
    assert fitted_zoom(*london, 1000) == 11
    assert fitted_zoom(*london, 400) == 9
    # a borough a tenth of the height fits three zooms closer
    assert fitted_zoom(-0.2, 51.50, -0.1, 51.54, 560) == 13
