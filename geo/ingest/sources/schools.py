"""Schools from Get Information about Schools (GIAS) and its predecessor EduBase.

Three layouts are recognised by their headers:

* **GIAS current export** (``edubasealldata*.csv``): ``URN``, ``EstablishmentName``,
  ``TypeOfEstablishment (name)``, ``PhaseOfEducation (name)``,
  ``EstablishmentStatus (name)``, ``LA (code)``, ``Easting``, ``Northing``.
* **EduBase** (before 2017): ``URN``, ``Establishment name``, ``Type of establishment``,
  ``Phase of education``, ``Establishment status``, ``Local authority (code)``, ``X``, ``Y``.
* **School directory** (GIAS-derived lists without URNs): ``slug``, ``name``,
  ``phase``, ``latitude``, ``longitude``; the slug becomes the record id.

Easting/northing are British National Grid metres (EPSG:27700) converted with
pyproj. Each layout accepts only its published columns (:data:`PUBLISHED`) plus the
configured ``[ingest] ignore_columns``; any other column refuses the file. Published
columns the layout does not use (addresses, head teachers, telephone numbers) are
ignored and never stored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.core.area import from_bng
from geo.core.errors import FileRefusedError
from geo.ingest.readers import RowIssues
from geo.ingest.sources.base import Adapter, AdapterContext, Parsed, check_header, reject
from geo.ingest.validate import parse_numbers

_LAYOUTS: dict[str, dict[str, str]] = {
    "gias": {
        "urn": "URN",
        "name": "EstablishmentName",
        "type": "TypeOfEstablishment (name)",
        "phase": "PhaseOfEducation (name)",
        "status": "EstablishmentStatus (name)",
        "la_code": "LA (code)",
        "x": "Easting",
        "y": "Northing",
    },
    "edubase": {
        "urn": "URN",
        "name": "Establishment name",
        "type": "Type of establishment",
        "phase": "Phase of education",
        "status": "Establishment status",
        "la_code": "Local authority (code)",
        "x": "X",
        "y": "Y",
    },
    "directory": {
        "slug": "slug",
        "name": "name",
        "phase": "phase",
        "lat": "latitude",
        "lng": "longitude",
    },
}

#: Every column each layout's publisher documents: the GIAS "all establishment data"
#: export (edubasealldata*.csv, 140 columns), the EduBase public extract (before 2017,
#: with its BNG ``X``/``Y``) and the school directory. Only these, plus the configured
#: ignore-list, are accepted.
PUBLISHED: dict[str, tuple[str, ...]] = {
    "gias": (
        "URN",
        "LA (code)",
        "LA (name)",
        "EstablishmentNumber",
        "EstablishmentName",
        "TypeOfEstablishment (code)",
        "TypeOfEstablishment (name)",
        "EstablishmentTypeGroup (code)",
        "EstablishmentTypeGroup (name)",
        "EstablishmentStatus (code)",
        "EstablishmentStatus (name)",
        "ReasonEstablishmentOpened (code)",
        "ReasonEstablishmentOpened (name)",
        "OpenDate",
        "ReasonEstablishmentClosed (code)",
        "ReasonEstablishmentClosed (name)",
        "CloseDate",
        "PhaseOfEducation (code)",
        "PhaseOfEducation (name)",
        "StatutoryLowAge",
        "StatutoryHighAge",
        "Boarders (code)",
        "Boarders (name)",
        "NurseryProvision (name)",
        "OfficialSixthForm (code)",
        "OfficialSixthForm (name)",
        "Gender (code)",
        "Gender (name)",
        "ReligiousCharacter (code)",
        "ReligiousCharacter (name)",
        "ReligiousEthos (name)",
        "Diocese (code)",
        "Diocese (name)",
        "AdmissionsPolicy (code)",
        "AdmissionsPolicy (name)",
        "SchoolCapacity",
        "SpecialClasses (code)",
        "SpecialClasses (name)",
        "CensusDate",
        "NumberOfPupils",
        "NumberOfBoys",
        "NumberOfGirls",
        "PercentageFSM",
        "TrustSchoolFlag (code)",
        "TrustSchoolFlag (name)",
        "Trusts (code)",
        "Trusts (name)",
        "SchoolSponsorFlag (name)",
        "SchoolSponsors (name)",
        "FederationFlag (name)",
        "Federations (code)",
        "Federations (name)",
        "UKPRN",
        "FEHEIdentifier",
        "FurtherEducationType (name)",
        "OfstedLastInsp",
        "OfstedSpecialMeasures (code)",
        "OfstedSpecialMeasures (name)",
        "LastChangedDate",
        "Street",
        "Locality",
        "Address3",
        "Town",
        "County (name)",
        "Postcode",
        "SchoolWebsite",
        "TelephoneNum",
        "HeadTitle (name)",
        "HeadFirstName",
        "HeadLastName",
        "HeadPreferredJobTitle",
        "BSOInspectorateName (name)",
        "InspectorateReport",
        "DateOfLastInspectionVisit",
        "NextInspectionVisit",
        "TeenMoth (name)",
        "TeenMothPlaces",
        "CCF (name)",
        "SENPRU (name)",
        "EBD (name)",
        "PlacesPRU",
        "FTProv (name)",
        "EdByOther (name)",
        "Section41Approved (name)",
        "SEN1 (name)",
        "SEN2 (name)",
        "SEN3 (name)",
        "SEN4 (name)",
        "SEN5 (name)",
        "SEN6 (name)",
        "SEN7 (name)",
        "SEN8 (name)",
        "SEN9 (name)",
        "SEN10 (name)",
        "SEN11 (name)",
        "SEN12 (name)",
        "SEN13 (name)",
        "TypeOfResourcedProvision (name)",
        "ResourcedProvisionOnRoll",
        "ResourcedProvisionCapacity",
        "SenUnitOnRoll",
        "SenUnitCapacity",
        "GOR (code)",
        "GOR (name)",
        "DistrictAdministrative (code)",
        "DistrictAdministrative (name)",
        "AdministrativeWard (code)",
        "AdministrativeWard (name)",
        "ParliamentaryConstituency (code)",
        "ParliamentaryConstituency (name)",
        "UrbanRural (code)",
        "UrbanRural (name)",
        "GSSLACode (name)",
        "Easting",
        "Northing",
        "MSOA (name)",
        "LSOA (name)",
        "InspectorateName (name)",
        "SENStat",
        "SENNoStat",
        "BoardingEstablishment (name)",
        "PropsName",
        "PreviousLA (code)",
        "PreviousLA (name)",
        "PreviousEstablishmentNumber",
        "OfstedRating (name)",
        "RSCRegion (name)",
        "Country (name)",
        "UPRN",
        "SiteName",
        "QABName (code)",
        "QABName (name)",
        "EstablishmentAccredited (code)",
        "EstablishmentAccredited (name)",
        "QABReport",
        "CHNumber",
        "MSOA (code)",
        "LSOA (code)",
        "FSM",
        "AccreditationExpiryDate",
    ),
    "edubase": (
        "URN",
        "Local authority (code)",
        "Local authority (name)",
        "Establishment number",
        "Establishment name",
        "Street",
        "Locality",
        "Address3",
        "Town",
        "County",
        "Postcode",
        "Type of establishment",
        "Statutory highest age",
        "Statutory lowest age",
        "Boarders",
        "Sixth form",
        "UKPRN",
        "Phase of education",
        "Gender",
        "Religious character",
        "Religious ethos",
        "Admissions policy",
        "Website address",
        "Telephone number",
        "Headteacher",
        "Establishment status",
        "Reason establishment opened",
        "Opening date",
        "Parliamentary Constituency (code)",
        "Parliamentary Constituency (name)",
        "Region",
        "X",
        "Y",
        "Easting",
        "Northing",
    ),
    "directory": (
        "slug",
        "name",
        "phase",
        "ofsted_rating",
        "latitude",
        "longitude",
        "easting",
        "northing",
    ),
}

_PHASES = {
    "nursery": "nursery",
    "primary": "primary",
    "middle deemed primary": "middle",
    "middle deemed secondary": "middle",
    "secondary": "secondary",
    "all-through": "all_through",
    "all through": "all_through",
    "16 plus": "sixth_form",
    "sixth form": "sixth_form",
    "not applicable": "not_applicable",
}


def school_kind(type_names: pd.Series) -> pd.Series:
    """Canonical kind from GIAS/EduBase establishment type names (vectorised)."""
    t = type_names.fillna("").str.lower()
    kind = pd.Series("mainstream", index=t.index, dtype=object)
    kind[t.str.contains("academy|free school|studio school|university technical", regex=True)] = (
        "academy"
    )
    kind[t.str.contains("independent", regex=False)] = "independent"
    kind[t.str.contains("special", regex=False)] = "special"
    kind[t.str.contains("pupil referral|alternative provision", regex=True)] = (
        "alternative_provision"
    )
    return kind


def detect_layout(columns: list[str]) -> str:
    """Which school layout a header is, or refuse the file."""
    for name, cols in _LAYOUTS.items():
        if all(c in columns for c in cols.values()):
            return name
    raise FileRefusedError(
        "not a recognised schools file: expected GIAS (URN, EstablishmentName, ..., Easting, "
        "Northing), EduBase (URN, Establishment name, ..., X, Y) or a directory (slug, name, "
        "phase, latitude, longitude)"
    )


def parse_schools(
    frame: pd.DataFrame, rows: np.ndarray, issues: RowIssues, ctx: AdapterContext
) -> Parsed:
    """Parse a schools file in any supported layout."""
    layout = detect_layout(list(frame.columns))
    cols = _LAYOUTS[layout]
    names = {"gias": "GIAS", "edubase": "EduBase", "directory": "school directory"}
    check_header(
        list(frame.columns),
        list(cols.values()),
        list(PUBLISHED[layout]),
        issues,
        names[layout],
        ctx,
    )
    unused = [c for c in frame.columns if c not in cols.values()]
    if unused:
        issues.warnings.append(f"{len(unused)} column(s) not used by PlaceSafe were ignored")

    def text(key: str) -> pd.Series:
        if key not in cols:
            return pd.Series([None] * len(frame), dtype=object)
        values = frame[cols[key]].str.strip()
        return values.astype(object).where(~values.isin(["", "NA"]), None)

    if layout == "directory":
        lat = parse_numbers(frame[cols["lat"]])
        lng = parse_numbers(frame[cols["lng"]])
        school_id = "slug:" + frame[cols["slug"]].str.strip()
        urn = pd.Series([None] * len(frame), dtype=object)
        kind = pd.Series("mainstream", index=frame.index, dtype=object)
    else:
        x = parse_numbers(frame[cols["x"]])
        y = parse_numbers(frame[cols["y"]])
        located = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
        lng = np.full(len(frame), np.nan)
        lat = np.full(len(frame), np.nan)
        if located.any():
            lng[located], lat[located] = from_bng(x[located], y[located])
        urn = text("urn")
        school_id = urn
        kind = school_kind(text("type"))
    phase = text("phase").str.lower().map(_PHASES).fillna("not_applicable")
    out = pd.DataFrame(
        {
            "source": f"schools_{layout}",
            "school_id": school_id,
            "urn": urn,
            "name": text("name"),
            "phase": phase,
            "kind": kind,
            "status": text("status").str.lower() if "status" in cols else "open",
            "la_code": text("la_code"),
            "lat": lat,
            "lng": lng,
        }
    )
    out, rows = reject(
        out,
        rows,
        out["school_id"].isna().to_numpy(),
        cols.get("urn", "slug"),
        "no school id",
        issues,
    )
    out, rows = reject(
        out, rows, out["name"].isna().to_numpy(), cols["name"], "no school name", issues
    )
    coordinates = (
        f"{cols['lat']}/{cols['lng']}" if layout == "directory" else f"{cols['x']}/{cols['y']}"
    )
    return Parsed(
        "schools", f"schools_{layout}", out, rows, locate="required", coordinate_columns=coordinates
    )


#: The formats this module reads (found by :func:`geo.ingest.sources.adapter_for`).
ADAPTERS: tuple[Adapter, ...] = (
    Adapter(("schools",), lambda f: parse_schools(*f.table(), f.issues, f.ctx)),
)
