"""``python -m geo fetch police-uk`` against a local fake of the data.police.uk API.

The fake serves the City of London's real January 2023 street crimes in the API's
documented format (https://data.police.uk/docs/method/crime-street/: ``category`` slug,
``location.latitude/longitude/street.name``, ``persistent_id``, ``outcome_status``), only
those inside the polygon asked for, answers 503 above a result limit (as the API does above
10,000) and 429 to the first request. No test touches the internet.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.ingest.fetch import CRIME_TYPES, api_polygon, fetch_police_uk, months_between
from geo.ingest.pipeline import ingest_file
from geo.store.database import Store

pytestmark = pytest.mark.shared_data

BOROUGHS = "boundaries/london_boroughs_lad22_gen20.geojson"
JANUARY = "police/city_of_london_street_2023/2023-01-city-of-london-street.csv"
LIMIT = 400  # results per answer before the fake says 503, to force splits
SLUGS = {v: k for k, v in CRIME_TYPES.items()}


def api_crimes(frame: pd.DataFrame) -> list[dict[str, object]]:
    located = frame.loc[(frame["Latitude"] != "") & (frame["Longitude"] != "")]
    return [
        {
            "category": SLUGS[r["Crime type"]],
            "location_type": "Force",
            "location": {
                "latitude": r["Latitude"],
                "longitude": r["Longitude"],
                "street": {"id": 1, "name": r["Location"]},
            },
            "context": r["Context"],
            "outcome_status": {"category": r["Last outcome category"], "date": r["Month"]}
            if r["Last outcome category"]
            else None,
            "persistent_id": r["Crime ID"],
            "id": i,
            "location_subtype": "",
            "month": r["Month"],
        }
        for i, r in enumerate(located.to_dict("records"))
    ]


class FakeApi:
    def __init__(self, crimes: list[dict[str, object]]) -> None:
        self.crimes = crimes
        lat = np.array([float(c["location"]["latitude"]) for c in crimes])  # type: ignore[index]
        lng = np.array([float(c["location"]["longitude"]) for c in crimes])  # type: ignore[index]
        self.lat, self.lng = lat, lng
        self.requests: list[tuple[str, int]] = []
        self.throttled = False

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, object]:
        if not self.throttled:
            self.throttled = True
            return 429, {"error": "rate limited"}
        poly = [tuple(map(float, p.split(","))) for p in form["poly"].split(":")]
        shape = shapely.Polygon([(lng, lat) for lat, lng in poly])
        if path.endswith("stops-street"):
            return 200, []
        if form["date"] != "2023-01":
            return 200, []
        inside = shapely.contains_xy(shape, self.lng, self.lat)
        if inside.sum() > LIMIT:
            return 503, None
        return 200, [c for c, keep in zip(self.crimes, inside, strict=True) if keep]


@pytest.fixture
def fake_api(shared_data: Path) -> Iterator[tuple[str, FakeApi]]:
    frame = pd.read_csv(shared_data / JANUARY, dtype=str, keep_default_na=False)
    api = FakeApi(api_crimes(frame))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            status, body = api.answer(self.path, form)
            api.requests.append((self.path, status))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if body is not None:
                self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", api
    server.shutdown()


def test_months_and_polygon() -> None:
    assert months_between("2023-11:2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    square = shapely.Polygon([(0, 51), (0.1, 51), (0.1, 51.1), (0, 51.1)])
    assert api_polygon(square) == (
        "51.000000,0.000000:51.000000,0.100000:51.100000,0.100000:51.100000,0.000000"
    )
    wiggly = shapely.Point(0, 51).buffer(0.01, quad_segs=200)
    assert len(api_polygon(wiggly, 50).split(":")) <= 50


def test_fetch_writes_files_ingest_accepts_and_resumes(
    shared_data: Path, tmp_path: Path, fake_api: tuple[str, FakeApi]
) -> None:
    url, api = fake_api
    toml = tmp_path / "placesafe.toml"
    toml.write_text(
        f'[store]\npath = "store.duckdb"\n\n[study_area]\nboundary = "{shared_data / BOROUGHS}"'
        '\ncode = "E09000001"\nbuffer_m = 250\n',
        encoding="utf-8",
    )
    config = load_config(toml)
    area = load_study_area(config.study_area)
    waits: list[float] = []
    lines: list[str] = []
    out = tmp_path / "downloads"
    report = fetch_police_uk(
        area,
        ["2023-01", "2023-02"],
        out,
        base_url=url,
        per_second=1000,
        progress=lines.append,
        sleep=waits.append,
    )
    assert (429 in [s for _, s in api.requests]) and waits, "retried after 429, with a wait"
    assert report.splits >= 1 and 503 in [s for _, s in api.requests]
    assert len(report.files) == 4 and len(lines) == 4
    street = out / "2023-01" / "2023-01-api-street.csv"
    fetched = pd.read_csv(street, dtype=str, keep_default_na=False)
    assert fetched["Crime ID"].is_unique or (fetched["Crime ID"] == "").any()
    assert fetched["Location"].str.startswith("On or near").all()

    with Store(config.store_path) as store:
        from_api = ingest_file(store, config, area, "police_street", street)
    with Store(tmp_path / "reference.duckdb") as store:
        published = ingest_file(store, config, area, "police_street", shared_data / JANUARY)
    assert from_api.status == "live"
    assert abs(from_api.accepted - published.accepted) <= 3, (from_api.accepted, published.accepted)

    before = len(api.requests)
    again = fetch_police_uk(area, ["2023-01", "2023-02"], out, base_url=url, per_second=1000,
                            sleep=waits.append)  # fmt: skip
    assert len(api.requests) == before and again.requests == 0, "resumed from the cache"
    assert again.cached == 4
