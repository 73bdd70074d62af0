"""Fictional place names and postcodes of the demo borough, for the ISTV demo.

An emergency department writes where an assault happened in words ("outside the Anchor &
Crown, Quayside Parade", "ZD2 4PQ"), so the demo borough needs public names and postcodes
that the geocoder (:mod:`geo.ingest.geocode`) can look them up in:

* an OS Open Names-style gazetteer (``gazetteer.csv``, written with a header row): named
  roads, pubs, bars, nightclubs, two parks, two stations, a bus station and a shopping
  centre, all invented. Two road names occur twice, more than 2.6 km apart ("Church
  Road", "Station Road"), as real ones do, so the geocoder must refuse them as ambiguous;
* OS Code-Point Open-style postcode centroids (``postcodes.csv``, no header row, the ten
  published columns) in the unused postcode area ``ZD``: one or two in every res-9 cell
  that overlaps the borough (a postcode unit lies within a cell);
* the night-time-economy strip (:func:`choose_strip`): a road and four venues in one
  res-9 cell where police record little violence, away from every other planted cell.
  The ISTV demo (:mod:`geo.demo.istv`) plants there the assaults that health sees and
  police do not.

Coordinates are British National Grid metres (EPSG:27700), in whole metres as OS
publishes them. Every named place and postcode centroid sits at the centre of an H3 res-10
cell (:data:`NAME_RESOLUTION`), so its res-10 cell is the same whether taken from the
point or as the parent of its res-11 storage cell, and a test can score the geocoder at
res 10. The gazetteer and postcodes are the same with ``null=True``: only the planted
assaults differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core import hexes
from geo.core.area import from_bng

# the police side of the ED-versus-police comparison: one definition, in the schema
from geo.core.schema import POLICE_VIOLENCE_CATEGORIES as POLICE_VIOLENCE_CATEGORIES
from geo.demo.borough import (
    DEMO_LAD_CODE,
    DEMO_LAD_NAME,
    BoolArray,
    FloatArray,
    IntArray,
    Site,
    background_points,
    boundary_bng,
    cell_centres_bng,
    cells9,
    demo_boundary,
    edge_distance,
    inside,
    local_intensity_ratio,
    place,
)
from geo.demo.layout import Layout

__all__ = [
    "CODEPOINT_COLUMNS",
    "DUPLICATED_ROADS",
    "GAZETTEER_HEADER",
    "NAME_RESOLUTION",
    "POLICE_VIOLENCE_CATEGORIES",
    "POSTCODE_AREA",
    "STRIP_NAME",
    "DemoPlaces",
    "ObjectArray",
    "PlaceNames",
    "Postcodes",
    "choose_strip",
    "codepoint_frame",
    "expected_cells",
    "gazetteer_frame",
    "make_demo_places",
    "storage_parents",
]

#: H3 resolution at whose cell centres named places and postcode centroids sit.
NAME_RESOLUTION: Final = 10
#: The postcode area of the demo's postcodes: not a real UK postcode area.
POSTCODE_AREA: Final = "ZD"

#: Columns of ``gazetteer.csv``: OS Open Names' own names, a subset of its 34 columns.
GAZETTEER_HEADER: Final[tuple[str, ...]] = (
    "ID",
    "NAME1",
    "TYPE",
    "LOCAL_TYPE",
    "GEOMETRY_X",
    "GEOMETRY_Y",
    "POSTCODE_DISTRICT",
    "DISTRICT_BOROUGH",
)
#: Columns of a Code-Point Open area file as published (``postcodes.csv`` has no header).
CODEPOINT_COLUMNS: Final[tuple[str, ...]] = (
    "postcode", "positional_quality_indicator", "eastings", "northings", "country_code",
    "nhs_regional_ha_code", "nhs_ha_code", "admin_county_code", "admin_district_code",
    "admin_ward_code",
)  # fmt: skip

_ROAD: Final = "Named Road"
#: Road names (invented), placed where the borough is busy, spaced apart.
_ROADS: Final[tuple[str, ...]] = (
    "Quayside Parade", "Tanners Lane", "Copperfield Road", "Saltings Way", "Mallory Street",
    "Bellhanger Road", "Pelham Avenue", "Wharfinger Street", "Cordwainer Close",
    "Harbinger Road", "Moorfoot Crescent", "Sable Street", "Thistlewood Avenue",
    "Gannet Road", "Ferrier Street", "Brackenbury Lane", "Wherry Lane", "Kestrel Way",
    "Larchmont Road", "Drayman's Row", "Fennel Street", "Pargeter Road", "Ostler Street",
    "Hobart Terrace", "Vintner Road", "Lamprey Street", "Chandlers Way", "Osier Road",
    "Tidewater Avenue", "Barley Mow Lane", "Glassmakers Road", "Sextant Road", "Lyle Street",
    "Halyard Close", "Ropemakers Walk", "Fulmar Road", "Cinder Path", "Ormond Road",
    "Bramwell Street", "Yardley Road",
)  # fmt: skip
#: Road names that occur twice, far apart: a geocoder must refuse them.
DUPLICATED_ROADS: Final[tuple[str, ...]] = ("Church Road", "Station Road")
#: Roads at the town centres: (name, place in :data:`geo.demo.borough.PLACES`).
_CENTRE_ROADS: Final[tuple[tuple[str, str], ...]] = (
    ("The Broadway", "Broadway town centre"),
    ("Market Square", "Market Square town centre"),
)
#: Pubs, bars and clubs (name, OS-style local type), each on one of the roads.
_VENUES: Final[tuple[tuple[str, str], ...]] = (
    ("The Anchor & Crown", "Public House"),
    ("The Old Ferry Inn", "Public House"),
    ("The Red Lion Tavern", "Public House"),
    ("The Gilded Swan", "Public House"),
    ("The Bargeman's Rest", "Public House"),
    ("The Pear Tree", "Public House"),
    ("The Cooper's Arms", "Public House"),
    ("The Prince Regent", "Public House"),
    ("Copper Kettle Wine Bar", "Bar"),
    ("Blue Heron Cocktail Bar", "Bar"),
    ("Hopvine Taproom", "Bar"),
    ("Sundial Lounge", "Bar"),
    ("Lighthouse Karaoke Bar", "Bar"),
    ("Salt & Vine", "Bar"),
    ("Electra Nightclub", "Nightclub"),
    ("Club Mirage", "Nightclub"),
)
#: Landmarks at the borough's places: (name, local type, place, east m, north m offset).
_LANDMARKS: Final[tuple[tuple[str, str, str, float, float], ...]] = (
    ("Central Park", "Park", "Central Park", 0.0, 0.0),
    ("Marshes Recreation Ground", "Park", "Marshes recreation ground", 0.0, 0.0),
    ("Northgate Station", "Railway Station", "Northgate station", 0.0, 0.0),
    ("Riverside DLR Station", "Railway Station", "Riverside DLR", 0.0, 0.0),
    ("Eastway Interchange Bus Station", "Bus Station", "Eastway interchange", 0.0, 0.0),
    ("The Galleria Shopping Centre", "Shopping Centre", "Broadway town centre", 230.0, -60.0),
)
#: The night-time-economy strip: its road and venues, and the name truth.json gives it.
_STRIP_ROAD: Final = "Foundry Lane"
_STRIP_VENUES: Final[tuple[tuple[str, str], ...]] = (
    ("Club Halcyon", "Nightclub"),
    ("Velvet Rooms Cocktail Bar", "Bar"),
    ("Neon Social Bar", "Bar"),
    ("The Lamplighter Arms", "Public House"),
)
STRIP_NAME: Final = "Foundry Lane night-time strip (Club Halcyon and its bars)"
#: OS Open Names TYPE of each local type written.
_OS_TYPE: Final[dict[str, str]] = {
    _ROAD: "transportNetwork",
    "Railway Station": "transportNetwork",
    "Bus Station": "transportNetwork",
    "Park": "landcover",
}

_ROAD_SPACING_M: Final = 330.0
_DUPLICATE_APART_M: Final = 2600.0  # > 2 x the geocoder's 1 km spread limit
_VENUE_OFFSET_M: Final = (95.0, 135.0)  # from the road's point, before snapping
_STRIP_CLEARANCE_M: Final = 1000.0  # from every other planted cell and the home
_STRIP_EDGE_M: Final = 500.0
_POSTCODE_EDGE_M: Final = 150.0  # centroids outside the borough: this close to its edge
_SECOND_POSTCODE_SHARE: Final = 0.5  # res-9 cells with two postcodes
#: Letters of a postcode's unit (Royal Mail never uses C, I, K, M, O, V there).
_UNIT_LETTERS: Final = "ABDEFGHJLNPQRSTUWXYZ"

#: Arrays of Python strings (names, postcodes, texts).
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class PlaceNames:
    """The gazetteer's entries (one per named point; a duplicated name has two).

    Attributes
    ----------
    name, local_type : ndarray of str
        OS Open Names ``NAME1`` and ``LOCAL_TYPE`` ("Named Road", "Public House", ...).
    x, y : ndarray of float
        BNG metres (EPSG:27700), whole metres at a res-10 cell centre.
    road : ndarray of int
        For a venue, the index of the road it stands on (within 250 m of the road's
        point); -1 for roads and landmarks.
    strip : ndarray of bool
        The night-time-economy strip's road and venues.
    """

    name: ObjectArray
    local_type: ObjectArray
    x: FloatArray
    y: FloatArray
    road: IntArray
    strip: BoolArray

    @property
    def is_road(self) -> BoolArray:
        """Entries that are named roads."""
        return np.asarray(self.local_type == _ROAD, dtype=bool)

    @property
    def duplicated(self) -> BoolArray:
        """Entries whose name names two places far apart (ambiguous)."""
        return np.isin(self.name, DUPLICATED_ROADS)


@dataclass(frozen=True)
class Postcodes:
    """Postcode centroids: ``postcode`` ("ZD2 4PQ"), BNG ``x``, ``y`` (whole metres at a
    res-10 cell centre) and the (fictional) ward code."""

    postcode: ObjectArray
    x: FloatArray
    y: FloatArray
    ward: ObjectArray


@dataclass(frozen=True)
class DemoPlaces:
    """The demo's public place names, postcodes and night-time-economy strip."""

    names: PlaceNames
    postcodes: Postcodes
    strip: Site  # the strip's res-9 cell


# ================================================================================ cells
def _snap(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The res-10 cell centres of BNG points, rounded to whole metres."""
    cells = cells9(np.asarray(x, dtype=float), np.asarray(y, dtype=float), res=NAME_RESOLUTION)
    cx, cy = cell_centres_bng(cells)
    return np.round(cx), np.round(cy)


def expected_cells(x: FloatArray, y: FloatArray) -> npt.NDArray[np.str_]:
    """The res-10 cells (hex strings) a store gives BNG points.

    The parent of the point's cell at the storage resolution (11), as the store computes
    ``cell_10``; for a point at a res-10 cell centre it is that cell.
    """
    return hexes.cells_to_str(storage_parents(x, y, NAME_RESOLUTION))


def storage_parents(x: FloatArray, y: FloatArray, res: int) -> npt.NDArray[np.uint64]:
    """The cells at ``res`` a store gives BNG points: their res-11 cells' parents."""
    lng, lat = from_bng(x, y)
    fine = hexes.points_to_cells(lat, lng, hexes.DEFAULT_STORAGE_RESOLUTION)
    return hexes.cells_to_parent(fine, res)


# ================================================================================ strip
def _planted_sites(lay: Layout) -> list[Site]:
    return [lay.gap, *lay.persistent, lay.emerging, lay.fading, lay.school_journey, lay.home]


def choose_strip(
    rng: np.random.Generator,
    lay: Layout,
    police_x: FloatArray,
    police_y: FloatArray,
    police_category: ObjectArray,
) -> Site:
    """The res-9 cell of the night-time-economy strip.

    A cell where the background is active (candidates drawn from the urban mixture) but
    police record little violence (the candidate cells' lowest fifth by violent
    background incidents), at least 500 m from the edge and 1 km from every planted cell
    and the children's home.

    Parameters
    ----------
    rng : numpy.random.Generator
    lay : Layout
        The planted cells (the same with ``null=True``).
    police_x, police_y : ndarray of float
        Background police incidents, BNG metres.
    police_category : ndarray of str
        Their categories.

    Returns
    -------
    Site
        The cell and its centre (BNG metres).
    """
    x, y, _ = background_points(rng, 3000)
    cells = cells9(x, y)
    _, first = np.unique(cells, return_index=True)
    cells = cells[np.sort(first)]  # distinct, in the order drawn
    cx, cy = cell_centres_bng(cells)
    ok = edge_distance(cx, cy) >= _STRIP_EDGE_M
    for s in _planted_sites(lay):  # seven sites
        ok &= np.hypot(cx - s.x, cy - s.y) >= _STRIP_CLEARANCE_M
    violent = np.isin(police_category, POLICE_VIOLENCE_CATEGORIES)
    per_cell = pd.Series(cells9(police_x[violent], police_y[violent])).value_counts()
    count = per_cell.reindex(cells, fill_value=0).to_numpy(dtype=np.int64)
    if not ok.any():
        raise RuntimeError("could not place the night-time-economy strip")
    quiet = ok & (count <= np.quantile(count[ok], 0.2))
    i = int(np.flatnonzero(quiet)[0])
    return Site(int(cells[i]), float(cx[i]), float(cy[i]))


def _strip_points(strip: Site, n_venues: int) -> tuple[FloatArray, FloatArray]:
    """The strip road's point (the cell's centre) then ``n_venues`` venue points, each at
    the centre of a different res-10 child of the strip's cell."""
    ang = np.deg2rad(np.arange(12) * 30.0 + 15.0)
    px = np.concatenate(([strip.x], strip.x + 125.0 * np.cos(ang)))
    py = np.concatenate(([strip.y], strip.y + 125.0 * np.sin(ang)))
    sx, sy = _snap(px, py)
    in_cell = storage_parents(sx, sy, 9) == np.uint64(strip.cell)
    key = sx * 1e7 + sy
    _, first = np.unique(key, return_index=True)
    distinct = np.zeros(key.size, dtype=bool)
    distinct[first] = True
    keep = np.flatnonzero(in_cell & distinct)
    if keep.size < n_venues + 1 or keep[0] != 0:
        raise RuntimeError("the strip's venues do not fit in its cell")
    keep = keep[: n_venues + 1]
    return sx[keep], sy[keep]


# ================================================================================ names
def _road_points(
    rng: np.random.Generator, taken_x: list[float], taken_y: list[float], n_roads: int
) -> tuple[FloatArray, FloatArray]:
    """Points of the duplicated roads (two each, far apart) then of ``n_roads`` roads."""
    cx, cy, _ = background_points(rng, 4000)
    keep = inside(boundary_bng(), cx, cy) & (edge_distance(cx, cy) >= 150.0)
    cx, cy = _snap(cx[keep], cy[keep])
    xs, ys = list(taken_x), list(taken_y)

    def pick(extra: BoolArray | None = None) -> None:
        ok = np.ones(cx.size, dtype=bool) if extra is None else extra.copy()
        ok &= np.hypot(cx[:, None] - np.array(xs), cy[:, None] - np.array(ys)).min(axis=1) >= (
            _ROAD_SPACING_M
        )
        hit = np.flatnonzero(ok)
        if hit.size == 0:
            raise RuntimeError("could not place the demo's roads")
        xs.append(float(cx[hit[0]]))
        ys.append(float(cy[hit[0]]))

    for _ in DUPLICATED_ROADS:  # two names, two points each
        pick()
        pick(np.hypot(cx - xs[-1], cy - ys[-1]) >= _DUPLICATE_APART_M)
    for _ in range(n_roads):
        pick()
    start = len(taken_x)
    return np.array(xs[start:]), np.array(ys[start:])


def _venue_points(
    rng: np.random.Generator,
    road_x: FloatArray,
    road_y: FloatArray,
    host: IntArray,
    taken: set[tuple[float, float]],
) -> tuple[FloatArray, FloatArray]:
    """A point 95-135 m from each venue's road (then snapped), inside the borough and not
    at a res-10 cell already named."""
    vx = np.empty(host.size)
    vy = np.empty(host.size)
    for k, r in enumerate(host):  # a few dozen venues, vectorised over 12 directions
        ang = rng.uniform(0.0, 2.0 * np.pi) + np.deg2rad(np.arange(12) * 30.0)
        rad = rng.uniform(*_VENUE_OFFSET_M)
        sx, sy = _snap(road_x[r] + rad * np.cos(ang), road_y[r] + rad * np.sin(ang))
        ok = inside(boundary_bng(), sx, sy) & (edge_distance(sx, sy) >= 60.0)
        ok &= np.array([(a, b) not in taken for a, b in zip(sx, sy, strict=True)])
        hit = np.flatnonzero(ok)
        if hit.size == 0:
            raise RuntimeError("could not place a demo venue")
        vx[k], vy[k] = sx[hit[0]], sy[hit[0]]
        taken.add((float(vx[k]), float(vy[k])))
    return vx, vy


def _place_names(rng: np.random.Generator, strip: Site) -> PlaceNames:
    """Roads, venues, landmarks and the strip, placed (seeded)."""
    strip_x, strip_y = _strip_points(strip, len(_STRIP_VENUES))
    centre = [place(p) for _, p in _CENTRE_ROADS]
    cx, cy = _snap(np.array([c[0] for c in centre]), np.array([c[1] for c in centre]))
    taken_x = [float(strip_x[0]), *cx.tolist()]
    taken_y = [float(strip_y[0]), *cy.tolist()]
    rx, ry = _road_points(rng, taken_x, taken_y, len(_ROADS))
    road_names = [_STRIP_ROAD, *(n for n, _ in _CENTRE_ROADS)]
    road_names += [n for n in DUPLICATED_ROADS for _ in range(2)] + list(_ROADS)
    road_x = np.concatenate((taken_x, rx))
    road_y = np.concatenate((taken_y, ry))
    n_roads = road_x.size
    # venues stand on the busier roads (not on the strip's or a duplicated name's)
    hosts = np.flatnonzero(~np.isin(road_names, (_STRIP_ROAD, *DUPLICATED_ROADS)))
    w = local_intensity_ratio(road_x[hosts], road_y[hosts])
    host = rng.choice(hosts, size=len(_VENUES), p=w / w.sum())
    lm = [(place(p)[0] + e, place(p)[1] + nn) for _, _, p, e, nn in _LANDMARKS]
    lx, ly = _snap(np.array([p[0] for p in lm]), np.array([p[1] for p in lm]))
    taken = {(float(a), float(b)) for a, b in zip(road_x, road_y, strict=True)}
    taken |= {(float(a), float(b)) for a, b in zip(strip_x, strip_y, strict=True)}
    taken |= {(float(a), float(b)) for a, b in zip(lx, ly, strict=True)}
    vx, vy = _venue_points(rng, road_x, road_y, host, taken)
    names = [
        *road_names,
        *(n for n, _ in _VENUES),
        *(n for n, _ in _STRIP_VENUES),
        *(n for n, *_ in _LANDMARKS),
    ]
    types = (
        [_ROAD] * n_roads
        + [t for _, t in _VENUES]
        + [t for _, t in _STRIP_VENUES]
        + [t for _, t, *_ in _LANDMARKS]
    )
    n_strip = len(_STRIP_VENUES)
    road = np.concatenate(
        (np.full(n_roads, -1), host, np.zeros(n_strip, dtype=np.int64), np.full(len(lm), -1))
    ).astype(np.int64)
    strip_mask = np.zeros(len(names), dtype=bool)
    strip_mask[0] = True
    strip_mask[n_roads + len(_VENUES) : n_roads + len(_VENUES) + n_strip] = True
    return PlaceNames(
        name=np.array(names, dtype=object),
        local_type=np.array(types, dtype=object),
        x=np.concatenate((road_x, vx, strip_x[1:], lx)),
        y=np.concatenate((road_y, vy, strip_y[1:], ly)),
        road=road,
        strip=strip_mask,
    )


# ============================================================================ postcodes
def _postcodes(rng: np.random.Generator) -> Postcodes:
    """One or two centroids in every res-9 cell that overlaps the borough, each at one of
    the cell's res-10 children (a postcode unit lies within a cell), named by district
    (a 3 x 2 split of the borough), sector (a 3 x 3 split of the district) and unit."""
    poly = boundary_bng()
    cells = hexes.polygon_to_cells(demo_boundary(), 9, contain="overlap")
    cx, cy = cell_centres_bng(cells)
    ang = np.deg2rad(np.arange(12) * 30.0)
    px = np.column_stack([cx, cx[:, None] + 125.0 * np.cos(ang)[None, :]]).ravel()
    py = np.column_stack([cy, cy[:, None] + 125.0 * np.sin(ang)[None, :]]).ravel()
    sx, sy = _snap(px, py)
    cand = pd.DataFrame(
        {
            "cell": np.repeat(np.arange(cells.size), 13),
            "x": sx,
            "y": sy,
            "order": rng.random(sx.size),
        }
    )
    own = storage_parents(sx, sy, 9) == np.repeat(cells, 13)
    near = edge_distance(sx, sy) <= _POSTCODE_EDGE_M
    cand = cand.loc[own & (inside(poly, sx, sy) | near)].drop_duplicates(["x", "y"])
    cand = cand.sort_values(["cell", "order"], kind="stable")
    wanted = 1 + (rng.random(cells.size) < _SECOND_POSTCODE_SHARE)
    rank = cand.groupby("cell").cumcount().to_numpy()
    cand = cand.loc[rank < wanted[cand["cell"].to_numpy()]]
    x, y = cand["x"].to_numpy(dtype=float), cand["y"].to_numpy(dtype=float)
    minx, miny, maxx, maxy = poly.bounds
    fx = np.clip((x - minx) / (maxx - minx), 0.0, 0.999999)
    fy = np.clip((y - miny) / (maxy - miny), 0.0, 0.999999)
    col, row = (fx * 3).astype(np.int64), (fy * 2).astype(np.int64)
    district = 1 + row * 3 + col
    sector = 1 + (fx * 9).astype(np.int64) % 3 + 3 * ((fy * 6).astype(np.int64) % 3)
    order = np.lexsort((x, -y, sector, district))
    group = district[order] * 10 + sector[order]
    start = np.r_[True, group[1:] != group[:-1]]
    run = np.arange(order.size) - np.maximum.accumulate(np.where(start, np.arange(order.size), 0))
    unit = np.empty(order.size, dtype=np.int64)
    unit[order] = run
    letters = np.array(list(_UNIT_LETTERS), dtype=object)
    n = len(_UNIT_LETTERS)
    # units spread over the alphabet as real ones are ("2HX", "4PQ"), distinct in a sector
    unit = (unit * 37 + sector * 11) % (n * n)
    code = (
        POSTCODE_AREA
        + district.astype(str).astype(object)
        + " "
        + sector.astype(str).astype(object)
        + letters[unit // n]
        + letters[unit % n]
    )
    ward = np.char.mod("X9900%04d", district).astype(object)
    by_code = np.argsort(code, kind="stable")  # Code-Point Open lists postcodes in order
    return Postcodes(
        postcode=np.asarray(code, dtype=object)[by_code],
        x=x[by_code],
        y=y[by_code],
        ward=ward[by_code],
    )


def make_demo_places(
    rng: np.random.Generator,
    lay: Layout,
    police_x: FloatArray,
    police_y: FloatArray,
    police_category: ObjectArray,
) -> DemoPlaces:
    """The demo's gazetteer, postcodes and night-time-economy strip (seeded).

    Parameters
    ----------
    rng : numpy.random.Generator
        A stream of its own (the ISTV demo's), so nothing else changes.
    lay : Layout
        The planted cells, which the strip keeps 1 km away from.
    police_x, police_y, police_category
        Background police incidents (BNG metres, categories): the strip goes where they
        record little violence.

    Returns
    -------
    DemoPlaces
        Identical with and without ``null``: only the ISTV demo's plant differs.
    """
    r_strip, r_names, r_postcodes = rng.spawn(3)
    strip = choose_strip(r_strip, lay, police_x, police_y, police_category)
    return DemoPlaces(_place_names(r_names, strip), _postcodes(r_postcodes), strip)


# =============================================================================== frames
def gazetteer_frame(places: DemoPlaces) -> pd.DataFrame:
    """``gazetteer.csv``: OS Open Names columns with a header (:data:`GAZETTEER_HEADER`).

    ``GEOMETRY_X``/``GEOMETRY_Y`` are whole BNG metres (EPSG:27700); ``POSTCODE_DISTRICT``
    is the nearest postcode's district.
    """
    nm, pc = places.names, places.postcodes
    d = np.hypot(nm.x[:, None] - pc.x[None, :], nm.y[:, None] - pc.y[None, :])
    district = pd.Series(pc.postcode[d.argmin(axis=1)]).str.split(" ").str[0]
    n = nm.name.size
    return pd.DataFrame(
        {
            "ID": np.char.mod("osgb-synthetic-%04d", np.arange(1, n + 1)).astype(object),
            "NAME1": nm.name,
            "TYPE": [_OS_TYPE.get(t, "other") for t in nm.local_type],
            "LOCAL_TYPE": nm.local_type,
            "GEOMETRY_X": nm.x.astype(np.int64),
            "GEOMETRY_Y": nm.y.astype(np.int64),
            "POSTCODE_DISTRICT": district.to_numpy(dtype=object),
            "DISTRICT_BOROUGH": DEMO_LAD_NAME,
        },
        columns=list(GAZETTEER_HEADER),
    )


def codepoint_frame(postcodes: Postcodes) -> pd.DataFrame:
    """``postcodes.csv``: Code-Point Open's ten columns (written without a header).

    Eastings/northings in whole BNG metres (EPSG:27700), positional quality 10 (within
    the building of a matched address), England's and London's region codes, the demo
    borough's code and a fictional ward code.
    """
    n = postcodes.postcode.size
    return pd.DataFrame(
        {
            "postcode": postcodes.postcode,
            "positional_quality_indicator": np.full(n, 10, dtype=np.int64),
            "eastings": postcodes.x.astype(np.int64),
            "northings": postcodes.y.astype(np.int64),
            "country_code": "E92000001",
            "nhs_regional_ha_code": "E19000003",
            "nhs_ha_code": "E18000007",
            "admin_county_code": "",
            "admin_district_code": DEMO_LAD_CODE,
            "admin_ward_code": postcodes.ward,
        },
        columns=list(CODEPOINT_COLUMNS),
    )
