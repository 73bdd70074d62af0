"""File -> adapter -> validate -> anonymise -> index (H3) -> store.

:func:`ingest_bytes` is the one way partner data enter the store. It returns an
:class:`IngestReport` whatever happens: a refused file writes nothing (it is only
recorded as a failed batch), a re-sent file is a no-op that says so, and rejected
rows are counted per rule with their row numbers — never their values. The report is
:mod:`geo.ingest.report`; police.uk archive zips are :mod:`geo.ingest.archive`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import shapely

from geo.core import hexes
from geo.core.area import StudyArea, to_bng
from geo.core.config import Config
from geo.core.errors import ConfigError, FileRefusedError
from geo.core.schema import KIND_TABLES, TABLE_ID_COLUMNS
from geo.ingest.gazetteer import gazetteer_from_store, postcodes_from_store
from geo.ingest.readers import ReadLimits, RowIssues
from geo.ingest.report import MAX_ISSUES_SHOWN, IngestReport, reasons_in_words
from geo.ingest.sources import adapter_for, area_stats, profiles
from geo.ingest.sources.base import AdapterContext, Parsed, SourceFile
from geo.ingest.validate import coordinate_rules
from geo.store.database import SYNTHETIC_DEMO, Store

KINDS: tuple[str, ...] = tuple(KIND_TABLES)

#: Reason for rows whose record id appeared earlier in the same file.
REPEATED_IN_FILE = "record id repeated in file (first row kept)"
ALREADY_STORED = "already in the store (overlapping extract)"
OUTSIDE_AREA = "outside the study area"
#: How far outside the study area a ``locate="nearby"`` row (a health site) may lie.
NEARBY_M = 30_000.0
TOO_FAR = "more than 30 km from the study area"
#: The stages an ingest reports to its ``progress`` callback, with the share of the work
#: done when each starts (reading and parsing is most of it).
STAGES: Final[dict[str, float]] = {
    "read": 0.0,
    "map to cells": 0.5,
    "validate": 0.7,
    "write": 0.8,
    "done": 1.0,
}
#: A progress callback: ``progress(stage, fraction)``.
Progress = Callable[[str, float], None]
#: Why a store built by the demo generator refuses every partner file.
DEMO_STORE_REFUSAL = "the synthetic demo does not take partner files; configure a real store"


#: Kinds with a published column list (known formats): shorter cells, strict headers.
KNOWN_FORMATS: tuple[str, ...] = ("police_street", "stop_search", "schools")


def read_limits(config: Config, kind: str, ctx: AdapterContext | None = None) -> ReadLimits:
    """The reader bounds for a file of ``kind`` (``[ingest]``): size, rows, columns and
    the cell cap, with a larger cap for a mapped youth-session file's WKT column."""
    ing = config.ingest
    long_columns: tuple[tuple[str, int], ...] = ()
    if kind == "youth_sessions":
        profile = profiles.mapped_profile(kind, ctx.profile if ctx else None)
        wkt = profile["columns"].get("area_wkt")
        if wkt:
            long_columns = ((str(wkt), max(profiles.AREA_WKT_MAX_CHARS, ing.max_cell_chars)),)
    return ReadLimits(
        max_bytes=ing.max_uncompressed_bytes,
        max_rows=ing.max_rows,
        max_columns=ing.max_columns,
        max_cell_chars=(
            ing.known_format_max_cell_chars if kind in KNOWN_FORMATS else ing.max_cell_chars
        ),
        long_columns=long_columns,
    )


def _parse(
    kind: str,
    data: bytes,
    file_name: str,
    issues: RowIssues,
    ctx: AdapterContext,
    area: StudyArea,
    limits: ReadLimits,
) -> Parsed:
    source = SourceFile(kind, data, file_name, issues, ctx, area, limits)
    return adapter_for(kind).parse(source)


def _locate(parsed: Parsed, issues: RowIssues, area: StudyArea, res: int) -> Parsed:
    """Check coordinates, drop rows outside the area and add H3 cells (in place)."""
    frame, rows = parsed.frame, parsed.rows
    if parsed.locate == "none":
        return parsed
    lat = frame["lat"].to_numpy(dtype=float)
    lng = frame["lng"].to_numpy(dtype=float)
    rule = coordinate_rules(lat, lng)
    if parsed.locate == "optional":
        rule[rule == "no coordinates (unlocatable)"] = ""
    located = np.isfinite(lat) & np.isfinite(lng) & (rule == "")
    outside = located & ~area.contains(lat, lng)
    if parsed.locate == "nearby":
        rule[outside & (_metres_from_area(area, lat, lng) > NEARBY_M)] = TOO_FAR
    else:
        rule[outside] = OUTSIDE_AREA
    for r in pd.unique(rule[rule != ""]):
        mask = rule == r
        issues.add(rows[mask], parsed.coordinate_columns, str(r))
    keep = rule == ""
    frame = frame.loc[keep].reset_index(drop=True)
    rows = rows[keep]
    located = located[keep]
    cell = np.zeros(len(frame), dtype=np.uint64)
    cell[located] = hexes.points_to_cells(
        frame["lat"].to_numpy()[located], frame["lng"].to_numpy()[located], res
    )
    frame = frame.drop(columns=["lat", "lng"])
    _add_cells(frame, cell, located)
    parsed.frame, parsed.rows = frame, rows
    for name, child in parsed.extra.items():
        if "cell" in child:
            ccell = child["cell"].to_numpy(dtype=np.uint64)
            child = child.drop(columns="cell")
            _add_cells(child, ccell, np.ones(len(child), dtype=bool))
            parsed.extra[name] = child
    return parsed


def _metres_from_area(area: StudyArea, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """Straight-line distance (EPSG:27700 metres) from each point to the study area
    (0 inside; NaN where a coordinate is missing)."""
    ok = np.isfinite(lat) & np.isfinite(lng)
    out = np.full(lat.shape, np.nan)
    if not ok.any():
        return out
    boundary = shapely.transform(
        area.boundary, lambda xy: np.column_stack(to_bng(xy[:, 0], xy[:, 1]))
    )
    x, y = to_bng(lng[ok], lat[ok])
    out[ok] = shapely.distance(boundary, shapely.points(x, y))
    return out


def _add_cells(frame: pd.DataFrame, cell: np.ndarray, located: np.ndarray) -> None:
    """Add the storage cell and its parents 7-10 (NULL where not located)."""
    frame["cell"] = pd.array(np.where(located, cell, 0), dtype="UInt64")
    frame.loc[~located, "cell"] = pd.NA
    for r in hexes.PARENT_RESOLUTIONS:
        parents = np.zeros(len(cell), dtype=np.uint64)
        if located.any():
            parents[located] = hexes.cells_to_parent(cell[located], r)
        col = pd.array(parents, dtype="UInt64")
        col[~located] = pd.NA
        frame[f"cell_{r}"] = col


def ingest_bytes(
    store: Store,
    config: Config,
    area: StudyArea,
    kind: str,
    data: bytes,
    file_name: str,
    *,
    who: str = "cli",
    profile: Path | None = None,
    dry_run: bool = False,
    now: pd.Timestamp | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Validate one partner file and, unless ``dry_run``, store it as one batch.

    A store built by the demo generator (marked ``origin = synthetic-demo``) refuses
    every file, before reading it: the synthetic demo never holds partner data.

    Parameters
    ----------
    store : Store
        Destination.
    config : Config
        Supplies the storage resolution and the pseudonym key.
    area : StudyArea
        Points outside it (plus its buffer) are rejected.
    kind : str
        One of :data:`KINDS`.
    data : bytes
        The file's bytes (CSV, XLSX or GeoJSON).
    file_name : str
        For display only.
    who : str
        Pseudonymous id of the person ingesting, for the batch record.
    profile : Path, optional
        Column-mapping profile for mapped kinds (default: the shipped template).
    dry_run : bool
        Validate and report without storing (the Data page's preview).
    now : Timestamp, optional
        Reference time for future-date checks.
    progress : callable, optional
        Told each stage as it starts, ``progress(stage, fraction)`` with a stage of
        :data:`STAGES` and the share of the work done before it (a progress bar for
        large files; no UI is imported here).

    Returns
    -------
    IngestReport
    """
    tell = progress or (lambda stage, fraction: None)
    sha = hashlib.sha256(data).hexdigest()
    report = IngestReport(kind=kind, file_name=Path(file_name).name, sha256=sha, status="refused")
    if store.origin() == SYNTHETIC_DEMO:  # the generator's store: its data stay synthetic
        report.error = DEMO_STORE_REFUSAL
        if not dry_run:
            store.audit(who, None, "ingest_refused", detail={"kind": kind, "error": report.error})
        return report
    if kind not in KINDS:
        report.error = f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}"
        return report
    existing = store.live_batch_with_hash(sha, kind)
    if existing is not None:
        report.status = "already_ingested"
        report.batch_id = existing
        return report
    issues = RowIssues()
    try:
        key = None
        if kind == "missing":
            try:
                key = config.pseudonym_key()
            except ConfigError as exc:
                raise FileRefusedError(str(exc)) from None
        ctx = AdapterContext(
            now=now or pd.Timestamp.now(),
            pseudonym_key=key,
            profile=profiles.load_profile(kind, profile) if profile is not None else None,
            storage_resolution=config.storage_resolution,
            ignore_columns=config.ingest.ignore_columns,
            allowed_headers=config.ingest.allowed_headers,
            **_place_lookups(store, kind),
        )
        limits = read_limits(config, kind, ctx)
        tell("read", STAGES["read"])
        parsed = _parse(kind, data, file_name, issues, ctx, area, limits)
        tell("map to cells", STAGES["map to cells"])
        parsed = _locate(parsed, issues, area, config.storage_resolution)
    except FileRefusedError as exc:
        report.error = str(exc)
        report.warnings = issues.warnings
        if not dry_run:
            _record_refusal(store, report, source=kind, who=who)
        return report

    tell("validate", STAGES["validate"])
    if parsed.table == "area_stats":
        parsed = _area_rows_in_study_area(store, parsed, issues, area)
    found = issues.frame()
    report.issues = found.head(MAX_ISSUES_SHOWN).reset_index(drop=True)
    report.rejected = len(found)
    report.reasons = {str(k): int(v) for k, v in found["rule"].value_counts().items()}
    report.warnings = issues.warnings
    report.notes = list(parsed.notes)
    report.table = parsed.table
    report.unit = parsed.unit

    id_col = TABLE_ID_COLUMNS[parsed.table]
    repeated = parsed.frame.duplicated(id_col, keep="first").to_numpy()
    frame = parsed.frame.loc[~repeated].reset_index(drop=True)
    in_file_dups = int(repeated.sum())
    report.read = len(frame) + in_file_dups + report.rejected
    if in_file_dups:
        report.duplicate_reasons[REPEATED_IN_FILE] = in_file_dups

    if frame.empty:  # nothing usable: never an empty live batch, and a retry stays open
        report.error = _nothing_usable(report, area)
        if not dry_run:
            _record_refusal(store, report, source=parsed.source, who=who)
        return report

    if dry_run:
        report.status = "checked"
        report.accepted = len(frame)
        report.duplicates = in_file_dups
        tell("done", STAGES["done"])
        return report

    tell("write", STAGES["write"])
    tables: dict[str, pd.DataFrame] = {parsed.table: frame, **parsed.extra}
    batch_id, accepted, stored_dups = store.write_batch(
        kind=kind,
        source=parsed.source,
        file_name=report.file_name,
        sha256=sha,
        rows_read=report.read,
        rows_rejected=report.rejected,
        who=who,
        tables=tables,
        report={"reasons": report.reasons, "warnings": report.warnings, "notes": report.notes},
        replace_source=parsed.table in ("areas", "area_stats"),
        rows_duplicate_in_file=in_file_dups,
    )
    if stored_dups:
        report.duplicate_reasons[ALREADY_STORED] = stored_dups
    report.accepted = accepted
    report.duplicates = in_file_dups + stored_dups
    report.batch_id = batch_id
    report.status = "live"
    tell("done", STAGES["done"])
    store.audit(
        who,
        None,
        "ingest",
        detail={
            "batch_id": batch_id,
            "kind": kind,
            "accepted": accepted,
            "rejected": report.rejected,
        },
    )
    return report


#: Kinds placed from words (:mod:`geo.ingest.geocode`), which need the store's postcode
#: centroids and gazetteer.
GEOCODED_KINDS: Final[tuple[str, ...]] = ("istv",)


def _place_lookups(store: Store, kind: str) -> dict[str, pd.DataFrame | None]:
    """The postcode table and gazetteer for a geocoded kind (nothing for other kinds)."""
    if kind not in GEOCODED_KINDS:
        return {}
    return {"postcodes": postcodes_from_store(store), "gazetteer": gazetteer_from_store(store)}


def _record_refusal(store: Store, report: IngestReport, *, source: str, who: str) -> None:
    """Record a refused file as a failed batch (no rows) and in the audit log."""
    store.record_failed_batch(
        kind=report.kind,
        source=source,
        file_name=report.file_name,
        sha256=report.sha256,
        who=who,
        report=report.to_dict(),
    )
    store.audit(who, None, "ingest_refused", detail={"kind": report.kind, "error": report.error})


def _area_rows_in_study_area(
    store: Store, parsed: Parsed, issues: RowIssues, area: StudyArea
) -> Parsed:
    """Drop area-table rows of areas whose loaded boundary lies outside the study area
    (its representative point outside the boundary): their figures are counted in the
    report as outside, never stored, so no denominator sums another borough's areas."""
    codes = parsed.frame["area_code"].astype(str)
    known = store.query(
        "SELECT area_code, any_value(geometry_wkb) AS wkb FROM areas GROUP BY area_code"
    )
    held = known.loc[known["area_code"].isin(set(codes))]
    unchecked = codes.loc[~codes.isin(set(held["area_code"]))].nunique()
    if unchecked:
        issues.warnings.append(
            f"{unchecked:,} area code(s) have no loaded boundary, so they could not be checked "
            "against the study area: load the LSOA boundaries (ingest --kind boundary) first"
        )
    if held.empty:
        return parsed
    points = shapely.point_on_surface(shapely.from_wkb([bytes(b) for b in held["wkb"]]))
    inside = shapely.contains_xy(area.boundary, shapely.get_x(points), shapely.get_y(points))
    outside_codes = set(held.loc[~np.asarray(inside), "area_code"].astype(str))
    drop = codes.isin(outside_codes).to_numpy()
    if not drop.any():
        return parsed
    issues.add(np.unique(parsed.rows[drop]), "area code", area_stats.AREA_CODE_OUTSIDE)
    parsed.frame = parsed.frame.loc[~drop].reset_index(drop=True)
    parsed.rows = parsed.rows[~drop]
    return parsed


def _nothing_usable(report: IngestReport, area: StudyArea) -> str:
    """Why a file with no usable row is refused, naming the study area and the rules."""
    if report.read == 0:
        return "the file has no data rows"
    if report.reasons:
        return (
            f"nothing to store: none of the {report.read:,} rows can be used: "
            f"{reasons_in_words(report.reasons, report.read, area.name)}; check that this "
            f"file is for {area.name}"
        )
    return f"nothing to store: all {report.read:,} rows repeat other rows of the file"


def ingest_file(
    store: Store, config: Config, area: StudyArea, kind: str, path: Path, **kwargs: Any
) -> IngestReport:
    """:func:`ingest_bytes` for a file on disk."""
    return ingest_bytes(
        store, config, area, kind, Path(path).read_bytes(), Path(path).name, **kwargs
    )
