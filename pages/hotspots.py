"""Hotspots: Gi* and emerging hot spots on the H3 grid, with plain-English findings."""

from __future__ import annotations

import streamlit as st

from geo.cube import LAYER_LABELS
from geo.escape import escape_markdown
from geo.hotspot_report import HOT_LIST_HEADERS
from geo.layers import cell_series, hot_cells_table
from geo.maps import build_map
from geo.overview import Filters
from geo.place_names import place_names, with_place_names
from geo.roles import Role
from ui import auth, cache, state
from ui.exports import export_buttons
from ui.map import selected_cell_from_event, show_map

auth.require_role(Role.ANALYST, Role.PARTNERSHIP)
config = cache.get_config()
store = cache.get_store(config)
version = store.data_version()
role = st.session_state["role"]
res = int(st.session_state[state.KEY_RES])
filters = state.current_filters()
if role == Role.PARTNERSHIP:
    # hot spot categories carry no counts, so the partnership sees the whole window
    months = cache.months(config.fingerprint, version)
    filters = Filters(months[0], months[-1]) if months else filters
area = cache.get_area(config)

st.title("Hot spots")
st.caption(f"{filters.month_from} to {filters.month_to} · resolution {res}")
st.caption(
    cache.feeds_used(config.fingerprint, version, role, ("incidents", "missing_episodes"), filters)
)
st.caption(
    "Statistically significant clusters, not just busy places: Getis-Ord Gi* compares each "
    "cell and its neighbours with the whole area (Esri's Hot Spot Analysis); emerging hot "
    "spots add the trend over time (Esri's Emerging Hot Spot Analysis)."
)
c1, c2, c3, c4 = st.columns(4)
layer = c1.selectbox(
    "Layer", list(LAYER_LABELS), format_func=LAYER_LABELS.__getitem__, key="hs_layer"
)
period = c2.radio("Time step", ["month", "quarter"], horizontal=True, key="hs_period")
k = c3.radio(
    "Neighbourhood (rings)",
    [1, 2],
    horizontal=True,
    key="hs_k",
    help="k = 2 smooths sparse data over a wider area.",
)
fdr = c4.toggle(
    "False discovery rate correction",
    value=True,
    key="hs_fdr",
    help="Benjamini-Hochberg over all cells (and periods), as Esri does.",
)

report = cache.hotspot_report(
    config.fingerprint, version, role, layer, res, filters, period, k, fdr
)
gi_layer, em_layer = cache.hotspot_layers(
    config.fingerprint, version, role, layer, res, filters, period, k, fdr
)
if report.grid_warning:
    st.warning(report.grid_warning)
named_from = cache.store_as(config, role)  # names come from public sources only
# One view at a time, not tabs: a Leaflet map drawn in a hidden tab has no size and
# opens zoomed out to the whole world when its tab is chosen.
VIEWS = ("Emerging hot spots", "Gi* over the whole window")
view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="hs_view") or VIEWS[0]
if view == VIEWS[0]:
    if em_layer is None:
        st.warning(report.emerging_message or "No result.")
        if report.recurrence is not None:
            recurrence = report.recurrence.query("hot_periods > 0").sort_values(
                "hot_periods", ascending=False
            )
            recurrence.index.name = "cell"
            recurrence = with_place_names(named_from, recurrence).rename(
                columns={
                    "hot_periods": f"{period.title()}s hot",
                    "cold_periods": f"{period.title()}s cold",
                }
            )
            st.dataframe(recurrence, hide_index=True, width="stretch")
            export_buttons(store, "hot periods", table=recurrence, key="recurrence_download")
    else:
        m = build_map(area.centre, area.bounds, area.boundary, [em_layer], tiles=config.app.tiles)
        clicked = selected_cell_from_event(show_map(m, key=f"ehsa-{res}"), res)
        if clicked and clicked != st.session_state.get(state.KEY_CELL):
            st.session_state[state.KEY_CELL] = clicked
            st.switch_page(state.PROFILE_PAGE)
        export_buttons(store, "emerging hot spot layer", layer=em_layer, key="ehsa_download")
        st.subheader("Hot cells")
        table = hot_cells_table(report.hot_list(), role, res, config)
        table = with_place_names(named_from, table).rename(columns=HOT_LIST_HEADERS)
        if table.empty:
            st.info("No cell is an emerging, persistent or other hot spot in this window.")
        else:
            st.dataframe(table, hide_index=True, width="stretch")
            export_buttons(store, "hot cells", table=table, key="hot_download")
else:
    if gi_layer is None:
        st.warning(report.gi_message or "No result.")
    else:
        m = build_map(area.centre, area.bounds, area.boundary, [gi_layer], tiles=config.app.tiles)
        show_map(m, key=f"gi-{res}")
        export_buttons(store, "Gi* hot and cold spot layer", layer=gi_layer, key="gi_download")

cell = st.session_state.get(state.KEY_CELL)
if cell:
    st.subheader(f"Selected: {escape_markdown(place_names(named_from, [cell], res).iloc[0])}")
    st.caption(f"Cell id {cell}")
    z = report.emerging.z if report.emerging is not None else None
    bins = report.emerging.bins if report.emerging is not None else None
    series = cell_series(report.cube, z, bins, cell, role, res, config)
    if series is None:
        st.caption("This cell is not on the grid at this resolution, or its detail is withheld.")
    else:
        st.line_chart(series)
