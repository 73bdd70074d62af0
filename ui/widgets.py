"""Shared widgets: the filter sidebar, banners and KPI tiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from geo.config import Config
from geo.overview import quarter_label, quarter_menu
from geo.privacy import allowed_resolutions
from geo.schema import INCIDENT_CATEGORIES, INCIDENT_CATEGORY_LABELS
from ui import state

KPI_LABELS = {
    "incidents": "Incidents",
    "knife_crime": "Knife crime",
    "harmful_sexual_behaviour": "Harmful sexual behaviour",
    "missing_episodes": "Missing episodes",
    "children_missing": "Children missing",
    "youth_work_hours": "Youth-work hours",
}


def synthetic_banner(config: Config) -> None:
    """Label synthetic data wherever it appears."""
    if config.app.demo:
        st.info(
            "**Synthetic demo data** — a fictional borough at real east-London coordinates. "
            "No real person, place of care or incident is shown.",
            icon="🧪",
        )


def filter_sidebar(months: list[str], role: str, config: Config) -> None:
    """The shared filters: month range, incident categories and resolution."""
    d = config.disclosure
    resolutions = allowed_resolutions(role, d.partnership_max_resolution, d.analyst_max_resolution)
    if st.session_state.get(state.KEY_RES) not in resolutions:
        st.session_state[state.KEY_RES] = resolutions[-1]
    with st.sidebar:
        st.header("Filters")
        if role == "partnership":
            _partnership_period(months)
        elif months:
            chosen = st.select_slider(
                "Months",
                options=months,
                value=tuple(st.session_state[state.KEY_MONTHS]),
                key="months_slider",
            )
            st.session_state[state.KEY_MONTHS] = tuple(chosen)
            st.multiselect(
                "Incident categories (none = all)",
                options=list(INCIDENT_CATEGORIES),
                format_func=INCIDENT_CATEGORY_LABELS.__getitem__,
                key=state.KEY_CATEGORIES,
            )
        st.selectbox(
            "Hexagon resolution",
            options=resolutions,
            key=state.KEY_RES,
            format_func=lambda r: {
                7: "7 (about 5 km²)",
                8: "8 (about 0.7 km²)",
                9: "9 (about 0.1 km²)",
                10: "10 (about 0.015 km²)",
            }[r],
            help="Finer resolutions are available to analysts only.",
        )


def _partnership_period(months: list[str]) -> None:
    """A fixed menu of whole quarters and all categories: no free windows or category
    subsets whose differences could reveal a withheld count."""
    menu = quarter_menu(months)
    st.session_state[state.KEY_CATEGORIES] = []
    if not menu:
        st.caption("No complete quarter of data yet.")
        return
    labels = [quarter_label(f) for f in menu]
    start, end = st.session_state[state.KEY_MONTHS]
    current = next(
        (i for i, f in enumerate(menu) if f.month_from <= end <= f.month_to), len(menu) - 1
    )
    chosen = st.selectbox("Quarter", labels, index=current, key="quarter_select")
    picked = menu[labels.index(chosen)]
    st.session_state[state.KEY_MONTHS] = (picked.month_from, picked.month_to)
    st.caption("All incident categories (fixed in the partnership view).")


def kpi_tiles(kpis: pd.DataFrame) -> None:
    """Headline figures (already disclosure-controlled; NaN = withheld) with change
    against the previous equal period."""
    st.caption("Headline figures · change against the previous period of equal length")
    cols = st.columns(len(KPI_LABELS))
    for col, (key, label) in zip(cols, KPI_LABELS.items(), strict=True):
        cur, prev = float(kpis.loc[key, "current"]), float(kpis.loc[key, "previous"])
        shown = "withheld" if np.isnan(cur) else f"{cur:,.0f}"
        delta = None if np.isnan(cur) or np.isnan(prev) else f"{cur - prev:+,.0f}"
        col.metric(
            label,
            shown,
            delta=delta,
            delta_color="inverse" if key != "youth_work_hours" else "normal",
        )
