"""Keyed pseudonyms (DESIGN §4).

Pseudonyms are HMAC-SHA256 of the partner's identifier under a secret key, never a
plain hash (a plain hash of a known identifier is trivially reversed by guessing).
Disclosure control lives in :mod:`geo.disclosure`, the publication layer.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd


def pseudonymise(values: pd.Series, key: bytes, *, namespace: str = "") -> pd.Series:
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
