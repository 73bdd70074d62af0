"""The Youth work page's map layers: gaps, youth-work coverage, health sites and the
recommended places (:class:`geo.render.hexlayer.HexLayer`).

Labels are fixed wording, numbers and the gap reasons; partner text (site and place
names) is escaped by :mod:`geo.render.maps`. What goes on the layers is already what the
role may see (:func:`geo.lenses.coverage_view.role_gaps`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.schema import HEALTH_SITE_LABELS
from geo.core.time_of_week import DEFAULT_BLOCKS, TimeBlock
from geo.lenses.youth_work_plan import Plan
from geo.render.hexlayer import HexLayer, category_layer, outline_layer

__all__ = [
    "GAP_COLOURS",
    "GAP_LABELS",
    "PLAN_COLOUR",
    "PLAN_LAYER",
    "SITE_COLOURS",
    "SITE_LABELS",
    "coverage_layer",
    "gap_layer",
    "plan_layer",
    "renamed",
    "sites_layer",
]

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
#: Colour of the recommended places on the maps.
PLAN_COLOUR: Final = "#08519c"
PLAN_LAYER: Final = "Recommended places"


def gap_layer(gaps: pd.DataFrame, blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS) -> HexLayer:
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


def plan_layer(plan: Plan, names: Mapping[str, str]) -> HexLayer:
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


def renamed(layer: HexLayer, name: str) -> HexLayer:
    """A one-colour layer (the coverage outline) under another name, legend included."""
    return replace(layer, name=name, legend=tuple((c, name) for c, _ in layer.legend))
