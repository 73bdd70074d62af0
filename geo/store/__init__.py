"""The DuckDB store and the queries over it: the store itself (connection, audit log, ingest
batches, tables), counts per cell, the space-time cube, place names, the feed catalogue and
the school register, and the store as several processes share it (snapshots, the
writers' lock).
"""

__all__ = [
    "audit_log",
    "batches",
    "catalogue",
    "connection",
    "cube",
    "database",
    "place_names",
    "queries",
    "school_register",
    "shared",
    "tables",
]
