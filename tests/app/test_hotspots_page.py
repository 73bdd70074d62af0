"""AppTest of the Hotspots page for both data roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGE = Path(__file__).resolve().parents[2] / "pages" / "hotspots.py"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build = build_demo(out, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "placesafe.toml"))
        yield build.truth


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(str(PAGE)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_analyst_sees_planted_hotspots_in_the_hot_list(demo: dict) -> None:
    at = open_page(res="9", **{"from": "2023-01", "to": "2024-12"})
    table = at.dataframe[0].value
    planted = {h["cell"] for h in demo["recurring_hotspots"]}
    assert planted <= set(table["Cell id"])  # named places, the id last
    assert table["Finding"].str.contains("of the last 24 months").any()


def test_too_few_months_fall_back_with_a_clear_message(demo: dict) -> None:
    """Six months up to the chosen period: fewer than the 10 steps the trend needs."""
    at = open_page(res="9", **{"from": "2023-04", "to": "2023-06"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "at least 10 months" in warnings and "earlier months would help" in warnings


#: Categories that count as recovering each kind of planted hot spot.
EXPECTED = {
    "emerging": {"New Hot Spot", "Consecutive Hot Spot", "Intensifying Hot Spot"},
    "fading": {"Diminishing Hot Spot", "Historical Hot Spot"},
    "persistent": {"Intensifying Hot Spot", "Persistent Hot Spot"},
}


def _planted_on_the_map(at: AppTest, demo: dict, res: int) -> dict[str, str]:
    import h3

    from geo.lenses.hotspot_report import HOT_LIST_HEADERS

    table = at.dataframe[0].value
    assert "Cell id" in table.columns and HOT_LIST_HEADERS["category"] in table.columns
    category = dict(zip(table["Cell id"], table[HOT_LIST_HEADERS["category"]], strict=True))
    return {
        h["cell"]: category.get(h3.cell_to_parent(h["cell"], res), "not shown")
        for h in demo["recurring_hotspots"]
    }


def test_partnership_default_view_shows_the_five_planted_places(demo: dict) -> None:
    """The partnership's default view (the latest quarter, resolution 8) shows every planted
    hot spot with its planted category: the trend is worked out on small hexagons over the
    24 months to the quarter and published at resolution 8."""
    at = open_page()
    at.radio(key="view_as").set_value("partnership").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="res").value == 8
    assert "2024 Q4" in at.caption[0].value and "24 months to 2024-12" in at.caption[0].value
    found = _planted_on_the_map(at, demo, 8)
    kinds = {h["cell"]: h["kind"] for h in demo["recurring_hotspots"]}
    assert len(found) == 5
    for cell, category in found.items():
        assert category in EXPECTED[kinds[cell]], (kinds[cell], category)
    assert "Trend p-value" not in at.dataframe[0].value.columns  # a method detail


def test_analyst_default_view_shows_the_five_planted_places(demo: dict) -> None:
    at = open_page()
    found = _planted_on_the_map(at, demo, int(at.selectbox(key="res").value))
    kinds = {h["cell"]: h["kind"] for h in demo["recurring_hotspots"]}
    for cell, category in found.items():
        assert category in EXPECTED[kinds[cell]], (kinds[cell], category)


def test_partnership_is_held_to_resolution_8(demo: dict) -> None:
    at = open_page(res="10")
    at.radio(key="view_as").set_value("partnership").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="res").value == 8
    assert at.selectbox(key="res").options == ["7 (about 5 km²)", "8 (about 0.7 km²)"]


def test_k_and_fdr_controls_rerun_without_error(demo: dict) -> None:
    at = open_page(res="9")
    at.radio(key="hs_k").set_value(2).run()
    at.toggle(key="hs_fdr").set_value(False).run()
    assert not at.exception, [e.value for e in at.exception]


def test_selected_cell_shows_its_time_series(demo: dict) -> None:
    cell = demo["recurring_hotspots"][0]["cell"]
    at = open_page(res="9", cell=cell, **{"from": "2023-01", "to": "2024-12"})
    assert any(cell in c.value for c in at.caption)  # the id under the place name
    assert len(at.get("arrow_vega_lite_chart")) >= 1 or len(at.get("vega_lite_chart")) >= 1


def test_the_gi_view_is_its_own_map_not_a_hidden_tab(demo: dict) -> None:
    """Tabs drew the Gi* map while hidden (Leaflet sized it 0 x 0 and opened on the world);
    one view at a time draws each map visible."""
    at = open_page(res="9", **{"from": "2023-01", "to": "2024-12"})
    assert not at.tabs
    assert at.button_group(key="hs_view").value == "Emerging hot spots"
    at.button_group(key="hs_view").set_value("Hot spots in the chosen period").run()
    assert not at.exception, [e.value for e in at.exception]
    keys = {d.key for d in at.get("download_button")}
    assert any(k.startswith("gi_download") for k in keys)
    assert not any(k.startswith("ehsa_download") for k in keys)
