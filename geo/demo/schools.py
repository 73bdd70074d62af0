"""The demo's schools: ~40 fictional schools placed in the borough, as a GIAS export.

Secondary schools are placed well apart, then the other non-primary schools (an
all-through school, a special school, a pupil referral unit, an independent school),
then the primaries. URNs are numbered after a shuffle so that they do not give away a
school's kind. ``schools.csv`` carries the current GIAS columns, Easting/Northing in
EPSG:27700 metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.demo.borough import (
    DEMO_LAD_NAME,
    BoolArray,
    FloatArray,
    boundary_bng,
    choice,
    edge_distance,
    uniform_in,
)

__all__ = ["DEMO_LA_CODE", "SCHOOLS_HEADER", "Schools", "make_schools", "schools_frame"]

#: GIAS local-authority code and name used for the demo schools.
DEMO_LA_CODE: Final = "999"
SCHOOLS_HEADER: Final[tuple[str, ...]] = (
    "URN",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "PhaseOfEducation (name)",
    "EstablishmentStatus (name)",
    "LA (code)",
    "LA (name)",
    "Postcode",
    "Easting",
    "Northing",
)

_PRIMARY_NAMES: Final[tuple[str, ...]] = (
    "Riverside Primary School",
    "Kingsmead Primary School",
    "Hollybrook Primary School",
    "Northgate Primary School",
    "Canal Road Primary School",
    "Elmstead Primary School",
    "Marsh Lane Primary School",
    "Greenway Primary School",
    "Ashdown Primary School",
    "Beacon Hill Primary School",
    "Cedar Grove Primary School",
    "Dockside Primary Academy",
    "Eastway Primary School",
    "Fernbank Primary School",
    "Gatefield Primary Academy",
    "Hawthorn Primary School",
    "Ironbridge Park Primary School",
    "Juniper Primary School",
    "Larkspur Primary Academy",
    "Millstream Primary School",
    "Oakwood Lane Primary School",
    "Poplar Walk Primary School",
    "Quayside Primary Academy",
    "Rosemount Primary School",
    "Sandpiper Primary School",
    "Thornfield Primary School",
    "Willowbank Primary School",
    "St Aidan's Church of England Primary School",
    "Our Lady of Grace Catholic Primary School",
)
#: (name, GIAS type, GIAS phase) of the non-primary schools; secondary first.
_OTHER_SCHOOLS: Final[tuple[tuple[str, str, str], ...]] = (
    ("Eastbrook Academy", "Academy converter", "Secondary"),
    ("Northgate Community School", "Community school", "Secondary"),
    ("Riverside Park School", "Foundation school", "Secondary"),
    ("Kingsmead Academy", "Academy sponsor led", "Secondary"),
    ("Broadway High School", "Community school", "Secondary"),
    ("St Columba's Catholic School", "Voluntary aided school", "Secondary"),
    ("Marshfield Free School", "Free schools", "Secondary"),
    ("Harbour Gate School", "Academy converter", "All-through"),
    ("Willow Tree School", "Foundation special school", "Not applicable"),
    ("Lantern House Pupil Referral Unit", "Pupil referral unit", "Not applicable"),
    ("Ashcombe House School", "Other independent school", "Not applicable"),
)
_PRIMARY_TYPES: Final[tuple[str, ...]] = (
    "Community school",
    "Academy converter",
    "Academy sponsor led",
    "Foundation school",
)
_PRIMARY_TYPE_P: Final = np.array([0.55, 0.25, 0.12, 0.08])
_FIRST_URN: Final = 900100


@dataclass(frozen=True)
class Schools:
    """The demo schools (one entry per school, in URN order)."""

    urn: npt.NDArray[np.object_]  # str
    name: npt.NDArray[np.object_]
    type_name: npt.NDArray[np.object_]
    phase: npt.NDArray[np.object_]
    x: FloatArray  # BNG metres
    y: FloatArray

    def mask(self, *phases: str) -> BoolArray:
        """Schools of any of the GIAS ``phases``."""
        return np.isin(self.phase, phases)

    def of_type(self, type_name: str) -> int:
        """Index of the first school of the GIAS type ``type_name``."""
        hit = np.flatnonzero(self.type_name == type_name)
        return int(hit[0])


def make_schools(rng: np.random.Generator) -> Schools:
    """Place ~40 fictional schools inside the borough (greedy, spaced apart)."""
    bnd = boundary_bng()
    cx, cy = uniform_in(rng, bnd, 3000)
    keep = edge_distance(cx, cy) >= 200.0
    cx, cy = cx[keep], cy[keep]
    n_other = len(_OTHER_SCHOOLS)
    n_secondary = sum(1 for s in _OTHER_SCHOOLS if s[2] in ("Secondary", "All-through"))
    total = n_other + len(_PRIMARY_NAMES)
    xs = np.empty(total)
    ys = np.empty(total)
    for i in range(total):  # one pass per school (40), vectorised over candidates
        # Secondaries well apart, then the other non-primary schools, then primaries.
        min_d = 900.0 if i < n_secondary else (250.0 if i < n_other else 380.0)
        if i:
            d = np.hypot(cx[:, None] - xs[None, :i], cy[:, None] - ys[None, :i]).min(axis=1)
            ok = np.flatnonzero(d >= min_d)
        else:
            ok = np.arange(cx.size)
        if ok.size == 0:
            raise RuntimeError("could not place the demo schools")
        xs[i], ys[i] = cx[ok[0]], cy[ok[0]]
    names = [s[0] for s in _OTHER_SCHOOLS] + list(_PRIMARY_NAMES)
    types = [s[1] for s in _OTHER_SCHOOLS] + list(
        choice(rng, _PRIMARY_TYPES, _PRIMARY_TYPE_P, len(_PRIMARY_NAMES))
    )
    for j, nm in enumerate(names):
        if "Church of England" in nm or "Catholic Primary" in nm:
            types[j] = "Voluntary aided school"
        elif nm.endswith("Primary Academy") and not types[j].startswith("Academy"):
            types[j] = "Academy converter"
    phases = [s[2] for s in _OTHER_SCHOOLS] + ["Primary"] * len(_PRIMARY_NAMES)
    # Shuffle before numbering so that URNs do not give away the school's kind.
    order = rng.permutation(total)
    urns = np.array([str(_FIRST_URN + k) for k in range(total)], dtype=object)
    return Schools(
        urn=urns,
        name=np.array(names, dtype=object)[order],
        type_name=np.array(types, dtype=object)[order],
        phase=np.array(phases, dtype=object)[order],
        x=xs[order],
        y=ys[order],
    )


def schools_frame(s: Schools) -> pd.DataFrame:
    """The schools as written to ``schools.csv`` (GIAS columns)."""
    return pd.DataFrame(
        {
            "URN": s.urn,
            "EstablishmentName": s.name,
            "TypeOfEstablishment (name)": s.type_name,
            "PhaseOfEducation (name)": s.phase,
            "EstablishmentStatus (name)": "Open",
            "LA (code)": DEMO_LA_CODE,
            "LA (name)": DEMO_LAD_NAME,
            "Postcode": "",
            "Easting": np.round(s.x).astype(np.int64),
            "Northing": np.round(s.y).astype(np.int64),
        },
        columns=list(SCHOOLS_HEADER),
    )
