"""Area tables on Havering's published files: both LSOA vintages, IMD, the mid-2020
population and Census 2021, checked against the files themselves with geopandas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.core.area import StudyArea, load_study_area
from geo.core.config import Config, load_config
from geo.core.filters import Filters
from geo.ingest.pipeline import ingest_file
from geo.lenses import area_tables as at
from geo.lenses import disproportionality as dp
from geo.store.database import Store
from tests.geo.ingest.test_onboarding import config_file

pytestmark = pytest.mark.shared_data

BOROUGHS = "boundaries/london_boroughs_lad22_gen20.geojson"
STREET = "police/havering_2024-04-metropolitan-street_syv_subset.csv"
POPULATION = "population/ons_mid2020_population_single_year_age_havering_lsoa11.csv"
IMD = "deprivation/imd2019_domains_havering_lsoa11.csv"
CENSUS = "population/census2021_ethnic_group_havering_lsoa21.csv"
LSOA11 = "boundaries/havering_lsoa11_gen20.geojson"
LSOA21 = "boundaries/havering_lsoa21_gen20.geojson"
APRIL = Filters("2024-04", "2024-04")


def make_config(folder: Path, shared: Path) -> Config:
    return load_config(config_file(folder, shared / BOROUGHS, '"E09000016"'))


@pytest.fixture(scope="module")
def havering(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, StudyArea]]:
    config = make_config(tmp_path_factory.mktemp("havering_areas"), shared_data)
    area = load_study_area(config.study_area)
    store = Store(config.store_path)
    for kind, name in (
        ("boundary", LSOA11),
        ("boundary", LSOA21),
        ("area_stats", POPULATION),
        ("area_stats", IMD),
        ("area_stats", CENSUS),
        ("police_street", STREET),
    ):
        assert ingest_file(store, config, area, kind, shared_data / name).ok, name
    yield store, area
    store.close()


def test_violence_per_neighbourhood_matches_a_spatial_join_of_the_published_points(
    havering: tuple[Store, StudyArea], shared_data: Path
) -> None:
    store, area = havering
    rates = at.neighbourhood_rates(store, area, APRIL)
    ours = rates.table.set_index("area_code")["violence"]
    street = pd.read_csv(shared_data / STREET)
    violence = street.loc[street["Crime type"] == "Violence and sexual offences"]
    points = gpd.GeoDataFrame(
        violence,
        geometry=gpd.points_from_xy(violence["Longitude"], violence["Latitude"]),
        crs="EPSG:4326",
    ).to_crs("EPSG:27700")
    lsoas = gpd.read_file(shared_data / LSOA11).to_crs("EPSG:27700")
    joined = gpd.sjoin(points, lsoas[["LSOA11CD", "geometry"]], predicate="within")
    reference = joined.groupby("LSOA11CD").size().reindex(ours.index, fill_value=0)
    assert rates.unit_kind == "lsoa11" and len(ours) == 150
    assert ours.sum() + rates.outside == len(violence)
    # records are placed by their 25 m storage cell, so a point on a boundary street
    # may fall in the neighbour; the shares must still agree closely
    assert abs(int(ours.sum()) - int(reference.sum())) <= 0.02 * len(violence)
    assert (ours == reference).mean() >= 0.7
    assert (ours - reference).abs().sum() <= 0.15 * len(violence)


def test_residents_and_deprivation_are_the_published_figures(
    havering: tuple[Store, StudyArea], shared_data: Path
) -> None:
    store, area = havering
    table = at.neighbourhood_rates(store, area, APRIL).table.set_index("area_code")
    population = pd.read_csv(shared_data / POPULATION).set_index("lsoa11_code")
    young = population[[str(a) for a in range(10, 25)]].sum(axis=1)
    assert (table["young"] == young.reindex(table.index).round()).all()
    assert (table["residents"] == population["total_population"].reindex(table.index)).all()
    imd = pd.read_csv(shared_data / IMD).set_index("LSOA code (2011)")
    decile = imd[
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
    ]
    assert (table["imd_decile"] == decile.reindex(table.index)).all()
    rate = 1000 * table["violence"] / table["residents"]
    assert (table["violence_rate"] - rate).abs().max() < 0.051


def test_the_two_lsoa_vintages_are_joined_by_overlap(
    havering: tuple[Store, StudyArea], shared_data: Path
) -> None:
    store, _ = havering
    walk = at.vintage_crosswalk(store, "lsoa11", "lsoa21")
    old = set(gpd.read_file(shared_data / LSOA11)["LSOA11CD"])
    new = set(gpd.read_file(shared_data / LSOA21)["LSOA21CD"])
    assert set(walk["from_code"]) == old and set(walk["to_code"]) == new
    same = walk.loc[walk["from_code"] == walk["to_code"]]
    assert set(same["from_code"]) == old & new  # an unchanged code overlaps itself
    assert (same["share_of_from"] > 0.95).all()
    split = walk.groupby("from_code").size()
    assert (split > 1).any()  # some 2011 areas were split in 2021


def test_census_denominators_say_which_table_and_refuse_partial_cover(
    havering: tuple[Store, StudyArea], shared_data: Path, tmp_path: Path
) -> None:
    store, area = havering
    den = dp.census_denominators(store, area=area)
    assert den.areas == 153 and "153 LSOA 2021 areas covering 100% of Havering" in den.caveat
    census = pd.read_csv(shared_data / CENSUS)
    config = make_config(tmp_path, shared_data)
    half = census.loc[census["lsoa21_code"].isin(sorted(set(census["lsoa21_code"]))[:76])]
    half_file = tmp_path / "census_half.csv"
    half.to_csv(half_file, index=False)
    with Store(config.store_path) as partial:
        assert ingest_file(partial, config, area, "boundary", shared_data / LSOA21).ok
        assert ingest_file(partial, config, area, "area_stats", half_file).ok
        refused = dp.census_denominators(partial, area=area)
        unchecked = dp.census_denominators(partial)  # no study area given: no check
    assert refused.areas == 0 and refused.population.sum() == 0
    assert "No rate is given" in refused.caveat and "76 LSOA 2021 areas" in refused.caveat
    assert unchecked.areas == 76
