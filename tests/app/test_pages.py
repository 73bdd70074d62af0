"""Streamlit AppTest tests of app.py and its pages on a freshly built synthetic demo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
REPO = Path(__file__).resolve().parents[2]
DATA_PAGE = REPO / "pages" / "data.py"
TIMEOUT = 90
BANNER = "Synthetic demo data"
KPI_LABELS = [
    "Incidents",
    "Knife crime",
    "Harmful sexual behaviour",
    "Missing episodes",
    "Children missing",
    "Youth-work hours",
]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build the demo once for the module and point PLACESAFE_CONFIG at it."""
    from geo.demo.build import build_demo

    out_dir = tmp_path_factory.mktemp("demo")
    build_demo(out_dir, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out_dir / "placesafe.toml"))
        yield out_dir


def new_app() -> AppTest:
    return AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)


def run_app(**query: str) -> AppTest:
    at = new_app()
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert_no_exception(at)
    return at


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def caption_text(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def res_labels(at: AppTest) -> list[str]:
    return [str(o) for o in at.selectbox(key="res").options]


# --- rendering ------------------------------------------------------------------------


def test_env_points_at_demo(demo_dir: Path) -> None:
    assert os.environ["PLACESAFE_CONFIG"] == str(demo_dir / "placesafe.toml")
    assert (demo_dir / "placesafe.duckdb").exists()


def test_overview_renders_as_analyst(demo_dir: Path) -> None:
    at = run_app()
    assert at.session_state["role"] == "analyst"
    assert set(at.session_state["roles"]) == {"analyst", "admin"}
    assert at.title[0].value.startswith("Overview")
    assert "viewing as analyst" in caption_text(at)
    assert at.radio(key="view_as").value == "analyst"
    assert res_labels(at)[0].startswith("7") and res_labels(at)[-1].startswith("10")
    assert len(res_labels(at)) == 4


def test_overview_shows_kpis_and_synthetic_banner(demo_dir: Path) -> None:
    at = run_app()
    labels = [m.label for m in at.metric]
    assert labels == KPI_LABELS
    incidents = at.metric[0].value
    assert int(str(incidents).replace(",", "")) > 0
    assert any(BANNER in str(i.value) for i in at.info)


def test_default_filters(demo_dir: Path) -> None:
    at = run_app()
    start, end = at.select_slider(key="months_slider").value
    assert (start, end) == ("2024-01", "2024-12")
    assert at.session_state["res"] == 8
    assert at.query_params["res"] == "8"
    assert at.query_params["from"] == "2024-01"


def test_switch_to_partnership_limits_resolutions(demo_dir: Path) -> None:
    at = run_app()
    at.radio(key="view_as").set_value("partnership").run()
    assert_no_exception(at)
    assert at.session_state["role"] == "partnership"
    labels = res_labels(at)
    assert len(labels) == 2
    assert labels[0].startswith("7 ") and labels[1].startswith("8 ")
    assert "viewing as partnership" in caption_text(at)
    assert "withheld" in caption_text(at)
    assert [m.label for m in at.metric] == KPI_LABELS


def test_partnership_preview_clamps_a_fine_resolution(demo_dir: Path) -> None:
    at = run_app()
    at.selectbox(key="res").set_value(10).run()
    assert_no_exception(at)
    assert at.session_state["res"] == 10
    at.radio(key="view_as").set_value("partnership").run()
    assert_no_exception(at)
    assert at.session_state["res"] == 8
    assert at.query_params["res"] == "8"
    assert "resolution 8" in caption_text(at)


@pytest.mark.parametrize("res", [7, 9, 10])
def test_analyst_resolutions_render(demo_dir: Path, res: int) -> None:
    at = run_app()
    at.selectbox(key="res").set_value(res).run()
    assert_no_exception(at)
    assert at.session_state["res"] == res
    assert f"resolution {res}" in caption_text(at)
    assert at.query_params["res"] == str(res)


def test_month_slider_changes_period(demo_dir: Path) -> None:
    at = run_app()
    before = at.metric[0].value
    at.select_slider(key="months_slider").set_value(("2024-06", "2024-08")).run()
    assert_no_exception(at)
    assert at.session_state["months"] == ("2024-06", "2024-08")
    assert "2024-06 to 2024-08" in caption_text(at)
    assert at.query_params["from"] == "2024-06"
    assert at.query_params["to"] == "2024-08"
    assert at.metric[0].value != before


def test_category_filter(demo_dir: Path) -> None:
    at = run_app()
    at.multiselect(key="categories").set_value(["knife_crime"]).run()
    assert_no_exception(at)
    assert at.metric[0].value == at.metric[1].value  # all incidents shown are knife crime
    assert at.query_params["cat"] == "knife_crime"


# --- query parameters -----------------------------------------------------------------


def test_query_params_honoured(demo_dir: Path) -> None:
    at = run_app(res="9", **{"from": "2024-03", "to": "2024-06"}, cat="robbery,drugs")
    assert at.session_state["res"] == 9
    assert at.selectbox(key="res").value == 9
    assert tuple(at.select_slider(key="months_slider").value) == ("2024-03", "2024-06")
    assert sorted(at.session_state["categories"]) == ["drugs", "robbery"]
    assert "2024-03 to 2024-06 · resolution 9" in caption_text(at)


def test_query_param_cell_selects_cell(demo_dir: Path) -> None:
    import h3

    cell = h3.latlng_to_cell(51.535, 0.03, 8)
    at = run_app(cell=cell)
    assert at.session_state["cell"] == cell
    assert any(s.value == "Selected cell" for s in at.subheader)


@pytest.mark.parametrize(
    "query",
    [
        {"res": "42"},
        {"res": "11"},
        {"res": "nine"},
        {"from": "2099-01", "to": "2099-02"},
        {"from": "2024-06", "to": "2024-01"},
        {"from": "'; DROP TABLE incidents; --"},
        {"cat": "notacategory,<script>"},
        {"cell": "not-a-cell"},
    ],
)
def test_invalid_query_params_ignored(demo_dir: Path, query: dict[str, str]) -> None:
    at = run_app(**query)
    assert at.session_state["res"] == 8
    assert tuple(at.session_state["months"]) == ("2024-01", "2024-12")
    assert at.session_state["categories"] == []
    assert at.session_state["cell"] is None
    assert at.query_params["res"] == "8"


# --- data page ------------------------------------------------------------------------


def test_data_page_for_admin(demo_dir: Path) -> None:
    at = run_app()
    at.switch_page(str(DATA_PAGE)).run()
    assert_no_exception(at)
    assert [t.value for t in at.title] == ["Data"]
    # the synthetic demo takes no partner files (tests/app/test_demo_mode.py)
    assert not at.file_uploader
    assert any("does not take partner files" in str(i.value) for i in at.info)
    batches = next(d.value for d in at.dataframe if "Batch" in d.value.columns)
    assert {"Batch", "Kind", "Status", "Rows accepted"} <= set(batches.columns)
    assert sorted(batches["Kind"]) == sorted(
        [
            "schools",
            "incidents",
            "missing",
            "youth_sessions",
            "school_outcomes",
            "boundary",
            "area_stats",
            "area_stats",
            "area_stats",
            "stop_search",
            "health_sites",
            "postcodes",
            "gazetteer",
            "istv",
        ]
    )
    assert (batches["Status"] == "live").all()
    assert (batches["Rows accepted"] > 0).all()


# --- access ---------------------------------------------------------------------------


def test_logged_in_user_without_role_denied(demo_dir: Path) -> None:
    at = new_app()
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()
    assert not at.exception
    assert any("Access denied" in str(e.value) for e in at.error)
    assert not at.metric
    assert not at.select_slider


# --- the partnership never receives res > 8 or a count of 1-5 -------------------------


def test_partnership_layers_carry_no_small_counts(demo_dir: Path) -> None:
    from geo.core.config import load_config
    from geo.core.errors import DisclosureError
    from geo.core.filters import Filters
    from geo.disclosure import allowed_resolutions
    from geo.render import layers
    from geo.store import queries as overview
    from geo.store.database import Store

    config = load_config(demo_dir / "placesafe.toml")
    assert max(allowed_resolutions("partnership", config)) == 8
    # read-write: the app under test already holds a read-write connection in this process
    with Store(config.store_path) as store:
        months = overview.available_months(store)
        filters = Filters(months[-12], months[-1])
        counts = overview.incident_counts(store, 8, filters)
        raw = counts["count"].to_numpy()
        assert ((raw >= 1) & (raw <= 5)).any(), "the demo should have small cells to withhold"
        layer = layers.incident_layer(counts, "partnership", 8, config)
        values = np.array(
            [f["properties"]["value"] for f in layer.geojson["features"]], dtype=float
        )
        assert len(values) == len(counts)
        shown = values[np.isfinite(values)]
        assert shown.size > 0
        assert not ((shown >= 1) & (shown <= 5)).any()
        for f in layer.geojson["features"]:
            assert set(f["properties"]) <= {"cell", "value", "label", "band", "colour"}
            for small in range(1, 6):
                assert f["properties"]["label"] != f"{small} incidents"

        missing = overview.missing_found_counts(store, 8, filters)
        mlayer = layers.missing_layer(missing, "partnership", 8, config)
        mvalues = np.array(
            [f["properties"]["value"] for f in mlayer.geojson["features"]], dtype=float
        )
        mshown = mvalues[np.isfinite(mvalues)]
        assert not ((mshown >= 1) & (mshown <= 5)).any()

        for res in (9, 10):
            fine = overview.incident_counts(store, res, filters)
            with pytest.raises(DisclosureError):
                layers.incident_layer(fine, "partnership", res, config)


def test_analyst_sees_harm_per_1000_residents_by_neighbourhood(demo_dir: Path) -> None:
    at = run_app()
    tables = [d.value for d in at.dataframe if "SYV per 1,000 aged 10–24" in d.value.columns]
    assert len(tables) == 1
    table = tables[0]
    assert list(table.columns[:3]) == [
        "Neighbourhood",
        "SYV per 1,000 aged 10–24",
        "Higher than the area",
    ]
    assert (table["Higher than the area"] == "Yes").sum() >= 3
    assert table["Neighbourhood"].str.contains(r"\d{3}[A-Z]$").all()  # LSOA names, not codes
    notes = caption_text(at)
    assert "28 LSOA 2021 areas covering 100% of Demo borough" in notes
    assert "Benjamini" in notes and "No IMD is loaded" in notes


def test_partnership_sees_no_neighbourhood_counts(demo_dir: Path) -> None:
    at = run_app()
    at.radio(key="view_as").set_value("partnership").run()
    assert_no_exception(at)
    assert not any("SYV per 1,000 aged 10–24" in d.value.columns for d in at.dataframe)
    assert "Neighbourhood rates are shown to analysts only" in caption_text(at)
