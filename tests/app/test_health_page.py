"""AppTest of the Health and police page for every role that may open it, and in its
not-loaded state (no A&E feed in the store)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGE = Path(__file__).resolve().parents[2] / "pages" / "health.py"
TIMEOUT = 90
MIN_COUNT = 6
COUNT_COLUMNS = ("A&E assaults", "Police-recorded violence")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    return out


@pytest.fixture
def demo(built: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(built / "placesafe.toml"))
        yield built


@pytest.fixture
def without_ed(built: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the demo whose A&E (istv) batch is rolled back: the feed is not loaded."""
    from geo.store.database import Store
    from geo.store.shared import flush_audit_queues

    flush_audit_queues()  # the app of earlier tests may still be writing a page view
    copy = tmp_path / "demo"
    shutil.copytree(built, copy)
    with Store(copy / "placesafe.duckdb") as store:
        batches = store.batches()
        for batch_id in batches.loc[batches["kind"] == "istv", "batch_id"]:
            store.rollback(int(batch_id), who="test")
        assert store.scalar("SELECT count(*) FROM ed_assaults") == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(copy / "placesafe.toml"))
        yield copy


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_page(partnership: bool = False, **query: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    ok(at)
    if partnership:
        at.radio(key="view_as").set_value("partnership").run()
        ok(at)
    at.switch_page(str(PAGE)).run()
    ok(at)
    return at


def captions(at: AppTest) -> str:
    """The captions' text, with Markdown escapes (partner-fed words are escaped) undone."""
    return re.sub(r"\\(.)", r"\1", "\n".join(str(c.value) for c in at.caption))


def test_analysts_find_the_strip_with_exact_figures(demo: Path) -> None:
    truth = json.loads((demo / "truth.json").read_text())
    strip = truth["health_only_place"]["cell"]  # a res-9 cell
    at = open_page(**{"from": "2023-01", "to": "2024-12", "res": "9"})
    assert [t.value for t in at.title] == ["Health and police"]
    text = captions(at)
    assert "2023-01 to 2024-12 · resolution 9" in text
    assert re.search(r"[\d,]+ A&E assaults; \d+% placed \(postcode \d+%", text), text
    assert "at a private home (counted, never mapped)" in text
    assert "A&E assaults (ISTV)" in text  # the feeds the page used
    assert any("false discovery rate" in m.value for m in at.markdown)
    places = at.dataframe[0].value
    assert list(places.columns[:4]) == ["Rank", "Place", "A&E assaults", "Police-recorded violence"]
    assert places["Cell id"].tolist() == [strip]  # the planted place, and no other
    assert "q-value (false discovery rate)" in places.columns
    assert not places["Place"].str.fullmatch(r"[0-9a-f]{15}").any()  # names, not ids
    means = at.dataframe[1].value
    assert abs(means.iloc[0][[c for c in means.columns if c not in ("Place", "Cell id")]]
               .str.rstrip("%").astype(float).sum() - 100) <= 4  # fmt: skip
    tested = at.dataframe[3].value
    assert len(tested) > 100 and tested.iloc[0]["Cell id"] == strip


def test_partnership_sees_published_figures_only(demo: Path) -> None:
    at = open_page(partnership=True)
    assert at.session_state["role"] == "partnership"
    assert at.session_state["res"] in (7, 8)
    text = captions(at)
    assert "perturbed" in text and "A&E assaults;" in text
    shown_counts = 0
    for quarter in at.selectbox(key="quarter_select").options:
        for res in ("7 (about 5 km²)", "8 (about 0.7 km²)"):
            at.selectbox(key="quarter_select").set_value(quarter).run()
            at.selectbox(key="res").set_value(res).run()
            ok(at)
            for frame in at.dataframe:
                table = frame.value
                assert "p-value" not in table.columns and "q-value" not in " ".join(table.columns)
                for cell in table.get("Cell id", []):
                    assert int(cell[1], 16) <= 8
                for column in COUNT_COLUMNS:
                    if column in table.columns:
                        shown = table[column].astype(str)
                        numbers = shown[shown != "withheld"].astype(float)
                        assert not ((numbers >= 1) & (numbers < MIN_COUNT)).any(), (quarter, res)
                        shown_counts += int((numbers >= MIN_COUNT).sum())
            assert not any("every place tested" in e.label.lower() for e in at.expander)
    assert shown_counts > 0  # the strip is listed in some quarters, with its counts


def test_not_loaded_says_so_and_shows_no_zeros(without_ed: Path) -> None:
    for partnership in (False, True):
        at = open_page(partnership=partnership)
        assert [t.value for t in at.title] == ["Health and police"]
        assert any("No A&E assault (ISTV) feed is loaded" in i.value for i in at.info)
        assert not at.dataframe and not at.metric
        assert "0 A&E assaults" not in captions(at)


def test_an_admin_without_a_data_role_is_refused(demo: Path) -> None:
    """Run directly with only the admin role (no analyst or partnership view): no data."""
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT)
    at.session_state["role"] = ""
    at.session_state["roles"] = ("admin",)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("do not have access" in e.value for e in at.error)
    assert not at.dataframe and not at.caption
