"""data.police.uk archive zips: each street-crime and stop-and-search member as its own batch."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from geo.core.area import StudyArea
from geo.core.config import Config
from geo.ingest.pipeline import OUTSIDE_AREA, ingest_bytes
from geo.ingest.report import IngestReport
from geo.store.database import Store

__all__ = [
    "ARCHIVE_KINDS",
    "MAX_ARCHIVE_BYTES",
    "ArchiveReport",
    "archive_kind",
    "ingest_archive",
]

#: police.uk archive members by file-name ending -> kind (outcomes files are not used).
ARCHIVE_KINDS: Final[dict[str, str]] = {
    "-street.csv": "police_street",
    "-stop-and-search.csv": "stop_search",
}
#: Uncompressed bytes read from one archive at most (a whole-country archive is refused:
#: download the custom area from data.police.uk or use ``python -m geo fetch``).
MAX_ARCHIVE_BYTES: Final[int] = 2_000_000_000


@dataclass
class ArchiveReport:
    """What ingesting a police.uk archive did, member by member.

    Attributes
    ----------
    file_name : str
        The archive.
    reports : list of IngestReport
        One per street-crime or stop-and-search member that held rows in the area.
    outside : list of str
        Members with no row in the study area (another force's or area's files).
    ignored : list of str
        Members that are not street crime or stop and search (outcomes, folders).
    error : str or None
        Why the whole archive was refused (not a zip, too large).
    """

    file_name: str
    reports: list[IngestReport] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """No refused member and the archive itself read."""
        return self.error is None and all(r.ok for r in self.reports)

    def summary(self) -> str:
        """One paragraph: members stored, outside the area, ignored."""
        if self.error:
            return f"{self.file_name}: refused — {self.error}. Nothing was stored."
        accepted = sum(r.accepted for r in self.reports if r.status == "live")
        return (
            f"{self.file_name}: {len(self.reports)} file(s) for the study area "
            f"({accepted:,} rows accepted), {len(self.outside)} with no row in the study area, "
            f"{len(self.ignored)} not used (outcomes and others)."
        )


def archive_kind(member: str) -> str | None:
    """The kind of a police.uk archive member (``2024-04/2024-04-metropolitan-street.csv``)."""
    name = member.rsplit("/", 1)[-1].lower()
    return next((k for end, k in ARCHIVE_KINDS.items() if name.endswith(end)), None)


def ingest_archive(
    store: Store, config: Config, area: StudyArea, path: Path, **kwargs: Any
) -> ArchiveReport:
    """Ingest a data.police.uk archive zip (monthly folders, one or several forces).

    Each street-crime and stop-and-search member is ingested as its own batch with
    :func:`ingest_bytes` (so each month keeps its own accounting, and a month already
    loaded is recognised by its bytes); members whose rows all lie outside the study area
    are listed as such, not refused; outcomes files are not used.
    """
    out = ArchiveReport(file_name=Path(path).name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        out.error = "not a readable zip archive"
        return out
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
            out.error = (
                f"the archive holds more than {MAX_ARCHIVE_BYTES:,} bytes; download a custom "
                "area from data.police.uk or use python -m geo fetch police-uk"
            )
            return out
        for member in sorted(members, key=lambda m: m.filename):
            kind = archive_kind(member.filename)
            if kind is None:
                out.ignored.append(member.filename)
                continue
            report = ingest_bytes(
                store, config, area, kind, archive.read(member), member.filename, **kwargs
            )
            nothing_here = (
                report.status == "refused"
                and report.read > 0
                and set(report.reasons) == {OUTSIDE_AREA}
            )
            if nothing_here:
                out.outside.append(member.filename)
            else:
                out.reports.append(report)
    return out
