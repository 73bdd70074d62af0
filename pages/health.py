"""Health and police: places where A&E treats assault victims that police records there
do not show."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.headers import human_headers
from geo.core.roles import Role
from geo.lenses.health_police_view import HEALTH_HEADERS
from ui import widgets
from ui.cache import health
from ui.context import page_context
from ui.exports import export_buttons
from ui.map import selected_cell_from_event

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
fp, version, role, res, filters = ctx.fp, ctx.version, ctx.role, ctx.res, ctx.filters
period = f"{filters.month_from} to {filters.month_to}"

st.title("Health and police")
st.caption(ctx.feeds_used(("ed_assaults", "incidents"), filters))
view = health.health_view(fp, version, role, res, filters)
if not view.loaded:
    st.info(
        f"No A&E assault (ISTV) feed is loaded for {period}, so there is nothing to compare "
        "with police records. An admin loads an emergency department's extract on the Data "
        "page (kind: istv)."
    )
    st.stop()
st.caption(f"{period} · resolution {res}. {escape_markdown(view.coverage)}")
if view.police_label is None:
    st.info(
        f"No police-recorded violence is loaded for {period}, so A&E assaults cannot be "
        "compared with police records. An admin loads police.uk street crime or a "
        "partner's incident extract on the Data page."
    )
    st.stop()
st.markdown(view.model)  # fixed words and figures
for note in view.notes:
    st.caption(note)


def shown(frame: pd.DataFrame, shares: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table as displayed (and exported): human headers, withheld cells in words."""
    return widgets.withheld_cells(human_headers(frame, HEALTH_HEADERS, shares=shares), role)


places = view.places
if places.empty:
    st.success(
        f"No place stands out in {period} at resolution {res}: nowhere is A&E's share of the "
        "records so much higher than the area's that chance is an unlikely explanation and "
        "the difference matters."
    )
else:
    one = len(places) == 1
    st.subheader(f"{len(places)} {'place' if one else 'places'} known to A&E more than to police")
    layer = health.health_layer(fp, version, role, res, filters)
    event = ctx.draw_map([layer], key=f"health-{res}")
    clicked = selected_cell_from_event(event, res)
    table = shown(places)
    st.dataframe(table, hide_index=True, width="stretch")
    with st.container(horizontal=True):
        export_buttons(ctx.store, "places known to A&E", table=table, key="health_download")
        export_buttons(ctx.store, "health layer", layer=layer, key="health_layer_download")
    if clicked in set(places["cell"]):
        row = places.loc[places["cell"] == clicked].iloc[0]
        st.caption(f"Selected on the map: {escape_markdown(row['place'])} (rank {row['rank']}).")
    for title, mix, key in (
        ("Means of assault at each place (share of its A&E assaults)", view.means, "means"),
        ("Time of week at each place (share of its A&E assaults)", view.times, "times"),
    ):
        st.markdown(f"**{title}**")
        mix_shares = tuple(c for c in mix.columns if c not in ("place", "cell"))
        mix_table = shown(mix, mix_shares)
        st.dataframe(mix_table, hide_index=True, width="stretch")
        export_buttons(ctx.store, f"{key} of places known to A&E", table=mix_table,
                       key=f"health_{key}_download")  # fmt: skip

if role != Role.PARTNERSHIP and not view.tested.empty:
    with st.expander(f"Every place tested ({len(view.tested):,})"):
        tested = shown(view.tested)
        st.dataframe(tested, hide_index=True, width="stretch")
        export_buttons(ctx.store, "places tested", table=tested, key="health_tested_download")
