"""Checking partner values: numbers, dates and coordinates, with redacted rules.

Values are parsed with explicit formats only (never guessed); each failing value yields
the rule it broke, never the value, because partner files carry data about children.
Reading files is :mod:`geo.ingest.readers`; personal data is :mod:`geo.ingest.personal_data`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "EARLIEST_DATE",
    "EXCEL_EPOCH",
    "EXCEL_SERIAL_RANGE",
    "coordinate_rules",
    "parse_datetimes",
    "parse_numbers",
]

#: Excel's day zero for serial dates (the 1900 leap-year bug is absorbed by 30 Dec 1899).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Serial numbers accepted as Excel dates: 1 Jan 1990 .. 31 Dec 2099.
EXCEL_SERIAL_RANGE = (32874.0, 73415.0)
EARLIEST_DATE = pd.Timestamp("2000-01-01")


def parse_numbers(values: pd.Series) -> npt.NDArray[np.float64]:
    """Floats from text; empty or non-numeric text becomes NaN."""
    return np.asarray(pd.to_numeric(values.str.strip(), errors="coerce"), dtype=np.float64)


def parse_datetimes(
    values: pd.Series, fmt: str, *, now: pd.Timestamp | None = None
) -> tuple[pd.Series, npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Parse partner datetimes with explicit formats only (never guessed).

    Tried in order: the profile's format ``fmt`` (UK day-first, e.g. ``%d/%m/%Y %H:%M``),
    its date part alone, ISO 8601 (``YYYY-MM-DD[ HH:MM[:SS]]``, as XLSX cells arrive),
    and Excel serial day numbers.

    Returns
    -------
    (Series of datetime64, ndarray of str, ndarray of str)
        Parsed values (NaT when empty or invalid), the time precision of each
        (``minute``/``day``/``""``), and the rule each failing non-empty value broke
        (``""`` when fine).
    """
    now = now or pd.Timestamp.now()
    text = values.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    precision = np.full(len(text), "", dtype=object)
    date_fmt = fmt.split(" ")[0]
    attempts: list[tuple[str, str]] = [(fmt, "minute"), (date_fmt, "day")]
    attempts += [
        ("%Y-%m-%d %H:%M:%S", "minute"),
        ("%Y-%m-%dT%H:%M:%S", "minute"),
        ("%Y-%m-%d %H:%M", "minute"),
        ("%Y-%m-%d", "day"),
    ]
    remaining = (text != "").to_numpy().copy()
    for f, prec in attempts:
        if not remaining.any():
            break
        parsed = pd.to_datetime(text[remaining], format=f, errors="coerce")
        ok = parsed.notna().to_numpy()
        idx = np.flatnonzero(remaining)[ok]
        out.iloc[idx] = parsed[ok].to_numpy()
        if prec == "minute":
            # a midnight time of day from a date-time format is still minute precision
            precision[idx] = "minute"
        else:
            precision[idx] = "day"
        remaining[idx] = False
    if remaining.any():
        serial = pd.to_numeric(text[remaining], errors="coerce").to_numpy(dtype=float)
        ok = (serial >= EXCEL_SERIAL_RANGE[0]) & (serial <= EXCEL_SERIAL_RANGE[1])
        idx = np.flatnonzero(remaining)[ok]
        whole = np.floor(serial[ok])
        stamps = EXCEL_EPOCH + pd.to_timedelta(np.round(serial[ok] * 1440), unit="min")
        out.iloc[idx] = stamps.to_numpy()
        precision[idx] = np.where(serial[ok] == whole, "day", "minute")
        remaining[idx] = False
    rule = np.full(len(text), "", dtype=object)
    rule[remaining] = "not a valid date in the expected format"
    future = (out > now).to_numpy()
    rule[future] = "date in the future"
    early = (out < EARLIEST_DATE).to_numpy()
    rule[early] = "date before 2000"
    bad = future | early
    out[bad] = pd.NaT
    precision[bad] = ""
    return out, precision.astype(str), rule.astype(str)


def coordinate_rules(
    lat: npt.NDArray[np.float64], lng: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    """The first coordinate rule each point breaks (``""`` when plausible).

    Rules, in order: missing coordinates; (0, 0); British National Grid metres
    in latitude/longitude columns; latitude and longitude swapped (a point that
    only makes sense in Great Britain with the two exchanged); out of range.
    """
    rule = np.full(lat.shape, "", dtype=object)
    missing = ~(np.isfinite(lat) & np.isfinite(lng))
    zero = ~missing & (lat == 0) & (lng == 0)
    bng = ~missing & ~zero & (np.abs(lat) > 1000) & (np.abs(lng) > 1000)
    swapped = ~missing & ~zero & ~bng & (lat >= -9) & (lat <= 2.5) & (lng >= 49) & (lng <= 61)
    out_of_range = ~missing & ~zero & ~bng & ~swapped & ((np.abs(lat) > 90) | (np.abs(lng) > 180))
    rule[out_of_range] = "coordinates out of range"
    rule[swapped] = "latitude and longitude look swapped"
    rule[bng] = "coordinates look like British National Grid metres, not degrees"
    rule[zero] = "coordinates are (0, 0)"
    rule[missing] = "no coordinates (unlocatable)"
    return rule
