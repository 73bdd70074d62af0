"""What turns results into things people read: map layers, packed for the browser and cut
to the view on large areas, folium maps (the only folium import), static maps, exports,
the review pack and the planner's PDF.
"""

__all__ = [
    "charts",
    "coverage_export",
    "coverage_layers",
    "export",
    "health_layers",
    "hexlayer",
    "layers",
    "maps",
    "packed",
    "plan_pdf",
    "rate_tables",
    "static_maps",
    "viewport",
    "briefing",
]
