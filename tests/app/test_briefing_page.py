"""AppTest of the Review pack page: both roles build a pack; the partnership cannot ask
for the analysts' pack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGE = Path(__file__).resolve().parents[2] / "pages" / "briefing.py"


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


def open_page(role: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    at.run()
    if role == "partnership":
        at.radio(key="view_as").set_value("partnership").run()
    at.switch_page(str(PAGE)).run()
    ok(at)
    return at


def test_analyst_builds_both_packs(demo: Path) -> None:
    at = open_page("analyst")
    assert [t.value for t in at.title] == ["Review pack"]
    quarters = at.selectbox(key="pack_quarter").options
    assert quarters[-1] == "2024 Q4" and len(quarters) == 8  # shown as everywhere else
    assert at.radio(key="pack_audience").options == [
        "Partnership (disclosure-controlled)",
        "Analysts (exact figures)",
    ]
    assert not at.get("download_button")
    at.selectbox(key="pack_quarter").set_value("2024Q3").run()
    at.radio(key="pack_audience").set_value("analyst").run()
    at.button(key="pack_build").click().run()
    ok(at)
    assert len(at.get("download_button")) == 3
    assert any("recurring location" in m.value for m in at.markdown)


def test_partnership_gets_only_the_partnership_pack(demo: Path) -> None:
    at = open_page("partnership")
    assert at.radio(key="pack_audience").options == ["Partnership (disclosure-controlled)"]
    at.button(key="pack_build").click().run()
    ok(at)
    assert at.session_state["pack_ready"][1] == "partnership"
    assert len(at.get("download_button")) == 3
