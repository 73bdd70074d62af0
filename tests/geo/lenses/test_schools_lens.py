"""The schools lens (geo.lenses.schools): journey windows, buffers, missing pupils, demo ranking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import cells_to_bng, load_study_area
from geo.core.filters import Filters
from geo.core.terms import TermDates, in_term, journey_window
from geo.demo.build import build_demo
from geo.disclosure.schools import disclose_schools
from geo.lenses.school_ranking import rank_schools
from geo.lenses.schools import (
    buffer_counts,
    classify_times,
    incidents_near_schools,
    missing_by_school,
    pairs_within,
    top_recurring,
)
from geo.store.database import Store

WINDOW = Filters("2023-01", "2024-12")
HALF_TERM = TermDates(closures=(("2024-10-28", "2024-11-01"),))


# ------------------------------------------------------------------ journey windows
@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ("07:29", False),
        ("07:30", True),
        ("08:59", True),
        ("09:00", False),
        ("14:59", False),
        ("15:00", True),
        ("17:29", True),
        ("17:30", False),
    ],
)
def test_journey_window_edges(clock: str, expected: bool) -> None:
    # Wednesday 6 March 2024: a term-time weekday in the default calendar
    t = pd.Timestamp(f"2024-03-06 {clock}")
    assert journey_window([t])[0] == expected


def test_journey_window_weekend_and_holidays() -> None:
    times = pd.to_datetime(
        [
            "2024-03-09 08:00",  # Saturday in term
            "2024-03-10 16:00",  # Sunday in term
            "2024-08-14 08:00",  # Wednesday in August
            "2024-12-27 08:00",  # Christmas holidays
            "2024-10-30 08:00",  # Wednesday inside the configured half-term
            "2024-10-23 08:00",  # the Wednesday before it
        ]
    )
    got = journey_window(times, HALF_TERM)
    assert got.tolist() == [False, False, False, False, False, True]
    # without the configured half-term the same Wednesday is a journey day
    assert journey_window(times[4:5], TermDates())[0]
    # yearly half-terms of the England preset
    assert not journey_window(pd.to_datetime(["2024-10-30 08:00"]), TermDates.england())[0]


def test_in_term_yearly_ranges_and_wrap() -> None:
    terms = TermDates(terms=(("12-01", "01-10"),))  # a range over the new year
    got = in_term(pd.to_datetime(["2024-12-31", "2025-01-10", "2025-01-11", "2024-11-30"]), terms)
    assert got.tolist() == [True, True, False, False]
    with pytest.raises(ValueError):
        in_term(pd.to_datetime(["2024-01-01"]), TermDates(terms=(("2024-01", "02-01"),)))


def test_only_minute_precision_is_classified() -> None:
    t = pd.to_datetime(
        ["2024-03-06 08:00", "2024-03-06 08:00", "2024-03-01 00:00", "2024-03-06 12:00"]
    )
    got = classify_times(t, ["minute", "day", "month", "minute"])
    assert got.tolist() == ["journey", "time_unknown", "time_unknown", "other"]


# ------------------------------------------------------------------ buffers
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_buffer_counts_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cx, cy = rng.uniform(0, 5_000, 40), rng.uniform(0, 5_000, 40)
    px, py = rng.uniform(0, 5_000, 3_000), rng.uniform(0, 5_000, 3_000)
    # exact ties on the radius: points exactly 400 m east of the first centres
    px[:5], py[:5] = cx[:5] + 400.0, cy[:5]
    groups = rng.integers(0, 3, px.size)
    got = buffer_counts(cx, cy, px, py, (250.0, 400.0, 800.0), groups, n_groups=3)
    d = np.hypot(cx[:, None] - px[None, :], cy[:, None] - py[None, :])  # O(n·m)
    for k, r in enumerate((250.0, 400.0, 800.0)):
        for g in range(3):
            want = ((d <= r) & (groups[None, :] == g)).sum(axis=1)
            np.testing.assert_array_equal(got[:, k, g], want)
    i, j, dist = pairs_within(cx, cy, px, py, 400.0)
    assert len(i) == int((d <= 400.0).sum())
    np.testing.assert_allclose(dist, d[i, j])


def test_buffer_counts_empty_inputs() -> None:
    got = buffer_counts([0.0], [0.0], [], [], (400.0,))
    assert got.shape == (1, 1, 1) and got.sum() == 0


# ------------------------------------------------------------------ missing pupils
def test_dual_registration_counted_once_per_school() -> None:
    t = pd.Timestamp("2024-03-01")
    episodes = pd.DataFrame(
        {
            "source": "mfh",
            "episode_id": ["e1", "e2", "e3", "e4", "e5"],
            "child_key": ["a", "a", "a", "b", "c"],
            "reported_at": [t, t + pd.Timedelta(days=30), t + pd.Timedelta(days=90), t, t],
            # a: mainstream + PRU; b: PRU listed twice; c: no school
            "school_urn": ["100;900", "100; 900", "900;100", "900;900", ""],
        }
    )
    got = missing_by_school(episodes)
    assert got.loc["100"].tolist() == [3, 1, 1]  # episodes, children, repeat children
    assert got.loc["900"].tolist() == [4, 2, 1]
    assert set(got.index) == {"100", "900"}


def test_repeat_edge_ninety_days() -> None:
    t = pd.Timestamp("2024-01-01")
    rows = []
    for child, gap in (("exact", 90), ("over", 91)):
        for k, days in enumerate((0, 10, gap)):
            rows.append((f"{child}{k}", child, t + pd.Timedelta(days=days)))
    episodes = pd.DataFrame(rows, columns=["episode_id", "child_key", "reported_at"])
    episodes["source"] = "mfh"
    episodes["school_urn"] = "1"
    got = missing_by_school(episodes)
    assert got.loc["1", "missing_children"] == 2
    assert got.loc["1", "missing_repeat_children"] == 1  # exactly 90 days counts, 91 not


# ------------------------------------------------------------------ ranking and disclosure
def _toy_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": ["a", "b", "c"],
            "urn": ["1", "2", "3"],
            "name": ["A", "B", "C"],
            "phase": ["secondary", "primary", "not_applicable"],
            "kind": ["mainstream", "academy", "alternative_provision"],
            "flag": ["", "", "alternative provision"],
            "incidents_400m": [20, 5, 9],
            "incidents_400m_journey": [14, 0, 3],
            "incidents_400m_other": [6, 5, 6],
            "incidents_400m_time_unknown": [0, 0, 0],
            "hsb_400m": [0, 2, 0],
            "missing_episodes": [12, 0, 20],
            "missing_children": [7, 0, 6],
            "missing_repeat_children": [3, 0, 1],
            "recurring_nearby": [0, 0, 1],
            "recurring_categories": ["", "", "Persistent Hot Spot"],
        }
    )


def test_rank_schools_score_reasons_and_filters() -> None:
    ranked = rank_schools(_toy_table(), min_count=6)
    assert ranked["urn"].tolist() == ["1", "3", "2"]
    # score = 3·14/14 + 1·6/6 + 0 + 1·7/7 + 2·3/3 + 0 = 7
    assert ranked.loc[0, "score"] == pytest.approx(7.0)
    assert ranked.loc[0, "reasons"] == (
        "14 incidents within 400 m on the school journey in the period; "
        "3 of its pupils missing 3 or more times in 90 days."
    )
    ap = rank_schools(_toy_table(), kinds=("alternative_provision",), min_count=6)
    assert ap["urn"].tolist() == ["3"] and ap.loc[0, "flag"] == "alternative provision"
    # filtering does not change a school's score
    assert ap.loc[0, "score"] == ranked.set_index("urn").loc["3", "score"]


def test_partnership_never_sees_small_counts() -> None:
    ranked = rank_schools(_toy_table(), exact_counts=False, min_count=6)
    shown = disclose_schools(ranked, "partnership", min_count=6)
    assert "score" not in shown and not any(c.startswith("c_") for c in shown)
    counts = shown.filter(regex=r"^(incidents_|hsb_|missing_)")
    values = counts.to_numpy(dtype=float, na_value=np.nan)
    assert not ((values >= 1) & (values <= 5)).any()
    a = shown.set_index("urn").loc["1"]
    # journey 14 and other 6 shown, so the total may stay; repeat children 3 withheld
    assert a["incidents_400m"] == 20 and pd.isna(a["missing_repeat_children"])
    c = shown.set_index("urn").loc["3"]
    # journey 3 withheld beside other 6 and unknown 0: the total 9 must go too
    assert pd.isna(c["incidents_400m_journey"]) and pd.isna(c["incidents_400m"])
    # rule numbers (3 or more times) and counts of places are not counts of people
    texts = shown["reasons"].str.replace(r"3 or more times|\d+ recurring location", "", regex=True)
    for text in texts:
        assert not any(f" {n} " in f" {text} " for n in range(1, 6)), text
    assert disclose_schools(ranked, "analyst", min_count=6).equals(ranked)


# ------------------------------------------------------------------ on the demo
@pytest.fixture(scope="module", params=[0, 1])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    build = build_demo(Path(tmp_path_factory.mktemp(f"schools{request.param}")), seed=request.param)
    area = load_study_area(build.config.study_area)
    with Store(build.config.store_path, read_only=True) as store:
        recurring = top_recurring(store, area, WINDOW)
        table = incidents_near_schools(store, WINDOW, recurring=recurring)
        episodes = store.query("SELECT school_urn FROM missing_episodes")
    return build.truth, table, recurring, episodes


def test_demo_planted_school_first_for_journey_incidents(demo: Any) -> None:
    # The default TermDates contain every demo term day (geo/demo/data.py's
    # _SCHOOL_HOLIDAYS leave 4 Jan-31 Mar, 14/17 Apr-20/22 Jul and 1/4 Sep-19/20 Dec
    # term, minus half-terms, which the default does not remove).
    truth, table, _, _ = demo
    urn = truth["school_journey_hotspot"]["school_urn"]
    secondary = rank_schools(table, phases=("secondary", "all_through"), min_count=6)
    by_journey = secondary.sort_values("incidents_400m_journey", ascending=False, kind="stable")
    assert by_journey["urn"].iloc[0] == urn
    # over all phases too: no other school is within 500 m of the planted cell
    every = table.sort_values("incidents_400m_journey", ascending=False, kind="stable")
    assert every["urn"].iloc[0] == urn
    # the planted incidents are what puts it there: journey-window incidents dominate
    row = table.set_index("urn").loc[urn]
    assert row["incidents_400m_journey"] > row["incidents_400m_other"] / 2
    # and the planted cell is within 250 m of the school
    x, y = cells_to_bng(hexes.str_to_cells([truth["school_journey_hotspot"]["cell"], row["cell"]]))
    assert float(np.hypot(x[0] - x[1], y[0] - y[1])) <= 300.0


def test_demo_missing_pupils_and_dual_registration(demo: Any) -> None:
    _, table, _, episodes = demo
    urns = episodes["school_urn"].fillna("").str.split(";").explode().str.strip()
    per_episode_schools = (
        episodes["school_urn"]
        .fillna("")
        .str.split(";")
        .map(lambda parts: len({p.strip() for p in parts if p.strip()}))
    )
    known = set(table["urn"])
    assert urns[urns != ""].isin(known).all()
    # each episode once per distinct school it names
    assert table["missing_episodes"].sum() == per_episode_schools.sum()
    assert (table["missing_repeat_children"] <= table["missing_children"]).all()
    assert (table["missing_children"] <= table["missing_episodes"]).all()
    pru = table.loc[table["kind"] == "alternative_provision"].iloc[0]
    assert pru["missing_children"] > 0 and pru["flag"] == "alternative provision"


def test_demo_recurring_places_and_precision(demo: Any) -> None:
    _, table, recurring, _ = demo
    assert recurring is not None and len(recurring) > 0
    assert table["recurring_nearby"].sum() > 0
    has = table["recurring_nearby"] > 0
    assert (table.loc[has, "recurring_categories"] != "").all()
    assert (table["incidents_800m"] >= table["incidents_400m"]).all()
    parts = table.filter(regex=r"^incidents_400m_").sum(axis=1)
    assert (parts == table["incidents_400m"]).all()
