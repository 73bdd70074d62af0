"""Youth work: where detached youth work misses the places and times harm happens, and
where the next K weekly sessions would cover the most unmet need."""

from __future__ import annotations

from functools import partial

import streamlit as st

from geo import catalogue
from geo import coverage_view as cview
from geo.coverage import DEFAULT_BLOCKS, period_text
from geo.maps import build_map
from geo.place_names import place_names, with_place_names
from geo.roles import Role
from ui import auth, cache, state
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
    f"{period_text(filters)} · resolution {res} · detached youth-work coverage by time of "
    "week, the gaps it leaves at recurring locations and hot spots, and a deployment planner"
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
c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
reach = c1.select_slider("Reach (m)", [200, 300, 400, 500, 600, 800], value=400, key="yw_reach")
min_hours = c2.select_slider(
    "Weekly hours that count as covered",
    [0.5, 1.0, 2.0, 3.0, 4.0],
    value=1.0,
    key="yw_min_hours",
    help="Existing sessions cover a place and time in proportion to their weekly hours "
    "within reach, up to this many.",
)
k = c3.slider("Teams or sessions a week (K)", 1, 30, 10, key="yw_k")
allowed = c4.multiselect(
    "Time blocks the teams may work",
    list(blocks),
    default=list(blocks),
    format_func=lambda b: blocks[b].label,
    key="yw_blocks",
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
    "Places and times already covered (fixed sites)",
    list(labels),
    format_func=labels.__getitem__,
    key="yw_fixed",
    help="Deployments already committed: the need within reach of each, in its time block, "
    "is taken out before planning.",
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
gap_table = cview.gap_table(shown, role)
named_gaps = with_place_names(named_from, gap_table)  # shown is what is exported
st.dataframe(named_gaps.head(50), hide_index=True, width="stretch")
export_buttons(store, "youth-work gaps", table=named_gaps, key="yw_gaps_download")
pick = st.selectbox(
    "Open a place's profile",
    gap_cells,
    index=None,
    key="yw_profile",
    format_func=lambda c: gap_names.get(c, c),
)
if pick:
    st.session_state[state.KEY_CELL] = pick
    st.switch_page(state.PROFILE_PAGE)

st.subheader(f"Deployment plan: {k} weekly sessions")
plan = cache.coverage_plan(fp, version, role, filters, settings, allowed_key, fixed, int(k))
problem = cache.coverage_problem(fp, version, role, filters, settings, allowed_key, fixed)
small = problem.size[2] <= cview.AUTO_EXACT_NNZ
check = st.toggle(
    "Check against the exact optimum (MILP)",
    value=small,
    key=f"yw_exact_{small}",
    help="scipy.optimize.milp (HiGHS), up to 30 s; run by default when the problem is small.",
)
exact = (
    cache.coverage_plan_exact(fp, version, role, filters, settings, allowed_key, fixed, int(k))
    if check
    else None
)
st.write(cview.comparison(plan, exact, role))
plan_table = cview.plan_table(plan, role)
if plan_table.empty:
    st.info("Nothing left to cover in the chosen time blocks.")
else:
    named_plan = with_place_names(named_from, plan_table)
    st.dataframe(named_plan, hide_index=True, width="stretch")
    export_buttons(store, "youth-work plan table", table=named_plan, key="yw_plan_table")
    st.caption("Share of the unmet need each step adds, and the running total (greedy order).")
    st.line_chart(cview.gain_chart(plan), x_label="step", y_label="% of unmet need")
summary = cview.summary(plan, shown, exact, role, period_text(filters))
d1, d2 = st.columns(2)
audited_download(
    store,
    "Download the plan (CSV)",
    partial(cview.plan_csv, plan, role),
    file_name=f"placesafe-youth-work-plan-res{res}.csv",
    mime="text/csv",
    what="youth-work plan",
    fmt="csv",
    rows=len(plan_table),
    roles=(role,),
    key="yw_plan_download",
    container=d1,
)
audited_download(
    store,
    "Download the printable summary (Markdown)",
    partial(str.encode, summary, "utf-8"),
    file_name=f"placesafe-youth-work-plan-res{res}.md",
    mime="text/markdown",
    what="youth-work plan summary",
    fmt="md",
    rows=len(plan_table),
    roles=(role,),
    key="yw_summary_download",
    container=d2,
)
with st.expander("Printable summary"):
    st.markdown(summary)
