"""Names people use for cells: "On or near Market Place — St Edward's".

A cell shown to a person is named, in order of preference, after

1. its most frequent police.uk map point (the public, anonymised ``Location`` text of
   police.uk street crime, e.g. "On or near Market Place"), else
2. the nearest school or station within reach (open data), else
3. the nearest named street or venue within reach from an OS Open Names extract, when one
   is loaded (the ``gazetteer`` feed: "near Quayside Parade"), else
4. the side of its area it lies on ("Hacton, north side"),

followed by the name of the ward (else LSOA) its centre lies in, from the loaded
boundaries. Every source is public, so the same names serve the analyst and the
partnership; partner free text is never stored or used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.core import hexes
from geo.core.area import to_bng
from geo.store.database import Store

#: How far (metres) a school or station may lie from a cell's centre to name it.
SCHOOL_REACH_M: Final[float] = 400.0
#: How far (metres) an OS Open Names street or venue may lie from a cell's centre to name it.
OPEN_NAME_REACH_M: Final[float] = 250.0
#: Area kinds whose names suffix a place, most local first (ONS boundary code prefixes).
AREA_KINDS: Final[tuple[str, ...]] = ("wd", "cmwd", "lsoa")
#: police.uk map points that name no place.
_NO_PLACE: Final[frozenset[str]] = frozenset({"no location", "on or near", "location"})
#: police.uk's generic map points (a kind of place, not a place): a street name in the same
#: cell is preferred, then a road number, then these.
GENERIC_MAP_POINTS: Final[frozenset[str]] = frozenset(
    s.lower()
    for s in (
        "Shopping Area", "Parking Area", "Supermarket", "Petrol Station", "Nightclub",
        "Theatre/Concert Hall", "Conference/Exhibition Centre", "Sports/Recreation Area",
        "Park/Open Space", "Further/Higher Educational Building", "Hospital", "Police Station",
        "Bus/Coach Station", "Ferry Terminal", "Airport/Airfield", "Pedestrian Subway", "Prison",
        "Hotel", "Church", "Mosque", "Cinema", "Theatre", "Supermarket Car Park",
    )
)  # fmt: skip


def _has_location_names(store: Store) -> bool:
    return bool(
        store.scalar(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'incidents' AND column_name = 'location_name'"
        )
    )


def _map_point_names(store: Store, cells: npt.NDArray[np.uint64], res: int) -> pd.Series:
    """Most frequent police.uk map-point name per cell: street names before road numbers
    before generic points ("Shopping Area"); ties alphabetical."""
    if not _has_location_names(store) or cells.size == 0:
        return pd.Series(dtype=object)
    col = f"cell_{int(res)}" if int(res) in (7, 8, 9, 10) else "cell"
    counts = store.query(
        f"SELECT {col} AS cell, location_name AS name, count(*) AS n FROM incidents "
        f"WHERE location_name IS NOT NULL AND {col} IS NOT NULL GROUP BY 1, 2"
    )
    if counts.empty:
        return pd.Series(dtype=object)
    counts = counts.loc[~counts["name"].str.strip().str.lower().isin(_NO_PLACE)]
    counts = counts.loc[np.isin(counts["cell"].to_numpy(dtype=np.uint64), cells)]
    place = counts["name"].str.strip().str.lower().str.removeprefix("on or near ")
    counts = counts.assign(
        kind=np.select(
            [place.isin(GENERIC_MAP_POINTS), place.str.fullmatch(r"[ab]\d+")], [0, 1], default=2
        )
    )
    best = counts.sort_values(["cell", "kind", "n", "name"], ascending=[True, False, False, True])
    best = best.drop_duplicates("cell")
    return pd.Series(best["name"].to_numpy(), index=best["cell"].to_numpy(dtype=np.uint64))


def _landmarks(store: Store) -> pd.DataFrame:
    """Named public places a cell may be named after: schools ("near Abbs Cross
    Academy") and stations ("near Romford station"), one row per distinct name."""
    schools = store.query(
        "SELECT DISTINCT ON (lower(name)) name, cell FROM schools WHERE cell IS NOT NULL "
        "ORDER BY lower(name)"
    )
    if not store.has_table("stations"):  # a store last written before stations existed
        return schools
    stations = store.query(
        "SELECT DISTINCT ON (lower(name)) name, cell FROM stations WHERE cell IS NOT NULL "
        "ORDER BY lower(name)"
    )
    named = stations["name"].astype(str)
    plain = ~named.str.contains(r"\bstation\b", case=False, regex=True)
    stations["name"] = named.where(~plain, named + " station")
    return pd.concat([schools, stations], ignore_index=True)


def _open_names(store: Store) -> pd.DataFrame:
    """Named streets and venues of a loaded OS Open Names extract, one row per name."""
    if not store.has_table("gazetteer_names"):
        return pd.DataFrame(columns=["name", "cell"])
    return store.query(
        "SELECT DISTINCT ON (lower(name)) name, cell FROM gazetteer_names "
        "WHERE cell IS NOT NULL ORDER BY lower(name), cell"
    )


def _nearest_landmark(
    store: Store,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    *,
    places: pd.DataFrame | None = None,
    reach_m: float = SCHOOL_REACH_M,
) -> npt.NDArray[np.object_]:
    """The school or station (or the given ``places``) nearest each point within
    ``reach_m``, as "near …" (else None)."""
    out = np.full(x.size, None, dtype=object)
    places = _landmarks(store) if places is None else places
    if places.empty or x.size == 0:
        return out
    lat, lng = hexes.cell_centres(places["cell"].to_numpy(dtype=np.uint64))
    sx, sy = to_bng(lng, lat)
    dist, idx = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([x, y]))
    near = dist <= reach_m
    out[near] = "near " + places["name"].to_numpy(dtype=object)[idx[near]]
    return out


def _area_names(
    store: Store, lat: npt.NDArray[np.float64], lng: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Name of the most local loaded area (ward, else LSOA) holding each point, and the
    longitude and latitude of that area's centroid (NaN where no area holds it)."""
    out = np.full(lat.size, None, dtype=object)
    cx, cy = np.full(lat.size, np.nan), np.full(lat.size, np.nan)
    areas = store.query(
        "SELECT area_kind, name, geometry_wkb FROM areas WHERE name IS NOT NULL AND name <> ''"
    )
    if areas.empty or lat.size == 0:
        return out, cx, cy
    points = np.asarray(shapely.points(lng, lat), dtype=object)
    kinds = [k for k in AREA_KINDS if k in set(areas["area_kind"])]
    kinds += sorted(set(areas["area_kind"]) - set(kinds))
    for kind in kinds:
        todo = np.flatnonzero(pd.isna(out))
        if todo.size == 0:
            break
        part = areas.loc[areas["area_kind"] == kind]
        geoms = shapely.from_wkb([bytes(b) for b in part["geometry_wkb"]])
        tree = shapely.STRtree(geoms)
        pt_idx, area_idx = tree.query(points[todo], predicate="within")
        first = pd.Series(area_idx).groupby(pt_idx).first()
        names = part["name"].to_numpy(dtype=object)
        hit = todo[first.index.to_numpy()]
        out[hit] = names[first.to_numpy()]
        centres = shapely.centroid(geoms[first.to_numpy()])
        cx[hit], cy[hit] = shapely.get_x(centres), shapely.get_y(centres)
    return out, cx, cy


_COMPASS: Final[tuple[str, ...]] = (
    "east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east",
)  # fmt: skip


def _side(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    cx: npt.NDArray[np.float64],
    cy: npt.NDArray[np.float64],
) -> npt.NDArray[np.object_]:
    """ "north side", "centre", … of each point (EPSG:27700 metres) from its area's centre."""
    dx, dy = x - cx, y - cy
    sector = np.round(np.degrees(np.arctan2(dy, dx)) / 45.0).astype(int) % 8
    side = np.array([f"{c} side" for c in _COMPASS], dtype=object)[sector]
    return np.where(np.hypot(dx, dy) < 200.0, "centre", side)


def place_names(store: Store, cells: npt.ArrayLike, res: int | None = None) -> pd.Series:
    """A name for each cell, as people would say it.

    Parameters
    ----------
    store : Store
        The store the page reads (the partnership's publishable store is fine: every
        source used is public).
    cells : array-like of H3 cells (int or str)
        Cells at ``res``.
    res : int, optional
        Their resolution (read from the first cell when not given).

    Returns
    -------
    Series
        Indexed by the cells as given, values ``"On or near Market Place — Romford"``,
        ``"near Abbs Cross Academy — Hacton"``, ``"Hacton, north side"`` (no map point or
        school: the side of its ward or LSOA) or ``"Unnamed place"``; names that would
        repeat get `` (b)``, `` (c)``.
    """
    given = pd.Index(np.asarray(cells))
    if len(given) == 0:
        return pd.Series([], index=given, dtype=object)
    raw = np.asarray(cells)
    ids = hexes.str_to_cells(raw.astype(str)) if raw.dtype.kind in "OUS" else raw.astype(np.uint64)
    if res is None:
        res = int(hexes.cell_resolution(ids[:1])[0])
    lat, lng = hexes.cell_centres(ids)
    x, y = to_bng(lng, lat)
    street = _map_point_names(store, np.unique(ids), res).reindex(ids).to_numpy(dtype=object)
    school = _nearest_landmark(store, x, y)
    unnamed = np.flatnonzero(pd.isna(school))
    if unnamed.size:
        school[unnamed] = _nearest_landmark(
            store, x[unnamed], y[unnamed], places=_open_names(store), reach_m=OPEN_NAME_REACH_M
        )
    area, alng, alat = _area_names(store, lat, lng)
    ax, ay = to_bng(np.nan_to_num(alng), np.nan_to_num(alat))
    side = _side(x, y, ax, ay)
    base = np.where(pd.isna(street), school, street)
    names = []
    for b, a, sd in zip(base, area, side, strict=True):  # one per shown cell, not per record
        if isinstance(b, str) and isinstance(a, str):
            names.append(f"{b} — {a}")
        elif isinstance(b, str):
            names.append(b)
        elif isinstance(a, str):
            names.append(f"{a}, {sd}")
        else:
            names.append("Unnamed place")
    out = pd.Series(names, index=given, dtype=object)
    # names that would repeat read "… (b)", "… (c)" in the order given: letters, because a
    # number beside a place reads as a count
    nth = out.groupby(out).cumcount().to_numpy()
    if (nth > 0).any():
        letters = pd.Series([f" ({_letters(int(i))})" for i in nth], index=given, dtype=object)
        out = out.where(nth == 0, out + letters)
    return out


def _letters(i: int) -> str:
    """0 -> "a", 1 -> "b", …, 25 -> "z", 26 -> "aa"."""
    text = ""
    i += 1
    while i > 0:
        i, r = divmod(i - 1, 26)
        text = chr(97 + r) + text
    return text


def with_place_names(
    store: Store,
    frame: pd.DataFrame,
    *,
    column: str = "cell",
    names_of: Callable[[npt.NDArray[np.object_]], Sequence[str]] | None = None,
) -> pd.DataFrame:
    """``frame`` with a ``Place`` column first and its H3 ``column`` last (as ``Cell id``).

    ``column`` may also be the index's name. Cells may be at any one resolution.
    ``names_of`` gives the cells' names instead of :func:`place_names` on ``store`` (the
    app passes its cached copy).
    """
    out = (
        frame.reset_index() if column not in frame.columns and frame.index.name == column else frame
    )
    if column not in out.columns or out.empty:
        return out
    cells = out[column].astype(str).to_numpy()
    names = place_names(store, cells).to_numpy() if names_of is None else list(names_of(cells))
    rest = [c for c in out.columns if c != column]
    named = out[rest].copy()
    named.insert(0, "Place", names)
    named["Cell id"] = cells
    return named
