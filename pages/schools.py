"""Schools: harm near schools and on the school journey, pupils missing, exclusions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.core import hexes
from geo.core.escape import escape_markdown
from geo.core.headers import human_headers
from geo.core.roles import Role
from geo.disclosure.missing import withheld_note
from geo.lenses.school_outcomes import OUTCOME_LABELS
from geo.lenses.schools import filter_schools, school_buffers, school_headers
from geo.render.hexlayer import polygon_layer
from geo.render.layers import school_markers
from geo.render.maps import build_map
from geo.store import catalogue
from ui import auth, cache, state, widgets
from ui.exports import export_buttons
from ui.map import show_map

auth.require_role(Role.ANALYST, Role.PARTNERSHIP)
config = cache.get_config()
store = cache.get_store(config)
version = store.data_version()
role = st.session_state["role"]
res = int(st.session_state[state.KEY_RES])
filters = state.current_filters()
area = cache.get_area(config)
partnership = role == Role.PARTNERSHIP
KIND_NAMES = {
    "mainstream": "Mainstream",
    "academy": "Academy",
    "special": "Special",
    "alternative_provision": "Alternative provision",
    "independent": "Independent",
}

st.title("Schools")
st.caption(
    cache.feeds_used(
        config.fingerprint,
        version,
        role,
        ("incidents", "missing_episodes", "school_outcomes"),
        filters,
    )
)
st.caption(
    f"{filters.month_from} to {filters.month_to}. School journey: weekdays 07:30-09:00 and "
    f"15:00-17:30 in term time ({config.schools.terms.describe()}). Distances are straight lines "
    "between places, so 400 m is about a five-minute walk or less."
    + (" " + withheld_note(config.disclosure.min_count) if partnership else "")
)
c1, c2, c3 = st.columns([1, 2, 2])
distance = c1.radio(
    "Within", config.schools.distances_m, format_func="{:.0f} m".format, key="sch_distance"
)
ranking = cache.school_ranking(config.fingerprint, version, role, filters, float(distance))
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
feeds = cache.feeds(config.fingerprint, version, role)
if not catalogue.loaded(feeds, "missing_episodes"):  # no zeros for a feed never loaded
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
incidents = cache.overview_map_layers(config.fingerprint, version, role, res, filters)[0]
st.subheader("Where the schools are")
st.caption(
    f"{len(markers):,} schools (red: alternative provision), over where incidents were recorded "
    f"at resolution {res}; a school's marker gives its name and rank."
)
smap = build_map(area.centre, area.bounds, area.boundary, [incidents], markers,
                 tiles=config.app.tiles)  # fmt: skip
show_map(smap, key=f"schools-map-{res}")
st.subheader("Schools ranked by harm nearby")
words = shown[columns].assign(
    kind=shown["kind"].map(KIND_NAMES).fillna(shown["kind"]),
    phase=shown["phase"].fillna("").str.replace("_", " ").str.capitalize(),
)
table = widgets.withheld_cells(human_headers(words, school_headers(d)), role)
st.dataframe(table, hide_index=True, width="stretch")
export_buttons(store, "schools ranking", table=table, key="schools_download")

totals, by_school, by_group, by_period = cache.school_outcome_tables(
    config.fingerprint, version, role, filters
)
pick = st.selectbox("Open a school", shown["name"].tolist(), index=None, key="sch_pick")
if pick:
    row = shown.loc[shown["name"] == pick].iloc[0]
    st.subheader(escape_markdown(pick))
    left, right = st.columns([2, 3])
    with left:
        if row["cell"]:
            rings = polygon_layer(
                "Walking distances",
                school_buffers(row["cell"], config.schools.distances_m),
                [f"{m:g} m" for m in config.schools.distances_m],
                "#1f78b4",
            )
            incidents = cache.overview_layers(config.fingerprint, version, role, res, filters)[0]
            school = [m for m in cache.school_markers(config.fingerprint, version) if m[2] == pick]
            small = build_map(
                area.centre,
                area.bounds,
                area.boundary,
                [incidents, rings],
                schools=school,
                tiles=config.app.tiles,
            )
            show_map(small, key=f"school-map-{row['urn']}", height=360)
            with st.container(horizontal=True):
                export_buttons(store, "walking distances", layer=rings, key="school_rings_dl")
                export_buttons(store, "incident layer", layer=incidents, key="school_inc_dl")
    with right:
        st.markdown(escape_markdown(str(row["reasons"])))
        outcomes = by_school.loc[by_school["urn"] == row["urn"]]
        if len(outcomes):
            st.caption("Exclusions and managed moves in the period")
            outcomes = widgets.withheld_cells(human_headers(outcomes.drop(columns=["urn"])), role)
            st.dataframe(outcomes, hide_index=True, width="stretch")
            export_buttons(store, "school exclusions", table=outcomes, key="school_outcomes_dl")
            if not partnership:
                groups = human_headers(
                    cache.school_outcome_groups(
                        config.fingerprint, version, filters, str(row["urn"])
                    )
                )
                st.dataframe(groups, hide_index=True, width="stretch")
                export_buttons(store, "school exclusions by group", table=groups, key="sch_grp_dl")

st.subheader("Exclusions and managed moves")
if not by_school.shape[0]:
    st.caption(
        "No school-level exclusions feed covers this period (an administrator loads it on "
        "the Data page as 'School exclusions and managed moves')."
    )
else:
    for col, (measure, label) in zip(st.columns(3), OUTCOME_LABELS.items(), strict=True):
        value = totals[measure]
        col.metric(label, "withheld" if value != value else f"{value:,.0f}")
    st.caption("By ethnic group (the share is of each measure's total; not recorded is shown).")
    by_group = widgets.withheld_cells(human_headers(by_group), role)
    by_school = widgets.withheld_cells(human_headers(by_school), role)
    st.dataframe(by_group, hide_index=True, width="stretch")
    export_buttons(store, "exclusions by group", table=by_group, key="exclusions_group_download")
    if len(by_period) > 1:
        st.line_chart(by_period)
    st.dataframe(by_school, hide_index=True, width="stretch")
    export_buttons(store, "exclusions by school", table=by_school, key="exclusions_download")
