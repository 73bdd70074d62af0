"""The Disproportionality page's sections: the window of feeds with months of their own,
one measure's result (findings, chart, table, caveats), stop-and-search hit rates and the
trend."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.filters import Filters
from geo.lenses import disproportionality as dp
from geo.render import charts, rate_tables
from ui import cache
from ui.cache.disproportionality import disproportionality_hit_rate, disproportionality_trend
from ui.context import PageContext
from ui.exports import export_buttons

__all__ = ["Choice", "hit_rate", "measure_result", "measure_window", "trend"]


@dataclass(frozen=True)
class Choice:
    """What the page's controls chose."""

    #: The measure (a key of ``dp.MEASURES``, or ``"upload"``).
    measure: str
    #: The months it is shown over (:func:`measure_window`).
    filters: Filters
    #: The reference group of the relative rate indices.
    reference: str
    #: The stop-and-search selection (analysts only).
    selection: dp.SearchSelection
    #: Sub-areas (LSOA codes; none = the whole study area).
    lsoas: tuple[str, ...]
    #: The population's age band (None = all ages).
    age_band: str | None


#: Feeds with months of their own, in words.
OWN_MONTHS = {"stop_search": "stop and search", "school_outcomes": "school outcomes"}


def measure_window(ctx: PageContext, measure: str, filters: Filters) -> Filters:
    """The months ``measure`` is shown over: a feed with months of its own (stop and
    search, school outcomes) that does not cover the chosen period is shown over its own
    months for analysts; the page stops when no such feed is loaded, or (for the
    partnership) when it does not cover the chosen quarter."""
    is_search = measure.startswith("stop_search")
    feed_table = (
        "stop_search" if is_search else "school_outcomes" if measure in dp.SCHOOL_MEASURES else None
    )
    if feed_table is None:
        return filters
    # feeds of their own months are viewable over those months
    what = OWN_MONTHS[feed_table]
    held = [f for f in ctx.feeds() if f.table == feed_table]
    if not held:
        st.info(f"No {what} feed is loaded (an admin loads it on the Data page).")
        st.stop()
    if not any(f.covers(filters) for f in held):
        first = min(str(f.first_month) for f in held)
        last = max(str(f.last_month) for f in held)
        if ctx.partnership:
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
    return filters


def measure_result(ctx: PageContext, result: dp.Audit, choice: Choice) -> None:
    """One measure's audit: findings, the RRI chart and table, what the selection left
    out and the caveats."""
    measure, reference = choice.measure, choice.reference
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
    export_buttons(ctx.store, f"disproportionality: {measure}", table=table, key="dp_download")
    st.markdown("**Caveats**")
    st.markdown("\n".join(f"- {escape_markdown(c)}" for c in result.caveats))


def hit_rate(ctx: PageContext, choice: Choice) -> None:
    """Stop-and-search hit rates by group, with their intervals and caveats."""
    measure = choice.measure
    st.subheader("Hit rate")
    hits = disproportionality_hit_rate(
        ctx.fp, ctx.version, ctx.role, measure, choice.filters, choice.selection, choice.lsoas
    )
    if hits is None:
        return
    basis = (
        "outcome linked to the object of search"
        if hits.basis == "linked"
        else ("any outcome other than no further action")
    )
    st.caption(f"Share of searches with an {basis}, with Wilson 95 % intervals.")
    hit_table = rate_tables.display_table(hits.table)
    st.dataframe(hit_table, hide_index=True, width="stretch")
    export_buttons(ctx.store, f"hit rate: {measure}", table=hit_table, key="dp_hits_download")
    st.markdown("\n".join(f"- {escape_markdown(c)}" for c in hits.caveats))


def trend(ctx: PageContext, choice: Choice) -> None:
    """RRIs by quarter (school terms for school outcomes) over the role's pattern window
    ending with the chosen months, as a chart and a table."""
    fp, version, role = ctx.fp, ctx.version, ctx.role
    measure, reference = choice.measure, choice.reference
    st.subheader("Trend")
    window = cache.analysis_window(fp, version, role, choice.filters)
    trend_frame = disproportionality_trend(
        fp,
        version,
        role,
        measure,
        window,
        reference,
        choice.selection,
        choice.lsoas,
        choice.age_band,
    )
    lines = charts.trend_chart_frame(trend_frame, reference) if len(trend_frame) else None
    if lines is None or lines.dropna(how="all").empty:
        st.caption("Not enough data in the window for a trend.")
        return
    st.caption(
        f"RRI against {dp.GROUP_LABELS[reference]} residents by "
        + ("school term" if measure in dp.SCHOOL_MEASURES else "quarter")
        + f", {window.month_from} to {window.month_to}; gaps are withheld or not calculable."
    )
    st.line_chart(lines)
    with st.expander("Trend table"):
        trend_table = rate_tables.display_table(trend_frame, reference)
        st.dataframe(trend_table, hide_index=True, width="stretch")
        export_buttons(ctx.store, f"trend: {measure}", table=trend_table, key="dp_trend_download")
