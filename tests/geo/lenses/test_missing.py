"""Missing-from-home analysis (geo.lenses.missing): hand-built edge cases and the demo truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.config import Config
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.disclosure import protected_cells, store_for
from geo.disclosure.missing import (
    coarsen_home_area,
    disclose_children,
    found_cells_for_partnership,
    home_areas_for_partnership,
)
from geo.lenses.missing import (
    EPISODE_COLUMNS,
    THEMES,
    by_school,
    episodes,
    measures,
    measures_with_change,
    repeat_children,
    schools_for_partnership,
    theme_area_table,
    theme_counts,
)
from geo.lenses.missing_places import found_location_overlap
from geo.store.database import Store

WHOLE = Filters("2023-01", "2024-12")
T0 = pd.Timestamp("2024-01-01 10:00")


def frame(rows: list[tuple[str, pd.Timestamp]], **extra: list[Any]) -> pd.DataFrame:
    """Hand-built episodes: (child_key, reported_at), plus optional columns."""
    n = len(rows)
    base: dict[str, Any] = {
        "episode_id": [f"E{i}" for i in range(n)],
        "child_key": [c for c, _ in rows],
        "reported_at": pd.to_datetime([t for _, t in rows]),
        "returned_at": pd.to_datetime([t + pd.Timedelta(hours=10) for _, t in rows]),
        "cell_7": [""] * n,
        "cell_8": [""] * n,
        "cell_9": [""] * n,
        "cell_10": [""] * n,
        "home_area": [""] * n,
        "school_urn": [""] * n,
        "looked_after": [False] * n,
        "age_band": ["14-17"] * n,
        "sex": ["female"] * n,
        "ethnicity": ["white"] * n,
        "rhi_status": ["not_offered"] * n,
        "rhi_completed_at": pd.to_datetime([pd.NaT] * n),
        "rhi_themes": [""] * n,
        "risk_level": ["low"] * n,
        "record_key": [(17 * i) % 256 for i in range(n)],
    }
    base.update(extra)
    return pd.DataFrame(base)[list(EPISODE_COLUMNS)]


def days(d: float) -> pd.Timedelta:
    return pd.Timedelta(days=d)


# --- repeat missing at the edges -----------------------------------------------------------


def test_three_episodes_spanning_exactly_90_days_is_repeat() -> None:
    f = frame([("a", T0), ("a", T0 + days(40)), ("a", T0 + days(90))])
    assert list(repeat_children(f)) == ["a"]


def test_three_episodes_spanning_91_days_is_not_repeat() -> None:
    f = frame([("a", T0), ("a", T0 + days(40)), ("a", T0 + days(91))])
    assert list(repeat_children(f)) == []


def test_one_minute_past_90_days_is_not_repeat() -> None:
    f = frame([("a", T0), ("a", T0 + days(1)), ("a", T0 + days(90) + pd.Timedelta(minutes=1))])
    assert list(repeat_children(f)) == []


def test_only_a_middle_triple_fits() -> None:
    # 0, 100, 150, 189, 300: only (100, 150, 189) lies within 90 days; (0,100,150) and
    # (150,189,300) do not.
    f = frame([("a", T0 + days(d)) for d in (300, 0, 150, 189, 100)])
    assert list(repeat_children(f)) == ["a"]
    g = frame([("a", T0 + days(d)) for d in (0, 100, 150, 191, 300)])
    assert list(repeat_children(g)) == []


def test_several_children_are_kept_apart() -> None:
    # b and c together would make three within 90 days, but they are different children
    rows = [("a", T0 + days(d)) for d in (0, 30, 60)]
    rows += [("b", T0 + days(d)) for d in (0, 10)] + [("c", T0 + days(5))]
    rows += [("d", T0 + days(d)) for d in (0, 46, 92, 138)]  # every triple spans 92 days
    rows += [("e", T0 + days(d)) for d in (0, 0, 0)]  # same moment three times
    f = frame(rows)
    assert list(repeat_children(f)) == ["a", "e"]
    assert list(repeat_children(f, n=2, days=10)) == ["b", "e"]  # a is 30 days apart
    assert list(repeat_children(f.iloc[0:0])) == []


# --- measures on hand-built episodes -------------------------------------------------------


def test_measures_hand_built() -> None:
    t = [T0, T0 + days(10), T0 + days(20), T0 + days(30)]
    returned = [t[0] + pd.Timedelta(hours=2), t[1] + pd.Timedelta(hours=4), pd.NaT, t[3]]
    f = frame(
        [("a", t[0]), ("a", t[1]), ("a", t[2]), ("b", t[3])],
        returned_at=pd.to_datetime(returned),
        looked_after=[True, False, False, False],
        rhi_status=["completed", "completed", "not_offered", "declined"],
        rhi_completed_at=pd.to_datetime(
            [returned[0] + pd.Timedelta(hours=72), returned[1] + pd.Timedelta(hours=73), None, None]
        ),
    )
    m = measures(f)
    assert m["episodes"] == 4
    assert m["children"] == 2
    assert m["repeat_children"] == 1
    assert m["looked_after_share"] == 0.5
    assert m["still_missing"] == 1
    assert m["median_duration_h"] == pytest.approx(2.0)  # durations 2, 4, 0 hours
    assert m["rhi_offered"] == 3
    assert m["rhi_completed"] == 2
    assert m["rhi_completed_72h"] == 1  # exactly 72 h counts, 73 h does not
    assert m["rhi_declined_share"] == pytest.approx(1 / 3)
    # with "now" just after the last return, its 72 h window is still open
    m_now = measures(f, now=t[3] + pd.Timedelta(hours=1))
    assert m_now["rhi_due"] == 2


def test_theme_counts_period_and_area() -> None:
    f = frame(
        [("a", T0), ("a", T0 + days(1)), ("a", T0 + days(2)), ("b", T0 + days(40))],
        rhi_themes=["peer_group;peer_group", "peer_group;other", "", "family_conflict"],
        cell_7=["87194e688ffffff"] * 4,
    )
    by_month = theme_counts(f, by="period").set_index(["key", "theme"])
    assert by_month.loc[("2024-01", "peer_group"), "count"] == 2  # listed twice: counted once
    assert by_month.loc[("2024-01", "peer_group"), "repeat_count"] == 2
    assert by_month.loc[("2024-02", "family_conflict"), "repeat_count"] == 0
    assert by_month.loc[("2024-02", "peer_group"), "change"] == -2
    assert np.isnan(by_month.loc[("2024-01", "peer_group"), "previous"])
    prev = frame([("z", T0 - days(5))], rhi_themes=["peer_group"], cell_7=["87194e688ffffff"])
    with_prev = theme_counts(f, by="period", previous=prev).set_index(["key", "theme"])
    assert with_prev.loc[("2024-01", "peer_group"), "change"] == 1
    by_area = theme_counts(f, by="area", res=7, previous=prev).set_index(["key", "theme"])
    assert by_area.loc[("87194e688ffffff", "peer_group"), "previous"] == 1
    assert set(THEMES) <= set(by_area.index.get_level_values("theme"))
    table = theme_area_table(f, res=7)
    assert table.loc["87194e688ffffff", "peer_group"] == 2
    assert table.loc["87194e688ffffff", "family_conflict"] == 1


def test_dual_registration_hand_built() -> None:
    f = frame(
        [("a", T0), ("a", T0 + days(1)), ("b", T0), ("c", T0)],
        school_urn=["100;900", "100;900", "100", "900;900"],  # c: one school listed twice
    )
    s = by_school(f).set_index("urn")
    assert s.loc["100", "episodes"] == 3
    assert s.loc["100", "children"] == 2
    assert s.loc["900", "episodes"] == 3
    assert s.loc["900", "children"] == 2
    assert s.loc["100", "dual_registered_children"] == 1


def test_disclose_children_secondary_suppression(demo: Demo) -> None:
    config = demo.config
    assert config.disclosure.min_count == 6
    table = pd.DataFrame({"k": ["x", "y", "z"], "children": [20.0, 3.0, 30.0]})
    out = disclose_children(table, "k", 53.0, config)
    held = out.table.set_index("k")["withheld"]
    # y alone would be revealed by 53 - 20 - 30: another row (the smaller, x) goes too
    assert held["y"] and held["x"] and not held["z"]
    assert out.total == 53.0
    assert not out.table["children"].between(1, 5).any()
    # a total that is itself small is withheld
    small = disclose_children(pd.DataFrame({"k": ["x"], "children": [4.0]}), "k", 4.0, config)
    assert small.total is None


def test_coarsen_home_area_never_below_res_7() -> None:
    res9 = "89194e6884bffff"
    out = coarsen_home_area(pd.Series([res9, "E01000001", "87194e688ffffff", ""]))
    assert list(out[1:]) == ["E01000001", "87194e688ffffff", ""]
    assert hexes.cell_resolution(hexes.str_to_cells([out[0]]))[0] == 7


# --- the demo ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    config: Config
    truth: dict[str, Any]
    frame: pd.DataFrame
    path: Any


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    built = build_demo(tmp_path_factory.mktemp("missing_demo"), seed=0)
    with Store(built.config.store_path, read_only=True) as store:
        f = episodes(store, WHOLE)
    return Demo(built.config, built.truth, f, built.out_dir)


def test_demo_episodes_columns_and_types(demo: Demo) -> None:
    assert list(demo.frame.columns) == list(EPISODE_COLUMNS)
    for col in ("reported_at", "returned_at", "rhi_completed_at"):
        assert pd.api.types.is_datetime64_any_dtype(demo.frame[col])
    assert len(demo.frame) > 500


def test_demo_repeat_children_match_truth_exactly(demo: Demo) -> None:
    assert demo.truth["repeat_missing_children"] > 0
    assert len(repeat_children(demo.frame)) == demo.truth["repeat_missing_children"]


def test_demo_found_hotspot(demo: Demo) -> None:
    cell = demo.truth["missing_found_hotspot"]["cell"]
    area = load_study_area(demo.config.study_area)
    with Store(demo.config.store_path, read_only=True) as store:
        overlap = found_location_overlap(store, area, WHOLE, res=9)
    assert overlap.missing_gi.loc[cell, "bin"] == 3, "planted found-location cell not hot"
    assert cell in overlap.cells.index, "planted found cell not listed as overlapping SYV"
    assert overlap.incident_gi.loc[cell, "bin"] > 0
    assert overlap.cells["reason"].str.contains("also an SYV hot spot").all()
    assert ((overlap.cells["missing_bin"] > 0) & (overlap.cells["incident_bin"] > 0)).all()


def test_demo_dual_registration_counted_once_per_school(demo: Demo) -> None:
    f = demo.frame
    dual = f["school_urn"].str.contains(";")
    assert dual.any()
    s = by_school(f).set_index("urn")
    for urn in ("900129",) + tuple(f.loc[dual, "school_urn"].str.split(";").str[0].unique()):
        on_roll = f["school_urn"].str.split(";").apply(lambda u, urn=urn: urn in u)
        assert s.loc[urn, "episodes"] == on_roll.sum()
        assert s.loc[urn, "children"] == f.loc[on_roll, "child_key"].nunique()
    # every dual-registered episode counts at both schools, never twice at one
    total = f["school_urn"].str.split(";").map(lambda u: len(set(u) - {""})).sum()
    assert s["episodes"].sum() == total


def test_demo_rhi_measures_are_consistent(demo: Demo) -> None:
    m = measures(demo.frame)
    assert 0 < m["rhi_completed_72h"] <= m["rhi_completed"] <= m["rhi_offered"] <= m["episodes"]
    assert m["rhi_declined"] <= m["rhi_offered"]
    assert 0 <= m["rhi_declined_share"] <= 1
    assert 0 < m["looked_after_share"] < 1
    assert 0 < m["median_duration_h"] <= m["p90_duration_h"]
    assert m["repeat_children"] <= m["children"] <= m["episodes"]
    with Store(demo.config.store_path, read_only=True) as store:
        change = measures_with_change(store, Filters("2024-07", "2024-12"))
    assert list(change.columns) == ["current", "previous", "change"]
    assert change.loc["episodes", "change"] == (
        change.loc["episodes", "current"] - change.loc["episodes", "previous"]
    )


def test_demo_partnership_outputs_hide_small_children_counts(demo: Demo) -> None:
    schools = schools_for_partnership(demo.frame, demo.config)
    homes = home_areas_for_partnership(demo.frame, demo.config)
    for out in (schools, homes):
        for col in ("children", "repeat_children", "dual_registered_children"):
            if col in out.table:
                assert not out.table[col].between(1, 5).any(), col
        assert out.total is None or out.total >= 6
    found = found_cells_for_partnership(demo.frame, demo.config)
    assert set(found.levels) == {7, 8}
    for level in found.levels.values():
        assert not level["children"].between(1, 5).any()
        assert not level["value"].between(1, 5).any()


def test_demo_childrens_home_episodes_are_left_out_of_the_publishable_dataset(
    demo: Demo,
) -> None:
    protected = protected_cells(demo.config)
    home11 = hexes.str_to_cells([demo.truth["childrens_home"]["cell_11"]])
    assert int(home11[0]) in set(protected.tolist())
    listed = ", ".join(str(int(c)) for c in protected)
    with Store(demo.config.store_path, read_only=True) as store:
        at_home = store.scalar(f"SELECT count(*) FROM missing_episodes WHERE cell IN ({listed})")
        published = episodes(store_for(store, "partnership", demo.config), WHOLE)
    assert at_home >= 20, "the demo plants episodes found at the home"
    assert len(demo.frame) - len(published) == at_home
    assert set(published["episode_id"]) < set(demo.frame["episode_id"])
    # what is left is published like any other place: small counts withheld, nothing else
    found = found_cells_for_partnership(published, demo.config)
    for level in found.levels.values():
        shown = level.loc[~level["withheld"], "value"]
        assert not shown.between(1, 5).any()
    homes = home_areas_for_partnership(published, demo.config).table.set_index("home_area")
    cells = homes.index[homes.index.str.fullmatch(r"[0-9a-f]{15}")]
    assert (hexes.cell_resolution(hexes.str_to_cells(cells)) <= 7).all()


def test_a_run_ending_in_the_period_counts_with_its_earlier_episodes() -> None:
    frame = pd.DataFrame(
        {
            "child_key": ["a", "a", "a", "b", "b", "b"],
            "reported_at": pd.to_datetime(
                [
                    "2023-12-20 10:00", "2024-01-05 10:00", "2024-01-10 10:00",  # ends in Q1
                    "2023-11-01 10:00", "2023-11-20 10:00", "2023-12-01 10:00",  # before Q1
                ]
            ),
        }
    )  # fmt: skip
    since = pd.Timestamp("2024-01-01")
    assert list(repeat_children(frame, since=since)) == ["a"]
    assert list(repeat_children(frame)) == ["a", "b"]
    # within the quarter alone child a has only two episodes
    assert list(repeat_children(frame[frame["reported_at"] >= since])) == []


def test_demo_quarter_repeat_children_reach_back(demo: Demo) -> None:
    from geo.lenses.missing import repeat_children_in_period

    more = 0
    with Store(demo.config.store_path, read_only=True) as store:
        whole = repeat_children_in_period(store, WHOLE)
        assert len(whole) == demo.truth["repeat_missing_children"]
        for q in ("2023-04", "2023-07", "2024-01", "2024-07"):
            end = (pd.Period(q, freq="M") + 2).strftime("%Y-%m")
            f = Filters(q, end)
            inside = repeat_children(episodes(store, f))
            reach = repeat_children_in_period(store, f)
            assert set(inside) <= set(reach)
            more += len(set(reach) - set(inside))
    assert more > 0, "some runs start before a quarter and end in it"
