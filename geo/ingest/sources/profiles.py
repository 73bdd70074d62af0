"""Column-mapping profiles for mapped CSV/XLSX feeds: fields, required fields, checks.

A profile (TOML, templates in ``data/templates/``) names, for each canonical field, the
partner's column (see :mod:`geo.ingest.sources.mapped`). The fields a profile may map are
generated from the table definitions (:data:`geo.core.schema.TABLES`): the columns a
mapped feed sends, plus the fields that place a row (coordinates, a session's area).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

import pandas as pd

from geo.core.errors import FileRefusedError
from geo.core.schema import KIND_TABLES, TABLES
from geo.ingest.personal_data import personal_data_values, refuse_personal_data_columns
from geo.ingest.readers import RowIssues

__all__ = [
    "AREA_WKT_MAX_CHARS",
    "DEFAULT_PROFILES",
    "FIELDS",
    "PLACE_TEXT_FIELDS",
    "REQUIRED",
    "TEMPLATES",
    "check_columns",
    "coordinate_columns",
    "load_profile",
    "mapped_profile",
]

TEMPLATES = Path(__file__).resolve().parents[3] / "data" / "templates"
DEFAULT_PROFILES = {
    "missing": TEMPLATES / "missing_episodes.toml",
    "youth_sessions": TEMPLATES / "youth_sessions.toml",
    "incidents": TEMPLATES / "incidents.toml",
    "school_outcomes": TEMPLATES / "school_outcomes.toml",
    "health_sites": TEMPLATES / "health_sites.toml",
    "stations": TEMPLATES / "stations.toml",
    "istv": TEMPLATES / "istv.toml",
}

#: Canonical fields each kind requires in its profile and file.
REQUIRED: dict[str, tuple[str, ...]] = {
    "missing": ("episode_id", "child_id", "reported_at"),
    "youth_sessions": ("session_id", "started_at", "ended_at"),
    "incidents": ("incident_id", "occurred_at", "category", "latitude", "longitude"),
    "school_outcomes": ("urn", "period", "period_start", "measure", "count"),
    "health_sites": ("site_id", "name", "kind", "latitude", "longitude"),
    "stations": ("name", "latitude", "longitude"),
    "istv": ("attendance_id", "arrived_at"),
}
#: Fields a profile may map to, per kind.
#: Fields that place a row rather than fill a column of its own: coordinates (stored as
#: cells) and a youth session's area (stored as the cells it covers).
_PLACE_FIELDS: Final[tuple[str, ...]] = ("latitude", "longitude")
_AREA_FIELDS: Final[dict[str, tuple[str, ...]]] = {"youth_sessions": ("area_wkt",)}
#: Fields that describe a place in words (an ED's "where it happened" and its postcode):
#: read once to place the row (:mod:`geo.ingest.geocode`), never stored. Their headers may
#: name a postcode and their values may hold one: a place's postcode is not a person's.
PLACE_TEXT_FIELDS: Final[dict[str, tuple[str, ...]]] = {"istv": ("location", "postcode")}
#: Fields a profile may map to, per kind: the columns of its table that a mapped feed
#: sends (:attr:`geo.core.schema.Table.fields`), then the fields that place a row.
FIELDS: Final[dict[str, tuple[str, ...]]] = {
    kind: (
        *TABLES[KIND_TABLES[kind]].fields,
        *(_PLACE_FIELDS if "cell" in TABLES[KIND_TABLES[kind]].names else ()),
        *_AREA_FIELDS.get(kind, ()),
        *PLACE_TEXT_FIELDS.get(kind, ()),
    )
    for kind in DEFAULT_PROFILES
}
#: Longest area polygon (WKT) a youth-session row may carry; other cells use the
#: configured ``[ingest] max_cell_chars``.
AREA_WKT_MAX_CHARS = 200_000

#: Fields whose values are dates, numbers, coordinates or areas: they may contain digit
#: runs, so they are not scanned for personal identifiers.
_NO_VALUE_SCAN: Final[frozenset[str]] = frozenset(
    (
        *(
            c.field
            for kind in DEFAULT_PROFILES
            for c in TABLES[KIND_TABLES[kind]].columns
            if c.field is not None and c.sql_type in ("TIMESTAMP", "INTEGER")
        ),
        *_PLACE_FIELDS,
        *(f for fields in _AREA_FIELDS.values() for f in fields),
    )
)


def load_profile(kind: str, path: Path | None = None) -> dict[str, Any]:
    """Read a column-mapping profile (the shipped template when ``path`` is None)."""
    chosen = path or DEFAULT_PROFILES[kind]
    try:
        profile = tomllib.loads(Path(chosen).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FileRefusedError("the column-mapping profile cannot be read") from exc
    if profile.get("kind") != kind:
        raise FileRefusedError(f"the column-mapping profile is not for '{kind}'")
    columns = profile.get("columns")
    if not isinstance(columns, dict):
        raise FileRefusedError("the column-mapping profile has no [columns] table")
    unknown = set(columns) - set(FIELDS[kind])
    if unknown:
        raise FileRefusedError(f"the profile maps unknown field(s): {', '.join(sorted(unknown))}")
    missing = [f for f in REQUIRED[kind] if f not in columns]
    if missing:
        raise FileRefusedError(f"the profile does not map required field(s): {', '.join(missing)}")
    return profile


def mapped_profile(kind: str, ctx_profile: dict[str, object] | None) -> dict[str, Any]:
    """The profile in use: the one given at ingest, else the shipped template."""
    return dict(ctx_profile) if ctx_profile is not None else load_profile(kind)


def check_columns(
    frame: pd.DataFrame,
    columns: dict[str, str],
    kind: str,
    issues: RowIssues,
    allowed_headers: tuple[str, ...] = (),
) -> None:
    """Refuse a file that lacks a required mapped column, names a person in a header or
    holds personal identifiers in a value; warn about columns the profile does not map."""
    missing = [
        f"{c} ({f})" for f, c in columns.items() if c not in frame.columns and f in REQUIRED[kind]
    ]
    if missing:
        raise FileRefusedError(f"missing required column(s): {', '.join(missing)}")
    mapped = set(columns.values())
    unknown = [c for c in frame.columns if c not in mapped]
    place_text = [
        c for f, c in columns.items() if f in PLACE_TEXT_FIELDS.get(kind, ()) and c in frame.columns
    ]
    refuse_personal_data_columns(
        [str(c) for c in frame.columns], (*allowed_headers, *map(str, place_text))
    )
    scan = [
        c
        for f, c in columns.items()
        if f not in _NO_VALUE_SCAN and c in frame.columns and c not in place_text
    ]
    scan += unknown
    hits = personal_data_values(frame, scan)
    hits += personal_data_values(frame, place_text, postcodes_are_places=True)
    if hits:
        described = ", ".join(f"{col} ({what})" for col, what in hits)
        raise FileRefusedError(f"personal data found in column(s) {described}; the file is refused")
    if unknown:
        issues.warnings.append(f"ignored unknown column(s): {', '.join(unknown)}")


def coordinate_columns(columns: dict[str, str]) -> str:
    """The file's latitude/longitude column names, for coordinate findings."""
    return f"{columns.get('latitude', 'latitude')}/{columns.get('longitude', 'longitude')}"
