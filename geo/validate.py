"""Reading partner files safely and checking their values, with redacted findings.

Every finding names the file row (the header is row 1, as a spreadsheet shows it),
the column and the rule — never the offending value, because partner files carry
data about children. File-level findings refuse the whole file; row-level findings
reject single rows and are counted per rule.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

#: Excel's day zero for serial dates (the 1900 leap-year bug is absorbed by 30 Dec 1899).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Serial numbers accepted as Excel dates: 1 Jan 1990 .. 31 Dec 2099.
EXCEL_SERIAL_RANGE = (32874.0, 73415.0)
EARLIEST_DATE = pd.Timestamp("2000-01-01")


class FileRefusedError(ValueError):
    """The whole file is refused; nothing from it is stored.

    The message states a rule and never quotes file content.
    """


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


def read_csv_strings(data: bytes, issues: RowIssues) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Parse CSV bytes into a frame of strings ('' for empty cells).

    Rows with the wrong number of fields are rejected (rule ``wrong number of
    fields``); everything else is left as text for the adapters to parse with
    explicit formats.

    Returns
    -------
    (DataFrame, ndarray)
        The rows and, for each, its file row number (header = row 1).
    """
    utf8, encoding = decode_text(data)
    if encoding != "utf-8":
        issues.warnings.append(f"read as {encoding}")
    header_line = utf8.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = next(iter(pd.read_csv(io.BytesIO(header_line), header=None, dtype=str).values))
    except Exception:
        raise FileRefusedError("the header row cannot be read") from None
    names = [str(h).strip() for h in header]
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
    all_rows = np.arange(2, n_total + 2, dtype=np.int64)
    if bad:
        # pyarrow reports the physical line number counting the skipped header as
        # line 1, which is already the file row number.
        bad_rows = np.array([int(b) for b in bad if b is not None], dtype=np.int64)
        issues.add(bad_rows, "*", "wrong number of fields")
        rows = np.setdiff1d(all_rows, bad_rows, assume_unique=True)[: table.num_rows]
    else:
        rows = all_rows
    frame = table.to_pandas()
    return frame, rows


def read_excel_strings(
    data: bytes, issues: RowIssues
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Read the first sheet of an XLSX workbook as strings.

    Date cells become ISO 8601 text (``YYYY-MM-DD HH:MM:SS``); numbers become text, so
    Excel serial dates stored as numbers are still recognised by :func:`parse_datetimes`.
    """
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine="openpyxl")
    except Exception:
        raise FileRefusedError("the file cannot be read as an Excel workbook") from None
    if frame.empty:
        raise FileRefusedError("the workbook has a header but no data rows")
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        text = s.map(_excel_cell_text)
        out[str(col).strip()] = text.astype(str)
    return out.reset_index(drop=True), np.arange(2, len(out) + 2, dtype=np.int64)


def _excel_cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if hasattr(value, "isoformat") and hasattr(value, "year"):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[arg-type]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(
    data: bytes, file_name: str, issues: RowIssues
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Read a CSV or XLSX partner file as strings with file row numbers."""
    if file_name.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return read_excel_strings(data, issues)
    return read_csv_strings(data, issues)


# --- personal data --------------------------------------------------------------------

_PII_HEADER = re.compile(
    r"(^|[^a-z])(first ?name|fore ?names?|surname|last ?name|full ?name|given ?name|"
    r"child ?name|pupil ?name|student ?name|"
    r"^name$|d\.?o\.?b\.?|date ?of ?birth|birth ?date|address|street|house|post ?code|zip|"
    r"upn|unique ?pupil|nhs|chi ?number|phone|mobile|e-?mail|national ?insurance|ni ?number)"
    r"($|[^a-z])"
)
_POSTCODE = r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b"
_UPN = r"\b[A-Z][0-9]{11}[0-9A-Z]\b"
_EMAIL = r"\b[^@\s]+@[^@\s]+\.[a-z]{2,}\b"
_NHS = r"\b[0-9]{3} ?[0-9]{3} ?[0-9]{4}\b"


def personal_data_columns(columns: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """Columns whose names look like personal data (name, date of birth, address,
    postcode, UPN, NHS number, contact details), except ``allowed`` ones."""
    allow = {a.lower() for a in allowed}
    found = []
    for col in columns:
        norm = re.sub(r"[_\-]+", " ", str(col).strip().lower())
        if norm in allow:
            continue
        if _PII_HEADER.search(norm):
            found.append(str(col))
    return found


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
