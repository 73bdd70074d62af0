"""Disclosure-controlled map layers for the Overview (pure; rendered by geo.render.maps)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.config import Config
from geo.core.escape import escape_text
from geo.core.roles import Role
from geo.disclosure import (
    WITHHELD,
    DisclosedLevels,
    check_resolution,
    disclose_levels,
)
from geo.disclosure.counts import few_children
from geo.lenses.clusters import ClusterResult
from geo.lenses.story import STATUSES, QuarterStory
from geo.render.hexlayer import (
    COUNT_PALETTE,
    ED_PALETTE,
    EHSA_COLOURS,
    GI_BIN_COLOURS,
    GI_BIN_LABELS,
    MISSING_PALETTE,
    HexLayer,
    category_layer,
    count_layer,
    outline_layer,
    polygon_layer,
)
from geo.stats.emerging import CATEGORY_NAMES, describe_category
from geo.store.database import Store
from geo.store.place_names import place_names


def _count_layer_from(
    shown: pd.DataFrame,
    name: str,
    unit: str,
    palette: tuple[str, ...],
    show: bool,
    min_count: int,
) -> HexLayer:
    labels = [
        t if w else f"{t} {unit}" for t, w in zip(shown["label"], shown["withheld"], strict=True)
    ]
    return count_layer(
        name,
        shown["cell"].to_numpy(),
        shown["value"].to_numpy(),
        labels,
        palette=palette,
        unit=unit.split(" (")[0],
        show=show,
        withheld_text=WITHHELD,
    )


def incident_layer_from(levels: DisclosedLevels, res: int, config: Config) -> HexLayer:
    """The incidents choropleth from disclosure-controlled counts."""
    return _count_layer_from(
        levels.levels[res],
        "Incidents",
        "incidents",
        COUNT_PALETTE,
        True,
        config.disclosure.min_count,
    )


def missing_layer_from(
    levels: DisclosedLevels, res: int, config: Config, show: bool = False
) -> HexLayer:
    """The missing found/last-seen choropleth from disclosure-controlled counts."""
    return _count_layer_from(
        levels.levels[res],
        "Missing: found / last-seen",
        "missing episodes (found / last seen)",
        MISSING_PALETTE,
        show,
        config.disclosure.min_count,
    )


#: The A&E layer's name on maps, legends and exports.
ED_LAYER_NAME: Final = "A&E assaults"
#: What one A&E record is, in a hexagon's label ("12 A&E-treated assaults").
ED_UNIT: Final = "A&E-treated assaults"


def ed_assault_layer_from(
    levels: DisclosedLevels, res: int, config: Config, show: bool = False
) -> HexLayer:
    """The A&E assaults choropleth (an emergency department's ISTV feed) from
    disclosure-controlled counts; assaults at a private home are never drawn."""
    return _count_layer_from(
        levels.levels[res],
        ED_LAYER_NAME,
        ED_UNIT,
        ED_PALETTE,
        show,
        config.disclosure.min_count,
    )


def incident_layer(counts: pd.DataFrame, role: str, res: int, config: Config) -> HexLayer:
    """Incidents per cell at one resolution, after disclosure control for ``role``
    (primary and secondary suppression against the
    layer's total)."""
    total = float(counts["count"].sum())
    levels = disclose_levels({res: counts}, total, role, config)
    return incident_layer_from(levels, res, config)


def missing_layer(
    counts: pd.DataFrame, role: str, res: int, config: Config, *, show: bool = False
) -> HexLayer:
    """Missing episodes per found/last-seen cell at one resolution.

    For the partnership role a cell is also withheld when its distinct children
    number 1 to ``min_count - 1``.
    """
    total = float(counts["count"].sum())
    extra = {res: few_children(counts, config.disclosure.min_count)}
    levels = disclose_levels({res: counts}, total, role, config, extra)
    return missing_layer_from(levels, res, config, show)


def youth_work_layer(cells: pd.DataFrame, *, show: bool = True) -> HexLayer:
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
    :func:`geo.render.maps.build_map` escapes them)."""
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


def gi_layer(
    gi: pd.DataFrame, role: str, res: int, config: Config, *, show: bool = True
) -> HexLayer:
    """Significant Gi* cells (bins ±1..±3) as a diverging layer.

    Not-significant cells are not drawn.
    """
    sig = gi.loc[gi["bin"] != 0]
    check_resolution(role, res, config)
    cells = hexes.str_to_cells(sig.index)
    classes = sig["bin"].to_numpy(dtype=np.int64)
    # z-scores of every cell together could be inverted to counts: analysts only
    labels = [
        GI_BIN_LABELS[c] if role == Role.PARTNERSHIP else f"{GI_BIN_LABELS[c]} (z = {z:.2f})"
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
    *,
    show: bool = True,
) -> HexLayer:
    """Emerging hot spot categories (cells with a pattern only)."""
    found = result.loc[result["code"] != 0]
    check_resolution(role, res, config)
    cells = hexes.str_to_cells(found.index)
    classes = found["code"].to_numpy(dtype=np.int64)
    labels = [
        f"{CATEGORY_NAMES[int(c)]}: {describe_category(row, periods, unit)}"
        for c, (_, row) in zip(classes, found.iterrows(), strict=True)
    ]
    return category_layer(
        "Emerging hot spots", cells, classes, EHSA_COLOURS, CATEGORY_NAMES, labels, show
    )


def hot_cells_table(hot: pd.DataFrame, role: str, res: int, config: Config) -> pd.DataFrame:
    """The list of hot cells a role may see: every cell, at a resolution the role may
    see. (The partnership's list is computed from the publishable dataset, so no cell
    is ever dropped from it because of a sensitive premise.)"""
    check_resolution(role, res, config)
    return hot


def cell_series(
    cube: pd.DataFrame,
    z: pd.DataFrame | None,
    bins: pd.DataFrame | None,
    cell: str,
    role: str,
    res: int,
    config: Config,
) -> pd.DataFrame | None:
    """One cell's history per period, as the role may see it.

    Analysts see events and the space-time z-score. The partnership sees only the
    significance bin (-3..3): neither counts (small numbers) nor z-scores (the
    z-scores of every cell together could be turned back into counts). Every cell
    answers alike: the partnership's cube is built from the publishable dataset.
    """
    check_resolution(role, res, config)
    if cell not in cube.index:
        return None
    frame = pd.DataFrame(index=pd.Index(cube.columns, name="period"))
    if role == Role.PARTNERSHIP:
        if bins is None or cell not in bins.index:
            return None
        frame["hot (+) / cold (-) spot confidence, 1-3"] = bins.loc[cell].to_numpy(dtype=float)
        return frame
    frame["events"] = cube.loc[cell].to_numpy(dtype=float)
    if z is not None and cell in z.index:
        frame["space-time z"] = z.loc[cell].to_numpy(dtype=float)
    return frame


def layer_table(layer: HexLayer) -> pd.DataFrame:
    """A layer exactly as displayed, as a table: ``cell`` and ``shown`` (its label)."""
    props = [f["properties"] for f in layer.geojson["features"]]
    return pd.DataFrame(
        {"cell": [p["cell"] for p in props], "shown": [p["label"] for p in props]},
        columns=["cell", "shown"],
    )


def neighbourhood_layer(cell: str, neighbours: tuple[str, ...]) -> HexLayer:
    """A place and its ring of neighbours, as outlines (for the location profile)."""
    cells = hexes.str_to_cells([cell, *neighbours])
    labels = ["This place", *["Neighbouring cell"] * len(neighbours)]
    return outline_layer("This place and its neighbours", cells, labels, "#d95f02")


def cluster_layer(result: ClusterResult, role: str, res: int, config: Config) -> HexLayer:
    """Cluster tracks for the map: outlines for analysts, covered hex cells (without
    counts) for the partnership.

    Only tracks seen in at least two periods are drawn.
    """
    check_resolution(role, res, config)
    periods = len(result.params.periods)
    tracks = result.tracks.loc[result.tracks["persistence"] >= 2].set_index("track")
    if role == Role.PARTNERSHIP:
        members = result.membership.loc[result.membership["track"].isin(tracks.index)]
        members = members.drop_duplicates("cell")
        cells = hexes.cells_to_parent(hexes.str_to_cells(members["cell"]), res)
        cells, first = np.unique(cells, return_index=True)
        persistence = tracks.loc[members["track"].to_numpy()[first], "persistence"].to_numpy()
        classes = np.ones(len(cells), dtype=np.int64)
        labels = [f"In a cluster seen in {int(p)} of {periods} periods" for p in persistence]
        return category_layer(
            "Clusters",
            cells,
            classes,
            {1: "#7570b3"},
            {1: "In a recurring cluster"},
            labels,
        )
    outlines = result.outlines("track").reindex(tracks.index).dropna()
    labels = [
        f"Cluster {t}: seen in {int(tracks.loc[t, 'persistence'])} of {periods} periods "
        f"({tracks.loc[t, 'first']} to {tracks.loc[t, 'last']}), "
        f"{int(tracks.loc[t, 'events']):,} incidents"
        for t in outlines.index
    ]
    return polygon_layer("Clusters", list(outlines.to_numpy()), labels, "#7570b3")


def ranking_layer_from(ranking: pd.DataFrame, top: int) -> HexLayer:
    """The top of a recurring-location ranking as a map layer (score as colour; rank, the
    place's name, category and reason as label; the label is escaped where the map is
    drawn). The ranking is already what the role may see."""
    head = ranking.head(top)
    places = head["place"] if "place" in head.columns else head["cell"]
    labels = [
        f"#{r} {place} · {c}: {reason}"
        for r, place, c, reason in zip(
            head["rank"], places, head["category"], head["reasons"], strict=True
        )
    ]
    rank = head["rank"].to_numpy(dtype=float)
    bands = np.where(rank <= 3, 0, np.where(rank <= 10, 1, 2))
    return category_layer(
        "Recurring locations",
        hexes.str_to_cells(head["cell"]),
        bands,
        RANK_COLOURS,
        RANK_LABELS,
        labels,
    )


#: Recurring locations on the map by their place in the ranking (darker is higher).
RANK_COLOURS: Final[dict[int, str]] = {0: "#99000d", 1: "#ef3b2c", 2: "#fc9272"}
RANK_LABELS: Final[dict[int, str]] = {
    0: "Ranked #1 to #3",
    1: "Ranked #4 to #10",
    2: "Ranked lower",
}


def named_layer(layer: HexLayer, store: Store) -> HexLayer:
    """``layer`` with each hexagon's tooltip led by the place's name ("On or near Market
    Place — Romford Town · 12 incidents"); names come from public sources only
    (:func:`geo.store.place_names.place_names`), so ``store`` may be the partnership's. The
    name is escaped here, as every label is where a layer is built."""
    features = layer.geojson["features"]
    if not features:
        return layer
    cells = [f["properties"]["cell"] for f in features]
    names = place_names(store, cells)
    named = [
        {
            **f,
            "properties": {
                **f["properties"],
                "label": f"{escape_text(str(name))} · {f['properties']['label']}",
            },
        }
        for f, name in zip(features, names.to_numpy(), strict=True)
    ]
    return replace(layer, geojson={**layer.geojson, "features": named})


#: Map colours of the statuses: worse is warmer, a place that has calmed down is cool.
STATUS_COLOURS: Final[dict[int, str]] = {
    0: "#b2182b",  # Escalated
    1: "#f46d43",  # New
    2: "#fdae61",  # Persistent
    3: "#4393c3",  # No longer active
}


def story_layer(
    story: QuarterStory, names: Sequence[str], role: str, res: int, config: Config
) -> HexLayer:
    """The story's places on the map, coloured by status, each labelled with its name,
    status and sentence (names and sentences escaped)."""
    check_resolution(role, res, config)
    codes = story.places["status"].map({s: i for i, s in enumerate(STATUSES)}).to_numpy()
    labels = [
        f"{escape_text(str(name))} · {status}: {escape_text(str(why))}"
        for name, status, why in zip(
            names, story.places["status"], story.places["why"], strict=True
        )
    ]
    return category_layer(
        "The quarter's places",
        hexes.str_to_cells(story.places["cell"]),
        codes,
        STATUS_COLOURS,
        dict(enumerate(STATUSES)),
        labels,
    )
