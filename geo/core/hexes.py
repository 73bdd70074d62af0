"""H3 hexagon indexing: the only module that imports ``h3`` or ``h3ronpy``.

Cells travel as 64-bit unsigned integers (``numpy.uint64``) inside the package and
the store, and as the standard lower-case hex strings (``"89195da49b7ffff"``) at
every public boundary of :mod:`geo`. All coordinates are WGS84 (EPSG:4326) degrees.

Point indexing is vectorised in Rust through ``h3ronpy``; parents are computed with
bit operations on the H3 index layout, so neither loops over points in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import h3
import h3.api.basic_int as h3i
import h3ronpy
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import shapely
from h3ronpy import vector as h3v

from geo.core.types import CellArray

#: Analysis resolutions stored as parents of every storage cell.
PARENT_RESOLUTIONS: tuple[int, ...] = (7, 8, 9, 10)
#: Default storage resolution (edge about 25 m).
DEFAULT_STORAGE_RESOLUTION = 11

_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT
_DIGIT_BITS = 3
_MAX_RES = 15


def _check_res(res: int) -> None:
    if not 0 <= int(res) <= _MAX_RES:
        raise ValueError(f"H3 resolution must be 0..15, got {res}")


def points_to_cells(lat: npt.ArrayLike, lng: npt.ArrayLike, res: int) -> CellArray:
    """Index WGS84 points to H3 cells at one resolution.

    Parameters
    ----------
    lat, lng : array_like of float
        Latitude and longitude in degrees (EPSG:4326), same length, all finite.
    res : int
        H3 resolution, 0..15.

    Returns
    -------
    numpy.ndarray of uint64
        One cell per point.
    """
    _check_res(res)
    lat_a = np.ascontiguousarray(lat, dtype=np.float64)
    lng_a = np.ascontiguousarray(lng, dtype=np.float64)
    if lat_a.shape != lng_a.shape:
        raise ValueError("lat and lng must have the same length")
    if lat_a.size == 0:
        return np.empty(0, dtype=np.uint64)
    if not (np.isfinite(lat_a).all() and np.isfinite(lng_a).all()):
        raise ValueError("points_to_cells needs finite coordinates; drop missing points first")
    cells = h3v.coordinates_to_cells(lat_a, lng_a, int(res))
    return np.asarray(cells, dtype=np.uint64)


def cell_resolution(cells: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Resolution of each cell (vectorised bit read)."""
    arr = np.asarray(cells, dtype=np.uint64)
    return ((arr & _RES_MASK) >> _RES_SHIFT).astype(np.int64)


def cells_to_parent(cells: npt.ArrayLike, res: int) -> CellArray:
    """Parent of every cell at a coarser resolution, by bit operations.

    The resolution field is set to ``res`` and the digits of finer resolutions are
    set to 7 (unused), exactly as ``h3.cell_to_parent`` does. All input cells must
    have the same resolution, not coarser than ``res``.
    """
    _check_res(res)
    arr = np.asarray(cells, dtype=np.uint64)
    if arr.size == 0:
        return arr.copy()
    child_res = cell_resolution(arr)
    if (child_res < res).any():
        raise ValueError(f"cannot take parents at res {res} of coarser cells")
    out = (arr & ~_RES_MASK) | (np.uint64(res) << _RES_SHIFT)
    unused = np.uint64(0)
    for r in range(res + 1, _MAX_RES + 1):
        unused |= np.uint64(7) << np.uint64((_MAX_RES - r) * _DIGIT_BITS)
    return out | unused


def cells_to_str(cells: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """H3 hex strings for integer cells (vectorised)."""
    arr = np.asarray(cells, dtype=np.uint64)
    if arr.size == 0:
        return np.empty(0, dtype="<U15")
    strings = pa.array(h3ronpy.cells_to_string(np.ascontiguousarray(arr)))
    return np.asarray(strings.to_numpy(zero_copy_only=False), dtype="<U15")


def str_to_cells(cells: Iterable[str]) -> CellArray:
    """Integer cells for H3 hex strings (vectorised).

    Raises
    ------
    ValueError
        When any string is not a valid H3 cell in hex form.
    """
    text = pd.Series(
        list(cells) if not isinstance(cells, pd.Index | pd.Series) else cells, dtype=object
    )
    if text.empty:
        return np.empty(0, dtype=np.uint64)
    text = text.astype(str).str.lower()
    if not text.str.fullmatch(r"[0-9a-f]{15,16}").all():
        raise ValueError("not a valid H3 cell")
    parsed = pa.array(
        h3ronpy.cells_parse(
            pa.array(text.to_numpy(dtype=object), pa.string()), set_failing_to_invalid=True
        )
    )
    if parsed.null_count:
        raise ValueError("not a valid H3 cell")
    arr = np.asarray(parsed.to_numpy(zero_copy_only=False), dtype=np.uint64)
    if not np.asarray(pa.array(h3ronpy.cells_valid(arr)).to_numpy(zero_copy_only=False)).all():
        raise ValueError("not a valid H3 cell")
    return arr


def as_cells(values: npt.ArrayLike | Iterable[str]) -> CellArray:
    """Integer cells from either integer cells or H3 hex strings (any array-like).

    Integers (and floats holding them) are cast to ``uint64``; anything else is parsed
    with :func:`str_to_cells` (so an invalid string raises ValueError).
    """
    arr = np.asarray(values)
    if arr.size == 0:
        return np.empty(0, dtype=np.uint64)
    if arr.dtype.kind in "iuf":
        return arr.astype(np.uint64)
    return str_to_cells(pd.Series(arr, dtype=object))


def is_valid_cell(cell: str) -> bool:
    """True when ``cell`` is a valid H3 hex string."""
    try:
        return bool(h3.is_valid_cell(cell))
    except (TypeError, ValueError):
        return False


def cell_centres(cells: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centre latitude and longitude (degrees, EPSG:4326) of each cell."""
    arr = np.asarray(cells, dtype=np.uint64)
    if arr.size == 0:
        empty = np.empty(0, dtype=np.float64)
        return empty, empty.copy()
    batch = h3v.cells_to_coordinates(arr)
    lat = np.asarray(batch.column("lat"), dtype=np.float64)
    lng = np.asarray(batch.column("lng"), dtype=np.float64)
    return lat, lng


def cells_to_polygons(cells: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Shapely hexagons (lng/lat order, EPSG:4326) for integer cells."""
    arr = np.asarray(cells, dtype=np.uint64)
    if arr.size == 0:
        return np.empty(0, dtype=object)
    wkb = h3v.cells_to_wkb_polygons(arr)
    return shapely.from_wkb(np.asarray(wkb.to_pylist(), dtype=object))


def cell_rings(cells: npt.ArrayLike, *, decimals: int = 6) -> list[list[list[float]]]:
    """Closed GeoJSON rings ``[[lng, lat], ...]`` per cell, rounded to ``decimals``.

    Built with numpy from the h3 boundaries (which are lat/lng; GeoJSON is lng/lat).
    """
    polys = cells_to_polygons(cells)
    if len(polys) == 0:
        return []
    coords, index = shapely.get_coordinates(shapely.get_exterior_ring(polys), return_index=True)
    coords = np.round(coords, decimals)
    splits = np.flatnonzero(np.diff(index)) + 1
    return [part.tolist() for part in np.split(coords, splits)]


def polygon_to_cells(
    geometry: shapely.Geometry, res: int, *, contain: Literal["center", "overlap"] = "center"
) -> CellArray:
    """The cells of a (multi)polygon in EPSG:4326, sorted, each once.

    Parameters
    ----------
    geometry : shapely (Multi)Polygon
        Longitude/latitude degrees (EPSG:4326).
    res : int
        H3 resolution.
    contain : {"center", "overlap"}
        ``"center"``: cells whose centre lies inside (h3's polyfill). ``"overlap"``: every
        cell that touches the polygon at all, so that no point inside it lies on a cell
        left out (the study-area grid, h3's experimental overlap containment).
    """
    _check_res(res)
    if contain == "center":
        cells = h3i.geo_to_cells(geometry, int(res))
    elif contain == "overlap":
        shape = h3i.geo_to_h3shape(geometry)
        cells = h3i.h3shape_to_cells_experimental(shape, int(res), contain="overlap")
    else:
        raise ValueError(f"contain must be 'center' or 'overlap', not {contain!r}")
    # h3 fills a MultiPolygon part by part: a cell overlapping two parts (boroughs that
    # touch, a partnership of several) comes back once per part
    return np.unique(np.asarray(list(cells), dtype=np.uint64))


def grid_disk(cells: Sequence[int] | CellArray, k: int) -> tuple[npt.NDArray[np.intp], CellArray]:
    """Cells within ``k`` grid steps of each cell, the cell itself included.

    Returns
    -------
    origin : numpy.ndarray of intp
        Position in ``cells`` of the origin of each pair.
    neighbour : numpy.ndarray of uint64
        The neighbouring cell of each pair.
    """
    arr = np.ascontiguousarray(cells, dtype=np.uint64)
    if arr.size == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.uint64)
    disks = pa.array(h3ronpy.grid_disk(arr, int(k), flatten=False))
    lengths = np.diff(disks.offsets.to_numpy())
    origin = np.repeat(np.arange(len(arr), dtype=np.intp), lengths)
    flat = np.asarray(disks.flatten().to_numpy(zero_copy_only=False), dtype=np.uint64)
    return origin, flat


def average_edge_length_m(res: int) -> float:
    """Average edge length of a cell at ``res`` in metres."""
    return float(h3.average_hexagon_edge_length(int(res), unit="m"))


def average_cell_area_km2(res: int) -> float:
    """Average area of a cell at ``res`` in square kilometres."""
    return float(h3.average_hexagon_area(int(res), unit="km^2"))
