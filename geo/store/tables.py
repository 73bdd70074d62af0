"""The store's DDL, generated from the table definitions.

The canonical tables are defined once, in :data:`geo.core.schema.TABLES`; the store's own
bookkeeping tables (``meta``, ``batches``, ``assessment_notes``, ``audit_log``) are defined
here with the same :class:`geo.core.schema.Column`. :data:`DDL` creates every table and
sequence; :data:`MIGRATIONS` adds the columns that came after the first schema to a store
created earlier.
"""

from __future__ import annotations

from typing import Final

from geo.core.schema import TABLES, Column, Table

__all__ = [
    "ASSESSMENT_NOTES",
    "AUDIT_LOG",
    "BATCHES",
    "DATA_TABLES",
    "DDL",
    "KEYED_TABLES",
    "META",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "add_column_sql",
    "column_sql",
    "create_table_sql",
]

SCHEMA_VERSION: Final = 2

META: Final = Table(
    "meta",
    "one fact about the store (schema version, record-key salt, the demo marker)",
    (
        Column("key", "VARCHAR", False, "the fact's name", primary_key=True),
        Column("value", "VARCHAR", False, "its value, as text"),
    ),
)
BATCHES: Final = Table(
    "batches",
    "one ingested (or refused) file",
    (
        Column("batch_id", "INTEGER", False, "from the sequence batch_ids", primary_key=True),
        Column("kind", "VARCHAR", True, "the ingest kind (geo.core.schema.KIND_TABLES)"),
        Column("source", "VARCHAR", True, "the feed its rows carry in ``source``"),
        Column("file_name", "VARCHAR", False, "the file's name, for display"),
        Column("sha256", "VARCHAR", True, "SHA-256 of the file's bytes"),
        Column("rows_read", "INTEGER", False, "rows read"),
        Column("rows_accepted", "INTEGER", False, "rows stored"),
        Column("rows_rejected", "INTEGER", False, "rows rejected by a rule"),
        Column("rows_duplicate", "INTEGER", False, "rows already stored or repeated"),
        Column("who", "VARCHAR", False, "pseudonymous id of who ingested it"),
        Column("created_at", "TIMESTAMP", True, "when it was ingested"),
        Column("status", "VARCHAR", True, "ingesting, live, failed or rolled_back"),
        Column("status_changed_at", "TIMESTAMP", True, "when the status last changed"),
        Column("report", "JSON", False, "the ingest report's reasons and warnings"),
    ),
    id_column="batch_id",
)
ASSESSMENT_NOTES: Final = Table(
    "assessment_notes",
    "one dated note in a location's assessment record",
    (
        Column(
            "note_id",
            "BIGINT",
            False,
            "the note's id",
            primary_key=True,
            default="nextval('note_ids')",
        ),
        Column("cell", "VARCHAR", True, "the location's H3 cell (hex string)"),
        Column("heading", "VARCHAR", True, "the heading the note is under"),
        Column("body", "VARCHAR", True, "the note"),
        Column("who", "VARCHAR", True, "who wrote it"),
        Column("role", "VARCHAR", False, "their role"),
        Column("created_at", "TIMESTAMP", True, "when"),
        Column("supersedes", "BIGINT", False, "the note it replaces under the heading"),
    ),
    id_column="note_id",
)
AUDIT_LOG: Final = Table(
    "audit_log",
    "one audit event (append-only, keyed chain: geo.core.audit)",
    (
        Column(
            "event_id",
            "BIGINT",
            False,
            "the event's id",
            primary_key=True,
            default="nextval('audit_ids')",
        ),
        Column("logged_at", "TIMESTAMP", True, "when"),
        Column("who", "VARCHAR", True, "who"),
        Column("role", "VARCHAR", False, "their role"),
        Column("event", "VARCHAR", True, "what happened"),
        Column("page", "VARCHAR", False, "the page it happened on"),
        Column("detail", "JSON", False, "details (no data values)"),
        Column("purpose", "VARCHAR", False, "the stated purpose"),
        Column("prev_hash", "VARCHAR", False, "the previous event's MAC", added=True),
        Column("row_hash", "VARCHAR", False, "this event's MAC", added=True),
        # events with no scheme are legacy (unkeyed SHA-256 chain); see geo/core/audit.py
        Column("scheme", "VARCHAR", False, "the chain's scheme (NULL: legacy)", added=True),
    ),
    id_column="event_id",
)

#: Tables that receive rows from ingest batches (child tables after parents).
DATA_TABLES: Final[tuple[str, ...]] = tuple(TABLES)

#: Tables whose records get a record key for cell-key perturbation
#: (:mod:`geo.disclosure.perturbation`), with their id column.
KEYED_TABLES: Final[dict[str, str]] = {
    t.name: t.id_column
    for t in TABLES.values()
    if "record_key" in t.names and t.id_column is not None
}


def column_sql(column: Column) -> str:
    """A column's definition in ``CREATE TABLE``: name, type and constraints."""
    parts = [column.name, column.sql_type]
    if column.primary_key:
        parts.append("PRIMARY KEY")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def create_table_sql(table: Table) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``table``, its columns in storage order."""
    body = ",\n".join(f"    {column_sql(c)}" for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n{body}\n);"


def add_column_sql(table: Table, column: Column) -> str:
    """``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` for a column added after the first schema."""
    return f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {column.name} {column.sql_type}"


def _sequence_sql(name: str) -> str:
    return f"CREATE SEQUENCE IF NOT EXISTS {name} START 1;"


#: Every table and sequence of a store (run when a store is opened for writing).
DDL: Final[str] = "\n".join(
    [
        create_table_sql(META),
        _sequence_sql("batch_ids"),
        create_table_sql(BATCHES),
        *(create_table_sql(t) for t in TABLES.values()),
        _sequence_sql("note_ids"),
        create_table_sql(ASSESSMENT_NOTES),
        _sequence_sql("audit_ids"),
        create_table_sql(AUDIT_LOG),
    ]
)

#: Columns added after the first schema (stores created earlier are migrated on open), in
#: column order within each table; on a new store they already exist and nothing changes.
MIGRATIONS: Final[tuple[str, ...]] = tuple(
    add_column_sql(t, c) for t in (*TABLES.values(), AUDIT_LOG) for c in t.columns if c.added
)
