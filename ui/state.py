"""Session-state keys and their sync with the URL's query parameters.

The URL carries the view and never data, so a link opens the same view for anyone with
the right role: the page is the URL's path (each page's ``url_path`` in app.py) and the
query string holds ``from``/``to`` (the period; a quarter for the partnership),
``cat``, ``res``, ``cell``, ``layers`` (the Overview map's layers) and ``present=1``
(presentation mode). Every value is validated when a session starts and coerced to what
the viewing role may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from geo.core import hexes
from geo.core.config import Config
from geo.core.filters import Filters
from geo.core.schema import INCIDENT_CATEGORIES
from geo.disclosure import max_resolution

#: The location profile page, opened by clicking a hexagon on any map.
PROFILE_PAGE = Path(__file__).resolve().parents[1] / "pages" / "profile.py"
STORY_PAGE = Path(__file__).resolve().parents[1] / "pages" / "story.py"

KEY_MONTHS = "months"
KEY_CATEGORIES = "categories"
KEY_RES = "res"
KEY_CELL = "cell"
#: True when the partnership has no whole quarter to choose (data pages stop).
KEY_NO_PERIOD = "_no_period"
KEY_LAYERS = "layers"
KEY_PRESENT = "present"
#: The Overview map's layers, as spelled in the URL (``layers=incidents,missing``).
MAP_LAYERS = ("incidents", "missing", "ed_assaults", "youth_work", "schools")
#: A&E assaults are off until chosen, so the map opens as it did before the feed existed.
DEFAULT_LAYERS = ("incidents", "youth_work", "schools")


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return str(value) if value else None


#: Widget keys that must survive a page switch. Streamlit forgets a widget's value when a
#: run does not draw it (a page switch runs the new page, and widgets of the sidebar
#: drawn later in the same run are new again), so "View as: partnership" fell back to
#: the analyst view, with the analyst's resolution, when a place's profile was opened.
KEPT_WIDGETS: tuple[str, ...] = ("view_as", KEY_RES, "quarter_select")


def keep_widget_state() -> None:
    """Carry the shared widgets' values over a page switch (call first in every run)."""
    for key in KEPT_WIDGETS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def init_state(months: list[str], default_res: int) -> None:
    """Fill session state from the URL once per session, validating every value."""
    # default: the latest 12 months, so headline changes compare with the 12 before
    lo, hi = (months[-min(12, len(months))], months[-1]) if months else ("2000-01", "2000-01")
    if st.session_state.get("_state_ready"):
        start, end = st.session_state.get(KEY_MONTHS, (lo, hi))
        if months and (start not in months or end not in months):
            # the months changed under the session (its first dated data were loaded, or
            # a rollback took months away): the default window, not a window of no month
            st.session_state[KEY_MONTHS] = (lo, hi)
        return
    start, end = _param("from") or lo, _param("to") or hi
    if start not in months or end not in months or start > end:
        start, end = lo, hi
    st.session_state[KEY_MONTHS] = (start, end)
    cats = [c for c in (_param("cat") or "").split(",") if c in INCIDENT_CATEGORIES]
    st.session_state[KEY_CATEGORIES] = cats
    res_text = _param("res")
    st.session_state[KEY_RES] = int(res_text) if res_text in {"7", "8", "9", "10"} else default_res
    cell = _param("cell")
    st.session_state[KEY_CELL] = cell if cell and hexes.is_valid_cell(cell) else None
    st.session_state[KEY_LAYERS] = parse_layers(_param("layers"))
    st.session_state[KEY_PRESENT] = _param("present") == "1"
    st.session_state["_state_ready"] = True


def parse_layers(text: str | None) -> tuple[str, ...]:
    """The map layers named in ``layers=`` (known names only, in a fixed order);
    ``none`` for no layer; the default layers when absent or nothing is recognised."""
    if text is None:
        return DEFAULT_LAYERS
    if text == "none":
        return ()
    named = set(text.split(","))
    chosen = tuple(layer for layer in MAP_LAYERS if layer in named)
    return chosen or DEFAULT_LAYERS


def current_filters() -> Filters:
    """The shared filters from session state."""
    start, end = st.session_state[KEY_MONTHS]
    return Filters(str(start), str(end), tuple(sorted(st.session_state.get(KEY_CATEGORIES, []))))


def url_params() -> dict[str, str]:
    """The current view as query parameters (never data)."""
    f = current_filters()
    params = {"from": f.month_from, "to": f.month_to, "res": str(st.session_state[KEY_RES])}
    if f.categories:
        params["cat"] = ",".join(f.categories)
    if st.session_state.get(KEY_CELL):
        params["cell"] = str(st.session_state[KEY_CELL])
    layers = st.session_state.get(KEY_LAYERS, DEFAULT_LAYERS)
    params["layers"] = ",".join(layer for layer in MAP_LAYERS if layer in layers) or "none"
    if st.session_state.get(KEY_PRESENT):
        params["present"] = "1"
    return params


def sync_url() -> None:
    """Write the current view into the URL (never data)."""
    params = url_params()
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def share_url(base_url: str, url_path: str, params: Mapping[str, str]) -> str:
    """The shareable link of a view: ``base_url/<page url path>?<query>``."""
    query = urlencode(dict(params), safe=",")
    return f"{base_url.rstrip('/')}/{url_path.strip('/')}" + (f"?{query}" if query else "")


def open_profile(cell: str) -> None:
    """Select ``cell`` and open its Location profile."""
    st.session_state[KEY_CELL] = cell
    st.switch_page(PROFILE_PAGE)


def coarsen_cell(role: str, config: Config) -> None:
    """Coarsen the selected cell to the finest resolution ``role`` may see (a link made
    by an analyst opens the partnership view on the enclosing cell); drop a cell coarser
    than resolution 7."""
    cell = st.session_state.get(KEY_CELL)
    if not cell:
        return
    finest = max_resolution(role, config)
    cells = hexes.str_to_cells([cell])
    res = int(hexes.cell_resolution(cells)[0])
    if res < 7:
        st.session_state[KEY_CELL] = None
    elif res > finest:
        parent = hexes.cells_to_parent(cells, finest)
        st.session_state[KEY_CELL] = str(hexes.cells_to_str(parent)[0])


def profile_cell(role: str, config: Config) -> str | None:
    """The selected cell for the profile, coarsened to the role's finest resolution."""
    cell = st.session_state.get(KEY_CELL)
    if not cell or not hexes.is_valid_cell(cell):
        return None
    finest = max_resolution(role, config)
    cells = hexes.str_to_cells([cell])
    res = int(hexes.cell_resolution(cells)[0])
    if res > finest:
        cells = hexes.cells_to_parent(cells, finest)
    if res < 7:
        return None
    return str(hexes.cells_to_str(cells)[0])
