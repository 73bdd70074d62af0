"""Array type aliases shared by every stage (one definition each).

Cells are H3 indexes as ``uint64`` (:data:`CellArray`); :mod:`geo.core.hexes` is the only
place they turn into strings and back.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "CellArray", "FloatArray", "IntArray"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: H3 cell indexes as unsigned 64-bit integers.
CellArray = npt.NDArray[np.uint64]
