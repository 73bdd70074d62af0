"""AppTest: shareable views (every URL parameter round-trips, for the analyst and the
partnership; bad values are coerced), the copy-link control, presentation mode,
month-by-month playback and audited exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import h3
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app._downloads import fetch

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGES = Path(__file__).resolve().parents[2] / "pages"
TIMEOUT = 90
BASE_URL = "https://placesafe.example.org/lscp"
#: The pages whose url paths shared links use (st.Page infers them from the file names).
PAGE_PATHS = {
    "hotspots.py": "hotspots",
    "recurring.py": "recurring",
    "profile.py": "profile",
    "missing.py": "missing",
    "schools.py": "schools",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo with a base URL for links and a partnership user (absolute paths)."""
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    text = (out / "placesafe.toml").read_text()
    for name in ("placesafe.duckdb", "boundary.geojson", "sensitive_premises.csv"):
        text = text.replace(f'"{name}"', f'"{(out / name).as_posix()}"')
    text = text.replace("[app]\n", f'[app]\nbase_url = "{BASE_URL}/"\n', 1)
    assert "base_url" in text
    text += '\n[access.users]\n"p@example.org" = "partnership"\n'
    (out / "share.toml").write_text(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "share.toml"))
        yield out


AUTH = {
    "cookie_secret": "x" * 48,
    "client_id": "placesafe-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    "redirect_uri": "http://localhost:8501/oauth2callback",
}


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def analyst_app(**query: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    ok(at)
    return at


def partnership_app(**query: str) -> AppTest:
    """A logged-in partnership user (the role comes from the identity, not the URL)."""
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": "p@example.org", "email_verified": True}
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    ok(at)
    assert at.session_state["role"] == "partnership"
    return at


def params(at: AppTest) -> dict[str, str]:
    return {k: str(v) for k, v in at.query_params.items()}


def link(at: AppTest) -> str:
    [code] = [c.value for c in at.code]
    return str(code)


def link_parts(at: AppTest) -> tuple[str, dict[str, str]]:
    parts = urlsplit(link(at))
    return f"{parts.scheme}://{parts.netloc}{parts.path}", dict(parse_qsl(parts.query))


def fine_cell(demo: Path, res: int) -> str:
    truth = json.loads((demo / "truth.json").read_text())
    cell = truth["recurring_hotspots"][0]["cell"]  # resolution 9
    return cell if res == 9 else h3.cell_to_parent(cell, res)


# --- every parameter round-trips --------------------------------------------------------


def test_analyst_view_round_trips_through_the_url(demo: Path) -> None:
    query = {
        "from": "2024-03",
        "to": "2024-06",
        "res": "9",
        "cat": "drugs,robbery",
        "cell": fine_cell(demo, 9),
        "layers": "incidents,missing",
        "present": "1",
    }
    at = analyst_app(**query)
    assert tuple(at.session_state["months"]) == ("2024-03", "2024-06")
    assert at.session_state["res"] == 9
    assert sorted(at.session_state["categories"]) == ["drugs", "robbery"]
    assert at.session_state["cell"] == query["cell"]
    assert tuple(at.session_state["layers"]) == ("incidents", "missing")
    assert at.multiselect(key="ov_layers").value == ["incidents", "missing"]
    assert at.session_state["present"] is True
    assert params(at) == query
    # the copy-link control: base URL, the page's path, the same query (never data)
    base, linked = link_parts(at)
    assert base == f"{BASE_URL}/"
    assert linked == query
    # a new session opened from that link shows the same view, and its link is the same
    again = analyst_app(**linked)
    assert params(again) == query
    assert link(again) == link(at)


def test_each_page_is_in_the_link_path(demo: Path) -> None:
    at = analyst_app(**{"from": "2023-07", "to": "2024-06", "res": "7"})
    before = params(at)
    for page, path in PAGE_PATHS.items():
        at.switch_page(str(PAGES / page)).run()
        ok(at)
        base, linked = link_parts(at)
        assert base == f"{BASE_URL}/{path}", page
        assert linked == params(at), page
        assert {k: v for k, v in params(at).items() if k != "cell"} == before, page
    at.switch_page(str(PAGES / "overview.py")).run()
    assert link_parts(at)[0] == f"{BASE_URL}/"


def test_partnership_view_round_trips_through_the_url(demo: Path) -> None:
    query = {
        "from": "2024-04",
        "to": "2024-06",
        "res": "7",
        "cell": fine_cell(demo, 8),
        "layers": "missing,schools",
        "present": "1",
    }
    at = partnership_app(**query)
    assert at.selectbox(key="quarter_select").value == "2024 Q2"
    assert tuple(at.session_state["months"]) == ("2024-04", "2024-06")
    assert at.session_state["res"] == 7
    assert at.session_state["cell"] == query["cell"]
    assert at.session_state["present"] is True
    assert params(at) == query
    assert link_parts(at)[1] == query
    at.switch_page(str(PAGES / "hotspots.py")).run()
    ok(at)
    assert params(at) == query
    assert link_parts(at)[0] == f"{BASE_URL}/hotspots"


def test_partnership_coerces_what_it_may_not_see(demo: Path) -> None:
    fine = fine_cell(demo, 9)
    at = partnership_app(
        **{
            "from": "2024-01",
            "to": "2024-12",  # not a quarter: the quarter holding the end month
            "res": "10",  # finer than allowed: the finest allowed
            "cat": "knife_crime",  # the partnership always sees all categories
            "cell": fine,  # finer than allowed: its resolution-8 parent
            "layers": "incidents,bogus",
            "present": "yes",
        }
    )
    assert params(at) == {
        "from": "2024-10",
        "to": "2024-12",
        "res": "8",
        "cell": h3.cell_to_parent(fine, 8),
        "layers": "incidents",
    }
    assert fine not in link(at)
    assert at.session_state["present"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"layers": "none"}, "none"),
        ({"layers": "schools,incidents,schools"}, "incidents,schools"),
        ({"layers": "<script>,x"}, "incidents,youth_work,schools"),
        ({"present": "0"}, None),
        ({"cell": h3.latlng_to_cell(51.5, 0.0, 5)}, None),  # coarser than resolution 7
    ],
)
def test_analyst_url_values_are_validated(
    demo: Path, query: dict[str, str], expected: str | None
) -> None:
    at = analyst_app(**query)
    got = params(at)
    if "layers" in query:
        assert got["layers"] == expected
    else:
        assert "present" not in got and "cell" not in got
    assert got["res"] == "8" and got["from"] == "2024-01"


# --- presentation mode -----------------------------------------------------------------


def test_presentation_mode_toggles_and_exits(demo: Path) -> None:
    from ui.widgets import PRESENTATION_CSS

    at = analyst_app()
    assert not any(PRESENTATION_CSS.strip() == m.value.strip() for m in at.markdown)
    at.toggle(key="present").set_value(True).run()
    ok(at)
    assert params(at)["present"] == "1"
    assert "present=1" in link(at)
    assert any(PRESENTATION_CSS.strip() == m.value.strip() for m in at.markdown)
    assert "stSidebar" in PRESENTATION_CSS and "display: none" in PRESENTATION_CSS
    at.button(key="exit_present").click().run()
    ok(at)
    assert at.session_state["present"] is False
    assert "present" not in params(at)
    assert not any(b.key == "exit_present" for b in at.button)


def test_maps_are_taller_in_presentation_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.map

    heights: list[int] = []
    monkeypatch.setattr(ui.map, "st_folium", lambda m, **kw: heights.append(kw["height"]))
    state: dict[str, object] = {}
    monkeypatch.setattr(ui.map.st, "session_state", state)
    ui.map.show_map(object(), key="m")  # type: ignore[arg-type]
    state["present"] = True
    ui.map.show_map(object(), key="m")  # type: ignore[arg-type]
    ui.map.show_map(object(), key="m", height=320)  # type: ignore[arg-type]
    assert heights == [560, 840, 480]


# --- playback ----------------------------------------------------------------------------


def step_features(role: str, res: int, month_from: str, month_to: str) -> list[dict]:
    from geo.core.filters import Filters
    from ui import cache

    config = cache.get_config()
    version = cache.get_store(config).data_version()
    layer = cache.overview_layers(
        config.fingerprint, version, role, res, Filters(month_from, month_to)
    )[0]
    return [f["properties"] for f in layer.geojson["features"]]


@pytest.fixture
def instant_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest reruns at once; let each rerun count as a timer tick."""
    import ui.playback

    monkeypatch.setattr(ui.playback, "MIN_STEP_GAP_SECONDS", 0.0)


def test_a_rerun_between_ticks_does_not_step(demo: Path) -> None:
    at = analyst_app(**{"from": "2024-01", "to": "2024-04"})
    at.button(key="play_start").click().run()
    at.run()  # sooner than a tick (a click elsewhere, a page change back)
    ok(at)
    assert at.session_state["play_month"] == "2024-01"


def test_leaving_the_overview_stops_playback(demo: Path, instant_ticks: None) -> None:
    at = analyst_app(**{"from": "2024-01", "to": "2024-04"})
    at.button(key="play_start").click().run()
    assert at.session_state["_playing"] is True
    at.switch_page(str(PAGES / "hotspots.py")).run()
    ok(at)
    assert at.session_state["_playing"] is False


def test_playback_steps_month_by_month(demo: Path, instant_ticks: None) -> None:
    at = analyst_app(**{"from": "2024-01", "to": "2024-04"})
    slider = at.select_slider(key="play_month")
    assert list(slider.options) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert slider.value == "2024-01"
    at.button(key="play_start").click().run()
    ok(at)
    assert at.session_state["_playing"] is True
    assert at.session_state["play_month"] == "2024-01"  # the starting run shows step one
    assert any(b.key == "play_pause" for b in at.button)
    at.run()  # one timer tick of the playback fragment
    ok(at)
    assert at.session_state["play_month"] == "2024-02"
    assert any("Showing 2024-02" in c.value for c in at.caption)
    # the map layer of the step is that month's, and it differs from the month before
    assert step_features("analyst", 8, "2024-02", "2024-02") != step_features(
        "analyst", 8, "2024-01", "2024-01"
    )
    at.button(key="play_pause").click().run()
    ok(at)
    assert at.session_state["_playing"] is False
    at.run()
    assert at.session_state["play_month"] == "2024-02"  # paused: no step
    # playing on stops at the last month by itself
    at.button(key="play_start").click().run()
    for _ in range(3):
        at.run()
    ok(at)
    assert at.session_state["play_month"] == "2024-04"
    assert at.session_state["_playing"] is False
    assert any(b.key == "play_start" for b in at.button)
    # the user can also drag the slider to a month
    at.select_slider(key="play_month").set_value("2024-03").run()
    ok(at)
    assert any("Showing 2024-03" in c.value for c in at.caption)


def test_partnership_playback_steps_quarters_from_the_fixed_menu(
    demo: Path, instant_ticks: None
) -> None:
    at = partnership_app()
    quarters = list(at.selectbox(key="quarter_select").options)
    slider = at.select_slider(key="play_month")
    assert list(slider.options) == quarters  # never months
    at.button(key="play_start").click().run()
    at.run()
    ok(at)
    assert at.session_state["play_month"] == quarters[1]
    assert any(f"Showing {quarters[1]}" in c.value for c in at.caption)
    start = pd.Period(quarters[1].replace(" ", ""), freq="Q").asfreq("M", "start")
    end = pd.Period(quarters[1].replace(" ", ""), freq="Q").asfreq("M", "end")
    props = step_features("partnership", 8, str(start), str(end))
    values = np.array([p["value"] for p in props], dtype=float)
    shown = values[np.isfinite(values)]
    assert shown.size and not ((shown >= 1) & (shown < 6)).any()
    assert all(h3.get_resolution(p["cell"]) == 8 for p in props)


@pytest.mark.parametrize(("role", "res"), [("analyst", 10), ("analyst", 8), ("partnership", 8)])
def test_playback_bands_are_those_of_the_layers_drawn(demo: Path, role: str, res: int) -> None:
    """The shared legend is worked out from the disclosed counts alone (no layer built
    per step), and is exactly what pooling the steps' drawn layers gives."""
    from geo.core.filters import Filters
    from ui import cache, playback

    config = cache.get_config()
    version = cache.get_store(config).data_version()
    steps = tuple(Filters(f"2024-{m:02d}", f"2024-{m:02d}") for m in range(1, 13))
    if role == "partnership":
        steps = tuple(Filters(f"2024-{m:02d}", f"2024-{m + 2:02d}") for m in (1, 4, 7, 10))
    drawn = [cache.overview_layers(config.fingerprint, version, role, res, f) for f in steps]
    pooled = playback.window_bands(
        [{i: playback.layer_values(f[i]) for i in (0, 1, 3)} for f in drawn]
    )
    bands = playback.playback_bands(config.fingerprint, version, role, res, steps)
    assert bands == pooled
    assert len(bands[0].breaks) > 1  # something to compare: several bands of incidents


def test_layers_categories_do_not_bear_on_are_worked_out_once(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Choosing incident categories recomputes the incident layers only: the missing,
    youth-work and A&E layers are the same objects, the missing hot spot report is
    worked out once."""
    from geo.core.filters import Filters
    from ui import cache
    from ui.cache import hotspots

    worked_out: list[str] = []
    run = hotspots.run_trend_hotspots

    def counted(*args: Any, **kwargs: Any) -> Any:
        worked_out.append(args[2])  # store, area, layer
        return run(*args, **kwargs)

    monkeypatch.setattr(hotspots, "run_trend_hotspots", counted)

    config = cache.get_config()
    fp, version = config.fingerprint, cache.get_store(config).data_version()
    every, robbery = Filters("2024-02", "2024-05"), Filters("2024-02", "2024-05", ("robbery",))
    a = cache.overview_layers(fp, version, "analyst", 10, every)
    b = cache.overview_layers(fp, version, "analyst", 10, robbery)
    assert a[0] is not b[0] and len(b[0].geojson["features"]) < len(a[0].geojson["features"])
    assert all(x is y for x, y in zip(a[1:], b[1:], strict=True))
    for layer in ("missing", "incidents"):
        for filters in (every, robbery):
            hotspots.hotspot_report(fp, version, "analyst", layer, 9, filters)
    assert worked_out == ["missing", "incidents", "incidents"]


def test_a_session_whose_months_are_gone_gets_the_default_window(demo: Path) -> None:
    """A session opened before any dated data (its window a placeholder), or whose months
    a rollback took away, gets the latest twelve months on its next run, not a crash in
    the months slider."""
    at = analyst_app()
    window = at.session_state["months"]
    at.session_state["months"] = ("2000-01", "2000-01")
    at.run()
    ok(at)
    assert at.session_state["months"] == window
    assert at.select_slider(key="months_slider").value == window


# --- exports are offered in three formats and audited -----------------------------------


def test_exports_offered_and_written_to_the_audit_log(
    demo: Path, deferred: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Overview offers each layer in three formats; fetching one (what the browser does
    on a click) writes ``export`` to the audit log."""
    from ui import cache

    at = analyst_app()
    keys = {d.key for d in at.get("download_button")}
    for base in ("overview_download", "overview_missing_download", "overview_youth_download"):
        assert {base, f"{base}_geojson", f"{base}_gpkg"} <= keys
    store = cache.get_store(cache.get_config())
    before = len(store.audit_log(100_000))
    payload = fetch(at, "overview_download_gpkg", deferred, monkeypatch)
    assert payload.startswith(b"SQLite format 3")  # a GeoPackage
    log = store.audit_log(100_000)
    assert len(log) == before + 1
    newest = log.iloc[0]
    assert newest["event"] == "export" and newest["page"] == "incident layer"
    detail = json.loads(newest["detail"])
    assert detail["format"] == "gpkg" and detail["rows"] > 0 and detail["bytes"] == len(payload)
    assert store.verify_audit_chain().ok


def test_partnership_csv_export_is_the_displayed_table(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.exports

    exported: list[pd.DataFrame] = []
    real = ui.exports.export_table

    def recording(frame: pd.DataFrame) -> pd.DataFrame:
        out = real(frame)
        exported.append(out.copy())  # what every format of the download is built from
        return out

    monkeypatch.setattr(ui.exports, "export_table", recording)
    at = partnership_app()
    at.switch_page(str(PAGES / "recurring.py")).run()
    ok(at)
    displayed = at.dataframe[0].value
    matches = [f for f in exported if list(f.columns) == list(displayed.columns)]
    assert matches, "the ranking table was not offered for export"
    pd.testing.assert_frame_equal(
        matches[-1].reset_index(drop=True),
        displayed.reset_index(drop=True),
        check_dtype=False,
    )


def test_a_fresh_servers_legacy_pages_router_is_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run of a new server process goes through Streamlit's legacy pages/
    router; app.py and every page leave it (and rerun) so a shared link opens its page."""
    from streamlit.runtime.pages_manager import PagesManager

    import ui.auth

    reruns: list[int] = []
    monkeypatch.setattr(PagesManager, "uses_pages_directory", True)
    monkeypatch.setattr(ui.auth.st, "rerun", lambda: reruns.append(1))
    ui.auth.leave_legacy_page_router()
    assert PagesManager.uses_pages_directory is False and reruns == [1]
    ui.auth.leave_legacy_page_router()  # later runs: nothing to do
    assert reruns == [1]


def test_a_fetched_file_is_audited(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are built only when fetched, and the fetch is logged with the identity and
    role captured when the page ran, once the session that was offered it is found
    still open with that identity and role."""
    import ui.exports
    from ui import cache
    from ui.exports import DownloadTicket

    store = cache.get_store(cache.get_config())
    before = len(store.audit_log(100_000))
    ticket = DownloadTicket(
        what="incident layer", fmt="csv", file_name="x.csv", rows=12, roles=("analyst",),
        who="u-test", role="analyst", grounds="analyst", session_id="s-1", page="Overview",
        filters={}, purpose=None,
    )  # fmt: skip
    live = {"user_id": "u-test", "role": "analyst", "roles": ("analyst",)}
    monkeypatch.setattr(ui.exports, "_live_session", lambda sid: live if sid == "s-1" else None)
    payload = ui.exports._serve(store, ticket, lambda: b"cell,label\n")
    assert payload == b"cell,label\n"
    log = store.audit_log(100_000)
    assert len(log) == before + 1
    newest = log.iloc[0]
    assert newest["event"] == "export" and newest["page"] == "incident layer"
    detail = json.loads(newest["detail"])
    assert detail["format"] == "csv" and detail["bytes"] == len(payload)
    assert store.verify_audit_chain().ok


def test_partnership_without_a_whole_quarter_sees_no_data_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With less than a quarter of data the partnership has no period to choose: a free
    window from the URL must not be used instead."""
    from geo.demo.build import build_demo
    from geo.store.database import Store

    build = build_demo(tmp_path, seed=3)
    with Store(build.config.store_path) as store, store.cursor() as cur:
        for table, col in (
            ("incidents", "occurred_at"),
            ("missing_episodes", "reported_at"),
            ("youth_sessions", "started_at"),
            ("stop_search", "searched_at"),
            ("ed_assaults", "occurred_at"),
        ):
            cur.execute(f"DELETE FROM {table} WHERE {col} >= '2023-03-01'").fetchall()
    monkeypatch.setenv("PLACESAFE_CONFIG", str(tmp_path / "placesafe.toml"))
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    at.query_params["from"] = "2023-01"
    at.query_params["to"] = "2023-01"
    at.run()
    at.radio(key="view_as").set_value("partnership").run()
    ok(at)
    assert any("no complete quarter" in i.value for i in at.info)
    assert not at.dataframe and not at.metric
