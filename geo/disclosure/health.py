"""Disclosure of the Health and police view (DESIGN §4): what the partnership may see of
the places known to health and not to police (:mod:`geo.lenses.health_police`).

* **Counts per place** (A&E assaults, police-recorded violence) are published like the
  map's cells: controlled jointly over every resolution the partnership may choose and
  the layer's total, then perturbed with their records' keys
  (:func:`disclose_place_counts`, :func:`geo.disclosure.disclose_levels`), so the same
  records publish the same figure wherever they are counted alike.
* **Figures worked out from counts** (expected assaults, times expected) are computed
  from the *published* counts and a rounded area-wide share only
  (:func:`published_expected`): exact ones would give the exact counts back
  (``ratio × expected``), and nothing can be learnt from published figures that they
  did not already say. Where a count is withheld, so are they.
* **Significance** is shown as a band of evidence (:func:`evidence_band`), never as a
  p- or q-value: an exact p-value of a place, with the area's share, pins its counts.
* **Mixes** (means of assault, time of week) of a place are shown only where its count
  is shown, as shares of published counts; categories from 1 to ``min_count - 1``,
  and those that would let one be worked out from the place's count, are withheld and
  shown together as one combined share (:func:`disclose_mix`).
* **The feed's breakdown** (assaults placed, by method; at a private home; not placed,
  by reason) is one hierarchy under the feed's total, with secondary suppression and
  perturbation (:func:`disclose_breakdown`).

Analysts get the exact figures from every function here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.config import Config
from geo.core.roles import Role, as_role
from geo.disclosure.policy import disclosure_policy, small_counts
from geo.disclosure.suppression import (
    DisclosedLevels,
    check_resolution,
    disclose_levels,
    protect_hierarchy,
    publish_counts,
)

__all__ = [
    "COMBINED",
    "EVIDENCE_BANDS",
    "DisclosedBreakdown",
    "disclose_breakdown",
    "disclose_mix",
    "disclose_place_counts",
    "evidence_band",
    "published_expected",
    "published_share",
]

#: The category under which a mix's withheld categories are shown together.
COMBINED: Final = "withheld_combined"
#: Bands of evidence for a finding, strongest first: (largest q-value, words).
EVIDENCE_BANDS: Final[tuple[tuple[float, str], ...]] = (
    (0.001, "very strong"),
    (0.01, "strong"),
)


def evidence_band(q: npt.ArrayLike, alpha: float) -> npt.NDArray[np.object_]:
    """How strong the evidence of each place is, in words ("very strong", "strong",
    "moderate" up to ``alpha``; "" above it or where not tested)."""
    arr = np.asarray(q, dtype=np.float64)
    out = np.full(arr.shape, "", dtype=object)
    with np.errstate(invalid="ignore"):
        out[arr <= alpha] = "moderate"
        for bound, words in EVIDENCE_BANDS[::-1]:
            out[arr <= min(bound, alpha)] = words
    return out


def published_share(share: float, role: str | Role) -> float:
    """An area-wide share as ``role`` may see it: to the whole percent for the
    partnership (the exact share of two totals, beside published counts, would narrow
    them), exact otherwise."""
    if as_role(role).sees_exact_counts or not np.isfinite(share):
        return float(share)
    return float(np.round(share, 2))


def published_expected(
    ed: npt.ArrayLike, police: npt.ArrayLike, share: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Expected A&E records ``(ed + police) · share`` and times expected ``ed /
    expected``, from figures a role may see (NaN where either count is withheld)."""
    a = np.asarray(ed, dtype=np.float64)
    b = np.asarray(police, dtype=np.float64)
    expected = (a + b) * share
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, a / expected, np.nan)
    return expected, np.asarray(ratio, dtype=np.float64)


def disclose_place_counts(
    ed: dict[int, pd.DataFrame],
    ed_total: tuple[int, int],
    police: dict[int, pd.DataFrame],
    police_total: tuple[int, int],
    role: str | Role,
    config: Config,
) -> tuple[DisclosedLevels, DisclosedLevels]:
    """A&E assaults and police-recorded violence per cell, as ``role`` may see them.

    Parameters
    ----------
    ed, police : dict of int to DataFrame
        Per resolution (every one the role may choose, and the one shown): ``cell``
        (uint64), ``count`` and ``key_sum``.
    ed_total, police_total : (int, int)
        Every record of the layer in the period, with a cell or not, and the sum of
        their keys (records without a cell are one always-withheld part of the total).
    role : str or Role
        The viewing role.
    config : Config
        The disclosure policy.

    Returns
    -------
    (DisclosedLevels, DisclosedLevels)
        A&E and police, each per resolution (:func:`geo.disclosure.disclose_levels`).
    """
    for res in (*ed, *police):
        check_resolution(role, res, config)
    return (
        disclose_levels(ed, float(ed_total[0]), role, config, total_key=ed_total[1]),
        disclose_levels(police, float(police_total[0]), role, config, total_key=police_total[1]),
    )


def disclose_mix(
    counts: pd.DataFrame,
    by: str,
    place_counts: pd.Series,
    shown_counts: pd.Series,
    role: str | Role,
    config: Config,
) -> pd.DataFrame:
    """A mix of each place's records (means of assault, time of week) as shares.

    Parameters
    ----------
    counts : DataFrame
        ``cell``, ``by`` (the category), ``count`` and ``key_sum``: every category of
        each place, zeros included.
    by : str
        The category column.
    place_counts : Series
        Each place's exact count (indexed by ``cell``; the sum of its categories).
    shown_counts : Series
        Each place's count as the role sees it (NaN where withheld).
    role : str or Role
        The viewing role.
    config : Config
        The disclosure policy.

    Returns
    -------
    DataFrame
        ``cell``, ``by`` and ``share`` (0 to 1; NaN where withheld). For the
        partnership the shares are of published counts, a place whose count is withheld
        shows no share, and each place with withheld categories gets one more row,
        :data:`COMBINED`, with their share together. Analysts see exact shares.
    """
    frame = counts.reset_index(drop=True)
    cells = frame["cell"].to_numpy()
    values = frame["count"].to_numpy(dtype=np.float64)
    if as_role(role).sees_exact_counts:
        totals = place_counts.reindex(cells).to_numpy(dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(totals > 0, values / totals, np.nan)
        return pd.DataFrame({"cell": cells, by: frame[by].to_numpy(), "share": share})
    min_count = disclosure_policy(config).min_count
    rows: list[pd.DataFrame] = []
    for cell, part in frame.groupby("cell", sort=False):  # one group per listed place
        v = part["count"].to_numpy(dtype=np.float64)
        shown_total = float(shown_counts.get(cell, np.nan))
        held, total_held = protect_hierarchy(
            [v],
            [small_counts(v, min_count)],
            [np.zeros(v.size, dtype=np.int64)],
            float(v.sum()),
            bool(small_counts([v.sum()], min_count)[0]),
            min_count,
        )
        withheld = held[0] | total_held | (not np.isfinite(shown_total))
        if not (~withheld & (v > 0)).any():  # nothing with records left to show
            withheld = np.ones(v.size, dtype=bool)
        shown = publish_counts(np.where(withheld, np.nan, v), part["key_sum"].to_numpy(), config)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = shown / shown_total if shown_total > 0 else np.full(v.size, np.nan)
        combined = np.nan
        if np.isfinite(shown_total) and (withheld & (v > 0)).any() and not withheld.all():
            combined = max(0.0, 1.0 - float(np.nansum(share)))
        rows.append(
            pd.DataFrame(
                {
                    "cell": [cell] * (v.size + 1),
                    by: [*part[by].tolist(), COMBINED],
                    "share": [*share.tolist(), combined],
                }
            )
        )
    if not rows:
        return pd.DataFrame({"cell": [], by: [], "share": []})
    return pd.concat(rows, ignore_index=True)


@dataclass(frozen=True)
class DisclosedBreakdown:
    """A total and its parts (each maybe split further) as a role may see them.

    Attributes
    ----------
    total : float or None
        The total (None when withheld).
    parts : DataFrame
        ``label`` and ``value`` (NaN when withheld).
    children : DataFrame
        ``parent`` (a part's label), ``label`` and ``value`` (NaN when withheld).
    """

    total: float | None
    parts: pd.DataFrame
    children: pd.DataFrame


def disclose_breakdown(
    total: tuple[int, int],
    parts: pd.DataFrame,
    children: pd.DataFrame,
    role: str | Role,
    config: Config,
) -> DisclosedBreakdown:
    """A total, its parts and their parts, as ``role`` may see them.

    Parameters
    ----------
    total : (int, int)
        The total and the sum of its records' keys.
    parts : DataFrame
        ``label``, ``count`` and ``key_sum``; the counts add up to the total.
    children : DataFrame
        ``parent`` (a label of ``parts``), ``label``, ``count`` and ``key_sum``; each
        parent's children add up to it.
    role : str or Role
        The viewing role.
    config : Config
        The disclosure policy.

    Returns
    -------
    DisclosedBreakdown
        For the partnership: counts from 1 to ``min_count - 1`` withheld, with
        secondary suppression over the tree (:func:`geo.disclosure.protect_hierarchy`) and
        the shown counts perturbed with their keys. Exact for other roles.
    """
    labels = parts["label"].tolist()
    p = parts["count"].to_numpy(dtype=np.float64)
    c = children["count"].to_numpy(dtype=np.float64)
    if as_role(role).sees_exact_counts:
        return DisclosedBreakdown(
            float(total[0]),
            pd.DataFrame({"label": labels, "value": p}),
            pd.DataFrame(
                {"parent": children["parent"].to_numpy(), "label": children["label"], "value": c}
            ),
        )
    min_count = disclosure_policy(config).min_count
    parent_of = np.array([labels.index(x) for x in children["parent"]], dtype=np.int64)
    held, total_held = protect_hierarchy(
        [p, c],
        [small_counts(p, min_count), small_counts(c, min_count)],
        [np.zeros(p.size, dtype=np.int64), parent_of],
        float(total[0]),
        bool(small_counts([total[0]], min_count)[0]),
        min_count,
    )
    shown_parts = publish_counts(np.where(held[0], np.nan, p), parts["key_sum"].to_numpy(), config)
    shown_children = publish_counts(
        np.where(held[1], np.nan, c), children["key_sum"].to_numpy(), config
    )
    shown_total = None
    if not total_held:
        shown_total = float(
            publish_counts(np.array([float(total[0])]), np.array([total[1]]), config)[0]
        )
    return DisclosedBreakdown(
        shown_total,
        pd.DataFrame({"label": labels, "value": shown_parts}),
        pd.DataFrame(
            {
                "parent": children["parent"].to_numpy(),
                "label": children["label"].to_numpy(),
                "value": shown_children,
            }
        ),
    )
