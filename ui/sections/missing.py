"""The Missing from home page's tables and tabs: the measures in words, and the found
places, interview themes, schools and home areas."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from geo.core.headers import human_headers
from geo.lenses.missing_view import MissingView
from ui import state, widgets
from ui.cache.missing import missing_map_layers
from ui.cache.overview import ed_assault_layers
from ui.context import PageContext
from ui.exports import export_buttons
from ui.map import selected_cell_from_event

__all__ = ["THEME_HEADERS", "download", "measures_table", "missing_tabs"]

THEME_HEADERS = {
    "count": "Interviews mentioning it",
    "repeat_children_count": "Of which with repeat missing children",
}


def download(ctx: PageContext, table: pd.DataFrame, what: str, key: str) -> None:
    """The download of one of the page's tables, exactly as shown."""
    export_buttons(ctx.store, f"missing: {what}", table=table, key=f"missing_download_{key}")


def measures_table(measures: pd.DataFrame, role: str) -> pd.DataFrame:
    """The measures in words: shares as percentages, withheld figures saying so."""
    out = measures.round(3).astype(object)
    for label in out.index:
        if "share" in str(label).lower():
            out.loc[label] = [
                v
                if pd.isna(v)
                else f"{100 * float(v):+.0f} points"
                if col == "change"
                else f"{100 * float(v):.0f}%"
                for col, v in out.loc[label].items()
            ]
    return widgets.withheld_cells(human_headers(out), role)


def missing_tabs(ctx: PageContext, view: MissingView) -> None:
    """The tabs: found and last-seen places (map and tables), interview themes, schools
    and home areas."""
    role = ctx.role
    places_tab, themes_tab, schools_tab, homes_tab = st.tabs(
        ["Found and last-seen places", "Interview themes", "Schools", "Home areas"]
    )
    with places_tab:
        found_places(ctx, view)
    with themes_tab:
        st.subheader("Return-home interview themes")
        themes = widgets.withheld_cells(human_headers(view.themes, THEME_HEADERS), role)
        st.dataframe(themes, width="stretch")
        download(ctx, themes, "interview themes", "theme_counts")
        if view.themes_monthly is not None and len(view.themes_monthly):
            st.line_chart(view.themes_monthly)
        repeat_only = st.toggle("Repeat missing children only", key="missing_repeat_only")
        table = widgets.withheld_cells(
            human_headers(view.theme_areas_repeat if repeat_only else view.theme_areas), role
        )
        st.dataframe(table, hide_index=True, width="stretch")
        download(ctx, table, "themes by area", "themes")
    with schools_tab:
        st.caption(
            "Episodes and children by the school the child attends; a child on roll at two "
            "schools (dual registration) counts once at each."
        )
        school_rows = widgets.withheld_cells(human_headers(view.schools), role)
        st.dataframe(school_rows, hide_index=True, width="stretch")
        download(ctx, school_rows, "schools", "schools")
    with homes_tab:
        st.caption("Home areas are never shown finer than resolution 7 (about 5 km²) or LSOA.")
        homes = widgets.withheld_cells(human_headers(view.home_areas), role)
        st.dataframe(homes, hide_index=True, width="stretch")
        download(ctx, homes, "home areas", "homes")


def found_places(ctx: PageContext, view: MissingView) -> None:
    """The found and last-seen places: the map (a click opens a place's profile), the
    places hot for missing episodes and for SYV, and the places' table."""
    role, res, store = ctx.role, ctx.res, ctx.store
    found_layer, overlap_layer = missing_map_layers(ctx.fp, ctx.version, role, res, ctx.filters)
    assaults = ed_assault_layers(
        ctx.fp, ctx.version, role, res, ctx.filters, ctx.loaded("ed_assaults")
    )
    # the found places drawn; A&E assaults (where loaded) can be ticked on the map
    layers = [replace(found_layer, show=True), *assaults, overlap_layer]
    clicked = selected_cell_from_event(ctx.draw_map(layers, key=f"missing-{res}"), res)
    if clicked:
        state.open_profile(clicked)
    with st.container(horizontal=True):
        export_buttons(
            store, "missing: found layer", layer=found_layer, key="missing_download_found_layer"
        )
        export_buttons(
            store, "missing: SYV overlap layer", layer=overlap_layer, key="missing_download_ol"
        )
    st.subheader("Places hot for missing episodes and for SYV")
    if view.overlap.empty:
        st.caption("No place is a hot spot of both in this period.")
    else:
        overlap = widgets.withheld_cells(human_headers(ctx.with_place_names(view.overlap)), role)
        st.dataframe(overlap, hide_index=True, width="stretch")
        download(ctx, overlap, "places hot for both", "overlap")
    st.subheader("Found and last-seen places")
    st.caption(f"Resolution {view.res}; quarters active counts the last {view.quarters} quarters.")
    places = widgets.withheld_cells(human_headers(ctx.with_place_names(view.places)), role)
    st.dataframe(places, hide_index=True, width="stretch")
    download(ctx, places, "found places", "places")
