"""Keyed pseudonyms and disclosure control (DESIGN §4).

Pseudonyms are HMAC-SHA256 of the partner's identifier under a secret key, never a
plain hash (a plain hash of a known identifier is trivially reversed by guessing).
Disclosure control turns exact counts into what a role may see.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Roles in order of what they may see.
ROLES: tuple[str, ...] = ("partnership", "analyst", "admin")


def pseudonymise(values: pd.Series, key: bytes, namespace: str = "") -> pd.Series:
    """Replace identifiers with keyed pseudonyms (HMAC-SHA256, first 16 hex digits).

    Parameters
    ----------
    values : Series of str
        Source identifiers; empty strings stay empty.
    key : bytes
        Secret key (at least 32 bytes).
    namespace : str
        Mixed into the message so the same identifier in two feeds can be kept apart.

    Returns
    -------
    Series of str
        Pseudonyms, aligned with ``values``.
    """
    if len(key) < 32:
        raise ValueError("the pseudonym key must be at least 32 bytes")
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    uniques = pd.unique(text.to_numpy())
    prefix = namespace.encode() + b"\x1f"
    mapping = {
        u: (hmac.new(key, prefix + u.encode(), hashlib.sha256).hexdigest()[:16] if u else "")
        for u in uniques
    }
    return text.map(mapping)


def max_resolution(role: str, partnership_max: int = 8, analyst_max: int = 10) -> int:
    """Finest H3 resolution a role may see."""
    if role == "partnership":
        return partnership_max
    if role in ("analyst", "admin"):
        return analyst_max
    raise ValueError("unknown role")


def allowed_resolutions(role: str, partnership_max: int = 8, analyst_max: int = 10) -> list[int]:
    """The fixed menu of analysis resolutions for a role (7 up to its floor)."""
    return list(range(7, max_resolution(role, partnership_max, analyst_max) + 1))


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

    Zero is not suppressed (it discloses nothing about a person).

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
