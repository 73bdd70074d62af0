"""Location profile: one place, every layer, and its living multi-agency assessment."""

from __future__ import annotations

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.headers import human_headers
from geo.core.roles import Role
from geo.core.time_of_week import DEFAULT_BLOCK_LABELS
from geo.lenses.profiles import ASSESSMENT_HEADINGS
from geo.lenses.recurring import ranking_entry
from geo.render.layers import neighbourhood_layer
from geo.render.maps import build_map
from geo.store import catalogue
from geo.store.place_names import place_names
from ui import auth, cache, state
from ui.exports import export_buttons
from ui.map import show_map

#: The profile's series in words (chart legend).
SERIES_WORDS = {
    "incidents": "Incidents",
    "knife_crime": "Knife crime",
    "missing_episodes": "Missing episodes",
    "harmful_sexual_behaviour": "Harmful sexual behaviour",
}

auth.require_role(Role.ANALYST, Role.PARTNERSHIP)
config = cache.get_config()
store = cache.get_store(config)
version = store.data_version()
role = st.session_state["role"]
res = int(st.session_state[state.KEY_RES])
filters = cache.analysis_window(config.fingerprint, version, role, state.current_filters())
area = cache.get_area(config)

st.title("Location profile")
cell = state.profile_cell(role, config)
if cell is None:
    st.info(
        "Click a hexagon on any map, or pick a place from the recurring locations, "
        "to open its profile."
    )
    try:
        ranking = cache.recurring(config.fingerprint, version, role, res, filters)
    except ValueError as exc:  # too few months for the ranking: say so, offer the map
        st.caption(f"No ranked places to pick from: {exc}.")
        st.stop()
    if len(ranking):
        names = dict(zip(ranking["cell"], ranking["place"], strict=True))
        pick = st.selectbox(
            "Top recurring locations",
            ranking["cell"].head(20).tolist(),
            index=None,
            key="profile_pick",
            format_func=lambda c: names.get(c, c),
        )
        if pick:
            st.session_state[state.KEY_CELL] = pick
            st.rerun()
    st.stop()

profile = cache.profile(config.fingerprint, version, role, cell, filters)
st.subheader(
    escape_markdown(place_names(cache.store_as(config, role), [cell], profile.res).iloc[0])
)
st.caption(
    f"Cell id {cell} (resolution {profile.res}) · {filters.month_from} to {filters.month_to}"
)
left, right = st.columns([2, 3])
with left:
    ring = neighbourhood_layer(cell, profile.neighbours)
    m = build_map(area.centre, area.bounds, area.boundary, [ring], tiles=config.app.tiles)
    show_map(m, key="profile-map", height=320)
    export_buttons(store, "place outline", layer=ring, key="profile_ring_download")
with right:
    st.subheader("Over time")
    st.line_chart(profile.series.rename(columns=SERIES_WORDS))
    if role == Role.PARTNERSHIP:
        st.caption("Quarterly figures as on the Overview; small numbers withheld (gaps).")

# the ranking the Recurring page lists (its resolution and window), so a place's rank
# here is the rank shown there, whatever resolution the selected hexagon has
try:
    ranked = ranking_entry(cache.recurring(config.fingerprint, version, role, res, filters), cell)
except ValueError:  # too few months for the ranking
    ranked = None
MATCH_WORDS = {
    "place": "",
    "part": " (as part of the place around {place})",
    "inside": " (this hexagon lies in {place}, ranked at resolution {res})",
    "contains": " (the best-ranked place in this area is {place})",
}
history = cache.cell_hotspot_history(config.fingerprint, version, role, cell, filters)
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

feeds = cache.feeds(config.fingerprint, version, role)
tabs = st.tabs(["When", "Schools nearby", "Youth work", "Missing episodes", "Assessment"])
with tabs[0]:
    if profile.time_of_week is None:
        st.caption("Time-of-week detail is available to analysts.")
    elif not profile.time_of_week.to_numpy().any():  # no timed incident: no grid of zeros
        st.info(
            "No incident here in this window is timed to the hour: "
            f"{profile.time_of_week_left_out:,} known only to the month (police.uk publishes "
            "street crime by month) are left out, so there is no time-of-week pattern to show."
        )
    else:
        when = human_headers(profile.time_of_week)
        st.dataframe(when, width="stretch")
        export_buttons(store, "time of week", table=when, key="profile_when_dl")
        st.caption(
            f"Incidents by day and hour; {profile.time_of_week_left_out:,} without a "
            "time of day left out."
        )
with tabs[1]:
    schools = human_headers(profile.schools, {"name": "School"})
    st.dataframe(schools, hide_index=True, width="stretch")
    export_buttons(store, "schools nearby", table=schools, key="profile_schools_dl")
with tabs[2]:
    table = human_headers(profile.youth_work.rename(index=DEFAULT_BLOCK_LABELS))
    if not catalogue.loaded(feeds, "youth_sessions"):
        st.info("No youth-work feed is loaded, so youth-work coverage cannot be shown.")
    else:
        st.dataframe(table, width="stretch")
        st.caption(f"Youth-work sessions within {profile.reach_m:.0f} m, by time of week.")
        export_buttons(store, "youth work nearby", table=table, key="profile_youth_dl")
with tabs[3]:
    if not catalogue.loaded(feeds, "missing_episodes"):
        st.info("No missing-from-home feed is loaded.")
    elif profile.missing_themes is None:
        st.caption(
            "Missing-episode detail is available to analysts; the chart shows the "
            "quarterly counts the partnership may see."
        )
    elif profile.missing_themes.empty:
        st.caption("No missing episodes were found or last seen here in this window.")
    else:
        themes = human_headers(profile.missing_themes)
        st.dataframe(themes, width="stretch")
        export_buttons(store, "interview themes", table=themes, key="profile_rhi_dl")
with tabs[4]:
    notes = store.notes(cell)
    if role == Role.PARTNERSHIP:
        current = human_headers(notes.loc[notes["current"], ["heading", "created_at"]])
        st.caption("The assessment record is kept by analysts; headings and dates only here.")
        st.dataframe(current, hide_index=True, width="stretch")
        export_buttons(store, "assessment headings", table=current, key="profile_notes_dl")
    else:
        for heading in ASSESSMENT_HEADINGS:
            st.markdown(f"**{escape_markdown(heading)}**")
            latest = notes.loc[notes["current"] & (notes["heading"] == heading)]
            if latest.empty:
                st.caption("Nothing recorded yet.")
            else:
                row = latest.iloc[0]
                st.text(str(row["body"]))
                st.caption(f"{row['created_at']:%d %b %Y %H:%M} · {row['who']}")
        if len(notes):
            with st.expander(f"History ({len(notes)} notes)"):
                notes_table = human_headers(notes.drop(columns=["current"]))
                st.dataframe(notes_table, hide_index=True, width="stretch")
                export_buttons(
                    store, "assessment history", table=notes_table, key="profile_notes_dl"
                )
        with st.form("add_note", clear_on_submit=True):
            heading = st.selectbox("Heading", ASSESSMENT_HEADINGS, key="note_heading")
            body = st.text_area(
                "Note",
                max_chars=4000,
                key="note_body",
                help="No names or other identifying details of children.",
            )
            if st.form_submit_button("Add to the assessment") and body.strip():
                store.add_note(
                    cell,
                    heading,
                    body.strip(),
                    str(st.session_state.get("user_id", "unknown")),
                    role,
                )
                st.rerun()
