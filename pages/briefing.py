"""Review pack and 7-minute briefing: one quarter, read without the app."""

from __future__ import annotations

import streamlit as st

from geo.core.escape import escape_markdown
from geo.core.roles import Role
from geo.render.briefing import output_names
from ui.cache.pack import review_pack, review_quarters
from ui.context import page_context
from ui.exports import audited_download

ctx = page_context(Role.ANALYST, Role.PARTNERSHIP)
role = ctx.role

st.title("Review pack")
st.caption(
    "A quarterly review of recurring themes (PDF and HTML) and a one-page 7-minute briefing, "
    "with static maps drawn without web tiles. The partnership pack follows the same "
    "disclosure rules as the app: small numbers withheld, resolution 8 at the finest."
)
quarters = review_quarters(ctx.fp, ctx.version)
if not quarters:
    st.info("No whole quarter of data yet.")
    st.stop()
c1, c2 = st.columns(2)
quarter = c1.selectbox(
    "Quarter",
    quarters,
    index=len(quarters) - 1,
    key="pack_quarter",
    format_func=lambda q: str(q).replace("Q", " Q"),  # "2024 Q4", as everywhere else
)
audiences = [Role.PARTNERSHIP] if role == Role.PARTNERSHIP else [Role.PARTNERSHIP, Role.ANALYST]
audience = c2.radio(
    "Audience",
    audiences,
    format_func={Role.PARTNERSHIP: "Partnership (disclosure-controlled)",
                 "analyst": "Analysts (exact figures)"}.__getitem__,
    horizontal=True,
    key="pack_audience",
)  # fmt: skip
if audience not in audiences:  # a forged session state never lifts the partnership
    audience = Role.PARTNERSHIP

if st.button("Build the pack", type="primary", key="pack_build"):
    st.session_state["pack_ready"] = (quarter, audience)
if st.session_state.get("pack_ready") == (quarter, audience):
    pdf, html, seven, headlines = review_pack(ctx.fp, ctx.version, str(quarter), str(audience))
    names = output_names(str(quarter), str(audience))
    st.subheader("In brief")
    st.markdown("\n".join(f"- {escape_markdown(h)}" for h in headlines))
    d1, d2, d3 = st.columns(3)
    for col, label, data, name, fmt, key in (
        (d1, "Review pack (PDF)", pdf, names["pdf"], "pdf", "pack_pdf"),
        (d2, "Review pack (HTML)", html, names["html"], "html", "pack_html"),
        (d3, "7-minute briefing (PDF)", seven, names["seven"], "pdf", "pack_seven"),
    ):
        audited_download(
            ctx.store,
            label,
            lambda payload=data: payload,  # built above; registered only when fetched
            file_name=name,
            mime="application/pdf" if fmt == "pdf" else "text/html",
            what=f"{label.lower()} {quarter} {audience}",
            fmt=fmt,
            roles=(Role.ANALYST,) if audience == Role.ANALYST else (Role.ANALYST, Role.PARTNERSHIP),
            key=key,
            detail={"quarter": str(quarter), "audience": str(audience)},
            container=col,
        )
