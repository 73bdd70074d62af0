"""Disclosure control of rate tables by group: what a role may see of an RRI, trend or
hit-rate table (the Disproportionality page and the review pack).

For the partnership role counts from 1 to ``min_count - 1`` are withheld with their
share, rate, RRI and interval; secondary suppression (:func:`geo.disclosure.protect_hierarchy`)
stops a withheld count being found from the total and the other groups; and when the
reference group's count is withheld every RRI is withheld (each one would reveal it).
Every withheld figure is noted :data:`geo.disclosure.WITHHELD`, whatever the reason, so
the note never tells which rows are the small ones; :data:`WITHHELD_RULES` gives the
reasons in general. Other roles see exact values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.roles import ROLES, Role
from geo.disclosure.policy import small_counts
from geo.disclosure.suppression import WITHHELD, protect_hierarchy

__all__ = [
    "WITHHELD_RULES",
    "DisclosedTable",
    "disclose",
    "disclose_excluded",
    "disclose_hit_rates",
    "withheld_rules",
]

#: Every withheld figure is noted :data:`geo.disclosure.WITHHELD`, whatever the reason (a
#: small count, protecting another group, or a withheld reference): a note per reason
#: would tell which rows are the small ones. The reasons are given once, in general, by
#: this caveat (``max_small`` is ``min_count - 1``).
WITHHELD_RULES: Final = (
    "Withheld (disclosure control): counts from 1 to {max_small}, figures that would let a "
    "withheld count be worked out, and every RRI when the reference group's count is withheld."
)
_DERIVED: Final[tuple[str, ...]] = ("share", "rate_per_1000", "rri", "ci_low", "ci_high")


@dataclass(frozen=True)
class DisclosedTable:
    """A table after disclosure control.

    Attributes
    ----------
    table : DataFrame
        The input columns with withheld values as NaN, plus ``withheld`` (bool).
    totals : dict of str to float or None
        Total count per period (``""`` when not split); None where withheld.
    """

    table: pd.DataFrame
    totals: dict[str, float | None]


def _protect_one_level(
    values: npt.NDArray[np.float64],
    held: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.intp],
    min_count: int,
) -> bool:
    """Secondary suppression of ``rows`` under their (shown unless small) total, in place.

    Returns whether the total itself had to be withheld.
    """
    t = float(values[rows].sum())
    flags, t_held = protect_hierarchy(
        [values[rows]],
        [held[rows]],
        [np.zeros(rows.size, dtype=np.int64)],
        t,
        bool(1 <= t < min_count),
        min_count,
    )
    held[rows] = flags[0]
    return bool(t_held)


def _protect_table(
    values: npt.NDArray[np.float64],
    primary: npt.NDArray[np.bool_],
    period: npt.NDArray[Any],
    group: npt.NDArray[Any],
    min_count: int,
) -> tuple[npt.NDArray[np.bool_], dict[str, bool]]:
    """Secondary suppression for a groups x periods table.

    Each period's groups are protected under the period total and, with several
    periods, each group's periods under the group's total over all periods (which
    the unsplit table shows), repeated until nothing changes.
    """
    held = primary.copy()
    periods = [str(p) for p in pd.unique(period)]
    by_period = {p: np.flatnonzero(period == p) for p in periods}
    by_group = [np.flatnonzero(group == g) for g in pd.unique(group)] if len(periods) > 1 else []
    total_held = dict.fromkeys(periods, False)
    while True:
        before = held.copy()
        for p, rows in by_period.items():
            total_held[p] = _protect_one_level(values, held, rows, min_count) or total_held[p]
        for rows in by_group:
            _protect_one_level(values, held, rows, min_count)
        if np.array_equal(before, held):
            return held, total_held


def disclose(
    table: pd.DataFrame, role: str, min_count: int, reference: str | None = None
) -> DisclosedTable:
    """What ``role`` may see of an RRI or hit-rate table.

    For ``partnership``: counts from 1 to ``min_count - 1`` are withheld, then
    secondary suppression (one level under the total, per period) so no withheld
    count can be found from the total and the other groups; a withheld row loses
    its share, rate, RRI and interval; when the reference row is withheld every
    RRI and interval is withheld; when a total is withheld every share is. In a
    hit-rate table (``searches``, ``hits``) a row is also withheld when its hits
    or misses are from 1 to ``min_count - 1``. Other roles see exact values.

    Parameters
    ----------
    table : DataFrame
        An RRI table (``group``, ``count``, ``share``, ``rate_per_1000``, ``rri``,
        ``ci_low``, ``ci_high``, ``significant``, ``note``, optionally ``period``
        first) or a hit-rate table (``group``, ``searches``, ``hits``, ``hit_rate``,
        ``ci_low``, ``ci_high``, ``note``).
    role : str
        ``partnership``, ``analyst`` or ``admin``.
    min_count : int
        The suppression threshold (configuration ``disclosure.min_count``).
    reference : str, optional
        The reference group, when the table has RRIs (default: the row noted as
        the reference).
    """
    if role not in ROLES:
        raise ValueError("unknown role")
    out = table.reset_index(drop=True).copy()
    count_col = "count" if "count" in out.columns else "searches"
    has_period = "period" in out.columns
    period = out["period"].astype(str).to_numpy() if has_period else np.full(len(out), "")
    values = out[count_col].to_numpy(dtype=float)
    totals: dict[str, float | None] = {
        str(p): float(values[period == p].sum()) for p in pd.unique(period)
    }
    if role != Role.PARTNERSHIP:
        out["withheld"] = False
        return DisclosedTable(out, totals)

    primary = small_counts(values, min_count)
    if "hits" in out.columns:
        hits = out["hits"].to_numpy(dtype=float)
        primary |= small_counts(hits, min_count) | small_counts(values - hits, min_count)
    held, total_held = _protect_table(values, primary, period, out["group"].to_numpy(), min_count)
    for p, t_held in total_held.items():
        if t_held:
            totals[p] = None
    note = out["note"].astype(object).to_numpy() if "note" in out.columns else None
    if note is None:
        note = np.full(len(out), "", dtype=object)
    note = np.where(held, WITHHELD, note)  # one label, whatever the reason
    numeric = [c for c in (count_col, "hits", "hit_rate", *_DERIVED) if c in out.columns]
    for c in numeric:
        out[c] = np.where(held, np.nan, out[c].to_numpy(dtype=float))
    if "rri" in out.columns:
        ref = reference
        if ref is None and "note" in table.columns:
            refs = table.loc[table["note"].astype(str).str.startswith("reference group"), "group"]
            ref = str(refs.iloc[0]) if len(refs) else None
        if ref is not None:
            ref_held = np.zeros(len(out), dtype=bool)
            for p in totals:
                rows = np.flatnonzero(period == p)
                is_ref = out["group"].to_numpy()[rows] == ref
                if (held[rows] & is_ref).any():
                    ref_held[rows] = True
            for c in ("rri", "ci_low", "ci_high"):
                out[c] = np.where(ref_held, np.nan, out[c].to_numpy(dtype=float))
            note = np.where(ref_held, WITHHELD, note)
    if "share" in out.columns:
        no_total = np.asarray([total_held[str(p)] for p in period], dtype=bool)
        out["share"] = np.where(no_total, np.nan, out["share"].to_numpy(dtype=float))
    if "significant" in out.columns:
        rri = out["rri"].to_numpy(dtype=float)
        out["significant"] = out["significant"].to_numpy(dtype=bool) & np.isfinite(rri)
    out["note"] = note
    out["withheld"] = held
    return DisclosedTable(out, totals)


def withheld_rules(role: str, min_count: int) -> tuple[str, ...]:
    """The caveat giving the reasons for withheld figures, for the partnership role
    (:data:`WITHHELD_RULES`); nothing for other roles."""
    if role == Role.PARTNERSHIP:
        return (WITHHELD_RULES.format(max_small=min_count - 1),)
    return ()


def disclose_excluded(
    excluded: Mapping[str, int], role: str, min_count: int
) -> dict[str, int | None]:
    """Records left out of a count, by reason, as ``role`` may see them: for the
    partnership a number from 1 to ``min_count - 1`` is withheld (None)."""
    return {
        k: (None if role == Role.PARTNERSHIP and 1 <= v < min_count else v)
        for k, v in excluded.items()
    }


def disclose_hit_rates(
    table: pd.DataFrame,
    role: str,
    min_count: int,
    *,
    all_searches: Callable[[], pd.DataFrame],
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """What ``role`` may see of a hit-rate table, and the caveats to add to it.

    Parameters
    ----------
    table : DataFrame
        The exact hit-rate table (``group``, ``searches`` with the measure recorded,
        ``hits``, ``hit_rate``, ``ci_low``, ``ci_high``, ``note``).
    role : str
    min_count : int
        The suppression threshold.
    all_searches : callable
        Returns every selected search by group (``group``, ``count``, as the audit
        table shows them); called for the partnership role only.

    Returns
    -------
    (DataFrame, tuple of str)
        The table after :func:`disclose`; for the partnership also with the rows
        withheld whose searches without the measure recorded are from 1 to
        ``min_count - 1``, and :data:`WITHHELD_RULES` as a caveat.
    """
    disclosed = disclose(table, role, min_count).table
    if role == Role.PARTNERSHIP:
        # The audit table shows every search per group; this one only those with the
        # measure recorded. Where the difference (searches without it) is small, the
        # row is withheld, or subtracting the two tables would reveal it.
        total = all_searches().groupby("group")["count"].sum()
        measured = table.set_index("group")["searches"]
        unmeasured = total.reindex(measured.index).fillna(0) - measured
        small = small_counts(unmeasured.to_numpy(), min_count)
        rows = disclosed["group"].isin(measured.index[small]).to_numpy()
        for col in ("searches", "hits", "hit_rate", "ci_low", "ci_high"):
            if col in disclosed:
                disclosed[col] = disclosed[col].astype(float).mask(rows)
        disclosed.loc[rows, "note"] = WITHHELD
        return disclosed, (WITHHELD_RULES.format(max_small=min_count - 1),)
    return disclosed, ()
