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
    from geo.demo import build_demo

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


def test_quarters_fall_back_with_a_clear_message(demo: dict) -> None:
    at = open_page(res="9")
    at.radio(key="hs_period").set_value("quarter").run()
    assert not at.exception
    assert any("at least 10 quarters" in w.value for w in at.warning)


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
    at.button_group(key="hs_view").set_value("Gi* over the whole window").run()
    assert not at.exception, [e.value for e in at.exception]
    keys = {d.key for d in at.get("download_button")}
    assert any(k.startswith("gi_download") for k in keys)
    assert not any(k.startswith("ehsa_download") for k in keys)
