"""Ethnic groups: PlaceSafe's one vocabulary of ethnicity and the published wordings mapped to it.

Groups
------
* :data:`GROUPS` are the five broad Census 2021 ethnic groups, in display order.
* :data:`ETHNIC_GROUPS` is what a stored ``ethnicity`` column may hold
  (:mod:`geo.core.schema`): the five groups plus ``not_recorded``.
* :data:`COUNT_GROUPS` adds ``unmapped`` (a value none of the mapping tables knows):
  every record counted by ethnicity falls in exactly one of them, so unrecorded and
  unrecognised values are never dropped.

Mappings
--------
:data:`SCHEMES` names the table that maps each published wording to a group:
police.uk self-defined (:data:`SELF_DEFINED_TO_GROUP`) and officer-defined
(:data:`OFFICER_DEFINED_TO_GROUP`) ethnicity, the Census 2021 TS021 wording
(:data:`CENSUS_TO_GROUP`) and PlaceSafe's own codes and labels (:data:`ONS_TO_GROUP`).
:func:`map_ethnicity` applies one, ignoring case and repeated spaces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "CENSUS_TO_GROUP",
    "COUNT_GROUPS",
    "ETHNIC_GROUPS",
    "GROUPS",
    "GROUP_INDEX",
    "GROUP_LABELS",
    "GROUP_PLURALS",
    "GROUP_SHORT_LABELS",
    "NOT_RECORDED",
    "OFFICER_DEFINED_TO_GROUP",
    "ONS_TO_GROUP",
    "SCHEMES",
    "SELF_DEFINED_TO_GROUP",
    "UNMAPPED",
    "Scheme",
    "category_key",
    "check_reference",
    "group_codes",
    "map_ethnicity",
]

Scheme = Literal["self", "officer", "census", "ons"]

#: The five broad Census 2021 ethnic groups, in display order.
GROUPS: Final[tuple[str, ...]] = ("asian", "black", "mixed", "white", "other")
NOT_RECORDED: Final = "not_recorded"
UNMAPPED: Final = "unmapped"
#: ONS five broad ethnic groups, plus ``not_recorded``: the canonical values of a stored
#: ``ethnicity`` column (:data:`geo.core.schema.ETHNIC_GROUPS`).
ETHNIC_GROUPS: Final[tuple[str, ...]] = (*GROUPS, NOT_RECORDED)
#: Every record is counted in exactly one of these.
COUNT_GROUPS: Final[tuple[str, ...]] = (*GROUPS, NOT_RECORDED, UNMAPPED)

#: Display labels (fixed strings, safe for HTML).
GROUP_LABELS: Final[Mapping[str, str]] = {
    "asian": "Asian",
    "black": "Black",
    "mixed": "Mixed",
    "white": "White",
    "other": "Other ethnic group",
    NOT_RECORDED: "Not recorded",
    UNMAPPED: "Unrecognised value",
}

#: Shorter labels where space is tight (the Schools page's tables): "Other" for the other
#: group; the stored vocabulary only (no ``unmapped``).
GROUP_SHORT_LABELS: Final[Mapping[str, str]] = {
    **{g: GROUP_LABELS[g] for g in ETHNIC_GROUPS},
    "other": "Other",
}

#: People of a group in a sentence (``{s}`` is the plural noun: "Black young people").
GROUP_PLURALS: Final[Mapping[str, str]] = {
    "asian": "Asian {s}",
    "black": "Black {s}",
    "mixed": "{s} of Mixed ethnicity",
    "white": "White {s}",
    "other": "{s} of other ethnic groups",
}

#: police.uk self-defined ethnicity -> census group. Two vintages are published:
#: the 2001-census categories with their codes (the Met's 2016 files) and the
#: 2011-census wording (current files). Decisions:
#:
#: * **Chinese -> asian** (``O1`` in 2001, under "Chinese or other ethnic group"):
#:   Census 2021 counts Chinese in "Asian, Asian British or Asian Welsh", so the
#:   numerator must too or the Asian rate would be understated.
#: * **Arab -> other**, **Gypsy or Irish Traveller and Roma -> white**, as in Census 2021.
#: * **Not stated -> not_recorded** (including "Other ethnic group - Not stated",
#:   which is not a group but a refusal).
#: * Mixed categories -> mixed (never folded into black or white).
SELF_DEFINED_TO_GROUP: Final[Mapping[str, str]] = {
    # 2001-census categories with codes (e.g. Metropolitan Police 2016)
    "White - White British (W1)": "white",
    "White - White Irish (W2)": "white",
    "White - Any other White ethnic background (W9)": "white",
    "Black or Black British - Caribbean (B1)": "black",
    "Black or Black British - African (B2)": "black",
    "Black or Black British - Any other Black ethnic background (B9)": "black",
    "Asian or Asian British - Indian (A1)": "asian",
    "Asian or Asian British - Pakistani (A2)": "asian",
    "Asian or Asian British - Bangladeshi (A3)": "asian",
    "Asian or Asian British - Any other Asian ethnic background (A9)": "asian",
    "Chinese or other ethnic group - Chinese (O1)": "asian",
    "Chinese or other ethnic group - Any other ethnic group (O9)": "other",
    "Mixed - White and Black Caribbean (M1)": "mixed",
    "Mixed - White and Black African (M2)": "mixed",
    "Mixed - White and Asian (M3)": "mixed",
    "Mixed - Any other Mixed ethnic background (M9)": "mixed",
    "Not Stated (NS)": NOT_RECORDED,
    # 2011-census wording (current police.uk files)
    "White - English/Welsh/Scottish/Northern Irish/British": "white",
    "White - Irish": "white",
    "White - Gypsy or Irish Traveller": "white",
    "White - Roma": "white",
    "White - Any other White background": "white",
    "Black/African/Caribbean/Black British - African": "black",
    "Black/African/Caribbean/Black British - Caribbean": "black",
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": (
        "black"
    ),
    "Asian/Asian British - Indian": "asian",
    "Asian/Asian British - Pakistani": "asian",
    "Asian/Asian British - Bangladeshi": "asian",
    "Asian/Asian British - Chinese": "asian",
    "Asian/Asian British - Any other Asian background": "asian",
    "Mixed/Multiple ethnic groups - White and Black Caribbean": "mixed",
    "Mixed/Multiple ethnic groups - White and Black African": "mixed",
    "Mixed/Multiple ethnic groups - White and Asian": "mixed",
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": "mixed",
    "Other ethnic group - Arab": "other",
    "Other ethnic group - Any other ethnic group": "other",
    "Other ethnic group - Not stated": NOT_RECORDED,
}

#: police.uk officer-defined ethnicity -> census group. The officer's perception, in
#: four groups in older files (no Mixed) and five in some later ones.
OFFICER_DEFINED_TO_GROUP: Final[Mapping[str, str]] = {
    "White": "white",
    "Black": "black",
    "Asian": "asian",
    "Mixed": "mixed",
    "Other": "other",
}

#: Census 2021 TS021 ``ethnic_group`` (the ``area_stats`` measure) -> group.
CENSUS_TO_GROUP: Final[Mapping[str, str]] = {
    "Asian, Asian British or Asian Welsh": "asian",
    "Black, Black British, Black Welsh, Caribbean or African": "black",
    "Mixed or Multiple ethnic groups": "mixed",
    "White": "white",
    "Other ethnic group": "other",
}

#: Partner feeds already in PlaceSafe's canonical vocabulary (:data:`ETHNIC_GROUPS`),
#: also accepting the display labels.
ONS_TO_GROUP: Final[Mapping[str, str]] = {
    **{g: g for g in GROUPS},
    **{GROUP_LABELS[g]: g for g in GROUPS},
    NOT_RECORDED: NOT_RECORDED,
    "not recorded": NOT_RECORDED,
    "not stated": NOT_RECORDED,
    "unknown": NOT_RECORDED,
}

#: Which table each scheme uses.
SCHEMES: Final[Mapping[str, Mapping[str, str]]] = {
    "self": SELF_DEFINED_TO_GROUP,
    "officer": OFFICER_DEFINED_TO_GROUP,
    "census": CENSUS_TO_GROUP,
    "ons": ONS_TO_GROUP,
}

#: Texts that mean "nothing recorded" in any scheme (after normalising).
_BLANKS: Final = frozenset({"", "nan", "none", "null", "n/a", "na"})
#: Position of each group in :data:`COUNT_GROUPS` (the integer codes of :func:`group_codes`).
GROUP_INDEX: Final[Mapping[str, int]] = {g: i for i, g in enumerate(COUNT_GROUPS)}


def category_key(text: str) -> str:
    """Case- and whitespace-insensitive key for a category text."""
    return " ".join(text.split()).lower()


_LOOKUPS: Final[Mapping[str, Mapping[str, int]]] = {
    scheme: {category_key(k): GROUP_INDEX[v] for k, v in table.items()}
    for scheme, table in SCHEMES.items()
}


def _check_scheme(scheme: str) -> Mapping[str, int]:
    if scheme not in _LOOKUPS:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}")
    return _LOOKUPS[scheme]


def group_codes(values: pd.Series | Sequence[Any], scheme: str) -> npt.NDArray[np.int64]:
    """Position in :data:`COUNT_GROUPS` of each value (mapped once per distinct value)."""
    lookup = _check_scheme(scheme)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    blank = GROUP_INDEX[NOT_RECORDED]
    unmapped = GROUP_INDEX[UNMAPPED]
    table = [
        blank if category_key(str(u)) in _BLANKS else lookup.get(category_key(str(u)), unmapped)
        for u in uniques
    ]
    table.append(blank)  # code -1 (missing) picks the last entry
    out: npt.NDArray[np.int64] = np.asarray(table, dtype=np.int64)[codes]
    return out


def map_ethnicity(values: pd.Series | Sequence[Any], scheme: Scheme) -> pd.Series:
    """Map recorded ethnicity values to the census groups.

    Parameters
    ----------
    values : Series or sequence of str
        Values as published (``None``/NaN/blank allowed). Matching ignores case and
        repeated spaces.
    scheme : {"self", "officer", "census", "ons"}
        Which mapping table (:data:`SCHEMES`) applies.

    Returns
    -------
    Series of str
        One of :data:`COUNT_GROUPS` per value: blanks and "not stated" are
        ``not_recorded``; values no table knows are ``unmapped`` (never dropped).
    """
    codes = group_codes(values, scheme)
    index = values.index if isinstance(values, pd.Series) else None
    return pd.Series(np.asarray(COUNT_GROUPS, dtype=object)[codes], index=index, dtype=object)


def check_reference(reference: str) -> None:
    """Raise ``ValueError`` unless ``reference`` is one of :data:`GROUPS`."""
    if reference not in GROUPS:
        raise ValueError(f"reference must be one of {', '.join(GROUPS)}")
