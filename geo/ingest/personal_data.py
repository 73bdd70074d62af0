"""Personal data in partner files: headers that name a person, values that identify one.

Any header that names a person in any role or a personal detail refuses the whole file
(:func:`header_rule`, :func:`refuse_personal_data_columns`); values are scanned for full
postcodes, UPNs, e-mail addresses and NHS numbers (:func:`personal_data_values`). Findings
name the column and the rule, never a value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.errors import FileRefusedError

__all__ = [
    "PLACE_NAME_WORDS",
    "RULE_DETAIL",
    "RULE_NAME",
    "RULE_ROLE",
    "RULE_SUBJECT",
    "HeaderFinding",
    "header_rule",
    "header_words",
    "nhs_number_valid",
    "personal_data_columns",
    "personal_data_values",
    "quote_header",
    "refuse_personal_data_columns",
]

# Header vocabulary (DESIGN §4: any header that names a person refuses the file). A
# header is normalised (camelCase split, apostrophes dropped, lower case, runs of
# single letters joined so "D.O.B" is "dob"), split into words, and refused when:
#
# * a word holds "name" (name, forename, surname, firstname, YP Name, ...) unless the
#   name is a place's or an organisation's ("LSOA name", "School name", "Team name");
# * a word names a person in a role or a relation (victim, suspect, parent, ...);
# * a word or phrase is a personal detail (date of birth, address, phone, NHS number);
# * the header is nothing but a person (``Child``, ``Pupil``, ``Social worker``) —
#   such words pass in longer headers ("Child ID", "Keyworker team").

#: Rules a header can break (named in the refusal, with the column's position).
RULE_NAME = "a person's name"
RULE_ROLE = "names a person in a role"
RULE_DETAIL = "a personal detail"
RULE_SUBJECT = "identifies a person"

#: Words that name a person wherever they appear in a header (also inside a glued word,
#: "victimname"); short ones are matched as whole words only (_ROLE_WORDS_EXACT).
_ROLE_SUBSTRINGS: tuple[str, ...] = (
    "victim", "suspect", "offender", "witness", "perpetrator", "accused", "defendant",
    "complainant", "informant", "person", "parent", "carer", "guardian", "mother",
    "father", "sibling", "brother", "sister", "grandma", "grandpa", "boyfriend",
    "girlfriend", "youngperson", "nextofkin", "socialworker", "caseworker",
)  # fmt: skip
_ROLE_WORDS_EXACT: frozenset[str] = frozenset(
    {
        "yp", "yps", "cyp", "mum", "mom", "dad", "aunt", "uncle", "cousin", "relative",
        "relatives", "kin", "nok", "associate", "associates", "nominal", "nominals",
        "caller", "callers", "perp", "perps", "relation", "relations",
    }
)  # fmt: skip
_DETAIL_SUBSTRINGS: tuple[str, ...] = (
    "birth", "address", "postcode", "telephone", "phone", "email", "passport",
    "initials", "signature", "photograph", "nhsnumber", "dateofbirth",
)  # fmt: skip
_DETAIL_WORDS_EXACT: frozenset[str] = frozenset(
    {
        "dob", "dobs", "zip", "zipcode", "tel", "telno", "mobile", "mobiles", "upn", "upns",
        "uln", "ulns", "nino", "aka", "alias", "aliases", "pnc", "cro", "street", "house",
        "photo", "photos", "vrm", "iban", "ssn", "mail", "nhsno",
    }
)  # fmt: skip
#: Phrases (whole words, in order) that are personal details or people.
_DETAIL_PHRASES: tuple[str, ...] = (
    "e mail", "post code", "nhs number", "nhs no", "nhs id", "chi number", "chi no",
    "national insurance", "ni number", "ni no", "unique pupil number", "pupil number",
    "unique learner number", "learner number", "contact number", "contact no",
    "contact details", "contact tel", "emergency contact", "driving licence",
    "driving license", "licence number", "number plate", "vehicle registration",
    "registration number", "reg no", "sort code", "account number", "card number",
    "bank account", "custody number", "collar number", "shoulder number",
    "warrant number", "social security", "known as", "social media", "ip address",
)  # fmt: skip
_ROLE_PHRASES: tuple[str, ...] = (
    "young person", "social worker", "case worker", "reported by", "referred by",
    "recorded by", "completed by", "entered by", "created by", "updated by", "modified by",
    "submitted by", "authorised by", "authorized by", "approved by", "seen by",
    "assigned to", "allocated to",
)  # fmt: skip
#: A header made only of these words (and _QUALIFIERS) is about one person.
_SUBJECT_WORDS: frozenset[str] = frozenset(
    {
        "child", "children", "childs", "young", "pupil", "pupils", "student", "students",
        "learner", "learners", "patient", "patients", "client", "clients", "service",
        "user", "users", "individual", "individuals", "juvenile", "juveniles", "minor",
        "minors", "subject", "subjects", "resident", "residents", "occupant",
        "occupants", "tenant", "tenants", "householder", "owner", "owners", "driver",
        "drivers", "passenger", "passengers", "member", "members", "staff", "employee",
        "employees", "officer", "officers", "teacher", "teachers", "headteacher",
        "worker", "workers", "keyworker", "key", "professional", "professionals",
        "doctor", "nurse", "gp", "referrer", "reporter", "contact", "who", "nhs", "chi",
    }
)  # fmt: skip
_QUALIFIERS: frozenset[str] = frozenset(
    {
        "s", "the", "a", "of", "details", "detail", "info", "information", "involved",
        "concerned", "full", "allocated", "assigned", "named", "lead", "main", "primary",
        "current", "social", "case", "head",
    }
)  # fmt: skip
#: Places and organisations: "<word> name" is not a person's name.
PLACE_NAME_WORDS: frozenset[str] = frozenset(
    {
        "lsoa", "msoa", "oa", "lad", "ltla", "utla", "la", "lea", "ward", "wd", "district",
        "borough", "county", "region", "rgn", "country", "ctry", "constituency", "pcon",
        "parish", "authority", "council", "area", "zone", "beat", "sector",
        "neighbourhood", "neighborhood", "town", "city", "village", "estate", "park",
        "station", "stop", "site", "premises", "venue", "location", "place", "building",
        "school", "schools", "establishment", "academy", "college", "nursery",
        "university", "setting", "provider", "trust", "sponsor", "federation",
        "diocese", "team", "unit", "department", "agency", "organisation",
        "organization", "service", "project", "programme", "program", "scheme",
        "activity", "event", "session", "course", "club", "centre", "center", "hub",
        "hospital", "practice", "surgery", "clinic", "pharmacy", "force", "bcu",
        "icb", "ccg", "operation", "type", "category", "phase", "status", "measure",
        "outcome", "group", "theme", "level", "reason", "policy", "file", "sheet",
        "dataset", "source", "feed", "field", "column", "layer", "education",
        "gender",
    }
)  # fmt: skip
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")


def header_words(header: str) -> list[str]:
    """The words of a normalised header (digits dropped; single letters joined).

    ``"Child's name"`` -> ``["childs", "name"]``; ``"D.O.B"`` -> ``["dob"]``;
    ``"HeadFirstName"`` -> ``["head", "first", "name"]``; ``"lsoa11_name"`` ->
    ``["lsoa", "name"]``.
    """
    text = unicodedata.normalize("NFKC", str(header))
    text = text.replace("'", "").replace("\u2019", "").replace("`", "")
    text = _CAMEL.sub(" ", text).lower()
    text = _LETTER_DIGIT.sub(" ", _NON_WORD.sub(" ", text))
    words: list[str] = []
    run: list[str] = []
    for word in text.split():
        if word.isdigit():
            continue
        if len(word) == 1:
            run.append(word)
            continue
        if run:
            words.append("".join(run))
            run = []
        words.append(word)
    if run:
        words.append("".join(run))
    return words


def _has_phrase(words: list[str], phrase: str) -> bool:
    return f" {phrase} " in f" {' '.join(words)} "


def _name_is_a_place(words: list[str], i: int, allowed_names: frozenset[str]) -> bool:
    word = words[i]
    if word in ("name", "names"):
        return i > 0 and (words[i - 1] in PLACE_NAME_WORDS or words[i - 1] in allowed_names)
    stem = word.removesuffix("s").removesuffix("name")
    return word.endswith(("name", "names")) and (stem in PLACE_NAME_WORDS or stem in allowed_names)


def header_rule(header: str, allowed: Iterable[str] = ()) -> str | None:
    """The personal-data rule a header breaks, or None when it does not name a person.

    Parameters
    ----------
    header : str
        A column header as the file has it.
    allowed : iterable of str
        Extra headers that pass (compared normalised, so ``"Patch name"`` also allows
        ``"PATCH_NAME"``); in an allowed header ending in "name", the word before it
        becomes a place word (``"Patch name"`` also allows ``"Youth patch name"``).

    Returns
    -------
    str or None
        One of :data:`RULE_NAME`, :data:`RULE_ROLE`, :data:`RULE_DETAIL`,
        :data:`RULE_SUBJECT`, or None.
    """
    words = header_words(header)
    allow = [header_words(a) for a in allowed]
    if not words or words in allow:
        return None
    allowed_names = frozenset(a[-2] for a in allow if len(a) > 1 and a[-1] in ("name", "names"))
    for word in words:
        if word in _ROLE_WORDS_EXACT or any(s in word for s in _ROLE_SUBSTRINGS):
            return RULE_ROLE
    if any(_has_phrase(words, p) for p in _ROLE_PHRASES):
        return RULE_ROLE
    for i, word in enumerate(words):
        if "name" in word and not _name_is_a_place(words, i, allowed_names):
            return RULE_NAME
    for word in words:
        if word in _DETAIL_WORDS_EXACT or any(s in word for s in _DETAIL_SUBSTRINGS):
            return RULE_DETAIL
    if any(_has_phrase(words, p) for p in _DETAIL_PHRASES):
        return RULE_DETAIL
    if any(w in _SUBJECT_WORDS for w in words) and all(
        w in _SUBJECT_WORDS or w in _QUALIFIERS for w in words
    ):
        return RULE_SUBJECT
    return None


@dataclass(frozen=True)
class HeaderFinding:
    """A column refused for its header: 1-based position, header and rule."""

    position: int
    column: str
    rule: str

    def describe(self) -> str:
        """``column 13 "Suspect name" (names a person in a role)``."""
        return f"column {self.position} {quote_header(self.column)} ({self.rule})"


def quote_header(header: str, *, limit: int = 60) -> str:
    """A header for a message: printable, at most ``limit`` characters, quoted."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(header)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return f'"{text}"'


def personal_data_columns(
    columns: Iterable[str], allowed: Iterable[str] = (), positions: Iterable[int] | None = None
) -> list[HeaderFinding]:
    """Columns whose headers name a person or a personal detail (see :func:`header_rule`).

    Parameters
    ----------
    columns : iterable of str
        Headers, in file order.
    allowed : iterable of str
        Extra allowed headers (``[ingest] allowed_headers``).
    positions : iterable of int, optional
        The 1-based file position of each header (default 1, 2, ...).
    """
    allowed = tuple(allowed)
    cols = [str(c) for c in columns]
    pos = list(positions) if positions is not None else list(range(1, len(cols) + 1))
    found = []
    for p, col in zip(pos, cols, strict=True):
        rule = header_rule(col, allowed)
        if rule is not None:
            found.append(HeaderFinding(p, col, rule))
    return found


def refuse_personal_data_columns(
    columns: list[str], allowed: Iterable[str] = (), only: Iterable[str] | None = None
) -> None:
    """Refuse the file when any header (or any of ``only``) names a person.

    The one check every tabular adapter runs. The message names each column's
    position, header and rule, never a cell value.

    Raises
    ------
    FileRefusedError
    """
    pick = set(only) if only is not None else None
    chosen = [(i, c) for i, c in enumerate(columns, start=1) if pick is None or c in pick]
    found = personal_data_columns([c for _, c in chosen], allowed, [i for i, _ in chosen])
    if found:
        listed = "; ".join(f.describe() for f in found)
        raise FileRefusedError(
            f"column(s) look like personal data: {listed}. A header that names a person "
            "in any role or a personal detail refuses the file; remove the column(s) and "
            "send the file again"
        )


# Value patterns. Each runs in linear time: bounded quantifiers, or an unbounded run
# that can only start where a run starts (a lookbehind) and never gives characters
# back (possessive), so no input makes the engine retry a run from every offset.
_POSTCODE = r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b"
_UPN = r"\b[A-Z][0-9]{11}[0-9A-Z]\b"
_EMAIL = r"(?<![^@\s])[^@\s]++@(?:[^@\s.]++\.)+[A-Z]{2,}+\b"
_NHS = r"\b[0-9]{3} ?[0-9]{3} ?[0-9]{4}\b"


def personal_data_values(
    frame: pd.DataFrame, columns: Iterable[str], *, postcodes_are_places: bool = False
) -> list[tuple[str, str]]:
    """Columns whose values contain personal identifiers.

    Looks for full postcodes, UPNs, e-mail addresses and NHS numbers (ten digits
    passing the modulus-11 check). Returns ``(column, kind)`` pairs, never values.
    With ``postcodes_are_places`` a postcode is not a finding: the column says where a
    public event happened (an ED's assault location), not where a person lives.
    """
    hits: list[tuple[str, str]] = []
    for col in columns:
        s = frame[col].astype(str).str.upper()
        if not postcodes_are_places and s.str.contains(_POSTCODE, regex=True).any():
            hits.append((col, "full postcode"))
        elif s.str.contains(_UPN, regex=True).any():
            hits.append((col, "unique pupil number"))
        elif s.str.contains(_EMAIL, regex=True, case=False).any():
            hits.append((col, "e-mail address"))
        else:
            digits = s.str.extract(f"({_NHS})", expand=False).dropna().str.replace(" ", "")
            if len(digits) and nhs_number_valid(digits.to_numpy(dtype=str)).any():
                hits.append((col, "NHS number"))
    return hits


def nhs_number_valid(numbers: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Modulus-11 check of ten-digit NHS numbers (vectorised)."""
    if numbers.size == 0:
        return np.zeros(0, dtype=bool)
    digits = np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - 48
    weights = np.arange(10, 1, -1)
    check = 11 - (digits[:, :9] * weights).sum(axis=1) % 11
    check = np.where(check == 11, 0, check)
    return np.asarray((check != 10) & (check == digits[:, 9]), dtype=bool)
