"""AppTest of the Youth work page (coverage, gaps, planner) for both data roles, on the
synthetic demo with its fictional health sites ingested."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import h3
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.core.escape import escape_text

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGE = Path(__file__).resolve().parents[2] / "pages" / "youth_work.py"
WINDOW = {"from": "2023-01", "to": "2024-12"}
MIN_COUNT = 6
PARTNERSHIP_GAP_COLUMNS = [
    "Place", "Rank", "When", "Incidents", "Missing children found here",
    "Youth work in reach (hours a week)", "Why it is listed", "In words", "Nearest health site",
    "Health site", "Distance to the health site", "Cell id",
]  # fmt: skip
PARTNERSHIP_PLAN_COLUMNS = ["#", "Place", "When", "Adds", "Running total", "What it covers",
                            "Cell id"]  # fmt: skip
#: Words for the method, which only "How this is worked out" may use.
JARGON = re.compile(r"greedy|MILP|scipy|\bK\b", re.IGNORECASE)
HOW = "How this is worked out"


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from geo.core.area import load_study_area
    from geo.demo.build import build_demo
    from geo.demo.health import write_demo_health_sites
    from geo.ingest.pipeline import ingest_file
    from geo.store.database import Store

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
    gaps = next(f for f in frames if "In words" in f.columns)
    plan = next(f for f in frames if "What it covers" in f.columns)
    return gaps, plan


def pct(values: pd.Series) -> list[int]:
    """Percentages as written ("41 %") to numbers."""
    assert values.str.fullmatch(r"(\d+|less than 1) %").all(), list(values)
    return [0 if v.startswith("less") else int(v.split()[0]) for v in values]


def maps(at: AppTest) -> list[str]:
    """The Leaflet script of each folium map on the page (st_folium components)."""
    return [json.loads(c.proto.json_args)["script"] for c in at.get("component_instance")]


def _element_text(element: object) -> str:
    kind = type(element).__name__
    if kind == "Dataframe":
        frame = element.value  # type: ignore[attr-defined]
        return " ".join(map(str, frame.columns)) + " " + frame.astype(str).to_string()
    if getattr(element, "type", "") == "component_instance":
        return str(json.loads(element.proto.json_args)["script"])  # type: ignore[attr-defined]
    return str(getattr(element, "proto", ""))


def texts(at: AppTest) -> tuple[list[str], list[str]]:
    """Text of every element in the main area, outside and inside "How this is worked out"."""
    outside: list[str] = []
    inside: list[str] = []

    def walk(node: object, into: list[str]) -> None:
        for child in getattr(node, "children", {}).values():
            if type(child).__name__ == "Expander" and child.label == HOW:
                walk(child, inside)
            elif getattr(child, "children", None):
                into.append(str(getattr(child, "label", "") or ""))
                walk(child, into)
            else:
                into.append(_element_text(child))

    walk(at.main, outside)
    return outside, inside


def downloads(at: AppTest) -> dict[str, object]:
    return {d.key: d for d in at.get("download_button")}


def assert_planner_words(at: AppTest, plan: pd.DataFrame) -> None:
    """The plan reads in planners' words: a map of the recommended places with their
    numbers and names, the share in words, and the method's names only in the expander."""
    outside, inside = texts(at)
    assert any("How many teams?" in t for t in outside)  # widgets are read too
    jargon = [JARGON.search(t).group(0) for t in outside if JARGON.search(t)]
    assert not jargon, jargon
    assert any("greedy" in t for t in inside) and any("MILP" in t for t in inside)
    plan_maps = [m for m in maps(at) if "Recommended places" in m]
    assert len(plan_maps) == 1
    label = f"#1 {plan['Place'].iloc[0]} · {plan['When'].iloc[0]}"
    assert json.dumps(escape_text(label))[1:-1] in plan_maps[0]  # as folium writes it
    n = len(plan)
    share = pct(plan["Running total"])[-1]
    sentence = f"These {n} weekly sessions would reach about {share} % of the harm that happens"
    assert any(sentence in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert not any(re.search(r"\b0\.\d\d\b", m.value) for m in at.markdown if "weekly" in m.value)


def test_analyst_sees_the_planted_gap_a_plan_and_the_exact_check(truth: dict) -> None:
    at = open_page(res="9", **WINDOW)
    gaps, plan = tables(at)
    planted = truth["youth_work_gap"]
    top = gaps.head(5)
    label = "Weekend evenings (Fri-Sun 19:00-23:00)"
    assert planted["block"] == "weekend_evening"
    assert ((top["Cell id"] == planted["cell"]) & (top["When"] == label)).any()
    assert gaps["In words"].str.contains(r"within 400 m .*at those times").all()
    assert {"Need (weighted)", "Unmet need (weighted)", "Serious youth violence",
            "Harmful sexual behaviour"} <= set(gaps.columns)  # fmt: skip
    assert not [c for f in (gaps, plan) for c in f.columns if re.fullmatch(r"[a-z_]+_[a-z_]+", c)]
    # the nearest health site (the demo's sites, some outside the borough)
    assert gaps["Nearest health site"].ne("").all()
    assert gaps["Distance to the health site"].str.fullmatch(r"\d+\.\d km").all()
    assert "(synthetic)" in gaps["Health site"].iloc[0]
    # three teams by default, in plan order, with what each adds as percentages
    assert at.slider(key="yw_teams").label == "How many teams?"
    assert at.slider(key="yw_teams").value == 3
    assert at.multiselect(key="yw_blocks").label == "When can the teams go out?"
    assert list(plan["#"]) == ["#1", "#2", "#3"]
    running = pct(plan["Running total"])
    assert running == sorted(running) and running[-1] > 0
    assert "Need covered (weighted)" in plan.columns
    # the first team works the planted gap's place (or within reach of it) on weekend evenings
    assert plan["When"].iloc[0] == label
    assert re.search(r"reaches gaps? #1\b", plan["What it covers"].iloc[0])
    assert_planner_words(at, plan)
    # the exact comparison (small: automatic) and the per-team chart sit in the expander
    (how,) = [e for e in at.expander if e.label == HOW]
    assert any("greedy plan reaches" in m.value for m in how.markdown)
    assert how.get("arrow_vega_lite_chart") or how.get("vega_lite_chart")
    keys = set(downloads(at))
    assert {"yw_plan_download", "yw_plan_pdf", "yw_gaps_download"} <= keys
    assert "yw_summary_download" not in keys
    assert at.download_button(key="yw_plan_pdf").proto.label.endswith("(PDF, one page)")


def test_widgets_change_the_plan(truth: dict) -> None:
    at = open_page(res="9", **WINDOW)
    at.slider(key="yw_teams").set_value(5).run()
    ok(at)
    _, plan = tables(at)
    assert len(plan) == 5
    assert any(s.value == "Where to send 5 teams" for s in at.subheader)
    at.multiselect(key="yw_blocks").set_value(["weekend_evening"]).run()
    ok(at)
    gaps, plan = tables(at)
    assert set(plan["When"]) == {"Weekend evenings (Fri-Sun 19:00-23:00)"}
    assert set(gaps["When"]) == {"Weekend evenings (Fri-Sun 19:00-23:00)"}
    before = list(plan["Running total"])
    at.select_slider(key="yw_reach").set_value(600).run()
    ok(at)
    assert list(tables(at)[1]["Running total"]) != before
    at.select_slider(key="yw_min_hours").set_value(2.0).run()
    ok(at)
    # a fixed site at the top gap takes its need out before planning
    gaps, plan = tables(at)
    option = at.multiselect(key="yw_fixed").options[0]
    assert option.startswith(f"#1 {gaps['Place'].iloc[0]} · Weekend evenings")
    at.multiselect(key="yw_fixed").select(option).run()
    ok(at)
    assert not tables(at)[1].equals(plan)
    assert any("places already covered reach" in m.value for m in at.markdown)
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
    assert list(plan.columns) == PARTNERSHIP_PLAN_COLUMNS
    assert not gaps.empty and list(gaps["Rank"]) == list(range(1, len(gaps) + 1))
    for frame in (gaps, plan):
        assert all(h3.get_resolution(c) <= 8 for c in frame["Cell id"])
        assert not frame.isna().any().any()  # a withheld value reads "withheld"
    assert (gaps[["Incidents", "Missing children found here"]] == "withheld").any().any()
    assert not _small(gaps["Incidents"]) and not _small(gaps["Missing children found here"])
    small_quote = re.compile(r"\b[1-5] (?:incident|missing child)")
    assert not gaps["In words"].str.contains(small_quote).any()
    text = "\n".join(m.value for m in at.markdown)
    assert "Need covered" not in text and "(weighted)" not in text
    assert not small_quote.search(text)
    assert len(plan) == 3
    assert_planner_words(at, plan)
    assert {"yw_plan_download", "yw_plan_pdf"} <= set(downloads(at))
    # every quarter of the partnership's menu renders (patterns use the whole window)
    for quarter in list(at.selectbox(key="quarter_select").options)[:2]:
        at.selectbox(key="quarter_select").set_value(quarter).run()
        ok(at)
        assert tables(at)[0]["Rank"].iloc[0] == 1


def test_a_hostile_site_name_is_plain_text(truth: dict, tmp_path: Path) -> None:
    """A site name with HTML and a JS template literal reaches the table as plain text
    and the map only escaped."""
    from geo.render.coverage_layers import sites_layer
    from geo.render.maps import build_map
    from ui import cache

    config = cache.get_config()
    sites = pd.DataFrame(
        {"source": ["x"], "site_id": ["h1"], "name": ["<img src=x onerror=alert(1)>${x}`"],
         "kind": ["gp_surgery"], "cell": [truth["youth_work_gap"]["cell"]]}
    )  # fmt: skip
    layer = sites_layer(sites, 9)
    label = layer.geojson["features"][0]["properties"]["label"]
    assert "<img" not in label and "${" not in label and "`" not in label
    area = cache.get_area(config)
    html = build_map(area.centre, area.bounds, area.boundary, [layer]).get_root().render()
    assert "<img src=x" not in html
