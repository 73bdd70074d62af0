"""The publication layer: the only code that withholds, perturbs or coarsens (DESIGN §4).

Lenses and statistics return exact results and know nothing of roles. What the
partnership sees is produced here, in three steps:

1. **A publishable dataset** (:func:`store_for`): records located at a sensitive
   premise are removed before any analysis runs, at every resolution and in every total.
2. **Suppression** (:func:`disclose_levels`): counts from 1 to ``min_count - 1`` are
   withheld, and secondary suppression over resolutions and totals stops differencing.
3. **Cell-key perturbation** (:func:`publish_counts`): every shown count moves by a
   small amount fixed by its records' keys, so the same cell publishes the same value
   everywhere and subtracting outputs no longer yields exact counts.

Periods for the partnership are the fixed quarter grid and whole calendar years
(:mod:`geo.disclosure.windows`). One policy (:func:`disclosure_policy`) holds every
parameter; one value (NaN in numbers, :data:`WITHHELD` in text) stands for a withheld
figure.
"""

from __future__ import annotations

import numpy as np

from geo.core.config import Config
from geo.core.errors import DisclosureError
from geo.core.filters import Filters
from geo.core.roles import ROLES, Role, as_role
from geo.disclosure.perturbation import (
    KEY_RANGE,
    PerturbationTable,
    perturb,
    placesafe_ptable,
)
from geo.disclosure.policy import (
    DisclosurePolicy,
    disclosure_policy,
    small_counts,
    suppress_small_counts,
)
from geo.disclosure.publishable import (
    PublishedStore,
    protected_cells,
    protected_record_counts,
    publishable_store,
)
from geo.disclosure.suppression import (
    PUBLICATION_NOTE,
    WITHHELD,
    WITHHELD_EXPLAINED,
    DisclosedLevels,
    check_resolution,
    disclose_counts,
    disclose_levels,
    protect_hierarchy,
    publication_note,
    publish_counts,
)
from geo.store.database import Store
from geo.store.queries import holds_ed_assaults

__all__ = [
    # the publication layer's modules
    "counts",
    "coverage",
    "health",
    "missing",
    "perturbation",
    "policy",
    "publishable",
    "rates",
    "schools",
    "suppression",
    "views",
    "windows",
    # its API
    "KEY_RANGE",
    "PUBLICATION_NOTE",
    "ROLES",
    "WITHHELD",
    "WITHHELD_EXPLAINED",
    "DisclosedLevels",
    "DisclosureError",
    "DisclosurePolicy",
    "PerturbationTable",
    "PublishedStore",
    "Role",
    "allowed_resolutions",
    "as_role",
    "check_resolution",
    "disclose_counts",
    "disclose_levels",
    "disclosure_policy",
    "max_resolution",
    "perturb",
    "placesafe_ptable",
    "protect_hierarchy",
    "protected_cells",
    "protected_record_counts",
    "protected_records_note",
    "publication_note",
    "publish_counts",
    "publishable_store",
    "small_counts",
    "store_for",
    "suppress_small_counts",
]


def store_for(store: Store, role: str | Role, config: Config) -> Store:
    """The store ``role``'s analyses run on: the publishable dataset for the
    partnership (records at sensitive premises removed), the exact store otherwise."""
    if as_role(role).is_published_to:
        if isinstance(store, PublishedStore):
            return store
        return publishable_store(store, config)
    return store.base if isinstance(store, PublishedStore) else store


def protected_records_note(store: Store, config: Config, filters: Filters) -> str | None:
    """The one statement, beside the area totals, that records at protected places are
    not included, with their number published like any count (withheld when 1 to
    ``min_count - 1``, perturbed otherwise); None when no premise is configured."""
    exact = store.base if isinstance(store, PublishedStore) else store
    if protected_cells(config).size == 0:
        return None
    start, end = filters.bounds()
    counts = protected_record_counts(exact, config, start, end)
    n = sum(c for c, _ in counts.values())
    keys = sum(k for _, k in counts.values())
    policy = disclosure_policy(config)
    if 1 <= n < policy.min_count:
        amount = f"fewer than {policy.min_count}"
    else:
        amount = f"{publish_counts(np.array([float(n)]), np.array([keys]), config)[0]:,.0f}"
    what = (
        "incidents, missing episodes and A&E assaults"
        if holds_ed_assaults(exact)
        else "incidents and missing episodes"
    )
    return (
        f"Records at protected places (children's homes, refuges) are not included in any "
        f"figure or map: {amount} {what} in this period."
    )


def max_resolution(role: str | Role, config: Config) -> int:
    """Finest H3 resolution ``role`` may see under ``config``."""
    return disclosure_policy(config).max_resolution(role)


def allowed_resolutions(role: str | Role, config: Config) -> list[int]:
    """The fixed menu of analysis resolutions for ``role`` (7 up to its floor)."""
    return disclosure_policy(config).allowed_resolutions(role)
