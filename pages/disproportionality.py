"""Disproportionality: rates per 1,000 residents and relative rate indices by ethnic group."""

from __future__ import annotations

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.lenses import disproportionality as dp
from geo.render import charts, rate_tables
from ui import auth, cache, state
from ui.exports import export_buttons

auth.require_role(Role.ANALYST, Role.PARTNERSHIP)
config = cache.get_config()
store = cache.get_store(config)
version = store.data_version()
role = st.session_state["role"]
partnership = role == Role.PARTNERSHIP
filters = state.current_filters()
areas, bands, options = cache.disproportionality_menus(config.fingerprint, version)

st.title("Disproportionality")
st.caption(
    f"{filters.month_from} to {filters.month_to} · rates per 1,000 Census 2021 residents and "
    "the relative rate index (RRI) against a reference group, with 95 % intervals (log method)"
)
labels = {k: s.label for k, s in dp.MEASURES.items()}
if not partnership:
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
own_months = {"stop_search": "stop and search", "school_outcomes": "school outcomes"}
feed_table = (
    "stop_search" if is_search else "school_outcomes" if measure in dp.SCHOOL_MEASURES else None
)
if feed_table is not None:  # feeds of their own months are viewable over those months
    what = own_months[feed_table]
    held = [f for f in cache.feeds(config.fingerprint, version, role) if f.table == feed_table]
    if not held:
        st.info(f"No {what} feed is loaded (an admin loads it on the Data page).")
        st.stop()
    if not any(f.covers(filters) for f in held):
        first = min(str(f.first_month) for f in held)
        last = max(str(f.last_month) for f in held)
        if partnership:
            st.info(
                f"The {what} feed covers {first} to {last}, outside the chosen "
                "quarter: choose a quarter it covers."
            )
            st.stop()
        filters = Filters(first, last)
        st.caption(
            f"{what.capitalize()} is loaded for {first} to {last} only, so it is shown over "
            "those months rather than the period chosen in the sidebar."
        )
selection = dp.SearchSelection()
lsoas: tuple[str, ...] = ()
if partnership:
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
        result = cache.disproportionality_list_audit(
            config.fingerprint,
            version,
            role,
            upload.getvalue(),
            upload.name,
            reference,
            lsoas,
            age_band,
        )
    except ValueError as exc:
        st.warning("The file cannot be audited: " + escape_markdown(str(exc)))
        st.stop()
else:
    result = cache.disproportionality_audit(
        config.fingerprint, version, role, measure, filters, reference, selection, lsoas, age_band
    )

st.subheader(escape_markdown(result.measure).capitalize())
for finding in result.findings:
    st.markdown("- " + escape_markdown(finding.sentence))
if not result.findings:
    st.caption("No group has a calculable RRI to report (see the notes in the table).")
chart = charts.rri_chart_spec(result.table, reference)
if chart["data"]["values"]:
    st.vega_lite_chart(chart, width="stretch")
table = rate_tables.display_table(result.table, reference)
st.dataframe(table, hide_index=True, width="stretch")
left_out = [
    f"{escape_markdown(k)}: {'withheld' if v is None else f'{v:,}'}"
    for k, v in result.excluded.items()
]
if left_out:
    st.caption("Left out by the selection — " + "; ".join(left_out) + ".")
export_buttons(store, f"disproportionality: {measure}", table=table, key="dp_download")
st.markdown("**Caveats**")
st.markdown("\n".join(f"- {escape_markdown(c)}" for c in result.caveats))

if is_search:
    st.subheader("Hit rate")
    hits = cache.disproportionality_hit_rate(
        config.fingerprint, version, role, measure, filters, selection, lsoas
    )
    if hits is not None:
        basis = (
            "outcome linked to the object of search"
            if hits.basis == "linked"
            else ("any outcome other than no further action")
        )
        st.caption(f"Share of searches with an {basis}, with Wilson 95 % intervals.")
        hit_table = rate_tables.display_table(hits.table)
        st.dataframe(hit_table, hide_index=True, width="stretch")
        export_buttons(store, f"hit rate: {measure}", table=hit_table, key="dp_hits_download")
        st.markdown("\n".join(f"- {escape_markdown(c)}" for c in hits.caveats))

if measure != "upload":
    st.subheader("Trend")
    window = cache.analysis_window(config.fingerprint, version, role, filters)
    trend = cache.disproportionality_trend(
        config.fingerprint, version, role, measure, window, reference, selection, lsoas, age_band
    )
    lines = charts.trend_chart_frame(trend, reference) if len(trend) else None
    if lines is None or lines.dropna(how="all").empty:
        st.caption("Not enough data in the window for a trend.")
    else:
        st.caption(
            f"RRI against {dp.GROUP_LABELS[reference]} residents by "
            + ("school term" if measure in dp.SCHOOL_MEASURES else "quarter")
            + f", {window.month_from} to {window.month_to}; gaps are withheld or not calculable."
        )
        st.line_chart(lines)
        with st.expander("Trend table"):
            trend_table = rate_tables.display_table(trend, reference)
            st.dataframe(trend_table, hide_index=True, width="stretch")
            export_buttons(store, f"trend: {measure}", table=trend_table, key="dp_trend_download")
