"""Configuration: paths, study area, resolutions, disclosure thresholds and keys.

A TOML file named by the ``PLACESAFE_CONFIG`` environment variable (default: the
demo configuration in ``data/demo/placesafe.toml``) is read into frozen, hashable
dataclasses. Relative paths resolve against the TOML file's folder. Example::

    [store]
    path = "placesafe.duckdb"

    [study_area]
    boundary = "boroughs.geojson"
    code = "E09000016"        # optional: one feature, matched on any *CD column
    buffer_m = 250
    name = "Havering"         # optional display name

    [grid]
    storage_resolution = 11

    [disclosure]
    min_count = 6             # counts 1..min_count-1 are suppressed for the partnership role
    partnership_max_resolution = 8
    analyst_max_resolution = 10
    sensitive_premises = "sensitive_premises.csv"
    premise_radius_m = 50     # records within 50 m of a premise are never published
    perturbation_max_noise = 2  # cell-key perturbation: published counts move by at most 2

    [pseudonyms]
    key_env = "PLACESAFE_PSEUDONYM_KEY"   # or key_file = "secrets/pseudonym.key"

    [audit]
    key_env = "PLACESAFE_AUDIT_KEY"       # or key_file = "secrets/audit.key"
    head_file = "placesafe.duckdb.audit-head"  # default: beside the store

    [app]
    demo = false
    allow_local_real_data = false
    tiles = "OpenStreetMap"   # or "none", or a tile URL template
    base_url = "http://localhost:8501"   # where shared links ("Copy link") point

    [ingest]
    ignore_columns = []       # extra columns of police.uk/GIAS files to ignore (never stored)
    allowed_headers = []      # extra headers that are not personal data ("Patch name")
    max_cell_chars = 2000     # longest cell of a mapped feed; a longer cell rejects its row
    known_format_max_cell_chars = 500   # the same for police.uk and GIAS files
    max_uncompressed_mb = 200 # CSV size, or what an XLSX declares it expands to
    max_rows = 2000000
    max_columns = 200

    [schools]
    terms = [["09-01", "12-20"], ["01-04", "03-31"], ["04-14", "07-22"]]  # yearly, inclusive
    closures = [["10-28", "11-01"], ["2025-02-17", "2025-02-21"]]          # half-terms, INSET
    distances_m = [400, 800]  # walking distances around each school (straight line)
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.core.audit import AUDIT_KEY_ENV, DEMO_AUDIT_KEY, AuditSettings, default_head_file
from geo.core.errors import ConfigError
from geo.core.roles import Role
from geo.core.terms import TermDates

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG_PATH = PROJECT_ROOT / "data" / "demo" / "placesafe.toml"
CONFIG_ENV = "PLACESAFE_CONFIG"


@dataclass(frozen=True)
class StudyAreaConfig:
    """Where the analysis happens.

    Attributes
    ----------
    boundary : Path
        GeoJSON file of one or more polygons in EPSG:4326.
    code : str, tuple of str or None
        Feature code (matched on any column ending in ``CD``) to pick one feature, or
        several codes whose features together are the area (a police BCU); None: all.
    buffer_m : float
        Edge buffer in metres (EPSG:27700) within which points are still accepted.
    name : str or None
        Display name; defaults to the feature's ``*NM`` column.
    """

    boundary: Path
    code: str | tuple[str, ...] | None = None
    buffer_m: float = 250.0
    name: str | None = None


@dataclass(frozen=True)
class DisclosureConfig:
    """Disclosure-control thresholds (DESIGN §4)."""

    min_count: int = 6
    partnership_max_resolution: int = 8
    analyst_max_resolution: int = 10
    sensitive_premises: Path | None = None
    #: Records whose storage cell lies within this many metres of a premise are left
    #: out of everything the partnership sees.
    premise_radius_m: float = 50.0
    #: Largest change cell-key perturbation makes to a published count (0 = off).
    perturbation_max_noise: int = 2
    #: A perturbation table in ONS's format (``pcv,ckey,pvalue``) instead of PlaceSafe's.
    ptable: Path | None = None


@dataclass(frozen=True)
class PseudonymConfig:
    """Where the HMAC key for pseudonyms comes from (never stored in the TOML)."""

    key_env: str = "PLACESAFE_PSEUDONYM_KEY"
    key_file: Path | None = None


@dataclass(frozen=True)
class AuditConfig:
    """The audit chain's MAC key source and head file (DESIGN §4; never in the TOML).

    Attributes
    ----------
    key_env : str
        Environment variable holding the key.
    key_file : Path or None
        File holding the key (takes precedence over ``key_env``).
    head_file : Path or None
        The append-only head file; default: the store's path plus ``.audit-head``.
    """

    key_env: str = AUDIT_KEY_ENV
    key_file: Path | None = None
    head_file: Path | None = None


#: Where shareable links point when ``[app] base_url`` is not set.
DEFAULT_BASE_URL = "http://localhost:8501"


@dataclass(frozen=True)
class AppConfig:
    """Application switches."""

    demo: bool = False
    allow_local_real_data: bool = False
    tiles: str = "OpenStreetMap"
    idle_timeout_minutes: int = 30
    ask_purpose: bool = True
    base_url: str = DEFAULT_BASE_URL


@dataclass(frozen=True)
class SchoolsConfig:
    """The schools lens: term dates of the school-journey windows and walking distances.

    Attributes
    ----------
    terms : TermDates
        Term dates (default: an approximation of English state-school terms).
    distances_m : tuple of float
        Walking distances counted around each school, metres (straight line).
    """

    terms: TermDates = field(default_factory=TermDates)
    distances_m: tuple[float, ...] = (400.0, 800.0)


@dataclass(frozen=True)
class AccessConfig:
    """Who may see what (DESIGN §4): roles mapped server-side, deny by default.

    Attributes
    ----------
    users : tuple of (e-mail, roles)
        Allow-list of verified e-mail addresses and their roles.
    role_claim : str or None
        Name of an identity-provider claim carrying group/role values.
    claim_roles : tuple of (claim value, role)
        Which claim values grant which PlaceSafe role.
    require_verified_email : bool
        Ignore the e-mail allow-list unless the provider says ``email_verified``.
    """

    users: tuple[tuple[str, tuple[str, ...]], ...] = ()
    role_claim: str | None = None
    claim_roles: tuple[tuple[str, str], ...] = ()
    require_verified_email: bool = True


@dataclass(frozen=True)
class IngestConfig:
    """Partner-file hygiene (DESIGN §4): column lists and reader bounds.

    Attributes
    ----------
    ignore_columns : tuple of str
        Columns a known format (police.uk street, stop and search, GIAS/EduBase,
        school directory) may carry beyond its published ones; they are ignored and
        never stored. Any other extra column refuses the file, and a column whose
        header names a person refuses it even when listed here.
    allowed_headers : tuple of str
        Headers of mapped feeds that are not personal data although they look so
        (for example ``"Patch name"``), added to the built-in place and organisation
        names ("LSOA name", "School name", "Team name", ...).
    max_cell_chars : int
        Longest cell of a mapped feed or area table; a longer cell rejects its row.
    known_format_max_cell_chars : int
        Longest cell of a police.uk or GIAS file (their fields are short).
    max_uncompressed_bytes : int
        Largest CSV, or largest total an XLSX's zip members declare.
    max_rows : int
        Most data rows in one file.
    max_columns : int
        Most columns in one file's header.
    """

    ignore_columns: tuple[str, ...] = ()
    allowed_headers: tuple[str, ...] = ()
    max_cell_chars: int = 2_000
    known_format_max_cell_chars: int = 500
    max_uncompressed_bytes: int = 200_000_000
    max_rows: int = 2_000_000
    max_columns: int = 200


@dataclass(frozen=True)
class Config:
    """The whole configuration; hashable so it can key caches."""

    path: Path
    store_path: Path
    study_area: StudyAreaConfig
    storage_resolution: int = 11
    disclosure: DisclosureConfig = field(default_factory=DisclosureConfig)
    pseudonyms: PseudonymConfig = field(default_factory=PseudonymConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    app: AppConfig = field(default_factory=AppConfig)
    schools: SchoolsConfig = field(default_factory=SchoolsConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)

    @property
    def fingerprint(self) -> str:
        """Short stable hash of the configuration, for cache keys."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]

    def pseudonym_key(self) -> bytes:
        """The secret key for keyed pseudonyms.

        Read from ``pseudonyms.key_file`` when set, else from the environment variable
        ``pseudonyms.key_env``. The demo configuration falls back to a fixed,
        public demo key (its data are synthetic).

        Raises
        ------
        ConfigError
            When no key is available or it is shorter than 32 bytes.
        """
        key: bytes | None = None
        if self.pseudonyms.key_file is not None:
            try:
                key = self.pseudonyms.key_file.read_bytes().strip()
            except OSError as exc:
                raise ConfigError("pseudonym key file cannot be read") from exc
        elif os.environ.get(self.pseudonyms.key_env):
            key = os.environ[self.pseudonyms.key_env].encode()
        elif self.app.demo:
            key = b"placesafe-demo-key-synthetic-data-only-0000"
        if key is None:
            raise ConfigError(
                f"no pseudonym key: set {self.pseudonyms.key_env} or pseudonyms.key_file"
            )
        if len(key) < 32:
            raise ConfigError("the pseudonym key must be at least 32 bytes")
        return key

    def audit_settings(self) -> AuditSettings:
        """The audit chain's key and head file, for :class:`geo.store.database.Store`.

        The key is read from ``audit.key_file`` when set, else from the environment
        variable ``audit.key_env``; the demo configuration falls back to the fixed,
        public demo key (:data:`geo.core.audit.DEMO_AUDIT_KEY`, synthetic data only). The key
        never comes from the store.

        Raises
        ------
        ConfigError
            When no key is available or it is shorter than 32 bytes.
        """
        key: bytes | None = None
        demo_key = False
        if self.audit.key_file is not None:
            try:
                key = self.audit.key_file.read_bytes().strip()
            except OSError as exc:
                raise ConfigError("audit key file cannot be read") from exc
        elif os.environ.get(self.audit.key_env):
            key = os.environ[self.audit.key_env].encode()
        elif self.app.demo:
            key, demo_key = DEMO_AUDIT_KEY, True
        if key is None:
            raise ConfigError(f"no audit key: set {self.audit.key_env} or audit.key_file")
        if len(key) < 32:
            raise ConfigError("the audit key must be at least 32 bytes")
        head = self.audit.head_file or default_head_file(self.store_path)
        return AuditSettings(key, head, demo_key=demo_key)


def _path(base: Path, value: Any, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key} must be a non-empty string path")
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _int(section: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ConfigError(f"{key} must be an integer from {lo} to {hi}")
    return value


def _bool(section: dict[str, Any], key: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false (unquoted)")
    return value


VALID_ROLES = tuple(r.value for r in Role)


def _roles(value: Any, where: str) -> tuple[str, ...]:
    roles = [value] if isinstance(value, str) else value
    if not isinstance(roles, list) or not roles or any(r not in VALID_ROLES for r in roles):
        raise ConfigError(f"{where}: roles must be one or more of {', '.join(VALID_ROLES)}")
    return tuple(sorted(set(roles)))


def _access(raw: dict[str, Any]) -> AccessConfig:
    users_raw = raw.get("users", {})
    if not isinstance(users_raw, dict):
        raise ConfigError("[access.users] must map e-mail addresses to roles")
    users = tuple(
        sorted((str(k).strip().lower(), _roles(v, "[access.users]")) for k, v in users_raw.items())
    )
    claim = raw.get("role_claim")
    if claim is not None and (not isinstance(claim, str) or not claim):
        raise ConfigError("access.role_claim must be a claim name")
    claim_raw = raw.get("claim_roles", {})
    if not isinstance(claim_raw, dict):
        raise ConfigError("[access.claim_roles] must map claim values to roles")
    claim_roles = tuple(
        sorted((str(k), r) for k, v in claim_raw.items() for r in _roles(v, "[access.claim_roles]"))
    )
    return AccessConfig(
        users=users,
        role_claim=claim,
        claim_roles=claim_roles,
        require_verified_email=_bool(raw, "require_verified_email", True),
    )


def _base_url(raw: dict[str, Any]) -> str:
    """``[app] base_url``: the app's public address, for shareable links (no query or
    fragment; a trailing slash is dropped)."""
    value = raw.get("base_url", DEFAULT_BASE_URL)
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s?#]+", value.strip()):
        raise ConfigError("app.base_url must be an http:// or https:// address")
    return value.strip().rstrip("/")


def load_config(path: str | Path | None = None) -> Config:
    """Read a configuration file.

    Parameters
    ----------
    path : str or Path, optional
        TOML file. Defaults to ``$PLACESAFE_CONFIG`` or the demo configuration.

    Raises
    ------
    ConfigError
        When the file is missing, not TOML, or a value is out of range.
    """
    chosen = Path(path or os.environ.get(CONFIG_ENV) or DEMO_CONFIG_PATH).expanduser().resolve()
    try:
        raw = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {chosen}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file is not valid TOML: {exc}") from exc
    base = chosen.parent
    sections = (
        "store", "study_area", "grid", "disclosure", "pseudonyms", "audit", "app", "access",
        "ingest",
    )  # fmt: skip
    for section in (*sections, "schools"):
        if section in raw and not isinstance(raw[section], dict):
            raise ConfigError(f"[{section}] must be a table")

    store = raw.get("store", {})
    area = raw.get("study_area")
    if not isinstance(area, dict) or "boundary" not in area:
        raise ConfigError("[study_area] boundary is required")
    buffer_m = area.get("buffer_m", 250)
    if not isinstance(buffer_m, int | float) or not 0 <= buffer_m <= 5000:
        raise ConfigError("study_area.buffer_m must be a number of metres from 0 to 5000")
    code = area.get("code")
    if isinstance(code, list) and code and all(isinstance(c, str) and c for c in code):
        code = tuple(code)  # several areas: a police BCU, a partnership of boroughs
    elif code is not None and not isinstance(code, str):
        raise ConfigError(
            'study_area.code must be a code ("E09000016") or a list of codes '
            '(["E09000002", "E09000016"])'
        )
    study_area = StudyAreaConfig(
        boundary=_path(base, area["boundary"], "study_area.boundary"),
        code=code,
        buffer_m=float(buffer_m),
        name=area.get("name"),
    )

    grid = raw.get("grid", {})
    storage_res = _int(grid, "storage_resolution", 11, 10, 15)

    disc = raw.get("disclosure", {})
    premises = disc.get("sensitive_premises")
    disclosure = DisclosureConfig(
        min_count=_int(disc, "min_count", 6, 1, 100),
        partnership_max_resolution=_int(disc, "partnership_max_resolution", 8, 7, 10),
        analyst_max_resolution=_int(disc, "analyst_max_resolution", 10, 7, 10),
        sensitive_premises=_path(base, premises, "disclosure.sensitive_premises")
        if premises
        else None,
        premise_radius_m=float(_int(disc, "premise_radius_m", 50, 0, 1000)),
        perturbation_max_noise=_int(disc, "perturbation_max_noise", 2, 0, 4),
        ptable=_path(base, disc["ptable"], "disclosure.ptable") if disc.get("ptable") else None,
    )
    if disclosure.partnership_max_resolution > disclosure.analyst_max_resolution:
        raise ConfigError(
            "disclosure.partnership_max_resolution must not be finer than analyst_max_resolution"
        )

    pseu = raw.get("pseudonyms", {})
    key_file = pseu.get("key_file")
    pseudonyms = PseudonymConfig(
        key_env=str(pseu.get("key_env", "PLACESAFE_PSEUDONYM_KEY")),
        key_file=_path(base, key_file, "pseudonyms.key_file") if key_file else None,
    )

    aud = raw.get("audit", {})
    audit_key_file = aud.get("key_file")
    audit_head = aud.get("head_file")
    audit = AuditConfig(
        key_env=str(aud.get("key_env", AUDIT_KEY_ENV)),
        key_file=_path(base, audit_key_file, "audit.key_file") if audit_key_file else None,
        head_file=_path(base, audit_head, "audit.head_file") if audit_head else None,
    )

    app_raw = raw.get("app", {})
    app = AppConfig(
        demo=_bool(app_raw, "demo", False),
        allow_local_real_data=_bool(app_raw, "allow_local_real_data", False),
        tiles=str(app_raw.get("tiles", "OpenStreetMap")),
        idle_timeout_minutes=_int(app_raw, "idle_timeout_minutes", 30, 1, 24 * 60),
        ask_purpose=_bool(app_raw, "ask_purpose", True),
        base_url=_base_url(app_raw),
    )

    access = _access(raw.get("access", {}))
    schools = _schools(raw.get("schools", {}))
    ingest = _ingest(raw.get("ingest", {}))

    return Config(
        path=chosen,
        store_path=_path(base, store.get("path", "placesafe.duckdb"), "store.path"),
        study_area=study_area,
        storage_resolution=storage_res,
        disclosure=disclosure,
        pseudonyms=pseudonyms,
        audit=audit,
        app=app,
        access=access,
        schools=schools,
        ingest=ingest,
    )


def _strings(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"ingest.{key} must be a list of column headers")
    return tuple(v.strip() for v in value)


def _ingest(raw: dict[str, Any]) -> IngestConfig:
    """``[ingest]``: the ignore-list, the allowed headers and the reader bounds."""
    default = IngestConfig()
    return IngestConfig(
        ignore_columns=_strings(raw, "ignore_columns"),
        allowed_headers=_strings(raw, "allowed_headers"),
        max_cell_chars=_int(raw, "max_cell_chars", default.max_cell_chars, 50, 1_000_000),
        known_format_max_cell_chars=_int(
            raw, "known_format_max_cell_chars", default.known_format_max_cell_chars, 50, 100_000
        ),
        max_uncompressed_bytes=_int(
            raw, "max_uncompressed_mb", default.max_uncompressed_bytes // 1_000_000, 1, 10_000
        )
        * 1_000_000,
        max_rows=_int(raw, "max_rows", default.max_rows, 1, 50_000_000),
        max_columns=_int(raw, "max_columns", default.max_columns, 5, 5_000),
    )


_DATE_RANGE = re.compile(r"^(\d{2}-\d{2}|\d{4}-\d{2}-\d{2})$")


def _ranges(raw: dict[str, Any], key: str) -> tuple[tuple[str, str], ...] | None:
    """Inclusive date ranges ``[["MM-DD", "MM-DD"], ...]`` (or dated ``YYYY-MM-DD``)."""
    if key not in raw:
        return None
    value = raw[key]
    ok = isinstance(value, list) and all(
        isinstance(r, list)
        and len(r) == 2
        and all(isinstance(d, str) and _DATE_RANGE.match(d) for d in r)
        for r in value
    )
    if not ok:
        raise ConfigError(
            f"schools.{key} must be a list of [start, end] pairs of 'MM-DD' or 'YYYY-MM-DD'"
        )
    return tuple((str(a), str(b)) for a, b in value)


def _schools(raw: dict[str, Any]) -> SchoolsConfig:
    default = SchoolsConfig()
    terms = _ranges(raw, "terms")
    closures = _ranges(raw, "closures")
    dates = TermDates(
        terms=terms if terms is not None else default.terms.terms,
        closures=closures if closures is not None else default.terms.closures,
    )
    distances = raw.get("distances_m", list(default.distances_m))
    if (
        not isinstance(distances, list)
        or not distances
        or not all(isinstance(d, int | float) and 50 <= d <= 5000 for d in distances)
    ):
        raise ConfigError("schools.distances_m must be a list of metres from 50 to 5000")
    return SchoolsConfig(terms=dates, distances_m=tuple(sorted(float(d) for d in distances)))
