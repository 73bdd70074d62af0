"""Youth work: where detached youth work misses the places and times harm happens, and
where a few more teams a week would reach the most of it (for youth-service planners)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from geo.core.roles import Role
from geo.core.time_of_week import DEFAULT_BLOCKS
from geo.lenses import coverage_view as cview
from geo.lenses.coverage import period_text
from geo.render import coverage_export
from geo.render.plan_pdf import build_plan_pdf
from geo.store import catalogue
from ui.cache import youth_work
from ui.context import page_context
from ui.exports import audited_download
from ui.sections.youth_work import gaps, how_it_is_worked_out, plan

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
fp, version, role, res, filters = ctx.fp, ctx.version, ctx.role, ctx.res, ctx.window()
config, area = ctx.config, ctx.area
blocks = {b.name: b for b in DEFAULT_BLOCKS}

st.title("Youth work")
st.caption(
    f"{period_text(filters)} · resolution {res} · where and when detached youth work is out, "
    "the places and times harm happens without it, and where more teams would reach the most"
)
if filters != ctx.filters:  # the partnership's gaps run over a calendar year
    st.caption(
        f"Gaps and the plan use {period_text(filters)}, the calendar year of the chosen quarter: "
        "a gap needs more than one quarter of data, and the partnership's longer analyses use "
        "whole calendar years so that no set of months can be worked out by comparing two."
    )
feeds = ctx.feeds()
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
analysis = youth_work.coverage_analysis(fp, version, role, filters, settings)
shown = cview.gaps_in_blocks(
    youth_work.coverage_gaps(fp, version, role, filters, settings), allowed_key
)

gap_names = ctx.place_names(list(dict.fromkeys(shown["cell"])))
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

layers = gaps(ctx, filters, settings, allowed_key, analysis, shown, gap_names)
greedy = youth_work.coverage_plan(fp, version, role, filters, settings, allowed_key, fixed,
                                  int(teams))  # fmt: skip
shown_plan = plan(ctx, greedy, teams, len(fixed), shown, layers[1])
places = shown_plan.places
d1, d2 = st.columns(2)
pdf = partial(build_plan_pdf, places, shown_plan.layer, cview.plan_numbers(greedy), area.boundary,
              context=(shown_plan.out_now,), role=role, synthetic=config.app.demo, area=area.name,
              period=period_text(filters), sentence=shown_plan.sentence, settings=settings,
              feeds=ctx.feeds_used(("incidents", "missing_episodes", "youth_sessions"),
                                   filters))  # fmt: skip
for col, label, data, ext, mime, key in (
    (d1, "Download the plan (PDF, one page)", pdf, "pdf", "application/pdf", "yw_plan_pdf"),
    (d2, "Download the plan (CSV)", partial(coverage_export.plan_csv, greedy, role), "csv",
     "text/csv", "yw_plan_download"),
):  # fmt: skip
    audited_download(
        ctx.store,
        label,
        data,
        file_name=f"placesafe-youth-work-plan-res{res}.{ext}",
        mime=mime,
        what="youth-work plan",
        fmt=ext,
        rows=len(places),
        roles=(role,),
        key=key,
        container=col,
    )
how_it_is_worked_out(ctx, filters, settings, allowed_key, fixed, int(teams), float(reach),
                     greedy, shown_plan)  # fmt: skip
