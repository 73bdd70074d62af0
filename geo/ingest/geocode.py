"""An offline geocoder for free-text places that never guesses.

Emergency-department staff write where an assault happened in their own words ("outside
the station, South Street", "Costa on South St", "RM1 3NH", "at home", "unknown"). Each
record is placed, in order, by

1. its coordinates, when given and valid;
2. a full UK postcode (its own column, else found in the text), looked up in a postcode
   centroid table (:func:`geo.ingest.gazetteer.read_onspd`,
   :func:`geo.ingest.gazetteer.read_codepoint_open`);
3. a gazetteer of public place names (:mod:`geo.ingest.gazetteer`: what the store holds,
   named points, OS Open Names), matched by :mod:`geo.ingest.name_matching`.

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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.area import StudyArea, to_bng
from geo.core.types import BoolArray, FloatArray
from geo.ingest.gazetteer import (
    POSTCODE_PATTERN,
    has_no_location,
    is_private_home,
    normalise_place_text,
    normalise_postcode,
    text_series,
)
from geo.ingest.name_matching import NameMatches, match_names

__all__ = [
    "GEOCODE_METHODS",
    "GeocodeSummary",
    "UNLOCATED_REASONS",
    "geocode_locations",
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


#: Result columns, in order.
_COLUMNS: Final = ("lat", "lng", "method", "confidence", "private_home", "reason")


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
    raw = text_series(text)
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
        normalise_postcode(text_series(postcode)).to_numpy(dtype=object)
        if postcode is not None
        else np.full(n, "", dtype=object)
    )
    if len(codes) != n:
        raise ValueError(f"postcode has {len(codes)} values for {n} records")
    in_text = normalise_postcode(raw).to_numpy(dtype=object)
    codes = np.where(codes == "", in_text, codes)
    blank = has_no_location(raw).to_numpy(dtype=bool) & (codes == "")
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
            POSTCODE_PATTERN.pattern, " ", regex=True, case=False
        )
        norm = normalise_place_text(without_codes)
        uniq, inverse = np.unique(norm.to_numpy(dtype=str), return_inverse=True)
        gaz = _usable_gazetteer(gazetteer, area)
        if gaz.empty:
            matches = NameMatches(
                np.full(uniq.size, -1, dtype=np.int64), np.zeros(uniq.size), np.zeros(uniq.size)
            )
        else:
            gx, gy = to_bng(gaz["lng"].to_numpy(), gaz["lat"].to_numpy())
            matches = match_names(
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
