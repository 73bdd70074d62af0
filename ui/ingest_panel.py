"""The Data page's panels: ingest (check, then confirm), what is loaded, and batches with
rollback."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from geo.core.config import Config
from geo.core.errors import StoreError
from geo.core.escape import escape_markdown
from geo.core.headers import human_headers
from geo.ingest.pipeline import DEMO_STORE_REFUSAL, Progress, ingest_bytes
from geo.ingest.report import IngestReport, reasons_in_words
from geo.store import catalogue
from geo.store.database import SYNTHETIC_DEMO, Store
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
    "istv": "A&E assaults: an emergency department's ISTV extract (mapped CSV/XLSX)",
    "postcodes": "Postcode centroids: ONS Postcode Directory or Code-Point Open (CSV)",
    "gazetteer": "Place names: an OS Open Names extract (CSV)",
}


def demo_refusal(config: Config, store: Store) -> str | None:
    """Why the Data page takes no partner files here (the synthetic demo), or None."""
    if config.app.demo or store.origin() == SYNTHETIC_DEMO:
        return (
            f"This is the synthetic demo: {DEMO_STORE_REFUSAL} (app.demo = false, with login "
            "or the operator's explicit local mode; see the README)."
        )
    return None


def show_report(report: IngestReport, area_name: str = "the study area") -> None:
    """Render a validation report (counts, rules and row numbers; never values): red when
    nothing can be accepted, amber when some rows were rejected, each reason once with
    its count."""
    summary = escape_markdown(report.summary())  # the file name is the uploader's text
    if report.status == "refused" or (report.status in ("checked", "live") and not report.accepted):
        st.error(summary)  # nothing accepted is an error, whatever else the report says
    elif report.status == "already_ingested":
        st.info(summary)
    elif report.rejected:  # some rows refused: accepted, but not a plain success
        st.warning(
            summary
            + " Rejected: "
            + escape_markdown(reasons_in_words(report.reasons, report.read, area_name))
            + "."
        )
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
    for note in report.notes:  # counts and fixed words only, never a file's values
        st.caption(escape_markdown(note))
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
        with progress_bar(len(data), "Checking") as tell:
            st.session_state[key] = ingest_bytes(
                store, config, area, kind, data, name, dry_run=True, progress=tell
            )
    report: IngestReport = st.session_state[key]
    show_report(report, area.name)
    if (
        report.status == "checked"
        and report.accepted > 0
        and st.button("Confirm ingest", type="primary", key=f"confirm-{digest}")
    ):
        who = st.session_state.get("user_id", "local-user")
        with progress_bar(len(data), "Loading") as tell:
            final = ingest_bytes(store, config, area, kind, data, name, who=who, progress=tell)
        st.session_state[key] = final
        st.rerun()


#: Files from this size up show a progress bar while they are checked and loaded.
LARGE_FILE_BYTES = 1_000_000


@contextmanager
def progress_bar(size: int, verb: str) -> Iterator[Progress | None]:
    """A progress bar fed by :func:`geo.ingest.pipeline.ingest_bytes`'s stages for a large file
    (None, and no bar, for a small one); removed when the ingest returns."""
    if size < LARGE_FILE_BYTES:
        yield None
        return
    bar = st.progress(0.0, text=f"{verb} the file…")

    def tell(stage: str, fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{verb} the file: {stage}…")

    try:
        yield tell
    finally:
        bar.empty()


def loaded_feeds(store: Store) -> None:
    """What is loaded: one row per feed the store holds
    (:func:`geo.store.catalogue.feed_catalogue`)."""
    st.subheader("What is loaded")
    st.caption(
        "One row per feed: the months it covers, the finest time it records, whose records it "
        'holds and what it cannot tell. Pages say "not loaded" for anything no feed can tell.'
    )
    feeds = catalogue.feed_catalogue(store)
    if feeds:
        st.dataframe(
            human_headers(catalogue.catalogue_frame(feeds)), hide_index=True, width="stretch"
        )
    else:
        st.info("Nothing is loaded yet.")


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
