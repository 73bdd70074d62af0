"""The Youth work page's sections: the gaps (map, table, a place's profile), the plan
(sentence, map, list and table) and how the plan is made (with the exact check)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

import geo.lenses.coverage as cv
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.lenses import coverage_view as cview
from geo.lenses import youth_work_plan as ywp
from geo.render import coverage_layers
from geo.render.hexlayer import HexLayer
from ui import state, widgets
from ui.cache.youth_work import (
    coverage_map_layers,
    coverage_plan_exact,
    coverage_problem,
)
from ui.context import PageContext
from ui.exports import export_buttons
from ui.map import selected_cell_from_event, show_map

__all__ = ["PlanShown", "gaps", "how_it_is_worked_out", "plan"]


def gaps(
    ctx: PageContext,
    filters: Filters,
    settings: cv.CoverageSettings,
    allowed: tuple[str, ...],
    analysis: cv.CoverageAnalysis,
    shown: pd.DataFrame,
    names: dict[str, str],
) -> tuple[HexLayer, ...]:
    """The gaps in the chosen time blocks: map (a click opens a place's profile), what
    counts as need, the table of gaps and a picker of their profiles.

    Returns
    -------
    tuple of HexLayer
        The map's layers (gap cells, youth-work coverage, health sites).
    """
    role, res, store = ctx.role, ctx.res, ctx.store
    st.subheader("Gaps: where and when harm happens with the least youth work")
    layers = coverage_map_layers(ctx.fp, ctx.version, role, filters, settings, allowed)
    clicked = selected_cell_from_event(ctx.draw_map(list(layers), key=f"youth-work-{res}"), res)
    with st.container(horizontal=True):
        for i, layer in enumerate(layers):
            export_buttons(store, f"youth work map: {layer.name}", layer=layer, key=f"yw_layer_{i}")
    if clicked:
        state.open_profile(clicked)
    if role == Role.PARTNERSHIP:
        st.caption("Only incidents and missing episodes recorded to the minute are counted.")
    else:
        st.caption(analysis.need.note)
    if shown.empty:
        st.info("No recurring location or hot spot has unmet need in the chosen time blocks.")
    named_gaps = widgets.withheld_cells(
        cview.gap_display(ctx.with_place_names(cview.gap_table(shown, role))), role
    )  # shown is what is exported
    st.dataframe(named_gaps.head(50), hide_index=True, width="stretch")
    export_buttons(store, "youth-work gaps", table=named_gaps, key="yw_gaps_download")
    pick = st.selectbox("Open a place's profile", list(names), index=None, key="yw_profile",
                        format_func=lambda c: names.get(c, c))  # fmt: skip
    if pick:
        state.open_profile(pick)
    return layers


@dataclass(frozen=True)
class PlanShown:
    """The plan as the page showed it (and as its downloads carry it)."""

    places: pd.DataFrame
    sentence: str
    layer: HexLayer
    out_now: HexLayer


def plan(
    ctx: PageContext, plan: ywp.Plan, teams: int, fixed: int, shown: pd.DataFrame, out: HexLayer
) -> PlanShown:
    """Where to send ``teams`` teams: the plan's sentence, and its map (over ``out``, the
    youth work out now), list and table when anything is left to cover."""
    res = ctx.res
    plan_cells = list(dict.fromkeys(plan.steps["cell"]))
    names = ctx.place_names(plan_cells)
    places = cview.plan_places(plan, ctx.role, names, shown)
    sentence = cview.plan_sentence(plan, fixed)
    st.subheader(f"Where to send {teams} {'team' if teams == 1 else 'teams'}")
    st.markdown(f"**{sentence}**")
    plan_layer = coverage_layers.plan_layer(plan, names)
    out_now = coverage_layers.renamed(out, "Youth work out now")
    if places.empty:
        st.info("Nothing is left to cover in the chosen times.")
    else:
        pm = ctx.map([out_now, plan_layer])
        clicked = selected_cell_from_event(show_map(pm, key=f"yw-plan-{res}"), res)
        st.caption("Recommended places in blue (hover for the number, name and times); green "
                   "outlines show where youth work is out now.")  # fmt: skip
        st.markdown(cview.plan_list(places))
        if clicked:
            state.open_profile(clicked)
        st.dataframe(places, hide_index=True, width="stretch")
        export_buttons(ctx.store, "youth-work plan table", table=places, key="yw_plan_table")
    return PlanShown(places, sentence, plan_layer, out_now)


def how_it_is_worked_out(
    ctx: PageContext,
    filters: Filters,
    settings: cv.CoverageSettings,
    allowed: tuple[str, ...],
    fixed: tuple[tuple[str, str], ...],
    teams: int,
    reach_m: float,
    plan: ywp.Plan,
    shown: PlanShown,
) -> None:
    """The expander on how the plan is made, with the check against the exact optimum
    (run by default when the problem is small) and what each team adds."""
    fp, version, role = ctx.fp, ctx.version, ctx.role
    with st.expander("How this is worked out"):
        st.markdown(cview.how_the_plan_is_made(reach_m))
        problem = coverage_problem(fp, version, role, filters, settings, allowed, fixed)
        small = problem.size[2] <= cview.AUTO_EXACT_NNZ
        check = st.toggle(
            "Check against the exact optimum (MILP)",
            value=small,
            key=f"yw_exact_{small}",
            help="scipy.optimize.milp (HiGHS), up to 30 s; run by default when the problem is "
            "small.",
        )
        exact = (
            coverage_plan_exact(fp, version, role, filters, settings, allowed, fixed, teams)
            if check
            else None
        )
        st.write(cview.comparison(plan, exact, role))
        if not shown.places.empty:
            st.caption(
                "What each team adds, in plan order (% of the harm no youth work reaches now)"
            )
            st.line_chart(cview.gain_chart(plan), x_label="team", y_label="%")
