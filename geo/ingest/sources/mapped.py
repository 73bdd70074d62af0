"""Mapped CSV/XLSX feeds for agencies without a public format.

A column-mapping profile (TOML, templates in ``data/templates/``) names, for each
canonical field, the partner's column. Profiles for missing episodes, youth-work
sessions and a partner's incident extract ship with PlaceSafe; a partner whose
columns differ copies a template and edits the right-hand side only::

    kind = "missing"
    source = "missing_episodes"
    datetime_format = "%d/%m/%Y %H:%M"
    [columns]
    episode_id = "Episode ID"
    ...

Dates are parsed only with the profile's format, ISO 8601 or Excel serial numbers
(see :func:`geo.ingest.validate.parse_datetimes`). Any column of the file whose header
names a person in any role (victim, suspect, parent, social worker, "YP Name", any
"name" that is not a place's or an organisation's) or a personal detail (date of
birth, address, postcode, phone, e-mail, UPN, NHS number) refuses the whole file,
whether or not the profile maps it (:func:`geo.ingest.personal_data.header_rule`; more allowed
headers in ``[ingest] allowed_headers``). Child identifiers are replaced by keyed
pseudonyms before anything is stored. Cells are capped at ``[ingest]
max_cell_chars`` (:data:`geo.ingest.sources.profiles.AREA_WKT_MAX_CHARS` for an area
polygon); a longer cell rejects its row before any value check runs. The fields a profile
may map, and the checks on the profile and the file's header, are in
:mod:`geo.ingest.sources.profiles`.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.core import hexes
from geo.core.errors import FileRefusedError
from geo.core.schema import (
    AGE_BANDS,
    ETHNIC_GROUPS,
    HEALTH_SITE_KINDS,
    INCIDENT_CATEGORIES,
    RHI_STATUSES,
    RHI_THEMES,
    RISK_LEVELS,
    SCHOOL_OUTCOME_MEASURES,
    SEXES,
)
from geo.ingest.privacy import pseudonymise
from geo.ingest.readers import RowIssues
from geo.ingest.sources.base import Adapter, AdapterContext, Parsed, reject
from geo.ingest.sources.profiles import (
    DEFAULT_PROFILES,
    FIELDS,
    REQUIRED,
    check_columns,
    coordinate_columns,
    mapped_profile,
)
from geo.ingest.validate import parse_datetimes, parse_numbers

_YES = {
    "y": True,
    "yes": True,
    "true": True,
    "1": True,
    "n": False,
    "no": False,
    "false": False,
    "0": False,
}
_SEX_SYNONYMS = {"m": "male", "f": "female", "u": "unknown", "not known": "unknown"}
_LSOA = re.compile(r"^[EW]0[01]\d{6}$")


def _get(frame: pd.DataFrame, columns: dict[str, str], name: str) -> pd.Series:
    col = columns.get(name)
    if col is None or col not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=str)
    return frame[col].astype(str).str.strip()


def _vocab(
    values: pd.Series, allowed: tuple[str, ...], synonyms: dict[str, str] | None = None
) -> tuple[pd.Series, npt.NDArray[np.bool_]]:
    """Normalise a controlled field; returns the values (None when blank) and a bad mask."""
    norm = values.str.lower().str.replace("_", " ").str.strip()
    if synonyms:
        norm = norm.replace(synonyms)
    lookup = {a.replace("_", " "): a for a in allowed}
    mapped = norm.map(lookup)
    bad = (norm != "").to_numpy() & mapped.isna().to_numpy()
    return mapped.astype(object).where(mapped.notna(), None), bad


class _Rows:
    """Applies rejections to a frame of parsed values and its row numbers together."""

    def __init__(self, out: pd.DataFrame, rows: npt.NDArray[np.int64], issues: RowIssues):
        self.out, self.rows, self.issues = out, rows, issues

    def reject(self, mask: npt.ArrayLike, column: str, rule: str) -> None:
        self.out, self.rows = reject(
            self.out, self.rows, np.asarray(mask, dtype=bool), column, rule, self.issues
        )


def _controlled(
    r: _Rows,
    columns: dict[str, str],
    *fields: tuple[str, tuple[str, ...], dict[str, str] | None],
) -> None:
    """Normalise controlled fields in place, ``(field, allowed, synonyms)`` each in turn,
    rejecting rows whose value is not in the allowed list."""
    for field, allowed, syn in fields:
        values, bad = _vocab(r.out[field], allowed, syn)
        r.out[field] = values
        r.reject(bad, columns.get(field, field), "value not in the allowed list")


def _dates(
    out: _Rows, field: str, column: str, required: bool, fmt: str, now: pd.Timestamp
) -> None:
    """Parse a date column in place, rejecting rows by the rule they break."""
    parsed, precision, rule = parse_datetimes(out.out[field].astype(str), fmt, now=now)
    out.out[field] = parsed
    out.out[field + "_precision"] = precision
    out.out["_rule"] = rule
    for broken in np.unique(rule[rule != ""]):
        out.reject((out.out["_rule"] == broken).to_numpy(), column, str(broken))
    if required:
        out.reject(out.out[field].isna().to_numpy(), column, "required date is empty")
    out.out = out.out.drop(columns="_rule")


def read_mapped(
    kind: str, frame: pd.DataFrame, rows: np.ndarray, issues: RowIssues, ctx: AdapterContext
) -> tuple[_Rows, dict[str, str], str, str]:
    """The steps every mapped feed shares: check the profile's columns against the file,
    read each field as text, parse coordinates and reject rows missing a required value.

    Returns
    -------
    tuple
        The rows (:class:`_Rows`, one text column per field plus float ``lat``/``lng``),
        the profile's column mapping, the feed's source name and its date format.
    """
    profile = mapped_profile(kind, ctx.profile)
    columns: dict[str, str] = dict(profile["columns"])
    check_columns(frame, columns, kind, issues, ctx.allowed_headers)
    fmt = str(profile.get("datetime_format", "%d/%m/%Y %H:%M"))
    source = str(profile.get("source", kind))
    fields = dict.fromkeys((*FIELDS[kind], "latitude", "longitude"))  # ordered, unique
    raw = pd.DataFrame({f: _get(frame, columns, f) for f in fields})
    raw["lat"] = parse_numbers(raw["latitude"])
    raw["lng"] = parse_numbers(raw["longitude"])
    given = (raw["latitude"] != "") | (raw["longitude"] != "")
    unparseable = given.to_numpy() & ~(np.isfinite(raw["lat"]) & np.isfinite(raw["lng"]))
    r = _Rows(raw, rows, issues)
    r.reject(unparseable, columns.get("latitude", "latitude"), "coordinates are not numbers")
    for f in REQUIRED[kind]:
        if f in ("latitude", "longitude"):
            continue
        r.reject((r.out[f] == "").to_numpy(), columns[f], "required value is empty")
    return r, columns, source, fmt


def parse_mapped(
    kind: str, frame: pd.DataFrame, rows: np.ndarray, issues: RowIssues, ctx: AdapterContext
) -> Parsed:
    """Parse a mapped feed of ``kind`` (``missing``, ``youth_sessions``, ``incidents``,
    ``school_outcomes``, ``health_sites``, ``stations``; ``istv`` has its own module)."""
    r, columns, source, fmt = read_mapped(kind, frame, rows, issues, ctx)
    if kind == "missing":
        return _missing(r, columns, source, ctx, fmt)
    if kind == "youth_sessions":
        return _youth_sessions(r, columns, source, ctx, fmt)
    if kind == "school_outcomes":
        return _school_outcomes(r, columns, source, ctx, fmt)
    if kind == "health_sites":
        return _health_sites(r, columns, source)
    if kind == "stations":
        return _stations(r, columns, source)
    return _incidents(r, columns, source, ctx, fmt)


def _missing(
    r: _Rows, columns: dict[str, str], source: str, ctx: AdapterContext, fmt: str
) -> Parsed:
    if ctx.pseudonym_key is None:
        raise FileRefusedError(
            "no pseudonym key is configured; missing episodes cannot be ingested"
        )
    _dates(r, "reported_at", columns["reported_at"], True, fmt, ctx.now)
    _dates(r, "returned_at", columns.get("returned_at", "returned_at"), False, fmt, ctx.now)
    _dates(
        r,
        "rhi_completed_at",
        columns.get("rhi_completed_at", "rhi_completed_at"),
        False,
        fmt,
        ctx.now,
    )
    o = r.out
    r.reject(
        (o["returned_at"] < o["reported_at"]).to_numpy(),
        columns.get("returned_at", "returned_at"),
        "return before the report",
    )
    _controlled(
        r,
        columns,
        ("age_band", AGE_BANDS, None),
        ("sex", SEXES, _SEX_SYNONYMS),
        ("ethnicity", ETHNIC_GROUPS, None),
        ("rhi_status", RHI_STATUSES, None),
        ("risk_level", RISK_LEVELS, None),
    )
    looked = r.out["looked_after"].str.lower().map(_YES)
    r.reject(
        ((r.out["looked_after"] != "") & looked.isna()).to_numpy(),
        columns.get("looked_after", "looked_after"),
        "expected Y or N",
    )
    themes = r.out["rhi_themes"].str.lower().str.replace(" ", "")
    exploded = themes.str.split(";").explode()
    bad_theme = exploded[(exploded != "") & ~exploded.isin(RHI_THEMES)]
    r.reject(
        r.out.index.isin(bad_theme.index),
        columns.get("rhi_themes", "rhi_themes"),
        "theme code not in the allowed list",
    )
    home = r.out["home_area"]
    valid_home = home.str.match(_LSOA.pattern) | (home == "")
    cell_like = home.str.fullmatch(r"[0-9a-f]{15}") & ~valid_home
    if cell_like.any():
        idx = np.flatnonzero(cell_like.to_numpy())
        ok = np.array([hexes.is_valid_cell(c) for c in home.iloc[idx]], dtype=bool)
        if ok.any():
            res = hexes.cell_resolution(hexes.str_to_cells(home.iloc[idx[ok]]))
            good = idx[ok][res <= 7]
            valid_home.iloc[good] = True
    r.reject(
        ~valid_home.to_numpy(),
        columns.get("home_area", "home_area"),
        "home area must be an LSOA code or an H3 cell at resolution 7 or coarser",
    )
    o = r.out
    looked_after = o["looked_after"].str.lower().map(_YES)
    out = pd.DataFrame(
        {
            "source": source,
            "episode_id": o["episode_id"],
            "child_key": pseudonymise(o["child_id"], ctx.pseudonym_key, namespace=source),
            "reported_at": o["reported_at"],
            "returned_at": o["returned_at"],
            "home_area": o["home_area"].replace("", None),
            "school_urn": o["school_urn"].str.replace(" ", "").replace("", None),
            "looked_after": looked_after.astype(object).where(looked_after.notna(), None),
            "age_band": o["age_band"],
            "sex": o["sex"],
            "ethnicity": o["ethnicity"],
            "rhi_status": o["rhi_status"],
            "rhi_completed_at": o["rhi_completed_at"],
            "rhi_themes": themes.loc[o.index].replace("", None),
            "risk_level": o["risk_level"],
            "lat": o["lat"],
            "lng": o["lng"],
        }
    )
    return Parsed(
        "missing_episodes",
        source,
        out,
        r.rows,
        locate="optional",
        coordinate_columns=coordinate_columns(columns),
    )


def _youth_sessions(
    r: _Rows, columns: dict[str, str], source: str, ctx: AdapterContext, fmt: str
) -> Parsed:
    _dates(r, "started_at", columns["started_at"], True, fmt, ctx.now)
    _dates(r, "ended_at", columns["ended_at"], True, fmt, ctx.now)
    o = r.out
    hours = (o["ended_at"] - o["started_at"]).dt.total_seconds() / 3600
    r.reject(
        ((hours <= 0) | (hours > 24)).to_numpy(),
        columns["ended_at"],
        "session must end after it starts and last at most 24 hours",
    )
    wkt = r.out["area_wkt"]
    geoms = np.full(len(wkt), None, dtype=object)
    has_wkt = (wkt != "").to_numpy()
    if has_wkt.any():
        geoms[has_wkt] = shapely.from_wkt(wkt[has_wkt].to_numpy(), on_invalid="ignore")
    polygonal = np.array(
        [
            g is not None and g.geom_type in ("Polygon", "MultiPolygon") and g.is_valid
            for g in geoms
        ],
        dtype=bool,
    )
    r.reject(
        has_wkt & ~polygonal,
        columns.get("area_wkt", "area_wkt"),
        "area is not a valid WKT polygon in lon/lat",
    )
    keep_geoms = geoms[np.asarray(has_wkt & polygonal | ~has_wkt)]
    no_place = ~np.isfinite(r.out["lat"].to_numpy()) & np.array([g is None for g in keep_geoms])
    r.reject(no_place, columns.get("latitude", "latitude"), "no point and no area")
    keep_geoms = keep_geoms[~no_place]
    o = r.out
    contacts = pd.to_numeric(o["contacts"], errors="coerce")
    referrals = pd.to_numeric(o["referrals"], errors="coerce")
    # An area session has its cells listed separately; its representative point is
    # used only to check that it lies in the study area.
    is_area = np.array([g is not None for g in keep_geoms], dtype=bool)
    lat = o["lat"].to_numpy(copy=True)
    lng = o["lng"].to_numpy(copy=True)
    area_rows = []
    for i in np.flatnonzero(is_area):
        g = keep_geoms[i]
        p = g.representative_point()
        lat[i], lng[i] = p.y, p.x
        cells = hexes.polygon_to_cells(g, ctx.storage_resolution)
        if cells.size == 0:
            cells = hexes.points_to_cells([p.y], [p.x], ctx.storage_resolution)
        area_rows.append(pd.DataFrame({"session_id": o["session_id"].iloc[i], "cell": cells}))
    out = pd.DataFrame(
        {
            "source": source,
            "session_id": o["session_id"],
            "team": o["team"].replace("", None),
            "started_at": o["started_at"],
            "ended_at": o["ended_at"],
            "contacts": contacts.astype("Int64"),
            "referrals": referrals.astype("Int64"),
            "is_area": is_area,
            "lat": lat,
            "lng": lng,
        }
    )
    extra: dict[str, pd.DataFrame] = {}
    if area_rows:
        area_cells = pd.concat(area_rows, ignore_index=True)
        area_cells.insert(0, "source", source)
        extra["youth_session_cells"] = area_cells
    return Parsed(
        "youth_sessions",
        source,
        out,
        r.rows,
        locate="required",
        extra=extra,
        coordinate_columns=coordinate_columns(columns),
    )


def _incidents(
    r: _Rows, columns: dict[str, str], source: str, ctx: AdapterContext, fmt: str
) -> Parsed:
    _dates(r, "occurred_at", columns["occurred_at"], True, fmt, ctx.now)
    cat, bad = _vocab(r.out["category"], INCIDENT_CATEGORIES)
    r.out["category"] = cat
    r.reject(bad, columns["category"], "category not in the canonical list")
    _controlled(
        r,
        columns,
        ("age_band", AGE_BANDS, None),
        ("sex", SEXES, _SEX_SYNONYMS),
        ("ethnicity", ETHNIC_GROUPS, None),
    )
    o = r.out
    out = pd.DataFrame(
        {
            "source": source,
            "incident_id": o["incident_id"],
            "category": o["category"],
            "occurred_at": o["occurred_at"],
            "time_precision": o["occurred_at_precision"],
            "age_band": o["age_band"],
            "sex": o["sex"],
            "ethnicity": o["ethnicity"],
            "weapon": o["weapon"].str.lower().replace("", None),
            "location_type": o["location_type"].str.lower().replace("", None),
            "outcome": None,
            "lat": o["lat"],
            "lng": o["lng"],
        }
    )
    return Parsed(
        "incidents",
        source,
        out,
        r.rows,
        locate="required",
        coordinate_columns=coordinate_columns(columns),
    )


#: Partner wordings of the school outcome measures.
_MEASURE_SYNONYMS = {
    "fixed term exclusion": "fixed_term_exclusion",
    "fixed-term exclusion": "fixed_term_exclusion",
    "fte": "fixed_term_exclusion",
    "suspension": "fixed_term_exclusion",
    "permanent exclusion": "permanent_exclusion",
    "managed move": "managed_move",
}


def _school_outcomes(
    r: _Rows, columns: dict[str, str], source: str, ctx: AdapterContext, fmt: str
) -> Parsed:
    """Counts of exclusions and managed moves per school, period and group.

    The feed holds aggregates, never children: one row per (school, period,
    measure, ethnic group[, sex]) with a count. Without a ``record_id`` column the
    record id is that natural key, so an overlapping extract is not counted twice.
    A blank ethnicity is stored as ``not_recorded`` (never dropped).
    """
    _dates(r, "period_start", columns["period_start"], True, fmt, ctx.now)
    measure = r.out["measure"].str.lower().str.replace("_", " ").str.strip()
    measure = measure.replace(_MEASURE_SYNONYMS)
    known = measure.isin(SCHOOL_OUTCOME_MEASURES).to_numpy()
    r.reject(~known, columns["measure"], "measure not in the allowed list")
    r.out["measure"] = measure
    _controlled(r, columns, ("ethnicity", ETHNIC_GROUPS, None), ("sex", SEXES, _SEX_SYNONYMS))
    count = parse_numbers(r.out["count"])
    whole = np.isfinite(count) & (count >= 0) & (np.floor(count) == count)
    r.reject(~whole, columns["count"], "count must be a whole number of 0 or more")
    r.reject(~r.out["urn"].str.fullmatch(r"\d{5,8}").to_numpy(), columns["urn"], "not a URN")
    o = r.out
    ethnicity = o["ethnicity"].fillna("not_recorded")
    sex = o["sex"]
    natural = (
        o["urn"] + "|" + o["period"] + "|" + o["measure"] + "|" + ethnicity + "|" + sex.fillna("")
    )
    record_id = o["record_id"].where(o["record_id"] != "", natural)
    out = pd.DataFrame(
        {
            "source": source,
            "record_id": record_id,
            "urn": o["urn"],
            "period": o["period"],
            "period_start": o["period_start"],
            "measure": o["measure"],
            "ethnicity": ethnicity,
            "sex": sex,
            "count": parse_numbers(o["count"]).astype(np.int64),
        }
    )
    return Parsed("school_outcomes", source, out, r.rows, locate="none", unit="rows")


#: Partner wordings of the health-site kinds (normalised: lower case, spaces).
_HEALTH_KIND_SYNONYMS = {
    "a&e": "emergency department",
    "a and e": "emergency department",
    "ae": "emergency department",
    "ed": "emergency department",
    "accident and emergency": "emergency department",
    "accident & emergency": "emergency department",
    "emergency": "emergency department",
    "gp": "gp surgery",
    "gp practice": "gp surgery",
    "general practice": "gp surgery",
    "sexual health": "sexual health clinic",
    "sexual health service": "sexual health clinic",
    "gum": "sexual health clinic",
    "gum clinic": "sexual health clinic",
}
#: Longest site name kept (longer values are rejected, never truncated).
SITE_NAME_MAX = 200


def _reject_long_names(r: _Rows, columns: dict[str, str]) -> None:
    """Reject site and station names over :data:`SITE_NAME_MAX` (never truncated)."""
    too_long = r.out["name"].str.len().gt(SITE_NAME_MAX).to_numpy()
    r.reject(too_long, columns["name"], f"name longer than {SITE_NAME_MAX} characters")


def _health_sites(r: _Rows, columns: dict[str, str], source: str) -> Parsed:
    """Health sites (A&E, GP surgeries, sexual-health clinics) for hospital- and
    clinic-based youth work.

    Sites may lie outside the study area (a borough's A&E often does), so rows are
    located ``nearby``: kept up to :data:`geo.ingest.pipeline.NEARBY_M` from the area and, like
    every other table, stored as their storage cell and its parents, never as
    coordinates. Names are organisation names sent by a partner: stored as text and
    escaped wherever they are shown.
    """
    kind, bad = _vocab(r.out["kind"], HEALTH_SITE_KINDS, _HEALTH_KIND_SYNONYMS)
    r.out["kind"] = kind
    r.reject(bad, columns["kind"], "value not in the allowed list")
    _reject_long_names(r, columns)
    o = r.out
    out = pd.DataFrame(
        {
            "source": source,
            "site_id": o["site_id"],
            "name": o["name"],
            "kind": o["kind"],
            "lat": o["lat"],
            "lng": o["lng"],
        }
    )
    return Parsed(
        "health_sites",
        source,
        out,
        r.rows,
        locate="nearby",
        coordinate_columns=coordinate_columns(columns),
    )


def _stations(r: _Rows, columns: dict[str, str], source: str) -> Parsed:
    """Rail, Underground, Overground and bus stations (public open data such as DfT's
    NaPTAN), used to name places ("near Romford station"). Like health sites they may
    lie just outside the study area, so rows are located ``nearby``; the id defaults to
    the name when the file has none."""
    _reject_long_names(r, columns)
    o = r.out
    ids = o["station_id"].where(o["station_id"] != "", o["name"])
    out = pd.DataFrame(
        {
            "source": source,
            "station_id": ids,
            "name": o["name"],
            "lat": o["lat"],
            "lng": o["lng"],
        }
    )
    return Parsed(
        "stations",
        source,
        out,
        r.rows,
        locate="nearby",
        coordinate_columns=coordinate_columns(columns),
    )


#: The formats this module reads: every kind with a column-mapping template but ``istv``
#: (:mod:`geo.ingest.sources.istv`), found by :func:`geo.ingest.sources.adapter_for`.
ADAPTERS: tuple[Adapter, ...] = (
    Adapter(
        tuple(k for k in DEFAULT_PROFILES if k != "istv"),
        lambda f: parse_mapped(f.kind, *f.table(), f.issues, f.ctx),
    ),
)
