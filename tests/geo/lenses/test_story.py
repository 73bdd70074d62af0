"""The quarter's story (geo/lenses/story.py): the status rules on a hand-made report, and the
planted demo places told as the demo planted them."""

from __future__ import annotations

import re
from typing import Any

import h3
import numpy as np
import pandas as pd
import pytest

from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.core.errors import DisclosureError
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.disclosure import store_for
from geo.lenses.hotspot_report import HotspotReport, run_hotspots, trend_window
from geo.lenses.story import (
    STATUSES,
    QuarterStory,
    previous_quarter,
    quarter_story,
    story_quarter,
    story_table,
)
from geo.render.layers import story_layer
from geo.stats.emerging import EmergingHotspots
from geo.store.database import Store
from geo.store.queries import available_months

MONTHS = [str(p) for p in pd.period_range("2024-01", "2024-12", freq="M")]
Q4 = Filters("2024-10", "2024-12")


class _NoMixStore:
    """A store with no tables: the story then describes no category mix."""

    def has_table(self, name: str) -> bool:
        return False


def _report(hot: dict[str, list[int]], counts: dict[str, list[int]]) -> HotspotReport:
    cells = list(hot)
    bins = pd.DataFrame([hot[c] for c in cells], index=cells, columns=MONTHS)
    series = pd.DataFrame([counts[c] for c in cells], index=cells, columns=MONTHS, dtype=float)
    frame = pd.DataFrame({"code": 0, "category": "No Pattern Detected"}, index=cells)
    em = EmergingHotspots(cells=frame, bins=bins, z=bins.astype(float))
    return HotspotReport(
        series, None, em, None, None, None, "month", series, Filters("2024-01", "2024-12"), 9
    )


def test_the_status_rules() -> None:
    z = [0] * 6
    hot = {
        "new": z + [0, 0, 0, 2, 3, 3],
        "escalated": z + [1, 0, 0, 3, 3, 3],
        "persistent": z + [3, 3, 3, 3, 3, 3],
        "gone": z + [3, 3, 0, 0, 0, 0],
        "one_month": z + [0, 0, 0, 0, 0, 3],  # hot in one month only: not active
        "rose_too_little": z + [2, 2, 2, 3, 3, 3],
    }
    counts = {
        "new": z + [1, 1, 1, 9, 9, 9],
        "escalated": z + [10, 10, 10, 25, 25, 25],  # 30 -> 75: up 150 %, p << 0.05
        "persistent": z + [20, 20, 20, 20, 20, 20],
        "gone": z + [15, 15, 2, 1, 1, 1],
        "one_month": z + [0, 0, 0, 0, 0, 30],
        "rose_too_little": z + [30, 30, 30, 34, 34, 34],  # up 13 %: not escalated
    }
    told = quarter_story(_NoMixStore(), {"incidents": _report(hot, counts)}, Q4, 8, exact=True)  # type: ignore[arg-type]
    status = dict(zip(told.places["cell"], told.places["status"], strict=True))
    assert status == {
        "new": "New",
        "escalated": "Escalated",
        "persistent": "Persistent",
        "gone": "No longer active",
        "rose_too_little": "Persistent",
    }
    # most urgent first
    order = [STATUSES.index(s) for s in told.places["status"]]
    assert order == sorted(order)
    assert told.previous == previous_quarter(Q4) == Filters("2024-07", "2024-09")
    assert told.summary() == (
        "2024 Q4 compared with 2024 Q3: one escalated, one new, two persistent, "
        "one no longer active places."
    )
    why = dict(zip(told.places["cell"], told.places["why"], strict=True))
    assert why["escalated"].startswith("Incidents: a hot spot in all three months")
    assert "(75 records; 30 in 2024 Q3)" in why["escalated"]
    assert why["gone"] == (
        "Incidents: a hot spot in two of the three months of 2024 Q3, no month this quarter "
        "(3 records; 32 in 2024 Q3)."
    )


def test_a_place_hot_in_both_layers_is_one_place_with_both_agencies() -> None:
    z = [0] * 9
    report = _report({"a": z + [3, 3, 3]}, {"a": z + [9, 9, 9]})
    told = quarter_story(
        _NoMixStore(),  # type: ignore[arg-type]
        {"incidents": report, "missing": report},
        Q4,
        8,
        exact=False,
    )
    assert len(told.places) == 1
    assert told.places.loc[0, "agencies"] == "Police, Children's services"
    assert "records" not in str(told.places.loc[0, "why"])  # no counts for the partnership
    table = story_table(told, ["High Street"], exact=False)
    assert list(table.columns) == [
        "Place",
        "What changed",
        "Why it is here",
        "Whose data",
        "Cell id",
    ]


def test_the_story_quarter_is_the_latest_whole_quarter_in_the_period() -> None:
    months = [str(p) for p in pd.period_range("2023-01", "2024-11", freq="M")]
    assert story_quarter(Filters("2024-01", "2024-11"), months) == Filters("2024-07", "2024-09")
    assert story_quarter(Filters("2024-01", "2024-06"), months) == Filters("2024-04", "2024-06")
    assert story_quarter(Filters("2023-01", "2023-02"), months) is None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_demo(tmp_path_factory.mktemp("story_demo"), seed=0)


def _told(
    demo: Any, quarter: Filters, role: str, res: int, describe: bool = True
) -> tuple[Store, QuarterStory]:
    config = load_config(demo.config_path) if hasattr(demo, "config_path") else demo.config
    area = load_study_area(config.study_area)
    store = store_for(Store(config.store_path, read_only=True), role, config)
    trend = trend_window(quarter, available_months(store))
    reports = {
        layer: run_hotspots(
            store, area, layer, res, quarter, "month", 1, True, trend=trend, analysis_res=9
        )  # fmt: skip
        for layer in ("incidents", "missing")
    }
    exact = role == "analyst"
    min_records = 0 if exact else config.disclosure.min_count
    told = quarter_story(store, reports, quarter, res, exact, min_records, describe=describe)
    return store, told


@pytest.mark.parametrize(
    ("quarter", "role", "expected"),
    [
        (Filters("2024-07", "2024-09"), "analyst", "New"),  # the ramp starts in July
        (Filters("2024-10", "2024-12"), "analyst", "Escalated"),  # and keeps rising
        (Filters("2024-10", "2024-12"), "partnership", "Escalated"),
        (Filters("2024-04", "2024-06"), "analyst", None),  # nothing there yet
    ],
)
def test_the_planted_emerging_place(
    demo: Any, quarter: Filters, role: str, expected: str | None
) -> None:
    _, told = _told(demo, quarter, role, 8)
    status = dict(zip(told.places["cell"], told.places["status"], strict=True))
    for h in demo.truth["recurring_hotspots"]:
        at = h3.cell_to_parent(h["cell"], 8)
        if h["kind"] == "emerging":
            assert status.get(at) == expected, (quarter, status.get(at))
        else:  # persistent and fading places are hot spots every quarter
            assert status.get(at) == "Persistent", (h["kind"], status.get(at))


def test_partnership_sentences_carry_no_counts_and_no_mix_for_few_records(demo: Any) -> None:
    _, told = _told(demo, Q4, "partnership", 8)
    assert len(told.places) >= 5
    for why in told.places["why"]:
        # quarters are the only figures: "2024 Q3"
        assert not re.search(r"\d", re.sub(r"\b\d{4} Q[1-4]\b", "", why)), why
    # a sentence describes what the records hold only for places with enough of them
    config = demo.config
    few = told.places["records_now"] < config.disclosure.min_count
    for why in told.places.loc[few, "why"]:
        assert "mostly" not in why and "interviews" not in why, why
    reasons = told.places["why"].tolist()
    assert len(set(reasons)) == len(reasons), "every place has its own sentence"


def test_the_story_map_is_held_to_the_partnership_resolution(demo: Any) -> None:
    _, told = _told(demo, Q4, "analyst", 9)
    names = ["x"] * len(told.places)
    layer = story_layer(told, names, "analyst", 9, demo.config)
    statuses = {
        f["properties"]["label"].split(" · ")[1].split(":")[0] for f in layer.geojson["features"]
    }
    assert statuses <= set(STATUSES)
    with pytest.raises(DisclosureError):
        story_layer(told, names, "partnership", 9, demo.config)
    assert np.all([len(f["properties"]) <= 6 for f in layer.geojson["features"]])


@pytest.mark.parametrize("role", ["analyst", "partnership"])
def test_the_overviews_summary_matches_the_whole_story(demo: Any, role: str) -> None:
    """The Overview's link sentence comes from the story without its sentences
    (``describe=False``): the same places, statuses and summary, no sentence written."""
    for quarter in (Filters("2024-07", "2024-09"), Q4):
        _, whole = _told(demo, quarter, role, 8)
        _, short = _told(demo, quarter, role, 8, describe=False)
        assert len(whole.places) > 0
        cols = ["cell", "status", "records_now", "records_before"]
        pd.testing.assert_frame_equal(whole.places[cols], short.places[cols])
        assert short.summary() == whole.summary()
        assert whole.places["why"].str.len().min() > 0
        assert (short.places["why"].str.strip() == "").all()
