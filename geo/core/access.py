"""Role mapping from identity-provider claims (pure; used by ui/auth.py).

Deny by default: an identity gets roles only from the configured allow-list of
verified e-mail addresses or from configured values of a role claim.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Mapping
from typing import Any

from geo.core.config import AccessConfig

#: Minimum length of ``[auth] cookie_secret`` (bytes), as DESIGN and Streamlit advise.
MIN_COOKIE_SECRET_BYTES = 32


def roles_for(claims: Mapping[str, Any], access: AccessConfig) -> tuple[str, ...]:
    """The PlaceSafe roles an authenticated identity holds (empty = denied).

    Parameters
    ----------
    claims : mapping
        The identity provider's claims (``st.user``): ``email``, ``email_verified``,
        and the configured role claim.
    access : AccessConfig
        The server-side mapping.
    """
    roles: set[str] = set()
    if access.role_claim:
        values = claims.get(access.role_claim)
        if isinstance(values, str):
            values = [values]
        if isinstance(values, list | tuple):
            granted = dict.fromkeys(str(v) for v in values)
            roles.update(role for value, role in access.claim_roles if value in granted)
    email = str(claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified") is True or claims.get("email_verified") == "true"
    if email and (verified or not access.require_verified_email):
        for known, user_roles in access.users:
            if hmac.compare_digest(known, email):
                roles.update(user_roles)
    return tuple(sorted(roles))


def pseudonymous_user_id(claims: Mapping[str, Any], secret: str) -> str:
    """A stable pseudonymous id for the audit log (HMAC of the subject or e-mail)."""
    subject = str(claims.get("sub") or claims.get("email") or "unknown")
    digest = hmac.new(secret.encode(), subject.encode(), hashlib.sha256).hexdigest()
    return "u-" + digest[:12]


def cookie_secret_problem(auth: Mapping[str, Any] | None) -> str | None:
    """Why the ``[auth]`` settings are unsafe to start with, or None when they are fine."""
    if auth is None:
        return None
    secret = auth.get("cookie_secret")
    if not isinstance(secret, str) or not secret:
        return "[auth] cookie_secret is missing from .streamlit/secrets.toml"
    if len(secret.encode()) < MIN_COOKIE_SECRET_BYTES:
        return (
            f"[auth] cookie_secret is shorter than {MIN_COOKIE_SECRET_BYTES} bytes; "
            'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    return None


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable from this computer only.

    Parameters
    ----------
    address : str or None
        Streamlit's ``server.address``. Unset or empty means every network interface,
        which is not loopback; so are ``0.0.0.0`` and ``::``.

    Returns
    -------
    bool
        True for ``localhost`` and any loopback IP address (``127.0.0.0/8``, ``::1``).
    """
    text = (address or "").strip().strip("[]").lower()
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:  # empty, or a host name other than localhost
        return False


def open_address_problem(address: str | None) -> str | None:
    """Why a server without login must not start on ``address``, or None when it may.

    Without an identity provider PlaceSafe serves no one but this computer: a server
    bound to any other address (or to every interface) refuses to start.
    """
    if is_loopback(address):
        return None
    text = (address or "").strip()
    where = f"address {text}" if text else "every network interface"
    return (
        f"without login it only listens on this computer, but this server listens on {where}. "
        'Set server.address = "127.0.0.1" (as the committed .streamlit/config.toml does) '
        "and put a reverse proxy with login in front, or configure login ([auth] in "
        ".streamlit/secrets.toml)"
    )
