"""What a map sends for a large study area: the hexagons in view, at most a screenful.

A borough's map holds a few thousand hexagons and is sent whole, as it always was. A
London-wide one at resolution 10 holds about a hundred thousand (7 MB packed, tens of MB
as GeoJSON), more than a browser can draw or a person can read. Past
:data:`MAX_HEXAGONS` a map follows the viewer instead: the page is told the view's
bounds and zoom (:func:`view_from_event`), and sends the hexagons inside the view
(:func:`clip_to_view`, padded so a small pan shows no gap); if the view still holds too
many, the page draws a coarser resolution (Overview) or the strongest hexagons first
(:func:`keep_strongest`), and says so. The values are the page's own layers, so for the
partnership they are still the disclosure layer's, cell for cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from geo.render.hexlayer import HexLayer

__all__ = [
    "FOR_ONE_VIEW",
    "MAX_HEXAGONS",
    "View",
    "clip_to_view",
    "feature_count",
    "keep_strongest",
    "view_from_event",
]

#: A member of the FeatureCollections made here for one view: packed afresh every time,
#: never remembered (:func:`geo.render.packed.packed_json`).
FOR_ONE_VIEW = "placesafe_for_one_view"
#: Most polygons one map sends (at most about 1.7 MB packed, tooltips with place names
#: included: bench/bench_london.py).
MAX_HEXAGONS = 16_000
#: How much wider than the view the sent area is, on each side (a fraction of the view).
VIEW_PAD = 0.25


@dataclass(frozen=True)
class View:
    """A map view: its bounds in degrees (EPSG:4326) and Leaflet zoom level."""

    south: float
    west: float
    north: float
    east: float
    zoom: int

    @property
    def centre(self) -> tuple[float, float]:
        """The view's centre as (lat, lng)."""
        return ((self.south + self.north) / 2, (self.west + self.east) / 2)

    def covers(self, min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> bool:
        """Whether the view holds the whole box (degrees, EPSG:4326)."""
        return (
            self.west <= min_lng and self.south <= min_lat
            and self.east >= max_lng and self.north >= max_lat
        )  # fmt: skip

    def padded(self, pad: float = VIEW_PAD) -> View:
        """The view grown by ``pad`` of its height and width on every side."""
        dy = (self.north - self.south) * pad
        dx = (self.east - self.west) * pad
        return View(self.south - dy, self.west - dx, self.north + dy, self.east + dx, self.zoom)


def fitted_zoom(
    min_lng: float, min_lat: float, max_lng: float, max_lat: float, height_px: int
) -> int:
    """The highest zoom at which the box fits ``height_px`` pixels of map height (Web
    Mercator, 256-pixel tiles): the zoom Leaflet fits the box to on a map that tall,
    or a lower one on a narrow map. A view reported at this zoom or below shows the
    map as first drawn, so it is not a reason to draw it again.
    """

    def y(lat: float) -> float:
        rad = np.radians(lat)
        return float(np.log(np.tan(np.pi / 4 + rad / 2)) / (2 * np.pi))  # in world widths

    world = abs(y(max_lat) - y(min_lat))  # box height in world units (one tile at zoom 0)
    if world <= 0:
        return 22
    return max(0, int(np.floor(np.log2(height_px / (256.0 * world)))))


def view_from_event(event: Mapping[str, Any] | None) -> View | None:
    """The view ``st_folium`` reported (``bounds`` and ``zoom``), if a usable one."""
    if not isinstance(event, Mapping):
        return None
    bounds, zoom = event.get("bounds"), event.get("zoom")
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]  # type: ignore[index]
        view = View(float(sw["lat"]), float(sw["lng"]), float(ne["lat"]), float(ne["lng"]),
                    int(zoom))  # type: ignore[arg-type]  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= view.south < view.north <= 90 and -180 <= view.west < view.east <= 180):
        return None
    return view


def feature_count(layers: Sequence[HexLayer]) -> int:
    """Polygons the layers would send."""
    return sum(len(layer.geojson["features"]) for layer in layers)


def _first_vertices(features: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Each feature's first vertex as (lng, lat); NaN for one that is not a polygon."""
    out = np.full((len(features), 2), np.nan)
    for i, f in enumerate(features):
        geometry = f["geometry"]
        coords = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            out[i] = coords[0][0]
        elif geometry["type"] == "MultiPolygon":
            out[i] = coords[0][0][0]
    return out


def clip_to_view(layer: HexLayer, view: View, pad: float = VIEW_PAD) -> HexLayer:
    """``layer`` with only the polygons that start inside the padded view."""
    features = layer.geojson["features"]
    if not features:
        return layer
    box = view.padded(pad)
    xy = _first_vertices(features)
    inside = (
        (xy[:, 0] >= box.west) & (xy[:, 0] <= box.east)
        & (xy[:, 1] >= box.south) & (xy[:, 1] <= box.north)
    )  # fmt: skip
    kept = [f for f, keep in zip(features, inside, strict=True) if keep]
    return replace(layer, geojson={**layer.geojson, "features": kept, FOR_ONE_VIEW: True})


def keep_strongest(
    layers: Sequence[HexLayer], limit: int = MAX_HEXAGONS
) -> tuple[list[HexLayer], int]:
    """At most ``limit`` polygons in all: those of the highest class (the absolute class
    index: the darkest count band, the most confident hot and cold spots) first, across
    the layers shown; layers that are switched off keep nothing once the limit binds.
    Returns the layers and how many polygons were left out."""
    total = feature_count(layers)
    if total <= limit:
        return list(layers), 0
    strength = []
    for n, layer in enumerate(layers):
        bands = np.array(
            [abs(int(f["properties"].get("band") or 0)) for f in layer.geojson["features"]],
            dtype=np.int64,
        )
        shown = np.full(len(bands), int(layer.show))
        strength.append(
            np.column_stack([shown, bands, np.full(len(bands), n), np.arange(len(bands))])
        )
    allrows = np.concatenate(strength).astype(np.int64) if strength else np.empty((0, 4), np.int64)
    order = np.lexsort((allrows[:, 3], -allrows[:, 1], -allrows[:, 0]))[:limit]
    chosen = allrows[order]
    out = []
    for n, layer in enumerate(layers):
        idx = np.sort(chosen[chosen[:, 2] == n][:, 3])
        features = layer.geojson["features"]
        out.append(
            replace(
                layer,
                geojson={
                    **layer.geojson,
                    "features": [features[i] for i in idx],
                    FOR_ONE_VIEW: True,
                },
            )
        )
    return out, total - limit
