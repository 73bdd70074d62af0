"""Setting up a borough from public files: config errors, empty files, retries, area tables,
the catalogue of loaded feeds and the names of places (real data in ../shared/data)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes, schema
from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.core.errors import BoundaryError, ConfigError
from geo.core.filters import Filters
from geo.ingest.pipeline import ingest_file
from geo.store import catalogue
from geo.store.database import Store
from geo.store.place_names import place_names, with_place_names

pytestmark = pytest.mark.shared_data

REPO = Path(__file__).resolve().parents[3]
BOROUGHS = "boundaries/london_boroughs_lad22_gen20.geojson"
HAVERING_STREET = "police/havering_2024-04-metropolitan-street_syv_subset.csv"
CITY_JAN = "police/city_of_london_street_2023/2023-01-city-of-london-street.csv"
POPULATION = "population/ons_mid2020_population_single_year_age_havering_lsoa11.csv"
IMD = "deprivation/imd2019_domains_havering_lsoa11.csv"
LSOA11 = "boundaries/havering_lsoa11_gen20.geojson"
WARDS = "boundaries/havering_census_merged_wards_2011.geojson"


def config_file(folder: Path, boundary: Path | str, code: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "placesafe.toml"
    path.write_text(
        f'[store]\npath = "store.duckdb"\n\n[study_area]\nboundary = "{boundary}"\n'
        f"code = {code}\nbuffer_m = 250\n",
        encoding="utf-8",
    )
    return path


def test_a_code_typo_names_the_problem_and_lists_the_codes(
    shared_data: Path, tmp_path: Path
) -> None:
    config = load_config(config_file(tmp_path, shared_data / BOROUGHS, '"E0900016"'))
    with pytest.raises(BoundaryError) as err:
        load_study_area(config.study_area)
    text = str(err.value)
    assert "'E0900016' is not in the boundary file" in text
    assert "E09000016 Havering" in text and "E09000001 City of London" in text


def test_the_command_line_says_it_in_one_line(shared_data: Path, tmp_path: Path) -> None:
    path = config_file(tmp_path, shared_data / BOROUGHS, '"E0900016"')
    proc = subprocess.run(
        [sys.executable, "-m", "geo", "--config", str(path), "recurring", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert json.loads(proc.stdout)["reason"] == "error"


def test_a_missing_boundary_file_says_not_found(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, tmp_path / "nope.geojson", '"E09000016"'))
    with pytest.raises(BoundaryError, match="boundary file not found"):
        load_study_area(config.study_area)


def test_a_list_of_codes_is_one_study_area(shared_data: Path, tmp_path: Path) -> None:
    config = load_config(
        config_file(tmp_path, shared_data / BOROUGHS, '["E09000002", "E09000016"]')
    )
    area = load_study_area(config.study_area)
    assert area.name == "Barking and Dagenham and Havering"
    assert area.feature_codes == ("E09000002", "E09000016")
    with pytest.raises(ConfigError):
        load_config(config_file(tmp_path / "bad", shared_data / BOROUGHS, "16"))


def test_a_file_for_another_borough_is_refused_and_a_retry_is_not_blocked(
    shared_data: Path, tmp_path: Path
) -> None:
    config = load_config(config_file(tmp_path, shared_data / BOROUGHS, '"E09000001"'))
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:
        wrong = ingest_file(store, config, area, "police_street", shared_data / HAVERING_STREET)
        assert wrong.status == "refused"
        assert "none of the 1,058 rows can be used" in wrong.error
        assert "City of London" in wrong.error
        assert store.scalar("SELECT count(*) FROM batches WHERE status = 'live'") == 0
        # the same bytes as another kind are not "already ingested"
        first = ingest_file(store, config, area, "police_street", shared_data / CITY_JAN)
        assert first.status == "live" and first.accepted == 666
        other = ingest_file(store, config, area, "stop_search", shared_data / CITY_JAN)
        assert other.status == "refused" and "stop and search" in other.error
        again = ingest_file(store, config, area, "police_street", shared_data / CITY_JAN)
        assert again.status == "already_ingested"


def test_another_boroughs_area_table_is_counted_not_stored(
    shared_data: Path, tmp_path: Path
) -> None:
    config = load_config(config_file(tmp_path, shared_data / BOROUGHS, '"E09000001"'))
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:
        for name in (POPULATION, IMD):
            report = ingest_file(store, config, area, "area_stats", shared_data / name)
            assert report.status == "refused", name
            assert "none of the 150 areas in this file lies in the study area" in report.error
        assert store.scalar("SELECT count(*) FROM area_stats") == 0


def test_havering_area_tables_are_all_kept(shared_data: Path, tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, shared_data / BOROUGHS, '"E09000016"'))
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:
        ingest_file(store, config, area, "boundary", shared_data / LSOA11)
        report = ingest_file(store, config, area, "area_stats", shared_data / POPULATION)
        assert report.status == "live" and report.rejected == 0
        assert store.scalar("SELECT count(DISTINCT area_code) FROM area_stats") == 150


@pytest.fixture(scope="module")
def havering(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("havering_names")
    config = load_config(config_file(folder, shared_data / BOROUGHS, '"E09000016"'))
    area = load_study_area(config.study_area)
    store = Store(config.store_path)
    for kind, name in (("boundary", WARDS), ("police_street", HAVERING_STREET)):
        assert ingest_file(store, config, area, kind, shared_data / name).ok
    yield {"store": store, "area": area}
    store.close()


def test_the_catalogue_knows_police_uk_is_monthly_all_ages_without_weapons(havering) -> None:
    feeds = catalogue.feed_catalogue(havering["store"])
    street = next(f for f in feeds if f.source == "police_uk_street")
    assert (street.first_month, street.last_month, street.months) == ("2024-04", "2024-04", 1)
    assert (street.precision, street.ages) == ("month", "all ages")
    assert any("weapon" in t for t in street.cannot_tell)
    held = catalogue.kpi_coverage(feeds, Filters("2024-04", "2024-04"))
    assert bool(held.loc["incidents", "current"])
    assert not held.loc["incidents", "previous"], "no data in March: no comparison"
    for key in ("knife_crime", "missing_episodes", "youth_work_hours"):
        assert not held.loc[key, "current"], key


def test_police_uk_violence_is_its_own_category_never_syv(havering, shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / HAVERING_STREET, dtype=str)
    store = havering["store"]
    vso = store.scalar(
        "SELECT count(*) FROM incidents WHERE category = 'violence_and_sexual_offences'"
    )
    assert vso == (raw["Crime type"] == "Violence and sexual offences").sum() > 0
    assert store.scalar(f"SELECT count(*) FROM incidents WHERE {schema.syv_sql()}") == 0
    # a partner extract's robbery is SYV; police.uk's is not
    frame = pd.DataFrame({"category": ["robbery", "robbery"], "source": ["x", "police_uk_street"]})
    assert schema.is_syv(frame["category"], frame["source"]).tolist() == [True, False]


def test_places_are_named_after_map_points_and_wards(havering, shared_data: Path) -> None:
    store = havering["store"]
    cells = store.query("SELECT DISTINCT cell_9 AS c FROM incidents")["c"].to_numpy(np.uint64)
    names = place_names(store, cells, 9)
    assert names.is_unique
    assert not names.str.contains(r"8[0-9a-f]{14}").any()
    assert names.str.startswith("On or near ").mean() > 0.9
    assert names.str.contains(" — ").mean() > 0.9, "with the ward"
    # the name is one of the cell's own police.uk locations
    raw = pd.read_csv(shared_data / HAVERING_STREET, dtype=str)
    assert set(names.str.split(" — ").str[0]) <= set(raw["Location"]) | {
        n for n in names if not n.startswith("On or near ")
    }
    ids = [f"{int(c):x}" for c in cells[:3]]
    table = with_place_names(store, pd.DataFrame({"cell": ids, "n": [1, 2, 3]}))
    assert list(table.columns) == ["Place", "n", "Cell id"]
    assert table["Place"].tolist() == names.iloc[:3].tolist()


def test_a_command_before_any_ingest_says_there_is_no_store_yet(
    shared_data: Path, tmp_path: Path
) -> None:
    path = config_file(tmp_path, shared_data / BOROUGHS, '"E09000016"')
    proc = subprocess.run(
        [sys.executable, "-m", "geo", "--config", str(path), "knox"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "PLACESAFE_AUDIT_KEY": "k" * 64},
    )
    assert proc.returncode == 2
    assert "there is no store at" in proc.stderr and "locked" not in proc.stderr


STATIONS = "context/havering_stations_doogal.csv"


def test_stations_name_places_that_have_no_map_point(shared_data: Path, tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, shared_data / BOROUGHS, '"E09000016"'))
    area = load_study_area(config.study_area)
    published = pd.read_csv(shared_data / STATIONS, dtype=str)
    with Store(config.store_path) as store:
        assert ingest_file(store, config, area, "boundary", shared_data / WARDS).ok
        # the file as published carries postcodes, which refuse any file: drop them first
        refused = ingest_file(store, config, area, "stations", shared_data / STATIONS)
        assert refused.status == "refused" and "Postcode" in str(refused.error)
        plain = tmp_path / "stations.csv"
        published.drop(columns=["Postcode"]).to_csv(plain, index=False)
        report = ingest_file(store, config, area, "stations", plain)
        assert report.status == "live" and report.accepted == len(published) == 9
        lat = published["Latitude"].astype(float).to_numpy()
        lng = published["Longitude"].astype(float).to_numpy()
        cells = hexes.points_to_cells(lat, lng, 9)
        names = place_names(store, cells, 9)
        assert any(f.table == "stations" for f in catalogue.feed_catalogue(store))
    expected = [f"near {s} station — " for s in published["Station"]]
    assert [n[: len(e)] for n, e in zip(names, expected, strict=True)] == expected
