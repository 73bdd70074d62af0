"""Schools ranked by harm near them and among their pupils: a transparent weighted score
(:data:`SCORE_WEIGHTS`) and one or two plain-English reasons per school, over the table
:func:`geo.lenses.schools.incidents_near_schools` builds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from geo.core.terms import JOURNEY, OTHER, UNKNOWN
from geo.lenses.missing import REPEAT_DAYS, REPEAT_EPISODES

__all__ = ["FLAGGED_KINDS", "SCORE_WEIGHTS", "distance_column", "rank_schools"]


def distance_column(prefix: str, d: float, suffix: str = "") -> str:
    """The schools table's column for a count within ``d`` metres (``incidents_400m_journey``)."""
    return f"{prefix}_{d:g}m" + (f"_{suffix}" if suffix else "")


#: School kinds flagged in the ranking (they serve the children most at risk).
FLAGGED_KINDS: Final[dict[str, str]] = {
    "alternative_provision": "alternative provision",
    "special": "special school",
}


#: Weights of the school score (see :func:`rank_schools`).
SCORE_WEIGHTS: Final[dict[str, float]] = {
    "journey": 3.0,
    "other": 1.0,
    "hsb": 2.0,
    "missing_children": 1.0,
    "repeat_children": 2.0,
    "recurring": 1.0,
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def rank_schools(
    table: pd.DataFrame,
    phases: Sequence[str] = (),
    kinds: Sequence[str] = (),
    distance_m: float = 400.0,
    hsb_distance_m: float = 400.0,
    exact_counts: bool = True,
    *,
    min_count: int,
) -> pd.DataFrame:
    """Rank schools by a transparent score, with one or two plain-English reasons.

    Each component is the school's count divided by the largest count of any school
    in ``table`` (so each is between 0 and 1, and filtering does not change a
    school's score)::

        score = 3·journey + 1·other + 2·hsb + 1·missing_children
                + 2·repeat_children + 1·recurring

    where ``journey`` and ``other`` are incidents within ``distance_m`` on the
    school journey and at other times, ``hsb`` harmful sexual behaviour within
    ``hsb_distance_m``, ``missing_children`` distinct pupils missing,
    ``repeat_children`` pupils missing 3 or more times in 90 days and ``recurring``
    recurring places within 800 m. The maximum score is 10. Ties keep the order of
    more journey incidents first.

    Parameters
    ----------
    table : DataFrame
        From :func:`incidents_near_schools` (exact counts).
    phases, kinds : sequence of str
        Keep only these phases / kinds (empty keeps all).
    distance_m, hsb_distance_m : float
        Which buffer columns (metres) to score.
    exact_counts : bool
        When False (the partnership), reasons never quote a count from 1 to
        ``min_count - 1``.

    Returns
    -------
    DataFrame
        Filtered schools best first: ``rank`` (null for a school with nothing to rank:
        a score of zero), the school columns, ``score``, the six components and their
        counts, and ``reasons``.
    """
    counts = {
        "journey": table[distance_column("incidents", distance_m, JOURNEY)],
        "other": table[distance_column("incidents", distance_m, OTHER)],
        "hsb": table[distance_column("hsb", hsb_distance_m)],
        "missing_children": table["missing_children"],
        "repeat_children": table["missing_repeat_children"],
        "recurring": table["recurring_nearby"],
    }
    frame = table.copy()
    score = np.zeros(len(table))
    for name, values in counts.items():
        v = values.to_numpy(dtype=float)
        share = v / max(float(v.max()) if v.size else 0.0, 1.0)
        frame[f"c_{name}"] = np.round(share, 4)
        score += SCORE_WEIGHTS[name] * share
    frame["score"] = np.round(score, 3)
    keep = np.ones(len(frame), dtype=bool)
    if phases:
        keep &= frame["phase"].isin(list(phases)).to_numpy()
    if kinds:
        keep &= frame["kind"].isin(list(kinds)).to_numpy()
    frame = frame.loc[keep]
    frame = frame.sort_values(
        ["score", distance_column("incidents", distance_m, JOURNEY), "name"],
        ascending=[False, False, True],
        kind="stable",
    )
    # only schools with something to rank are ranked; zeros are not sorted into an order
    ranked = (frame["score"] > 0).to_numpy()
    rank = pd.Series(np.cumsum(ranked), index=frame.index, dtype="Int64")
    frame.insert(0, "rank", rank.where(ranked))
    frame["reasons"] = [
        _school_reasons(row, distance_m, hsb_distance_m, exact_counts, min_count)
        for row in frame.to_dict("records")
    ]
    return frame.reset_index(drop=True)


def _school_reasons(
    row: Mapping[Any, Any],
    distance_m: float,
    hsb_distance_m: float,
    exact_counts: bool,
    min_count: int,
) -> str:
    def n_text(n: int, word: str) -> str:
        if exact_counts or n >= min_count:
            return _plural(n, word)
        return word + "s"  # a withheld count is never quoted, however phrased

    d, h = f"{distance_m:g}", f"{hsb_distance_m:g}"
    journey = int(row[distance_column("incidents", distance_m, JOURNEY)])
    other = int(row[distance_column("incidents", distance_m, OTHER)])
    hsb = int(row[distance_column("hsb", hsb_distance_m)])
    children = int(row["missing_children"])
    repeat = int(row["missing_repeat_children"])
    places = int(row["recurring_nearby"])
    candidates: list[tuple[float, str]] = []
    if journey:
        candidates.append(
            (
                SCORE_WEIGHTS["journey"] * row["c_journey"],
                f"{n_text(journey, 'incident')} within {d} m on the school journey in the period",
            )
        )
    if repeat:
        # children's counts are never quoted to the partnership: the Missing page may
        # withhold a large one to protect a small one (secondary suppression)
        who = f"{repeat} of its pupils" if exact_counts else "pupils"
        candidates.append(
            (
                SCORE_WEIGHTS["repeat_children"] * row["c_repeat_children"],
                f"{who} missing {REPEAT_EPISODES} or more times in {REPEAT_DAYS} days",
            )
        )
    elif children:
        who = f"{children} of its pupils" if exact_counts else "pupils"
        candidates.append(
            (SCORE_WEIGHTS["missing_children"] * row["c_missing_children"], f"{who} went missing")
        )
    if hsb:
        candidates.append(
            (
                SCORE_WEIGHTS["hsb"] * row["c_hsb"],
                f"harmful sexual behaviour within {h} m"
                + (f" ({hsb})" if exact_counts or hsb >= min_count else ""),
            )
        )
    if places:
        candidates.append(
            (
                SCORE_WEIGHTS["recurring"] * row["c_recurring"],
                f"{_plural(places, 'recurring location')} of harm within 800 m "
                f"({row['recurring_categories']})",
            )
        )
    if other:
        candidates.append(
            (
                SCORE_WEIGHTS["other"] * row["c_other"],
                f"{n_text(other, 'incident')} within {d} m at other times",
            )
        )
    if not candidates:
        unknown = int(row.get(distance_column("incidents", distance_m, UNKNOWN), 0) or 0)
        if unknown:
            return (
                f"No timed incidents: {n_text(unknown, 'incident')} within {d} m in the period "
                "are known only to the month, so whether they were on the school journey "
                "cannot be told."
            )
        return "Nothing recorded nearby or among its pupils in the period."
    best = sorted(candidates, key=lambda c: -c[0])[:2]
    text = "; ".join(t for _, t in best)
    return text[0].upper() + text[1:] + "."
