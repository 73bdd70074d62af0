"""A sensitive premise leaves no trace in what the partnership sees but the absence of
its own records (DESIGN §4: no cell is withheld because of a premise, no page answers
differently for a premise's cell).

The intruder's view is every output a partnership user can produce (see ``_outputs``).
For a store S and a premise P, the outputs must be *identical* to those of a copy of S
from which P's records were deleted and which has no premise at all: then nothing a
partnership user sees can tell where the premise is, or that there is one.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.config import Config
from geo.demo.build import build_demo
from geo.disclosure import protected_cells
from geo.disclosure.publishable import LOCATED_TABLES
from geo.store.database import Store
from tests._ed_assaults import add_ed_assaults
from tests.disclosure._outputs import partnership_outputs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo with an emergency department's A&E assaults added (some at the children's
    home, so that the A&E layer's outputs must leave them out too)."""
    build = build_demo(Path(tmp_path_factory.mktemp("premises")) / "demo", seed=0)
    home = build.truth["childrens_home"]["cell_11"]
    add_ed_assaults(build.config.store_path, at_cells=((home, 4),))
    return build


def _with_premises(config: Config, tmp: Path, points: list[tuple[float, float]]) -> Config:
    path = tmp / f"premises-{len(list(tmp.glob('premises-*')))}.csv"
    rows = "".join(f"childrens_home,{lat:.7f},{lng:.7f}\n" for lat, lng in points)
    path.write_text("kind,latitude,longitude\n" + rows, encoding="utf-8")
    return dataclasses.replace(
        config, disclosure=dataclasses.replace(config.disclosure, sensitive_premises=path)
    )


def _without_premise_records(config: Config, cells: np.ndarray, tmp: Path) -> Config:
    """A copy of the store without the records in ``cells``, and no premises at all."""
    folder = tmp / f"copy-{len(list(tmp.glob('copy-*')))}"
    folder.mkdir()
    path = folder / config.store_path.name
    shutil.copyfile(config.store_path, path)
    truth = config.store_path.parent / "truth.json"  # the demo's seed, quoted in packs
    if truth.exists():
        shutil.copyfile(truth, folder / "truth.json")
    listed = ", ".join(str(int(c)) for c in cells)
    with Store(path) as store, store.cursor() as cur:
        for table in LOCATED_TABLES:
            cur.execute(f"DELETE FROM {table} WHERE cell IN ({listed})")
    return dataclasses.replace(
        config,
        store_path=path,
        disclosure=dataclasses.replace(config.disclosure, sensitive_premises=None),
    )


def _outputs(config: Config, cells: tuple[str, ...], pages: tuple[str, ...] | None = None) -> dict:
    area = load_study_area(config.study_area)
    with Store(config.store_path, read_only=True) as store:
        if pages is None:
            return partnership_outputs(store, area, config, cells)
        return partnership_outputs(store, area, config, cells, pages)


def _differences(a: dict[str, str], b: dict[str, str]) -> list[str]:
    assert a.keys() == b.keys()
    return [k for k in a if a[k] != b[k]]


def test_every_output_is_that_of_a_store_without_the_homes_records(
    demo: Any, tmp_path: Path
) -> None:
    config = demo.config
    home = demo.truth["childrens_home"]["cell_11"]
    far = demo.truth["school_journey_hotspot"]["cell"]
    cells = (home, h3.cell_to_center_child(far, 11))
    protected = protected_cells(config)
    assert protected.size >= 7
    with_home = _outputs(config, cells)
    without = _outputs(_without_premise_records(config, protected, tmp_path), cells)
    assert len(with_home) > 300, "the intruder's view covers every page"
    errors = [k for k, v in with_home.items() if v.startswith("error:")]
    assert len(errors) < len(with_home) / 10, errors[:10]
    assert not _differences(with_home, without), _differences(with_home, without)[:10]
    assaults = [k for k in with_home if k.startswith("A&E")]
    assert len(assaults) > 100, "the A&E layer's outputs are in the intruder's view"
    maps = [k for k in assaults if " map " in k]
    assert maps and all("'features': [{" in with_home[k] for k in maps), "A&E maps have cells"


def test_the_check_fails_for_the_ae_layer_when_the_premise_filter_is_off(
    demo: Any, tmp_path: Path
) -> None:
    """The A&E assaults at the home are seen by the A&E outputs when the exact store is
    served as if it were published: the comparison above covers the A&E layer."""
    config = demo.config
    protected = protected_cells(config)
    off = dataclasses.replace(
        config, disclosure=dataclasses.replace(config.disclosure, sensitive_premises=None)
    )
    leaky = _outputs(off, (), ("ed_assaults",))
    without = _outputs(_without_premise_records(config, protected, tmp_path), (), ("ed_assaults",))
    assert [k for k in _differences(leaky, without) if k.startswith("A&E")]


def test_the_check_fails_when_the_premise_filter_is_off(demo: Any, tmp_path: Path) -> None:
    """Without the publishable dataset (the exact store served as if it were published)
    the outputs do differ from those of the store without the home's records: the
    comparison above can fail."""
    config = demo.config
    protected = protected_cells(config)
    off = dataclasses.replace(
        config, disclosure=dataclasses.replace(config.disclosure, sensitive_premises=None)
    )
    pages = ("overview", "missing")
    leaky = _outputs(off, (), pages)
    without = _outputs(_without_premise_records(config, protected, tmp_path), (), pages)
    assert _differences(leaky, without)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_premise_anywhere_leaves_no_trace(demo: Any, tmp_path: Path, seed: int) -> None:
    """Property: a premise moved to a random busy storage cell (and a second one far away)
    gives the outputs of a store without those cells' records, on the count pages and the
    A&E layer's (a busy cell holds A&E assaults too)."""
    rng = random.Random(seed)
    with Store(demo.config.store_path, read_only=True) as store:
        busy = store.query(
            "SELECT cell, count(*) AS n FROM incidents WHERE cell IS NOT NULL GROUP BY 1 "
            "HAVING count(*) >= 3 ORDER BY 1"
        )
    picks = [int(busy["cell"].iloc[rng.randrange(len(busy))]) for _ in range(2)]
    points = [h3.cell_to_latlng(h3.int_to_str(c)) for c in picks]
    config = _with_premises(demo.config, tmp_path, points)
    protected = protected_cells(config)
    assert set(picks) <= set(protected.tolist())
    cells = tuple(str(c) for c in hexes.cells_to_str(np.array(picks, dtype=np.uint64)))
    pages = ("overview", "hotspots", "story", "missing", "profile", "ed_assaults")
    moved = _outputs(config, cells, pages)
    without = _outputs(_without_premise_records(config, protected, tmp_path), cells, pages)
    assert not _differences(moved, without), _differences(moved, without)[:10]
