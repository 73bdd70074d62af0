"""Public police data for the study area from the data.police.uk API.

``python -m geo fetch police-uk --months 2023-01:2024-12`` asks the API for street-level
crime (``crimes-street/all-crime``) and stop and search (``stops-street``) inside the study
area, month by month, and writes them as the CSV files data.police.uk publishes
(``YYYY-MM/YYYY-MM-api-street.csv``, ``...-stop-and-search.csv``), which ``ingest`` then
reads like any download.

Following https://data.police.uk/docs/: the area is sent as a custom polygon
(``lat,lng:lat,lng:…``, simplified to at most :data:`MAX_VERTICES` points) in a POST body,
so a long boundary fits; a 503 means more than 10,000 results, and the polygon is split in
two and asked again; requests are paced to :data:`REQUESTS_PER_SECOND` (the API allows 15 a
second with bursts) and retried with backoff on 429, 5xx and network errors. Each month's
answer is saved in a cache folder first, so a fetch that stops part way resumes where it
stopped. This is the only module that touches the network; nothing at run time does.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.core.area import StudyArea
from geo.core.errors import FetchError
from geo.ingest.sources.police_uk import STOP_SEARCH_FILE_COLUMNS, STREET_COLUMNS

API: Final[str] = "https://data.police.uk/api"
MAX_VERTICES: Final[int] = 100
REQUESTS_PER_SECOND: Final[float] = 10.0
RETRIES: Final[int] = 5
#: How many times a polygon is halved at most before a month is given up.
MAX_SPLITS: Final[int] = 8

#: API crime category slug -> the "Crime type" of the published CSV files.
CRIME_TYPES: Final[dict[str, str]] = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
    "other-crime": "Other crime",
}
ENDPOINTS: Final[dict[str, str]] = {
    "street": "crimes-street/all-crime",
    "stop-and-search": "stops-street",
}


@dataclass
class FetchReport:
    """What a fetch did: files written, requests made, months read from the cache."""

    files: list[Path] = field(default_factory=list)
    requests: int = 0
    cached: int = 0
    splits: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the command line."""
        rows = ", ".join(f"{n:,} {what}" for what, n in self.rows.items())
        return (
            f"{len(self.files)} files written ({rows}); {self.requests} requests, "
            f"{self.cached} month(s) from the cache, {self.splits} polygon split(s)"
        )


def months_between(spec: str) -> list[str]:
    """``"2023-01:2024-12"`` (or one month) -> the months from the first to the last."""
    first, _, last = spec.partition(":")
    try:
        start, end = (time.strptime(m.strip(), "%Y-%m") for m in (first, last or first))
    except ValueError:
        raise FetchError(f"--months must look like 2023-01:2024-12, not {spec!r}") from None
    months, (y, m) = [], (start.tm_year, start.tm_mon)
    while (y, m) <= (end.tm_year, end.tm_mon):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if not months:
        raise FetchError(f"--months {spec!r}: the first month is after the last")
    return months


def api_polygon(geometry: BaseGeometry, max_vertices: int = MAX_VERTICES) -> str:
    """The API's ``poly`` parameter for an EPSG:4326 (multi)polygon: its simplified
    outline (the hull of a multipolygon), at most ``max_vertices`` points, 6 decimals."""
    shape: Any = geometry if geometry.geom_type == "Polygon" else geometry.convex_hull
    tolerance = 0.0001
    ring = shape.exterior
    while len(ring.coords) > max_vertices:
        ring = shape.simplify(tolerance, preserve_topology=True).exterior
        tolerance *= 2
    coords = list(ring.coords)[:-1]
    return ":".join(f"{lat:.6f},{lng:.6f}" for lng, lat in coords)


def _halves(geometry: BaseGeometry) -> list[BaseGeometry]:
    """The polygon cut in two across its longer side."""
    x0, y0, x1, y1 = geometry.bounds
    if x1 - x0 >= y1 - y0:
        xm = (x0 + x1) / 2
        boxes = (box(x0, y0, xm, y1), box(xm, y0, x1, y1))
    else:
        ym = (y0 + y1) / 2
        boxes = (box(x0, y0, x1, ym), box(x0, ym, x1, y1))
    parts = [shapely.intersection(geometry, b) for b in boxes]
    return [p for p in parts if not p.is_empty and p.area > 0]


class _Client:
    """POSTs to the API with pacing and retries."""

    def __init__(self, base_url: str, per_second: float, sleep: Callable[[float], None]):
        self.base_url = base_url.rstrip("/")
        self.interval = 1.0 / per_second
        self.sleep = sleep
        self.last = 0.0
        self.requests = 0

    def post(self, endpoint: str, form: dict[str, str]) -> tuple[int, Any]:
        """``(status, parsed JSON or None)``; 503 is returned, other failures retried."""
        body = urllib.parse.urlencode(form).encode()
        delay = 1.0
        for attempt in range(RETRIES + 1):
            wait = self.last + self.interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self.last = time.monotonic()
            self.requests += 1
            request = urllib.request.Request(f"{self.base_url}/{endpoint}", data=body)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    return response.status, json.loads(response.read() or b"[]")
            except urllib.error.HTTPError as exc:
                if exc.code == 503:
                    return 503, None
                if exc.code != 429 and exc.code < 500:
                    raise FetchError(f"{endpoint}: HTTP {exc.code}") from None
            except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
                if attempt == RETRIES:
                    raise FetchError(f"{endpoint}: {exc}") from None
            if attempt < RETRIES:
                self.sleep(delay)
                delay *= 2
        raise FetchError(f"{endpoint}: no answer after {RETRIES} retries")


def _month_records(
    client: _Client, endpoint: str, geometry: BaseGeometry, month: str, report: FetchReport
) -> list[dict[str, Any]]:
    pending, records, seen = [(geometry, 0)], [], set()
    while pending:
        shape, depth = pending.pop()
        status, data = client.post(endpoint, {"poly": api_polygon(shape), "date": month})
        if status == 503:
            if depth >= MAX_SPLITS:
                raise FetchError(f"{endpoint} {month}: too many results even after splitting")
            report.splits += 1
            pending += [(half, depth + 1) for half in _halves(shape)]
            continue
        if not isinstance(data, list):
            raise FetchError(f"{endpoint} {month}: the answer is not a list")
        for item in data:  # one per record, to drop those on both sides of a split
            key = json.dumps(item, sort_keys=True) if "id" not in item else item["id"]
            if key not in seen:
                seen.add(key)
                records.append(item)
    return records


def _location(item: dict[str, Any]) -> tuple[str, str, str]:
    loc = item.get("location") or {}
    street = (loc.get("street") or {}).get("name") or ""
    return str(loc.get("latitude") or ""), str(loc.get("longitude") or ""), str(street)


def street_rows(records: Sequence[dict[str, Any]], month: str) -> list[dict[str, str]]:
    """API crimes as rows of the published street-level CSV."""
    rows = []
    for item in records:
        lat, lng, street = _location(item)
        outcome = item.get("outcome_status") or {}
        rows.append(
            {
                "Crime ID": str(item.get("persistent_id") or ""),
                "Month": str(item.get("month") or month),
                "Reported by": "",
                "Falls within": "",
                "Longitude": lng,
                "Latitude": lat,
                "Location": street,
                "LSOA code": "",
                "LSOA name": "",
                "Crime type": CRIME_TYPES.get(str(item.get("category")), "Other crime"),
                "Last outcome category": str(outcome.get("category") or ""),
                "Context": str(item.get("context") or ""),
            }
        )
    return rows


def _yes_no(value: Any) -> str:
    return "" if value is None else ("True" if value else "False")


def stop_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """API stops as rows of the published stop-and-search CSV."""
    rows = []
    for item in records:
        lat, lng, _ = _location(item)
        outcome = item.get("outcome")
        if isinstance(outcome, dict):
            outcome = outcome.get("name")
        rows.append(
            {
                "Type": str(item.get("type") or ""),
                "Date": str(item.get("datetime") or ""),
                "Part of a policing operation": _yes_no(item.get("operation")),
                "Policing operation": str(item.get("operation_name") or ""),
                "Latitude": lat,
                "Longitude": lng,
                "Gender": str(item.get("gender") or ""),
                "Age range": str(item.get("age_range") or ""),
                "Self-defined ethnicity": str(item.get("self_defined_ethnicity") or ""),
                "Officer-defined ethnicity": str(item.get("officer_defined_ethnicity") or ""),
                "Legislation": str(item.get("legislation") or ""),
                "Object of search": str(item.get("object_of_search") or ""),
                "Outcome": str(outcome or ""),
                "Outcome linked to object of search": _yes_no(
                    item.get("outcome_linked_to_object_of_search")
                ),
                "Removal of more than just outer clothing": _yes_no(
                    item.get("removal_of_more_than_outer_clothing")
                ),
            }
        )
    return rows


def _write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    tmp.replace(path)


def fetch_police_uk(
    area: StudyArea,
    months: Sequence[str],
    out_dir: Path,
    *,
    base_url: str = API,
    per_second: float = REQUESTS_PER_SECOND,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchReport:
    """Fetch street crime and stop and search for ``area`` (plus its buffer) and ``months``.

    Parameters
    ----------
    area : StudyArea
        The polygon asked for is the buffered area (EPSG:4326), as ingest accepts it.
    months : sequence of str
        ``YYYY-MM`` months.
    out_dir : Path
        Files go to ``out_dir/YYYY-MM/``; answers are cached in ``out_dir/.cache/``.
    base_url : str
        The API root (a local fake server in tests).
    per_second : float
        Request pacing.
    progress : callable, optional
        Called with one line per month and feed.

    Returns
    -------
    FetchReport
    """
    client = _Client(base_url, per_second, sleep)
    report = FetchReport()
    cache = out_dir / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    for i, month in enumerate(months, 1):
        for feed, endpoint in ENDPOINTS.items():
            cached = cache / f"{feed}-{month}.json"
            if cached.is_file():
                records = json.loads(cached.read_text(encoding="utf-8"))
                report.cached += 1
            else:
                records = _month_records(client, endpoint, area.buffered, month, report)
                tmp = cached.with_suffix(".part")
                tmp.write_text(json.dumps(records), encoding="utf-8")
                tmp.replace(cached)
            path = out_dir / month / f"{month}-api-{feed}.csv"
            if feed == "street":
                _write_csv(path, STREET_COLUMNS, street_rows(records, month))
            else:
                _write_csv(path, STOP_SEARCH_FILE_COLUMNS, stop_rows(records))
            report.files.append(path)
            what = "street crimes" if feed == "street" else "stops"
            report.rows[what] = report.rows.get(what, 0) + len(records)
            if progress is not None:
                progress(f"[{i}/{len(months)}] {month} {feed}: {len(records):,} records")
    report.requests = client.requests
    return report
