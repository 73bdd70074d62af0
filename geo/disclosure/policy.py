"""The one disclosure policy, built from the configuration (DESIGN §4).

Every threshold the publication layer uses lives here, read once from ``[disclosure]``
in the configuration; no analysis signature carries a threshold default.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.config import Config
from geo.core.errors import DisclosureError
from geo.core.roles import Role, as_role
from geo.disclosure.perturbation import PerturbationTable, placesafe_ptable


@dataclass(frozen=True)
class DisclosurePolicy:
    """What the publication layer does, with its parameters.

    Attributes
    ----------
    min_count : int
        Counts from 1 to ``min_count - 1`` are withheld (primary suppression).
    partnership_max_resolution, analyst_max_resolution : int
        The finest H3 resolution each role may see.
    premise_radius_m : float
        Records within this distance of a sensitive premise are never published.
    ptable : PerturbationTable
        The cell-key perturbation table.
    """

    min_count: int
    partnership_max_resolution: int
    analyst_max_resolution: int
    premise_radius_m: float
    ptable: PerturbationTable = field(compare=False, hash=False, repr=False)

    @property
    def max_noise(self) -> int:
        """The largest change perturbation makes to a published count."""
        return self.ptable.max_noise

    def max_resolution(self, role: str | Role) -> int:
        """Finest H3 resolution ``role`` may see."""
        r = as_role(role)
        return self.partnership_max_resolution if r.is_published_to else self.analyst_max_resolution

    def allowed_resolutions(self, role: str | Role) -> list[int]:
        """The fixed menu of analysis resolutions for ``role`` (7 up to its floor)."""
        return list(range(7, self.max_resolution(role) + 1))

    def check_resolution(self, role: str | Role, res: int) -> None:
        """Raise :class:`DisclosureError` when ``res`` is finer than ``role`` may see."""
        if res > self.max_resolution(role):
            raise DisclosureError(f"resolution {res} is finer than the {role} role may see")

    def small(self, counts: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """The primary suppression rule: which counts are 1 to ``min_count - 1``."""
        return small_counts(counts, self.min_count)


def small_counts(counts: npt.ArrayLike, min_count: int) -> npt.NDArray[np.bool_]:
    """The primary suppression rule: which counts are from 1 to ``min_count - 1``.

    Zero is not small (it discloses nothing about a person).
    """
    arr = np.asarray(counts, dtype=np.float64)
    return np.asarray((arr >= 1) & (arr < min_count), dtype=bool)


def suppress_small_counts(
    counts: npt.ArrayLike, min_count: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Primary suppression: counts from 1 to ``min_count - 1`` are withheld.

    Returns
    -------
    (ndarray, ndarray)
        Counts with suppressed entries as NaN, and the suppression mask.
    """
    arr = np.asarray(counts, dtype=np.float64)
    mask = small_counts(arr, min_count)
    out = arr.copy()
    out[mask] = np.nan
    return out, mask


@functools.lru_cache(maxsize=8)
def _ptable(min_count: int, max_noise: int, path: Path | None, mtime: float) -> PerturbationTable:
    if path is not None:
        return PerturbationTable.from_frame(pd.read_csv(path))
    return placesafe_ptable(min_count, max_noise)


def disclosure_policy(config: Config) -> DisclosurePolicy:
    """The disclosure policy of ``config`` (``[disclosure]``)."""
    d = config.disclosure
    mtime = d.ptable.stat().st_mtime if d.ptable is not None and d.ptable.exists() else 0.0
    return DisclosurePolicy(
        min_count=d.min_count,
        partnership_max_resolution=d.partnership_max_resolution,
        analyst_max_resolution=d.analyst_max_resolution,
        premise_radius_m=d.premise_radius_m,
        ptable=_ptable(d.min_count, d.perturbation_max_noise, d.ptable, mtime),
    )
