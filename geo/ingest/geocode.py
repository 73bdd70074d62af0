"""An offline geocoder for free-text places that never guesses.

Emergency-department staff write where an assault happened in their own words ("outside
the station, South Street", "Costa on South St", "RM1 3NH", "at home", "unknown"). Each
record is placed, in order, by

1. its coordinates, when given and valid;
2. a full UK postcode (its own column, else found in the text), looked up in a postcode
   centroid table (:func:`read_onspd`, :func:`read_codepoint_open`);
3. a gazetteer of public place names (:func:`gazetteer_from_store`,
   :func:`gazetteer_from_points`, :func:`read_open_names`), matched with rapidfuzz.

A gazetteer match is kept only when every word of one place name is found in the text
(a slip or two allowed after the first letter of longer words), the score reaches a
threshold, the runner-up naming a different place is clearly behind, and the name does
not spread over a wide area (a "High Street" in three towns). Private homes ("at home",
"friend's flat") are flagged and never placed, even with coordinates: domestic settings
are not contextual places. Anything else is left unlocated with its reason.

The result holds coordinates, the method, a confidence, the private-home flag and the
reason, never the input text or the matched name: callers store no free text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA

from geo.core import hexes
from geo.core.area import StudyArea, from_bng, to_bng
from geo.core.schema import TABLES
from geo.core.types import BoolArray, FloatArray, IntArray
from geo.store.database import Store
from geo.store.place_names import GENERIC_MAP_POINTS

__all__ = [
    "GEOCODE_METHODS",
    "GeocodeSummary",
    "UNLOCATED_REASONS",
    "gazetteer_from_points",
    "gazetteer_from_store",
    "geocode_locations",
    "is_private_home",
    "normalise_place_text",
    "normalise_postcode",
    "read_codepoint_open",
    "read_onspd",
    "read_open_names",
    "summarise_geocoding",
]

#: How a record was placed ("" when it was not).
GEOCODE_METHODS: Final[tuple[str, ...]] = ("coordinates", "postcode", "gazetteer")

_NO_LOCATION: Final = "no location given"
_PRIVATE: Final = "private home"
_BAD_POSTCODE: Final = "postcode not in the table"
_NO_MATCH: Final = "no confident match"
_AMBIGUOUS: Final = "ambiguous match"
_SPREAD: Final = "place name too spread out"
_OUTSIDE: Final = "match outside the study area"
_COORDS_OUTSIDE: Final = "coordinates outside the study area"

#: Why a record was left unlocated, in the order a report lists them.
UNLOCATED_REASONS: Final[tuple[str, ...]] = (
    _NO_LOCATION, _PRIVATE, _COORDS_OUTSIDE, _OUTSIDE, _BAD_POSTCODE, _NO_MATCH, _AMBIGUOUS,
    _SPREAD,
)  # fmt: skip

#: Confidence given to a record placed by its coordinates and by a postcode centroid.
_COORDINATE_CONFIDENCE: Final = 100
_POSTCODE_CONFIDENCE: Final = 95

#: What each slip in a word costs its similarity (one slip: 0.94).
_EDIT_COST: Final = 0.06

#: Result columns, in order.
_COLUMNS: Final = ("lat", "lng", "method", "confidence", "private_home", "reason")

_POSTCODE_RE: Final = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")

#: Street abbreviations, expanded in both the text and the names.
_ABBREVIATIONS: Final[Mapping[str, str]] = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
    "ln": "lane", "cl": "close", "cres": "crescent", "cresc": "crescent", "gdns": "gardens",
    "gdn": "gardens", "dr": "drive", "pl": "place", "sq": "square", "ct": "court",
    "pk": "park", "grn": "green", "hwy": "highway", "tce": "terrace", "terr": "terrace",
    "gr": "grove", "gro": "grove", "mkt": "market", "stn": "station", "sch": "school",
    "hosp": "hospital", "ctr": "centre", "ctre": "centre", "center": "centre",
    "pde": "parade", "wk": "walk", "mt": "mount", "nth": "north", "sth": "south",
    "rly": "railway", "est": "estate", "appr": "approach", "bdwy": "broadway",
}  # fmt: skip
#: Words that say where relative to a place, not which place.
_STOP_WORDS: Final = frozenset((
    "a", "an", "and", "at", "around", "behind", "between", "beside", "by", "corner", "front",
    "from", "in", "inside", "junction", "jct", "jnc", "near", "nearby", "nr", "next", "o",
    "of", "off", "on", "opp", "opposite", "or", "outside", "side", "the", "to", "top",
    "towards", "vicinity", "with", "within",
))  # fmt: skip
#: Street-type words: a name made of these alone ("The Avenue") names no one place.
_STREET_TYPES: Final = frozenset((
    "street", "road", "lane", "avenue", "close", "way", "drive", "gardens", "crescent",
    "place", "square", "court", "grove", "terrace", "walk", "mews", "row", "parade", "rise",
    "approach", "path", "highway",
))  # fmt: skip
#: Texts that say there is no location.
_NO_LOCATION_RE: Final = re.compile(
    r"^\s*(?:unknown|not known|unk|n/?k|n/?a|none|nil|not stated|not given|not recorded|"
    r"not disclosed|refused|declined|various|unsure|don'?t know|\?+|-+|\.+)?\s*$"
)
#: Phrases that place an assault in somebody's home.
_HOME_RE: Final = re.compile(
    r"\b(?:home|homes|address|residence|residential|flat|flats|bedsit|house|bedroom|"
    r"domestic|dwelling|accommodation|lodgings|hostel room|kitchen|living room|"
    r"(?:his|her|their|my|own|friend'?s?|friends'|mum'?s|dad'?s|parents?'?s?|nan'?s|"
    r"relatives?'?s?|partner'?s?|boyfriend'?s?|girlfriend'?s?|cousin'?s?|aunt'?s?|"
    r"uncle'?s?|brother'?s?|sister'?s?)\s+(?:place|house|home|flat|room))\b"
)
#: Open Names local types that are areas, not places (a town is not where something happened).
_AREA_TYPES: Final = frozenset(
    {"City", "Town", "Village", "Hamlet", "Suburban Area", "Other Settlement", "Postcode"}
)
#: Columns of OS Open Names and Code-Point Open as published (the CSVs have no header row).
_OPEN_NAMES_COLUMNS: Final = (
    "ID", "NAMES_URI", "NAME1", "NAME1_LANG", "NAME2", "NAME2_LANG", "TYPE", "LOCAL_TYPE",
    "GEOMETRY_X", "GEOMETRY_Y", "MOST_DETAIL_VIEW_RES", "LEAST_DETAIL_VIEW_RES", "MBR_XMIN",
    "MBR_YMIN", "MBR_XMAX", "MBR_YMAX", "POSTCODE_DISTRICT", "POSTCODE_DISTRICT_URI",
    "POPULATED_PLACE", "POPULATED_PLACE_URI", "POPULATED_PLACE_TYPE", "DISTRICT_BOROUGH",
    "DISTRICT_BOROUGH_URI", "DISTRICT_BOROUGH_TYPE", "COUNTY_UNITARY", "COUNTY_UNITARY_URI",
    "COUNTY_UNITARY_TYPE", "REGION", "REGION_URI", "COUNTRY", "COUNTRY_URI",
    "RELATED_SPATIAL_OBJECT", "SAME_AS_DBPEDIA", "SAME_AS_GEONAMES",
)  # fmt: skip
_CODEPOINT_COLUMNS: Final = (
    "postcode", "positional_quality_indicator", "eastings", "northings", "country_code",
    "nhs_regional_ha_code", "nhs_ha_code", "admin_county_code", "admin_district_code",
    "admin_ward_code",
)  # fmt: skip

#: Gazetteer columns, in order.
_GAZETTEER_COLUMNS: Final = ("name", "key", "kind", "lat", "lng", "points", "spread_m")


# --- text -----------------------------------------------------------------------------------


def _text_series(values: Sequence[object] | pd.Series | npt.ArrayLike) -> pd.Series:
    """Values as a string Series (missing values as "") on a 0..n-1 index."""
    s = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    s = s.reset_index(drop=True)
    return s.where(s.notna(), "").astype(str)


def normalise_place_text(values: Sequence[object] | pd.Series) -> pd.Series:
    """Place text in the form the matcher compares: lower-case words, abbreviations
    expanded, words that say where relative to a place dropped.

    Parameters
    ----------
    values : sequence of str or Series
        Free text or place names (missing values become "").

    Returns
    -------
    Series of str
        Space-separated words on a 0..n-1 index, e.g. "outside the Stn, South St" ->
        "station south street"; house numbers (digits alone) are dropped.
    """
    s = _text_series(values).str.lower()
    s = s.str.replace(r"\bo/s\b", " outside ", regex=True)
    s = s.str.replace(r"\bj/o\b", " junction ", regex=True)
    s = s.str.replace("&", " and ", regex=False)
    s = s.str.replace(r"['’`]", "", regex=True)
    s = s.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    words = s.str.split().explode()
    words = words.loc[words.notna()].astype(str)
    words = words.map(lambda w: _ABBREVIATIONS.get(w, w))
    keep = ~words.isin(_STOP_WORDS) & ~words.str.fullmatch(r"\d+")
    joined = words.loc[keep].groupby(level=0).agg(" ".join)
    return joined.reindex(s.index, fill_value="").astype(str)


def normalise_postcode(values: Sequence[object] | pd.Series) -> pd.Series:
    """Full UK postcodes in one spelling: upper case, one space ("rm13nh" -> "RM1 3NH").

    Parameters
    ----------
    values : sequence of str or Series
        Postcodes, or text that holds one.

    Returns
    -------
    Series of str
        The first full postcode found in each value, "" when there is none; same index
        as a Series input.
    """
    raw = (
        values
        if isinstance(values, pd.Series)
        else pd.Series(np.array(list(values), dtype=object), dtype=object)
    )
    s = raw.where(raw.notna(), "").astype(str).str.upper()
    found = s.str.extract(_POSTCODE_RE)
    out = (found[0] + " " + found[1]).where(found[0].notna(), "")
    return out.astype(str)


def is_private_home(values: Sequence[object] | pd.Series) -> pd.Series:
    """Whether each text puts the place in somebody's home ("at home", "friend's
    house", "home address", "flat", "residence").

    Parameters
    ----------
    values : sequence of str or Series

    Returns
    -------
    Series of bool
        On a 0..n-1 index.
    """
    s = _text_series(values).str.lower().str.replace("’", "'", regex=False)
    return s.str.contains(_HOME_RE, regex=True).astype(bool)


def _no_location(values: pd.Series) -> pd.Series:
    return values.str.lower().str.fullmatch(_NO_LOCATION_RE).fillna(False).astype(bool)


# --- postcode tables --------------------------------------------------------------------------


def _postcode_frame(postcode: pd.Series, lat: npt.ArrayLike, lng: npt.ArrayLike) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "postcode": normalise_postcode(postcode.reset_index(drop=True)).to_numpy(),
            "lat": np.asarray(lat, dtype=float),
            "lng": np.asarray(lng, dtype=float),
        }
    )
    ok = (frame["postcode"] != "") & np.isfinite(frame["lat"]) & (frame["lat"].abs() <= 90)
    kept: pd.DataFrame = frame.loc[ok].drop_duplicates("postcode").reset_index(drop=True)
    return kept


def read_onspd(path: Path | str) -> pd.DataFrame:
    """Postcode centroids from an ONS Postcode Directory CSV (columns ``pcds``, ``lat``,
    ``long`` as published).

    Parameters
    ----------
    path : path
        The ONSPD CSV (or an extract with at least those three columns).

    Returns
    -------
    DataFrame
        Columns ``postcode`` (normalised), ``lat``, ``lng``; postcodes without a grid
        reference (ONSPD's latitude 99.999999) are dropped.
    """
    raw = pd.read_csv(
        path, usecols=["pcds", "lat", "long"], dtype={"pcds": str}, encoding="utf-8-sig"
    )
    return _postcode_frame(raw["pcds"], raw["lat"], raw["long"])


def read_codepoint_open(path: Path | str) -> pd.DataFrame:
    """Postcode centroids from an OS Code-Point Open CSV (British National Grid).

    Parameters
    ----------
    path : path
        One Code-Point Open area file: the published files have no header row (their
        columns are :data:`_CODEPOINT_COLUMNS`); a file with a header naming
        ``postcode``, ``eastings``, ``northings`` (any case) is read too.

    Returns
    -------
    DataFrame
        Columns ``postcode`` (normalised), ``lat``, ``lng`` (WGS84); postcodes without
        coordinates (easting and northing 0) are dropped.
    """
    raw = pd.read_csv(path, header=None, dtype=str, encoding="utf-8-sig")
    first = [str(v).strip().lower() for v in raw.iloc[0]] if len(raw) else []
    if "postcode" in first:
        raw = raw.iloc[1:].set_axis(first, axis=1)
    elif raw.shape[1] == len(_CODEPOINT_COLUMNS):
        raw = raw.set_axis(list(_CODEPOINT_COLUMNS), axis=1)
    else:
        raise ValueError(
            f"{Path(path).name}: not a Code-Point Open file (no header naming postcode, "
            f"and {raw.shape[1]} columns rather than {len(_CODEPOINT_COLUMNS)})"
        )
    east = pd.to_numeric(raw["eastings"], errors="coerce").to_numpy(dtype=float)
    north = pd.to_numeric(raw["northings"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(east) & np.isfinite(north) & ((east > 0) | (north > 0))
    lng, lat = from_bng(east[ok], north[ok])
    return _postcode_frame(raw["postcode"].loc[ok], lat, lng)


# --- gazetteers -------------------------------------------------------------------------------


def gazetteer_from_points(points: pd.DataFrame, *, kind: str | None = None) -> pd.DataFrame:
    """One gazetteer entry per place name, from named points.

    Parameters
    ----------
    points : DataFrame
        Columns ``name``, ``lat``, ``lng`` and optionally ``kind``; police.uk map-point
        names ("On or near South Street") may be given as published.
    kind : str, optional
        Kind of every point when ``points`` has no ``kind`` column ("map_point").

    Returns
    -------
    DataFrame
        Columns ``name`` (as most often written), ``key`` (the normalised name),
        ``kind`` (the most frequent), ``lat``, ``lng`` (the median point), ``points``
        (how many) and ``spread_m`` (the farthest point from the median, metres: a
        street name used in two towns spreads over kilometres). Names that are empty,
        only street-type words ("The Avenue") or police.uk's generic map points
        ("Supermarket") are left out.
    """
    if points.empty:
        return pd.DataFrame({c: pd.Series(dtype=_gazetteer_dtype(c)) for c in _GAZETTEER_COLUMNS})
    frame = pd.DataFrame(
        {
            "name": _text_series(points["name"])
            .str.strip()
            .str.replace(r"(?i)^on or near\s+", "", regex=True)
            .to_numpy(),
            "kind": (
                _text_series(points["kind"]).to_numpy()
                if "kind" in points.columns
                else np.full(len(points), kind or "place", dtype=object)
            ),
            "lat": pd.to_numeric(points["lat"], errors="coerce").to_numpy(dtype=float),
            "lng": pd.to_numeric(points["lng"], errors="coerce").to_numpy(dtype=float),
        }
    )
    frame["key"] = normalise_place_text(frame["name"]).to_numpy()
    words = frame["key"].str.split()
    only_types = words.map(lambda ws: all(w in _STREET_TYPES for w in ws))
    generic = frame["name"].str.lower().isin(GENERIC_MAP_POINTS)
    ok = (frame["key"] != "") & ~only_types & ~generic
    ok &= np.isfinite(frame["lat"]) & np.isfinite(frame["lng"])
    frame = frame.loc[ok].reset_index(drop=True)
    if frame.empty:
        return gazetteer_from_points(frame.iloc[:0])
    groups = frame.groupby("key", sort=True)
    # the median point in degrees (a name with one point keeps it exactly), the spread in
    # metres from it
    mlat, mlng = groups["lat"].transform("median"), groups["lng"].transform("median")
    x, y = to_bng(frame["lng"].to_numpy(), frame["lat"].to_numpy())
    mx, my = to_bng(mlng.to_numpy(), mlat.to_numpy())
    frame["d"] = np.hypot(x - mx, y - my)
    out = groups.agg(
        points=("lat", "size"), lat=("lat", "median"), lng=("lng", "median"), spread_m=("d", "max")
    )
    out["name"] = _most_frequent(frame, "name")
    out["kind"] = _most_frequent(frame, "kind")
    out = out.reset_index()
    out["points"] = out["points"].astype(np.int64)
    table: pd.DataFrame = out.loc[:, list(_GAZETTEER_COLUMNS)].reset_index(drop=True)
    return table


def _most_frequent(frame: pd.DataFrame, column: str) -> pd.Series:
    """The most frequent value of ``column`` per ``key`` (ties: the first in sort order)."""
    n = frame.groupby(["key", column], sort=True).size().rename("n").reset_index()
    n = n.sort_values(["key", "n"], ascending=[True, False], kind="stable")
    return n.drop_duplicates("key").set_index("key")[column]


def _gazetteer_dtype(column: str) -> str:
    return {"lat": "float64", "lng": "float64", "spread_m": "float64", "points": "int64"}.get(
        column, "object"
    )


def _store_columns(store: Store, table: str) -> set[str]:
    if not store.has_table(table):
        return set()
    found = store.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    )
    return set(found["column_name"].astype(str)) & set(TABLES[table].names)


def gazetteer_from_store(store: Store, *, open_names: pd.DataFrame | None = None) -> pd.DataFrame:
    """A gazetteer of the public place names the store holds.

    Sources, where the store has the table and column: police.uk map-point names
    (``incidents.location_name``, "On or near South Street" -> "South Street"), schools,
    stations (named "... station") and health sites, each at its storage cell's centre.
    Youth sessions carry a team, not a site name, so they add nothing.

    Parameters
    ----------
    store : Store
    open_names : DataFrame, optional
        An OS Open Names extract from :func:`read_open_names`, added to the points.

    Returns
    -------
    DataFrame
        As :func:`gazetteer_from_points`.
    """
    sources = (
        ("incidents", "location_name", "map_point"),
        ("schools", "name", "school"),
        ("stations", "name", "station"),
        ("health_sites", "name", "health_site"),
    )
    parts: list[pd.DataFrame] = []
    for table, column, kind in sources:
        if not {column, "cell"} <= _store_columns(store, table):
            continue
        rows = store.query(
            f"SELECT {column} AS name, cell, count(*) AS n FROM {table} "
            f"WHERE {column} IS NOT NULL AND cell IS NOT NULL GROUP BY 1, 2"
        )
        if rows.empty:
            continue
        if kind == "station":
            named = rows["name"].astype(str)
            plain = ~named.str.contains(r"\bstation\b", case=False, regex=True)
            rows["name"] = named.where(~plain, named + " station")
        lat, lng = hexes.cell_centres(rows["cell"].to_numpy(dtype=np.uint64))
        # one point per cell and name, as many times as records name it there: the median
        # then weighs where a name is used, not where it was used once
        reps = rows["n"].to_numpy(dtype=np.int64).clip(1, 50)
        parts.append(
            pd.DataFrame(
                {
                    "name": np.repeat(rows["name"].to_numpy(dtype=object), reps),
                    "kind": kind,
                    "lat": np.repeat(lat, reps),
                    "lng": np.repeat(lng, reps),
                }
            )
        )
    if open_names is not None and not open_names.empty:
        parts.append(open_names.loc[:, ["name", "kind", "lat", "lng"]])
    if not parts:
        return gazetteer_from_points(pd.DataFrame(columns=["name", "kind", "lat", "lng"]))
    return gazetteer_from_points(pd.concat(parts, ignore_index=True))


def read_open_names(path: Path | str, *, include_areas: bool = False) -> pd.DataFrame:
    """Named places from an OS Open Names CSV (British National Grid).

    Parameters
    ----------
    path : path
        One Open Names tile CSV: the published files have no header row (their 34
        columns are :data:`_OPEN_NAMES_COLUMNS`); a file with a header naming ``NAME1``,
        ``LOCAL_TYPE``, ``GEOMETRY_X``, ``GEOMETRY_Y`` is read too.
    include_areas : bool
        Keep settlements (city, town, village, suburban area...): they are areas, and a
        town's name says too little about where something happened to place it.
        Postcode entries are always left out (postcodes have their own table).

    Returns
    -------
    DataFrame
        Columns ``name``, ``kind`` (the local type, lower case), ``lat``, ``lng``
        (WGS84), one row per entry (pass it to :func:`gazetteer_from_points` or
        :func:`gazetteer_from_store`).
    """
    raw = pd.read_csv(path, header=None, dtype=str, encoding="utf-8-sig", low_memory=False)
    first = [str(v).strip().upper() for v in raw.iloc[0]] if len(raw) else []
    if "NAME1" in first:
        raw = raw.iloc[1:].set_axis(first, axis=1)
    elif raw.shape[1] == len(_OPEN_NAMES_COLUMNS):
        raw = raw.set_axis(list(_OPEN_NAMES_COLUMNS), axis=1)
    else:
        raise ValueError(
            f"{Path(path).name}: not an OS Open Names file (no header naming NAME1, and "
            f"{raw.shape[1]} columns rather than {len(_OPEN_NAMES_COLUMNS)})"
        )
    local = raw["LOCAL_TYPE"].fillna("").astype(str).str.strip()
    drop = {"Postcode"} if include_areas else set(_AREA_TYPES)
    raw = raw.loc[~local.isin(drop)]
    x = pd.to_numeric(raw["GEOMETRY_X"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(raw["GEOMETRY_Y"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & raw["NAME1"].notna().to_numpy()
    lng, lat = from_bng(x[ok], y[ok])
    return pd.DataFrame(
        {
            "name": raw["NAME1"].to_numpy(dtype=object)[ok],
            "kind": raw["LOCAL_TYPE"].fillna("").str.lower().to_numpy(dtype=object)[ok],
            "lat": lat,
            "lng": lng,
        }
    )


# --- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Matches:
    """Per distinct text: the best entry (-1 for none), its score, the best score of an
    entry naming a different place."""

    best: IntArray
    score: FloatArray
    runner_up: FloatArray


def _allowed_edits(length: IntArray, max_edits: int) -> IntArray:
    """Slips a word may hold and still be a name's word: none below five letters, one up
    to nine, two from ten (never more than ``max_edits``)."""
    allowed = np.where(length >= 10, 2, np.where(length >= 5, 1, 0))
    return np.minimum(allowed, max_edits).astype(np.int64)


def _token_matches(
    query_tokens: npt.NDArray[np.object_], vocab: npt.NDArray[np.object_], max_edits: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """(query token, vocabulary token, similarity) for every exact or near match.

    A word may be a slip for a gazetteer word ("Bridgwter" for "Bridgwater"): rapidfuzz's
    optimal-string-alignment distance (a swap of neighbouring letters is one edit) within
    :func:`_allowed_edits`, each edit costing :data:`_EDIT_COST` of the word's similarity.
    The first letter must agree, and words are compared only with words of the same first
    letter and a length within reach, a block at a time (``process.cdist``).
    """
    vocab_index = pd.Index(vocab)
    exact = vocab_index.get_indexer(pd.Index(query_tokens))
    qi: list[IntArray] = [np.flatnonzero(exact >= 0)]
    vi: list[IntArray] = [exact[exact >= 0].astype(np.int64)]
    sims: list[FloatArray] = [np.ones(len(qi[0]))]
    q_len = np.fromiter((len(t) for t in query_tokens), dtype=np.int64, count=len(query_tokens))
    v_len = np.fromiter((len(t) for t in vocab), dtype=np.int64, count=len(vocab))
    allowed = _allowed_edits(q_len, max_edits)
    # a slip is looked for after the first letter only: "alley" is not "Calley"
    first = np.array([t[:1] for t in query_tokens], dtype=object)
    v_first = np.array([t[:1] for t in vocab], dtype=object)
    # a word that is a gazetteer word may still be a slip for another ("tersal" for
    # "tertal"): every long-enough word is compared
    fuzzy = np.flatnonzero(allowed > 0)
    # words whose lengths differ by more than the edits allowed cannot match: compare
    # each length with its neighbours only
    for length in np.unique(q_len[fuzzy]):
        rows = fuzzy[q_len[fuzzy] == length]
        edits = int(allowed[rows[0]])
        for letter in np.unique(first[rows]):
            chunk_rows = rows[first[rows] == letter]
            cols = np.flatnonzero((np.abs(v_len - length) <= edits) & (v_first == letter))
            if cols.size == 0:
                continue
            _near_words(query_tokens, vocab, chunk_rows, cols, edits, qi, vi, sims)
    return np.concatenate(qi), np.concatenate(vi), np.concatenate(sims)


def _near_words(
    query_tokens: npt.NDArray[np.object_],
    vocab: npt.NDArray[np.object_],
    rows: IntArray,
    cols: IntArray,
    edits: int,
    qi: list[IntArray],
    vi: list[IntArray],
    sims: list[FloatArray],
) -> None:
    """Append the (row, col, similarity) of words ``rows`` within ``edits`` of ``cols``."""
    choices = list(vocab[cols])
    for start in range(0, rows.size, 4000):
        chunk = rows[start : start + 4000]
        dist = process.cdist(
            list(query_tokens[chunk]),
            choices,
            scorer=OSA.distance,
            score_cutoff=edits,
            dtype=np.uint8,
            workers=-1,
        )
        r, c = np.nonzero((dist <= edits) & (dist > 0))
        qi.append(chunk[r])
        vi.append(cols[c])
        sims.append(1.0 - _EDIT_COST * dist[r, c].astype(float))


def _match(
    texts: pd.Series,
    keys: pd.Series,
    x: FloatArray,
    y: FloatArray,
    *,
    same_place_m: float,
    max_edits: int,
    threshold: float,
    margin: float,
) -> _Matches:
    """Score each distinct normalised text against every gazetteer key that could match.

    A key's score is the share of its words (weighted by rarity in the gazetteer) found in
    the text, times each word's similarity: extra words in the text cost nothing
    ("costa south street" holds "south street" entirely), missing words do. Candidates are
    the keys whose rarest word is in the text (a key scoring 90 or more must have it).

    A key matched by some of the text's words gives way to a key reaching ``threshold``
    that is matched by those words and more ("stannorstow wickray crescent" holds
    "wickray crescent"). The runner-up is the best key lying more than ``same_place_m``
    from the best; a key written exactly is rivalled only by keys written exactly.
    """
    n_text = len(texts)
    none = _Matches(np.full(n_text, -1, dtype=np.int64), np.zeros(n_text), np.zeros(n_text))
    if n_text == 0 or keys.empty:
        return none
    # gazetteer words, their rarity and each key's weights
    key_words = keys.str.split().explode()
    key_of_word = key_words.index.to_numpy(dtype=np.int64)
    vocab, word_id = np.unique(key_words.to_numpy(dtype=str), return_inverse=True)
    pairs = pd.DataFrame({"key": key_of_word, "word": word_id}).drop_duplicates()
    df = np.bincount(pairs["word"].to_numpy(), minlength=vocab.size)
    idf = np.log1p(len(keys) / np.maximum(df, 1))
    kw = pairs["key"].to_numpy(dtype=np.int64)
    ww = pairs["word"].to_numpy(dtype=np.int64)
    weight = idf[ww]
    weight = weight / np.bincount(kw, weights=weight, minlength=len(keys))[kw]
    # the rarest word of each key blocks the candidates
    order = np.lexsort((-idf[ww], kw))
    first = np.ones(order.size, dtype=bool)
    first[1:] = kw[order][1:] != kw[order][:-1]
    block_key = kw[order][first]
    block_word = ww[order][first]
    by_word = np.argsort(block_word, kind="stable")
    block_word_sorted = block_word[by_word]
    block_key_sorted = block_key[by_word]

    # text words -> gazetteer words with their similarity
    text_words = texts.str.split().explode()
    text_words = text_words.loc[text_words.notna() & (text_words != "")]
    if text_words.empty:
        return none
    t_of_word = text_words.index.to_numpy(dtype=np.int64)
    q_vocab, q_id = np.unique(text_words.to_numpy(dtype=str), return_inverse=True)
    mq, mv, ms = _token_matches(q_vocab.astype(object), vocab.astype(object), max_edits)
    tw = pd.DataFrame({"text": t_of_word, "q": q_id}).merge(
        pd.DataFrame({"q": mq, "word": mv, "sim": ms}), on="q"
    )
    if tw.empty:
        return none
    # per text and gazetteer word: the best similarity and the text's word that gave it
    tw = tw.sort_values(["text", "word", "sim"], ascending=[True, True, False], kind="stable")
    tw = tw.drop_duplicates(["text", "word"])
    t_text = tw["text"].to_numpy(dtype=np.int64)
    t_word = tw["word"].to_numpy(dtype=np.int64)
    t_sim = tw["sim"].to_numpy(dtype=float)
    t_q = tw["q"].to_numpy(dtype=np.int64)
    t_code = t_text * vocab.size + t_word  # sorted

    # candidate (text, key) pairs: the key's rarest word is in the text
    lo = np.searchsorted(block_word_sorted, t_word, side="left")
    hi = np.searchsorted(block_word_sorted, t_word, side="right")
    count = hi - lo
    if count.sum() == 0:
        return none
    c_text = np.repeat(t_text, count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    c_key = block_key_sorted[np.repeat(lo, count) + offset]
    # score: each key word's weight times its best similarity in the text
    key_order = np.argsort(kw, kind="stable")
    kw_s, ww_s, weight_s = kw[key_order], ww[key_order], weight[key_order]
    k_lo = np.searchsorted(kw_s, c_key, side="left")
    k_n = np.searchsorted(kw_s, c_key, side="right") - k_lo
    pair = np.repeat(np.arange(c_key.size), k_n)
    at = np.arange(k_n.sum()) - np.repeat(np.cumsum(k_n) - k_n, k_n) + np.repeat(k_lo, k_n)
    code = c_text[pair] * vocab.size + ww_s[at]
    pos = np.searchsorted(t_code, code).clip(0, t_code.size - 1)
    hit = t_code[pos] == code
    sim = np.where(hit, t_sim[pos], 0.0)
    # one word of the text stands for one word of a name ("gardens" is not also "garden")
    rows = np.flatnonzero(hit)
    rows = rows[np.lexsort((-weight_s[at[rows]] * sim[rows], t_q[pos[rows]], pair[rows]))]
    again = np.zeros(rows.size, dtype=bool)
    again[1:] = (pair[rows[1:]] == pair[rows[:-1]]) & (t_q[pos[rows[1:]]] == t_q[pos[rows[:-1]]])
    sim[rows[again]] = 0.0
    hit[rows[again]] = False
    used_cand, used_q = pair[hit], t_q[pos[hit]]
    score = np.bincount(pair, weights=weight_s[at] * sim, minlength=c_key.size) * 100.0
    inexact = np.bincount(pair, weights=(sim < 1.0).astype(float), minlength=c_key.size)
    exact = inexact == 0
    score[exact] = 100.0
    # only keys that could be placed or could rival one matter
    keep = score >= threshold - margin
    c_text, c_key, score, exact = c_text[keep], c_key[keep], score[keep], exact[keep]
    if c_text.size == 0:
        return none
    renumber = np.cumsum(keep) - 1
    still = keep[used_cand]
    used_cand, used_q = renumber[used_cand[still]], used_q[still]
    n_words = np.bincount(kw, minlength=len(keys))
    given_way = _held_by_longer(c_text, score >= threshold, used_cand, used_q)
    c_text, c_key, score, exact = (
        c_text[~given_way],
        c_key[~given_way],
        score[~given_way],
        exact[~given_way],
    )

    # best per text (the longest name among equals), and the best key lying away from it
    order = np.lexsort((c_key, -n_words[c_key], -score, c_text))
    c_text, c_key, score, exact = c_text[order], c_key[order], score[order], exact[order]
    head = np.ones(c_text.size, dtype=bool)
    head[1:] = c_text[1:] != c_text[:-1]
    group = np.cumsum(head) - 1
    best_key = c_key[head][group]
    far = np.hypot(x[c_key] - x[best_key], y[c_key] - y[best_key]) > same_place_m
    rivals = far & (exact | ~exact[head][group])
    rival = pd.Series(np.where(rivals, score, 0.0)).groupby(group).max().to_numpy()
    out_best = none.best.copy()
    out_score = none.score.copy()
    out_rival = none.runner_up.copy()
    texts_with = c_text[head]
    out_best[texts_with] = c_key[head]
    out_score[texts_with] = score[head]
    out_rival[texts_with] = rival
    return _Matches(out_best, out_score, out_rival)


def _held_by_longer(
    text: IntArray, strong: BoolArray, used_cand: IntArray, used_q: IntArray
) -> BoolArray:
    """Which candidates use only words of the text that a ``strong`` candidate using more
    of the text's words also uses ("yardor crescent" inside "yardor borleacar cres",
    which names "Yardor Borleycar Crescent").

    ``used_cand``, ``used_q`` list each candidate's matched text words (their ids).
    """
    out = np.zeros(text.size, dtype=bool)
    n_used = np.bincount(used_cand, minlength=text.size)
    cand = pd.DataFrame({"text": text, "a": np.arange(text.size)})
    longer = pd.DataFrame({"text": text[strong], "b": np.flatnonzero(strong)})
    both = cand.merge(longer, on="text")
    a = both["a"].to_numpy(dtype=np.int64)
    b = both["b"].to_numpy(dtype=np.int64)
    wider = n_used[b] > n_used[a]
    a, b = a[wider], b[wider]
    if a.size == 0:
        return out
    # every text word candidate a uses, looked up among those candidate b uses
    order = np.argsort(used_cand, kind="stable")
    by_cand, q_sorted = used_cand[order], used_q[order]
    lo = np.searchsorted(by_cand, a, side="left")
    n = n_used[a]
    row = np.repeat(np.arange(a.size), n)
    at = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + np.repeat(lo, n)
    width = int(used_q.max()) + 1
    codes = np.sort(used_cand * width + used_q)
    wanted = b[row] * width + q_sorted[at]
    pos = np.searchsorted(codes, wanted).clip(0, codes.size - 1)
    found = codes[pos] == wanted
    held = np.bincount(row, weights=found.astype(float), minlength=a.size) == n
    out[a[held]] = True
    return out


def _valid_coordinates(lat: FloatArray, lng: FloatArray) -> BoolArray:
    valid: BoolArray = (
        np.isfinite(lat)
        & np.isfinite(lng)
        & (np.abs(lat) <= 90)
        & (np.abs(lng) <= 180)
        & ~((lat == 0) & (lng == 0))
    )
    return valid


def _float_column(values: npt.ArrayLike | pd.Series | None, n: int) -> FloatArray:
    if values is None:
        return np.full(n, np.nan)
    arr = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")
    out = arr.to_numpy(dtype=float)
    if out.size != n:
        raise ValueError(f"coordinates have {out.size} values for {n} records")
    return out


def geocode_locations(
    text: Sequence[object] | pd.Series,
    *,
    lat: npt.ArrayLike | pd.Series | None = None,
    lng: npt.ArrayLike | pd.Series | None = None,
    postcode: Sequence[object] | pd.Series | None = None,
    postcodes: pd.DataFrame | None = None,
    gazetteer: pd.DataFrame | None = None,
    area: StudyArea | None = None,
    threshold: float = 90.0,
    margin: float = 8.0,
    same_place_m: float = 250.0,
    max_spread_m: float = 1000.0,
    max_edits: int = 2,
) -> pd.DataFrame:
    """Place each record by its coordinates, postcode or place name, or say why not.

    Parameters
    ----------
    text : sequence of str or Series
        Where it happened, as written ("Costa on South St", "RM1 3NH", "at home").
    lat, lng : array-like, optional
        WGS84 coordinates when the record has them (NaN where it does not).
    postcode : sequence of str or Series, optional
        A postcode column (any spelling); a full postcode found in ``text`` is used when
        this is blank.
    postcodes : DataFrame, optional
        Postcode centroids (``postcode``, ``lat``, ``lng``), e.g. :func:`read_onspd` or
        :func:`read_codepoint_open`.
    gazetteer : DataFrame, optional
        Place names from :func:`gazetteer_from_store` or :func:`gazetteer_from_points`.
    area : StudyArea, optional
        Only places inside the area (plus its buffer) are candidates; coordinates and
        postcodes outside it leave the record unlocated.
    threshold : float
        Lowest confidence (0-100) at which a gazetteer match places a record.
    margin : float
        How far the best match must lead the best one naming a different place.
    same_place_m : float
        Matches closer than this to the best (metres) name the same place (both
        streets of a junction).
    max_spread_m : float
        A name whose points spread farther than this from their median is ambiguous and
        never placed; below it the spread lowers the confidence by up to 10.
    max_edits : int
        Most slips (letters dropped, added, changed or swapped) a word may hold and still
        count as a name's word: none in words under five letters, one up to nine letters,
        two from ten; 0 turns spelling tolerance off.

    Returns
    -------
    DataFrame
        One row per record, on ``text``'s index when it is a Series: ``lat``, ``lng``
        (NaN when unlocated), ``method`` (one of :data:`GEOCODE_METHODS` or ""),
        ``confidence`` (0-100), ``private_home`` and ``reason`` (one of
        :data:`UNLOCATED_REASONS`, "" when located). Neither the text nor the matched
        name is kept.
    """
    raw = _text_series(text)
    n = len(raw)
    index = text.index if isinstance(text, pd.Series) else pd.RangeIndex(n)
    out_lat = np.full(n, np.nan)
    out_lng = np.full(n, np.nan)
    method = np.full(n, "", dtype=object)
    confidence = np.zeros(n, dtype=np.int64)
    reason = np.full(n, "", dtype=object)
    todo = np.ones(n, dtype=bool)

    # 1. private homes: never placed, whatever else the record holds
    home = is_private_home(raw).to_numpy(dtype=bool)
    reason[home] = _PRIVATE
    todo &= ~home

    # 2. coordinates
    given_lat, given_lng = _float_column(lat, n), _float_column(lng, n)
    valid = _valid_coordinates(given_lat, given_lng) & todo
    if valid.any():
        inside = np.ones(n, dtype=bool)
        if area is not None:
            inside[valid] = area.contains(given_lat[valid], given_lng[valid])
        hit = valid & inside
        out_lat[hit], out_lng[hit] = given_lat[hit], given_lng[hit]
        method[hit], confidence[hit] = "coordinates", _COORDINATE_CONFIDENCE
        reason[valid & ~inside] = _COORDS_OUTSIDE
        todo &= ~valid

    # texts that give no place (and no postcode)
    codes = (
        normalise_postcode(_text_series(postcode)).to_numpy(dtype=object)
        if postcode is not None
        else np.full(n, "", dtype=object)
    )
    if len(codes) != n:
        raise ValueError(f"postcode has {len(codes)} values for {n} records")
    in_text = normalise_postcode(raw).to_numpy(dtype=object)
    codes = np.where(codes == "", in_text, codes)
    blank = _no_location(raw).to_numpy(dtype=bool) & (codes == "")
    reason[todo & blank] = _NO_LOCATION
    todo &= ~blank

    # 3. postcodes
    has_code = todo & (codes != "")
    if has_code.any():
        table = (
            postcodes.assign(postcode=normalise_postcode(postcodes["postcode"]))
            .drop_duplicates("postcode")
            .set_index("postcode")
            if postcodes is not None
            else pd.DataFrame({"lat": [], "lng": []}, index=pd.Index([], dtype=object))
        )
        found = table.reindex(codes[has_code])
        p_lat = found["lat"].to_numpy(dtype=float)
        p_lng = found["lng"].to_numpy(dtype=float)
        known = np.isfinite(p_lat) & np.isfinite(p_lng)
        inside = np.ones(known.size, dtype=bool)
        if area is not None and known.any():
            inside[known] = area.contains(p_lat[known], p_lng[known])
        rows = np.flatnonzero(has_code)
        hit = rows[known & inside]
        out_lat[hit], out_lng[hit] = p_lat[known & inside], p_lng[known & inside]
        method[hit], confidence[hit] = "postcode", _POSTCODE_CONFIDENCE
        reason[rows[known & ~inside]] = _OUTSIDE
        reason[rows[~known]] = _BAD_POSTCODE  # the gazetteer may still place these
        todo[rows[known]] = False

    # 4. the gazetteer
    rows = np.flatnonzero(todo)
    if rows.size:
        without_codes = raw.iloc[rows].str.replace(
            _POSTCODE_RE.pattern, " ", regex=True, case=False
        )
        norm = normalise_place_text(without_codes)
        uniq, inverse = np.unique(norm.to_numpy(dtype=str), return_inverse=True)
        gaz = _usable_gazetteer(gazetteer, area)
        if gaz.empty:
            matches = _Matches(
                np.full(uniq.size, -1, dtype=np.int64), np.zeros(uniq.size), np.zeros(uniq.size)
            )
        else:
            gx, gy = to_bng(gaz["lng"].to_numpy(), gaz["lat"].to_numpy())
            matches = _match(
                pd.Series(uniq, dtype=object),
                gaz["key"].reset_index(drop=True),
                gx,
                gy,
                same_place_m=same_place_m,
                max_edits=max_edits,
                threshold=threshold,
                margin=margin,
            )
        best, score, rival = (
            matches.best[inverse],
            matches.score[inverse],
            matches.runner_up[inverse],
        )
        has = best >= 0
        spreads = gaz["spread_m"].to_numpy(dtype=float)
        spread = spreads[best] if spreads.size else np.zeros(best.size)
        spread = np.where(has, spread, 0.0)
        conf = np.floor(score - 10.0 * np.minimum(spread / max_spread_m, 1.0) + 1e-9)
        too_wide = has & (spread > max_spread_m) & (score >= threshold)
        ambiguous = has & (score >= threshold) & (score - rival < margin) & ~too_wide
        ok = has & (conf >= threshold) & ~too_wide & ~ambiguous
        prior = reason[rows]
        why = np.where(too_wide, _SPREAD, np.where(ambiguous, _AMBIGUOUS, _NO_MATCH))
        # a postcode missing from the table is the better reason when no name matched
        why = np.where((prior == _BAD_POSTCODE) & (why == _NO_MATCH), _BAD_POSTCODE, why)
        empty = norm.to_numpy(dtype=str) == ""
        why = np.where(empty & (prior != _BAD_POSTCODE), _NO_LOCATION, why)
        reason[rows] = np.where(ok, "", why)
        placed = rows[ok]
        if placed.size:
            out_lat[placed] = gaz["lat"].to_numpy(dtype=float)[best[ok]]
            out_lng[placed] = gaz["lng"].to_numpy(dtype=float)[best[ok]]
            method[placed] = "gazetteer"
            confidence[placed] = conf[ok].astype(np.int64)

    return pd.DataFrame(
        {
            "lat": out_lat,
            "lng": out_lng,
            "method": method,
            "confidence": confidence.clip(0, 100).astype(np.uint8),
            "private_home": home,
            "reason": reason,
        },
        index=index,
    ).loc[:, list(_COLUMNS)]


def _usable_gazetteer(gazetteer: pd.DataFrame | None, area: StudyArea | None) -> pd.DataFrame:
    """The gazetteer's entries inside the area, with a normalised ``key`` and a spread."""
    if gazetteer is None or gazetteer.empty:
        return pd.DataFrame({"key": [], "lat": [], "lng": [], "spread_m": []})
    gaz = gazetteer.reset_index(drop=True)
    if "key" not in gaz.columns:
        gaz = gaz.assign(key=normalise_place_text(gaz["name"]).to_numpy())
    if "spread_m" not in gaz.columns:
        gaz = gaz.assign(spread_m=0.0)
    lat = gaz["lat"].to_numpy(dtype=float)
    lng = gaz["lng"].to_numpy(dtype=float)
    keep = np.isfinite(lat) & np.isfinite(lng) & (gaz["key"].astype(str) != "").to_numpy()
    if area is not None and keep.any():
        keep[keep] = area.contains(lat[keep], lng[keep])
    usable: pd.DataFrame = gaz.loc[keep, ["key", "lat", "lng", "spread_m"]].reset_index(drop=True)
    return usable


# --- report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeocodeSummary:
    """How many records each method placed and why the rest were not (no text).

    Attributes
    ----------
    records : int
        Records geocoded.
    located : dict of str to int
        Records placed, per method (every method listed, zeros included).
    unlocated : dict of str to int
        Records not placed, per reason (reasons that occurred only).
    private_home : int
        Records whose text put the place in somebody's home.
    """

    records: int
    located: dict[str, int]
    unlocated: dict[str, int]
    private_home: int

    @property
    def located_total(self) -> int:
        """Records placed by any method."""
        return sum(self.located.values())

    @property
    def shares(self) -> dict[str, float]:
        """Share of all records placed by each method (0 when there are none)."""
        return {m: (c / self.records if self.records else 0.0) for m, c in self.located.items()}

    def rows(self) -> list[dict[str, object]]:
        """One row per method and per reason, for an ingest report's table."""
        rows: list[dict[str, object]] = [
            {"outcome": f"located by {m}", "records": c, "share": self.shares[m]}
            for m, c in self.located.items()
        ]
        rows += [
            {"outcome": f"unlocated: {r}", "records": c,
             "share": c / self.records if self.records else 0.0}
            for r, c in self.unlocated.items()
        ]  # fmt: skip
        return rows


def summarise_geocoding(result: pd.DataFrame) -> GeocodeSummary:
    """Counts of a :func:`geocode_locations` result by method and by reason.

    Parameters
    ----------
    result : DataFrame
        As :func:`geocode_locations` returns it.

    Returns
    -------
    GeocodeSummary
    """
    method = result["method"].astype(str)
    reason = result["reason"].astype(str)
    located = {m: int((method == m).sum()) for m in GEOCODE_METHODS}
    counts = reason.loc[method == ""].value_counts()
    unlocated = {r: int(counts[r]) for r in UNLOCATED_REASONS if r in counts.index}
    return GeocodeSummary(
        records=len(result),
        located=located,
        unlocated=unlocated,
        private_home=int(result["private_home"].astype(bool).sum()),
    )
