"""Disclosure-controlled map layers for the Overview (pure; rendered by geo.maps)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import hexes
from geo.config import Config
from geo.disclosure import disclose_counts
from geo.maps import MISSING_PALETTE, HexLayer, count_layer, outline_layer


def incident_layer(counts: pd.DataFrame, role: str, res: int, config: Config) -> HexLayer:
    """Incidents per cell as a choropleth, after disclosure control for ``role``."""
    shown = disclose_counts(counts, role, res, config)
    labels = [f"{t} incidents" for t in shown["label"]]
    return count_layer(
        "Incidents",
        shown["cell"].to_numpy(),
        shown["value"].to_numpy(),
        labels,
        withheld_text=f"withheld (fewer than {config.disclosure.min_count} or sensitive)",
    )


def missing_layer(
    counts: pd.DataFrame, role: str, res: int, config: Config, show: bool = False
) -> HexLayer:
    """Missing episodes per found/last-seen cell.

    For the partnership role a cell is withheld when its episodes *or* its distinct
    children number 1 to ``min_count - 1``, or when it holds a sensitive premise.
    """
    shown = disclose_counts(counts, role, res, config)
    if role == "partnership":
        children = counts["children"].to_numpy(dtype=float)
        few = (children >= 1) & (children < config.disclosure.min_count)
        shown.loc[few, "value"] = np.nan
        shown.loc[few, "withheld"] = True
        shown.loc[few, "label"] = f"fewer than {config.disclosure.min_count} children"
    labels = [
        t if w else f"{t} missing episodes (found / last seen)"
        for t, w in zip(shown["label"], shown["withheld"], strict=True)
    ]
    return count_layer(
        "Missing: found / last-seen",
        shown["cell"].to_numpy(),
        shown["value"].to_numpy(),
        labels,
        palette=MISSING_PALETTE,
        unit="episodes",
        show=show,
        withheld_text="withheld (small numbers or sensitive)",
    )


def youth_work_layer(cells: pd.DataFrame, show: bool = True) -> HexLayer:
    """Outline of the cells youth work reached in the period."""
    labels = [
        f"Youth work: {int(s):,} sessions, {h:,.0f} hours"
        for s, h in zip(cells["sessions"], cells["hours"], strict=True)
    ]
    return outline_layer(
        "Youth-work coverage", cells["cell"].to_numpy(), labels, "#1b9e77", show=show
    )


def school_markers(schools: pd.DataFrame) -> tuple[tuple[float, float, str, bool], ...]:
    """``(lat, lng, name, is_alternative_provision)`` per located school (names raw;
    :func:`geo.maps.build_map` escapes them)."""
    located = schools.loc[schools["cell"].notna()]
    lat, lng = hexes.cell_centres(located["cell"].to_numpy(dtype=np.uint64))
    is_ap = (located["kind"] == "alternative_provision").to_numpy()
    return tuple(
        (float(a), float(b), str(n), bool(p))
        for a, b, n, p in zip(lat, lng, located["name"], is_ap, strict=True)
    )


def cell_summary(layers: tuple[HexLayer, ...], cell: str) -> str:
    """What the shown layers say about one cell, as one line of fixed-format text."""
    parts = []
    for layer in layers:
        for feature in layer.geojson["features"]:
            if feature["properties"]["cell"] == cell:
                parts.append(f"{layer.name}: {feature['properties']['label']}")
                break
    if not parts:
        return f"Cell {cell}: nothing recorded in the shown layers for this period."
    return f"Cell {cell} — " + "; ".join(parts) + "."
