"""The same records publish the same figure wherever the partnership sees them.

Cell-key perturbation only protects if every output that counts the same records shows
the same perturbed value: a figure shown perturbed on one page and exact on another would
hand the noise back. These checks compare the pages that show the same counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.disclosure import Role, store_for
from geo.disclosure.counts import disclosed_counts, disclosed_kpis
from geo.disclosure.windows import partnership_quarters
from geo.lenses.missing import episodes, repeat_children_in_period
from geo.lenses.missing_view import missing_view, themes_table
from geo.lenses.profiles import build_profile
from geo.render import layers
from geo.store import queries as overview
from geo.store.database import Store
from tests._ed_assaults import add_ed_assaults

PARTNERSHIP = Role.PARTNERSHIP


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo with an emergency department's A&E assaults added."""
    build = build_demo(Path(tmp_path_factory.mktemp("consistency")) / "demo", seed=0)
    add_ed_assaults(build.config.store_path)
    return build


def test_missing_page_agrees_with_the_overview(demo: Any) -> None:
    config = demo.config
    area = load_study_area(config.study_area)
    compared = perturbed = 0
    with Store(config.store_path, read_only=True) as store:
        names = overview.schools(store)[["urn", "name"]]
        exact = overview.kpis(store, Filters("2023-01", "2024-12"))
        assert exact.loc["missing_episodes", "current"] > 100
        for q in partnership_quarters(overview.available_months(store)):
            kpis = disclosed_kpis(store, PARTNERSHIP, q, config)
            for res in (7, 8):
                view = missing_view(store, area, q, PARTNERSHIP, config, res, 7, names)
                measures = view.measures["current"]
                for tile, measure in (
                    ("missing_episodes", "Episodes reported"),
                    ("children_missing", "Children (distinct)"),
                ):
                    a, b = float(kpis.loc[tile, "current"]), float(measures[measure])
                    assert (np.isnan(a) and np.isnan(b)) or a == b, (q, tile, a, b)
                levels = disclosed_counts(store, "missing", PARTNERSHIP, res, q, config)
                on_map = levels.levels[res].assign(
                    cell=lambda f: hexes.cells_to_str(f["cell"].to_numpy(dtype=np.uint64))
                )
                on_map = on_map.set_index("cell")["value"]
                table = view.places.set_index("cell")["episodes"]
                pd.testing.assert_series_equal(
                    table.sort_index(), on_map.reindex(table.index).sort_index(),
                    check_names=False,
                )  # fmt: skip
                compared += len(table)
                exact_cells = overview.missing_found_counts(store, res, q)
                truth = pd.Series(
                    exact_cells["count"].to_numpy(dtype=float),
                    index=hexes.cells_to_str(exact_cells["cell"].to_numpy(dtype=np.uint64)),
                )
                shown = table.dropna()
                perturbed += int((shown != truth.reindex(shown.index)).sum())
    assert compared > 200
    assert perturbed > 0, "the places table is perturbed like the map"


def test_missing_page_theme_counts_are_perturbed(demo: Any) -> None:
    """RHI theme counts for the partnership move by at most the noise from the exact counts
    of the publishable dataset, some do move, and none lands in 1 to 5."""
    config = demo.config
    moved = shown = 0
    with Store(config.store_path, read_only=True) as exact_store:
        store = store_for(exact_store, PARTNERSHIP, config)
        for q in partnership_quarters(overview.available_months(store)):
            current, previous = episodes(store, q), episodes(store, q.previous())
            repeat = repeat_children_in_period(store, q)
            exact = themes_table(current, previous, Role.ANALYST, config, repeat)
            published = themes_table(current, previous, PARTNERSHIP, config, repeat)
            for col in ("count", "previous", "repeat_children_count"):
                a = published[col].to_numpy(dtype=float)
                e = exact[col].to_numpy(dtype=float)
                ok = np.isfinite(a)
                assert not ((a[ok] >= 1) & (a[ok] < 6)).any(), (q, col)
                assert (np.abs(a[ok] - e[ok]) <= 2).all(), (q, col)
                shown += int(ok.sum())
                moved += int((a[ok] != e[ok]).sum())
    assert shown > 100 and moved > shown / 10


def test_ae_figures_agree_between_map_and_profile(demo: Any) -> None:
    """An A&E assault count is published once: the Overview's A&E layer and the Location
    profile's quarterly A&E figure of a cell are the same perturbed (or withheld) value,
    which moves from the exact count by at most the noise and is never 1 to 5."""
    config = demo.config
    compared = moved = 0
    with Store(config.store_path, read_only=True) as store:
        months = overview.available_months(store)
        quarters = partnership_quarters(months)
        busiest = overview.ed_assault_counts(store, 8, Filters(months[0], months[-1]))
        cells = busiest.sort_values("count", ascending=False)["cell"].head(4).to_numpy(np.uint64)
        for cell in hexes.cells_to_str(cells):
            profile = build_profile(store, str(cell), quarters[-1], months, PARTNERSHIP, config)
            series = profile.series["ed_assaults"]
            for q in quarters:
                levels = disclosed_counts(store, "ed_assaults", PARTNERSHIP, 8, q, config)
                layer = layers.ed_assault_layer_from(levels, 8, config)
                props = [f["properties"] for f in layer.geojson["features"]]
                on_map = {p["cell"]: p["value"] for p in props}.get(str(cell), 0.0)
                shown = series[series.index[quarters.index(q)]]
                assert (on_map is None and np.isnan(shown)) or on_map == shown, (cell, q)
                exact = overview.ed_assault_counts(store_for(store, PARTNERSHIP, config), 8, q)
                truth = exact.loc[exact["cell"] == hexes.str_to_cells([str(cell)])[0], "count"]
                n = float(truth.iloc[0]) if len(truth) else 0.0
                if on_map is not None:
                    assert not 1 <= on_map < 6 and abs(on_map - n) <= 2, (cell, q, on_map, n)
                    moved += int(on_map != n)
                compared += 1
    assert compared >= 24 and moved > 0
