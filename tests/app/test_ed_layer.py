"""AppTest of the A&E assaults layer (an emergency department's ISTV feed) on the maps and
in the hot spot, near-repeat, profile and story tools, for the analyst and the partnership;
and of the "not loaded" note on the demo without the feed.

``st_folium`` is opaque in AppTest, so the maps are read where pages build them:
``ui.context.build_map`` is wrapped to record each map's layers (name, shown when the map
opens, the features' cells and values).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGES = Path(__file__).resolve().parents[2] / "pages"
WINDOW = {"from": "2023-01", "to": "2024-12"}
ED = "A&E assaults"


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo without its A&E feed, and the demo with synthetic A&E assaults in place of
    its ISTV extract (following the police's violent incidents)."""
    from geo.demo.build import build_demo
    from tests._ed_assaults import add_ed_assaults, remove_ed_assaults

    plain = tmp_path_factory.mktemp("plain")
    build_demo(plain, seed=0)
    health = tmp_path_factory.mktemp("health")
    shutil.copytree(plain, health, dirs_exist_ok=True)
    text = (health / "placesafe.toml").read_text()
    remove_ed_assaults(health / "placesafe.duckdb")
    add_ed_assaults(health / "placesafe.duckdb")
    (health / "placesafe.toml").write_text(text)
    remove_ed_assaults(plain / "placesafe.duckdb")
    return {"plain": plain / "placesafe.toml", "health": health / "placesafe.toml"}


@pytest.fixture
def maps(monkeypatch: pytest.MonkeyPatch) -> list[list[dict[str, Any]]]:
    """Every map a page draws: per map, its layers as dicts (name, show, cells, values)."""
    import ui.context

    drawn: list[list[dict[str, Any]]] = []
    build = ui.context.build_map

    def recording(centre: Any, bounds: Any, boundary: Any, layers: Any, *args: Any, **kw: Any):
        drawn.append(
            [
                {
                    "name": x.name,
                    "show": x.show,
                    "cells": [f["properties"]["cell"] for f in x.geojson["features"]],
                    "values": [f["properties"].get("value") for f in x.geojson["features"]],
                }
                for x in layers
            ]
        )
        return build(centre, bounds, boundary, layers, *args, **kw)

    monkeypatch.setattr(ui.context, "build_map", recording)
    return drawn


@pytest.fixture
def health(configs: dict[str, Path]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(configs["health"]))
        yield


@pytest.fixture
def plain(configs: dict[str, Path]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(configs["plain"]))
        yield


def open_page(page: str, partnership: bool = False, **query: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(str(PAGES / page)).run()
    ok(at)
    if partnership:
        at.radio(key="view_as").set_value("partnership").run()
        ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def layer(drawn: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((x for x in drawn if x["name"] == name), None)


def infos(at: AppTest) -> str:
    return " ".join(str(i.value) for i in at.info)


# --- maps ------------------------------------------------------------------------------------


def test_analyst_overview_offers_the_ae_layer_off_until_chosen(health: None, maps: list) -> None:
    at = open_page("overview.py", res="9", **WINDOW)
    select = at.multiselect(key="ov_layers")
    assert "ed_assaults" in select.options or "A&E assaults (ED, ISTV)" in select.options
    assert "ed_assaults" not in select.value
    first = maps[0]
    assert [x["name"] for x in first][:4] == ["Incidents", "Missing: found / last-seen", ED,
                                              "Youth-work coverage"]  # fmt: skip
    assert not layer(first, ED)["show"] and len(layer(first, ED)["cells"]) > 50
    assert "not loaded" not in infos(at)
    assert at.download_button(key="overview_ed_dl") is not None
    maps.clear()
    select.set_value([*select.value, "ed_assaults"]).run()
    ok(at)
    assert layer(maps[0], ED)["show"]
    assert "ed_assaults" in str(at.query_params["layers"])
    # the playback's step maps carry the layer too
    assert all(layer(m, ED) is not None for m in maps)


def test_partnership_overview_ae_layer_is_published(health: None, maps: list) -> None:
    at = open_page("overview.py", partnership=True, layers="incidents,ed_assaults")
    assert at.selectbox(key="res").value == 8
    ok(at)
    ed = layer(maps[-1] if layer(maps[-1], ED) else maps[0], ED)
    assert ed is not None and ed["show"] and ed["cells"]
    assert all(int(c[1], 16) <= 8 for c in ed["cells"])  # resolution 8 at the finest
    shown = [v for v in ed["values"] if v is not None]
    withheld = [v for v in ed["values"] if v is None]
    assert shown and withheld, "small A&E counts are withheld, not drawn"
    assert not any(1 <= v < 6 for v in shown)


def test_without_an_ed_feed_the_layer_reads_not_loaded(plain: None, maps: list) -> None:
    at = open_page("overview.py", res="9", layers="incidents,ed_assaults", **WINDOW)
    assert "A&E assaults (ED, ISTV): not loaded" in infos(at)
    assert all(layer(m, ED) is None for m in maps), "no empty A&E layer is drawn"
    names = [x["name"] for x in maps[0]]
    assert names == ["Incidents", "Missing: found / last-seen", "Youth-work coverage"]
    for role in ("partnership",):
        at.radio(key="view_as").set_value(role).run()
        ok(at)
        assert "not loaded" in infos(at)


def test_schools_and_missing_maps_carry_the_ae_layer(health: None, maps: list) -> None:
    for page in ("schools.py", "missing.py"):
        maps.clear()
        open_page(page, res="9", **WINDOW)
        ed = layer(maps[0], ED)
        assert ed is not None and not ed["show"] and ed["cells"], page


# --- hot spots and near repeats --------------------------------------------------------------


@pytest.mark.parametrize("partnership", [False, True])
def test_hot_spots_on_the_ae_layer(health: None, maps: list, partnership: bool) -> None:
    at = open_page("hotspots.py", partnership=partnership, res="9", **WINDOW)
    maps.clear()
    at.selectbox(key="hs_layer").set_value("ed_assaults").run()
    ok(at)
    assert any("A&E assaults" in str(c.value) for c in at.caption)  # the feed used
    table = at.dataframe[0].value
    assert len(table) > 3 and "Category" in table.columns
    drawn = maps[0][0]
    assert drawn["name"] == "Emerging hot spots" and drawn["cells"]
    if partnership:
        assert all(int(c[1], 16) <= 8 for c in drawn["cells"])


def test_hot_spots_without_an_ed_feed_say_not_loaded(plain: None) -> None:
    at = open_page("hotspots.py", res="9", **WINDOW)
    at.selectbox(key="hs_layer").set_value("ed_assaults").run()
    ok(at)
    assert "not loaded" in infos(at)
    assert not at.dataframe


@pytest.mark.parametrize("partnership", [False, True])
def test_near_repeats_of_ae_assaults(health: None, partnership: bool) -> None:
    at = open_page("recurring.py", partnership=partnership, res="8", **WINDOW)
    at.radio(key="nr_layer").set_value("ed_assaults").run()
    ok(at)
    words = " ".join(str(m.value) for m in at.markdown)
    assert "pairs of assaults" in words or "of an assault" in words
    assert "A&E-treated assaults follow one another" in words
    ranking = at.dataframe[0].value
    assert ranking["Why it is ranked"].str.contains("A&E").any()


def test_near_repeats_offer_no_choice_without_an_ed_feed(plain: None) -> None:
    at = open_page("recurring.py", res="8", **WINDOW)
    assert not [r for r in at.radio if r.key == "nr_layer"]
    assert "ed" not in at.multiselect(key="rec_layers").options


# --- profile and story -------------------------------------------------------------------------


def test_profile_shows_ae_assaults_for_analysts_and_quarters_for_the_partnership(
    health: None, configs: dict[str, Path]
) -> None:
    import json

    truth = json.loads((configs["health"].parent / "truth.json").read_text())
    cell = truth["recurring_hotspots"][0]["cell"]
    at = open_page("profile.py", res="9", cell=cell, **WINDOW)
    labels = [t.label for t in at.tabs]
    assert "A&E assaults" in labels
    assert any("assaults treated at A&E here" in str(t.value) for t in at.text)
    assert any("Means of assault" in d.value.index.names or "Assaults" in d.value.columns
               for d in at.dataframe)  # fmt: skip
    at.radio(key="view_as").set_value("partnership").run()
    ok(at)
    assert "A&E assaults" in [t.label for t in at.tabs]
    assert any("A&E detail is available to analysts" in str(c.value) for c in at.caption)
    assert not any("assaults treated at A&E here" in str(t.value) for t in at.text)


def test_profile_has_no_ae_tab_without_an_ed_feed(plain: None, configs: dict[str, Path]) -> None:
    import json

    truth = json.loads((configs["plain"].parent / "truth.json").read_text())
    at = open_page("profile.py", res="9", cell=truth["recurring_hotspots"][0]["cell"], **WINDOW)
    assert "A&E assaults" not in [t.label for t in at.tabs]


@pytest.mark.parametrize("partnership", [False, True])
def test_story_names_health_among_whose_data(health: None, partnership: bool) -> None:
    at = open_page("story.py", partnership=partnership, res="8", **WINDOW)
    whose = [str(c.value) for c in at.caption if c.value.startswith("Whose data")]
    assert any(r"Health \(A&E\)" in w for w in whose)  # escaped for Markdown
