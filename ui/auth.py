"""Who is using the app and which roles they hold (deny by default).

With an identity provider configured (``[auth]`` in ``.streamlit/secrets.toml``),
the user logs in with ``st.login`` and roles come from the server-side mapping in
the PlaceSafe configuration (:func:`geo.core.access.roles_for`). Without one, the app
runs in local mode and refuses to start on any address but this computer's: on the
synthetic demo (only a store the demo generator marked) as analyst and admin, and on
real data only when ``app.allow_local_real_data`` is set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from geo.core.access import (
    cookie_secret_problem,
    is_loopback,
    open_address_problem,
    pseudonymous_user_id,
    roles_for,
)
from geo.core.config import Config
from geo.demo.build import synthetic_demo_problem
from geo.store.database import Store


@dataclass(frozen=True)
class Identity:
    """The person using the app."""

    user_id: str
    roles: tuple[str, ...]
    local_mode: bool
    denied_reason: str | None = None
    logged_in: bool = False


def auth_settings() -> Mapping[str, Any] | None:
    """The ``[auth]`` secrets section, or None when no identity provider is configured."""
    try:
        if "auth" not in st.secrets:
            return None
        section = st.secrets["auth"]
    except Exception:  # no secrets file at all
        return None
    return dict(section)


#: The address a reverse proxy in front of the app listens on (set by ``deploy/serve.py``):
#: without login it must be loopback too, as the app's own address must.
PUBLIC_ADDRESS_ENV = "PLACESAFE_PUBLIC_ADDRESS"


def startup_problem() -> str | None:
    """A configuration problem that must stop the app before anything is shown.

    A bad ``[auth]`` cookie secret; or, with no identity provider configured, a server
    bound to anything but this computer. The address is Streamlit's ``server.address``
    option (unset means every interface, which is refused). AppTest runs no server and
    reports the configured option: the repository's ``.streamlit/config.toml``
    (127.0.0.1) when run from its root.
    """
    settings = auth_settings()
    if settings is not None:
        return cookie_secret_problem(settings)
    # behind deploy/serve.py the proxy's address is the one the world sees
    address = os.environ.get(PUBLIC_ADDRESS_ENV) or st.get_option("server.address")
    return open_address_problem(str(address) if address else None)


def store_problem(config: Config, store: Store) -> str | None:
    """Why ``store`` must not be served in this mode, or None when it may.

    In demo mode (``app.demo``) only the store the demo generator built and marked is
    served, under the "synthetic demo" banner, whoever is logged in. Real data need
    ``app.demo = false`` and login, or the operator's explicit local mode
    (``app.allow_local_real_data``, see :func:`current_identity`).
    """
    return synthetic_demo_problem(store) if config.app.demo else None


def current_identity(config: Config) -> Identity:
    """Resolve the identity and roles for this session (never from session state or URL)."""
    auth = auth_settings()
    if getattr(st.user, "is_logged_in", False):
        claims = dict(st.user.to_dict()) if hasattr(st.user, "to_dict") else dict(st.user)
        secret = str((auth or {}).get("cookie_secret", ""))
        user_id = pseudonymous_user_id(claims, secret)
        roles = roles_for(claims, config.access)
        if not roles:
            return Identity(user_id, (), False, "your account has no PlaceSafe role", True)
        return Identity(user_id, roles, False, None, True)
    if auth is not None:
        return Identity("anonymous", (), False, "please log in")
    if config.app.demo:
        return Identity("local-user", ("analyst", "admin"), True)
    if config.app.allow_local_real_data:
        if not is_loopback(st.get_option("server.address")):  # as startup_problem checks
            return Identity(
                "local-user",
                (),
                True,
                "local mode on real data only runs on this computer: start PlaceSafe with "
                "--server.address 127.0.0.1",
            )
        return Identity("local-user", ("analyst", "admin"), True)
    return Identity(
        "local-user",
        (),
        True,
        "real data are not shown without login; configure [auth] or enable local mode",
    )


def enforce_idle_timeout(config: Config, identity: Identity) -> bool:
    """End the session after ``app.idle_timeout_minutes`` without activity.

    Returns True when the session timed out (the caller stops the page).
    """
    now = time.time()
    last = st.session_state.get("_last_activity")
    limit = config.app.idle_timeout_minutes * 60
    if last is not None and now - float(last) > limit:
        for key in list(st.session_state.keys()):
            del st.session_state[key]
        if identity.logged_in:
            st.logout()
        return True
    st.session_state["_last_activity"] = now
    return False


def viewing_role(identity: Identity) -> str:
    """The role pages render for: the user's data role, or the partnership preview.

    Analysts may preview what the partnership sees (sidebar "View as"); nobody can
    choose a role they do not hold.
    """
    if "analyst" in identity.roles:
        choice = st.session_state.get("view_as", "analyst")
        return str(choice) if choice in ("analyst", "partnership") else "analyst"
    if "partnership" in identity.roles:
        return "partnership"
    return ""


def leave_legacy_page_router() -> None:
    """Make the first request a freshly started server sees behave like every other.

    Because the app's folder has a ``pages/`` directory, Streamlit's first script run in a
    new server process goes through its legacy pages router: a shared link
    (``/<page>?...``) runs the page file on its own, without app.py (no role, filters or
    URL state, so the page refuses access), and app.py itself runs as a page of that
    router, so its sidebar widgets get other identities than on every later run (the
    first click in that session would reset the filters to their defaults). app.py's
    ``st.navigation`` turns the router off for the process; app.py and every page call
    this first, which turns it off and reruns when it is still on.
    """
    try:  # a Streamlit internal (1.67); without it there is nothing to leave
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def access_grounds(session: Any, allowed: Collection[str]) -> str | None:
    """On what grounds a session may see something meant for ``allowed`` roles.

    The same rule as :func:`require_role`, for a session state read outside a page run
    (a download fetched on another thread). Returns the viewing role, or ``"admin"``
    for an admin-only item, or None when the session may not see it.
    """

    def value(key: str) -> Any:
        try:
            return session[key]
        except Exception:  # not set (KeyError), or a session state being torn down
            return None

    role = value("role")
    roles = set(value("roles") or ())
    if role and role in allowed and role in roles | {"partnership"}:
        return str(role)
    if "admin" in allowed and "admin" in roles:
        return "admin"
    return None


def require_role(*allowed: str) -> None:
    """Stop the page unless the viewing role is one of ``allowed`` (every page calls it)."""
    leave_legacy_page_router()
    role = st.session_state.get("role")
    roles = set(st.session_state.get("roles", ()))
    if (role in allowed and role in roles | {"partnership"} and role) or (
        "admin" in allowed and "admin" in roles
    ):
        return
    st.error("You do not have access to this page.")
    st.stop()
