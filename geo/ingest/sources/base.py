"""What every source adapter receives and returns, and how an adapter says which kinds
of file it reads (:class:`Adapter`; the registry is :mod:`geo.ingest.sources`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.area import StudyArea
from geo.core.errors import FileRefusedError
from geo.ingest.personal_data import quote_header, refuse_personal_data_columns
from geo.ingest.readers import ReadLimits, RowIssues, read_table

Locate = Literal["required", "optional", "none", "nearby"]


@dataclass(frozen=True)
class AdapterContext:
    """Ingest-time facts an adapter may need.

    Attributes
    ----------
    now : Timestamp
        The reference time for "date in the future" (UK local, naive).
    pseudonym_key : bytes or None
        HMAC key for identifiers of people.
    profile : dict or None
        A column-mapping profile (mapped CSV/XLSX feeds).
    storage_resolution : int
        H3 resolution at which points are stored.
    ignore_columns : tuple of str
        Extra columns a known format may carry (``[ingest] ignore_columns``).
    allowed_headers : tuple of str
        Extra headers that are not personal data (``[ingest] allowed_headers``).
    postcodes : DataFrame or None
        Postcode centroids (``postcode``, ``lat``, ``lng``) for feeds placed by
        :mod:`geo.ingest.geocode`; None when the store holds none.
    gazetteer : DataFrame or None
        Public place names (:func:`geo.ingest.gazetteer.gazetteer_from_store`) for the
        same feeds.
    """

    now: pd.Timestamp
    pseudonym_key: bytes | None = None
    profile: dict[str, object] | None = None
    storage_resolution: int = 11
    ignore_columns: tuple[str, ...] = ()
    allowed_headers: tuple[str, ...] = ()
    postcodes: pd.DataFrame | None = field(default=None, compare=False)
    gazetteer: pd.DataFrame | None = field(default=None, compare=False)


@dataclass
class Parsed:
    """An adapter's output: canonical rows still carrying WGS84 coordinates.

    Attributes
    ----------
    table : str
        Canonical table the rows go to.
    source : str
        Partner feed name stored in ``source``.
    frame : DataFrame
        Canonical columns (including the record-id column) plus float columns
        ``lat`` and ``lng`` (EPSG:4326; NaN when not given). Index 0..n-1.
    rows : ndarray of int64
        File row number of each frame row (header = row 1).
    locate : {"required", "optional", "none", "nearby"}
        Whether rows without coordinates are rejected, kept without a cell, or the
        table has no cells at all; ``nearby`` is ``required`` but keeps rows outside
        the study area up to :data:`geo.ingest.pipeline.NEARBY_M` from it (health sites).
    extra : dict of DataFrame
        Child tables (for example the cells an area-based youth session covered).
    coordinate_columns : str
        The file's coordinate column(s), named in coordinate findings.
    unit : str
        What the report counts: ``rows``, or ``values`` for wide area tables.
    """

    table: str
    source: str
    frame: pd.DataFrame
    rows: npt.NDArray[np.int64]
    locate: Locate = "required"
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    coordinate_columns: str = "Latitude/Longitude"
    unit: str = "rows"


def _fold(header: str) -> str:
    return " ".join(str(header).split()).casefold()


def check_header(
    columns: list[str],
    required: list[str],
    published: list[str],
    issues: RowIssues,
    format_name: str,
    ctx: AdapterContext | None = None,
) -> None:
    """Accept a known format's header only if it is the published one.

    Refuses a file missing required columns, then any extra column whose header
    names a person (even if it is in the ignore-list), then any other column that is
    neither published nor in ``ctx.ignore_columns`` (compared ignoring case and
    repeated spaces). Ignored columns are reported as a warning and never stored.
    Messages name each column's position and header and the rule, never a value.

    Parameters
    ----------
    columns : list of str
        The file's header, in order.
    required : list of str
        Columns the adapter needs.
    published : list of str
        Every column the format's publisher documents.
    issues : RowIssues
        Receives the warning about ignored columns.
    format_name : str
        For messages ("police.uk street").
    ctx : AdapterContext, optional
        Supplies the ignore-list.
    """
    missing = [c for c in required if c not in columns]
    if missing:
        raise FileRefusedError(f"not a {format_name} file: missing column(s) {', '.join(missing)}")
    known = set(published)
    extra = [c for c in columns if c not in known]
    if not extra:
        return
    refuse_personal_data_columns(columns, ctx.allowed_headers if ctx else (), only=extra)
    ignore = {_fold(c) for c in (ctx.ignore_columns if ctx else ())}
    unexpected = [(i, c) for i, c in enumerate(columns, start=1) if c in extra]
    refused = [(i, c) for i, c in unexpected if _fold(c) not in ignore]
    if refused:
        listed = "; ".join(f"column {i} {quote_header(c)}" for i, c in refused)
        raise FileRefusedError(
            f"not a published {format_name} column: {listed}. A {format_name} file may "
            "carry only its published columns and those in the configured ignore-list "
            "([ingest] ignore_columns); remove the column(s) or ask an administrator"
        )
    issues.warnings.append(
        "ignored column(s) in the ignore-list: "
        + ", ".join(f"{i} {quote_header(c)}" for i, c in unexpected)
    )


def reject(
    frame: pd.DataFrame,
    rows: npt.NDArray[np.int64],
    mask: npt.NDArray[np.bool_],
    column: str,
    rule: str,
    issues: RowIssues,
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Record ``rule`` for rows where ``mask`` is true and drop them."""
    if mask.any():
        issues.add(rows[mask], column, rule)
        keep = ~mask
        return frame.loc[keep].reset_index(drop=True), rows[keep]
    return frame, rows


def stable_row_ids(
    frame: pd.DataFrame,
    columns: list[str],
    prefix: str,
    *,
    coordinates: tuple[str, str] | None = None,
) -> pd.Series:
    """Identifiers for rows that have no id of their own, stable across re-ingests.

    The id is a 128-bit hash of the listed columns plus the row's occurrence number
    among identical rows of the file, so rows that are identical in every column
    (several reports at one anonymous map point in a month) stay distinct, while the
    same file ingested again yields the same ids. Coordinate columns (``coordinates``)
    are hashed as numbers rounded to 6 decimals, so ``51.595420`` and ``51.59542`` in
    two extracts of the same record give the same id.
    """
    sub = frame[columns].astype(str).apply(lambda s: s.str.strip())
    if coordinates:
        for col in coordinates:
            sub[col] = np.round(pd.to_numeric(sub[col], errors="coerce").to_numpy(), 6)
    h1 = np.asarray(
        pd.util.hash_pandas_object(sub, index=False, hash_key="placesafe-rowid1"), dtype=np.uint64
    )
    h2 = np.asarray(
        pd.util.hash_pandas_object(sub, index=False, hash_key="placesafe-rowid2"), dtype=np.uint64
    )
    occurrence = pd.DataFrame({"a": h1, "b": h2}).groupby(["a", "b"], sort=False).cumcount()
    text = np.char.add(np.char.add(prefix, hex64(h1)), hex64(h2))
    ids: pd.Series = pd.Series(text, dtype=str) + "-" + occurrence.astype(str).to_numpy()
    return ids


def hex64(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.str_]:
    """Fixed-width 16-digit hex strings of 64-bit integers, without a Python loop."""
    text = np.ascontiguousarray(values, dtype=">u8").tobytes().hex().encode("ascii")
    return np.frombuffer(text, dtype="S16").astype("<U16")


@dataclass(frozen=True)
class SourceFile:
    """One partner file as an adapter receives it.

    Attributes
    ----------
    kind : str
        The kind of file the user said it is (one of :data:`geo.core.schema.KIND_TABLES`).
    data : bytes
        The file's bytes.
    file_name : str
        Its name (the extension chooses CSV or XLSX).
    issues : RowIssues
        Where row findings go (rule and row, never a value).
    ctx : AdapterContext
        Ingest-time facts.
    area : StudyArea
        The study area (boundaries and area tables check codes against it).
    limits : ReadLimits
        The reader's size limits.
    """

    kind: str
    data: bytes
    file_name: str
    issues: RowIssues
    ctx: AdapterContext
    area: StudyArea
    limits: ReadLimits

    def table(self) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
        """The file read as a table of strings and each row's file row number."""
        return read_table(self.data, self.file_name, self.issues, self.limits)


@dataclass(frozen=True)
class Adapter:
    """A partner format: the kinds of file it reads and how.

    A module in :mod:`geo.ingest.sources` declares its formats in a module-level
    ``ADAPTERS`` tuple; the registry finds them, so adding a format is one new module.

    Attributes
    ----------
    kinds : tuple of str
        The kinds of file it reads.
    parse : callable
        ``parse(file) -> Parsed`` for a :class:`SourceFile`.
    """

    kinds: tuple[str, ...]
    parse: Callable[[SourceFile], Parsed]
