"""Synthetic demo data for PlaceSafe, with planted ground truth (DESIGN §8).

Everything here is **synthetic**: a fictional "Demo borough (synthetic)" drawn at
real east-London coordinates (centred near lon 0.03, lat 51.535), with invented
incidents, missing episodes, schools, youth-work sessions and a children's home.
The generator writes the partner file formats of ``data/templates/`` so that the
demo goes through the same ingest path as real data, and a ``truth.json`` that
records what was planted so that tests can score how well the analyses recover it.

Geometry is generated in British National Grid metres (EPSG:27700) and written in
WGS84 degrees (EPSG:4326), except the schools file, which carries GIAS-style
Easting/Northing in EPSG:27700 metres. H3 cells are computed only through
:mod:`geo.core.hexes` and reported as hex strings at resolution 9 (the children's home
also at resolution 11).

The output is deterministic per seed: the seed's generator spawns one independent
stream per component, so the background incidents, the cohort of children, the
schools and the youth-work timetable are the same with ``null=True`` as without,
and only the planted signals differ.
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
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.polygon import orient

from geo.core import hexes
from geo.core.schema import RHI_THEMES, RISK_LEVELS
from geo.ingest.sources.police_uk import STOP_SEARCH_COLUMNS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DEMO_FIRST_MONTH: Final = "2023-01"
DEMO_LAST_MONTH: Final = "2024-12"
#: Boundary properties (ONS LAD 2022 style; the code is deliberately not a real GSS code).
DEMO_LAD_CODE: Final = "X99999999"
DEMO_LAD_NAME: Final = "Demo borough (synthetic)"
#: GIAS local-authority code and name used for the demo schools.
DEMO_LA_CODE: Final = "999"
#: H3 resolution of every planted cell in ``truth.json``.
TRUTH_RESOLUTION: Final = 9
#: Resolution at which the children's home is also reported (the storage resolution).
HOME_FINE_RESOLUTION: Final = 11
#: Near-repeat definition used for the planted chains.
NEAR_REPEAT_DISTANCE_M: Final = 200
NEAR_REPEAT_DAYS: Final = 14
#: Repeat-missing definition: this many episodes ...
REPEAT_MISSING_EPISODES: Final = 3
#: ... with reported times spanning at most this many days.
REPEAT_MISSING_DAYS: Final = 90

#: File names written by :func:`generate_demo_files`.
GENERATED_FILES: Final[tuple[str, ...]] = (
    "incidents.csv",
    "missing_episodes.csv",
    "youth_sessions.csv",
    "schools.csv",
    "sensitive_premises.csv",
    "boundary.geojson",
    "school_outcomes.csv",
    "lsoa_boundaries.geojson",
    "census_ethnic_group_lsoa.csv",
    "census_ethnic_group_by_age_lsoa.csv",
    "population_single_year_of_age_lsoa.csv",
    "stop_and_search.csv",
    "truth.json",
)

INCIDENT_HEADER: Final[tuple[str, ...]] = (
    "Incident ID",
    "Date and time",
    "Category",
    "Latitude",
    "Longitude",
    "Age band",
    "Sex",
    "Ethnicity",
    "Weapon",
    "Location type",
)
MISSING_HEADER: Final[tuple[str, ...]] = (
    "Episode ID",
    "Child ID",
    "Date reported missing",
    "Date returned",
    "Found latitude",
    "Found longitude",
    "Home area",
    "School URN",
    "Looked after",
    "Age band",
    "Sex",
    "Ethnicity",
    "RHI status",
    "RHI completed",
    "RHI themes",
    "Risk level",
)
YOUTH_HEADER: Final[tuple[str, ...]] = (
    "Session ID",
    "Team",
    "Start",
    "End",
    "Latitude",
    "Longitude",
    "Area WKT",
    "Contacts",
    "Referrals",
)
SCHOOLS_HEADER: Final[tuple[str, ...]] = (
    "URN",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "PhaseOfEducation (name)",
    "EstablishmentStatus (name)",
    "LA (code)",
    "LA (name)",
    "Postcode",
    "Easting",
    "Northing",
)
SENSITIVE_HEADER: Final[tuple[str, ...]] = ("kind", "latitude", "longitude")
OUTCOMES_HEADER: Final[tuple[str, ...]] = (
    "URN",
    "Period",
    "Period start",
    "Measure",
    "Ethnic group",
    "Sex",
    "Count",
)

_DATETIME_FORMAT: Final = "%d/%m/%Y %H:%M"
_COORD_DECIMALS: Final = 5

# --------------------------------------------------------------------------- time
_START: Final = np.datetime64("2023-01-01T00:00", "m")
_N_DAYS: Final = 731  # 2023-01-01 .. 2024-12-31
_N_MONTHS: Final = 24
_N_HOURS: Final = _N_DAYS * 24
_MINUTES_PER_DAY: Final = 1440
_END_MINUTE: Final = _N_DAYS * _MINUTES_PER_DAY - 1  # 31/12/2024 23:59

#: Relative incident intensity by hour of day on school days (Mon-Fri).
_WEEKDAY_PROFILE: Final = np.array(
    [0.55, 0.4, 0.22, 0.13, 0.1, 0.1, 0.15, 0.35, 0.55, 0.45, 0.45, 0.5,
     0.6, 0.6, 0.75, 1.35, 1.65, 1.6, 1.4, 1.2, 1.1, 1.0, 0.9, 0.7]
)  # fmt: skip
#: Relative incident intensity by hour of day at weekends (no after-school peak).
_WEEKEND_PROFILE: Final = np.array(
    [0.9, 0.7, 0.5, 0.3, 0.15, 0.1, 0.1, 0.15, 0.25, 0.35, 0.5, 0.7,
     0.85, 0.95, 1.0, 1.05, 1.1, 1.1, 1.1, 1.1, 1.1, 1.05, 1.0, 0.95]
)  # fmt: skip
#: Friday- and Saturday-night multiplier (Fri/Sat 20:00 to 03:59 the next morning).
_NIGHT_BOOST: Final = 1.9
#: Seasonal multiplier by calendar month (January first).
_SEASON: Final = np.array([0.9, 0.88, 0.95, 1.0, 1.05, 1.1, 1.15, 1.1, 1.0, 1.0, 0.95, 0.9])
#: When children are reported missing, by hour of day.
_MISSING_REPORT_PROFILE: Final = np.array(
    [0.6, 0.4, 0.3, 0.2, 0.15, 0.15, 0.2, 0.3, 0.4, 0.4, 0.4, 0.5,
     0.6, 0.7, 0.9, 1.2, 1.6, 1.9, 2.1, 2.2, 2.2, 2.0, 1.6, 1.0]
)  # fmt: skip

#: School holidays and closures (inclusive), approximating London calendars 2022-25.
_SCHOOL_HOLIDAYS: Final[tuple[tuple[str, str], ...]] = (
    ("2023-01-01", "2023-01-03"),
    ("2023-02-13", "2023-02-17"),
    ("2023-04-03", "2023-04-14"),
    ("2023-05-01", "2023-05-01"),
    ("2023-05-08", "2023-05-08"),
    ("2023-05-29", "2023-06-02"),
    ("2023-07-21", "2023-09-01"),
    ("2023-10-23", "2023-10-27"),
    ("2023-12-21", "2024-01-03"),
    ("2024-02-12", "2024-02-16"),
    ("2024-03-29", "2024-04-12"),
    ("2024-05-06", "2024-05-06"),
    ("2024-05-27", "2024-05-31"),
    ("2024-07-23", "2024-09-02"),
    ("2024-10-28", "2024-11-01"),
    ("2024-12-20", "2024-12-31"),
)
#: Days on which the youth service runs no sessions.
_YOUTH_CLOSURES: Final[tuple[tuple[str, str], ...]] = (
    ("2023-01-01", "2023-01-02"),
    ("2023-12-24", "2024-01-01"),
    ("2024-12-24", "2024-12-31"),
)

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

_CATEGORIES: Final[tuple[str, ...]] = (
    "violence_with_injury",
    "violence_without_injury",
    "robbery",
    "weapons_possession",
    "knife_crime",
    "sexual_offence",
    "harmful_sexual_behaviour",
    "drugs",
    "public_order",
    "exploitation_concern",
)
_BACKGROUND_CATEGORY_P: Final = np.array(
    [0.18, 0.22, 0.15, 0.06, 0.06, 0.05, 0.03, 0.10, 0.11, 0.04]
)
_LOCATION_TYPES: Final[tuple[str, ...]] = (
    "street",
    "park",
    "transport",
    "shop",
    "school",
    "residential",
)
#: Location-type probabilities (order of ``_LOCATION_TYPES``) per kind of place.
_LOCATION_P: Final[dict[str, tuple[float, ...]]] = {
    "town_centre": (0.55, 0.0, 0.10, 0.30, 0.0, 0.05),
    "transport": (0.35, 0.0, 0.60, 0.05, 0.0, 0.0),
    "estate": (0.35, 0.05, 0.0, 0.0, 0.0, 0.60),
    "park": (0.20, 0.80, 0.0, 0.0, 0.0, 0.0),
    "floor": (0.50, 0.05, 0.04, 0.08, 0.03, 0.30),
    "hotspot": (0.70, 0.0, 0.10, 0.15, 0.0, 0.05),
    "chain": (0.70, 0.05, 0.05, 0.05, 0.0, 0.15),
    "school_journey": (0.65, 0.0, 0.25, 0.0, 0.10, 0.0),
}
_INCIDENT_AGE_BANDS: Final[tuple[str, ...]] = ("under 10", "10-13", "14-17", "18-24", "25+", "")
_INCIDENT_AGE_P: Final = np.array([0.005, 0.09, 0.47, 0.38, 0.045, 0.01])
_SCHOOL_AGE_P: Final = np.array([0.0, 0.35, 0.60, 0.05, 0.0, 0.0])
_INCIDENT_SEXES: Final[tuple[str, ...]] = ("male", "female", "other", "unknown", "")
_INCIDENT_SEX_P: Final = np.array([0.76, 0.21, 0.005, 0.015, 0.01])
_ETHNICITIES: Final[tuple[str, ...]] = ("black", "white", "asian", "mixed", "other", "")
_INCIDENT_ETHNICITY_P: Final = np.array([0.33, 0.30, 0.20, 0.09, 0.04, 0.04])
_CHILD_ETHNICITY_P: Final = np.array([0.27, 0.38, 0.18, 0.12, 0.04, 0.01])
_CHILD_SEXES: Final[tuple[str, ...]] = ("female", "male", "unknown")
_CHILD_SEX_P: Final = np.array([0.47, 0.50, 0.03])
_RISK_LEVELS: Final = RISK_LEVELS
_RHI_THEMES: Final = RHI_THEMES
_RHI_THEME_W: Final = np.array([0.10, 0.06, 0.22, 0.22, 0.12, 0.10, 0.12, 0.06])


@dataclass(frozen=True)
class _Place:
    """A named attractor of the background process (fictional names)."""

    name: str
    kind: str  # town_centre | transport | estate | park
    east_km: float  # offset from the borough centre, km
    north_km: float
    sigma_m: float  # Gaussian spread, metres
    weight: float  # share of background incidents


_PLACES: Final[tuple[_Place, ...]] = (
    _Place("Broadway town centre", "town_centre", -1.6, 0.6, 700.0, 0.085),
    _Place("Market Square town centre", "town_centre", 1.2, 0.9, 600.0, 0.065),
    _Place("Northgate station", "transport", -0.4, 1.7, 400.0, 0.03),
    _Place("Eastway interchange", "transport", 2.4, -0.6, 440.0, 0.03),
    _Place("Riverside DLR", "transport", -0.8, -1.7, 400.0, 0.025),
    _Place("Kingsmead estate", "estate", 0.3, -0.8, 600.0, 0.04),
    _Place("Hollybrook estate", "estate", -2.6, -0.9, 560.0, 0.035),
    _Place("Canal Road estate", "estate", 2.6, 1.3, 560.0, 0.03),
    _Place("Central Park", "park", 0.0, 0.3, 520.0, 0.03),
    _Place("Marshes recreation ground", "park", -2.4, 1.4, 440.0, 0.02),
)
#: Share of background incidents spread uniformly over the borough. The attractors are
#: deliberately broad (sigma 400-700 m) so that the background on its own gives few
#: significant res-9 Gi* hot spots: the null demo must find (almost) nothing.
_FLOOR_WEIGHT: Final = 1.0 - sum(p.weight for p in _PLACES)
#: Park outlines for area sessions: (place name, half-width m, half-height m, rotation deg).
_PARK_OUTLINES: Final[tuple[tuple[str, float, float, float], ...]] = (
    ("Central Park", 300.0, 190.0, 20.0),
    ("Marshes recreation ground", 240.0, 170.0, -15.0),
)

# Sizes of the synthetic world.
_N_BACKGROUND: Final = 8700
_OUTSIDE_SHARE: Final = 0.025  # background points moved just outside the boundary
_OUTSIDE_MAX_M: Final = 100.0
_PLANT_RADIUS_M: Final = 60.0  # planted points lie this close to their cell centre
_N_CHAINS: Final = 25
_CHAIN_RADIUS_M: Final = 100.0  # follow-on incidents lie this close to their seed
_CHAIN_DECAY_DAYS: Final = 2.5  # e-folding time of the near-repeat triggering kernel
_N_CHILDREN: Final = 350
_N_REPEAT_CHILDREN: Final = 25
_MIN_PLANT_SPACING_M: Final = 1000.0
#: Bumped whenever the generator's output changes, so a stale default demo store is rebuilt.
GENERATOR_VERSION: Final = 6  # 6: population by single year of age (5: demo marker)
_SCHOOL_JOURNEY_CLEARANCE_M: Final = 500.0  # other schools keep this far from that cell
_GAP_CLEARANCE_M: Final = 1200.0  # Fri/Sat/Sun sessions past 17:00 keep this far from the gap
_HOME_RADIUS_M: Final = 30.0
#: Planted monthly counts: persistent (and fading, while live) cells get a base
#: plus Poisson(extra) incidents a month; the emerging cell gets first, first+step,
#: ... in the last six months; the fading cell declines linearly from START to END.
_PERSISTENT_BASE: Final = 18.0
_PERSISTENT_EXTRA: Final = 3.0
_EMERGING_FIRST: Final = 10.0
_EMERGING_STEP: Final = 3.0
_FADING_START: Final = 30.0
_FADING_END: Final = 18.0


# ============================================================================ CRS
@cache
def _transformers() -> tuple[Transformer, Transformer]:
    """WGS84 -> BNG and BNG -> WGS84 transformers (lon/lat axis order)."""
    fwd = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    inv = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    return fwd, inv


def _to_bng(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Project WGS84 degrees (EPSG:4326) to British National Grid metres (EPSG:27700)."""
    x, y = _transformers()[0].transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _to_lonlat(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Unproject BNG metres (EPSG:27700) to WGS84 lon/lat degrees (EPSG:4326)."""
    lon, lat = _transformers()[1].transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _round_coords(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS84 lon/lat of BNG points, rounded as written to the partner files."""
    lon, lat = _to_lonlat(x, y)
    return np.round(lon, _COORD_DECIMALS), np.round(lat, _COORD_DECIMALS)


@cache
def _centre_bng() -> tuple[float, float]:
    x, y = _to_bng([_CENTRE_LON], [_CENTRE_LAT])
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
    lon, lat = _to_lonlat([p[0] for p in pts], [p[1] for p in pts])
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
def _boundary_bng() -> shapely.Polygon:
    """The borough outline projected to BNG metres (EPSG:27700)."""
    poly = demo_boundary()
    xy = np.asarray(poly.exterior.coords)
    x, y = _to_bng(xy[:, 0], xy[:, 1])
    out = shapely.Polygon(np.column_stack([x, y]))
    shapely.prepare(out)
    return out


# ====================================================================== sampling
def _inside(poly: shapely.Geometry, x: FloatArray, y: FloatArray) -> BoolArray:
    return np.asarray(shapely.contains_xy(poly, x, y), dtype=bool)


def _edge_distance(x: FloatArray, y: FloatArray) -> FloatArray:
    """Distance in metres from BNG points to the borough edge."""
    edge = _boundary_bng().exterior
    return np.asarray(shapely.distance(edge, shapely.points(x, y)), dtype=np.float64)


def _uniform_in(
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
        ok = _inside(poly, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _disk(rng: np.random.Generator, n: int, radius_m: float) -> tuple[FloatArray, FloatArray]:
    """Offsets (metres) uniform in a disk of ``radius_m``."""
    r = radius_m * np.sqrt(rng.random(n))
    a = rng.uniform(0.0, 2.0 * np.pi, n)
    return r * np.cos(a), r * np.sin(a)


def _place_xy() -> tuple[FloatArray, FloatArray]:
    pts = [_km_to_bng(p.east_km, p.north_km) for p in _PLACES]
    return np.array([p[0] for p in pts]), np.array([p[1] for p in pts])


def _mixture(
    rng: np.random.Generator,
    n: int,
    weights: Sequence[float],
    floor_weight: float,
    sigma_scale: float = 1.0,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Points from the urban mixture, all inside the borough (BNG metres).

    Returns x, y and the component of each point (index into ``_PLACES``, or -1 for
    the uniform floor). Gaussian draws that land outside the boundary are redrawn
    from the same component.
    """
    w = np.append(np.asarray(weights, dtype=np.float64), floor_weight)
    comp = rng.choice(w.size, size=n, p=w / w.sum())
    comp = np.where(comp == w.size - 1, -1, comp).astype(np.int64)
    px, py = _place_xy()
    sig = np.array([p.sigma_m for p in _PLACES]) * sigma_scale
    x = np.empty(n)
    y = np.empty(n)
    floor = comp < 0
    fx, fy = _uniform_in(rng, _boundary_bng(), int(floor.sum()))
    x[floor], y[floor] = fx, fy
    todo = np.flatnonzero(~floor)
    while todo.size:
        c = comp[todo]
        x[todo] = px[c] + rng.normal(0.0, 1.0, todo.size) * sig[c]
        y[todo] = py[c] + rng.normal(0.0, 1.0, todo.size) * sig[c]
        todo = todo[~_inside(_boundary_bng(), x[todo], y[todo])]
    return x, y, comp


def _background_points(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray, IntArray]:
    return _mixture(rng, n, [p.weight for p in _PLACES], _FLOOR_WEIGHT)


def _ring_outside(rng: np.random.Generator, n: int, max_m: float) -> tuple[FloatArray, FloatArray]:
    """``n`` points outside the borough but within ``max_m`` metres of its edge."""
    ring = _boundary_bng().buffer(max_m).difference(_boundary_bng())
    shapely.prepare(ring)
    return _uniform_in(rng, ring, n)


def _cells9(x: FloatArray, y: FloatArray, res: int = TRUTH_RESOLUTION) -> npt.NDArray[np.uint64]:
    """H3 cells of BNG points, computed from the coordinates as written to file."""
    lon, lat = _round_coords(x, y)
    return hexes.points_to_cells(lat, lon, res)


def _cell_centres_bng(cells: npt.NDArray[np.uint64]) -> tuple[FloatArray, FloatArray]:
    lat, lng = hexes.cell_centres(cells)
    return _to_bng(lng, lat)


def _cell_str(cell: int | np.uint64) -> str:
    return str(hexes.cells_to_str(np.array([cell], dtype=np.uint64))[0])


@dataclass(frozen=True)
class _Site:
    """A planted res-9 cell: its id and its centre in BNG metres."""

    cell: int
    x: float
    y: float

    @property
    def cell_str(self) -> str:
        return _cell_str(self.cell)


def _points_in_cell(
    rng: np.random.Generator, site: _Site, n: int, radius_m: float
) -> tuple[FloatArray, FloatArray]:
    """``n`` points within ``radius_m`` of a site's centre, checked to stay in its cell."""
    dx, dy = _disk(rng, n, radius_m)
    x, y = site.x + dx, site.y + dy
    if n and not (_cells9(x, y) == np.uint64(site.cell)).all():
        raise RuntimeError("planted points left their cell; reduce the radius")
    return x, y


# ========================================================================= calendar
@dataclass(frozen=True)
class _Calendar:
    """Hour grid over the demo period (UK local, naive)."""

    dow: IntArray  # per hour: 0 = Monday
    hour: IntArray  # per hour: hour of day
    month: IntArray  # per hour: 0 = 2023-01
    month_start_hour: IntArray  # 25 entries, hour index of each month start
    day_dow: IntArray  # per day: 0 = Monday
    day_month: IntArray  # per day: month index
    term_day: BoolArray  # per day: a school day (weekday, not a holiday)
    youth_open: BoolArray  # per day: youth service runs sessions


def _day_mask(ranges: Sequence[tuple[str, str]]) -> BoolArray:
    days = np.arange(_N_DAYS)
    start = _START.astype("datetime64[D]")
    mask = np.zeros(_N_DAYS, dtype=bool)
    for a, b in ranges:
        lo = int((np.datetime64(a) - start).astype(np.int64))
        hi = int((np.datetime64(b) - start).astype(np.int64))
        mask |= (days >= lo) & (days <= hi)
    return mask


@cache
def _calendar() -> _Calendar:
    hours = np.arange(_N_HOURS, dtype=np.int64)
    days = hours // 24
    day_dow = (np.arange(_N_DAYS, dtype=np.int64) + 6) % 7  # 2023-01-01 was a Sunday
    dates = _START.astype("datetime64[D]") + np.arange(_N_DAYS)
    day_month = (dates.astype("datetime64[M]") - np.datetime64(DEMO_FIRST_MONTH, "M")).astype(
        np.int64
    )
    month_starts = np.datetime64(DEMO_FIRST_MONTH, "M") + np.arange(_N_MONTHS + 1)
    month_start_hour = (
        month_starts.astype("datetime64[h]") - _START.astype("datetime64[h]")
    ).astype(np.int64)
    return _Calendar(
        dow=day_dow[days],
        hour=hours % 24,
        month=day_month[days],
        month_start_hour=month_start_hour,
        day_dow=day_dow,
        day_month=day_month,
        term_day=(day_dow < 5) & ~_day_mask(_SCHOOL_HOLIDAYS),
        youth_open=~_day_mask(_YOUTH_CLOSURES),
    )


def _background_hour_weights(cal: _Calendar) -> FloatArray:
    """Relative incident intensity of every hour in the period (time of week x season)."""
    weekend = cal.dow >= 5
    w = np.where(weekend, _WEEKEND_PROFILE[cal.hour], _WEEKDAY_PROFILE[cal.hour])
    night = (
        ((cal.dow == 4) & (cal.hour >= 20))
        | ((cal.dow == 5) & ((cal.hour >= 20) | (cal.hour < 4)))
        | ((cal.dow == 6) & (cal.hour < 4))
    )
    w = np.where(night, w * _NIGHT_BOOST, w)
    calendar_month = cal.month % 12
    return np.asarray(w * _SEASON[calendar_month], dtype=np.float64)


def _weekend_evening_mask(cal: _Calendar) -> BoolArray:
    """Fri/Sat/Sun 19:00-22:59 hours."""
    return (cal.dow >= 4) & (cal.hour >= 19) & (cal.hour < 23)


def _sample_minutes(
    rng: np.random.Generator, weights: FloatArray, month_counts: IntArray, cal: _Calendar
) -> IntArray:
    """Event times (minutes since 2023-01-01 00:00) with given counts per month.

    Within each month the hour is drawn with probability proportional to
    ``weights`` (one per hour of the period), and the minute uniformly.
    """
    counts = np.asarray(month_counts, dtype=np.int64)
    months = np.repeat(np.arange(_N_MONTHS), counts)
    cum = np.concatenate(([0.0], np.cumsum(weights)))
    lo_h = cal.month_start_hour[months]
    hi_h = cal.month_start_hour[months + 1]
    lo, hi = cum[lo_h], cum[hi_h]
    if np.any(hi <= lo):
        raise ValueError("events requested in a month with zero weight")
    u = lo + rng.random(months.size) * (hi - lo)
    h = np.clip(np.searchsorted(cum, u, side="right") - 1, lo_h, hi_h - 1)
    out: IntArray = (h * 60 + rng.integers(0, 60, months.size)).astype(np.int64)
    return out


def _month_mass(weights: FloatArray, cal: _Calendar) -> FloatArray:
    return np.bincount(cal.month, weights=weights, minlength=_N_MONTHS).astype(np.float64)


def _format_times(
    minutes: npt.ArrayLike, missing: BoolArray | None = None
) -> npt.NDArray[np.object_]:
    """``DD/MM/YYYY HH:MM`` strings for minutes since 2023-01-01 00:00; blanks where missing."""
    m = np.asarray(minutes, dtype=np.int64)
    ts = pd.Series(_START + m.astype("timedelta64[m]"))
    out: npt.NDArray[np.object_] = ts.dt.strftime(_DATETIME_FORMAT).to_numpy(dtype=object)
    if missing is not None:
        out[missing] = ""
    return out


def _fmt_coord(v: FloatArray, missing: BoolArray | None = None) -> npt.NDArray[np.object_]:
    out = np.char.mod(f"%.{_COORD_DECIMALS}f", np.asarray(v, dtype=np.float64)).astype(object)
    if missing is not None:
        out[missing] = ""
    return out


def _choice(
    rng: np.random.Generator, options: Sequence[str], p: npt.ArrayLike, n: int
) -> npt.NDArray[np.object_]:
    pa = np.asarray(p, dtype=np.float64)
    idx = rng.choice(len(options), size=n, p=pa / pa.sum())
    return np.asarray(options, dtype=object)[idx]


# ========================================================================= schools
_PRIMARY_NAMES: Final[tuple[str, ...]] = (
    "Riverside Primary School",
    "Kingsmead Primary School",
    "Hollybrook Primary School",
    "Northgate Primary School",
    "Canal Road Primary School",
    "Elmstead Primary School",
    "Marsh Lane Primary School",
    "Greenway Primary School",
    "Ashdown Primary School",
    "Beacon Hill Primary School",
    "Cedar Grove Primary School",
    "Dockside Primary Academy",
    "Eastway Primary School",
    "Fernbank Primary School",
    "Gatefield Primary Academy",
    "Hawthorn Primary School",
    "Ironbridge Park Primary School",
    "Juniper Primary School",
    "Larkspur Primary Academy",
    "Millstream Primary School",
    "Oakwood Lane Primary School",
    "Poplar Walk Primary School",
    "Quayside Primary Academy",
    "Rosemount Primary School",
    "Sandpiper Primary School",
    "Thornfield Primary School",
    "Willowbank Primary School",
    "St Aidan's Church of England Primary School",
    "Our Lady of Grace Catholic Primary School",
)
#: (name, GIAS type, GIAS phase) of the non-primary schools; secondary first.
_OTHER_SCHOOLS: Final[tuple[tuple[str, str, str], ...]] = (
    ("Eastbrook Academy", "Academy converter", "Secondary"),
    ("Northgate Community School", "Community school", "Secondary"),
    ("Riverside Park School", "Foundation school", "Secondary"),
    ("Kingsmead Academy", "Academy sponsor led", "Secondary"),
    ("Broadway High School", "Community school", "Secondary"),
    ("St Columba's Catholic School", "Voluntary aided school", "Secondary"),
    ("Marshfield Free School", "Free schools", "Secondary"),
    ("Harbour Gate School", "Academy converter", "All-through"),
    ("Willow Tree School", "Foundation special school", "Not applicable"),
    ("Lantern House Pupil Referral Unit", "Pupil referral unit", "Not applicable"),
    ("Ashcombe House School", "Other independent school", "Not applicable"),
)
_PRIMARY_TYPES: Final[tuple[str, ...]] = (
    "Community school",
    "Academy converter",
    "Academy sponsor led",
    "Foundation school",
)
_PRIMARY_TYPE_P: Final = np.array([0.55, 0.25, 0.12, 0.08])
_FIRST_URN: Final = 900100


@dataclass(frozen=True)
class _Schools:
    urn: npt.NDArray[np.object_]  # str
    name: npt.NDArray[np.object_]
    type_name: npt.NDArray[np.object_]
    phase: npt.NDArray[np.object_]
    x: FloatArray  # BNG metres
    y: FloatArray

    def mask(self, *phases: str) -> BoolArray:
        return np.isin(self.phase, phases)

    def of_type(self, type_name: str) -> int:
        hit = np.flatnonzero(self.type_name == type_name)
        return int(hit[0])


def _make_schools(rng: np.random.Generator) -> _Schools:
    """Place ~40 fictional schools inside the borough (greedy, spaced apart)."""
    bnd = _boundary_bng()
    cx, cy = _uniform_in(rng, bnd, 3000)
    keep = _edge_distance(cx, cy) >= 200.0
    cx, cy = cx[keep], cy[keep]
    n_other = len(_OTHER_SCHOOLS)
    n_secondary = sum(1 for s in _OTHER_SCHOOLS if s[2] in ("Secondary", "All-through"))
    total = n_other + len(_PRIMARY_NAMES)
    xs = np.empty(total)
    ys = np.empty(total)
    for i in range(total):  # one pass per school (40), vectorised over candidates
        # Secondaries well apart, then the other non-primary schools, then primaries.
        min_d = 900.0 if i < n_secondary else (250.0 if i < n_other else 380.0)
        if i:
            d = np.hypot(cx[:, None] - xs[None, :i], cy[:, None] - ys[None, :i]).min(axis=1)
            ok = np.flatnonzero(d >= min_d)
        else:
            ok = np.arange(cx.size)
        if ok.size == 0:
            raise RuntimeError("could not place the demo schools")
        xs[i], ys[i] = cx[ok[0]], cy[ok[0]]
    names = [s[0] for s in _OTHER_SCHOOLS] + list(_PRIMARY_NAMES)
    types = [s[1] for s in _OTHER_SCHOOLS] + list(
        _choice(rng, _PRIMARY_TYPES, _PRIMARY_TYPE_P, len(_PRIMARY_NAMES))
    )
    for j, nm in enumerate(names):
        if "Church of England" in nm or "Catholic Primary" in nm:
            types[j] = "Voluntary aided school"
        elif nm.endswith("Primary Academy") and not types[j].startswith("Academy"):
            types[j] = "Academy converter"
    phases = [s[2] for s in _OTHER_SCHOOLS] + ["Primary"] * len(_PRIMARY_NAMES)
    # Shuffle before numbering so that URNs do not give away the school's kind.
    order = rng.permutation(total)
    urns = np.array([str(_FIRST_URN + k) for k in range(total)], dtype=object)
    return _Schools(
        urn=urns,
        name=np.array(names, dtype=object)[order],
        type_name=np.array(types, dtype=object)[order],
        phase=np.array(phases, dtype=object)[order],
        x=xs[order],
        y=ys[order],
    )


def _schools_frame(s: _Schools) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "URN": s.urn,
            "EstablishmentName": s.name,
            "TypeOfEstablishment (name)": s.type_name,
            "PhaseOfEducation (name)": s.phase,
            "EstablishmentStatus (name)": "Open",
            "LA (code)": DEMO_LA_CODE,
            "LA (name)": DEMO_LAD_NAME,
            "Postcode": "",
            "Easting": np.round(s.x).astype(np.int64),
            "Northing": np.round(s.y).astype(np.int64),
        },
        columns=list(SCHOOLS_HEADER),
    )


# ========================================================================= layout
@dataclass(frozen=True)
class _Layout:
    """Where the planted signals and the children's home are (seeded)."""

    home_x: float  # the children's home, BNG metres
    home_y: float
    home: _Site  # its res-9 cell
    gap: _Site  # persistent hotspot with the weekend-evening youth-work gap
    persistent: tuple[_Site, _Site]  # the other two persistent hotspots
    emerging: _Site
    fading: _Site
    school_index: int  # the school of the school-journey hotspot
    school_journey: _Site
    found: _Site  # missing found-location hotspot


def _park_outlines_bng() -> list[shapely.Polygon]:
    """Park polygons (BNG metres) used for area sessions of the Parks team."""
    by_name = {p.name: p for p in _PLACES}
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


def _fixed_weekend_geoms() -> list[shapely.Geometry]:
    """Fixed locations (BNG) of Fri/Sat/Sun youth sessions that run past 17:00.

    The Parks team's weekend sessions end by 16:00, so they are not listed.
    """
    return [shapely.Point(*_place(n)) for n in _WEEKEND_PLACES]


def _place(name: str) -> tuple[float, float]:
    p = next(p for p in _PLACES if p.name == name)
    return _km_to_bng(p.east_km, p.north_km)


def _local_intensity_ratio(x: FloatArray, y: FloatArray) -> FloatArray:
    """Expected background around BNG points relative to the borough average.

    The mixture density (ignoring truncation at the edge) averaged over the point
    and six points 350 m away (about the neighbouring res-9 cell centres),
    divided by the mean density over the borough. Dimensionless.
    """
    area = float(_boundary_bng().area)
    px, py = _place_xy()
    sig = np.array([p.sigma_m for p in _PLACES])
    w = np.array([p.weight for p in _PLACES])
    ang = np.deg2rad(np.arange(6) * 60.0)
    ox = np.concatenate(([0.0], 350.0 * np.cos(ang)))
    oy = np.concatenate(([0.0], 350.0 * np.sin(ang)))
    qx = np.asarray(x)[:, None, None] + ox[None, :, None]
    qy = np.asarray(y)[:, None, None] + oy[None, :, None]
    d2 = (qx - px[None, None, :]) ** 2 + (qy - py[None, None, :]) ** 2
    dens = (w / (2.0 * np.pi * sig**2) * np.exp(-d2 / (2.0 * sig**2))).sum(axis=2)
    dens = dens + _FLOOR_WEIGHT / area
    return np.asarray(dens.mean(axis=1) * area, dtype=np.float64)


def _pick(
    cand_x: FloatArray,
    cand_y: FloatArray,
    taken: list[tuple[float, float]],
    min_d: float,
    extra: BoolArray | None = None,
) -> int:
    ok = np.ones(cand_x.size, dtype=bool) if extra is None else extra.copy()
    for tx, ty in taken:
        ok &= np.hypot(cand_x - tx, cand_y - ty) >= min_d
    hit = np.flatnonzero(ok)
    if hit.size == 0:
        raise _PlacementError("could not place the planted signals")
    return int(hit[0])


class _PlacementError(RuntimeError):
    """The planted signals did not fit with one draw of candidate cells."""


def _make_layout(rng: np.random.Generator, schools: _Schools) -> _Layout:
    """Choose the planted cells; redraw candidates (deterministically) if they do not fit."""
    for _ in range(20):
        try:
            return _try_layout(rng, schools)
        except _PlacementError:
            continue
    raise RuntimeError("could not place the planted signals for this seed")


def _try_layout(rng: np.random.Generator, schools: _Schools) -> _Layout:
    """Choose the planted cells, spaced >= 1 km apart and >= 400 m from the edge."""
    # Candidates near activity: the background mixture, snapped to res-9 centres.
    x, y, comp = _background_points(rng, 4000)
    cells = _cells9(x, y)
    cx, cy = _cell_centres_bng(cells)
    interior = _edge_distance(cx, cy) >= 400.0
    cx, cy, cells, comp = cx[interior], cy[interior], cells[interior], comp[interior]
    # Recurring hotspots go where the background is about average or a little busier:
    # in a quiet corner the Gi* neighbourhood sum falls short of the borough mean
    # and a planted cell is hard to see; on a town-centre peak it is hot anyway.
    ratio = _local_intensity_ratio(cx, cy)
    typical = (ratio >= 1.1) & (ratio <= 2.0)

    def site(i: int) -> _Site:
        return _Site(int(cells[i]), float(cx[i]), float(cy[i]))

    taken: list[tuple[float, float]] = []
    # Children's home: in a residential area (estate or floor component).
    kinds = np.array([p.kind for p in _PLACES] + ["floor"], dtype=object)
    residential = np.isin(kinds[comp], ("estate", "floor"))
    i = _pick(cx, cy, taken, _MIN_PLANT_SPACING_M, residential)
    home = site(i)
    dx, dy = _disk(rng, 1, 40.0)
    home_x, home_y = home.x + float(dx[0]), home.y + float(dy[0])
    taken.append((home.x, home.y))
    # The gap hotspot keeps clear of every fixed Fri/Sat/Sun session location.
    pts = shapely.points(cx, cy)
    clear = np.ones(cx.size, dtype=bool)
    for g in _fixed_weekend_geoms():
        clear &= shapely.distance(g, pts) >= _GAP_CLEARANCE_M
    i = _pick(cx, cy, taken, _MIN_PLANT_SPACING_M, clear & typical)
    gap = site(i)
    taken.append((gap.x, gap.y))
    far_gap = np.hypot(cx - gap.x, cy - gap.y) >= _GAP_CLEARANCE_M
    # School-journey hotspot: a cell 150-250 m from one secondary school.
    sec = np.flatnonzero(schools.mask("Secondary", "All-through"))
    sj_index, sj_site = -1, None
    ang = np.deg2rad(np.arange(12) * 30.0)
    for k in rng.permutation(sec):  # a handful of schools
        px = schools.x[k] + 200.0 * np.cos(ang)
        py = schools.y[k] + 200.0 * np.sin(ang)
        pc = _cells9(px, py)
        pcx, pcy = _cell_centres_bng(pc)
        d_school = np.hypot(pcx - schools.x[k], pcy - schools.y[k])
        ok = (d_school <= 250.0) & (d_school >= 100.0) & (_edge_distance(pcx, pcy) >= 300.0)
        # no other school within walking distance: the planted incidents are this school's
        others = np.delete(np.arange(schools.x.size), k)
        d_other = np.hypot(
            pcx[:, None] - schools.x[others][None, :], pcy[:, None] - schools.y[others][None, :]
        )
        ok &= d_other.min(axis=1) >= _SCHOOL_JOURNEY_CLEARANCE_M
        for tx, ty in taken:
            ok &= np.hypot(pcx - tx, pcy - ty) >= _MIN_PLANT_SPACING_M
        hit = np.flatnonzero(ok)
        if hit.size:
            j = int(hit[0])
            sj_index, sj_site = int(k), _Site(int(pc[j]), float(pcx[j]), float(pcy[j]))
            break
    if sj_site is None:
        raise _PlacementError("could not place the school-journey hotspot")
    taken.append((sj_site.x, sj_site.y))
    sites: list[_Site] = []
    for _ in range(4):  # two more persistent, then emerging, then fading
        i = _pick(cx, cy, taken, _MIN_PLANT_SPACING_M, far_gap & typical)
        sites.append(site(i))
        taken.append((cx[i], cy[i]))
    # Missing found-location hotspot: one of the persistent SYV hotspots, so the demo
    # shows what the partnership's scrutiny described (children found missing where
    # young people are hurt) and the overlap test has a planted answer.
    found = sites[1]
    return _Layout(
        home_x=home_x,
        home_y=home_y,
        home=home,
        gap=gap,
        persistent=(sites[0], sites[1]),
        emerging=sites[2],
        fading=sites[3],
        school_index=sj_index,
        school_journey=sj_site,
        found=found,
    )


# ======================================================================= incidents
@dataclass
class _Events:
    """A batch of incidents in BNG metres with minutes since 2023-01-01 00:00."""

    x: FloatArray
    y: FloatArray
    t: IntArray
    category: npt.NDArray[np.object_]
    location_type: npt.NDArray[np.object_]
    age_band: npt.NDArray[np.object_]


def _categories(
    rng: np.random.Generator, n: int, boost: dict[str, float] | None = None
) -> npt.NDArray[np.object_]:
    p = _BACKGROUND_CATEGORY_P.copy()
    for name, f in (boost or {}).items():
        p[_CATEGORIES.index(name)] *= f
    return _choice(rng, _CATEGORIES, p, n)


def _events(
    rng: np.random.Generator,
    x: FloatArray,
    y: FloatArray,
    t: IntArray,
    loc_kind: str,
    boost: dict[str, float] | None = None,
    school_age: bool = False,
) -> _Events:
    n = x.size
    return _Events(
        x=x,
        y=y,
        t=t,
        category=_categories(rng, n, boost),
        location_type=_choice(rng, _LOCATION_TYPES, _LOCATION_P[loc_kind], n),
        age_band=_choice(
            rng, _INCIDENT_AGE_BANDS, _SCHOOL_AGE_P if school_age else _INCIDENT_AGE_P, n
        ),
    )


def _background_incidents(rng: np.random.Generator, cal: _Calendar) -> _Events:
    w = _background_hour_weights(cal)
    mass = _month_mass(w, cal)
    counts = rng.multinomial(_N_BACKGROUND, mass / mass.sum())
    t = _sample_minutes(rng, w, counts, cal)
    x, y, comp = _background_points(rng, _N_BACKGROUND)
    kinds = np.array([p.kind for p in _PLACES] + ["floor"], dtype=object)[comp]
    loc = np.empty(_N_BACKGROUND, dtype=object)
    for kind in ("town_centre", "transport", "estate", "park", "floor"):  # five kinds
        m = kinds == kind
        loc[m] = _choice(rng, _LOCATION_TYPES, _LOCATION_P[kind], int(m.sum()))
    # A few percent just outside the edge (partner extracts spill over boundaries).
    n_out = int(round(_OUTSIDE_SHARE * _N_BACKGROUND))
    moved = rng.choice(_N_BACKGROUND, size=n_out, replace=False)
    x[moved], y[moved] = _ring_outside(rng, n_out, _OUTSIDE_MAX_M)
    loc[moved] = "street"
    ev = _events(rng, x, y, t, "floor")
    ev.location_type = loc
    return ev


def _monthly(rng: np.random.Generator, base: npt.ArrayLike, extra: npt.ArrayLike) -> IntArray:
    """Planted counts per month: a fixed ``base`` plus Poisson(``extra``).

    The fixed part keeps a planted cell elevated in every month it is meant to be
    (a Gi* z-score is capped by the global spread S, which the planted cells
    themselves inflate, so low months would drop out of significance).
    """
    b = np.broadcast_to(np.asarray(base, dtype=np.float64), (_N_MONTHS,))
    e = np.broadcast_to(np.asarray(extra, dtype=np.float64), (_N_MONTHS,))
    out: IntArray = (np.round(b) + rng.poisson(e)).astype(np.int64)
    return out


def _planted_incidents(rng: np.random.Generator, cal: _Calendar, lay: _Layout) -> list[_Events]:
    w_bg = _background_hour_weights(cal)
    wk_eve = np.where(_weekend_evening_mask(cal), w_bg, 0.0)
    out: list[_Events] = []
    months = np.arange(_N_MONTHS)

    # Persistent hotspot with the youth-work gap: mostly weekend evenings.
    counts = _monthly(rng, _PERSISTENT_BASE, _PERSISTENT_EXTRA)
    eve = rng.binomial(counts, 0.7)
    t = np.concatenate(
        [_sample_minutes(rng, wk_eve, eve, cal), _sample_minutes(rng, w_bg, counts - eve, cal)]
    )
    x, y = _points_in_cell(rng, lay.gap, t.size, _PLANT_RADIUS_M)
    out.append(_events(rng, x, y, t, "hotspot", {"violence_with_injury": 2.0, "public_order": 2.0}))

    # Two more persistent hotspots (robbery/knife; drugs/exploitation).
    boosts = ({"robbery": 2.5, "knife_crime": 2.0}, {"drugs": 3.0, "exploitation_concern": 3.0})
    for site, boost in zip(lay.persistent, boosts, strict=True):
        counts = _monthly(rng, _PERSISTENT_BASE, _PERSISTENT_EXTRA)
        t = _sample_minutes(rng, w_bg, counts, cal)
        x, y = _points_in_cell(rng, site, t.size, _PLANT_RADIUS_M)
        out.append(_events(rng, x, y, t, "hotspot", boost))

    # Emerging: nothing until the last six months, then strong and rising.
    ramp = np.clip(months - 17, 0, None).astype(np.float64)  # 0 .. 6
    base = np.where(ramp > 0, _EMERGING_FIRST + _EMERGING_STEP * (ramp - 1.0), 0.0)
    counts = _monthly(rng, base, np.where(ramp > 0, 1.0, 0.0))
    t = _sample_minutes(rng, w_bg, counts, cal)
    x, y = _points_in_cell(rng, lay.emerging, t.size, _PLANT_RADIUS_M)
    out.append(_events(rng, x, y, t, "hotspot", {"robbery": 2.0, "knife_crime": 2.5}))

    # Fading: a hot spot every month, but declining steadily from very strong to
    # moderate, so that Esri's categories read it as Diminishing (hot in >= 90 % of
    # steps, significant downward trend) or, if the last month drops out, Historical.
    base = np.linspace(_FADING_START, _FADING_END, months.size)
    counts = _monthly(rng, base, _PERSISTENT_EXTRA)
    t = _sample_minutes(rng, w_bg, counts, cal)
    x, y = _points_in_cell(rng, lay.fading, t.size, _PLANT_RADIUS_M)
    out.append(_events(rng, x, y, t, "hotspot", {"violence_without_injury": 2.0}))

    # School journey: term-time weekdays, 07:30-09:00 and 15:00-17:30.
    term_days = np.flatnonzero(cal.term_day)
    per_day = rng.poisson(0.45, term_days.size)
    days = np.repeat(term_days, per_day)
    u = rng.uniform(0.0, 240.0, days.size)  # 90 morning minutes + 150 afternoon minutes
    minute_of_day = np.where(u < 90.0, 450.0 + u, 900.0 + (u - 90.0)).astype(np.int64)
    t = days * _MINUTES_PER_DAY + minute_of_day
    x, y = _points_in_cell(rng, lay.school_journey, t.size, _PLANT_RADIUS_M)
    out.append(
        _events(
            rng,
            x,
            y,
            t,
            "school_journey",
            {"robbery": 2.5, "violence_without_injury": 1.5},
            school_age=True,
        )
    )
    return out


def _chains(rng: np.random.Generator, bg: _Events, lay: _Layout) -> tuple[_Events, int]:
    """Near-repeat chains: 2-5 follow-on incidents within 100 m and 14 days of a seed."""
    planted = [lay.gap, *lay.persistent, lay.emerging, lay.fading, lay.school_journey]
    ok = bg.t <= (_N_DAYS - NEAR_REPEAT_DAYS - 1) * _MINUTES_PER_DAY
    ok &= _inside(_boundary_bng(), bg.x, bg.y)
    ok &= _edge_distance(bg.x, bg.y) >= 250.0
    ok &= np.isin(
        bg.category, ("robbery", "violence_with_injury", "knife_crime", "violence_without_injury")
    )
    for s in planted:
        ok &= np.hypot(bg.x - s.x, bg.y - s.y) >= 500.0
    seeds = rng.choice(np.flatnonzero(ok), size=_N_CHAINS, replace=False)
    seeds.sort()
    n_follow = rng.integers(2, 6, _N_CHAINS)
    src = np.repeat(seeds, n_follow)
    dx, dy = _disk(rng, src.size, _CHAIN_RADIUS_M)
    # Self-exciting: the triggering kernel decays exponentially in time (truncated at
    # 14 days), so most follow-on incidents come within a few days of the seed.
    span = NEAR_REPEAT_DAYS - 0.05
    u = rng.random(src.size)
    tau = _CHAIN_DECAY_DAYS
    off_days = -tau * np.log1p(-u * (1.0 - np.exp(-span / tau)))
    t = bg.t[src] + 60 + np.floor(off_days * _MINUTES_PER_DAY).astype(np.int64)
    t = np.minimum(t, bg.t[src] + NEAR_REPEAT_DAYS * _MINUTES_PER_DAY - 1)
    t = np.minimum(t, _END_MINUTE)
    ev = _events(rng, bg.x[src] + dx, bg.y[src] + dy, t, "chain")
    same = rng.random(src.size) < 0.6
    ev.category = np.where(same, bg.category[src], ev.category)
    return ev, int(seeds.size)


def _incidents_frame(rng: np.random.Generator, parts: list[_Events]) -> pd.DataFrame:
    x = np.concatenate([p.x for p in parts])
    y = np.concatenate([p.y for p in parts])
    t = np.concatenate([p.t for p in parts])
    cat = np.concatenate([p.category for p in parts])
    loc = np.concatenate([p.location_type for p in parts])
    age = np.concatenate([p.age_band for p in parts])
    n = t.size
    order = np.argsort(t, kind="stable")
    lon, lat = _round_coords(x, y)
    sex = _choice(rng, _INCIDENT_SEXES, _INCIDENT_SEX_P, n)
    eth = _choice(rng, _ETHNICITIES, _INCIDENT_ETHNICITY_P, n)
    u = rng.random(n)
    knife = np.select(
        [
            cat == "knife_crime",
            cat == "weapons_possession",
            cat == "robbery",
            cat == "violence_with_injury",
        ],
        [0.92, 0.6, 0.15, 0.08],
        0.0,
    )
    other = np.select(
        [cat == "weapons_possession", cat == "robbery", cat == "violence_with_injury"],
        [0.4, 0.05, 0.07],
        0.0,
    )
    weapon = np.where(u < knife, "knife", np.where(u < knife + other, "other", "")).astype(object)
    df = pd.DataFrame(
        {
            "Date and time": _format_times(t),
            "Category": cat,
            "Latitude": _fmt_coord(lat),
            "Longitude": _fmt_coord(lon),
            "Age band": age,
            "Sex": sex,
            "Ethnicity": eth,
            "Weapon": weapon,
            "Location type": loc,
        }
    ).iloc[order]
    df.insert(0, "Incident ID", np.char.mod("INC-%06d", np.arange(1, n + 1)).astype(object))
    return df.reset_index(drop=True)


# ================================================================ missing episodes
def _count_repeat_children(child: npt.ArrayLike, reported_min: npt.ArrayLike) -> int:
    """Children with >= 3 episodes reported within 90 days (inclusive).

    Parameters
    ----------
    child : array_like
        Child identifier per episode.
    reported_min : array_like of int
        Reported-missing time per episode, minutes since any fixed epoch.
    """
    c = np.asarray(child)
    t = np.asarray(reported_min, dtype=np.int64)
    k = REPEAT_MISSING_EPISODES - 1
    if c.size <= k:
        return 0
    order = np.lexsort((t, c))
    c, t = c[order], t[order]
    hit = (c[k:] == c[:-k]) & (t[k:] - t[:-k] <= REPEAT_MISSING_DAYS * _MINUTES_PER_DAY)
    return int(np.unique(c[k:][hit]).size)


def _missing_frame(
    rng: np.random.Generator,
    cal: _Calendar,
    lay: _Layout,
    schools: _Schools,
    null: bool,
) -> tuple[pd.DataFrame, int, int]:
    """Missing episodes from a cohort of pseudonymous children.

    Returns the partner-format frame, the number of repeat-missing children (>= 3
    episodes within 90 days, computed from the data) and the cohort size.
    """
    n_c = _N_CHILDREN
    n_r = _N_REPEAT_CHILDREN
    repeat = np.arange(n_c) < n_r
    lac = np.zeros(n_c, dtype=bool)
    lac[:8] = True  # looked-after repeat children
    lac[n_r : n_r + 45] = True
    in_home = np.zeros(n_c, dtype=bool)
    in_home[:6] = True  # placed in the demo children's home
    in_home[n_r : n_r + 8] = True
    ids = np.char.mod("C-%05d", rng.choice(np.arange(10000, 100000), n_c, replace=False)).astype(
        object
    )

    # Child attributes.
    age0 = np.where(
        repeat,
        rng.uniform(12.5, 15.9, n_c),
        np.select(
            [rng.random(n_c) < 0.05, rng.random(n_c) < 0.32],
            [rng.uniform(8.0, 10.0, n_c), rng.uniform(10.0, 13.0, n_c)],
            rng.uniform(13.0, 15.9, n_c),
        ),
    )
    sex = _choice(rng, _CHILD_SEXES, _CHILD_SEX_P, n_c)
    eth = _choice(rng, _ETHNICITIES, _CHILD_ETHNICITY_P, n_c)
    estate_w = [p.weight if p.kind == "estate" else 0.0 for p in _PLACES]
    hx, hy, _ = _mixture(rng, n_c, estate_w, 0.18)
    hx = np.where(in_home, lay.home_x, hx)
    hy = np.where(in_home, lay.home_y, hy)
    home_area = hexes.cells_to_str(_cells9(hx, hy, res=7)).astype(object)

    # School URN: nearest-ish primary or secondary, some dual-registered with the PRU.
    is_primary = schools.mask("Primary")
    is_secondary = schools.mask("Secondary", "All-through")
    d = np.hypot(hx[:, None] - schools.x[None, :], hy[:, None] - schools.y[None, :])
    primary_age = (age0 + 0.67) < 11.0
    d_main = np.where(
        np.where(primary_age[:, None], is_primary[None, :], is_secondary[None, :]), d, np.inf
    )
    near3 = np.argsort(d_main, axis=1, kind="stable")[:, :3]
    pick = rng.choice(3, size=n_c, p=[0.6, 0.25, 0.15])
    main = near3[np.arange(n_c), pick]
    u = rng.random(n_c)
    special = schools.of_type("Foundation special school")
    independent = schools.of_type("Other independent school")
    pru = schools.of_type("Pupil referral unit")
    main = np.where(u < 0.03, special, np.where(u < 0.04, independent, main))
    urn = schools.urn[main].astype(object)
    dual = (rng.random(n_c) < np.where(repeat, 0.4, 0.07)) & ~primary_age & (u >= 0.04)
    urn = np.where(dual, urn + ";" + schools.urn[pru], urn)
    no_school = (age0 >= 15.5) & (rng.random(n_c) < 0.35)
    urn = np.where(no_school, "", urn).astype(object)

    # Episode times (days since 2023-01-01). Non-repeat children keep >= 47 days
    # between episodes, so they never have 3 within 90 days; repeat children are
    # missing in bursts, at least 2 days apart.
    k = np.where(repeat, rng.integers(10, 37, n_c), 1 + np.minimum(rng.poisson(2.0, n_c), 7))
    gap = np.where(repeat, 2.0, 47.0)
    span = _N_DAYS - 0.01
    win = np.where(repeat, np.minimum(k * rng.uniform(10.0, 22.0, n_c), 720.0), span)
    start = np.where(repeat, rng.uniform(0.0, 1.0, n_c) * (span - win), 0.0)
    child = np.repeat(np.arange(n_c), k)
    rank = np.arange(child.size) - np.repeat(np.cumsum(k) - k, k)
    u = rng.random(child.size) * (win - (k - 1) * gap)[child]
    u = u[np.lexsort((u, child))]
    t_days = start[child] + u + rank * gap[child]
    hour = rng.choice(
        24, size=child.size, p=_MISSING_REPORT_PROFILE / _MISSING_REPORT_PROFILE.sum()
    )
    reported = (
        np.floor(t_days).astype(np.int64) * _MINUTES_PER_DAY
        + hour * 60
        + rng.integers(0, 60, child.size)
    )
    n_e = reported.size

    # Durations: mostly hours, long tail to days; never overlapping the next episode.
    dur = np.clip(np.exp(rng.normal(np.log(9.0), 1.15, n_e)) * 60.0, 30.0, 14 * _MINUTES_PER_DAY)
    nxt = np.append(reported[1:], np.iinfo(np.int64).max // 2)
    same_next = np.append(child[1:] == child[:-1], False)
    limit = np.where(same_next, nxt - reported - 60, np.inf)
    dur = np.minimum(dur, limit).astype(np.int64)
    returned = reported + dur
    still_missing = returned > _END_MINUTE

    # Found / last-seen location.
    cat = rng.random(n_e)
    blank = cat < 0.04
    at_home = ~blank & in_home[child] & (rng.random(n_e) < 0.6)
    p_hot = np.where(repeat[child], 0.25, 0.11)
    hot = ~blank & ~at_home & (rng.random(n_e) < p_hot) & (not null)
    near_home = ~blank & ~at_home & ~hot & (rng.random(n_e) < 0.35)
    busy_w = [p.weight if p.kind in ("town_centre", "transport") else 0.0 for p in _PLACES]
    fx, fy, _ = _mixture(rng, n_e, busy_w, 0.1)
    gx = hx[child] + rng.normal(0.0, 350.0, n_e)
    gy = hy[child] + rng.normal(0.0, 350.0, n_e)
    gin = _inside(_boundary_bng(), gx, gy)
    fx = np.where(near_home & gin, gx, fx)
    fy = np.where(near_home & gin, gy, fy)
    ax, ay = _disk(rng, n_e, _HOME_RADIUS_M)
    fx = np.where(at_home, lay.home_x + ax, fx)
    fy = np.where(at_home, lay.home_y + ay, fy)
    sx, sy = _disk(rng, n_e, _PLANT_RADIUS_M)
    fx = np.where(hot, lay.found.x + sx, fx)
    fy = np.where(hot, lay.found.y + sy, fy)
    if hot.any() and not (_cells9(fx[hot], fy[hot]) == np.uint64(lay.found.cell)).all():
        raise RuntimeError("found-location hotspot points left their cell")
    flon, flat = _round_coords(fx, fy)

    # Return-home interviews.
    r = rng.random(n_e)
    status = np.select(
        [r < 0.60, r < 0.70, r < 0.88], ["completed", "declined", "offered"], "not_offered"
    ).astype(object)
    status[still_missing] = "not_offered"
    soon = rng.random(n_e) < 0.68
    delay_h = np.where(soon, rng.uniform(3.0, 72.0, n_e), rng.uniform(72.0, 14 * 24.0, n_e))
    rhi_at = returned + (delay_h * 60.0).astype(np.int64)
    late = (status == "completed") & (rhi_at > _END_MINUTE)
    status[late] = "offered"
    completed = status == "completed"
    themes = _themes(rng, completed, repeat[child] | hot)

    # Age band at the episode; risk level.
    age = age0[child] + t_days / 365.25
    age_band = np.select([age < 10.0, age < 14.0], ["under 10", "10-13"], "14-17").astype(object)
    risk_p = np.where(
        repeat[child][:, None], [[0.02, 0.18, 0.45, 0.35]], [[0.12, 0.40, 0.38, 0.10]]
    )
    risk_idx = (rng.random(n_e)[:, None] > np.cumsum(risk_p, axis=1)).sum(axis=1)
    risk = np.asarray(_RISK_LEVELS, dtype=object)[np.minimum(risk_idx, 3)]

    order = np.argsort(reported, kind="stable")
    df = pd.DataFrame(
        {
            "Child ID": ids[child],
            "Date reported missing": _format_times(reported),
            "Date returned": _format_times(returned, still_missing),
            "Found latitude": _fmt_coord(flat, blank),
            "Found longitude": _fmt_coord(flon, blank),
            "Home area": home_area[child],
            "School URN": urn[child],
            "Looked after": np.where(lac[child], "Y", "N").astype(object),
            "Age band": age_band,
            "Sex": sex[child],
            "Ethnicity": eth[child],
            "RHI status": status,
            "RHI completed": _format_times(rhi_at, ~completed),
            "RHI themes": themes,
            "Risk level": risk,
        }
    ).iloc[order]
    df.insert(0, "Episode ID", np.char.mod("EP-%06d", np.arange(1, n_e + 1)).astype(object))
    repeat_children = _count_repeat_children(child, reported)
    return df.reset_index(drop=True), repeat_children, n_c


def _themes(
    rng: np.random.Generator, completed: BoolArray, exploited: BoolArray
) -> npt.NDArray[np.object_]:
    """0-3 distinct RHI theme codes per completed interview, joined by ';'."""
    n = completed.size
    w = np.tile(_RHI_THEME_W, (n, 1))
    w[exploited, 0] *= 3.0
    w[exploited, 1] *= 1.5
    w[exploited, 4] *= 1.5
    # Gumbel top-k gives k distinct themes drawn with probability proportional to w.
    keys = np.log(w) + rng.gumbel(size=w.shape)
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    n_themes = rng.choice(4, size=n, p=[0.15, 0.35, 0.32, 0.18])
    chosen = (rank < n_themes[:, None]) & completed[:, None]
    out = np.full(n, "", dtype=object)
    for j, theme in enumerate(_RHI_THEMES):  # eight codes
        col = chosen[:, j]
        out = np.where(col & (out == ""), theme, np.where(col, out + ";" + theme, out))
    return out.astype(object)


# ================================================================== youth sessions
@dataclass(frozen=True)
class _Slot:
    """One weekly session: team, weekday (0 = Monday), start, length, where."""

    team: str
    weekday: int
    start_min: int  # minutes after midnight
    length_min: int
    x: float  # point location, BNG metres (ignored for an area session)
    y: float
    area: shapely.Polygon | None
    contacts_mean: float


#: Fixed places of Fri/Sat/Sun sessions running past 17:00 (the gap cell keeps away).
_WEEKEND_PLACES: Final[tuple[str, ...]] = ("Broadway town centre", "Market Square town centre")


def _timetable(lay: _Layout) -> list[_Slot]:
    """The youth service's weekly timetable (about 20 sessions a week)."""
    parks = _park_outlines_bng()

    def at(name: str, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
        x, y = _place(name)
        return x + dx, y + dy

    b, c = lay.persistent
    nd, sd, tc, pk, bus = (
        "North detached team",
        "South detached team",
        "Town centres team",
        "Parks team",
        "Mobile youth bus",
    )
    slots = [
        _Slot(nd, 0, 18 * 60, 180, *at("Northgate station", 60, -40), None, 12.0),
        _Slot(nd, 2, 18 * 60 + 30, 180, b.x + 70.0, b.y - 40.0, None, 14.0),
        _Slot(
            nd, 4, 19 * 60, 180, b.x - 60.0, b.y + 80.0, None, 16.0
        ),  # covers B at weekend evening
        _Slot(
            sd, 1, 18 * 60, 180, lay.gap.x + 90.0, lay.gap.y - 50.0, None, 13.0
        ),  # gap cell, weekday only
        _Slot(sd, 3, 18 * 60, 180, *at("Hollybrook estate", -50, 30), None, 11.0),
        _Slot(
            sd, 5, 19 * 60, 210, c.x + 80.0, c.y + 60.0, None, 15.0
        ),  # covers C at weekend evening
        _Slot(sd, 2, 16 * 60, 150, *at("Riverside DLR", 40, 40), None, 9.0),
        _Slot(tc, 0, 15 * 60 + 30, 180, *at("Broadway town centre", 30, 20), None, 14.0),
        _Slot(tc, 1, 15 * 60 + 30, 180, *at("Market Square town centre", -40, 10), None, 13.0),
        _Slot(tc, 3, 15 * 60 + 30, 180, *at("Eastway interchange", 20, -30), None, 12.0),
        _Slot(tc, 4, 15 * 60 + 30, 180, *at("Broadway town centre", -30, -20), None, 15.0),
        _Slot(tc, 5, 14 * 60, 240, *at("Broadway town centre", 10, 40), None, 17.0),
        _Slot(pk, 2, 16 * 60, 180, 0.0, 0.0, parks[0], 10.0),
        _Slot(pk, 5, 12 * 60, 240, 0.0, 0.0, parks[0], 14.0),
        _Slot(pk, 6, 12 * 60, 240, 0.0, 0.0, parks[1], 9.0),
        _Slot(pk, 3, 16 * 60, 180, 0.0, 0.0, parks[1], 8.0),
        _Slot(bus, 1, 17 * 60, 180, *at("Kingsmead estate", 30, -30), None, 12.0),
        _Slot(bus, 2, 17 * 60, 180, *at("Canal Road estate", -20, 20), None, 11.0),
        _Slot(bus, 3, 19 * 60, 180, *at("Riverside DLR", -30, 50), None, 10.0),
        _Slot(bus, 5, 18 * 60, 240, *at("Market Square town centre", 20, 30), None, 16.0),
    ]
    return slots


def _youth_frame(rng: np.random.Generator, cal: _Calendar, lay: _Layout) -> pd.DataFrame:
    """Sessions from the weekly timetable over the whole period (about 5 % cancelled)."""
    frames: list[pd.DataFrame] = []
    for slot in _timetable(lay):  # ~20 slots
        days = np.flatnonzero((cal.day_dow == slot.weekday) & cal.youth_open)
        days = days[rng.random(days.size) >= 0.05]
        n = days.size
        start = days * _MINUTES_PER_DAY + slot.start_min
        contacts = np.clip(rng.poisson(slot.contacts_mean, n), 0, 30)
        referrals = np.minimum(rng.binomial(contacts, 0.05), 3).astype(object)
        referrals[rng.random(n) < 0.05] = ""
        if slot.area is None:
            jx, jy = _disk(rng, n, 40.0)
            lon, lat = _round_coords(slot.x + jx, slot.y + jy)
            lat_s, lon_s, wkt = _fmt_coord(lat), _fmt_coord(lon), np.full(n, "", dtype=object)
        else:
            xy = np.asarray(slot.area.exterior.coords)
            alon, alat = _to_lonlat(xy[:, 0], xy[:, 1])
            area = shapely.Polygon(np.column_stack([alon, alat]))
            lat_s = lon_s = np.full(n, "", dtype=object)
            wkt = np.full(n, shapely.to_wkt(area, rounding_precision=6, trim=True), dtype=object)
        frames.append(
            pd.DataFrame(
                {
                    "_start": start,
                    "Team": slot.team,
                    "Start": _format_times(start),
                    "End": _format_times(start + slot.length_min),
                    "Latitude": lat_s,
                    "Longitude": lon_s,
                    "Area WKT": wkt,
                    "Contacts": contacts.astype(np.int64),
                    "Referrals": referrals,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values("_start", kind="stable").drop(columns="_start").reset_index(drop=True)
    df.insert(0, "Session ID", np.char.mod("YS-%06d", np.arange(1, len(df) + 1)).astype(object))
    return df


# ================================================================ school outcomes
#: School terms of the demo period (label, first day).
_OUTCOME_TERMS: Final[tuple[tuple[str, str], ...]] = (
    ("2022/23 spring", "04/01/2023"),
    ("2022/23 summer", "17/04/2023"),
    ("2023/24 autumn", "04/09/2023"),
    ("2023/24 spring", "04/01/2024"),
    ("2023/24 summer", "15/04/2024"),
    ("2024/25 autumn", "02/09/2024"),
)
#: Pupils on roll (a fictional round number per kind of school).
_ROLL: Final[dict[str, int]] = {"Secondary": 1000, "All-through": 1400, "special": 150, "pru": 60}
#: Termly rates per pupil for White pupils; Black pupils' rates are planted higher.
_OUTCOME_RATE: Final[dict[str, float]] = {
    "fixed_term_exclusion": 0.02,
    "managed_move": 0.003,
    "permanent_exclusion": 0.0004,
}
#: Planted relative rate of Black pupils (against White) for every measure.
OUTCOME_BLACK_RATE_RATIO: Final = 2.5
_OUTCOME_GROUP_RATIO: Final[dict[str, float]] = {
    "black": OUTCOME_BLACK_RATE_RATIO,
    "white": 1.0,
    "asian": 0.5,
    "mixed": 1.5,
    "other": 1.0,
    "": 1.0,
}
_MALE_RATIO: Final = 2.0  # boys are excluded about twice as often as girls


def _outcomes_frame(rng: np.random.Generator, schools: _Schools) -> pd.DataFrame:
    """Termly exclusion and managed-move counts per school, group and sex.

    Only schools that exclude appear (secondary, all-through, special, the PRU).
    Pupils by group follow the cohort's ethnic mix; counts are Poisson around
    roll x share x rate, with the planted Black relative rate.
    """
    kind = np.where(
        schools.type_name == "Pupil referral unit",
        "pru",
        np.where(schools.type_name == "Foundation special school", "special", schools.phase),
    )
    which = np.flatnonzero(np.isin(kind, list(_ROLL)))
    groups = np.array(_ETHNICITIES, dtype=object)
    measures = np.array(list(_OUTCOME_RATE), dtype=object)
    sexes = np.array(["male", "female"], dtype=object)
    grid = np.array(
        np.meshgrid(
            which,
            np.arange(len(_OUTCOME_TERMS)),
            np.arange(len(measures)),
            np.arange(len(groups)),
            np.arange(2),
            indexing="ij",
        )
    ).reshape(5, -1)
    s_i, t_i, m_i, g_i, x_i = grid
    roll = np.array([_ROLL[str(k)] for k in kind[s_i]], dtype=float)
    share = _CHILD_ETHNICITY_P[g_i] * 0.5
    rate = np.array([_OUTCOME_RATE[str(m)] for m in measures[m_i]])
    ratio = np.array([_OUTCOME_GROUP_RATIO[str(g)] for g in groups[g_i]])
    sex_ratio = np.where(x_i == 0, 2.0 * _MALE_RATIO / (1 + _MALE_RATIO), 2.0 / (1 + _MALE_RATIO))
    pru = np.where(kind[s_i] == "pru", 4.0, 1.0)
    counts = rng.poisson(roll * share * rate * ratio * sex_ratio * pru)
    terms = np.array(_OUTCOME_TERMS, dtype=object)
    return pd.DataFrame(
        {
            "URN": schools.urn[s_i],
            "Period": terms[t_i, 0],
            "Period start": terms[t_i, 1],
            "Measure": np.char.replace(measures[m_i].astype(str), "_", " ").astype(object),
            "Ethnic group": groups[g_i],
            "Sex": sexes[x_i],
            "Count": counts.astype(np.int64),
        }
    )


# ============================================================ census areas and populations
#: Code prefix of the fictional LSOA-like areas (``E01999001`` ...; not real GSS codes in
#: use, but shaped like them so the area-statistics adapter accepts them).
DEMO_AREA_PREFIX: Final = "E01999"
#: Grid of the regular partition of the borough into areas (BNG metres).
_AREA_CELL_M: Final = (1200.0, 1000.0)
#: Pieces of the grid smaller than this share of a full square join a neighbour.
_AREA_MIN_SHARE: Final = 0.3
_AREA_RESIDENTS: Final = (1400, 2400)  # residents per area, uniform
#: Census 2021 TS021 broad groups, in the order of the tables below.
CENSUS_GROUP_NAMES: Final[tuple[str, ...]] = (
    "Asian, Asian British or Asian Welsh",
    "Black, Black British, Black Welsh, Caribbean or African",
    "Mixed or Multiple ethnic groups",
    "White",
    "Other ethnic group",
)
_CENSUS_GROUPS: Final[tuple[str, ...]] = ("asian", "black", "mixed", "white", "other")
#: Population age bands: police.uk's stop-and-search age ranges.
POPULATION_AGE_BANDS: Final[tuple[str, ...]] = ("under 10", "10-17", "18-24", "25-34", "over 34")
_BAND_SHARE: Final = np.array([0.13, 0.10, 0.09, 0.17, 0.51])
_CHILD_MIX: Final = np.array(
    [_CHILD_ETHNICITY_P[_ETHNICITIES.index(g)] for g in _CENSUS_GROUPS]
) / sum(_CHILD_ETHNICITY_P[_ETHNICITIES.index(g)] for g in _CENSUS_GROUPS)
#: Ethnic mix by age band (asian, black, mixed, white, other): children follow the
#: demo cohort's mix (so exclusions and missing episodes compare like with like).
_BAND_MIX: Final = np.array(
    [
        _CHILD_MIX,
        _CHILD_MIX,
        [0.20, 0.24, 0.08, 0.42, 0.06],
        [0.22, 0.20, 0.05, 0.46, 0.07],
        [0.17, 0.16, 0.03, 0.58, 0.06],
    ]
)
_AREA_TILT_SIGMA: Final = 0.35  # log-normal spread of each group's share between areas

# ================================================================= stop and search
#: The police.uk stop-and-search header, exactly as the adapter reads it.
STOP_SEARCH_HEADER: Final[tuple[str, ...]] = tuple(STOP_SEARCH_COLUMNS)
#: Searches a year per 1,000 White residents of each age band (the reference group).
_SEARCH_RATE: Final = np.array([0.0, 45.0, 70.0, 30.0, 6.0])
#: Planted relative rate index against White residents of the same age band.
STOP_SEARCH_RRI: Final[dict[str, dict[str, float]]] = {
    "10-17": {"asian": 1.2, "black": 3.0, "mixed": 1.5, "other": 1.0, "white": 1.0},
    "other ages": {"asian": 1.2, "black": 2.5, "mixed": 1.5, "other": 1.0, "white": 1.0},
}
#: Share of searches with an outcome other than no further action, by group.
_ACTION_P: Final[dict[str, float]] = {
    "asian": 0.28,
    "black": 0.23,
    "mixed": 0.26,
    "white": 0.30,
    "other": 0.28,
}
#: Share of those outcomes linked to the object of search.
_LINKED_GIVEN_ACTION: Final = 0.8
_LINKED_BLANK_P: Final = 0.02
_SELF_DEFINED: Final[dict[str, tuple[str, ...]]] = {
    "asian": (
        "Asian/Asian British - Indian",
        "Asian/Asian British - Pakistani",
        "Asian/Asian British - Bangladeshi",
        "Asian/Asian British - Chinese",
        "Asian/Asian British - Any other Asian background",
    ),
    "black": (
        "Black/African/Caribbean/Black British - African",
        "Black/African/Caribbean/Black British - Caribbean",
        "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
    ),
    "mixed": (
        "Mixed/Multiple ethnic groups - White and Black Caribbean",
        "Mixed/Multiple ethnic groups - White and Black African",
        "Mixed/Multiple ethnic groups - White and Asian",
        "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background",
    ),
    "white": (
        "White - English/Welsh/Scottish/Northern Irish/British",
        "White - Irish",
        "White - Any other White background",
    ),
    "other": ("Other ethnic group - Arab", "Other ethnic group - Any other ethnic group"),
}
_NOT_STATED_P: Final = 0.07  # self-defined "Other ethnic group - Not stated"
_SELF_BLANK_P: Final = 0.02
#: Officer-defined ethnicity (four groups, no Mixed, as in many police.uk files):
#: the officer's perception of each self-defined group.
_OFFICER_OPTIONS: Final[tuple[str, ...]] = ("Asian", "Black", "White", "Other", "")
_OFFICER_P: Final[dict[str, tuple[float, ...]]] = {
    "asian": (0.90, 0.01, 0.03, 0.04, 0.02),
    "black": (0.01, 0.94, 0.01, 0.02, 0.02),
    "mixed": (0.03, 0.55, 0.28, 0.12, 0.02),
    "white": (0.01, 0.01, 0.94, 0.02, 0.02),
    "other": (0.25, 0.05, 0.18, 0.50, 0.02),
}
_OBJECTS: Final[tuple[tuple[str, str, float], ...]] = (
    ("Controlled drugs", "Misuse of Drugs Act 1971 (section 23)", 0.62),
    ("Offensive weapons", "Police and Criminal Evidence Act 1984 (section 1)", 0.14),
    ("Offensive weapons", "Criminal Justice and Public Order Act 1994 (section 60)", 0.04),
    ("Stolen goods", "Police and Criminal Evidence Act 1984 (section 1)", 0.10),
    (
        "Articles for use in criminal damage",
        "Police and Criminal Evidence Act 1984 (section 1)",
        0.05,
    ),
    (
        "Evidence of offences under the Act",
        "Police and Criminal Evidence Act 1984 (section 1)",
        0.03,
    ),
    ("Firearms", "Firearms Act 1968 (section 47)", 0.02),
)
NO_FURTHER_ACTION_OUTCOME: Final = "A no further action disposal"
_ACTION_OUTCOMES: Final[tuple[str, ...]] = (
    "Arrest",
    "Community resolution",
    "Khat or Cannabis warning",
    "Penalty Notice for Disorder",
    "Summons / charged by post",
    "Caution (simple or conditional)",
)
_ACTION_OUTCOME_P: Final = np.array([0.40, 0.30, 0.16, 0.06, 0.05, 0.03])
_AGE_BLANK_P: Final = 0.03


@dataclass(frozen=True)
class _Areas:
    """The fictional LSOA-like areas and their residents by age band and group."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    polygons: tuple[shapely.Polygon, ...]  # BNG metres
    residents: npt.NDArray[np.int64]  # areas x bands x groups (_CENSUS_GROUPS order)


def _area_polygons() -> list[shapely.Polygon]:
    """A regular partition of the borough (BNG), slivers merged into a neighbour.

    Ordered north to south, then west to east. Deterministic (no randomness).
    """
    bnd = _boundary_bng()
    minx, miny, maxx, maxy = shapely.bounds(bnd).tolist()
    w, h = _AREA_CELL_M
    cols = int(np.ceil((maxx - minx) / w))
    rows = int(np.ceil((maxy - miny) / h))
    x0 = (minx + maxx) / 2 - cols * w / 2
    y0 = (miny + maxy) / 2 - rows * h / 2
    pieces: list[shapely.Geometry] = []
    for r in range(rows - 1, -1, -1):  # north first
        for c in range(cols):
            square = shapely.box(x0 + c * w, y0 + r * h, x0 + (c + 1) * w, y0 + (r + 1) * h)
            piece = shapely.intersection(bnd, square)
            if not piece.is_empty and float(shapely.area(piece)) > 1.0:
                pieces.append(piece)
    full = w * h
    areas = [float(shapely.area(p)) for p in pieces]
    big = [p for p, a in zip(pieces, areas, strict=True) if a >= _AREA_MIN_SHARE * full]
    for small in (p for p, a in zip(pieces, areas, strict=True) if a < _AREA_MIN_SHARE * full):
        shared = [
            float(
                shapely.length(shapely.intersection(shapely.boundary(small), shapely.boundary(b)))
            )
            for b in big
        ]
        j = int(np.argmax(shared))
        if shared[j] > 0:
            big[j] = shapely.union(big[j], small)
        else:
            big.append(small)
    out = []
    for p in big:
        merged = shapely.make_valid(p)
        if not isinstance(merged, shapely.Polygon):  # the largest part of a degenerate union
            merged = max(shapely.get_parts(merged), key=lambda g: float(shapely.area(g)))
        if not isinstance(merged, shapely.Polygon):
            raise RuntimeError("could not partition the demo borough into areas")
        out.append(orient(merged, sign=1.0))
    return out


def _make_areas(rng: np.random.Generator) -> _Areas:
    """Areas with residents by age band and ethnic group (consistent by construction:
    the all-ages census table is the sum over bands)."""
    polys = _area_polygons()
    n = len(polys)
    totals = rng.integers(_AREA_RESIDENTS[0], _AREA_RESIDENTS[1] + 1, n)
    tilt = np.exp(rng.normal(0.0, _AREA_TILT_SIGMA, (n, len(_CENSUS_GROUPS))))
    residents = np.zeros((n, len(POPULATION_AGE_BANDS), len(_CENSUS_GROUPS)), dtype=np.int64)
    for i in range(n):  # ~30 areas
        bands = rng.multinomial(int(totals[i]), _BAND_SHARE / _BAND_SHARE.sum())
        mix = _BAND_MIX * tilt[i][None, :]
        mix = mix / mix.sum(axis=1, keepdims=True)
        for b in range(len(POPULATION_AGE_BANDS)):
            residents[i, b] = rng.multinomial(int(bands[b]), mix[b])
    codes = tuple(f"{DEMO_AREA_PREFIX}{k + 1:03d}" for k in range(n))
    names = tuple(f"Demo borough (synthetic) {k + 1:03d}A" for k in range(n))
    return _Areas(codes, names, tuple(polys), residents)


def _areas_geojson(areas: _Areas) -> dict[str, Any]:
    features = []
    for code, name, poly in zip(areas.codes, areas.names, areas.polygons, strict=True):
        xy = np.asarray(poly.exterior.coords)
        lon, lat = _to_lonlat(xy[:, 0], xy[:, 1])
        ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
        features.append(
            {
                "type": "Feature",
                "properties": {"LSOA21CD": code, "LSOA21NM": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "name": "demo_lsoa21_synthetic", "features": features}


def _census_long(areas: _Areas) -> pd.DataFrame:
    """Census 2021 TS021-style long table (as the Havering extract in shared data)."""
    by_group = areas.residents.sum(axis=1)  # areas x groups
    total = by_group.sum(axis=1)
    n_a, n_g = by_group.shape
    return pd.DataFrame(
        {
            "lsoa21_code": np.repeat(np.asarray(areas.codes, dtype=object), n_g),
            "total_residents": np.repeat(total, n_g).astype(float),
            "ethnic_group": np.tile(np.asarray(CENSUS_GROUP_NAMES, dtype=object), n_a),
            "n": by_group.ravel().astype(float),
            "prop": (by_group / total[:, None]).ravel(),
        }
    )


def _census_by_age(areas: _Areas) -> pd.DataFrame:
    """Residents by ethnic group and age band, one column per ``"<group> | <band>"``."""
    cols: dict[str, Any] = {"LSOA21CD": list(areas.codes), "LSOA21NM": list(areas.names)}
    for gi, group in enumerate(CENSUS_GROUP_NAMES):
        for bi, band in enumerate(POPULATION_AGE_BANDS):
            cols[f"{group} | {band}"] = areas.residents[:, bi, gi]
    return pd.DataFrame(cols)


#: Single years of age (ONS mid-year estimate columns) making up each age band.
_BAND_YEARS: Final[tuple[tuple[str, ...], ...]] = (
    tuple(str(a) for a in range(0, 10)),
    tuple(str(a) for a in range(10, 18)),
    tuple(str(a) for a in range(18, 25)),
    tuple(str(a) for a in range(25, 35)),
    (*(str(a) for a in range(35, 90)), "90+"),
)


def _population_by_single_year(areas: _Areas) -> pd.DataFrame:
    """Residents by single year of age (the ONS mid-year LSOA estimates' layout): each
    band's residents spread evenly over its years, so band totals are exact."""
    cols: dict[str, Any] = {"LSOA21CD": list(areas.codes), "LSOA21NM": list(areas.names)}
    by_band = areas.residents.sum(axis=2)  # areas x bands
    for bi, years in enumerate(_BAND_YEARS):
        base, extra = np.divmod(by_band[:, bi], len(years))
        for yi, year in enumerate(years):
            cols[year] = base + (yi < extra)
    return pd.DataFrame(cols)


def _planted_rri(null: bool) -> dict[str, dict[str, float]]:
    """The planted relative rates (all 1 when nothing is planted)."""
    if null:
        return {k: dict.fromkeys(v, 1.0) for k, v in STOP_SEARCH_RRI.items()}
    return STOP_SEARCH_RRI


def _action_p(null: bool) -> dict[str, float]:
    """Share of searches with an outcome other than no further action, by group."""
    return dict.fromkeys(_ACTION_P, _ACTION_P["white"]) if null else dict(_ACTION_P)


def _expected_searches(areas: _Areas, null: bool = False) -> FloatArray:
    """Expected searches over the demo period per age band (rows) and group (columns):
    residents x the White rate x the planted relative rate."""
    pop = areas.residents.sum(axis=0).astype(np.float64)  # bands x groups
    ratio = np.array(
        [
            [
                _planted_rri(null)["10-17" if b == "10-17" else "other ages"][g]
                for g in _CENSUS_GROUPS
            ]
            for b in POPULATION_AGE_BANDS
        ]
    )
    years = _N_DAYS / 365.25
    return np.asarray(pop * _SEARCH_RATE[:, None] / 1000.0 * ratio * years, dtype=np.float64)


def _stop_search_frame(
    rng: np.random.Generator, areas: _Areas, cal: _Calendar, null: bool = False
) -> pd.DataFrame:
    """Synthetic police.uk stop-and-search records with a planted disproportionality.

    Searches per age band and self-defined group are Poisson around residents x the
    White rate x :data:`STOP_SEARCH_RRI`; times follow the incident time profile;
    places follow the urban mixture (town centres and hubs weighted up).
    """
    expected = _expected_searches(areas, null)
    counts = rng.poisson(expected)  # bands x groups
    n_bands, n_groups = counts.shape
    band = np.repeat(np.repeat(np.arange(n_bands), n_groups), counts.ravel())
    group = np.repeat(np.tile(np.arange(n_groups), n_bands), counts.ravel())
    n = band.size
    order = rng.permutation(n)
    band, group = band[order], group[order]
    groups = np.asarray(_CENSUS_GROUPS, dtype=object)[group]

    w = _background_hour_weights(cal)
    mass = _month_mass(w, cal)
    t = np.sort(_sample_minutes(rng, w, rng.multinomial(n, mass / mass.sum()), cal))
    busy = [p.weight * (2.0 if p.kind in ("town_centre", "transport") else 1.0) for p in _PLACES]
    x, y, _ = _mixture(rng, n, busy, 0.2)
    lon, lat = _to_lonlat(x, y)

    self_defined = np.empty(n, dtype=object)
    officer = np.empty(n, dtype=object)
    for g in _CENSUS_GROUPS:  # five groups
        m = groups == g
        k = int(m.sum())
        self_defined[m] = _choice(rng, _SELF_DEFINED[g], np.ones(len(_SELF_DEFINED[g])), k)
        officer[m] = _choice(rng, _OFFICER_OPTIONS, _OFFICER_P[g], k)
    u = rng.random(n)
    self_defined[u < _NOT_STATED_P] = "Other ethnic group - Not stated"
    self_defined[(u >= _NOT_STATED_P) & (u < _NOT_STATED_P + _SELF_BLANK_P)] = ""

    age = np.asarray(POPULATION_AGE_BANDS, dtype=object)[band]
    age[rng.random(n) < _AGE_BLANK_P] = ""
    sex = _choice(rng, ("Male", "Female", "Other", ""), (0.88, 0.105, 0.005, 0.01), n)
    obj_i = rng.choice(len(_OBJECTS), size=n, p=np.array([o[2] for o in _OBJECTS]))
    objects = np.asarray([o[0] for o in _OBJECTS], dtype=object)[obj_i]
    legislation = np.asarray([o[1] for o in _OBJECTS], dtype=object)[obj_i]
    action_p = _action_p(null)
    action = rng.random(n) < np.array([action_p[g] for g in groups])
    outcome = np.where(
        action,
        _choice(rng, _ACTION_OUTCOMES, _ACTION_OUTCOME_P, n),
        NO_FURTHER_ACTION_OUTCOME,
    ).astype(object)
    linked = action & (rng.random(n) < _LINKED_GIVEN_ACTION)
    linked_text = np.where(linked, "True", "False").astype(object)
    linked_text[rng.random(n) < _LINKED_BLANK_P] = ""
    stamps = pd.Series(_START + t.astype("timedelta64[m]"))
    return pd.DataFrame(
        {
            "Type": _choice(rng, ("Person search", "Person and Vehicle search"), (0.86, 0.14), n),
            "Date": stamps.dt.strftime("%Y-%m-%dT%H:%M:00+00:00").to_numpy(dtype=object),
            "Part of a policing operation": "False",
            "Policing operation": "",
            "Latitude": np.char.mod("%.6f", lat).astype(object),
            "Longitude": np.char.mod("%.6f", lon).astype(object),
            "Gender": sex,
            "Age range": age,
            "Self-defined ethnicity": self_defined,
            "Officer-defined ethnicity": officer,
            "Legislation": legislation,
            "Object of search": objects,
            "Outcome": outcome,
            "Outcome linked to object of search": linked_text,
            "Removal of more than just outer clothing": np.where(
                rng.random(n) < 0.03, "True", "False"
            ).astype(object),
        }
    )


def _disproportionality_truth(
    areas: _Areas, searches: pd.DataFrame, null: bool = False
) -> dict[str, Any]:
    """What was planted for the disproportionality audit (see ``truth.json``)."""
    pop = areas.residents.sum(axis=0)
    band_1017 = POPULATION_AGE_BANDS.index("10-17")
    hit = {g: round(_action_p(null)[g] * _LINKED_GIVEN_ACTION, 4) for g in _CENSUS_GROUPS}
    return {
        "reference": "white",
        "areas": len(areas.codes),
        "area_codes": [areas.codes[0], areas.codes[-1]],
        "age_bands": list(POPULATION_AGE_BANDS),
        "population": {
            "all_ages": {g: int(pop[:, i].sum()) for i, g in enumerate(_CENSUS_GROUPS)},
            "10-17": {g: int(pop[band_1017, i]) for i, g in enumerate(_CENSUS_GROUPS)},
        },
        "stop_search": {
            "rows": len(searches),
            "scheme": "self",
            "rri": _planted_rri(null),
            "white_rate_per_1000_a_year": dict(
                zip(POPULATION_AGE_BANDS, _SEARCH_RATE.tolist(), strict=True)
            ),
            "hit_rate_linked": hit,
        },
        "school_outcomes_rri_10_17": {"black": OUTCOME_BLACK_RATE_RATIO},
    }


# =========================================================================== main
def _write_csv(df: pd.DataFrame, path: Path, header: Sequence[str]) -> None:
    if tuple(df.columns) != tuple(header):
        raise AssertionError(f"{path.name}: columns do not match the template")
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def generate_demo_files(out_dir: Path, seed: int = 0, null: bool = False) -> dict[str, Any]:
    """Generate the synthetic demo in partner file formats, with its planted truth.

    Parameters
    ----------
    out_dir : pathlib.Path
        Directory to write into (created if needed). Files: ``incidents.csv``,
        ``missing_episodes.csv``, ``youth_sessions.csv`` (the ``data/templates``
        formats, ``DD/MM/YYYY HH:MM`` UK local times, WGS84 lon/lat degrees to
        5 decimals), ``schools.csv`` (current GIAS columns, Easting/Northing in
        EPSG:27700 metres), ``sensitive_premises.csv`` (``kind,latitude,longitude``),
        ``boundary.geojson`` (EPSG:4326) and ``truth.json``.
    seed : int
        Seed for :func:`numpy.random.default_rng`; the same seed gives byte-identical
        files.
    null : bool
        Plant nothing: the same background incidents, cohort, schools, timetable and
        children's home, but no hotspots, near-repeat chains, school-journey hotspot,
        missing found-location hotspot or youth-work gap.

    Returns
    -------
    dict
        The truth written to ``truth.json`` (DESIGN §8): planted res-9 H3 cells as
        hex strings, chain count, repeat-missing children (>= 3 episodes reported
        within 90 days, counted from the generated data), the children's home cells
        at res 9 and 11, and row counts.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = np.random.default_rng(seed)
    # Children are indexed: a new stream appended leaves the earlier ones unchanged.
    (
        r_school,
        r_layout,
        r_bg,
        r_plant,
        r_chain,
        r_attr,
        r_missing,
        r_youth,
        r_outcomes,
        r_disproportion,
    ) = root.spawn(10)
    cal = _calendar()

    schools = _make_schools(r_school)
    lay = _make_layout(r_layout, schools)
    bg = _background_incidents(r_bg, cal)
    parts = [bg]
    n_chains = 0
    if not null:
        parts += _planted_incidents(r_plant, cal, lay)
        chain_events, n_chains = _chains(r_chain, bg, lay)
        parts.append(chain_events)
    incidents = _incidents_frame(r_attr, parts)
    missing, repeat_children, n_children = _missing_frame(r_missing, cal, lay, schools, null)
    youth = _youth_frame(r_youth, cal, lay)
    outcomes = _outcomes_frame(r_outcomes, schools)
    areas = _make_areas(r_disproportion)
    searches = _stop_search_frame(r_disproportion, areas, cal, null)
    home_lon, home_lat = _round_coords(np.array([lay.home_x]), np.array([lay.home_y]))
    sensitive = pd.DataFrame(
        {
            "kind": ["childrens_home"],
            "latitude": _fmt_coord(home_lat),
            "longitude": _fmt_coord(home_lon),
        }
    )
    home9 = hexes.points_to_cells(home_lat, home_lon, TRUTH_RESOLUTION)
    home11 = hexes.points_to_cells(home_lat, home_lon, HOME_FINE_RESOLUTION)

    _write_csv(incidents, out / "incidents.csv", INCIDENT_HEADER)
    _write_csv(missing, out / "missing_episodes.csv", MISSING_HEADER)
    _write_csv(youth, out / "youth_sessions.csv", YOUTH_HEADER)
    _write_csv(_schools_frame(schools), out / "schools.csv", SCHOOLS_HEADER)
    _write_csv(sensitive, out / "sensitive_premises.csv", SENSITIVE_HEADER)
    _write_csv(outcomes, out / "school_outcomes.csv", OUTCOMES_HEADER)
    write_demo_boundary(out / "boundary.geojson")
    (out / "lsoa_boundaries.geojson").write_text(
        json.dumps(_areas_geojson(areas), indent=1) + "\n", encoding="utf-8"
    )
    _census_long(areas).to_csv(
        out / "census_ethnic_group_lsoa.csv", index=False, lineterminator="\n", encoding="utf-8"
    )
    _census_by_age(areas).to_csv(
        out / "census_ethnic_group_by_age_lsoa.csv",
        index=False,
        lineterminator="\n",
        encoding="utf-8",
    )
    _population_by_single_year(areas).to_csv(
        out / "population_single_year_of_age_lsoa.csv",
        index=False,
        lineterminator="\n",
        encoding="utf-8",
    )
    _write_csv(searches, out / "stop_and_search.csv", STOP_SEARCH_HEADER)

    truth: dict[str, Any] = {
        "seed": int(seed),
        "generator_version": GENERATOR_VERSION,
        "null": bool(null),
        "synthetic": True,
        "resolution": TRUTH_RESOLUTION,
        "periods": {"first": DEMO_FIRST_MONTH, "last": DEMO_LAST_MONTH},
        "recurring_hotspots": []
        if null
        else [
            {"cell": lay.gap.cell_str, "kind": "persistent", "layer": "incidents"},
            {"cell": lay.persistent[0].cell_str, "kind": "persistent", "layer": "incidents"},
            {"cell": lay.persistent[1].cell_str, "kind": "persistent", "layer": "incidents"},
            {"cell": lay.emerging.cell_str, "kind": "emerging", "layer": "incidents"},
            {"cell": lay.fading.cell_str, "kind": "fading", "layer": "incidents"},
        ],
        "near_repeat": {
            "distance_m": NEAR_REPEAT_DISTANCE_M,
            "days": NEAR_REPEAT_DAYS,
            "chains": n_chains,
        },
        "school_journey_hotspot": None
        if null
        else {
            "school_urn": str(schools.urn[lay.school_index]),
            "cell": lay.school_journey.cell_str,
        },
        "missing_found_hotspot": None if null else {"cell": lay.found.cell_str},
        "repeat_missing_children": repeat_children,
        "youth_work_gap": None if null else {"cell": lay.gap.cell_str, "block": "weekend_evening"},
        "childrens_home": {"cell": _cell_str(home9[0]), "cell_11": _cell_str(home11[0])},
        "school_outcomes": {"black_relative_rate": OUTCOME_BLACK_RATE_RATIO},
        "disproportionality": _disproportionality_truth(areas, searches, null),
        "counts": {
            "incidents": len(incidents),
            "missing_episodes": len(missing),
            "children": n_children,
            "schools": len(schools.urn),
            "youth_sessions": len(youth),
            "school_outcome_rows": len(outcomes),
            "stop_searches": len(searches),
            "census_areas": len(areas.codes),
        },
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth
