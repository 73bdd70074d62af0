"""Disclosure-controlled map layers for the Overview (pure; rendered by geo.maps)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import hexes
from geo.config import Config
from geo.disclosure import check_resolution, disclose_counts, sensitive_mask
from geo.hotspots import CATEGORY_NAMES, describe_category
from geo.maps import (
    EHSA_COLOURS,
    GI_BIN_COLOURS,
    GI_BIN_LABELS,
    MISSING_PALETTE,
    HexLayer,
    category_layer,
    count_layer,
    outline_layer,
)


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


#: Class drawn grey: a sensitive cell whose result is withheld from the partnership.
WITHHELD_CLASS = 99


def _withhold_sensitive(
    cells: np.ndarray, classes: np.ndarray, role: str, res: int, config: Config
) -> np.ndarray:
    check_resolution(role, res, config)
    if role != "partnership":
        return classes
    return np.where(sensitive_mask(cells, res, config), WITHHELD_CLASS, classes)


def gi_layer(gi: pd.DataFrame, role: str, res: int, config: Config, show: bool = True) -> HexLayer:
    """Significant Gi* cells (bins ±1..±3) as a diverging layer.

    Not-significant cells are not drawn; for the partnership role, cells holding a
    sensitive premise are withheld.
    """
    sig = gi.loc[gi["bin"] != 0]
    cells = hexes.str_to_cells(sig.index)
    classes = _withhold_sensitive(cells, sig["bin"].to_numpy(dtype=np.int64), role, res, config)
    labels = [
        "withheld (sensitive premises)"
        if c == WITHHELD_CLASS
        else f"{GI_BIN_LABELS[c]} (z = {z:.2f})"
        for c, z in zip(classes, sig["z"].to_numpy(), strict=True)
    ]
    return category_layer(
        "Gi* hot and cold spots", cells, classes, GI_BIN_COLOURS, GI_BIN_LABELS, labels, show
    )


def emerging_layer(
    result: pd.DataFrame,
    periods: int,
    unit: str,
    role: str,
    res: int,
    config: Config,
    show: bool = True,
) -> HexLayer:
    """Emerging hot spot categories (cells with a pattern only)."""
    found = result.loc[result["code"] != 0]
    cells = hexes.str_to_cells(found.index)
    classes = _withhold_sensitive(cells, found["code"].to_numpy(dtype=np.int64), role, res, config)

    labels = [
        "withheld (sensitive premises)"
        if c == WITHHELD_CLASS
        else f"{CATEGORY_NAMES[int(c)]}: {describe_category(row, periods, unit)}"
        for c, (_, row) in zip(classes, found.iterrows(), strict=True)
    ]
    return category_layer(
        "Emerging hot spots", cells, classes, EHSA_COLOURS, CATEGORY_NAMES, labels, show
    )


def hot_cells_table(hot: pd.DataFrame, role: str, res: int, config: Config) -> pd.DataFrame:
    """The list of hot cells a role may see (sensitive cells dropped for the partnership)."""
    check_resolution(role, res, config)
    if role != "partnership" or hot.empty:
        return hot
    sensitive = sensitive_mask(hexes.str_to_cells(hot["cell"]), res, config)
    return hot.loc[~sensitive].reset_index(drop=True)


def cell_series(
    cube: pd.DataFrame, z: pd.DataFrame | None, cell: str, role: str, res: int, config: Config
) -> pd.DataFrame | None:
    """One cell's events per period (and space-time z-score) as the role may see them.

    For the partnership role counts of 1 to ``min_count - 1`` become NaN and a cell
    holding a sensitive premise returns None.
    """
    check_resolution(role, res, config)
    if cell not in cube.index:
        return None
    cells = hexes.str_to_cells([cell])
    if role == "partnership" and sensitive_mask(cells, res, config).any():
        return None
    events = cube.loc[cell].to_numpy(dtype=float)
    if role == "partnership":
        events = np.where((events >= 1) & (events < config.disclosure.min_count), np.nan, events)
    frame = pd.DataFrame({"events": events}, index=pd.Index(cube.columns, name="period"))
    if z is not None and cell in z.index:
        frame["space-time z"] = z.loc[cell].to_numpy(dtype=float)
    return frame
