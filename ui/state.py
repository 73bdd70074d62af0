"""Session-state keys and their sync with the URL's query parameters.

The URL carries the view (period, categories, resolution, selected cell) and never
data, so a link opens the same view for anyone with the right role.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo import hexes
from geo.config import Config
from geo.overview import Filters
from geo.privacy import max_resolution
from geo.schema import INCIDENT_CATEGORIES

#: The location profile page, opened by clicking a hexagon on any map.
PROFILE_PAGE = Path(__file__).resolve().parents[1] / "pages" / "profile.py"

KEY_MONTHS = "months"
KEY_CATEGORIES = "categories"
KEY_RES = "res"
KEY_CELL = "cell"


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return str(value) if value else None


def init_state(months: list[str], default_res: int) -> None:
    """Fill session state from the URL once per session, validating every value."""
    if st.session_state.get("_state_ready"):
        return
    # default: the latest 12 months, so headline changes compare with the 12 before
    lo, hi = (months[-min(12, len(months))], months[-1]) if months else ("2000-01", "2000-01")
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
    st.session_state["_state_ready"] = True


def current_filters() -> Filters:
    """The shared filters from session state."""
    start, end = st.session_state[KEY_MONTHS]
    return Filters(str(start), str(end), tuple(sorted(st.session_state.get(KEY_CATEGORIES, []))))


def sync_url() -> None:
    """Write the current view into the URL (never data)."""
    f = current_filters()
    params = {"from": f.month_from, "to": f.month_to, "res": str(st.session_state[KEY_RES])}
    if f.categories:
        params["cat"] = ",".join(f.categories)
    if st.session_state.get(KEY_CELL):
        params["cell"] = str(st.session_state[KEY_CELL])
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def profile_cell(role: str, config: Config) -> str | None:
    """The selected cell for the profile, coarsened to the role's finest resolution."""
    cell = st.session_state.get(KEY_CELL)
    if not cell or not hexes.is_valid_cell(cell):
        return None
    d = config.disclosure
    finest = max_resolution(role, d.partnership_max_resolution, d.analyst_max_resolution)
    cells = hexes.str_to_cells([cell])
    res = int(hexes.cell_resolution(cells)[0])
    if res > finest:
        cells = hexes.cells_to_parent(cells, finest)
    if res < 7:
        return None
    return str(hexes.cells_to_str(cells)[0])
