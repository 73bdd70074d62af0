"""Missing from home: where children are found, what their interviews say, their schools."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from geo.core.headers import human_headers
from geo.core.roles import Role
from geo.disclosure.missing import withheld_note
from geo.render.maps import build_map
from geo.store import catalogue
from geo.store.place_names import with_place_names
from ui import auth, cache, state, widgets
from ui.exports import export_buttons
from ui.map import selected_cell_from_event, show_map

auth.require_role(Role.ANALYST, Role.PARTNERSHIP)
config = cache.get_config()
store = cache.get_store(config)
version = store.data_version()
role = st.session_state["role"]
res = int(st.session_state[state.KEY_RES])
filters = state.current_filters()
area = cache.get_area(config)
partnership = role == Role.PARTNERSHIP
AREA_UNITS = {7: "Found place (resolution 7)", 8: "Found place (resolution 8)", "home": "Home area"}


def download(table: pd.DataFrame, what: str, key: str) -> None:
    export_buttons(store, f"missing: {what}", table=table, key=f"missing_download_{key}")


st.title("Missing from home")
if not catalogue.loaded(cache.feeds(config.fingerprint, version, role), "missing_episodes"):
    st.info(
        "No missing-from-home feed is loaded, so this page has nothing to show. An admin "
        "loads missing episodes on the Data page (kind: missing)."
    )
    st.stop()
previous = filters.previous()
st.caption(
    f"Episodes reported {filters.month_from} to {filters.month_to}, compared with "
    f"{previous.month_from} to {previous.month_to}. A repeat missing child went missing 3 or "
    "more times within 90 days."
    + (" " + withheld_note(config.disclosure.min_count) if partnership else "")
)
area_key = st.radio(
    "Areas for the interview themes",
    list(AREA_UNITS),
    format_func=AREA_UNITS.__getitem__,
    horizontal=True,
    key="missing_area_unit",
)
view = cache.missing_view(config.fingerprint, version, role, res, area_key, filters)

m = view.measures
#: Headline tiles: value format, change format and whether a rise is bad news.
TILES = {
    "Episodes reported": ("{:,.0f}", "{:+,.0f}", True),
    "Children (distinct)": ("{:,.0f}", "{:+,.0f}", True),
    "Children missing 3 or more times in 90 days": ("{:,.0f}", "{:+,.0f}", True),
    "Share of due interviews completed within 72 hours": ("{:.0%}", "{:+.0%} points", False),
}
for col, (label, (value_fmt, change_fmt, rise_is_worse)) in zip(
    st.columns(4), TILES.items(), strict=True
):
    now, change = m.loc[label, "current"], m.loc[label, "change"]
    delta = widgets.change_delta(float(change), higher_is_worse=rise_is_worse)
    if delta["delta"] is not None:
        delta["delta"] = change_fmt.format(change).replace("% points", " points")
    col.metric(label, "withheld" if pd.isna(now) else value_fmt.format(now), **delta)
THEME_HEADERS = {
    "count": "Interviews mentioning it",
    "repeat_children_count": "Of which with repeat missing children",
}


def measures_table(measures: pd.DataFrame) -> pd.DataFrame:
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


with st.expander("All measures"):
    measures = measures_table(m)
    st.dataframe(measures, width="stretch")
    download(measures, "measures", "measures")

places_tab, themes_tab, schools_tab, homes_tab = st.tabs(
    ["Found and last-seen places", "Interview themes", "Schools", "Home areas"]
)
with places_tab:
    found_layer, overlap_layer = cache.missing_map_layers(
        config.fingerprint, version, role, res, filters
    )
    fmap = build_map(
        area.centre,
        area.bounds,
        area.boundary,
        [replace(found_layer, show=True), overlap_layer],  # the found places, drawn
        tiles=config.app.tiles,
    )
    clicked = selected_cell_from_event(show_map(fmap, key=f"missing-{res}"), res)
    if clicked:
        st.session_state[state.KEY_CELL] = clicked
        st.switch_page(state.PROFILE_PAGE)
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
        overlap = widgets.withheld_cells(
            human_headers(with_place_names(cache.store_as(config, role), view.overlap)), role
        )
        st.dataframe(overlap, hide_index=True, width="stretch")
        download(overlap, "places hot for both", "overlap")
    st.subheader("Found and last-seen places")
    st.caption(f"Resolution {view.res}; quarters active counts the last {view.quarters} quarters.")
    places = widgets.withheld_cells(
        human_headers(with_place_names(cache.store_as(config, role), view.places)), role
    )
    st.dataframe(places, hide_index=True, width="stretch")
    download(places, "found places", "places")
with themes_tab:
    st.subheader("Return-home interview themes")
    themes = widgets.withheld_cells(human_headers(view.themes, THEME_HEADERS), role)
    st.dataframe(themes, width="stretch")
    download(themes, "interview themes", "theme_counts")
    if view.themes_monthly is not None and len(view.themes_monthly):
        st.line_chart(view.themes_monthly)
    repeat_only = st.toggle("Repeat missing children only", key="missing_repeat_only")
    table = widgets.withheld_cells(
        human_headers(view.theme_areas_repeat if repeat_only else view.theme_areas), role
    )
    st.dataframe(table, hide_index=True, width="stretch")
    download(table, "themes by area", "themes")
with schools_tab:
    st.caption(
        "Episodes and children by the school the child attends; a child on roll at two "
        "schools (dual registration) counts once at each."
    )
    school_rows = widgets.withheld_cells(human_headers(view.schools), role)
    st.dataframe(school_rows, hide_index=True, width="stretch")
    download(school_rows, "schools", "schools")
with homes_tab:
    st.caption("Home areas are never shown finer than resolution 7 (about 5 km²) or LSOA.")
    homes = widgets.withheld_cells(human_headers(view.home_areas), role)
    st.dataframe(homes, hide_index=True, width="stretch")
    download(homes, "home areas", "homes")
