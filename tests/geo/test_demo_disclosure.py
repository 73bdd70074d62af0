"""The planted children's home is not identifiable from the partnership Overview layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo import hexes, layers, overview
from geo.demo import build_demo
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
    assert "sensitive" in label


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
