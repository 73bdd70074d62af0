"""Rendering folium maps in Streamlit and reading their click events."""

from __future__ import annotations

from typing import Any

import folium
from streamlit_folium import st_folium

from geo import hexes


def selected_cell_from_event(event: dict[str, Any] | None, res: int) -> str | None:
    """The H3 cell (hex string at ``res``) a map click landed in, if any.

    ``st_folium`` returns ``last_object_clicked`` (a GeoJSON feature's click point)
    or ``last_clicked`` as ``{"lat": .., "lng": ..}``; anything else is ignored.
    """
    if not isinstance(event, dict):
        return None
    for key in ("last_object_clicked", "last_clicked"):
        point = event.get(key)
        if isinstance(point, dict):
            try:
                lat, lng = float(point["lat"]), float(point["lng"])
            except (KeyError, TypeError, ValueError):
                continue
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                continue
            cell = hexes.points_to_cells([lat], [lng], res)[0]
            return str(hexes.cells_to_str([cell])[0])
    return None


def show_map(m: folium.Map, key: str, height: int = 560) -> dict[str, Any] | None:
    """Render a map and return its click events only (no pan/zoom reruns)."""
    result: dict[str, Any] | None = st_folium(
        m,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=["last_object_clicked"],
    )
    return result
