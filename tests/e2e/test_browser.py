"""The one real-browser test: start the app, open it in Debian's chromium, check the map.

Starts ``streamlit run app.py`` on a free loopback port with the demo configuration, drives
/usr/bin/chromium through Playwright (``playwright install`` cannot download browsers here) and
checks that the st_folium frame holds a Leaflet map, that the page shows the synthetic-data
banner and that no exception reached the page.

Every request that does not go to the app's own server is aborted, so the result is the same
with or without internet access: the map must work offline (tiles are not asserted on, but
Leaflet itself must be served by the app, not a CDN). Blocked URLs, failed requests and browser
console errors are listed in the failure message; the server log is in
``test-results/e2e-server.log`` and a screenshot in ``test-results/overview.png``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e._harness import (
    APP_IDLE,
    MAP_IFRAME,
    RESULTS,
    chromium_browser,
    require_chromium,
    running_app,
)

pytestmark = pytest.mark.e2e

MAP_TIMEOUT_S = 90
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
IDLE_SETTLE_S = 1.5
SETTLED_TIMEOUT_MS = 15_000


def _wait_idle(page: Page, deadline: float) -> None:
    """Wait until the script has been idle for IDLE_SETTLE_S without interruption."""
    idle_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if page.locator(APP_IDLE).count():
            idle_since = idle_since or now
            if now - idle_since >= IDLE_SETTLE_S:
                return
        else:
            idle_since = None
        page.wait_for_timeout(250)
    pytest.fail(f"the app script was still running after {MAP_TIMEOUT_S} s", pytrace=False)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Base URL of a running app on the embedded demo; always stopped afterwards."""
    require_chromium()  # no point starting the server when there is no browser
    env = dict(os.environ)
    env.pop("PLACESAFE_CONFIG", None)  # the embedded demo configuration
    with running_app("e2e-server.log", env) as base:
        yield base + "/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as chromium:
        yield chromium


def test_overview_shows_map_without_errors(server: str, browser: Browser) -> None:
    blocked: list[str] = []
    blocked_scripts: list[str] = []
    failed: list[str] = []
    console: list[str] = []

    def only_local(route: Route) -> None:
        request = route.request
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            route.continue_()
            return
        blocked.append(request.url)
        if request.resource_type == "script":
            # st_folium loads its scripts in sequence and gives up on the first failure.
            blocked_scripts.append(request.url)
        route.abort()

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", only_local)
    page = context.new_page()
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    exceptions = page.locator('[data-testid="stException"]')
    map_iframe = page.locator(MAP_IFRAME).first
    leaflet = map_iframe.content_frame.locator(".leaflet-container")

    def diagnostics() -> str:
        parts = []
        if exceptions.count():
            parts.append("exceptions on the page:")
            parts.extend(f"  {t}" for t in exceptions.all_inner_texts())
        if blocked:
            parts.append("blocked non-local requests (must be served by the app):")
            parts.extend(f"  {u}" for u in dict.fromkeys(blocked))
        if failed:
            parts.append("failed requests:")
            parts.extend(f"  {u}" for u in dict.fromkeys(failed))
        if console:
            parts.append("browser console errors:")
            parts.extend(f"  {m}" for m in console[:20])
        return "\n".join(parts)

    try:
        page.goto(server, wait_until="domcontentloaded", timeout=60_000)
        deadline = time.monotonic() + MAP_TIMEOUT_S
        # Wait for the map, failing early on what would stop it from ever appearing.
        while True:
            if exceptions.count():
                pytest.fail(f"exception before the map rendered\n{diagnostics()}", pytrace=False)
            if blocked_scripts:
                page.wait_for_timeout(500)  # collect the rest of the story for the message
                pytest.fail(f"map scripts not served by the app\n{diagnostics()}", pytrace=False)
            # The component gives its iframe a height only once Leaflet has drawn the map.
            if map_iframe.count() and leaflet.count() and map_iframe.is_visible():
                break
            if time.monotonic() > deadline:
                found = "an empty st_folium iframe" if map_iframe.count() else "no st_folium iframe"
                pytest.fail(
                    f"no rendered .leaflet-container within {MAP_TIMEOUT_S} s ({found})\n"
                    + diagnostics(),
                    pytrace=False,
                )
            page.wait_for_timeout(250)

        # Let the script run (and any rerun st_folium triggers) finish, so that an exception
        # raised after the map is drawn is not missed.
        _wait_idle(page, deadline)
        expect(page.get_by_text(re.compile("synthetic", re.IGNORECASE)).first).to_be_visible(
            timeout=SETTLED_TIMEOUT_MS
        )
        assert exceptions.count() == 0, f"exception shown on the page\n{diagnostics()}"
        assert "Traceback" not in page.locator("body").inner_text()
        # the "copy link" control shows the view's shareable URL (never data)
        share = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first
        expect(share).to_contain_text(
            re.compile(r"https?://\S+/\?from=\d{4}-\d{2}&to=\d{4}-\d{2}&res=\d+"),
            timeout=SETTLED_TIMEOUT_MS,
        )
    finally:
        RESULTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(RESULTS / "overview.png"), full_page=True)
        finally:
            context.close()


HOSTILE_NAMES = (
    "${document.title='pwned-template'}",
    "`);document.title='pwned-backtick';//",
    "<img src=x onerror=\"document.title='pwned-img'\">",
    "</script><script>document.title='pwned-script'</script>",
)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a demo whose school names (partner-supplied text) are attacks."""
    require_chromium()
    from geo.demo.build import build_demo
    from geo.store.database import Store

    build = build_demo(tmp_path_factory.mktemp("hostile") / "demo", seed=0)
    with Store(build.config.store_path) as store:
        ids = store.query("SELECT school_id FROM schools ORDER BY school_id LIMIT 4")
        for school_id, name in zip(ids["school_id"], HOSTILE_NAMES, strict=True):
            store.query("UPDATE schools SET name = ? WHERE school_id = ?", [name, school_id])
    env = dict(os.environ, PLACESAFE_CONFIG=str(build.out_dir / "placesafe.toml"))
    with running_app("e2e-hostile-server.log", env) as base:
        yield base + "/"


def test_partner_strings_are_shown_inertly_on_the_map(
    hostile_server: str, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlsplit(route.request.url).hostname in LOCAL_HOSTS
            else route.abort()
        ),
    )
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(hostile_server, wait_until="domcontentloaded", timeout=60_000)
        frame = page.locator(MAP_IFRAME).first
        expect(frame).to_be_visible(timeout=MAP_TIMEOUT_S * 1000)
        inner = frame.content_frame
        expect(inner.locator(".leaflet-container")).to_have_count(1, timeout=60_000)
        page.wait_for_timeout(1500)
        # hover every school marker so its tooltip (partner text) is put into the page
        markers = inner.locator("path.leaflet-interactive")
        for i in range(min(markers.count(), 200)):
            try:
                markers.nth(i).hover(timeout=500, force=True)
            except Exception:  # markers under others are fine to skip
                continue
        titles = {page.title(), inner.locator("html").evaluate("() => document.title")}
        assert not any(t.startswith("pwned") for t in titles), titles
        assert not dialogs
        assert inner.locator("img[src='x']").count() == 0
        html = inner.locator("html").evaluate("() => document.documentElement.outerHTML")
        assert "${document.title" not in html
        assert "<img src=x" not in html
    finally:
        page.screenshot(path=str(RESULTS / "hostile.png"))
        context.close()
