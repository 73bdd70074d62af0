"""Hostile partner text never runs in the browser.

Schools are ingested from a GIAS file whose names are script payloads; the Overview
map is built exactly as the page builds it and rendered to HTML. folium pastes tooltip
text into JavaScript template literals, so ``${...}`` and backticks matter as much as
``<script>``.
"""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path

import folium
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.core.area import load_study_area, to_bng
from geo.core.config import Config, load_config
from geo.core.escape import escape_text
from geo.core.filters import Filters
from geo.disclosure.counts import disclosed_counts
from geo.ingest.pipeline import ingest_bytes
from geo.render import layers
from geo.render.hexlayer import ALLOWED_PROPERTIES
from geo.render.maps import build_map
from geo.store import queries as overview
from geo.store.database import Store

REPO = Path(__file__).resolve().parents[3]
BOUNDARY = REPO / "data" / "demo" / "boundary.geojson"
TEMPLATES = REPO / "data" / "templates"
NOW = pd.Timestamp("2025-01-01")

PAYLOADS = (
    "${document.title='x'}",
    "`);alert(1);//",
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    'Tom\'s "Academy" \\ ${`x`}',
)
#: Fragments that must never appear in the rendered page (each is how a payload runs).
FORBIDDEN = (
    "${document",
    "`);alert(1)",
    "<img src=x",
    "</script><script>alert",
    "${`x`}",
)
GIAS_HEADER = (
    "URN",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "PhaseOfEducation (name)",
    "EstablishmentStatus (name)",
    "LA (code)",
    "Easting",
    "Northing",
)
# places inside the demo borough (lat, lng)
PLACES = ((51.5388, 0.0242), (51.5300, 0.0500), (51.5450, 0.0600), (51.5350, 0.0300))
Q1 = Filters("2024-01", "2024-03")


def _schools_csv() -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(GIAS_HEADER)
    for i, name in enumerate(PAYLOADS):
        lat, lng = PLACES[i % len(PLACES)]
        x, y = to_bng([lng + 0.001 * i], [lat])
        kind = "Pupil referral unit" if i % 2 else "Academy converter"
        writer.writerow(
            [900100 + i, name, kind, "Secondary", "Open", "316", f"{x[0]:.0f}", f"{y[0]:.0f}"]
        )
    return buf.getvalue().encode("utf-8")


def _incidents_csv() -> bytes:
    with (TEMPLATES / "incidents.csv").open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    n = 0
    for p, (lat, lng) in enumerate(PLACES):
        for _ in range(3 + 4 * p):  # 3, 7, 11, 15 incidents: some withheld, some shown
            n += 1
            writer.writerow(
                [
                    f"INC-{n}",
                    "10/02/2024 18:00",
                    "robbery",
                    lat,
                    lng,
                    "14-17",
                    "male",
                    "white",
                    "",
                    "street",
                ]
            )
    return buf.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    tmp = tmp_path_factory.mktemp("xss")
    (tmp / "placesafe.toml").write_text(
        '[store]\npath = "store.duckdb"\n'
        f'[study_area]\nboundary = "{BOUNDARY.as_posix()}"\nbuffer_m = 250\n'
        "[disclosure]\nmin_count = 6\n[app]\ndemo = true\n",
        encoding="utf-8",
    )
    return load_config(tmp / "placesafe.toml")


@pytest.fixture(scope="module")
def store(config: Config):
    area = load_study_area(config.study_area)
    with Store(config.store_path) as s:
        for kind, data, name in (
            ("schools", _schools_csv(), "edubasealldata.csv"),
            ("incidents", _incidents_csv(), "incidents.csv"),
        ):
            report = ingest_bytes(s, config, area, kind, data, name, who="test", now=NOW)
            assert report.status == "live" and report.rejected == 0, report.summary()
        yield s


def _overview_map(
    store: Store, config: Config, role: str, res: int, benign: bool = False
) -> folium.Map:
    """The Overview map as pages/overview.py builds it (ui.cache.overview_map_layers); with
    ``benign``, the same map with every school renamed ``School n``."""
    area = load_study_area(config.study_area)
    incidents = disclosed_counts(store, "incidents", role, res, Q1, config)
    missing = disclosed_counts(store, "missing", role, res, Q1, config)
    hex_layers = tuple(  # named after places, as ui.cache.overview_map_layers does
        layers.named_layer(x, store)
        for x in (
            layers.incident_layer_from(incidents, res, config),
            layers.missing_layer_from(missing, res, config),
            layers.youth_work_layer(overview.youth_work_cells(store, res, Q1)),
        )
    )
    markers = layers.school_markers(overview.schools(store))
    if benign:
        markers = tuple((a, b, f"School {i}", p) for i, (a, b, _, p) in enumerate(markers))
    return build_map(area.centre, area.bounds, area.boundary, hex_layers, markers, tiles="none")


def _escaped_forms(name: str) -> set[str]:
    """How an escaped name may appear in the page: as HTML text, or inside a JSON string
    (folium writes GeoJSON with ``&`` as ``\\u0026``)."""
    escaped = escape_text(name)
    return {escaped, json.dumps(escaped)[1:-1], escaped.replace("&", "\\u0026")}


def test_hostile_school_names_were_stored_verbatim(store: Store) -> None:
    names = set(overview.schools(store)["name"])
    assert names == set(PAYLOADS)


@pytest.mark.parametrize(("role", "res"), [("partnership", 8), ("analyst", 10)])
def test_rendered_overview_map_runs_no_partner_text(
    store: Store, config: Config, role: str, res: int
) -> None:
    page = _overview_map(store, config, role, res).get_root().render()
    for fragment in FORBIDDEN:
        assert fragment not in page, fragment
    # the names are there (not dropped), escaped for HTML and JS template literals alike
    for name in PAYLOADS:
        assert any(form in page for form in _escaped_forms(name)), name
    # the data add no backtick, no ${, no tag and no quote that could end a JS string:
    # the page has exactly as many as the same map with plain school names
    benign = _overview_map(store, config, role, res, benign=True).get_root().render()
    # (backslashes are not compared: JSON writes escaped "&" as \\u0026)
    for token in ("`", "${", "<script", "</script", "<img", '"', "'"):
        assert page.count(token) == benign.count(token), token


@pytest.mark.parametrize(("role", "res"), [("partnership", 7), ("partnership", 8), ("analyst", 9)])
def test_every_geojson_feature_carries_allowed_properties_only(
    store: Store, config: Config, role: str, res: int
) -> None:
    m = _overview_map(store, config, role, res)
    geojsons = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    hex_features = 0
    for layer in geojsons:
        data = layer.data
        for feature in data.get("features", []):
            props = feature.get("properties") or {}
            if layer.layer_name == "Study area":
                continue
            hex_features += 1
            assert set(props) <= ALLOWED_PROPERTIES, set(props) - ALLOWED_PROPERTIES
            for name in PAYLOADS:
                assert name not in str(props)
            if role == "partnership" and props.get("value") is not None:
                assert not 1 <= props["value"] <= 5
    assert hex_features > 0


# --- escape_text ----------------------------------------------------------------------

DANGEROUS = ("<", ">", "`", "$", "{", "}", "\\", '"', "'")


@settings(max_examples=500, deadline=None, database=None, print_blob=True)
@given(st.text())
def test_escape_text_property(text: str) -> None:
    out = escape_text(text)
    for ch in DANGEROUS:
        assert ch not in out
    assert html.unescape(out) == text


@settings(max_examples=300, deadline=None, database=None, print_blob=True)
@given(
    st.lists(
        st.sampled_from(["${", "`", "<", ">", "&", "&amp;", "&#96;", "\\", "}", "'", '"', "a"])
        | st.text(max_size=3),
        max_size=12,
    ).map("".join)
)
def test_escape_text_property_on_hostile_fragments(text: str) -> None:
    out = escape_text(text)
    for ch in DANGEROUS:
        assert ch not in out
    assert html.unescape(out) == text


def _street_csv() -> bytes:
    """police.uk street crime whose map-point names are the payloads."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                     "Location", "LSOA code", "LSOA name", "Crime type",
                     "Last outcome category", "Context"])  # fmt: skip
    for i, name in enumerate(PAYLOADS):
        lat, lng = PLACES[i % len(PLACES)]
        writer.writerow([f"{i:064x}", "2024-02", "", "", lng + 0.002 * i, lat, name, "", "",
                         "Robbery", "", ""])  # fmt: skip
    return buf.getvalue().encode("utf-8")


def test_place_names_from_hostile_map_points_never_run(
    store: Store, config: Config, tmp_path: Path
) -> None:
    """Place names come from police.uk's Location text: a hostile file's names reach map
    labels (the ranking layer) only escaped."""
    from geo.store.place_names import place_names

    area = load_study_area(config.study_area)
    report = ingest_bytes(store, config, area, "police_street", _street_csv(), "street.csv",
                          who="test", now=NOW)  # fmt: skip
    assert report.status == "live", report.summary()
    cells = store.query("SELECT DISTINCT cell_9 AS c FROM incidents WHERE location_name IS "
                        "NOT NULL")["c"].astype("uint64").to_numpy()  # fmt: skip
    names = place_names(store, cells, 9)
    assert any("<img" in n or "${" in n for n in names), "the payloads became names"
    ranking = pd.DataFrame(
        {
            "rank": range(1, len(cells) + 1),
            "place": names.to_numpy(),
            "cell": [f"{int(c):x}" for c in cells],
            "score": 1.0,
            "category": "New Hot Spot",
            "reasons": "Hot in 1 of the last 1 months.",
        }
    )
    layer = layers.ranking_layer_from(ranking, 10)
    html_text = build_map(area.centre, area.bounds, area.boundary, [layer], tiles="none")
    rendered = html_text.get_root().render()
    for fragment in FORBIDDEN:
        assert fragment not in rendered, fragment


def test_place_names_in_map_tooltips_are_escaped(store: Store, config: Config) -> None:
    """Cells named after a hostile school carry the name escaped, never raw."""
    incidents = disclosed_counts(store, "incidents", "analyst", 10, Q1, config)
    named = layers.named_layer(layers.incident_layer_from(incidents, 10, config), store)
    labels = [f["properties"]["label"] for f in named.geojson["features"]]
    escaped = {escape_text(n) for n in PAYLOADS}
    assert any(any(e in label for e in escaped) for label in labels)
    for label in labels:
        assert not any(raw in label for raw in PAYLOADS if raw != escape_text(raw))
