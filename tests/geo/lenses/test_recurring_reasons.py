"""The ranked list does not contradict itself: plain patterns, reasons particular to each
place, and one ranking for the list and the profile (issue 15, item 3)."""

from __future__ import annotations

from pathlib import Path

import h3
import pandas as pd
import pytest

from geo.core.area import load_study_area
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.lenses.recurring import (
    RankingSettings,
    filter_ranking,
    method_in_words,
    rank_recurring_locations,
    ranking_entry,
)
from geo.lenses.recurring_places import pattern_label
from geo.render.layers import hot_cells_table
from geo.store.database import Store

#: The default windows: the analyst's last 12 months, the partnership's calendar year.
WINDOW = Filters("2024-01", "2024-12")


@pytest.fixture(scope="module")
def rankings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    build = build_demo(Path(tmp_path_factory.mktemp("demo")), seed=0)
    area = load_study_area(build.config.study_area)
    out = {}
    with Store(build.config.store_path) as store:
        for res in (8, 9):
            out[f"analyst-{res}"] = rank_recurring_locations(
                store, area, WINDOW, RankingSettings(res=res)
            )
        partner = rank_recurring_locations(
            store, area, WINDOW, RankingSettings(res=8, exact_counts=False)
        )
        out["partnership-8"] = hot_cells_table(partner, "partnership", 8, build.config)
    return out


@pytest.mark.parametrize("which", ["analyst-8", "analyst-9", "partnership-8"])
def test_no_two_of_the_top_10_give_the_same_reason(rankings, which: str) -> None:
    top = rankings[which].head(10)
    assert len(top) == 10
    assert top["reasons"].is_unique, top["reasons"].tolist()
    # built from what is particular to the place: what happens there, whose data, a school
    assert top["reasons"].str.contains("mostly ").all()
    assert top["reasons"].str.contains("nearest school ").all()
    assert top["reasons"].str.contains(r"Records from [a-z]", regex=True).all()


@pytest.mark.parametrize("which", ["analyst-8", "analyst-9", "partnership-8"])
def test_the_pattern_never_contradicts_the_months_hot(rankings, which: str) -> None:
    ranking = rankings[which]
    assert "No Pattern Detected" not in set(ranking["pattern"])
    hot = ranking["hot_periods"] > 0
    assert not ranking.loc[hot, "pattern"].eq("Not a hot spot").any()
    assert ranking.loc[~hot, "pattern"].eq("Not a hot spot").all()
    quiet_lately = hot & ranking["code"].eq(0)
    assert ranking.loc[quiet_lately, "pattern"].str.endswith("not the latest").all()
    assert ranking.loc[quiet_lately, "reasons"].str.contains("but not in the latest").all()


def test_partnership_reasons_name_no_count(rankings) -> None:
    reasons = rankings["partnership-8"]["reasons"]
    stripped = reasons.str.replace(r"\d+ of the last \d+ months", "", regex=True)
    stripped = stripped.str.replace(r"within \d+ m", "", regex=True)
    stripped = stripped.str.replace(r"\(\d+(\.\d)? k?m\)", "", regex=True)
    assert not stripped.str.contains(r"\d").any(), stripped[stripped.str.contains(r"\d")]


def test_pattern_labels() -> None:
    assert pattern_label(3, 12, 12) == "Intensifying hot spot"
    assert pattern_label(0, 9, 12) == "Hot in most months, not the latest"
    assert pattern_label(0, 2, 12) == "Hot in some months, not the latest"
    assert pattern_label(0, 0, 12) == "Not a hot spot"
    assert pattern_label(8, 11, 12) == "Historical hot spot, not the latest month"


def test_filter_by_pattern(rankings) -> None:
    ranking = rankings["analyst-8"]
    chosen = ranking["pattern"].iloc[3]
    assert (filter_ranking(ranking, [chosen])["pattern"] == chosen).all()


def test_method_in_plain_words() -> None:
    text = method_in_words()
    assert "README" not in text and "_" not in text
    assert "at most 11" in text


def test_ranking_entry_across_resolutions(rankings) -> None:
    ranking = rankings["analyst-8"]
    second = ranking.iloc[1]
    assert ranking_entry(ranking, second["cell"])["rank"] == 2
    if second["part_of"]:
        assert ranking_entry(ranking, second["part_of"][0])["match"] == "part"
    child = h3.cell_to_center_child(second["cell"], 9)
    entry = ranking_entry(ranking, child)
    assert entry is not None and entry["rank"] == 2 and entry["match"] == "inside"
    parent = h3.cell_to_parent(ranking.iloc[0]["cell"], 7)
    entry = ranking_entry(ranking, parent)
    assert entry is not None and entry["rank"] == 1 and entry["match"] == "contains"
    assert ranking_entry(ranking, "not a cell") is None
