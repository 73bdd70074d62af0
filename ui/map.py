"""Rendering folium maps in Streamlit and reading their click events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.core import hexes
from geo.render.hexlayer import HexLayer
from geo.render.maps import fit_to_viewport
from geo.render.viewport import (
    MAX_HEXAGONS,
    View,
    clip_to_view,
    feature_count,
    fitted_zoom,
    keep_strongest,
    view_from_event,
)
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


def _component_key(key: str) -> str:
    """The map component's key: a map is drawn afresh when presentation mode changes."""
    return f"{key}-present" if st.session_state.get(KEY_PRESENT) else key


#: The coarsest resolution a map falls back to when the view holds too many hexagons.
COARSEST_RES = 7


@dataclass(frozen=True)
class Screen:
    """What one map sends (:func:`on_screen`).

    Attributes
    ----------
    layers : list of HexLayer
        The layers to draw (all of them, or those in view).
    view : View or None
        The view to open the map at (None: fit the study area).
    note : str or None
        What the viewer should know about what is not drawn.
    follows : bool
        The map reports its view, and the page redraws what is in it.
    """

    layers: list[HexLayer]
    view: View | None
    note: str | None
    follows: bool


def on_screen(
    layers: Sequence[HexLayer],
    key: str,
    res: int,
    coarser: Callable[[int], Sequence[HexLayer]] | None = None,
    area_bounds: tuple[float, float, float, float] | None = None,
    height: int = 560,
) -> Screen:
    """The part of ``layers`` the map at ``key`` sends (see :mod:`geo.render.viewport`).

    Up to :data:`MAX_HEXAGONS` polygons, everything (the map is unchanged). Past it,
    the hexagons in the view the map last reported (the whole area before it has
    reported one); while that is still too many, ``coarser(r)`` at resolution ``r``
    one coarser each time (down to :data:`COARSEST_RES`), else the strongest first.
    A view that holds the whole area (``area_bounds``: min lng, min lat, max lng, max
    lat), or is at the zoom the area is fitted to on a map ``height`` pixels tall or
    below (:func:`geo.render.viewport.fitted_zoom`), is drawn as the first map was,
    fitted to the area: the map the viewer has is not drawn again just because it
    reported where it is, and only zooming in makes the map follow.
    """
    if feature_count(layers) <= MAX_HEXAGONS:
        return Screen(list(layers), None, None, False)
    view = view_from_event(st.session_state.get(_component_key(key)))
    if view is not None and area_bounds is not None:
        tallest = int(height * (PRESENTATION_SCALE if st.session_state.get(KEY_PRESENT) else 1))
        if view.zoom <= fitted_zoom(*area_bounds, tallest) or view.covers(*area_bounds):
            # the map as first drawn, whole and fitted: a map reports its view as it
            # lays out (a view shifted by the page settling around it, not the viewer),
            # and drawing it again at that view would report another, and so on
            view = None
    current, drawn = list(layers), res
    while True:
        shown = [clip_to_view(x, view) for x in current] if view else current
        if feature_count(shown) <= MAX_HEXAGONS or coarser is None or drawn <= COARSEST_RES:
            break
        drawn -= 1
        current = list(coarser(drawn))
    shown, left_out = keep_strongest(shown)
    note = None
    if drawn < res:
        note = (
            f"Drawn at resolution {drawn}: at resolution {res} this view holds more "
            f"hexagons than one map can draw ({MAX_HEXAGONS:,}). Zoom in to see "
            f"resolution {res}; the map follows you."
        )
    if left_out:
        note = (
            f"{left_out:,} hexagons of the lowest classes in this view are not drawn (a "
            f"map draws at most {MAX_HEXAGONS:,}, strongest first): zoom in to see them."
        )
    return Screen(shown, view, note, True)


def show_map(
    m: folium.Map, key: str, height: int = 560, follow: bool = False
) -> dict[str, Any] | None:
    """Render a map and return its click events only (no pan/zoom reruns unless
    ``follow``: then also its bounds and zoom, for :func:`on_screen`).

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
        key=_component_key(key),
        height=height,
        use_container_width=True,
        returned_objects=["last_object_clicked", "bounds", "zoom"]
        if follow
        else ["last_object_clicked"],
    )
    return result
