"""Location profile: one place, every layer, and its living multi-agency assessment."""

from __future__ import annotations

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.roles import Role
from geo.lenses.recurring import ranking_entry
from geo.render.layers import neighbourhood_layer
from ui import state
from ui.cache import hotspots, recurring
from ui.cache import profile as profiles
from ui.context import page_context
from ui.exports import export_buttons
from ui.map import show_map
from ui.sections.profile import SERIES_WORDS, pick_a_place, profile_tabs

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
fp, version, role, res, filters = ctx.fp, ctx.version, ctx.role, ctx.res, ctx.window()

st.title("Location profile")
cell = state.profile_cell(role, ctx.config)
if cell is None:
    pick_a_place(ctx, filters)
    st.stop()

profile = profiles.profile(fp, version, role, cell, filters)
st.subheader(escape_markdown(ctx.place_name(cell, profile.res)))
st.caption(
    f"Cell id {cell} (resolution {profile.res}) · {filters.month_from} to {filters.month_to}"
)
left, right = st.columns([2, 3])
with left:
    ring = neighbourhood_layer(cell, profile.neighbours)
    show_map(ctx.map([ring]), key="profile-map", height=320)
    export_buttons(ctx.store, "place outline", layer=ring, key="profile_ring_download")
with right:
    st.subheader("Over time")
    st.line_chart(profile.series.rename(columns=SERIES_WORDS))
    if role == Role.PARTNERSHIP:
        st.caption("Quarterly figures as on the Overview; small numbers withheld (gaps).")

# the ranking the Recurring page lists (its resolution and window), so a place's rank
# here is the rank shown there, whatever resolution the selected hexagon has
try:
    ranked = ranking_entry(recurring.recurring(fp, version, role, res, filters), cell)
except ValueError:  # too few months for the ranking
    ranked = None
MATCH_WORDS = {
    "place": "",
    "part": " (as part of the place around {place})",
    "inside": " (this hexagon lies in {place}, ranked at resolution {res})",
    "contains": " (the best-ranked place in this area is {place})",
}
history = hotspots.cell_hotspot_history(fp, version, role, cell, filters)
c1, c2 = st.columns(2)
with c1:
    st.subheader("As a recurring location")
    if ranked is None:
        st.caption(f"Not among the ranked recurring locations in this window at resolution {res}.")
    else:
        where = MATCH_WORDS[str(ranked["match"])].format(place=ranked["place"], res=res)
        st.text(f"Rank {ranked['rank']}{where}, score {ranked['score']:.2f}")
        st.caption(f"Pattern over time: {ranked['pattern']}.")
        st.text(str(ranked["reasons"]))
        if role != Role.PARTNERSHIP:
            st.caption(
                f"Near-repeat activity: {int(ranked['chain_events']):,} incidents here "
                "belong to near-repeat chains (within 100 m and 7 days of another)."
            )
with c2:
    st.subheader("Emerging hot spot history")
    if history is None:
        st.caption("Not available for this window (at least 10 months are needed).")
    else:
        st.text(history[0])
        st.bar_chart(history[1])

profile_tabs(ctx, cell, profile)
