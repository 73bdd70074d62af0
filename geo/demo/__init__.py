"""The synthetic demo borough: the generator, split by what it plants, and the builder."""

__all__ = [
    "borough",
    "build",
    "data",
    "disproportionality",
    "health",
    "incidents",
    "istv",
    "layout",
    "missing",
    "period",
    "place_names",
    "population",
    "schools",
    "youth_work",
]
