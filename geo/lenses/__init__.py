"""One module per question a page answers, each returning a result the pages and the
pack show.
"""

__all__ = [
    "area_tables",
    "census_populations",
    "clusters",
    "coverage",
    "coverage_gaps",
    "coverage_view",
    "disproportionality",
    "ethnicity_counts",
    "feed_counts",
    "health_police",
    "health_police_view",
    "hotspot_report",
    "missing",
    "missing_places",
    "missing_view",
    "profiles",
    "reach",
    "recurring",
    "recurring_places",
    "rri_audit",
    "school_outcomes",
    "school_ranking",
    "schools",
    "stop_search",
    "story",
    "youth_work_plan",
]
