"""The synthetic demo borough: the generator, split by what it plants, and the builder."""

__all__ = [
    "build",
    "data",
    "health",
]
