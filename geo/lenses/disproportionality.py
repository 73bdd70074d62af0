"""Disproportionality audit: rates per 1,000 and relative rate indices by ethnic group.

The partnership's scrutiny asked for audits of who is stopped and searched, excluded
or moved between schools, recorded in serious youth violence, reported missing or
listed on a gangs matrix, compared with the local population (DESIGN §5).

Definitions
-----------
* **Groups** are the five broad Census 2021 ethnic groups (:data:`GROUPS`). Every
  record is counted in exactly one of :data:`COUNT_GROUPS`: a census group,
  ``not_recorded`` (blank, "not stated") or ``unmapped`` (a value none of the
  mapping tables knows). Unrecorded records are never dropped: they are shown with
  their share and have no rate, because they have no population.
* **Rate** per 1,000 = ``1000 · a / n`` for a group's count ``a`` and population ``n``.
* **Relative rate index** (RRI) of group g against the reference group r (default
  White) = ``(a_g / n_g) / (a_r / n_r)``.
* **95 % confidence interval, log method**: ``exp(ln RRI ± z · se)`` with
  z = 1.959964 and, by default (``method="poisson"``), ``se = sqrt(1/a_g + 1/a_r)``:
  the counts are events (one person searched twice counts twice), so they are
  treated as Poisson counts over a fixed population. ``method="binomial"`` uses the
  Katz risk-ratio form ``se = sqrt(1/a_g − 1/n_g + 1/a_r − 1/n_r)``, for counts of
  distinct people out of the population; the two differ by the ``1/n`` terms, which
  are negligible for populations in the thousands. An RRI and its interval are
  *not calculable* (NaN, with the reason in ``note``) when a count is zero (the log
  is undefined), when a population is missing or zero, or, for the binomial form,
  when a count exceeds its population.
* **Hit rate** (stop and search): the share of searches whose outcome was linked to
  the object of search (police.uk ``Outcome linked to object of search``), with a
  Wilson 95 % interval. Where a feed leaves that column blank (the Met's 2016 files
  do), the proxy is the share with an outcome other than no further action, and the
  result says so.

Denominators
------------
Census 2021 TS021 counts of usual residents by ethnic group per LSOA, from
``area_stats`` (measure = the TS021 ``ethnic_group`` text, see
:data:`CENSUS_TO_GROUP`), summed over the study area or a chosen list of LSOAs.
Populations by ethnic group *and* age are used when ``area_stats`` holds them as
measures named ``"<TS021 ethnic group> | <age band>"`` (for example
``"White | 10-17"``); otherwise the all-ages population is used and the caveat says
so.

Disclosure
----------
:func:`disclose` is the choke point for the partnership role: counts from 1 to
``min_count - 1`` are withheld with their share, rate, RRI and interval; secondary
suppression (:func:`geo.disclosure.protect_hierarchy`) stops a withheld count being
found from the total and the other groups; and when the reference group's count is
withheld every RRI is withheld (each one would reveal it). Every withheld figure is
noted :data:`geo.disclosure.WITHHELD`, whatever the reason, so the note never tells
which rows are the small ones; :data:`WITHHELD_RULES` gives the reasons in general.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import NormalDist
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.core import hexes
from geo.core.area import StudyArea
from geo.core.filters import Filters, month_quarter_label
from geo.core.roles import Role
from geo.core.schema import SYV_CATEGORIES, syv_sql
from geo.disclosure import ROLES, WITHHELD, protect_hierarchy, small_counts
from geo.ingest.sources.base import AdapterContext
from geo.ingest.sources.police_uk import parse_stop_search
from geo.ingest.validate import RowIssues, read_table
from geo.lenses.area_tables import table_coverage
from geo.store.database import Store

Scheme = Literal["self", "officer", "census", "ons"]
Method = Literal["poisson", "binomial"]
PeriodBy = Literal["month", "quarter"]
HitBasis = Literal["auto", "linked", "outcome"]

# --------------------------------------------------------------------------------------------
# groups and ethnicity mappings
# --------------------------------------------------------------------------------------------

#: The five broad Census 2021 ethnic groups, in display order.
GROUPS: Final[tuple[str, ...]] = ("asian", "black", "mixed", "white", "other")
NOT_RECORDED: Final = "not_recorded"
UNMAPPED: Final = "unmapped"
#: Every record is counted in exactly one of these.
COUNT_GROUPS: Final[tuple[str, ...]] = (*GROUPS, NOT_RECORDED, UNMAPPED)

#: Display labels (fixed strings, safe for HTML).
GROUP_LABELS: Final[Mapping[str, str]] = {
    "asian": "Asian",
    "black": "Black",
    "mixed": "Mixed",
    "white": "White",
    "other": "Other ethnic group",
    NOT_RECORDED: "Not recorded",
    UNMAPPED: "Unrecognised value",
}

#: police.uk self-defined ethnicity -> census group. Two vintages are published:
#: the 2001-census categories with their codes (the Met's 2016 files) and the
#: 2011-census wording (current files). Decisions:
#:
#: * **Chinese -> asian** (``O1`` in 2001, under "Chinese or other ethnic group"):
#:   Census 2021 counts Chinese in "Asian, Asian British or Asian Welsh", so the
#:   numerator must too or the Asian rate would be understated.
#: * **Arab -> other**, **Gypsy or Irish Traveller and Roma -> white**, as in Census 2021.
#: * **Not stated -> not_recorded** (including "Other ethnic group - Not stated",
#:   which is not a group but a refusal).
#: * Mixed categories -> mixed (never folded into black or white).
SELF_DEFINED_TO_GROUP: Final[Mapping[str, str]] = {
    # 2001-census categories with codes (e.g. Metropolitan Police 2016)
    "White - White British (W1)": "white",
    "White - White Irish (W2)": "white",
    "White - Any other White ethnic background (W9)": "white",
    "Black or Black British - Caribbean (B1)": "black",
    "Black or Black British - African (B2)": "black",
    "Black or Black British - Any other Black ethnic background (B9)": "black",
    "Asian or Asian British - Indian (A1)": "asian",
    "Asian or Asian British - Pakistani (A2)": "asian",
    "Asian or Asian British - Bangladeshi (A3)": "asian",
    "Asian or Asian British - Any other Asian ethnic background (A9)": "asian",
    "Chinese or other ethnic group - Chinese (O1)": "asian",
    "Chinese or other ethnic group - Any other ethnic group (O9)": "other",
    "Mixed - White and Black Caribbean (M1)": "mixed",
    "Mixed - White and Black African (M2)": "mixed",
    "Mixed - White and Asian (M3)": "mixed",
    "Mixed - Any other Mixed ethnic background (M9)": "mixed",
    "Not Stated (NS)": NOT_RECORDED,
    # 2011-census wording (current police.uk files)
    "White - English/Welsh/Scottish/Northern Irish/British": "white",
    "White - Irish": "white",
    "White - Gypsy or Irish Traveller": "white",
    "White - Roma": "white",
    "White - Any other White background": "white",
    "Black/African/Caribbean/Black British - African": "black",
    "Black/African/Caribbean/Black British - Caribbean": "black",
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": (
        "black"
    ),
    "Asian/Asian British - Indian": "asian",
    "Asian/Asian British - Pakistani": "asian",
    "Asian/Asian British - Bangladeshi": "asian",
    "Asian/Asian British - Chinese": "asian",
    "Asian/Asian British - Any other Asian background": "asian",
    "Mixed/Multiple ethnic groups - White and Black Caribbean": "mixed",
    "Mixed/Multiple ethnic groups - White and Black African": "mixed",
    "Mixed/Multiple ethnic groups - White and Asian": "mixed",
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": "mixed",
    "Other ethnic group - Arab": "other",
    "Other ethnic group - Any other ethnic group": "other",
    "Other ethnic group - Not stated": NOT_RECORDED,
}

#: police.uk officer-defined ethnicity -> census group. The officer's perception, in
#: four groups in older files (no Mixed) and five in some later ones.
OFFICER_DEFINED_TO_GROUP: Final[Mapping[str, str]] = {
    "White": "white",
    "Black": "black",
    "Asian": "asian",
    "Mixed": "mixed",
    "Other": "other",
}

#: Census 2021 TS021 ``ethnic_group`` (the ``area_stats`` measure) -> group.
CENSUS_TO_GROUP: Final[Mapping[str, str]] = {
    "Asian, Asian British or Asian Welsh": "asian",
    "Black, Black British, Black Welsh, Caribbean or African": "black",
    "Mixed or Multiple ethnic groups": "mixed",
    "White": "white",
    "Other ethnic group": "other",
}

#: Partner feeds already in PlaceSafe's canonical vocabulary (geo.core.schema.ETHNIC_GROUPS),
#: also accepting the display labels.
ONS_TO_GROUP: Final[Mapping[str, str]] = {
    **{g: g for g in GROUPS},
    **{GROUP_LABELS[g]: g for g in GROUPS},
    NOT_RECORDED: NOT_RECORDED,
    "not recorded": NOT_RECORDED,
    "not stated": NOT_RECORDED,
    "unknown": NOT_RECORDED,
}

#: Which table each scheme uses.
SCHEMES: Final[Mapping[str, Mapping[str, str]]] = {
    "self": SELF_DEFINED_TO_GROUP,
    "officer": OFFICER_DEFINED_TO_GROUP,
    "census": CENSUS_TO_GROUP,
    "ons": ONS_TO_GROUP,
}

#: Texts that mean "nothing recorded" in any scheme (after normalising).
_BLANKS: Final = frozenset({"", "nan", "none", "null", "n/a", "na"})
_GROUP_INDEX: Final[Mapping[str, int]] = {g: i for i, g in enumerate(COUNT_GROUPS)}


def _norm(text: str) -> str:
    """Case- and whitespace-insensitive key for a category text."""
    return " ".join(text.split()).lower()


_LOOKUPS: Final[Mapping[str, Mapping[str, int]]] = {
    scheme: {_norm(k): _GROUP_INDEX[v] for k, v in table.items()}
    for scheme, table in SCHEMES.items()
}


def _check_scheme(scheme: str) -> Mapping[str, int]:
    if scheme not in _LOOKUPS:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}")
    return _LOOKUPS[scheme]


def _group_codes(values: pd.Series | Sequence[Any], scheme: str) -> npt.NDArray[np.int64]:
    """Position in :data:`COUNT_GROUPS` of each value (mapped once per distinct value)."""
    lookup = _check_scheme(scheme)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    blank = _GROUP_INDEX[NOT_RECORDED]
    unmapped = _GROUP_INDEX[UNMAPPED]
    table = [
        blank if _norm(str(u)) in _BLANKS else lookup.get(_norm(str(u)), unmapped) for u in uniques
    ]
    table.append(blank)  # code -1 (missing) picks the last entry
    out: npt.NDArray[np.int64] = np.asarray(table, dtype=np.int64)[codes]
    return out


def map_ethnicity(values: pd.Series | Sequence[Any], scheme: Scheme) -> pd.Series:
    """Map recorded ethnicity values to the census groups.

    Parameters
    ----------
    values : Series or sequence of str
        Values as published (``None``/NaN/blank allowed). Matching ignores case and
        repeated spaces.
    scheme : {"self", "officer", "census", "ons"}
        Which mapping table (:data:`SCHEMES`) applies.

    Returns
    -------
    Series of str
        One of :data:`COUNT_GROUPS` per value: blanks and "not stated" are
        ``not_recorded``; values no table knows are ``unmapped`` (never dropped).
    """
    codes = _group_codes(values, scheme)
    index = values.index if isinstance(values, pd.Series) else None
    return pd.Series(np.asarray(COUNT_GROUPS, dtype=object)[codes], index=index, dtype=object)


def _check_reference(reference: str) -> None:
    if reference not in GROUPS:
        raise ValueError(f"reference must be one of {', '.join(GROUPS)}")


# --------------------------------------------------------------------------------------------
# caveats
# --------------------------------------------------------------------------------------------

#: Standing caveats shown with every audit (fixed text, safe for HTML).
CAVEATS: Final[Mapping[str, str]] = {
    "resident_population": (
        "Rates use resident populations (Census 2021). People who travel in — to schools, "
        "town centres and the night-time economy — are counted in the events but not in the "
        "population, so rates are overstated where many visitors are involved, and an RRI can "
        "be biased either way if visitors' ethnic mix differs from residents'."
    ),
    "small_numbers": (
        "Small numbers give wide intervals: where a 95 % interval includes 1, the difference "
        "may be chance. Counts from a single month or a small area are especially unstable."
    ),
    "events_not_people": (
        "Counts are events (searches, episodes, exclusions), not people: someone recorded "
        "several times counts several times."
    ),
    "unrecorded": (
        "Records with no ethnicity are shown but have no rate. If they are not spread across "
        "groups like the recorded ones, every rate and RRI is biased."
    ),
    "all_ages": (
        "The population table has no ethnicity by age, so rates use all ages. Groups whose "
        "residents are younger will look more over-represented among young people than they are."
    ),
    "self_defined": (
        "Self-defined ethnicity is mapped to the five census groups (Chinese counts as Asian "
        "and Arab as Other, as in Census 2021; 'not stated' counts as not recorded)."
    ),
    "officer_defined": (
        "Officer-defined ethnicity is the officer's perception. Older police.uk files have "
        "four groups and no Mixed, so people of mixed heritage are counted in another group "
        "and the Mixed RRI is not calculable."
    ),
    "census_year": (
        "The population is from Census 2021; events from years far from 2021 are compared with "
        "a population that may have changed."
    ),
    "school_population": (
        "Exclusions and managed moves are compared with the resident population, not pupils on "
        "roll: pupils travel in from and out to other areas, and only school-age residents "
        "can be excluded."
    ),
    "incident_roles": (
        "Incidents carry one ethnicity per record; a feed of victims and a feed of suspects "
        "must be loaded as separate sources to be audited apart."
    ),
    "hit_rate": (
        "A lower hit rate for a group can mean searches on weaker grounds; it does not by "
        "itself show why."
    ),
    "hit_rate_proxy": (
        "This feed does not record whether the outcome was linked to the object of search, so "
        "the hit rate shown is the share of searches with any outcome other than no further "
        "action (which includes outcomes unrelated to what was searched for)."
    ),
}

# --------------------------------------------------------------------------------------------
# counts by group
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCounts:
    """Records counted by ethnic group, with every record accounted for.

    Attributes
    ----------
    counts : DataFrame
        ``group`` (every one of :data:`COUNT_GROUPS`) and ``count`` (int); with a
        ``period`` column (first) when split by period, every group in every period.
    subject : str
        What was counted, for headings ("stop and search, self-defined ethnicity").
    unit : str
        The plural noun of a record ("searches", "episodes", "children").
    rows : int
        Records considered before the selection.
    excluded : dict of str to int
        Records left out by the selection, by reason (the first filter each failed).
        ``rows == total + sum(excluded.values())``.
    not_applicable : dict of str to str
        Groups for which this feed cannot give a count, with the reason.
    caveats : tuple of str
        Feed-specific caveats (keys of :data:`CAVEATS` or full sentences).
    """

    counts: pd.DataFrame
    subject: str
    unit: str
    rows: int
    excluded: dict[str, int] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Records counted (all groups, including not recorded and unmapped)."""
        return int(self.counts["count"].sum())

    @property
    def unrecorded(self) -> int:
        """Records counted as ``not_recorded`` or ``unmapped``."""
        held = self.counts["group"].isin([NOT_RECORDED, UNMAPPED]).to_numpy()
        return int(self.counts["count"].to_numpy()[held].sum())

    @property
    def unrecorded_share(self) -> float:
        """Share of counted records without a usable ethnicity (NaN when none counted)."""
        total = self.total
        return self.unrecorded / total if total else float("nan")

    @property
    def accounted(self) -> int:
        """Counted plus excluded records (equals ``rows``)."""
        return self.total + sum(self.excluded.values())

    def by_group(self) -> pd.Series:
        """Counts summed over periods, indexed by :data:`COUNT_GROUPS`."""
        summed = self.counts.groupby("group", sort=False)["count"].sum()
        return summed.reindex(list(COUNT_GROUPS), fill_value=0).astype("int64")


def _counts_frame(
    group_codes: npt.NDArray[np.int64],
    period_index: npt.NDArray[np.int64] | None = None,
    period_labels: Sequence[str] = (),
    weights: npt.NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    """Counts of every group (and period) from integer codes, zeros included."""
    n_groups = len(COUNT_GROUPS)
    if period_index is None:
        flat = np.bincount(group_codes, weights=weights, minlength=n_groups)
        return pd.DataFrame({"group": list(COUNT_GROUPS), "count": np.rint(flat).astype(np.int64)})
    n_periods = len(period_labels)
    flat = np.bincount(
        period_index * n_groups + group_codes, weights=weights, minlength=n_periods * n_groups
    )
    return pd.DataFrame(
        {
            "period": np.repeat(np.asarray(list(period_labels), dtype=object), n_groups),
            "group": np.tile(np.asarray(COUNT_GROUPS, dtype=object), n_periods),
            "count": np.rint(flat).astype(np.int64),
        }
    )


def _period_index(stamps: pd.Series, by: PeriodBy) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Each timestamp's position in the full run of months or quarters it spans."""
    if by not in ("month", "quarter"):
        raise ValueError("by must be 'month' or 'quarter'")
    ts = pd.to_datetime(stamps)
    year = ts.dt.year.to_numpy(dtype=np.int64)
    month = ts.dt.month.to_numpy(dtype=np.int64)
    if by == "month":
        ordinal = (year - 1970) * 12 + month - 1
    else:
        ordinal = (year - 1970) * 4 + (month - 1) // 3
    if ordinal.size == 0:
        return ordinal, []
    lo, hi = int(ordinal.min()), int(ordinal.max())
    freq = "M" if by == "month" else "Q"
    periods = pd.period_range(pd.Period(ordinal=lo, freq=freq), periods=hi - lo + 1, freq=freq)
    if by == "month":
        labels = [str(p) for p in periods]
    else:
        labels = [month_quarter_label(p.asfreq("M", "start")) for p in periods]
    return ordinal - lo, labels


def _blank(values: pd.Series) -> npt.NDArray[np.bool_]:
    """Which values are missing or blank text."""
    missing = values.isna().to_numpy()
    text = values.astype(object).where(~missing, "").astype(str).str.strip()
    return np.asarray(missing | (text == "").to_numpy(), dtype=bool)


def _select(
    frame: pd.DataFrame,
    criteria: Sequence[tuple[str, str, tuple[str, ...]]],
    weights: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.bool_], dict[str, int]]:
    """Apply ``(label, column, allowed)`` filters in order; count who fails which first.

    Matching ignores case. A row with a blank value fails a filter that is set and is
    counted under "<label> not recorded"; others under "<label> not <allowed>".
    With ``weights`` (an aggregate feed) the counts are summed weights, not rows.
    """
    w = np.ones(len(frame)) if weights is None else weights
    keep = np.ones(len(frame), dtype=bool)
    excluded: dict[str, int] = {}
    for label, column, allowed in criteria:
        if not allowed:
            continue
        values = frame[column]
        blank = _blank(values)
        wanted = {_norm(a) for a in allowed}
        text = values.astype(object).where(~blank, "").astype(str)
        codes, uniques = pd.factorize(text)
        ok_unique = np.array([_norm(u) in wanted for u in uniques] + [False], dtype=bool)
        ok = ok_unique[codes]
        no_value = keep & blank
        other = keep & ~blank & ~ok
        if no_value.any():
            excluded[f"{label} not recorded"] = int(round(float(w[no_value].sum())))
        if other.any():
            excluded[f"{label} not {' or '.join(allowed)}"] = int(round(float(w[other].sum())))
        keep &= ok
    return keep, excluded


def _in_period(
    frame: pd.DataFrame, column: str, filters: Filters | None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of a frame within the filters' months; the rest counted as excluded."""
    if filters is None:
        return frame, {}
    start, end = filters.bounds()
    when = pd.to_datetime(frame[column])
    inside = ((when >= start) & (when < end)).to_numpy()
    outside = int((~inside).sum())
    return frame.loc[inside].reset_index(drop=True), (
        {"outside the period": outside} if outside else {}
    )


def counts_from_frame(
    frame: pd.DataFrame,
    *,
    group: str = "group",
    count: str | None = "count",
    period: str | None = None,
    scheme: Scheme = "ons",
    subject: str = "records",
    unit: str = "records",
) -> GroupCounts:
    """Counts by group from an aggregate or list feed (a gangs-matrix extract, exclusions).

    Parameters
    ----------
    frame : DataFrame
        One row per group (and period) with a count, or one row per record.
    group : str
        Column of ethnicity values, mapped with ``scheme``.
    count : str or None
        Column of counts; None counts one per row (a list feed).
    period : str or None
        Column of period labels (kept in order of first appearance), for trends.
    scheme : {"self", "officer", "census", "ons"}
        Mapping of the group values (default: PlaceSafe's own codes or labels).
    subject, unit : str
        Labels for headings and sentences.

    Returns
    -------
    GroupCounts
        Rows with a missing or negative count are rejected with a ``ValueError``;
        every row is otherwise counted.
    """
    codes = _group_codes(frame[group], scheme)
    weights: npt.NDArray[np.float64] | None = None
    if count is not None:
        values = pd.to_numeric(frame[count], errors="coerce").to_numpy(dtype=float)
        if (~np.isfinite(values)).any() or (values < 0).any():
            raise ValueError(f"column '{count}' must hold whole numbers of 0 or more")
        weights = values
    rows = int(weights.sum()) if weights is not None else len(frame)
    if period is None:
        table = _counts_frame(codes, weights=weights)
    else:
        pidx, labels = pd.factorize(frame[period].astype(str), sort=False)
        table = _counts_frame(codes, pidx.astype(np.int64), [str(v) for v in labels], weights)
    return GroupCounts(table, subject, unit, rows)


# --- stop and search -------------------------------------------------------------------------

#: police.uk age ranges, youngest first.
AGE_RANGES: Final[tuple[str, ...]] = ("under 10", "10-17", "18-24", "25-34", "over 34")
#: police.uk outcomes meaning no further action (both vintages).
NO_FURTHER_ACTION: Final[tuple[str, ...]] = (
    "Nothing found - no further action",
    "A no further action disposal",
    "No further action",
)
_SEARCH_COLUMNS: Final[tuple[str, ...]] = (
    "searched_at",
    "sex",
    "age_range",
    "self_defined_ethnicity",
    "officer_defined_ethnicity",
    "object_of_search",
    "outcome",
    "outcome_linked",
)
_ETHNICITY_COLUMN: Final[Mapping[str, str]] = {
    "self": "self_defined_ethnicity",
    "officer": "officer_defined_ethnicity",
}


@dataclass(frozen=True)
class SearchSelection:
    """Which stop-and-search records to count (hashable, so it can key caches).

    Each field lists the values to keep (case-insensitive); empty keeps all,
    including blanks.

    Attributes
    ----------
    age_ranges : tuple of str
        police.uk age ranges (:data:`AGE_RANGES`), e.g. ``("10-17",)``.
    sexes : tuple of str
        ``male``, ``female``, ``other``.
    objects : tuple of str
        Objects of search as published ("Controlled drugs", "Offensive weapons"...).
    outcomes : tuple of str
        Outcomes as published.
    """

    age_ranges: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()

    def criteria(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """``(label, column, allowed)`` in the order rows are tested."""
        return [
            ("age range", "age_range", self.age_ranges),
            ("sex", "sex", self.sexes),
            ("object of search", "object_of_search", self.objects),
            ("outcome", "outcome", self.outcomes),
        ]

    def describe(self) -> str:
        """Plain-English description ("aged 10-17, male")."""
        parts = []
        if self.age_ranges:
            parts.append("aged " + " or ".join(self.age_ranges))
        if self.sexes:
            parts.append(" or ".join(self.sexes))
        if self.objects:
            parts.append("for " + " or ".join(o.lower() for o in self.objects))
        if self.outcomes:
            parts.append("outcome " + " or ".join(o.lower() for o in self.outcomes))
        return ", ".join(parts) if parts else "all searches"


@dataclass(frozen=True)
class StopSearchFile:
    """A police.uk stop-and-search file parsed as the store would hold it.

    Attributes
    ----------
    frame : DataFrame
        Canonical ``stop_search`` columns, one row per accepted record, with or
        without coordinates and wherever they are (nothing is dropped for location).
    read : int
        Data rows in the file.
    rejected : dict of str to int
        Rows the adapter rejected, by rule (``read = len(frame) + sum(rejected)``).
    """

    frame: pd.DataFrame
    read: int
    rejected: dict[str, int]


def read_stop_search_file(path: Path, now: pd.Timestamp | None = None) -> StopSearchFile:
    """Parse a police.uk stop-and-search CSV with the ingest adapter, keeping every
    row it accepts (the store keeps only located rows inside the study area, so a
    force-wide audit of a file works on this frame instead)."""
    data = Path(path).read_bytes()
    issues = RowIssues()
    raw, rows = read_table(data, Path(path).name, issues)
    ctx = AdapterContext(now=now if now is not None else pd.Timestamp.now())
    parsed = parse_stop_search(raw, rows, issues, ctx)
    found = issues.frame()
    rejected = {str(k): int(v) for k, v in found["rule"].value_counts().items()}
    frame = parsed.frame.drop(columns=["lat", "lng"])
    return StopSearchFile(frame, len(frame) + len(found), rejected)


def _search_rows(
    source: pd.DataFrame | Store, filters: Filters | None, lsoas: Sequence[str] = ()
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The stop-and-search columns this module needs, from a frame or the store
    (only the store's rows can be restricted to chosen areas: they are located)."""
    if isinstance(source, Store):
        cols = ", ".join(_SEARCH_COLUMNS)
        where, params = "", []
        if filters is not None:
            start, end = filters.bounds()
            where, params = " WHERE searched_at >= ? AND searched_at < ?", [start, end]
        if not lsoas:
            return source.query(f"SELECT {cols} FROM stop_search{where}", params), {}
        frame = source.query(f"SELECT {cols}, cell_10 FROM stop_search{where}", params)
        return _within_areas(frame, source, lsoas)
    if lsoas:
        raise ValueError("a file's searches cannot be restricted to areas: load it into the store")
    missing = [c for c in _SEARCH_COLUMNS if c not in source.columns]
    if missing:
        raise ValueError(
            "not a canonical stop_search frame (use read_stop_search_file); missing "
            + ", ".join(missing)
        )
    return _in_period(source.loc[:, list(_SEARCH_COLUMNS)], "searched_at", filters)


def _year_caveat(stamps: pd.Series) -> tuple[str, ...]:
    if stamps.empty:
        return ()
    years = pd.to_datetime(stamps).dt.year
    far = (years.min() < 2019) or (years.max() > 2023)
    return (CAVEATS["census_year"],) if far else ()


def stop_search_counts(
    source: pd.DataFrame | Store,
    scheme: Literal["self", "officer"] = "self",
    selection: SearchSelection | None = None,
    filters: Filters | None = None,
    by: PeriodBy | None = None,
    lsoas: Sequence[str] = (),
) -> GroupCounts:
    """Stop-and-search records by ethnic group, every record accounted for.

    Parameters
    ----------
    source : DataFrame or Store
        Canonical ``stop_search`` rows (:func:`read_stop_search_file`) or the store.
    scheme : {"self", "officer"}
        Self-defined or officer-defined ethnicity.
    selection : SearchSelection, optional
        Age range, sex, object of search and outcome filters.
    filters : Filters, optional
        Months to include (by ``searched_at``); a frame's rows outside them are
        counted as excluded, the store's are not read.
    by : {"month", "quarter"}, optional
        Split by period (every period from the first to the last, zeros included).
    lsoas : sequence of str
        Keep only searches located in these areas (:func:`area_cells`; store only);
        the others are counted as excluded "outside the chosen areas".

    Returns
    -------
    GroupCounts
        ``rows`` = records read, ``excluded`` = records outside the selection by
        the first filter they fail, counts include ``not_recorded`` and ``unmapped``.
    """
    if scheme not in _ETHNICITY_COLUMN:
        raise ValueError("scheme must be 'self' or 'officer'")
    sel = selection or SearchSelection()
    frame, excluded = _search_rows(source, filters, lsoas)
    rows = len(frame) + sum(excluded.values())
    keep, more = _select(frame, sel.criteria())
    excluded.update(more)
    chosen = frame.loc[keep].reset_index(drop=True)
    codes = _group_codes(chosen[_ETHNICITY_COLUMN[scheme]], scheme)
    if by is None:
        table = _counts_frame(codes)
    else:
        pidx, labels = _period_index(chosen["searched_at"], by)
        table = _counts_frame(codes, pidx, labels)
    caveats: list[str] = [CAVEATS["events_not_people"]]
    not_applicable: dict[str, str] = {}
    if scheme == "officer":
        caveats.append(CAVEATS["officer_defined"])
        all_codes = _group_codes(frame["officer_defined_ethnicity"], "officer")
        if not (all_codes == _GROUP_INDEX["mixed"]).any():
            not_applicable["mixed"] = (
                "officer-defined ethnicity in this feed has no Mixed category: not calculable"
            )
    else:
        caveats.append(CAVEATS["self_defined"])
    caveats.extend(_year_caveat(frame["searched_at"]))
    label = "self-defined" if scheme == "self" else "officer-defined"
    subject = f"stop and search ({label} ethnicity; {sel.describe()})"
    return GroupCounts(table, subject, "searches", rows, excluded, not_applicable, tuple(caveats))


def _wilson(
    hits: npt.NDArray[np.float64], n: npt.NDArray[np.float64], z: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Wilson score interval for ``hits / n`` (NaN where ``n`` is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    ok = n > 0
    return np.where(ok, centre - half, np.nan), np.where(ok, centre + half, np.nan)


@dataclass(frozen=True)
class HitRates:
    """Hit rates by group.

    Attributes
    ----------
    table : DataFrame
        ``group``, ``searches`` (with the outcome measure recorded), ``hits``,
        ``hit_rate`` (0-1), ``ci_low``, ``ci_high`` (Wilson), ``note``.
    basis : {"linked", "outcome"}
        ``linked``: outcome linked to the object of search; ``outcome``: the proxy
        (any outcome other than no further action).
    caveats : tuple of str
    not_measured : int
        Selected searches left out because the measure was not recorded for them.
    """

    table: pd.DataFrame
    basis: str
    caveats: tuple[str, ...]
    not_measured: int


def hit_rate(
    source: pd.DataFrame | Store,
    scheme: Literal["self", "officer"] = "self",
    selection: SearchSelection | None = None,
    filters: Filters | None = None,
    basis: HitBasis = "auto",
    confidence: float = 0.95,
    lsoas: Sequence[str] = (),
) -> HitRates:
    """Share of searches that found what was searched for, by ethnic group.

    Parameters
    ----------
    source, scheme, selection, filters, lsoas
        As for :func:`stop_search_counts`.
    basis : {"auto", "linked", "outcome"}
        ``auto`` uses ``outcome_linked`` when any selected search records it,
        otherwise the outcome proxy (see module docstring).
    confidence : float
        Level of the Wilson interval.
    """
    if scheme not in _ETHNICITY_COLUMN:
        raise ValueError("scheme must be 'self' or 'officer'")
    if basis not in ("auto", "linked", "outcome"):
        raise ValueError("basis must be 'auto', 'linked' or 'outcome'")
    sel = selection or SearchSelection()
    frame, _ = _search_rows(source, filters, lsoas)
    keep, _ = _select(frame, sel.criteria())
    chosen = frame.loc[keep].reset_index(drop=True)
    linked = chosen["outcome_linked"]
    linked_known = linked.notna().to_numpy()
    used = "linked" if basis == "linked" or (basis == "auto" and linked_known.any()) else "outcome"
    if used == "linked":
        measured = linked_known
        hit = measured & linked.astype(object).where(linked_known, False).astype(bool).to_numpy()
    else:
        measured = ~_blank(chosen["outcome"])
        nfa = {_norm(o) for o in NO_FURTHER_ACTION}
        text = chosen["outcome"].astype(object).where(measured, "").astype(str)
        codes, uniques = pd.factorize(text)
        is_nfa = np.array([_norm(u) in nfa for u in uniques] + [False], dtype=bool)[codes]
        hit = measured & ~is_nfa
    groups = _group_codes(chosen[_ETHNICITY_COLUMN[scheme]], scheme)
    n_groups = len(COUNT_GROUPS)
    searches = np.bincount(groups[measured], minlength=n_groups).astype(float)
    hits = np.bincount(groups[hit], minlength=n_groups).astype(float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    low, high = _wilson(hits, searches, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(searches > 0, hits / searches, np.nan)
    note = np.where(searches > 0, "", "no searches with the measure recorded")
    table = pd.DataFrame(
        {
            "group": list(COUNT_GROUPS),
            "searches": searches.astype(np.int64),
            "hits": hits.astype(np.int64),
            "hit_rate": rate,
            "ci_low": low,
            "ci_high": high,
            "note": note.astype(object),
        }
    )
    caveats = [CAVEATS["hit_rate"]]
    if used == "outcome":
        caveats.append(CAVEATS["hit_rate_proxy"])
    return HitRates(table, used, tuple(caveats), int((~measured).sum()))


# --- other feeds in the store ----------------------------------------------------------------


def _in_list(column: str, values: tuple[str, ...]) -> tuple[str, list[object]]:
    if not values:
        return "", []
    marks = ", ".join("?" for _ in values)
    return f" AND {column} IN ({marks})", list(values)


def _period_counts(
    frame: pd.DataFrame,
    stamp: str,
    by: PeriodBy | None,
    weights: npt.NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    codes = _group_codes(frame["ethnicity"], "ons")
    if by is None:
        return _counts_frame(codes, weights=weights)
    pidx, labels = _period_index(frame[stamp], by)
    return _counts_frame(codes, pidx, labels, weights)


def incident_counts(
    store: Store,
    filters: Filters | None = None,
    categories: tuple[str, ...] = SYV_CATEGORIES,
    sources: tuple[str, ...] = (),
    age_bands: tuple[str, ...] = (),
    sexes: tuple[str, ...] = (),
    by: PeriodBy | None = None,
    lsoas: Sequence[str] = (),
) -> GroupCounts:
    """Incidents (default: serious youth violence) by the recorded person's ethnicity.

    Parameters
    ----------
    store : Store
    filters : Filters, optional
        Months (by ``occurred_at``).
    categories : tuple of str
        Canonical categories (default :data:`geo.core.schema.SYV_CATEGORIES`); empty = all.
    sources : tuple of str
        Feeds to include (e.g. a victims feed and a suspects feed loaded as separate
        sources); empty = all. police.uk street rows have no ethnicity and count as
        not recorded.
    age_bands, sexes : tuple of str
        Canonical values to keep; empty keeps all.
    by : {"month", "quarter"}, optional
    lsoas : sequence of str
        Keep only incidents located in these areas (see :func:`area_cells`).
    """
    where = "WHERE TRUE"
    params: list[object] = []
    if filters is not None:
        start, end = filters.bounds()
        where += " AND occurred_at >= ? AND occurred_at < ?"
        params += [start, end]
    for column, values in (("category", categories), ("source", sources)):
        sql, p = _in_list(column, values)
        where += sql
        params += p
    if tuple(categories) == SYV_CATEGORIES:
        where += f" AND {syv_sql()}"  # all-ages feeds (police.uk) are never youth violence
    cell = ", cell_10" if lsoas else ""
    frame = store.query(
        f"SELECT occurred_at, age_band, sex, ethnicity{cell} FROM incidents {where}", params
    )
    outside: dict[str, int] = {}
    if lsoas:
        frame, outside = _within_areas(frame, store, lsoas)
    rows = len(frame) + sum(outside.values())
    keep, excluded = _select(frame, [("age band", "age_band", age_bands), ("sex", "sex", sexes)])
    excluded = {**outside, **excluded}
    table = _period_counts(frame.loc[keep].reset_index(drop=True), "occurred_at", by)
    what = ", ".join(sources) if sources else "all feeds"
    return GroupCounts(
        table,
        f"incidents ({what})",
        "incidents",
        rows,
        excluded,
        caveats=(CAVEATS["events_not_people"], CAVEATS["incident_roles"]),
    )


def missing_counts(
    store: Store,
    filters: Filters | None = None,
    unit: Literal["children", "episodes"] = "children",
    age_bands: tuple[str, ...] = (),
    sexes: tuple[str, ...] = (),
    by: PeriodBy | None = None,
) -> GroupCounts:
    """Missing-from-home episodes, or distinct children, by ethnicity.

    A child is counted once (per period when split), in the group of their latest
    episode with an ethnicity recorded (``not_recorded`` when none is), among their
    episodes that pass the filters. ``rows`` and ``excluded`` count children for
    ``unit="children"`` (those with no episode passing the filters are excluded).
    """
    if unit not in ("children", "episodes"):
        raise ValueError("unit must be 'children' or 'episodes'")
    where = "WHERE TRUE"
    params: list[object] = []
    if filters is not None:
        start, end = filters.bounds()
        where += " AND reported_at >= ? AND reported_at < ?"
        params += [start, end]
    frame = store.query(
        "SELECT child_key, reported_at, age_band, sex, ethnicity FROM missing_episodes "
        f"{where} ORDER BY child_key, reported_at",
        params,
    )
    keep, excluded = _select(frame, [("age band", "age_band", age_bands), ("sex", "sex", sexes)])
    chosen = frame.loc[keep].reset_index(drop=True)
    caveats = (CAVEATS["unrecorded"],)
    if unit == "episodes":
        table = _period_counts(chosen, "reported_at", by)
        return GroupCounts(
            table, "missing episodes", "episodes", len(frame), excluded, caveats=caveats
        )
    # children: last recorded ethnicity per child (per period when split)
    keys = ["child_key"]
    if by is not None:
        pidx, labels = _period_index(chosen["reported_at"], by)
        chosen = chosen.assign(_p=pidx)
        keys.append("_p")
    eth = chosen["ethnicity"].astype(object).where(~_blank(chosen["ethnicity"]), None)
    last = chosen.assign(ethnicity=eth).groupby(keys, sort=False)["ethnicity"].last()
    children = last.reset_index()
    codes = _group_codes(children["ethnicity"], "ons")
    if by is None:
        table = _counts_frame(codes)
    else:
        table = _counts_frame(codes, children["_p"].to_numpy(dtype=np.int64), labels)
    n_children = int(frame["child_key"].nunique())
    left_out = n_children - int(chosen["child_key"].nunique())
    ex = {"no episode matching the filters": left_out} if left_out else {}
    return GroupCounts(
        table, "children missing from home", "children", n_children, ex, caveats=caveats
    )


SCHOOL_MEASURES: Final[tuple[str, ...]] = (
    "fixed_term_exclusion",
    "managed_move",
    "permanent_exclusion",
)


def school_outcome_counts(
    store: Store,
    measure: str = "fixed_term_exclusion",
    urns: tuple[str, ...] = (),
    sexes: tuple[str, ...] = (),
    periods: tuple[str, ...] = (),
    by_period: bool = False,
) -> GroupCounts:
    """Exclusions or managed moves by ethnic group from the school-level feed.

    Parameters
    ----------
    store : Store
        Reads ``school_outcomes`` (urn, period, period_start, measure, ethnicity,
        sex, count); a store without that table gives zero counts.
    measure : str
        One of :data:`SCHOOL_MEASURES`.
    urns, sexes, periods : tuple of str
        Values to keep; empty keeps all.
    by_period : bool
        Split by the feed's period labels (in order of ``period_start``).
    """
    if measure not in SCHOOL_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(SCHOOL_MEASURES)}")
    subject = measure.replace("_", " ") + "s"
    exists = store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'school_outcomes'"
    )
    frame = pd.DataFrame({"period": [], "period_start": [], "sex": [], "group": [], "count": []})
    if exists:
        where = "WHERE measure = ?"
        params: list[object] = [measure]
        for column, values in (("urn", urns), ("period", periods)):
            sql, p = _in_list(column, values)
            where += sql
            params += p
        frame = store.query(
            'SELECT period, period_start, sex, ethnicity AS "group", count '
            f"FROM school_outcomes {where}",
            params,
        )
    weights = frame["count"].to_numpy(dtype=float)
    rows = int(weights.sum())
    keep, excluded = _select(frame, [("sex", "sex", sexes)], weights)
    frame = frame.loc[keep].reset_index(drop=True)
    if by_period and len(frame):
        frame = frame.sort_values("period_start", kind="stable")
        out = counts_from_frame(frame, period="period", subject=subject, unit=subject)
    else:
        out = counts_from_frame(frame, subject=subject, unit=subject)
    return GroupCounts(
        out.counts,
        subject,
        subject,
        rows,
        excluded,
        caveats=(CAVEATS["school_population"], CAVEATS["events_not_people"]),
    )


# --------------------------------------------------------------------------------------------
# denominators
# --------------------------------------------------------------------------------------------

#: Separator in ``area_stats`` measures holding populations by ethnic group and age.
AGE_SEPARATOR: Final = " | "


@dataclass(frozen=True)
class Denominators:
    """Resident populations by census group.

    Attributes
    ----------
    population : Series
        Float populations indexed by :data:`GROUPS`.
    areas : int
        LSOAs summed.
    missing_areas : tuple of str
        LSOAs asked for that have no census ethnic-group rows.
    age_band : str or None
        The age band the populations are for (None: all ages).
    caveat : str
        What the denominators are, in plain English, with their limits.
    """

    population: pd.Series
    areas: int
    missing_areas: tuple[str, ...] = ()
    age_band: str | None = None
    caveat: str = ""


def census_areas(store: Store) -> list[str]:
    """LSOA codes with Census 2021 ethnic-group populations in ``area_stats``."""
    marks = ", ".join("?" for _ in CENSUS_TO_GROUP)
    frame = store.query(
        f"SELECT DISTINCT area_code FROM area_stats WHERE measure IN ({marks}) ORDER BY 1",
        list(CENSUS_TO_GROUP),
    )
    return [str(c) for c in frame["area_code"]]


def census_denominators(
    store: Store,
    lsoas: Sequence[str] | None = None,
    age_band: str | None = None,
    *,
    area: StudyArea | None = None,
) -> Denominators:
    """Sum Census 2021 ethnic-group populations over LSOAs.

    Parameters
    ----------
    store : Store
        Reads ``area_stats`` rows whose measure is a TS021 ethnic group
        (:data:`CENSUS_TO_GROUP`), or ``"<group> | <age band>"`` for ``age_band``.
    lsoas : sequence of str, optional
        The (sub-)area's LSOA codes; None sums every LSOA held.
    age_band : str, optional
        Population age band wanted (e.g. ``"10-17"``); when the store has no
        ethnicity-by-age measures for it, all ages are used and the caveat says so.
    area : StudyArea, optional
        The study area: for the whole area (``lsoas`` None) the census areas' loaded
        boundaries must cover it (:func:`geo.lenses.area_tables.table_coverage`), or no
        population is returned and the caveat says how much they cover.
    """
    names = list(CENSUS_TO_GROUP)
    measures = names if age_band is None else [f"{m}{AGE_SEPARATOR}{age_band}" for m in names]
    area_sql, area_params = ("", []) if lsoas is None else _in_list("area_code", tuple(lsoas))
    if lsoas is not None and not lsoas:
        area_sql = " AND FALSE"

    def fetch(wanted: list[str]) -> pd.DataFrame:
        marks = ", ".join("?" for _ in wanted)
        return store.query(
            "SELECT area_code, measure, value FROM area_stats "
            f"WHERE measure IN ({marks}){area_sql}",
            [*wanted, *area_params],
        )

    frame = fetch(measures)
    used_band = age_band
    notes: list[str] = []
    if age_band is not None and frame.empty:
        frame = fetch(names)
        used_band = None
        notes.append(
            f"No population by ethnic group for ages {age_band} is loaded, so all ages are "
            "used. " + CAVEATS["all_ages"]
        )
    elif age_band is None:
        notes.append("All ages.")
    base = frame["measure"].str.split(AGE_SEPARATOR, n=1, regex=False).str[0]
    codes = _group_codes(base, "census")
    sums = np.bincount(
        codes, weights=frame["value"].to_numpy(dtype=float), minlength=len(COUNT_GROUPS)
    )
    population = pd.Series(sums[: len(GROUPS)], index=list(GROUPS), dtype=float)
    found = set(frame["area_code"].astype(str))
    missing = tuple(sorted(set(lsoas) - found)) if lsoas is not None else ()
    n_areas = len(found)
    coverage = None
    if lsoas is None and area is not None and n_areas:
        coverage = table_coverage(store, area, sorted(found), "Census 2021 ethnic-group table")
        if coverage.share is not None and not coverage.covers:
            empty = pd.Series(0.0, index=list(GROUPS), dtype=float)
            return Denominators(
                empty,
                0,
                (),
                used_band,
                coverage.sentence()
                + f" No rate is given: the population would not match counts from all of "
                f"{area.name}.",
            )
    if n_areas == 0:
        caveat = "No Census 2021 ethnic-group population is loaded for this area: no rates."
    else:
        ages = "all ages" if used_band is None else f"aged {used_band}"
        caveat = (
            f"Census 2021 usual residents ({ages}) in {n_areas:,} LSOAs. " + " ".join(notes)
        ).strip()
        if missing:
            caveat += f" {len(missing):,} chosen LSOAs have no census rows and are left out."
        if coverage is not None:
            caveat += " " + coverage.sentence()
    return Denominators(population, n_areas, missing, used_band, caveat)


# --------------------------------------------------------------------------------------------
# rates and relative rate index
# --------------------------------------------------------------------------------------------

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
        Standard error of ln RRI (see module docstring).
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
    _check_reference(reference)
    if method not in ("poisson", "binomial"):
        raise ValueError("method must be 'poisson' or 'binomial'")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
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
    g_codes = np.asarray([_GROUP_INDEX[g] for g in counts["group"]], dtype=np.int64)
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
    ref_i = _GROUP_INDEX[reference]
    b = np.repeat(a.reshape(len(periods), n_groups)[:, ref_i], n_groups)
    nb = np.full_like(n, pop_by_group[ref_i])
    totals = np.repeat(a.reshape(len(periods), n_groups).sum(axis=1), n_groups)

    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(totals > 0, a / totals, np.nan)
        has_pop = np.isfinite(n) & (n > 0)
        rate = np.where(has_pop, 1000.0 * a / n, np.nan)
        ref_rate = np.where(np.isfinite(nb) & (nb > 0), b / nb, np.nan)
        rri = (a / n) / ref_rate
        poisson_var = 1 / a + 1 / b
        var = poisson_var if method == "poisson" else poisson_var - 1 / n - 1 / nb
        se = np.sqrt(np.where(var >= 0, var, np.nan))
    z = NormalDist().inv_cdf(0.5 + confidence / 2)

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
    rri_out = np.where(calculable, rri, np.nan)
    rri_out = np.where(is_ref & (note == "reference group"), 1.0, rri_out)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rri = np.log(np.where(calculable, rri, 1.0))
        low = np.where(calculable, np.exp(log_rri - z * se), np.nan)
        high = np.where(calculable, np.exp(log_rri + z * se), np.nan)
    # a rate of 0 is meaningful (none recorded, population known); not for na groups
    rate = np.where(na_mask, np.nan, rate)
    out = pd.DataFrame(
        {
            "group": group,
            "count": a.round().astype(np.int64),
            "share": share,
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
# disclosure control
# --------------------------------------------------------------------------------------------

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
        From :func:`relative_rate_index` / :func:`trend` (``count``) or
        :attr:`HitRates.table` (``searches``).
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


# --------------------------------------------------------------------------------------------
# findings, caveats and the whole audit
# --------------------------------------------------------------------------------------------

_PLURAL_FORMS: Final[Mapping[str, str]] = {
    "asian": "Asian {s}",
    "black": "Black {s}",
    "mixed": "{s} of Mixed ethnicity",
    "white": "White {s}",
    "other": "{s} of other ethnic groups",
}


def _people(group: str, subject: str, capital: bool = True) -> str:
    text = _PLURAL_FORMS[group].format(s=subject)
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
    _check_reference(reference)
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
        From :func:`stop_search_counts`, :func:`school_outcome_counts`,
        :func:`counts_from_frame` etc.
    denominators : Denominators
        From :func:`census_denominators`.
    reference, method
        As for :func:`relative_rate_index`.
    role, min_count
        Disclosure control (:func:`disclose`).
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
    if role == Role.PARTNERSHIP:
        caveats.append(WITHHELD_RULES.format(max_small=min_count - 1))
    excluded: dict[str, int | None] = {
        k: (None if role == Role.PARTNERSHIP and 1 <= v < min_count else v)
        for k, v in counts.excluded.items()
    }
    return Audit(
        counts.subject,
        table,
        disclosed.totals,
        reference,
        tuple(caveats),
        findings(table, counts.subject, reference, verb, subject),
        excluded,
    )


def rri_chart_spec(table: pd.DataFrame, reference: str = "white") -> dict[str, Any]:
    """A Vega-Lite spec (data included) of RRIs with intervals on a log axis and a rule
    at 1, one row per census group with a calculable RRI (the reference at 1)."""
    rows = table.loc[table["group"].isin(list(GROUPS))]
    if "period" in rows.columns and len(rows):
        rows = rows.loc[rows["period"] == rows["period"].iloc[-1]]
    values = [
        {
            "group": GROUP_LABELS[str(g)],
            "rri": float(r),
            "ci_low": None if not np.isfinite(lo) else float(lo),
            "ci_high": None if not np.isfinite(hi) else float(hi),
        }
        for g, r, lo, hi in zip(
            rows["group"], rows["rri"], rows["ci_low"], rows["ci_high"], strict=True
        )
        if np.isfinite(r)
    ]
    x = {"type": "quantitative", "scale": {"type": "log"}, "title": "Relative rate index (log)"}
    y = {"field": "group", "type": "nominal", "title": None, "sort": None}
    tooltip = [
        {"field": "group"},
        {"field": "rri", "format": ".2f"},
        {"field": "ci_low", "format": ".2f"},
        {"field": "ci_high", "format": ".2f"},
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": values},
        "layer": [
            {
                "mark": "rule",
                "encoding": {"x": {**x, "field": "ci_low"}, "x2": {"field": "ci_high"}, "y": y},
            },
            {
                "mark": {"type": "point", "filled": True},
                "encoding": {"x": {**x, "field": "rri"}, "y": y, "tooltip": tooltip},
            },
            {
                "mark": {"type": "rule", "strokeDash": [4, 4]},
                "encoding": {"x": {"datum": 1, "type": "quantitative"}},
            },
        ],
        "title": f"RRI against {GROUP_LABELS[reference]} (95 % CI)",
    }


# --------------------------------------------------------------------------------------------
# sub-areas: the chosen LSOAs for numerators as well as denominators
# --------------------------------------------------------------------------------------------

#: Resolution at which located records are matched to areas (about 65 m across).
AREA_RES: Final = 10
OUTSIDE_AREAS: Final = "outside the chosen areas"


def area_choices(store: Store) -> pd.DataFrame:
    """LSOAs with Census 2021 ethnic-group populations, for a sub-area picker.

    Returns
    -------
    DataFrame
        ``area_code``, ``name`` (from a loaded boundary file, else the code) and
        ``has_boundary`` (records can be placed in the area only when it has one).
    """
    codes = census_areas(store)
    if not codes:
        return pd.DataFrame({"area_code": [], "name": [], "has_boundary": []})
    sql, params = _in_list("area_code", tuple(codes))
    named = store.query(
        f"SELECT area_code, any_value(name) AS name FROM areas WHERE TRUE{sql} GROUP BY area_code",
        params,
    )
    names = dict(zip(named["area_code"].astype(str), named["name"], strict=True))
    return pd.DataFrame(
        {
            "area_code": codes,
            "name": [str(names.get(c) or c) for c in codes],
            "has_boundary": [c in names for c in codes],
        }
    )


def area_cells(store: Store, lsoas: Sequence[str], res: int = AREA_RES) -> npt.NDArray[np.uint64]:
    """H3 cells (integers) whose centres lie in the union of the chosen areas' boundaries
    (``areas`` rows from a boundary file); empty when none of them has a boundary."""
    if not lsoas:
        return np.empty(0, dtype=np.uint64)
    sql, params = _in_list("area_code", tuple(lsoas))
    frame = store.query(f"SELECT geometry_wkb FROM areas WHERE TRUE{sql}", params)
    if frame.empty:
        return np.empty(0, dtype=np.uint64)
    geoms = shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]])
    return hexes.polygon_to_cells(shapely.union_all(geoms), res)


def _within_areas(
    frame: pd.DataFrame, store: Store, lsoas: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows whose ``cell_10`` lies in the chosen areas; the others counted as excluded."""
    cells = area_cells(store, lsoas, AREA_RES)
    values = pd.to_numeric(frame["cell_10"], errors="coerce").fillna(0).to_numpy(np.uint64)
    inside = np.isin(values, cells)
    outside = int((~inside).sum())
    kept = frame.loc[inside].drop(columns="cell_10").reset_index(drop=True)
    return kept, ({OUTSIDE_AREAS: outside} if outside else {})


def schools_in_areas(store: Store, lsoas: Sequence[str]) -> tuple[str, ...]:
    """URNs of schools located in the chosen areas (for :func:`school_outcome_counts`)."""
    cells = area_cells(store, lsoas, AREA_RES)
    frame = store.query("SELECT urn, cell_10 FROM schools WHERE urn IS NOT NULL")
    values = pd.to_numeric(frame["cell_10"], errors="coerce").fillna(0).to_numpy(np.uint64)
    return tuple(sorted(str(u) for u in frame.loc[np.isin(values, cells), "urn"]))


# --------------------------------------------------------------------------------------------
# the page's audits: one call per measure, for the Disproportionality page and the briefing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureSpec:
    """One auditable measure held in the store.

    Attributes
    ----------
    label : str
        Menu text.
    verb, subject : str
        Wording of the findings ("were excluded", "young people").
    locatable : bool
        Records have a location, so a sub-area restricts the counts as well as the
        population (missing episodes carry only a coarse home area: not locatable).
    age_band : str or None
        The population age band used unless another is chosen.
    """

    label: str
    verb: str
    subject: str
    locatable: bool
    age_band: str | None


#: The measures the page offers, keyed as passed to :func:`run_audit`.
MEASURES: Final[Mapping[str, MeasureSpec]] = {
    "stop_search_self": MeasureSpec(
        "Stop and search (self-defined ethnicity)",
        "were stopped and searched",
        "people",
        True,
        None,
    ),
    "stop_search_officer": MeasureSpec(
        "Stop and search (officer-defined ethnicity)",
        "were stopped and searched",
        "people",
        True,
        None,
    ),
    "fixed_term_exclusion": MeasureSpec(
        "Fixed-term exclusions", "were excluded for a fixed term", "young people", True, "10-17"
    ),
    "managed_move": MeasureSpec(
        "Managed moves", "were moved between schools", "young people", True, "10-17"
    ),
    "permanent_exclusion": MeasureSpec(
        "Permanent exclusions", "were permanently excluded", "young people", True, "10-17"
    ),
    "syv_incidents": MeasureSpec(
        "Serious youth violence (ethnicity recorded on the incident)",
        "were recorded in serious youth violence",
        "young people",
        True,
        "10-17",
    ),
    "missing_children": MeasureSpec(
        "Children reported missing", "were reported missing", "children", False, "10-17"
    ),
    "missing_episodes": MeasureSpec(
        "Missing episodes", "were reported missing", "children", False, "10-17"
    ),
}

SUBAREA_IGNORED: Final = (
    "Missing episodes record only a coarse home area, not an LSOA, so they cannot be placed "
    "in the chosen sub-area: the whole study area is used for this measure."
)


def population_age_bands(store: Store) -> list[str]:
    """Age bands held as ethnicity-by-age populations (``"<group> | <band>"`` measures)."""
    frame = store.query(
        "SELECT DISTINCT split_part(measure, ?, 2) AS band FROM area_stats "
        "WHERE contains(measure, ?) ORDER BY 1",
        [AGE_SEPARATOR, AGE_SEPARATOR],
    )
    bands = [str(b) for b in frame["band"] if str(b)]
    order = {b: i for i, b in enumerate(AGE_RANGES)}
    return sorted(bands, key=lambda b: (order.get(b, len(order)), b))


def _school_periods(store: Store, filters: Filters | None) -> tuple[str, ...] | None:
    """Labels of the school-outcome periods starting inside the filters' months (None:
    all periods; an empty tuple: none)."""
    if filters is None:
        return None
    exists = store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'school_outcomes'"
    )
    if not exists:
        return None
    start, end = filters.bounds()
    frame = store.query(
        "SELECT DISTINCT period FROM school_outcomes WHERE period_start >= ? AND period_start < ?",
        [start, end],
    )
    return tuple(sorted(str(p) for p in frame["period"]))


def measure_counts(
    store: Store,
    measure: str,
    filters: Filters | None = None,
    selection: SearchSelection | None = None,
    lsoas: Sequence[str] = (),
    by: PeriodBy | None = None,
) -> GroupCounts:
    """Counts by group for one of :data:`MEASURES` (``lsoas`` ignored for measures that
    are not locatable; school outcomes count the terms starting within ``filters``)."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    areas = tuple(lsoas) if MEASURES[measure].locatable else ()
    if measure in ("stop_search_self", "stop_search_officer"):
        scheme: Literal["self", "officer"] = "self" if measure == "stop_search_self" else "officer"
        return stop_search_counts(store, scheme, selection, filters, by, lsoas=areas)
    if measure in SCHOOL_MEASURES:
        urns = schools_in_areas(store, areas) if areas else ()
        if areas and not urns:
            urns = ("",)  # no school in the chosen areas: count nothing
        periods = _school_periods(store, filters)
        if periods == ():
            periods = ("",)  # no term starts in the window: count nothing
        return school_outcome_counts(
            store, measure, urns, periods=periods or (), by_period=by is not None
        )
    if measure == "syv_incidents":
        return incident_counts(store, filters, by=by, lsoas=areas)
    unit: Literal["children", "episodes"] = (
        "children" if measure == "missing_children" else "episodes"
    )
    return missing_counts(store, filters, unit, by=by)


def _measure_denominators(
    store: Store,
    measure: str,
    lsoas: Sequence[str],
    age_band: str | None,
    area: StudyArea | None = None,
) -> tuple[Denominators, list[str]]:
    spec = MEASURES[measure]
    notes: list[str] = []
    areas: Sequence[str] | None = tuple(lsoas) if lsoas else None
    if areas is not None and not spec.locatable:
        areas = None
        notes.append(SUBAREA_IGNORED)
    return census_denominators(store, areas, age_band, area=area), notes


def run_audit(
    store: Store,
    measure: str,
    *,
    filters: Filters | None = None,
    reference: str = "white",
    role: str = "analyst",
    min_count: int,
    selection: SearchSelection | None = None,
    lsoas: Sequence[str] = (),
    age_band: str | None = None,
    area: StudyArea | None = None,
) -> Audit:
    """The audit of one stored measure: counts, census denominators for the same
    (sub-)area and age band, disclosure for ``role``, caveats and findings.

    A pure function of the store, for the page and for the briefing pack
    (``run_audit(...).findings``).
    """
    spec = MEASURES.get(measure)
    if spec is None:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    counts = measure_counts(store, measure, filters, selection, lsoas)
    den, notes = _measure_denominators(store, measure, lsoas, age_band, area)
    result = audit(
        counts, den, reference, role, min_count=min_count, verb=spec.verb, subject=spec.subject
    )
    if notes:
        result = replace(result, caveats=(*notes, *result.caveats))
    return result


def run_trend(
    store: Store,
    measure: str,
    *,
    filters: Filters | None = None,
    reference: str = "white",
    role: str = "analyst",
    min_count: int,
    selection: SearchSelection | None = None,
    lsoas: Sequence[str] = (),
    age_band: str | None = None,
    area: StudyArea | None = None,
    by: PeriodBy = "quarter",
) -> pd.DataFrame:
    """RRIs per period (school terms for school outcomes), disclosed for ``role``."""
    counts = measure_counts(store, measure, filters, selection, lsoas, by=by)
    if "period" not in counts.counts.columns:
        return pd.DataFrame(columns=["period", *RRI_COLUMNS, "withheld"])
    den, _ = _measure_denominators(store, measure, lsoas, age_band, area)
    return disclose(trend(counts, den, reference), role, min_count, reference).table


def run_hit_rate(
    store: Store,
    measure: str,
    *,
    filters: Filters | None = None,
    role: str = "analyst",
    min_count: int,
    selection: SearchSelection | None = None,
    lsoas: Sequence[str] = (),
) -> HitRates | None:
    """Disclosed hit rates for a stop-and-search measure (None for other measures)."""
    if measure not in ("stop_search_self", "stop_search_officer"):
        return None
    scheme: Literal["self", "officer"] = "self" if measure == "stop_search_self" else "officer"
    hits = hit_rate(store, scheme, selection, filters, lsoas=tuple(lsoas))
    table = disclose(hits.table, role, min_count).table
    if role == Role.PARTNERSHIP:
        # The audit table shows every search per group; this one only those with the
        # measure recorded. Where the difference (searches without it) is small, the
        # row is withheld, or subtracting the two tables would reveal it.
        counts = stop_search_counts(store, scheme, selection, filters, lsoas=tuple(lsoas))
        total = counts.counts.groupby("group")["count"].sum()
        measured = hits.table.set_index("group")["searches"]
        unmeasured = total.reindex(measured.index).fillna(0) - measured
        small = small_counts(unmeasured.to_numpy(), min_count)
        rows = table["group"].isin(measured.index[small]).to_numpy()
        for col in ("searches", "hits", "hit_rate", "ci_low", "ci_high"):
            if col in table:
                table[col] = table[col].astype(float).mask(rows)
        table.loc[rows, "note"] = WITHHELD
        rules = WITHHELD_RULES.format(max_small=min_count - 1)
        return HitRates(table, hits.basis, (*hits.caveats, rules), hits.not_measured)
    return HitRates(table, hits.basis, hits.caveats, hits.not_measured)


def stop_search_options(store: Store) -> dict[str, list[str]]:
    """Values present in the store for the stop-and-search filters (menus)."""
    out: dict[str, list[str]] = {}
    for column in ("age_range", "sex", "object_of_search", "outcome"):
        frame = store.query(
            f"SELECT DISTINCT {column} AS v FROM stop_search WHERE {column} IS NOT NULL ORDER BY 1"
        )
        out[column] = [str(v) for v in frame["v"]]
    order = {a: i for i, a in enumerate(AGE_RANGES)}
    out["age_range"].sort(key=lambda a: order.get(a, len(order)))
    return out


_GROUP_HEADERS: Final = ("ethnicity", "ethnic group", "ethnic_group", "group", "ethnicity group")
_COUNT_HEADERS: Final = ("count", "n", "number", "value")


def list_feed_counts(
    data: bytes, file_name: str, subject: str = "listed people"
) -> tuple[GroupCounts, str]:
    """Counts by group from an uploaded list-type CSV (a gangs-matrix extract...).

    The file has an ethnicity column (``ethnicity``, ``ethnic group`` or ``group``)
    and optionally a ``count`` column (without one, each row is one person). The
    mapping scheme is the one that recognises most values (PlaceSafe's groups,
    officer-defined, self-defined or census wording).

    Returns
    -------
    (GroupCounts, str)
        The counts and the scheme used. Raises ``ValueError`` with a message that
        quotes no value from the file.
    """
    issues = RowIssues()
    frame, _ = read_table(data, file_name, issues)
    headers = {_norm(str(c)): str(c) for c in frame.columns}
    group = next((headers[h] for h in _GROUP_HEADERS if h in headers), None)
    if group is None:
        raise ValueError("the file needs an 'ethnicity' (or 'ethnic group') column")
    count = next((headers[h] for h in _COUNT_HEADERS if h in headers), None)
    values = frame[group]
    best, best_known = "ons", -1
    for scheme in ("ons", "officer", "self", "census"):
        codes = _group_codes(values, scheme)
        known = int((codes < _GROUP_INDEX[NOT_RECORDED]).sum())
        if known > best_known:
            best, best_known = scheme, known
    counts = counts_from_frame(
        frame,
        group=group,
        count=count,
        scheme=best,  # type: ignore[arg-type]
        subject=subject,
        unit="people" if count is None else "records",
    )
    return counts, best


def run_list_audit(
    data: bytes,
    file_name: str,
    store: Store,
    *,
    reference: str = "white",
    role: str = "analyst",
    min_count: int,
    lsoas: Sequence[str] = (),
    age_band: str | None = None,
    area: StudyArea | None = None,
) -> Audit:
    """The audit of an uploaded list-type feed against the census population of the
    chosen (sub-)area (the list is taken to be for that area)."""
    counts, _ = list_feed_counts(data, file_name)
    den = census_denominators(store, tuple(lsoas) if lsoas else None, age_band, area=area)
    return audit(counts, den, reference, role, min_count=min_count, verb="were listed")


#: Column headings of the page's tables.
DISPLAY_COLUMNS: Final[Mapping[str, str]] = {
    "period": "Period",
    "group": "Ethnic group",
    "count": "Count",
    "share": "Share of all counted (%)",
    "population": "Residents",
    "rate_per_1000": "Rate per 1,000",
    "rri": "RRI",
    "ci_low": "95 % CI low",
    "ci_high": "95 % CI high",
    "significant": "Interval excludes 1",
    "searches": "Searches",
    "hits": "Hits",
    "hit_rate": "Hit rate (%)",
    "note": "Note",
}


def display_table(table: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """An RRI, trend or hit-rate table for display and download: group labels, rounded
    figures, shares and hit rates as percentages, plain headings, and the reference
    group's RRI left blank (it is 1 by definition and its note says so)."""
    held = (
        table["withheld"].fillna(False).astype(bool).to_numpy()
        if "withheld" in table.columns
        else np.zeros(len(table), dtype=bool)
    )
    out = table.drop(columns=[c for c in ("withheld",) if c in table.columns]).copy()
    reference_row = np.zeros(len(out), dtype=bool)
    if reference is not None and "rri" in out.columns:
        reference_row = (out["group"] == reference).to_numpy()
        out.loc[reference_row, "rri"] = np.nan
    percent = "hit_rate" in out.columns  # a hit rate's interval is a share too
    for col in ("share", "hit_rate", *(("ci_low", "ci_high") if percent else ())):
        if col in out.columns:
            out[col] = (100 * out[col].astype(float)).round(1)
    for col in ("rate_per_1000", "rri", *(() if percent else ("ci_low", "ci_high"))):
        if col in out.columns:
            out[col] = out[col].astype(float).round(2)
    out["group"] = out["group"].map(GROUP_LABELS).fillna(out["group"])
    return _blanks_in_words(out, held, reference_row).rename(columns=dict(DISPLAY_COLUMNS))


#: What a blank figure reads: "withheld" in a withheld row (as every partnership table
#: says it), and "–" when it is not calculable (no residents or no searches).
WITHHELD_CELL: Final = "withheld"
NOT_CALCULABLE: Final = "–"


def _blanks_in_words(
    out: pd.DataFrame, held: np.ndarray, reference_row: np.ndarray
) -> pd.DataFrame:
    """Blank figures in words, never "None": "withheld" in a withheld row (small numbers
    protected), "1 (reference)" for the reference group's RRI, "–" where not calculable."""
    for col in out.columns:
        if col in ("group", "period", "note", "significant"):
            continue
        blank = out[col].isna().to_numpy()
        if not blank.any():
            continue
        words = np.where(held, WITHHELD_CELL, NOT_CALCULABLE).astype(object)
        if col == "rri":
            words = np.where(reference_row & ~held, "1 (reference)", words)
        values = out[col].astype(object).to_numpy(copy=True)
        values[blank] = words[blank]
        out[col] = values
    return out


def trend_chart_frame(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """RRI per period (rows) and group (columns, labels) for a line chart, without the
    reference group (always 1) and the groups that have no population."""
    rows = table.loc[table["group"].isin([g for g in GROUPS if g != reference])]
    wide = rows.pivot_table(index="period", columns="group", values="rri", sort=False)
    wide = wide.reindex(columns=[g for g in GROUPS if g in wide.columns])
    return wide.rename(columns=dict(GROUP_LABELS))
