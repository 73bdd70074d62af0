"""Shared building blocks every stage uses: configuration, the data model's vocabularies,
roles, filters and periods, the hexagon grid (the only int-to-str cell boundary), the study
area, terms, errors and the audit chain. Imports nothing from other stages.
"""

__all__ = [
    "access",
    "area",
    "audit",
    "config",
    "errors",
    "escape",
    "ethnicity",
    "filters",
    "headers",
    "hexes",
    "roles",
    "schema",
    "terms",
    "time_of_week",
    "types",
]
