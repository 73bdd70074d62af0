"""The Schools page's sections: one school's detail, and exclusions and managed moves."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.headers import human_headers
from geo.lenses.school_outcomes import OUTCOME_LABELS
from geo.lenses.schools import school_buffers
from geo.render.hexlayer import polygon_layer
from ui import widgets
from ui.cache import overview, schools
from ui.context import PageContext
from ui.exports import export_buttons
from ui.map import show_map

__all__ = ["KIND_NAMES", "exclusions", "school_detail"]

KIND_NAMES = {
    "mainstream": "Mainstream",
    "academy": "Academy",
    "special": "Special",
    "alternative_provision": "Alternative provision",
    "independent": "Independent",
}


def school_detail(ctx: PageContext, row: pd.Series, pick: str, by_school: pd.DataFrame) -> None:
    """One school (``row`` of the ranking, named ``pick``): its walking distances over the
    incident layer, why it ranks where it does and its exclusions and managed moves."""
    fp, version, role, store = ctx.fp, ctx.version, ctx.role, ctx.store
    distances_m = ctx.config.schools.distances_m
    st.subheader(escape_markdown(pick))
    left, right = st.columns([2, 3])
    with left:
        if row["cell"]:
            rings = polygon_layer(
                "Walking distances",
                school_buffers(row["cell"], distances_m),
                [f"{m:g} m" for m in distances_m],
                "#1f78b4",
            )
            incidents = overview.overview_layers(fp, version, role, ctx.res, ctx.filters)[0]
            assaults = overview.ed_assault_layers(
                fp, version, role, ctx.res, ctx.filters, ctx.loaded("ed_assaults")
            )
            school = [m for m in overview.school_markers(fp, version) if m[2] == pick]
            small = ctx.map([incidents, *assaults, rings], school)
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
            if not ctx.partnership:
                groups = human_headers(
                    schools.school_outcome_groups(fp, version, ctx.filters, str(row["urn"]))
                )
                st.dataframe(groups, hide_index=True, width="stretch")
                export_buttons(store, "school exclusions by group", table=groups, key="sch_grp_dl")


def exclusions(
    ctx: PageContext,
    totals: pd.Series,
    by_school: pd.DataFrame,
    by_group: pd.DataFrame,
    by_period: pd.DataFrame,
) -> None:
    """Exclusions and managed moves in the period: totals, by ethnic group, by period and
    by school (:func:`ui.cache.schools.school_outcome_tables`)."""
    role, store = ctx.role, ctx.store
    st.subheader("Exclusions and managed moves")
    if not by_school.shape[0]:
        st.caption(
            "No school-level exclusions feed covers this period (an administrator loads it on "
            "the Data page as 'School exclusions and managed moves')."
        )
        return
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
