"""The relative rate index table of a set of counts, its findings in words, and the audit
of one feed (counts + denominators -> disclosed table, caveats and findings).

Definitions
-----------
* **Rate** per 1,000 = ``1000 · a / n`` for a group's count ``a`` and population ``n``.
* **Relative rate index** (RRI) of group g against the reference group r (default
  White) = ``(a_g / n_g) / (a_r / n_r)``, with a 95 % log-method interval, Poisson
  (events) by default or binomial (distinct people): see :mod:`geo.stats.rates`.
* An RRI and its interval are *not calculable* (NaN, with the reason in ``note``) when
  a count is zero (the log is undefined), when a population is missing or zero, or,
  for the binomial form, when a count exceeds its population. ``not_recorded`` and
  ``unmapped`` rows have no population, so no rate.

For the partnership role the table is disclosure-controlled by
:func:`geo.disclosure.rates.disclose` before any sentence is written from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo.core.ethnicity import (
    COUNT_GROUPS,
    GROUP_INDEX,
    GROUP_LABELS,
    GROUP_PLURALS,
    GROUPS,
    NOT_RECORDED,
    UNMAPPED,
    check_reference,
)
from geo.disclosure import WITHHELD
from geo.disclosure.rates import disclose, disclose_excluded, withheld_rules
from geo.lenses.census_populations import Denominators
from geo.lenses.ethnicity_counts import CAVEATS, GroupCounts
from geo.stats.rates import Method, check_rate_options, rate_ratios

__all__ = [
    "RRI_COLUMNS",
    "Audit",
    "Finding",
    "audit",
    "finding_sentence",
    "findings",
    "relative_rate_index",
    "trend",
]

RRI_COLUMNS: Final[tuple[str, ...]] = (
    "group",
    "count",
    "share",
    "population",
    "rate_per_1000",
    "rri",
    "ci_low",
    "ci_high",
    "significant",
    "note",
)


def relative_rate_index(
    counts: pd.DataFrame | GroupCounts,
    denominators: pd.Series | Mapping[str, float] | Denominators,
    reference: str = "white",
    method: Method = "poisson",
    confidence: float = 0.95,
    not_applicable: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Rates per 1,000 and the RRI of each group against ``reference``, with intervals.

    Parameters
    ----------
    counts : DataFrame or GroupCounts
        ``group`` (values of :data:`COUNT_GROUPS`), ``count``, optionally ``period``
        (each period is compared on its own). Absent groups count zero.
    denominators : Series, mapping or Denominators
        Population per census group.
    reference : str
        The comparison group (default ``white``).
    method : {"poisson", "binomial"}
        Standard error of ln RRI (see :mod:`geo.stats.rates`).
    confidence : float
        Interval level (default 0.95).
    not_applicable : mapping of str to str, optional
        Groups this feed cannot measure, with the reason (added to GroupCounts').

    Returns
    -------
    DataFrame
        ``[period,] group, count, share, population, rate_per_1000, rri, ci_low,
        ci_high, significant, note``: one row per group of :data:`COUNT_GROUPS`
        (per period), in that order. ``share`` is the group's part of all counted
        records (unrecorded included). Values that cannot be calculated are NaN and
        ``note`` says why; the reference row has ``rri`` 1.
    """
    check_reference(reference)
    check_rate_options(method, confidence)
    na: dict[str, str] = {}
    if isinstance(counts, GroupCounts):
        na.update(counts.not_applicable)
        counts = counts.counts
    na.update(not_applicable or {})
    if isinstance(denominators, Denominators):
        pop_map = denominators.population
    else:
        pop_map = pd.Series(dict(denominators), dtype=float)
    unknown = set(counts["group"]) - set(COUNT_GROUPS)
    if unknown:
        raise ValueError("unknown groups in counts (map them with map_ethnicity first)")

    has_period = "period" in counts.columns
    periods = [str(v) for v in pd.unique(counts["period"].astype(str))] if has_period else [""]
    n_groups = len(COUNT_GROUPS)
    p_codes = (
        pd.Categorical(counts["period"].astype(str), categories=periods).codes.astype(np.int64)
        if has_period
        else np.zeros(len(counts), dtype=np.int64)
    )
    g_codes = np.asarray([GROUP_INDEX[g] for g in counts["group"]], dtype=np.int64)
    a = np.bincount(
        p_codes * n_groups + g_codes,
        weights=counts["count"].to_numpy(dtype=float),
        minlength=len(periods) * n_groups,
    )
    group = np.tile(np.asarray(COUNT_GROUPS, dtype=object), len(periods))
    pop_by_group = np.array(
        [float(pop_map.get(g, np.nan)) if g in GROUPS else np.nan for g in COUNT_GROUPS]
    )
    n = np.tile(pop_by_group, len(periods))
    ref_i = GROUP_INDEX[reference]
    b = np.repeat(a.reshape(len(periods), n_groups)[:, ref_i], n_groups)
    nb = np.full_like(n, pop_by_group[ref_i])
    totals = np.repeat(a.reshape(len(periods), n_groups).sum(axis=1), n_groups)
    ratios = rate_ratios(a, n, b, nb, totals, method=method, confidence=confidence)
    has_pop = ratios.has_population

    is_ref = group == reference
    ref_label = GROUP_LABELS[reference]
    na_mask = np.array([g in na for g in group], dtype=bool)
    na_text = np.array([na.get(g, "") for g in group], dtype=object)
    conditions = [
        group == NOT_RECORDED,
        group == UNMAPPED,
        na_mask,
        ~has_pop,
        is_ref & (b == 0),
        is_ref,
        ~(np.isfinite(nb) & (nb > 0)),
        b == 0,
        a == 0,
        (method == "binomial") & ((a > n) | (b > nb)),
    ]
    choices = [
        "ethnicity not recorded: no population to compare with",
        "ethnicity value not recognised: no census group (see the mapping tables)",
        na_text,
        "no census population for this group: rate and RRI not calculable",
        "reference group with none recorded: no RRI can be calculated",
        "reference group",
        f"no census population for the reference group ({ref_label}): RRI not calculable",
        f"none recorded in the reference group ({ref_label}): RRI not calculable "
        "(division by zero)",
        "none recorded in this group: RRI and interval not calculable (log of zero)",
        "more records than residents: binomial interval not calculable (use the Poisson method)",
    ]
    note = np.select(conditions, [np.asarray(c, dtype=object) for c in choices], default="")
    calculable = note == ""
    rri_out = np.where(calculable, ratios.rri, np.nan)
    rri_out = np.where(is_ref & (note == "reference group"), 1.0, rri_out)
    low = np.where(calculable, ratios.ci_low, np.nan)
    high = np.where(calculable, ratios.ci_high, np.nan)
    # a rate of 0 is meaningful (none recorded, population known); not for na groups
    rate = np.where(na_mask, np.nan, ratios.rate_per_1000)
    out = pd.DataFrame(
        {
            "group": group,
            "count": a.round().astype(np.int64),
            "share": ratios.share,
            "population": n,
            "rate_per_1000": rate,
            "rri": rri_out,
            "ci_low": low,
            "ci_high": high,
            "significant": calculable & ((low > 1) | (high < 1)),
            "note": note,
        }
    )
    if has_period:
        out.insert(0, "period", np.repeat(np.asarray(periods, dtype=object), n_groups))
    return out


def trend(
    counts: GroupCounts | pd.DataFrame,
    denominators: pd.Series | Mapping[str, float] | Denominators,
    reference: str = "white",
    method: Method = "poisson",
) -> pd.DataFrame:
    """RRIs per period (counts split with ``by=`` or a ``period`` column).

    Every period is compared with the same census population. Returns the
    :func:`relative_rate_index` table with ``period`` first; raises when the counts
    have no periods.
    """
    frame = counts.counts if isinstance(counts, GroupCounts) else counts
    if "period" not in frame.columns:
        raise ValueError("trend needs counts split by period (by='month' or 'quarter')")
    return relative_rate_index(counts, denominators, reference, method)


# --------------------------------------------------------------------------------------------
# findings, caveats and the whole audit
# --------------------------------------------------------------------------------------------


def _people(group: str, subject: str, capital: bool = True) -> str:
    text = GROUP_PLURALS[group].format(s=subject)
    return text[0].upper() + text[1:] if capital else text


def _num(x: float) -> str:
    return f"{x:.1f}" if x >= 0.95 else f"{x:.2f}"


@dataclass(frozen=True)
class Finding:
    """One group's RRI in words, for the page and the briefing pack.

    Attributes
    ----------
    measure : str
        What was audited ("stop and search (self-defined ethnicity; aged 10-17)").
    group, reference : str
    count : int
    rri, ci_low, ci_high : float
    significant : bool
        The interval excludes 1.
    sentence : str
        "Black young people were stopped and searched at 3.2 times the rate of
        White young people (95 % CI 2.1–4.9)."
    """

    measure: str
    group: str
    reference: str
    count: int
    rri: float
    ci_low: float
    ci_high: float
    significant: bool
    sentence: str


def finding_sentence(
    group: str,
    reference: str,
    rri: float,
    ci_low: float,
    ci_high: float,
    verb: str = "were stopped and searched",
    subject: str = "people",
    confidence: float = 0.95,
) -> str:
    """The plain-English sentence for one RRI."""
    level = f"{confidence * 100:.0f} % CI"
    text = (
        f"{_people(group, subject)} {verb} at {_num(rri)} times the rate of "
        f"{_people(reference, subject, capital=False)} "
        f"({level} {_num(ci_low)}–{_num(ci_high)})."
    )
    if not (ci_low > 1 or ci_high < 1):
        text += " The interval includes 1, so the difference may be chance."
    return text


def findings(
    table: pd.DataFrame,
    measure: str,
    reference: str = "white",
    verb: str = "were stopped and searched",
    subject: str = "people",
) -> tuple[Finding, ...]:
    """Sentences for every group with a calculable (and disclosed) RRI, highest first.

    Pass the disclosed table for the partnership role: withheld RRIs give no finding.
    A table split by period gives findings for its last period only.
    """
    check_reference(reference)
    frame = table
    if "period" in frame.columns and len(frame):
        frame = frame.loc[frame["period"] == frame["period"].iloc[-1]]
    rows = frame.loc[
        frame["group"].isin([g for g in GROUPS if g != reference])
        & np.isfinite(frame["rri"].to_numpy(dtype=float))
        & np.isfinite(frame["ci_low"].to_numpy(dtype=float))
    ].sort_values("rri", ascending=False, kind="stable")
    out = []
    for g, c, r, lo, hi in zip(
        rows["group"], rows["count"], rows["rri"], rows["ci_low"], rows["ci_high"], strict=True
    ):
        sig = bool(lo > 1 or hi < 1)
        out.append(
            Finding(
                measure,
                str(g),
                reference,
                int(c),
                float(r),
                float(lo),
                float(hi),
                sig,
                finding_sentence(str(g), reference, float(r), float(lo), float(hi), verb, subject),
            )
        )
    return tuple(out)


def _unrecorded_caveat(table: pd.DataFrame, totals: Mapping[str, float | None], unit: str) -> str:
    """The unrecorded share in words, from a (possibly disclosed) table and its totals."""
    rows = table.loc[table["group"].isin([NOT_RECORDED, UNMAPPED])]
    values = rows["count"].to_numpy(dtype=float)
    known = [t for t in totals.values() if t is not None]
    total = float(sum(known)) if len(known) == len(totals) else float("nan")
    if np.isnan(values).any():
        return (
            f"Ethnicity was not recorded for some {unit}; the number is {WITHHELD}. "
            + CAVEATS["unrecorded"]
        )
    n = float(values.sum())
    if n == 0 and total == 0:
        return f"No {unit} were counted."
    if n == 0:
        return f"Ethnicity was recorded for all {unit} counted."
    if not np.isfinite(total) or total <= 0:
        return f"Ethnicity was not recorded for {n:,.0f} {unit}. " + CAVEATS["unrecorded"]
    return (
        f"Ethnicity was not recorded (or not recognised) for {n:,.0f} of {total:,.0f} {unit} "
        f"({n / total * 100:.1f} %). " + CAVEATS["unrecorded"]
    )


@dataclass(frozen=True)
class Audit:
    """Everything the Disproportionality page shows for one feed.

    Attributes
    ----------
    measure : str
    table : DataFrame
        The (disclosed) RRI table.
    totals : dict of str to float or None
        Total records per period (None where withheld).
    reference : str
    caveats : tuple of str
        Sentences to show beside the table (always includes the travel-in caveat).
    findings : tuple of Finding
    excluded : dict of str to int or None
        Records outside the selection by reason (None where withheld).
    """

    measure: str
    table: pd.DataFrame
    totals: dict[str, float | None]
    reference: str
    caveats: tuple[str, ...]
    findings: tuple[Finding, ...]
    excluded: dict[str, int | None]


def audit(
    counts: GroupCounts,
    denominators: Denominators,
    reference: str = "white",
    role: str = "analyst",
    *,
    min_count: int,
    method: Method = "poisson",
    verb: str = "were stopped and searched",
    subject: str = "people",
) -> Audit:
    """Counts + denominators -> disclosed RRI table, caveats and findings.

    Parameters
    ----------
    counts : GroupCounts
        From :func:`geo.lenses.stop_search.stop_search_counts`,
        :func:`geo.lenses.feed_counts.school_outcome_counts`,
        :func:`geo.lenses.ethnicity_counts.counts_from_frame` etc.
    denominators : Denominators
        From :func:`geo.lenses.census_populations.census_denominators`.
    reference, method
        As for :func:`relative_rate_index`.
    role, min_count
        Disclosure control (:func:`geo.disclosure.rates.disclose`).
    verb, subject : str
        Wording of the findings ("were excluded", "pupils").
    """
    raw = relative_rate_index(counts, denominators, reference, method)
    disclosed = disclose(raw, role, min_count, reference)
    table = disclosed.table
    caveats: list[str] = [CAVEATS["resident_population"]]
    if denominators.caveat:
        caveats.append(denominators.caveat)
    caveats.append(_unrecorded_caveat(table, disclosed.totals, counts.unit))
    caveats.append(CAVEATS["small_numbers"])
    caveats.extend(c for c in counts.caveats if c not in caveats)
    caveats.extend(withheld_rules(role, min_count))
    return Audit(
        counts.subject,
        table,
        disclosed.totals,
        reference,
        tuple(caveats),
        findings(table, counts.subject, reference, verb, subject),
        disclose_excluded(counts.excluded, role, min_count),
    )
