"""The Health and police page's view: places known to health and not to police, as a
role may see them.

:func:`health_police_view` runs :func:`geo.lenses.health_police.known_to_health` on the
role's store (the partnership's publishable one) and, for the partnership, passes every
figure through :mod:`geo.disclosure.health`: counts per place are published like the
map's cells, expected and times-expected are worked out from published counts,
significance is a band of evidence, mixes are shares with small categories combined,
and the feed's breakdown is one protected hierarchy. Analysts see exact figures, and
every place tested with its p- and q-value.

Every sentence the page shows comes from here (the model, the feed's coverage, what is
left out), so the page only lays it out. Place names and labels are fixed words and
public names; the page and the map escape them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo.core import hexes, schema
from geo.core.area import StudyArea
from geo.core.config import Config
from geo.core.filters import Filters
from geo.core.roles import Role, as_role
from geo.disclosure import allowed_resolutions, check_resolution, publication_note, store_for
from geo.disclosure.health import (
    COMBINED,
    DisclosedBreakdown,
    disclose_breakdown,
    disclose_mix,
    disclose_place_counts,
    evidence_band,
    published_expected,
    published_share,
)
from geo.lenses.health_police import (
    LOCATE_METHOD_WORDS,
    KnownToHealth,
    cell_counts,
    compared_totals,
    known_to_health,
    model_sentence,
    time_group_labels,
)
from geo.store.database import Store

__all__ = [
    "COMBINED_LABEL",
    "HEALTH_HEADERS",
    "HOME_PART",
    "NO_POLICE_RECORD",
    "PLACED_PART",
    "UNLISTED_NOTE",
    "HealthPoliceView",
    "coverage_sentence",
    "health_police_view",
]

#: Parts of the A&E feed's breakdown (with the reasons assaults were not placed).
PLACED_PART: Final = "placed"
HOME_PART: Final = "private home"
#: How a mix's withheld categories, shown together, are labelled.
COMBINED_LABEL: Final = "Withheld (combined)"
#: The odds ratio of a place where the police recorded no violence (infinite).
NO_POLICE_RECORD: Final = "no police record"
#: Why the partnership may see fewer places than an analyst (said whether or not any is
#: left out, so that it tells nothing about a place).
UNLISTED_NOTE: Final = "A place whose A&E count is withheld is not listed, even when it stands out."
#: Human headers of the view's tables (their column names are too general for the one
#: mapping of :mod:`geo.core.headers`: "expected" or "p" mean other things elsewhere).
HEALTH_HEADERS: Final[dict[str, str]] = {
    "ed": "A&E assaults",
    "police": "Police-recorded violence",
    "expected": "A&E assaults expected",
    "ratio": "Times expected",
    "evidence": "Strength of evidence",
    "excess": "A&E assaults above expected",
    "odds_ratio": "A&E-to-police odds, times the area's",
    "p": "p-value",
    "q": "q-value (false discovery rate)",
}
_PLACE_COLUMNS: Final = ("rank", "place", "ed", "police", "expected", "ratio", "evidence")
_ANALYST_COLUMNS: Final = ("excess", "odds_ratio", "p", "q")


@dataclass(frozen=True)
class HealthPoliceView:
    """What the Health and police page shows one role.

    Attributes
    ----------
    filters : Filters
        The period.
    res : int
        The resolution.
    role : str
        The viewing role.
    loaded : bool
        The A&E feed holds assaults in the period (else nothing else is filled).
    police_label : str or None
        The police feed compared, in words (None: no police-recorded violence in the
        period, so no comparison).
    places : DataFrame
        The findings by rank: ``rank``, ``place``, ``ed`` (A&E assaults), ``police``
        (police-recorded violence), ``expected``, ``ratio`` (times expected),
        ``evidence`` (in words) and ``cell``; analysts also get ``excess``,
        ``odds_ratio``, ``p`` and ``q``. Withheld figures are NaN.
    tested : DataFrame
        Analysts only: every place tested, in the same columns (empty for the
        partnership).
    means, times : DataFrame
        Each finding's mix of means of assault and time of week: ``place``, one column
        of shares (0 to 1, NaN when withheld) per category label (for the partnership,
        :data:`COMBINED_LABEL` too) and ``cell``.
    breakdown : DisclosedBreakdown or None
        The A&E feed's assaults in the period: placed (by method), at a private home,
        not placed (by reason), as the role may see them.
    model : str
        The model in plain English.
    coverage : str
        The feed's coverage: how many assaults, placed how, at home, not placed.
    notes : tuple of str
        What the comparison leaves out and how figures are protected.
    """

    filters: Filters
    res: int
    role: str
    loaded: bool
    police_label: str | None
    places: pd.DataFrame
    tested: pd.DataFrame
    means: pd.DataFrame
    times: pd.DataFrame
    breakdown: DisclosedBreakdown | None
    model: str
    coverage: str
    notes: tuple[str, ...]


def _count_text(value: float | None) -> str:
    return "withheld" if value is None or not np.isfinite(value) else f"{value:,.0f}"


def _share_text(value: float, total: float | None) -> str:
    if total is None or not np.isfinite(value) or total <= 0:
        return "withheld"
    return f"{value / total:.0%}"


def coverage_sentence(breakdown: DisclosedBreakdown) -> str:
    """The feed's coverage from a breakdown as the role may see it: "N A&E assaults; X %
    placed (postcode Y %, place name Z %); H at a private home (counted, never mapped);
    U not placed (reason n, ...)." Shares are of the total; withheld figures say so."""
    total = breakdown.total
    parts = breakdown.parts.set_index("label")["value"]
    placed = float(parts.get(PLACED_PART, np.nan))
    methods = breakdown.children.loc[breakdown.children["parent"] == PLACED_PART]
    methods = methods.assign(
        order=[list(LOCATE_METHOD_WORDS).index(m) if m in LOCATE_METHOD_WORDS else 99
               for m in methods["label"]]
    ).sort_values(["order", "label"], kind="stable")  # fmt: skip
    by_method = ", ".join(
        f"{LOCATE_METHOD_WORDS.get(str(m), str(m))} {_share_text(float(v), total)}"
        for m, v in zip(methods["label"], methods["value"], strict=True)
    )
    reasons = parts.drop([PLACED_PART, HOME_PART], errors="ignore")
    why = ", ".join(f"{r} {_count_text(float(v))}" for r, v in reasons.items())
    if reasons.empty:
        unplaced = "none left unplaced"
    elif reasons.notna().all():
        unplaced = f"{_count_text(float(reasons.sum()))} not placed ({why})"
    else:  # their sum would be a figure of its own
        unplaced = f"not placed: {why}"
    return (
        f"{_count_text(total)} A&E assaults; {_share_text(placed, total)} placed"
        + (f" ({by_method})" if by_method else "")
        + f"; {_count_text(float(parts.get(HOME_PART, np.nan)))} at a private home (counted, "
        f"never mapped); {unplaced}."
    )


def _breakdown(result: KnownToHealth, role: str, config: Config) -> DisclosedBreakdown:
    feed = result.feed
    parts = pd.concat(
        [
            pd.DataFrame(
                {
                    "label": [PLACED_PART, HOME_PART],
                    "count": [feed.placed, feed.private_home],
                    "key_sum": [int(feed.methods["key_sum"].sum()), feed.private_home_key],
                }
            ),
            feed.unplaced.rename(columns={"reason": "label"}),
        ],
        ignore_index=True,
    )
    children = feed.methods.rename(columns={"method": "label"}).assign(parent=PLACED_PART)
    return disclose_breakdown((feed.total, feed.total_key), parts, children, role, config)


def _wide(mix: pd.DataFrame, by: str, labels: dict[str, str], names: pd.Series) -> pd.DataFrame:
    """A long mix as one row per place and one column of shares per category label, the
    categories with the largest shares (as shown) first, so that what a place is known for
    reads without scrolling; withheld categories together last."""
    if mix.empty:
        return pd.DataFrame({"place": [], "cell": []})
    words = {**labels, COMBINED: COMBINED_LABEL}
    wide = mix.pivot_table(index="cell", columns=by, values="share", sort=False, dropna=False)
    order = [c for c in words if c in wide.columns and c != COMBINED]
    order.sort(key=lambda c: -float(np.nansum(wide[c].to_numpy(dtype=float))))  # stable
    order += [COMBINED] if COMBINED in wide.columns else []
    wide = wide[order].rename(columns=words)
    if COMBINED_LABEL in wide.columns and wide[COMBINED_LABEL].isna().all():
        wide = wide.drop(columns=COMBINED_LABEL)
    wide = wide.reindex(names.index)
    wide.insert(0, "place", names.to_numpy())
    wide.columns.name = None
    return wide.reset_index()[["place", *[c for c in wide.columns if c != "place"], "cell"]]


def health_police_view(
    store: Store, area: StudyArea, res: int, filters: Filters, role: str, config: Config
) -> HealthPoliceView:
    """The Health and police page for ``role``.

    Parameters
    ----------
    store : Store
        The exact store (the role's store is taken from it).
    area : StudyArea
        The study area.
    res : int
        Analysis resolution (one the role may see).
    filters : Filters
        The period (a whole quarter for the partnership).
    role : str
        The viewing role.
    config : Config
        The disclosure policy.

    Returns
    -------
    HealthPoliceView

    Raises
    ------
    DisclosureError
        When ``res`` is finer than the role may see.
    """
    check_resolution(role, res, config)
    own = store_for(store, role, config)
    result = known_to_health(own, area, res, filters)
    exact = as_role(role).sees_exact_counts
    empty = pd.DataFrame()
    if not result.loaded:
        return HealthPoliceView(
            filters, res, role, False, None, empty, empty, empty, empty, None, "", "", ()
        )
    breakdown = _breakdown(result, role, config)
    coverage = coverage_sentence(breakdown)
    notes = [
        "Times are the assault's where the A&E recorded it, else the arrival at A&E"
        + (f" ({result.feed.arrival_times:,} assaults)." if exact else ".")
    ]
    if not exact:
        notes.append(publication_note(config) + " " + UNLISTED_NOTE)
    police, test = result.police, result.test
    if police is None or test is None:
        return HealthPoliceView(
            filters, res, role, True, None, empty, empty, empty, empty, breakdown, "",
            coverage, tuple(notes),
        )  # fmt: skip
    if police.ed_ages is not None:
        left = f" ({result.ages_left_out:,} placed assaults)" if exact else ""
        notes.insert(
            0,
            "A&E assaults of patients aged 25 or over, or with no age recorded, are not "
            f"compared{left}: the police feed ({police.label}) covers victims under 25.",
        )
    share = published_share(test.p0, role)
    places = result.places.assign(evidence=evidence_band(result.places["q"], test.alpha))
    if not exact:
        places = _published_counts(own, result, places, role, config)
        places["expected"], places["ratio"] = published_expected(
            places["ed"], places["police"], share
        )
    places["expected"] = places["expected"].astype(float).round(1)
    places["ratio"] = places["ratio"].astype(float).round(1)
    if exact:
        places["excess"] = places["excess"].astype(float).round(1)
        odds = places["odds_ratio"].astype(float).round(1)
        # where the police recorded nothing the odds ratio is infinite: say so in words
        places["odds_ratio"] = odds.astype(object).where(np.isfinite(odds), NO_POLICE_RECORD)
    listed = places["finding"].astype(bool)
    if not exact:
        # a finding holds more than min_count A&E assaults: listing one whose count is
        # withheld would tell that a withheld cell is large, a bound the secondary
        # suppression of the map's cells does not allow for
        listed &= np.isfinite(places["ed"].to_numpy(dtype=float))
    found = places.loc[listed].copy()
    found["rank"] = np.arange(1, len(found) + 1)
    columns = [*_PLACE_COLUMNS, *(_ANALYST_COLUMNS if exact else ()), "cell"]
    names = found.set_index("cell")["place"]
    exact_ed = result.places.set_index("cell")["ed"]
    shown_ed = found.set_index("cell")["ed"]
    means = disclose_mix(result.means, "means", exact_ed, shown_ed, role, config)
    times = disclose_mix(result.times, "block", exact_ed, shown_ed, role, config)
    return HealthPoliceView(
        filters=filters,
        res=res,
        role=role,
        loaded=True,
        police_label=police.label,
        places=found[columns].reset_index(drop=True),
        tested=places[columns].reset_index(drop=True) if exact else empty,
        means=_wide(means, "means", schema.ASSAULT_MEANS_LABELS, names),
        times=_wide(times, "block", time_group_labels(result.blocks), names),
        breakdown=breakdown,
        model=model_sentence(result, share),
        coverage=coverage,
        notes=tuple(notes),
    )


def _published_counts(
    store: Store, result: KnownToHealth, places: pd.DataFrame, role: str, config: Config
) -> pd.DataFrame:
    """``places`` with ``ed`` and ``police`` as the role may see them: controlled jointly
    over every resolution it may choose and each layer's total, then perturbed."""
    police = result.police
    assert police is not None  # the caller checked
    resolutions = sorted(set(allowed_resolutions(role, config)) | {result.res})
    ed: dict[int, pd.DataFrame] = {}
    crimes: dict[int, pd.DataFrame] = {}
    for r in resolutions:  # a handful of resolutions
        ed[r], crimes[r] = cell_counts(store, r, result.filters, police)
    ed_total, police_total = compared_totals(store, result.filters, police)
    shown_ed, shown_police = disclose_place_counts(
        ed, ed_total, crimes, police_total, Role(role), config
    )
    out = places.copy()
    for column, levels in (("ed", shown_ed), ("police", shown_police)):
        level = levels.levels[result.res]
        by_cell = pd.Series(
            level["value"].to_numpy(dtype=float),
            index=hexes.cells_to_str(level["cell"].to_numpy(dtype=np.uint64)),
        )
        # a place with no record of this kind has none to withhold: zero stays zero
        has = out["cell"].isin(by_cell.index).to_numpy()
        out[column] = np.where(has, by_cell.reindex(out["cell"]).to_numpy(), 0.0)
    return out
