"""Disclosure control at one choke point: what a role may see of a count layer.

Every count layer passes through :func:`disclose_counts` before it is rendered or
exported. For the ``partnership`` role it enforces the resolution floor, withholds
counts from 1 to ``min_count - 1`` and withholds every cell that contains a
sensitive premise (children's home, refuge) whatever its count.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from geo import hexes
from geo.config import Config
from geo.privacy import max_resolution, suppress_small_counts

WITHHELD_SENSITIVE = "withheld (sensitive premises)"


class DisclosureError(PermissionError):
    """A role asked for something it may not see."""


@functools.lru_cache(maxsize=8)
def _premises_cells(path: Path | None, mtime: float, storage_res: int) -> tuple[int, ...]:
    if path is None or not path.exists():
        return ()
    frame = pd.read_csv(path, dtype={"kind": str})
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy()
    lng = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy()
    ok = np.isfinite(lat) & np.isfinite(lng)
    return tuple(int(c) for c in hexes.points_to_cells(lat[ok], lng[ok], storage_res))


def sensitive_cells(config: Config, res: int) -> set[int]:
    """Cells at ``res`` that contain a configured sensitive premise."""
    path = config.disclosure.sensitive_premises
    mtime = path.stat().st_mtime if path is not None and path.exists() else 0.0
    cells = np.array(_premises_cells(path, mtime, config.storage_resolution), dtype=np.uint64)
    if cells.size == 0:
        return set()
    return {int(c) for c in hexes.cells_to_parent(cells, res)}


def check_resolution(role: str, res: int, config: Config) -> None:
    """Raise :class:`DisclosureError` when ``res`` is finer than ``role`` may see."""
    d = config.disclosure
    if res > max_resolution(role, d.partnership_max_resolution, d.analyst_max_resolution):
        raise DisclosureError(f"resolution {res} is finer than the {role} role may see")


def sensitive_mask(cells: np.ndarray, res: int, config: Config) -> np.ndarray:
    """Which of ``cells`` (uint64 at ``res``) contain a sensitive premise."""
    masked = sensitive_cells(config, res)
    return np.isin(
        np.asarray(cells, dtype=np.uint64), np.fromiter(masked, dtype=np.uint64, count=len(masked))
    )


def disclose_counts(
    counts: pd.DataFrame,
    role: str,
    res: int,
    config: Config,
    value: str = "count",
) -> pd.DataFrame:
    """Apply disclosure control to a per-cell count layer.

    Parameters
    ----------
    counts : DataFrame
        Columns ``cell`` (uint64 at ``res``) and ``value``.
    role : str
        ``partnership``, ``analyst`` or ``admin``.
    res : int
        H3 resolution of the cells.
    config : Config
        Thresholds and the sensitive-premises file.
    value : str
        Name of the count column.

    Returns
    -------
    DataFrame
        ``cell`` (uint64), ``value`` (float, NaN when withheld), ``withheld`` (bool),
        ``label`` (display text). Only these columns leave this function.

    Raises
    ------
    DisclosureError
        When ``res`` is finer than the role's floor.
    """
    d = config.disclosure
    check_resolution(role, res, config)
    cells = counts["cell"].to_numpy(dtype=np.uint64)
    raw = counts[value].to_numpy(dtype=float)
    if role == "partnership":
        shown, small = suppress_small_counts(raw, d.min_count)
        sensitive = sensitive_mask(cells, res, config)
        shown[sensitive] = np.nan
        withheld = small | sensitive
        labels = np.where(
            sensitive,
            WITHHELD_SENSITIVE,
            np.where(small, f"fewer than {d.min_count}", _int_labels(shown)),
        )
    else:
        shown = raw
        withheld = np.zeros(len(raw), dtype=bool)
        labels = _int_labels(raw)
    return pd.DataFrame({"cell": cells, "value": shown, "withheld": withheld, "label": labels})


def _int_labels(values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), "", dtype=object)
    ok = np.isfinite(values)
    out[ok] = pd.Series(values[ok]).map("{:,.0f}".format).to_numpy()
    return out


def disclose_total(total: float, role: str, config: Config) -> str:
    """Display text for a headline count under disclosure control."""
    if role == "partnership" and 1 <= total < config.disclosure.min_count:
        return f"fewer than {config.disclosure.min_count}"
    return f"{total:,.0f}"
