"""The planted children's home is not identifiable from the partnership Overview layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.disclosure import store_for
from geo.disclosure.counts import disclosed_counts
from geo.render import layers
from geo.store import queries as overview
from geo.store.database import Store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return build_demo(Path(tmp_path_factory.mktemp("demo")) / "out", seed=0)


@pytest.mark.parametrize("res", [7, 8])
def test_childrens_home_records_are_not_published(demo, res: int) -> None:
    """The home's records are removed before analysis: its cell is published like any
    other cell, from the records that are not at the home (never withheld *because* of
    the home, so a grey cell does not point at it)."""
    home11 = hexes.str_to_cells([demo.truth["childrens_home"]["cell_11"]])
    home = int(hexes.cells_to_parent(home11, res)[0])
    home_str = str(hexes.cells_to_str([home])[0])
    f = Filters("2024-01", "2024-12")
    with Store(demo.config.store_path) as store:
        exact = overview.missing_found_counts(store, res, f).set_index("cell")["count"]
        published = overview.missing_found_counts(
            store_for(store, "partnership", demo.config), res, f
        ).set_index("cell")["count"]
        levels = disclosed_counts(store, "missing", "partnership", res, f, demo.config)
        partner = layers.missing_layer_from(levels, res, demo.config)
    assert exact.loc[home] - published.get(home, 0) >= 20, "the home's episodes are left out"
    others = exact.index[exact.index != home]
    pd.testing.assert_series_equal(exact.loc[others], published.loc[others])
    drawn = {
        feat["properties"]["cell"]: feat["properties"] for feat in partner.geojson["features"]
    }
    if published.get(home, 0) == 0:
        assert home_str not in drawn  # nothing left there: drawn like any empty cell
    else:
        value = drawn[home_str]["value"]
        assert value is None or abs(value - published.loc[home]) <= 2
    labels = {str(p["label"]) for p in drawn.values()}
    assert not any("sensitive" in t or "home" in t or "protected" in t for t in labels)


def test_category_layers_draw_every_cell_for_partnership(demo) -> None:
    """A hot spot category on the home's cell is drawn like any other: the partnership's
    analyses run on the publishable dataset, so nothing is dropped afterwards."""
    home11 = hexes.str_to_cells([demo.truth["childrens_home"]["cell_11"]])
    home8 = str(hexes.cells_to_str(hexes.cells_to_parent(home11, 8))[0])
    far = hexes.str_to_cells([demo.truth["school_journey_hotspot"]["cell"]])
    other8 = str(hexes.cells_to_str(hexes.cells_to_parent(far, 8))[0])
    assert other8 != home8
    gi = pd.DataFrame({"z": [4.0, 3.1], "p": [0.0001, 0.002], "bin": [3, 3]}, index=[home8, other8])
    partner = layers.gi_layer(gi, "partnership", 8, demo.config)
    analyst = layers.gi_layer(gi, "analyst", 8, demo.config)
    assert {f["properties"]["cell"] for f in partner.geojson["features"]} == {home8, other8}
    assert {f["properties"]["cell"] for f in analyst.geojson["features"]} == {home8, other8}


def test_partnership_layers_never_carry_small_counts(demo) -> None:
    with Store(demo.config.store_path) as store:
        f = Filters("2024-01", "2024-12")
        for res in (7, 8):
            inc = layers.incident_layer(
                overview.incident_counts(store, res, f), "partnership", res, demo.config
            )
            mis = layers.missing_layer(
                overview.missing_found_counts(store, res, f), "partnership", res, demo.config
            )
            for layer in (inc, mis):
                values = np.array(
                    [
                        v
                        for v in (ft["properties"]["value"] for ft in layer.geojson["features"])
                        if v is not None
                    ]
                )
                assert not ((values >= 1) & (values <= 5)).any()
