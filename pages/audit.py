"""Audit log (admin): who consulted or disclosed what, when and why."""

from __future__ import annotations

from functools import partial

import streamlit as st

from geo.render.export import to_csv_bytes
from ui import auth, cache
from ui.exports import audited_download

auth.require_role("admin")
config = cache.get_config()
store = cache.get_store(config)

st.title("Audit log")
check = store.verify_audit_chain()
if check.ok:
    st.success(check.summary())
else:
    st.error(check.summary())
events = st.multiselect(
    "Events",
    [
        "login",
        "session_start",
        "view",
        "purpose",
        "export",
        "ingest",
        "ingest_refused",
        "rollback",
        "demo_built",
        "export_served",
        "export_refused",
        "audit_keyed",
    ],
    key="audit_events",
)
limit = st.selectbox("Show", [100, 1000, 10000], index=1, key="audit_limit")
log = store.audit_log(limit=int(limit))
if events:
    log = log.loc[log["event"].isin(events)]
#: The log's columns in words (the CSV download keeps the stored names).
AUDIT_HEADERS = {
    "event_id": "Event",
    "logged_at": "When",
    "who": "Who",
    "role": "Role",
    "event": "What",
    "page": "Page",
    "detail": "Detail",
    "purpose": "Purpose",
}
shown = log.drop(columns=["prev_hash", "row_hash"], errors="ignore").rename(columns=AUDIT_HEADERS)
st.dataframe(shown.fillna(""), hide_index=True, width="stretch")
audited_download(
    store,
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
