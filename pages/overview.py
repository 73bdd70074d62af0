"""Overview: the layered hex map, KPI tiles, month-by-month playback and the selected cell."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.lenses.story import story_quarter
from geo.render.hexlayer import HexLayer
from geo.render.maps import build_map
from ui import auth, cache, playback, state, widgets
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

st.title(f"Overview — {escape_markdown(area.name)}")
quarter = story_quarter(filters, cache.months(config.fingerprint, version))
if quarter is not None:  # the meeting's first page, one click away
    told = cache.quarter_story(config.fingerprint, version, role, res, quarter)[0]
    st.page_link(
        str(state.STORY_PAGE),
        label=f"**The quarter's story** — {told.summary()}",
        icon=":material/newspaper:",
    )
st.caption(
    cache.feeds_used(
        config.fingerprint,
        version,
        role,
        ("incidents", "missing_episodes", "youth_sessions"),
        filters,
    )
)
st.caption(f"{filters.month_from} to {filters.month_to} · resolution {res} · viewing as {role}")
widgets.kpi_tiles(
    cache.kpis(config.fingerprint, version, role, filters),
    cache.kpi_coverage(config.fingerprint, version, role, filters),
)
protected = cache.protected_note(config.fingerprint, version, filters)
if role == Role.PARTNERSHIP and protected:
    st.caption(protected)

shown = widgets.map_layer_select()
LAYER_KEYS = ("incidents", "missing", "youth_work")


def with_shown(layers: tuple[HexLayer, ...]) -> list[HexLayer]:
    """The layers with the chosen ones switched on (the others can be ticked on the map)."""
    return [replace(x, show=k in shown) for k, x in zip(LAYER_KEYS, layers, strict=True)]


layers = with_shown(cache.overview_map_layers(config.fingerprint, version, role, res, filters))
markers = cache.school_markers(config.fingerprint, version) if "schools" in shown else ()
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
    (f"{len(markers):,} schools shown as markers (red: alternative provision). " if markers else "")
    + "Hexagons show where incidents were recorded; blank areas had none."
)
school_points = pd.DataFrame(
    [(name, ap, lat, lng) for lat, lng, name, ap in markers],
    columns=["name", "alternative_provision", "latitude", "longitude"],
)
with st.container(horizontal=True):
    export_buttons(store, "incident layer", layer=layers[0], key="overview_download")
    export_buttons(store, "missing layer", layer=layers[1], key="overview_missing_download")
    export_buttons(store, "youth-work layer", layer=layers[2], key="overview_youth_download")
    if markers:
        export_buttons(store, "schools", table=school_points, key="overview_schools_download")

st.subheader("Month by month" if role != Role.PARTNERSHIP else "Quarter by quarter")


steps = playback.playback_steps(role, filters, cache.months(config.fingerprint, version))


def draw_step(label: str, step: Filters) -> None:
    """One step of the playback: the same layers for that month (or quarter), on legend
    bands shared by every step."""
    bands = playback.playback_bands(
        config.fingerprint, version, role, res, tuple(f for _, f in steps)
    )
    step_layers = with_shown(
        playback.on_window_bands(
            cache.overview_layers(config.fingerprint, version, role, res, step), bands
        )
    )
    show_map(
        build_map(area.centre, area.bounds, area.boundary, step_layers, tiles=config.app.tiles),
        key=f"overview-play-map-{res}",
    )
    cells = len(step_layers[0].geojson["features"])
    st.caption(f"Showing {label}: incidents recorded in {cells:,} hexagons.")
    export_buttons(
        store, f"incident layer {label}", layer=step_layers[0], key="overview_play_download"
    )


playback.playback(
    steps,
    draw_step,
    unit="quarter" if role == Role.PARTNERSHIP else "month",
)

st.subheader("Neighbourhoods: harm per 1,000 residents")
if role == Role.PARTNERSHIP:
    st.caption(
        "Neighbourhood rates are shown to analysts only: counts by LSOA beside counts by "
        "hexagon could be differenced to single out a record."
    )
else:
    rates = cache.neighbourhood_rates(config.fingerprint, version, filters)
    if isinstance(rates, str):
        st.info(f"No neighbourhood rates: {escape_markdown(rates)}.")
    else:
        st.caption(
            f"{filters.month_from} to {filters.month_to} · highest rate first · "
            "a rate on a few hundred residents moves a lot with a few records: read the "
            "“Higher than the area” column, which allows for that."
        )
        table = rates.display()
        st.dataframe(table, hide_index=True, width="stretch")
        export_buttons(store, "neighbourhood rates", table=table, key="overview_neighbourhoods")
        for note in rates.notes:
            st.caption(escape_markdown(note))
