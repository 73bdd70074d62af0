"""The DuckDB store and the queries over it: counts per cell, the space-time cube, place
names, the feed catalogue and the school register.
"""

__all__ = [
    "catalogue",
    "cube",
    "database",
    "place_names",
    "queries",
    "school_register",
]
