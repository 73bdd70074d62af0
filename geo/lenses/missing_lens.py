"""The old name of :mod:`geo.lenses.missing_view`: re-exports only, while ui/ and pages/
import these names here (repoint them, then delete this module).

* ``MissingView`` and ``missing_view`` (ui/cache.py) live in :mod:`geo.lenses.missing_view`;
* ``withheld_note`` (pages/missing.py, pages/schools.py) lives in
  :mod:`geo.disclosure.missing`.
"""

from __future__ import annotations

from geo.disclosure.missing import withheld_note
from geo.lenses.missing_view import MissingView, missing_view

__all__ = ["MissingView", "missing_view", "withheld_note"]
