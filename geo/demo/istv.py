"""The demo emergency department's ISTV extract, with the truth of where each assault was.

An ED shares one row per assault attendance (the Cardiff Model's ISTV minimum data set):
arrival and assault times, where it happened in the clerk's words, the primary means of
assault, age band, sex and the ED's site code. :func:`ed_assaults` writes it in the
shipped template's columns (``data/templates/istv.csv``):

* **background**: about 1,700 attendances a year, timed like police violence with a
  stronger night peak, each within 25 m of a police-recorded violent incident (so health
  and police broadly agree, cell by cell). Each is described as the clerk would: a venue
  or road of the gazetteer (:mod:`geo.demo.place_names`) or a school in the assault's own
  res-9 cell, else its postcode (a postcode unit lies within a cell); a pair of
  coordinates; a private home ("at home", "friend's flat"); or nothing usable ("unknown",
  "n/k", "town centre"), with abbreviations, lower case and the odd slip. Naming only
  places in the assault's own cell keeps each cell's located records in proportion to its
  assaults, so the background alone shows no health-only place;
* **planted** (not with ``null=True``): 120-200 assaults at the night-time-economy strip,
  Friday and Saturday nights 22:00-04:00, mostly bottle/glass and body part, in a res-9
  cell where police record little violence: the place health sees and police do not.

The truth (``istv_truth.csv``, a test file that is never ingested) gives each record's
expected place as the geocoder should find it: the res-10 cell (hex string) of the named
place, postcode centroid, school or coordinates the text refers to; ``home`` for a private
home (never to be mapped); ``unlocatable`` when nothing in the record says where (including
a road name that names two places far apart).

Coordinates: BNG metres (EPSG:27700) internally; WGS84 degrees to 5 decimals when a record
gives them. Times: minutes since 2023-01-01 00:00, written ``DD/MM/YYYY HH:MM`` (UK local).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core import hexes
from geo.core.schema import AGE_BANDS
from geo.demo.borough import (
    TRUTH_RESOLUTION,
    BoolArray,
    FloatArray,
    IntArray,
    choice,
    disk,
    fmt_coord,
    round_coords,
)
from geo.demo.incidents import Events
from geo.demo.period import (
    END_MINUTE,
    N_DAYS,
    N_MONTHS,
    Calendar,
    background_hour_weights,
    format_times,
    month_mass,
    sample_minutes,
)
from geo.demo.place_names import (
    NAME_RESOLUTION,
    POLICE_VIOLENCE_CATEGORIES,
    DemoPlaces,
    ObjectArray,
    expected_cells,
    storage_parents,
)
from geo.demo.schools import Schools

__all__ = [
    "ED_SITES",
    "HOME",
    "ISTV_HEADER",
    "ISTV_TRUTH_HEADER",
    "UNLOCATABLE",
    "EdAssaults",
    "ed_assaults",
]

#: Columns of the shipped template (``data/templates/istv.csv``).
ISTV_HEADER: Final[tuple[str, ...]] = (
    "Attendance ID",
    "Arrival date time",
    "Assault date time",
    "Assault location",
    "Assault postcode",
    "Latitude",
    "Longitude",
    "Location type",
    "Primary means of assault",
    "Age band",
    "Sex",
    "ED site code",
)
ISTV_TRUTH_HEADER: Final[tuple[str, ...]] = ("Attendance ID", "expected")
#: Expected place of a record at a private home, and of one that says nowhere usable.
HOME: Final = "home"
UNLOCATABLE: Final = "unlocatable"
#: Site codes of the demo's A&E and urgent treatment centre (:mod:`geo.demo.health`).
ED_SITES: Final[tuple[str, ...]] = ("DEMOED1", "DEMOUT1")
_ED_SITE_P: Final = (0.86, 0.14)

_PER_YEAR: Final = 1700  # background attendances for an assault
_NIGHT_FACTOR: Final = 1.8  # assaults peak later at night than police incidents do
_LATENT_JITTER_M: Final = 25.0  # an assault near a police-recorded one, in its cell
_ASSAULT_TIME_BLANK: Final = 0.15
#: Planted strip assaults a month: a fixed base plus Poisson(extra).
_STRIP_BASE: Final = 5
_STRIP_EXTRA: Final = 2.0

# How a record says where, drawn for the background: a place (a venue or road in the
# assault's cell when there is one, else the postcode), coordinates, a home or nothing.
_KINDS: Final[tuple[str, ...]] = ("place", "coordinates", "home", "vague")
_KIND_P: Final = (0.65, 0.03, 0.20, 0.12)
_VENUE_SHARE: Final = 0.4  # of places in a cell with a venue: named by the venue
_NAME_SHARE: Final = 0.75  # of places in a cell with a venue or road: named by either
_SCHOOL_SHARE_OF_YOUNG: Final = 0.5
_COMBINED_SHARE: Final = 0.35  # venues written with their road, where that is unambiguous

#: How a name is written: as named, shortened, in lower case, with a slip.
_FORM_P: Final = (0.45, 0.30, 0.19, 0.06)
_SLIP: Final = 3
#: Words a clerk shortens (the geocoder expands them back).
_SHORT: Final[dict[str, str]] = {
    "Street": "St", "Road": "Rd", "Avenue": "Ave", "Lane": "Ln", "Parade": "Pde",
    "Crescent": "Cres", "Square": "Sq", "Close": "Cl", "Terrace": "Tce", "Station": "Stn",
    "Centre": "Ctr", "School": "Sch",
}  # fmt: skip
#: (before, after) the name, by kind of place.
_ROAD_TEMPLATES: Final[tuple[tuple[str, str], ...]] = (
    ("", ""), ("outside shops, ", ""), ("", " (nr bus stop)"), ("near ", ""), ("on ", ""),
    ("alleyway off ", ""), ("", " by the cashpoint"), ("outside no. 14 ", ""),
)  # fmt: skip
_VENUE_TEMPLATES: Final[tuple[tuple[str, str], ...]] = (
    ("", ""), ("outside ", ""), ("inside ", ""), ("smoking area of ", ""),
    ("queue outside ", ""), ("", " - toilets"), ("", " beer garden"),
)  # fmt: skip
_SCHOOL_TEMPLATES: Final[tuple[tuple[str, str], ...]] = (
    ("outside ", ""),
    ("", " (after school)"),
    ("bus stop by ", ""),
)
_HOME_TEXTS: Final[tuple[str, ...]] = (
    "at home", "At home", "home address", "his address", "her address", "own home",
    "friend's flat", "friends flat", "partner's house", "mum's house", "boyfriend's flat",
    "in the kitchen", "house party", "hostel room", "at his flat", "their home",
)  # fmt: skip
_VAGUE_TEXTS: Final[tuple[str, ...]] = (
    "unknown", "Unknown", "UNKNOWN", "not stated", "Not stated", "n/k", "N/K", "not known",
    "", "", "town centre", "Town centre", "in town", "on the bus", "outside a shop",
    "in the street", "in the park", "outside a nightclub", "refused to say", "Romford",
    "Stratford", "Kingsmead estate", "by the canal", "pt unable to say", "ZD9 9ZZ",
    "various",
)  # fmt: skip
_STRIP_VAGUE_TEXTS: Final[tuple[str, ...]] = (
    "outside a nightclub", "in town", "unknown", "queue for club", "town centre", "n/k",
)  # fmt: skip

# Who and how, as an ED writes them.
_MEANS: Final[tuple[str, ...]] = (
    "body part", "punch/kick", "knife", "sharp object", "bottle/glass", "blunt object",
    "firearm", "other", "",
)  # fmt: skip
_BACKGROUND_MEANS_P: Final = (0.40, 0.13, 0.08, 0.03, 0.09, 0.09, 0.005, 0.09, 0.085)
_STRIP_MEANS_P: Final = (0.30, 0.12, 0.03, 0.01, 0.45, 0.03, 0.0, 0.03, 0.03)
_AGES: Final[tuple[str, ...]] = (*AGE_BANDS, "")
_BACKGROUND_AGE_P: Final = (0.005, 0.015, 0.08, 0.38, 0.50, 0.02)
_STRIP_AGE_P: Final = (0.0, 0.0, 0.04, 0.55, 0.40, 0.01)
_SEXES: Final[tuple[str, ...]] = ("male", "female", "unknown", "")
_BACKGROUND_SEX_P: Final = (0.72, 0.26, 0.01, 0.01)
_STRIP_SEX_P: Final = (0.80, 0.19, 0.01, 0.0)
#: Location types an ED writes (none of them names a home, except "home").
_OPEN_TYPES: Final[tuple[str, ...]] = (
    "street", "shop", "pub/bar/club", "park", "transport", "other", "",
)  # fmt: skip
_OPEN_TYPE_P: Final = (0.55, 0.12, 0.10, 0.06, 0.06, 0.06, 0.05)
_ROAD_TYPES: Final[tuple[str, ...]] = ("street", "shop", "transport", "other")
_ROAD_TYPE_P: Final = (0.8, 0.1, 0.06, 0.04)
_VAGUE_TYPES: Final[tuple[str, ...]] = ("", "street", "other", "pub/bar/club")
_VAGUE_TYPE_P: Final = (0.45, 0.3, 0.15, 0.1)
_VENUE_TYPES: Final[dict[str, str]] = {
    "Public House": "pub/bar/club", "Bar": "pub/bar/club", "Nightclub": "pub/bar/club",
    "Park": "park", "Railway Station": "transport", "Bus Station": "transport",
    "Shopping Centre": "shop",
}  # fmt: skip


@dataclass(frozen=True)
class EdAssaults:
    """The ISTV extract, its truth and their counts.

    Attributes
    ----------
    frame : DataFrame
        ``istv.csv`` in :data:`ISTV_HEADER`, in arrival order.
    truth : DataFrame
        ``istv_truth.csv``: ``Attendance ID``, ``expected`` (a res-10 cell hex string,
        :data:`HOME` or :data:`UNLOCATABLE`).
    planted : int
        Records planted at the night-time-economy strip (0 with ``null=True``).
    """

    frame: pd.DataFrame
    truth: pd.DataFrame
    planted: int

    def counts(self) -> dict[str, int]:
        """Records, and how many are locatable, at a home, unlocatable and planted."""
        expected = self.truth["expected"]
        home = int((expected == HOME).sum())
        unlocatable = int((expected == UNLOCATABLE).sum())
        return {
            "records": len(self.frame),
            "locatable": len(self.frame) - home - unlocatable,
            "home": home,
            "unlocatable": unlocatable,
            "planted": self.planted,
        }


# ================================================================================ words
def _written_forms(names: Sequence[str]) -> ObjectArray:
    """Each name as a clerk writes it: (as named, shortened, lower case, with a slip).

    Shortened: "&" as "and", without a leading "The", street words abbreviated ("Rd").
    The slip swaps two letters inside the longest word of six letters or more (one edit
    after the first letter); a name without one is written shortened instead.
    """
    out = np.empty((len(names), 4), dtype=object)
    for i, name in enumerate(names):  # a few dozen names
        words = name.replace("&", "and").split()
        if words[0] == "The" and len(words) > 1:
            words = words[1:]
        short = " ".join(_SHORT.get(w, w) for w in words)
        plain = name.split()
        longest = max(range(len(plain)), key=lambda k: len(plain[k]))
        w = plain[longest]
        if len(w) >= 6 and w.isalpha() and w not in _SHORT and w != "The" and w[2] != w[3]:
            plain[longest] = w[:2] + w[3] + w[2] + w[4:]
            slip = " ".join(plain)
        else:
            slip = short
        out[i] = (name, short, short.lower(), slip)
    return out


def _key_words(names: ObjectArray) -> IntArray:
    """Words that name the place: without "The", "&" and "and"."""
    skip = {"The", "&", "and"}
    return np.array([sum(w not in skip for w in str(n).split()) for n in names], dtype=np.int64)


def _frame_text(
    rng: np.random.Generator,
    forms: ObjectArray,
    which: IntArray,
    templates: Sequence[tuple[str, str]],
    *,
    slips: bool,
) -> ObjectArray:
    """Texts naming ``forms[which]`` in one of ``templates`` (a slip only if ``slips``)."""
    n = which.size
    form = rng.choice(4, size=n, p=np.asarray(_FORM_P))
    if not slips:
        form = np.where(form == _SLIP, 1, form)
    tpl = rng.integers(0, len(templates), n)
    before = np.array([t[0] for t in templates], dtype=object)[tpl]
    after = np.array([t[1] for t in templates], dtype=object)[tpl]
    body = forms[which, form] if n else np.empty(0, dtype=object)
    return np.asarray(before + body + after, dtype=object)


def _postcode_texts(rng: np.random.Generator, codes: ObjectArray) -> ObjectArray:
    """Postcodes as written: "ZD2 4PQ", "zd2 4pq" or "ZD24PQ"."""
    s = pd.Series(codes, dtype=object)
    style = rng.integers(0, 3, codes.size)
    out = np.where(style == 1, s.str.lower(), np.where(style == 2, s.str.replace(" ", ""), s))
    return np.asarray(out, dtype=object)


def _nearest_in_cell(
    x: FloatArray,
    y: FloatArray,
    cell: npt.NDArray[np.uint64],
    px: FloatArray,
    py: FloatArray,
    pcell: npt.NDArray[np.uint64] | None,
) -> tuple[IntArray, BoolArray]:
    """The nearest of the points ``px``, ``py`` (BNG metres) in each point's own cell
    (anywhere when ``pcell`` is None), and whether there is one."""
    d = np.hypot(x[:, None] - px[None, :], y[:, None] - py[None, :])
    if pcell is not None:
        d[cell[:, None] != pcell[None, :]] = np.inf
    i = d.argmin(axis=1).astype(np.int64)
    return i, np.isfinite(d[np.arange(x.size), i])


# ======================================================================== descriptions
@dataclass
class _Described:
    """What the records say about where (columns of the extract) and the truth."""

    text: ObjectArray
    postcode: ObjectArray
    lat: ObjectArray
    lng: ObjectArray
    location_type: ObjectArray
    expected: ObjectArray


def _schools_usable(schools: Schools) -> BoolArray:
    """Schools a clerk names: not those whose name reads like a home ("... House ...")."""
    return np.array(["House" not in str(n).split() for n in schools.name], dtype=bool)


def _describe_background(
    rng: np.random.Generator,
    x: FloatArray,
    y: FloatArray,
    young: BoolArray,
    places: DemoPlaces,
    schools: Schools,
) -> _Described:
    """Texts, postcodes, coordinates and location types for points (BNG metres).

    A record names a road, venue, school or postcode in the point's own res-9 cell (the
    place where it happened), so each cell's located records follow its assaults; with no
    road or venue there, the clerk writes the postcode.
    """
    nm, pc = places.names, places.postcodes
    n = x.size
    cell = storage_parents(x, y, TRUTH_RESOLUTION)
    forms = _written_forms(list(nm.name))
    road_ids = np.flatnonzero(nm.is_road)
    venue_ids = np.flatnonzero(~nm.is_road)
    name_cells = storage_parents(nm.x, nm.y, TRUTH_RESOLUTION)
    k, has_road = _nearest_in_cell(x, y, cell, nm.x[road_ids], nm.y[road_ids], name_cells[road_ids])
    road = road_ids[k]
    k, has_venue = _nearest_in_cell(
        x, y, cell, nm.x[venue_ids], nm.y[venue_ids], name_cells[venue_ids]
    )
    venue = venue_ids[k]
    usable = np.flatnonzero(_schools_usable(schools))
    sx, sy = np.round(schools.x[usable]), np.round(schools.y[usable])  # as written (GIAS)
    k, has_school = _nearest_in_cell(x, y, cell, sx, sy, storage_parents(sx, sy, TRUTH_RESOLUTION))
    school = usable[k]
    pc_i, has_pc = _nearest_in_cell(
        x, y, cell, pc.x, pc.y, storage_parents(pc.x, pc.y, TRUTH_RESOLUTION)
    )
    pc_i = np.where(has_pc, pc_i, _nearest_in_cell(x, y, cell, pc.x, pc.y, None)[0])
    any_road, _ = _nearest_in_cell(x, y, cell, nm.x[road_ids], nm.y[road_ids], None)

    kind = choice(rng, _KINDS, _KIND_P, n)
    u = rng.random(n)
    named = kind == "place"
    kind[named & has_venue & (u < _VENUE_SHARE)] = "venue"
    kind[named & (kind != "venue") & has_road & (u < _NAME_SHARE)] = "road"
    kind[kind == "place"] = "postcode"
    to_school = young & (rng.random(n) < _SCHOOL_SHARE_OF_YOUNG) & has_school
    kind[to_school & np.isin(kind, ("road", "venue", "postcode"))] = "school"

    text = np.full(n, "", dtype=object)
    postcode = np.full(n, "", dtype=object)
    expected = np.full(n, UNLOCATABLE, dtype=object)
    location_type = choice(rng, _OPEN_TYPES, _OPEN_TYPE_P, n)
    plain_road = _frame_text(rng, forms, road_ids[any_road], (("", ""),), slips=False)
    pc_text = _postcode_texts(rng, pc.postcode[pc_i])

    # roads, venues (alone or with their road) and schools, by name
    m = kind == "road"
    text[m] = _frame_text(rng, forms, road[m], _ROAD_TEMPLATES, slips=True)
    expected[m] = np.where(
        nm.duplicated[road[m]], UNLOCATABLE, expected_cells(nm.x[road[m]], nm.y[road[m]])
    )
    location_type[m] = choice(rng, _ROAD_TYPES, _ROAD_TYPE_P, int(m.sum()))
    m = kind == "venue"
    v = venue[m]
    text[m] = _frame_text(rng, forms, v, _VENUE_TEMPLATES, slips=True)
    host = nm.road[v]
    longer = (host >= 0) & (_key_words(nm.name[v]) > _key_words(nm.name[np.maximum(host, 0)]))
    both = longer & (rng.random(v.size) < _COMBINED_SHARE)
    text[m] = np.where(both, _venue_and_road(rng, forms, v, np.maximum(host, 0)), text[m])
    expected[m] = expected_cells(nm.x[v], nm.y[v])
    location_type[m] = np.array([_VENUE_TYPES[t] for t in nm.local_type[v]], dtype=object)
    m = kind == "school"
    sforms = _written_forms(list(schools.name))
    text[m] = _frame_text(rng, sforms, school[m], _SCHOOL_TEMPLATES, slips=True)
    expected[m] = expected_cells(np.round(schools.x[school[m]]), np.round(schools.y[school[m]]))
    location_type[m] = choice(rng, ("school", "street"), (0.6, 0.4), int(m.sum()))

    # postcodes: alone, near, after a road, or in their own column
    m = kind == "postcode"
    mode = rng.integers(0, 6, n)
    text[m & (mode == 0)] = pc_text[m & (mode == 0)]
    text[m & (mode == 1)] = "nr " + pc_text[m & (mode == 1)]
    text[m & (mode == 2)] = plain_road[m & (mode == 2)] + ", " + pc_text[m & (mode == 2)]
    column = m & (mode >= 3)
    postcode[column] = pc.postcode[pc_i[column]]
    text[m & (mode == 3)] = plain_road[m & (mode == 3)]
    text[m & (mode == 4)] = "n/k"
    expected[m] = expected_cells(pc.x[pc_i[m]], pc.y[pc_i[m]])

    # coordinates (with a road, or nothing else)
    lon, lat = round_coords(x, y)
    coords = kind == "coordinates"
    with_road = coords & (rng.random(n) < 0.5)
    text[with_road] = plain_road[with_road]
    fine = hexes.points_to_cells(lat[coords], lon[coords], hexes.DEFAULT_STORAGE_RESOLUTION)
    expected[coords] = hexes.cells_to_str(hexes.cells_to_parent(fine, NAME_RESOLUTION))

    # private homes: sometimes with the home's postcode or coordinates, never to be mapped
    m = kind == "home"
    text[m] = choice(rng, _HOME_TEXTS, np.ones(len(_HOME_TEXTS)), int(m.sum()))
    at_postcode = m & (rng.random(n) < 0.12)
    postcode[at_postcode] = pc.postcode[pc_i[at_postcode]]
    coords |= m & (rng.random(n) < 0.02)
    expected[m] = HOME
    location_type[m] = choice(rng, ("home", ""), (0.85, 0.15), int(m.sum()))

    # nothing usable
    m = kind == "vague"
    text[m] = choice(rng, _VAGUE_TEXTS, np.ones(len(_VAGUE_TEXTS)), int(m.sum()))
    location_type[m] = choice(rng, _VAGUE_TYPES, _VAGUE_TYPE_P, int(m.sum()))

    return _Described(
        text=text,
        postcode=postcode,
        lat=fmt_coord(lat, ~coords),
        lng=fmt_coord(lon, ~coords),
        location_type=location_type,
        expected=expected,
    )


def _venue_and_road(
    rng: np.random.Generator, forms: ObjectArray, venue: IntArray, road: IntArray
) -> ObjectArray:
    """ "(outside) <venue>, <road>": the venue is the place (its name is the longer)."""
    lead = np.where(rng.random(venue.size) < 0.5, "outside ", "").astype(object)
    return np.asarray(
        lead
        + _frame_text(rng, forms, venue, (("", ""),), slips=False)
        + ", "
        + _frame_text(rng, forms, road, (("", ""),), slips=False),
        dtype=object,
    )


def _describe_strip(rng: np.random.Generator, n: int, places: DemoPlaces) -> _Described:
    """Texts for ``n`` assaults at the night-time-economy strip."""
    nm = places.names
    forms = _written_forms(list(nm.name))
    road = int(np.flatnonzero(nm.strip & nm.is_road)[0])
    venues = np.flatnonzero(nm.strip & ~nm.is_road)
    clubs = nm.local_type[venues] == "Nightclub"
    p = np.where(clubs, 2.0, 1.0)
    venue = rng.choice(venues, size=n, p=p / p.sum())
    kind = choice(rng, ("venue", "road", "with_road", "vague"), (0.62, 0.18, 0.12, 0.08), n)
    longer = venues[_key_words(nm.name[venues]) > _key_words(nm.name[[road]])[0]]
    kind = np.where((kind == "with_road") & (longer.size == 0), "venue", kind)
    text = _frame_text(rng, forms, venue, _VENUE_TEMPLATES, slips=True)
    expected = np.asarray(expected_cells(nm.x[venue], nm.y[venue]), dtype=object)
    location_type = np.full(n, "pub/bar/club", dtype=object)
    roads = np.full(n, road, dtype=np.int64)
    m = kind == "road"
    text[m] = _frame_text(
        rng, forms, roads[m], (*_ROAD_TEMPLATES, ("outside a club on ", "")), slips=True
    )
    expected[m] = expected_cells(nm.x[roads[m]], nm.y[roads[m]])
    location_type[m] = choice(rng, ("street", "pub/bar/club"), (0.8, 0.2), int(m.sum()))
    m = kind == "with_road"
    if longer.size:
        pick = rng.choice(longer, size=int(m.sum()))
        text[m] = _venue_and_road(rng, forms, pick, roads[m])
        expected[m] = expected_cells(nm.x[pick], nm.y[pick])
    m = kind == "vague"
    text[m] = choice(rng, _STRIP_VAGUE_TEXTS, np.ones(len(_STRIP_VAGUE_TEXTS)), int(m.sum()))
    expected[m] = UNLOCATABLE
    blank = np.full(n, "", dtype=object)
    return _Described(text, blank, blank.copy(), blank.copy(), location_type, expected)


# ================================================================================ times
def _delays(rng: np.random.Generator, n: int, median_min: float) -> IntArray:
    """Minutes from the assault to arrival at the ED (log-normal, 5 minutes to 12 hours)."""
    d = rng.lognormal(np.log(median_min), 0.8, n)
    out: IntArray = np.clip(np.round(d), 5, 720).astype(np.int64)
    return out


def _strip_hours(cal: Calendar) -> FloatArray:
    """Friday and Saturday nights, 22:00-03:59 (the small hours belong to the night before)."""
    late = np.isin(cal.dow, (4, 5)) & (cal.hour >= 22)
    small = np.isin(cal.dow, (5, 6)) & (cal.hour < 4)
    return (late | small).astype(np.float64)


# ================================================================================= main
def _violent_points(police: Sequence[Events]) -> tuple[FloatArray, FloatArray]:
    x = np.concatenate([e.x for e in police])
    y = np.concatenate([e.y for e in police])
    cat = np.concatenate([e.category for e in police])
    violent = np.isin(cat, POLICE_VIOLENCE_CATEGORIES)
    return x[violent], y[violent]


def ed_assaults(
    rng: np.random.Generator,
    cal: Calendar,
    police: Sequence[Events],
    places: DemoPlaces,
    schools: Schools,
    *,
    null: bool = False,
) -> EdAssaults:
    """The demo ED's ISTV extract over the demo period, and its truth.

    Parameters
    ----------
    rng : numpy.random.Generator
        The ISTV demo's own stream.
    cal : Calendar
        The demo period's hour grid.
    police : sequence of Events
        The police incidents written to ``incidents.csv`` (BNG metres): background
        assaults happen near the violent ones.
    places : DemoPlaces
        The gazetteer, postcodes and night-time-economy strip.
    schools : Schools
        The demo schools (a clerk sometimes names one).
    null : bool
        Plant nothing at the strip (background only).

    Returns
    -------
    EdAssaults
        Deterministic per stream; arrivals within the period, each after its assault.
    """
    r_time, r_where, r_who, r_words, r_strip = rng.spawn(5)
    n_bg = int(round(_PER_YEAR * N_DAYS / 365.25))
    w = background_hour_weights(cal)
    w = np.where((cal.hour >= 22) | (cal.hour < 4), w * _NIGHT_FACTOR, w)
    mass = month_mass(w, cal)
    t = sample_minutes(r_time, w, r_time.multinomial(n_bg, mass / mass.sum()), cal)
    delay = _delays(r_time, n_bg, 50.0)
    px, py = _violent_points(police)
    at = r_where.integers(0, px.size, n_bg)
    dx, dy = disk(r_where, n_bg, _LATENT_JITTER_M)
    age = choice(r_who, _AGES, _BACKGROUND_AGE_P, n_bg)
    sex = choice(r_who, _SEXES, _BACKGROUND_SEX_P, n_bg)
    means = choice(r_who, _MEANS, _BACKGROUND_MEANS_P, n_bg)
    young = np.isin(age, ("10-13", "14-17"))
    where = _describe_background(r_words, px[at] + dx, py[at] + dy, young, places, schools)
    parts = [(t, delay, age, sex, means, where)]
    planted = 0
    if not null:
        counts = _STRIP_BASE + r_strip.poisson(_STRIP_EXTRA, N_MONTHS)
        ts = sample_minutes(r_strip, _strip_hours(cal), counts, cal)
        planted = int(ts.size)
        parts.append(
            (
                ts,
                _delays(r_strip, planted, 40.0),
                choice(r_strip, _AGES, _STRIP_AGE_P, planted),
                choice(r_strip, _SEXES, _STRIP_SEX_P, planted),
                choice(r_strip, _MEANS, _STRIP_MEANS_P, planted),
                _describe_strip(r_strip, planted, places),
            )
        )
    assault = np.concatenate([p[0] for p in parts])
    delay = np.concatenate([p[1] for p in parts])
    assault = np.minimum(assault, END_MINUTE - delay)  # arrivals within the period
    arrival = assault + delay
    n = arrival.size
    blank_time = r_who.random(n) < _ASSAULT_TIME_BLANK
    site = choice(r_who, ED_SITES, _ED_SITE_P, n)

    def cat(field: str) -> ObjectArray:
        return np.concatenate([getattr(p[5], field) for p in parts])

    frame = pd.DataFrame(
        {
            "Arrival date time": format_times(arrival),
            "Assault date time": format_times(assault, blank_time),
            "Assault location": cat("text"),
            "Assault postcode": cat("postcode"),
            "Latitude": cat("lat"),
            "Longitude": cat("lng"),
            "Location type": cat("location_type"),
            "Primary means of assault": np.concatenate([p[4] for p in parts]),
            "Age band": np.concatenate([p[2] for p in parts]),
            "Sex": np.concatenate([p[3] for p in parts]),
            "ED site code": site,
        }
    )
    order = np.argsort(arrival, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    ids = np.char.mod("ED-%06d", np.arange(1, n + 1)).astype(object)
    frame.insert(0, "Attendance ID", ids)
    truth = pd.DataFrame({"Attendance ID": ids, "expected": cat("expected")[order]})
    return EdAssaults(frame.loc[:, list(ISTV_HEADER)], truth, planted)
