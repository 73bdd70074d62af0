"""Overview: the layered hex map, KPI tiles, month-by-month playback and the selected cell."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.disclosure.views import playback_steps
from geo.lenses.story import story_quarter
from geo.render.hexlayer import HexLayer
from ui import playback, state, widgets
from ui.cache import overview
from ui.cache.story import quarter_summary
from ui.context import page_context
from ui.exports import export_buttons
from ui.map import selected_cell_from_event

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
fp, version, role, res, filters = ctx.fp, ctx.version, ctx.role, ctx.res, ctx.filters

st.title(f"Overview — {escape_markdown(ctx.area.name)}")
quarter = story_quarter(filters, ctx.months())
if quarter is not None:  # the meeting's first page, one click away
    st.page_link(
        str(state.STORY_PAGE),
        label=f"**The quarter's story** — {quarter_summary(fp, version, role, res, quarter)}",
        icon=":material/newspaper:",
    )
st.caption(
    ctx.feeds_used(("incidents", "missing_episodes", "ed_assaults", "youth_sessions"), filters)
)
st.caption(f"{filters.month_from} to {filters.month_to} · resolution {res} · viewing as {role}")
widgets.kpi_tiles(
    overview.kpis(fp, version, role, filters), overview.kpi_coverage(fp, version, role, filters)
)
protected = overview.protected_note(fp, version, filters)
if role == Role.PARTNERSHIP and protected:
    st.caption(protected)

shown = widgets.map_layer_select()
ed_held = ctx.loaded("ed_assaults")
if "ed_assaults" in shown and not ed_held:
    st.info(widgets.not_loaded_note("ed_assaults", filters))
LAYER_KEYS = ("incidents", "missing", "youth_work", "ed_assaults")
DRAWN = ("incidents", "missing", "ed_assaults", "youth_work")  # the outline over the fills


def with_shown(layers: tuple[HexLayer, ...]) -> dict[str, HexLayer]:
    """The layers with the chosen ones switched on (the others can be ticked on the map),
    in drawing order; A&E assaults only where an emergency department feed is loaded."""
    by_key = dict(zip(LAYER_KEYS, layers, strict=True))
    keys = [k for k in DRAWN if k != "ed_assaults" or ed_held]
    return {k: replace(by_key[k], show=k in shown) for k in keys}


def map_layers(r: int) -> dict[str, HexLayer]:
    """The map's layers at resolution ``r`` (coarser ones for a view with too many)."""
    return with_shown(overview.overview_map_layers(fp, version, role, r, filters))


layers = map_layers(res)
markers = overview.school_markers(fp, version) if "schools" in shown else ()
event = ctx.draw_map(
    list(layers.values()),
    f"overview-map-{res}",
    markers,
    coarser=lambda r: [*map_layers(r).values()],
)
clicked = selected_cell_from_event(event, res)
if clicked and clicked != st.session_state.get(state.KEY_CELL):
    state.open_profile(clicked)

cell = st.session_state.get(state.KEY_CELL)
if cell:
    st.subheader("Selected cell")
    st.text(overview.cell_summary(fp, version, role, res, filters, cell))
st.caption(
    (f"{len(markers):,} schools shown as markers (red: alternative provision). " if markers else "")
    + "Hexagons show where incidents were recorded; blank areas had none."
)
school_points = pd.DataFrame(
    [(name, ap, lat, lng) for lat, lng, name, ap in markers],
    columns=["name", "alternative_provision", "latitude", "longitude"],
)
with st.container(horizontal=True):
    export_buttons(ctx.store, "incident layer", layer=layers["incidents"], key="overview_download")
    export_buttons(
        ctx.store, "missing layer", layer=layers["missing"], key="overview_missing_download"
    )
    export_buttons(
        ctx.store, "youth-work layer", layer=layers["youth_work"], key="overview_youth_download"
    )
    if ed_held:
        export_buttons(ctx.store, "A&E layer", layer=layers["ed_assaults"], key="overview_ed_dl")
    if markers:
        export_buttons(ctx.store, "schools", table=school_points, key="overview_schools_download")

st.subheader("Month by month" if role != Role.PARTNERSHIP else "Quarter by quarter")
steps = playback_steps(role, filters, ctx.months())


def draw_step(label: str, step: Filters) -> None:
    """One step of the playback: the same layers for that month (or quarter), on legend
    bands shared by every step."""

    def at(r: int) -> dict[str, HexLayer]:
        bands = playback.playback_bands(fp, version, role, r, tuple(f for _, f in steps))
        return with_shown(
            playback.on_window_bands(overview.overview_layers(fp, version, role, r, step), bands)
        )

    step_layers = at(res)
    ctx.draw_map(
        list(step_layers.values()),
        key=f"overview-play-map-{res}",
        coarser=lambda r: list(at(r).values()),
    )
    cells = len(step_layers["incidents"].geojson["features"])
    st.caption(f"Showing {label}: incidents recorded in {cells:,} hexagons.")
    export_buttons(
        ctx.store,
        f"incident layer {label}",
        layer=step_layers["incidents"],
        key="overview_play_download",
    )


playback.playback(steps, draw_step, unit="quarter" if role == Role.PARTNERSHIP else "month")

st.subheader("Neighbourhoods: harm per 1,000 residents")
if role == Role.PARTNERSHIP:
    st.caption(
        "Neighbourhood rates are shown to analysts only: counts by LSOA beside counts by "
        "hexagon could be differenced to single out a record."
    )
else:
    rates = overview.neighbourhood_rates(fp, version, filters)
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
        export_buttons(ctx.store, "neighbourhood rates", table=table, key="overview_neighbourhoods")
        for note in rates.notes:
            st.caption(escape_markdown(note))
