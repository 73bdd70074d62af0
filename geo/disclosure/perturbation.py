"""Cell-key perturbation (the method of ONS Census 2021 flexible tables and ABS TableBuilder).

Every record gets a random *record key* in ``0 .. KEY_RANGE - 1`` when it is ingested
(:mod:`geo.store.database`). A published cell's *cell key* is the sum of its records' keys
modulo ``KEY_RANGE``, so the same set of records gives the same key wherever it
appears. A *perturbation table* (ptable) indexed by ``(pcv, ckey)`` gives the noise
added to the count, where the perturbation lookup value ``pcv`` is the count itself up
to 750 and cycles through rows 501..750 above that — exactly as ONS's published
package ``cell-key-perturbation`` does (its ptable format is ``pcv, ckey, pvalue``;
:func:`perturb` agrees with its ``create_perturbed_table`` in a golden test).

PlaceSafe's own ptable (:func:`placesafe_ptable`) leaves zero at zero and counts below
``min_count`` unchanged (they are withheld by primary suppression anyway), leaves
``min_count`` itself unchanged, and moves larger counts by at most ``max_noise`` with a
mean of zero, never into the withheld range. So subtracting one published figure from
another no longer yields an exact count, and no published figure is ever 1 to
``min_count - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Record keys are ``0 .. KEY_RANGE - 1``; cell keys are sums modulo this.
KEY_RANGE = 256
#: Counts above this reuse the ptable rows 501..750 (ONS's convention).
PCV_ROWS = 750


@dataclass(frozen=True)
class PerturbationTable:
    """A ptable as a dense array: ``pvalue[pcv, ckey]`` for ``pcv`` 0..750.

    Attributes
    ----------
    pvalue : ndarray of int64, shape (751, KEY_RANGE)
        Noise added to a count whose lookup value is ``pcv`` and cell key ``ckey``;
        row 0 (a zero count) is all zero.
    max_noise : int
        The largest absolute noise in the table.
    """

    pvalue: npt.NDArray[np.int64]
    max_noise: int

    def to_frame(self) -> pd.DataFrame:
        """The table in ONS's published long format: ``pcv``, ``ckey``, ``pvalue``
        (rows 1..750; a count of zero is never perturbed)."""
        pcv, ckey = np.meshgrid(np.arange(1, PCV_ROWS + 1), np.arange(KEY_RANGE), indexing="ij")
        return pd.DataFrame(
            {
                "pcv": pcv.ravel(),
                "ckey": ckey.ravel(),
                "pvalue": self.pvalue[1:].ravel(),
            }
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> PerturbationTable:
        """A ptable from ONS's long format (``pcv``, ``ckey``, ``pvalue``).

        Raises
        ------
        ValueError
            When a column is missing, a key or lookup value is out of range, or a row
            would turn a positive count negative.
        """
        missing = {"pcv", "ckey", "pvalue"} - set(frame.columns)
        if missing:
            raise ValueError("a ptable needs the columns pcv, ckey and pvalue")
        pcv = frame["pcv"].to_numpy(dtype=np.int64)
        ckey = frame["ckey"].to_numpy(dtype=np.int64)
        pvalue = frame["pvalue"].to_numpy(dtype=np.int64)
        if (pcv < 1).any() or (pcv > PCV_ROWS).any() or (ckey < 0).any():
            raise ValueError(f"ptable pcv must be 1..{PCV_ROWS} and ckey at least 0")
        if (ckey >= KEY_RANGE).any():
            raise ValueError(f"ptable ckey must be below {KEY_RANGE}")
        if (pcv + pvalue < 0).any():
            raise ValueError("a ptable row may not make a count negative")
        table = np.zeros((PCV_ROWS + 1, KEY_RANGE), dtype=np.int64)
        table[pcv, ckey] = pvalue
        return cls(table, int(np.abs(table).max(initial=0)))


def placesafe_ptable(min_count: int, max_noise: int = 2) -> PerturbationTable:
    """PlaceSafe's perturbation table.

    For a count ``c``: 0 stays 0; ``1 .. min_count - 1`` are unchanged (primary
    suppression withholds them); ``c >= min_count`` gets noise from a zero-mean
    distribution on ``max(min_count - c, -max_noise) .. max_noise`` chosen so that the
    published value never falls below ``min_count``. With ``max_noise = 2`` and enough
    room the distribution is −2: 5 %, −1: 20 %, 0: 50 %, +1: 20 %, +2: 5 %. The 256
    cell keys are spread over the distribution in proportion to its probabilities.

    Parameters
    ----------
    min_count : int
        Counts from 1 to ``min_count - 1`` are withheld.
    max_noise : int
        The largest change to a count (0 turns perturbation off).
    """
    if max_noise < 0:
        raise ValueError("max_noise must be at least 0")
    base = {0: 0.5, 1: 0.2, 2: 0.05, 3: 0.02, 4: 0.01}
    table = np.zeros((PCV_ROWS + 1, KEY_RANGE), dtype=np.int64)
    for count in range(max(min_count, 1), PCV_ROWS + 1):
        low = max(min_count - count, -max_noise)
        reach = min(-low, max_noise)  # symmetric support keeps the mean at zero
        if reach <= 0:
            continue
        noises = np.arange(-reach, reach + 1)
        weights = np.array([base.get(abs(int(n)), 0.005) for n in noises])
        weights = weights / weights.sum()
        # cell keys 0..255 are uniform: give each noise a share of them
        bounds = np.rint(np.cumsum(weights) * KEY_RANGE).astype(np.int64)
        starts = np.concatenate([[0], bounds[:-1]])
        row = np.zeros(KEY_RANGE, dtype=np.int64)
        for noise, start, stop in zip(noises, starts, bounds, strict=True):
            row[start:stop] = noise
        # spread the noises over the keys so neighbouring keys are not alike
        table[count] = row[_KEY_SHUFFLE]
    return PerturbationTable(table, int(np.abs(table).max(initial=0)))


#: A fixed permutation of the cell keys (a ptable is published, so nothing is hidden by it).
_KEY_SHUFFLE = np.random.default_rng(20211).permutation(KEY_RANGE)


def lookup_values(counts: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """ONS's perturbation lookup value: the count up to 750, then cycling 501..750."""
    c = np.asarray(counts, dtype=np.int64)
    return np.where(c <= PCV_ROWS, c, ((c - 1) % 250) + 501)


def cell_keys(key_sums: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Cell keys from sums of record keys."""
    return np.asarray(key_sums, dtype=np.int64) % KEY_RANGE


def perturb(
    counts: npt.ArrayLike, key_sums: npt.ArrayLike, ptable: PerturbationTable
) -> npt.NDArray[np.int64]:
    """Perturbed counts.

    Parameters
    ----------
    counts : array of int
        Exact counts (non-negative).
    key_sums : array of int
        The sum of the record keys of each count's records (any non-negative
        integer; reduced modulo :data:`KEY_RANGE` here).
    ptable : PerturbationTable
        The perturbation table.

    Returns
    -------
    ndarray of int64
        ``count + pvalue[pcv(count), ckey]``; zero stays zero.
    """
    c = np.asarray(counts, dtype=np.int64)
    if c.size == 0:
        return c.copy()
    noise = ptable.pvalue[lookup_values(np.maximum(c, 0)), cell_keys(key_sums)]
    return np.where(c > 0, c + noise, c)
