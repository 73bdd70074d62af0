"""AppTest: the Disproportionality page on the synthetic demo, for both roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGE = Path(__file__).resolve().parents[2] / "pages" / "disproportionality.py"
TIMEOUT = 90


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "placesafe.toml"))
        yield out


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_page(partnership: bool = False) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    at.run()
    ok(at)
    if partnership:
        at.radio(key="view_as").set_value("partnership").run()
        ok(at)
    at.switch_page(str(PAGE)).run()
    ok(at)
    assert [t.value for t in at.title] == ["Disproportionality"]
    return at


def text(at: AppTest) -> str:
    shown = "\n".join(str(m.value) for m in [*at.markdown, *at.caption, *at.subheader])
    return shown.replace("\\", "")  # markdown escapes


def test_analyst_sees_the_planted_stop_search_disproportionality(demo: Path) -> None:
    at = open_page()
    assert at.selectbox(key="dp_measure").value == "stop_search_self"
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")
    table = at.dataframe[0].value
    assert {"Ethnic group", "Count", "Rate per 1,000", "RRI", "95 % CI low"} <= set(table.columns)
    assert "Not recorded" in set(table["Ethnic group"])  # never silently dropped
    shown = text(at)
    assert "travel in" in shown and "not recorded" in shown.lower()
    assert "Hit rate" in shown and "Trend" in shown
    at.multiselect(key="dp_age").set_value(["10-17"]).run()
    ok(at)
    assert at.selectbox(key="dp_band_stop_search_self_10-17").value == "10-17"
    found = re.search(r"Black people were stopped and searched at ([\d.]+) times", text(at))
    assert found, text(at)
    assert 2.25 <= float(found.group(1)) <= 3.75  # planted 3.0
    table = at.dataframe[0].value.set_index("Ethnic group")
    assert table.loc["Black", "Count"] > table.loc["White", "Count"]


@pytest.mark.parametrize("measure", ["fixed_term_exclusion", "syv_incidents", "missing_children"])
def test_other_measures_and_a_sub_area(demo: Path, measure: str) -> None:
    at = open_page()
    at.selectbox(key="dp_measure").set_value(measure).run()
    ok(at)
    assert at.dataframe
    codes = list(at.multiselect(key="dp_lsoas").options)
    assert len(codes) >= 20
    at.multiselect(key="dp_lsoas").set_value(codes[:5]).run()
    ok(at)
    shown = text(at)
    assert "in 5 LSOAs" in shown or "whole study area is used" in shown
    if measure == "fixed_term_exclusion":
        assert "excluded" in shown


def test_reference_group_is_selectable(demo: Path) -> None:
    at = open_page()
    at.selectbox(key="dp_reference").set_value("black").run()
    ok(at)
    table = at.dataframe[0].value.set_index("Ethnic group")
    assert table.loc["Black", "Note"] == "reference group"
    assert "times the rate of Black people" in text(at)


def test_partnership_sees_fixed_disclosed_tables(demo: Path) -> None:
    at = open_page(partnership=True)
    assert not at.multiselect  # no sub-areas or search filters to subtract
    assert "upload" not in at.selectbox(key="dp_measure").options
    months = at.session_state["months"]
    assert f"{months[0]} to {months[1]}" in text(at)
    for measure in ("stop_search_self", "permanent_exclusion", "missing_episodes"):
        at.selectbox(key="dp_measure").set_value(measure).run()
        ok(at)
        for frame in at.dataframe:
            values = frame.value
            for col in ("Count", "Searches", "Hits"):
                if col in values:
                    # a withheld count reads "withheld", never a blank or "None"
                    assert values[col].notna().all(), (measure, col)
                    shown = pd.to_numeric(values[col], errors="coerce")
                    words = values[col].loc[shown.isna()].astype(str)
                    assert words.isin(["withheld", "–"]).all(), (measure, col)
                    shown = shown.dropna()
                    assert not ((shown >= 1) & (shown < 6)).any(), (measure, col)


def test_school_outcomes_are_shown_over_their_own_terms(demo: Path) -> None:
    """The demo's last term starts in September 2024: a 2024 Q4 window shows the
    exclusions over the months the feed covers, saying so, instead of counting nothing."""
    at = open_page()
    at.select_slider(key="months_slider").set_value(("2024-10", "2024-12")).run()
    ok(at)
    at.selectbox(key="dp_measure").set_value("fixed_term_exclusion").run()
    ok(at)
    shown = text(at)
    assert "School outcomes is loaded for 2023-01 to 2024-09 only" in shown
    table = at.dataframe[0].value
    assert table["Count"].dropna().astype(int).sum() > 0


def test_partnership_is_told_to_choose_a_quarter_school_outcomes_cover(demo: Path) -> None:
    at = open_page(partnership=True)
    quarter = at.selectbox(key="quarter_select")
    assert quarter.value == "2024 Q4"  # the newest quarter by default
    at.selectbox(key="dp_measure").set_value("fixed_term_exclusion").run()
    ok(at)
    infos = " ".join(str(i.value) for i in at.info)
    assert "The school outcomes feed covers 2023-01 to 2024-09" in infos
    quarter.set_value("2024 Q3").run()
    ok(at)
    assert not any("school outcomes feed covers" in str(i.value) for i in at.info)


def test_shares_and_hit_rates_read_as_percentages(demo: Path) -> None:
    at = open_page()
    table = at.dataframe[0].value
    shares = pd.to_numeric(table["Share of all counted (%)"], errors="coerce").dropna()
    assert shares.between(0, 100).all() and shares.max() > 1  # 18.5, not 0.185
    assert abs(shares.sum() - 100) < 0.5
    hits = next(f.value for f in at.dataframe if "Hit rate (%)" in f.value.columns)
    rates = pd.to_numeric(hits["Hit rate (%)"], errors="coerce").dropna()
    assert rates.between(0, 100).all() and rates.max() > 1
    low = pd.to_numeric(hits["95 % CI low"], errors="coerce")
    assert (low.dropna() <= rates.loc[low.notna()] + 1e-9).all()
