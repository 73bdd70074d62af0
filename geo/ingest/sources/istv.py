"""An emergency department's ISTV extract (Information Sharing to Tackle Violence).

Since the Cardiff Model, emergency departments in England collect the ISTV minimum data set
(NHS information standard ISB 1594, now part of the Emergency Care Data Set) and share it,
anonymised, with community safety partnerships: when the patient arrived, when and where the
assault happened (free text, sometimes a postcode or a venue), the primary means of assault,
and usually the patient's age band and sex. A column-mapping profile
(``data/templates/istv.toml``) names the ED's columns, as for the other mapped feeds
(:mod:`geo.ingest.sources.mapped`).

Each record is placed by :func:`geo.ingest.geocode.geocode_locations`, in order, from
coordinates, a full postcode (the ``postcodes`` feed) or a public place name (the store's
gazetteer and any ``gazetteer`` feed). The location text and postcode are read once, to
place the record, and never stored: the row keeps only the cells, the method, its
confidence and, when unplaced, the reason. Records at a private home (by the text or the
location type) are kept, so they count, but never get a cell: a home is not a contextual
place, and a map of them would point at addresses. The primary means of assault is mapped
to :data:`geo.core.schema.ASSAULT_MEANS`; a blank or unknown value is stored as
``not_recorded`` and counted in the report, never dropped.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

from geo.core.schema import AGE_BANDS, ASSAULT_MEANS, SEXES
from geo.ingest.gazetteer import is_private_home
from geo.ingest.geocode import geocode_locations, summarise_geocoding
from geo.ingest.readers import RowIssues
from geo.ingest.sources.base import Adapter, AdapterContext, Parsed, SourceFile
from geo.ingest.sources.mapped import _SEX_SYNONYMS, _controlled, _dates, read_mapped
from geo.ingest.sources.profiles import coordinate_columns

__all__ = ["ADAPTERS", "MEANS_SYNONYMS", "assault_means", "parse_istv"]

_NOT_RECORDED: Final = "not_recorded"

#: How EDs write each primary means of assault (normalised: lower case, ``/&-,`` as
#: spaces), by canonical code. The canonical codes themselves are accepted too.
MEANS_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "knife_or_sharp": (
        "knife", "knife or sharp object", "knife sharp object", "knife sharp", "sharp object",
        "sharp", "sharp instrument", "blade", "bladed article", "stab", "stabbing", "stabbed",
    ),
    "bottle_or_glass": (
        "bottle", "glass", "bottle glass", "bottle or glass", "glassing", "glassed",
        "broken bottle", "broken glass",
    ),
    "body_part": (
        "body part", "body parts", "body", "punch", "punched", "kick", "kicked", "punch kick",
        "punch or kick", "fist", "fists", "feet", "hands feet", "hands and feet", "head butt",
        "headbutt", "bite", "bitten", "assault by body part", "unarmed",
    ),
    "blunt_object": (
        "blunt object", "blunt", "blunt instrument", "bat", "baseball bat", "stick", "club",
        "hammer", "bar", "iron bar",
    ),
    "firearm": ("firearm", "gun", "gunshot", "shot", "shooting", "gun shot wound"),
    "other": ("other", "other means", "other weapon", "weapon other"),
}  # fmt: skip

_SEPARATORS: Final = re.compile(r"[/&,\-_.]+")
_SPACES: Final = re.compile(r"\s+")


def _normalise_means(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.lower().str.replace(_SEPARATORS, " ", regex=True)
    return text.str.replace(_SPACES, " ", regex=True).str.strip()


_MEANS_LOOKUP: Final[dict[str, str]] = {
    **{code.replace("_", " "): code for code in ASSAULT_MEANS},
    **{word: code for code, words in MEANS_SYNONYMS.items() for word in words},
}


def assault_means(values: pd.Series) -> pd.Series:
    """Canonical primary means of assault (:data:`geo.core.schema.ASSAULT_MEANS`).

    Parameters
    ----------
    values : Series of str
        The ED's wording ("Knife/sharp object", "punch", "Bottle or glass", "").

    Returns
    -------
    Series of str
        One code per value; blank, "unknown" and anything not recognised become
        ``not_recorded`` (kept and counted, never guessed).
    """
    mapped = _normalise_means(values).map(_MEANS_LOOKUP)
    return mapped.fillna(_NOT_RECORDED).astype(object)


def parse_istv(file: SourceFile) -> Parsed:
    """Read, check and place an ISTV extract.

    Parameters
    ----------
    file : SourceFile
        The file; ``file.ctx`` carries the profile and the postcode and gazetteer tables
        the pipeline built from the store; ``file.area`` bounds where a record may be placed.

    Returns
    -------
    Parsed
        Rows for ``ed_assaults`` with ``lat``/``lng`` where placed (NaN otherwise, and
        always NaN at a private home); no column holds the location text or postcode.
    """
    frame, rows = file.table()
    ctx: AdapterContext = file.ctx
    issues: RowIssues = file.issues
    r, columns, source, fmt = read_mapped("istv", frame, rows, issues, ctx)
    _dates(r, "arrived_at", columns["arrived_at"], True, fmt, ctx.now)
    _dates(r, "assaulted_at", columns.get("assaulted_at", "assaulted_at"), False, fmt, ctx.now)
    o = r.out
    r.reject(
        (o["assaulted_at"] > o["arrived_at"]).to_numpy(),
        columns.get("assaulted_at", "assaulted_at"),
        "assault after the arrival",
    )
    _controlled(r, columns, ("age_band", AGE_BANDS, None), ("sex", SEXES, _SEX_SYNONYMS))
    o = r.out
    means = assault_means(o["means"])
    location_type = o["location_type"].str.lower().replace("", None)
    placed = geocode_locations(
        o["location"],
        lat=o["lat"],
        lng=o["lng"],
        postcode=o["postcode"],
        postcodes=ctx.postcodes,
        gazetteer=ctx.gazetteer,
        area=file.area,
    )
    home = placed["private_home"].to_numpy(dtype=bool) | is_private_home(
        o["location_type"]
    ).to_numpy(dtype=bool)
    method = placed["method"].astype(str).where(~home, "")
    reason = placed["reason"].astype(str).where(~home, "private home")
    located = (method != "").to_numpy()
    assaulted = o["assaulted_at"]
    out = pd.DataFrame(
        {
            "source": source,
            "attendance_id": o["attendance_id"],
            "arrived_at": o["arrived_at"],
            "assaulted_at": assaulted,
            "occurred_at": assaulted.where(assaulted.notna(), o["arrived_at"]),
            "time_basis": np.where(assaulted.notna(), "assault", "arrival"),
            "means": means,
            "location_type": location_type,
            "age_band": o["age_band"],
            "sex": o["sex"],
            "ed_site": o["ed_site"].str.upper().replace("", None),
            "private_home": home,
            "locate_method": method.replace("", None),
            "locate_confidence": placed["confidence"].where(located),
            "unlocated_reason": reason.where(~located, None).replace("", None),
            "lat": placed["lat"].where(located),
            "lng": placed["lng"].where(located),
        }
    )
    parsed = Parsed(
        "ed_assaults",
        source,
        out,
        r.rows,
        locate="optional",
        coordinate_columns=coordinate_columns(columns),
    )
    parsed.notes.extend(_notes(out, placed, home))
    return parsed


def _notes(out: pd.DataFrame, placed: pd.DataFrame, home: np.ndarray) -> list[str]:
    """The report's lines on placing and on means of assault (counts, never text)."""
    n = len(out)
    if n == 0:
        return []
    summary = summarise_geocoding(placed.assign(private_home=home))
    shares = ", ".join(f"{m} {c:,} ({c / n:.0%})" for m, c in summary.located.items() if c)
    notes = [
        f"Placed {summary.located_total:,} of {n:,} records ({summary.located_total / n:.0%})"
        + (f": {shares}" if shares else "")
        + ". The location text was used only to place them and is not stored."
    ]
    if int(home.sum()):
        notes.append(f"{int(home.sum()):,} at a private home: counted, never mapped.")
    unlocated = {r: c for r, c in summary.unlocated.items() if r != "private home"}
    if unlocated:
        notes.append(
            "Not placed: " + "; ".join(f"{reason} {c:,}" for reason, c in unlocated.items()) + "."
        )
    unrecorded = int((out["means"] == _NOT_RECORDED).sum())
    if unrecorded:
        notes.append(
            f"Means of assault not recorded (blank or not in the list) for {unrecorded:,} "
            "records: kept as 'not recorded'."
        )
    return notes


#: The format this module reads (found by :func:`geo.ingest.sources.adapter_for`).
ADAPTERS: tuple[Adapter, ...] = (Adapter(("istv",), parse_istv),)
