"""Recovery of the planted hot spots of the synthetic demo (DESIGN §5, §8).

The demo plants persistent, emerging and fading incident hot spots in res-9 cells
(``truth.json``); emerging hot spot analysis of the monthly cube must recover them,
and on the null demo (no planted signals) must find almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import h3
import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.stats.emerging import EmergingHotspots, emerging_hotspots
from geo.stats.getis_ord import gi_star
from geo.store.cube import build_cube
from geo.store.database import Store

RES = 9
PERIOD = Filters("2023-01", "2024-12")
MONTHS = [str(p) for p in pd.period_range("2023-01", "2024-12", freq="M")]
#: Categories that count as recovering each kind of planted hot spot.
EXPECTED = {
    "emerging": {1, 2, 3},  # New, Consecutive or Intensifying
    "fading": {5, 8},  # Diminishing or Historical
    "persistent": {3, 4},  # Intensifying or Persistent
}


@dataclass(frozen=True)
class DemoRun:
    seed: int
    truth: dict[str, Any]
    grid: list[str]
    cube: pd.DataFrame
    result: EmergingHotspots

    @property
    def planted(self) -> list[dict[str, str]]:
        return [h for h in self.truth["recurring_hotspots"] if h["layer"] == "incidents"]


def run_demo(tmp: Any, seed: int, null: bool = False) -> DemoRun:
    demo = build_demo(tmp, seed=seed, null=null)
    area = load_study_area(demo.config.study_area)
    with Store(demo.config.store_path) as store:
        cube = build_cube(store, area, "incidents", RES, PERIOD)
    grid = list(hexes.cells_to_str(np.sort(area.grid(RES))))
    return DemoRun(seed, demo.truth, grid, cube, emerging_hotspots(cube))


@pytest.fixture(scope="module", params=[0, 1, 2], ids=lambda s: f"seed{s}")
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp(f"demo{request.param}"), request.param)


@pytest.fixture(scope="module")
def null_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("null_demo"), 0, null=True)


def test_demo_truth_matches_the_analysis(demo: DemoRun) -> None:
    assert demo.truth["resolution"] == RES
    assert demo.truth["periods"] == {"first": PERIOD.month_from, "last": PERIOD.month_to}
    kinds = sorted(h["kind"] for h in demo.planted)
    assert kinds == ["emerging", "fading", "persistent", "persistent", "persistent"]
    assert all(h["cell"] in demo.cube.index for h in demo.planted)


def test_demo_cube_is_the_whole_grid(demo: DemoRun) -> None:
    assert list(demo.cube.columns) == MONTHS
    assert list(demo.cube.index) == demo.grid
    assert (demo.cube.to_numpy() >= 0).all()
    assert (demo.cube.to_numpy() == 0).any(), "empty cell-months are zeros, not missing"
    assert demo.cube.to_numpy().sum() > 1000


def category_of(run: DemoRun, cell: str) -> tuple[int, str]:
    row = run.result.cells.loc[cell]
    return int(row["code"]), str(row["category"])


def test_planted_emerging_cell(demo: DemoRun) -> None:
    for h in demo.planted:
        if h["kind"] == "emerging":
            code, name = category_of(demo, h["cell"])
            assert code in EXPECTED["emerging"], (h["cell"], name)


def test_planted_fading_cell(demo: DemoRun) -> None:
    for h in demo.planted:
        if h["kind"] == "fading":
            code, name = category_of(demo, h["cell"])
            assert code in EXPECTED["fading"], (h["cell"], name)


def test_planted_persistent_cells(demo: DemoRun) -> None:
    persistent = [h for h in demo.planted if h["kind"] == "persistent"]
    assert len(persistent) == 3
    for h in persistent:
        code, name = category_of(demo, h["cell"])
        assert code in EXPECTED["persistent"], (h["cell"], name)


def test_recall_and_false_discoveries(demo: DemoRun) -> None:
    codes = demo.result.cells["code"]
    recovered = [h for h in demo.planted if int(codes[h["cell"]]) in EXPECTED[h["kind"]]]
    recall = len(recovered) / len(demo.planted)
    near_planted = {c for h in demo.planted for c in h3.grid_disk(h["cell"], 1)}
    hot = codes.index[codes > 0]
    false_discoveries = [c for c in hot if c not in near_planted]
    print(
        f"\nseed {demo.seed}: recall {recall:.2f} ({len(recovered)}/{len(demo.planted)}), "
        f"hot-category cells {len(hot)} of {len(codes)}, "
        f"false discoveries {len(false_discoveries)}"
    )
    assert recall == 1.0
    assert len(false_discoveries) <= 0.05 * len(codes), false_discoveries


def test_null_demo_finds_almost_nothing(null_demo: DemoRun) -> None:
    assert null_demo.truth["recurring_hotspots"] == []
    codes = null_demo.result.cells["code"]
    share = float((codes > 0).mean())
    print(f"\nnull demo: {int((codes > 0).sum())} of {len(codes)} cells hot ({share:.1%})")
    assert share < 0.10


def test_gi_star_on_the_total_finds_persistent_cells(demo: DemoRun) -> None:
    total = demo.cube.sum(axis=1)
    result = gi_star(total, k=1, fdr=True)
    for h in demo.planted:
        if h["kind"] == "persistent":
            assert result.loc[h["cell"], "bin"] > 0, (h["cell"], result.loc[h["cell"]].to_dict())
