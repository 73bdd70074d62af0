"""Where missing children are found or last seen: hot spots shared with SYV, and recurrence.

Exact figures over the ``missing_episodes`` table (found / last-seen cells ``cell_7`` ..
``cell_10``), for the Missing page's places (:mod:`geo.lenses.missing_view`):

* :func:`found_location_overlap`: cells that are Gi* hot spots both of missing children's
  found / last-seen locations and of incidents;
* :func:`quarters_active`: in how many calendar quarters each found / last-seen cell had
  an episode (recurrence across periods).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo.core.area import StudyArea
from geo.core.errors import InsufficientDataError
from geo.core.filters import ANALYSIS_RESOLUTIONS, Filters
from geo.stats.getis_ord import gi_star
from geo.store.cube import build_cube
from geo.store.database import Store

__all__ = [
    "RECURRENCE_QUARTERS",
    "FoundOverlap",
    "found_location_overlap",
    "quarters_active",
]

#: Confidence of the Gi* bins 1..3, for reasons.
_CONFIDENCE: Final[dict[int, str]] = {1: "90 %", 2: "95 %", 3: "99 %"}
#: Quarters looked back over for "recurrence across periods" (at least the window).
RECURRENCE_QUARTERS: Final = 4


# --- found locations and SYV hot spots -----------------------------------------------------


@dataclass(frozen=True)
class FoundOverlap:
    """Cells hot for both missing found / last-seen locations and SYV incidents.

    Attributes
    ----------
    cells : DataFrame
        One row per overlapping cell (H3 string index ``cell``): ``missing``
        (episodes found / last seen there), ``incidents``, ``missing_bin`` and
        ``incident_bin`` (Gi* bins 1..3), ``missing_z``, ``incident_z`` and
        ``reason`` (plain English); sorted by missing bin, then episodes, descending.
    missing_gi, incident_gi : DataFrame
        Gi* (``z``, ``p``, ``bin``) of each layer's whole-period totals over the
        study-area grid, indexed by H3 strings.
    res : int
        Resolution of the cells.
    """

    cells: pd.DataFrame
    missing_gi: pd.DataFrame
    incident_gi: pd.DataFrame
    res: int


def found_location_overlap(
    store: Store,
    area: StudyArea,
    filters: Filters,
    *,
    res: int = 9,
    k: int = 1,
    fdr: bool = False,
) -> FoundOverlap:
    """Cells that are Gi* hot spots of missing found-locations and of incidents.

    Gi* runs on each layer's total over the whole period, on the full study-area
    grid at ``res`` (zeros included); a cell is listed when both bins are > 0
    (hot at 90 % confidence or more). The filter's incident categories apply to
    the incident layer.

    Parameters
    ----------
    store, area, filters
        Data, study-area grid and period.
    res : int
        Analysis resolution, 7 to 10.
    k : int
        Gi* neighbourhood radius (grid steps).
    fdr : bool
        Benjamini-Hochberg correction of the bins.
    """
    if res not in ANALYSIS_RESOLUTIONS:
        raise ValueError(f"resolution must be one of {ANALYSIS_RESOLUTIONS}")
    missing = build_cube(store, area, "missing", res, filters).sum(axis=1)
    incidents = build_cube(store, area, "incidents", res, filters).sum(axis=1)
    m_gi = _gi_or_nothing(missing, k, fdr)
    i_gi = _gi_or_nothing(incidents, k, fdr)
    both = (m_gi["bin"] > 0) & (i_gi["bin"] > 0)
    cells = pd.DataFrame(
        {
            "missing": missing[both].astype(np.int64),
            "incidents": incidents[both].astype(np.int64),
            "missing_bin": m_gi.loc[both, "bin"].astype(np.int64),
            "incident_bin": i_gi.loc[both, "bin"].astype(np.int64),
            "missing_z": m_gi.loc[both, "z"],
            "incident_z": i_gi.loc[both, "z"],
        }
    )
    cells.index.name = "cell"
    cells["reason"] = _overlap_reasons(cells)
    cells = cells.sort_values(["missing_bin", "missing"], ascending=False, kind="stable")
    return FoundOverlap(cells, m_gi, i_gi, res)


def _gi_or_nothing(values: pd.Series, k: int, fdr: bool) -> pd.DataFrame:
    """Gi* of a layer, or no hot spot anywhere when it cannot be computed (no events,
    or the same count in every cell: a period or a store without the feed)."""
    try:
        return gi_star(values, k=k, fdr=fdr)
    except InsufficientDataError:
        return pd.DataFrame(
            {"z": 0.0, "p": 1.0, "bin": np.zeros(len(values), dtype=np.int64)},
            index=values.index,
        )


def _times(n: pd.Series) -> pd.Series:
    text = n.astype(np.int64).astype(str) + " times"
    return text.mask(n == 1, "once").mask(n == 0, "no times")


def _overlap_reasons(cells: pd.DataFrame) -> pd.Series:
    m_conf = cells["missing_bin"].map(_CONFIDENCE).astype(str)
    i_conf = cells["incident_bin"].map(_CONFIDENCE).astype(str)
    return (
        "missing children found or last seen here "
        + _times(cells["missing"])
        + " (a missing hot spot, "
        + m_conf
        + " confidence); also an SYV hot spot ("
        + i_conf
        + " confidence)"
    )


# --- recurrence across periods -------------------------------------------------------------


def quarters_active(
    store: Store, res: int, filters: Filters, *, quarters: int = RECURRENCE_QUARTERS
) -> tuple[pd.Series, int]:
    """In how many calendar quarters each found / last-seen cell had an episode.

    The quarters are those the window touches, extended back to at least
    ``quarters`` quarters ending with the window's last month.

    Returns
    -------
    (Series, int)
        Quarters with at least one episode, indexed by H3 string; and the number
        of quarters looked at.
    """
    start, end = filters.bounds()
    last_q = pd.Period(end - pd.Timedelta(days=1), freq="Q")
    first_q = min(pd.Period(start, freq="Q"), last_q - (quarters - 1))
    q_start = first_q.start_time
    n_quarters = int((last_q - first_q).n) + 1
    col = f"cell_{res}"
    found = store.query(
        f"SELECT lower(hex({col})) AS cell, "
        "count(DISTINCT year(reported_at) * 10 + quarter(reported_at)) AS quarters "
        f"FROM missing_episodes WHERE reported_at >= ? AND reported_at < ? AND {col} IS NOT NULL "
        "GROUP BY 1",
        [q_start.to_pydatetime(), end],
    )
    return found.set_index("cell")["quarters"].astype(np.int64), n_quarters
