"""This quarter: the places that are new, escalated, persistent or no longer active compared
with the previous quarter — the meeting's first page."""

from __future__ import annotations

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.roles import Role
from geo.lenses.hotspot_report import TREND_RESOLUTION, trend_text
from geo.lenses.story import (
    ACTIVE_MONTHS,
    ESCALATION_ALPHA,
    ESCALATION_RATIO,
    STATUSES,
    quarter_words,
    story_quarter,
    story_table,
)
from ui import state
from ui.cache.story import quarter_story
from ui.context import page_context
from ui.exports import export_buttons
from ui.map import selected_cell_from_event

#: What each status means, in one line under its heading.
STATUS_MEANING = {
    "Escalated": "Hot spots last quarter too, with clearly more records now.",
    "New": "Hot spots this quarter that were not hot spots last quarter.",
    "Persistent": "Hot spots this quarter and last quarter.",
    "No longer active": "Hot spots last quarter that are not this quarter.",
}

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
role, res, config = ctx.role, ctx.res, ctx.config

st.title(f"This quarter — {escape_markdown(ctx.area.name)}")
quarter = story_quarter(ctx.filters, ctx.months())
if quarter is None:
    st.info(
        "There is no whole quarter of data up to the chosen period yet, so there is no "
        "quarter to tell. An admin loads more months on the Data page."
    )
    st.stop()
told, names, layer = quarter_story(ctx.fp, ctx.version, role, res, quarter)
health = ctx.loaded("ed_assaults", told.trend)
previous = quarter_words(told.previous) if told.previous else "no earlier quarter"
st.caption(
    f"{quarter_words(quarter)} compared with {previous} · hot spots from the "
    f"{trend_text(told.trend)} · resolution {res}"
)
st.caption(ctx.feeds_used(("incidents", "missing_episodes", "ed_assaults"), told.trend))
if role != Role.PARTNERSHIP and quarter.month_to != ctx.filters.month_to:
    st.caption(
        f"The story is told for whole quarters: {quarter_words(quarter)} is the latest whole "
        "quarter in your chosen period."
    )
for note in told.notes:
    st.info(escape_markdown(note))

counts = told.counts()
with st.container(horizontal=True):
    for status in STATUSES:
        st.metric(status, counts[status], border=True)

places = told.places.assign(name=list(names))
urgent = bool(counts["Escalated"] or counts["New"] or counts["No longer active"])
if not len(places):
    st.info(escape_markdown(told.summary()))


def place_cards(status: str, folded: bool) -> None:
    """The places of one status: name, why, whose data and a button to its profile."""
    rows = places.loc[places["status"] == status]
    if rows.empty:
        return
    box = st.expander(f"{status}: {len(rows)} places") if folded else st.container()
    with box:
        if not folded:
            st.subheader(f"{status} ({len(rows)})")
        st.caption(STATUS_MEANING[status])
        for row in rows.itertuples():
            with st.container(border=True):
                left, right = st.columns([5, 1], vertical_alignment="center")
                left.markdown(f"**{escape_markdown(str(row.name))}**  \n{escape_markdown(row.why)}")
                left.caption(f"Whose data: {escape_markdown(row.agencies)}")
                if right.button("Open profile", key=f"story_open_{row.cell}"):
                    state.open_profile(row.cell)


for status in ("Escalated", "New", "No longer active"):
    place_cards(status, folded=False)
if len(places):
    st.subheader("Where they are")
    clicked = selected_cell_from_event(ctx.draw_map([layer], key=f"story-{res}"), res)
    if clicked and clicked != st.session_state.get(state.KEY_CELL):
        state.open_profile(clicked)
place_cards("Persistent", folded=urgent and counts["Persistent"] > 3)

table = story_table(told, names, exact=role != Role.PARTNERSHIP)
export_buttons(ctx.store, f"the quarter's story {quarter_words(quarter)}", table=table, key="story")

with st.expander("How this is worked out"):
    st.markdown(
        "A place is **active** in a quarter when the emerging hot spot analysis (Getis-Ord "
        f"Gi* month by month over the {trend_text(told.trend)}, worked out on small hexagons "
        f"of resolution {TREND_RESOLUTION} and shown at resolution {res}) finds it a "
        f"significant hot spot in at least {ACTIVE_MONTHS} of the quarter's 3 months.\n\n"
        "- **New**: active this quarter, not a hot spot in any month of the quarter before.\n"
        "- **Escalated**: active this quarter, a hot spot last quarter too, and records rose by "
        f"at least {ESCALATION_RATIO - 1:.0%} with a one-sided binomial test at "
        f"p ≤ {ESCALATION_ALPHA} (significant *and* big enough to matter).\n"
        "- **Persistent**: active this quarter and a hot spot last quarter, not escalated.\n"
        "- **No longer active**: active last quarter, not this quarter.\n\n"
        "Incidents are the police's records; missing children found at a place are children's "
        "services' records"
        + ("; assaults treated at A&E are emergency departments' records" if health else "")
        + ". The partnership's sentences carry no counts, and what records "
        f"hold is described only where a place has at least {config.disclosure.min_count} "
        "records in the quarter."
    )
