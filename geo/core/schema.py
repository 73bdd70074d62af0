"""Canonical tables, columns and category vocabularies (DESIGN §3).

Every partner feed is translated into these vocabularies by its adapter in
:mod:`geo.ingest.sources`; nothing downstream sees a partner's own spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

# ONS five broad ethnic groups plus ``not_recorded``: one definition, with the groups.
from geo.core.ethnicity import ETHNIC_GROUPS as ETHNIC_GROUPS

#: Canonical incident categories.
INCIDENT_CATEGORIES: Final[tuple[str, ...]] = (
    "violence_with_injury",
    "violence_without_injury",
    "violence_and_sexual_offences",
    "robbery",
    "weapons_possession",
    "knife_crime",
    "sexual_offence",
    "harmful_sexual_behaviour",
    "drugs",
    "public_order",
    "asb",
    "exploitation_concern",
    "other",
)
#: The harmful-sexual-behaviour category, which several lenses weigh or show on its own.
HSB: Final = "harmful_sexual_behaviour"

#: Plain-English labels for incident categories (fixed strings, safe for HTML).
INCIDENT_CATEGORY_LABELS: Final[dict[str, str]] = {
    "violence_with_injury": "Violence with injury",
    "violence_without_injury": "Violence without injury",
    "violence_and_sexual_offences": "Violence and sexual offences (all ages)",
    "robbery": "Robbery",
    "weapons_possession": "Possession of weapons",
    "knife_crime": "Knife crime",
    "sexual_offence": "Sexual offence",
    "harmful_sexual_behaviour": "Harmful sexual behaviour",
    "drugs": "Drugs",
    "public_order": "Public order",
    "asb": "Anti-social behaviour",
    "exploitation_concern": "Exploitation concern",
    "other": "Other crime (theft, burglary, damage and the like)",
}

#: Categories that make up serious youth violence (SYV) when a partner's SYV extract
#: records them (victims under 25, its own definition). A source that covers all ages
#: (police.uk) never contributes SYV, whatever its category: see :data:`INCIDENT_SOURCES`.
SYV_CATEGORIES: Final[tuple[str, ...]] = (
    "violence_with_injury",
    "violence_without_injury",
    "robbery",
    "weapons_possession",
    "knife_crime",
    "sexual_offence",
    "harmful_sexual_behaviour",
    "exploitation_concern",
)


#: Incident categories that are police-recorded *violence against the person*: the police
#: side of the comparison with an emergency department's assaults (the Health and police
#: lens). An ED treats injuries from assaults, so the police records to set against them
#: are assaults: violence with and without injury (a police record "without injury" may
#: still be an ED attendance: the two agencies grade injury differently), knife crime (a
#: partner's knife-enabled violence) and police.uk's "Violence and sexual offences" (its
#: only violence category; it also holds sexual offences, which police.uk cannot split
#: out). Left out: robbery (an acquisitive offence, outside violence against the person
#: in the Home Office classification, mostly by threat without injury), possession of
#: weapons (no victim: found by police activity such as stop and search, so it follows
#: where police look rather than where people are hurt), and sexual offences and harmful
#: sexual behaviour (treated through sexual-assault services, not counted as ISTV
#: assaults by most EDs).
POLICE_VIOLENCE_CATEGORIES: Final[tuple[str, ...]] = (
    "violence_with_injury",
    "violence_without_injury",
    "violence_and_sexual_offences",
    "knife_crime",
)

@dataclass(frozen=True)
class IncidentSource:
    """What an incident feed can and cannot tell.

    Attributes
    ----------
    label : str
        The feed as people call it.
    ages : str
        Whose incidents it holds (``"all ages"`` or ``"under 25"``).
    precision : str
        The finest time it records (one of :data:`TIME_PRECISIONS`).
    weapon_flag : bool
        Whether it says if a knife or other weapon was involved.
    youth_definition : bool
        Whether its records are serious youth violence by the partner's definition.
    """

    label: str
    ages: str
    precision: str
    weapon_flag: bool
    youth_definition: bool

    def cannot_tell(self) -> list[str]:
        """Plain sentences of what this feed cannot tell (for captions and the data page)."""
        out = []
        if self.ages == "all ages":
            out.append("it covers victims of all ages, so it is not youth violence")
        if self.precision == "month":
            out.append("it gives the month only, so no day or time of day")
        if not self.weapon_flag:
            out.append("it has no weapon flag, so no knife crime")
        return out


#: Incident feeds by ``source``. police.uk street crime is public, all ages, by month and
#: with no weapon flag; any other incident source is a partner's serious youth violence
#: extract loaded through a mapping profile (:data:`PARTNER_SYV_SOURCE`).
INCIDENT_SOURCES: Final[dict[str, IncidentSource]] = {
    "police_uk_street": IncidentSource(
        "police.uk street crime", "all ages", "month", weapon_flag=False, youth_definition=False
    ),
}
PARTNER_SYV_SOURCE: Final[IncidentSource] = IncidentSource(
    "partner serious youth violence extract",
    "under 25",
    "minute",
    weapon_flag=True,
    youth_definition=True,
)
#: Sources whose records never count as serious youth violence.
ALL_AGES_SOURCES: Final[tuple[str, ...]] = tuple(
    k for k, v in INCIDENT_SOURCES.items() if not v.youth_definition
)


def incident_source(source: str) -> IncidentSource:
    """What the incident feed ``source`` can tell."""
    return INCIDENT_SOURCES.get(source, PARTNER_SYV_SOURCE)


def syv_sql(*, categories: tuple[str, ...] | list[str] = SYV_CATEGORIES) -> str:
    """SQL predicate on ``incidents``: serious youth violence in ``categories``.

    Only records from a partner's SYV extract count; categories are fixed vocabulary, so
    they are safe to inline.
    """
    cats = ", ".join(f"'{c}'" for c in categories if c in INCIDENT_CATEGORIES) or "NULL"
    srcs = ", ".join(f"'{s}'" for s in ALL_AGES_SOURCES)
    return f"(category IN ({cats}) AND source NOT IN ({srcs}))"


def is_syv(
    category: pd.Series, source: pd.Series, categories: tuple[str, ...] | list[str] = SYV_CATEGORIES
) -> np.ndarray:
    """Vectorised :func:`syv_sql`: which records are serious youth violence."""
    return np.asarray(category.isin(list(categories)) & ~source.isin(list(ALL_AGES_SOURCES)))


#: data.police.uk "Crime type" -> canonical category.
#: police.uk publishes "Violence and sexual offences" as one type for victims of all ages;
#: it cannot be split into injury / no injury / sexual nor read as youth violence, so it
#: keeps its own category. Types outside PlaceSafe's scope (burglary, theft, vehicle crime,
#: criminal damage, shoplifting, bicycle theft, other crime) map to ``other`` so that every
#: row is accounted for.
POLICE_UK_CRIME_TYPES: Final[dict[str, str]] = {
    "Anti-social behaviour": "asb",
    "Violence and sexual offences": "violence_and_sexual_offences",
    "Robbery": "robbery",
    "Possession of weapons": "weapons_possession",
    "Drugs": "drugs",
    "Public order": "public_order",
    "Burglary": "other",
    "Bicycle theft": "other",
    "Criminal damage and arson": "other",
    "Other crime": "other",
    "Other theft": "other",
    "Shoplifting": "other",
    "Theft from the person": "other",
    "Vehicle crime": "other",
}

AGE_BANDS: Final[tuple[str, ...]] = ("under 10", "10-13", "14-17", "18-24", "25+")
SEXES: Final[tuple[str, ...]] = ("female", "male", "other", "unknown")
TIME_PRECISIONS: Final[tuple[str, ...]] = ("month", "day", "minute")

RHI_STATUSES: Final[tuple[str, ...]] = ("offered", "completed", "declined", "not_offered")
RHI_THEMES: Final[tuple[str, ...]] = (
    "exploitation_criminal",
    "exploitation_sexual",
    "peer_group",
    "family_conflict",
    "substance_use",
    "relationship",
    "mental_health",
    "other",
)
RISK_LEVELS: Final[tuple[str, ...]] = ("no_apparent_risk", "low", "medium", "high")

SCHOOL_KINDS: Final[tuple[str, ...]] = (
    "mainstream",
    "academy",
    "special",
    "alternative_provision",
    "independent",
)
SCHOOL_PHASES: Final[tuple[str, ...]] = (
    "nursery",
    "primary",
    "middle",
    "secondary",
    "all_through",
    "sixth_form",
    "not_applicable",
)

#: School-level outcomes a partner may send as counts by group (mapped feed).
SCHOOL_OUTCOME_MEASURES: Final[tuple[str, ...]] = (
    "fixed_term_exclusion",
    "permanent_exclusion",
    "managed_move",
)

#: Kinds of health site (optional mapped feed), for hospital- or clinic-based youth work.
HEALTH_SITE_KINDS: Final[tuple[str, ...]] = (
    "emergency_department",
    "gp_surgery",
    "sexual_health_clinic",
    "other",
)
HEALTH_SITE_LABELS: Final[dict[str, str]] = {
    "emergency_department": "A&E (emergency department)",
    "gp_surgery": "GP surgery",
    "sexual_health_clinic": "Sexual-health clinic",
    "other": "Other health site",
}

#: ISTV primary means of assault (ISB 1594 / ECDS), canonical codes. Partner values that
#: are blank or not in the list are stored as ``not_recorded`` and counted, never dropped.
ASSAULT_MEANS: Final[tuple[str, ...]] = (
    "knife_or_sharp",
    "bottle_or_glass",
    "body_part",
    "blunt_object",
    "firearm",
    "other",
    "not_recorded",
)
#: Plain-English labels for :data:`ASSAULT_MEANS` (fixed strings, safe for HTML).
ASSAULT_MEANS_LABELS: Final[dict[str, str]] = {
    "knife_or_sharp": "Knife or sharp object",
    "bottle_or_glass": "Bottle or glass",
    "body_part": "Body part (punch, kick, head)",
    "blunt_object": "Blunt object",
    "firearm": "Firearm",
    "other": "Other means",
    "not_recorded": "Not recorded",
}
#: How an A&E assault's time was known: the assault's own time, or only the arrival.
ASSAULT_TIME_BASES: Final[tuple[str, ...]] = ("assault", "arrival")


# --- tables ------------------------------------------------------------------------------
#
# Each canonical table is defined once, here: its columns in storage order with their DuckDB
# type, nullability and meaning. The store generates its DDL from these definitions
# (:mod:`geo.store.tables`) and the mapped feeds their profile fields
# (:mod:`geo.ingest.sources.profiles`).


@dataclass(frozen=True)
class Column:
    """One column of a store table.

    Attributes
    ----------
    name : str
        The column's name.
    sql_type : str
        Its DuckDB type.
    not_null : bool
        Whether every row must hold a value (``NOT NULL``).
    meaning : str
        What it holds, in words.
    mapped : bool or str
        Whether a column-mapping profile (a mapped CSV/XLSX feed) names a partner column
        for it: True when the profile field has the column's name, a string when the field
        has another name (the child's id is stored only as its pseudonym ``child_key``).
    added : bool
        Added after the first schema: a store created earlier gains it when opened
        (``ALTER TABLE ... ADD COLUMN IF NOT EXISTS``).
    primary_key : bool
        The table's primary key (store bookkeeping tables only).
    default : str or None
        A DuckDB default expression (store bookkeeping tables only).
    """

    name: str
    sql_type: str
    not_null: bool = False
    meaning: str = ""
    mapped: bool | str = False
    added: bool = False
    primary_key: bool = False
    default: str | None = None

    @property
    def field(self) -> str | None:
        """The column-mapping profile field that feeds this column, if any."""
        if self.mapped is False:
            return None
        return self.name if self.mapped is True else str(self.mapped)


@dataclass(frozen=True)
class Table:
    """One store table: its columns in storage order and its record id.

    Attributes
    ----------
    name : str
        The table's name.
    meaning : str
        What one row is, in words.
    columns : tuple of Column
        Every column, in storage order.
    id_column : str or None
        The record-id column, unique within ``source`` (None for a child table).
    parent : str or None
        For a child table, the table whose record id (same column name) its rows carry.
    """

    name: str
    meaning: str
    columns: tuple[Column, ...]
    id_column: str | None = None
    parent: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Column names, in storage order."""
        return tuple(c.name for c in self.columns)

    @property
    def fields(self) -> tuple[str, ...]:
        """Column-mapping profile fields that feed the table's columns, in column order."""
        return tuple(f for f in (c.field for c in self.columns) if f is not None)

    @property
    def record_columns(self) -> tuple[str, ...]:
        """Columns that hold what a record says: all but ``batch_id``, ``source``, the
        record key and the cells, which the store and the pipeline fill."""
        return tuple(n for n in self.names if n not in _STORE_FILLED)


#: The storage H3 cell and its parents: located tables store these, never coordinates.
CELL_COLUMNS: Final[tuple[str, ...]] = ("cell", "cell_7", "cell_8", "cell_9", "cell_10")

_BATCH_ID: Final = Column(
    "batch_id", "INTEGER", True, "the ingest batch that stored the row (``batches``)"
)
_SOURCE: Final = Column(
    "source", "VARCHAR", True, "the feed the row came from; record ids are unique within it"
)
_RECORD_KEY: Final = Column(
    "record_key",
    "USMALLINT",
    False,
    "the record's key 0..255 for cell-key perturbation (geo.disclosure.perturbation)",
    added=True,
)
_CELLS: Final[tuple[Column, ...]] = (
    Column("cell", "UBIGINT", False, "storage H3 cell (NULL when the row has no place)"),
    *(
        Column(c, "UBIGINT", False, f"the storage cell's parent at H3 resolution {c[5:]}")
        for c in CELL_COLUMNS[1:]
    ),
)
_STORE_FILLED: Final = frozenset(("batch_id", "source", "record_key", *CELL_COLUMNS))
_LOWER: Final = "in the partner's words, lower case"

#: The canonical tables that ingest batches fill (child tables after their parents).
TABLES: Final[dict[str, Table]] = {
    t.name: t
    for t in (
        Table(
            "incidents",
            "one crime or incident (police.uk street crime or a partner's extract)",
            (
                _BATCH_ID,
                _SOURCE,
                Column("incident_id", "VARCHAR", True, "the record id", True),
                Column("category", "VARCHAR", True, "INCIDENT_CATEGORIES", True),
                Column("occurred_at", "TIMESTAMP", True, "when, UK local time", True),
                Column("time_precision", "VARCHAR", True, "occurred_at's TIME_PRECISIONS"),
                Column("age_band", "VARCHAR", False, "the person's AGE_BANDS", True),
                Column("sex", "VARCHAR", False, "the person's SEXES", True),
                Column("ethnicity", "VARCHAR", False, "the person's ETHNIC_GROUPS", True),
                Column("weapon", "VARCHAR", False, f"weapon involved, {_LOWER}", True),
                Column("location_type", "VARCHAR", False, f"kind of place, {_LOWER}", True),
                Column("outcome", "VARCHAR", False, "police.uk last outcome category"),
                _RECORD_KEY,
                *_CELLS,
                Column(
                    "location_name",
                    "VARCHAR",
                    False,
                    "police.uk's public map-point name ('On or near Market Place'); partner "
                    "free text is never stored (geo.store.place_names)",
                    added=True,
                ),
            ),
            id_column="incident_id",
        ),
        Table(
            "stop_search",
            "one police.uk stop and search",
            (
                _BATCH_ID,
                _SOURCE,
                Column("search_id", "VARCHAR", True, "a stable content id"),
                Column("searched_at", "TIMESTAMP", True, "when, UK local time"),
                Column("search_type", "VARCHAR", False, "police.uk Type"),
                Column("sex", "VARCHAR", False, "SEXES"),
                Column("age_range", "VARCHAR", False, "police.uk Age range"),
                Column("self_defined_ethnicity", "VARCHAR", False, "as police.uk publishes it"),
                Column("officer_defined_ethnicity", "VARCHAR", False, "as police.uk publishes it"),
                Column("legislation", "VARCHAR", False, "police.uk Legislation"),
                Column("object_of_search", "VARCHAR", False, "police.uk Object of search"),
                Column("outcome", "VARCHAR", False, "police.uk Outcome"),
                Column("outcome_linked", "BOOLEAN", False, "outcome linked to the object"),
                Column("removal_of_clothing", "BOOLEAN", False, "more than outer clothing"),
                _RECORD_KEY,
                *_CELLS,
            ),
            id_column="search_id",
        ),
        Table(
            "missing_episodes",
            "one episode of a child missing from home or care",
            (
                _BATCH_ID,
                _SOURCE,
                Column("episode_id", "VARCHAR", True, "the record id", True),
                Column("child_key", "VARCHAR", True, "keyed pseudonym of the child", "child_id"),
                Column("reported_at", "TIMESTAMP", True, "when reported missing", True),
                Column("returned_at", "TIMESTAMP", False, "when the child returned", True),
                Column("home_area", "VARCHAR", False, "LSOA code or H3 cell (res <= 7)", True),
                Column("school_urn", "VARCHAR", False, "URN of the child's school", True),
                Column("looked_after", "BOOLEAN", False, "whether the child is looked after", True),
                Column("age_band", "VARCHAR", False, "AGE_BANDS", True),
                Column("sex", "VARCHAR", False, "SEXES", True),
                Column("ethnicity", "VARCHAR", False, "ETHNIC_GROUPS", True),
                Column("rhi_status", "VARCHAR", False, "return-home interview RHI_STATUSES", True),
                Column("rhi_completed_at", "TIMESTAMP", False, "when the RHI was held", True),
                Column("rhi_themes", "VARCHAR", False, "RHI_THEMES codes joined by ';'", True),
                Column("risk_level", "VARCHAR", False, "RISK_LEVELS", True),
                _RECORD_KEY,
                *_CELLS,
            ),
            id_column="episode_id",
        ),
        Table(
            "schools",
            "one school (GIAS, EduBase or a school directory)",
            (
                _BATCH_ID,
                _SOURCE,
                Column("school_id", "VARCHAR", True, "the URN, or slug:<slug> for a directory"),
                Column("urn", "VARCHAR", False, "DfE unique reference number"),
                Column("name", "VARCHAR", True, "the school's name"),
                Column("phase", "VARCHAR", False, "SCHOOL_PHASES"),
                Column("kind", "VARCHAR", False, "SCHOOL_KINDS"),
                Column("status", "VARCHAR", False, "establishment status, lower case"),
                Column("la_code", "VARCHAR", False, "local authority code"),
                *_CELLS,
            ),
            id_column="school_id",
        ),
        Table(
            "youth_sessions",
            "one youth-work session, at a point or over an area",
            (
                _BATCH_ID,
                _SOURCE,
                Column("session_id", "VARCHAR", True, "the record id", True),
                Column("team", "VARCHAR", False, "the youth-work team", True),
                Column("started_at", "TIMESTAMP", True, "when it started", True),
                Column("ended_at", "TIMESTAMP", True, "when it ended (within 24 hours)", True),
                Column("contacts", "INTEGER", False, "young people contacted", True),
                Column("referrals", "INTEGER", False, "referrals made", True),
                Column("is_area", "BOOLEAN", True, "covered an area (youth_session_cells)"),
                *_CELLS,
            ),
            id_column="session_id",
        ),
        Table(
            "youth_session_cells",
            "one cell an area youth session covered",
            (
                _BATCH_ID,
                _SOURCE,
                Column("session_id", "VARCHAR", True, "the session (youth_sessions)"),
                *_CELLS,
            ),
            parent="youth_sessions",
        ),
        Table(
            "areas",
            "one area boundary (LSOA, ward, ...) from ONS GeoJSON",
            (
                _BATCH_ID,
                _SOURCE,
                Column("area_code", "VARCHAR", True, "the ONS code"),
                Column("name", "VARCHAR", False, "the ONS name"),
                Column("area_kind", "VARCHAR", True, "the code column's stem (lsoa21, wd24)"),
                Column("geometry_wkb", "BLOB", True, "the polygon, WKB in lon/lat"),
            ),
            id_column="area_code",
        ),
        Table(
            "area_stats",
            "one value of one measure for one area (IMD, population, census)",
            (
                _BATCH_ID,
                _SOURCE,
                Column("stat_id", "VARCHAR", True, "area_code|measure"),
                Column("area_code", "VARCHAR", True, "the ONS code (areas)"),
                Column("measure", "VARCHAR", True, "the measure, named after its column"),
                Column("value", "DOUBLE", True, "the value"),
            ),
            id_column="stat_id",
        ),
        Table(
            "school_outcomes",
            "a count of one outcome at one school in one period for one group",
            (
                _BATCH_ID,
                _SOURCE,
                Column("record_id", "VARCHAR", True, "the record id, or the natural key", True),
                Column("urn", "VARCHAR", True, "the school's URN", True),
                Column("period", "VARCHAR", True, "the period as the partner names it", True),
                Column("period_start", "TIMESTAMP", True, "when the period starts", True),
                Column("measure", "VARCHAR", True, "SCHOOL_OUTCOME_MEASURES", True),
                Column("ethnicity", "VARCHAR", True, "ETHNIC_GROUPS (blank: not_recorded)", True),
                Column("sex", "VARCHAR", False, "SEXES", True),
                Column("count", "INTEGER", True, "how many", True),
            ),
            id_column="record_id",
        ),
        Table(
            "health_sites",
            "one health site (A&E, GP surgery, sexual-health clinic)",
            (
                _BATCH_ID,
                _SOURCE,
                Column("site_id", "VARCHAR", True, "the record id", True),
                Column("name", "VARCHAR", True, "the organisation's name", True),
                Column("kind", "VARCHAR", True, "HEALTH_SITE_KINDS", True),
                *_CELLS,
            ),
            id_column="site_id",
        ),
        Table(
            "stations",
            "one rail, Underground, Overground or bus station",
            (
                _BATCH_ID,
                _SOURCE,
                Column("station_id", "VARCHAR", True, "the record id (default: the name)", True),
                Column("name", "VARCHAR", True, "the station's name", True),
                *_CELLS,
            ),
            id_column="station_id",
        ),
        Table(
            "ed_assaults",
            "one assault treated at an emergency department (ISTV minimum data set)",
            (
                _BATCH_ID,
                _SOURCE,
                Column("attendance_id", "VARCHAR", True, "the record id", True),
                Column("arrived_at", "TIMESTAMP", True, "arrival at the ED, UK local", True),
                Column(
                    "assaulted_at", "TIMESTAMP", False, "when the assault happened, if known", True
                ),
                Column(
                    "occurred_at",
                    "TIMESTAMP",
                    True,
                    "the analysis time: the assault's, else the arrival's (time_basis)",
                ),
                Column("time_basis", "VARCHAR", True, "ASSAULT_TIME_BASES"),
                Column("means", "VARCHAR", True, "primary means of assault, ASSAULT_MEANS", True),
                Column("location_type", "VARCHAR", False, f"kind of place, {_LOWER}", True),
                Column("age_band", "VARCHAR", False, "the patient's AGE_BANDS", True),
                Column("sex", "VARCHAR", False, "the patient's SEXES", True),
                Column("ed_site", "VARCHAR", False, "the ED's site code", True),
                Column(
                    "private_home",
                    "BOOLEAN",
                    True,
                    "assaulted in a private home: counted, never mapped (no cell)",
                ),
                Column(
                    "locate_method",
                    "VARCHAR",
                    False,
                    "how the place was found (GEOCODE_METHODS); the location text is never "
                    "stored",
                ),
                Column("locate_confidence", "DOUBLE", False, "the method's confidence, 0-100"),
                Column("unlocated_reason", "VARCHAR", False, "why no place was found"),
                _RECORD_KEY,
                *_CELLS,
            ),
            id_column="attendance_id",
        ),
        Table(
            "postcodes",
            "one postcode's centroid in the study area (ONS Postcode Directory, Code-Point Open)",
            (
                _BATCH_ID,
                _SOURCE,
                Column("postcode", "VARCHAR", True, "the postcode, upper case, one space"),
                *_CELLS,
            ),
            id_column="postcode",
        ),
        Table(
            "gazetteer_names",
            "one named place in the study area (an OS Open Names extract)",
            (
                _BATCH_ID,
                _SOURCE,
                Column("name_id", "VARCHAR", True, "the entry's id"),
                Column("name", "VARCHAR", True, "the place's name"),
                Column("local_type", "VARCHAR", False, "OS local type, lower case"),
                *_CELLS,
            ),
            id_column="name_id",
        ),
    )
}

#: Columns each canonical table holds besides ``batch_id``, ``source``, the record key and
#: cells (:attr:`Table.record_columns`).
INCIDENT_COLUMNS: Final[tuple[str, ...]] = TABLES["incidents"].record_columns
STOP_SEARCH_COLUMNS: Final[tuple[str, ...]] = TABLES["stop_search"].record_columns
MISSING_COLUMNS: Final[tuple[str, ...]] = TABLES["missing_episodes"].record_columns
SCHOOL_COLUMNS: Final[tuple[str, ...]] = TABLES["schools"].record_columns
YOUTH_SESSION_COLUMNS: Final[tuple[str, ...]] = TABLES["youth_sessions"].record_columns
SCHOOL_OUTCOME_COLUMNS: Final[tuple[str, ...]] = TABLES["school_outcomes"].record_columns

#: Canonical table per ingest kind.
KIND_TABLES: Final[dict[str, str]] = {
    "police_street": "incidents",
    "incidents": "incidents",
    "stop_search": "stop_search",
    "schools": "schools",
    "missing": "missing_episodes",
    "youth_sessions": "youth_sessions",
    "boundary": "areas",
    "area_stats": "area_stats",
    "school_outcomes": "school_outcomes",
    "health_sites": "health_sites",
    "stations": "stations",
    "istv": "ed_assaults",
    "postcodes": "postcodes",
    "gazetteer": "gazetteer_names",
}

#: Record-id column of each table (unique within ``source``).
TABLE_ID_COLUMNS: Final[dict[str, str]] = {
    t.name: t.id_column for t in TABLES.values() if t.id_column is not None
}
