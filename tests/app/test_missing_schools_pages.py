"""AppTest of the Missing from home and Schools pages (analyst; the partnership sweep over
every quarter and resolution is in test_roles.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGES = Path(__file__).resolve().parents[2] / "pages"
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


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    ok(at)
    at.switch_page(str(PAGES / page)).run()
    ok(at)
    return at


def test_missing_page_for_analysts(demo: Path) -> None:
    truth = json.loads((demo / "truth.json").read_text())
    at = open_page("missing.py", **{"from": "2023-01", "to": "2024-12", "res": "9"})
    assert [t.value for t in at.title] == ["Missing from home"]
    labels = [m.label for m in at.metric]
    assert labels[0] == "Episodes reported" and len(labels) == 4
    repeat = at.metric[2]
    assert repeat.label.startswith("Children missing 3 or more")
    assert int(repeat.value) == truth["repeat_missing_children"]
    overlap = at.dataframe[1].value  # after the measures table
    assert truth["missing_found_hotspot"]["cell"] in set(overlap["Cell id"])
    downloads = {d.key for d in at.get("download_button")}
    for table in ("measures", "overlap", "places", "theme_counts", "themes", "schools", "homes"):
        assert f"missing_download_{table}" in downloads  # CSV
        assert f"missing_download_{table}_gpkg" in downloads
    for layer in ("found_layer", "ol"):  # the map's layers, in all three formats
        for suffix in ("", "_geojson", "_gpkg"):
            assert f"missing_download_{layer}{suffix}" in downloads
    at.radio(key="missing_area_unit").set_value("home").run()
    ok(at)
    homes = [d.value for d in at.dataframe if "Area" in d.value.columns][0]
    assert homes["Area"].str.startswith("87").all()  # home areas at resolution 7
    at.toggle(key="missing_repeat_only").set_value(True).run()
    ok(at)


def test_schools_page_for_analysts(demo: Path) -> None:
    truth = json.loads((demo / "truth.json").read_text())
    at = open_page("schools.py", **{"from": "2023-01", "to": "2024-12"})
    assert [t.value for t in at.title] == ["Schools"]
    ranking = at.dataframe[0].value
    journey = ranking.set_index("School")["Incidents within 400 m, school journey"]
    urn = truth["school_journey_hotspot"]["school_urn"]
    from ui import cache

    store = cache.get_store(cache.get_config())
    name = store.scalar("SELECT name FROM schools WHERE urn = ?", [urn])
    assert journey.idxmax() == name
    # exclusions: three measures, the group table with the unrecorded group
    labels = [m.label for m in at.metric]
    assert labels == [
        "Fixed-term exclusions (suspensions)",
        "Permanent exclusions",
        "Managed moves",
    ]
    groups = [d.value for d in at.dataframe if "Ethnic group" in d.value.columns][0]
    assert "Not recorded" in set(groups["Ethnic group"])
    at.selectbox(key="sch_pick").set_value(name).run()
    ok(at)
    assert any(s.value == name for s in at.subheader)
    at.radio(key="sch_distance").set_value(800.0).run()
    ok(at)
    assert "Incidents within 800 m, school journey" in at.dataframe[0].value.columns
    at.multiselect(key="sch_kind").set_value(["alternative_provision"]).run()
    ok(at)
    assert at.dataframe[0].value["Kind"].eq("Alternative provision").all()  # in words


def test_partnership_tables_say_withheld_never_none(demo: Path) -> None:
    at = open_page("missing.py", **{"from": "2024-10", "to": "2024-12"})
    at.radio(key="view_as").set_value("partnership").run()
    ok(at)
    at.switch_page(str(PAGES / "missing.py")).run()
    ok(at)
    captions = " ".join(str(c.value) for c in at.caption)
    assert "Cells reading “withheld” are withheld" in captions
    tables = [d.value for d in at.dataframe][1:]  # after the measures table
    assert tables
    withheld = 0
    for table in tables:
        text = table.astype(str)
        assert not text.isin(["None", "nan", "<NA>"]).any().any(), table.head()
        withheld += int((text == "withheld").sum().sum())
    assert withheld > 0, "the demo's quarter has small counts to withhold"
