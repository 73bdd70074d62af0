"""Cached wrappers of the Review pack page: the quarters a pack can be built for and the
pack itself."""

from __future__ import annotations

from geo.disclosure import store_for
from geo.render import briefing
from ui.cache.base import cache_data, get_area, get_config, get_store

__all__ = ["review_pack", "review_quarters"]


@cache_data(show_spinner=False, max_entries=4)
def review_quarters(fingerprint: str, version: str) -> list[str]:
    """Whole quarters a review pack can be built for (``"2024Q3"``)."""
    return briefing.available_quarters(get_store(get_config()))


@cache_data(show_spinner="Building the review pack…", max_entries=8)
def review_pack(
    fingerprint: str, version: str, quarter: str, audience: str
) -> tuple[bytes, str, bytes, tuple[str, ...]]:
    """The review pack PDF, its HTML, the 7-minute briefing PDF and the headlines."""
    config = get_config()
    store = store_for(get_store(config), audience, config)
    pack = briefing.build_pack(store, get_area(config), config, quarter, audience)
    return (
        briefing.pack_pdf(pack),
        briefing.pack_html(pack),
        briefing.seven_minute_pdf(pack),
        pack.headlines,
    )
