"""Disproportionality: rates per 1,000 residents and relative rate indices by ethnic group."""

from __future__ import annotations

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.roles import Role
from geo.lenses import disproportionality as dp
from ui.cache import disproportionality as cached
from ui.context import page_context
from ui.sections.disproportionality import (
    Choice,
    hit_rate,
    measure_result,
    measure_window,
    trend,
)

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
fp, version, role, filters = ctx.fp, ctx.version, ctx.role, ctx.filters
areas, bands, options = cached.disproportionality_menus(fp, version)

st.title("Disproportionality")
st.caption(
    f"{filters.month_from} to {filters.month_to} · rates per 1,000 Census 2021 residents and "
    "the relative rate index (RRI) against a reference group, with 95 % intervals (log method)"
)
labels = {k: s.label for k, s in dp.MEASURES.items()}
if not ctx.partnership:
    labels["upload"] = "An uploaded list (counts by group, e.g. a gangs-matrix extract)"
c1, c2 = st.columns([3, 2])
measure = c1.selectbox("Measure", list(labels), format_func=labels.__getitem__, key="dp_measure")
reference = c2.selectbox(
    "Reference group",
    list(dp.GROUPS),
    index=dp.GROUPS.index("white"),
    format_func=dp.GROUP_LABELS.__getitem__,
    key="dp_reference",
)
spec = dp.MEASURES.get(measure)
is_search = measure.startswith("stop_search")
filters = measure_window(ctx, measure, filters)
selection = dp.SearchSelection()
lsoas: tuple[str, ...] = ()
if ctx.partnership:
    st.caption(
        "Partnership view: the whole study area, every search and the quarter chosen in the "
        "sidebar (fixed, so that no two views can be subtracted to reveal a small number)."
    )
else:
    if is_search:
        f1, f2, f3, f4 = st.columns(4)
        selection = dp.SearchSelection(
            tuple(f1.multiselect("Age range", options["age_range"], key="dp_age")),
            tuple(f2.multiselect("Sex", options["sex"], key="dp_sex")),
            tuple(f3.multiselect("Object of search", options["object_of_search"], key="dp_obj")),
            tuple(f4.multiselect("Outcome", options["outcome"], key="dp_outcome")),
        )
    names = dict(zip(areas["area_code"], areas["name"], strict=True))
    lsoas = tuple(
        sorted(
            st.multiselect(
                "Sub-area (LSOAs; none = the whole study area)",
                list(names),
                format_func=lambda c: f"{c} · {escape_markdown(names[c])}",
                key="dp_lsoas",
            )
        )
    )
default_band = spec.age_band if spec else None
if len(selection.age_ranges) == 1:
    default_band = selection.age_ranges[0]
band_menu: list[str | None] = [None, *bands]
age_band = st.selectbox(
    "Population (Census 2021 residents)",
    band_menu,
    index=band_menu.index(default_band) if default_band in band_menu else 0,
    format_func=lambda b: "All ages" if b is None else f"Aged {b}",
    key=f"dp_band_{measure}_{'-'.join(selection.age_ranges)}",
)
choice = Choice(measure, filters, reference, selection, lsoas, age_band)

if measure == "upload":
    upload = st.file_uploader(
        "List-type CSV: an 'ethnicity' column and, optionally, a 'count' column",
        type=["csv"],
        key="dp_upload",
    )
    if upload is None:
        st.info("Upload a list to audit it against the population of the chosen area.")
        st.stop()
    try:
        result = cached.disproportionality_list_audit(
            fp, version, role, upload.getvalue(), upload.name, reference, lsoas, age_band
        )
    except ValueError as exc:
        st.warning("The file cannot be audited: " + escape_markdown(str(exc)))
        st.stop()
else:
    result = cached.disproportionality_audit(
        fp, version, role, measure, filters, reference, selection, lsoas, age_band
    )

measure_result(ctx, result, choice)
if is_search:
    hit_rate(ctx, choice)
if measure != "upload":
    trend(ctx, choice)
