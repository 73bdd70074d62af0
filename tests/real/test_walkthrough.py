"""The README's "Your own borough in 15 minutes", followed word for word on real data.

Two boroughs are set up from the README alone: Havering (street crime, stop and search,
schools, LSOA and ward boundaries, IMD, population, census) and the City of London (twelve
months of street crime and nothing else). The commands are read from the README's
``walkthrough`` block and run as written; only the files in ``myborough/downloads/`` differ,
as they would for a reader in another borough. The app is then opened on every page for the
analyst and the partnership with AppTest.

Expected figures come from the published files (pandas, geopandas in EPSG:27700 and h3),
never from the code under test.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
ENTRY = REPO / "tests" / "app" / "app_entry.py"
PAGES = REPO / "pages"
BOUNDARY_NAME = "Local_Authority_Districts_December_2022_UK_BGC.geojson"
README_CODE = 'code = "E09000016"'
#: Columns the shared-data curator added to the two school extracts; a file downloaded from
#: GIAS or the directory does not have them, so the walkthrough's copies leave them out.
CURATOR_COLUMNS = (
    "edubase_input_row",
    "source",
    "geocode_lad22nm",
    "geocode_matches_la",
    "inside_havering_lad22",
)
CELL_ID = re.compile(r"\b8[0-9a-f]{14}\b")
NOT_ENOUGH = re.compile(r"not enough|no timed|no data|cannot", re.IGNORECASE)


@dataclass
class Borough:
    """One borough set up by the walkthrough."""

    name: str
    code: str
    root: Path
    downloads: dict[str, list[Path]]
    runs: list[tuple[str, subprocess.CompletedProcess[str]]] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "myborough" / "placesafe.toml"

    def env(self) -> dict[str, str]:
        path = f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        py = str(Path(sys.executable).parent)
        return {
            **os.environ,
            "PATH": f"{py}{os.pathsep}{path}",
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
        }

    def geo(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "geo", "--config", str(self.config), *args]
        return subprocess.run(
            cmd, cwd=self.root, env=self.env(), capture_output=True, text=True, timeout=600
        )


def walkthrough_block() -> str:
    """The fenced bash block between the README's walkthrough markers."""
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S
    )
    assert match, "README has no walkthrough block"
    return match.group(1)


def walkthrough_steps(block: str) -> list[str]:
    """Shell steps of the block; a heredoc stays one step with its body."""
    steps: list[str] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        heredoc = re.search(r"<<'?(\w+)'?", line)
        if heredoc:
            body = [line]
            while i < len(lines) and lines[i].strip() != heredoc.group(1):
                body.append(lines[i])
                i += 1
            body.append(lines[i])
            i += 1
            steps.append("\n".join(body))
        else:
            steps.append(line)
    return steps


def files_for(shared: Path, name: str) -> dict[str, list[Path]]:
    """What a reader in ``name`` would have downloaded, by walkthrough folder."""
    boroughs = shared / "boundaries" / "london_boroughs_lad22_gen20.geojson"
    if name == "City of London":
        return {
            "boundary": [boroughs],
            "street": sorted((shared / "police" / "city_of_london_street_2023").glob("*.csv")),
        }
    return {
        "boundary": [boroughs],
        "street": [shared / "police" / "havering_2024-04-metropolitan-street_syv_subset.csv"],
        "stop_search": [shared / "police" / "havering_2016-06-metropolitan-stop-and-search.csv"],
        "schools": [
            shared / "schools" / "havering_schools_londonschooldirectory.csv",
            shared / "schools" / "edubase_2017-07_havering_unmatched_subset.csv",
        ],
        "areas": [
            shared / "boundaries" / "havering_lsoa11_gen20.geojson",
            shared / "boundaries" / "havering_lsoa21_gen20.geojson",
            shared / "boundaries" / "havering_census_merged_wards_2011.geojson",
        ],
        "area_stats": [
            shared / "deprivation" / "imd2019_domains_havering_lsoa11.csv",
            shared / "population" / "ons_mid2020_population_single_year_age_havering_lsoa11.csv",
            shared / "population" / "census2021_ethnic_group_havering_lsoa21.csv",
        ],
    }


def place_downloads(root: Path, downloads: dict[str, list[Path]]) -> None:
    target = root / "myborough" / "downloads"
    for folder, files in downloads.items():
        (target / folder).mkdir(parents=True, exist_ok=True)
        for f in files:
            dest = target / folder / (BOUNDARY_NAME if folder == "boundary" else f.name)
            if folder == "schools":
                frame = pd.read_csv(f, dtype=str, keep_default_na=False)
                frame.drop(columns=[c for c in CURATOR_COLUMNS if c in frame]).to_csv(
                    dest, index=False
                )
            else:
                shutil.copyfile(f, dest)


def run_walkthrough(b: Borough) -> None:
    (b.root / "myborough" / "downloads").mkdir(parents=True, exist_ok=True)
    for step in walkthrough_steps(walkthrough_block()):
        if "streamlit run" in step:
            continue  # the app is opened with AppTest below
        step = step.replace(README_CODE, f'code = "{b.code}"')
        words = shlex.split(step.splitlines()[0])
        patterns = [w for w in words if "*" in w]
        if patterns and not any(glob.glob(str(b.root / p)) for p in patterns):
            continue  # the README: skip a feed you have not downloaded
        if step.startswith("mkdir"):
            proc = subprocess.run(
                ["bash", "-c", step], cwd=b.root, env=b.env(), capture_output=True, text=True
            )
            place_downloads(b.root, b.downloads)
        else:
            proc = subprocess.run(
                ["bash", "-c", step],
                cwd=b.root,
                env=b.env(),
                capture_output=True,
                text=True,
                timeout=900,
            )
        b.runs.append((step, proc))


@pytest.fixture(scope="module", params=["Havering", "City of London"])
def borough(
    request: pytest.FixtureRequest, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Borough]:
    name = str(request.param)
    code = {"Havering": "E09000016", "City of London": "E09000001"}[name]
    root = tmp_path_factory.mktemp(name.replace(" ", "_").lower())
    b = Borough(name=name, code=code, root=root, downloads=files_for(shared_data, name))
    run_walkthrough(b)
    yield b


def _analysis(step: str) -> str | None:
    for word in ("recurring", "hotspots", "knox", "briefing"):
        if f" {word}" in step:
            return word
    return None


# --- the commands --------------------------------------------------------------------------


def test_every_walkthrough_command_succeeds_or_says_why(borough: Borough) -> None:
    ran = [step.splitlines()[0] for step, _ in borough.runs]
    assert any("--kind police_street" in s for s in ran)
    for step, proc in borough.runs:
        out = proc.stdout + proc.stderr
        assert "Traceback" not in out, (step, out[-3000:])
        if _analysis(step) is None or proc.returncode == 0:
            assert proc.returncode == 0, (step, out[-3000:])
        else:  # an analysis may decline, but must say why in one clear message
            assert NOT_ENOUGH.search(out), (step, out[-3000:])
        if " ingest " in step:
            assert "refused" not in out.lower(), (step, out)


@pytest.mark.parametrize("command", ["recurring", "hotspots", "knox", "briefing"])
def test_json_is_always_json(borough: Borough, command: str) -> None:
    extra = {
        "recurring": ["--res", "8"],
        "hotspots": ["--res", "8"],
        "knox": [],
        "briefing": ["--period", "latest", "--out", str(borough.root / "p.pdf")],
    }[command]
    proc = borough.geo(command, *extra, "--json")
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    if proc.returncode != 0:
        assert isinstance(payload, dict) and NOT_ENOUGH.search(json.dumps(payload)), payload


def test_text_and_json_agree_on_recurring(borough: Borough) -> None:
    text = borough.geo("recurring", "--res", "8", "--top", "5")
    js = borough.geo("recurring", "--res", "8", "--top", "5", "--json")
    if js.returncode != 0:
        assert text.returncode == js.returncode
        return
    rows = json.loads(js.stdout)
    places = rows["places"] if isinstance(rows, dict) else rows
    assert places, "the ranking is empty"
    for place in places:
        name = str(place.get("name") or place.get("place") or "")
        assert name and not CELL_ID.fullmatch(name), place
        assert name in text.stdout


# --- what the store holds ------------------------------------------------------------------


def _street_rows(b: Borough) -> pd.DataFrame:
    from geo.core.area import load_study_area
    from geo.core.config import load_config

    frames = [pd.read_csv(f, dtype=str, keep_default_na=False) for f in b.downloads["street"]]
    raw = pd.concat(frames, ignore_index=True)
    raw = raw[(raw["Longitude"] != "") & (raw["Latitude"] != "")].copy()
    lat = raw["Latitude"].astype(float).to_numpy()
    lng = raw["Longitude"].astype(float).to_numpy()
    import geopandas as gpd

    area = load_study_area(load_config(b.config).study_area)
    assert area is not None
    boroughs = gpd.read_file(b.downloads["boundary"][0])
    poly = boroughs.loc[boroughs["LAD22CD"] == b.code].to_crs(27700).union_all().buffer(250)
    pts = gpd.GeoSeries(gpd.points_from_xy(lng, lat), crs=4326).to_crs(27700)
    raw["inside"] = np.asarray(pts.within(poly))
    raw["lat"], raw["lng"] = lat, lng
    return raw[raw["inside"]]


def test_category_counts_equal_the_published_mapping(borough: Borough) -> None:
    """Each canonical category holds exactly the CSV's rows of the crime types mapped to it."""
    from geo.core import schema
    from geo.core.config import load_config
    from geo.store.database import Store

    rows = _street_rows(borough)
    # A Crime ID repeated within a month's file is one crime (README); ASB has none.
    with_id = rows[rows["Crime ID"] != ""].drop_duplicates("Crime ID")
    rows = pd.concat([with_id, rows[rows["Crime ID"] == ""]])
    expected = rows["Crime type"].map(schema.POLICE_UK_CRIME_TYPES).value_counts().to_dict()
    config = load_config(borough.config)
    with Store(config.store_path, audit=config.audit_settings()) as store:
        got = store.query(
            "SELECT category, count(*) AS n FROM incidents WHERE source LIKE 'police_uk%' "
            "GROUP BY 1"
        )
        # the published definition: SYV only from a partner's extract (schema.syv_sql)
        syv = store.scalar(
            f"SELECT count(*) FROM incidents WHERE source LIKE 'police_uk%' AND {schema.syv_sql()}"
        )
        vso = store.scalar(
            "SELECT count(*) FROM incidents WHERE category = 'violence_and_sexual_offences'"
        )
    assert dict(zip(got["category"], got["n"].astype(int), strict=True)) == expected
    assert syv == 0, "police.uk records are never serious youth violence"
    assert vso == (rows["Crime type"] == "Violence and sexual offences").sum()
    assert "violence_and_sexual_offences" not in schema.SYV_CATEGORIES


def test_every_accepted_record_lies_on_the_analysis_grid(borough: Borough) -> None:
    from geo.core.area import load_study_area
    from geo.core.config import load_config
    from geo.store.database import Store

    config = load_config(borough.config)
    area = load_study_area(config.study_area)
    with Store(config.store_path, audit=config.audit_settings()) as store:
        for res in (7, 8, 9, 10):
            cells = store.query(f"SELECT DISTINCT cell_{res} AS c FROM incidents")["c"]
            cells = np.asarray(cells, dtype=np.uint64)
            grid = np.asarray(area.grid(res), dtype=np.uint64)
            off = np.setdiff1d(cells, grid)
            assert off.size == 0, f"res {res}: {off.size} cells off the grid"


# --- the app ---------------------------------------------------------------------------------

#: Metric labels and the feed each needs; when that feed is not loaded no number may show.
FEED_METRICS = {
    "missing": ("Missing episodes", "Children missing"),
    "youth_sessions": ("Youth-work hours",),
    "knife": ("Knife crime",),
}
PAGE_FILES = (
    "overview.py",
    "hotspots.py",
    "recurring.py",
    "youth_work.py",
    "disproportionality.py",
    "profile.py",
    "missing.py",
    "schools.py",
    "briefing.py",
)


@pytest.fixture(scope="module")
def app_pages(borough: Borough) -> dict[tuple[str, str], object]:
    """Every page for the analyst and the partnership, opened once (AppTest objects' text)."""
    from streamlit.testing.v1 import AppTest

    seen: dict[tuple[str, str], object] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        mp.setenv("PLACESAFE_CONFIG", str(borough.config))
        for role in ("analyst", "partnership"):
            at = AppTest.from_file(str(ENTRY), default_timeout=120)
            at.run()
            # a real store asks why police data are viewed, once per session
            assert [t.value for t in at.title] == ["Before you view police data"]
            at.radio(key="purpose_choice").set_value(at.radio(key="purpose_choice").options[0])
            at.button[0].click().run()
            assert "_purpose" in at.session_state
            if role == "partnership":
                at.radio(key="view_as").set_value("partnership").run()
            for page in PAGE_FILES:
                at.switch_page(str(PAGES / page)).run()
                seen[(role, page)] = {
                    "exception": [str(e.value) for e in at.exception],
                    "error": [str(e.value) for e in at.error],
                    "metrics": [(str(m.label), str(m.value)) for m in at.metric],
                    "frames": [e.value for e in at.dataframe],
                    "text": "\n".join(
                        str(e.value)
                        for kind in (at.markdown, at.caption, at.info, at.warning, at.title)
                        for e in kind
                    ),
                }
    return seen


def test_every_page_opens_for_both_roles(app_pages: dict) -> None:
    for (role, page), shown in app_pages.items():
        assert not shown["exception"], (role, page, shown["exception"])
        assert not shown["error"], (role, page, shown["error"])
        assert "Traceback" not in shown["text"], (role, page)


def test_no_figure_for_a_feed_that_is_not_loaded(borough: Borough, app_pages: dict) -> None:
    unloaded = {"knife"}  # no public feed carries a weapon flag
    if "missing" not in borough.downloads:
        unloaded.add("missing")
    if "youth_sessions" not in borough.downloads:
        unloaded.add("youth_sessions")
    labels = [lab for feed in unloaded for lab in FEED_METRICS[feed]]
    for (role, page), shown in app_pages.items():
        for label, value in shown["metrics"]:
            if any(label.startswith(lab) for lab in labels):
                assert not re.search(r"\d", value), (role, page, label, value)


def test_every_place_shown_has_a_name(app_pages: dict) -> None:
    for (role, page), shown in app_pages.items():
        for frame in shown["frames"]:
            if frame is None or frame.empty:
                continue
            first = frame.reset_index().iloc[:, :2].astype(str)
            for col in first.columns:
                ids = first[col].str.fullmatch(CELL_ID.pattern)
                assert not ids.any(), (role, page, col, first[col][ids].head().tolist())


def test_no_school_is_listed_twice(borough: Borough, app_pages: dict) -> None:
    """Both school files name the same schools; each school appears once (URN, then name)."""
    if "schools" not in borough.downloads:
        return
    checked = 0
    for (role, page), shown in app_pages.items():
        if page != "schools.py":
            continue
        for frame in shown["frames"]:
            if frame is None or frame.empty:
                continue
            cols = [c for c in frame.columns if str(c).lower() in ("school", "school name", "name")]
            if not cols:
                continue
            names = frame[cols[0]].astype(str).str.casefold().str.strip()
            dup = names[names.duplicated()]
            assert dup.empty, (role, cols[0], dup.head().tolist())
            checked += 1
    assert checked, "the Schools page shows no table of schools"


def test_rates_per_resident_only_where_the_population_covers_the_area(
    borough: Borough, app_pages: dict
) -> None:
    """Havering's mid-2020 population covers the borough: one row per LSOA 2011, with
    IMD; the City loaded no population, so the Overview says so and shows no rate."""
    analyst = app_pages[("analyst", "overview.py")]
    partnership = app_pages[("partnership", "overview.py")]
    tables = [f for f in analyst["frames"] if "Violence per 1,000 residents" in f.columns]
    assert not any("Violence per 1,000 residents" in f.columns for f in partnership["frames"]), (
        "LSOA counts are for analysts only"
    )
    if "area_stats" not in borough.downloads:
        assert not tables
        assert "No neighbourhood rates: no population by single year of age" in analyst["text"]
        return
    assert len(tables) == 1 and len(tables[0]) == 150
    assert tables[0]["IMD 2019 decile (1 = most deprived)"].notna().all()
    assert "150 LSOA 2011 areas covering 100% of Havering" in analyst["text"].replace("\\", "")
