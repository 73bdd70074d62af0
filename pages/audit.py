"""Audit log (admin): who consulted or disclosed what, when and why."""

from __future__ import annotations

from functools import partial

import streamlit as st

from geo.core.roles import Role
from geo.render.export import to_csv_bytes
from ui import audit
from ui.context import page_context
from ui.exports import audited_download

ctx = page_context(Role.ADMIN)

st.title("Audit log")
audit.chain_check(ctx.store)
events = st.multiselect("Events", list(audit.AUDIT_EVENTS), key="audit_events")
limit = st.selectbox("Show", [100, 1000, 10000], index=1, key="audit_limit")
log = audit.read_log(ctx.store, int(limit), events)
shown = log.drop(columns=["prev_hash", "row_hash"], errors="ignore").rename(
    columns=audit.AUDIT_HEADERS
)
st.dataframe(shown.fillna(""), hide_index=True, width="stretch")
audited_download(
    ctx.store,
    "Download as CSV",
    partial(to_csv_bytes, log),
    file_name="placesafe-audit-log.csv",
    mime="text/csv",
    what="audit log",
    fmt="csv",
    rows=len(log),
    roles=("admin",),
    key="audit_download",
)
