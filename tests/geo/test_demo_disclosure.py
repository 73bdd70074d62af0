"""The planted children's home is not identifiable from the partnership Overview layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import hexes, layers, overview
from geo.demo import build_demo
from geo.disclosure import WITHHELD
from geo.store import Store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return build_demo(Path(tmp_path_factory.mktemp("demo")) / "out", seed=0)


@pytest.mark.parametrize("res", [7, 8])
def test_childrens_home_cell_is_withheld_for_partnership(demo, res: int) -> None:
    home11 = hexes.str_to_cells([demo.truth["childrens_home"]["cell_11"]])
    home = int(hexes.cells_to_parent(home11, res)[0])
    with Store(demo.config.store_path) as store:
        f = overview.Filters("2023-01", "2024-12")
        counts = overview.missing_found_counts(store, res, f)
        analyst = layers.missing_layer(counts, "analyst", res, demo.config)
        partner = layers.missing_layer(counts, "partnership", res, demo.config)
    home_str = str(hexes.cells_to_str([home])[0])

    def value(layer):
        for feat in layer.geojson["features"]:
            if feat["properties"]["cell"] == home_str:
                return feat["properties"]["value"], feat["properties"]["label"]
        raise AssertionError("home cell not drawn")

    exact, _ = value(analyst)
    assert exact is not None and exact > 20  # the home does stand out in exact counts
    shown, label = value(partner)
    assert shown is None
    # withheld exactly like a small count: nothing says why, so nothing points at the home
    assert label == WITHHELD
    labels = {f["properties"]["label"] for f in partner.geojson["features"]}
    assert not any("sensitive" in str(t) or "home" in str(t) for t in labels)


def test_category_layers_leave_the_home_cell_out_for_partnership(demo) -> None:
    """A hot spot category on the home's cell is dropped, never drawn as 'withheld'."""
    home11 = hexes.str_to_cells([demo.truth["childrens_home"]["cell_11"]])
    home8 = str(hexes.cells_to_str(hexes.cells_to_parent(home11, 8))[0])
    far = hexes.str_to_cells([demo.truth["school_journey_hotspot"]["cell"]])
    other8 = str(hexes.cells_to_str(hexes.cells_to_parent(far, 8))[0])
    assert other8 != home8
    gi = pd.DataFrame({"z": [4.0, 3.1], "p": [0.0001, 0.002], "bin": [3, 3]}, index=[home8, other8])
    partner = layers.gi_layer(gi, "partnership", 8, demo.config)
    analyst = layers.gi_layer(gi, "analyst", 8, demo.config)
    assert [f["properties"]["cell"] for f in partner.geojson["features"]] == [other8]
    assert {f["properties"]["cell"] for f in analyst.geojson["features"]} == {home8, other8}


def test_partnership_layers_never_carry_small_counts(demo) -> None:
    with Store(demo.config.store_path) as store:
        f = overview.Filters("2024-01", "2024-12")
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
