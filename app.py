"""PlaceSafe router: page config, role gate, shared filters, navigation built per role."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import auth, cache, state, widgets

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="PlaceSafe", page_icon="🛡️", layout="wide")

config = cache.get_config()
identity = auth.current_identity(config)
if identity.denied_reason:
    st.title("PlaceSafe")
    st.error(f"Access denied: {identity.denied_reason}.")
    if not identity.local_mode and not st.user.is_logged_in:
        st.button("Log in", on_click=st.login)
    st.stop()

st.session_state["roles"] = identity.roles
st.session_state["user_id"] = identity.user_id
store = cache.get_store(config)
version = store.data_version()
months = cache.months(config.fingerprint, version)
state.init_state(months, default_res=config.disclosure.partnership_max_resolution)

with st.sidebar:
    st.markdown("### PlaceSafe")
    if "analyst" in identity.roles:
        st.radio(
            "View as",
            ["analyst", "partnership"],
            key="view_as",
            horizontal=True,
            help="Preview exactly what the partnership role sees.",
        )
role = auth.viewing_role(identity)
st.session_state["role"] = role
widgets.filter_sidebar(months, role, config)
widgets.synthetic_banner(config)
if identity.local_mode and not config.app.demo:
    st.warning("Local mode on real data: no login. Bound to this computer only.")

pages = [
    st.Page(ROOT / "pages" / "overview.py", title="Overview", icon="🗺️", default=True),
    st.Page(ROOT / "pages" / "hotspots.py", title="Hot spots", icon="🔥"),
]
if "admin" in identity.roles:
    pages.append(st.Page(ROOT / "pages" / "data.py", title="Data", icon="📥"))
navigation = st.navigation(pages)
state.sync_url()
navigation.run()
