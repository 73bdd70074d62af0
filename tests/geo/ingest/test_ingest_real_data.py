"""Every real file in ../shared/data that PlaceSafe ingests, with exact counts.

The expected numbers come from ../shared/data/README.md and from independent
computations on the raw files here (pandas for rows, geopandas in EPSG:27700 for the
study area and its 250 m buffer), never from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import load_study_area, to_bng
from geo.core.config import StudyAreaConfig, load_config
from geo.ingest.pipeline import (
    ALREADY_STORED,
    OUTSIDE_AREA,
    REPEATED_IN_FILE,
    ingest_file,
)
from geo.ingest.report import IngestReport
from geo.ingest.sources import police_uk
from geo.ingest.sources.profiles import TEMPLATES
from geo.store.database import Store

pytestmark = pytest.mark.shared_data

REPO = Path(__file__).resolve().parents[3]
UNLOCATABLE = "no coordinates (unlocatable)"
LONDON_CODES = [f"E09{i:06d}" for i in range(1, 34)]
BOROUGHS = "boundaries/london_boroughs_lad22_gen20.geojson"
CITY_DIR = "police/city_of_london_street_2023"
CITY_MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]
HAVERING_SYV = "police/havering_2024-04-metropolitan-street_syv_subset.csv"
MET_SS = "police/2016-06-metropolitan-stop-and-search.csv"
HAVERING_SS = "police/havering_2016-06-metropolitan-stop-and-search.csv"
SCHOOL_DIRECTORY = "schools/havering_schools_londonschooldirectory.csv"
EDUBASE = "schools/edubase_2017-07_havering_unmatched_subset.csv"


# --- helpers -------------------------------------------------------------------------------


#: Columns the shared-data curator added to the two school extracts (not published by
#: GIAS/EduBase or the directory): a deployment lists such columns in the ignore-list.
CURATOR_COLUMNS = (
    "edubase_input_row",
    "source",
    "geocode_lad22nm",
    "geocode_matches_la",
    "inside_havering_lad22",
)
IGNORE_CURATOR_COLUMNS = (
    "\n[ingest]\nignore_columns = [" + ", ".join(f'"{c}"' for c in CURATOR_COLUMNS) + "]\n"
)


def write_config(
    folder: Path, boundary: str | Path, code: str, store: str = "store.duckdb", extra: str = ""
) -> Path:
    """A study-area TOML in ``folder`` (``boundary`` as written, absolute or relative)."""
    folder.mkdir(parents=True, exist_ok=True)
    toml = folder / "placesafe.toml"
    toml.write_text(
        f'[store]\npath = "{store}"\n\n'
        f'[study_area]\nboundary = "{boundary}"\ncode = "{code}"\nbuffer_m = 250\n{extra}',
        encoding="utf-8",
    )
    return toml


def raw_csv(path: Path) -> pd.DataFrame:
    """A published CSV as strings, blanks kept as ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def inside_buffered_borough(
    boroughs: Path, code: str, lat: np.ndarray, lng: np.ndarray
) -> np.ndarray:
    """Independent area test: point within the borough grown by 250 m, in EPSG:27700."""
    frame = gpd.read_file(boroughs)
    poly = frame.loc[frame["LAD22CD"] == code].to_crs(27700).geometry.iloc[0].buffer(250)
    pts = gpd.GeoSeries(gpd.points_from_xy(lng, lat), crs=4326).to_crs(27700)
    return np.asarray(pts.within(poly), dtype=bool)


def assert_balanced(report: IngestReport) -> None:
    assert report.status == "live", report.error
    assert report.read == report.accepted + report.rejected + report.duplicates
    assert report.rejected == sum(report.reasons.values())
    assert report.duplicates == sum(report.duplicate_reasons.values())


def cell_distance_m(cells: np.ndarray, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """Metres between each cell's centre and a point (EPSG:27700)."""
    clat, clng = hexes.cell_centres(cells)
    cx, cy = to_bng(clng, clat)
    px, py = to_bng(lng, lat)
    return np.hypot(cx - px, cy - py)


# --- City of London street-level crime 2023 ------------------------------------------------


@pytest.fixture(scope="module")
def city(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """The 12 City of London months ingested in order into one store."""
    folder = tmp_path_factory.mktemp("city")
    config = load_config(write_config(folder, shared_data / BOROUGHS, "E09000001"))
    area = load_study_area(config.study_area)
    store = Store(config.store_path)
    files = [shared_data / CITY_DIR / f"{m}-city-of-london-street.csv" for m in CITY_MONTHS]
    reports = [ingest_file(store, config, area, "police_street", f) for f in files]
    yield {"config": config, "area": area, "store": store, "files": files, "reports": reports}
    store.close()


@pytest.fixture(scope="module")
def city_raw(city) -> pd.DataFrame:
    """All 12 raw months with the file and file row (header = row 1) of each line."""
    parts = []
    for f in city["files"]:
        df = raw_csv(f)
        df["file"] = f.name
        df["row"] = np.arange(2, len(df) + 2)
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def test_city_counts_balance_per_file_and_in_total(city, city_raw) -> None:
    reports = city["reports"]
    assert len(reports) == 12
    for f, report in zip(city["files"], reports, strict=True):
        assert_balanced(report)
        assert report.read == len(raw_csv(f)), f.name
    assert sum(r.read for r in reports) == 9298 == len(city_raw)
    # README: 797 rows have no coordinates; each is rejected as unlocatable, per file too.
    assert sum(r.reasons.get(UNLOCATABLE, 0) for r in reports) == 797
    for f, report in zip(city["files"], reports, strict=True):
        no_coords = int((city_raw.loc[city_raw["file"] == f.name, "Longitude"] == "").sum())
        assert report.reasons.get(UNLOCATABLE, 0) == no_coords, f.name
    # nothing else goes wrong with the published files
    for report in reports:
        assert set(report.reasons) <= {UNLOCATABLE, OUTSIDE_AREA}
        assert set(report.duplicate_reasons) <= {REPEATED_IN_FILE}
        assert report.warnings == []
    store = city["store"]
    assert store.row_counts()["incidents"] == sum(r.accepted for r in reports)
    batches = store.batches().set_index("batch_id")
    for report in reports:
        b = batches.loc[report.batch_id]
        assert (b.rows_read, b.rows_accepted, b.rows_rejected, b.rows_duplicate) == (
            report.read,
            report.accepted,
            report.rejected,
            report.duplicates,
        )
        assert b.status == "live"


def test_city_points_outside_the_buffered_area_are_rejected(
    city, city_raw, shared_data: Path
) -> None:
    located = city_raw.loc[city_raw["Longitude"] != ""]
    inside = inside_buffered_borough(
        shared_data / BOROUGHS,
        "E09000001",
        located["Latitude"].astype(float).to_numpy(),
        located["Longitude"].astype(float).to_numpy(),
    )
    outside = int((~inside).sum())
    assert outside > 0  # points spill into neighbouring boroughs
    assert sum(r.reasons.get(OUTSIDE_AREA, 0) for r in city["reports"]) == outside == 129
    # the buffer keeps points just over the border: accepted rows in other boroughs' LSOAs
    neighbours = located.loc[inside & ~located["LSOA name"].str.startswith("City of London")]
    assert len(neighbours) > 0
    rejected_rows = set()
    for f, report in zip(city["files"], city["reports"], strict=True):
        issues = report.issues
        rows = issues.loc[issues["rule"] == OUTSIDE_AREA, "row"]
        rejected_rows |= {(f.name, int(r)) for r in rows}
        assert (issues.loc[issues["rule"] == OUTSIDE_AREA, "column"] == "Latitude/Longitude").all()
    expected = set(zip(located.loc[~inside, "file"], located.loc[~inside, "row"], strict=True))
    assert rejected_rows == expected


def test_city_identical_anonymous_asb_rows_are_all_kept(city, city_raw) -> None:
    anon = city_raw.loc[city_raw["Crime ID"] == ""]
    assert len(anon) == 377  # README
    assert (anon["Crime type"] == "Anti-social behaviour").all()
    content = [c for c in anon.columns if c not in ("file", "row")]
    identical = anon.loc[anon.duplicated(content, keep=False) & (anon["Longitude"] != "")]
    assert len(identical) > 100  # several reports at one anonymous map point in a month
    # every located anonymous row inside the area must be in the store, per (month, cell)
    located = anon.loc[anon["Longitude"] != ""]
    lat = located["Latitude"].astype(float).to_numpy()
    lng = located["Longitude"].astype(float).to_numpy()
    keep = city["area"].contains(lat, lng)
    cells = hexes.points_to_cells(lat[keep], lng[keep], city["config"].storage_resolution)
    expected = (
        pd.DataFrame({"month": pd.to_datetime(located["Month"].to_numpy()[keep]), "cell": cells})
        .value_counts()
        .sort_index()
    )
    stored = city["store"].query(
        "SELECT occurred_at AS month, cell FROM incidents "
        "WHERE source = 'police_uk_street' AND category = 'asb'"
    )
    stored["cell"] = stored["cell"].astype(np.uint64)
    got = stored.value_counts().sort_index()
    assert got.to_dict() == expected.to_dict()
    # the identical groups themselves: each group's cell holds at least the whole group
    groups = identical.groupby(content).size()
    assert (groups >= 2).all()
    checked = 0
    for key, size in groups.items():
        row = dict(zip(content, key, strict=True))
        lat_lng = [float(row["Latitude"])], [float(row["Longitude"])]
        if not city["area"].contains(*lat_lng).all():
            continue
        cell = hexes.points_to_cells(*lat_lng, city["config"].storage_resolution)[0]
        assert got.loc[(pd.Timestamp(row["Month"] + "-01"), cell)] >= size
        checked += 1
    assert checked > 10


def test_city_crime_id_repeated_in_file_keeps_the_first_valid_row(city, city_raw) -> None:
    area = city["area"]
    lat = pd.to_numeric(city_raw["Latitude"]).to_numpy()
    lng = pd.to_numeric(city_raw["Longitude"]).to_numpy()
    valid = np.isfinite(lat) & np.isfinite(lng)
    valid[valid] = area.contains(lat[valid], lng[valid])
    named = city_raw.loc[valid & (city_raw["Crime ID"] != "").to_numpy()].copy()
    named["lat"], named["lng"] = lat[named.index], lng[named.index]
    repeats = named.duplicated(["file", "Crime ID"], keep="first")
    per_file = repeats.groupby(named["file"]).sum()
    assert per_file.sum() > 0
    for f, report in zip(city["files"], city["reports"], strict=True):
        assert report.duplicate_reasons.get(REPEATED_IN_FILE, 0) == per_file.get(f.name, 0)
    # the stored location of a repeated crime is the first valid row's, in file order
    first = named.loc[named.duplicated(["file", "Crime ID"], keep=False)].drop_duplicates(
        ["file", "Crime ID"], keep="first"
    )
    moved = (
        named.loc[named["Crime ID"].isin(first["Crime ID"])].groupby("Crime ID")["lat"].nunique()
    )
    assert (moved > 1).any()  # some repeated crimes really have different map points
    stored = (
        city["store"]
        .query("SELECT incident_id, cell FROM incidents WHERE source = 'police_uk_street'")
        .set_index("incident_id")
    )
    assert stored.index.is_unique
    want = hexes.points_to_cells(first["lat"].to_numpy(), first["lng"].to_numpy(), 11)
    got = stored.loc[first["Crime ID"], "cell"].astype(np.uint64).to_numpy()
    np.testing.assert_array_equal(got, want)


def test_city_reingesting_a_month_is_already_ingested(city) -> None:
    store = city["store"]
    before = (store.row_counts(), store.batches(), store.data_version())
    report = ingest_file(store, city["config"], city["area"], "police_street", city["files"][4])
    assert report.status == "already_ingested"
    assert report.batch_id == city["reports"][4].batch_id
    assert report.accepted == 0
    assert "nothing changed" in report.summary()
    after = (store.row_counts(), store.batches(), store.data_version())
    assert after[0] == before[0]
    pd.testing.assert_frame_equal(after[1], before[1])
    assert after[2] == before[2]


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: b"\xef\xbb\xbf" + b, id="bom"),
    ],
)
def test_city_same_month_with_different_bytes_is_all_duplicates(
    rewrite, shared_data: Path, tmp_path: Path
) -> None:
    config = load_config(write_config(tmp_path, shared_data / BOROUGHS, "E09000001"))
    area = load_study_area(config.study_area)
    month = shared_data / CITY_DIR / "2023-04-city-of-london-street.csv"
    data = month.read_bytes()
    changed = rewrite(data)
    assert changed != data
    with Store(config.store_path) as store:
        first = ingest_file(store, config, area, "police_street", month)
        assert_balanced(first)
        counts = store.row_counts()
        again = (tmp_path / month.name).with_suffix(".rewritten.csv")
        again.write_bytes(changed)
        second = ingest_file(store, config, area, "police_street", again)
        assert_balanced(second)
        assert second.batch_id != first.batch_id
        assert second.read == first.read
        assert second.accepted == 0
        assert second.rejected == first.rejected
        assert second.reasons == first.reasons
        assert second.duplicates == second.read - second.rejected
        assert second.duplicate_reasons[ALREADY_STORED] == first.accepted
        assert second.duplicate_reasons.get(REPEATED_IN_FILE) == first.duplicate_reasons.get(
            REPEATED_IN_FILE
        )
        assert store.row_counts() == counts


# --- Havering ------------------------------------------------------------------------------


@pytest.fixture
def havering(shared_data: Path, tmp_path: Path):
    config = load_config(
        write_config(tmp_path, shared_data / BOROUGHS, "E09000016", extra=IGNORE_CURATOR_COLUMNS)
    )
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:
        yield {"config": config, "area": area, "store": store}


def ingest(h, kind: str, path: Path) -> IngestReport:
    return ingest_file(h["store"], h["config"], h["area"], kind, path)


def test_havering_syv_subset_is_all_accepted(havering, shared_data: Path) -> None:
    report = ingest(havering, "police_street", shared_data / HAVERING_SYV)
    assert_balanced(report)
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (1058, 1058, 0, 0)
    counts = havering["store"].query(
        "SELECT category, count(*) AS n FROM incidents GROUP BY category"
    )
    assert dict(zip(counts["category"], counts["n"], strict=True)) == {
        "violence_and_sexual_offences": 477,
        "asb": 366,
        "public_order": 110,
        "drugs": 74,
        "robbery": 26,
        "weapons_possession": 5,
    }
    when = havering["store"].query("SELECT DISTINCT occurred_at, time_precision FROM incidents")
    assert when.to_numpy().tolist() == [[pd.Timestamp("2024-04-01"), "month"]]


def test_havering_stop_search_subset_then_the_full_met_file(havering, shared_data: Path) -> None:
    subset = ingest(havering, "stop_search", shared_data / HAVERING_SS)
    assert_balanced(subset)
    assert (subset.read, subset.accepted, subset.rejected, subset.duplicates) == (138, 138, 0, 0)
    store = havering["store"]
    assert store.scalar("SELECT count(*) FROM stop_search WHERE age_range = '10-17'") == 27

    full = ingest(havering, "stop_search", shared_data / MET_SS)
    assert_balanced(full)
    assert full.read == 10490
    assert full.duplicates == full.duplicate_reasons[ALREADY_STORED] == 138
    assert full.reasons[UNLOCATABLE] == 10490 - 9619 == 871
    raw = raw_csv(shared_data / MET_SS)
    located = raw.loc[raw["Latitude"] != ""]
    inside = inside_buffered_borough(
        shared_data / BOROUGHS,
        "E09000016",
        located["Latitude"].astype(float).to_numpy(),
        located["Longitude"].astype(float).to_numpy(),
    )
    assert full.reasons[OUTSIDE_AREA] == int((~inside).sum())
    # what is left is new: located in Havering's 250 m buffer but not in the subset
    assert full.accepted == int(inside.sum()) - 138 == 9619 - 138 - full.reasons[OUTSIDE_AREA]
    assert set(full.reasons) == {UNLOCATABLE, OUTSIDE_AREA}
    assert store.row_counts()["stop_search"] == 138 + full.accepted
    # searched_at is UK local time: 2016-05-31T23:01:00+00:00 is 1 June 00:01 BST
    first = store.scalar("SELECT min(searched_at) FROM stop_search")
    assert pd.Timestamp(first) >= pd.Timestamp("2016-06-01")


def test_havering_school_directory(havering, shared_data: Path) -> None:
    report = ingest(havering, "schools", shared_data / SCHOOL_DIRECTORY)
    assert_balanced(report)
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (92, 92, 0, 0)
    raw = raw_csv(shared_data / SCHOOL_DIRECTORY)
    stored = havering["store"].query("SELECT school_id, name, phase, cell FROM schools")
    merged = stored.merge(raw.assign(school_id="slug:" + raw["slug"]), on="school_id")
    assert len(merged) == 92
    dist = cell_distance_m(
        merged["cell"].astype(np.uint64).to_numpy(),
        merged["latitude"].astype(float).to_numpy(),
        merged["longitude"].astype(float).to_numpy(),
    )
    assert dist.max() < 50


def test_havering_edubase_subset_with_bng_converted(havering, shared_data: Path) -> None:
    report = ingest(havering, "schools", shared_data / EDUBASE)
    assert_balanced(report)
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (30, 30, 0, 0)
    raw = raw_csv(shared_data / EDUBASE)
    stored = havering["store"].query("SELECT urn, name, kind, status, la_code, cell FROM schools")
    merged = stored.merge(raw, left_on="urn", right_on="URN")
    assert len(merged) == 30
    # each cell centre lies within 50 m of the school's published BNG X/Y
    clat, clng = hexes.cell_centres(merged["cell"].astype(np.uint64).to_numpy())
    cx, cy = to_bng(clng, clat)
    dist = np.hypot(cx - merged["X"].astype(float), cy - merged["Y"].astype(float))
    assert dist.max() < 50
    kinds = dict(zip(merged["URN"], merged["kind"], strict=True))
    assert kinds["143130"] == "alternative_provision"  # Olive AP Academy
    assert kinds["102355"] == "independent"  # Gidea Park College
    assert kinds["142885"] == "academy"  # Concordia Academy (free school)
    assert kinds["102269"] == "mainstream"  # Harold Wood Primary (community)
    assert set(merged["la_code"]) == {"311"}
    # no address, telephone or head teacher reaches the store
    text = havering["store"].query("SELECT * FROM schools").astype(str).to_numpy().ravel()
    for column in ("Postcode", "Telephone number", "Headteacher", "Street"):
        assert not set(raw[column]) & set(text) - {"NA", ""}, column


@pytest.mark.parametrize(
    ("name", "position", "column"),
    [(EDUBASE, 1, "edubase_input_row"), (SCHOOL_DIRECTORY, 9, "inside_havering_lad22")],
)
def test_school_extracts_with_unpublished_columns_need_the_ignore_list(
    shared_data: Path, tmp_path: Path, name: str, position: int, column: str
) -> None:
    """Known formats accept only their published columns: the curator's extra columns
    refuse the real extracts until the ignore-list names them (as the fixture does)."""
    config = load_config(write_config(tmp_path, shared_data / BOROUGHS, "E09000016"))
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:
        report = ingest_file(store, config, area, "schools", shared_data / name)
        assert report.status == "refused"
        assert f'column {position} "{column}"' in (report.error or "")
        assert "ignore_columns" in (report.error or "")
        assert store.row_counts()["schools"] == 0


def test_every_published_police_header_is_accepted_without_an_ignore_list(
    shared_data: Path,
) -> None:
    """The real police.uk files carry exactly their published columns."""
    street = sorted((shared_data / CITY_DIR).glob("*.csv")) + [shared_data / HAVERING_SYV]
    for path in street:
        assert list(raw_csv(path).columns) == police_uk.STREET_COLUMNS, path.name
    for path in (shared_data / MET_SS, shared_data / HAVERING_SS):
        assert list(raw_csv(path).columns) == police_uk.STOP_SEARCH_FILE_COLUMNS, path.name


def test_gias_easting_northing_land_on_the_published_lat_lon(
    havering, shared_data: Path, tmp_path: Path
) -> None:
    """The directory publishes both lat/lon and BNG: a GIAS-layout file from its
    Easting/Northing must put every school within 50 m of the published lat/lon."""
    raw = raw_csv(shared_data / SCHOOL_DIRECTORY)
    gias = pd.DataFrame(
        {
            "URN": [str(900000 + i) for i in range(len(raw))],
            "EstablishmentName": raw["name"],
            "TypeOfEstablishment (name)": "Community school",
            "PhaseOfEducation (name)": raw["phase"],
            "EstablishmentStatus (name)": "Open",
            "LA (code)": "311",
            "LA (name)": "Havering",
            "Easting": raw["easting"],
            "Northing": raw["northing"],
        }
    )
    path = tmp_path / "edubasealldata_from_directory.csv"
    gias.to_csv(path, index=False)
    report = ingest(havering, "schools", path)
    assert_balanced(report)
    assert report.accepted == 92
    stored = havering["store"].query("SELECT urn, cell FROM schools WHERE source = 'schools_gias'")
    order = stored.set_index("urn").loc[gias["URN"]]
    dist = cell_distance_m(
        order["cell"].astype(np.uint64).to_numpy(),
        raw["latitude"].astype(float).to_numpy(),
        raw["longitude"].astype(float).to_numpy(),
    )
    assert dist.max() < 50


@pytest.mark.parametrize(
    ("name", "features", "kind"),
    [
        ("havering_lsoa21_gen20.geojson", 153, "lsoa21"),
        ("havering_lsoa11_gen20.geojson", 150, "lsoa11"),
        ("havering_msoa21_gen20.geojson", 30, "msoa21"),
        ("havering_census_merged_wards_2011.geojson", 18, "cmwd11"),
    ],
)
def test_havering_boundaries_ingest_into_areas(
    havering, shared_data: Path, name: str, features: int, kind: str
) -> None:
    path = shared_data / "boundaries" / name
    report = ingest(havering, "boundary", path)
    assert_balanced(report)
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (
        features,
        features,
        0,
        0,
    )
    assert report.table == "areas"
    stored = havering["store"].query("SELECT area_code, area_kind, source FROM areas")
    assert len(stored) == features
    assert set(stored["area_kind"]) == {kind}
    codes = gpd.read_file(path).filter(regex="(?i)cd$").iloc[:, 0]
    assert set(stored["area_code"]) == set(codes.astype(str))


# --- any London borough as the study area --------------------------------------------------


def test_london_boroughs_file_has_the_33_codes(shared_data: Path) -> None:
    frame = gpd.read_file(shared_data / BOROUGHS)
    assert sorted(frame["LAD22CD"]) == LONDON_CODES


@pytest.mark.parametrize("code", LONDON_CODES)
def test_every_london_borough_is_a_study_area(shared_data: Path, code: str) -> None:
    area = load_study_area(StudyAreaConfig(boundary=shared_data / BOROUGHS, code=code))
    frame = gpd.read_file(shared_data / BOROUGHS)
    assert area.name == frame.loc[frame["LAD22CD"] == code, "LAD22NM"].iloc[0]
    assert area.code == code
    assert len(area.grid(8)) > 0
    lat, lng = area.centre
    assert area.contains([lat], [lng]).all()
    assert area.buffered.area > area.boundary.area


@pytest.mark.parametrize("code", ["E09000001", "E09000016", "E09000033"])
@pytest.mark.parametrize("how", ["absolute", "relative_symlink"])
def test_study_area_from_a_toml_file(
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    how: str,
) -> None:
    real = (shared_data / BOROUGHS).resolve()
    if how == "absolute":
        toml = write_config(tmp_path / "conf", real, code)
    else:
        links = tmp_path / "links"
        links.mkdir()
        (links / "boroughs.geojson").symlink_to(real)
        # relative to the TOML's folder, not to the working directory
        toml = write_config(tmp_path / "conf", "../links/boroughs.geojson", code)
    monkeypatch.chdir(REPO)
    config = load_config(toml)
    assert config.study_area.boundary.resolve() == real
    assert config.study_area.code == code
    assert config.study_area.buffer_m == 250
    assert config.store_path == (tmp_path / "conf" / "store.duckdb").resolve()
    area = load_study_area(config.study_area)
    assert area.code == code
    assert len(area.grid(8)) > 0
    # the centre of another borough far away is not in this study area
    other = "E09000016" if code != "E09000016" else "E09000033"
    far = load_study_area(StudyAreaConfig(boundary=real, code=other))
    lat, lng = far.centre
    assert not area.contains([lat], [lng]).any()
    lat, lng = area.centre
    assert area.contains([lat], [lng]).all()


# --- command line ----------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLACESAFE_AUDIT_KEY": "k" * 40}  # a real store needs its own key
    return subprocess.run(
        [sys.executable, "-m", "geo", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_ingest_batches_and_rollback(shared_data: Path, tmp_path: Path) -> None:
    toml = str(write_config(tmp_path, shared_data / BOROUGHS, "E09000001", store="cli.duckdb"))
    jan = shared_data / CITY_DIR / "2023-01-city-of-london-street.csv"
    feb = shared_data / CITY_DIR / "2023-02-city-of-london-street.csv"

    done = run_cli("--config", toml, "ingest", "--kind", "police_street", "--json", str(jan))
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout)
    assert {"read", "accepted", "rejected", "duplicates", "reasons", "batch_id"} <= set(first)
    assert first["read"] == len(raw_csv(jan)) == 719
    assert first["read"] == first["accepted"] + first["rejected"] + first["duplicates"]
    assert first["status"] == "live"

    # a refused file (stop and search is not a street-level file) exits non-zero
    refused = run_cli(
        "--config", toml, "ingest", "--kind", "police_street", "--json",
        str(shared_data / HAVERING_SS),
    )  # fmt: skip
    assert refused.returncode != 0
    assert json.loads(refused.stdout)["status"] == "refused"

    done = run_cli("--config", toml, "ingest", "--kind", "police_street", "--json", str(feb))
    assert done.returncode == 0, done.stderr
    second = json.loads(done.stdout)

    listed = run_cli("--config", toml, "batches", "--json")
    assert listed.returncode == 0, listed.stderr
    batches = {b["batch_id"]: b for b in json.loads(listed.stdout)}
    assert len(batches) == 3
    assert batches[first["batch_id"]]["status"] == "live"
    assert batches[second["batch_id"]]["status"] == "live"
    assert batches[first["batch_id"]]["rows_accepted"] == first["accepted"]
    assert [b["status"] for b in batches.values()].count("failed") == 1

    store_path = tmp_path / "cli.duckdb"
    with Store(store_path, read_only=True) as store:
        per_batch = store.query("SELECT batch_id, count(*) AS n FROM incidents GROUP BY batch_id")
    assert dict(zip(per_batch["batch_id"], per_batch["n"], strict=True)) == {
        first["batch_id"]: first["accepted"],
        second["batch_id"]: second["accepted"],
    }

    undone = run_cli("--config", toml, "rollback", str(first["batch_id"]))
    assert undone.returncode == 0, undone.stderr
    assert f"{first['accepted']:,} rows removed" in undone.stdout
    with Store(store_path, read_only=True) as store:
        per_batch = store.query("SELECT batch_id, count(*) AS n FROM incidents GROUP BY batch_id")
        status = store.batch(first["batch_id"]).status
    assert dict(zip(per_batch["batch_id"], per_batch["n"], strict=True)) == {
        second["batch_id"]: second["accepted"]
    }
    assert status == "rolled_back"

    again = run_cli("--config", toml, "rollback", str(first["batch_id"]))
    assert again.returncode != 0
    listed = run_cli("--config", toml, "batches", "--json")
    statuses = {b["batch_id"]: b["status"] for b in json.loads(listed.stdout)}
    assert statuses[first["batch_id"]] == "rolled_back"
    assert statuses[second["batch_id"]] == "live"


@pytest.mark.shared_data
def test_havering_istv_records_are_placed_on_the_police_map_points(
    havering, shared_data: Path, tmp_path: Path
) -> None:
    """The ISTV feed placed end to end on real data: the store's gazetteer is built from
    the real police.uk map-point names, and free text lands on the right street."""
    assert ingest(havering, "police_street", shared_data / HAVERING_SYV).status == "live"
    texts = {
        "ED-1": "outside the station, South Street",
        "ED-2": "Costa on Exchange St",
        "ED-3": "bus stop on Rush Green Rd",
        "ED-4": "at home",
        "ED-5": "High Street",  # Romford's and Hornchurch's
        "ED-6": "unknown",
    }
    header = next(csv.reader(io.StringIO((TEMPLATES / "istv.csv").read_text())))
    rows = [
        dict.fromkeys(header, "")
        | {"Attendance ID": k, "Arrival date time": "13/04/2024 02:10",
           "Assault location": t, "Primary means of assault": "body part"}
        for k, t in texts.items()
    ]  # fmt: skip
    path = tmp_path / "istv.csv"
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    report = ingest(havering, "istv", path)
    assert report.status == "live" and report.accepted == 6, report.summary()
    got = havering["store"].query("SELECT * FROM ed_assaults").set_index("attendance_id")
    raw = raw_csv(shared_data / HAVERING_SYV)
    for key, street in (("ED-1", "South Street"), ("ED-2", "Exchange Street"),
                        ("ED-3", "Rush Green Road")):  # fmt: skip
        assert got.loc[key, "locate_method"] == "gazetteer", key
        points = raw.loc[raw["Location"] == f"On or near {street}"]
        cell = np.array([got.loc[key, "cell"]], dtype=np.uint64)
        distance = cell_distance_m(
            np.repeat(cell, len(points)),
            points["Latitude"].to_numpy(float),
            points["Longitude"].to_numpy(float),
        )
        assert distance.min() < 300, key
    assert got.loc["ED-4", "private_home"] and pd.isna(got.loc["ED-4", "cell"])
    assert got.loc["ED-5", "unlocated_reason"] == "place name too spread out"
    assert pd.isna(got.loc["ED-6", "cell"]) and got.loc["ED-6", "unlocated_reason"]
