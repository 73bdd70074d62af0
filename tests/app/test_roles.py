"""AppTest: the partnership view shows no small count and no fine cell, on every page,
quarter and resolution it can choose; and a role cannot be forged from the session
state or the URL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ui.widgets import WITHHELD_CELL

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGES = Path(__file__).resolve().parents[2] / "pages"
TIMEOUT = 90
MIN_COUNT = 6
RES_LABELS = ["7 (about 5 km²)", "8 (about 0.7 km²)"]
#: Pages a partnership user can open, with what their data tables may show.
PARTNERSHIP_PAGES = (
    "overview.py",
    "hotspots.py",
    "recurring.py",
    "profile.py",
    "missing.py",
    "schools.py",
    "disproportionality.py",
    "briefing.py",
    "youth_work.py",
    "health.py",
)
#: Numeric columns that are not counts of events or people: a rank, the number of time
#: periods a cell was a hot spot or had missing episodes, recurring places (places, not
#: people) near a school, the change between two shown counts, and statistics (scores,
#: p-values, ratios).
NOT_COUNTS = {
    "change",
    "Change",  # the change between two shown counts (as change)
    "rank",
    "Rank",
    "Score",
    # Gi* significance bins of a selected place (1 = 90 %, 2 = 95 %, 3 = 99 %), not counts
    "hot (+) / cold (-) spot confidence, 1-3",
    "hot (+) / cold (-) confidence, 1-3",
    "hot_bins",
    "cold_bins",
    "Months hot",  # months a place was a significant hot spot, not records
    "Months cold",
    "score",
    "trend_p",
    "trend_z",
    "z",
    "p",
    "quarters_active",
    "Quarters active",  # periods, not people (as quarters_active)
    "recurring_nearby",
    "Recurring locations within 800 m",  # places, not people (as recurring_nearby)
    # youth work: plan steps, cells a deployment reaches, weekly hours of youth work,
    # metres to a health site and shares of unmet need (percent)
    "step",
    "cells_reached",
    "hours_per_week",
    "site_distance_m",
    "share_of_unmet_need_pct",
    "share_of_all_need_pct",
    # health and police: model figures worked out from published counts, not records
    "A&E assaults expected",
    "Times expected",
}
AUTH = {
    "cookie_secret": "x" * 48,
    "client_id": "placesafe-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    "redirect_uri": "http://localhost:8501/oauth2callback",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "placesafe.toml"))
        yield out


def new_app() -> AppTest:
    return AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def partnership_app(**query: str) -> AppTest:
    """The demo in local mode (analyst + admin) switched to the partnership view."""
    at = new_app()
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    ok(at)
    at.radio(key="view_as").set_value("partnership").run()
    ok(at)
    assert at.session_state["role"] == "partnership"
    return at


# --- what a page shows ----------------------------------------------------------------


def _number(text: str) -> float | None:
    match = re.fullmatch(r"[+-]?[\d,]+(\.\d+)?", str(text).strip())
    return float(match.group(0).replace(",", "")) if match else None


def assert_metrics_safe(at: AppTest) -> None:
    for metric in at.metric:
        if str(metric.value).strip().endswith("%"):
            continue  # a share, withheld as a whole when its numerator is small
        value = _number(metric.value)
        if value is None:
            assert str(metric.value) == "withheld", (metric.label, metric.value)
        else:
            assert not 1 <= value < MIN_COUNT, (metric.label, metric.value)


def _is_text(values: pd.Series | pd.Index) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values)


def _h3_resolution(cell: str) -> int:
    return int(cell[1], 16)


def _is_cell(value: object) -> bool:
    try:
        return isinstance(value, str) and bool(h3.is_valid_cell(value))
    except (OverflowError, ValueError):  # "-34" in a change column
        return False


def _cells_in(values: pd.Series | pd.Index) -> list[str]:
    return [v for v in values if _is_cell(v)]


def assert_frame_safe(frame: pd.DataFrame, where: str) -> None:
    """No count of 1 to 5 and no cell finer than resolution 8 in a shown table (records at
    sensitive premises never reach the partnership: see tests/disclosure)."""
    text_cols = [c for c in frame.columns if _is_text(frame[c])]
    for cell in _cells_in(frame.index) + [c for col in text_cols for c in _cells_in(frame[col])]:
        assert _h3_resolution(cell) <= 8, (where, cell)
    if len(frame.columns) and all(str(c).endswith(("days", "days or more")) for c in frame.columns):
        return  # Knox near-repeat ratios and p-values by distance and time band: statistics
    for col in frame.columns:
        series = frame[col]
        if not pd.api.types.is_numeric_dtype(series) and series.dtype != bool:
            # a count column with withheld cells reads "withheld" there: check the rest
            withheld = series.astype(str) == WITHHELD_CELL
            rest = pd.to_numeric(series[~withheld], errors="coerce")
            if withheld.any() and rest.notna().all():
                series = rest
        if (
            str(col) in NOT_COUNTS
            or series.dtype == bool
            or not pd.api.types.is_numeric_dtype(series)
        ):
            continue
        values = series.to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0 or not np.all(values == np.round(values)):
            continue  # a statistic (ratio, p-value, score), not a count
        small = values[(values >= 1) & (values < MIN_COUNT)]
        assert small.size == 0, (where, col, small[:5].tolist())


def _shows_events(spec: str, frame: pd.DataFrame) -> bool:
    """Whether a chart plots event counts: as a column, or as a series of a long-format
    frame (Streamlit melts a line chart's columns into one "color" column)."""
    if "events" in frame.columns or '"events"' in spec:
        return True
    return any(
        _is_text(frame[c]) and frame[c].astype(str).eq("events").any() for c in frame.columns
    )


def chart_frames(at: AppTest) -> list[tuple[str, pd.DataFrame]]:
    """The data behind every chart on the page, with its Vega-Lite spec."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    out = []
    for chart in at.get("vega_lite_chart") + at.get("arrow_vega_lite_chart"):
        proto = chart.proto
        frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets]
        if proto.data.data:
            frames.append(convert_arrow_bytes_to_pandas_df(proto.data.data))
        out += [(proto.spec, f) for f in frames]
    return out


def assert_page_safe(at: AppTest, where: str) -> None:
    ok(at)
    assert at.session_state["role"] == "partnership"
    assert at.selectbox(key="res").options == RES_LABELS
    assert at.session_state["res"] in (7, 8)
    assert_metrics_safe(at)
    for i, frame in enumerate(at.dataframe):
        assert_frame_safe(frame.value, f"{where} table {i}")
    for spec, frame in chart_frames(at):
        assert not _shows_events(spec, frame), where
        assert_frame_safe(frame, f"{where} chart")


# --- the map the page would draw, from the same state, through pure code -------------


def assert_map_layers_safe(res: int, months: tuple[str, str]) -> None:
    from geo.core.filters import Filters
    from geo.disclosure.counts import disclosed_counts
    from geo.render import layers
    from geo.render.hexlayer import ALLOWED_PROPERTIES
    from ui import cache

    config = cache.get_config()
    store = cache.get_store(config)
    filters = Filters(months[0], months[1])
    incidents = disclosed_counts(store, "incidents", "partnership", res, filters, config)
    missing = disclosed_counts(store, "missing", "partnership", res, filters, config)
    features = 0
    for layer in (
        layers.incident_layer_from(incidents, res, config),
        layers.missing_layer_from(missing, res, config),
    ):
        for feature in layer.geojson["features"]:
            props = feature["properties"]
            assert set(props) <= ALLOWED_PROPERTIES, props
            assert _h3_resolution(props["cell"]) == res
            value = props["value"]
            assert value is None or not 1 <= value < MIN_COUNT, props
            features += 1
    assert features > 0


def assert_hotspot_layers_safe(res: int) -> None:
    """The Hot spots maps for the partnership: categories only, no values, no fine cells."""
    from geo.core.filters import Filters
    from geo.disclosure import store_for
    from geo.lenses.hotspot_report import run_hotspots
    from geo.render import layers
    from geo.render.hexlayer import ALLOWED_PROPERTIES
    from geo.store.queries import available_months
    from ui import cache

    config = cache.get_config()
    store = store_for(cache.get_store(config), "partnership", config)
    months = available_months(store)
    window = Filters(months[0], months[-1])
    for layer_name in ("incidents", "missing", "knife_crime"):
        report = run_hotspots(store, cache.get_area(config), layer_name, res, window)
        shown = []
        if report.gi is not None:
            shown.append(layers.gi_layer(report.gi, "partnership", res, config))
        if report.emerging is not None:
            shown.append(
                layers.emerging_layer(
                    report.emerging.cells, report.periods, report.period, "partnership", res, config
                )
            )
        for layer in shown:
            for feature in layer.geojson["features"]:
                props = feature["properties"]
                assert set(props) <= ALLOWED_PROPERTIES, props
                assert props["value"] is None, props
                assert _h3_resolution(props["cell"]) == res
                assert "z =" not in props["label"], props


# --- every page, quarter and resolution -----------------------------------------------


@pytest.mark.parametrize("page", PARTNERSHIP_PAGES)
def test_partnership_pages_show_nothing_small_or_fine(demo: Path, page: str) -> None:
    truth = json.loads((demo / "truth.json").read_text())
    # a cell selected through the URL (a planted hot spot): the page's detail for it
    cell = h3.cell_to_parent(truth["recurring_hotspots"][0]["cell"], 8)
    at = partnership_app(cell=cell)
    at.switch_page(str(PAGES / page)).run()
    assert_page_safe(at, page)
    if page == "hotspots.py":
        for res in (7, 8):
            assert_hotspot_layers_safe(res)
    quarters = list(at.selectbox(key="quarter_select").options)
    assert len(quarters) == 8 and all(re.fullmatch(r"\d{4} Q[1-4]", q) for q in quarters)
    for quarter in quarters:
        for res in (7, 8):
            at.selectbox(key="quarter_select").set_value(quarter).run()
            at.selectbox(key="res").set_value(res).run()
            where = f"{page} {quarter} res {res}"
            assert_page_safe(at, where)
            months = tuple(at.session_state["months"])
            assert pd.Period(months[0], freq="M").asfreq("Q") == pd.Period(
                quarter.replace(" ", ""), freq="Q"
            )
            assert at.session_state["categories"] == []
            if page == "overview.py":
                labels = [m.label for m in at.metric]
                assert labels[0] == "Incidents" and len(labels) == 6, where
                assert_map_layers_safe(res, months)


def test_partnership_selected_cell_chart_has_no_counts(demo: Path) -> None:
    truth = json.loads((demo / "truth.json").read_text())
    cell = h3.cell_to_parent(truth["recurring_hotspots"][0]["cell"], 8)
    at = partnership_app(cell=cell)
    at.switch_page(str(PAGES / "hotspots.py")).run()
    ok(at)
    assert any(cell in c.value for c in at.caption)  # the id under the place's name
    charts = chart_frames(at)
    assert charts, "the selected cell's chart is not shown"
    for spec, frame in charts:
        assert not _shows_events(spec, frame)
    # the analyst does see the counts: the check above is not vacuous
    at.radio(key="view_as").set_value("analyst").run()
    ok(at)
    assert any(_shows_events(spec, frame) for spec, frame in chart_frames(at))


def test_partnership_learns_nothing_about_a_fine_cell_named_in_the_url(demo: Path) -> None:
    """A res-9 cell typed into the URL (or in an analyst's shared link) is coarsened to
    its res-8 parent for the partnership: the fine cell is not even echoed back, and
    every page shows only what the partnership may see of the parent."""
    truth = json.loads((demo / "truth.json").read_text())
    fine = truth["recurring_hotspots"][0]["cell"]  # resolution 9, a planted hot spot
    parent = h3.cell_to_parent(fine, 8)
    at = partnership_app(cell=fine, res="10")
    assert at.session_state["cell"] == parent
    assert at.query_params["cell"] == parent and at.query_params["res"] == "8"
    for page in ("hotspots.py", "profile.py", "overview.py"):
        at.switch_page(str(PAGES / page)).run()
        assert_page_safe(at, page)
        texts = [*at.markdown, *at.caption, *at.subheader, *at.text, *at.code]
        assert not any(fine in str(x.value) for x in texts), page
        if page == "profile.py":
            assert any(f"Cell id {parent} (resolution 8)" in c.value for c in at.caption)


# --- roles cannot be forged ------------------------------------------------------------


def _config_with_users(demo: Path, tmp_path: Path) -> Path:
    """The demo's configuration with absolute paths and an e-mail allow-list."""
    text = (demo / "placesafe.toml").read_text()
    for name in ("placesafe.duckdb", "boundary.geojson", "sensitive_premises.csv"):
        text = text.replace(f'"{name}"', f'"{(demo / name).as_posix()}"')
    text += '\n[access.users]\n"p@example.org" = "partnership"\n"a@example.org" = "analyst"\n'
    path = tmp_path / "users.toml"
    path.write_text(text, encoding="utf-8")
    return path


def logged_in_app(email: str, verified: bool = True) -> AppTest:
    at = new_app()
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email, "email_verified": verified}
    return at


FORGED_STATE = {
    "role": "admin",
    "roles": ("analyst", "admin"),
    "view_as": "analyst",
    "res": 10,
}
FORGED_QUERY = {"role": "analyst", "view_as": "analyst", "roles": "admin", "res": "10"}
#: Mid-session: a widget value outside its options cannot even be sent (the browser sends
#: an index), so "res" is forged through the URL above only.
FORGED_LATER = {k: v for k, v in FORGED_STATE.items() if k != "res"}


def test_forged_roles_do_not_lift_a_partnership_user(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLACESAFE_CONFIG", str(_config_with_users(demo, tmp_path)))
    at = logged_in_app("p@example.org")
    for key, value in FORGED_STATE.items():
        at.session_state[key] = value
    for key, value in FORGED_QUERY.items():
        at.query_params[key] = value
    at.run()
    assert_page_safe(at, "forged first run")
    assert at.session_state["roles"] == ("partnership",)
    assert not at.radio  # no "View as" switch
    assert at.metric
    # forging again mid-session changes nothing either
    for key, value in FORGED_LATER.items():
        at.session_state[key] = value
    at.run()
    assert_page_safe(at, "forged rerun")
    assert at.session_state["roles"] == ("partnership",)
    for page in ("hotspots.py", "overview.py"):
        at.switch_page(str(PAGES / page)).run()
        assert_page_safe(at, page)
    for page in ("data.py", "audit.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(str(PAGES / page))


@pytest.mark.parametrize(
    ("email", "verified"),
    [("stranger@example.org", True), ("p@example.org", False), ("", True)],
)
def test_unmapped_or_unverified_identity_sees_nothing(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, email: str, verified: bool
) -> None:
    monkeypatch.setenv("PLACESAFE_CONFIG", str(_config_with_users(demo, tmp_path)))
    at = logged_in_app(email, verified)
    for key, value in FORGED_STATE.items():
        at.session_state[key] = value
    for key, value in FORGED_QUERY.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Access denied" in str(e.value) for e in at.error)
    assert not at.metric and not at.dataframe and not at.selectbox
    assert not chart_frames(at)
    # no page is registered for this identity; asking for one still shows nothing
    try:
        at.switch_page(str(PAGES / "overview.py")).run()
    except ValueError as exc:
        assert "Could not find a navigation page" in str(exc)
    assert not at.exception, [e.value for e in at.exception]
    assert any("Access denied" in str(e.value) for e in at.error)
    assert not at.metric and not at.dataframe and not chart_frames(at)


def test_logged_out_visitor_with_forged_state_sees_nothing(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLACESAFE_CONFIG", str(_config_with_users(demo, tmp_path)))
    at = new_app()
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": False}
    for key, value in FORGED_STATE.items():
        at.session_state[key] = value
    at.query_params["role"] = "admin"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("please log in" in str(e.value) for e in at.error)
    assert not at.metric and not at.dataframe and not chart_frames(at)
