"""The youth-work plan for planners: shares in words, the plan's places and layer, and the
one-page PDF (geo.lenses.coverage_view planner helpers and geo.render.plan_pdf)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from shapely.geometry import box

from geo.core import hexes
from geo.core.config import Config
from geo.lenses import coverage as cv
from geo.lenses import coverage_view as cview
from geo.lenses import youth_work_plan as ywp
from geo.render import coverage_layers, plan_pdf
from geo.render.hexlayer import ALLOWED_PROPERTIES
from tests.geo.disclosure.test_privacy_disclosure import HOME, OTHER, make_config
from tests.geo.lenses.test_coverage_view import _analysis, cell_str, gap_frame

HOSTILE = "Smith & Sons <Yard> `${x}` <b>"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, [("childrens_home", *HOME)])


def _plan(config: Config, k: int = 2) -> ywp.Plan:
    problem = cview.plan_problem(_analysis(8, config), "analyst", config, ["weekend_evening"])
    return ywp.plan_greedy(problem, k)


def _names(plan: ywp.Plan) -> dict[str, str]:
    cells = list(plan.steps["cell"])
    return {c: (HOSTILE if i == 0 else f"Place {i}") for i, c in enumerate(cells)}


def _boundary() -> object:
    xs, ys = zip(*[hexes.cell_centres(hexes.str_to_cells([cell_str(p, 8)])) for p in (HOME, OTHER)],
                 strict=True)  # fmt: skip
    lats = np.concatenate(xs)
    lngs = np.concatenate(ys)
    return box(lngs.min() - 0.02, lats.min() - 0.02, lngs.max() + 0.02, lats.max() + 0.02)


def test_percent_reads_as_a_percentage() -> None:
    assert cview.percent_words(0.412) == "41 %"
    assert cview.percent_words(0.001) == "less than 1 %"
    assert cview.percent_words(0.0) == "0 %" and cview.percent_words(float("nan")) == "0 %"
    assert cview.percent_words(1.0) == "100 %"


def test_plan_sentence_says_the_share_in_words(config: Config) -> None:
    plan = _plan(config, 1)
    text = cview.plan_sentence(plan)
    # 10 of 19 unmet: about 53 %, never 0.53
    assert text.startswith("This weekly session would reach about 53 % of the harm")
    assert "0.5" not in text and "today reaches about 0 %" in text
    two = cview.plan_sentence(_plan(config, 2))
    assert two.startswith("These 2 weekly sessions would reach about 100 %")
    more = cview.plan_sentence(_plan(config, 5))
    assert more.startswith("Only 2 of the 5 teams would add anything")
    assert "places already covered reach" in cview.plan_sentence(plan, fixed=1)


def test_plan_places_by_role_and_the_gaps_each_team_reaches(config: Config) -> None:
    plan = _plan(config)
    gaps = gap_frame()
    for role in ("analyst", "partnership"):
        places = cview.plan_places(plan, role, _names(plan), gaps)
        assert list(places["#"]) == ["#1", "#2"]
        assert places["Place"].iloc[0] == HOSTILE
        assert list(places["Adds"]) == ["53 %", "47 %"]
        assert list(places["Running total"]) == ["53 %", "100 %"]
        assert ("Need covered (weighted)" in places.columns) == (role == "analyst")
        assert not [c for c in places.columns if "_" in str(c)]
    # the team at OTHER on weekend evenings reaches gap #1 (same cell, same block); the
    # gap at HOME is an after-school gap, so the team there reaches none
    covers = dict(zip(plan.steps["cell"], places["What it covers"], strict=True))
    assert covers[cell_str(OTHER, 8)].endswith("reaches gap #1")
    assert "; reaches" not in covers[cell_str(HOME, 8)]
    assert cview.plan_list(places).startswith("1. **Smith & Sons \\<Yard\\>")


def test_plan_layer_numbers_places_in_plan_order(config: Config) -> None:
    plan = _plan(config)
    layer = coverage_layers.plan_layer(plan, _names(plan))
    labels = [f["properties"]["label"] for f in layer.geojson["features"]]
    assert labels[0].startswith("#1 Smith &amp; Sons &lt;Yard&gt;")
    assert labels[1].startswith("#2 Place 1 · Weekend evenings")
    for f in layer.geojson["features"]:
        assert set(f["properties"]) <= ALLOWED_PROPERTIES
        assert "<b>" not in f["properties"]["label"] and "${" not in f["properties"]["label"]
    assert cview.plan_numbers(plan) == {c: str(i) for i, c in enumerate(plan.steps["cell"], 1)}
    empty = coverage_layers.plan_layer(ywp.plan_greedy(cview.plan_problem(
        _analysis(8, config), "analyst", config, ["after_school"]), 3), {})  # fmt: skip
    assert empty.geojson["features"] == []


def _pdf(config: Config, k: int, role: str = "analyst") -> tuple[bytes, pd.DataFrame]:
    plan = _plan(config, k)
    names = _names(plan)
    places = cview.plan_places(plan, role, names, gap_frame())
    data = plan_pdf.build_plan_pdf(
        places, coverage_layers.plan_layer(plan, names), cview.plan_numbers(plan), _boundary(),
        role=role, synthetic=True, area="Test borough", period="2024-01 to 2024-12",
        feeds="Feeds used: youth sessions <mapped>, 2024-01 to 2024-12.",
        sentence=cview.plan_sentence(plan), settings=cv.CoverageSettings(res=8),
    )  # fmt: skip
    return data, places


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_the_plan_pdf_is_one_page_with_the_places_and_the_share(config: Config) -> None:
    data, places = _pdf(config, 2)
    assert data.startswith(b"%PDF")
    pages, text = _text(data)
    flat = " ".join(text.split())
    assert pages == 1
    assert HOSTILE in flat  # escaped for reportlab, printed as written
    assert "Place 1" in flat and "Weekend evenings (Fri-Sun 19:00-23:00)" in flat
    assert "These 2 weekly sessions would reach about 100 %" in flat
    assert "Test borough · 2024-01 to 2024-12" in flat
    assert "youth sessions <mapped>" in flat
    assert "SYNTHETIC DEMO DATA" in flat and "Analyst copy" in flat
    assert "greedy" not in flat.lower() and "MILP" not in flat
    assert b"/Subtype /Image" in data  # the map


def test_a_long_plan_still_fits_one_page(config: Config) -> None:
    plan = _plan(config, 2)
    places = cview.plan_places(plan, "partnership", _names(plan), gap_frame())
    long = pd.concat([places] * 15, ignore_index=True)  # 30 teams
    long["#"] = [f"#{i}" for i in range(1, 31)]
    sheet = plan_pdf.plan_sheet(
        long, role="partnership", synthetic=False, area="A", period="2024", feeds="F.",
        sentence="S.", settings=cv.CoverageSettings(res=8),
    )  # fmt: skip
    pages, text = _text(plan_pdf.plan_pdf(sheet))
    assert pages == 1 and "#30" in text
    assert "Partnership copy" in text and "SYNTHETIC" not in text


def test_an_empty_plan_prints_a_page_without_a_map(config: Config) -> None:
    sheet = plan_pdf.plan_sheet(
        pd.DataFrame(columns=list(plan_pdf.PRINTED_COLUMNS)), role="analyst", synthetic=True,
        area="A", period="2024", feeds="F.", sentence="Nothing left.",
        settings=cv.CoverageSettings(res=8),
    )  # fmt: skip
    data = plan_pdf.plan_pdf(sheet)
    pages, text = _text(data)
    assert pages == 1 and "No team is recommended" in text
    assert b"/Subtype /Image" not in data
