"""Audit log (admin): who consulted or disclosed what, when and why."""

from __future__ import annotations

import streamlit as st

from geo.export import to_csv_bytes
from ui import audit, auth, cache

auth.require_role("admin")
config = cache.get_config()
store = cache.get_store(config)

st.title("Audit log")
broken = store.verify_audit_chain()
if broken is None:
    st.success("The log's hash chain is intact: no event has been changed or removed.")
else:
    st.error(f"The log's hash chain breaks at event {broken}: the log was altered there.")
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
    ],
    key="audit_events",
)
limit = st.selectbox("Show", [100, 1000, 10000], index=1, key="audit_limit")
log = store.audit_log(limit=int(limit))
if events:
    log = log.loc[log["event"].isin(events)]
st.dataframe(
    log.drop(columns=["prev_hash", "row_hash"], errors="ignore"), hide_index=True, width="stretch"
)
st.download_button(
    "Download as CSV",
    to_csv_bytes(log),
    file_name="placesafe-audit-log.csv",
    mime="text/csv",
    on_click=audit.log_export,
    args=(store, "audit log", len(log)),
    key="audit_download",
)
