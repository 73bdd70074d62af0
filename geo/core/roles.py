"""The roles PlaceSafe knows, and nothing else (DESIGN §4).

A role is what a signed-in person may see: the ``partnership`` (aggregated,
disclosure-controlled views), ``analyst`` (finer resolutions, exact counts) and
``admin`` (ingest, batches, the audit log). :class:`Role` is a ``str`` enum so that
it keys caches, travels in URLs and compares equal to its value; code outside
``ui/auth`` and ``geo.disclosure`` asks a :class:`Role` what it may do
(:attr:`Role.sees_exact_counts`) instead of comparing names.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A PlaceSafe role, in order of what it may see."""

    PARTNERSHIP = "partnership"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def sees_exact_counts(self) -> bool:
        """Whether this role sees exact, unpublished figures (analysts and admins)."""
        return self is not Role.PARTNERSHIP

    @property
    def is_published_to(self) -> bool:
        """Whether what this role sees passes through the publication layer
        (:mod:`geo.disclosure`): only the partnership."""
        return self is Role.PARTNERSHIP


#: Every role, in order of what it may see.
ROLES: tuple[Role, ...] = tuple(Role)


def as_role(value: str | Role) -> Role:
    """The :class:`Role` named by ``value``.

    Raises
    ------
    ValueError
        When ``value`` names no role.
    """
    try:
        return Role(value)
    except ValueError:
        raise ValueError("unknown role") from None
