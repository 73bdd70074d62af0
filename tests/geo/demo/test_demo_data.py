"""Tests for the synthetic demo generator (geo/demo/) and its planted truth."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo.core import hexes, schema
from geo.demo.borough import demo_boundary, write_demo_boundary
from geo.demo.data import GENERATED_FILES, generate_demo_files
from geo.demo.incidents import LOCATION_TYPES
from geo.demo.period import DEMO_FIRST_MONTH, DEMO_LAST_MONTH
from geo.demo.schools import SCHOOLS_HEADER

REPO = Path(__file__).resolve().parents[3]  # the checkout: tests/geo/<stage>/ is three levels down
TEMPLATES = REPO / "data" / "templates"
FMT = "%d/%m/%Y %H:%M"
TRUTH_KEYS = {
    "seed",
    "generator_version",
    "null",
    "synthetic",
    "resolution",
    "periods",
    "recurring_hotspots",
    "near_repeat",
    "school_journey_hotspot",
    "missing_found_hotspot",
    "repeat_missing_children",
    "youth_work_gap",
    "childrens_home",
    "school_outcomes",
    "disproportionality",
    "health_only_place",
    "istv",
    "counts",
}
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


# ----------------------------------------------------------------------------- fixtures
class Demo:
    """One generated demo directory, read back as partner files."""

    def __init__(self, out: Path, truth: dict[str, Any]) -> None:
        self.out = out
        self.truth = truth
        self.incidents = _read(out / "incidents.csv")
        self.missing = _read(out / "missing_episodes.csv")
        self.youth = _read(out / "youth_sessions.csv")
        self.schools = _read(out / "schools.csv")
        self.sensitive = _read(out / "sensitive_premises.csv")
        self.outcomes = _read(out / "school_outcomes.csv")
        self.searches = _read(out / "stop_and_search.csv")
        self.census = _read(out / "census_ethnic_group_lsoa.csv")
        self.census_by_age = _read(out / "census_ethnic_group_by_age_lsoa.csv")
        lat = self.incidents["Latitude"].astype(float).to_numpy()
        lon = self.incidents["Longitude"].astype(float).to_numpy()
        self.inc_cell = hexes.cells_to_str(hexes.points_to_cells(lat, lon, 9))
        self.inc_time = pd.to_datetime(self.incidents["Date and time"], format=FMT)
        self.inc_month = (
            (self.inc_time.dt.year - 2023) * 12 + self.inc_time.dt.month - 1
        ).to_numpy()

    def monthly(self, cell: str) -> np.ndarray:
        """Incidents per month (24) in one res-9 cell."""
        return np.bincount(self.inc_month[self.inc_cell == cell], minlength=24)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo0")
    return Demo(out, generate_demo_files(out, seed=0))


@pytest.fixture(scope="module")
def null_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo0null")
    return Demo(out, generate_demo_files(out, seed=0, null=True))


def _bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = TO_BNG.transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def _boundary_bng() -> shapely.Polygon:
    xy = np.asarray(demo_boundary().exterior.coords)
    x, y = _bng(xy[:, 0], xy[:, 1])
    return shapely.Polygon(np.column_stack([x, y]))


def _cell_centre_bng(cell: str) -> tuple[float, float]:
    lat, lng = hexes.cell_centres(hexes.str_to_cells([cell]))
    x, y = _bng(lng, lat)
    return float(x[0]), float(y[0])


def _weekend_evening(t: pd.Series) -> pd.Series:
    return (t.dt.day_of_week >= 4) & (t.dt.hour >= 19) & (t.dt.hour < 23)


# ----------------------------------------------------------------------------- boundary
def test_boundary_is_a_plausible_borough(tmp_path: Path) -> None:
    poly = demo_boundary()
    assert poly.is_valid and poly.exterior.is_ccw
    assert 15 <= len(poly.exterior.coords) - 1 <= 25
    assert demo_boundary().equals_exact(poly, 0.0)  # deterministic
    c = poly.centroid
    assert abs(c.x - 0.03) < 0.01 and abs(c.y - 51.535) < 0.01
    b = _boundary_bng()
    minx, miny, maxx, maxy = b.bounds
    assert 6000 < maxx - minx < 8000 and 4000 < maxy - miny < 6000
    assert 20e6 < b.area < 35e6  # m^2

    path = tmp_path / "sub" / "boundary.geojson"
    write_demo_boundary(path)
    gj = json.loads(path.read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 1
    feat = gj["features"][0]
    assert feat["properties"] == {"LAD22CD": "X99999999", "LAD22NM": "Demo borough (synthetic)"}
    assert shapely.geometry.shape(feat["geometry"]).equals_exact(poly, 1e-9)


# -------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate_demo_files(tmp_path / "a", seed=3)
    b = generate_demo_files(tmp_path / "b", seed=3)
    c = generate_demo_files(tmp_path / "c", seed=4)
    assert a == b
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(GENERATED_FILES)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for name in (
        "incidents.csv",
        "missing_episodes.csv",
        "youth_sessions.csv",
        "school_outcomes.csv",
        "census_ethnic_group_lsoa.csv",
        "stop_and_search.csv",
        "truth.json",
    ):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes(), name
    assert a["recurring_hotspots"] != c["recurring_hotspots"]
    assert json.loads((tmp_path / "a" / "truth.json").read_text(encoding="utf-8")) == a


# ------------------------------------------------------------------------------ formats
@pytest.mark.parametrize("name", ["incidents.csv", "missing_episodes.csv", "youth_sessions.csv"])
def test_partner_files_have_the_template_headers(demo: Demo, name: str) -> None:
    with (TEMPLATES / name).open(encoding="utf-8", newline="") as f:
        expected = next(csv.reader(f))
    with (demo.out / name).open(encoding="utf-8", newline="") as f:
        got = next(csv.reader(f))
    assert got == expected


def test_schools_and_sensitive_premises_headers(demo: Demo) -> None:
    assert tuple(demo.schools.columns) == SCHOOLS_HEADER
    assert list(demo.sensitive.columns) == ["kind", "latitude", "longitude"]
    assert demo.sensitive["kind"].tolist() == ["childrens_home"]


def test_datetimes_and_vocabularies(demo: Demo) -> None:
    inc, mis, ys = demo.incidents, demo.missing, demo.youth
    assert demo.inc_time.min() >= pd.Timestamp("2023-01-01")
    assert demo.inc_time.max() <= pd.Timestamp("2024-12-31 23:59")
    assert inc["Incident ID"].is_unique
    assert set(inc["Category"]) <= set(schema.SYV_CATEGORIES) | {"drugs", "public_order"}
    assert set(inc["Category"]) >= {"knife_crime", "harmful_sexual_behaviour", "drugs"}
    assert set(inc["Age band"]) <= set(schema.AGE_BANDS) | {""}
    assert set(inc["Sex"]) <= set(schema.SEXES) | {""}
    assert set(inc["Ethnicity"]) <= set(schema.ETHNIC_GROUPS) | {""}
    assert set(inc["Weapon"]) == {"knife", "other", ""}
    assert set(inc["Location type"]) == set(LOCATION_TYPES)
    assert inc["Age band"].isin(["14-17", "18-24"]).mean() > 0.7

    reported = pd.to_datetime(mis["Date reported missing"], format=FMT)
    returned = pd.to_datetime(mis["Date returned"], format=FMT)  # blank -> NaT
    rhi = pd.to_datetime(mis["RHI completed"], format=FMT)
    assert reported.min() >= pd.Timestamp("2023-01-01")
    assert reported.max() <= pd.Timestamp("2024-12-31 23:59")
    assert (returned.dropna() > reported[returned.notna()]).all()
    assert (rhi.dropna() >= returned[rhi.notna()]).all()
    assert mis["Episode ID"].is_unique
    assert mis["Child ID"].str.fullmatch(r"C-\d{5}").all()
    assert set(mis["RHI status"]) == set(schema.RHI_STATUSES)
    assert (mis.loc[mis["RHI status"] != "completed", "RHI completed"] == "").all()
    themes = {t for s in mis["RHI themes"] if s for t in s.split(";")}
    assert themes <= set(schema.RHI_THEMES)
    assert mis["RHI themes"].str.count(";").max() <= 2
    assert set(mis["Risk level"]) <= set(schema.RISK_LEVELS)
    assert set(mis["Looked after"]) == {"Y", "N"}
    assert set(mis["Age band"]) <= {"under 10", "10-13", "14-17"}
    home = mis["Home area"].unique()
    assert all(hexes.is_valid_cell(h) for h in home)
    assert set(hexes.cell_resolution(hexes.str_to_cells(home)).tolist()) == {7}

    start = pd.to_datetime(ys["Start"], format=FMT)
    end = pd.to_datetime(ys["End"], format=FMT)
    assert (end > start).all()
    contacts = ys["Contacts"].astype(int)
    assert contacts.between(0, 30).all()
    assert ys.loc[ys["Referrals"] != "", "Referrals"].astype(int).between(0, 3).all()
    point = ys["Latitude"] != ""
    assert ((ys["Area WKT"] != "") ^ point).all()


def test_counts_are_realistic_and_recorded(demo: Demo) -> None:
    counts = demo.truth["counts"]
    assert counts == {
        "incidents": len(demo.incidents),
        "missing_episodes": len(demo.missing),
        "children": demo.missing["Child ID"].nunique(),
        "schools": len(demo.schools),
        "youth_sessions": len(demo.youth),
        "school_outcome_rows": len(demo.outcomes),
        "stop_searches": len(demo.searches),
        "census_areas": demo.census["lsoa21_code"].nunique(),
        "ed_assaults": len(_read(demo.out / "istv.csv")),
        "postcodes": len(pd.read_csv(demo.out / "postcodes.csv", header=None)),
        "gazetteer_names": len(_read(demo.out / "gazetteer.csv")),
    }
    assert 9000 <= counts["incidents"] <= 12000
    assert 1200 <= counts["missing_episodes"] <= 1800
    assert counts["children"] == 350
    weeks = 731 / 7
    assert 15 <= counts["youth_sessions"] / weeks <= 25
    lac = demo.missing.groupby("Child ID")["Looked after"].first().eq("Y").mean()
    assert 0.10 <= lac <= 0.20


def test_school_outcomes_plant_the_black_relative_rate(demo: Demo) -> None:
    """Exclusions per pupil of each group: Black pupils about 2.5 times White pupils.

    Pupils by group follow the cohort's mix (the children's ethnicity shares)."""
    o = demo.outcomes.assign(Count=demo.outcomes["Count"].astype(int))
    assert set(o["Measure"]) == {"fixed term exclusion", "managed move", "permanent exclusion"}
    fte = o[o["Measure"] == "fixed term exclusion"].groupby("Ethnic group")["Count"].sum()
    mix = demo.missing.groupby("Child ID")["Ethnicity"].first().value_counts(normalize=True)
    ratio = (fte["black"] / mix["black"]) / (fte["white"] / mix["white"])
    planted = demo.truth["school_outcomes"]["black_relative_rate"]
    assert planted == 2.5
    assert 0.75 * planted <= ratio <= 1.25 * planted, ratio
    # only schools that exclude: secondaries, all-through, the special school and the PRU
    urns = set(o["URN"].astype(str))
    kinds = demo.schools.set_index(demo.schools["URN"].astype(str))["TypeOfEstablishment (name)"]
    assert "Other independent school" not in set(kinds[list(urns)])
    assert "Pupil referral unit" in set(kinds[list(urns)])


def test_truth_has_the_design_keys(demo: Demo) -> None:
    t = demo.truth
    assert set(t) == TRUTH_KEYS
    assert t["seed"] == 0 and t["synthetic"] is True and t["resolution"] == 9
    assert t["periods"] == {"first": DEMO_FIRST_MONTH, "last": DEMO_LAST_MONTH}
    kinds = sorted(h["kind"] for h in t["recurring_hotspots"])
    assert kinds == ["emerging", "fading", "persistent", "persistent", "persistent"]
    assert {h["layer"] for h in t["recurring_hotspots"]} == {"incidents"}
    assert t["near_repeat"] == {"distance_m": 200, "days": 14, "chains": 25}
    assert t["youth_work_gap"]["block"] == "weekend_evening"
    cells = [h["cell"] for h in t["recurring_hotspots"]] + [
        t["school_journey_hotspot"]["cell"],
        t["missing_found_hotspot"]["cell"],
        t["youth_work_gap"]["cell"],
        t["childrens_home"]["cell"],
    ]
    for c in cells:
        assert hexes.is_valid_cell(c)
        assert hexes.cell_resolution(hexes.str_to_cells([c]))[0] == 9
    fine = hexes.str_to_cells([t["childrens_home"]["cell_11"]])
    assert hexes.cell_resolution(fine)[0] == 11
    assert hexes.cells_to_str(hexes.cells_to_parent(fine, 9))[0] == t["childrens_home"]["cell"]


# ------------------------------------------------------------------------------- extent
def test_every_point_is_within_200_m_of_the_borough(demo: Demo) -> None:
    edge = _boundary_bng().buffer(200.0)
    inside = _boundary_bng()
    inc = demo.incidents
    x, y = _bng(inc["Longitude"].astype(float).to_numpy(), inc["Latitude"].astype(float).to_numpy())
    assert shapely.contains_xy(edge, x, y).all()
    outside = ~shapely.contains_xy(inside, x, y)
    assert 0.005 <= outside.mean() <= 0.05  # a few percent exercise the edge buffer
    assert shapely.distance(inside, shapely.points(x[outside], y[outside])).max() <= 110.0

    mis = demo.missing[demo.missing["Found latitude"] != ""]
    x, y = _bng(
        mis["Found longitude"].astype(float).to_numpy(),
        mis["Found latitude"].astype(float).to_numpy(),
    )
    assert shapely.contains_xy(edge, x, y).all()

    ys = demo.youth
    pts = ys[ys["Latitude"] != ""]
    x, y = _bng(pts["Longitude"].astype(float).to_numpy(), pts["Latitude"].astype(float).to_numpy())
    assert shapely.contains_xy(edge, x, y).all()
    for wkt in ys.loc[ys["Area WKT"] != "", "Area WKT"].unique():
        xy = np.asarray(shapely.from_wkt(wkt).exterior.coords)
        px, py = _bng(xy[:, 0], xy[:, 1])
        assert shapely.contains_xy(edge, px, py).all()

    sx = demo.schools["Easting"].astype(float).to_numpy()
    sy = demo.schools["Northing"].astype(float).to_numpy()
    assert shapely.contains_xy(inside, sx, sy).all()
    hx, hy = _bng(
        demo.sensitive["longitude"].astype(float).to_numpy(),
        demo.sensitive["latitude"].astype(float).to_numpy(),
    )
    assert shapely.contains_xy(inside, hx, hy).all()


# ------------------------------------------------------------------------------ schools
def test_schools_follow_gias_conventions(demo: Demo) -> None:
    s = demo.schools
    assert 35 <= len(s) <= 45
    urn = s["URN"].astype(int)
    assert urn.is_unique and urn.between(900100, 900199).all()
    assert (s["TypeOfEstablishment (name)"] == "Pupil referral unit").sum() == 1
    phases = s["PhaseOfEducation (name)"].value_counts()
    assert 25 <= phases["Primary"] <= 35
    assert 6 <= phases.get("Secondary", 0) + phases.get("All-through", 0) <= 10
    assert set(s["EstablishmentStatus (name)"]) == {"Open"}
    assert set(s["LA (code)"]) == {"999"} and set(s["LA (name)"]) == {"Demo borough (synthetic)"}
    assert set(s["Postcode"]) == {""}
    assert s["EstablishmentName"].is_unique
    # Children's school URNs refer to these schools; dual registration is with the PRU.
    known = set(s["URN"])
    pru = s.loc[s["TypeOfEstablishment (name)"] == "Pupil referral unit", "URN"].item()
    urns = demo.missing["School URN"]
    listed = {u for v in urns if v for u in v.split(";")}
    assert listed <= known
    dual = urns[urns.str.contains(";")]
    assert len(dual) > 0 and dual.str.endswith(";" + pru).all()


# ----------------------------------------------------------------------------- hotspots
def test_planted_cells_are_elevated_in_their_periods(demo: Demo) -> None:
    cells, counts = np.unique(demo.inc_cell, return_counts=True)
    typical = np.median(counts)  # incidents per occupied res-9 cell over 24 months
    for h in demo.truth["recurring_hotspots"]:
        m = demo.monthly(h["cell"])
        if h["kind"] == "persistent":
            assert m.min() >= 8, (h, m)
            assert m.sum() >= 8 * typical
        elif h["kind"] == "emerging":
            first, last = m[:18].mean(), m[18:].mean()
            assert last >= 8.0 and last >= 4.0 * max(first, 0.5), m
            assert m[21:].mean() > m[18:21].mean()  # rising
        else:  # fading: hot every month, declining steadily
            early, late = m[:6].mean(), m[-6:].mean()
            assert m.min() >= 8, (h, m)
            assert early >= 1.25 * late, m
            assert np.corrcoef(np.arange(m.size), m)[0, 1] < -0.6, m
    # Planted cells are >= 1 km apart and away from the children's home.
    planted = [h["cell"] for h in demo.truth["recurring_hotspots"]]
    planted += [demo.truth["school_journey_hotspot"]["cell"], demo.truth["childrens_home"]["cell"]]
    xy = np.array([_cell_centre_bng(c) for c in planted])
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    assert d[np.triu_indices(len(planted), 1)].min() >= 1000.0


def test_planted_points_keep_their_cell_at_storage_resolution(demo: Demo) -> None:
    # H3 children do not tile their parent exactly: a point near a res-9 edge can have a
    # res-11 cell whose parent is the neighbour. Planted points sit near the centre, so
    # snapping to the storage resolution (11) and taking parents keeps them in place.
    lat = demo.incidents["Latitude"].astype(float).to_numpy()
    lon = demo.incidents["Longitude"].astype(float).to_numpy()
    x, y = _bng(lon, lat)
    via11 = hexes.cells_to_str(hexes.cells_to_parent(hexes.points_to_cells(lat, lon, 11), 9))
    cells = [h["cell"] for h in demo.truth["recurring_hotspots"]]
    cells.append(demo.truth["school_journey_hotspot"]["cell"])
    for cell in cells:
        cx, cy = _cell_centre_bng(cell)
        core = np.hypot(x - cx, y - cy) <= 61.0
        assert core.sum() >= 50
        assert (demo.inc_cell[core] == cell).all() and (via11[core] == cell).all()
        direct, parent = (demo.inc_cell == cell).sum(), (via11 == cell).sum()
        assert abs(int(direct) - int(parent)) <= 0.05 * direct + 2  # background near edges


def test_school_journey_hotspot(demo: Demo) -> None:
    sj = demo.truth["school_journey_hotspot"]
    school = demo.schools[demo.schools["URN"] == sj["school_urn"]].iloc[0]
    assert school["PhaseOfEducation (name)"] in ("Secondary", "All-through")
    cx, cy = _cell_centre_bng(sj["cell"])
    assert np.hypot(cx - float(school["Easting"]), cy - float(school["Northing"])) <= 300.0
    t = demo.inc_time[demo.inc_cell == sj["cell"]]
    minute = t.dt.hour * 60 + t.dt.minute
    journey = (t.dt.day_of_week < 5) & (minute.between(450, 539) | minute.between(900, 1049))
    assert len(t) >= 100 and journey.mean() >= 0.8


def test_youth_work_gap_at_weekend_evening(demo: Demo) -> None:
    gap = demo.truth["youth_work_gap"]["cell"]
    assert gap in {h["cell"] for h in demo.truth["recurring_hotspots"] if h["kind"] == "persistent"}
    assert _weekend_evening(demo.inc_time[demo.inc_cell == gap]).mean() >= 0.5

    ys = demo.youth
    start = pd.to_datetime(ys["Start"], format=FMT)
    end = pd.to_datetime(ys["End"], format=FMT)
    geoms = np.empty(len(ys), dtype=object)
    point = (ys["Latitude"] != "").to_numpy()
    px, py = _bng(
        ys.loc[point, "Longitude"].astype(float).to_numpy(),
        ys.loc[point, "Latitude"].astype(float).to_numpy(),
    )
    geoms[point] = shapely.points(px, py)
    for i in np.flatnonzero(~point):
        xy = np.asarray(shapely.from_wkt(ys["Area WKT"].iloc[i]).exterior.coords)
        ax, ay = _bng(xy[:, 0], xy[:, 1])
        geoms[i] = shapely.Polygon(np.column_stack([ax, ay]))

    def near(cell: str) -> np.ndarray:
        cx, cy = _cell_centre_bng(cell)
        return np.asarray(shapely.distance(shapely.Point(cx, cy), geoms) <= 800.0)

    # A session "at weekend evening" here is any Fri/Sat/Sun session running past 17:00.
    weekend_eve = (
        (start.dt.day_of_week >= 4) & (end.dt.hour * 60 + end.dt.minute > 17 * 60)
    ).to_numpy()
    assert not (near(gap) & weekend_eve).any()
    assert (near(gap) & ~weekend_eve).any()  # covered on weekdays: a gap in time, not place
    others = [
        h["cell"]
        for h in demo.truth["recurring_hotspots"]
        if h["kind"] == "persistent" and h["cell"] != gap
    ]
    for cell in others:  # the timetable does cover the other persistent hotspots then
        assert (near(cell) & weekend_eve & _weekend_evening(start).to_numpy()).any()


def test_near_repeat_chains_follow_background_seeds(demo: Demo, null_demo: Demo) -> None:
    key = ["Date and time", "Latitude", "Longitude", "Category"]
    both = demo.incidents.merge(null_demo.incidents[key], on=key, how="left", indicator=True)
    assert (both["_merge"] == "both").sum() == len(null_demo.incidents)  # same background
    extra = both["_merge"] == "left_only"
    planted = {h["cell"] for h in demo.truth["recurring_hotspots"]}
    planted.add(demo.truth["school_journey_hotspot"]["cell"])
    follow = extra.to_numpy() & ~np.isin(demo.inc_cell, list(planted))
    n_chains = demo.truth["near_repeat"]["chains"]
    assert 2 * n_chains <= follow.sum() <= 5 * n_chains
    bg = null_demo
    bx, by = _bng(
        bg.incidents["Longitude"].astype(float).to_numpy(),
        bg.incidents["Latitude"].astype(float).to_numpy(),
    )
    bt = bg.inc_time.to_numpy()
    fi = demo.incidents[follow]
    fx, fy = _bng(fi["Longitude"].astype(float).to_numpy(), fi["Latitude"].astype(float).to_numpy())
    ft = demo.inc_time[follow].to_numpy()
    d = np.hypot(fx[:, None] - bx[None, :], fy[:, None] - by[None, :])
    dt = ft[:, None] - bt[None, :]
    linked = (d <= 200.0) & (dt > np.timedelta64(0)) & (dt <= np.timedelta64(14, "D"))
    assert linked.any(axis=1).all()
    seeds = np.flatnonzero(linked.any(axis=0))
    assert n_chains <= seeds.size  # a follower may also sit near another background event


# ---------------------------------------------------------------------- missing episodes
def _repeat_children(mis: pd.DataFrame, n: int = 3, days: int = 90) -> int:
    """Children with n or more episodes reported within `days` days (inclusive)."""
    t = pd.to_datetime(mis["Date reported missing"], format=FMT)
    df = pd.DataFrame({"child": mis["Child ID"], "t": t}).sort_values(["child", "t"])
    later = df.groupby("child")["t"].shift(-(n - 1))
    hit = (later - df["t"]) <= pd.Timedelta(days=days)
    return int(df.loc[hit, "child"].nunique())


def test_repeat_missing_children_match_the_data(demo: Demo, null_demo: Demo) -> None:
    assert _repeat_children(demo.missing) == demo.truth["repeat_missing_children"]
    assert 20 <= demo.truth["repeat_missing_children"] <= 30
    assert _repeat_children(null_demo.missing) == null_demo.truth["repeat_missing_children"]


def test_missing_found_hotspot_and_childrens_home(demo: Demo) -> None:
    mis = demo.missing
    has = mis["Found latitude"] != ""
    lat = mis.loc[has, "Found latitude"].astype(float).to_numpy()
    lon = mis.loc[has, "Found longitude"].astype(float).to_numpy()
    cells = pd.Series(hexes.cells_to_str(hexes.points_to_cells(lat, lon, 9)))
    share = cells.value_counts(normalize=True)
    hot = demo.truth["missing_found_hotspot"]["cell"]
    assert 0.10 <= share[hot] <= 0.20
    assert share.index[0] == hot

    home = demo.truth["childrens_home"]
    hlat = float(demo.sensitive["latitude"].iloc[0])
    hlon = float(demo.sensitive["longitude"].iloc[0])
    assert hexes.cells_to_str(hexes.points_to_cells([hlat], [hlon], 9))[0] == home["cell"]
    assert hexes.cells_to_str(hexes.points_to_cells([hlat], [hlon], 11))[0] == home["cell_11"]
    hx, hy = _bng(np.array([hlon]), np.array([hlat]))
    fx, fy = _bng(lon, lat)
    close = np.hypot(fx - hx[0], fy - hy[0]) <= 31.0
    lac = (mis.loc[has, "Looked after"] == "Y").to_numpy()
    assert close.sum() >= 30 and lac[close].mean() >= 0.9
    assert (cells[close] == home["cell"]).all()
    assert share.index[1] == home["cell"]  # the home's cell would single it out


# ---------------------------------------------------------------------------- null mode
def test_null_mode_plants_nothing(null_demo: Demo, demo: Demo) -> None:
    t = null_demo.truth
    assert set(t) == TRUTH_KEYS
    assert t["recurring_hotspots"] == []
    assert t["near_repeat"]["chains"] == 0
    assert t["school_journey_hotspot"] is None
    assert t["missing_found_hotspot"] is None
    assert t["youth_work_gap"] is None
    assert t["childrens_home"] == demo.truth["childrens_home"]  # same premises, not a signal
    # Same cohort and timetable; fewer incidents (background only).
    assert t["counts"]["children"] == demo.truth["counts"]["children"]
    assert t["counts"]["youth_sessions"] == demo.truth["counts"]["youth_sessions"]
    assert t["counts"]["incidents"] < demo.truth["counts"]["incidents"]
    # No cell is elevated month after month, and the planted cells are ordinary.
    cells = np.unique(null_demo.inc_cell)
    monthly = np.stack([null_demo.monthly(c) for c in cells])
    assert (monthly.min(axis=1) >= 6).sum() == 0
    assert monthly.sum(axis=1).max() < 200
    for h in demo.truth["recurring_hotspots"]:
        m = null_demo.monthly(h["cell"])
        assert m.mean() < 4.0 and m.max() < 11, (h, m)
    # No found-location hotspot beyond the children's home.
    mis = null_demo.missing[null_demo.missing["Found latitude"] != ""]
    fc = pd.Series(
        hexes.cells_to_str(
            hexes.points_to_cells(
                mis["Found latitude"].astype(float), mis["Found longitude"].astype(float), 9
            )
        )
    )
    share = fc.value_counts(normalize=True)
    assert share.drop(t["childrens_home"]["cell"]).max() < 0.05


# ------------------------------------------------------------- disproportionality inputs
def test_census_areas_partition_the_borough(demo: Demo) -> None:
    """The fictional LSOAs cover the borough without overlaps, with codes the
    area-statistics adapter accepts, and the census tables agree with each other."""
    areas = json.loads((demo.out / "lsoa_boundaries.geojson").read_text(encoding="utf-8"))
    feats = areas["features"]
    truth = demo.truth["disproportionality"]
    assert 20 <= len(feats) <= 40 and len(feats) == truth["areas"]
    codes = [f["properties"]["LSOA21CD"] for f in feats]
    assert all(re.fullmatch(r"E01999\d{3}", c) for c in codes) and len(set(codes)) == len(codes)
    polys = [shapely.geometry.shape(f["geometry"]) for f in feats]
    assert all(p.geom_type == "Polygon" and p.is_valid for p in polys)
    union = shapely.union_all(polys)
    boundary = demo_boundary()
    assert abs(union.area - boundary.area) / boundary.area < 1e-3
    assert sum(p.area for p in polys) == pytest.approx(union.area, rel=1e-3)  # no overlaps

    census = demo.census.assign(n=demo.census["n"].astype(float))
    assert list(census.columns) == ["lsoa21_code", "total_residents", "ethnic_group", "n", "prop"]
    assert sorted(census["lsoa21_code"].unique()) == sorted(codes)
    assert census.groupby("lsoa21_code").size().eq(5).all()
    by_age = demo.census_by_age.set_index("LSOA21CD")
    for group, rows in census.groupby("ethnic_group"):
        cols = [c for c in by_age.columns if c.startswith(f"{group} | ")]
        assert len(cols) == 5, group
        summed = by_age[cols].astype(int).sum(axis=1)
        assert (rows.set_index("lsoa21_code")["n"] == summed.loc[rows["lsoa21_code"]]).all()
    pop = truth["population"]
    assert sum(pop["all_ages"].values()) == census["n"].sum()


def test_stop_search_file_plants_the_disproportionality(demo: Demo) -> None:
    """police.uk header and vocabularies; Black 10-17 year olds searched at about three
    times the rate of White 10-17 year olds per resident (self-defined ethnicity)."""
    ss = demo.searches
    police = REPO.parent / "shared" / "data" / "police" / "2016-06-metropolitan-stop-and-search.csv"
    if police.exists():
        with police.open(encoding="utf-8", newline="") as f:
            assert list(ss.columns) == next(csv.reader(f))
    truth = demo.truth["disproportionality"]
    assert len(ss) == truth["stop_search"]["rows"] == demo.truth["counts"]["stop_searches"]
    when = pd.to_datetime(ss["Date"], format="ISO8601", utc=True)
    assert when.min() >= pd.Timestamp("2023-01-01", tz="UTC")
    assert when.max() <= pd.Timestamp("2025-01-01", tz="UTC")
    assert set(ss["Age range"]) <= {"under 10", "10-17", "18-24", "25-34", "over 34", ""}
    assert "A no further action disposal" in set(ss["Outcome"])
    assert set(ss["Outcome linked to object of search"]) == {"True", "False", ""}
    assert ss["Object of search"].value_counts().index[0] == "Controlled drugs"
    lon = ss["Longitude"].astype(float).to_numpy()
    lat = ss["Latitude"].astype(float).to_numpy()
    assert shapely.contains_xy(demo_boundary(), lon, lat).all()

    young = ss[ss["Age range"] == "10-17"]
    black = young["Self-defined ethnicity"].str.startswith("Black/").sum()
    white = young["Self-defined ethnicity"].str.startswith("White - ").sum()
    pop = truth["population"]["10-17"]
    rri = (black / pop["black"]) / (white / pop["white"])
    planted = truth["stop_search"]["rri"]["10-17"]["black"]
    assert planted == 3.0
    assert 0.75 * planted <= rri <= 1.25 * planted, rri


def test_null_mode_plants_no_stop_search_disproportionality(null_demo: Demo) -> None:
    truth = null_demo.truth["disproportionality"]
    assert {v for rates in truth["stop_search"]["rri"].values() for v in rates.values()} == {1.0}
    ss = null_demo.searches
    young = ss[ss["Age range"] == "10-17"]
    black = young["Self-defined ethnicity"].str.startswith("Black/").sum()
    white = young["Self-defined ethnicity"].str.startswith("White - ").sum()
    pop = truth["population"]["10-17"]
    assert 0.7 <= (black / pop["black"]) / (white / pop["white"]) <= 1.4


def test_a_stale_default_demo_store_is_rebuilt(tmp_path: Path) -> None:
    """A demo store from an older generator (or none) is rebuilt with its own seed."""
    from geo.core.config import load_config
    from geo.demo.build import build_demo, ensure_demo_store
    from geo.demo.data import GENERATOR_VERSION

    build = build_demo(tmp_path, seed=2)
    config = load_config(tmp_path / "placesafe.toml")
    assert not ensure_demo_store(config)  # current: left alone
    truth_path = tmp_path / "truth.json"
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    truth["generator_version"] = GENERATOR_VERSION - 1
    truth_path.write_text(json.dumps(truth), encoding="utf-8")
    assert ensure_demo_store(config)
    rebuilt = json.loads(truth_path.read_text(encoding="utf-8"))
    assert rebuilt["generator_version"] == GENERATOR_VERSION
    assert rebuilt["seed"] == 2 and rebuilt == build.truth
