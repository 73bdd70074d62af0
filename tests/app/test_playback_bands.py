"""Playback draws every step on the same legend bands (ui.playback)."""

from __future__ import annotations

import numpy as np

from geo.core import hexes
from geo.render import hexlayer
from ui import playback


def _frame(values: list[float]) -> tuple[hexlayer.HexLayer, ...]:
    lat = 51.53 + np.arange(len(values)) * 0.003
    cells = hexes.points_to_cells(lat, np.full(len(values), 0.02), 9)
    n = len(cells)
    incidents = hexlayer.count_layer("Incidents", cells, values[:n], ["x"] * n)
    missing = hexlayer.count_layer(
        "Missing", cells, values[:n], ["x"] * n, hexlayer.MISSING_PALETTE
    )
    youth = hexlayer.outline_layer("Youth-work coverage", cells, ["x"] * n, "#1b9e77")
    return incidents, missing, youth


def test_steps_with_different_counts_share_one_legend() -> None:
    march, may = _frame([1, 2, 2, 3, 4]), _frame([8, 20, 35, 50, 90])
    assert march[0].legend != may[0].legend  # each step on its own bands
    bands = playback.window_bands(
        [{i: playback.layer_values(f[i]) for i in (0, 1)} for f in (march, may)]
    )
    shown_march = playback.on_window_bands(march, bands)
    shown_may = playback.on_window_bands(may, bands)
    for i, _, _ in playback.FIXED_BAND_LAYERS:
        assert shown_march[i].legend == shown_may[i].legend
    assert shown_march[1].legend[0][0] == hexlayer.MISSING_PALETTE[0]
    assert shown_march[2] is march[2]  # the coverage outline is left as it is
    # the same count is the same colour in both months
    colour_march = {
        f["properties"]["value"]: f["properties"]["colour"]
        for f in shown_march[0].geojson["features"]
    }
    colour_may = {
        f["properties"]["value"]: f["properties"]["colour"]
        for f in shown_may[0].geojson["features"]
    }
    assert colour_march[4.0] != colour_may[90.0]
    assert all(colour_march[v] == hexlayer.COUNT_PALETTE[0] for v in (1.0, 2.0))


def test_layer_values_reads_withheld_as_nan() -> None:
    layer = _frame([3, np.nan, 7])[0]
    values = playback.layer_values(layer)
    assert np.isnan(values).sum() == 1
    assert sorted(values[np.isfinite(values)]) == [3.0, 7.0]
