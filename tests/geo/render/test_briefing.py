"""Review packs and the 7-minute briefing (geo.render.briefing): built for both audiences on the
demo, planted places present, and the partnership pack free of small counts and fine cells
(checked on the text extracted from the PDF)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import h3
import pandas as pd
import pytest
from pypdf import PdfReader

from geo.__main__ import main
from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.errors import PackError
from geo.core.filters import quarter_label
from geo.demo.build import build_demo
from geo.disclosure import store_for
from geo.lenses import coverage_view
from geo.lenses.coverage import analyse
from geo.lenses.youth_work_plan import plan_greedy
from geo.render.briefing import (
    available_quarters,
    build_pack,
    pack_html,
    pack_pdf,
    parse_quarter,
    sentences_with_counts,
    seven_minute_pdf,
)
from geo.render.briefing.model import _pattern_window
from geo.store.database import Store

QUARTER = "2024Q4"
MIN = 6


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_demo(tmp_path_factory.mktemp("pack"), seed=0)


@pytest.fixture(scope="module")
def packs(demo: Any) -> dict[str, Any]:
    area = load_study_area(demo.config.study_area)
    out = {}
    with Store(demo.config.store_path, read_only=True) as store:
        for audience in ("partnership", "analyst"):
            pack = build_pack(store, area, demo.config, QUARTER, audience)
            pdf = pack_pdf(pack)
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
            out[audience] = {"pack": pack, "pdf": pdf, "text": text, "html": pack_html(pack)}
    return out


def _cells(text: str) -> set[str]:
    return {c for c in re.findall(r"\b[0-9a-f]{15}\b", text) if h3.is_valid_cell(c)}


def test_quarters_parse_and_label() -> None:
    f = parse_quarter("2025Q1")
    assert (f.month_from, f.month_to) == ("2025-01", "2025-03")
    assert quarter_label(parse_quarter("2024 q4")) == "2024 Q4"
    with pytest.raises(PackError):
        parse_quarter("2025-01")


def test_packs_build_for_both_audiences_with_every_section(packs: dict[str, Any]) -> None:
    for audience, built in packs.items():
        pack = built["pack"]
        assert pack.audience == audience and pack.quarter == "2024 Q4"
        titles = [s.title for s in pack.sections]
        assert titles == [
            "The quarter's story: 2024 Q4",
            "Headline figures",
            "Emerging hot spots",
            "Recurring locations",
            "Schools and missing from home",
            "Youth-work gaps and a deployment plan",
            "Disproportionality",
            "Data, parameters and disclosure rules",
        ]
        assert built["pdf"].startswith(b"%PDF")
        assert len(PdfReader(io.BytesIO(built["pdf"])).pages) >= 4
        assert "SYNTHETIC DEMO DATA" in built["text"].replace("\n", " ")
        # the story's, the hot spots' and the ranking's static maps, embedded in the HTML too
        assert sum(len(s.images) for s in pack.sections) == 3
        assert built["html"].count("data:image/png;base64,") == 3
        # the first page is the quarter's story, and says once which periods the pack covers
        first = pack.sections[0]
        assert "2024 Q4 compared with 2024 Q3" in first.paragraphs[0]
        assert "24 months to 2024-12" in first.paragraphs[1]


def test_the_planted_recurring_locations_are_in_the_pack(demo: Any, packs: dict[str, Any]) -> None:
    planted = [h["cell"] for h in demo.truth["recurring_hotspots"]]
    for audience, res in (("analyst", 9), ("partnership", 8)):
        text = packs[audience]["text"]
        html = packs[audience]["html"]
        for cell in planted:
            place = h3.cell_to_parent(cell, res)
            assert place in text, (audience, cell)
            assert place in html, (audience, cell)
    # the analyst pack ranks them in its top five
    rec = next(s for s in packs["analyst"]["pack"].sections if s.title == "Recurring locations")
    top5 = [row[2] for row in rec.tables[0].rows[:5]]  # Rank, Place, Cell, ...
    assert set(planted) <= set(top5)


def test_partnership_pack_has_no_small_count_and_no_fine_cell(
    demo: Any, packs: dict[str, Any]
) -> None:
    built = packs["partnership"]
    for text in (built["text"], built["html"]):
        cells = _cells(text)
        assert cells, "the pack names places"
        assert all(hexes.cell_resolution(hexes.str_to_cells([c]))[0] <= 8 for c in cells)
    found = sentences_with_counts(built["text"].replace("\n", " "), MIN)
    assert not found, found[:5]
    # the check can fail: the analyst pack quotes small counts
    analyst = packs["analyst"]["text"].replace("\n", " ")
    assert sentences_with_counts(analyst, MIN) or any(
        hexes.cell_resolution(hexes.str_to_cells([c]))[0] == 9 for c in _cells(analyst)
    )


def test_small_count_finder_allows_ranks_quarters_and_rules() -> None:
    ok = "#3 Riverside, 2024 Q3, resolution 8, 3 or more times in 90 days, in 3 of the last 4"
    assert not sentences_with_counts(ok, MIN)
    assert sentences_with_counts("children found here 3 times", MIN)


def test_seven_minute_briefing_is_one_page(packs: dict[str, Any]) -> None:
    for built in packs.values():
        pdf = seven_minute_pdf(built["pack"])
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        assert "7-minute briefing" in text and "What to do" in text
    assert not sentences_with_counts(
        PdfReader(io.BytesIO(seven_minute_pdf(packs["partnership"]["pack"])))
        .pages[0]
        .extract_text()
        .replace("\n", " "),
        MIN,
    )


def test_partner_text_is_escaped_in_the_html(packs: dict[str, Any]) -> None:
    html = packs["analyst"]["html"]
    assert "<script" not in html.lower()
    assert html.count("<table>") >= 8


def test_unknown_quarter_or_audience_is_refused(demo: Any) -> None:
    area = load_study_area(demo.config.study_area)
    with Store(demo.config.store_path, read_only=True) as store:
        assert available_quarters(store)[-1] == QUARTER
        with pytest.raises(PackError, match="not enough data for 2031 Q1.*quarters held"):
            build_pack(store, area, demo.config, "2031Q1", "partnership")
        with pytest.raises(PackError):
            build_pack(store, area, demo.config, QUARTER, "public")


def test_command_line_writes_three_files_and_audits(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    code = main(
        ["--config", str(demo.config.path), "briefing", "--period", "2024Q3",
         "--audience", "partnership", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert (tmp_path / "pack.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert (tmp_path / "pack-7-minute-briefing.pdf").exists()
    with Store(demo.config.store_path, read_only=True) as store:
        log = store.audit_log()
    exports = log[(log["event"] == "export") & (log["page"] == "briefing (command line)")]
    assert len(exports) == 3
    assert {json.loads(d)["quarter"] for d in exports["detail"]} == {"2024 Q3"}
    assert main(["--config", str(demo.config.path), "briefing", "--period", "2031Q1",
                 "--out", str(out)]) == 3  # fmt: skip


def _section(pack: Any, title: str) -> Any:
    return next(s for s in pack.sections if s.title == title)


def _pack_texts(pack: Any) -> list[str]:
    """Every string the pack prints: sections, tables, headlines, HTML and both PDFs."""
    texts = [pack.title, *pack.headlines]
    for section in pack.sections:
        texts += [section.title, *section.paragraphs]
        for table in section.tables:
            texts += [table.caption, *table.columns, *(v for row in table.rows for v in row)]
    texts.append(pack_html(pack))
    for pdf in (pack_pdf(pack), seven_minute_pdf(pack)):
        texts.append("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    return texts


def test_partnership_pack_youth_work_matches_the_page(demo: Any) -> None:
    """The pack's youth-work section uses the Youth work page's helpers and window (the
    calendar year of the quarter for the partnership) on the publishable dataset, so its
    gaps and plan are the page's, ranked from #1."""
    youth = "Youth-work gaps and a deployment plan"
    config = demo.config
    area = load_study_area(config.study_area)
    with Store(config.store_path, read_only=True) as exact:
        pack = build_pack(exact, area, config, QUARTER, "partnership")
        store = store_for(exact, "partnership", config)
        section = _section(pack, youth)
        gap_rows, plan_rows = section.tables[0].rows, section.tables[1].rows
        assert gap_rows and plan_rows
        assert [r[0] for r in gap_rows] == [f"#{i}" for i in range(1, len(gap_rows) + 1)]
        window = _pattern_window(store, parse_quarter(QUARTER), "partnership")
        assert (window.month_from, window.month_to) == (QUARTER[:4] + "-01", QUARTER[:4] + "-12")
        settings = coverage_view.settings_for("partnership", config, res=8)
        result = analyse(store, area, window, settings)
        page_gaps = coverage_view.role_gaps(
            result.gaps, coverage_view.health_sites(store), "partnership", 8, config
        ).head(5)
        assert [r[2] for r in gap_rows] == list(page_gaps["cell"])  # Rank, Place, Cell
        allowed = [b.name for b in settings.blocks]
        page_plan = plan_greedy(
            coverage_view.plan_problem(result, "partnership", config, allowed),
            coverage_view.DEFAULT_TEAMS,  # the page's default "How many teams?"
        )
        assert [r[2] for r in plan_rows] == list(page_plan.steps["cell"])


def test_the_disproportionality_section_says_which_period_it_covers(packs: dict[str, Any]) -> None:
    for built in packs.values():
        section = next(s for s in built["pack"].sections if s.title == "Disproportionality")
        assert re.match(r"Figures cover stop and search over 2024 Q4\.", section.paragraphs[0])
        # the demo's school terms end in 2024-09: the pack says so, as the app does
        assert any(
            "school outcomes feed covers 2023-01 to 2024-09, outside 2024 Q4" in p
            for p in section.paragraphs
        )


def test_the_pack_says_a_place_is_known_mainly_through_health_data(
    packs: dict[str, Any],
) -> None:
    """The demo's night-time strip, which A&E sees and the police barely record, is in the
    quarter's story of both packs as known mainly through health data, and no place the
    police's data put there is."""
    for audience, built in packs.items():
        printed = built["pack"].sections[0].tables[0]
        table = pd.DataFrame(list(printed.rows), columns=list(printed.columns))
        health = table.loc[table["Whose data"] == "Health (A&E)"]
        assert health["Why it is here"].str.contains("Known mainly through health data").any()
        police = table.loc[table["Whose data"].str.contains("Police")]
        assert not police["Why it is here"].str.contains("Known mainly through health").any()
        assert "Known mainly through health data" in " ".join(built["text"].split()), audience
