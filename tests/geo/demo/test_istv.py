"""The demo's ISTV extract (geo.demo.istv), its gazetteer and postcodes
(geo.demo.place_names) and the planted truth: formats, determinism, realism, the
night-time-economy strip health sees and police do not, and how well the geocoder finds
the truth, directly and through a built demo store."""

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
from scipy.stats import binom

import geo.demo.data as demo_data
from geo.core import hexes
from geo.core.area import StudyArea, from_bng, load_study_area, to_bng
from geo.core.config import StudyAreaConfig
from geo.demo.borough import demo_boundary
from geo.demo.build import DEMO_FILES, build_demo
from geo.demo.data import GENERATED_FILES, generate_demo_files
from geo.demo.health import demo_health_sites
from geo.demo.istv import ED_SITES, HOME, UNLOCATABLE
from geo.demo.place_names import DUPLICATED_ROADS, POLICE_VIOLENCE_CATEGORIES
from geo.ingest.gazetteer import gazetteer_from_points, read_codepoint_open, read_open_names
from geo.ingest.geocode import geocode_locations
from geo.store.database import Store

REPO = Path(__file__).resolve().parents[3]
TEMPLATE = REPO / "data" / "templates" / "istv.csv"
FMT = "%d/%m/%Y %H:%M"
POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}")
ISTV_FILES = ("gazetteer.csv", "postcodes.csv", "istv.csv", "istv_truth.csv")
#: Files the generator wrote before the ISTV demo was added.
EARLIER_FILES = tuple(f for f in GENERATED_FILES if f not in (*ISTV_FILES, "truth.json"))
ISTV_TRUTH_KEYS = ("health_only_place", "istv")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _area(out: Path) -> StudyArea:
    """The demo's study area: the borough and the demo configuration's 250 m buffer."""
    return load_study_area(StudyAreaConfig(boundary=out / "boundary.geojson", buffer_m=250.0))


def _parent_str(lat: np.ndarray, lng: np.ndarray, res: int) -> np.ndarray:
    """Cells at ``res`` as a store gives them: the res-11 cell's parent."""
    fine = hexes.points_to_cells(lat, lng, 11)
    return np.asarray(hexes.cells_to_str(hexes.cells_to_parent(fine, res)), dtype=object)


class Istv:
    """One generated demo, its ISTV files read back, and the geocoder's answer."""

    def __init__(self, out: Path, truth: dict[str, Any]) -> None:
        self.out = out
        self.truth = truth
        self.ed = _read(out / "istv.csv")
        self.expected = _read(out / "istv_truth.csv")
        self.gazetteer = _read(out / "gazetteer.csv")
        self.postcodes = pd.read_csv(out / "postcodes.csv", header=None, dtype=str)
        self.incidents = _read(out / "incidents.csv")
        self.placed = self._geocode()

    def _geocode(self) -> pd.DataFrame:
        """Place every record with the demo's public names, as the store would."""
        area = _area(self.out)
        schools = _read(self.out / "schools.csv")
        lng, lat = from_bng(schools["Easting"].astype(float), schools["Northing"].astype(float))
        sites = demo_health_sites(demo_boundary())
        points = pd.concat(
            [
                read_open_names(self.out / "gazetteer.csv"),
                pd.DataFrame(
                    {"name": schools["EstablishmentName"], "kind": "school", "lat": lat, "lng": lng}
                ),
                pd.DataFrame(
                    {
                        "name": sites["Site name"],
                        "kind": "health_site",
                        "lat": sites["Latitude"],
                        "lng": sites["Longitude"],
                    }
                ),
            ],
            ignore_index=True,
        )
        ed = self.ed
        return geocode_locations(
            ed["Assault location"],
            lat=ed["Latitude"].replace("", np.nan),
            lng=ed["Longitude"].replace("", np.nan),
            postcode=ed["Assault postcode"],
            postcodes=read_codepoint_open(self.out / "postcodes.csv"),
            gazetteer=gazetteer_from_points(points),
            area=area,
        )

    @property
    def located(self) -> np.ndarray:
        return (self.placed["method"] != "").to_numpy()

    def placed_cells(self, res: int) -> np.ndarray:
        """The res-``res`` cell each record was placed in ("" when unplaced)."""
        out = np.full(len(self.placed), "", dtype=object)
        hit = self.located
        out[hit] = _parent_str(
            self.placed["lat"].to_numpy()[hit], self.placed["lng"].to_numpy()[hit], res
        )
        return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Istv:
    out = tmp_path_factory.mktemp("istv0")
    return Istv(out, generate_demo_files(out, seed=0))


@pytest.fixture(scope="module")
def null_demo(tmp_path_factory: pytest.TempPathFactory) -> Istv:
    out = tmp_path_factory.mktemp("istv0null")
    return Istv(out, generate_demo_files(out, seed=0, null=True))


def _excess(d: Istv) -> pd.DataFrame:
    """Per res-9 cell: placed ED assaults (never homes), police-recorded violence, and the
    one-sided conditional binomial p-value of the ED count given the cell's total, at the
    borough's ED share."""
    cells = d.placed_cells(9)
    ed = pd.Series(cells[cells != ""]).value_counts()
    inc = d.incidents.loc[d.incidents["Category"].isin(POLICE_VIOLENCE_CATEGORIES)]
    police = pd.Series(
        _parent_str(
            inc["Latitude"].astype(float).to_numpy(), inc["Longitude"].astype(float).to_numpy(), 9
        )
    ).value_counts()
    table = pd.DataFrame({"ed": ed, "police": police}).fillna(0).astype(np.int64)
    share = table["ed"].sum() / table.to_numpy().sum()
    table["p"] = binom.sf(table["ed"] - 1, table["ed"] + table["police"], share)
    return table.sort_values("p", kind="stable")


# ------------------------------------------------------------------------------ formats
def test_istv_columns_equal_the_template_header(demo: Istv) -> None:
    with TEMPLATE.open(encoding="utf-8", newline="") as f:
        expected = next(csv.reader(f))
    with (demo.out / "istv.csv").open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == expected
    assert list(demo.expected.columns) == ["Attendance ID", "expected"]
    assert demo.expected["Attendance ID"].tolist() == demo.ed["Attendance ID"].tolist()


def test_gazetteer_is_open_names_style_with_two_ambiguous_roads(demo: Istv) -> None:
    g = demo.gazetteer
    assert {"ID", "NAME1", "LOCAL_TYPE", "GEOMETRY_X", "GEOMETRY_Y"} <= set(g.columns)
    assert 40 <= len(g) <= 80 and g["ID"].is_unique
    kinds = set(g["LOCAL_TYPE"])
    assert {"Named Road", "Public House", "Bar", "Nightclub", "Park", "Bus Station"} <= kinds
    x, y = g["GEOMETRY_X"].astype(int).to_numpy(), g["GEOMETRY_Y"].astype(int).to_numpy()
    lng, lat = from_bng(x, y)
    assert shapely.contains_xy(demo_boundary(), lng, lat).all()
    counts = g["NAME1"].value_counts()
    assert set(counts[counts > 1].index) == set(DUPLICATED_ROADS)
    for name in DUPLICATED_ROADS:  # two points > 2 km apart: the geocoder's spread > 1 km
        pts = g.loc[g["NAME1"] == name, ["GEOMETRY_X", "GEOMETRY_Y"]].astype(float).to_numpy()
        assert len(pts) == 2 and np.hypot(*(pts[0] - pts[1])) > 2000.0


def test_postcodes_are_code_point_open_without_a_header(demo: Istv) -> None:
    pc = demo.postcodes
    assert pc.shape[1] == 10 and 200 <= len(pc) <= 800
    assert pc[0].str.fullmatch(POSTCODE).all() and pc[0].str.startswith("ZD").all()
    assert pc[0].is_unique
    first = (demo.out / "postcodes.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith('"ZD')  # no header row, strings quoted as published
    assert (pc[2].astype(int) > 0).all() and (pc[3].astype(int) > 0).all()  # BNG metres
    lng, lat = from_bng(pc[2].astype(float), pc[3].astype(float))
    assert _area(demo.out).contains(lat, lng).all()  # kept by the postcodes feed


# ------------------------------------------------------------------------- determinism
def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = generate_demo_files(tmp_path / "a", seed=5)
    b = generate_demo_files(tmp_path / "b", seed=5)
    c = generate_demo_files(tmp_path / "c", seed=6)
    assert a == b
    for name in ISTV_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
    assert a["health_only_place"] != c["health_only_place"]


def test_earlier_files_do_not_depend_on_the_istv_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ISTV demo draws only from its own (last) stream: feeding it another stream
    changes its files and nothing the generator wrote before it existed."""
    generate_demo_files(tmp_path / "own", seed=2)
    places, assaults = demo_data.make_demo_places, demo_data.ed_assaults

    def other_places(rng: np.random.Generator, *args: Any, **kw: Any) -> Any:
        return places(np.random.default_rng(999), *args, **kw)

    def other_assaults(rng: np.random.Generator, *args: Any, **kw: Any) -> Any:
        return assaults(np.random.default_rng(998), *args, **kw)

    monkeypatch.setattr(demo_data, "make_demo_places", other_places)
    monkeypatch.setattr(demo_data, "ed_assaults", other_assaults)
    generate_demo_files(tmp_path / "other", seed=2)
    for name in EARLIER_FILES:
        own, other = (tmp_path / d / name for d in ("own", "other"))
        assert own.read_bytes() == other.read_bytes(), name
    for name in ISTV_FILES:
        own, other = (tmp_path / d / name for d in ("own", "other"))
        assert own.read_bytes() != other.read_bytes(), name
    t_own, t_other = (
        json.loads((tmp_path / d / "truth.json").read_text(encoding="utf-8"))
        for d in ("own", "other")
    )
    for t in (t_own, t_other):
        for key in ISTV_TRUTH_KEYS:
            t.pop(key)
        for key in ("ed_assaults", "postcodes", "gazetteer_names"):
            t["counts"].pop(key)
    assert t_own == t_other


# ---------------------------------------------------------------------------- realism
def test_volume_times_and_people_are_realistic(demo: Istv) -> None:
    ed = demo.ed
    arrival = pd.to_datetime(ed["Arrival date time"], format=FMT)
    given = ed["Assault date time"] != ""
    assault = pd.to_datetime(ed.loc[given, "Assault date time"], format=FMT)
    assert arrival.min() >= pd.Timestamp("2023-01-01") and arrival.max() < pd.Timestamp(
        "2025-01-01"
    )
    assert 1500 <= len(ed) / 2 <= 3000  # a borough ED: 1,500-3,000 assault attendances a year
    wait = (arrival[given] - assault).dt.total_seconds() / 60.0
    assert wait.between(5, 720).all() and 20 <= wait.median() <= 120
    assert 0.10 <= 1 - given.mean() <= 0.20  # assault time unknown for about 15 %
    ages = ed["Age band"].value_counts(normalize=True)
    assert ages["18-24"] + ages["25+"] > 0.8 and ages["18-24"] > 0.3
    assert ed["Sex"].value_counts(normalize=True)["male"] > 0.65
    assert set(ed["ED site code"]) == set(ED_SITES)
    assert set(ed["Primary means of assault"]) <= {
        "knife", "sharp object", "bottle/glass", "body part", "punch/kick", "blunt object",
        "firearm", "other", "",
    }  # fmt: skip
    # no location type but "home" says home: only the text puts a record in a home
    assert set(ed["Location type"]) <= {
        "street", "shop", "pub/bar/club", "park", "transport", "school", "other", "home", "",
    }  # fmt: skip


def test_free_text_has_realistic_variety(demo: Istv) -> None:
    text = demo.ed["Assault location"]
    low = text.str.lower()
    assert text.str.contains(r"\b(?:Rd|St|Ave|Ln)\b").sum() >= 20  # abbreviations
    assert text.str.fullmatch(POSTCODE).sum() >= 50  # a postcode alone
    assert text.str.fullmatch(r"[a-z]{2}\d[a-z0-9]? ?\d[a-z]{2}").sum() >= 10  # lower case
    assert (demo.ed["Assault postcode"] != "").sum() >= 100  # the postcode column
    assert (demo.ed["Latitude"] != "").sum() >= 30  # coordinates now and then
    for phrase in ("at home", "friend's flat", "his address", "unknown", "not stated", "n/k"):
        assert (low == phrase).any(), phrase
    assert (low == "town centre").any()
    assert low.str.contains(r"church r(?:oa)?d|station r(?:oa)?d").sum() >= 5  # ambiguous
    venues = demo.gazetteer.loc[demo.gazetteer["LOCAL_TYPE"] != "Named Road", "NAME1"]
    roads = demo.gazetteer.loc[demo.gazetteer["LOCAL_TYPE"] == "Named Road", "NAME1"]
    assert text.str.contains(r"^(?:outside )?[^,]+, [^,]+$").sum() >= 20
    assert text.str.startswith("outside ").sum() >= 20
    # slips: a word that is a gazetteer word with two letters swapped
    words = {w for n in pd.concat([venues, roads]) for w in n.lower().split() if len(w) >= 6}
    swapped = {w[:2] + w[3] + w[2] + w[4:] for w in words} - words
    written = low.str.findall(r"[a-z']+").explode().dropna()
    assert written.isin(swapped).sum() >= 10


def test_truth_counts_match_the_truth_file(demo: Istv, null_demo: Istv) -> None:
    for d in (demo, null_demo):
        exp = d.expected["expected"]
        counts = d.truth["istv"]
        assert counts["records"] == len(d.ed) == d.truth["counts"]["ed_assaults"]
        assert counts["home"] == (exp == HOME).sum()
        assert counts["unlocatable"] == (exp == UNLOCATABLE).sum()
        assert counts["locatable"] == len(exp) - counts["home"] - counts["unlocatable"]
        cells = exp[~exp.isin([HOME, UNLOCATABLE])]
        assert cells.map(hexes.is_valid_cell).all()
        assert (hexes.cell_resolution(hexes.str_to_cells(cells.tolist())) == 10).all()
        assert 0.5 <= counts["locatable"] / len(exp) <= 0.8
        assert 0.1 <= counts["home"] / len(exp) <= 0.3
        assert 0.05 <= counts["unlocatable"] / len(exp) <= 0.2
    assert demo.truth["counts"]["postcodes"] == len(demo.postcodes)
    assert demo.truth["counts"]["gazetteer_names"] == len(demo.gazetteer)


# ----------------------------------------------------------------------------- the plant
def test_the_strip_is_a_new_place(demo: Istv) -> None:
    t = demo.truth
    strip = t["health_only_place"]["cell"]
    assert hexes.is_valid_cell(strip) and hexes.cell_resolution(hexes.str_to_cells([strip]))[0] == 9
    assert "Club Halcyon" in t["health_only_place"]["name"]
    planted = [h["cell"] for h in t["recurring_hotspots"]]
    planted += [
        t["school_journey_hotspot"]["cell"],
        t["missing_found_hotspot"]["cell"],
        t["youth_work_gap"]["cell"],
        t["childrens_home"]["cell"],
    ]
    assert strip not in planted
    lat, lng = hexes.cell_centres(hexes.str_to_cells([strip, *planted]))
    x, y = to_bng(lng, lat)
    assert np.hypot(x[1:] - x[0], y[1:] - y[0]).min() >= 1000.0
    # its road and venues, each at its own res-10 cell of the strip
    g = demo.gazetteer
    names = ["Foundry Lane", "Club Halcyon", "Velvet Rooms Cocktail Bar", "Neon Social Bar"]
    at = g.loc[g["NAME1"].isin(names), ["GEOMETRY_X", "GEOMETRY_Y"]].astype(float).to_numpy()
    lng, lat = from_bng(at[:, 0], at[:, 1])
    assert set(_parent_str(lat, lng, 9)) == {strip}
    assert len(set(_parent_str(lat, lng, 10))) == len(names)


def test_the_strip_is_busy_on_friday_and_saturday_nights(demo: Istv, null_demo: Istv) -> None:
    strip = demo.truth["health_only_place"]["cell"]

    def at_strip(d: Istv) -> pd.DataFrame:
        exp = d.expected["expected"]
        cells = exp[~exp.isin([HOME, UNLOCATABLE])]
        parent = hexes.cells_to_str(hexes.cells_to_parent(hexes.str_to_cells(cells.tolist()), 9))
        return d.ed.loc[cells.index[parent == strip]]

    planted = demo.truth["istv"]["planted"]
    assert 120 <= planted <= 200 and null_demo.truth["istv"]["planted"] == 0
    here, there = at_strip(demo), at_strip(null_demo)
    assert len(here) - len(there) >= 0.85 * planted and len(there) < 30
    when = here["Assault date time"].where(
        here["Assault date time"] != "", here["Arrival date time"]
    )
    t = pd.to_datetime(when, format=FMT)
    night = ((t.dt.day_of_week.isin([4, 5])) & (t.dt.hour >= 22)) | (
        (t.dt.day_of_week.isin([5, 6])) & (t.dt.hour < 4)
    )
    assert night.mean() >= 0.75
    means = here["Primary means of assault"].value_counts(normalize=True)
    assert (
        means.get("bottle/glass", 0) + means.get("body part", 0) + means.get("punch/kick", 0)
        >= 0.75
    )
    assert means.get("bottle/glass", 0) >= 0.3


def test_null_plants_no_strip_and_keeps_the_places(demo: Istv, null_demo: Istv) -> None:
    assert null_demo.truth["health_only_place"] is None
    for name in ("gazetteer.csv", "postcodes.csv"):
        assert (demo.out / name).read_bytes() == (null_demo.out / name).read_bytes()


def test_conditional_binomial_flags_the_strip_alone(demo: Istv, null_demo: Istv) -> None:
    """ED versus police-recorded violence per res-9 cell: the strip is the top excess
    place by far; the background alone (and the null demo) has no significant one."""
    strip = demo.truth["health_only_place"]["cell"]
    table = _excess(demo)
    assert table.index[0] == strip
    top = table.iloc[0]
    assert top["police"] <= 20 and top["ed"] >= 5 * top["police"]
    logp = -np.log10(table["p"].clip(lower=1e-300))
    assert logp.iloc[0] >= 30 and logp.iloc[1] < 4
    bonferroni = 0.05 / len(table)
    assert (table["p"].iloc[1:] >= bonferroni).all()
    null = _excess(null_demo)
    assert (null["p"] >= 0.05 / len(null)).all()


# ------------------------------------------------------------------------ the geocoder
def test_the_geocoder_finds_the_truth(demo: Istv, null_demo: Istv) -> None:
    for d in (demo, null_demo):
        exp = d.expected["expected"].to_numpy(dtype=object)
        locatable = ~np.isin(exp, (HOME, UNLOCATABLE))
        got = d.placed_cells(10)
        assert (got[locatable] == exp[locatable]).mean() >= 0.9
        assert not d.located[exp == UNLOCATABLE].any()
        home = exp == HOME
        assert not d.located[home].any() and d.placed["private_home"].to_numpy()[home].all()
        assert not d.placed["private_home"].to_numpy()[~home].any()


def test_the_built_demo_store_places_the_truth(tmp_path: Path) -> None:
    kinds = [k for k, _ in DEMO_FILES]
    assert kinds[-1] == "istv" and {"postcodes", "gazetteer"} <= set(kinds)
    assert kinds.index("postcodes") > kinds.index("health_sites")
    built = build_demo(tmp_path / "demo", seed=0)
    truth = _read(tmp_path / "demo" / "istv_truth.csv")
    with Store(built.config.store_path, read_only=True) as store:
        rows = store.query(
            "SELECT attendance_id, cell_10, private_home FROM ed_assaults ORDER BY attendance_id"
        )
        assert store.scalar("SELECT count(*) FROM postcodes") == built.truth["counts"]["postcodes"]
    merged = truth.merge(rows, left_on="Attendance ID", right_on="attendance_id", how="left")
    assert len(rows) == len(truth) == built.truth["istv"]["records"]
    exp = merged["expected"].to_numpy(dtype=object)
    placed = merged["cell_10"].notna().to_numpy()
    got = np.full(len(merged), "", dtype=object)
    got[placed] = hexes.cells_to_str(merged.loc[placed, "cell_10"].to_numpy(dtype=np.uint64))
    locatable = ~np.isin(exp, (HOME, UNLOCATABLE))
    assert (got[locatable] == exp[locatable]).mean() >= 0.9
    assert not placed[exp == UNLOCATABLE].any()
    home = exp == HOME
    assert not placed[home].any() and merged["private_home"].to_numpy(dtype=bool)[home].all()
