"""Static maps for printed packs: hex layers and the study-area outline, no web tiles.

A :class:`geo.render.hexlayer.HexLayer` is already what a role may see (disclosure-controlled
values, allow-listed properties), so a static map is drawn from the layer's own
GeoJSON and legend and never from raw data. Coordinates are EPSG:4326 degrees,
drawn with the x axis scaled by cos(latitude) so the map is not stretched.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from shapely.geometry.base import BaseGeometry  # noqa: E402

from geo.render.hexlayer import WITHHELD_COLOUR, HexLayer, outer_rings


def _boundary_rings(boundary: BaseGeometry) -> list[np.ndarray]:
    geoms = getattr(boundary, "geoms", [boundary])
    return [np.asarray(g.exterior.coords, dtype=float) for g in geoms if hasattr(g, "exterior")]


def render_layers(
    layers: Sequence[HexLayer],
    boundary: BaseGeometry,
    title: str,
    *,
    width_in: float = 7.0,
    dpi: int = 150,
    annotate_ranks: bool = False,
) -> bytes:
    """Draw hex layers over the study-area outline and return a PNG.

    Parameters
    ----------
    layers : sequence of HexLayer
        Drawn in order: filled with each feature's ``colour`` property, or as
        outlines when the layer is ``outline_only``.
    boundary : shapely geometry
        The study area (EPSG:4326).
    title : str
        Fixed text above the map.
    width_in, dpi : float, int
        Figure width in inches and resolution.
    annotate_ranks : bool
        Write a feature's rank ("#3", the start of its label) on it.

    Returns
    -------
    bytes
        The PNG image.
    """
    outline = _boundary_rings(boundary)
    lat0 = float(np.mean([r[:, 1].mean() for r in outline])) if outline else 51.5
    aspect = 1.0 / np.cos(np.deg2rad(lat0))
    minx, miny, maxx, maxy = boundary.bounds
    height_in = width_in * (maxy - miny) * aspect / max(maxx - minx, 1e-9) + 0.9
    fig, ax = plt.subplots(figsize=(width_in, min(max(height_in, 3.0), 9.0)), dpi=dpi)
    handles: list[Patch] = []
    for layer in layers:
        polys, colours = [], []
        for feature in layer.geojson["features"]:
            for ring in outer_rings(feature["geometry"]):
                polys.append(ring)
                colours.append(str(feature["properties"].get("colour") or WITHHELD_COLOUR))
        if annotate_ranks:
            for feature in layer.geojson["features"]:
                label = str(feature["properties"].get("label", ""))
                rank = label.split(" ", 1)[0]
                if rank.startswith("#") and rank[1:].isdigit():
                    ring = outer_rings(feature["geometry"])[0]
                    ax.annotate(rank, ring[:-1].mean(axis=0), ha="center", va="center",
                                fontsize=6, zorder=5)  # fmt: skip
        if polys:
            if layer.outline_only:
                coll = PolyCollection(polys, facecolors="none", edgecolors=colours, linewidths=1.2)
            else:
                coll = PolyCollection(
                    polys, facecolors=colours, edgecolors="#555555", linewidths=0.3, alpha=0.85
                )
            ax.add_collection(coll)
        for colour, text in layer.legend:
            handles.append(Patch(facecolor=colour, edgecolor="#555555", label=text))
    for ring in outline:
        ax.plot(ring[:, 0], ring[:, 1], color="#222222", linewidth=1.0)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect(aspect)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    if handles:
        ax.legend(
            handles=handles[:12], loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
            frameon=False,
        )  # fmt: skip
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
