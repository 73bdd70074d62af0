"""Who is using the app and which roles they hold (deny by default).

With an identity provider configured (``[auth]`` in ``.streamlit/secrets.toml``),
roles come from the ``[access.users]`` allow-list in the PlaceSafe configuration.
Without one, the app runs in local mode: on the synthetic demo as analyst and
admin, and on real data only when ``app.allow_local_real_data`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from geo.config import Config


@dataclass(frozen=True)
class Identity:
    """The person using the app."""

    user_id: str
    roles: tuple[str, ...]
    local_mode: bool
    denied_reason: str | None = None


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_identity(config: Config) -> Identity:
    """Resolve the identity and roles for this session."""
    user = st.user
    if getattr(user, "is_logged_in", False):
        email = str(user.get("email") or "").lower()
        role = dict(config.users).get(email)
        if role is None:
            return Identity(email or "unknown", (), False, "your account has no PlaceSafe role")
        roles = ("analyst", "admin") if role == "admin" else (role,)
        return Identity(email, roles, False)
    if _auth_configured():
        return Identity("anonymous", (), False, "please log in")
    if config.app.demo or config.app.allow_local_real_data:
        return Identity("local-user", ("analyst", "admin"), True)
    return Identity(
        "local-user",
        (),
        True,
        "real data are not shown without login; configure [auth] or enable local mode",
    )


def viewing_role(identity: Identity) -> str:
    """The role pages render for: the user's best data role, or a preview downgrade.

    Analysts may preview what the partnership sees (sidebar "View as"); nobody can
    choose a role they do not hold.
    """
    data_roles = [r for r in ("analyst", "partnership") if r in identity.roles]
    if not data_roles:
        return "partnership" if "partnership" in identity.roles else ""
    options = data_roles + (["partnership"] if "analyst" in data_roles else [])
    options = list(dict.fromkeys(options))
    choice = st.session_state.get("view_as", options[0])
    return str(choice) if choice in options else options[0]


def require_role(*allowed: str) -> None:
    """Stop the page unless the viewing role is one of ``allowed`` (every page calls it)."""
    role = st.session_state.get("role")
    roles = set(st.session_state.get("roles", ()))
    if role in allowed or ("admin" in allowed and "admin" in roles):
        return
    st.error("You do not have access to this page.")
    st.stop()

