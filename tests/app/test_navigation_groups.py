"""AppTest: the pages are grouped (Meeting · Places · Lenses · Data) in the top bar, with
the Overview the default page; presentation mode's CSS; the one colour rule for changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
TIMEOUT = 90
AUTH = {
    "cookie_secret": "x" * 48,
    "client_id": "placesafe-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    "redirect_uri": "http://localhost:8501/oauth2callback",
}
MEETING = ["This quarter", "Overview", "Review pack"]
PLACES = ["Hot spots", "Recurring locations", "Location profile"]
LENSES = [
    "Youth work", "Missing from home", "Schools", "Disproportionality", "Health and police",
]  # fmt: skip
DATA = ["Data", "Audit log"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo with a partnership user (absolute paths)."""
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    text = (out / "placesafe.toml").read_text()
    for name in ("placesafe.duckdb", "boundary.geojson", "sensitive_premises.csv"):
        text = text.replace(f'"{name}"', f'"{(out / name).as_posix()}"')
    text += '\n[access.users]\n"p@example.org" = "partnership"\n'
    (out / "nav.toml").write_text(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "nav.toml"))
        yield out


@pytest.fixture
def nav_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What app.py hands ``st.navigation`` (the real one still runs)."""
    import streamlit as st

    calls: list[dict[str, Any]] = []
    real = st.navigation

    def recording(pages: Any, **kwargs: Any) -> Any:
        calls.append({"pages": pages, **kwargs})
        return real(pages, **kwargs)

    monkeypatch.setattr(st, "navigation", recording)
    return calls


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def sections(call: dict[str, Any]) -> dict[str, list[str]]:
    pages = call["pages"]
    assert isinstance(pages, dict), "pages are grouped in sections, not a flat list"
    return {section: [p.title for p in group] for section, group in pages.items()}


def test_local_analyst_admin_sees_four_groups(demo: Path, nav_calls: list[dict]) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    at.run()
    ok(at)
    call = nav_calls[-1]
    assert call["position"] == "top"
    assert sections(call) == {
        "Meeting": MEETING,
        "Places": PLACES,
        "Lenses": LENSES,
        "Data": DATA,
    }
    defaults = [p.title for group in call["pages"].values() for p in group if p._default]
    assert defaults == ["Overview"]
    assert [t.value for t in at.title][0].startswith("Overview")


def test_partnership_has_no_data_group(demo: Path, nav_calls: list[dict]) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": "p@example.org", "email_verified": True}
    at.run()
    ok(at)
    assert sections(nav_calls[-1]) == {"Meeting": MEETING, "Places": PLACES, "Lenses": LENSES}


def test_no_group_is_longer_than_a_top_bar_menu_holds(demo: Path, nav_calls: list[dict]) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    at.run()
    # four menus fit a 1280-pixel top bar; the flat list of twelve did not ("5 more")
    assert len(nav_calls[-1]["pages"]) <= 4


# --- presentation mode ------------------------------------------------------------------


def test_presentation_css_is_drawn_and_fits_a_projector(demo: Path) -> None:
    from ui.widgets import PRESENTATION_CSS

    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    at.query_params["present"] = "1"
    at.run()
    ok(at)
    assert any(PRESENTATION_CSS.strip() == m.value.strip() for m in at.markdown)
    css = PRESENTATION_CSS
    assert "stSidebar" in css and "display: none" in css  # the sidebar is hidden ...
    assert "stHeader" not in css  # ... the top bar, which holds the navigation, is not
    assert '[data-testid="stDataFrame"]' in css and "zoom:" in css  # tables scale up
    assert ".st-key-exit_present {position: fixed" in css  # the exit in the top bar
    assert ".st-key-synthetic_banner" in css  # the demo label stays, slimmer
    assert any(b.key == "exit_present" for b in at.button)


def test_maps_fit_the_window_in_presentation_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    import shapely

    import ui.map
    from geo.render import hexlayer, maps

    drawn: list[tuple[str, int, str]] = []

    def fake(m: Any, **kw: Any) -> None:
        drawn.append((kw["key"], kw["height"], m.get_root().render()))

    monkeypatch.setattr(ui.map, "st_folium", fake)
    state: dict[str, object] = {}
    monkeypatch.setattr(ui.map.st, "session_state", state)

    def new_map() -> Any:
        box = shapely.box(0.0, 51.52, 0.06, 51.55)
        layer = hexlayer.count_layer("I", np.empty(0, np.uint64), [], [])
        return maps.build_map((51.53, 0.03), (0.0, 51.52, 0.06, 51.55), box, [layer], tiles="none")

    ui.map.show_map(new_map(), key="m")
    state["present"] = True
    ui.map.show_map(new_map(), key="m")
    (k0, h0, plain), (k1, h1, fitted) = drawn
    assert "psHeight" not in plain and "psHeight" in fitted
    assert k0 != k1  # a new frame, drawn at the new height
    assert h1 > h0


# --- one colour rule --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "higher_is_worse", "colour", "word"),
    [
        (-33.0, True, "blue", "better"),  # a fall in missing episodes
        (17.0, True, "red", "worse"),
        (18.0, False, "blue", "better"),  # more youth-work hours
        (-5.0, False, "red", "worse"),
        (0.0, True, "gray", "no change"),
    ],
)
def test_change_colours_follow_one_rule(
    change: float, higher_is_worse: bool, colour: str, word: str
) -> None:
    from ui.widgets import change_delta

    got = change_delta(change, higher_is_worse)
    assert got["delta_color"] == colour
    assert got["delta_description"] == word
    assert got["delta"] is not None and got["delta"].startswith(
        "-" if change < 0 else ("+" if change else "0")
    )


def test_kpi_tiles_are_never_green(demo: Path) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    at.run()
    ok(at)
    tiles = [m for m in at.metric if m.proto.delta]
    assert tiles
    for m in tiles:
        falls = m.proto.delta.startswith("-")
        assert m.proto.delta_description in {"worse", "better", "no change"}
        better = m.proto.delta_description == "better"
        colour = m.proto.DESCRIPTOR.fields_by_name["color"].enum_type.values_by_number
        if m.proto.delta_description != "no change":
            assert colour[m.proto.color].name == ("BLUE" if better else "RED"), m.label
        if m.label == "Youth-work hours":
            assert better == (not falls)
        elif m.proto.delta_description != "no change":
            assert better == falls, m.label
