"""Cached wrappers (the only cached functions), one module per lens, keyed on explicit
hashable values: the configuration path and fingerprint, the store's data version and the
filters — never a DataFrame.

- :mod:`ui.cache.base`: the configuration, the store (and the store a role's analyses run
  on), the study area, the months with data, the loaded feeds and the pattern window;
- :mod:`ui.cache.overview`, :mod:`~ui.cache.hotspots`, :mod:`~ui.cache.recurring`,
  :mod:`~ui.cache.profile`, :mod:`~ui.cache.missing`, :mod:`~ui.cache.schools`,
  :mod:`~ui.cache.youth_work`, :mod:`~ui.cache.disproportionality`,
  :mod:`~ui.cache.story` and :mod:`~ui.cache.pack`: what one page (one lens) shows.

Pages import a lens's module (``from ui.cache import recurring``); what every page shares
is importable from the package itself (``from ui import cache; cache.get_config()``).
"""

from __future__ import annotations

from ui.cache.base import (
    analysis_window,
    feeds,
    feeds_used,
    get_area,
    get_config,
    get_store,
    months,
    store_as,
)
from ui.cache.overview import overview_layers  # the incident layer several pages draw

__all__ = [
    "analysis_window",
    "feeds",
    "feeds_used",
    "get_area",
    "get_config",
    "get_store",
    "months",
    "overview_layers",
    "store_as",
]
