"""What the Youth work page shows, per role: gaps, map layers, plans and exports.

Pure glue between :mod:`geo.coverage` (the analysis) and the page: disclosure control
for the partnership role, the health-site lookup, map layers built with
:mod:`geo.maps`, and the tables, chart data and downloads of a plan. The page calls
these only through ``ui/cache.py``.

Partnership rules (DESIGN §4): resolution 8 or coarser (:func:`check_resolution`);
gap reasons built with ``exact_counts=False`` and counts of 1 to ``min_count - 1``
withheld (:func:`geo.coverage.disclose_gaps`); gaps in a sensitive-premises cell left
out and the rest re-ranked (a missing rank would point at the premise); no weighted
need or need covered (sums of counts), only shares; planner deployments and items
never in a sensitive-premises cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from geo import coverage as cv
from geo import hexes
from geo.config import Config
from geo.disclosure import check_resolution
from geo.export import to_csv_bytes
from geo.maps import HexLayer, category_layer, outline_layer
from geo.roles import Role
from geo.schema import HEALTH_SITE_LABELS
from geo.store import Store

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
    """:func:`geo.coverage.nearest_sites`, or empty site columns when there are none."""
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
    (reasons are fixed wording and numbers; site names are escaped by geo.maps)."""
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
    """Health sites as the hexagons at ``res`` that hold them (names escaped by geo.maps)."""
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
    """Marginal-gain chart data: per step, the share of the unmet need that step
    covers and the cumulative share (percent), indexed by ``step``."""
    steps = plan.steps
    total = plan.unmet_total if plan.unmet_total > 0 else 1.0
    return pd.DataFrame(
        {
            "This step (% of unmet need)": (steps["gain"] / total * 100).round(1).to_numpy(),
            "Cumulative (% of unmet need)": (steps["share_unmet"] * 100).round(1).to_numpy(),
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
