"""What the Youth work page shows, per role: gaps, map layers, plans and exports.

Pure glue between :mod:`geo.lenses.coverage` (the analysis) and the page: disclosure control
for the partnership role, the health-site lookup, map layers built with
:mod:`geo.render.maps`, and the tables, chart data and downloads of a plan. The page calls
these only through ``ui/cache.py``.

Partnership rules (DESIGN §4): resolution 8 or coarser (:func:`check_resolution`);
gap reasons built with ``exact_counts=False`` and counts of 1 to ``min_count - 1``
withheld (:func:`geo.lenses.coverage.disclose_gaps`); gaps in a sensitive-premises cell left
out and the rest re-ranked (a missing rank would point at the premise); no weighted
need or need covered (sums of counts), only shares; planner deployments and items
never in a sensitive-premises cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.config import Config
from geo.core.escape import escape_markdown
from geo.core.roles import Role
from geo.core.schema import HEALTH_SITE_LABELS
from geo.disclosure import check_resolution
from geo.lenses import coverage as cv
from geo.lenses.schools import cells_bng, pairs_within
from geo.render.export import to_csv_bytes
from geo.render.hexlayer import HexLayer, category_layer, outline_layer
from geo.store.database import Store

#: Gap classes on the map, by the best rank of a cell's gaps.
GAP_COLOURS: Final[dict[int, str]] = {1: "#bd0026", 2: "#f03b20", 3: "#fecc5c"}
GAP_LABELS: Final[dict[int, str]] = {
    1: "Largest gaps (top 5)",
    2: "Gaps ranked 6 to 20",
    3: "Other gaps",
}
SITE_COLOURS: Final[dict[int, str]] = {1: "#2166ac", 2: "#4393c3", 3: "#762a83", 4: "#999999"}
_SITE_CLASS: Final[dict[str, int]] = {
    "emergency_department": 1,
    "gp_surgery": 2,
    "sexual_health_clinic": 3,
    "other": 4,
}
SITE_LABELS: Final[dict[int, str]] = {v: HEALTH_SITE_LABELS[k] for k, v in _SITE_CLASS.items()}
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
#: Plan columns that are sums of weighted counts (analysts only).
_NEED_COLUMNS: Final = ("gain", "cumulative")


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
    """:func:`geo.lenses.coverage.nearest_sites`, or empty site columns when there are none."""
    if sites.empty or gaps.empty:
        out = gaps.copy()
        out["site_distance_m"] = np.nan
        out["site_kind"] = ""
        out["site_name"] = ""
        return out
    return cv.nearest_sites(gaps, sites)


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
    check_resolution(role, res, config)
    if role == Role.PARTNERSHIP:
        # the parts of ``incidents`` are never shown to the partnership, so the total
        # needs no secondary suppression (and stays consistent with the reasons)
        gaps = gaps.drop(columns=["syv", "hsb"])
    out = cv.disclose_gaps(gaps, role, config.disclosure.min_count)
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


def fixed_site_options(gaps: pd.DataFrame, top: int = 50) -> list[str]:
    """``"cell|block"`` choices for sites already covered: the top gaps' (cell, block)."""
    head = gaps.head(top)
    return [f"{c}|{b}" for c, b in zip(head["cell"], head["block"], strict=True)]


def fixed_site_labels(
    gaps: pd.DataFrame,
    blocks: Sequence[cv.TimeBlock] = cv.DEFAULT_BLOCKS,
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


# =========================================================================== map
def gap_layer(gaps: pd.DataFrame, blocks: Sequence[cv.TimeBlock] = cv.DEFAULT_BLOCKS) -> HexLayer:
    """One hexagon per gap cell, coloured by its best rank; the label lists its gaps
    (reasons are fixed wording and numbers; site names are escaped by geo.render.maps)."""
    if gaps.empty:
        return category_layer("Youth-work gaps", [], [], GAP_COLOURS, GAP_LABELS, [])
    labels_by_block = {b.name: b.label for b in blocks}
    ordered = gaps.sort_values("rank", kind="stable")
    cells, first = np.unique(ordered["cell"].to_numpy(dtype=str), return_index=True)
    best = ordered["rank"].to_numpy()[first]
    classes = np.select([best <= 5, best <= 20], [1, 2], 3).astype(np.int64)
    text = []
    for cell in cells:
        rows = ordered.loc[ordered["cell"] == cell].head(3)
        parts = [
            f"#{int(r['rank'])} {labels_by_block.get(str(r['block']), str(r['block']))}: "
            f"{r['reason']}"
            for r in rows.to_dict("records")
        ]
        site = rows.iloc[0]
        if site.get("site_name") and np.isfinite(site.get("site_distance_m", np.nan)):
            kind = HEALTH_SITE_LABELS.get(str(site["site_kind"]), "Health site")
            parts.append(
                f"Nearest health site: {kind}, {site['site_name']}, "
                f"{float(site['site_distance_m']) / 1000:.1f} km"
            )
        text.append(" | ".join(parts))
    return category_layer(
        "Youth-work gaps",
        hexes.str_to_cells(pd.Series(cells, dtype=object)),
        classes,
        GAP_COLOURS,
        GAP_LABELS,
        text,
    )


def coverage_layer(
    hours: pd.DataFrame, weeks: float, allowed: Sequence[str], reach_m: float
) -> HexLayer:
    """Outline of the cells with youth-work hours in reach in the allowed blocks."""
    rows = hours.loc[hours["block"].isin(list(allowed)) & hours["hours"].gt(0)]
    per_cell = rows.groupby("cell", sort=True)["hours"].sum()
    labels = [
        f"Youth work within {reach_m:g} m: {h / weeks:.1f} h a week in the chosen blocks"
        for h in per_cell.to_numpy()
    ]
    cells = hexes.str_to_cells(pd.Series(per_cell.index.to_numpy(), dtype=object))
    return outline_layer("Youth-work coverage", cells, labels, "#1b9e77")


def sites_layer(sites: pd.DataFrame, res: int) -> HexLayer:
    """Health sites as the hexagons at ``res`` that hold them (names escaped by geo.render.maps)."""
    if sites.empty:
        return category_layer("Health sites", [], [], SITE_COLOURS, SITE_LABELS, [])
    cells = hexes.cells_to_parent(hexes.str_to_cells(sites["cell"]), res)
    classes = sites["kind"].map(_SITE_CLASS).fillna(4).to_numpy(dtype=np.int64)
    labels = [
        f"{HEALTH_SITE_LABELS.get(str(k), 'Health site')}: {n}"
        for k, n in zip(sites["kind"], sites["name"], strict=True)
    ]
    return category_layer("Health sites", cells, classes, SITE_COLOURS, SITE_LABELS, labels)


# =========================================================================== planner
def plan_problem(
    analysis: cv.CoverageAnalysis,
    role: str,
    config: Config,
    allowed: Sequence[str],
    fixed: Sequence[tuple[str, str]] = (),
) -> cv.CoverProblem:
    """The deployment problem for ``role`` (the partnership's analysis is computed from
    the publishable dataset, so every cell may be covered or recommended)."""
    s = analysis.settings
    check_resolution(role, s.res, config)
    return cv.coverage_problem(analysis.table, s.reach_m, list(allowed), None, fixed, s.blocks)


def plan_table(plan: cv.Plan, role: str) -> pd.DataFrame:
    """The plan as displayed and exported: shares only for the partnership."""
    frame = cv.plan_frame(plan)
    if role == Role.PARTNERSHIP:
        frame = frame.drop(columns=[c for c in _NEED_COLUMNS if c in frame.columns])
    return frame


def plan_csv(plan: cv.Plan, role: str) -> bytes:
    """:func:`plan_table` as CSV (BOM, formulas neutralised)."""
    return to_csv_bytes(plan_table(plan, role))


def gain_chart(plan: cv.Plan) -> pd.DataFrame:
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


def comparison(greedy: cv.Plan, exact: cv.Plan | None, role: str) -> str:
    """One sentence comparing the greedy plan with the exact optimum."""
    head = f"The greedy plan covers {greedy.share:.0%} of the unmet need"
    if role != Role.PARTNERSHIP:
        head += f" ({greedy.covered:,.1f} of {greedy.unmet_total:,.1f})"
    if exact is None:
        return head + "."
    ratio = cv.greedy_ratio(greedy, exact)
    if exact.status == "too_large" or ratio is None:
        return f"{head}; the exact solver was not run ({exact.status}: {exact.message})."
    proven = "optimum" if exact.status == "optimal" else "best plan found in the time limit"
    return (
        f"{head}; the exact {proven} (MILP, {exact.seconds:.1f} s) covers {exact.share:.0%}, "
        f"so the greedy plan reaches {ratio:.1%} of it."
    )


def summary(
    plan: cv.Plan,
    gaps: pd.DataFrame,
    exact: cv.Plan | None,
    role: str,
    period: str,
) -> str:
    """The printable Markdown summary for ``role`` (gap reasons are fixed wording)."""
    return cv.plan_summary(
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
#: Colour of the recommended places on the maps.
PLAN_COLOUR: Final = "#08519c"
PLAN_LAYER: Final = "Recommended places"


def percent(share: float) -> str:
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
        out["coverage"] = [percent(float(c)) for c in out["coverage"].astype(float)]
    if "site_distance_m" in out:
        out["site_distance_m"] = [
            f"{d / 1000:.1f} km" if np.isfinite(d) else ""
            for d in pd.to_numeric(out["site_distance_m"], errors="coerce").astype(float)
        ]
    return out.rename(columns=GAP_HEADERS)


def _gaps_reached(plan: cv.Plan, gaps: pd.DataFrame | None) -> list[list[int]]:
    """Per plan step, the ranks of the listed gaps in its time block whose centres lie
    within the plan's reach (as the planner counts reach), best first."""
    steps = plan.steps
    if gaps is None or gaps.empty or steps.empty:
        return [[] for _ in range(len(steps))]
    sx, sy = cells_bng(hexes.str_to_cells(steps["cell"].astype(str)))
    gx, gy = cells_bng(hexes.str_to_cells(gaps["cell"].astype(str)))
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
    plan: cv.Plan,
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
            f"About {percent(float(r['gain']) / total)} of the harm no youth work reaches "
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
            "Adds": [percent(float(g) / total) for g in steps["gain"]],
            "Running total": [percent(float(s)) for s in steps["share_unmet"]],
            "What it covers": covers,
        }
    )
    if role != Role.PARTNERSHIP:
        out["Need covered (weighted)"] = steps["gain"].astype(float).round(1).to_numpy()
    out["Cell id"] = steps["cell"].astype(str).to_numpy()
    return out


def plan_sentence(plan: cv.Plan, fixed: int = 0) -> str:
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
        f"{sessions} would reach about {percent(plan.share)} of the harm that happens where "
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
            f" {already} about {percent(now)} of all the harm in these times; with "
            f"these teams it would be about {percent(after)}."
        )
    return text


def plan_numbers(plan: cv.Plan) -> dict[str, str]:
    """Each recommended cell's team numbers in plan order (``"1"``, or ``"1, 4"`` when
    two teams work the same place at different times)."""
    out: dict[str, list[str]] = {}
    for cell, step in zip(plan.steps["cell"], plan.steps["step"], strict=True):
        out.setdefault(str(cell), []).append(str(int(step)))
    return {c: ", ".join(v) for c, v in out.items()}


def plan_layer(plan: cv.Plan, names: Mapping[str, str]) -> HexLayer:
    """The recommended places, one hexagon each, labelled with their number(s) in plan
    order, name and time block(s) ("#1 On or near Market Place · Weekend evenings
    (Fri-Sun 19:00-23:00)"); names are escaped by :mod:`geo.render.maps`."""
    legend = {1: PLAN_LAYER}
    if plan.steps.empty:
        return category_layer(PLAN_LAYER, [], [], {1: PLAN_COLOUR}, legend, [])
    by_cell: dict[str, list[str]] = {}
    for r in plan.steps.to_dict("records"):
        by_cell.setdefault(str(r["cell"]), []).append(f"#{int(r['step'])} {r['block_label']}")
    cells = list(by_cell)
    labels = []
    for cell in cells:
        parts = by_cell[cell]
        number, _, when = parts[0].partition(" ")
        head = f"{number} {names.get(cell, cell)} · {when}"
        labels.append(" | ".join([head, *parts[1:]]))
    return category_layer(
        PLAN_LAYER,
        hexes.str_to_cells(pd.Series(cells, dtype=object)),
        np.ones(len(cells), dtype=np.int64),
        {1: PLAN_COLOUR},
        legend,
        labels,
    )


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


def renamed(layer: HexLayer, name: str) -> HexLayer:
    """A one-colour layer (the coverage outline) under another name, legend included."""
    return replace(layer, name=name, legend=tuple((c, name) for c, _ in layer.legend))


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
