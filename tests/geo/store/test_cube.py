"""geo.store.cube: space-time cubes of counts from a tiny ingested store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core import hexes
from geo.core.area import StudyArea, from_bng, load_study_area, to_bng
from geo.core.config import Config
from geo.core.filters import Filters
from geo.ingest.pipeline import ingest_bytes
from geo.store.cube import CUBE_LAYERS, LAYER_LABELS, build_cube, period_labels
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

Q1 = Filters("2024-01", "2024-03")


def cell(point: tuple[float, float], res: int) -> str:
    """The store's cell for a point: the parent of its storage (res 11) cell."""
    storage = hexes.points_to_cells([point[0]], [point[1]], 11)
    return str(hexes.cells_to_str(hexes.cells_to_parent(storage, res))[0])


def buffer_point(area: StudyArea) -> tuple[float, float]:
    """A point in the edge buffer whose cells at every analysis resolution have their centre
    outside the boundary (the cells a centre-in-polygon grid would leave out)."""
    bx, by = to_bng(*np.asarray(area.boundary.exterior.coords).T)
    outline = shapely.Polygon(np.column_stack([bx, by]))
    ring = outline.buffer(180).exterior
    grids = {
        r: set(hexes.cells_to_str(hexes.polygon_to_cells(area.boundary, r))) for r in (7, 8, 9, 10)
    }
    for d in np.linspace(0, ring.length, 400, endpoint=False):
        p = ring.interpolate(d)
        lng, lat = from_bng([p.x], [p.y])
        point = (float(lat[0]), float(lng[0]))
        inside_buffer = bool(area.contains([point[0]], [point[1]])[0])
        if inside_buffer and all(cell(point, r) not in grids[r] for r in grids):
            return point
    raise AssertionError("no buffer point with off-grid cells found")


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return demo_area_config(tmp_path_factory.mktemp("cube"))


@pytest.fixture(scope="module")
def area(config: Config) -> StudyArea:
    return load_study_area(config.study_area)


@pytest.fixture(scope="module")
def edge(area: StudyArea) -> tuple[float, float]:
    return buffer_point(area)


def incident_rows(edge: tuple[float, float]) -> list[dict[str, str]]:
    spec = [
        # (when, category, where, how many)
        ("15/01/2024 18:00", "robbery", A, 2),
        ("10/02/2024 19:30", "knife_crime", A, 3),
        ("01/02/2024 00:00", "robbery", B, 1),
        ("31/03/2024 23:59", "drugs", B, 1),
        ("31/12/2023 23:59", "robbery", C, 1),  # before Q1 (in 2023Q4)
        ("01/04/2024 00:00", "robbery", C, 1),  # after Q1 (in 2024Q2)
        ("15/02/2024 12:00", "robbery", edge, 2),  # in the edge buffer
        ("15/02/2024 12:00", "knife_crime", edge, 1),
    ]
    rows = []
    n = iter(range(1, 1000))
    for when, category, where, count in spec:
        rows += [incident(next(n), when, category, where) for _ in range(count)]
    return rows


def episode(i: int, when: str, at: tuple[float, float] | None) -> dict[str, str]:
    return {
        "Episode ID": f"EP-{i:04d}",
        "Child ID": f"CH-{i:04d}",
        "Date reported missing": when,
        "Date returned": "",
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


def missing_rows(edge: tuple[float, float]) -> list[dict[str, str]]:
    return [
        episode(1, "03/01/2024 21:00", C),
        episode(2, "04/01/2024 21:00", C),
        episode(3, "20/03/2024 21:00", A),
        episode(4, "21/03/2024 21:00", None),  # no found location: no cell
        episode(5, "22/03/2024 21:00", edge),  # in the edge buffer
    ]


@pytest.fixture(scope="module")
def store(config: Config, area: StudyArea, edge: tuple[float, float]):
    now = pd.Timestamp("2025-01-01")
    files = (
        ("incidents", "incidents.csv", incident_rows(edge)),
        ("missing", "missing_episodes.csv", missing_rows(edge)),
    )
    with Store(config.store_path) as s:
        for kind, name, rows in files:
            data = to_csv(header(name), rows)
            report = ingest_bytes(s, config, area, kind, data, name, who="test", now=now)
            assert report.status == "live", report.summary()
            assert report.accepted == len(rows), (report.summary(), report.reasons)
        yield s


def nonzero(cube: pd.DataFrame) -> dict[tuple[str, str], float]:
    values = cube.to_numpy()
    rows, cols = np.nonzero(values)
    return {
        (str(cube.index[r]), str(cube.columns[c])): float(values[r, c])
        for r, c in zip(rows, cols, strict=True)
    }


# --- period labels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "period", "labels"),
    [
        (Filters("2023-11", "2024-02"), "month", ["2023-11", "2023-12", "2024-01", "2024-02"]),
        (Filters("2024-03", "2024-03"), "month", ["2024-03"]),
        (Q1, "quarter", ["2024Q1"]),
        (Filters("2023-11", "2024-02"), "quarter", ["2023Q4", "2024Q1"]),
        (Filters("2024-03", "2024-04"), "quarter", ["2024Q1", "2024Q2"]),
        (
            Filters("2023-01", "2024-12"),
            "quarter",
            [f"{y}Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)],
        ),
    ],
)
def test_period_labels(filters: Filters, period: str, labels: list[str]) -> None:
    assert period_labels(filters, period) == labels  # type: ignore[arg-type]


def test_period_labels_two_years_of_months() -> None:
    labels = period_labels(Filters("2023-01", "2024-12"), "month")
    assert len(labels) == 24
    assert labels[0] == "2023-01" and labels[-1] == "2024-12"
    assert labels == sorted(labels)


# --- build_cube -------------------------------------------------------------------------


@pytest.mark.parametrize("res", [7, 8, 9, 10])
def test_cube_index_is_the_whole_grid(store: Store, area: StudyArea, res: int) -> None:
    cube = build_cube(store, area, "incidents", res, Q1)
    grid = np.sort(area.grid(res))
    assert list(cube.index) == list(hexes.cells_to_str(grid))
    assert cube.index.is_monotonic_increasing and cube.index.is_unique
    assert all(hexes.is_valid_cell(c) for c in cube.index[:5])
    assert list(cube.columns) == ["2024-01", "2024-02", "2024-03"]
    assert cube.dtypes.unique().tolist() == [np.dtype("float64")]
    assert (cube == 0).all(axis=1).sum() >= len(grid) - 3, "cells without events are zeros"


@pytest.mark.parametrize("res", [9, 10])
def test_cube_counts_land_in_cell_and_month(
    store: Store, area: StudyArea, edge: tuple[float, float], res: int
) -> None:
    cube = build_cube(store, area, "incidents", res, Q1)
    assert nonzero(cube) == {
        (cell(edge, res), "2024-02"): 3.0,  # the edge buffer is on the grid
        (cell(A, res), "2024-01"): 2.0,
        (cell(A, res), "2024-02"): 3.0,
        (cell(B, res), "2024-02"): 1.0,
        (cell(B, res), "2024-03"): 1.0,
    }


def test_cube_keeps_events_in_the_edge_buffer(
    store: Store, area: StudyArea, edge: tuple[float, float]
) -> None:
    """Ingest accepts the buffer, so the grid covers it: no accepted record is dropped."""
    for res in (7, 8, 9, 10):
        assert cell(edge, res) in set(hexes.cells_to_str(area.grid(res)))
        cube = build_cube(store, area, "incidents", res, Q1)
        assert cube.loc[cell(edge, res)].sum() >= 3.0
        # 7 incidents in Q1 inside the boundary and 3 in the buffer, all counted
        assert cube.to_numpy().sum() == 10.0
    stored = store.query(
        "SELECT count(*) AS n FROM incidents WHERE occurred_at >= ? AND occurred_at < ?",
        [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-04-01")],
    )
    assert int(stored["n"].iloc[0]) == 10


def test_cube_quarters(
    store: Store, area: StudyArea, edge: tuple[float, float]
) -> None:
    # Dec 2023 .. Feb 2024 covers the whole of 2023Q4 and 2024Q1
    cube = build_cube(store, area, "incidents", 9, Filters("2023-12", "2024-02"), "quarter")
    assert list(cube.columns) == ["2023Q4", "2024Q1"]
    assert nonzero(cube) == {
        (cell(C, 9), "2023Q4"): 1.0,
        (cell(A, 9), "2024Q1"): 5.0,
        (cell(B, 9), "2024Q1"): 2.0,  # includes 31 March 23:59, a whole quarter
        (cell(edge, 9), "2024Q1"): 3.0,
    }


def test_cube_period_edges(
    store: Store, area: StudyArea, edge: tuple[float, float]
) -> None:
    cube = build_cube(store, area, "incidents", 9, Filters("2023-12", "2024-04"))
    assert cube.loc[cell(C, 9), "2023-12"] == 1.0  # 31 Dec 23:59
    assert cube.loc[cell(C, 9), "2024-04"] == 1.0  # 1 Apr 00:00
    assert cube.loc[cell(B, 9), "2024-02"] == 1.0  # 1 Feb 00:00
    assert cube.loc[cell(B, 9), "2024-03"] == 1.0  # 31 Mar 23:59
    assert cube.to_numpy().sum() == 12.0  # 3 of them in the edge buffer


def test_cube_category_filter(
    store: Store, area: StudyArea, edge: tuple[float, float]
) -> None:
    knife = build_cube(store, area, "incidents", 9, Filters("2024-01", "2024-03", ("knife_crime",)))
    assert nonzero(knife) == {(cell(A, 9), "2024-02"): 3.0, (cell(edge, 9), "2024-02"): 1.0}
    two = Filters("2024-01", "2024-03", ("robbery", "drugs"))
    assert nonzero(build_cube(store, area, "incidents", 9, two)) == {
        (cell(A, 9), "2024-01"): 2.0,
        (cell(B, 9), "2024-02"): 1.0,
        (cell(B, 9), "2024-03"): 1.0,
        (cell(edge, 9), "2024-02"): 2.0,
    }
    none = build_cube(store, area, "incidents", 9, Filters("2024-01", "2024-03", ("arson",)))
    assert none.shape == knife.shape
    assert (none.to_numpy() == 0).all()


def test_cube_knife_crime_layer(
    store: Store, area: StudyArea, edge: tuple[float, float]
) -> None:
    knife = build_cube(store, area, "knife_crime", 9, Q1)
    assert nonzero(knife) == {(cell(A, 9), "2024-02"): 3.0, (cell(edge, 9), "2024-02"): 1.0}
    # the layer and a conflicting category filter leave nothing
    robbery = build_cube(store, area, "knife_crime", 9, Filters("2024-01", "2024-03", ("robbery",)))
    assert (robbery.to_numpy() == 0).all()


def test_cube_missing_layer(
    store: Store, area: StudyArea, edge: tuple[float, float]
) -> None:
    cube = build_cube(store, area, "missing", 9, Q1)
    expected = {
        (cell(C, 9), "2024-01"): 2.0,
        (cell(A, 9), "2024-03"): 1.0,
        (cell(edge, 9), "2024-03"): 1.0,  # the edge buffer is on the grid
    }
    assert nonzero(cube) == expected  # no found location: left out
    # incident categories do not apply to missing episodes
    filtered = build_cube(store, area, "missing", 9, Filters("2024-01", "2024-03", ("robbery",)))
    assert nonzero(filtered) == expected


def test_cube_empty_period(store: Store, area: StudyArea) -> None:
    cube = build_cube(store, area, "incidents", 8, Filters("2022-01", "2022-06"))
    assert cube.shape == (area.grid(8).size, 6)
    assert (cube.to_numpy() == 0).all()


@pytest.mark.parametrize("res", [6, 11, 15])
def test_cube_invalid_resolution(store: Store, area: StudyArea, res: int) -> None:
    with pytest.raises(ValueError, match="resolution"):
        build_cube(store, area, "incidents", res, Q1)


@pytest.mark.parametrize("layer", ["", "schools", "Incidents", "missing_episodes"])
def test_cube_invalid_layer(store: Store, area: StudyArea, layer: str) -> None:
    with pytest.raises(ValueError, match="layer"):
        build_cube(store, area, layer, 9, Q1)


def test_layers_have_labels() -> None:
    assert set(CUBE_LAYERS) == set(LAYER_LABELS)


def test_layer_filters_keep_categories_for_incident_layers_only() -> None:
    from geo.store.cube import layer_filters

    chosen = Filters("2024-01", "2024-03", ("robbery",))
    assert layer_filters("incidents", chosen) is chosen
    assert layer_filters("knife_crime", chosen) is chosen
    for layer in ("missing", "ed_assaults", "youth_work"):
        assert layer_filters(layer, chosen) == Filters("2024-01", "2024-03")
