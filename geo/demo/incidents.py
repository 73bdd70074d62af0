"""Police incidents of the demo: background, planted hot spots and near-repeat chains.

The background (:func:`background_incidents`) is drawn from the borough's urban
mixture, timed by the time-of-week and seasonal profile, with a few percent just
outside the edge. Planted (:func:`planted_incidents`, not in the null demo): the
persistent hot spot with the youth-work gap (mostly weekend evenings), two more
persistent hot spots, an emerging and a fading one, and the school-journey hot spot
(term-time weekday journeys); :func:`plant_near_repeat_chains` adds follow-on incidents
within 100 m and 14 days of background seeds. :func:`incidents_frame` writes them all in
the partner incident format (``data/templates/incidents.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.schema import AGE_BANDS, INCIDENT_CATEGORIES, SEXES
from geo.demo.borough import (
    PLACES,
    FloatArray,
    IntArray,
    background_points,
    boundary_bng,
    choice,
    disk,
    edge_distance,
    fmt_coord,
    inside,
    points_in_cell,
    ring_outside,
    round_coords,
)
from geo.demo.layout import PLANT_RADIUS_M, Layout
from geo.demo.period import (
    END_MINUTE,
    MINUTES_PER_DAY,
    N_DAYS,
    N_MONTHS,
    Calendar,
    background_hour_weights,
    format_times,
    month_mass,
    sample_minutes,
    weekend_evening_mask,
)
from geo.demo.population import ETHNICITIES

__all__ = [
    "INCIDENT_HEADER",
    "LOCATION_TYPES",
    "NEAR_REPEAT_DAYS",
    "NEAR_REPEAT_DISTANCE_M",
    "Events",
    "background_incidents",
    "incidents_frame",
    "plant_near_repeat_chains",
    "planted_incidents",
]

#: Near-repeat definition used for the planted chains.
NEAR_REPEAT_DISTANCE_M: Final = 200
NEAR_REPEAT_DAYS: Final = 14

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

#: The categories the demo's partner extract records: the schema's incident categories,
#: in schema order, less police.uk's all-ages ones it never records.
_CATEGORIES: Final[tuple[str, ...]] = tuple(
    c for c in INCIDENT_CATEGORIES if c not in ("violence_and_sexual_offences", "asb", "other")
)
#: Background category probabilities (order of ``_CATEGORIES``).
_BACKGROUND_CATEGORY_P: Final = np.array(
    [0.18, 0.22, 0.15, 0.06, 0.06, 0.05, 0.03, 0.10, 0.11, 0.04]
)
#: Location types written to ``incidents.csv``.
LOCATION_TYPES: Final[tuple[str, ...]] = (
    "street",
    "park",
    "transport",
    "shop",
    "school",
    "residential",
)
#: Location-type probabilities (order of ``LOCATION_TYPES``) per kind of place.
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
#: The schema's age bands, then a blank.
_INCIDENT_AGE_BANDS: Final[tuple[str, ...]] = (*AGE_BANDS, "")
_INCIDENT_AGE_P: Final = np.array([0.005, 0.09, 0.47, 0.38, 0.045, 0.01])
_SCHOOL_AGE_P: Final = np.array([0.0, 0.35, 0.60, 0.05, 0.0, 0.0])
#: The schema's sexes in the order they are drawn (male, female, other, unknown: the
#: order is part of every seed's output), then a blank.
_INCIDENT_SEXES: Final[tuple[str, ...]] = (*(SEXES[i] for i in (1, 0, 2, 3)), "")
_INCIDENT_SEX_P: Final = np.array([0.76, 0.21, 0.005, 0.015, 0.01])
#: Ethnicity of incidents (order of :data:`geo.demo.population.ETHNICITIES`).
_INCIDENT_ETHNICITY_P: Final = np.array([0.33, 0.30, 0.20, 0.09, 0.04, 0.04])

# Sizes of the synthetic world.
_N_BACKGROUND: Final = 8700
_OUTSIDE_SHARE: Final = 0.025  # background points moved just outside the boundary
_OUTSIDE_MAX_M: Final = 100.0
_N_CHAINS: Final = 25
_CHAIN_RADIUS_M: Final = 100.0  # follow-on incidents lie this close to their seed
_CHAIN_DECAY_DAYS: Final = 2.5  # e-folding time of the near-repeat triggering kernel
#: Planted monthly counts: persistent (and fading, while live) cells get a base
#: plus Poisson(extra) incidents a month; the emerging cell gets first, first+step,
#: ... in the last six months; the fading cell declines linearly from START to END.
_PERSISTENT_BASE: Final = 18.0
_PERSISTENT_EXTRA: Final = 3.0
_EMERGING_FIRST: Final = 10.0
_EMERGING_STEP: Final = 3.0
_FADING_START: Final = 30.0
_FADING_END: Final = 18.0


@dataclass
class Events:
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
    return choice(rng, _CATEGORIES, p, n)


def _events(
    rng: np.random.Generator,
    x: FloatArray,
    y: FloatArray,
    t: IntArray,
    loc_kind: str,
    boost: dict[str, float] | None = None,
    school_age: bool = False,
) -> Events:
    n = x.size
    return Events(
        x=x,
        y=y,
        t=t,
        category=_categories(rng, n, boost),
        location_type=choice(rng, LOCATION_TYPES, _LOCATION_P[loc_kind], n),
        age_band=choice(
            rng, _INCIDENT_AGE_BANDS, _SCHOOL_AGE_P if school_age else _INCIDENT_AGE_P, n
        ),
    )


def background_incidents(rng: np.random.Generator, cal: Calendar) -> Events:
    """The background incidents: the urban mixture, timed by the hour weights."""
    w = background_hour_weights(cal)
    mass = month_mass(w, cal)
    counts = rng.multinomial(_N_BACKGROUND, mass / mass.sum())
    t = sample_minutes(rng, w, counts, cal)
    x, y, comp = background_points(rng, _N_BACKGROUND)
    kinds = np.array([p.kind for p in PLACES] + ["floor"], dtype=object)[comp]
    loc = np.empty(_N_BACKGROUND, dtype=object)
    for kind in ("town_centre", "transport", "estate", "park", "floor"):  # five kinds
        m = kinds == kind
        loc[m] = choice(rng, LOCATION_TYPES, _LOCATION_P[kind], int(m.sum()))
    # A few percent just outside the edge (partner extracts spill over boundaries).
    n_out = int(round(_OUTSIDE_SHARE * _N_BACKGROUND))
    moved = rng.choice(_N_BACKGROUND, size=n_out, replace=False)
    x[moved], y[moved] = ring_outside(rng, n_out, _OUTSIDE_MAX_M)
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
    b = np.broadcast_to(np.asarray(base, dtype=np.float64), (N_MONTHS,))
    e = np.broadcast_to(np.asarray(extra, dtype=np.float64), (N_MONTHS,))
    out: IntArray = (np.round(b) + rng.poisson(e)).astype(np.int64)
    return out


def planted_incidents(rng: np.random.Generator, cal: Calendar, lay: Layout) -> list[Events]:
    """The planted hot spots' incidents (persistent, emerging, fading, school journey)."""
    w_bg = background_hour_weights(cal)
    wk_eve = np.where(weekend_evening_mask(cal), w_bg, 0.0)
    out: list[Events] = []
    months = np.arange(N_MONTHS)

    # Persistent hotspot with the youth-work gap: mostly weekend evenings.
    counts = _monthly(rng, _PERSISTENT_BASE, _PERSISTENT_EXTRA)
    eve = rng.binomial(counts, 0.7)
    t = np.concatenate(
        [sample_minutes(rng, wk_eve, eve, cal), sample_minutes(rng, w_bg, counts - eve, cal)]
    )
    x, y = points_in_cell(rng, lay.gap, t.size, PLANT_RADIUS_M)
    out.append(_events(rng, x, y, t, "hotspot", {"violence_with_injury": 2.0, "public_order": 2.0}))

    # Two more persistent hotspots (robbery/knife; drugs/exploitation).
    boosts = ({"robbery": 2.5, "knife_crime": 2.0}, {"drugs": 3.0, "exploitation_concern": 3.0})
    for site, boost in zip(lay.persistent, boosts, strict=True):
        counts = _monthly(rng, _PERSISTENT_BASE, _PERSISTENT_EXTRA)
        t = sample_minutes(rng, w_bg, counts, cal)
        x, y = points_in_cell(rng, site, t.size, PLANT_RADIUS_M)
        out.append(_events(rng, x, y, t, "hotspot", boost))

    # Emerging: nothing until the last six months, then strong and rising.
    ramp = np.clip(months - 17, 0, None).astype(np.float64)  # 0 .. 6
    base = np.where(ramp > 0, _EMERGING_FIRST + _EMERGING_STEP * (ramp - 1.0), 0.0)
    counts = _monthly(rng, base, np.where(ramp > 0, 1.0, 0.0))
    t = sample_minutes(rng, w_bg, counts, cal)
    x, y = points_in_cell(rng, lay.emerging, t.size, PLANT_RADIUS_M)
    out.append(_events(rng, x, y, t, "hotspot", {"robbery": 2.0, "knife_crime": 2.5}))

    # Fading: a hot spot every month, but declining steadily from very strong to
    # moderate, so that Esri's categories read it as Diminishing (hot in >= 90 % of
    # steps, significant downward trend) or, if the last month drops out, Historical.
    base = np.linspace(_FADING_START, _FADING_END, months.size)
    counts = _monthly(rng, base, _PERSISTENT_EXTRA)
    t = sample_minutes(rng, w_bg, counts, cal)
    x, y = points_in_cell(rng, lay.fading, t.size, PLANT_RADIUS_M)
    out.append(_events(rng, x, y, t, "hotspot", {"violence_without_injury": 2.0}))

    # School journey: term-time weekdays, 07:30-09:00 and 15:00-17:30.
    term_days = np.flatnonzero(cal.term_day)
    per_day = rng.poisson(0.45, term_days.size)
    days = np.repeat(term_days, per_day)
    u = rng.uniform(0.0, 240.0, days.size)  # 90 morning minutes + 150 afternoon minutes
    minute_of_day = np.where(u < 90.0, 450.0 + u, 900.0 + (u - 90.0)).astype(np.int64)
    t = days * MINUTES_PER_DAY + minute_of_day
    x, y = points_in_cell(rng, lay.school_journey, t.size, PLANT_RADIUS_M)
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


def plant_near_repeat_chains(
    rng: np.random.Generator, bg: Events, lay: Layout
) -> tuple[Events, int]:
    """Near-repeat chains: 2-5 follow-on incidents within 100 m and 14 days of a seed."""
    planted = [lay.gap, *lay.persistent, lay.emerging, lay.fading, lay.school_journey]
    ok = bg.t <= (N_DAYS - NEAR_REPEAT_DAYS - 1) * MINUTES_PER_DAY
    ok &= inside(boundary_bng(), bg.x, bg.y)
    ok &= edge_distance(bg.x, bg.y) >= 250.0
    ok &= np.isin(
        bg.category, ("robbery", "violence_with_injury", "knife_crime", "violence_without_injury")
    )
    for s in planted:
        ok &= np.hypot(bg.x - s.x, bg.y - s.y) >= 500.0
    seeds = rng.choice(np.flatnonzero(ok), size=_N_CHAINS, replace=False)
    seeds.sort()
    n_follow = rng.integers(2, 6, _N_CHAINS)
    src = np.repeat(seeds, n_follow)
    dx, dy = disk(rng, src.size, _CHAIN_RADIUS_M)
    # Self-exciting: the triggering kernel decays exponentially in time (truncated at
    # 14 days), so most follow-on incidents come within a few days of the seed.
    span = NEAR_REPEAT_DAYS - 0.05
    u = rng.random(src.size)
    tau = _CHAIN_DECAY_DAYS
    off_days = -tau * np.log1p(-u * (1.0 - np.exp(-span / tau)))
    t = bg.t[src] + 60 + np.floor(off_days * MINUTES_PER_DAY).astype(np.int64)
    t = np.minimum(t, bg.t[src] + NEAR_REPEAT_DAYS * MINUTES_PER_DAY - 1)
    t = np.minimum(t, END_MINUTE)
    ev = _events(rng, bg.x[src] + dx, bg.y[src] + dy, t, "chain")
    same = rng.random(src.size) < 0.6
    ev.category = np.where(same, bg.category[src], ev.category)
    return ev, int(seeds.size)


def incidents_frame(rng: np.random.Generator, parts: list[Events]) -> pd.DataFrame:
    """All incidents in the partner format, in time order, with drawn attributes."""
    x = np.concatenate([p.x for p in parts])
    y = np.concatenate([p.y for p in parts])
    t = np.concatenate([p.t for p in parts])
    cat = np.concatenate([p.category for p in parts])
    loc = np.concatenate([p.location_type for p in parts])
    age = np.concatenate([p.age_band for p in parts])
    n = t.size
    order = np.argsort(t, kind="stable")
    lon, lat = round_coords(x, y)
    sex = choice(rng, _INCIDENT_SEXES, _INCIDENT_SEX_P, n)
    eth = choice(rng, ETHNICITIES, _INCIDENT_ETHNICITY_P, n)
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
            "Date and time": format_times(t),
            "Category": cat,
            "Latitude": fmt_coord(lat),
            "Longitude": fmt_coord(lon),
            "Age band": age,
            "Sex": sex,
            "Ethnicity": eth,
            "Weapon": weapon,
            "Location type": loc,
        }
    ).iloc[order]
    df.insert(0, "Incident ID", np.char.mod("INC-%06d", np.arange(1, n + 1)).astype(object))
    return df.reset_index(drop=True)
