"""The Health and police lens (geo.lenses.health_police) on a hand-built store: which
records are compared, the finding, the mixes, the feed's coverage, and the not-loaded
states."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.config import Config
from geo.core.filters import Filters
from geo.lenses.health_police import (
    LATE_NIGHT,
    KnownToHealth,
    known_to_health,
    model_sentence,
    police_feed,
)
from geo.lenses.health_police_view import COMBINED, COMBINED_LABEL, _wide
from geo.store.database import Store
from tests.geo._health_rows import QUARTER, STRIP, background, health_store

PERIOD = Filters(*QUARTER)


def strip_cell(res: int) -> str:
    storage = hexes.points_to_cells([STRIP[0]], [STRIP[1]], 11)
    return str(hexes.cells_to_str(hexes.cells_to_parent(storage, res))[0])


def background_cells(res: int) -> set[str]:
    storage = hexes.points_to_cells(*np.array(background()).T, 11)
    return set(hexes.cells_to_str(hexes.cells_to_parent(storage, res)))


def run(config: Config, res: int = 8, filters: Filters = PERIOD) -> KnownToHealth:
    with Store(config.store_path, read_only=True) as store:
        return known_to_health(store, load_study_area(config.study_area), res, filters)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return health_store(tmp_path_factory.mktemp("health"))


@pytest.fixture(scope="module")
def config_uk(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return health_store(tmp_path_factory.mktemp("health_uk"), police_uk=True)


def test_the_strip_is_the_one_finding_with_exact_figures(config: Config) -> None:
    got = run(config)
    assert got.police is not None and got.police.sources == ("syv_extract",)
    found = got.findings
    assert found["cell"].tolist() == [strip_cell(8)]
    top = found.iloc[0]
    # under-25 A&E only (the police feed is a youth extract); robberies are not violence
    assert (top["rank"], top["ed"], top["police"]) == (1, 30, 2)
    p0 = (30 + 20 * 5) / (30 + 20 * 5 + 2 + 20 * 20)
    assert got.test is not None and got.test.p0 == pytest.approx(p0)
    assert top["expected"] == pytest.approx(32 * p0)
    assert top["ratio"] == pytest.approx(30 / (32 * p0))
    assert top["q"] < 1e-6 and top["p"] <= top["q"]
    assert not top["place"].startswith("8") and top["place"] != top["cell"]  # a name
    n = len(background_cells(8)) + 1
    assert len(got.places) == n and got.places["rank"].tolist() == list(range(1, n + 1))
    assert not got.places["finding"].iloc[1:].any()
    assert got.ages_left_out == 10  # the strip's patients aged 25+


def test_an_all_ages_police_feed_is_preferred_and_ages_are_not_filtered(
    config_uk: Config,
) -> None:
    got = run(config_uk)
    assert got.police is not None
    assert got.police.sources == ("police_uk_street",) and got.police.ages == "all ages"
    top = got.places.iloc[0]
    # every A&E assault at the strip (40) against police.uk's 3; the partner's are not
    # added to them (the same crimes would be counted twice)
    assert (top["cell"], top["ed"], top["police"]) == (strip_cell(8), 40, 3)
    assert got.ages_left_out == 0
    assert "every age" in model_sentence(got)


def test_mixes_of_the_finding(config: Config) -> None:
    got = run(config, res=9)
    cell = strip_cell(9)
    assert got.findings["cell"].tolist() == [cell]
    means = got.means.set_index("means")["count"]
    assert means.sum() == 30 and means["bottle_or_glass"] == 18 and means["firearm"] == 0
    times = got.times.set_index("block")["count"]
    assert times.sum() == 30
    assert times[LATE_NIGHT] == 15 and times["weekend_evening"] == 15
    assert (got.means["cell"] == cell).all()
    assert got.means["key_sum"].sum() > 0


def test_the_feed_coverage(config: Config) -> None:
    feed = run(config).feed
    assert feed.total == 30 + 10 + 100 + 7 + 8
    assert feed.placed == 140 and feed.methods["method"].tolist() == ["postcode"]
    assert feed.private_home == 7
    assert dict(zip(feed.unplaced["reason"], feed.unplaced["count"], strict=True)) == {
        "no confident match": 5,
        "no location given": 3,
    }
    assert feed.arrival_times == 0
    assert feed.total_key > 0


def test_the_incident_category_filter_does_not_apply(config: Config) -> None:
    a = run(config)
    b = run(config, filters=Filters(*QUARTER, categories=("robbery",)))
    assert a.places.equals(b.places)


def test_no_feed_in_the_period_is_not_loaded(config: Config) -> None:
    got = run(config, filters=Filters("2023-01", "2023-03"))
    assert not got.loaded and got.test is None and got.police is None
    assert got.places.empty and got.feed.total == 0
    assert model_sentence(got) == ""


def test_without_police_violence_nothing_is_compared(tmp_path: Path) -> None:
    config = health_store(tmp_path)
    with Store(config.store_path) as store, store.cursor() as cur:
        cur.execute("DELETE FROM incidents")
    got = run(config)
    assert got.loaded and got.police is None and got.test is None and got.places.empty
    with Store(config.store_path, read_only=True) as store:
        assert police_feed(store, PERIOD) is None


def test_background_places_are_all_tested(config: Config) -> None:
    got = run(config, res=10)
    assert set(got.places["cell"]) == background_cells(10) | {strip_cell(10)}


def test_mix_columns_lead_with_the_largest_shares() -> None:
    """A place's mix reads without scrolling: the largest shares first, withheld
    categories together last (and no column when none is withheld)."""
    names = pd.Series(["Place A", "Place B"], index=pd.Index(["a", "b"], name="cell"))
    mix = pd.DataFrame(
        {
            "cell": ["a", "a", "a", "b", "b", "b"],
            "block": ["x", "y", COMBINED, "x", "y", COMBINED],
            "share": [0.2, 0.7, np.nan, 0.1, 0.5, 0.4],
        }
    )
    out = _wide(mix, "block", {"x": "X", "y": "Y"}, names)
    assert list(out.columns) == ["place", "Y", "X", COMBINED_LABEL, "cell"]
    assert out["place"].tolist() == ["Place A", "Place B"]
    none_withheld = _wide(mix.loc[mix["block"] != COMBINED], "block", {"x": "X", "y": "Y"}, names)
    assert list(none_withheld.columns) == ["place", "Y", "X", "cell"]
