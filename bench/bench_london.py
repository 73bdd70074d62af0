"""Benchmark: a London-wide study area (issue 18) — 33 boroughs, 900,000 synthetic
police.uk street rows (about 820,000 located inside London).

Targets: Overview and Hot spots warm reruns under 1 s at every resolution the role may
use (analyst 7-10, partnership 7 to its configured maximum), the map payload under 2 MB
per view (what the map component is sent: its script, HTML and header), and the first
map drawn in headless Chromium under 3 s (Overview at resolution 10, 1280x720, from
navigation to the hexagons drawn in the map's frame).

The store is built once in ``--out`` (default ``bench/out/london``; ``--rebuild`` to
build again, about a minute) from ``../shared/data/boundaries/london_boroughs_lad22_gen20.geojson``
(bench/_london.py). Pages are timed through AppTest (the script run only); the
payload is measured by wrapping streamlit-folium's component call, so it counts what
the browser is sent whatever builds the map. The map opens on the whole of London; the
view-following maps (geo/render/viewport.py) draw what fits, and a second row per
resolution measures a view zoomed to one borough's size, as a viewer who zooms in sees.

Run: ``PYTHONPATH=. .venv/bin/python bench/bench_london.py`` (3-4 minutes with a built store).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import ROOT, print_table
from _london import bench_env, build_london_store

RERUN_TARGET_S = 1.0
PAYLOAD_TARGET_MB = 2.0
FIRST_MAP_TARGET_S = 3.0
ANALYST_RES = (7, 8, 9, 10)
RUNS = 3
#: A borough-sized view in central London (zoom 13 at 1280x720): (south, west, north, east).
ZOOMED = (51.495, -0.16, 51.535, -0.06, 13)


def _payloads() -> list[int]:
    """Wrap the map component so every call's payload (bytes) is recorded."""
    import streamlit_folium

    sent: list[int] = []
    original = streamlit_folium._component_func

    def recording(**kwargs: Any) -> Any:
        sent.append(
            sum(len(str(kwargs.get(k) or "").encode()) for k in ("script", "html", "header"))
        )
        return original(**kwargs)

    streamlit_folium._component_func = recording
    return sent


def _view_state(key: str) -> dict[str, Any]:
    south, west, north, east, zoom = ZOOMED
    bounds = {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}}
    return {key: {"bounds": bounds, "zoom": zoom, "last_object_clicked": None}}


def time_page(
    page: str | None, res: int, role: str, sent: list[int], zoomed: bool
) -> dict[str, Any]:
    """First run and warm reruns of a page at ``res`` for ``role``, with its map payload."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "tests" / "app" / "app_entry.py"), default_timeout=600)
    at.query_params["res"] = str(res)
    at.run()
    if role == "partnership":
        at.radio(key="view_as").set_value("partnership").run()
    if page is not None:
        at.switch_page(str(ROOT / "pages" / page)).run()
    assert not at.exception, [e.value for e in at.exception]
    if zoomed:
        key = f"overview-map-{res}" if page is None else f"ehsa-{res}"
        for k, v in _view_state(key).items():
            at.session_state[k] = v
    sent.clear()
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    reruns = []
    for _ in range(RUNS):
        sent.clear()
        t = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - t)
    assert not at.exception, [e.value for e in at.exception]
    notes = [str(c.value) for c in at.caption if "Drawn at resolution" in str(c.value)
             or "not drawn" in str(c.value)]  # fmt: skip
    warm = statistics.median(reruns)
    biggest = max(sent) / 1e6 if sent else 0.0
    return {
        "page": "Overview" if page is None else "Hot spots",
        "role": role,
        "res": res,
        "view": "borough zoom" if zoomed else "all London",
        "first s": round(first, 2),
        "warm rerun s": round(warm, 3),
        "largest map MB": round(biggest, 2),
        "maps": len(sent),
        "ok": "yes" if warm < RERUN_TARGET_S and biggest < PAYLOAD_TARGET_MB else "NO",
        "note": (notes[0][:60] + "…") if notes else "",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_map_in_chromium(config: Path, res: int = 10) -> tuple[float, int, Path]:
    """Seconds from navigation to hexagons drawn on the Overview in headless Chromium,
    the number of polygons drawn, and a screenshot."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    log = ROOT / "bench" / "out" / "london-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.fileWatcherType", "none"],
            cwd=ROOT, env=bench_env(config), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    shot = ROOT / "bench" / "out" / "london-overview.png"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            for _ in range(120):  # the server is up and has warmed its caches once
                try:
                    page.goto(f"http://127.0.0.1:{port}/?res={res}", timeout=5000)
                    break
                except Exception:
                    time.sleep(0.5)
            page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=120_000)
            page.wait_for_timeout(2000)
            started = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/?res={res}")
            drawn = 0
            while time.perf_counter() - started < 60 and not drawn:
                for frame in page.frames:
                    try:
                        drawn = int(frame.evaluate(
                            "() => window.L && window.map ? Object.values(window.map._layers)"
                            ".filter(l => l instanceof L.Polygon).length : 0"
                        ))  # fmt: skip
                    except Exception:
                        continue
                    if drawn:
                        break
                if not drawn:
                    time.sleep(0.05)
            seconds = time.perf_counter() - started
            for _ in range(10):  # the map's frame may be re-attached by the view's rerun
                try:
                    page.locator(
                        'iframe[title="streamlit_folium.st_folium"]'
                    ).first.scroll_into_view_if_needed(timeout=5000)
                    break
                except Exception:
                    page.wait_for_timeout(500)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(shot))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return seconds, drawn, shot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "london")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    built = build_london_store(args.out, rebuild=args.rebuild)
    os.environ.update(bench_env(built.config))
    store = args.out / "placesafe.duckdb"
    print(f"London store: {built.rows_written:,} rows written, ingest {built.ingest_s:.1f} s, "
          f"{store.stat().st_size / 1e9:.2f} GB\n{built.report}\n")  # fmt: skip

    from geo.core.config import load_config

    max_partnership = load_config(str(built.config)).disclosure.partnership_max_resolution
    sent = _payloads()
    rows = []
    for page in (None, "hotspots.py"):
        for role, resolutions in (
            ("analyst", ANALYST_RES),
            ("partnership", tuple(r for r in ANALYST_RES if r <= max_partnership)),
        ):
            for res in resolutions:
                rows.append(time_page(page, res, role, sent, zoomed=False))
                if role == "analyst" and res >= 9:
                    rows.append(time_page(page, res, role, sent, zoomed=True))
    print_table(rows)
    if not args.no_browser:
        seconds, drawn, shot = first_map_in_chromium(built.config)
        print()
        print_table([{
            "measure": "first map drawn in Chromium, Overview res 10, s",
            "value": round(seconds, 2), "polygons": drawn, "target": f"< {FIRST_MAP_TARGET_S}",
            "ok": "yes" if seconds < FIRST_MAP_TARGET_S and drawn else "NO",
        }])  # fmt: skip
        print(f"screenshot: {shot}")


if __name__ == "__main__":
    main()
