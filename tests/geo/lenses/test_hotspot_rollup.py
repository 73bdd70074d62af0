"""Emerging hot spots shown at a coarser resolution than they are worked out at
(geo.lenses.hotspot_report.roll_up_emerging and the trend window)."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.filters import Filters
from geo.lenses.hotspot_report import roll_up_emerging, trend_text, trend_window
from geo.stats.emerging import CATEGORY_NAMES, EmergingHotspots

PARENT_A = h3.latlng_to_cell(51.535, 0.03, 8)
PARENT_B = h3.latlng_to_cell(51.55, 0.06, 8)
PARENT_EMPTY = h3.latlng_to_cell(51.52, 0.0, 8)
MONTHS = ["2024-01", "2024-02", "2024-03"]


def _result(rows: dict[str, tuple[int, float, list[int]]]) -> tuple[EmergingHotspots, pd.DataFrame]:
    """Fine cells -> (code, events per month, bins per month)."""
    index = list(rows)
    cube = pd.DataFrame([[rows[c][1]] * 3 for c in index], index=index, columns=MONTHS)
    codes = [rows[c][0] for c in index]
    cells = pd.DataFrame(
        {
            "code": codes,
            "category": [CATEGORY_NAMES[c] for c in codes],
            "trend_z": 0.0,
            "trend_p": 0.5,
            "hot_bins": [sum(b > 0 for b in rows[c][2]) for c in index],
            "cold_bins": [sum(b < 0 for b in rows[c][2]) for c in index],
            "final_run": 0,
        },
        index=index,
    )
    bins = pd.DataFrame([rows[c][2] for c in index], index=index, columns=MONTHS)
    return EmergingHotspots(cells=cells, bins=bins, z=bins.astype(float)), cube


def test_a_coarse_cell_shows_its_busiest_hot_pattern() -> None:
    a = h3.cell_to_children(PARENT_A, 9)
    b = h3.cell_to_children(PARENT_B, 9)
    em, cube = _result(
        {
            a[0]: (-4, 50.0, [-3, -3, -3]),  # a busier cold spot does not hide a hot one
            a[1]: (6, 5.0, [0, 2, 1]),  # sporadic, quiet (a neighbour's spill-over)
            a[2]: (4, 20.0, [3, 3, 3]),  # persistent, the core
            a[3]: (0, 0.0, [0, 0, 0]),
            b[0]: (-2, 3.0, [0, -2, -2]),  # only cold patterns: the cold one shows
            b[1]: (0, 9.0, [0, 0, 0]),
        }
    )
    grid = hexes.str_to_cells([PARENT_A, PARENT_B, PARENT_EMPTY])
    rolled, coarse = roll_up_emerging(em, cube, 8, grid)
    assert list(rolled.cells.index) == sorted([PARENT_A, PARENT_B, PARENT_EMPTY])
    assert rolled.cells.loc[PARENT_A, "category"] == "Persistent Hot Spot"
    assert rolled.bins.loc[PARENT_A].tolist() == [3, 3, 3]  # the core's months
    assert rolled.cells.loc[PARENT_B, "code"] == -2
    assert rolled.cells.loc[PARENT_EMPTY, "code"] == 0  # no finer cell: no pattern
    assert rolled.cells.loc[PARENT_EMPTY, "category"] == CATEGORY_NAMES[0]
    # counts add up over the finer cells
    assert coarse.loc[PARENT_A].tolist() == [75.0] * 3
    assert coarse.loc[PARENT_EMPTY].tolist() == [0.0] * 3
    assert rolled.cells["code"].dtype == np.int64


def test_ties_between_equally_busy_hot_cells_go_by_category_order() -> None:
    a = h3.cell_to_children(PARENT_A, 9)
    em, cube = _result({a[0]: (8, 10.0, [3, 0, 0]), a[1]: (3, 10.0, [3, 3, 3])})
    rolled, _ = roll_up_emerging(em, cube, 8)
    assert rolled.cells.loc[PARENT_A, "category"] == "Intensifying Hot Spot"


def test_the_trend_window_is_24_months_to_the_period_end() -> None:
    months = [str(p) for p in pd.period_range("2022-01", "2024-12", freq="M")]
    assert trend_window(Filters("2024-10", "2024-12"), months) == Filters("2023-01", "2024-12")
    short = months[months.index("2023-06") :]
    assert trend_window(Filters("2024-07", "2024-09"), short) == Filters("2023-06", "2024-09")
    assert trend_text(Filters("2023-01", "2024-12")) == (
        "trend over the 24 months to 2024-12 (2023-01 to 2024-12)"
    )
