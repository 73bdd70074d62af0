"""Time-of-week blocks (geo.core.time_of_week): one definition for every page.

The Location profile and the Youth work page used to disagree about Friday evening (the
profile counted it as a weekday evening); both now use :data:`DEFAULT_BLOCKS`, where
Friday 19:00-23:00 is a weekend evening.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.config import Config
from geo.core.filters import Filters
from geo.core.time_of_week import (
    DEFAULT_BLOCK_LABELS,
    DEFAULT_BLOCKS,
    TimeBlock,
    block_hours,
    block_index,
    block_labels,
    block_of,
    check_blocks,
)
from geo.lenses import coverage as cv
from geo.lenses import profiles
from tests.geo.disclosure.test_privacy_disclosure import OTHER, cell_at, make_config

# Wednesday 6 March 2024, Friday 8, Saturday 9, Sunday 10, Monday 11
WED, FRI, SAT, SUN, MON = "2024-03-06", "2024-03-08", "2024-03-09", "2024-03-10", "2024-03-11"


# ------------------------------------------------------------------------------- blocks
@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (f"{WED} 14:59", ""),
        (f"{WED} 15:00", "after_school"),
        (f"{WED} 18:59", "after_school"),
        (f"{WED} 19:00", "weekday_evening"),
        (f"{WED} 22:59", "weekday_evening"),
        (f"{WED} 23:00", ""),
        (f"{FRI} 18:59", "after_school"),
        (f"{FRI} 19:00", "weekend_evening"),  # Friday evening is a weekend evening
        (f"{SAT} 09:59", ""),
        (f"{SAT} 10:00", "weekend_day"),
        (f"{SAT} 18:59", "weekend_day"),
        (f"{SUN} 19:00", "weekend_evening"),
        (f"{SUN} 22:59", "weekend_evening"),
        (f"{SUN} 23:00", ""),
        (f"{MON} 00:00", ""),
    ],
)
def test_block_edges(stamp: str, expected: str) -> None:
    assert block_of([pd.Timestamp(stamp)])[0] == expected


def test_block_of_missing_time_and_seconds() -> None:
    got = block_of(pd.to_datetime([None, f"{WED} 18:59:59", f"{WED} 14:59:59"], format="ISO8601"))
    assert got.tolist() == ["", "after_school", ""]


LATE = TimeBlock("late", "Late (Fri-Sat 22:00-02:00)", (4, 5), time(22), time(2))


def test_block_across_midnight_belongs_to_its_start_day() -> None:
    times = pd.to_datetime(
        [
            f"{FRI} 21:59",
            f"{FRI} 22:00",
            f"{SAT} 01:59",  # Friday night
            f"{SAT} 02:00",
            f"{SUN} 01:00",  # Saturday night
            f"{MON} 01:00",  # Sunday night: Sunday is not a start day
            f"{SAT} 00:30",
        ]
    )
    assert block_of(times, (LATE,)).tolist() == ["", "late", "late", "", "late", "", "late"]
    h = block_hours([pd.Timestamp(f"{FRI} 21:00")], [pd.Timestamp(f"{SAT} 03:00")], (LATE,))
    assert h[0, 0] == pytest.approx(4.0)


def test_check_blocks_refuses_overlaps_and_bad_blocks() -> None:
    check_blocks(DEFAULT_BLOCKS)
    overlapping = (
        TimeBlock("a", "A", (0,), time(15), time(19)),
        TimeBlock("b", "B", (0,), time(18), time(20)),
    )
    with pytest.raises(ValueError, match="overlap"):
        check_blocks(overlapping)
    # an overnight window spilling into the next day's block overlaps too
    with pytest.raises(ValueError, match="overlap"):
        check_blocks((LATE, TimeBlock("early", "Early", (5,), time(1), time(3))))
    with pytest.raises(ValueError, match="distinct"):
        check_blocks((DEFAULT_BLOCKS[0], DEFAULT_BLOCKS[0]))
    with pytest.raises(ValueError, match="weekdays"):
        TimeBlock("x", "X", (7,), time(1), time(2))


def test_block_hours_split_sessions_at_block_edges() -> None:
    starts = pd.to_datetime(
        [
            "2024-03-05 18:00",  # Tuesday 18-21: 1 h after school, 2 h weekday evening
            "2024-03-07 18:30",  # Thursday 18:30-23:30: 0.5 h + 4 h (23:00 ends the block)
            f"{FRI} 18:00",  # Friday 18-21: 1 h after school, 2 h weekend evening
            f"{SAT} 09:00",  # Saturday 09-11: 1 h weekend day
            f"{WED} 14:59:30",  # 30 seconds in the block
            f"{WED} 16:00",  # ends before it starts: nothing
            "2024-03-04 00:00",  # a whole week
        ],
        format="ISO8601",
    )
    ends = pd.to_datetime(
        [
            "2024-03-05 21:00",
            "2024-03-07 23:30",
            f"{FRI} 21:00",
            f"{SAT} 11:00",
            f"{WED} 15:00:30",
            f"{WED} 15:00",
            "2024-03-11 00:00",
        ],
        format="ISO8601",
    )
    h = block_hours(starts, ends)
    names = [b.name for b in DEFAULT_BLOCKS]
    assert names == ["after_school", "weekday_evening", "weekend_day", "weekend_evening"]
    expected = np.array(
        [
            [1.0, 2.0, 0.0, 0.0],
            [0.5, 4.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 2.0],
            [0.0, 0.0, 1.0, 0.0],
            [1.0 / 120.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [20.0, 16.0, 18.0, 12.0],  # weekly totals of the default blocks
        ]
    )
    np.testing.assert_allclose(h, expected, atol=1e-9)


def test_default_block_labels_follow_the_blocks() -> None:
    assert block_labels() == DEFAULT_BLOCK_LABELS == {b.name: b.label for b in DEFAULT_BLOCKS}
    assert DEFAULT_BLOCK_LABELS["weekend_evening"] == "Weekend evenings (Fri-Sun 19:00-23:00)"
    assert DEFAULT_BLOCK_LABELS["weekday_evening"] == "Weekday evenings (Mon-Thu 19:00-23:00)"


# ------------------------------------------------------------------------------- Friday 20:00
FRIDAY_8PM = f"{FRI} 20:00"
WEEKEND_EVENING = [b.name for b in DEFAULT_BLOCKS].index("weekend_evening")


class _TableStore:
    """The store's read interface (``query``) over in-memory tables: one incident and
    one youth-work session, both on Friday at 20:00 in one res-9 cell."""

    def __init__(self, cell11: int) -> None:
        self._con = duckdb.connect()
        parents = {f"cell_{r}": int(hexes.cells_to_parent([cell11], r)[0]) for r in (7, 8, 9, 10)}
        cols = ", ".join(f"{c} UBIGINT" for c in parents)
        vals = ", ".join(str(v) for v in parents.values())
        self._con.execute(
            f"CREATE TABLE incidents (source VARCHAR, category VARCHAR, occurred_at TIMESTAMP, "
            f"time_precision VARCHAR, cell UBIGINT, {cols})"
        )
        self._con.execute(
            f"INSERT INTO incidents VALUES ('partner', 'robbery', TIMESTAMP '{FRIDAY_8PM}', "
            f"'minute', {cell11}, {vals})"
        )
        self._con.execute(
            f"CREATE TABLE missing_episodes (reported_at TIMESTAMP, returned_at TIMESTAMP, "
            f"rhi_themes VARCHAR, {cols})"
        )
        self._con.execute(
            "CREATE TABLE schools (name VARCHAR, phase VARCHAR, kind VARCHAR, cell UBIGINT)"
        )
        self._con.execute(
            "CREATE TABLE youth_sessions (source VARCHAR, session_id VARCHAR, "
            "started_at TIMESTAMP, ended_at TIMESTAMP, is_area BOOLEAN, cell UBIGINT)"
        )
        self._con.execute(
            f"INSERT INTO youth_sessions VALUES ('yw', 's1', TIMESTAMP '{FRIDAY_8PM}', "
            f"TIMESTAMP '{FRI} 21:00', false, {cell11})"
        )
        self._con.execute(
            "CREATE TABLE youth_session_cells (source VARCHAR, session_id VARCHAR, cell UBIGINT)"
        )

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        return self._con.execute(sql, params or []).df()

    def has_table(self, name: str) -> bool:
        found = self._con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(found and found[0])


@pytest.fixture
def friday(tmp_path: Path) -> tuple[Any, str, Config]:
    cell11 = cell_at(OTHER, 11)
    cell9 = str(hexes.cells_to_str(hexes.cells_to_parent([cell11], 9))[0])
    return _TableStore(cell11), cell9, make_config(tmp_path, None)


def test_friday_8pm_is_a_weekend_evening_in_the_blocks() -> None:
    stamp = [pd.Timestamp(FRIDAY_8PM)]
    assert block_of(stamp).tolist() == ["weekend_evening"]
    assert block_index(stamp).tolist() == [WEEKEND_EVENING]
    hours = block_hours(stamp, [pd.Timestamp(f"{FRI} 21:00")])
    assert hours[0].tolist() == [0.0, 0.0, 0.0, 1.0] and WEEKEND_EVENING == 3


def test_friday_8pm_is_a_weekend_evening_on_the_youth_work_page(friday: Any) -> None:
    store, cell9, _ = friday
    window = Filters("2024-03", "2024-03")
    need = cv.need(store, window, 9).table
    assert need[["cell", "block", "incidents"]].to_numpy().tolist() == [
        [cell9, "weekend_evening", 1]
    ]
    hours = cv.session_hours(store, window, 9, 400.0, cells=[cell9])
    assert hours.set_index("block")["hours"].to_dict() == {
        "after_school": 0.0, "weekday_evening": 0.0, "weekend_day": 0.0, "weekend_evening": 1.0
    }  # fmt: skip


def test_friday_8pm_is_a_weekend_evening_on_the_location_profile(friday: Any) -> None:
    store, cell9, config = friday
    months = ["2024-03"]
    got = profiles.build_profile(
        store, cell9, Filters("2024-03", "2024-03"), months, "analyst", config
    )
    table = got.youth_work
    assert list(table.index) == [b.name for b in DEFAULT_BLOCKS]
    assert table["incidents"].to_dict() == {
        "after_school": 0, "weekday_evening": 0, "weekend_day": 0, "weekend_evening": 1
    }  # fmt: skip
    assert table["sessions"].to_dict() == {
        "after_school": 0, "weekday_evening": 0, "weekend_day": 0, "weekend_evening": 1
    }  # fmt: skip
    assert table.loc["weekend_evening", "hours"] == 1.0
    # the page shows the blocks by the same labels as the Youth work page
    shown = table.rename(index=DEFAULT_BLOCK_LABELS)
    assert "Weekend evenings (Fri-Sun 19:00-23:00)" in shown.index
