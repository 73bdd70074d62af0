"""The demo youth service: a weekly timetable of about 20 sessions, run over the period.

Detached teams, a town-centres team, a parks team (area sessions in park outlines) and
a mobile youth bus. Two persistent hot spots are covered on Friday and Saturday
evenings; the hot spot with the youth-work gap only on a weekday. About 5 % of sessions
are cancelled. :func:`youth_frame` writes the sessions in the partner format
(``data/templates/youth_sessions.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import shapely

from geo.core.area import from_bng
from geo.demo.borough import disk, fmt_coord, park_outlines_bng, place, round_coords
from geo.demo.layout import Layout
from geo.demo.period import MINUTES_PER_DAY, Calendar, format_times

__all__ = ["YOUTH_HEADER", "youth_frame"]

YOUTH_HEADER: Final[tuple[str, ...]] = (
    "Session ID",
    "Team",
    "Start",
    "End",
    "Latitude",
    "Longitude",
    "Area WKT",
    "Contacts",
    "Referrals",
)


@dataclass(frozen=True)
class _Slot:
    """One weekly session: team, weekday (0 = Monday), start, length, where."""

    team: str
    weekday: int
    start_min: int  # minutes after midnight
    length_min: int
    x: float  # point location, BNG metres (ignored for an area session)
    y: float
    area: shapely.Polygon | None
    contacts_mean: float


def _timetable(lay: Layout) -> list[_Slot]:
    """The youth service's weekly timetable (about 20 sessions a week)."""
    parks = park_outlines_bng()

    def at(name: str, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
        x, y = place(name)
        return x + dx, y + dy

    b, c = lay.persistent
    nd, sd, tc, pk, bus = (
        "North detached team",
        "South detached team",
        "Town centres team",
        "Parks team",
        "Mobile youth bus",
    )
    slots = [
        _Slot(nd, 0, 18 * 60, 180, *at("Northgate station", 60, -40), None, 12.0),
        _Slot(nd, 2, 18 * 60 + 30, 180, b.x + 70.0, b.y - 40.0, None, 14.0),
        _Slot(
            nd, 4, 19 * 60, 180, b.x - 60.0, b.y + 80.0, None, 16.0
        ),  # covers B at weekend evening
        _Slot(
            sd, 1, 18 * 60, 180, lay.gap.x + 90.0, lay.gap.y - 50.0, None, 13.0
        ),  # gap cell, weekday only
        _Slot(sd, 3, 18 * 60, 180, *at("Hollybrook estate", -50, 30), None, 11.0),
        _Slot(
            sd, 5, 19 * 60, 210, c.x + 80.0, c.y + 60.0, None, 15.0
        ),  # covers C at weekend evening
        _Slot(sd, 2, 16 * 60, 150, *at("Riverside DLR", 40, 40), None, 9.0),
        _Slot(tc, 0, 15 * 60 + 30, 180, *at("Broadway town centre", 30, 20), None, 14.0),
        _Slot(tc, 1, 15 * 60 + 30, 180, *at("Market Square town centre", -40, 10), None, 13.0),
        _Slot(tc, 3, 15 * 60 + 30, 180, *at("Eastway interchange", 20, -30), None, 12.0),
        _Slot(tc, 4, 15 * 60 + 30, 180, *at("Broadway town centre", -30, -20), None, 15.0),
        _Slot(tc, 5, 14 * 60, 240, *at("Broadway town centre", 10, 40), None, 17.0),
        _Slot(pk, 2, 16 * 60, 180, 0.0, 0.0, parks[0], 10.0),
        _Slot(pk, 5, 12 * 60, 240, 0.0, 0.0, parks[0], 14.0),
        _Slot(pk, 6, 12 * 60, 240, 0.0, 0.0, parks[1], 9.0),
        _Slot(pk, 3, 16 * 60, 180, 0.0, 0.0, parks[1], 8.0),
        _Slot(bus, 1, 17 * 60, 180, *at("Kingsmead estate", 30, -30), None, 12.0),
        _Slot(bus, 2, 17 * 60, 180, *at("Canal Road estate", -20, 20), None, 11.0),
        _Slot(bus, 3, 19 * 60, 180, *at("Riverside DLR", -30, 50), None, 10.0),
        _Slot(bus, 5, 18 * 60, 240, *at("Market Square town centre", 20, 30), None, 16.0),
    ]
    return slots


def youth_frame(rng: np.random.Generator, cal: Calendar, lay: Layout) -> pd.DataFrame:
    """Sessions from the weekly timetable over the whole period (about 5 % cancelled)."""
    frames: list[pd.DataFrame] = []
    for slot in _timetable(lay):  # ~20 slots
        days = np.flatnonzero((cal.day_dow == slot.weekday) & cal.youth_open)
        days = days[rng.random(days.size) >= 0.05]
        n = days.size
        start = days * MINUTES_PER_DAY + slot.start_min
        contacts = np.clip(rng.poisson(slot.contacts_mean, n), 0, 30)
        referrals = np.minimum(rng.binomial(contacts, 0.05), 3).astype(object)
        referrals[rng.random(n) < 0.05] = ""
        if slot.area is None:
            jx, jy = disk(rng, n, 40.0)
            lon, lat = round_coords(slot.x + jx, slot.y + jy)
            lat_s, lon_s, wkt = fmt_coord(lat), fmt_coord(lon), np.full(n, "", dtype=object)
        else:
            xy = np.asarray(slot.area.exterior.coords)
            alon, alat = from_bng(xy[:, 0], xy[:, 1])
            area = shapely.Polygon(np.column_stack([alon, alat]))
            lat_s = lon_s = np.full(n, "", dtype=object)
            wkt = np.full(n, shapely.to_wkt(area, rounding_precision=6, trim=True), dtype=object)
        frames.append(
            pd.DataFrame(
                {
                    "_start": start,
                    "Team": slot.team,
                    "Start": format_times(start),
                    "End": format_times(start + slot.length_min),
                    "Latitude": lat_s,
                    "Longitude": lon_s,
                    "Area WKT": wkt,
                    "Contacts": contacts.astype(np.int64),
                    "Referrals": referrals,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values("_start", kind="stable").drop(columns="_start").reset_index(drop=True)
    df.insert(0, "Session ID", np.char.mod("YS-%06d", np.arange(1, len(df) + 1)).astype(object))
    return df
