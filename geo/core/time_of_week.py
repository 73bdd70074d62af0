"""Time-of-week blocks: the one definition of "after school", "weekend evening" and so on.

Youth work is planned by recurring windows of the week, not by date, so every lens that
groups events or sessions by time of week (the Youth work page's need and coverage, the
Location profile's youth-work table) uses these blocks and :func:`block_of`.

Blocks
------
:data:`DEFAULT_BLOCKS` (configurable; windows are half-open ``[start, end)`` in UK local
clock time, and a window whose ``end`` is not after its ``start`` runs past midnight into
the next day, belonging to the day it *starts*):

============================  =====================================
``after_school``              Monday-Friday 15:00-19:00
``weekday_evening``           Monday-Thursday 19:00-23:00
``weekend_day``               Saturday-Sunday 10:00-19:00
``weekend_evening``           Friday-Sunday 19:00-23:00
============================  =====================================

Friday evening counts as a *weekend* evening: it is the first night with no school
next morning, youth services and the night-time economy treat it so, and the synthetic
demo plants its weekend-evening harm on Friday to Sunday evenings. Blocks may not
overlap (:func:`check_blocks`); times outside every block belong to no block (``''``).

Times are naive UK local clock times, to the minute; seconds (fractions of a minute) are
kept by :func:`block_hours`.

Public API
----------
- ``TimeBlock(name, label, weekdays, start, end, words)``, ``DEFAULT_BLOCKS``,
  ``DEFAULT_BLOCK_LABELS`` (name -> label), ``block_labels(blocks)``, ``DAY_ABBREVIATIONS``,
  ``WEEK_MINUTES``
- ``check_blocks(blocks)``, ``block_of(times, blocks) -> ndarray[str]``,
  ``block_index(times, blocks) -> ndarray[int]``,
  ``block_hours(started, ended, blocks) -> ndarray (sessions, blocks)``
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.types import BoolArray, FloatArray, IntArray

__all__ = [
    "DAY_ABBREVIATIONS",
    "DAY_NAMES",
    "DEFAULT_BLOCKS",
    "DEFAULT_BLOCK_LABELS",
    "WEEK_MINUTES",
    "TimeBlock",
    "block_hours",
    "block_index",
    "block_labels",
    "block_of",
    "check_blocks",
]


#: Minutes in a week; minute-of-week 0 is Monday 00:00.
WEEK_MINUTES: Final = 7 * 24 * 60
_DAY_MINUTES: Final = 24 * 60
#: A Monday, so that minutes since it modulo a week are minutes of the week.
_EPOCH: Final = pd.Timestamp("1970-01-05")
#: Short day names, Monday first (0 = Monday, as in ``TimeBlock.weekdays``).
DAY_ABBREVIATIONS: Final[tuple[str, ...]] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Days of the week in full, Monday first (as ``day_of_week`` numbers them).
DAY_NAMES: Final[tuple[str, ...]] = (
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
)  # fmt: skip


@dataclass(frozen=True)
class TimeBlock:
    """A recurring window of the week (UK local clock time).

    Attributes
    ----------
    name : str
        Machine name (``"weekend_evening"``).
    label : str
        Plain-English label (fixed text, safe to display).
    weekdays : tuple of int
        Days the window *starts* on, 0 = Monday .. 6 = Sunday.
    start, end : datetime.time
        Half-open ``[start, end)``. When ``end <= start`` the window runs past midnight
        into the next day (Friday 20:00-02:00 includes Saturday 01:00); ``start ==
        end`` is a whole day from ``start``.
    words : str
        How reasons name the block ("weekend evenings"); default: the label before
        any parenthesis, in lower case.
    """

    name: str
    label: str
    weekdays: tuple[int, ...]
    start: time
    end: time
    words: str = ""

    def __post_init__(self) -> None:
        if not self.weekdays or any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError(f"block {self.name!r}: weekdays must be 0 (Monday) .. 6 (Sunday)")

    @property
    def phrase(self) -> str:
        """Words for reasons: ``"weekend evenings (Fri-Sun 19:00-23:00)"``."""
        head, _, tail = self.label.partition(" (")
        words = self.words or head.lower()
        return f"{words} ({tail}" if tail else words

    def minute_mask(self) -> BoolArray:
        """Which minutes of the week (0 = Monday 00:00) fall in the block."""
        mask = np.zeros(WEEK_MINUTES, dtype=bool)
        s = self.start.hour * 60 + self.start.minute
        e = self.end.hour * 60 + self.end.minute
        length = e - s if e > s else e - s + _DAY_MINUTES
        for d in self.weekdays:  # at most seven days
            first = d * _DAY_MINUTES + s
            idx = np.arange(first, first + length) % WEEK_MINUTES
            mask[idx] = True
        return mask


#: The default blocks (see the module docstring for why Friday evening is "weekend").
DEFAULT_BLOCKS: Final[tuple[TimeBlock, ...]] = (
    TimeBlock(
        "after_school", "Weekday after school (Mon-Fri 15:00-19:00)",
        (0, 1, 2, 3, 4), time(15), time(19), "weekday afternoons after school",
    ),
    TimeBlock(
        "weekday_evening", "Weekday evenings (Mon-Thu 19:00-23:00)",
        (0, 1, 2, 3), time(19), time(23),
    ),
    TimeBlock("weekend_day", "Weekend days (Sat-Sun 10:00-19:00)", (5, 6), time(10), time(19)),
    TimeBlock(
        "weekend_evening", "Weekend evenings (Fri-Sun 19:00-23:00)",
        (4, 5, 6), time(19), time(23),
    ),
)  # fmt: skip


def block_labels(blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS) -> dict[str, str]:
    """Each block's label by its name: ``{"weekend_evening": "Weekend evenings (Fri-Sun
    19:00-23:00)", ...}``."""
    return {b.name: b.label for b in blocks}


#: The labels of :data:`DEFAULT_BLOCKS` by name (tables indexed by block name show these).
DEFAULT_BLOCK_LABELS: Final[dict[str, str]] = block_labels(DEFAULT_BLOCKS)


def check_blocks(blocks: Sequence[TimeBlock]) -> None:
    """Raise ValueError unless ``blocks`` are non-empty, uniquely named and disjoint."""
    if not blocks:
        raise ValueError("at least one time block is needed")
    names = [b.name for b in blocks]
    if len(set(names)) != len(names) or "" in names:
        raise ValueError("time blocks need distinct, non-empty names")
    owners = np.zeros(WEEK_MINUTES, dtype=np.int64)
    for b in blocks:
        owners += b.minute_mask()
    if (owners > 1).any():
        first = int(np.flatnonzero(owners > 1)[0])
        day, minute = divmod(first, _DAY_MINUTES)
        raise ValueError(
            "time blocks overlap (first at "
            f"{DAY_ABBREVIATIONS[day]} {minute // 60:02d}:{minute % 60:02d})"
        )


def _block_lookup(blocks: Sequence[TimeBlock]) -> IntArray:
    """Block index of every minute of the week (-1 outside every block)."""
    check_blocks(blocks)
    lookup = np.full(WEEK_MINUTES, -1, dtype=np.int64)
    for i, b in enumerate(blocks):
        lookup[b.minute_mask()] = i
    return lookup


def _week_minutes(times: Any) -> tuple[FloatArray, BoolArray]:
    """Minutes (fractional) since a Monday epoch, and which times are present."""
    stamps = pd.DatetimeIndex(pd.to_datetime(np.asarray(times)))
    ok = np.asarray(stamps.notna(), dtype=bool)
    delta = (stamps - _EPOCH).to_numpy(dtype="timedelta64[ns]")
    minutes = np.where(ok, delta.astype(np.int64) / 60e9, 0.0)
    return np.asarray(minutes, dtype=np.float64), ok


def block_index(times: Any, blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS) -> IntArray:
    """Position in ``blocks`` of each time's block (-1 outside every block or NaT)."""
    minutes, ok = _week_minutes(times)
    lookup = _block_lookup(blocks)
    mow = np.floor(minutes).astype(np.int64) % WEEK_MINUTES
    return np.where(ok, lookup[mow], -1).astype(np.int64)


def block_of(times: Any, blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS) -> npt.NDArray[np.object_]:
    """The block name of each time (UK local, naive), or ``''`` outside every block.

    Missing times (NaT) are ``''``.
    """
    idx = block_index(times, blocks)
    names = np.array([b.name for b in blocks] + [""], dtype=object)
    out: npt.NDArray[np.object_] = names[idx]  # -1 picks the trailing ''
    return out


def block_hours(
    started: Any, ended: Any, blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS
) -> FloatArray:
    """Hours of each ``[started, ended)`` interval inside each block.

    Vectorised with the cumulative minute count of each block over the week, so an
    interval of any length (across midnight, across several days) is split exactly.

    Returns
    -------
    float64 array of shape ``(len(started), len(blocks))``
        Hours; zero for missing times or intervals that end before they start.
    """
    check_blocks(blocks)
    s, ok_s = _week_minutes(started)
    e, ok_e = _week_minutes(ended)
    ok = ok_s & ok_e & (e > s)
    out = np.zeros((s.size, len(blocks)), dtype=np.float64)
    for j, b in enumerate(blocks):  # a handful of blocks
        mask = b.minute_mask()
        cum = np.concatenate(([0.0], np.cumsum(mask, dtype=np.float64)))

        out[:, j] = np.where(ok, (_integral(e, mask, cum) - _integral(s, mask, cum)) / 60.0, 0.0)
    return out


def _integral(m: FloatArray, mask: BoolArray, cum: FloatArray) -> FloatArray:
    """Minutes of the block from the epoch up to (fractional) minute ``m``."""
    whole = np.floor(m)
    weeks, mow = np.divmod(whole.astype(np.int64), WEEK_MINUTES)
    return np.asarray(weeks * cum[-1] + cum[mow] + (m - whole) * mask[mow], dtype=np.float64)
