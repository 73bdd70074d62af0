"""Recurring locations: the ranked list the violence-reduction group works from."""

from __future__ import annotations

import streamlit as st

from geo.core.headers import human_headers
from geo.core.roles import Role
from geo.disclosure.windows import window_label
from geo.lenses.recurring import (
    HIDDEN_COLUMNS,
    LAYER_WORDS,
    PUBLIC_COLUMNS,
    WEIGHTS,
    filter_ranking,
    method_in_words,
)
from geo.render.layers import ranking_layer_from
from ui import state
from ui.cache import recurring
from ui.context import page_context
from ui.exports import export_buttons
from ui.map import selected_cell_from_event
from ui.sections.recurring import near_repeats

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
fp, version, role, res, filters = ctx.fp, ctx.version, ctx.role, ctx.res, ctx.window()

st.title("Recurring locations")
st.caption(
    ctx.feeds_used(("incidents", "missing_episodes", "ed_assaults", "youth_sessions"), filters)
)
chosen_period = ctx.filters
if filters != chosen_period:  # the partnership's ranking runs over a whole calendar year
    st.caption(
        f"Ranked over {window_label(filters)} · resolution {res}. A ranking needs a year of "
        f"data; for {window_label(chosen_period)} the partnership's longer analyses use whole "
        "calendar years, so that no set of months can be worked out by comparing two of them. "
        "What changed this quarter is on **This quarter**."
    )
else:
    st.caption(f"{filters.month_from} to {filters.month_to} · resolution {res}")
with st.expander("How this is worked out"):
    st.markdown(method_in_words(WEIGHTS, health=ctx.loaded("ed_assaults", filters)))
try:
    ranking = recurring.recurring(fp, version, role, res, filters)
except ValueError as exc:  # too few months for emerging hot spots
    st.warning(str(exc).capitalize() + ".")
    st.stop()

patterns = sorted(ranking["pattern"].unique())
c1, c2, c3 = st.columns([2, 2, 1])
chosen = c1.multiselect("Pattern over time", patterns, key="rec_categories")
active = c2.multiselect(
    "Layers active at the place",
    [k for k in LAYER_WORDS if f"n_{k}" in ranking.columns],  # layers the ranking read
    format_func=LAYER_WORDS.__getitem__,
    key="rec_layers",
)
top = c3.select_slider("Show the top", [10, 20, 50, 100], value=20, key="rec_top")
shown = filter_ranking(ranking, chosen, active).head(int(top))
escalated = int(shown["escalate"].sum())
if escalated:
    st.warning(f"{escalated} place(s) flagged for escalation: new or intensifying hot spots.")

# the map's labels say the pattern in words, as the table does
map_layer = ranking_layer_from(ranking.assign(category=ranking["pattern"]), int(top))
shown_layers = [map_layer]
if st.toggle("Show clusters (HDBSCAN, matched month to month)", key="rec_clusters"):
    clusters = recurring.cluster_map_layer(fp, version, role, res, filters)
    if clusters is None:
        st.caption("Too few incidents to find clusters.")
    else:
        shown_layers.append(clusters)
clicked = selected_cell_from_event(ctx.draw_map(shown_layers, key=f"recurring-{res}"), res)
if clicked:
    state.open_profile(clicked)
with st.container(horizontal=True):
    export_buttons(ctx.store, "ranking layer", layer=map_layer, key="recurring_layer_download")
    if len(shown_layers) > 1:
        export_buttons(ctx.store, "cluster layer", layer=shown_layers[1], key="clusters_download")

columns = list(PUBLIC_COLUMNS) if role == Role.PARTNERSHIP else list(shown.columns)
columns = [c for c in columns if c not in HIDDEN_COLUMNS]
columns = [c for c in columns if c != "cell"] + ["cell"]  # the id last, one look away
table = shown[columns]
displayed = human_headers(table)  # what is shown is what is exported
st.dataframe(displayed, hide_index=True, width="stretch")
export_buttons(ctx.store, "recurring locations", table=displayed, key="recurring_download")
names = dict(zip(table["cell"], table["place"], strict=True))
pick = st.selectbox(
    "Open a place's profile",
    table["cell"].tolist(),
    index=None,
    key="rec_profile",
    format_func=lambda c: names.get(c, c),
)
if pick:
    state.open_profile(pick)

near_repeats(ctx, filters)
