"""Cached wrappers (the only cached functions), one module per lens, keyed on explicit
hashable values: the configuration path and fingerprint, the store's data version and the
filters — never a DataFrame.

- :mod:`ui.cache.base`: the configuration, the store (and the store a role's analyses run
  on), the study area, the months with data, the loaded feeds and the pattern window;
- :mod:`ui.cache.overview`, :mod:`~ui.cache.hotspots`, :mod:`~ui.cache.recurring`,
  :mod:`~ui.cache.profile`, :mod:`~ui.cache.missing`, :mod:`~ui.cache.schools`,
  :mod:`~ui.cache.health`,
  :mod:`~ui.cache.youth_work`, :mod:`~ui.cache.disproportionality`,
  :mod:`~ui.cache.story` and :mod:`~ui.cache.pack`: what one page (one lens) shows.

Pages import a lens's module (``from ui.cache import recurring``); what every page shares
is importable from the package itself (``from ui import cache; cache.get_config()``).
"""

from __future__ import annotations

from ui.cache import base
from ui.cache.base import analysis_window as analysis_window
from ui.cache.base import feeds as feeds
from ui.cache.base import feeds_used as feeds_used
from ui.cache.base import get_area as get_area
from ui.cache.base import get_config as get_config
from ui.cache.base import get_store as get_store
from ui.cache.base import months as months
from ui.cache.base import place_names_of as place_names_of
from ui.cache.base import store_as as store_as
from ui.cache.overview import overview_layers as overview_layers  # drawn by several pages

__all__ = [*base.__all__, "overview_layers"]
