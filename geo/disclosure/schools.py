"""Disclosure of the schools lens (DESIGN §4): what the partnership may see of a school
table or ranking (:func:`geo.lenses.school_ranking.rank_schools`).

Incident counts from 1 to ``min_count - 1`` are withheld, with the totals and wider
rings that would give a withheld part away by subtraction; the pupils' missing
figures are the Missing page's (:func:`geo.lenses.missing.schools_for_partnership`);
the score and its components, linear in the counts, are dropped.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geo.core.roles import Role
from geo.core.terms import TIME_CLASSES
from geo.disclosure.policy import small_counts

__all__ = ["disclose_schools"]


def _withhold(values: pd.Series, min_count: int) -> pd.Series:
    v = values.astype("Int64")
    return v.mask(small_counts(v, min_count))


def disclose_schools(
    frame: pd.DataFrame,
    role: str,
    min_count: int,
    *,
    children: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What ``role`` may see of a school table or ranking.

    Analysts see everything. For the ``partnership`` role:

    * every incident count from 1 to ``min_count - 1`` is withheld (``<NA>``), and a
      total (all times within a distance) is withheld whenever any of its parts
      (journey, other, time unknown) is, so no part can be worked out by
      subtraction (recurring places are places, not people, and stay);
    * the pupils' missing figures are those the Missing page shows for the same
      period (``children``: :func:`geo.lenses.missing.schools_for_partnership`, whose
      secondary suppression protects them against the children total), so the
      two pages never disagree about what is withheld; without ``children`` they
      are withheld from 1 to ``min_count - 1``;
    * the score and its components (linear in the counts) are dropped, leaving
      the rank order and the reasons (built without children's counts: pass
      ``exact_counts=False`` to :func:`rank_schools`).
    """
    if role != Role.PARTNERSHIP:
        return frame.copy()
    out = frame.drop(columns=[c for c in frame.columns if c == "score" or c.startswith("c_")])
    count_cols = [c for c in out.columns if c.startswith(("incidents_", "hsb_", "missing_"))]
    for c in count_cols:
        out[c] = _withhold(out[c], min_count)
    if children is not None:
        shown = children.set_index("urn")
        urn = out["urn"].astype(str)
        for col, src in (
            ("missing_episodes", "episodes"),
            ("missing_children", "children"),
            ("missing_repeat_children", "repeat_children"),
        ):
            values = shown[src].reindex(urn).to_numpy(dtype=float)
            listed = urn.isin(shown.index).to_numpy()
            # a school no pupil of which went missing is 0 on both pages
            out[col] = pd.array(np.where(listed, values, 0.0)).astype("Int64")
    totals = sorted(
        (c for c in count_cols if re.fullmatch(r"incidents_[\d.]+m", c)),
        key=lambda c: float(c[len("incidents_") : -1]),
    )
    # a wider ring shown beside a narrower one gives the band between them by
    # subtraction: withhold the wider figure when that band would be small
    for inner, outer in zip(totals, totals[1:], strict=False):
        for suffix in ("", *(f"_{name}" for name in TIME_CLASSES)):
            a, b = inner + suffix, outer + suffix
            if a in out and b in out:
                band = out[b].astype("Float64") - out[a].astype("Float64")
                out.loc[small_counts(band.fillna(0), min_count), b] = pd.NA
    for total in totals:
        parts = [f"{total}_{name}" for name in TIME_CLASSES if f"{total}_{name}" in out]
        any_hidden = out[parts].isna().any(axis=1)
        out.loc[any_hidden, total] = pd.NA
    return out
