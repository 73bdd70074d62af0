"""Census 2021 populations by ethnic group, the denominators of the disproportionality audit,
and the sub-areas (LSOAs) an audit can be restricted to.

Denominators
------------
Census 2021 TS021 counts of usual residents by ethnic group per LSOA, from
``area_stats`` (measure = the TS021 ``ethnic_group`` text, see
:data:`geo.core.ethnicity.CENSUS_TO_GROUP`), summed over the study area or a chosen
list of LSOAs. Populations by ethnic group *and* age are used when ``area_stats`` holds
them as measures named ``"<TS021 ethnic group> | <age band>"`` (for example
``"White | 10-17"``); otherwise the all-ages population is used and the caveat says so.

Sub-areas
---------
A sub-area restricts the numerators as well as the denominators: located records are
kept when their resolution-:data:`AREA_RES` cell lies in the chosen areas' boundaries
(:func:`area_cells`); the others are counted as excluded (:data:`OUTSIDE_AREAS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.core import hexes
from geo.core.area import StudyArea
from geo.core.ethnicity import CENSUS_TO_GROUP, COUNT_GROUPS, GROUPS, group_codes
from geo.lenses.area_tables import table_coverage
from geo.lenses.ethnicity_counts import CAVEATS, in_list_sql
from geo.store.database import Store

__all__ = [
    "AGE_SEPARATOR",
    "AREA_RES",
    "OUTSIDE_AREAS",
    "Denominators",
    "area_cells",
    "area_choices",
    "census_areas",
    "census_denominators",
    "schools_in_areas",
    "within_areas",
]

#: Separator in ``area_stats`` measures holding populations by ethnic group and age.
AGE_SEPARATOR: Final = " | "


@dataclass(frozen=True)
class Denominators:
    """Resident populations by census group.

    Attributes
    ----------
    population : Series
        Float populations indexed by :data:`GROUPS`.
    areas : int
        LSOAs summed.
    missing_areas : tuple of str
        LSOAs asked for that have no census ethnic-group rows.
    age_band : str or None
        The age band the populations are for (None: all ages).
    caveat : str
        What the denominators are, in plain English, with their limits.
    """

    population: pd.Series
    areas: int
    missing_areas: tuple[str, ...] = ()
    age_band: str | None = None
    caveat: str = ""


def census_areas(store: Store) -> list[str]:
    """LSOA codes with Census 2021 ethnic-group populations in ``area_stats``."""
    marks = ", ".join("?" for _ in CENSUS_TO_GROUP)
    frame = store.query(
        f"SELECT DISTINCT area_code FROM area_stats WHERE measure IN ({marks}) ORDER BY 1",
        list(CENSUS_TO_GROUP),
    )
    return [str(c) for c in frame["area_code"]]


def census_denominators(
    store: Store,
    lsoas: Sequence[str] | None = None,
    age_band: str | None = None,
    *,
    area: StudyArea | None = None,
) -> Denominators:
    """Sum Census 2021 ethnic-group populations over LSOAs.

    Parameters
    ----------
    store : Store
        Reads ``area_stats`` rows whose measure is a TS021 ethnic group
        (:data:`CENSUS_TO_GROUP`), or ``"<group> | <age band>"`` for ``age_band``.
    lsoas : sequence of str, optional
        The (sub-)area's LSOA codes; None sums every LSOA held.
    age_band : str, optional
        Population age band wanted (e.g. ``"10-17"``); when the store has no
        ethnicity-by-age measures for it, all ages are used and the caveat says so.
    area : StudyArea, optional
        The study area: for the whole area (``lsoas`` None) the census areas' loaded
        boundaries must cover it (:func:`geo.lenses.area_tables.table_coverage`), or no
        population is returned and the caveat says how much they cover.
    """
    names = list(CENSUS_TO_GROUP)
    measures = names if age_band is None else [f"{m}{AGE_SEPARATOR}{age_band}" for m in names]
    area_sql, area_params = ("", []) if lsoas is None else in_list_sql("area_code", tuple(lsoas))
    if lsoas is not None and not lsoas:
        area_sql = " AND FALSE"

    def fetch(wanted: list[str]) -> pd.DataFrame:
        marks = ", ".join("?" for _ in wanted)
        return store.query(
            "SELECT area_code, measure, value FROM area_stats "
            f"WHERE measure IN ({marks}){area_sql}",
            [*wanted, *area_params],
        )

    frame = fetch(measures)
    used_band = age_band
    notes: list[str] = []
    if age_band is not None and frame.empty:
        frame = fetch(names)
        used_band = None
        notes.append(
            f"No population by ethnic group for ages {age_band} is loaded, so all ages are "
            "used. " + CAVEATS["all_ages"]
        )
    elif age_band is None:
        notes.append("All ages.")
    base = frame["measure"].str.split(AGE_SEPARATOR, n=1, regex=False).str[0]
    codes = group_codes(base, "census")
    sums = np.bincount(
        codes, weights=frame["value"].to_numpy(dtype=float), minlength=len(COUNT_GROUPS)
    )
    population = pd.Series(sums[: len(GROUPS)], index=list(GROUPS), dtype=float)
    found = set(frame["area_code"].astype(str))
    missing = tuple(sorted(set(lsoas) - found)) if lsoas is not None else ()
    n_areas = len(found)
    coverage = None
    if lsoas is None and area is not None and n_areas:
        coverage = table_coverage(store, area, sorted(found), "Census 2021 ethnic-group table")
        if coverage.share is not None and not coverage.covers:
            empty = pd.Series(0.0, index=list(GROUPS), dtype=float)
            return Denominators(
                empty,
                0,
                (),
                used_band,
                coverage.sentence()
                + f" No rate is given: the population would not match counts from all of "
                f"{area.name}.",
            )
    if n_areas == 0:
        caveat = "No Census 2021 ethnic-group population is loaded for this area: no rates."
    else:
        ages = "all ages" if used_band is None else f"aged {used_band}"
        caveat = (
            f"Census 2021 usual residents ({ages}) in {n_areas:,} LSOAs. " + " ".join(notes)
        ).strip()
        if missing:
            caveat += f" {len(missing):,} chosen LSOAs have no census rows and are left out."
        if coverage is not None:
            caveat += " " + coverage.sentence()
    return Denominators(population, n_areas, missing, used_band, caveat)


# --------------------------------------------------------------------------------------------
# sub-areas: the chosen LSOAs for numerators as well as denominators
# --------------------------------------------------------------------------------------------

#: Resolution at which located records are matched to areas (about 65 m across).
AREA_RES: Final = 10
OUTSIDE_AREAS: Final = "outside the chosen areas"


def area_choices(store: Store) -> pd.DataFrame:
    """LSOAs with Census 2021 ethnic-group populations, for a sub-area picker.

    Returns
    -------
    DataFrame
        ``area_code``, ``name`` (from a loaded boundary file, else the code) and
        ``has_boundary`` (records can be placed in the area only when it has one).
    """
    codes = census_areas(store)
    if not codes:
        return pd.DataFrame({"area_code": [], "name": [], "has_boundary": []})
    sql, params = in_list_sql("area_code", tuple(codes))
    named = store.query(
        f"SELECT area_code, any_value(name) AS name FROM areas WHERE TRUE{sql} GROUP BY area_code",
        params,
    )
    names = dict(zip(named["area_code"].astype(str), named["name"], strict=True))
    return pd.DataFrame(
        {
            "area_code": codes,
            "name": [str(names.get(c) or c) for c in codes],
            "has_boundary": [c in names for c in codes],
        }
    )


def area_cells(store: Store, lsoas: Sequence[str], res: int = AREA_RES) -> npt.NDArray[np.uint64]:
    """H3 cells (integers) whose centres lie in the union of the chosen areas' boundaries
    (``areas`` rows from a boundary file); empty when none of them has a boundary."""
    if not lsoas:
        return np.empty(0, dtype=np.uint64)
    sql, params = in_list_sql("area_code", tuple(lsoas))
    frame = store.query(f"SELECT geometry_wkb FROM areas WHERE TRUE{sql}", params)
    if frame.empty:
        return np.empty(0, dtype=np.uint64)
    geoms = shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]])
    return hexes.polygon_to_cells(shapely.union_all(geoms), res)


def within_areas(
    frame: pd.DataFrame, store: Store, lsoas: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows whose ``cell_10`` lies in the chosen areas; the others counted as excluded."""
    cells = area_cells(store, lsoas, AREA_RES)
    values = pd.to_numeric(frame["cell_10"], errors="coerce").fillna(0).to_numpy(np.uint64)
    inside = np.isin(values, cells)
    outside = int((~inside).sum())
    kept = frame.loc[inside].drop(columns="cell_10").reset_index(drop=True)
    return kept, ({OUTSIDE_AREAS: outside} if outside else {})


def schools_in_areas(store: Store, lsoas: Sequence[str]) -> tuple[str, ...]:
    """URNs of schools located in the chosen areas (for
    :func:`geo.lenses.feed_counts.school_outcome_counts`)."""
    cells = area_cells(store, lsoas, AREA_RES)
    frame = store.query("SELECT urn, cell_10 FROM schools WHERE urn IS NOT NULL")
    values = pd.to_numeric(frame["cell_10"], errors="coerce").fillna(0).to_numpy(np.uint64)
    return tuple(sorted(str(u) for u in frame.loc[np.isin(values, cells), "urn"]))
