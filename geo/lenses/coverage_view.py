"""What the Youth work page shows, per role: gaps, plans, tables, chart data and words.

Pure glue between the analysis (:mod:`geo.lenses.coverage`, :mod:`geo.lenses.coverage_gaps`,
:mod:`geo.lenses.youth_work_plan`) and the page: the health-site lookup, the gaps and
plan as a role may see them (the withholding itself is :mod:`geo.disclosure.coverage`),
and the tables, chart data and sentences of a plan. Map layers are
:mod:`geo.render.coverage_layers`, the CSV download :mod:`geo.render.coverage_export`.
The page calls these only through ``ui/cache.py``.

Partnership rules (DESIGN §4): resolution 8 or coarser (:func:`check_resolution`);
gap reasons built with ``exact_counts=False`` and counts of 1 to ``min_count - 1``
withheld (:func:`geo.disclosure.coverage.disclose_gaps`); the partnership's analysis runs
on the publishable dataset, so no gap is dropped (a hole would point at a premise); no
weighted need or need covered (sums of counts), only shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.area import cells_to_bng
from geo.core.config import Config
from geo.core.escape import escape_markdown
from geo.core.roles import Role
from geo.core.schema import HEALTH_SITE_LABELS
from geo.core.time_of_week import DEFAULT_BLOCKS, TimeBlock
from geo.disclosure import check_resolution
from geo.disclosure.coverage import disclose_plan_frame, gaps_for_role
from geo.lenses import coverage as cv
from geo.lenses.coverage_gaps import nearest_sites
from geo.lenses.schools import pairs_within
from geo.lenses.youth_work_plan import (
    CoverProblem,
    Plan,
    coverage_problem,
    greedy_ratio,
    plan_frame,
    plan_summary,
)
from geo.store.database import Store

#: Below this many non-zeros the exact MILP is solved with the greedy plan (well under a
#: second on the demo at res 9); above it the page waits for a button.
AUTO_EXACT_NNZ: Final = 20_000
#: Teams the planner plans for unless told otherwise (the page's default and the pack's plan).
DEFAULT_TEAMS: Final = 3

_SITE_COLUMNS: Final = ["source", "site_id", "name", "kind", "cell"]
_ANALYST_GAP_COLUMNS: Final = [
    "rank", "cell", "block_label", "need", "unmet", "incidents", "syv", "hsb", "missing",
    "hours_per_week", "sessions", "coverage", "why", "reason",
]  # fmt: skip
_PARTNERSHIP_GAP_COLUMNS: Final = [
    "rank", "cell", "block_label", "incidents", "missing", "hours_per_week", "why", "reason",
]  # fmt: skip
_SITE_SHOWN: Final = {
    "site_kind": "nearest_health_site",
    "site_name": "site_name",
    "site_distance_m": "site_distance_m",
}


# =========================================================================== sites
def health_sites(store: Store) -> pd.DataFrame:
    """Stored health sites: ``source``, ``site_id``, ``name`` (partner text, escape it
    wherever shown as HTML or Markdown), ``kind`` and ``cell`` (H3 string at the storage
    resolution)."""
    frame = store.query(
        "SELECT source, site_id, name, kind, cell FROM health_sites WHERE cell IS NOT NULL "
        "ORDER BY source, site_id"
    )
    if frame.empty:
        return pd.DataFrame(columns=_SITE_COLUMNS)
    frame["cell"] = hexes.cells_to_str(frame["cell"].to_numpy(dtype=np.uint64))
    return frame[_SITE_COLUMNS]


def with_nearest_site(gaps: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """:func:`geo.lenses.coverage_gaps.nearest_sites`, or empty site columns when there are none."""
    if sites.empty or gaps.empty:
        out = gaps.copy()
        out["site_distance_m"] = np.nan
        out["site_kind"] = ""
        out["site_name"] = ""
        return out
    return nearest_sites(gaps, sites)


# =========================================================================== gaps
def settings_for(role: str, config: Config, **values: Any) -> cv.CoverageSettings:
    """Coverage settings for ``role``: exact counts in reasons for analysts only."""
    return cv.CoverageSettings(
        exact_counts=role != Role.PARTNERSHIP, min_count=config.disclosure.min_count, **values
    )


def role_gaps(
    gaps: pd.DataFrame, sites: pd.DataFrame, role: str, res: int, config: Config
) -> pd.DataFrame:
    """The ranked gaps as ``role`` may see them, with the nearest health site.

    Raises :class:`geo.disclosure.DisclosureError` when ``res`` is finer than the role
    may see.
    """
    out = gaps_for_role(gaps, role, res=res, config=config)
    return with_nearest_site(out, sites)


def gap_table(gaps: pd.DataFrame, role: str) -> pd.DataFrame:
    """The gap table as displayed (and downloaded): fixed columns per role, the nearest
    site's kind in words, figures rounded."""
    columns = _PARTNERSHIP_GAP_COLUMNS if role == Role.PARTNERSHIP else _ANALYST_GAP_COLUMNS
    out = gaps[[c for c in columns if c in gaps.columns]].copy()
    for col in ("need", "unmet"):
        if col in out:
            out[col] = out[col].round(1)
    out["hours_per_week"] = out["hours_per_week"].round(2)
    if "coverage" in out:
        out["coverage"] = out["coverage"].round(2)
    out = out.rename(columns={"block_label": "time_block"})
    for src, dst in _SITE_SHOWN.items():
        if src in gaps.columns:
            out[dst] = gaps[src].to_numpy()
    if "nearest_health_site" in out:
        out["nearest_health_site"] = out["nearest_health_site"].map(HEALTH_SITE_LABELS).fillna("")
    return out


def gaps_in_blocks(gaps: pd.DataFrame, allowed: Sequence[str]) -> pd.DataFrame:
    """The gaps in the chosen time blocks (ranks kept)."""
    return gaps.loc[gaps["block"].isin(list(allowed))].reset_index(drop=True)


def fixed_site_options(gaps: pd.DataFrame, *, top: int = 50) -> list[str]:
    """``"cell|block"`` choices for sites already covered: the top gaps' (cell, block)."""
    head = gaps.head(top)
    return [f"{c}|{b}" for c, b in zip(head["cell"], head["block"], strict=True)]


def fixed_site_labels(
    gaps: pd.DataFrame,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
    top: int = 50,
    places: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """:func:`fixed_site_options` with their labels ("#1 On or near Market Place · Weekend
    evenings (Fri-Sun 19:00-23:00)"; the cell id where ``places`` has no name for it)."""
    names = {b.name: b.label for b in blocks}
    head = gaps.head(top)
    places = places or {}
    return {
        f"{c}|{b}": f"#{int(r)} {places.get(str(c), str(c))} · {names.get(str(b), str(b))}"
        for c, b, r in zip(head["cell"], head["block"], head["rank"], strict=True)
    }


def parse_fixed(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``("cell|block", ...)`` to sorted ``((cell, block), ...)`` (a cache key)."""
    pairs = {tuple(v.split("|", 1)) for v in values if "|" in v}
    return tuple(sorted((str(c), str(b)) for c, b in pairs))


# =========================================================================== planner
def plan_problem(
    analysis: cv.CoverageAnalysis,
    role: str,
    config: Config,
    allowed: Sequence[str],
    fixed: Sequence[tuple[str, str]] = (),
) -> CoverProblem:
    """The deployment problem for ``role`` (the partnership's analysis is computed from
    the publishable dataset, so every cell may be covered or recommended)."""
    s = analysis.settings
    check_resolution(role, s.res, config)
    return coverage_problem(analysis.table, s.reach_m, list(allowed), None, fixed, s.blocks)


def plan_table(plan: Plan, role: str) -> pd.DataFrame:
    """The plan as displayed and exported: shares only for the partnership."""
    return disclose_plan_frame(plan_frame(plan), role)


def gain_chart(plan: Plan) -> pd.DataFrame:
    """Marginal-gain chart data: per team (in plan order), the share of the unmet need
    that team covers and the running total (percent), indexed by ``step``."""
    steps = plan.steps
    total = plan.unmet_total if plan.unmet_total > 0 else 1.0
    return pd.DataFrame(
        {
            "This team adds (%)": (steps["gain"] / total * 100).round(1).to_numpy(),
            "All teams so far (%)": (steps["share_unmet"] * 100).round(1).to_numpy(),
        },
        index=pd.Index(steps["step"].to_numpy(), name="step"),
    )


def comparison(greedy: Plan, exact: Plan | None, role: str) -> str:
    """One sentence comparing the greedy plan with the exact optimum."""
    head = f"The greedy plan covers {greedy.share:.0%} of the unmet need"
    if role != Role.PARTNERSHIP:
        head += f" ({greedy.covered:,.1f} of {greedy.unmet_total:,.1f})"
    if exact is None:
        return head + "."
    ratio = greedy_ratio(greedy, exact)
    if exact.status == "too_large" or ratio is None:
        return f"{head}; the exact solver was not run ({exact.status}: {exact.message})."
    proven = "optimum" if exact.status == "optimal" else "best plan found in the time limit"
    return (
        f"{head}; the exact {proven} (MILP, {exact.seconds:.1f} s) covers {exact.share:.0%}, "
        f"so the greedy plan reaches {ratio:.1%} of it."
    )


def summary(
    plan: Plan,
    gaps: pd.DataFrame,
    exact: Plan | None,
    role: str,
    period: str,
) -> str:
    """The printable Markdown summary for ``role`` (gap reasons are fixed wording)."""
    return plan_summary(
        plan,
        gaps,
        exact,
        period=period,
        show_need=role != Role.PARTNERSHIP,
    )


# =========================================================================== in planners' words
#: Human headers of the gap table (the page shows and exports these).
GAP_HEADERS: Final[dict[str, str]] = {
    "rank": "Rank",
    "time_block": "When",
    "need": "Need (weighted)",
    "unmet": "Unmet need (weighted)",
    "incidents": "Incidents",
    "syv": "Serious youth violence",
    "hsb": "Harmful sexual behaviour",
    "missing": "Missing children found here",
    "hours_per_week": "Youth work in reach (hours a week)",
    "sessions": "Youth-work sessions in reach",
    "coverage": "Covered by youth work",
    "why": "Why it is listed",
    "reason": "In words",
    "nearest_health_site": "Nearest health site",
    "site_name": "Health site",
    "site_distance_m": "Distance to the health site",
}


def percent_words(share: float) -> str:
    """A share in words as a percentage: ``0.412`` -> ``"41 %"`` (``"less than 1 %"``
    for a small positive share, never ``0.41``)."""
    if not np.isfinite(share) or share <= 0:
        return "0 %"
    if share < 0.005:
        return "less than 1 %"
    return f"{share * 100:.0f} %"


def gap_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`gap_table` (optionally with ``Place`` and ``Cell id``) with human headers:
    shares as percentages, hours and distances in words; withheld counts stay blank
    (the page writes "withheld" in them for the partnership)."""
    out = table.copy()
    if "hours_per_week" in out:
        out["hours_per_week"] = [f"{h:.1f}" for h in out["hours_per_week"].astype(float)]
    if "coverage" in out:
        out["coverage"] = [percent_words(float(c)) for c in out["coverage"].astype(float)]
    if "site_distance_m" in out:
        out["site_distance_m"] = [
            f"{d / 1000:.1f} km" if np.isfinite(d) else ""
            for d in pd.to_numeric(out["site_distance_m"], errors="coerce").astype(float)
        ]
    return out.rename(columns=GAP_HEADERS)


def _gaps_reached(plan: Plan, gaps: pd.DataFrame | None) -> list[list[int]]:
    """Per plan step, the ranks of the listed gaps in its time block whose centres lie
    within the plan's reach (as the planner counts reach), best first."""
    steps = plan.steps
    if gaps is None or gaps.empty or steps.empty:
        return [[] for _ in range(len(steps))]
    sx, sy = cells_to_bng(hexes.str_to_cells(steps["cell"].astype(str)))
    gx, gy = cells_to_bng(hexes.str_to_cells(gaps["cell"].astype(str)))
    s_idx, g_idx, _ = pairs_within(sx, sy, gx, gy, plan.reach_m)
    same = steps["block"].to_numpy(dtype=str)[s_idx] == gaps["block"].to_numpy(dtype=str)[g_idx]
    ranks = gaps["rank"].to_numpy(dtype=np.int64)
    out: list[list[int]] = [[] for _ in range(len(steps))]
    for s, g in zip(s_idx[same], g_idx[same], strict=True):
        out[int(s)].append(int(ranks[g]))
    return [sorted(set(r)) for r in out]


def _ranks_text(ranks: Sequence[int]) -> str:
    shown = [f"#{r}" for r in ranks[:3]]
    more = len(ranks) - len(shown)
    if more:
        return f"{', '.join(shown)} and {more} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def plan_places(
    plan: Plan,
    role: str,
    names: Mapping[str, str],
    gaps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The plan as planners read it, one row per team in plan order: ``#``, ``Place``,
    ``When``, ``What it covers`` (words), ``Adds`` and ``Running total`` (percentages of
    the harm no youth work reaches now), for analysts ``Need covered (weighted)``, and
    ``Cell id``. ``gaps`` (the disclosed gaps the page lists) name the gaps each team
    reaches."""
    steps = plan.steps
    total = plan.unmet_total if plan.unmet_total > 0 else 1.0
    reached = _gaps_reached(plan, gaps)
    covers = []
    for r, ranks in zip(steps.to_dict("records"), reached, strict=True):
        n = int(r["cells_reached"])
        text = (
            f"About {percent_words(float(r['gain']) / total)} of the harm no youth work reaches "
            f"now, in {n} {'hexagon' if n == 1 else 'hexagons'} within {plan.reach_m:g} m"
        )
        if ranks:
            text += f"; reaches {'gap' if len(ranks) == 1 else 'gaps'} {_ranks_text(ranks)}"
        covers.append(text)
    out = pd.DataFrame(
        {
            "#": [f"#{int(s)}" for s in steps["step"]],
            "Place": [names.get(str(c), str(c)) for c in steps["cell"]],
            "When": steps["block_label"].astype(str).to_numpy(),
            "Adds": [percent_words(float(g) / total) for g in steps["gain"]],
            "Running total": [percent_words(float(s)) for s in steps["share_unmet"]],
            "What it covers": covers,
        }
    )
    if role != Role.PARTNERSHIP:
        out["Need covered (weighted)"] = steps["gain"].astype(float).round(1).to_numpy()
    out["Cell id"] = steps["cell"].astype(str).to_numpy()
    return out


def plan_sentence(plan: Plan, fixed: int = 0) -> str:
    """The share of the unmet need the plan covers, in words ("These 3 weekly sessions
    would reach about 41 % of the harm that happens where and when no youth work is
    out."), with what youth work reaches now and would reach with the plan."""
    n = len(plan.steps)
    if plan.unmet_total <= 0 or n == 0:
        return (
            "Youth work already reaches all the harm recorded in the chosen times, so there "
            "is nothing left for more teams to cover."
        )
    sessions = "This weekly session" if n == 1 else f"These {n} weekly sessions"
    text = (
        f"{sessions} would reach about {percent_words(plan.share)} of the harm that happens where "
        "and when no youth work is out."
    )
    if n < plan.k:
        text = (
            f"Only {n} of the {plan.k} teams would add anything (nothing else is left to "
            f"cover in the chosen times). {text}"
        )
    if plan.need_total > 0:
        now = 1.0 - plan.unmet_total / plan.need_total
        after = now + plan.covered / plan.need_total
        already = (
            "Youth work today and the places already covered reach"
            if fixed
            else "Youth work today reaches"
        )
        text += (
            f" {already} about {percent_words(now)} of all the harm in these times; with "
            f"these teams it would be about {percent_words(after)}."
        )
    return text


def plan_numbers(plan: Plan) -> dict[str, str]:
    """Each recommended cell's team numbers in plan order (``"1"``, or ``"1, 4"`` when
    two teams work the same place at different times)."""
    out: dict[str, list[str]] = {}
    for cell, step in zip(plan.steps["cell"], plan.steps["step"], strict=True):
        out.setdefault(str(cell), []).append(str(int(step)))
    return {c: ", ".join(v) for c, v in out.items()}


def how_the_plan_is_made(reach_m: float) -> str:
    """What "How this is worked out" says about the planner (the only place the method's
    names appear)."""
    return (
        f"Each possible team is a place (a hexagon) and a time block; it reaches the harm "
        f"no youth work reaches now within {reach_m:g} m at that time. The plan is built "
        "greedily (weighted maximum coverage): each team goes where it adds the most, given "
        "the teams before it. A greedy plan is guaranteed at least 63 % (1 − 1/e) of the "
        "best possible and is usually much closer; the exact optimum, a mixed-integer "
        "programme (MILP) solved with scipy's HiGHS, can be checked below."
    )


def plan_list(places: pd.DataFrame) -> str:
    """:func:`plan_places` as a numbered Markdown list (place names escaped): "1. **On or
    near Market Place** · Weekend evenings (Fri-Sun 19:00-23:00) · adds about 7 %"."""
    return "\n".join(
        f"{i}. **{escape_markdown(place)}**  \n{escape_markdown(when)} · adds about "
        f"{escape_markdown(adds)}"
        for i, (place, when, adds) in enumerate(
            zip(places["Place"], places["When"], places["Adds"], strict=True), start=1
        )
    )
