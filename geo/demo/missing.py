"""Missing episodes of the demo's cohort of children, with return-home interviews.

A cohort of 350 pseudonymous children, 25 of them repeat-missing (missing in bursts:
at least 3 episodes within 90 days), some looked after and some placed in the demo
children's home. Children are found near home, in busy places, at the children's home
or (planted; not in the null demo) in the missing found-location hot spot.
:func:`missing_frame` writes the episodes in the partner missing-episodes format
(``data/templates/missing_episodes.csv``).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core import hexes
from geo.core.schema import RHI_THEMES, RISK_LEVELS, SEXES
from geo.demo.borough import (
    PLACES,
    BoolArray,
    boundary_bng,
    cells9,
    choice,
    disk,
    fmt_coord,
    inside,
    mixture,
    round_coords,
)
from geo.demo.layout import PLANT_RADIUS_M, Layout
from geo.demo.period import END_MINUTE, MINUTES_PER_DAY, N_DAYS, Calendar, format_times
from geo.demo.population import CHILD_ETHNICITY_P, ETHNICITIES
from geo.demo.schools import Schools

__all__ = [
    "MISSING_HEADER",
    "REPEAT_MISSING_DAYS",
    "REPEAT_MISSING_EPISODES",
    "count_repeat_children",
    "missing_frame",
]

#: Repeat-missing definition: this many episodes ...
REPEAT_MISSING_EPISODES: Final = 3
#: ... with reported times spanning at most this many days.
REPEAT_MISSING_DAYS: Final = 90

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
#: When children are reported missing, by hour of day.
_MISSING_REPORT_PROFILE: Final = np.array(
    [0.6, 0.4, 0.3, 0.2, 0.15, 0.15, 0.2, 0.3, 0.4, 0.4, 0.4, 0.5,
     0.6, 0.7, 0.9, 1.2, 1.6, 1.9, 2.1, 2.2, 2.2, 2.0, 1.6, 1.0]
)  # fmt: skip
#: The cohort's sexes: the schema's, less ``"other"``.
_CHILD_SEXES: Final[tuple[str, ...]] = tuple(s for s in SEXES if s != "other")
_CHILD_SEX_P: Final = np.array([0.47, 0.50, 0.03])
_RHI_THEME_W: Final = np.array([0.10, 0.06, 0.22, 0.22, 0.12, 0.10, 0.12, 0.06])
_N_CHILDREN: Final = 350
_N_REPEAT_CHILDREN: Final = 25
_HOME_RADIUS_M: Final = 30.0


def count_repeat_children(child: npt.ArrayLike, reported_min: npt.ArrayLike) -> int:
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
    hit = (c[k:] == c[:-k]) & (t[k:] - t[:-k] <= REPEAT_MISSING_DAYS * MINUTES_PER_DAY)
    return int(np.unique(c[k:][hit]).size)


def missing_frame(
    rng: np.random.Generator,
    cal: Calendar,
    lay: Layout,
    schools: Schools,
    *,
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
    sex = choice(rng, _CHILD_SEXES, _CHILD_SEX_P, n_c)
    eth = choice(rng, ETHNICITIES, CHILD_ETHNICITY_P, n_c)
    estate_w = [p.weight if p.kind == "estate" else 0.0 for p in PLACES]
    hx, hy, _ = mixture(rng, n_c, estate_w, 0.18)
    hx = np.where(in_home, lay.home_x, hx)
    hy = np.where(in_home, lay.home_y, hy)
    home_area = hexes.cells_to_str(cells9(hx, hy, res=7)).astype(object)

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
    span = N_DAYS - 0.01
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
        np.floor(t_days).astype(np.int64) * MINUTES_PER_DAY
        + hour * 60
        + rng.integers(0, 60, child.size)
    )
    n_e = reported.size

    # Durations: mostly hours, long tail to days; never overlapping the next episode.
    dur = np.clip(np.exp(rng.normal(np.log(9.0), 1.15, n_e)) * 60.0, 30.0, 14 * MINUTES_PER_DAY)
    nxt = np.append(reported[1:], np.iinfo(np.int64).max // 2)
    same_next = np.append(child[1:] == child[:-1], False)
    limit = np.where(same_next, nxt - reported - 60, np.inf)
    dur = np.minimum(dur, limit).astype(np.int64)
    returned = reported + dur
    still_missing = returned > END_MINUTE

    # Found / last-seen location.
    cat = rng.random(n_e)
    blank = cat < 0.04
    at_home = ~blank & in_home[child] & (rng.random(n_e) < 0.6)
    p_hot = np.where(repeat[child], 0.25, 0.11)
    hot = ~blank & ~at_home & (rng.random(n_e) < p_hot) & (not null)
    near_home = ~blank & ~at_home & ~hot & (rng.random(n_e) < 0.35)
    busy_w = [p.weight if p.kind in ("town_centre", "transport") else 0.0 for p in PLACES]
    fx, fy, _ = mixture(rng, n_e, busy_w, 0.1)
    gx = hx[child] + rng.normal(0.0, 350.0, n_e)
    gy = hy[child] + rng.normal(0.0, 350.0, n_e)
    gin = inside(boundary_bng(), gx, gy)
    fx = np.where(near_home & gin, gx, fx)
    fy = np.where(near_home & gin, gy, fy)
    ax, ay = disk(rng, n_e, _HOME_RADIUS_M)
    fx = np.where(at_home, lay.home_x + ax, fx)
    fy = np.where(at_home, lay.home_y + ay, fy)
    sx, sy = disk(rng, n_e, PLANT_RADIUS_M)
    fx = np.where(hot, lay.found.x + sx, fx)
    fy = np.where(hot, lay.found.y + sy, fy)
    if hot.any() and not (cells9(fx[hot], fy[hot]) == np.uint64(lay.found.cell)).all():
        raise RuntimeError("found-location hotspot points left their cell")
    flon, flat = round_coords(fx, fy)

    # Return-home interviews.
    r = rng.random(n_e)
    status = np.select(
        [r < 0.60, r < 0.70, r < 0.88], ["completed", "declined", "offered"], "not_offered"
    ).astype(object)
    status[still_missing] = "not_offered"
    soon = rng.random(n_e) < 0.68
    delay_h = np.where(soon, rng.uniform(3.0, 72.0, n_e), rng.uniform(72.0, 14 * 24.0, n_e))
    rhi_at = returned + (delay_h * 60.0).astype(np.int64)
    late = (status == "completed") & (rhi_at > END_MINUTE)
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
    risk = np.asarray(RISK_LEVELS, dtype=object)[np.minimum(risk_idx, 3)]

    order = np.argsort(reported, kind="stable")
    df = pd.DataFrame(
        {
            "Child ID": ids[child],
            "Date reported missing": format_times(reported),
            "Date returned": format_times(returned, still_missing),
            "Found latitude": fmt_coord(flat, blank),
            "Found longitude": fmt_coord(flon, blank),
            "Home area": home_area[child],
            "School URN": urn[child],
            "Looked after": np.where(lac[child], "Y", "N").astype(object),
            "Age band": age_band,
            "Sex": sex[child],
            "Ethnicity": eth[child],
            "RHI status": status,
            "RHI completed": format_times(rhi_at, ~completed),
            "RHI themes": themes,
            "Risk level": risk,
        }
    ).iloc[order]
    df.insert(0, "Episode ID", np.char.mod("EP-%06d", np.arange(1, n_e + 1)).astype(object))
    repeat_children = count_repeat_children(child, reported)
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
    for j, theme in enumerate(RHI_THEMES):  # eight codes
        col = chosen[:, j]
        out = np.where(col & (out == ""), theme, np.where(col, out + ";" + theme, out))
    return out.astype(object)
