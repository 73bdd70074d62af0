"""What every page starts from: one :class:`PageContext` built by :func:`page_context`.

app.py draws what all pages share once per run, before the page runs: the "View as"
choice, the filter sidebar (period, categories, resolution), presentation mode, the
synthetic-data banner and the share link. A page's first line is
``ctx = page_context(<roles>)``: it stops the page unless the viewing role may see it
and returns the configuration, store, role, filters and resolution those shared
controls chose. Pages read data only through ``ui.cache`` and the context's helpers,
never from the store (they pass ``ctx.store`` on to ``ui`` functions that audit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import numpy as np
import numpy.typing as npt
import pandas as pd
import streamlit as st

from geo.core.area import StudyArea
from geo.core.config import Config
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.render.hexlayer import HexLayer
from geo.render.maps import build_map
from geo.render.viewport import View
from geo.store.catalogue import Feed, loaded
from geo.store.database import Store
from geo.store.place_names import with_place_names
from ui import auth, cache, state
from ui.map import on_screen, show_map

__all__ = ["PageContext", "page_context"]


@dataclass(frozen=True)
class PageContext:
    """The view a page renders: who is looking, at which data, with which filters.

    Attributes
    ----------
    config : Config
        The PlaceSafe configuration.
    store : Store
        The shared store connection (exact data); pages pass it to ``ui`` functions
        that write the audit log and never query it themselves.
    version : str
        The store's data version (a cache key).
    role : str
        The viewing role (``""`` for an admin with no data role).
    res : int
        The H3 resolution chosen in the sidebar (already one the role may see).
    filters : Filters
        The period and categories chosen in the sidebar (a whole quarter and every
        category for the partnership).
    """

    config: Config
    store: Store
    version: str
    role: str
    res: int
    filters: Filters

    @property
    def fp(self) -> str:
        """The configuration's fingerprint (a cache key)."""
        return self.config.fingerprint

    @property
    def area(self) -> StudyArea:
        """The configured study area."""
        return cache.get_area(self.config)

    @property
    def partnership(self) -> bool:
        """Whether the page renders the partnership's (published) view."""
        return self.role == Role.PARTNERSHIP

    def months(self) -> list[str]:
        """Months with data."""
        return cache.months(self.fp, self.version)

    def window(self) -> Filters:
        """The window of pattern analyses for this role
        (:func:`geo.disclosure.views.pattern_window`)."""
        return cache.analysis_window(self.fp, self.version, self.role, self.filters)

    def feeds(self) -> list[Feed]:
        """The loaded feeds, as this role's store holds them."""
        return cache.feeds(self.fp, self.version, self.role)

    def loaded(self, table: str, window: Filters | None = None) -> bool:
        """Whether a feed of ``table`` covering ``window`` (default: the chosen period)
        is loaded; a layer of a feed that is not reads "not loaded", never zeros."""
        return loaded(self.feeds(), table, self.filters if window is None else window)

    def feeds_used(self, tables: tuple[str, ...], window: Filters) -> str:
        """The sentence naming the feeds and months an analysis of ``tables`` used."""
        return cache.feeds_used(self.fp, self.version, self.role, tables, window)

    def place_name(self, cell: str, res: int | None = None) -> str:
        """The place name of ``cell`` (from public sources only)."""
        return cache.place_names_of(self.fp, self.version, self.role, (str(cell),), res)[0]

    def place_names(self, cells: Sequence[str]) -> dict[str, str]:
        """Each cell's place name (from public sources only)."""
        given = tuple(str(c) for c in cells)
        names = cache.place_names_of(self.fp, self.version, self.role, given)
        return dict(zip(cells, names, strict=True))

    def with_place_names(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the place name of its ``cell`` column (public sources only)."""

        def names_of(cells: npt.NDArray[np.object_]) -> tuple[str, ...]:
            return cache.place_names_of(self.fp, self.version, self.role, tuple(cells.tolist()))

        return with_place_names(cache.store_as(self.config, self.role), frame, names_of=names_of)

    def map(
        self,
        layers: Sequence[HexLayer],
        schools: Sequence[tuple[float, float, str, bool]] = (),
        view: View | None = None,
    ) -> folium.Map:
        """A map of the study area with ``layers`` (and school markers) on the configured
        tiles, fitted to the area or opened at ``view``."""
        area = self.area
        return build_map(
            area.centre,
            area.bounds,
            area.boundary,
            layers,
            schools,
            tiles=self.config.app.tiles,
            view=view,
        )

    def draw_map(
        self,
        layers: Sequence[HexLayer],
        key: str,
        schools: Sequence[tuple[float, float, str, bool]] = (),
        height: int = 560,
        coarser: Callable[[int], Sequence[HexLayer]] | None = None,
    ) -> dict[str, Any] | None:
        """Draw ``layers`` on the study-area map and return its click events.

        A map of more than :data:`geo.render.viewport.MAX_HEXAGONS` hexagons (a
        London-wide area at a fine resolution) follows the viewer: only what is in
        view is sent, at a coarser resolution from ``coarser(res)`` (or strongest
        first) while the view holds too many, with a caption saying so
        (:func:`ui.map.on_screen`). Smaller maps are drawn whole.
        """
        screen = on_screen(layers, key, self.res, coarser, self.area.bounds, height)
        if screen.note:
            st.caption(screen.note)
        return show_map(
            self.map(screen.layers, schools, view=screen.view),
            key=key,
            height=height,
            follow=screen.follows,
        )


def page_context(*allowed: str) -> PageContext:
    """The page's context, after stopping the page unless the viewing role is one of
    ``allowed`` (:func:`ui.auth.require_role`, which says so on the page).

    Parameters
    ----------
    *allowed : str
        Roles that may see the page (``"admin"`` admits an admin whatever role they view as).

    Returns
    -------
    PageContext
        The shared view the sidebar chose.
    """
    auth.require_role(*allowed)
    config = cache.get_config()
    store = cache.get_store(config)
    return PageContext(
        config=config,
        store=store,
        version=store.data_version(),
        role=st.session_state["role"],
        res=int(st.session_state[state.KEY_RES]),
        filters=state.current_filters(),
    )
