"""The audit log in the app: writing sessions, page views and purposes (downloads:
``ui.exports.audited_download``), and reading it back on the Audit log page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from geo.core.errors import AuditUnavailableError
from geo.store.database import Store
from ui import state
from ui.auth import Identity

#: Why an analyst is looking at police data (a fixed list: no free text in the log).
PURPOSES = (
    "Preparing for the violence-reduction group",
    "Planning youth-work or police deployment",
    "Multi-agency assessment of a location",
    "Checking data quality",
    "Responding to a partner's request",
)


@contextmanager
def _no_data_unless_logged() -> Iterator[None]:
    """Stop the page with an error when the audit log cannot be written: no data is
    shown that the log cannot account for."""
    try:
        yield
    except AuditUnavailableError as exc:
        st.error(f"PlaceSafe shows no data just now: {exc}. Try again in a moment.")
        st.stop()


def log_session_start(store: Store, identity: Identity, role: str) -> None:
    """Record a login (or a local-mode session start) once per session."""
    if st.session_state.get("_session_logged"):
        return
    event = "login" if identity.logged_in else "session_start"
    with _no_data_unless_logged():
        store.audit(identity.user_id, role or None, event, detail={"roles": list(identity.roles)})
    st.session_state["_session_logged"] = True


def log_view(store: Store, identity: Identity, role: str, page: str) -> None:
    """Record a page view with its filters, once per distinct view in a session."""
    detail: dict[str, object] = {}
    if state.KEY_MONTHS in st.session_state:
        f = state.current_filters()
        detail = {
            "from": f.month_from,
            "to": f.month_to,
            "categories": list(f.categories),
            "res": st.session_state.get(state.KEY_RES),
            "cell": st.session_state.get(state.KEY_CELL),
        }
    key = (page, role, tuple(sorted((k, str(v)) for k, v in detail.items())))
    if st.session_state.get("_last_view") == key:
        with _no_data_unless_logged():  # recorded before; still, no data while failing
            store.check_audit()
        return
    with _no_data_unless_logged():
        store.audit(
            identity.user_id,
            role or None,
            "view",
            page=page,
            detail=detail,
            purpose=st.session_state.get("_purpose"),
        )
    st.session_state["_last_view"] = key  # recorded (a view not recorded is tried again)


def purpose_given(store: Store, identity: Identity) -> bool:
    """Ask an analyst why they are viewing police data, once per session.

    Returns True once a purpose is recorded; until then shows the prompt.
    """
    if st.session_state.get("_purpose"):
        return True
    st.title("Before you view police data")
    st.write(
        "PlaceSafe records why partner data are consulted. Choose the purpose of this "
        "session; it is written to the audit log with every page you view."
    )
    with st.form("purpose"):
        choice = st.radio("Purpose", PURPOSES, index=None, key="purpose_choice")
        if st.form_submit_button("Continue", type="primary") and choice:
            st.session_state["_purpose"] = choice
            with _no_data_unless_logged():
                store.audit(identity.user_id, "analyst", "purpose", purpose=choice)
            st.rerun()
    return False


#: The events the audit log records (the Audit log page's filter).
AUDIT_EVENTS = (
    "login",
    "session_start",
    "view",
    "purpose",
    "export",
    "ingest",
    "ingest_refused",
    "rollback",
    "demo_built",
    "export_served",  # older logs only: the click (export) and the fetch were logged apart
    "export_refused",
    "audit_keyed",
)
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


def chain_check(store: Store) -> None:
    """Whether the audit log's hash chain is unbroken, in green, or where it breaks, in red."""
    check = store.verify_audit_chain()
    if check.ok:
        st.success(check.summary())
    else:
        st.error(check.summary())


def read_log(store: Store, limit: int, events: list[str]) -> pd.DataFrame:
    """The newest ``limit`` audit events, only those of kinds in ``events`` when any."""
    log = store.audit_log(limit=limit)
    if events:
        log = log.loc[log["event"].isin(events)]
    return log
