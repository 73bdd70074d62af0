"""One module per question a page answers, each returning a result the pages and the
pack show.
"""

__all__ = [
    "area_tables",
    "clusters",
    "coverage",
    "coverage_view",
    "disproportionality",
    "hotspot_report",
    "missing",
    "missing_places",
    "missing_view",
    "profiles",
    "recurring",
    "recurring_places",
    "school_outcomes",
    "schools",
    "story",
]
