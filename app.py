"""PlaceSafe router: page config, role gate, shared filters, navigation built per role."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from geo.core.errors import ConfigError
from geo.core.roles import Role
from ui import audit, auth, cache, playback, state, widgets

ROOT = Path(__file__).resolve().parent
PAGES = ROOT / "pages"
#: The navigation's sections, in the order of the top bar.
NAV_MEETING, NAV_PLACES, NAV_LENSES, NAV_DATA = "Meeting", "Places", "Lenses", "Data"

st.set_page_config(page_title="PlaceSafe", page_icon="🛡️", layout="wide")
auth.leave_legacy_page_router()

problem = auth.startup_problem()
if problem:
    st.error(f"PlaceSafe cannot start: {problem}.")
    st.stop()

config = cache.get_config()
identity = auth.current_identity(config)
if auth.enforce_idle_timeout(config, identity):
    st.info("Your session ended after a period of inactivity. Reload the page to continue.")
    st.stop()
if identity.denied_reason:
    st.title("PlaceSafe")
    st.error(f"Access denied: {identity.denied_reason}.")
    if not identity.local_mode and not identity.logged_in:
        st.button("Log in", on_click=st.login, type="primary")
    elif identity.logged_in:
        st.button("Log out", on_click=st.logout)
    st.stop()

# Roles come from the identity alone; whatever a client put in session state or the
# URL is overwritten here on every run.
st.session_state["roles"] = identity.roles
st.session_state["user_id"] = identity.user_id
try:
    store = cache.get_store(config)
except ConfigError as exc:  # e.g. no audit key for a real store: say so, no traceback
    st.error(f"PlaceSafe cannot start: {exc}.")
    st.stop()
problem = auth.store_problem(config, store)  # demo mode: only the generator's marked store
if problem:
    st.error(f"PlaceSafe cannot start: {problem}.")
    st.stop()
version = store.data_version()
months = cache.months(config.fingerprint, version)
state.keep_widget_state()
state.init_state(months, default_res=config.disclosure.partnership_max_resolution)

with st.sidebar:
    st.markdown("### PlaceSafe")
    if "analyst" in identity.roles:
        st.radio(
            "View as",
            [Role.ANALYST, Role.PARTNERSHIP],
            key="view_as",
            horizontal=True,
            help="Preview exactly what the partnership role sees.",
        )
role = auth.viewing_role(identity)
st.session_state["role"] = role
audit.log_session_start(store, identity, role)
if role:
    widgets.filter_sidebar(months, role, config)
    widgets.presentation_mode()
with st.sidebar:
    if identity.logged_in:
        st.button("Log out", on_click=st.logout, key="logout")
widgets.synthetic_banner(config)
if identity.local_mode and not config.app.demo:
    st.warning("Local mode on real data: no login; this server listens on this computer only.")

# Pages in four groups (each a menu in the top bar), so none hides under "more" on a
# 1280-pixel projector; the same top bar stays in presentation mode, whose CSS hides
# the sidebar.
pages: dict[str, list[StreamlitPage]] = {}
if role:
    pages[NAV_MEETING] = [
        st.Page(PAGES / "story.py", title="This quarter", icon="📰"),
        st.Page(PAGES / "overview.py", title="Overview", icon="🗺️", default=True),
        st.Page(PAGES / "briefing.py", title="Review pack", icon="📄"),
    ]
    pages[NAV_PLACES] = [
        st.Page(PAGES / "hotspots.py", title="Hot spots", icon="🔥"),
        st.Page(PAGES / "recurring.py", title="Recurring locations", icon="📍"),
        st.Page(PAGES / "profile.py", title="Location profile", icon="🔎"),
    ]
    pages[NAV_LENSES] = [
        st.Page(PAGES / "youth_work.py", title="Youth work", icon="🧭"),
        st.Page(PAGES / "missing.py", title="Missing from home", icon="🧒"),
        st.Page(PAGES / "schools.py", title="Schools", icon="🏫"),
        st.Page(PAGES / "disproportionality.py", title="Disproportionality", icon="⚖️"),
        st.Page(PAGES / "health.py", title="Health and police", icon="🏥"),
    ]
if "admin" in identity.roles:
    pages[NAV_DATA] = [
        st.Page(PAGES / "data.py", title="Data", icon="📥", default=not pages),
        st.Page(PAGES / "audit.py", title="Audit log", icon="📜"),
    ]
navigation = st.navigation(pages, position="top")
if role == "analyst" and config.app.ask_purpose and not audit.purpose_given(store, identity):
    st.stop()
state.sync_url()
if navigation.url_path:  # any page but the Overview: playback does not resume unasked
    playback.stop_playback()
if (
    role == Role.PARTNERSHIP
    and st.session_state.get(state.KEY_NO_PERIOD)
    and navigation.title not in ("Data", "Audit log")  # an admin may still load data
):
    st.info("There is no complete quarter of data yet; the partnership view shows quarters.")
    st.stop()
widgets.share_link(config, navigation.url_path)
audit.log_view(store, identity, role, navigation.title)
navigation.run()
