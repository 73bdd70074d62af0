"""What one ingest did: counts, reasons per rule and row numbers, never values.

:class:`IngestReport` is what :func:`geo.ingest.pipeline.ingest_bytes` returns, whatever
happens; :func:`group_row_issues` and :func:`reasons_in_words` say its findings in a few
lines rather than one per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "MAX_ISSUES_SHOWN",
    "IngestReport",
    "Status",
    "group_row_issues",
    "reasons_in_words",
]

Status = Literal["live", "refused", "already_ingested", "checked"]
#: How many row findings a report keeps for display (counts are always complete).
MAX_ISSUES_SHOWN = 1000


@dataclass
class IngestReport:
    """What happened to one file.

    ``read = accepted + rejected + duplicates`` always holds for a stored batch.
    """

    kind: str
    file_name: str
    sha256: str
    status: Status
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    duplicate_reasons: dict[str, int] = field(default_factory=dict)
    issues: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "column", "rule"])
    )
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    batch_id: int | None = None
    table: str | None = None
    unit: str = "rows"

    @property
    def ok(self) -> bool:
        """True when the file was (or would be) accepted, even with rejected rows."""
        return self.status in ("live", "already_ingested", "checked")

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable report (``--json``); no data values, only counts and rules."""
        return {
            "kind": self.kind,
            "file": self.file_name,
            "status": self.status,
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "reasons": self.reasons,
            "duplicate_reasons": self.duplicate_reasons,
            "warnings": self.warnings,
            "notes": self.notes,
            "error": self.error,
            "batch_id": self.batch_id,
            "unit": self.unit,
            "issues": self.issues.head(MAX_ISSUES_SHOWN).to_dict(orient="records"),
        }

    def grouped_issues(self) -> pd.DataFrame:
        """The rejected rows shown, one line per rule and column with the row numbers as
        ranges ("2–40, 42, 45–675"), so a thousand identical findings read as one."""
        return group_row_issues(self.issues)

    def summary(self) -> str:
        """One plain-English paragraph."""
        if self.status == "refused":
            return f"{self.file_name}: refused — {self.error}. Nothing was stored."
        if self.status == "already_ingested":
            return (
                f"{self.file_name}: already ingested as batch {self.batch_id} "
                "(identical bytes); nothing changed."
            )
        verb = "would be accepted" if self.status == "checked" else "accepted"
        text = (
            f"{self.file_name}: {self.read:,} {self.unit} read, {self.accepted:,} {verb}, "
            f"{self.rejected:,} rejected, {self.duplicates:,} duplicates"
        )
        if self.batch_id is not None:
            text += f" (batch {self.batch_id})"
        return text + "."


def _row_ranges(rows: np.ndarray, most: int = 12) -> str:
    """Sorted row numbers as ranges: ``2–40, 42, 45–675`` (at most ``most`` ranges)."""
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = rows[np.r_[0, breaks]]
    ends = rows[np.r_[breaks - 1, rows.size - 1]]
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in zip(starts, ends, strict=True)]
    if len(parts) > most:
        return ", ".join(parts[:most]) + f" and {len(parts) - most:,} more ranges"
    return ", ".join(parts)


def group_row_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """Row findings (``row``, ``column``, ``rule``) grouped by rule and column.

    Returns
    -------
    DataFrame
        ``Rule``, ``Column``, ``Rows`` (how many) and ``Row numbers`` (ranges; header =
        row 1), most frequent first. Values are never shown, as in every report.
    """
    if issues.empty:
        return pd.DataFrame(columns=["Rule", "Column", "Rows", "Row numbers"])
    ordered = issues.sort_values(["rule", "column", "row"])
    groups = ordered.groupby(["rule", "column"], sort=False)["row"]
    out = pd.DataFrame(
        [
            (rule, column, len(rows), _row_ranges(np.unique(rows.to_numpy(dtype=np.int64))))
            for (rule, column), rows in groups
        ],
        columns=["Rule", "Column", "Rows", "Row numbers"],
    )
    return out.sort_values("Rows", ascending=False, kind="stable").reset_index(drop=True)


def reasons_in_words(reasons: Mapping[str, int], read: int, area_name: str) -> str:
    """Why rows were rejected, one phrase per rule with its count, most first, the study
    area named: "all 1,058 points lie outside Demo borough (synthetic)" rather than a
    thousand identical lines."""
    parts = []
    ordered = sorted(reasons.items(), key=lambda kv: -kv[1])
    for rule, n in ordered:  # one phrase per rule, not per row
        if "study area" in rule:
            where = rule.replace("the study area", area_name)
            verb = "lies" if n == 1 else "lie"
            parts.append(f"{n:,} point{'s' * (n != 1)} {verb} {where}")
        else:
            parts.append(f"{n:,} {'is' if n == 1 else 'are'} {rule}")
    if len(ordered) == 1 and ordered[0][1] == read and read > 1:
        parts[0] = "all " + parts[0]
    return "; ".join(parts)
