"""The Data page's ingest and rollback panels."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from geo.config import Config
from geo.escape import escape_markdown
from geo.headers import human_headers
from geo.ingest import DEMO_STORE_REFUSAL, IngestReport, ingest_bytes
from geo.store import SYNTHETIC_DEMO, Store, StoreError
from ui import cache

KIND_LABELS = {
    "police_street": "police.uk street-level crime (CSV)",
    "incidents": "Partner incident extract with times (mapped CSV/XLSX)",
    "stop_search": "police.uk stop and search (CSV)",
    "schools": "Schools: GIAS / EduBase export (CSV)",
    "missing": "Missing episodes (mapped CSV/XLSX)",
    "youth_sessions": "Youth-work sessions (mapped CSV/XLSX)",
    "boundary": "Boundaries: ONS/GLA GeoJSON",
    "area_stats": "Area statistics: IMD, population, census (CSV by ONS code)",
    "school_outcomes": "School exclusions and managed moves (mapped CSV/XLSX, counts)",
    "health_sites": "Health sites: A&E, GP surgeries, sexual-health clinics (mapped CSV/XLSX)",
    "stations": "Stations: rail, Underground and bus stations, to name places (mapped CSV)",
}


def demo_refusal(config: Config, store: Store) -> str | None:
    """Why the Data page takes no partner files here (the synthetic demo), or None."""
    if config.app.demo or store.origin() == SYNTHETIC_DEMO:
        return (
            f"This is the synthetic demo: {DEMO_STORE_REFUSAL} (app.demo = false, with login "
            "or the operator's explicit local mode; see the README)."
        )
    return None


def show_report(report: IngestReport) -> None:
    """Render a validation report (counts, rules and row numbers; never values)."""
    summary = escape_markdown(report.summary())  # the file name is the uploader's text
    if report.status == "refused":
        st.error(summary)
    elif report.status == "already_ingested":
        st.info(summary)
    else:
        st.success(summary)
    cols = st.columns(4)
    for col, (label, n) in zip(
        cols,
        (
            ("Read", report.read),
            ("Accepted", report.accepted),
            ("Rejected", report.rejected),
            ("Duplicates", report.duplicates),
        ),
        strict=True,
    ):
        col.metric(label, f"{n:,}")
    if report.reasons or report.duplicate_reasons:
        reasons = [{"outcome": "rejected", "rule": k, "rows": v} for k, v in report.reasons.items()]
        reasons += [
            {"outcome": "duplicate", "rule": k, "rows": v}
            for k, v in report.duplicate_reasons.items()
        ]
        st.dataframe(human_headers(pd.DataFrame(reasons)), hide_index=True, width="stretch")
    for warning in report.warnings:
        st.caption(escape_markdown(f"Note: {warning}"))
    if len(report.issues):
        shown = "" if len(report.issues) == report.rejected else f", first {len(report.issues):,}"
        with st.expander(f"Rejected rows by rule ({report.rejected:,} rows{shown})"):
            st.dataframe(human_headers(report.grouped_issues()), hide_index=True, width="stretch")


def check_and_confirm(store: Store, config: Config, kind: str, name: str, data: bytes) -> None:
    """Dry-run the file, show the report, and ingest on confirmation."""
    refusal = demo_refusal(config, store)
    if refusal:
        st.error(refusal)
        return
    area = cache.get_area(config)
    digest = hashlib.sha256(data).hexdigest()
    key = f"checked-{kind}-{digest}"
    if key not in st.session_state:
        st.session_state[key] = ingest_bytes(store, config, area, kind, data, name, dry_run=True)
    report: IngestReport = st.session_state[key]
    show_report(report)
    if report.status == "checked" and st.button(
        "Confirm ingest", type="primary", key=f"confirm-{digest}"
    ):
        who = st.session_state.get("user_id", "local-user")
        final = ingest_bytes(store, config, area, kind, data, name, who=who)
        st.session_state[key] = final
        st.rerun()


def batch_history(store: Store) -> None:
    """Batch table with a rollback control."""
    batches = store.batches()
    if batches.empty:
        st.caption("No batches yet.")
        return
    st.dataframe(human_headers(batches), hide_index=True, width="stretch")
    live = batches.loc[batches["status"] == "live", "batch_id"].tolist()
    if not live:
        return
    with st.form("rollback"):
        batch_id = st.selectbox("Roll back batch", live, key="rollback_batch")
        sure = st.checkbox("I understand this removes the batch's rows", key="rollback_sure")
        if st.form_submit_button("Roll back") and sure:
            try:
                removed = store.rollback(int(batch_id), who=st.session_state.get("user_id"))
                st.success(f"Batch {batch_id} rolled back: {removed:,} rows removed.")
            except StoreError as exc:
                st.error(str(exc))
