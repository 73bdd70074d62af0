"""The demo borough's residents: children's ethnic mix, census areas and populations.

The ethnic mix of the borough's children (:data:`CHILD_ETHNICITY_P`) is the mix of the
cohort of missing children and of school rolls. :func:`make_areas` partitions the
borough into fictional LSOA-like areas with residents by age band and ethnic group,
consistent by construction; they are written as Census 2021 TS021-style tables, a
by-age table and ONS single-year-of-age estimates: the denominators of the
disproportionality audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.polygon import orient

from geo.core.area import from_bng
from geo.core.schema import ETHNIC_GROUPS
from geo.demo.borough import boundary_bng

__all__ = [
    "CENSUS_GROUPS",
    "CENSUS_GROUP_NAMES",
    "CHILD_ETHNICITY_P",
    "DEMO_AREA_PREFIX",
    "ETHNICITIES",
    "POPULATION_AGE_BANDS",
    "Areas",
    "areas_geojson",
    "census_by_age",
    "census_long",
    "make_areas",
    "population_by_single_year",
]

#: The schema's ethnic groups (:data:`geo.core.schema.ETHNIC_GROUPS`) in the order the
#: generator draws them (black, white, asian, mixed, other: the order is part of every
#: seed's output), then ``""``, a blank in the partner files (not recorded).
ETHNICITIES: Final[tuple[str, ...]] = (*(ETHNIC_GROUPS[i] for i in (1, 3, 0, 2, 4)), "")
#: Ethnic mix of the borough's children (order of :data:`ETHNICITIES`).
CHILD_ETHNICITY_P: Final = np.array([0.27, 0.38, 0.18, 0.12, 0.04, 0.01])

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
#: The five census groups in schema order (asian, black, mixed, white, other): the order
#: of :data:`CENSUS_GROUP_NAMES` and of the residents' group axis.
CENSUS_GROUPS: Final[tuple[str, ...]] = tuple(g for g in ETHNIC_GROUPS if g != "not_recorded")
#: Population age bands: police.uk's stop-and-search age ranges.
POPULATION_AGE_BANDS: Final[tuple[str, ...]] = ("under 10", "10-17", "18-24", "25-34", "over 34")
_BAND_SHARE: Final = np.array([0.13, 0.10, 0.09, 0.17, 0.51])
_CHILD_MIX: Final = np.array(
    [CHILD_ETHNICITY_P[ETHNICITIES.index(g)] for g in CENSUS_GROUPS]
) / sum(CHILD_ETHNICITY_P[ETHNICITIES.index(g)] for g in CENSUS_GROUPS)
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


@dataclass(frozen=True)
class Areas:
    """The fictional LSOA-like areas and their residents by age band and group."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    polygons: tuple[shapely.Polygon, ...]  # BNG metres
    residents: npt.NDArray[np.int64]  # areas x bands x groups (CENSUS_GROUPS order)


def _area_polygons() -> list[shapely.Polygon]:
    """A regular partition of the borough (BNG), slivers merged into a neighbour.

    Ordered north to south, then west to east. Deterministic (no randomness).
    """
    bnd = boundary_bng()
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


def make_areas(rng: np.random.Generator) -> Areas:
    """Areas with residents by age band and ethnic group (consistent by construction:
    the all-ages census table is the sum over bands)."""
    polys = _area_polygons()
    n = len(polys)
    totals = rng.integers(_AREA_RESIDENTS[0], _AREA_RESIDENTS[1] + 1, n)
    tilt = np.exp(rng.normal(0.0, _AREA_TILT_SIGMA, (n, len(CENSUS_GROUPS))))
    residents = np.zeros((n, len(POPULATION_AGE_BANDS), len(CENSUS_GROUPS)), dtype=np.int64)
    for i in range(n):  # ~30 areas
        bands = rng.multinomial(int(totals[i]), _BAND_SHARE / _BAND_SHARE.sum())
        mix = _BAND_MIX * tilt[i][None, :]
        mix = mix / mix.sum(axis=1, keepdims=True)
        for b in range(len(POPULATION_AGE_BANDS)):
            residents[i, b] = rng.multinomial(int(bands[b]), mix[b])
    codes = tuple(f"{DEMO_AREA_PREFIX}{k + 1:03d}" for k in range(n))
    names = tuple(f"Demo borough (synthetic) {k + 1:03d}A" for k in range(n))
    return Areas(codes, names, tuple(polys), residents)


def areas_geojson(areas: Areas) -> dict[str, Any]:
    """The areas as a GeoJSON FeatureCollection (EPSG:4326, 6 decimals)."""
    features = []
    for code, name, poly in zip(areas.codes, areas.names, areas.polygons, strict=True):
        xy = np.asarray(poly.exterior.coords)
        lon, lat = from_bng(xy[:, 0], xy[:, 1])
        ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
        features.append(
            {
                "type": "Feature",
                "properties": {"LSOA21CD": code, "LSOA21NM": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "name": "demo_lsoa21_synthetic", "features": features}


def census_long(areas: Areas) -> pd.DataFrame:
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


def census_by_age(areas: Areas) -> pd.DataFrame:
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


def population_by_single_year(areas: Areas) -> pd.DataFrame:
    """Residents by single year of age (the ONS mid-year LSOA estimates' layout): each
    band's residents spread evenly over its years, so band totals are exact."""
    cols: dict[str, Any] = {"LSOA21CD": list(areas.codes), "LSOA21NM": list(areas.names)}
    by_band = areas.residents.sum(axis=2)  # areas x bands
    for bi, years in enumerate(_BAND_YEARS):
        base, extra = np.divmod(by_band[:, bi], len(years))
        for yi, year in enumerate(years):
            cols[year] = base + (yi < extra)
    return pd.DataFrame(cols)
