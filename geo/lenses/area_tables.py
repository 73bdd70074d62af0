"""Area tables (population, deprivation, census) by neighbourhood: which boundary
vintage a table uses, whether it covers the study area, and rates per 1,000 young
residents beside deprivation.

Area statistics arrive keyed by ONS codes of one vintage (IMD 2019 and the mid-2020
population by LSOA 2011, Census 2021 by LSOA 2021) while police.uk mixes both. Nothing
here trusts a code column: every table is placed through the boundaries loaded for its
codes, vintages are joined by the area of their overlap (EPSG:27700), and records are put
in neighbourhoods by where they are, not by the code a feed wrote.

A rate is only computed when its denominator covers the study area
(:data:`MIN_COVERAGE`); otherwise the caller is told how much of the area the table
covers and no rate is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import stats

from geo.core import hexes
from geo.core.area import BNG, WGS84, StudyArea, to_bng
from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.core.schema import ALL_AGES_SOURCES, syv_sql
from geo.store.database import Store

__all__ = [
    "MIN_COVERAGE",
    "YOUNG_AGES",
    "NEIGHBOURHOOD_HEADERS",
    "NeighbourhoodRates",
    "TableCoverage",
    "area_boundaries",
    "imd_deciles",
    "neighbourhood_rates",
    "population_by_age",
    "table_coverage",
    "vintage_crosswalk",
    "vintage_label",
]

#: Share of the study area a denominator's areas must cover before a rate is shown.
MIN_COVERAGE: Final = 0.98
#: Ages counted as young residents (single years, inclusive of both ends).
YOUNG_AGES: Final = (10, 24)
#: The IMD 2019 decile measure (the gov.uk file's column name, stored as the measure).
IMD_DECILE: Final = (
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
)
#: A rate ratio to the whole area below this is not called "higher", however significant.
MIN_RATE_RATIO: Final = 1.5
#: False discovery rate for "higher than the area" (Benjamini-Hochberg).
FDR: Final = 0.05

_KIND_LABELS: Final[dict[str, str]] = {
    "lsoa11": "LSOA 2011",
    "lsoa21": "LSOA 2021",
    "msoa11": "MSOA 2011",
    "msoa21": "MSOA 2021",
    "cmwd11": "merged ward 2011",
}

#: Column headings of :attr:`NeighbourhoodRates.table` as shown and exported.
NEIGHBOURHOOD_HEADERS: Final[dict[str, str]] = {
    "name": "Neighbourhood",
    "syv_rate": "SYV per 1,000 aged 10–24",
    "violence_rate": "Violence per 1,000 residents",
    "higher": "Higher than the area",
    "rate_ratio": "Rate ratio to the area",
    "syv": "Serious youth violence",
    "violence": "Violence, all ages (police.uk)",
    "imd_decile": "IMD 2019 decile (1 = most deprived)",
    "young": "Residents aged 10–24",
    "residents": "Residents (all ages)",
    "area_code": "Area code",
}


def vintage_label(kind: str | None) -> str:
    """Plain name of a boundary kind (``lsoa11`` -> "LSOA 2011")."""
    if kind is None:
        return "unknown boundaries"
    return _KIND_LABELS.get(kind, kind.upper())


def area_boundaries(store: Store, kinds: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Loaded boundaries (``areas``), one row per code and kind, in EPSG:27700.

    An LSOA left unchanged in 2021 keeps its 2011 code, so one code may appear under
    both ``lsoa11`` and ``lsoa21``.

    Returns
    -------
    GeoDataFrame
        ``area_code``, ``name``, ``area_kind`` and ``geometry`` (metres).
    """
    where, params = "", []
    if kinds:
        where = f"WHERE area_kind IN ({', '.join('?' for _ in kinds)})"
        params = list(kinds)
    frame = store.query(
        "SELECT area_code, any_value(name) AS name, area_kind, "
        f"any_value(geometry_wkb) AS wkb FROM areas {where} GROUP BY area_code, area_kind "
        "ORDER BY 1, 3",
        params,
    )
    geoms = shapely.from_wkb([bytes(b) for b in frame["wkb"]])
    out = gpd.GeoDataFrame(
        frame.drop(columns="wkb").astype({"area_code": str}), geometry=list(geoms), crs=WGS84
    )
    return out.to_crs(BNG)


def _study_area_bng(area: StudyArea) -> shapely.Geometry:
    projected: shapely.Geometry = gpd.GeoSeries([area.boundary], crs=WGS84).to_crs(BNG).iloc[0]
    return projected


@dataclass(frozen=True)
class TableCoverage:
    """How much of the study area an area table covers.

    Attributes
    ----------
    what : str
        The table, in words ("the population table").
    codes : int
        Area codes the table holds.
    with_boundary : int
        Of those, codes with a loaded boundary (only these can be placed).
    kind : str or None
        Boundary vintage of those codes (``lsoa11``), None when none is loaded.
    share : float or None
        Share of the study area's surface covered by those boundaries (0-1), None when
        no boundary of the table's codes is loaded (coverage cannot be checked).
    area_name : str
        The study area's name.
    """

    what: str
    codes: int
    with_boundary: int
    kind: str | None
    share: float | None
    area_name: str

    @property
    def covers(self) -> bool:
        """Whether the table covers the study area well enough for a rate."""
        return self.share is not None and self.share >= MIN_COVERAGE

    def sentence(self) -> str:
        """One sentence saying what the table covers."""
        if self.codes == 0:
            return f"No {self.what} is loaded."
        if self.share is None:
            return (
                f"The {self.what} holds {self.codes:,} areas with no loaded boundary, so "
                f"whether it covers {self.area_name} cannot be checked: load the LSOA "
                "boundaries (ingest --kind boundary)."
            )
        return (
            f"The {self.what} holds {self.codes:,} {vintage_label(self.kind)} areas covering "
            f"{self.share:.0%} of {self.area_name}."
        )


def _kind_of(bounds: gpd.GeoDataFrame, codes: list[str]) -> str | None:
    """The boundary kind holding most of ``codes`` (the newer vintage on a tie)."""
    held = bounds.loc[bounds["area_code"].isin(set(codes)), "area_kind"]
    if held.empty:
        return None
    tally = held.value_counts()
    best = tally.loc[tally == tally.max()].index
    return str(sorted(best)[-1])


def table_coverage(
    store: Store,
    area: StudyArea,
    codes: list[str],
    what: str,
    *,
    bounds: gpd.GeoDataFrame | None = None,
) -> TableCoverage:
    """How much of ``area`` the areas ``codes`` (their loaded boundaries) cover.

    The share is measured on the surface in EPSG:27700: the union of the codes'
    boundaries intersected with the study area, over the study area. ``bounds`` are the
    store's :func:`area_boundaries` when the caller has them already.
    """
    bounds = area_boundaries(store) if bounds is None else bounds
    kind = _kind_of(bounds, codes)
    if kind is None:
        return TableCoverage(what, len(set(codes)), 0, None, None, area.name)
    held = bounds.loc[bounds["area_code"].isin(set(codes)) & (bounds["area_kind"] == kind)]
    study = _study_area_bng(area)
    covered = shapely.intersection(shapely.union_all(held.geometry.to_numpy()), study)
    share = float(shapely.area(covered) / shapely.area(study)) if shapely.area(study) else 0.0
    return TableCoverage(what, len(set(codes)), len(held), kind, min(share, 1.0), area.name)


def vintage_crosswalk(store: Store, from_kind: str, to_kind: str) -> pd.DataFrame:
    """Spatial join of two boundary vintages by the area of their overlap.

    Returns
    -------
    DataFrame
        ``from_code``, ``to_code``, ``share_of_from`` (part of the ``from`` area inside
        ``to``) and ``share_of_to`` (part of the ``to`` area inside ``from``); pairs that
        overlap by less than 1 % of either are slivers of generalised boundaries and left out.
    """
    return _crosswalk(area_boundaries(store), from_kind, to_kind)


def _crosswalk(bounds: gpd.GeoDataFrame, from_kind: str, to_kind: str) -> pd.DataFrame:
    """:func:`vintage_crosswalk` on boundaries already loaded."""
    left = bounds.loc[bounds["area_kind"] == from_kind]
    right = bounds.loc[bounds["area_kind"] == to_kind]
    if left.empty or right.empty:
        return pd.DataFrame(columns=["from_code", "to_code", "share_of_from", "share_of_to"])
    tree = shapely.STRtree(right.geometry.to_numpy())
    li, ri = tree.query(left.geometry.to_numpy(), predicate="intersects")
    lg = left.geometry.to_numpy()[li]
    rg = right.geometry.to_numpy()[ri]
    overlap = shapely.area(shapely.intersection(lg, rg))
    out = pd.DataFrame(
        {
            "from_code": left["area_code"].to_numpy()[li],
            "to_code": right["area_code"].to_numpy()[ri],
            "share_of_from": overlap / shapely.area(lg),
            "share_of_to": overlap / shapely.area(rg),
        }
    )
    keep = (out["share_of_from"] >= 0.01) | (out["share_of_to"] >= 0.01)
    return out.loc[keep].reset_index(drop=True)


def _measure_frame(store: Store, measures: list[str]) -> pd.DataFrame:
    marks = ", ".join("?" for _ in measures)
    return store.query(
        "SELECT s.area_code, s.measure, s.value, b.file_name FROM area_stats s "
        f"LEFT JOIN batches b USING (batch_id) WHERE s.measure IN ({marks})",
        measures,
    )


def population_by_age(store: Store) -> tuple[pd.DataFrame, str | None]:
    """Residents by area from a population table by single year of age.

    Returns
    -------
    DataFrame
        ``area_code``, ``young`` (aged :data:`YOUNG_AGES`) and ``residents`` (all ages),
        one row per area holding every single year 0-89 and 90+; empty when none is loaded.
    str or None
        The file the figures came from.
    """
    ages = [str(a) for a in range(90)] + ["90+"]
    frame = _measure_frame(store, ages)
    if frame.empty:
        return pd.DataFrame(columns=["area_code", "young", "residents"]), None
    wide = frame.pivot_table(index="area_code", columns="measure", values="value", aggfunc="last")
    wide = wide.dropna(subset=[a for a in ages if a in wide.columns])
    if wide.empty or any(a not in wide.columns for a in ages):
        return pd.DataFrame(columns=["area_code", "young", "residents"]), None
    lo, hi = YOUNG_AGES
    out = pd.DataFrame(
        {
            "area_code": wide.index.astype(str),
            "young": wide[[str(a) for a in range(lo, hi + 1)]].sum(axis=1).to_numpy(),
            "residents": wide[ages].sum(axis=1).to_numpy(),
        }
    )
    source = str(frame["file_name"].mode().iloc[0]) if frame["file_name"].notna().any() else None
    return out.reset_index(drop=True), source


def imd_deciles(store: Store) -> pd.Series:
    """IMD 2019 decile by area code (1 = most deprived 10 % of areas in England)."""
    frame = _measure_frame(store, [IMD_DECILE])
    return frame.groupby("area_code")["value"].last().astype(int)


def _deciles_for(
    store: Store, bounds: gpd.GeoDataFrame, unit_kind: str, units: list[str]
) -> tuple[pd.Series, str]:
    """IMD deciles on the units' vintage: by code when IMD is on that vintage, otherwise
    the decile of the IMD area covering most of each unit (vintages joined spatially)."""
    deciles = imd_deciles(store)
    if deciles.empty:
        return pd.Series(dtype="Int64"), "No IMD is loaded."
    imd_kind = _kind_of(bounds, list(deciles.index))
    if imd_kind is None:
        return pd.Series(pd.NA, index=units, dtype="Int64"), (
            "IMD is loaded for areas with no loaded boundary, so it cannot be joined."
        )
    if imd_kind == unit_kind:
        return deciles.reindex(units).astype("Int64"), (
            f"IMD 2019 deciles by {vintage_label(imd_kind)} code."
        )
    walk = _crosswalk(bounds, unit_kind, imd_kind)
    walk = walk.loc[walk["to_code"].isin(set(deciles.index))]
    best = walk.sort_values("share_of_from").groupby("from_code").last()
    joined = deciles.reindex(best["to_code"]).to_numpy()
    out = pd.Series(joined, index=best.index).reindex(units).astype("Int64")
    return out, (
        f"IMD 2019 is by {vintage_label(imd_kind)}: each {vintage_label(unit_kind)} takes the "
        "decile of the area covering most of it (vintages joined by overlap)."
    )


@dataclass(frozen=True)
class NeighbourhoodRates:
    """Harm per 1,000 residents by neighbourhood, beside deprivation.

    Attributes
    ----------
    table : DataFrame
        One row per neighbourhood (columns of :data:`NEIGHBOURHOOD_HEADERS`, internal
        names), ordered by the primary rate, highest first.
    primary : str
        ``"syv"`` (a partner's serious youth violence extract is loaded for the window)
        or ``"violence"`` (police.uk violence and sexual offences only).
    coverage : TableCoverage
        The population table's coverage of the study area.
    unit_kind : str
        Boundary vintage of the neighbourhoods (the population table's).
    outside : int
        Located records in the window that lie in no neighbourhood (the area's buffer).
    notes : tuple of str
        What the table uses: feeds, months, population file, IMD join, the test.
    """

    table: pd.DataFrame
    primary: str
    coverage: TableCoverage
    unit_kind: str
    outside: int
    notes: tuple[str, ...]

    def display(self) -> pd.DataFrame:
        """The table with human headers (the columns that hold data)."""
        cols = [c for c in NEIGHBOURHOOD_HEADERS if c in self.table.columns]
        if "violence" not in self.table.columns:
            cols.remove("residents")  # the all-ages denominator serves police.uk only
        return self.table[cols].rename(columns=NEIGHBOURHOOD_HEADERS)


def _located_counts(
    store: Store, filters: Filters, predicate: str, units: gpd.GeoDataFrame
) -> tuple[npt.NDArray[np.int64], int]:
    """Records matching ``predicate`` in the window, counted by the unit their point
    (the centre of their storage cell, res 11, about 50 m across) lies in; and those in none."""
    start, end = filters.bounds()
    frame = store.query(
        "SELECT cell FROM incidents WHERE cell IS NOT NULL "
        f"AND occurred_at >= ? AND occurred_at < ? AND {predicate}",
        [start.to_pydatetime(), end.to_pydatetime()],
    )
    if frame.empty:
        return np.zeros(len(units), dtype=np.int64), 0
    cells = frame["cell"].to_numpy(dtype=np.uint64)
    uniq, inverse = np.unique(cells, return_inverse=True)
    lat, lng = hexes.cell_centres(uniq)
    x, y = to_bng(lng, lat)
    tree = shapely.STRtree(units.geometry.to_numpy())
    pi, ui = tree.query(shapely.points(x, y), predicate="within")
    unit_of = np.full(len(uniq), -1, dtype=np.int64)
    unit_of[pi] = ui  # generalised boundaries do not overlap; a shared edge keeps one
    per_record = unit_of[inverse]
    inside = per_record >= 0
    counts = np.bincount(per_record[inside], minlength=len(units)).astype(np.int64)
    return counts, int((~inside).sum())


def _higher_than_area(
    counts: npt.NDArray[np.int64], denominators: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Rate ratio to the whole area, and which units are higher than the area: a
    one-sided Poisson test of each count against the area rate times its denominator,
    Benjamini-Hochberg at :data:`FDR`, and a ratio of at least :data:`MIN_RATE_RATIO`."""
    total_rate = counts.sum() / denominators.sum() if denominators.sum() else 0.0
    expected = total_rate * denominators
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, counts / expected, np.nan)
    if total_rate == 0:
        return ratio, np.zeros(len(counts), dtype=bool)
    p = stats.poisson.sf(counts - 1, expected)
    q = stats.false_discovery_control(p, method="bh")
    return ratio, (q < FDR) & (ratio >= MIN_RATE_RATIO)


def neighbourhood_rates(store: Store, area: StudyArea, filters: Filters) -> NeighbourhoodRates:
    """Serious youth violence per 1,000 residents aged 10-24 and police.uk violence per
    1,000 residents, by neighbourhood of the population table's vintage, with IMD deciles.

    Raises
    ------
    InsufficientDataError
        No population by single year of age is loaded, its areas have no boundary, it does
        not cover the study area (:data:`MIN_COVERAGE`), or no incident is loaded.
    """
    population, pop_file = population_by_age(store)
    if population.empty:
        raise InsufficientDataError(
            "no population by single year of age is loaded (ONS mid-year LSOA estimates, "
            "ingest --kind area_stats), so no rate per 1,000 residents can be given"
        )
    bounds = area_boundaries(store)  # read once: coverage, neighbourhoods and the IMD join
    coverage = table_coverage(
        store, area, list(population["area_code"]), "population table", bounds=bounds
    )
    if not coverage.covers:
        raise InsufficientDataError(
            coverage.sentence() + " No rate is given for an area its denominator does not cover."
        )
    unit_kind = str(coverage.kind)
    units = bounds.loc[
        (bounds["area_kind"] == unit_kind) & bounds["area_code"].isin(set(population["area_code"]))
    ]
    study = _study_area_bng(area)
    inside = shapely.area(shapely.intersection(units.geometry.to_numpy(), study))
    units = units.loc[inside / shapely.area(units.geometry.to_numpy()) >= 0.5]
    units = units.reset_index(drop=True)
    pop = population.set_index("area_code").reindex(units["area_code"])
    table = pd.DataFrame(
        {
            "name": units["name"].fillna(units["area_code"]).to_numpy(),
            "area_code": units["area_code"].to_numpy(),
            "young": pop["young"].round().astype(int).to_numpy(),
            "residents": pop["residents"].round().astype(int).to_numpy(),
        }
    )
    window = f"{filters.month_from} to {filters.month_to}"
    notes = [
        f"{len(units):,} {vintage_label(unit_kind)} neighbourhoods of {area.name}; residents "
        f"from {pop_file or 'the loaded population table'}. {coverage.sentence()}"
    ]
    syv, syv_out = _located_counts(store, filters, syv_sql(), units)
    srcs = ", ".join(f"'{s}'" for s in ALL_AGES_SOURCES) or "NULL"
    violence, vio_out = _located_counts(
        store,
        filters,
        f"category = 'violence_and_sexual_offences' AND source IN ({srcs})",
        units,
    )
    have_syv = bool(syv.sum())
    have_violence = bool(violence.sum())
    if not have_syv and not have_violence:
        raise InsufficientDataError(
            f"no located serious youth violence or police.uk violence is loaded for {window}"
        )
    young = table["young"].to_numpy(dtype=float)
    residents = table["residents"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if have_syv:
            table["syv"] = syv
            table["syv_rate"] = np.where(young > 0, 1000 * syv / young, np.nan)
            notes.append(
                f"Serious youth violence: partner extracts, {window}, per 1,000 residents aged "
                f"{YOUNG_AGES[0]}–{YOUNG_AGES[1]}."
            )
        else:
            notes.append(
                f"No located serious youth violence from a partner extract in {window}, so "
                "no rate per young resident."
            )
        if have_violence:
            table["violence"] = violence
            table["violence_rate"] = np.where(residents > 0, 1000 * violence / residents, np.nan)
            notes.append(
                f"Violence and sexual offences: police.uk street crime, {window}, victims of "
                "all ages, so per 1,000 residents of all ages."
            )
    primary = "syv" if have_syv else "violence"
    ratio, higher = _higher_than_area(
        table[primary].to_numpy(dtype=np.int64), young if have_syv else residents
    )
    table["rate_ratio"] = np.round(ratio, 2)
    table["higher"] = np.where(higher, "Yes", "")
    notes.append(
        f"“Higher than the area”: a one-sided Poisson test of each neighbourhood's "
        f"{'serious youth violence' if have_syv else 'violence'} against {area.name}'s rate, "
        f"Benjamini-Hochberg FDR {FDR:.0%}, and at least {MIN_RATE_RATIO:g} times the area rate."
    )
    deciles, imd_note = _deciles_for(store, bounds, unit_kind, list(table["area_code"]))
    if not deciles.empty:
        table["imd_decile"] = deciles.to_numpy()
    notes.append(imd_note)
    outside = syv_out if have_syv else vio_out
    if outside:
        notes.append(
            f"{outside:,} located records fall outside these neighbourhoods (the area's edge "
            "buffer) and are not in any rate."
        )
    rate_col = f"{primary}_rate"
    table = table.sort_values([rate_col, primary], ascending=False, na_position="last")
    for col in ("syv_rate", "violence_rate"):
        if col in table:
            table[col] = table[col].round(1)
    return NeighbourhoodRates(
        table.reset_index(drop=True), primary, coverage, unit_kind, outside, tuple(notes)
    )
