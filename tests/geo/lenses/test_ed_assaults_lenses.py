"""A&E assaults in the hot spot, near-repeat, recurring, profile and story lenses: the demo
with synthetic A&E assaults in place of its ISTV extract (tests/_ed_assaults.py), and the
demo with no A&E feed (the lenses then answer exactly as they did before the feed existed)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.lenses import recurring
from geo.lenses.hotspot_report import run_trend_hotspots
from geo.lenses.profiles import build_profile
from geo.lenses.recurring_places import ED_FEED
from geo.lenses.story import LAYER_AGENCIES, quarter_story, story_layers
from geo.stats.knox_verdict import verdict
from geo.store import queries
from geo.store.database import Store
from tests._ed_assaults import add_ed_assaults, remove_ed_assaults

YEAR = Filters("2024-01", "2024-12")
Q4 = Filters("2024-10", "2024-12")


@dataclasses.dataclass(frozen=True)
class Demos:
    plain: Any
    health: Any
    quiet_cell: str  # a storage cell whose res-9 parent had no incident in 2024


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Demos:
    plain = build_demo(Path(tmp_path_factory.mktemp("plain")) / "demo", seed=0)
    folder = Path(tmp_path_factory.mktemp("health")) / "demo"
    shutil.copytree(plain.out_dir, folder)
    health = dataclasses.replace(
        plain, config=dataclasses.replace(plain.config, store_path=folder / "placesafe.duckdb")
    )
    area = load_study_area(plain.config.study_area)
    with Store(plain.config.store_path, read_only=True) as store:
        busy = store.query("SELECT DISTINCT cell_9 FROM incidents WHERE cell_9 IS NOT NULL")
    grid = np.sort(area.grid(9))
    quiet = grid[~np.isin(grid, busy["cell_9"].to_numpy(dtype=np.uint64))]
    lat, lng = hexes.cell_centres(quiet[len(quiet) // 2 : len(quiet) // 2 + 1])
    storage = str(hexes.cells_to_str(hexes.points_to_cells(lat, lng, 11))[0])
    # the synthetic rows follow the police's violent incidents, so the layer shares the
    # planted hot spots (the demo's own extract is placed by postcode and name instead)
    remove_ed_assaults(plain.config.store_path)  # a store that never loaded the feed
    remove_ed_assaults(health.config.store_path)
    add_ed_assaults(health.config.store_path, at_cells=((storage, 7),))
    return Demos(plain, health, storage)


def _months(store: Store) -> list[str]:
    return queries.available_months(store)


def test_hot_spots_on_the_ae_layer_find_the_planted_places(demos: Demos) -> None:
    config = demos.health.config
    area = load_study_area(config.study_area)
    with Store(config.store_path, read_only=True) as store:
        report = run_trend_hotspots(store, area, "ed_assaults", 9, Q4, _months(store))
    hot = set(report.hot_list()["cell"])
    planted = {h["cell"] for h in demos.health.truth["recurring_hotspots"]}
    assert planted <= hot, planted - hot


def test_knox_and_chains_take_the_ae_layer(demos: Demos) -> None:
    with Store(demos.health.config.store_path, read_only=True) as store:
        events = recurring.timed_events_bng(store, YEAR, "ed_assaults")
        placed = store.scalar(
            "SELECT count(*) FROM ed_assaults WHERE cell IS NOT NULL "
            "AND occurred_at >= '2024-01-01' AND occurred_at < '2025-01-01'"
        )
        assert len(events) == placed  # homes and unplaced assaults have no place
        result = recurring.knox_for_window(store, YEAR, layer="ed_assaults")
        chains = recurring.near_repeat_chain_table(store, YEAR, 9, layer="ed_assaults")
        incident_chains = recurring.near_repeat_chain_table(store, YEAR, 9)
    assert result is not None and result.n_events == len(events)
    words = verdict(result, events=recurring.NEAR_REPEAT_NOUNS["ed_assaults"])
    assert "assault" in words and "incident" not in words
    assert len(chains) and chains["events"].sum() < incident_chains["events"].sum()
    with pytest.raises(ValueError, match="layer"):
        recurring.timed_events_bng(store, YEAR, "missing")


def test_the_ranking_reads_ae_assaults_only_where_loaded(demos: Demos) -> None:
    settings = recurring.RankingSettings(res=9)
    rankings = {}
    for name, demo in (("plain", demos.plain), ("health", demos.health)):
        area = load_study_area(demo.config.study_area)
        with Store(demo.config.store_path, read_only=True) as store:
            rankings[name] = recurring.rank_recurring_locations(store, area, YEAR, settings)
            layers = recurring.ranking_layers(store, YEAR)
        assert ("ed" in layers) == (name == "health")
    plain, health = rankings["plain"], rankings["health"]
    assert "n_ed" not in plain.columns and "n_ed" in health.columns
    # convergence counts layers over four without A&E, over five with it
    assert np.allclose(plain["convergence"] * 4, np.round(plain["convergence"] * 4))
    assert np.allclose(health["convergence"] * 5, np.round(health["convergence"] * 5))
    assert not np.allclose(health["convergence"] * 4, np.round(health["convergence"] * 4))
    with_ed = health.loc[health["n_ed"] > 0]
    assert len(with_ed) > 20
    assert with_ed["reasons"].str.contains("assaults here treated at A&E").any()
    assert with_ed["reasons"].str.contains(ED_FEED, regex=False).any()
    assert not plain["reasons"].str.contains("A&E").any()
    # a place with A&E-treated assaults and no police record is ranked too
    quiet9 = str(
        hexes.cells_to_str(hexes.cells_to_parent(hexes.str_to_cells([demos.quiet_cell]), 9))[0]
    )
    with Store(demos.health.config.store_path, read_only=True) as store:
        there = store.scalar(
            "SELECT count(*) FROM ed_assaults WHERE cell_9 = ? AND occurred_at >= '2024-01-01' "
            "AND occurred_at < '2025-01-01'",
            [int(hexes.str_to_cells([quiet9])[0])],
        )
    row = health.loc[health["cell"] == quiet9]
    assert there >= 1 and len(row) == 1 and int(row["n_ed"].iloc[0]) == there
    assert "treated at A&E" in str(row["reasons"].iloc[0])
    assert quiet9 not in set(plain["cell"])
    assert len(recurring.filter_ranking(health, layers=["ed"])) == len(with_ed)
    assert recurring.filter_ranking(plain, layers=["missing"]).shape[0] > 0


def test_the_ranking_says_in_words_when_ae_counts() -> None:
    assert "five kinds of harm" in recurring.method_in_words(health=True)
    assert "A&E" in recurring.method_in_words(health=True)
    assert "four kinds of harm" in recurring.method_in_words()
    assert "A&E" not in recurring.method_in_words()


def test_the_profile_shows_ae_assaults_where_loaded(demos: Demos) -> None:
    cell = demos.health.truth["recurring_hotspots"][0]["cell"]  # res 9
    for demo, held in ((demos.plain, False), (demos.health, True)):
        config = demo.config
        with Store(config.store_path, read_only=True) as store:
            months = _months(store)
            analyst = build_profile(store, cell, YEAR, months, "analyst", config)
            res8 = str(hexes.cells_to_str(hexes.cells_to_parent(hexes.str_to_cells([cell]), 8))[0])
            partner = build_profile(store, res8, Q4, months, "partnership", config)
        assert analyst.health is held and partner.health is held
        assert ("ed_assaults" in analyst.series.columns) is held
        assert ("ed_assaults" in partner.series.columns) is held
        assert partner.assaults is None  # detail is for analysts
        if not held:
            assert analyst.assaults is None
            continue
        detail = analyst.assaults
        assert detail is not None and detail.total > 10
        assert analyst.series["ed_assaults"].sum() == detail.total
        assert int(detail.time_of_week.to_numpy().sum()) == detail.total
        assert int(detail.means["assaults"].sum()) == detail.total
        assert len(detail.means) == 7  # every means listed, zeros included
        assert 0 <= detail.on_school_journey < detail.total
        shown = partner.series["ed_assaults"].dropna()
        assert len(shown) and not ((shown >= 1) & (shown < 6)).any()


def test_the_story_reads_ae_assaults_where_loaded(demos: Demos) -> None:
    for demo, held in ((demos.plain, False), (demos.health, True)):
        config = demo.config
        area = load_study_area(config.study_area)
        with Store(config.store_path, read_only=True) as store:
            layers = story_layers(store)
            months = _months(store)
            reports = {layer: run_trend_hotspots(store, area, layer, 8, Q4, months)
                       for layer in layers}  # fmt: skip
            exact = quarter_story(store, reports, Q4, 8, True)
            published = quarter_story(store, reports, Q4, 8, False, 6)
        assert ("ed_assaults" in layers) is held
        health = exact.places["agencies"].str.contains(LAYER_AGENCIES["ed_assaults"], regex=False)
        assert bool(health.any()) is held
        assert not any("A&E" in note for note in exact.notes)
        if held:
            why = exact.places.loc[health, "why"]
            assert why.str.contains("Assaults treated at A&E: a hot spot").all()
            assert why.str.contains("most often by ").any()
            # the police's sentence leads where both agencies' data put a place
            both = exact.places.loc[health & exact.places["agencies"].str.contains("Police")]
            assert both["agencies"].str.startswith("Police").all()
            assert both["why"].str.startswith("Incidents").any()
            words = published.places["why"]
            assert not words.str.contains(r"\d+ records", regex=True).any()


def _cli(toml: Path, *args: str) -> subprocess.CompletedProcess[str]:
    repo = Path(__file__).resolve().parents[3]
    return subprocess.run(
        [sys.executable, "-m", "geo", "--config", str(toml), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
        cwd=repo,
        timeout=300,
    )


def test_the_command_line_takes_the_ae_layer(demos: Demos) -> None:
    toml = demos.health.config.store_path.parent / "placesafe.toml"
    knox = _cli(toml, "knox", "--layer", "ed_assaults", "--permutations", "99", "--json")
    assert knox.returncode == 0, knox.stderr
    payload = json.loads(knox.stdout)
    assert payload["events"] > 100 and "assault" in payload["verdict"]
    hot = _cli(toml, "hotspots", "--layer", "ed_assaults", "--res", "8", "--json")
    assert hot.returncode == 0, hot.stderr
    assert json.loads(hot.stdout)["layer"] == "ed_assaults"
    plain = _cli(demos.plain.out_dir / "placesafe.toml", "knox", "--layer", "ed_assaults")
    assert plain.returncode == 3 and "0 A&E-treated assaults" in plain.stderr
