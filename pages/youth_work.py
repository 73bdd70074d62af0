"""Youth work: where detached youth work misses the places and times harm happens, and
where a few more teams a week would reach the most of it (for youth-service planners)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from geo.core.roles import Role
from geo.core.time_of_week import DEFAULT_BLOCKS
from geo.lenses import coverage_view as cview
from geo.lenses.coverage import period_text
from geo.render import coverage_export, coverage_layers
from geo.render.maps import build_map
from geo.render.plan_pdf import build_plan_pdf
from geo.store import catalogue
from geo.store.place_names import place_names, with_place_names
from ui import auth, cache, state, widgets
from ui.exports import audited_download, export_buttons
from ui.map import selected_cell_from_event, show_map

auth.require_role(Role.ANALYST, Role.PARTNERSHIP)
config = cache.get_config()
store = cache.get_store(config)
version = store.data_version()
fp = config.fingerprint
role = st.session_state["role"]
res = int(st.session_state[state.KEY_RES])
filters = cache.analysis_window(fp, version, role, state.current_filters())
area = cache.get_area(config)
blocks = {b.name: b for b in DEFAULT_BLOCKS}

st.title("Youth work")
st.caption(
    f"{period_text(filters)} · resolution {res} · where and when detached youth work is out, "
    "the places and times harm happens without it, and where more teams would reach the most"
)
if filters != state.current_filters():  # the partnership's gaps run over a calendar year
    st.caption(
        f"Gaps and the plan use {period_text(filters)}, the calendar year of the chosen quarter: "
        "a gap needs more than one quarter of data, and the partnership's longer analyses use "
        "whole calendar years so that no set of months can be worked out by comparing two."
    )
feeds = cache.feeds(fp, version, role)
if not catalogue.loaded(feeds, "youth_sessions"):
    st.info(
        "No youth-work feed is loaded, so coverage and its gaps cannot be shown: every place "
        "would read as uncovered. An admin loads detached youth-work sessions on the Data page "
        "(kind: youth sessions)."
    )
    st.stop()
if not catalogue.loaded(feeds, "incidents", filters) or not any(
    f.table in ("incidents", "missing_episodes") and f.precision == "minute" for f in feeds
):
    st.info(
        "Need by time of week uses incidents and missing episodes timed to the minute; none "
        "is loaded for this period (police.uk street crime gives the month only)."
    )
c1, c2, c3, c4 = st.columns([1, 2.2, 1, 1])
teams = c1.slider("How many teams?", 1, 30, cview.DEFAULT_TEAMS, key="yw_teams",
                  help="Each team works one place for one time block every week.")  # fmt: skip
allowed = c2.multiselect(
    "When can the teams go out?",
    list(blocks),
    default=list(blocks),
    format_func=lambda b: blocks[b].label,
    key="yw_blocks",
)
reach = c3.select_slider("How far a team reaches (m)", [200, 300, 400, 500, 600, 800],
                         value=400, key="yw_reach")  # fmt: skip
min_hours = c4.select_slider(
    "Weekly hours that count as covered",
    [0.5, 1.0, 2.0, 3.0, 4.0],
    value=1.0,
    key="yw_min_hours",
    help="Youth work already out covers a place and time in proportion to its weekly hours "
    "within reach, up to this many.",
)
if not allowed:
    st.warning("Choose at least one time block.")
    st.stop()
allowed_key = tuple(b for b in blocks if b in allowed)
settings = cview.settings_for(role, config, res=res, reach_m=float(reach),
                              min_weekly_hours=float(min_hours))  # fmt: skip
analysis = cache.coverage_analysis(fp, version, role, filters, settings)
gaps = cache.coverage_gaps(fp, version, role, filters, settings)
shown = cview.gaps_in_blocks(gaps, allowed_key)

named_from = cache.store_as(config, role)  # names come from public sources only
gap_cells = list(dict.fromkeys(shown["cell"]))
gap_names = dict(zip(gap_cells, place_names(named_from, gap_cells), strict=True))
labels = cview.fixed_site_labels(shown, DEFAULT_BLOCKS, places=gap_names)
if "yw_fixed" in st.session_state:  # keep only choices that still exist
    st.session_state["yw_fixed"] = [v for v in st.session_state["yw_fixed"] if v in labels]
fixed_pick = st.multiselect(
    "Places and times already covered",
    list(labels),
    format_func=labels.__getitem__,
    key="yw_fixed",
    help="Places teams already go to at those times: the harm they reach is taken out "
    "before the plan is made.",
)
fixed = cview.parse_fixed(fixed_pick)

st.subheader("Gaps: where and when harm happens with the least youth work")
layers = cache.coverage_map_layers(fp, version, role, filters, settings, allowed_key)
m = build_map(area.centre, area.bounds, area.boundary, list(layers), tiles=config.app.tiles)
clicked = selected_cell_from_event(show_map(m, key=f"youth-work-{res}"), res)
with st.container(horizontal=True):
    for i, layer in enumerate(layers):
        export_buttons(store, f"youth work map: {layer.name}", layer=layer, key=f"yw_layer_{i}")
if clicked:
    st.session_state[state.KEY_CELL] = clicked
    st.switch_page(state.PROFILE_PAGE)
if role == Role.PARTNERSHIP:
    st.caption("Only incidents and missing episodes recorded to the minute are counted.")
else:
    st.caption(analysis.need.note)
if shown.empty:
    st.info("No recurring location or hot spot has unmet need in the chosen time blocks.")
named_gaps = widgets.withheld_cells(
    cview.gap_display(with_place_names(named_from, cview.gap_table(shown, role))), role
)  # shown is what is exported
st.dataframe(named_gaps.head(50), hide_index=True, width="stretch")
export_buttons(store, "youth-work gaps", table=named_gaps, key="yw_gaps_download")
pick = st.selectbox("Open a place's profile", gap_cells, index=None, key="yw_profile",
                    format_func=lambda c: gap_names.get(c, c))  # fmt: skip
if pick:
    st.session_state[state.KEY_CELL] = pick
    st.switch_page(state.PROFILE_PAGE)

plan = cache.coverage_plan(fp, version, role, filters, settings, allowed_key, fixed, int(teams))
plan_cells = list(dict.fromkeys(plan.steps["cell"]))
names = dict(zip(plan_cells, place_names(named_from, plan_cells), strict=True))
places = cview.plan_places(plan, role, names, shown)
sentence = cview.plan_sentence(plan, len(fixed))
st.subheader(f"Where to send {teams} {'team' if teams == 1 else 'teams'}")
st.markdown(f"**{sentence}**")
plan_layer = coverage_layers.plan_layer(plan, names)
out_now = coverage_layers.renamed(layers[1], "Youth work out now")
if places.empty:
    st.info("Nothing is left to cover in the chosen times.")
else:
    pm = build_map(area.centre, area.bounds, area.boundary, [out_now, plan_layer],
                   tiles=config.app.tiles)  # fmt: skip
    clicked = selected_cell_from_event(show_map(pm, key=f"yw-plan-{res}"), res)
    st.caption("Recommended places in blue (hover for the number, name and times); green "
               "outlines show where youth work is out now.")  # fmt: skip
    st.markdown(cview.plan_list(places))
    if clicked:
        st.session_state[state.KEY_CELL] = clicked
        st.switch_page(state.PROFILE_PAGE)
    st.dataframe(places, hide_index=True, width="stretch")
    export_buttons(store, "youth-work plan table", table=places, key="yw_plan_table")
d1, d2 = st.columns(2)
audited_download(
    store,
    "Download the plan (PDF, one page)",
    partial(build_plan_pdf, places, plan_layer, cview.plan_numbers(plan), area.boundary,
            context=(out_now,), role=role, synthetic=config.app.demo, area=area.name,
            period=period_text(filters), sentence=sentence, settings=settings,
            feeds=cache.feeds_used(fp, version, role,
                                   ("incidents", "missing_episodes", "youth_sessions"),
                                   filters)),
    file_name=f"placesafe-youth-work-plan-res{res}.pdf",
    mime="application/pdf",
    what="youth-work plan",
    fmt="pdf",
    rows=len(places),
    roles=(role,),
    key="yw_plan_pdf",
    container=d1,
)  # fmt: skip
audited_download(
    store,
    "Download the plan (CSV)",
    partial(coverage_export.plan_csv, plan, role),
    file_name=f"placesafe-youth-work-plan-res{res}.csv",
    mime="text/csv",
    what="youth-work plan",
    fmt="csv",
    rows=len(places),
    roles=(role,),
    key="yw_plan_download",
    container=d2,
)
with st.expander("How this is worked out"):
    st.markdown(cview.how_the_plan_is_made(float(reach)))
    problem = cache.coverage_problem(fp, version, role, filters, settings, allowed_key, fixed)
    small = problem.size[2] <= cview.AUTO_EXACT_NNZ
    check = st.toggle(
        "Check against the exact optimum (MILP)",
        value=small,
        key=f"yw_exact_{small}",
        help="scipy.optimize.milp (HiGHS), up to 30 s; run by default when the problem is small.",
    )
    exact = (
        cache.coverage_plan_exact(fp, version, role, filters, settings, allowed_key, fixed,
                                  int(teams))
        if check
        else None
    )  # fmt: skip
    st.write(cview.comparison(plan, exact, role))
    if not places.empty:
        st.caption("What each team adds, in plan order (% of the harm no youth work reaches now)")
        st.line_chart(cview.gain_chart(plan), x_label="team", y_label="%")
