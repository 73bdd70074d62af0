"""The recurring-location ranking on the synthetic demo and on hand-built cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.filters import Filters
from geo.core.terms import journey_window
from geo.demo.build import build_demo
from geo.lenses.profiles import build_profile
from geo.lenses.recurring import (
    PUBLIC_COLUMNS,
    WEIGHTS,
    RankingSettings,
    filter_ranking,
    rank_recurring_locations,
)
from geo.render.layers import hot_cells_table, ranking_layer_from
from geo.store.database import Store

WINDOW = Filters("2023-01", "2024-12")


@pytest.fixture(scope="module", params=[0, 5])
def ranked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    build = build_demo(Path(tmp_path_factory.mktemp(f"demo{request.param}")), seed=request.param)
    area = load_study_area(build.config.study_area)
    with Store(build.config.store_path) as store:
        ranking = rank_recurring_locations(store, area, WINDOW)
        partner = rank_recurring_locations(
            store, area, WINDOW, RankingSettings(res=8, exact_counts=False)
        )
    return build, ranking, partner


def test_every_planted_hotspot_is_in_the_top_10(ranked) -> None:
    build, ranking, _ = ranked
    top10 = ranking.head(10)
    ranks = {}
    for planted in build.truth["recurring_hotspots"]:
        row = ranking.loc[ranking["cell"] == planted["cell"]]
        ranks[planted["kind"] + ":" + planted["cell"]] = (
            int(row["rank"].iloc[0]) if len(row) else None
        )
        assert planted["cell"] in set(top10["cell"]), ranks
    print("planted ranks", ranks)


def test_the_emerging_hotspot_is_flagged_for_escalation(ranked) -> None:
    build, ranking, _ = ranked
    emerging = [h["cell"] for h in build.truth["recurring_hotspots"] if h["kind"] == "emerging"]
    row = ranking.loc[ranking["cell"] == emerging[0]].iloc[0]
    assert bool(row["escalate"])
    assert row["category"] in ("New Hot Spot", "Consecutive Hot Spot", "Intensifying Hot Spot")


def test_score_is_the_documented_weighted_sum(ranked) -> None:
    _, ranking, _ = ranked
    parts = sum(WEIGHTS[k] * ranking[k] for k in WEIGHTS)
    assert np.allclose(ranking["score"], parts.round(3), atol=1e-3)
    assert ranking["score"].is_monotonic_decreasing
    assert (ranking["rank"] == np.arange(1, len(ranking) + 1)).all()
    for k in WEIGHTS:
        assert ranking[k].between(0, 1).all()


def test_places_are_distinct_not_neighbours_of_each_other(ranked) -> None:
    _, ranking, _ = ranked
    top = hexes.str_to_cells(ranking["cell"].head(20))
    origin, neighbour = hexes.grid_disk(top, 1)
    pairs = {
        (int(top[o]), int(n))
        for o, n in zip(origin, neighbour, strict=True)
        if int(n) != int(top[o])
    }
    assert not any((a, b) in pairs for a in map(int, top) for b in map(int, top) if a != b)
    assert ranking["part_of"].map(len).sum() > 0  # neighbours were folded in


def test_reasons_are_plain_english_and_counts_hidden_for_the_partnership(ranked) -> None:
    _, ranking, partner = ranked
    assert ranking["reasons"].str.match(r"^[A-Z].*\.$").all()
    assert ranking["reasons"].head(5).str.contains("of the last 12 months").all()
    # no number other than "N of the last 12 months" / distances in partnership reasons
    stripped = partner["reasons"].str.replace(r"\d+ of the last \d+ months", "", regex=True)
    stripped = stripped.str.replace(r"within \d+ m", "", regex=True)
    stripped = stripped.str.replace(r"\(\d+(\.\d)? k?m\)", "", regex=True)  # nearest school
    assert not stripped.str.contains(r"\d").any()
    assert set(PUBLIC_COLUMNS) <= set(partner.columns)
    assert all(int(c[1], 16) == 8 for c in partner["cell"])


def test_school_journey_windows() -> None:
    times = pd.Series(
        pd.to_datetime(
            [
                "2024-03-04 08:00",  # Monday morning, term
                "2024-03-04 09:00",  # just after the window
                "2024-03-04 16:59",  # afternoon window
                "2024-03-09 08:00",  # Saturday
                "2024-08-05 08:00",  # August
                "2024-03-04 07:29",
            ]
        )
    )
    assert journey_window(times).tolist() == [True, False, True, False, False, False]


def test_location_profile_analyst_and_partnership(ranked) -> None:
    build, ranking, _ = ranked
    cell = ranking["cell"].iloc[0]
    months = [str(p) for p in pd.period_range("2023-01", "2024-12", freq="M")]
    with Store(build.config.store_path) as store:
        analyst = build_profile(store, cell, WINDOW, months, "analyst", build.config)
        assert analyst.series.shape == (24, 4)  # incidents, missing, youth work, A&E
        assert "ed_assaults" in analyst.series.columns
        assert analyst.time_of_week is not None and analyst.time_of_week.shape == (7, 24)
        assert len(analyst.neighbours) == 6
        assert len(analyst.schools) == 5 and analyst.schools["distance_m"].is_monotonic_increasing
        assert {"sessions", "hours", "incidents"} <= set(analyst.youth_work.columns)
        parent = str(hexes.cells_to_str(hexes.cells_to_parent(hexes.str_to_cells([cell]), 8))[0])
        partner = build_profile(store, parent, WINDOW, months, "partnership", build.config)
        assert partner.time_of_week is None and partner.missing_themes is None
        assert "incidents" not in partner.youth_work.columns
        values = partner.series.to_numpy()
        assert not ((values >= 1) & (values <= 5)).any()
        assert list(partner.series.index)[:2] == ["2023 Q1", "2023 Q2"]
        with pytest.raises(PermissionError):
            build_profile(store, cell, WINDOW, months, "partnership", build.config)


def test_filter_ranking_by_category_and_active_layers(ranked) -> None:
    _, ranking, _ = ranked
    both = filter_ranking(ranking, ["Persistent Hot Spot"], ["syv", "missing"])
    assert len(both) and (both["category"] == "Persistent Hot Spot").all()
    assert (both["n_missing"] > 0).all() and (both["n_syv"] > 0).all()
    assert len(filter_ranking(ranking)) == len(ranking)
    with pytest.raises(ValueError):
        filter_ranking(ranking, layers=["nonsense"])


def test_partnership_ranking_table_is_the_ranking(ranked) -> None:
    """Nothing is dropped from the partnership's list after the analysis (a gap in the
    ranks would point at a premise); the ranking map layer's labels follow the ranks."""
    build, _, partner = ranked
    shown = hot_cells_table(partner, "partnership", 8, build.config)
    assert shown["rank"].tolist() == list(range(1, len(partner) + 1))
    layer = ranking_layer_from(shown, 3)
    labels = {f["properties"]["cell"]: f["properties"]["label"] for f in layer.geojson["features"]}
    assert [labels[c].split(" ")[0] for c in shown["cell"].head(3)] == ["#1", "#2", "#3"]
