"""The Location profile's sections: choosing a place when none is selected, and the tabs
of one place's detail (when, schools, youth work, missing episodes and its assessment)."""

from __future__ import annotations

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.filters import Filters
from geo.core.headers import human_headers
from geo.core.roles import Role
from geo.core.time_of_week import DEFAULT_BLOCK_LABELS
from geo.lenses.profiles import ASSESSMENT_HEADINGS, LocationProfile
from geo.store import catalogue
from ui import state
from ui.cache import recurring
from ui.context import PageContext
from ui.exports import export_buttons

__all__ = ["SERIES_WORDS", "assaults", "assessment", "pick_a_place", "profile_tabs"]

#: The profile's series in words (chart legend).
SERIES_WORDS = {
    "incidents": "Incidents",
    "knife_crime": "Knife crime",
    "missing_episodes": "Missing episodes",
    "harmful_sexual_behaviour": "Harmful sexual behaviour",
    "ed_assaults": "A&E-treated assaults",
}


def pick_a_place(ctx: PageContext, window: Filters) -> None:
    """What the page shows when no place is selected: how to open one, and the top of the
    recurring-location ranking over ``window`` to pick from."""
    st.info(
        "Click a hexagon on any map, or pick a place from the recurring locations, "
        "to open its profile."
    )
    try:
        ranking = recurring.recurring(ctx.fp, ctx.version, ctx.role, ctx.res, window)
    except ValueError as exc:  # too few months for the ranking: say so, offer the map
        st.caption(f"No ranked places to pick from: {exc}.")
        return
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


def profile_tabs(ctx: PageContext, cell: str, profile: LocationProfile) -> None:
    """The tabs of one place's detail: When, Schools nearby, Youth work, Missing episodes,
    A&E assaults (where an emergency department's feed is loaded) and Assessment."""
    store = ctx.store
    feeds = ctx.feeds()
    names = ["When", "Schools nearby", "Youth work", "Missing episodes", "Assessment"]
    if profile.health:
        names.insert(4, "A&E assaults")
    tabs = dict(zip(names, st.tabs(names), strict=True))
    with tabs["When"]:
        if profile.time_of_week is None:
            st.caption("Time-of-week detail is available to analysts.")
        elif not profile.time_of_week.to_numpy().any():  # no timed incident: no grid of zeros
            st.info(
                "No incident here in this window is timed to the hour: "
                f"{profile.time_of_week_left_out:,} known only to the month (police.uk "
                "publishes street crime by month) are left out, so there is no time-of-week "
                "pattern to show."
            )
        else:
            when = human_headers(profile.time_of_week)
            st.dataframe(when, width="stretch")
            export_buttons(store, "time of week", table=when, key="profile_when_dl")
            st.caption(
                f"Incidents by day and hour; {profile.time_of_week_left_out:,} without a "
                "time of day left out."
            )
    with tabs["Schools nearby"]:
        schools = human_headers(profile.schools, {"name": "School"})
        st.dataframe(schools, hide_index=True, width="stretch")
        export_buttons(store, "schools nearby", table=schools, key="profile_schools_dl")
    with tabs["Youth work"]:
        table = human_headers(profile.youth_work.rename(index=DEFAULT_BLOCK_LABELS))
        if not catalogue.loaded(feeds, "youth_sessions"):
            st.info("No youth-work feed is loaded, so youth-work coverage cannot be shown.")
        else:
            st.dataframe(table, width="stretch")
            st.caption(f"Youth-work sessions within {profile.reach_m:.0f} m, by time of week.")
            export_buttons(store, "youth work nearby", table=table, key="profile_youth_dl")
    with tabs["Missing episodes"]:
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
    if profile.health:
        with tabs["A&E assaults"]:
            assaults(ctx, profile)
    with tabs["Assessment"]:
        assessment(ctx, cell)


def assaults(ctx: PageContext, profile: LocationProfile) -> None:
    """Assaults treated at A&E at the place: for analysts how many, how many on the
    school journey, the means of assault and the time of week; for the partnership the
    quarterly figures of the chart only."""
    detail = profile.assaults
    if detail is None:
        st.caption(
            "A&E detail is available to analysts; the chart shows the quarterly figures the "
            "partnership may see, as the Overview's A&E layer does."
        )
        return
    if not detail.total:
        st.caption("No assault treated at A&E was placed here in this window.")
        return
    st.text(
        f"{detail.total:,} assaults treated at A&E here in this window, "
        f"{detail.on_school_journey:,} of them on a school journey (weekdays 07:30-09:00 "
        "and 15:00-17:30 in term time). Assaults at a private home are counted in the "
        "area's totals but never placed."
    )
    means = human_headers(detail.means, {"means": "Means of assault", "assaults": "Assaults"})
    st.dataframe(means, width="stretch")
    export_buttons(ctx.store, "means of assault", table=means, key="profile_ed_means_dl")
    when = human_headers(detail.time_of_week)
    st.dataframe(when, width="stretch")
    st.caption("Assaults by day and hour, at the assault's time (else the arrival's).")
    export_buttons(ctx.store, "A&E time of week", table=when, key="profile_ed_when_dl")


def assessment(ctx: PageContext, cell: str) -> None:
    """The place's living assessment: headings and dates for the partnership; for analysts
    the latest note under each heading, the history and a form to add a note."""
    store = ctx.store
    notes = store.notes(cell)
    if ctx.role == Role.PARTNERSHIP:
        current = human_headers(notes.loc[notes["current"], ["heading", "created_at"]])
        st.caption("The assessment record is kept by analysts; headings and dates only here.")
        st.dataframe(current, hide_index=True, width="stretch")
        export_buttons(store, "assessment headings", table=current, key="profile_notes_dl")
        return
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
            export_buttons(store, "assessment history", table=notes_table, key="profile_notes_dl")
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
                ctx.role,
            )
            st.rerun()
