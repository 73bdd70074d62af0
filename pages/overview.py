"""Overview: the layered hex map, KPI tiles and the selected cell."""

from __future__ import annotations

import streamlit as st

from geo.escape import escape_markdown
from geo.export import to_csv_bytes
from geo.layers import layer_table
from geo.maps import build_map
from ui import audit, auth, cache, state, widgets
from ui.map import selected_cell_from_event, show_map

auth.require_role("analyst", "partnership")
config = cache.get_config()
store = cache.get_store(config)
version = store.data_version()
role = st.session_state["role"]
res = int(st.session_state[state.KEY_RES])
filters = state.current_filters()
area = cache.get_area(config)

st.title(f"Overview — {escape_markdown(area.name)}")
st.caption(
    f"{filters.month_from} to {filters.month_to} · resolution {res} · viewing as {role}"
    + (" · counts of 1 to 5 and sensitive cells withheld" if role == "partnership" else "")
)
widgets.kpi_tiles(cache.kpis(config.fingerprint, version, role, filters))

layers = cache.overview_layers(config.fingerprint, version, role, res, filters)
schools = cache.schools(config.fingerprint, version)
markers = cache.school_markers(config.fingerprint, version)
m = build_map(area.centre, area.bounds, area.boundary, layers, markers, tiles=config.app.tiles)
event = show_map(m, key=f"overview-map-{res}")
clicked = selected_cell_from_event(event, res)
if clicked and clicked != st.session_state.get(state.KEY_CELL):
    st.session_state[state.KEY_CELL] = clicked
    st.switch_page(state.PROFILE_PAGE)

cell = st.session_state.get(state.KEY_CELL)
if cell:
    st.subheader("Selected cell")
    st.text(cache.cell_summary(config.fingerprint, version, role, res, filters, cell))
st.caption(
    f"{len(schools):,} schools shown as markers (red: alternative provision). "
    "Hexagons show where incidents were recorded; blank areas had none."
)
table = layer_table(layers[0])
st.download_button(
    "Download the incident layer (CSV, as shown)",
    to_csv_bytes(table),
    file_name=f"placesafe-incidents-res{res}-{filters.month_from}-{filters.month_to}.csv",
    mime="text/csv",
    on_click=audit.log_export,
    args=(store, "overview incidents", len(table)),
    key="overview_download",
)
