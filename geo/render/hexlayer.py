"""Map layers as data: allow-listed GeoJSON hex layers, class bands, palettes and legends.

No folium here (:mod:`geo.render.maps` draws these). Hex layers are GeoJSON dicts built
with numpy from h3 boundaries (rounded to six decimals) whose features carry only
allow-listed properties: the cell id, the displayed value, a class index, a colour and a
fixed-format label. Anything a partner supplied (school names) is escaped with
:func:`geo.core.escape.escape_text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from geo.core import hexes
from geo.core.escape import escape_text

#: The only properties a hex feature may carry to the browser.
ALLOWED_PROPERTIES: frozenset[str] = frozenset({"cell", "value", "label", "band", "colour"})

#: Sequential palette (ColorBrewer YlOrRd, 5 classes) for counts.
COUNT_PALETTE: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
MISSING_PALETTE: tuple[str, ...] = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
#: A&E assaults (ColorBrewer GnBu, 5 classes): apart from the police's warm colours.
ED_PALETTE: tuple[str, ...] = ("#f0f9e8", "#bae4bc", "#7bccc4", "#43a2ca", "#0868ac")
WITHHELD_COLOUR = "#9e9e9e"


@dataclass(frozen=True)
class HexLayer:
    """A hexagon layer ready for the map.

    Attributes
    ----------
    name : str
        Layer-control name (fixed text).
    geojson : dict
        FeatureCollection with allow-listed properties only.
    legend : list of (colour, text)
        Legend entries (fixed text).
    show : bool
        Visible when the map opens.
    outline_only : bool
        Draw as outlines (coverage layers) instead of filled hexes.
    """

    name: str
    geojson: dict[str, Any]
    legend: tuple[tuple[str, str], ...]
    show: bool = True
    outline_only: bool = False


def class_breaks(
    values: npt.ArrayLike,
    n_classes: int = 5,
    breaks: npt.ArrayLike | None = None,
) -> npt.NDArray[np.float64]:
    """Upper bounds of up to ``n_classes`` quantile classes of the finite values.

    Duplicate bounds (many equal counts) are merged, so fewer classes may result.
    ``breaks``, when given, are fixed bounds (e.g. :func:`shared_breaks` over every frame
    of a playback) and are returned as they are, sorted and without duplicates, so that
    maps of different periods share one legend.
    """
    if breaks is not None:
        fixed = np.asarray(breaks, dtype=float)
        return np.unique(fixed[np.isfinite(fixed)])[:n_classes]
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return np.array([], dtype=float)
    qs = np.quantile(arr, np.linspace(0, 1, n_classes + 1)[1:], method="higher")
    return np.unique(qs)


@dataclass(frozen=True)
class Bands:
    """Fixed legend bands shared by several maps (the frames of a playback).

    ``breaks`` are the classes' upper bounds and ``lowest`` the first class's lower
    bound, both computed once from every frame's values together.
    """

    breaks: tuple[float, ...]
    lowest: float


def shared_breaks(frames: Sequence[npt.ArrayLike], n_classes: int = 5) -> Bands:
    """Quantile bands of all frames' values pooled, so months can be compared: a cell
    drawn in the top colour in March has a count in the same range as one in May."""
    arrays = [np.asarray(f, dtype=float).ravel() for f in frames]
    pooled = np.concatenate(arrays) if arrays else np.array([], dtype=float)
    pooled = pooled[np.isfinite(pooled)]
    breaks = class_breaks(pooled, n_classes)
    lowest = float(pooled.min()) if pooled.size else 0.0
    return Bands(tuple(float(b) for b in breaks), lowest)


def classify(values: npt.ArrayLike, breaks: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Class index of each value (0-based; -1 for NaN, i.e. withheld)."""
    arr = np.asarray(values, dtype=float)
    band = np.searchsorted(breaks, arr, side="left").astype(np.int64)
    band = np.minimum(band, max(len(breaks) - 1, 0))
    band[~np.isfinite(arr)] = -1
    return band


def hex_feature_collection(
    cells: npt.ArrayLike,
    values: npt.ArrayLike,
    labels: Sequence[str],
    bands: npt.ArrayLike,
    colours: Sequence[str],
    *,
    decimals: int = 6,
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of hexagons with allow-listed properties only.

    Parameters
    ----------
    cells : array of uint64
        H3 cells.
    values : array of float
        Displayed value per cell (NaN when withheld; sent as null).
    labels : sequence of str
        Fixed-format text per cell (built by PlaceSafe, never partner text).
    bands : array of int
        Class index per cell.
    colours : sequence of str
        Fill colour per cell.
    """
    cell_arr = np.asarray(cells, dtype=np.uint64)
    rings = hexes.cell_rings(cell_arr, decimals=decimals)
    ids = hexes.cells_to_str(cell_arr)
    vals = np.asarray(values, dtype=float)
    band_arr = np.asarray(bands, dtype=np.int64)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {
                "cell": str(ids[i]),
                "value": None if not np.isfinite(vals[i]) else float(vals[i]),
                "label": escape_text(labels[i]),
                "band": int(band_arr[i]),
                "colour": colours[i],
            },
        }
        for i, ring in enumerate(rings)
    ]
    return {"type": "FeatureCollection", "features": features}


def _band_legend(
    upper_bounds: npt.NDArray[np.float64],
    lower: float,
    palette: Sequence[str],
    unit: str,
    fixed: bool,
) -> list[tuple[str, str]]:
    """One legend entry per class: "3 to 5 incidents"; with fixed bands the top class is
    open-ended ("12 or more"), since a frame may hold a larger count than the bands saw."""
    legend: list[tuple[str, str]] = []
    for i, upper in enumerate(upper_bounds):
        lo = lower if i == 0 else float(upper_bounds[i - 1]) + 1
        if fixed and i == len(upper_bounds) - 1 and i > 0:
            text = f"{lo:,.0f} or more"
        else:
            text = f"{lo:,.0f}" if lo >= upper else f"{lo:,.0f} to {upper:,.0f}"
        legend.append((palette[i], f"{text} {unit}"))
    return legend


def count_layer(
    name: str,
    cells: npt.ArrayLike,
    values: npt.ArrayLike,
    labels: Sequence[str],
    palette: Sequence[str] = COUNT_PALETTE,
    unit: str = "incidents",
    show: bool = True,
    withheld_text: str = "withheld",
    breaks: Bands | npt.ArrayLike | None = None,
) -> HexLayer:
    """A choropleth of counts with quantile classes and a legend.

    ``breaks`` fixes the classes (a :class:`Bands`, or upper bounds alone): every band is
    then listed in the legend, drawn or not, so maps of several periods read alike.
    """
    vals = np.asarray(values, dtype=float)
    lower = float(np.nanmin(vals)) if np.isfinite(vals).any() else 0.0
    if isinstance(breaks, Bands):
        lower = breaks.lowest
        breaks = breaks.breaks
    fixed = breaks is not None
    upper_bounds = class_breaks(vals, len(palette), breaks)
    bands = classify(vals, upper_bounds)
    pal = np.array(list(palette[: max(len(upper_bounds), 1)]) + [WITHHELD_COLOUR], dtype=object)
    colours = pal[np.where(bands < 0, len(pal) - 1, bands)]
    legend = _band_legend(upper_bounds, lower, [str(c) for c in pal[:-1]], unit, fixed)
    if (bands < 0).any():
        legend.append((WITHHELD_COLOUR, withheld_text))
    geojson = hex_feature_collection(cells, vals, labels, bands, list(colours))
    return HexLayer(name, geojson, tuple(legend), show=show)


def rebanded(
    layer: HexLayer,
    bands: Bands,
    palette: Sequence[str] = COUNT_PALETTE,
    unit: str = "incidents",
    withheld_text: str = "withheld",
) -> HexLayer:
    """A count layer redrawn on fixed ``bands`` (its cells, values and labels kept):
    for playback, where every frame must share the whole window's legend."""
    feats = layer.geojson["features"]
    vals = np.array(
        [np.nan if f["properties"]["value"] is None else f["properties"]["value"] for f in feats],
        dtype=float,
    )
    cls = classify(vals, np.asarray(bands.breaks, dtype=float)) if feats else np.array([], int)
    pal = list(palette[: max(len(bands.breaks), 1)])
    out = [
        {
            **f,
            "properties": {
                **f["properties"],
                "band": int(c),
                "colour": WITHHELD_COLOUR if c < 0 else pal[int(c)],
            },
        }
        for f, c in zip(feats, cls, strict=True)
    ]
    legend = _band_legend(np.asarray(bands.breaks, dtype=float), bands.lowest, pal, unit, True)
    if (cls < 0).any():
        legend.append((WITHHELD_COLOUR, withheld_text))
    return replace(layer, geojson={**layer.geojson, "features": out}, legend=tuple(legend))


#: Gi* confidence bins, diverging (ColorBrewer RdBu), as ArcGIS shows them.
GI_BIN_COLOURS: dict[int, str] = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    0: "#f7f7f7",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
GI_BIN_LABELS: dict[int, str] = {
    3: "Hot spot, 99 % confidence",
    2: "Hot spot, 95 % confidence",
    1: "Hot spot, 90 % confidence",
    0: "Not significant",
    -1: "Cold spot, 90 % confidence",
    -2: "Cold spot, 95 % confidence",
    -3: "Cold spot, 99 % confidence",
}
#: Emerging hot spot categories, in Esri's order and names (hot in warm hues, cold in cool
#: ones), each with its own hue or lightness step so that no two can be confused on a
#: projector: every pair differs by a CIE76 colour difference of more than 20 (Esri's
#: own symbology tells several categories apart by hatching alone, which a washed-out
#: projector and a Leaflet fill lose). The legend names every category drawn.
EHSA_COLOURS: dict[int, str] = {
    1: "#e7298a",  # New: magenta-red, unlike any other hot category
    2: "#f16913",  # Consecutive: orange
    3: "#67000d",  # Intensifying: darkest red
    4: "#d7301f",  # Persistent: red
    5: "#fdae6b",  # Diminishing: light orange (fading)
    6: "#ffe066",  # Sporadic: yellow
    7: "#8c510a",  # Oscillating: brown
    8: "#c9a27e",  # Historical: tan
    0: "#f2f2f2",  # No pattern (not drawn)
    -1: "#00bcd4",  # New cold: cyan
    -2: "#6baed6",  # Consecutive cold: mid blue
    -3: "#08306b",  # Intensifying cold: navy
    -4: "#2171b5",  # Persistent cold: blue
    -5: "#c6dbef",  # Diminishing cold: pale blue
    -6: "#238b8b",  # Sporadic cold: teal
    -7: "#756bb1",  # Oscillating cold: purple
    -8: "#80cdc1",  # Historical cold: light teal
}


def category_layer(
    name: str,
    cells: npt.ArrayLike,
    classes: npt.ArrayLike,
    colours: dict[int, str],
    class_labels: dict[int, str],
    labels: Sequence[str],
    show: bool = True,
) -> HexLayer:
    """A hex layer of categories (Gi* bins, emerging hot spot codes) with a legend.

    Classes missing from ``colours`` are drawn as withheld (grey).
    """
    cls = np.asarray(classes, dtype=np.int64)
    colour_list = [colours.get(int(c), WITHHELD_COLOUR) for c in cls]
    present = set(int(c) for c in cls)
    legend = tuple((colours[c], class_labels[c]) for c in colours if c in present)
    if any(int(c) not in colours for c in cls):
        legend += ((WITHHELD_COLOUR, "withheld"),)
    geojson = hex_feature_collection(cells, np.full(len(cls), np.nan), labels, cls, colour_list)
    return HexLayer(name, geojson, legend, show=show)


def outline_layer(
    name: str, cells: npt.ArrayLike, labels: Sequence[str], colour: str, *, show: bool = True
) -> HexLayer:
    """Hexagon outlines (for coverage), one colour."""
    cell_arr = np.asarray(cells, dtype=np.uint64)
    n = len(cell_arr)
    geojson = hex_feature_collection(
        cell_arr, np.full(n, np.nan), labels, np.zeros(n, dtype=np.int64), [colour] * n
    )
    return HexLayer(name, geojson, ((colour, name),), show=show, outline_only=True)


def polygon_layer(
    name: str,
    polygons: Sequence[BaseGeometry],
    labels: Sequence[str],
    colour: str,
    *,
    show: bool = True,
    decimals: int = 6,
) -> HexLayer:
    """Outlines of arbitrary polygons (EPSG:4326), e.g. cluster hulls, with allow-listed
    properties only (a fixed-format label and the colour)."""
    features = []
    for geom, label in zip(polygons, labels, strict=True):
        rounded = shapely.set_precision(geom, 10.0**-decimals)
        features.append(
            {
                "type": "Feature",
                "geometry": rounded.__geo_interface__,
                "properties": {
                    "label": escape_text(label),
                    "colour": colour,
                    "band": 0,
                    "value": None,
                    "cell": "",
                },
            }
        )
    geojson = {"type": "FeatureCollection", "features": features}
    return HexLayer(name, geojson, ((colour, name),), show=show, outline_only=True)


def outer_rings(geometry: Mapping[str, Any]) -> list[npt.NDArray[np.float64]]:
    """Outer rings of a GeoJSON Polygon or MultiPolygon as ``(n, 2)`` lon/lat arrays
    (EPSG:4326); other geometry types have none."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        return [np.asarray(coords[0], dtype=float)]
    if geometry["type"] == "MultiPolygon":
        return [np.asarray(p[0], dtype=float) for p in coords]
    return []
