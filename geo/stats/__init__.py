"""Statistics on arrays: arrays in, arrays out, no store, no roles (like esda)."""

__all__ = [
    "hotspots",
    "nearrepeat",
    "rates",
]
