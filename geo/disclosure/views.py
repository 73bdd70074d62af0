"""Which view of the data a role gets: its analysis windows and how much a place must hold
before it is described.

The app's cached wrappers (``ui.cache``) and pages ask these functions instead of deciding
by role themselves, so that every rule about what the partnership is shown lives in the
publication layer (:mod:`geo.disclosure`). The store a role's analyses run on is
:func:`geo.disclosure.store_for`; the resolutions it may choose are
:func:`geo.disclosure.allowed_resolutions`.
"""

from __future__ import annotations

from collections.abc import Sequence

from geo.core.config import Config
from geo.core.filters import Filters, quarter_label
from geo.core.roles import Role, as_role
from geo.disclosure.windows import partnership_pattern_window, partnership_quarters

__all__ = ["min_records_described", "pattern_window", "playback_steps"]


def pattern_window(role: str | Role, chosen: Filters, months: Sequence[str]) -> Filters:
    """The window ``role``'s pattern analyses (hot spot trends, recurring locations,
    youth-work gaps, profiles) run over.

    Parameters
    ----------
    role : str or Role
        The viewing role.
    chosen : Filters
        The period chosen in the sidebar (a whole quarter for the partnership).
    months : sequence of str
        Months with data, ``YYYY-MM``.

    Returns
    -------
    Filters
        For the partnership (whose period menu is whole quarters) the calendar year of the
        chosen quarter, from the one fixed hierarchy quarter -> year
        (:func:`geo.disclosure.windows.partnership_pattern_window`); roles that see exact
        counts keep their own window.
    """
    if as_role(role).sees_exact_counts:
        return chosen
    return partnership_pattern_window(chosen, months)


def playback_steps(
    role: str | Role, window: Filters, months: Sequence[str]
) -> list[tuple[str, Filters]]:
    """The steps of a month-by-month playback for ``role``, as ``(label, filters)``.

    Parameters
    ----------
    role : str or Role
        The viewing role.
    window : Filters
        The period chosen in the sidebar.
    months : sequence of str
        Months with data, ``YYYY-MM``.

    Returns
    -------
    list of (str, Filters)
        The window's months for analysts (with their categories); the fixed menu of whole
        quarters for the partnership
        (:func:`geo.disclosure.windows.partnership_quarters`, never months).
    """
    if role == Role.PARTNERSHIP:
        return [(quarter_label(q), q) for q in partnership_quarters(months)]
    inside = [m for m in months if window.month_from <= m <= window.month_to]
    return [(m, Filters(m, m, window.categories)) for m in inside]


def min_records_described(role: str | Role, config: Config) -> int:
    """The fewest records a place must hold in a period before what they hold is
    described to ``role`` (the quarter's story): none for roles that see exact counts,
    ``disclosure.min_count`` for the partnership.

    Parameters
    ----------
    role : str or Role
        The viewing role.
    config : Config
        The configuration holding the disclosure threshold.

    Returns
    -------
    int
        The threshold (0 when every place is described).
    """
    return 0 if as_role(role).sees_exact_counts else config.disclosure.min_count
