"""Hotspots: Gi* and emerging hot spots on the H3 grid, with plain-English findings."""

from __future__ import annotations

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.roles import Role
from geo.disclosure.windows import window_label
from geo.lenses.hotspot_report import (
    HOT_LIST_HEADERS,
    TREND_MONTHS,
    TREND_RESOLUTION,
    no_hot_spot_message,
    trend_text,
    trend_window,
)
from geo.render.layers import cell_series, hot_cells_table
from geo.store.cube import LAYER_LABELS, LAYER_TABLES
from ui import state, widgets
from ui.cache import hotspots
from ui.context import page_context
from ui.exports import export_buttons
from ui.map import selected_cell_from_event

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
fp, version, role, res, filters = ctx.fp, ctx.version, ctx.role, ctx.res, ctx.filters
trend = trend_window(filters, ctx.months())

st.title("Hot spots")
st.caption(
    f"{window_label(filters)} · resolution {res} · emerging hot spots: "
    f"{trend_text(trend)}, up to the chosen period"
)
layer = st.selectbox(
    "What to look at",
    list(LAYER_LABELS),
    format_func=LAYER_LABELS.__getitem__,
    key="hs_layer",
)
health = layer == "ed_assaults"  # a feed of its own: "not loaded" rather than no events
used = (LAYER_TABLES[layer],) if health else ("incidents", "missing_episodes")
st.caption(ctx.feeds_used(used, trend))
if health and not ctx.loaded(LAYER_TABLES[layer], trend):
    st.info(widgets.not_loaded_note(layer, trend))
    st.stop()
with st.expander("How this is worked out"):
    st.markdown(
        "**Hot spots are places where harm clusters more than chance would give**, not just "
        "busy places. Getis-Ord Gi* compares each hexagon and its neighbours with the whole "
        "area (Esri's Hot Spot Analysis). **Emerging hot spots** add the trend: Gi* month by "
        f"month over the {TREND_MONTHS} months to the end of the chosen period, then a "
        "Mann-Kendall test of each place's trend (Esri's Emerging Hot Spot Analysis). "
        f"The trend is worked out on small hexagons (resolution {TREND_RESOLUTION}, about "
        "0.1 km²), where a street-corner pattern is not averaged away; a larger hexagon "
        "shows the pattern of the busiest small hexagon inside it."
    )
    c1, c2 = st.columns(2)
    k = c1.radio(
        "Neighbourhood (rings of hexagons)",
        [1, 2],
        horizontal=True,
        key="hs_k",
        help="2 rings smooth sparse data over a wider area.",
    )
    fdr = c2.toggle(
        "False discovery rate correction",
        value=True,
        key="hs_fdr",
        help="Benjamini-Hochberg over all hexagons (and months), as Esri does.",
    )

report = hotspots.hotspot_report(fp, version, role, layer, res, filters, k, fdr)
gi_layer, em_layer = hotspots.hotspot_layers(fp, version, role, layer, res, filters, k, fdr)
if report.grid_warning:
    st.warning(report.grid_warning)
# One view at a time, not tabs: a Leaflet map drawn in a hidden tab has no size and
# opens zoomed out to the whole world when its tab is chosen.
VIEWS = ("Emerging hot spots", "Hot spots in the chosen period")
view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="hs_view") or VIEWS[0]
if view == VIEWS[0]:
    if em_layer is None:
        st.warning(report.emerging_message or "No result.")
        if report.recurrence is not None:
            recurrence = report.recurrence.query("hot_periods > 0").sort_values(
                "hot_periods", ascending=False
            )
            recurrence.index.name = "cell"
            recurrence = ctx.with_place_names(recurrence).rename(
                columns={"hot_periods": "Months hot", "cold_periods": "Months cold"}
            )
            st.dataframe(recurrence, hide_index=True, width="stretch")
            export_buttons(ctx.store, "hot periods", table=recurrence, key="recurrence_download")
    else:
        table = hot_cells_table(report.hot_list(), role, res, ctx.config)
        if table.empty:
            st.info(no_hot_spot_message(report))
        clicked = selected_cell_from_event(ctx.draw_map([em_layer], key=f"ehsa-{res}"), res)
        if clicked and clicked != st.session_state.get(state.KEY_CELL):
            state.open_profile(clicked)
        export_buttons(ctx.store, "emerging hot spot layer", layer=em_layer, key="ehsa_download")
        if not table.empty:
            st.subheader(f"Hot spots: {trend_text(trend)}")
            table = ctx.with_place_names(table.drop(columns=["trend_p"]))
            table = table.rename(columns=HOT_LIST_HEADERS)
            st.dataframe(table, hide_index=True, width="stretch")
            export_buttons(ctx.store, "hot cells", table=table, key="hot_download")
else:
    if gi_layer is None:
        st.warning(report.gi_message or "No result.")
    else:
        st.caption(f"Gi* on the totals of {window_label(filters)}.")
        ctx.draw_map([gi_layer], key=f"gi-{res}")
        export_buttons(ctx.store, "Gi* hot and cold spot layer", layer=gi_layer, key="gi_download")

cell = st.session_state.get(state.KEY_CELL)
if cell:
    st.subheader(f"Selected: {escape_markdown(ctx.place_name(cell, res))}")
    st.caption(f"Cell id {cell}")
    z = report.emerging.z if report.emerging is not None else None
    bins = report.emerging.bins if report.emerging is not None else None
    series = cell_series(report.series, z, bins, cell, role, res, ctx.config)
    if series is None:
        st.caption("This cell is not on the grid at this resolution, or its detail is withheld.")
    else:
        st.line_chart(series)
