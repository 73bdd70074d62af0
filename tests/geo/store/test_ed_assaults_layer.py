"""The A&E assaults layer in the store's queries, the cube and the publication layer, on an
emergency department's ISTV file ingested through the real ``istv`` adapter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.config import Config
from geo.core.filters import Filters
from geo.disclosure import WITHHELD, disclosure_policy
from geo.disclosure.counts import disclosed_counts
from geo.ingest.pipeline import ingest_bytes
from geo.render import layers
from geo.render.hexlayer import ED_PALETTE
from geo.store import queries
from geo.store.cube import CUBE_LAYERS, LAYER_LABELS, LAYER_TABLES, build_cube
from geo.store.database import Store
from tests.geo._partner_rows import A, B, C, demo_area_config, header, incident, to_csv

Q1 = Filters("2024-01", "2024-03")


def attendance(i: int, when: str, at: tuple[float, float] | None, **fields: str) -> dict[str, str]:
    """One ISTV row: placed by its coordinates, or (``at`` None) by its text only."""
    row = {
        "Attendance ID": f"ED-{i:04d}",
        "Arrival date time": when,
        "Assault date time": when,
        "Assault location": "outside the shops",
        "Latitude": "" if at is None else str(at[0]),
        "Longitude": "" if at is None else str(at[1]),
        "Location type": "street",
        "Primary means of assault": "knife",
        "Age band": "18-24",
        "Sex": "male",
        "ED site code": "RF4",
    }
    row.update(fields)
    return row


def istv_rows() -> list[dict[str, str]]:
    n = iter(range(1, 1000))
    rows = [attendance(next(n), f"0{d}/02/2024 22:15", A) for d in range(1, 9)]  # 8 at A
    rows += [attendance(next(n), "05/03/2024 16:40", B, **{"Primary means of assault": "punch"})
             for _ in range(3)]  # fmt: skip
    # counted, never placed: two at home, one with no place found
    home = {"Assault location": "at home", "Location type": "home"}
    rows += [attendance(next(n), "10/02/2024 23:00", None, **home) for _ in range(2)]
    rows.append(attendance(next(n), "11/02/2024 01:00", None, **{"Assault location": "not known"}))
    rows.append(attendance(next(n), "15/06/2024 21:00", C))  # after the last incident
    return rows


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return demo_area_config(tmp_path_factory.mktemp("ed"), "[disclosure]\nmin_count = 6\n")


@pytest.fixture(scope="module")
def store(config: Config):
    area = load_study_area(config.study_area)
    now = pd.Timestamp("2025-01-01")
    with Store(config.store_path) as s:
        incidents = [incident(i, "10/02/2024 18:00", "robbery", A) for i in range(1, 4)]
        for kind, name, rows, columns in (
            ("incidents", "incidents.csv", incidents, header("incidents.csv")),
            ("istv", "istv.csv", istv_rows(), header("istv.csv")),
        ):
            report = ingest_bytes(s, config, area, kind, to_csv(columns, rows), name, now=now)
            assert report.status == "live" and report.accepted == len(rows), report.summary()
        yield s


def cell(point: tuple[float, float], res: int) -> int:
    storage = hexes.points_to_cells([point[0]], [point[1]], 11)
    return int(hexes.cells_to_parent(storage, res)[0])


def test_counts_per_cell_leave_out_homes_and_unplaced(store: Store) -> None:
    for res in (7, 8, 9, 10):
        counts = queries.ed_assault_counts(store, res, Q1)
        got = dict(zip(counts["cell"].astype(int), counts["count"], strict=True))
        assert got == {cell(A, res): 8, cell(B, res): 3} or (
            cell(A, res) == cell(B, res) and got == {cell(A, res): 11}
        )
        assert (counts["key_sum"] >= 0).all()


def test_the_total_counts_homes_and_unplaced(store: Store) -> None:
    n, key = queries.layer_total_and_key(store, "ed_assaults", Q1)
    assert n == 8 + 3 + 2 + 1
    placed = int(queries.ed_assault_counts(store, 9, Q1)["count"].sum())
    assert n - placed == 3, "the map's cells add up to less than the total: 3 have no cell"
    keys = store.scalar("SELECT sum(record_key) FROM ed_assaults WHERE occurred_at < '2024-04-01'")
    assert key == int(keys)
    assert queries.layer_total(store, "ed_assaults", Q1) == 14.0
    with pytest.raises(ValueError, match="ed_assaults"):
        queries.layer_total_and_key(store, "stop_search", Q1)


def test_months_and_holding_include_the_ae_feed(store: Store, tmp_path: Path) -> None:
    months = queries.available_months(store)
    assert months[0] == "2024-02" and months[-1] == "2024-06"  # A&E alone reaches June
    assert queries.holds_ed_assaults(store)
    assert queries.holds_ed_assaults(store, Filters("2024-06", "2024-06"))
    assert not queries.holds_ed_assaults(store, Filters("2024-04", "2024-05"))
    with Store(tmp_path / "empty.duckdb") as empty:
        assert not queries.holds_ed_assaults(empty)
        assert queries.available_months(empty) == []


def test_the_cube_takes_the_layer(store: Store, config: Config) -> None:
    assert LAYER_LABELS["ed_assaults"] == "A&E assaults (ED, ISTV)"
    assert LAYER_TABLES["ed_assaults"] == "ed_assaults" and "ed_assaults" in CUBE_LAYERS
    area = load_study_area(config.study_area)
    cube = build_cube(store, area, "ed_assaults", 9, Filters("2024-01", "2024-06"))
    assert cube.to_numpy().sum() == 12.0  # placed only: 8 + 3 + 1
    a = str(hexes.cells_to_str(np.array([cell(A, 9)], dtype=np.uint64))[0])
    assert cube.loc[a, "2024-02"] == 8.0
    assert cube["2024-06"].sum() == 1.0


def test_partnership_counts_are_controlled_with_the_total(store: Store, config: Config) -> None:
    exact = disclosed_counts(store, "ed_assaults", "analyst", 8, Q1, config)
    assert exact.total == 14.0
    assert sorted(exact.levels[8]["value"]) == [3.0, 8.0]
    shown = disclosed_counts(store, "ed_assaults", "partnership", 8, Q1, config)
    frame = shown.levels[8].set_index("cell")
    assert frame.loc[np.uint64(cell(B, 8)), "withheld"]  # 3 is small
    assert frame.loc[np.uint64(cell(B, 8)), "label"] == WITHHELD
    # the published total is the 14 records, homes and unplaced ones included, moved by
    # at most the perturbation's noise (never the 11 on the map)
    noise = disclosure_policy(config).max_noise
    assert shown.total is None or abs(shown.total - 14) <= noise < 3
    for res in (7, 8):
        assert set(shown.levels) >= {res}
    with pytest.raises(ValueError, match="ed_assaults"):
        disclosed_counts(store, "stop_search", "analyst", 8, Q1, config)


def test_the_map_layer(store: Store, config: Config) -> None:
    levels = disclosed_counts(store, "ed_assaults", "analyst", 9, Q1, config)
    layer = layers.ed_assault_layer_from(levels, 9, config)
    assert layer.name == "A&E assaults" and not layer.show  # off until ticked
    labels = sorted(f["properties"]["label"] for f in layer.geojson["features"])
    assert labels == ["3 A&amp;E-treated assaults", "8 A&amp;E-treated assaults"]
    colours = {f["properties"]["colour"] for f in layer.geojson["features"]}
    assert colours <= set(ED_PALETTE)
