"""Cached wrapper of This quarter: the quarter's story, its places' names and its map layer."""

from __future__ import annotations

from geo.core.filters import Filters
from geo.disclosure import as_role
from geo.disclosure.views import min_records_described
from geo.lenses import story as story_mod
from geo.render import layers
from geo.render.hexlayer import HexLayer
from geo.store.place_names import place_names
from ui.cache.base import cache_data, get_config, store_as
from ui.cache.hotspots import hotspot_report

__all__ = ["quarter_story", "quarter_summary"]


def _told(
    fingerprint: str,
    version: str,
    role: str,
    res: int,
    quarter: Filters,
    *,
    describe: bool,
) -> story_mod.QuarterStory:
    """The quarter's story from the story's layers' hot spot reports, as the Hot spots
    page has them (each place's sentence written only when ``describe``)."""
    config = get_config()
    store = store_as(config, role)
    reports = {
        layer: hotspot_report(fingerprint, version, role, layer, res, quarter)
        for layer in story_mod.story_layers(store)
    }
    exact = as_role(role).sees_exact_counts
    min_records = min_records_described(role, config)
    return story_mod.quarter_story(
        store, reports, quarter, res, exact, min_records, describe=describe
    )


@cache_data(show_spinner="Reading the quarter…", max_entries=16)
def quarter_story(
    fingerprint: str, version: str, role: str, res: int, quarter: Filters
) -> tuple[story_mod.QuarterStory, tuple[str, ...], HexLayer]:
    """The quarter's story for ``role`` at ``res``: the places, their names (public
    sources only) and the map layer. Hot spot months come from the same reports as the
    Hot spots page (:func:`hotspot_report` with ``quarter`` as the chosen period)."""
    config = get_config()
    store = store_as(config, role)
    told = _told(fingerprint, version, role, res, quarter, describe=True)
    names = tuple(str(n) for n in place_names(store, list(told.places["cell"]), res))
    layer = layers.story_layer(told, names, role, res, config)
    return told, names, layer


@cache_data(show_spinner=False, max_entries=64)
def quarter_summary(fingerprint: str, version: str, role: str, res: int, quarter: Filters) -> str:
    """The one sentence of :func:`quarter_story` (how many places of each status) for the
    Overview's link to it: the same reports and statuses, without reading the store for
    each place's sentence, its name or its map layer."""
    return _told(fingerprint, version, role, res, quarter, describe=False).summary()
