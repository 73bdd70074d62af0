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
from geo.render.maps import build_map
from ui import auth, cache, state
from ui.exports import export_buttons
from ui.map import selected_cell_from_event, show_map

auth.require_role(Role.ANALYST, Role.PARTNERSHIP)
config = cache.get_config()
store = cache.get_store(config)
version = store.data_version()
role = st.session_state["role"]
res = int(st.session_state[state.KEY_RES])
filters = cache.analysis_window(config.fingerprint, version, role, state.current_filters())
area = cache.get_area(config)

st.title("Recurring locations")
st.caption(
    cache.feeds_used(
        config.fingerprint,
        version,
        role,
        ("incidents", "missing_episodes", "youth_sessions"),
        filters,
    )
)
chosen_period = state.current_filters()
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
    st.markdown(method_in_words(WEIGHTS))
try:
    ranking = cache.recurring(config.fingerprint, version, role, res, filters)
except ValueError as exc:  # too few months for emerging hot spots
    st.warning(str(exc).capitalize() + ".")
    st.stop()

patterns = sorted(ranking["pattern"].unique())
c1, c2, c3 = st.columns([2, 2, 1])
chosen = c1.multiselect("Pattern over time", patterns, key="rec_categories")
active = c2.multiselect(
    "Layers active at the place",
    list(LAYER_WORDS),
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
    clusters = cache.cluster_map_layer(config.fingerprint, version, role, res, filters)
    if clusters is None:
        st.caption("Too few incidents to find clusters.")
    else:
        shown_layers.append(clusters)
m = build_map(area.centre, area.bounds, area.boundary, shown_layers, tiles=config.app.tiles)
clicked = selected_cell_from_event(show_map(m, key=f"recurring-{res}"), res)
if clicked:
    st.session_state[state.KEY_CELL] = clicked
    st.switch_page(state.PROFILE_PAGE)
with st.container(horizontal=True):
    export_buttons(store, "ranking layer", layer=map_layer, key="recurring_layer_download")
    if len(shown_layers) > 1:
        export_buttons(store, "cluster layer", layer=shown_layers[1], key="clusters_download")

columns = list(PUBLIC_COLUMNS) if role == Role.PARTNERSHIP else list(shown.columns)
columns = [c for c in columns if c not in HIDDEN_COLUMNS]
columns = [c for c in columns if c != "cell"] + ["cell"]  # the id last, one look away
table = shown[columns]
displayed = human_headers(table)  # what is shown is what is exported
st.dataframe(displayed, hide_index=True, width="stretch")
export_buttons(store, "recurring locations", table=displayed, key="recurring_download")
names = dict(zip(table["cell"], table["place"], strict=True))
pick = st.selectbox(
    "Open a place's profile",
    table["cell"].tolist(),
    index=None,
    key="rec_profile",
    format_func=lambda c: names.get(c, c),
)
if pick:
    st.session_state[state.KEY_CELL] = pick
    st.switch_page(state.PROFILE_PAGE)

st.subheader("Near repeats")
knox = cache.knox(config.fingerprint, version, role, filters)
untimed = cache.untimed_note(config.fingerprint, version, role, filters)
if untimed:
    st.caption(untimed)
if knox is None:
    if not untimed:
        st.caption("Too few incidents with a time of day for a near-repeat test.")
else:
    st.write(cache.knox_verdict(config.fingerprint, version, role, filters))
    st.markdown("**How much more often than chance incidents follow one another**")
    st.caption(
        "Knox ratio by distance (rows) and time (columns) between pairs of incidents: "
        "1 is what chance gives; 2 means twice as many pairs as chance."
    )
    ratios = knox.ratio.round(2).rename_axis("Distance")
    st.dataframe(ratios, width="stretch")
    export_buttons(store, "Knox ratios", table=ratios, key="knox_ratio_download")
    with st.expander("How this is worked out"):
        st.caption(
            "Each ratio is the observed number of pairs over the number expected when times are "
            f"shuffled among places ({knox.permutations:,} shuffles); the p-value is the share "
            "of shuffles with at least as many pairs. A pattern is named only when the ratio "
            "is 1.2 or more and significant once the combinations tried are allowed for."
        )
        st.markdown("**p-value of each ratio**")
        st.dataframe(knox.p.round(3).rename_axis("Distance"), width="stretch")
        export_buttons(store, "Knox p-values", table=knox.p.round(3), key="knox_p_download")
        if role != Role.PARTNERSHIP:
            st.markdown("**Observed pairs**")
            st.dataframe(knox.observed.rename_axis("Distance"), width="stretch")
            export_buttons(
                store, "Knox observed pairs", table=knox.observed, key="knox_obs_download"
            )
            st.markdown("**Expected pairs (mean of the shuffles)**")
            st.dataframe(knox.expected.round(1).rename_axis("Distance"), width="stretch")
            export_buttons(
                store, "Knox expected pairs", table=knox.expected.round(1), key="knox_exp_download"
            )
    if role != Role.PARTNERSHIP:
        with st.expander("Near-repeat chains (incidents within 100 m and 7 days of another)"):
            chain_table = human_headers(cache.chains(config.fingerprint, version, res, filters))
            st.dataframe(chain_table.head(50), hide_index=True, width="stretch")
            st.caption(f"{len(chain_table):,} chains; the largest 50 shown.")
            export_buttons(
                store, "near-repeat chains", table=chain_table.head(50), key="chains_download"
            )
