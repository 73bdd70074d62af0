"""A&E assaults and police-recorded violence written straight into a test store (as the
``istv`` adapter and an incident adapter would have stored them), for the Health and
police lens and its disclosure.

:func:`health_store` builds a store over the committed demo boundary with

* a strip :data:`STRIP`: 30 A&E assaults of patients aged 18-24 and 10 aged 25+ on
  Friday and Saturday nights, against 2 police-recorded violent crimes;
* twenty background places (:func:`background`): 5 A&E assaults (aged 14-17) and 20
  police-recorded violent crimes each;
* 7 A&E assaults at a private home and 8 not placed (5 "no confident match", 3 "no
  location given"), with no cell;
* robberies at the strip, which are not violence against the person (never counted).

All in April 2024 (quarter 2024 Q2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.config import Config
from geo.core.schema import CELL_COLUMNS
from geo.store.database import Store
from tests.geo._partner_rows import demo_area_config

#: The strip (lat, lng), inside the demo borough.
STRIP = (51.5388, 0.0242)
#: A Friday 23:30 and a Saturday 20:00 (late night, weekend evening).
FRIDAY_LATE = pd.Timestamp("2024-04-05 23:30")
SATURDAY_EVENING = pd.Timestamp("2024-04-06 20:00")
QUARTER = ("2024-04", "2024-06")


def background(n: int = 20) -> list[tuple[float, float]]:
    """``n`` places on a lattice inside the borough, over 1 km from the strip (two of
    them share a res-8 cell)."""
    lats = np.linspace(51.52, 51.55, 5)
    lngs = np.linspace(0.04, 0.07, 4)
    return [(float(a), float(b)) for a in lats for b in lngs][:n]


def _cells(points: list[tuple[float, float]] | None, n: int) -> dict[str, pd.array]:
    """Storage cells and parents for ``n`` rows (all NULL when ``points`` is None)."""
    out: dict[str, pd.array] = {}
    if points is None:
        for column in CELL_COLUMNS:
            out[column] = pd.array([pd.NA] * n, dtype="UInt64")
        return out
    lat = np.array([p[0] for p in points])
    lng = np.array([p[1] for p in points])
    storage = hexes.points_to_cells(lat, lng, 11)
    for column in CELL_COLUMNS:
        cells = storage if column == "cell" else hexes.cells_to_parent(storage, int(column[5:]))
        out[column] = pd.array(cells, dtype="UInt64")
    return out


def ed_rows(
    points: list[tuple[float, float]] | None,
    when: list[pd.Timestamp],
    *,
    age: str = "18-24",
    means: list[str] | None = None,
    home: bool = False,
    reason: str | None = None,
    start: int = 0,
) -> pd.DataFrame:
    """A&E assault rows (placed at ``points`` by postcode, else at home or not placed)."""
    n = len(when)
    placed = points is not None
    return pd.DataFrame(
        {
            "source": "istv",
            "attendance_id": [f"ED-{start + i:05d}" for i in range(n)],
            "arrived_at": [t + pd.Timedelta(minutes=40) for t in when],
            "assaulted_at": when,
            "occurred_at": when,
            "time_basis": "assault",
            "means": means or ["body_part"] * n,
            "location_type": None,
            "age_band": age,
            "sex": "male",
            "ed_site": "RXX",
            "private_home": home,
            "locate_method": "postcode" if placed else None,
            "locate_confidence": 95.0 if placed else None,
            "unlocated_reason": None if placed else ("private home" if home else reason),
            **_cells(points, n),
        }
    )


def incident_rows(
    points: list[tuple[float, float]],
    when: pd.Timestamp,
    category: str,
    *,
    source: str = "syv_extract",
    start: int = 0,
) -> pd.DataFrame:
    """Incident rows at ``points`` (one each)."""
    n = len(points)
    return pd.DataFrame(
        {
            "source": source,
            "incident_id": [f"INC-{source}-{start + i:05d}" for i in range(n)],
            "category": category,
            "occurred_at": [when] * n,
            "time_precision": "minute" if source != "police_uk_street" else "month",
            "age_band": "14-17",
            **_cells(points, n),
        }
    )


def write(store: Store, kind: str, table: str, frame: pd.DataFrame) -> None:
    """One live batch of ``frame`` into ``table`` (record keys assigned by the store)."""
    store.write_batch(
        kind=kind,
        source=str(frame["source"].iloc[0]),
        file_name=f"{kind}.csv",
        sha256=f"test-{kind}-{len(frame)}-{frame.iloc[0, 1]}",
        rows_read=len(frame),
        rows_rejected=0,
        who="test",
        tables={table: frame},
        report={},
    )


def health_store(folder: Path, *, police_uk: bool = False) -> Config:
    """The store described in the module docstring (``police_uk``: also police.uk street
    crime, all ages, with 3 "Violence and sexual offences" at the strip and 20 at each
    background place)."""
    config = demo_area_config(folder)
    places = background()
    nights = [FRIDAY_LATE if i % 2 else SATURDAY_EVENING for i in range(40)]
    means = ["bottle_or_glass"] * 18 + ["body_part"] * 10 + ["knife_or_sharp"] * 2
    ed = [
        ed_rows([STRIP] * 30, nights[:30], means=means),
        ed_rows([STRIP] * 10, nights[30:], age="25+", start=100),
        ed_rows(
            [p for p in places for _ in range(5)],
            [pd.Timestamp("2024-04-10 16:00")] * (5 * len(places)),
            age="14-17",
            start=200,
        ),
        ed_rows(None, [pd.Timestamp("2024-04-11 12:00")] * 7, home=True, start=400),
        ed_rows(None, [pd.Timestamp("2024-04-12 12:00")] * 5, reason="no confident match",
                start=500),
        ed_rows(None, [pd.Timestamp("2024-04-12 12:00")] * 3, reason="no location given",
                start=600),
    ]  # fmt: skip
    crimes = [
        incident_rows([STRIP] * 2, pd.Timestamp("2024-04-06 21:00"), "violence_with_injury"),
        incident_rows(
            [p for p in places for _ in range(20)],
            pd.Timestamp("2024-04-10 17:00"),
            "violence_without_injury",
            start=100,
        ),
        incident_rows([STRIP] * 30, pd.Timestamp("2024-04-06 21:00"), "robbery", start=900),
    ]
    with Store(config.store_path) as store:
        write(store, "istv", "ed_assaults", pd.concat(ed, ignore_index=True))
        write(store, "incidents", "incidents", pd.concat(crimes, ignore_index=True))
        if police_uk:
            public = pd.concat(
                [
                    incident_rows([STRIP] * 3, pd.Timestamp("2024-04-01"),
                                  "violence_and_sexual_offences", source="police_uk_street"),
                    incident_rows([p for p in places for _ in range(20)],
                                  pd.Timestamp("2024-04-01"), "violence_and_sexual_offences",
                                  source="police_uk_street", start=100),
                ],
                ignore_index=True,
            )  # fmt: skip
            write(store, "police_street", "incidents", public)
    return config
