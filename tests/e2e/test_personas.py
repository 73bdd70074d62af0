"""The meeting's people on the synthetic demo, in headless chromium (issue 15, "Done when").

One app process for the module, on a demo built into a temporary folder by
``geo.demo.build.build_demo`` (its own store and a free port, so it never meets another running app
or store), and one browser page reused by every test. Every request that does not go to the
app is aborted, so map tiles stay grey: the maps' hexagons, outlines and legends are drawn by
the app itself.

The personas and what they need on screen:

* the strategic group's **chair** (partnership view) reaches "This quarter" in one click from
  the landing page and sees the places by name with their status (Escalated, New, Persistent,
  No longer active);
* the **police lead** (partnership view) finds the five planted hot spots on Hot spots;
* the **youth-service planner** (partnership view) gets a map of the recommended places and a
  one-page PDF plan on Youth work;
* on a **720p projector** (presentation mode, 1280×720) the map's bottom edge is inside the
  window on Overview, Hot spots and Recurring locations.

A sweep (module fixture, run once) visits every page for both roles, at 1600×1000 in the
normal layout and at 1280×720 in presentation mode, and saves a screenshot of each first
screen as ``test-results/screenshots/<role>-<page>-<size>.png``; on every visit it records the
table headers and cells in the DOM, the maps' positions and any exception on the page. The
tests below assert on that record: no table header is snake_case, no table cell reads "None",
no page shows an exception.

The local demo user is analyst and admin; the partnership view is reached with the sidebar's
"View as" switch, as the AppTest tests do with ``at.radio(key="view_as")``. Server log:
``test-results/e2e-personas-server.log``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from tests.e2e._harness import (
    MAP_IFRAME,
    RESULTS,
    chromium_browser,
    demo_app,
    only_local,
    require_chromium,
    wait_settled,
)

# The sweep (a module fixture) is set up inside the first test that uses it: about 2.5 min here.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SCREENSHOTS = RESULTS / "screenshots"
NORMAL: ViewportSize = {"width": 1600, "height": 1000}
PROJECTOR: ViewportSize = {"width": 1280, "height": 720}
ROLES = ("analyst", "partnership")
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class NavPage:
    """A page as the top bar offers it: its menu, its title there and its URL path."""

    section: str
    title: str
    path: str

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


#: Every page of the local demo user (analyst and admin), in the top bar's order, except
#: that the location profile comes last: the sweep picks a place there, and a selected
#: place would otherwise show on the pages after it.
PAGES = (
    NavPage("Meeting", "This quarter", "story"),
    NavPage("Meeting", "Overview", ""),
    NavPage("Meeting", "Review pack", "briefing"),
    NavPage("Places", "Hot spots", "hotspots"),
    NavPage("Places", "Recurring locations", "recurring"),
    NavPage("Lenses", "Youth work", "youth_work"),
    NavPage("Lenses", "Missing from home", "missing"),
    NavPage("Lenses", "Schools", "schools"),
    NavPage("Lenses", "Disproportionality", "disproportionality"),
    NavPage("Data", "Data", "data"),
    NavPage("Data", "Audit log", "audit"),
    NavPage("Places", "Location profile", "profile"),
)
BY_TITLE = {p.title: p for p in PAGES}
#: Pages whose map must fit the first screen of a 720p projector.
MAP_FIT_PAGES = ("Overview", "Hot spots", "Recurring locations")
SNAKE_CASE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
STATUSES = ("Escalated", "New", "Persistent", "No longer active")

DATAFRAMES = '[data-testid="stDataFrame"]'
FOLIUM = 'iframe[title="streamlit_folium.st_folium"]'


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------


@dataclass
class Demo:
    base: str
    truth: dict[str, Any]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The app on its own demo store (built here), stopped at the end of the module."""
    require_chromium()  # no point building and starting anything without a browser
    out = tmp_path_factory.mktemp("personas") / "demo"
    with demo_app(out, "e2e-personas-server.log") as (base, build):
        yield Demo(base, build.truth)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    """One offline page for the whole module (downloads allowed)."""
    context = browser.new_context(viewport=NORMAL, accept_downloads=True)
    context.route("**/*", only_local)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


# --------------------------------------------------------------------------------------------
# driving the app
# --------------------------------------------------------------------------------------------


def exceptions_on(page: Page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


#: Seconds the script must stay idle before a page counts as drawn (st_folium's rerun after
#: its map is drawn comes well within this).
SETTLE_S = 0.5


def settle(page: Page) -> None:
    """The script has finished and every map on the page is drawn; no exception is shown."""
    wait_settled(page, settle_s=SETTLE_S)
    frames = page.locator(FOLIUM)
    deadline = time.monotonic() + 60
    for i in range(frames.count()):
        leaflet = frames.nth(i).content_frame.locator(".leaflet-container")
        while not leaflet.count() and time.monotonic() < deadline:
            page.wait_for_timeout(100)
    if frames.count():
        wait_settled(page, settle_s=SETTLE_S)  # st_folium's rerun once the map reports
    shown = exceptions_on(page)
    assert not shown, f"exception on {page.url}:\n" + "\n".join(shown)


def scroll_to_top(page: Page) -> None:
    page.evaluate(
        "() => document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })"
    )


def open_app(
    page: Page, base: str, role: str, *, present: bool = False, size: ViewportSize = NORMAL
) -> None:
    """A fresh session on the landing page (Overview), viewed as ``role``.

    Presentation mode comes from ``present=1`` in the URL; the partnership view is chosen
    with the sidebar's "View as" first (presentation mode hides the sidebar), and then
    presentation mode is switched on with the sidebar's toggle, which puts ``present=1``
    into the URL.
    """
    page.set_viewport_size(size)
    url_present = present and role == "analyst"
    page.goto(base + ("?present=1" if url_present else ""), wait_until="domcontentloaded")
    expect(page.locator("h1").first).to_contain_text("Overview", timeout=TIMEOUT_MS)
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    if role == "partnership":
        sidebar.get_by_text("partnership", exact=True).click()
        settle(page)
        expect(sidebar.get_by_text("Quarter", exact=True)).to_be_visible()
    if present and not url_present:
        sidebar.get_by_text("Presentation mode", exact=True).click()
        settle(page)
    if present:
        expect(page.get_by_role("button", name="Exit presentation")).to_be_visible()
        assert "present=1" in page.url, page.url


def go(page: Page, title: str) -> NavPage:
    """Open a page through the top bar's menus, as a person would, and wait for it."""
    target = BY_TITLE[title]
    page.locator('[data-testid="stTopNavSection"]', has_text=target.section).click()
    page.locator('[data-testid="stTopNavDropdownLink"]', has_text=target.title).click()
    page.wait_for_url(re.compile(rf"/{re.escape(target.path)}(\?|$)"))
    expect(page.locator("h1").first).to_contain_text(target.title, timeout=TIMEOUT_MS)
    settle(page)
    return target


#: Every polygon layer of a map: each polygon's centre and tooltip (in drawing order).
MAP_LAYERS_JS = """() => Object.keys(window)
    .filter(k => {
        try { return window[k] instanceof L.FeatureGroup; } catch (e) { return false; }
    })
    .map(k => window[k].getLayers().filter(p => p instanceof L.Polygon).map(p => {
        const c = p.getBounds().getCenter();
        const tip = p.getTooltip();
        return {lat: c.lat, lng: c.lng, label: tip ? String(tip.getContent()) : ""};
    }))"""


def map_layers(frame: Locator) -> list[list[dict[str, Any]]]:
    """The hexagon layers of the map in ``frame`` (an st_folium iframe): per layer, each
    polygon's centre (``lat``, ``lng``) and tooltip ``label``, read from the Leaflet
    feature groups (:class:`geo.render.maps.PackedLayer`). Maps are drawn on a canvas,
    so their hexagons are not in the DOM, and cell ids never reach the browser."""
    layers: list[list[dict[str, Any]]] = frame.content_frame.locator("html").evaluate(
        MAP_LAYERS_JS
    )
    return layers


def download(page: Page, button: Locator) -> bytes:
    """Click a download button and return the file it serves."""
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        button.click()
    path = info.value.path()
    return Path(path).read_bytes()


def download_table_csv(page: Page, label: str) -> list[dict[str, str]]:
    """The CSV behind an export popover ("Download <what>" → CSV), as rows."""
    page.locator('[data-testid="stPopover"] button', has_text=label).click()
    button = page.locator('[data-testid="stDownloadButton"] button', has_text="CSV")
    data = download(page, button.locator("visible=true").first)
    page.keyboard.press("Escape")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# --------------------------------------------------------------------------------------------
# the sweep: every page, both roles, both layouts
# --------------------------------------------------------------------------------------------


@dataclass
class Visit:
    """What one page showed for one role in one layout."""

    role: str
    page: str
    size: str
    screenshot: Path
    inner_height: int = 0
    map_bottoms: list[float] = field(default_factory=list)
    headers: set[str] = field(default_factory=set)
    cells: set[str] = field(default_factory=set)
    seconds: float = 0.0  # opening the page until it has settled
    table_seconds: float = 0.0  # reading its tables

    def summary(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "page": self.page,
            "size": self.size,
            "screenshot": self.screenshot.name,
            "seconds": round(self.seconds, 2),
            "table_seconds": round(self.table_seconds, 2),
            "inner_height": self.inner_height,
            "map_bottoms": [round(b) for b in self.map_bottoms],
            "headers": sorted(self.headers),
        }


def size_label(size: ViewportSize) -> str:
    return f"{size['width']}x{size['height']}"


#: Whether every shown ``st.dataframe`` has drawn its column headers.
GRIDS_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
    .filter(d => d.offsetParent)
    .every(d => d.querySelector('[role="columnheader"]'))"""


def read_tables(page: Page) -> tuple[set[str], set[str]]:
    """Headers and cell texts of every table on the page, folded sections opened.

    ``st.dataframe`` draws on a canvas, but glide-data-grid keeps an accessible
    ``<table role="grid">`` in the DOM with the rendered rows and columns (it virtualises
    both), so each grid is read scrolled to the left and to the right. ``st.table`` is a
    real ``<table>``.
    """
    closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
    for _ in range(20):  # each click opens one section (and takes it out of ``closed``)
        if not closed.count():
            break
        closed.first.click()
    tabs = page.locator('[data-testid="stTabs"] [role="tab"]')
    headers: set[str] = set()
    cells: set[str] = set()

    def collect() -> None:
        headers.update(page.locator(f'{DATAFRAMES} [role="columnheader"]').all_inner_texts())
        headers.update(page.locator('[data-testid="stTable"] th').all_inner_texts())
        cells.update(page.locator(f'{DATAFRAMES} [role="gridcell"]').all_inner_texts())
        cells.update(page.locator('[data-testid="stTable"] td').all_inner_texts())

    def collect_until_stable() -> None:
        """Read until every grid in view has drawn its headers and nothing new appears for
        a few polls (grids draw a moment after they are shown or scrolled)."""
        deadline = time.monotonic() + 4
        seen = (-1, -1)
        quiet = 0
        while time.monotonic() < deadline and quiet < 3:
            page.wait_for_timeout(150)
            collect()
            now = (len(headers), len(cells))
            drawn = page.evaluate(GRIDS_DRAWN_JS)
            quiet = quiet + 1 if now == seen and drawn else 0
            seen = now

    def collect_scrolled() -> None:
        collect_until_stable()
        scrolled = page.evaluate(
            """() => [...document.querySelectorAll('.dvn-scroller')]
                .filter(s => s.offsetParent && s.scrollWidth > s.clientWidth)
                .map(s => { s.scrollLeft = s.scrollWidth; return 1; }).length"""
        )
        if scrolled:
            collect_until_stable()

    collect_scrolled()
    for i in range(tabs.count()):
        tabs.nth(i).click()
        collect_scrolled()
    return {h.strip() for h in headers}, {c.strip() for c in cells}


def map_bottoms(page: Page) -> list[float]:
    frames = page.locator(FOLIUM)
    return [
        float(frames.nth(i).evaluate("e => e.getBoundingClientRect().bottom"))
        for i in range(frames.count())
    ]


def pick_a_place_if_asked(page: Page) -> None:
    """The profile without a chosen place offers the top recurring locations: take the first."""
    combo = page.get_by_role("combobox", name="Top recurring locations")
    if combo.count():
        combo.click()
        page.get_by_role("option").first.click()
        expect(page.locator(FOLIUM).first).to_be_visible(timeout=TIMEOUT_MS)
        settle(page)


def sweep_role(page: Page, base: str, role: str, present: bool) -> list[Visit]:
    size = PROJECTOR if present else NORMAL
    open_app(page, base, role, present=present, size=size)
    visits = []
    for nav in PAGES:
        start = time.monotonic()
        go(page, nav.title)
        if nav.title == "Location profile":
            pick_a_place_if_asked(page)
        scroll_to_top(page)
        shot = SCREENSHOTS / f"{role}-{nav.slug}-{size_label(size)}.png"
        visit = Visit(role, nav.title, size_label(size), shot)
        visit.seconds = time.monotonic() - start
        page.screenshot(path=str(shot))
        visit.inner_height = int(page.evaluate("() => window.innerHeight"))
        visit.map_bottoms = map_bottoms(page)
        if not present:  # the same tables as in presentation mode, only zoomed there
            start = time.monotonic()
            visit.headers, visit.cells = read_tables(page)
            visit.table_seconds = time.monotonic() - start
        visits.append(visit)
    return visits


@pytest.fixture(scope="module")
def sweep(demo: Demo, page: Page) -> list[Visit]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visits: list[Visit] = []
    for role in ROLES:
        for present in (True, False):
            visits += sweep_role(page, demo.base, role, present)
    report = RESULTS / "e2e-personas-sweep.json"
    report.write_text(json.dumps([v.summary() for v in visits], indent=1), encoding="utf-8")
    return visits


# --------------------------------------------------------------------------------------------
# the personas
# --------------------------------------------------------------------------------------------


def test_chair_reaches_the_quarters_story_in_one_click(demo: Demo, page: Page) -> None:
    open_app(page, demo.base, "partnership")
    assert page.url.split("?")[0].rstrip("/") == demo.base.rstrip("/")  # the landing page
    # the one click: the Overview's link to the quarter's story
    page.locator('[data-testid="stPageLink"]', has_text="The quarter's story").click()
    page.wait_for_url(re.compile(r"/story(\?|$)"))
    main = page.locator('[data-testid="stMain"]')
    expect(main.locator("h1").first).to_contain_text("This quarter", timeout=TIMEOUT_MS)
    settle(page)
    labels = main.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    for status in STATUSES:
        assert status in labels, (status, labels)
    # places by name ("near <school> — <neighbourhood>", or the neighbourhood and its side)
    text = main.inner_text()
    named = re.findall(r"^(?:near .+ — .+|.+\d{3}[A-Z], [a-z-]+ side)$", text, re.MULTILINE)
    assert named, "no place named on the quarter's story:\n" + text[:2000]
    assert "Whose data:" in text
    expect(main.get_by_text("Open profile").first).to_be_visible()
    page.screenshot(path=str(RESULTS / "persona-chair-story.png"))


def test_police_lead_sees_the_five_planted_hot_spots(demo: Demo, page: Page) -> None:
    """The planted res-9 hot spots' res-8 parents are on the hot list and on the map.

    The hot list is read from the page's own export ("Download hot cells" → CSV, "exactly
    as shown on this page", made from the frame the table shows) rather than from the
    table: glide-data-grid draws on a canvas and keeps only the rows and columns in view in
    the DOM, so a long list or a column off to the right (here "Cell id") is not there to
    read. The CSV holds every row and the "Cell id" column. The map is checked too, from
    its Leaflet layers (the res-8 cell under each hexagon's centre), since the hexagons
    themselves are canvas pixels."""
    import h3

    open_app(page, demo.base, "partnership")
    go(page, "Hot spots")
    expect(page.locator(MAP_IFRAME).first).to_be_visible()
    rows = download_table_csv(page, "Download hot cells")
    assert rows and "Cell id" in rows[0], rows[:1]
    shown = {row["Cell id"] for row in rows}
    planted = [h["cell"] for h in demo.truth["recurring_hotspots"]]
    assert len(planted) == 5
    parents = {cell: h3.cell_to_parent(cell, 8) for cell in planted}
    missing = {cell: parent for cell, parent in parents.items() if parent not in shown}
    assert not missing, f"planted hot spots (res 9 → res 8) not on the hot list: {missing}"
    # and the map the police lead looks at draws them (a hexagon centred in each)
    on_map = {
        h3.latlng_to_cell(props["lat"], props["lng"], 8)
        for layer in map_layers(page.locator(FOLIUM).first)
        for props in layer
    }
    off_map = {cell: parent for cell, parent in parents.items() if parent not in on_map}
    assert not off_map, f"planted hot spots (res 9 → res 8) not on the map: {off_map}"
    assert not any(v == "None" for row in rows for v in row.values())
    assert not any(SNAKE_CASE.match(h) for h in rows[0])
    page.screenshot(path=str(RESULTS / "persona-police-hotspots.png"))


def test_planner_gets_a_map_of_the_places_and_a_pdf_plan(demo: Demo, page: Page) -> None:
    open_app(page, demo.base, "partnership")
    go(page, "Youth work")
    teams = page.get_by_role("slider", name=re.compile("How many teams"))
    expect(teams).to_have_value("3")  # the default: three teams
    plan = page.locator("h3", has_text=re.compile(r"Where to send 3 teams"))
    expect(plan).to_be_visible()
    # the first map after the plan's heading is the map of the recommended places
    index = page.evaluate(
        """(sel) => {
            const h = [...document.querySelectorAll('h3')]
                .find(e => e.textContent.includes('Where to send'));
            const frames = [...document.querySelectorAll(sel)];
            return frames.findIndex(
                f => h.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING);
        }""",
        FOLIUM,
    )
    assert index >= 0, "no map after 'Where to send 3 teams'"
    plan_map = page.locator(FOLIUM).nth(index)
    plan_map.scroll_into_view_if_needed()
    expect(plan_map.content_frame.locator(".leaflet-container")).to_have_count(1)
    # The hexagons are drawn on a canvas: read the map's Leaflet layers instead. The plan's
    # layer labels each place "#<n> <name> · <times>", as the numbered list under the map.
    labels = [
        str(props.get("label", ""))
        for layer in map_layers(plan_map)
        for props in layer
        if str(props.get("label", "")).startswith("#")
    ]
    listed = page.locator('[data-testid="stMarkdownContainer"] li strong').all_inner_texts()
    assert len(labels) == 3, labels  # one place per team
    for n, label in enumerate(sorted(labels), start=1):
        assert label.startswith(f"#{n} "), labels
    for name in listed[:3]:
        assert any(html.unescape(name) in html.unescape(label) for label in labels), (
            name,
            labels,
        )
    pdf_button = page.locator('[data-testid="stDownloadButton"] button', has_text="PDF")
    expect(pdf_button).to_have_count(1)
    pdf = download(page, pdf_button)
    assert pdf.startswith(b"%PDF"), pdf[:20]
    page.screenshot(path=str(RESULTS / "persona-planner-youth-work.png"))


# --------------------------------------------------------------------------------------------
# what the sweep saw
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_presentation_maps_fit_a_720p_screen(sweep: list[Visit], role: str) -> None:
    checked = [
        v
        for v in sweep
        if v.role == role and v.size == size_label(PROJECTOR) and v.page in MAP_FIT_PAGES
    ]
    assert len(checked) == len(MAP_FIT_PAGES)
    too_low = {}
    for visit in checked:
        assert visit.map_bottoms, f"no map on {visit.page} ({visit.screenshot})"
        if visit.map_bottoms[0] > visit.inner_height:
            too_low[visit.page] = (visit.map_bottoms[0], visit.inner_height, str(visit.screenshot))
    assert not too_low, f"map bottom below the 720p window (bottom, height, screenshot): {too_low}"


@pytest.mark.parametrize("role", ROLES)
def test_no_table_shows_snake_case_or_none(sweep: list[Visit], role: str) -> None:
    bad_headers: dict[str, set[str]] = {}
    none_cells: list[str] = []
    for visit in sweep:
        if visit.role != role:
            continue
        snake = {h for h in visit.headers if SNAKE_CASE.match(h)}
        if snake:
            bad_headers.setdefault(visit.page, set()).update(snake)
        if "None" in visit.cells:
            none_cells.append(f"{visit.page} ({visit.screenshot.name})")
    assert any(v.headers for v in sweep if v.role == role), "no table read at all"
    assert not bad_headers, f"snake_case table headers: {bad_headers}"
    assert not none_cells, f'table cells reading "None" on: {sorted(set(none_cells))}'


def test_screenshots_of_every_page(sweep: list[Visit]) -> None:
    expected = {
        SCREENSHOTS / f"{role}-{nav.slug}-{size_label(size)}.png"
        for role in ROLES
        for nav in PAGES
        for size in (NORMAL, PROJECTOR)
    }
    missing = sorted(str(p) for p in expected if not p.is_file() or p.stat().st_size < 1000)
    assert not missing, missing
    slow = {f"{v.role} {v.page} {v.size}": round(v.seconds, 1) for v in sweep if v.seconds > 20}
    assert not slow, f"pages taking over 20 s to settle: {slow}"
