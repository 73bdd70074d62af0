"""AppTest of the Youth work page (coverage, gaps, planner) for both data roles, on the
synthetic demo with its fictional health sites ingested."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import h3
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGE = Path(__file__).resolve().parents[2] / "pages" / "youth_work.py"
WINDOW = {"from": "2023-01", "to": "2024-12"}
MIN_COUNT = 6
PARTNERSHIP_GAP_COLUMNS = [
    "Place", "rank", "time_block", "incidents", "missing", "hours_per_week", "why", "reason",
    "nearest_health_site", "site_name", "site_distance_m", "Cell id",
]  # fmt: skip


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from geo.area import load_study_area
    from geo.demo import build_demo
    from geo.demo_health import write_demo_health_sites
    from geo.ingest import ingest_file
    from geo.store import Store

    out = tmp_path_factory.mktemp("demo")
    build = build_demo(out, seed=0)
    area = load_study_area(build.config.study_area)
    with Store(build.config.store_path) as store:
        if not store.scalar("SELECT count(*) FROM health_sites"):
            path = write_demo_health_sites(out / "health_sites.csv")
            report = ingest_file(store, build.config, area, "health_sites", path, who="test")
            assert report.accepted == 5, report.summary()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "placesafe.toml"))
        yield build.truth


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    ok(at)
    at.switch_page(str(PAGE)).run()
    ok(at)
    assert [t.value for t in at.title] == ["Youth work"]
    return at


def tables(at: AppTest) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The gap table and the plan table."""
    frames = [d.value for d in at.dataframe]
    gaps = next(f for f in frames if "reason" in f.columns)
    plan = next(f for f in frames if "step" in f.columns)
    return gaps, plan


def downloads(at: AppTest) -> dict[str, object]:
    return {d.key: d for d in at.get("download_button")}


def test_analyst_sees_the_planted_gap_a_plan_and_the_exact_check(truth: dict) -> None:
    at = open_page(res="9", **WINDOW)
    gaps, plan = tables(at)
    planted = truth["youth_work_gap"]
    top = gaps.head(5)
    label = "Weekend evenings (Fri-Sun 19:00-23:00)"
    assert planted["block"] == "weekend_evening"
    assert ((top["Cell id"] == planted["cell"]) & (top["time_block"] == label)).any()
    assert gaps["reason"].str.contains(r"within 400 m .*at those times").all()
    assert {"need", "unmet", "syv", "hsb"} <= set(gaps.columns)
    # the nearest health site (the demo's sites, some outside the borough)
    assert gaps["nearest_health_site"].ne("").all()
    assert gaps["site_distance_m"].gt(0).all()
    assert "(synthetic)" in gaps["site_name"].iloc[0]
    # greedy plan of K = 10 with marginal gains and the exact comparison (small: automatic)
    assert len(plan) == 10 and list(plan["step"]) == list(range(1, 11))
    assert plan["share_of_unmet_need_pct"].is_monotonic_increasing
    assert {"gain", "cumulative"} <= set(plan.columns)
    assert any("greedy plan reaches" in m.value for m in at.markdown)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert {"yw_plan_download", "yw_summary_download", "yw_gaps_download"} <= set(downloads(at))
    assert any("# Youth-work deployment plan" in m.value for m in at.markdown)


def test_widgets_change_the_plan(truth: dict) -> None:
    at = open_page(res="9", **WINDOW)
    at.slider(key="yw_k").set_value(3).run()
    ok(at)
    _, plan = tables(at)
    assert len(plan) == 3
    at.multiselect(key="yw_blocks").set_value(["weekend_evening"]).run()
    ok(at)
    gaps, plan = tables(at)
    assert set(plan["block"]) == {"weekend_evening"}
    assert set(gaps["time_block"]) == {"Weekend evenings (Fri-Sun 19:00-23:00)"}
    before = plan["share_of_unmet_need_pct"].iloc[-1]
    at.select_slider(key="yw_reach").set_value(600).run()
    ok(at)
    assert tables(at)[1]["share_of_unmet_need_pct"].iloc[-1] != before
    at.select_slider(key="yw_min_hours").set_value(2.0).run()
    ok(at)
    # a fixed site at the top gap takes its need out before planning
    gaps, plan = tables(at)
    option = at.multiselect(key="yw_fixed").options[0]
    assert option.startswith(f"#1 {gaps['Place'].iloc[0]} · Weekend evenings")
    at.multiselect(key="yw_fixed").select(option).run()
    ok(at)
    assert not tables(at)[1].equals(plan)
    # no time block: a warning, no exception
    at.multiselect(key="yw_blocks").set_value([]).run()
    assert not at.exception
    assert any("at least one time block" in w.value for w in at.warning)


def _small(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return bool(((v >= 1) & (v < MIN_COUNT)).any())


def test_partnership_sees_coarse_disclosed_gaps_and_shares_only(truth: dict) -> None:
    at = open_page(res="10", **WINDOW)
    at.radio(key="view_as").set_value("partnership").run()
    ok(at)
    assert at.session_state["role"] == "partnership" and at.session_state["res"] == 8
    gaps, plan = tables(at)
    assert list(gaps.columns) == PARTNERSHIP_GAP_COLUMNS
    assert not gaps.empty and list(gaps["rank"]) == list(range(1, len(gaps) + 1))
    for frame in (gaps, plan):
        assert all(h3.get_resolution(c) <= 8 for c in frame["Cell id"])
    assert not _small(gaps["incidents"]) and not _small(gaps["missing"])
    small_quote = re.compile(r"\b[1-5] (?:incident|missing child)")
    assert not gaps["reason"].str.contains(small_quote).any()
    assert {"gain", "cumulative"}.isdisjoint(plan.columns)
    text = "\n".join(m.value for m in at.markdown)
    assert "Need covered" not in text and "(weighted)" not in text
    assert not small_quote.search(text)
    assert "yw_plan_download" in downloads(at)
    # every quarter of the partnership's menu renders (patterns use the whole window)
    for quarter in list(at.selectbox(key="quarter_select").options)[:2]:
        at.selectbox(key="quarter_select").set_value(quarter).run()
        ok(at)
        assert tables(at)[0]["rank"].iloc[0] == 1


def test_a_hostile_site_name_is_plain_text(truth: dict, tmp_path: Path) -> None:
    """A site name with HTML and a JS template literal reaches the table as plain text
    and the map only escaped."""
    from geo import coverage_view as cview
    from geo.maps import build_map
    from ui import cache

    config = cache.get_config()
    sites = pd.DataFrame(
        {"source": ["x"], "site_id": ["h1"], "name": ["<img src=x onerror=alert(1)>${x}`"],
         "kind": ["gp_surgery"], "cell": [truth["youth_work_gap"]["cell"]]}
    )  # fmt: skip
    layer = cview.sites_layer(sites, 9)
    label = layer.geojson["features"][0]["properties"]["label"]
    assert "<img" not in label and "${" not in label and "`" not in label
    area = cache.get_area(config)
    html = build_map(area.centre, area.bounds, area.boundary, [layer]).get_root().render()
    assert "<img src=x" not in html
