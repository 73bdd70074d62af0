"""The Missing and Schools pages' tables per role (geo.lenses.missing_view,
geo.lenses.school_outcomes, geo.lenses.schools.schools_view): planted truth found,
disclosure rules held."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.core.errors import ConfigError
from geo.core.filters import Filters, quarter_menu
from geo.core.terms import TermDates
from geo.demo.build import build_demo
from geo.disclosure.counts import disclosed_counts
from geo.disclosure.missing import disclose_measures
from geo.disclosure.schools import disclose_schools
from geo.lenses.missing import episodes, repeat_children, schools_for_partnership
from geo.lenses.missing_places import quarters_active
from geo.lenses.missing_view import MEASURE_LABELS, missing_view, theme_area_counts
from geo.lenses.school_outcomes import (
    by_period,
    measure_totals,
    outcomes,
    outcomes_by_group,
    outcomes_by_school,
    school_groups,
)
from geo.lenses.schools import filter_schools, school_buffers, schools_view
from geo.store.database import Store

WHOLE = Filters("2023-01", "2024-12")
MIN = 6


class Demo:
    def __init__(self, out: Path) -> None:
        built = build_demo(out, seed=0)
        self.config = built.config
        self.truth: dict[str, Any] = built.truth
        self.area = load_study_area(built.config.study_area)
        self.store = Store(built.config.store_path, read_only=True)
        self.names = self.store.query("SELECT urn, name FROM schools")
        months = pd.period_range("2023-01", "2024-12", freq="M").astype(str).tolist()
        self.quarters = quarter_menu(months)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    d = Demo(tmp_path_factory.mktemp("views"))
    yield d
    d.store.close()


def _cells_in(frame: pd.DataFrame) -> set[str]:
    found: set[str] = set()
    for col in frame.columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            found |= {v for v in frame[col] if isinstance(v, str) and hexes.is_valid_cell(v)}
    return found


def _small(frame: pd.DataFrame, skip: tuple[str, ...] = ()) -> list[str]:
    """Columns of integer-valued counts holding a value from 1 to 5."""
    bad = []
    for col in frame.columns:
        if col in skip or frame[col].dtype == bool or not pd.api.types.is_numeric_dtype(frame[col]):
            continue
        v = frame[col].to_numpy(dtype=float, na_value=np.nan)
        v = v[np.isfinite(v)]
        if v.size and np.all(v == np.round(v)) and ((v >= 1) & (v < MIN)).any():
            bad.append(col)
    return bad


# --- analyst: planted truth ----------------------------------------------------------------


def test_analyst_view_lists_the_planted_found_hotspot_as_overlapping(demo: Demo) -> None:
    view = missing_view(demo.store, demo.area, WHOLE, "analyst", demo.config, 9, 7, demo.names)
    cell = demo.truth["missing_found_hotspot"]["cell"]
    assert cell in set(view.overlap["cell"])
    row = view.overlap.set_index("cell").loc[cell]
    assert "a missing hot spot" in row["reason"] and "an SYV hot spot" in row["reason"]
    assert row["episodes"] == view.places.set_index("cell").loc[cell, "episodes"] > 20
    # recurrence: episodes there in all eight quarters of the window
    assert view.quarters == 8 and row["quarters_active"] == 8
    assert view.places["both_hot"].iloc[0]  # overlapping places first
    assert (
        view.measures.loc[MEASURE_LABELS["repeat_children"], "current"]
        == (demo.truth["repeat_missing_children"])
    )


def test_quarters_active_counts_distinct_quarters(demo: Demo) -> None:
    active, n = quarters_active(demo.store, 8, Filters("2024-10", "2024-12"), quarters=4)
    assert n == 4
    raw = demo.store.query(
        "SELECT lower(hex(cell_8)) AS cell, reported_at FROM missing_episodes "
        "WHERE reported_at >= '2024-01-01' AND reported_at < '2025-01-01' AND cell_8 IS NOT NULL"
    )
    raw["q"] = pd.PeriodIndex(raw["reported_at"], freq="Q")
    expected = raw.groupby("cell")["q"].nunique()
    pd.testing.assert_series_equal(
        active.sort_index(), expected.sort_index(), check_names=False, check_dtype=False
    )


def test_theme_tables_add_up_for_analysts(demo: Demo) -> None:
    frame = episodes(demo.store, WHOLE)
    view = missing_view(demo.store, demo.area, WHOLE, "analyst", demo.config, 9, 7, demo.names)
    themes = frame["rhi_themes"].str.split(";").explode().str.strip()
    assert (
        view.themes.loc["Criminal exploitation", "count"]
        == (themes == "exploitation_criminal").sum()
    )
    repeat = theme_area_counts(frame, 7, "analyst", demo.config, repeat_only=True)
    kids = frame[frame["child_key"].isin(repeat_children(frame))]
    located = kids[kids["cell_7"] != ""]["rhi_themes"].str.contains("peer_group").sum()
    assert repeat["Peer group"].sum() == located


# --- partnership: disclosure ---------------------------------------------------------------


@pytest.mark.parametrize("area_key", [7, 8, "home"])
def test_partnership_view_has_no_small_counts_or_fine_cells(demo: Demo, area_key: Any) -> None:
    for quarter in demo.quarters:
        for res in (7, 8):
            view = missing_view(
                demo.store,
                demo.area,
                quarter,
                "partnership",
                demo.config,
                res,
                area_key,
                demo.names,
            )
            tables = {
                "themes": view.themes,
                "theme_areas": view.theme_areas,
                "theme_areas_repeat": view.theme_areas_repeat,
                "places": view.places,
                "overlap": view.overlap,
                "schools": view.schools,
                "home_areas": view.home_areas,
                "measures": view.measures[["current", "previous"]].T,
            }
            for name, table in tables.items():
                where = (quarter, res, area_key, name)
                assert not _small(table, skip=("quarters_active", "change")), where
                cells = _cells_in(table)
                assert all(hexes.cell_resolution(hexes.str_to_cells([c]))[0] <= 8 for c in cells)
            assert view.themes_monthly is None


def test_partnership_theme_areas_cannot_be_differenced(demo: Demo) -> None:
    """Per theme, the withheld areas (with the unlocated remainder) are none, or at least
    two summing to min_count or more: the theme total minus the shown areas reveals none."""
    checked = 0
    for quarter in demo.quarters:
        frame = episodes(demo.store, quarter)
        shown = theme_area_counts(frame, 7, "partnership", demo.config).set_index("area")
        exact = theme_area_counts(frame, 7, "analyst", demo.config).set_index("area")
        view = missing_view(
            demo.store, demo.area, quarter, "partnership", demo.config, 8, 7, demo.names
        )
        # the exact theme totals: secondary suppression must protect the withheld areas on
        # its own; the published totals are also perturbed (by a per-store random record
        # key), which only adds noise to what an intruder can difference
        analyst = missing_view(
            demo.store, demo.area, quarter, "analyst", demo.config, 8, 7, demo.names
        )
        for theme in shown.columns:
            if np.isnan(view.themes.loc[theme, "count"]):
                continue
            total = analyst.themes.loc[theme, "count"]
            held = shown[theme].isna()
            hidden = exact[theme].sum() - shown[theme].sum()  # withheld areas, all of them
            remainder = total - exact[theme].sum()  # interviews with no found place
            parts = int(held.sum()) + int(remainder > 0)
            if hidden + remainder > 0:
                assert parts >= 2 and hidden + remainder >= MIN, (quarter, theme)
                checked += 1
    assert checked > 5


def test_disclose_measures_withholds_shares_with_small_numerators() -> None:
    m = pd.Series(
        {
            "episodes": 40.0,
            "children": 30.0,
            "repeat_children": 3.0,
            "looked_after_share": 4 / 30,
            "still_missing": 0.0,
            "median_duration_h": 9.0,
            "p90_duration_h": 30.0,
            "rhi_offered": 35.0,
            "rhi_completed": 25.0,
            "rhi_completed_72h": 20.0,
            "rhi_due": 40.0,
            "rhi_completed_72h_share": 20 / 40,
            "rhi_declined": 2.0,
            "rhi_declined_share": 2 / 35,
        }
    )
    out = disclose_measures(m, MIN)
    for name in ("repeat_children", "looked_after_share", "rhi_declined", "rhi_declined_share"):
        assert np.isnan(out[name]), name
    for name in ("episodes", "children", "rhi_completed_72h_share", "median_duration_h"):
        assert out[name] == m[name], name
    few = m.copy()
    few[["episodes", "still_missing"]] = [7.0, 3.0]  # only 4 returned
    assert np.isnan(disclose_measures(few, MIN)["median_duration_h"])


# --- schools ------------------------------------------------------------------------------


def test_schools_view_partnership_agrees_with_the_missing_page(demo: Demo) -> None:
    quarter = demo.quarters[-3]
    children = schools_for_partnership(episodes(demo.store, quarter), demo.config).table
    view = schools_view(
        demo.store,
        demo.area,
        quarter,
        "partnership",
        MIN,
        children=children,
        recurring_window=WHOLE,
    )
    shown = view.set_index("urn")["missing_children"]
    listed = children.set_index("urn")["children"]
    both = listed.index.intersection(shown.index)
    assert len(both) > 5
    pd.testing.assert_series_equal(
        shown.loc[both].astype(float), listed.loc[both].astype(float), check_names=False
    )
    counts = view.filter(regex=r"^(incidents_|hsb_|missing_)")
    values = counts.to_numpy(dtype=float, na_value=np.nan)
    assert not ((values >= 1) & (values < MIN)).any()
    assert "score" not in view
    # recurring places come from the longer window even though the period is a quarter
    assert view["recurring_nearby"].sum() > 0


def test_disclose_schools_hides_a_total_when_any_part_is_withheld() -> None:
    table = pd.DataFrame(
        {
            "urn": ["1", "2"],
            "phase": ["Secondary", "Primary"],
            "kind": ["academy", "mainstream"],
            "incidents_400m": [12, 20],
            "incidents_400m_journey": [10, 14],
            "incidents_400m_other": [1, 6],
            "incidents_400m_time_unknown": [1, 0],
        }
    )
    out = disclose_schools(table, "partnership", min_count=6).set_index("urn")
    # two withheld parts of 1 beside a shown 10 and a shown total 12 would each be 1
    assert pd.isna(out.loc["1", "incidents_400m"])
    assert out.loc["2", "incidents_400m"] == 20
    assert filter_schools(table, phases=["Primary"])["urn"].tolist() == ["2"]


def test_school_buffers_are_circles_of_the_right_size(demo: Demo) -> None:
    from geo.core.area import to_bng

    cell = demo.truth["school_journey_hotspot"]["cell"]
    small, large = school_buffers(cell, (400.0, 800.0))
    for ring, radius in ((small, 400.0), (large, 800.0)):
        lng, lat = np.asarray(ring.exterior.coords).T
        x, y = to_bng(lng, lat)
        r = np.hypot(x - x.mean(), y - y.mean())
        assert np.allclose(r, radius, rtol=0.01)


def test_school_outcomes_tables(demo: Demo) -> None:
    frame = outcomes(demo.store, WHOLE)
    assert len(frame) == demo.truth["counts"]["school_outcome_rows"]
    groups = outcomes_by_group(frame, "analyst", demo.config).set_index("group")
    assert list(groups.index) == ["Asian", "Black", "Mixed", "White", "Other", "Not recorded"]
    fte = frame[frame["measure"] == "fixed_term_exclusion"]
    assert (
        groups.loc["Black", "fixed_term_exclusion"]
        == fte.loc[fte["ethnicity"] == "black", "count"].sum()
    )
    assert groups["fixed_term_exclusion_share"].sum() == pytest.approx(1.0, abs=0.01)
    schools = outcomes_by_school(frame, demo.names, "analyst", demo.config)
    assert schools["fixed_term_exclusion"].sum() == fte["count"].sum()
    assert not schools["school"].str.contains("not in the schools list").any()
    urn = str(schools["urn"].iloc[0])
    one = school_groups(frame, urn).set_index("group")
    assert (
        one["managed_move"].sum()
        == frame[(frame["urn"] == urn) & (frame["measure"] == "managed_move")]["count"].sum()
    )
    assert len(by_period(frame, "analyst", demo.config)) == 6


def test_school_outcomes_partnership_columns_are_protected(demo: Demo) -> None:
    for quarter in demo.quarters:
        frame = outcomes(demo.store, quarter)
        totals = measure_totals(frame, "partnership", demo.config)
        for table, key in (
            (outcomes_by_school(frame, demo.names, "partnership", demo.config), "urn"),
            (outcomes_by_group(frame, "partnership", demo.config), "group"),
        ):
            exact = (
                outcomes_by_school(frame, demo.names, "analyst", demo.config)
                if key == "urn"
                else outcomes_by_group(frame, "analyst", demo.config)
            ).set_index(key)
            shown = table.set_index(key)
            for measure in ("fixed_term_exclusion", "managed_move", "permanent_exclusion"):
                v = shown[measure]
                assert not ((v >= 1) & (v < MIN)).any(), (quarter, key, measure)
                if np.isnan(totals[measure]):
                    continue
                hidden = exact.loc[v.isna(), measure]
                assert hidden.empty or (len(hidden) >= 2 and hidden.sum() >= MIN)


# --- configuration -------------------------------------------------------------------------


def test_schools_config_terms_and_distances(tmp_path: Path) -> None:
    boundary = Path(__file__).resolve().parents[3] / "data" / "demo" / "boundary.geojson"
    base = f'[study_area]\nboundary = "{boundary}"\n'
    path = tmp_path / "p.toml"
    path.write_text(
        base + '[schools]\nterms = [["09-05", "12-19"]]\n'
        'closures = [["2024-10-28", "2024-11-01"]]\ndistances_m = [800, 300]\n'
    )
    cfg = load_config(path).schools
    assert cfg.terms == TermDates(
        terms=(("09-05", "12-19"),), closures=(("2024-10-28", "2024-11-01"),)
    )
    assert cfg.distances_m == (300.0, 800.0)
    assert cfg.terms.describe() == "terms 5 Sep-19 Dec; 1 closure"
    assert (
        load_config(tmp_path / "p.toml").fingerprint
        != load_config(_write(tmp_path / "q.toml", base)).fingerprint
    )
    for bad in ('terms = [["9-1", "12-20"]]', "distances_m = [10]", 'terms = "autumn"'):
        with pytest.raises(ConfigError):
            load_config(_write(tmp_path / "bad.toml", base + "[schools]\n" + bad + "\n"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_partnership_places_table_lists_exactly_the_map_cells(demo: Demo) -> None:
    """The table and the map name the same cells, so a cell on the map but not in the
    table cannot point at anything."""
    from geo.render import layers

    for quarter in demo.quarters:
        for res in (7, 8):
            view = missing_view(
                demo.store, demo.area, quarter, "partnership", demo.config, res, 7, demo.names
            )
            levels = disclosed_counts(
                demo.store, "missing", "partnership", res, quarter, demo.config
            )
            layer = layers.missing_layer_from(levels, res, demo.config)
            on_map = {f["properties"]["cell"] for f in layer.geojson["features"]}
            assert set(view.places["cell"]) == on_map, (quarter, res)


def test_partnership_theme_areas_agree_across_resolutions(demo: Demo) -> None:
    """Under a shown res-7 area, the withheld res-8 areas are at least two and hold at least
    min_count interviews, so the parent minus its shown children pins none of them."""
    checked = 0
    for quarter in demo.quarters:
        frame = episodes(demo.store, quarter)
        for repeat_only in (False, True):
            t7 = theme_area_counts(frame, 7, "partnership", demo.config, repeat_only)
            t8 = theme_area_counts(frame, 8, "partnership", demo.config, repeat_only)
            e8 = theme_area_counts(frame, 8, "analyst", demo.config, repeat_only).set_index("area")
            t8 = t8.set_index("area")
            parent = pd.Series([h3_parent(c) for c in t8.index], index=t8.index, dtype=object)
            for theme in [c for c in t7.columns if c != "area"]:
                for _, row in t7.iterrows():
                    if np.isnan(row[theme]):
                        continue
                    kids = t8.loc[parent == row["area"], theme]
                    exact = e8.loc[kids.index, theme]
                    hidden = kids.isna() & (exact > 0)  # a withheld zero hides nothing
                    if row[theme] > 0 and hidden.any():
                        where = (quarter, theme, row["area"], repeat_only)
                        assert hidden.sum() >= 2 and exact[hidden].sum() >= MIN, where
                        checked += 1
    assert checked > 0


def h3_parent(cell: str) -> str:
    return str(hexes.cells_to_str(hexes.cells_to_parent(hexes.str_to_cells([cell]), 7))[0])


def test_a_store_without_missing_or_school_feeds_still_gives_views(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A deployment with police data only: the Missing and Schools views and the review
    pack build (no hot spot anywhere is not an error)."""
    from geo.render.briefing import build_pack

    built = build_demo(tmp_path_factory.mktemp("police_only"), seed=1)
    area = load_study_area(built.config.study_area)
    with Store(built.config.store_path) as store:
        with store.cursor() as cur:
            for table in ("missing_episodes", "youth_sessions", "school_outcomes"):
                cur.execute(f"DELETE FROM {table}").fetchall()
        names = store.query("SELECT urn, name FROM schools")
        for role, res in (("analyst", 9), ("partnership", 8)):
            view = missing_view(store, area, WHOLE, role, built.config, res, 7, names)
            assert view.places.empty and view.overlap.empty
            assert view.measures.loc[MEASURE_LABELS["episodes"], "current"] == 0
            ranking = schools_view(store, area, WHOLE, role, MIN, recurring_window=WHOLE)
            assert len(ranking) and (ranking["missing_children"].fillna(0) == 0).all()
            pack = build_pack(store, area, built.config, "2024Q4", role)
            assert len(pack.sections) == 8  # the story first, then the seven sections
