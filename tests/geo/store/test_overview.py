"""geo.store.queries (filters and store queries) and geo.render.layers on a tiny ingested store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.config import Config
from geo.core.filters import Filters
from geo.ingest.pipeline import ingest_bytes
from geo.render import layers
from geo.store import queries as overview
from geo.store.database import Store
from tests.geo._partner_rows import (
    HOME_AREA,
    A,
    B,
    C,
    demo_area_config,
    header,
    incident,
    to_csv,
)


def incident_rows() -> list[dict[str, str]]:
    rows = []
    n = iter(range(1, 1000))
    # current period 2024-01..2024-03: A = 8 (3 knife), B = 3, C = 2 (1 hsb)
    rows += [incident(next(n), "10/02/2024 18:00", "robbery", A) for _ in range(5)]
    rows += [incident(next(n), "11/02/2024 19:30", "knife_crime", A) for _ in range(3)]
    rows += [incident(next(n), "05/03/2024 16:00", "violence_with_injury", B) for _ in range(3)]
    rows.append(incident(next(n), "01/01/2024 00:00", "harmful_sexual_behaviour", C))
    rows.append(incident(next(n), "31/03/2024 23:59", "drugs", C))
    # previous period 2023-10..2023-12: 2 knife crimes at A
    rows += [incident(next(n), "20/11/2023 21:00", "knife_crime", A) for _ in range(2)]
    # outside both periods
    rows.append(incident(next(n), "15/06/2023 12:00", "robbery", B))
    rows.append(incident(next(n), "01/04/2024 00:00", "robbery", B))
    return rows


def episode(
    i: int, child: str, when: str, at: tuple[float, float] | None, returned: str = ""
) -> dict[str, str]:
    return {
        "Episode ID": f"EP-{i:04d}",
        "Child ID": child,
        "Date reported missing": when,
        "Date returned": returned,
        "Found latitude": "" if at is None else str(at[0]),
        "Found longitude": "" if at is None else str(at[1]),
        "Home area": HOME_AREA,
        "School URN": "900101",
        "Looked after": "N",
        "Age band": "14-17",
        "Sex": "female",
        "Ethnicity": "white",
        "RHI status": "offered",
        "RHI completed": "",
        "RHI themes": "",
        "Risk level": "medium",
    }


def missing_rows() -> list[dict[str, str]]:
    rows = []
    n = iter(range(1, 1000))
    # A: 7 episodes of 2 children in 2024-02
    rows += [episode(next(n), "CH-1", f"0{d}/02/2024 21:00", A) for d in range(1, 5)]
    rows += [episode(next(n), "CH-2", f"1{d}/02/2024 21:00", A) for d in range(1, 4)]
    # B: 6 episodes of 6 children in 2024-01
    rows += [episode(next(n), f"CH-1{k}", "15/01/2024 20:00", B) for k in range(6)]
    # no found location (kept, without a cell), 2024-03, a child already counted
    rows.append(episode(next(n), "CH-1", "02/03/2024 22:00", None))
    # previous period
    rows.append(episode(next(n), "CH-20", "10/12/2023 20:00", B))
    return rows


def session(
    sid: str,
    start: str,
    end: str,
    at: tuple[float, float] | None = None,
    wkt: str = "",
) -> dict[str, str]:
    return {
        "Session ID": sid,
        "Team": "Detached team",
        "Start": start,
        "End": end,
        "Latitude": "" if at is None else str(at[0]),
        "Longitude": "" if at is None else str(at[1]),
        "Area WKT": wkt,
        "Contacts": "10",
        "Referrals": "1",
    }


def _square_wkt(centre: tuple[float, float], half: float = 0.0015) -> str:
    lat, lng = centre
    pts = [
        (lng - half, lat - half),
        (lng + half, lat - half),
        (lng + half, lat + half),
        (lng - half, lat + half),
        (lng - half, lat - half),
    ]
    return "POLYGON ((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in pts) + "))"


AREA_WKT = _square_wkt(B)


def session_rows() -> list[dict[str, str]]:
    return [
        session("YS-1", "10/02/2024 19:00", "10/02/2024 22:00", at=A),  # 3 h
        session("YS-2", "10/03/2024 18:00", "10/03/2024 20:00", at=A),  # 2 h
        session("YS-3", "12/03/2024 13:00", "12/03/2024 17:00", wkt=AREA_WKT),  # 4 h
        session("YS-4", "01/11/2023 19:00", "01/11/2023 20:00", at=C),  # previous, 1 h
    ]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return demo_area_config(tmp_path_factory.mktemp("overview"), "[disclosure]\nmin_count = 6\n")


@pytest.fixture(scope="module")
def store(config: Config):
    area = load_study_area(config.study_area)
    now = pd.Timestamp("2025-01-01")
    files = (
        ("incidents", "incidents.csv", incident_rows()),
        ("missing", "missing_episodes.csv", missing_rows()),
        ("youth_sessions", "youth_sessions.csv", session_rows()),
    )
    with Store(config.store_path) as s:
        for kind, name, rows in files:
            data = to_csv(header(name), rows)
            report = ingest_bytes(s, config, area, kind, data, name, who="test", now=now)
            assert report.status == "live", report.summary()
            assert report.rejected == 0, (name, report.reasons)
            assert report.accepted == len(rows), report.summary()
        yield s


def cell(point: tuple[float, float], res: int) -> int:
    """The store's cell for a point: the parent of its storage (res 11) cell.

    H3 is not exactly nested, so this can differ from indexing the point at ``res``.
    """
    storage = hexes.points_to_cells([point[0]], [point[1]], 11)
    return int(hexes.cells_to_parent(storage, res)[0])


def as_dict(frame: pd.DataFrame, value: str = "count") -> dict[int, float]:
    return {int(c): v for c, v in zip(frame["cell"], frame[value], strict=True)}


Q1 = Filters("2024-01", "2024-03")


# --- Filters --------------------------------------------------------------------------


def test_filters_bounds_half_open() -> None:
    start, end = Q1.bounds()
    assert start == pd.Timestamp("2024-01-01")
    assert end == pd.Timestamp("2024-04-01")


@pytest.mark.parametrize(
    ("frm", "to", "months", "prev"),
    [
        ("2024-01", "2024-03", 3, ("2023-10", "2023-12")),
        ("2024-01", "2024-12", 12, ("2023-01", "2023-12")),
        ("2023-12", "2024-02", 3, ("2023-09", "2023-11")),
        ("2024-03", "2024-03", 1, ("2024-02", "2024-02")),
        ("2023-02", "2024-01", 12, ("2022-02", "2023-01")),
    ],
)
def test_filters_months_and_previous(frm: str, to: str, months: int, prev: tuple) -> None:
    f = Filters(frm, to, ("robbery",))
    assert f.months == months
    p = f.previous()
    assert (p.month_from, p.month_to) == prev
    assert p.months == months
    assert p.categories == ("robbery",)
    assert p.bounds()[1] == f.bounds()[0], "previous period ends where this one starts"


def test_filters_hashable() -> None:
    assert hash(Filters("2024-01", "2024-03")) == hash(Filters("2024-01", "2024-03"))
    assert Filters("2024-01", "2024-03") != Filters("2024-01", "2024-03", ("drugs",))


# --- queries --------------------------------------------------------------------------


def test_available_months(store: Store) -> None:
    months = overview.available_months(store)
    assert months[0] == "2023-06"
    assert months[-1] == "2024-04"
    assert len(months) == 11
    assert months == sorted(months)


def test_available_months_empty(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as s:
        assert overview.available_months(s) == []


@pytest.mark.parametrize("res", [7, 8, 9, 10])
def test_incident_counts(store: Store, res: int) -> None:
    got = overview.incident_counts(store, res, Q1)
    assert list(got.columns) == ["cell", "count", "key_sum"]
    keys = store.query(
        f"SELECT cell_{res} AS cell, record_key FROM incidents "
        "WHERE occurred_at >= '2024-01-01' AND occurred_at < '2024-04-01'"
    )
    assert keys["record_key"].between(0, 255).all()
    assert as_dict(got, "key_sum") == keys.groupby("cell")["record_key"].sum().to_dict()
    expected: dict[int, int] = {}
    for point, n in ((A, 8), (B, 3), (C, 2)):
        expected[cell(point, res)] = expected.get(cell(point, res), 0) + n
    assert as_dict(got) == expected
    assert got["count"].sum() == 13


def test_incident_counts_categories_and_period(store: Store) -> None:
    knife = overview.incident_counts(store, 9, Filters("2024-01", "2024-03", ("knife_crime",)))
    assert as_dict(knife) == {cell(A, 9): 3}
    two = overview.incident_counts(
        store, 9, Filters("2024-01", "2024-03", ("knife_crime", "drugs"))
    )
    assert as_dict(two) == {cell(A, 9): 3, cell(C, 9): 1}
    prev = overview.incident_counts(store, 9, Q1.previous())
    assert as_dict(prev) == {cell(A, 9): 2}
    april = overview.incident_counts(store, 9, Filters("2024-04", "2024-04"))
    assert as_dict(april) == {cell(B, 9): 1}


@pytest.mark.parametrize("res", [6, 11, 15])
def test_queries_refuse_other_resolutions(store: Store, res: int) -> None:
    for fn in (
        overview.incident_counts,
        overview.missing_found_counts,
        overview.youth_work_cells,
    ):
        with pytest.raises(ValueError, match="resolution"):
            fn(store, res, Q1)


def test_missing_found_counts(store: Store) -> None:
    got = overview.missing_found_counts(store, 9, Q1)
    assert list(got.columns) == ["cell", "count", "children", "key_sum"]
    assert as_dict(got) == {cell(A, 9): 7, cell(B, 9): 6}
    assert as_dict(got, "children") == {cell(A, 9): 2, cell(B, 9): 6}
    prev = overview.missing_found_counts(store, 9, Q1.previous())
    assert as_dict(prev) == {cell(B, 9): 1}


def test_child_ids_are_pseudonymised(store: Store) -> None:
    keys = store.query("SELECT DISTINCT child_key FROM missing_episodes")["child_key"]
    assert len(keys) == 9
    assert not keys.str.startswith("CH-").any()


def test_youth_work_cells(store: Store) -> None:
    got = overview.youth_work_cells(store, 9, Q1)
    assert list(got.columns) == ["cell", "sessions", "hours"]
    by_cell = {int(c): (int(s), float(h)) for c, s, h in got.itertuples(index=False)}
    assert by_cell.pop(cell(A, 9)) == (2, 5.0)
    # the area session around B reaches its own cell and possibly neighbours, 4 h each
    assert cell(B, 9) in by_cell
    assert set(by_cell.values()) == {(1, 4.0)}
    assert cell(C, 9) not in by_cell  # C's session is in the previous period
    prev = overview.youth_work_cells(store, 9, Q1.previous())
    assert {int(c): float(h) for c, h in zip(prev["cell"], prev["hours"], strict=True)} == {
        cell(C, 9): 1.0
    }


def test_youth_work_cells_coarse_resolution_counts_session_once(store: Store) -> None:
    got = overview.youth_work_cells(store, 7, Q1)
    assert got["sessions"].max() <= 3
    total_sessions = {int(c): int(s) for c, s in zip(got["cell"], got["sessions"], strict=True)}
    assert total_sessions[cell(A, 7)] >= 2


def test_kpis(store: Store) -> None:
    k = overview.kpis(store, Q1)
    assert list(k.columns) == ["current", "previous"]
    assert k.loc["incidents"].tolist() == [13, 2]
    assert k.loc["knife_crime"].tolist() == [3, 2]
    assert k.loc["harmful_sexual_behaviour"].tolist() == [1, 0]
    assert k.loc["missing_episodes"].tolist() == [14, 1]
    assert k.loc["children_missing"].tolist() == [8, 1]
    assert k.loc["youth_work_hours"].tolist() == [9.0, 1.0]


def test_kpis_category_filter_applies_to_incidents_only(store: Store) -> None:
    k = overview.kpis(store, Filters("2024-01", "2024-03", ("robbery",)))
    assert k.loc["incidents"].tolist() == [5, 0]
    assert k.loc["knife_crime"].tolist() == [0, 0]
    assert k.loc["missing_episodes"].tolist() == [14, 1]


# --- layers ---------------------------------------------------------------------------


def _features(layer) -> dict[str, dict]:
    return {f["properties"]["cell"]: f["properties"] for f in layer.geojson["features"]}


def _cell_str(point: tuple[float, float], res: int) -> str:
    return str(hexes.cells_to_str([cell(point, res)])[0])


def test_incident_layer_partnership(store: Store, config: Config) -> None:
    counts = overview.incident_counts(store, 8, Q1)
    layer = layers.incident_layer(counts, "partnership", 8, config)
    props = _features(layer)
    # B (3) and C (2) are withheld; together they are only 5, so the total minus A
    # would reveal a small count: A (8) is withheld too (secondary suppression).
    for point in (A, B, C):
        p = props[_cell_str(point, 8)]
        assert p["value"] is None
        assert p["band"] == -1
        assert p["label"].startswith("withheld (")
    values = [p["value"] for p in props.values() if p["value"] is not None]
    assert not any(1 <= v <= 5 for v in values)
    assert layer.legend[-1][1].startswith("withheld")
    for p in props.values():
        assert set(p) <= {"cell", "value", "label", "band", "colour"}


def test_incident_layer_analyst_exact(store: Store, config: Config) -> None:
    counts = overview.incident_counts(store, 10, Q1)
    layer = layers.incident_layer(counts, "analyst", 10, config)
    props = _features(layer)
    assert props[_cell_str(B, 10)]["value"] == 3.0
    assert props[_cell_str(C, 10)]["label"] == "2 incidents"
    assert all(p["band"] >= 0 for p in props.values())


def test_incident_layer_partnership_refuses_fine_resolution(store: Store, config: Config) -> None:
    counts = overview.incident_counts(store, 9, Q1)
    with pytest.raises(PermissionError):
        layers.incident_layer(counts, "partnership", 9, config)


def test_missing_layer_withholds_few_children(store: Store, config: Config) -> None:
    counts = overview.missing_found_counts(store, 8, Q1)
    layer = layers.missing_layer(counts, "partnership", 8, config)
    props = _features(layer)
    a = props[_cell_str(A, 8)]  # 7 episodes, but of only 2 children
    assert a["value"] is None
    assert a["label"].startswith("withheld")
    # B (6 episodes of 6 children) would be shown, but the total minus B would then
    # give A exactly: B is withheld to protect A (secondary suppression)
    b = props[_cell_str(B, 8)]
    assert b["value"] is None
    assert b["label"].startswith("withheld")
    assert layer.show is False
    for p in props.values():
        assert "children" not in p


def test_missing_layer_analyst(store: Store, config: Config) -> None:
    counts = overview.missing_found_counts(store, 9, Q1)
    props = _features(layers.missing_layer(counts, "analyst", 9, config))
    assert props[_cell_str(A, 9)]["value"] == 7.0
    assert props[_cell_str(A, 9)]["label"] == "7 missing episodes (found / last seen)"


def test_youth_work_layer(store: Store) -> None:
    layer = layers.youth_work_layer(overview.youth_work_cells(store, 9, Q1))
    assert layer.outline_only
    props = _features(layer)
    assert props[_cell_str(A, 9)]["label"] == "Youth work: 2 sessions, 5 hours"


def test_cell_summary(store: Store, config: Config) -> None:
    shown = (
        layers.incident_layer(overview.incident_counts(store, 8, Q1), "partnership", 8, config),
        layers.missing_layer(overview.missing_found_counts(store, 8, Q1), "partnership", 8, config),
    )
    a = _cell_str(A, 8)
    text = layers.cell_summary(shown, a)
    assert text.startswith(f"Cell {a} — Incidents: withheld")
    assert "Missing: found / last-seen: withheld" in text
    b = layers.cell_summary(shown, _cell_str(B, 8))
    assert "Incidents: withheld" in b and "missing episodes" not in b
    far = _cell_str((51.52, -0.01), 8)
    assert layers.cell_summary(shown, far) == (
        f"Cell {far}: nothing recorded in the shown layers for this period."
    )


def test_school_markers_empty(store: Store) -> None:
    assert layers.school_markers(overview.schools(store)) == ()


def test_layer_cells_are_at_requested_resolution(store: Store, config: Config) -> None:
    for res in (7, 8):
        counts = overview.incident_counts(store, res, Q1)
        layer = layers.incident_layer(counts, "partnership", res, config)
        cells = hexes.str_to_cells(list(_features(layer)))
        assert (hexes.cell_resolution(cells) == res).all()
        assert cell(A, res) in set(cells.tolist())
