"""Rendering folium maps in Streamlit and reading their click events."""

from __future__ import annotations

from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.core import hexes
from geo.render.maps import fit_to_viewport
from ui.state import KEY_PRESENT


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


#: How much taller maps may be drawn in presentation mode (for projectors): the most a
#: map takes; :func:`geo.render.maps.fit_to_viewport` shortens it to what is left of the screen.
PRESENTATION_SCALE = 1.5


def show_map(m: folium.Map, key: str, height: int = 560) -> dict[str, Any] | None:
    """Render a map and return its click events only (no pan/zoom reruns).

    In presentation mode (``st.session_state["present"]``) the map is full width and
    follows the browser window: up to ``PRESENTATION_SCALE`` times taller, and no taller
    than the room left between its top and the bottom of the window, so the map and
    its legend (a control on the map) fit the first screen. The frame is drawn afresh
    when presentation mode is switched (its key changes), since a map keeps the height
    it was first drawn with.
    """
    present = bool(st.session_state.get(KEY_PRESENT))
    if present:
        height = int(height * PRESENTATION_SCALE)
        if isinstance(m, folium.Map):
            fit_to_viewport(m, max_height=height)
    result: dict[str, Any] | None = st_folium(
        m,
        key=f"{key}-present" if present else key,
        height=height,
        use_container_width=True,
        returned_objects=["last_object_clicked"],
    )
    return result
