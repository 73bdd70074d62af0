"""What the store holds: one catalogue of loaded feeds and the months each covers.

Pages, KPIs, reasons and packs ask the catalogue before they show a figure, so that a
feed that was never loaded reads "not loaded" rather than zero, and a comparison with a
previous period is made only where both periods hold data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from geo.core import schema
from geo.core.filters import Filters
from geo.store.database import Store

#: Dated tables: table -> (time column, finest precision it may hold, feed words).
DATED_TABLES: Final[dict[str, tuple[str, str, str]]] = {
    "incidents": ("occurred_at", "minute", "incidents"),
    "missing_episodes": ("reported_at", "minute", "missing episodes"),
    "youth_sessions": ("started_at", "minute", "youth-work sessions"),
    "stop_search": ("searched_at", "minute", "stop and search"),
    "school_outcomes": ("period_start", "month", "school outcomes"),
    "ed_assaults": ("occurred_at", "minute", "A&E assaults"),
}
#: What an emergency department's ISTV extract cannot tell, in plain words.
ED_CANNOT_TELL: Final[tuple[str, ...]] = (
    "ethnicity",
    "where assaults at a private home happened (counted, never mapped)",
    "assaults not treated at the ED",
)


@dataclass(frozen=True)
class Feed:
    """One loaded feed (a table and a source within it).

    Attributes
    ----------
    table, source : str
        Where it is stored and the source name its adapter gave it.
    label : str
        The feed as people call it.
    first_month, last_month : str or None
        ``YYYY-MM`` of its first and last record (None for undated feeds).
    months : int
        Distinct months holding at least one record.
    precision : str
        The finest time its records carry (``month``, ``day`` or ``minute``; ``-`` if undated).
    ages : str
        Whose records it holds (incident feeds), else ``-``.
    rows : int
        Records stored.
    cannot_tell : tuple of str
        What the feed cannot tell, in plain words.
    """

    table: str
    source: str
    label: str
    first_month: str | None
    last_month: str | None
    months: int
    precision: str
    ages: str
    rows: int
    cannot_tell: tuple[str, ...] = ()

    def covers(self, filters: Filters) -> bool:
        """Whether the window overlaps the months this feed spans."""
        if self.first_month is None or self.last_month is None:
            return self.rows > 0
        return self.first_month <= filters.month_to and filters.month_from <= self.last_month


def feed_catalogue(store: Store) -> list[Feed]:
    """Every feed loaded in ``store`` (live batches only), dated tables first."""
    feeds: list[Feed] = []
    for table, (column, finest, words) in DATED_TABLES.items():
        precision = (
            "CASE min(CASE time_precision WHEN 'minute' THEN 0 WHEN 'day' THEN 1 ELSE 2 END) "
            "WHEN 0 THEN 'minute' WHEN 1 THEN 'day' ELSE 'month' END"
            if table == "incidents"
            else f"'{finest}'"
        )
        frame = store.query(
            f"SELECT source, strftime(min({column}), '%Y-%m') AS first, "
            f"strftime(max({column}), '%Y-%m') AS last, "
            f"count(DISTINCT date_trunc('month', {column})) AS months, count(*) AS rows, "
            f"{precision} AS precision FROM {table} GROUP BY source ORDER BY source"
        )
        for row in frame.to_dict("records"):  # one row per feed, not per record
            source = str(row["source"])
            named = source.replace("_", " ")  # a source id in words, once
            ages, label = "-", words if named.lower() == words.lower() else f"{words} ({named})"
            cannot: tuple[str, ...] = ()
            if table == "incidents":
                info = schema.incident_source(source)
                ages, cannot, label = info.ages, tuple(info.cannot_tell()), info.label
            elif table == "ed_assaults":
                ages, cannot = "all ages", ED_CANNOT_TELL
                label = "A&E assaults (ISTV)" if source == "ed_assaults" else label
            feeds.append(
                Feed(
                    table,
                    source,
                    label,
                    str(row["first"]),
                    str(row["last"]),
                    int(row["months"]),
                    str(row["precision"]),
                    ages,
                    int(row["rows"]),
                    cannot,
                )
            )
    for table, words in (
        ("schools", "schools"),
        ("areas", "boundaries"),
        ("area_stats", "area statistics"),
        ("health_sites", "health sites"),
        ("stations", "stations"),
        ("postcodes", "postcode centroids"),
        ("gazetteer_names", "place names"),
    ):
        if not store.has_table(table):  # a store last written by an older version
            continue
        frame = store.query(f"SELECT source, count(*) AS rows FROM {table} GROUP BY source")
        for row in frame.to_dict("records"):
            feeds.append(
                Feed(
                    table,
                    str(row["source"]),
                    f"{words} ({row['source']})",
                    None,
                    None,
                    0,
                    "-",
                    "-",
                    int(row["rows"]),
                )  # fmt: skip
            )
    return feeds


def catalogue_frame(feeds: list[Feed]) -> pd.DataFrame:
    """The catalogue as a table with human headers (for the Data page)."""
    return pd.DataFrame(
        {
            "Feed": [f.label for f in feeds],
            "From": [f.first_month or "-" for f in feeds],
            "To": [f.last_month or "-" for f in feeds],
            "Months with data": [f.months or None for f in feeds],
            "Time precision": [f.precision for f in feeds],
            "Ages": [f.ages for f in feeds],
            "Records": [f.rows for f in feeds],
            "Cannot tell": ["; ".join(f.cannot_tell) for f in feeds],
        }
    )


def loaded(feeds: list[Feed], table: str, filters: Filters | None = None) -> bool:
    """Whether any feed of ``table`` is loaded (and, given ``filters``, spans that window)."""
    return any(
        f.table == table and f.rows > 0 and (filters is None or f.covers(filters)) for f in feeds
    )


def partner_incidents_loaded(feeds: list[Feed], filters: Filters | None = None) -> bool:
    """Whether a partner's serious youth violence extract covers the window (the only feed
    with a weapon flag and a youth definition)."""
    return any(
        f.table == "incidents"
        and schema.incident_source(f.source).youth_definition
        and (filters is None or f.covers(filters))
        for f in feeds
    )


#: KPI measure -> what must be loaded for it to mean anything.
KPI_NEEDS: Final[dict[str, str]] = {
    "incidents": "incidents",
    "knife_crime": "partner_incidents",
    "harmful_sexual_behaviour": "partner_incidents",
    "missing_episodes": "missing_episodes",
    "children_missing": "missing_episodes",
    "youth_work_hours": "youth_sessions",
}


def kpi_coverage(feeds: list[Feed], filters: Filters) -> pd.DataFrame:
    """For each headline measure (index) and period (``current``, ``previous``), whether
    a feed that can tell it covers that period; False means "not loaded" there."""
    out = {}
    for column, f in (("current", filters), ("previous", filters.previous())):
        out[column] = {
            key: partner_incidents_loaded(feeds, f)
            if need == "partner_incidents"
            else loaded(feeds, need, f)
            for key, need in KPI_NEEDS.items()
        }
    return pd.DataFrame(out)


def feeds_used(feeds: list[Feed], tables: tuple[str, ...], filters: Filters) -> str:
    """One sentence naming the feeds and months an analysis used."""
    used = [f for f in feeds if f.table in tables and f.covers(filters)]
    if not used:
        return f"No feed holds data for {filters.month_from} to {filters.month_to}."
    names = "; ".join(
        f"{f.label}, {max(f.first_month or '', filters.month_from)} to "
        f"{min(f.last_month or '9999', filters.month_to)}"
        for f in used
    )
    return f"Feeds used: {names}."
