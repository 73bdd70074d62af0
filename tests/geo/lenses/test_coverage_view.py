"""The Youth work page's pure glue: per-role gaps, map layers, plan tables and exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.config import Config
from geo.core.errors import DisclosureError
from geo.lenses import coverage as cv
from geo.lenses import coverage_view as cview
from geo.lenses import youth_work_plan as ywp
from geo.render import coverage_export, coverage_layers
from geo.render.hexlayer import ALLOWED_PROPERTIES
from tests.geo.disclosure.test_privacy_disclosure import HOME, OTHER, cell_at, make_config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, [("childrens_home", *HOME)])


def cell_str(point: tuple[float, float], res: int) -> str:
    return str(hexes.cells_to_str(np.array([cell_at(point, res)], dtype=np.uint64))[0])


def gap_frame(res: int = 8) -> pd.DataFrame:
    """Three gaps: rank 1 at OTHER (large counts), rank 2 at HOME (sensitive), rank 3 a
    neighbour of OTHER with small counts."""
    other, home = cell_str(OTHER, res), cell_str(HOME, res)
    ring = [c for c in hexes.cells_to_str(hexes.grid_disk([cell_at(OTHER, res)], 1)[1])
            if c != other]  # fmt: skip
    return pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "cell": [other, home, str(ring[0])],
            "block": ["weekend_evening", "after_school", "weekend_evening"],
            "block_label": ["Weekend evenings", "After school", "Weekend evenings"],
            "need": [40.0, 30.0, 8.0],
            "unmet": [40.0, 30.0, 8.0],
            "incidents": [30, 25, 7],
            "syv": [27, 25, 4],
            "hsb": [3, 0, 3],
            "missing": [4, 2, 0],
            "hours": [0.0, 0.0, 5.0],
            "hours_per_week": [0.0, 0.0, 0.05],
            "sessions": [0, 0, 2],
            "coverage": [0.0, 0.0, 0.05],
            "recurring_rank": [1, 0, 0],
            "category": ["", "", ""],
            "hot_bin": [3, 2, 2],
            "why": ["recurring location and hot spot", "hot spot", "hot spot"],
            "reason": ["Thirty incidents.", "Twenty-five incidents.", "Seven incidents."],
        }
    )


SITES = pd.DataFrame(
    {
        "source": ["h", "h"],
        "site_id": ["a", "b"],
        "name": ["County A&E <b>", "Surgery `${x}`"],
        "kind": ["emergency_department", "gp_surgery"],
        "cell": [cell_str(OTHER, 11), cell_str(HOME, 11)],
    }
)


def test_analyst_gaps_are_exact_with_the_nearest_site(config: Config) -> None:
    out = cview.role_gaps(gap_frame(), SITES, "analyst", 8, config)
    assert list(out["rank"]) == [1, 2, 3]
    assert list(out["incidents"]) == [30, 25, 7] and list(out["hsb"]) == [3, 0, 3]
    assert out["site_kind"].iloc[0] == "emergency_department"
    assert out["site_distance_m"].iloc[0] < 500
    table = cview.gap_table(out, "analyst")
    assert {"need", "unmet", "syv", "hsb", "sessions"} <= set(table.columns)
    assert table["nearest_health_site"].iloc[0] == "A&E (emergency department)"


def test_partnership_gaps_keep_every_cell_and_withhold_small_counts(config: Config) -> None:
    # the partnership's gaps come from the publishable dataset (records at a premise
    # removed upstream), so no cell is dropped here: a hole would point at the premise
    out = cview.role_gaps(gap_frame(), SITES, "partnership", 8, config)
    assert cell_str(HOME, 8) in set(out["cell"])
    assert list(out["rank"]) == [1, 2, 3]
    assert out["missing"].isna().iloc[0]  # 4 missing: withheld
    table = cview.gap_table(out, "partnership")
    assert {"need", "unmet", "syv", "hsb", "sessions", "coverage"}.isdisjoint(table.columns)
    with pytest.raises(DisclosureError):
        cview.role_gaps(gap_frame(9), SITES, "partnership", 9, config)


def test_no_sites_gives_empty_site_columns(config: Config) -> None:
    out = cview.role_gaps(gap_frame(), SITES.iloc[:0], "analyst", 8, config)
    assert out["site_distance_m"].isna().all() and (out["site_name"] == "").all()
    assert cview.health_sites.__doc__  # the store query is exercised by the app tests


def test_layers_carry_allow_listed_escaped_properties(config: Config) -> None:
    gaps = cview.role_gaps(gap_frame(), SITES, "analyst", 8, config)
    layers = [
        coverage_layers.gap_layer(gaps),
        coverage_layers.sites_layer(SITES, 8),
        coverage_layers.gap_layer(gaps.iloc[:0]),
        coverage_layers.sites_layer(SITES.iloc[:0], 8),
    ]
    hours = pd.DataFrame(
        {"cell": [gaps["cell"].iloc[2]] * 2, "block": ["weekend_evening", "after_school"],
         "hours": [5.0, 2.0], "sessions": [2, 1]}
    )  # fmt: skip
    layers.append(coverage_layers.coverage_layer(hours, 100.0, ["weekend_evening"], 400.0))
    gap_feats = layers[0].geojson["features"]
    assert len(gap_feats) == 3 and gap_feats[0]["properties"]["band"] in (1, 2, 3)
    assert not layers[2].geojson["features"] and not layers[3].geojson["features"]
    assert "0.1 h a week" in layers[4].geojson["features"][0]["properties"]["label"]
    for layer in layers:
        for f in layer.geojson["features"]:
            assert set(f["properties"]) <= ALLOWED_PROPERTIES
            label = f["properties"]["label"]
            assert "<b>" not in label and "${" not in label and "`" not in label


def _analysis(res: int, config: Config) -> cv.CoverageAnalysis:
    """A tiny analysis: unmet need at OTHER and at HOME, one block."""
    cells = [cell_str(OTHER, res), cell_str(HOME, res)]
    table = pd.DataFrame(
        {"cell": cells, "block": ["weekend_evening"] * 2, "need": [10.0, 9.0],
         "unmet": [10.0, 9.0]}
    )  # fmt: skip
    return cv.CoverageAnalysis(
        need=cv.NeedResult(table=table),
        hours=pd.DataFrame(columns=["cell", "block", "hours", "sessions"]),
        table=table,
        gaps=pd.DataFrame(),
        weeks=52.0,
        grid=np.array(cells, dtype=object),
        settings=cview.settings_for("partnership", config, res=res),
    )


def test_partnership_plan_is_the_analysts_plan_on_the_same_data(config: Config) -> None:
    analysis = _analysis(8, config)
    plans = {}
    for role in ("analyst", "partnership"):
        problem = cview.plan_problem(analysis, role, config, ["weekend_evening"])
        plan = ywp.plan_greedy(problem, 2)
        plans[role] = list(plan.steps["cell"])
        table = cview.plan_table(plan, role)
        assert ({"gain", "cumulative"} <= set(table.columns)) == (role == "analyst")
        csv = coverage_export.plan_csv(plan, role).decode("utf-8-sig")
        assert ("gain" in csv.splitlines()[0]) == (role == "analyst")
        chart = cview.gain_chart(plan)
        assert chart.index.name == "step" and chart.iloc[-1, 1] == 100.0
    assert plans["analyst"] == plans["partnership"]


def test_fixed_sites_round_trip_and_comparison_wording(config: Config) -> None:
    gaps = gap_frame()
    options = cview.fixed_site_options(gaps, top=2)
    assert options == [f"{gaps['cell'][0]}|weekend_evening", f"{gaps['cell'][1]}|after_school"]
    labels = cview.fixed_site_labels(gaps, top=2)
    assert list(labels) == options
    assert labels[options[0]] == f"#1 {gaps['cell'][0]} · Weekend evenings (Fri-Sun 19:00-23:00)"
    assert len(cview.gaps_in_blocks(gaps, ["after_school"])) == 1
    assert cview.parse_fixed([options[1], options[0], options[0], "junk"]) == tuple(
        sorted([(gaps["cell"][0], "weekend_evening"), (gaps["cell"][1], "after_school")])
    )
    problem = cview.plan_problem(_analysis(8, config), "analyst", config, ["weekend_evening"])
    greedy = ywp.plan_greedy(problem, 1)
    exact = ywp.plan_exact(problem, 1)
    text = cview.comparison(greedy, exact, "analyst")
    assert "greedy plan reaches 100.0%" in text and "(10.0 of 19.0)" in text
    assert "of 19.0" not in cview.comparison(greedy, exact, "partnership")
    big = ywp.plan_exact(problem, 1, max_nonzeros=1)
    assert "not run (too_large" in cview.comparison(greedy, big, "analyst")
    summary = cview.summary(greedy, gaps, exact, "partnership", "2024")
    assert "(weighted)" not in summary and "Period: 2024." in summary
