"""Where the demo plants its signals (seeded): one layout per seed.

The children's home (in a residential area), the persistent hot spot with the
youth-work gap (clear of every fixed Friday-to-Sunday evening session), two more
persistent hot spots, the emerging and the fading hot spot (where the background is
about average or a little busier), the school-journey hot spot (150-250 m from one
secondary school, away from the others) and the missing found-location hot spot (one of
the persistent ones): res-9 cells at least 1 km apart and away from the edge. The null
demo uses the same layout (for the children's home) but plants nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely

from geo.demo.borough import (
    PLACES,
    BoolArray,
    FloatArray,
    Site,
    background_points,
    cell_centres_bng,
    cells9,
    disk,
    edge_distance,
    local_intensity_ratio,
    place,
)
from geo.demo.schools import Schools

__all__ = ["PLANT_RADIUS_M", "Layout", "make_layout"]

PLANT_RADIUS_M: Final = 60.0  # planted points lie this close to their cell centre
_MIN_PLANT_SPACING_M: Final = 1000.0
_SCHOOL_JOURNEY_CLEARANCE_M: Final = 500.0  # other schools keep this far from that cell
_GAP_CLEARANCE_M: Final = 1200.0  # Fri/Sat/Sun sessions past 17:00 keep this far from the gap
#: Fixed places of Fri/Sat/Sun sessions running past 17:00 (the gap cell keeps away).
_WEEKEND_PLACES: Final[tuple[str, ...]] = ("Broadway town centre", "Market Square town centre")


@dataclass(frozen=True)
class Layout:
    """Where the planted signals and the children's home are (seeded)."""

    home_x: float  # the children's home, BNG metres
    home_y: float
    home: Site  # its res-9 cell
    gap: Site  # persistent hotspot with the weekend-evening youth-work gap
    persistent: tuple[Site, Site]  # the other two persistent hotspots
    emerging: Site
    fading: Site
    school_index: int  # the school of the school-journey hotspot
    school_journey: Site
    found: Site  # missing found-location hotspot


def _fixed_weekend_geoms() -> list[shapely.Geometry]:
    """Fixed locations (BNG) of Fri/Sat/Sun youth sessions that run past 17:00.

    The Parks team's weekend sessions end by 16:00, so they are not listed.
    """
    return [shapely.Point(*place(n)) for n in _WEEKEND_PLACES]


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


def make_layout(rng: np.random.Generator, schools: Schools) -> Layout:
    """Choose the planted cells; redraw candidates (deterministically) if they do not fit."""
    for _ in range(20):
        try:
            return _try_layout(rng, schools)
        except _PlacementError:
            continue
    raise RuntimeError("could not place the planted signals for this seed")


def _try_layout(rng: np.random.Generator, schools: Schools) -> Layout:
    """Choose the planted cells, spaced >= 1 km apart and >= 400 m from the edge."""
    # Candidates near activity: the background mixture, snapped to res-9 centres.
    x, y, comp = background_points(rng, 4000)
    cells = cells9(x, y)
    cx, cy = cell_centres_bng(cells)
    interior = edge_distance(cx, cy) >= 400.0
    cx, cy, cells, comp = cx[interior], cy[interior], cells[interior], comp[interior]
    # Recurring hotspots go where the background is about average or a little busier:
    # in a quiet corner the Gi* neighbourhood sum falls short of the borough mean
    # and a planted cell is hard to see; on a town-centre peak it is hot anyway.
    ratio = local_intensity_ratio(cx, cy)
    typical = (ratio >= 1.1) & (ratio <= 2.0)

    def site(i: int) -> Site:
        return Site(int(cells[i]), float(cx[i]), float(cy[i]))

    taken: list[tuple[float, float]] = []
    # Children's home: in a residential area (estate or floor component).
    kinds = np.array([p.kind for p in PLACES] + ["floor"], dtype=object)
    residential = np.isin(kinds[comp], ("estate", "floor"))
    i = _pick(cx, cy, taken, _MIN_PLANT_SPACING_M, residential)
    home = site(i)
    dx, dy = disk(rng, 1, 40.0)
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
        pc = cells9(px, py)
        pcx, pcy = cell_centres_bng(pc)
        d_school = np.hypot(pcx - schools.x[k], pcy - schools.y[k])
        ok = (d_school <= 250.0) & (d_school >= 100.0) & (edge_distance(pcx, pcy) >= 300.0)
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
            sj_index, sj_site = int(k), Site(int(pc[j]), float(pcx[j]), float(pcy[j]))
            break
    if sj_site is None:
        raise _PlacementError("could not place the school-journey hotspot")
    taken.append((sj_site.x, sj_site.y))
    sites: list[Site] = []
    for _ in range(4):  # two more persistent, then emerging, then fading
        i = _pick(cx, cy, taken, _MIN_PLANT_SPACING_M, far_gap & typical)
        sites.append(site(i))
        taken.append((cx[i], cy[i]))
    # Missing found-location hotspot: one of the persistent SYV hotspots, so the demo
    # shows what the partnership's scrutiny described (children found missing where
    # young people are hurt) and the overlap test has a planted answer.
    found = sites[1]
    return Layout(
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
