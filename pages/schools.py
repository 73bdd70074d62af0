"""Schools: harm near schools and on the school journey, pupils missing, exclusions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.core import hexes
from geo.core.headers import human_headers
from geo.core.roles import Role
from geo.disclosure.missing import withheld_note
from geo.lenses.schools import filter_schools, school_headers
from geo.render.layers import school_markers
from geo.store import catalogue
from ui import widgets
from ui.cache import overview, schools
from ui.context import page_context
from ui.exports import export_buttons
from ui.sections.schools import KIND_NAMES, exclusions, school_detail

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
fp, version, role, res, filters = ctx.fp, ctx.version, ctx.role, ctx.res, ctx.filters
config = ctx.config

st.title("Schools")
st.caption(
    ctx.feeds_used(("incidents", "missing_episodes", "ed_assaults", "school_outcomes"), filters)
)
st.caption(
    f"{filters.month_from} to {filters.month_to}. School journey: weekdays 07:30-09:00 and "
    f"15:00-17:30 in term time ({config.schools.terms.describe()}). Distances are straight lines "
    "between places, so 400 m is about a five-minute walk or less."
    + (" " + withheld_note(config.disclosure.min_count) if ctx.partnership else "")
)
c1, c2, c3 = st.columns([1, 2, 2])
distance = c1.radio(
    "Within", config.schools.distances_m, format_func="{:.0f} m".format, key="sch_distance"
)
ranking = schools.school_ranking(fp, version, role, filters, float(distance))
phases = c2.multiselect("Phase", sorted(ranking["phase"].dropna().unique()), key="sch_phase")
kinds = c3.multiselect("Kind", list(KIND_NAMES), format_func=KIND_NAMES.__getitem__, key="sch_kind")
shown = filter_schools(ranking, phases, kinds)
d = f"{distance:g}m"
columns = [
    "rank",
    "name",
    "phase",
    "kind",
    "flag",
    f"incidents_{d}_journey",
    f"incidents_{d}_other",
    f"incidents_{d}_time_unknown",
    f"hsb_{d}",
    "missing_children",
    "missing_repeat_children",
    "recurring_nearby",
    "recurring_categories",
    "reasons",
]
if not catalogue.loaded(ctx.feeds(), "missing_episodes"):  # no zeros for a feed never loaded
    columns = [c for c in columns if not c.startswith("missing_")]
if not shown["rank"].notna().any():
    st.info(
        "No timed incidents, harmful sexual behaviour or missing pupils near any school in "
        "this period, so the schools are listed by name, not ranked."
    )
located = shown.loc[shown["cell"].notna()]
marker_names = [
    f"#{int(r)} {n}" if pd.notna(r) else str(n)  # ranked schools carry their rank
    for r, n in zip(located["rank"], located["name"], strict=True)
]
markers = tuple(
    (lat, lng, name, ap)
    for (lat, lng, _, ap), name in zip(
        school_markers(located.assign(cell=hexes.str_to_cells(located["cell"]))),
        marker_names,
        strict=True,
    )
)
incidents = overview.overview_map_layers(fp, version, role, res, filters)[0]
st.subheader("Where the schools are")
st.caption(
    f"{len(markers):,} schools (red: alternative provision), over where incidents were recorded "
    f"at resolution {res}; a school's marker gives its name and rank."
)
assaults = overview.ed_assault_layers(fp, version, role, res, filters, ctx.loaded("ed_assaults"))
ctx.draw_map([incidents, *assaults], key=f"schools-map-{res}", schools=markers)
st.subheader("Schools ranked by harm nearby")
words = shown[columns].assign(
    kind=shown["kind"].map(KIND_NAMES).fillna(shown["kind"]),
    phase=shown["phase"].fillna("").str.replace("_", " ").str.capitalize(),
)
table = widgets.withheld_cells(human_headers(words, school_headers(d)), role)
st.dataframe(table, hide_index=True, width="stretch")
export_buttons(ctx.store, "schools ranking", table=table, key="schools_download")

totals, by_school, by_group, by_period = schools.school_outcome_tables(fp, version, role, filters)
pick = st.selectbox("Open a school", shown["name"].tolist(), index=None, key="sch_pick")
if pick:
    school_detail(ctx, shown.loc[shown["name"] == pick].iloc[0], pick, by_school)
exclusions(ctx, totals, by_school, by_group, by_period)
