"""What a role may see of the Youth work page's gaps and plans (DESIGN §4).

Partnership rules: resolution 8 or coarser (:func:`check_resolution`); gap reasons built
with ``exact_counts=False`` (:class:`geo.lenses.coverage.CoverageSettings`) and counts of 1
to ``min_count - 1`` withheld (:func:`disclose_gaps`); the parts of the incident total
(serious youth violence and harmful sexual behaviour) never shown; no weighted need or
need covered (sums of counts), only shares (:func:`disclose_plan_frame`). The
partnership's analysis runs on the publishable dataset (records at sensitive premises
removed upstream), so no gap is dropped here: a hole would point at the premise.
Analysts see everything.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from geo.core.config import Config
from geo.core.roles import Role
from geo.disclosure.policy import small_counts
from geo.disclosure.suppression import check_resolution

__all__ = ["PLAN_NEED_COLUMNS", "disclose_gaps", "disclose_plan_frame", "gaps_for_role"]

#: Plan columns that are sums of weighted counts (analysts only).
PLAN_NEED_COLUMNS: Final = ("gain", "cumulative")


def disclose_gaps(frame: pd.DataFrame, role: str, min_count: int) -> pd.DataFrame:
    """What ``role`` may see of a gap table.

    Analysts see everything. For the ``partnership`` role counts from 1 to
    ``min_count - 1`` are withheld (``<NA>``), and the weighted ``need`` and ``unmet``
    (from which counts could be worked out) are dropped; the rank, hours and reasons
    (built with ``exact_counts=False``) stay.
    """
    if role != Role.PARTNERSHIP:
        return frame.copy()
    out = frame.drop(columns=[c for c in ("need", "unmet") if c in frame.columns])
    for c in ("incidents", "syv", "hsb", "missing"):
        if c in out.columns:
            v = out[c].astype("Int64")
            out[c] = v.mask(small_counts(v.fillna(0), min_count))
    # incidents = syv + hsb: one hidden part beside a shown total is recoverable
    if {"incidents", "syv", "hsb"} <= set(out.columns):
        hidden = out[["syv", "hsb"]].isna().sum(axis=1)
        out.loc[(hidden == 1) & out["incidents"].notna(), "incidents"] = pd.NA
    return out


def gaps_for_role(gaps: pd.DataFrame, role: str, *, res: int, config: Config) -> pd.DataFrame:
    """The ranked gaps as ``role`` may see them (:func:`disclose_gaps` with the
    configuration's threshold; for the partnership without ``syv`` and ``hsb``).

    Raises :class:`geo.disclosure.DisclosureError` when ``res`` is finer than the role
    may see.
    """
    check_resolution(role, res, config)
    if role == Role.PARTNERSHIP:
        # the parts of ``incidents`` are never shown to the partnership, so the total
        # needs no secondary suppression (and stays consistent with the reasons)
        gaps = gaps.drop(columns=["syv", "hsb"])
    return disclose_gaps(gaps, role, config.disclosure.min_count)


def disclose_plan_frame(frame: pd.DataFrame, role: str) -> pd.DataFrame:
    """A plan table (:func:`geo.lenses.youth_work_plan.plan_frame`) as ``role`` may see
    it: shares only for the partnership (:data:`PLAN_NEED_COLUMNS` dropped)."""
    if role == Role.PARTNERSHIP:
        frame = frame.drop(columns=[c for c in PLAN_NEED_COLUMNS if c in frame.columns])
    return frame
