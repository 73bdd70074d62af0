"""Reading partner files safely: bounded CSV and XLSX readers, with redacted findings.

Every finding names the file row (the header is row 1, as a spreadsheet shows it),
the column and the rule — never the offending value, because partner files carry
data about children. File-level findings refuse the whole file; row-level findings
reject single rows and are counted per rule (:class:`RowIssues`). Readers are bounded
(:class:`ReadLimits`): size, rows, columns and cell length are checked before values are.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
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

__all__ = [
    "XLSX_HEADER_SEARCH_ROWS",
    "ReadLimits",
    "RowIssues",
    "check_xlsx_archive",
    "decode_text",
    "read_csv_strings",
    "read_excel_strings",
    "read_table",
    "too_long_rule",
]


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
