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


def syv_sql(categories: tuple[str, ...] | list[str] = SYV_CATEGORIES) -> str:
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

#: Columns each canonical table holds besides ``batch_id``, ``source`` and cells.
INCIDENT_COLUMNS: Final[tuple[str, ...]] = (
    "incident_id",
    "category",
    "occurred_at",
    "time_precision",
    "age_band",
    "sex",
    "ethnicity",
    "weapon",
    "location_type",
    "outcome",
)
STOP_SEARCH_COLUMNS: Final[tuple[str, ...]] = (
    "search_id",
    "searched_at",
    "search_type",
    "sex",
    "age_range",
    "self_defined_ethnicity",
    "officer_defined_ethnicity",
    "legislation",
    "object_of_search",
    "outcome",
    "outcome_linked",
    "removal_of_clothing",
)
MISSING_COLUMNS: Final[tuple[str, ...]] = (
    "episode_id",
    "child_key",
    "reported_at",
    "returned_at",
    "home_area",
    "school_urn",
    "looked_after",
    "age_band",
    "sex",
    "ethnicity",
    "rhi_status",
    "rhi_completed_at",
    "rhi_themes",
    "risk_level",
)
SCHOOL_COLUMNS: Final[tuple[str, ...]] = ("urn", "name", "phase", "kind", "status", "la_code")
YOUTH_SESSION_COLUMNS: Final[tuple[str, ...]] = (
    "session_id",
    "team",
    "started_at",
    "ended_at",
    "contacts",
    "referrals",
)

#: School-level outcomes a partner may send as counts by group (mapped feed).
SCHOOL_OUTCOME_MEASURES: Final[tuple[str, ...]] = (
    "fixed_term_exclusion",
    "permanent_exclusion",
    "managed_move",
)
SCHOOL_OUTCOME_COLUMNS: Final[tuple[str, ...]] = (
    "urn",
    "period",
    "period_start",
    "measure",
    "ethnicity",
    "sex",
    "count",
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
}

#: Record-id column of each table (unique within ``source``).
TABLE_ID_COLUMNS: Final[dict[str, str]] = {
    "incidents": "incident_id",
    "stop_search": "search_id",
    "schools": "school_id",
    "missing_episodes": "episode_id",
    "youth_sessions": "session_id",
    "areas": "area_code",
    "area_stats": "stat_id",
    "school_outcomes": "record_id",
    "health_sites": "site_id",
    "stations": "station_id",
}
