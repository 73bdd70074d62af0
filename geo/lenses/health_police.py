"""Known to health, not to police: places where an emergency department treats more
assault victims than police records of violence there would lead one to expect.

An emergency department shares anonymised assault attendances (ISTV, the Cardiff
Model; the ``ed_assaults`` table). For each cell at the analysis resolution this lens
sets the A&E assaults placed there against police-recorded violence there
(:data:`geo.core.schema.POLICE_VIOLENCE_CATEGORIES`) and runs the conditional binomial
test (:mod:`geo.stats.conditional_binomial`): given a place's records of both kinds, is
A&E's share of them higher than its share across the whole area? Places that are
significant after the false discovery rate *and* large enough to matter are findings.

Which records are compared
--------------------------
* **Police**: violence from one incident feed, so that no crime is counted twice: a
  feed covering all ages (police.uk street crime) when one holds violence in the
  period, else the partners' serious youth violence extracts (:func:`police_feed`).
* **A&E**: assaults placed in a cell (never those at a private home, which have no
  cell, nor those not placed), of the ages the police feed covers: patients under 25
  when the police feed is a youth-violence extract, since comparing all-age A&E
  assaults with under-25 police records would make every place where adults are hurt
  (the night-time economy) look unknown to the police. Records with no age band are
  then left out, and counted.

The incident-category filter does not apply: the police side is always the fixed
violence categories. Times are the assault's where the ED recorded it, else the
arrival at A&E. Everything here is exact; what the partnership sees is assembled by
:mod:`geo.lenses.health_police_view` through :mod:`geo.disclosure.health`.

* :func:`known_to_health` — the lens (a :class:`KnownToHealth`);
* :func:`police_feed`, :func:`cell_counts`, :func:`compared_totals`, :func:`ed_feed_counts` —
  its parts, which the partnership's view also uses at the other resolutions it may
  choose;
* :func:`model_sentence` — the model in plain English for the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from geo.core import hexes, schema
from geo.core.area import StudyArea
from geo.core.filters import ANALYSIS_RESOLUTIONS, Filters
from geo.core.time_of_week import DEFAULT_BLOCKS, TimeBlock, block_labels, block_of
from geo.stats.conditional_binomial import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_EXCESS,
    DEFAULT_MIN_ODDS_RATIO,
    ConditionalBinomial,
    conditional_binomial,
)
from geo.store.database import Store
from geo.store.place_names import place_names

__all__ = [
    "LATE_NIGHT",
    "LATE_NIGHT_HOURS",
    "LOCATE_METHOD_WORDS",
    "OTHER_TIMES",
    "UNDER_25",
    "EdFeedCounts",
    "KnownToHealth",
    "PoliceFeed",
    "cell_counts",
    "compared_totals",
    "ed_feed_counts",
    "known_to_health",
    "model_sentence",
    "police_feed",
    "time_group_labels",
    "violence_words",
]

#: How the ED's place text was placed, in words (``locate_method``).
LOCATE_METHOD_WORDS: Final[dict[str, str]] = {
    "postcode": "postcode",
    "gazetteer": "place name",
    "coordinates": "coordinates",
}
#: The time-of-week groups of assaults outside every block: late nights (23:00 to 07:00,
#: which no youth-work block covers), and the rest.
LATE_NIGHT: Final = "late_night"
OTHER_TIMES: Final = "other_times"
#: Hours (from, to) of :data:`LATE_NIGHT`, UK local clock time.
LATE_NIGHT_HOURS: Final[tuple[int, int]] = (23, 7)
#: A&E patients' age bands that match a police feed of victims under 25.
UNDER_25: Final[tuple[str, ...]] = tuple(a for a in schema.AGE_BANDS if a != "25+")
_POLICE_CATEGORIES_SQL: Final = ", ".join(f"'{c}'" for c in schema.POLICE_VIOLENCE_CATEGORIES)


# --- the parts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoliceFeed:
    """The incident feed whose violence is compared with A&E.

    Attributes
    ----------
    sources : tuple of str
        The ``incidents.source`` values used.
    label : str
        The feed as people call it.
    ages : str
        Whose incidents it holds (``"all ages"`` or ``"under 25"``).
    """

    sources: tuple[str, ...]
    label: str
    ages: str

    @property
    def ed_ages(self) -> tuple[str, ...] | None:
        """The A&E age bands compared with it (None: every record, of any age)."""
        return None if self.ages == "all ages" else UNDER_25


def violence_words() -> str:
    """The police violence categories in words ("violence with injury, ...")."""
    labels = [schema.INCIDENT_CATEGORY_LABELS[c] for c in schema.POLICE_VIOLENCE_CATEGORIES]
    return ", ".join(label[0].lower() + label[1:] for label in labels)


def police_feed(store: Store, filters: Filters) -> PoliceFeed | None:
    """The one incident feed whose violence is compared with A&E in the period.

    A feed covering all ages (police.uk street crime) is preferred, as A&E treats all
    ages; without one, every partner serious-youth-violence extract. None when no feed
    holds police-recorded violence in the period.
    """
    start, end = filters.bounds()
    found = store.query(
        "SELECT DISTINCT source FROM incidents WHERE occurred_at >= ? AND occurred_at < ? "
        f"AND category IN ({_POLICE_CATEGORIES_SQL}) ORDER BY source",
        [start, end],
    )
    sources = [str(s) for s in found["source"]]
    if not sources:
        return None
    all_ages = [s for s in sources if schema.incident_source(s).ages == "all ages"]
    chosen = tuple(all_ages or sources)
    labels = sorted({schema.incident_source(s).label for s in chosen})
    return PoliceFeed(chosen, " and ".join(labels), schema.incident_source(chosen[0]).ages)


def _res_column(res: int) -> str:
    if res not in ANALYSIS_RESOLUTIONS:
        raise ValueError(f"analysis resolution must be one of {ANALYSIS_RESOLUTIONS}")
    return f"cell_{res}"


def _ed_where(ages: tuple[str, ...] | None) -> str:
    if ages is None:
        return ""
    return " AND age_band IN (" + ", ".join(f"'{a}'" for a in ages if a in schema.AGE_BANDS) + ")"


def cell_counts(
    store: Store, res: int, filters: Filters, police: PoliceFeed
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A&E assaults and police-recorded violence per cell at ``res`` in the period.

    Returns
    -------
    (DataFrame, DataFrame)
        A&E (of the ages ``police`` covers) and police counts, each with ``cell``
        (uint64), ``count`` and ``key_sum`` (the records' perturbation keys), cells with
        a record only.
    """
    col = _res_column(res)
    start, end = filters.bounds()
    select = f"SELECT {col} AS cell, count(*) AS count, coalesce(sum(record_key), 0)::BIGINT "
    ed = store.query(
        select + f"AS key_sum FROM ed_assaults WHERE occurred_at >= ? AND occurred_at < ? "
        f"AND {col} IS NOT NULL{_ed_where(police.ed_ages)} GROUP BY 1 ORDER BY 1",
        [start, end],
    )
    marks = ", ".join("?" for _ in police.sources)
    crimes = store.query(
        select + f"AS key_sum FROM incidents WHERE occurred_at >= ? AND occurred_at < ? "
        f"AND {col} IS NOT NULL AND category IN ({_POLICE_CATEGORIES_SQL}) "
        f"AND source IN ({marks}) GROUP BY 1 ORDER BY 1",
        [start, end, *police.sources],
    )
    return ed, crimes


@dataclass(frozen=True)
class EdFeedCounts:
    """The A&E feed in the period, area-wide: how many assaults, and how they were placed.

    Every count comes with the sum of its records' perturbation keys.

    Attributes
    ----------
    total, total_key : int
        Every A&E assault in the period (all ages).
    methods : DataFrame
        Placed assaults by ``method`` (``locate_method``): ``count``, ``key_sum``.
    private_home, private_home_key : int
        Assaults at a private home (counted, never mapped).
    unplaced : DataFrame
        Other assaults not placed, by ``reason``: ``count``, ``key_sum``.
    arrival_times : int
        Assaults timed by the arrival at A&E (no assault time recorded).
    """

    total: int
    total_key: int
    methods: pd.DataFrame
    private_home: int
    private_home_key: int
    unplaced: pd.DataFrame
    arrival_times: int

    @property
    def placed(self) -> int:
        """Assaults placed in a cell."""
        return int(self.methods["count"].sum())


def ed_feed_counts(store: Store, filters: Filters) -> EdFeedCounts:
    """Area-wide counts of the A&E feed in the period (all ages)."""
    start, end = filters.bounds()
    rows = store.query(
        "SELECT cell IS NOT NULL AS placed, private_home, coalesce(locate_method, '') AS method, "
        "coalesce(unlocated_reason, 'reason not recorded') AS reason, "
        "count(*) AS count, coalesce(sum(record_key), 0)::BIGINT AS key_sum, "
        "count(*) FILTER (WHERE time_basis = 'arrival') AS arrival "
        "FROM ed_assaults WHERE occurred_at >= ? AND occurred_at < ? GROUP BY ALL",
        [start, end],
    )
    placed = rows.loc[rows["placed"].astype(bool)]
    home = rows.loc[~rows["placed"].astype(bool) & rows["private_home"].astype(bool)]
    other = rows.loc[~rows["placed"].astype(bool) & ~rows["private_home"].astype(bool)]
    methods = placed.assign(method=placed["method"].replace("", "not recorded"))
    by_method = methods.groupby("method", sort=True)[["count", "key_sum"]].sum().reset_index()
    by_reason = other.groupby("reason", sort=True)[["count", "key_sum"]].sum().reset_index()
    return EdFeedCounts(
        total=int(rows["count"].sum()),
        total_key=int(rows["key_sum"].sum()),
        methods=by_method,
        private_home=int(home["count"].sum()),
        private_home_key=int(home["key_sum"].sum()),
        unplaced=by_reason,
        arrival_times=int(rows["arrival"].sum()),
    )


# --- the lens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownToHealth:
    """Places known to health and not to police, with what the A&E feed holds.

    Attributes
    ----------
    filters : Filters
        The period.
    res : int
        The analysis resolution.
    feed : EdFeedCounts
        The A&E feed area-wide (all ages).
    police : PoliceFeed or None
        The police feed compared (None: no police-recorded violence in the period).
    test : ConditionalBinomial or None
        The test over the cells with a record of either kind (None without police or
        A&E records).
    places : DataFrame
        One row per cell tested, by ``rank`` (findings first, by excess, then by p):
        ``rank``, ``cell`` (H3 string), ``place`` (its name), ``ed`` (A&E assaults
        placed there), ``police`` (police-recorded violence), ``expected`` (A&E
        assaults expected at the area's share), ``ratio`` (ed / expected), ``excess``,
        ``odds_ratio``, ``p``, ``q``, ``finding`` and the perturbation key sums
        ``ed_key`` and ``police_key``.
    means : DataFrame
        For each finding: ``cell``, ``means`` (:data:`geo.core.schema.ASSAULT_MEANS`),
        ``count`` and ``key_sum``, every means listed.
    times : DataFrame
        For each finding: ``cell``, ``block`` (a time-of-week block's name,
        :data:`LATE_NIGHT` or :data:`OTHER_TIMES`: :func:`time_group_labels`), ``count``
        and ``key_sum``, every group listed.
    ages_left_out : int
        Placed A&E assaults not compared because of the patient's age (outside the
        police feed's ages, or not recorded).
    blocks : tuple of TimeBlock
        The time-of-week blocks of ``times``.
    """

    filters: Filters
    res: int
    feed: EdFeedCounts
    police: PoliceFeed | None
    test: ConditionalBinomial | None
    places: pd.DataFrame
    means: pd.DataFrame
    times: pd.DataFrame
    ages_left_out: int = 0
    blocks: tuple[TimeBlock, ...] = field(default=DEFAULT_BLOCKS)

    @property
    def loaded(self) -> bool:
        """Whether the A&E feed holds any assault in the period."""
        return self.feed.total > 0

    @property
    def findings(self) -> pd.DataFrame:
        """The places that are findings, by rank."""
        return self.places.loc[self.places["finding"].astype(bool)]


_PLACE_COLUMNS: Final = (
    "rank", "cell", "place", "ed", "police", "expected", "ratio", "excess", "odds_ratio",
    "p", "q", "finding", "ed_key", "police_key",
)  # fmt: skip


def _empty_places() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in _PLACE_COLUMNS})


def _mix(
    rows: pd.DataFrame, by: str, categories: Sequence[str], cells: Sequence[str]
) -> pd.DataFrame:
    """Counts and key sums per cell and category, every category listed for each cell."""
    index = pd.MultiIndex.from_product([list(cells), list(categories)], names=["cell", by])
    grouped = rows.groupby(["cell", by], sort=False).agg(
        count=("record_key", "size"), key_sum=("record_key", "sum")
    )
    out = grouped.reindex(index, fill_value=0).reset_index()
    return out.astype({"count": np.int64, "key_sum": np.int64})


def known_to_health(
    store: Store,
    area: StudyArea,
    res: int,
    filters: Filters,
    *,
    alpha: float = DEFAULT_ALPHA,
    min_excess: float = DEFAULT_MIN_EXCESS,
    min_odds_ratio: float = DEFAULT_MIN_ODDS_RATIO,
    blocks: tuple[TimeBlock, ...] = DEFAULT_BLOCKS,
) -> KnownToHealth:
    """Places where A&E treats more assault victims than police records there suggest.

    Parameters
    ----------
    store : Store
        The store (the partnership's publishable one for that role).
    area : StudyArea
        The study area: only cells on its grid are compared.
    res : int
        Analysis resolution (7-10).
    filters : Filters
        The period (its incident categories do not apply).
    alpha, min_excess, min_odds_ratio : float
        The test's false discovery rate and effect floor
        (:func:`geo.stats.conditional_binomial.conditional_binomial`).
    blocks : tuple of TimeBlock
        Time-of-week blocks of the findings' time mix.

    Returns
    -------
    KnownToHealth
        Exact figures; ``loaded`` is False when the A&E feed holds nothing in the
        period (then nothing is compared and no figure is zero for want of data).
    """
    feed = ed_feed_counts(store, filters)
    police = police_feed(store, filters) if feed.total else None
    empty = KnownToHealth(
        filters, res, feed, police, None, _empty_places(), pd.DataFrame(), pd.DataFrame(),
        blocks=blocks,
    )  # fmt: skip
    if police is None:
        return empty
    ed, crimes = cell_counts(store, res, filters, police)
    grid = area.grid(res)
    ed = ed.loc[np.isin(ed["cell"].to_numpy(dtype=np.uint64), grid)]
    crimes = crimes.loc[np.isin(crimes["cell"].to_numpy(dtype=np.uint64), grid)]
    both = ed.merge(crimes, on="cell", how="outer", suffixes=("_ed", "_police")).fillna(0)
    if both.empty:
        return empty
    test = conditional_binomial(
        both["count_ed"].to_numpy(dtype=np.int64),
        both["count_police"].to_numpy(dtype=np.int64),
        alpha=alpha,
        min_excess=min_excess,
        min_odds_ratio=min_odds_ratio,
    )
    cells = hexes.cells_to_str(both["cell"].to_numpy(dtype=np.uint64))
    places = pd.DataFrame(
        {
            "cell": cells,
            "ed": test.health,
            "police": test.police,
            "expected": test.expected,
            "ratio": test.ratio,
            "excess": test.excess,
            "odds_ratio": test.odds_ratio,
            "p": test.p,
            "q": test.q,
            "finding": test.finding,
            "ed_key": both["key_sum_ed"].to_numpy(dtype=np.int64),
            "police_key": both["key_sum_police"].to_numpy(dtype=np.int64),
        }
    )
    places = places.sort_values(
        ["finding", "excess", "p", "cell"], ascending=[False, False, True, True], kind="stable"
    ).reset_index(drop=True)
    places.insert(0, "rank", np.arange(1, len(places) + 1))
    places.insert(2, "place", place_names(store, places["cell"].to_numpy(), res).to_numpy())
    found = places.loc[places["finding"], "cell"].tolist()
    means, times = _mixes(store, filters, res, police, found, blocks)
    left_out = feed.placed - _placed_compared(store, filters, police)
    return KnownToHealth(
        filters, res, feed, police, test, places[list(_PLACE_COLUMNS)], means, times,
        ages_left_out=left_out, blocks=blocks,
    )  # fmt: skip


def compared_totals(
    store: Store, filters: Filters, police: PoliceFeed
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Every A&E assault of the compared ages and every police-recorded violent crime of
    the feed in the period, placed or not, each with the sum of its records' keys: the
    totals the per-cell counts are published under."""
    start, end = filters.bounds()
    select = "SELECT count(*) AS n, coalesce(sum(record_key), 0)::BIGINT AS k "
    ed = store.query(
        select
        + "FROM ed_assaults WHERE occurred_at >= ? AND occurred_at < ?"
        + _ed_where(police.ed_ages),
        [start, end],
    )
    marks = ", ".join("?" for _ in police.sources)
    crimes = store.query(
        select + "FROM incidents WHERE occurred_at >= ? AND occurred_at < ? "
        f"AND category IN ({_POLICE_CATEGORIES_SQL}) AND source IN ({marks})",
        [start, end, *police.sources],
    )
    return (
        (int(ed["n"].iloc[0]), int(ed["k"].iloc[0])),
        (int(crimes["n"].iloc[0]), int(crimes["k"].iloc[0])),
    )


def _placed_compared(store: Store, filters: Filters, police: PoliceFeed) -> int:
    """Placed A&E assaults of the ages compared with ``police``, in the period."""
    start, end = filters.bounds()
    return int(
        store.scalar(
            "SELECT count(*) FROM ed_assaults WHERE occurred_at >= ? AND occurred_at < ? "
            f"AND cell IS NOT NULL{_ed_where(police.ed_ages)}",
            [start, end],
        )
    )


def _mixes(
    store: Store,
    filters: Filters,
    res: int,
    police: PoliceFeed,
    cells: Sequence[str],
    blocks: tuple[TimeBlock, ...],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The means of assault and time-of-week mix of the A&E assaults at ``cells``."""
    col = _res_column(res)
    start, end = filters.bounds()
    rows = store.query(
        f"SELECT {col} AS cell, means, occurred_at, record_key FROM ed_assaults "
        f"WHERE occurred_at >= ? AND occurred_at < ? AND {col} IS NOT NULL"
        f"{_ed_where(police.ed_ages)}",
        [start, end],
    )
    wanted = hexes.str_to_cells(list(cells)) if cells else np.zeros(0, dtype=np.uint64)
    rows = rows.loc[np.isin(rows["cell"].to_numpy(dtype=np.uint64), wanted)]
    block = block_of(rows["occurred_at"], blocks)
    hour = pd.to_datetime(rows["occurred_at"]).dt.hour.to_numpy()
    late = (hour >= LATE_NIGHT_HOURS[0]) | (hour < LATE_NIGHT_HOURS[1])
    block = np.where(block != "", block, np.where(late, LATE_NIGHT, OTHER_TIMES))
    rows = rows.assign(
        cell=hexes.cells_to_str(rows["cell"].to_numpy(dtype=np.uint64)),
        means=rows["means"].where(rows["means"].isin(schema.ASSAULT_MEANS), "not_recorded"),
        block=block,
    )
    names = list(time_group_labels(blocks))
    return (
        _mix(rows, "means", schema.ASSAULT_MEANS, cells),
        _mix(rows, "block", names, cells),
    )


def time_group_labels(blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS) -> dict[str, str]:
    """The time-of-week groups of a place's assaults, by name, with their labels: the
    blocks, then late nights and other times (outside every block)."""
    start, end = LATE_NIGHT_HOURS
    return {
        **block_labels(blocks),
        LATE_NIGHT: f"Late nights (every day {start:02d}:00-{end:02d}:00)",
        OTHER_TIMES: "Other times",
    }


def model_sentence(result: KnownToHealth, p0: float | None = None) -> str:
    """The model in plain English, for the page (``p0`` overrides the area's A&E share,
    e.g. rounded for publication)."""
    police = result.police
    test = result.test
    if police is None or test is None:
        return ""
    share = test.p0 if p0 is None else p0
    ages = (
        "A&E assaults of every age"
        if police.ed_ages is None
        else "A&E assaults of patients under 25 (the ages the police feed covers)"
    )
    return (
        f"Each place's {ages} are set against the violence police recorded there "
        f"({violence_words()}; {police.label}). Across the area {share:.0%} of the two "
        "kinds of record together are A&E's. A place is listed when its A&E share is "
        "higher than that by more than chance would explain (a one-sided exact binomial "
        f"test given the place's records, with a false discovery rate of {test.alpha:.0%} "
        "over every place tested) and the difference matters: at least "
        f"{test.min_excess:g} more A&E assaults than the area's share gives, and A&E-to-police "
        f"odds at least {test.min_odds_ratio:g} times the area's. Places are compared with "
        "one another, so a difference can also come from how well the A&E's place "
        "descriptions could be placed in one part of the area rather than another."
    )
