"""Missing from home: where children are found, what their interviews say, their schools."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.core.roles import Role
from geo.disclosure.missing import withheld_note
from geo.store import catalogue
from ui import widgets
from ui.cache.missing import missing_view
from ui.context import page_context
from ui.sections.missing import download, measures_table, missing_tabs

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
filters = ctx.filters
AREA_UNITS = {7: "Found place (resolution 7)", 8: "Found place (resolution 8)", "home": "Home area"}

st.title("Missing from home")
if not catalogue.loaded(ctx.feeds(), "missing_episodes"):
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
    + (" " + withheld_note(ctx.config.disclosure.min_count) if ctx.partnership else "")
)
area_key = st.radio(
    "Areas for the interview themes",
    list(AREA_UNITS),
    format_func=AREA_UNITS.__getitem__,
    horizontal=True,
    key="missing_area_unit",
)
view = missing_view(ctx.fp, ctx.version, ctx.role, ctx.res, area_key, filters)

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

with st.expander("All measures"):
    measures = measures_table(m, ctx.role)
    st.dataframe(measures, width="stretch")
    download(ctx, measures, "measures", "measures")

missing_tabs(ctx, view)
