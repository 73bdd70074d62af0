"""The fictional borough of the synthetic demo: outline, places, coordinates, sampling.

"Demo borough (synthetic)" is drawn at real east-London coordinates (centred near
lon 0.03, lat 51.535), about 7.2 km by 5.1 km. Its named places (town centres,
transport hubs, estates, parks; all names invented) are the attractors of the
background process: :func:`mixture` draws points from them plus a uniform floor.

Geometry is generated in British National Grid metres (EPSG:27700) and written in
WGS84 degrees (EPSG:4326) to 5 decimals (:func:`round_coords`, :func:`fmt_coord`).
H3 cells are computed only through :mod:`geo.core.hexes`, from the coordinates as
written (:func:`cells9`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.polygon import orient

from geo.core import hexes
from geo.core.area import from_bng, to_bng
from geo.core.types import BoolArray, FloatArray, IntArray

__all__ = [
    "DEMO_LAD_CODE",
    "DEMO_LAD_NAME",
    "FLOOR_WEIGHT",
    "PLACES",
    "TRUTH_RESOLUTION",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "Place",
    "Site",
    "background_points",
    "boundary_bng",
    "cell_centres_bng",
    "cell_str",
    "cells9",
    "choice",
    "demo_boundary",
    "disk",
    "edge_distance",
    "fmt_coord",
    "inside",
    "local_intensity_ratio",
    "mixture",
    "park_outlines_bng",
    "place",
    "points_in_cell",
    "ring_outside",
    "round_coords",
    "uniform_in",
    "write_demo_boundary",
]


#: Boundary properties (ONS LAD 2022 style; the code is deliberately not a real GSS code).
DEMO_LAD_CODE: Final = "X99999999"
DEMO_LAD_NAME: Final = "Demo borough (synthetic)"
#: H3 resolution of every planted cell in ``truth.json``.
TRUTH_RESOLUTION: Final = 9
_COORD_DECIMALS: Final = 5

# ----------------------------------------------------------------------- geography
_CENTRE_LON: Final = 0.03
_CENTRE_LAT: Final = 51.535
#: Boundary vertices as (east, north) offsets in km from the centre, anticlockwise
#: from the west. About 7.2 km x 5.1 km, roughly 27 km^2.
_BOUNDARY_KM: Final[tuple[tuple[float, float], ...]] = (
    (-3.6, 0.1),
    (-3.2, -0.7),
    (-2.7, -1.6),
    (-1.9, -2.4),
    (-1.0, -2.2),
    (0.0, -2.5),
    (0.9, -2.0),
    (1.8, -2.3),
    (2.9, -1.9),
    (3.6, -1.2),
    (3.3, -0.4),
    (3.5, 0.6),
    (3.0, 1.5),
    (2.3, 2.0),
    (1.5, 2.4),
    (0.6, 2.6),
    (-0.3, 2.2),
    (-1.2, 2.5),
    (-2.2, 2.3),
    (-3.1, 1.8),
    (-3.4, 0.9),
)


@dataclass(frozen=True)
class Place:
    """A named attractor of the background process (fictional names)."""

    name: str
    kind: str  # town_centre | transport | estate | park
    east_km: float  # offset from the borough centre, km
    north_km: float
    sigma_m: float  # Gaussian spread, metres
    weight: float  # share of background incidents


PLACES: Final[tuple[Place, ...]] = (
    Place("Broadway town centre", "town_centre", -1.6, 0.6, 700.0, 0.085),
    Place("Market Square town centre", "town_centre", 1.2, 0.9, 600.0, 0.065),
    Place("Northgate station", "transport", -0.4, 1.7, 400.0, 0.03),
    Place("Eastway interchange", "transport", 2.4, -0.6, 440.0, 0.03),
    Place("Riverside DLR", "transport", -0.8, -1.7, 400.0, 0.025),
    Place("Kingsmead estate", "estate", 0.3, -0.8, 600.0, 0.04),
    Place("Hollybrook estate", "estate", -2.6, -0.9, 560.0, 0.035),
    Place("Canal Road estate", "estate", 2.6, 1.3, 560.0, 0.03),
    Place("Central Park", "park", 0.0, 0.3, 520.0, 0.03),
    Place("Marshes recreation ground", "park", -2.4, 1.4, 440.0, 0.02),
)
#: Share of background incidents spread uniformly over the borough. The attractors are
#: deliberately broad (sigma 400-700 m) so that the background on its own gives few
#: significant res-9 Gi* hot spots: the null demo must find (almost) nothing.
FLOOR_WEIGHT: Final = 1.0 - sum(p.weight for p in PLACES)
#: Park outlines for area sessions: (place name, half-width m, half-height m, rotation deg).
_PARK_OUTLINES: Final[tuple[tuple[str, float, float, float], ...]] = (
    ("Central Park", 300.0, 190.0, 20.0),
    ("Marshes recreation ground", 240.0, 170.0, -15.0),
)


# ============================================================================ CRS
def round_coords(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS84 lon/lat of BNG points, rounded as written to the partner files."""
    lon, lat = from_bng(x, y)
    return np.round(lon, _COORD_DECIMALS), np.round(lat, _COORD_DECIMALS)


@cache
def _centre_bng() -> tuple[float, float]:
    x, y = to_bng([_CENTRE_LON], [_CENTRE_LAT])
    return float(x[0]), float(y[0])


def _km_to_bng(east_km: float, north_km: float) -> tuple[float, float]:
    cx, cy = _centre_bng()
    return cx + 1000.0 * east_km, cy + 1000.0 * north_km


# ======================================================================= boundary
def demo_boundary() -> shapely.Polygon:
    """The fictional borough outline.

    Returns
    -------
    shapely.Polygon
        Exterior ring of 21 vertices in EPSG:4326 (x = longitude, y = latitude,
        degrees, rounded to 6 decimals), anticlockwise as RFC 7946 asks. About
        7.2 km east-west by 5.1 km north-south (about 27 km^2), centred near
        lon 0.03, lat 51.535. Deterministic: no randomness is involved.
    """
    pts = [_km_to_bng(e, n) for e, n in _BOUNDARY_KM]
    lon, lat = from_bng([p[0] for p in pts], [p[1] for p in pts])
    ring = np.column_stack([np.round(lon, 6), np.round(lat, 6)])
    return orient(shapely.Polygon(ring), sign=1.0)


def _boundary_geojson() -> dict[str, Any]:
    poly = demo_boundary()
    coords = [[round(x, 6), round(y, 6)] for x, y in poly.exterior.coords]
    return {
        "type": "FeatureCollection",
        "name": "demo_boundary_synthetic",
        "features": [
            {
                "type": "Feature",
                "properties": {"LAD22CD": DEMO_LAD_CODE, "LAD22NM": DEMO_LAD_NAME},
                "geometry": {"type": "Polygon", "coordinates": [coords]},
            }
        ],
    }


def write_demo_boundary(path: Path) -> None:
    """Write the demo borough outline as a GeoJSON FeatureCollection.

    Parameters
    ----------
    path : pathlib.Path
        File to write (parent directories are created). One feature with properties
        ``LAD22CD`` = ``"X99999999"`` and ``LAD22NM`` = ``"Demo borough (synthetic)"``;
        coordinates are lon/lat degrees (EPSG:4326 / CRS84), 6 decimals.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_boundary_geojson(), indent=1) + "\n", encoding="utf-8")


@cache
def boundary_bng() -> shapely.Polygon:
    """The borough outline projected to BNG metres (EPSG:27700)."""
    poly = demo_boundary()
    xy = np.asarray(poly.exterior.coords)
    x, y = to_bng(xy[:, 0], xy[:, 1])
    out = shapely.Polygon(np.column_stack([x, y]))
    shapely.prepare(out)
    return out


# ====================================================================== sampling
def inside(poly: shapely.Geometry, x: FloatArray, y: FloatArray) -> BoolArray:
    """Which points (same CRS as ``poly``) lie inside ``poly``."""
    return np.asarray(shapely.contains_xy(poly, x, y), dtype=bool)


def edge_distance(x: FloatArray, y: FloatArray) -> FloatArray:
    """Distance in metres from BNG points to the borough edge."""
    edge = boundary_bng().exterior
    return np.asarray(shapely.distance(edge, shapely.points(x, y)), dtype=np.float64)


def uniform_in(
    rng: np.random.Generator, poly: shapely.Geometry, n: int
) -> tuple[FloatArray, FloatArray]:
    """``n`` points uniform inside a BNG polygon, by vectorised rejection."""
    minx, miny, maxx, maxy = shapely.bounds(poly).tolist()
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    have = 0
    while have < n:
        m = max(64, int((n - have) * 2.5))
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        ok = inside(poly, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def disk(rng: np.random.Generator, n: int, radius_m: float) -> tuple[FloatArray, FloatArray]:
    """Offsets (metres) uniform in a disk of ``radius_m``."""
    r = radius_m * np.sqrt(rng.random(n))
    a = rng.uniform(0.0, 2.0 * np.pi, n)
    return r * np.cos(a), r * np.sin(a)


def _place_xy() -> tuple[FloatArray, FloatArray]:
    pts = [_km_to_bng(p.east_km, p.north_km) for p in PLACES]
    return np.array([p[0] for p in pts]), np.array([p[1] for p in pts])


def mixture(
    rng: np.random.Generator,
    n: int,
    weights: Sequence[float],
    floor_weight: float,
    *,
    sigma_scale: float = 1.0,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Points from the urban mixture, all inside the borough (BNG metres).

    Returns x, y and the component of each point (index into ``PLACES``, or -1 for
    the uniform floor). Gaussian draws that land outside the boundary are redrawn
    from the same component.
    """
    w = np.append(np.asarray(weights, dtype=np.float64), floor_weight)
    comp = rng.choice(w.size, size=n, p=w / w.sum())
    comp = np.where(comp == w.size - 1, -1, comp).astype(np.int64)
    px, py = _place_xy()
    sig = np.array([p.sigma_m for p in PLACES]) * sigma_scale
    x = np.empty(n)
    y = np.empty(n)
    floor = comp < 0
    fx, fy = uniform_in(rng, boundary_bng(), int(floor.sum()))
    x[floor], y[floor] = fx, fy
    todo = np.flatnonzero(~floor)
    while todo.size:
        c = comp[todo]
        x[todo] = px[c] + rng.normal(0.0, 1.0, todo.size) * sig[c]
        y[todo] = py[c] + rng.normal(0.0, 1.0, todo.size) * sig[c]
        todo = todo[~inside(boundary_bng(), x[todo], y[todo])]
    return x, y, comp


def background_points(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray, IntArray]:
    """``n`` background points from the urban mixture (see :func:`mixture`)."""
    return mixture(rng, n, [p.weight for p in PLACES], FLOOR_WEIGHT)


def ring_outside(rng: np.random.Generator, n: int, max_m: float) -> tuple[FloatArray, FloatArray]:
    """``n`` points outside the borough but within ``max_m`` metres of its edge."""
    ring = boundary_bng().buffer(max_m).difference(boundary_bng())
    shapely.prepare(ring)
    return uniform_in(rng, ring, n)


def cells9(x: FloatArray, y: FloatArray, *, res: int = TRUTH_RESOLUTION) -> npt.NDArray[np.uint64]:
    """H3 cells of BNG points, computed from the coordinates as written to file."""
    lon, lat = round_coords(x, y)
    return hexes.points_to_cells(lat, lon, res)


def cell_centres_bng(cells: npt.NDArray[np.uint64]) -> tuple[FloatArray, FloatArray]:
    """Centres of H3 cells in BNG metres."""
    lat, lng = hexes.cell_centres(cells)
    return to_bng(lng, lat)


def cell_str(cell: int | np.uint64) -> str:
    """The hex string of one H3 cell."""
    return str(hexes.cells_to_str(np.array([cell], dtype=np.uint64))[0])


@dataclass(frozen=True)
class Site:
    """A planted res-9 cell: its id and its centre in BNG metres."""

    cell: int
    x: float
    y: float

    @property
    def cell_str(self) -> str:
        """The cell as a hex string."""
        return cell_str(self.cell)


def points_in_cell(
    rng: np.random.Generator, site: Site, n: int, radius_m: float
) -> tuple[FloatArray, FloatArray]:
    """``n`` points within ``radius_m`` of a site's centre, checked to stay in its cell."""
    dx, dy = disk(rng, n, radius_m)
    x, y = site.x + dx, site.y + dy
    if n and not (cells9(x, y) == np.uint64(site.cell)).all():
        raise RuntimeError("planted points left their cell; reduce the radius")
    return x, y


# ======================================================================== places
def place(name: str) -> tuple[float, float]:
    """Centre of the named place, BNG metres."""
    p = next(p for p in PLACES if p.name == name)
    return _km_to_bng(p.east_km, p.north_km)


def park_outlines_bng() -> list[shapely.Polygon]:
    """Park polygons (BNG metres) used for area sessions of the Parks team."""
    by_name = {p.name: p for p in PLACES}
    out = []
    for name, hw, hh, rot in _PARK_OUTLINES:
        p = by_name[name]
        cx, cy = _km_to_bng(p.east_km, p.north_km)
        # An irregular octagon rather than a box.
        ang = np.deg2rad(np.arange(8) * 45.0 + 22.5)
        wob = np.array([1.0, 0.92, 1.05, 0.9, 1.0, 0.95, 1.08, 0.9])
        px = hw * wob * np.cos(ang)
        py = hh * wob * np.sin(ang)
        r = np.deg2rad(rot)
        x = cx + px * np.cos(r) - py * np.sin(r)
        y = cy + px * np.sin(r) + py * np.cos(r)
        out.append(shapely.Polygon(np.column_stack([x, y])))
    return out


def local_intensity_ratio(x: FloatArray, y: FloatArray) -> FloatArray:
    """Expected background around BNG points relative to the borough average.

    The mixture density (ignoring truncation at the edge) averaged over the point
    and six points 350 m away (about the neighbouring res-9 cell centres),
    divided by the mean density over the borough. Dimensionless.
    """
    area = float(boundary_bng().area)
    px, py = _place_xy()
    sig = np.array([p.sigma_m for p in PLACES])
    w = np.array([p.weight for p in PLACES])
    ang = np.deg2rad(np.arange(6) * 60.0)
    ox = np.concatenate(([0.0], 350.0 * np.cos(ang)))
    oy = np.concatenate(([0.0], 350.0 * np.sin(ang)))
    qx = np.asarray(x)[:, None, None] + ox[None, :, None]
    qy = np.asarray(y)[:, None, None] + oy[None, :, None]
    d2 = (qx - px[None, None, :]) ** 2 + (qy - py[None, None, :]) ** 2
    dens = (w / (2.0 * np.pi * sig**2) * np.exp(-d2 / (2.0 * sig**2))).sum(axis=2)
    dens = dens + FLOOR_WEIGHT / area
    return np.asarray(dens.mean(axis=1) * area, dtype=np.float64)


# ================================================================ written values
def fmt_coord(v: FloatArray, missing: BoolArray | None = None) -> npt.NDArray[np.object_]:
    """Coordinates as written to the partner files (5 decimals); blanks where missing."""
    out = np.char.mod(f"%.{_COORD_DECIMALS}f", np.asarray(v, dtype=np.float64)).astype(object)
    if missing is not None:
        out[missing] = ""
    return out


def choice(
    rng: np.random.Generator, options: Sequence[str], p: npt.ArrayLike, n: int
) -> npt.NDArray[np.object_]:
    """``n`` draws from ``options`` with probabilities proportional to ``p``."""
    pa = np.asarray(p, dtype=np.float64)
    idx = rng.choice(len(options), size=n, p=pa / pa.sum())
    return np.asarray(options, dtype=object)[idx]
