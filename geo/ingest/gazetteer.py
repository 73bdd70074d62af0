"""The geocoder's vocabulary and sources: how free text about a place is normalised, how
private homes are recognised, and the tables places are looked up in.

* postcode centroids as published: the ONS Postcode Directory (:func:`read_onspd`) and
  Code-Point Open (:func:`read_codepoint_open`, BNG converted to WGS84);
* a gazetteer of public place names: what the store already holds
  (:func:`gazetteer_from_store`: police.uk map-point names, schools, stations, health
  sites), any named points (:func:`gazetteer_from_points`) and an OS Open Names extract
  (:func:`read_open_names`). A name with many points becomes one entry at its median
  point, with its spread in metres.

:mod:`geo.ingest.geocode` matches records against them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core import hexes
from geo.core.area import from_bng, to_bng
from geo.core.schema import TABLES
from geo.store.database import Store
from geo.store.place_names import GENERIC_MAP_POINTS

__all__ = [
    "POSTCODE_PATTERN",
    "gazetteer_from_points",
    "gazetteer_from_store",
    "has_no_location",
    "is_private_home",
    "normalise_place_text",
    "normalise_postcode",
    "postcodes_from_store",
    "read_codepoint_open",
    "read_onspd",
    "read_open_names",
    "text_series",
]

POSTCODE_PATTERN: Final = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")

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
    r"domestic|dwelling|accommodation|lodgings|hostel|hostel room|kitchen|living room|"
    r"refuge|foster (?:carers?|home|placement|parents?|family)|supported living|"
    r"sheltered housing|"
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


def text_series(values: Sequence[object] | pd.Series | npt.ArrayLike) -> pd.Series:
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
    s = text_series(values).str.lower()
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
    found = s.str.extract(POSTCODE_PATTERN)
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
    s = text_series(values).str.lower().str.replace("’", "'", regex=False)
    return s.str.contains(_HOME_RE, regex=True).astype(bool)


def has_no_location(values: pd.Series) -> pd.Series:
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


def _file_name(path: Path | str | IO[bytes]) -> str:
    if isinstance(path, (str, Path)):
        return Path(path).name
    return "the file"


def _published_csv(
    path: Path | str | IO[bytes], columns: tuple[str, ...], key: str, format_name: str
) -> pd.DataFrame:
    """An OS open-data CSV as strings, named by its own header row when it has one that
    names ``key`` (compared in ``key``'s case), else by the published ``columns`` (the
    files as published have no header row)."""
    raw = pd.read_csv(path, header=None, dtype=str, encoding="utf-8-sig", low_memory=False)
    fold = str.upper if key.isupper() else str.lower
    first = [fold(str(v).strip()) for v in raw.iloc[0]] if len(raw) else []
    if key in first:
        return raw.iloc[1:].set_axis(first, axis=1)
    if raw.shape[1] == len(columns):
        return raw.set_axis(list(columns), axis=1)
    raise ValueError(
        f"{_file_name(path)}: not {format_name} file (no header naming {key}, and "
        f"{raw.shape[1]} columns rather than {len(columns)})"
    )


def read_onspd(path: Path | str | IO[bytes]) -> pd.DataFrame:
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


def read_codepoint_open(path: Path | str | IO[bytes]) -> pd.DataFrame:
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
    raw = _published_csv(path, _CODEPOINT_COLUMNS, "postcode", "a Code-Point Open")
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
            "name": text_series(points["name"])
            .str.strip()
            .str.replace(r"(?i)^on or near\s+", "", regex=True)
            .to_numpy(),
            "kind": (
                text_series(points["kind"]).to_numpy()
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
    stations (named "... station"), health sites and any OS Open Names extract loaded as a
    ``gazetteer`` feed (``gazetteer_names``), each at its storage cell's centre. Youth
    sessions carry a team, not a site name, so they add nothing.

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
        ("gazetteer_names", "name", "open_names"),
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


def postcodes_from_store(store: Store) -> pd.DataFrame | None:
    """The postcode centroids loaded as ``postcodes`` feeds, or None when there are none.

    Returns
    -------
    DataFrame or None
        Columns ``postcode``, ``lat``, ``lng`` (WGS84, the storage cell's centre: within a
        few metres of the published centroid at storage resolution 11).
    """
    if not {"postcode", "cell"} <= _store_columns(store, "postcodes"):
        return None
    rows = store.query("SELECT DISTINCT postcode, cell FROM postcodes WHERE cell IS NOT NULL")
    if rows.empty:
        return None
    lat, lng = hexes.cell_centres(rows["cell"].to_numpy(dtype=np.uint64))
    return _postcode_frame(rows["postcode"].astype(str), lat, lng)


def read_open_names(
    path: Path | str | IO[bytes], *, include_areas: bool = False
) -> pd.DataFrame:
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
    raw = _published_csv(path, _OPEN_NAMES_COLUMNS, "NAME1", "an OS Open Names")
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
