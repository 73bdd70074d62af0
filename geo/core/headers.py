"""Column headers in words people use: one mapping for every table the app shows.

Analyses name their columns in ``snake_case`` (``hot_share``, ``distance_m``); a table
on a page or in an export reads "Share of months hot", "Distance (m)". :data:`HEADERS`
is the one place those words are kept, and :func:`human_headers` renames a frame's
columns (and index names) with it, turning shares (0 to 1) into percentages. A column
the mapping does not know is still made readable ("span_days" -> "Span (days)"), so no
identifier reaches a page. Blank values are left as they are: pages say "withheld"
for the partnership (:func:`ui.widgets.withheld_cells`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import pandas as pd

#: snake_case column -> human header (shared by every page, export and pack table).
HEADERS: Final[dict[str, str]] = {
    # identifiers and places
    "rank": "Rank",
    "place": "Place",
    "cell": "Cell id",
    "name": "Name",
    "school": "School",
    "urn": "URN",
    "area": "Area",
    "home_area": "Home area",
    "phase": "Phase",
    "kind": "Kind",
    "theme": "Interview theme",
    "rhi_themes": "Interview theme",
    "block": "Time of week",
    "day": "Day",
    "month": "Month",
    "period": "Period",
    "group": "Ethnic group",
    "measure": "Measure",
    # the recurring-location ranking
    "score": "Score",
    "pattern": "Pattern over time",
    "category": "Emerging hot spot category (Esri)",
    "escalate": "Escalate",
    "reasons": "Why it is ranked",
    "reason": "Why",
    "category_strength": "Category strength",
    "hot_share": "Share of months hot",
    "active_share": "Share of months with an incident",
    "volume": "Recent volume (relative to the busiest place)",
    "near_repeat": "Near-repeat share",
    "convergence": "Share of layers active",
    "code": "Category code",
    "hot_periods": "Months hot",
    "chain_events": "Incidents in near-repeat chains",
    "n_syv": "Serious youth violence",
    "n_missing": "Missing found / last seen",
    "n_hsb": "Harmful sexual behaviour",
    "n_school_journey": "On the school journey",
    "n_ed": "A&E-treated assaults",
    "sessions_nearby": "Youth-work sessions within 400 m",
    "recent_events": "Recent incidents",
    "part_of": "Also covers cells",
    # near-repeat chains
    "events": "Incidents",
    "first": "First",
    "last": "Last",
    "span_days": "Span (days)",
    # counts and changes
    "count": "Count",
    "current": "This period",
    "previous": "Previous period",
    "change": "Change",
    "incidents": "Incidents",
    "episodes": "Episodes",
    "children": "Children",
    "sessions": "Youth-work sessions",
    "hours": "Youth-work hours",
    "quarters_active": "Quarters active",
    "missing_hot_spot": "Hot spot for missing episodes",
    "syv_hot_spot": "Hot spot for serious youth violence",
    "both_hot": "Hot spot for both",
    "repeat_children": "Children missing 3+ times in 90 days",
    "repeat_children_count": "Repeat missing children",
    "dual_registered_children": "Children on roll at two schools",
    "distance_m": "Distance (m)",
    # schools and their outcomes
    "fixed_term_exclusion": "Fixed-term exclusions (suspensions)",
    "fixed_term_exclusion_share": "Share of fixed-term exclusions",
    "permanent_exclusion": "Permanent exclusions",
    "permanent_exclusion_share": "Share of permanent exclusions",
    "managed_move": "Managed moves",
    "managed_move_share": "Share of managed moves",
    # notes, batches and the ingest report
    "heading": "Heading",
    "body": "Note",
    "who": "By",
    "created_at": "Recorded",
    "logged_at": "Logged",
    "batch_id": "Batch",
    "source": "Source",
    "file_name": "File",
    "rows_read": "Rows read",
    "rows_accepted": "Rows accepted",
    "rows_rejected": "Rows rejected",
    "rows_duplicate": "Duplicate rows",
    "status": "Status",
    "status_changed_at": "Status changed",
    "outcome": "Outcome",
    "rule": "Rule",
    "rows": "Rows",
    "example_rows": "Example rows",
}
#: Columns holding a share between 0 and 1, shown as a percentage.
SHARE_COLUMNS: Final[frozenset[str]] = frozenset(
    {
        "hot_share",
        "active_share",
        "near_repeat",
        "convergence",
        "fixed_term_exclusion_share",
        "permanent_exclusion_share",
        "managed_move_share",
    }
)
#: Headers built from a pattern (a distance in the name), tried after :data:`HEADERS`.
PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"^incidents_(\d+)m_journey$"), "Incidents within {} m of a school journey route"),
    (re.compile(r"^incidents_(\d+)m_other$"), "Incidents within {} m, other times"),
    (re.compile(r"^incidents_(\d+)m_time_unknown$"), "Incidents within {} m, time unknown"),
    (re.compile(r"^hsb_(\d+)m$"), "Harmful sexual behaviour within {} m"),
)
UNITS: Final[dict[str, str]] = {"m": "m", "km": "km", "days": "days", "pct": "%"}
SNAKE: Final[re.Pattern[str]] = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def header(column: object, extra: Mapping[str, str] | None = None) -> object:
    """The human header of one column name (non-strings and human names unchanged)."""
    if not isinstance(column, str):
        return column
    if extra and column in extra:
        return extra[column]
    if column in HEADERS:
        return HEADERS[column]
    for pattern, template in PATTERNS:
        match = pattern.fullmatch(column)
        if match:
            return template.format(*match.groups())
    if not SNAKE.fullmatch(column):
        return column
    *words, last = column.split("_")
    if last in UNITS and words:
        text = " ".join(words)
        return f"{text[0].upper()}{text[1:]} ({UNITS[last]})"
    text = column.replace("_", " ")
    return text[0].upper() + text[1:]


def percent(values: pd.Series, *, digits: int = 0) -> pd.Series:
    """Shares (0 to 1) as percentage text ("75%"); blanks stay blank."""
    numbers = pd.to_numeric(values, errors="coerce")
    out = values.astype(object).copy()
    known = numbers.notna()
    out[known] = [f"{100 * float(v):.{digits}f}%" for v in numbers[known]]
    return out


def human_headers(
    frame: pd.DataFrame,
    extra: Mapping[str, str] | None = None,
    shares: tuple[str, ...] = (),
) -> pd.DataFrame:
    """``frame`` with human column headers (and index names), shares as percentages.

    Parameters
    ----------
    frame : DataFrame
        A table as an analysis returns it.
    extra : mapping, optional
        Headers for this table only (a column whose meaning depends on the table).
    shares : tuple of str
        More share columns (0 to 1) than :data:`SHARE_COLUMNS` to show as percentages.
    """
    out = frame.copy()
    for col in out.columns:
        if isinstance(col, str) and (col in SHARE_COLUMNS or col in shares):
            out[col] = percent(out[col])
    out = out.rename(columns=lambda c: header(c, extra))
    if isinstance(out.index, pd.MultiIndex):
        out.index = out.index.set_names([header(n, extra) for n in out.index.names])
    elif out.index.name is not None:
        out.index = out.index.rename(header(out.index.name, extra))
    return out
