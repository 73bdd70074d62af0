"""geo.core.hexes against h3-py as the reference implementation."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely

from geo.core import hexes

# A box over east London (WGS84 degrees).
LAT_RANGE = (51.45, 51.60)
LNG_RANGE = (-0.15, 0.15)


@pytest.fixture(scope="module")
def london_points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240314)
    lat = rng.uniform(*LAT_RANGE, size=500)
    lng = rng.uniform(*LNG_RANGE, size=500)
    return lat, lng


def _ref_cells(lat: np.ndarray, lng: np.ndarray, res: int) -> list[str]:
    return [h3.latlng_to_cell(float(a), float(b), res) for a, b in zip(lat, lng, strict=True)]


# --- points_to_cells ------------------------------------------------------------------


@pytest.mark.parametrize("res", [7, 8, 9, 10, 11])
def test_points_to_cells_matches_h3(london_points, res: int) -> None:
    lat, lng = london_points
    cells = hexes.points_to_cells(lat, lng, res)
    assert cells.dtype == np.uint64
    assert cells.shape == lat.shape
    assert list(hexes.cells_to_str(cells)) == _ref_cells(lat, lng, res)


def test_points_to_cells_accepts_lists() -> None:
    cells = hexes.points_to_cells([51.5388], [0.0242], 11)
    assert hexes.cells_to_str(cells)[0] == h3.latlng_to_cell(51.5388, 0.0242, 11)


def test_points_to_cells_empty() -> None:
    cells = hexes.points_to_cells([], [], 9)
    assert cells.dtype == np.uint64
    assert cells.size == 0


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        ([51.5, np.nan], [0.0, 0.1]),
        ([51.5, 51.6], [0.0, np.inf]),
        ([-np.inf], [0.0]),
    ],
)
def test_points_to_cells_rejects_non_finite(lat, lng) -> None:
    with pytest.raises(ValueError, match="finite"):
        hexes.points_to_cells(lat, lng, 9)


def test_points_to_cells_length_mismatch() -> None:
    with pytest.raises(ValueError):
        hexes.points_to_cells([51.5, 51.6], [0.0], 9)


@pytest.mark.parametrize("res", [-1, 16])
def test_points_to_cells_bad_resolution(res: int) -> None:
    with pytest.raises(ValueError):
        hexes.points_to_cells([51.5], [0.0], res)


# --- parents and resolution -----------------------------------------------------------


@pytest.mark.parametrize("res", [7, 8, 9, 10])
def test_cells_to_parent_matches_h3(london_points, res: int) -> None:
    lat, lng = london_points
    cells = hexes.points_to_cells(lat, lng, 11)
    parents = hexes.cells_to_parent(cells, res)
    ref = [h3.cell_to_parent(c, res) for c in hexes.cells_to_str(cells)]
    assert list(hexes.cells_to_str(parents)) == ref
    assert (hexes.cell_resolution(parents) == res).all()


def test_cells_to_parent_same_resolution_is_identity(london_points) -> None:
    lat, lng = london_points
    cells = hexes.points_to_cells(lat, lng, 9)
    np.testing.assert_array_equal(hexes.cells_to_parent(cells, 9), cells)


def test_cells_to_parent_refuses_coarser_cells() -> None:
    cells = hexes.points_to_cells([51.5], [0.0], 8)
    with pytest.raises(ValueError):
        hexes.cells_to_parent(cells, 9)


def test_cells_to_parent_empty() -> None:
    out = hexes.cells_to_parent(np.empty(0, dtype=np.uint64), 8)
    assert out.size == 0


def test_cell_resolution(london_points) -> None:
    lat, lng = london_points
    for res in (7, 11, 15):
        assert (hexes.cell_resolution(hexes.points_to_cells(lat, lng, res)) == res).all()


# --- strings ------------------------------------------------------------------------------


def test_str_round_trip(london_points) -> None:
    lat, lng = london_points
    cells = hexes.points_to_cells(lat, lng, 10)
    strings = hexes.cells_to_str(cells)
    assert all(len(s) == 15 and s == s.lower() for s in strings)
    assert all(h3.is_valid_cell(str(s)) for s in strings)
    back = hexes.str_to_cells(strings)
    assert back.dtype == np.uint64
    np.testing.assert_array_equal(back, cells)
    assert [int(c) for c in cells] == [h3.str_to_int(str(s)) for s in strings]


def test_str_empty() -> None:
    assert hexes.cells_to_str(np.empty(0, dtype=np.uint64)).size == 0
    out = hexes.str_to_cells([])
    assert out.size == 0
    assert out.dtype == np.uint64


@pytest.mark.parametrize(
    "bad",
    [
        "zzzz",
        "",
        "0",
        "89195da49b7fff",  # one digit short
        "ffffffffffffffff",  # 64 bits but not a cell
        "-1",
        "f" * 17,  # more than 64 bits
    ],
)
def test_str_to_cells_invalid_raises(bad: str) -> None:
    with pytest.raises(ValueError):
        hexes.str_to_cells(["89195da49b7ffff", bad])


def test_is_valid_cell() -> None:
    assert hexes.is_valid_cell("89195da49b7ffff")
    assert not hexes.is_valid_cell("89195da49b7fff")
    assert not hexes.is_valid_cell("not a cell")
    assert not hexes.is_valid_cell(None)  # type: ignore[arg-type]


# --- geometry -----------------------------------------------------------------------------


def test_cell_centres_match_h3(london_points) -> None:
    lat, lng = london_points
    cells = hexes.points_to_cells(lat, lng, 9)
    c_lat, c_lng = hexes.cell_centres(cells)
    ref = np.array([h3.cell_to_latlng(str(s)) for s in hexes.cells_to_str(cells)])
    np.testing.assert_allclose(c_lat, ref[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(c_lng, ref[:, 1], rtol=0, atol=1e-9)


def test_cell_centres_empty() -> None:
    lat, lng = hexes.cell_centres(np.empty(0, dtype=np.uint64))
    assert lat.size == 0
    assert lng.size == 0


def test_cell_rings_closed_lnglat_rounded(london_points) -> None:
    lat, lng = london_points
    cells = hexes.points_to_cells(lat[:50], lng[:50], 10)
    rings = hexes.cell_rings(cells)
    assert len(rings) == len(cells)
    for cell, ring in zip(hexes.cells_to_str(cells), rings, strict=True):
        boundary = h3.cell_to_boundary(str(cell))  # ((lat, lng), ...)
        assert ring[0] == ring[-1], "ring must be closed"
        assert len(ring) == len(boundary) + 1
        for x, y in ring:
            assert round(x, 6) == x
            assert round(y, 6) == y
            # lng/lat order: the borough is east of 0.15 W and at ~51.5 N
            assert LNG_RANGE[0] - 0.1 < x < LNG_RANGE[1] + 0.1
            assert LAT_RANGE[0] - 0.1 < y < LAT_RANGE[1] + 0.1
        # same vertex set as h3 (lat/lng swapped to lng/lat), whatever the start vertex
        ref = sorted((round(b, 6), round(a, 6)) for a, b in boundary)
        got = sorted((x, y) for x, y in ring[:-1])
        np.testing.assert_allclose(np.array(got), np.array(ref), rtol=0, atol=1.5e-6)


def test_cell_rings_first_vertex_is_lnglat_of_an_h3_vertex() -> None:
    cell = h3.latlng_to_cell(51.5388, 0.0242, 9)
    ring = hexes.cell_rings(hexes.str_to_cells([cell]))[0]
    first = ring[0]
    boundary = h3.cell_to_boundary(cell)
    dists = [abs(first[0] - b) + abs(first[1] - a) for a, b in boundary]
    assert min(dists) < 2e-6
    # and certainly not lat/lng: latitude ~51.5 must be the second number
    assert first[1] == pytest.approx(51.5, abs=0.2)


def test_cell_rings_decimals() -> None:
    cells = hexes.points_to_cells([51.5388], [0.0242], 9)
    ring = hexes.cell_rings(cells, decimals=3)[0]
    assert all(round(v, 3) == v for xy in ring for v in xy)


def test_cell_rings_empty() -> None:
    assert hexes.cell_rings(np.empty(0, dtype=np.uint64)) == []


def test_cells_to_polygons_contain_centres(london_points) -> None:
    lat, lng = london_points
    cells = hexes.points_to_cells(lat[:20], lng[:20], 9)
    polys = hexes.cells_to_polygons(cells)
    c_lat, c_lng = hexes.cell_centres(cells)
    assert shapely.contains_xy(polys, c_lng, c_lat).all()


# --- polygons and disks -------------------------------------------------------------------


SQUARE = shapely.box(0.0, 51.52, 0.03, 51.54)  # lng/lat


@pytest.mark.parametrize("res", [8, 9, 10])
def test_polygon_to_cells_matches_h3(res: int) -> None:
    cells = hexes.polygon_to_cells(SQUARE, res)
    assert cells.dtype == np.uint64
    assert (cells[1:] > cells[:-1]).all(), "sorted, unique"
    got = set(hexes.cells_to_str(cells).tolist())
    assert got == set(h3.geo_to_cells(SQUARE, res))
    outer = [(51.52, 0.0), (51.52, 0.03), (51.54, 0.03), (51.54, 0.0)]
    assert got == set(h3.polygon_to_cells(h3.LatLngPoly(outer), res))
    assert len(got) > 0


def test_polygon_to_cells_centres_inside() -> None:
    cells = hexes.polygon_to_cells(SQUARE, 9)
    lat, lng = hexes.cell_centres(cells)
    assert shapely.contains_xy(SQUARE, lng, lat).all()


def test_polygon_to_cells_tiny_polygon_is_empty() -> None:
    tiny = shapely.box(0.0, 51.52, 0.000001, 51.520001)
    assert hexes.polygon_to_cells(tiny, 7).size == 0


@pytest.mark.parametrize("k", [0, 1, 2])
def test_grid_disk_matches_h3(london_points, k: int) -> None:
    lat, lng = london_points
    cells = hexes.points_to_cells(lat[:25], lng[:25], 9)
    origin, neighbour = hexes.grid_disk(cells, k)
    assert len(origin) == len(neighbour)
    assert neighbour.dtype == np.uint64
    for i, cell in enumerate(hexes.cells_to_str(cells)):
        mine = set(hexes.cells_to_str(neighbour[origin == i]).tolist())
        assert mine == set(h3.grid_disk(str(cell), k))
        assert str(cell) in mine


def test_grid_disk_empty() -> None:
    origin, neighbour = hexes.grid_disk(np.empty(0, dtype=np.uint64), 1)
    assert origin.size == 0
    assert neighbour.size == 0


def test_average_cell_area() -> None:
    assert hexes.average_cell_area_km2(8) == pytest.approx(h3.average_hexagon_area(8, unit="km^2"))


@pytest.mark.parametrize("contain", ["center", "overlap"])
def test_a_multipolygon_of_touching_parts_gives_each_cell_once(contain: str) -> None:
    """Two boroughs that share an edge: h3 fills each part, and a cell overlapping both
    came back twice (a partnership or a London-wide area broke Gi* with duplicate cells)."""
    west = shapely.box(-0.10, 51.50, -0.05, 51.55)
    east = shapely.box(-0.05, 51.50, 0.00, 51.55)
    both = shapely.MultiPolygon([west, east])
    cells = hexes.polygon_to_cells(both, 9, contain=contain)  # type: ignore[arg-type]
    assert len(cells) == len(np.unique(cells))
    assert set(cells.tolist()) >= set(hexes.polygon_to_cells(west, 9, contain=contain).tolist())  # type: ignore[arg-type]
