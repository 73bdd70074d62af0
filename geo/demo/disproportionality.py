"""Planted disproportionality: school exclusions and stop and search by ethnic group.

:func:`outcomes_frame` writes termly exclusion and managed-move counts per school,
group and sex with a planted Black relative rate (:data:`OUTCOME_BLACK_RATE_RATIO`);
:func:`stop_search_frame` writes police.uk stop-and-search records whose rates per
resident (:mod:`geo.demo.population`) carry the planted relative rate indices
:data:`STOP_SEARCH_RRI` against White residents of the same age band. The null demo
plants relative rates of 1 for stop and search.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from geo.core.area import from_bng
from geo.demo.borough import PLACES, FloatArray, choice, mixture
from geo.demo.period import (
    N_DAYS,
    START,
    Calendar,
    background_hour_weights,
    month_mass,
    sample_minutes,
)
from geo.demo.population import (
    CENSUS_GROUPS,
    CHILD_ETHNICITY_P,
    ETHNICITIES,
    POPULATION_AGE_BANDS,
    Areas,
)
from geo.demo.schools import Schools
from geo.ingest.sources.police_uk import STOP_SEARCH_FILE_COLUMNS

__all__ = [
    "NO_FURTHER_ACTION_OUTCOME",
    "OUTCOMES_HEADER",
    "OUTCOME_BLACK_RATE_RATIO",
    "STOP_SEARCH_HEADER",
    "STOP_SEARCH_RRI",
    "disproportionality_truth",
    "outcomes_frame",
    "stop_search_frame",
]

OUTCOMES_HEADER: Final[tuple[str, ...]] = (
    "URN",
    "Period",
    "Period start",
    "Measure",
    "Ethnic group",
    "Sex",
    "Count",
)


# ================================================================ school outcomes
#: School terms of the demo period (label, first day).
_OUTCOME_TERMS: Final[tuple[tuple[str, str], ...]] = (
    ("2022/23 spring", "04/01/2023"),
    ("2022/23 summer", "17/04/2023"),
    ("2023/24 autumn", "04/09/2023"),
    ("2023/24 spring", "04/01/2024"),
    ("2023/24 summer", "15/04/2024"),
    ("2024/25 autumn", "02/09/2024"),
)
#: Pupils on roll (a fictional round number per kind of school).
_ROLL: Final[dict[str, int]] = {"Secondary": 1000, "All-through": 1400, "special": 150, "pru": 60}
#: Termly rates per pupil for White pupils; Black pupils' rates are planted higher.
_OUTCOME_RATE: Final[dict[str, float]] = {
    "fixed_term_exclusion": 0.02,
    "managed_move": 0.003,
    "permanent_exclusion": 0.0004,
}
#: Planted relative rate of Black pupils (against White) for every measure.
OUTCOME_BLACK_RATE_RATIO: Final = 2.5
_OUTCOME_GROUP_RATIO: Final[dict[str, float]] = {
    "black": OUTCOME_BLACK_RATE_RATIO,
    "white": 1.0,
    "asian": 0.5,
    "mixed": 1.5,
    "other": 1.0,
    "": 1.0,
}
_MALE_RATIO: Final = 2.0  # boys are excluded about twice as often as girls


def outcomes_frame(rng: np.random.Generator, schools: Schools) -> pd.DataFrame:
    """Termly exclusion and managed-move counts per school, group and sex.

    Only schools that exclude appear (secondary, all-through, special, the PRU).
    Pupils by group follow the cohort's ethnic mix; counts are Poisson around
    roll x share x rate, with the planted Black relative rate.
    """
    kind = np.where(
        schools.type_name == "Pupil referral unit",
        "pru",
        np.where(schools.type_name == "Foundation special school", "special", schools.phase),
    )
    which = np.flatnonzero(np.isin(kind, list(_ROLL)))
    groups = np.array(ETHNICITIES, dtype=object)
    measures = np.array(list(_OUTCOME_RATE), dtype=object)
    sexes = np.array(["male", "female"], dtype=object)
    grid = np.array(
        np.meshgrid(
            which,
            np.arange(len(_OUTCOME_TERMS)),
            np.arange(len(measures)),
            np.arange(len(groups)),
            np.arange(2),
            indexing="ij",
        )
    ).reshape(5, -1)
    s_i, t_i, m_i, g_i, x_i = grid
    roll = np.array([_ROLL[str(k)] for k in kind[s_i]], dtype=float)
    share = CHILD_ETHNICITY_P[g_i] * 0.5
    rate = np.array([_OUTCOME_RATE[str(m)] for m in measures[m_i]])
    ratio = np.array([_OUTCOME_GROUP_RATIO[str(g)] for g in groups[g_i]])
    sex_ratio = np.where(x_i == 0, 2.0 * _MALE_RATIO / (1 + _MALE_RATIO), 2.0 / (1 + _MALE_RATIO))
    pru = np.where(kind[s_i] == "pru", 4.0, 1.0)
    counts = rng.poisson(roll * share * rate * ratio * sex_ratio * pru)
    terms = np.array(_OUTCOME_TERMS, dtype=object)
    return pd.DataFrame(
        {
            "URN": schools.urn[s_i],
            "Period": terms[t_i, 0],
            "Period start": terms[t_i, 1],
            "Measure": np.char.replace(measures[m_i].astype(str), "_", " ").astype(object),
            "Ethnic group": groups[g_i],
            "Sex": sexes[x_i],
            "Count": counts.astype(np.int64),
        }
    )


# ================================================================= stop and search
#: The police.uk stop-and-search header, exactly as the adapter reads it.
STOP_SEARCH_HEADER: Final[tuple[str, ...]] = tuple(STOP_SEARCH_FILE_COLUMNS)
#: Searches a year per 1,000 White residents of each age band (the reference group).
_SEARCH_RATE: Final = np.array([0.0, 45.0, 70.0, 30.0, 6.0])
#: Planted relative rate index against White residents of the same age band.
STOP_SEARCH_RRI: Final[dict[str, dict[str, float]]] = {
    "10-17": {"asian": 1.2, "black": 3.0, "mixed": 1.5, "other": 1.0, "white": 1.0},
    "other ages": {"asian": 1.2, "black": 2.5, "mixed": 1.5, "other": 1.0, "white": 1.0},
}
#: Share of searches with an outcome other than no further action, by group.
_ACTION_P: Final[dict[str, float]] = {
    "asian": 0.28,
    "black": 0.23,
    "mixed": 0.26,
    "white": 0.30,
    "other": 0.28,
}
#: Share of those outcomes linked to the object of search.
_LINKED_GIVEN_ACTION: Final = 0.8
_LINKED_BLANK_P: Final = 0.02
_SELF_DEFINED: Final[dict[str, tuple[str, ...]]] = {
    "asian": (
        "Asian/Asian British - Indian",
        "Asian/Asian British - Pakistani",
        "Asian/Asian British - Bangladeshi",
        "Asian/Asian British - Chinese",
        "Asian/Asian British - Any other Asian background",
    ),
    "black": (
        "Black/African/Caribbean/Black British - African",
        "Black/African/Caribbean/Black British - Caribbean",
        "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
    ),
    "mixed": (
        "Mixed/Multiple ethnic groups - White and Black Caribbean",
        "Mixed/Multiple ethnic groups - White and Black African",
        "Mixed/Multiple ethnic groups - White and Asian",
        "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background",
    ),
    "white": (
        "White - English/Welsh/Scottish/Northern Irish/British",
        "White - Irish",
        "White - Any other White background",
    ),
    "other": ("Other ethnic group - Arab", "Other ethnic group - Any other ethnic group"),
}
_NOT_STATED_P: Final = 0.07  # self-defined "Other ethnic group - Not stated"
_SELF_BLANK_P: Final = 0.02
#: Officer-defined ethnicity (four groups, no Mixed, as in many police.uk files):
#: the officer's perception of each self-defined group.
_OFFICER_OPTIONS: Final[tuple[str, ...]] = ("Asian", "Black", "White", "Other", "")
_OFFICER_P: Final[dict[str, tuple[float, ...]]] = {
    "asian": (0.90, 0.01, 0.03, 0.04, 0.02),
    "black": (0.01, 0.94, 0.01, 0.02, 0.02),
    "mixed": (0.03, 0.55, 0.28, 0.12, 0.02),
    "white": (0.01, 0.01, 0.94, 0.02, 0.02),
    "other": (0.25, 0.05, 0.18, 0.50, 0.02),
}
_OBJECTS: Final[tuple[tuple[str, str, float], ...]] = (
    ("Controlled drugs", "Misuse of Drugs Act 1971 (section 23)", 0.62),
    ("Offensive weapons", "Police and Criminal Evidence Act 1984 (section 1)", 0.14),
    ("Offensive weapons", "Criminal Justice and Public Order Act 1994 (section 60)", 0.04),
    ("Stolen goods", "Police and Criminal Evidence Act 1984 (section 1)", 0.10),
    (
        "Articles for use in criminal damage",
        "Police and Criminal Evidence Act 1984 (section 1)",
        0.05,
    ),
    (
        "Evidence of offences under the Act",
        "Police and Criminal Evidence Act 1984 (section 1)",
        0.03,
    ),
    ("Firearms", "Firearms Act 1968 (section 47)", 0.02),
)
NO_FURTHER_ACTION_OUTCOME: Final = "A no further action disposal"
_ACTION_OUTCOMES: Final[tuple[str, ...]] = (
    "Arrest",
    "Community resolution",
    "Khat or Cannabis warning",
    "Penalty Notice for Disorder",
    "Summons / charged by post",
    "Caution (simple or conditional)",
)
_ACTION_OUTCOME_P: Final = np.array([0.40, 0.30, 0.16, 0.06, 0.05, 0.03])
_AGE_BLANK_P: Final = 0.03


def _planted_rri(null: bool) -> dict[str, dict[str, float]]:
    """The planted relative rates (all 1 when nothing is planted)."""
    if null:
        return {k: dict.fromkeys(v, 1.0) for k, v in STOP_SEARCH_RRI.items()}
    return STOP_SEARCH_RRI


def _action_p(null: bool) -> dict[str, float]:
    """Share of searches with an outcome other than no further action, by group."""
    return dict.fromkeys(_ACTION_P, _ACTION_P["white"]) if null else dict(_ACTION_P)


def _expected_searches(areas: Areas, null: bool = False) -> FloatArray:
    """Expected searches over the demo period per age band (rows) and group (columns):
    residents x the White rate x the planted relative rate."""
    pop = areas.residents.sum(axis=0).astype(np.float64)  # bands x groups
    ratio = np.array(
        [
            [
                _planted_rri(null)["10-17" if b == "10-17" else "other ages"][g]
                for g in CENSUS_GROUPS
            ]
            for b in POPULATION_AGE_BANDS
        ]
    )
    years = N_DAYS / 365.25
    return np.asarray(pop * _SEARCH_RATE[:, None] / 1000.0 * ratio * years, dtype=np.float64)


def stop_search_frame(
    rng: np.random.Generator, areas: Areas, cal: Calendar, *, null: bool = False
) -> pd.DataFrame:
    """Synthetic police.uk stop-and-search records with a planted disproportionality.

    Searches per age band and self-defined group are Poisson around residents x the
    White rate x :data:`STOP_SEARCH_RRI`; times follow the incident time profile;
    places follow the urban mixture (town centres and hubs weighted up).
    """
    expected = _expected_searches(areas, null)
    counts = rng.poisson(expected)  # bands x groups
    n_bands, n_groups = counts.shape
    band = np.repeat(np.repeat(np.arange(n_bands), n_groups), counts.ravel())
    group = np.repeat(np.tile(np.arange(n_groups), n_bands), counts.ravel())
    n = band.size
    order = rng.permutation(n)
    band, group = band[order], group[order]
    groups = np.asarray(CENSUS_GROUPS, dtype=object)[group]

    w = background_hour_weights(cal)
    mass = month_mass(w, cal)
    t = np.sort(sample_minutes(rng, w, rng.multinomial(n, mass / mass.sum()), cal))
    busy = [p.weight * (2.0 if p.kind in ("town_centre", "transport") else 1.0) for p in PLACES]
    x, y, _ = mixture(rng, n, busy, 0.2)
    lon, lat = from_bng(x, y)

    self_defined = np.empty(n, dtype=object)
    officer = np.empty(n, dtype=object)
    for g in CENSUS_GROUPS:  # five groups
        m = groups == g
        k = int(m.sum())
        self_defined[m] = choice(rng, _SELF_DEFINED[g], np.ones(len(_SELF_DEFINED[g])), k)
        officer[m] = choice(rng, _OFFICER_OPTIONS, _OFFICER_P[g], k)
    u = rng.random(n)
    self_defined[u < _NOT_STATED_P] = "Other ethnic group - Not stated"
    self_defined[(u >= _NOT_STATED_P) & (u < _NOT_STATED_P + _SELF_BLANK_P)] = ""

    age = np.asarray(POPULATION_AGE_BANDS, dtype=object)[band]
    age[rng.random(n) < _AGE_BLANK_P] = ""
    sex = choice(rng, ("Male", "Female", "Other", ""), (0.88, 0.105, 0.005, 0.01), n)
    obj_i = rng.choice(len(_OBJECTS), size=n, p=np.array([o[2] for o in _OBJECTS]))
    objects = np.asarray([o[0] for o in _OBJECTS], dtype=object)[obj_i]
    legislation = np.asarray([o[1] for o in _OBJECTS], dtype=object)[obj_i]
    action_p = _action_p(null)
    action = rng.random(n) < np.array([action_p[g] for g in groups])
    outcome = np.where(
        action,
        choice(rng, _ACTION_OUTCOMES, _ACTION_OUTCOME_P, n),
        NO_FURTHER_ACTION_OUTCOME,
    ).astype(object)
    linked = action & (rng.random(n) < _LINKED_GIVEN_ACTION)
    linked_text = np.where(linked, "True", "False").astype(object)
    linked_text[rng.random(n) < _LINKED_BLANK_P] = ""
    stamps = pd.Series(START + t.astype("timedelta64[m]"))
    return pd.DataFrame(
        {
            "Type": choice(rng, ("Person search", "Person and Vehicle search"), (0.86, 0.14), n),
            "Date": stamps.dt.strftime("%Y-%m-%dT%H:%M:00+00:00").to_numpy(dtype=object),
            "Part of a policing operation": "False",
            "Policing operation": "",
            "Latitude": np.char.mod("%.6f", lat).astype(object),
            "Longitude": np.char.mod("%.6f", lon).astype(object),
            "Gender": sex,
            "Age range": age,
            "Self-defined ethnicity": self_defined,
            "Officer-defined ethnicity": officer,
            "Legislation": legislation,
            "Object of search": objects,
            "Outcome": outcome,
            "Outcome linked to object of search": linked_text,
            "Removal of more than just outer clothing": np.where(
                rng.random(n) < 0.03, "True", "False"
            ).astype(object),
        }
    )


def disproportionality_truth(
    areas: Areas, searches: pd.DataFrame, *, null: bool = False
) -> dict[str, Any]:
    """What was planted for the disproportionality audit (see ``truth.json``)."""
    pop = areas.residents.sum(axis=0)
    band_1017 = POPULATION_AGE_BANDS.index("10-17")
    hit = {g: round(_action_p(null)[g] * _LINKED_GIVEN_ACTION, 4) for g in CENSUS_GROUPS}
    return {
        "reference": "white",
        "areas": len(areas.codes),
        "area_codes": [areas.codes[0], areas.codes[-1]],
        "age_bands": list(POPULATION_AGE_BANDS),
        "population": {
            "all_ages": {g: int(pop[:, i].sum()) for i, g in enumerate(CENSUS_GROUPS)},
            "10-17": {g: int(pop[band_1017, i]) for i, g in enumerate(CENSUS_GROUPS)},
        },
        "stop_search": {
            "rows": len(searches),
            "scheme": "self",
            "rri": _planted_rri(null),
            "white_rate_per_1000_a_year": dict(
                zip(POPULATION_AGE_BANDS, _SEARCH_RATE.tolist(), strict=True)
            ),
            "hit_rate_linked": hit,
        },
        "school_outcomes_rri_10_17": {"black": OUTCOME_BLACK_RATE_RATIO},
    }
