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

from geo.config import Config
from geo.disclosure.perturbation import (
    KEY_RANGE,
    PerturbationTable,
    perturb,
    placesafe_ptable,
)
from geo.disclosure.policy import (
    DisclosureError,
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
from geo.roles import ROLES, Role, as_role
from geo.store import Store

__all__ = [
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


def max_resolution(role: str | Role, config: Config) -> int:
    """Finest H3 resolution ``role`` may see under ``config``."""
    return disclosure_policy(config).max_resolution(role)


def allowed_resolutions(role: str | Role, config: Config) -> list[int]:
    """The fixed menu of analysis resolutions for ``role`` (7 up to its floor)."""
    return disclosure_policy(config).allowed_resolutions(role)
