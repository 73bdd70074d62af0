"""Reading partner files safely and checking their values, with redacted findings.

Every finding names the file row (the header is row 1, as a spreadsheet shows it),
the column and the rule — never the offending value, because partner files carry
data about children. File-level findings refuse the whole file; row-level findings
reject single rows and are counted per rule.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from geo.core.errors import FileRefusedError

#: Excel's day zero for serial dates (the 1900 leap-year bug is absorbed by 30 Dec 1899).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Serial numbers accepted as Excel dates: 1 Jan 1990 .. 31 Dec 2099.
EXCEL_SERIAL_RANGE = (32874.0, 73415.0)
EARLIEST_DATE = pd.Timestamp("2000-01-01")


@dataclass
class RowIssues:
    """Row-level findings collected while validating one file.

    Each rejected row keeps its first failing rule; ``warnings`` are file-level
    remarks that do not refuse the file (for example an ignored unknown column).
    """

    rows: list[npt.NDArray[np.int64]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, rows: npt.ArrayLike, column: str, rule: str) -> None:
        """Record ``rule`` failing in ``column`` on file rows ``rows``."""
        arr = np.asarray(rows, dtype=np.int64)
        if arr.size:
            self.rows.append(arr)
            self.columns.append(column)
            self.rules.append(rule)

    def frame(self) -> pd.DataFrame:
        """One line per rejected row: ``row``, ``column``, ``rule`` (first rule wins)."""
        if not self.rows:
            return pd.DataFrame({"row": pd.Series(dtype="int64"), "column": [], "rule": []})
        lengths = [len(r) for r in self.rows]
        out = pd.DataFrame(
            {
                "row": np.concatenate(self.rows),
                "column": np.repeat(np.array(self.columns, dtype=object), lengths),
                "rule": np.repeat(np.array(self.rules, dtype=object), lengths),
            }
        )
        return out.drop_duplicates("row", keep="first").sort_values("row", kind="stable")


def decode_text(data: bytes) -> tuple[bytes, str]:
    """Check a file's encoding and return UTF-8 bytes without a BOM.

    UTF-8 (with or without a byte-order mark) is read as is; a file that is not
    UTF-8 but is valid Windows-1252 (Excel's "CSV" on Windows) is converted.

    Returns
    -------
    (bytes, str)
        UTF-8 content and the encoding it was read as.

    Raises
    ------
    FileRefusedError
        Empty, binary or undecodable files.
    """
    if not data.strip():
        raise FileRefusedError("the file is empty")
    if b"\x00" in data[:65536]:
        raise FileRefusedError("the file is binary, not text (is it a spreadsheet saved as .csv?)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = "utf-8 with byte-order mark"
    else:
        encoding = "utf-8"
    try:
        data.decode("utf-8")
        return data, encoding
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileRefusedError(
            "the file is neither UTF-8 nor Windows-1252 text "
            f"(undecodable byte at offset {exc.start})"
        ) from None
    return text.encode("utf-8"), "windows-1252"


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what a partner file may expand to (DESIGN §4: readers are bounded).

    Attributes
    ----------
    max_bytes : int
        Largest uncompressed size: the CSV's bytes, or the sum of the sizes an XLSX
        workbook's zip members declare (checked before anything is decompressed).
    max_rows : int
        Most data rows (the header not counted).
    max_columns : int
        Most columns in the header.
    max_cell_chars : int
        Longest cell; a longer data cell rejects its row, a longer header refuses
        the file.
    long_columns : tuple of (str, int)
        Columns with their own, larger cap (for example a WKT polygon column).
    max_zip_members : int
        Most members an XLSX zip may hold.
    """

    max_bytes: int = 200_000_000
    max_rows: int = 2_000_000
    max_columns: int = 200
    max_cell_chars: int = 2_000
    long_columns: tuple[tuple[str, int], ...] = ()
    max_zip_members: int = 10_000

    def cap(self, column: str) -> int:
        """The longest cell allowed in ``column``."""
        return dict(self.long_columns).get(column, self.max_cell_chars)


def too_long_rule(limit: int) -> str:
    """The redacted rule for a cell over the length cap."""
    return f"longer than {limit:,} characters"


def _check_size(size: int, limits: ReadLimits, what: str) -> None:
    if size > limits.max_bytes:
        raise FileRefusedError(
            f"the file {what} more than {limits.max_bytes:,} bytes "
            "(rule: maximum uncompressed size)"
        )


def _check_header_names(names: list[str], limits: ReadLimits) -> list[str]:
    """Bounded, named header cells: refuse too many columns or an over-long header;
    blank header cells are called ``column N``."""
    if len(names) > limits.max_columns:
        raise FileRefusedError(
            f"the header has {len(names):,} columns; at most {limits.max_columns:,} are "
            "accepted (rule: maximum columns)"
        )
    for i, name in enumerate(names, start=1):
        if len(name) > limits.max_cell_chars:
            raise FileRefusedError(
                f"the header of column {i} is {too_long_rule(limits.max_cell_chars)} "
                "(rule: cell length cap)"
            )
    return [name if name else f"column {i}" for i, name in enumerate(names, start=1)]


def _check_rows(n_rows: int, limits: ReadLimits) -> None:
    if n_rows > limits.max_rows:
        raise FileRefusedError(
            f"the file has more than {limits.max_rows:,} data rows (rule: maximum rows)"
        )


def _drop_long_cells(
    frame: pd.DataFrame,
    rows: npt.NDArray[np.int64],
    lengths: dict[str, npt.NDArray[np.int64]],
    limits: ReadLimits,
    issues: RowIssues,
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Reject rows with a cell over its column's cap (rule names the cap, never the value)."""
    bad = np.zeros(len(frame), dtype=bool)
    for col, length in lengths.items():
        limit = limits.cap(col)
        over = (length > limit) & ~bad
        if over.any():
            issues.add(rows[over], col, too_long_rule(limit))
            bad |= over
    if bad.any():
        keep = ~bad
        return frame.loc[keep].reset_index(drop=True), rows[keep]
    return frame, rows


def read_csv_strings(
    data: bytes, issues: RowIssues, limits: ReadLimits | None = None
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Parse CSV bytes into a frame of strings ('' for empty cells).

    Rows with the wrong number of fields are rejected (rule ``wrong number of
    fields``), and so are rows with a cell longer than the cap; everything else is
    left as text for the adapters to parse with explicit formats. The file is
    refused beyond ``limits`` (size, rows, columns, header length).

    Returns
    -------
    (DataFrame, ndarray)
        The rows and, for each, its file row number (header = row 1).
    """
    limits = limits or ReadLimits()
    _check_size(len(data), limits, "has")
    utf8, encoding = decode_text(data)
    if encoding != "utf-8":
        issues.warnings.append(f"read as {encoding}")
    header_line = utf8.split(b"\n", 1)[0].rstrip(b"\r")
    if len(header_line) > limits.max_cell_chars * limits.max_columns:
        raise FileRefusedError(
            f"the header row is longer than {limits.max_cell_chars * limits.max_columns:,} "
            "bytes (rule: cell length cap)"
        )
    try:
        header = next(
            iter(
                pd.read_csv(
                    io.BytesIO(header_line), header=None, dtype=str, keep_default_na=False
                ).values
            )
        )
    except Exception:
        raise FileRefusedError("the header row cannot be read") from None
    names = _check_header_names([str(h).strip() for h in header], limits)
    if len(set(names)) != len(names):
        raise FileRefusedError("the header has repeated column names")
    if not utf8.partition(b"\n")[2].strip():
        # checked here: pyarrow cannot skip the header of a file that is only a header
        raise FileRefusedError("the file has a header but no data rows")
    bad: list[int | None] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(row.number)
        return "skip"

    def parse(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(
                use_threads=threads, column_names=names, skip_rows=1, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        table = parse(threads=True)
        if bad and any(b is None for b in bad):
            bad.clear()
            table = parse(threads=False)
    except pa.ArrowInvalid:
        raise FileRefusedError("the file is not valid CSV") from None
    if table.num_rows == 0 and not bad:
        raise FileRefusedError("the file has a header but no data rows")
    n_total = table.num_rows + len(bad)
    _check_rows(n_total, limits)
    all_rows = np.arange(2, n_total + 2, dtype=np.int64)
    if bad:
        # pyarrow reports the physical line number counting the skipped header as
        # line 1, which is already the file row number.
        bad_rows = np.array([int(b) for b in bad if b is not None], dtype=np.int64)
        issues.add(bad_rows, "*", "wrong number of fields")
        rows = np.setdiff1d(all_rows, bad_rows, assume_unique=True)[: table.num_rows]
    else:
        rows = all_rows
    # lengths in Arrow (vectorised, linear), before any value check sees a long cell
    lengths: dict[str, npt.NDArray[np.int64]] = {}
    for name in names:
        column = table.column(name)
        longest = pc.max(pc.utf8_length(column)).as_py() if table.num_rows else 0
        if longest is not None and longest > limits.cap(name):
            lengths[name] = np.asarray(
                pc.utf8_length(column).to_numpy(zero_copy_only=False), dtype=np.int64
            )
    frame = table.to_pandas()
    return _drop_long_cells(frame, rows, lengths, limits, issues)


def check_xlsx_archive(data: bytes, limits: ReadLimits) -> None:
    """Refuse a workbook whose zip would expand beyond ``limits`` (a zip bomb).

    Reads only the zip's central directory: the sizes its members declare. Python's
    zipfile never returns more than a member's declared size (a member that
    decompresses to more fails its CRC check), so the declared total bounds what
    openpyxl can unpack.

    Raises
    ------
    FileRefusedError
        Not a zip, too many members, or a declared uncompressed total above
        ``limits.max_bytes``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefusedError("the file cannot be read as an Excel workbook") from None
    if len(members) > limits.max_zip_members:
        raise FileRefusedError(
            f"the workbook holds more than {limits.max_zip_members:,} parts "
            "(rule: maximum uncompressed size)"
        )
    _check_size(sum(m.file_size for m in members), limits, "would expand to")


def read_excel_strings(
    data: bytes, issues: RowIssues, limits: ReadLimits | None = None
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Read the first sheet of an XLSX workbook as strings, within ``limits``.

    The zip's declared sizes are checked before anything is parsed; openpyxl then
    streams the sheet in read-only mode and stops at the row limit. The header is
    the first non-blank row; cells right of the header are not read; blank rows are
    skipped and every row keeps its sheet row number. Date cells become ISO 8601
    text (``YYYY-MM-DD HH:MM:SS``); numbers become text, so Excel serial dates stored
    as numbers are still recognised by :func:`parse_datetimes`.
    """
    limits = limits or ReadLimits()
    check_xlsx_archive(data, limits)
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception:
        raise FileRefusedError("the file cannot be read as an Excel workbook") from None
    try:
        return _read_sheet(book, issues, limits)
    except FileRefusedError:
        raise
    except Exception:
        raise FileRefusedError("the file cannot be read as an Excel workbook") from None
    finally:
        book.close()


#: How far down the first sheet the header row (the first non-blank row) may be.
XLSX_HEADER_SEARCH_ROWS = 1_000


def _read_sheet(
    book: Any, issues: RowIssues, limits: ReadLimits
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    if not book.worksheets:
        raise FileRefusedError("the workbook has no sheets")
    sheet = book.worksheets[0]
    sheet.reset_dimensions()  # never trust the declared dimensions
    # the header: the first non-blank row, read at its own width (every header cell
    # is seen, so a person-naming header cannot hide far to the right)
    header_row = 0
    header: tuple[object, ...] = ()
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > min(limits.max_rows, XLSX_HEADER_SEARCH_ROWS):
            break
        if any(_excel_cell_text(v).strip() for v in values):
            header_row, header = number, tuple(values)
            break
    if not header_row:
        raise FileRefusedError(
            f"the first sheet has no header row within its first {XLSX_HEADER_SEARCH_ROWS:,} rows"
        )
    texts = [_excel_cell_text(v).strip() for v in header]
    while texts and not texts[-1]:
        texts.pop()
    names = _check_header_names(texts, limits)
    if len(set(names)) != len(names):
        raise FileRefusedError("the header has repeated column names")
    width = len(names)
    caps = [limits.cap(n) for n in names]
    columns: list[list[str]] = [[] for _ in range(width)]
    long_cells: list[tuple[int, int, int]] = []  # (row position, column, cap)
    numbers: list[int] = []
    last = header_row + limits.max_rows
    number = header_row
    for number, values in enumerate(
        sheet.iter_rows(min_row=header_row + 1, max_col=width, values_only=True),
        start=header_row + 1,
    ):
        if number > last:
            break
        cells = [_excel_cell_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        for j, cell in enumerate(cells):
            if len(cell) > caps[j]:
                long_cells.append((len(numbers), j, caps[j]))
                break
        numbers.append(number)
        for j, cell in enumerate(cells):
            columns[j].append(cell)
    if number > last:
        _check_rows(limits.max_rows + 1, limits)
    if not numbers:
        raise FileRefusedError("the workbook has a header but no data rows")
    frame = pd.DataFrame(
        {n: pd.Series(c, dtype=object) for n, c in zip(names, columns, strict=True)}
    )
    rows = np.asarray(numbers, dtype=np.int64)
    if long_cells:
        lengths = {n: np.zeros(len(frame), dtype=np.int64) for n in names}
        for position, j, cap in long_cells:
            lengths[names[j]][position] = cap + 1
        frame, rows = _drop_long_cells(frame, rows, lengths, limits, issues)
    return frame, rows


def _excel_cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.datetime | dt.date):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(
    data: bytes, file_name: str, issues: RowIssues, limits: ReadLimits | None = None
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Read a CSV or XLSX partner file as strings with file row numbers, within ``limits``."""
    if file_name.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return read_excel_strings(data, issues, limits)
    return read_csv_strings(data, issues, limits)


# --- personal data --------------------------------------------------------------------
#
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


def quote_header(header: str, limit: int = 60) -> str:
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


def personal_data_values(frame: pd.DataFrame, columns: Iterable[str]) -> list[tuple[str, str]]:
    """Columns whose values contain personal identifiers.

    Looks for full postcodes, UPNs, e-mail addresses and NHS numbers (ten digits
    passing the modulus-11 check). Returns ``(column, kind)`` pairs, never values.
    """
    hits: list[tuple[str, str]] = []
    for col in columns:
        s = frame[col].astype(str).str.upper()
        if s.str.contains(_POSTCODE, regex=True).any():
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


# --- values ------------------------------------------------------------------------------


def parse_numbers(values: pd.Series) -> npt.NDArray[np.float64]:
    """Floats from text; empty or non-numeric text becomes NaN."""
    return np.asarray(pd.to_numeric(values.str.strip(), errors="coerce"), dtype=np.float64)


def parse_datetimes(
    values: pd.Series, fmt: str, now: pd.Timestamp | None = None
) -> tuple[pd.Series, npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Parse partner datetimes with explicit formats only (never guessed).

    Tried in order: the profile's format ``fmt`` (UK day-first, e.g. ``%d/%m/%Y %H:%M``),
    its date part alone, ISO 8601 (``YYYY-MM-DD[ HH:MM[:SS]]``, as XLSX cells arrive),
    and Excel serial day numbers.

    Returns
    -------
    (Series of datetime64, ndarray of str, ndarray of str)
        Parsed values (NaT when empty or invalid), the time precision of each
        (``minute``/``day``/``""``), and the rule each failing non-empty value broke
        (``""`` when fine).
    """
    now = now or pd.Timestamp.now()
    text = values.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    precision = np.full(len(text), "", dtype=object)
    date_fmt = fmt.split(" ")[0]
    attempts: list[tuple[str, str]] = [(fmt, "minute"), (date_fmt, "day")]
    attempts += [
        ("%Y-%m-%d %H:%M:%S", "minute"),
        ("%Y-%m-%dT%H:%M:%S", "minute"),
        ("%Y-%m-%d %H:%M", "minute"),
        ("%Y-%m-%d", "day"),
    ]
    remaining = (text != "").to_numpy().copy()
    for f, prec in attempts:
        if not remaining.any():
            break
        parsed = pd.to_datetime(text[remaining], format=f, errors="coerce")
        ok = parsed.notna().to_numpy()
        idx = np.flatnonzero(remaining)[ok]
        out.iloc[idx] = parsed[ok].to_numpy()
        if prec == "minute":
            # a midnight time of day from a date-time format is still minute precision
            precision[idx] = "minute"
        else:
            precision[idx] = "day"
        remaining[idx] = False
    if remaining.any():
        serial = pd.to_numeric(text[remaining], errors="coerce").to_numpy(dtype=float)
        ok = (serial >= EXCEL_SERIAL_RANGE[0]) & (serial <= EXCEL_SERIAL_RANGE[1])
        idx = np.flatnonzero(remaining)[ok]
        whole = np.floor(serial[ok])
        stamps = EXCEL_EPOCH + pd.to_timedelta(np.round(serial[ok] * 1440), unit="min")
        out.iloc[idx] = stamps.to_numpy()
        precision[idx] = np.where(serial[ok] == whole, "day", "minute")
        remaining[idx] = False
    rule = np.full(len(text), "", dtype=object)
    rule[remaining] = "not a valid date in the expected format"
    future = (out > now).to_numpy()
    rule[future] = "date in the future"
    early = (out < EARLIEST_DATE).to_numpy()
    rule[early] = "date before 2000"
    bad = future | early
    out[bad] = pd.NaT
    precision[bad] = ""
    return out, precision.astype(str), rule.astype(str)


def coordinate_rules(
    lat: npt.NDArray[np.float64], lng: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    """The first coordinate rule each point breaks (``""`` when plausible).

    Rules, in order: missing coordinates; (0, 0); British National Grid metres
    in latitude/longitude columns; latitude and longitude swapped (a point that
    only makes sense in Great Britain with the two exchanged); out of range.
    """
    rule = np.full(lat.shape, "", dtype=object)
    missing = ~(np.isfinite(lat) & np.isfinite(lng))
    zero = ~missing & (lat == 0) & (lng == 0)
    bng = ~missing & ~zero & (np.abs(lat) > 1000) & (np.abs(lng) > 1000)
    swapped = ~missing & ~zero & ~bng & (lat >= -9) & (lat <= 2.5) & (lng >= 49) & (lng <= 61)
    out_of_range = ~missing & ~zero & ~bng & ~swapped & ((np.abs(lat) > 90) | (np.abs(lng) > 180))
    rule[out_of_range] = "coordinates out of range"
    rule[swapped] = "latitude and longitude look swapped"
    rule[bng] = "coordinates look like British National Grid metres, not degrees"
    rule[zero] = "coordinates are (0, 0)"
    rule[missing] = "no coordinates (unlocatable)"
    return rule
