"""Rate tables for people to read: the Disproportionality page's RRI, trend and hit-rate
tables with group labels, rounded figures, plain headings and blanks in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from geo.core.ethnicity import GROUP_LABELS

__all__ = ["DISPLAY_COLUMNS", "NOT_CALCULABLE", "WITHHELD_CELL", "display_table"]

#: Column headings of the page's tables.
DISPLAY_COLUMNS: Final[Mapping[str, str]] = {
    "period": "Period",
    "group": "Ethnic group",
    "count": "Count",
    "share": "Share of all counted (%)",
    "population": "Residents",
    "rate_per_1000": "Rate per 1,000",
    "rri": "RRI",
    "ci_low": "95 % CI low",
    "ci_high": "95 % CI high",
    "significant": "Interval excludes 1",
    "searches": "Searches",
    "hits": "Hits",
    "hit_rate": "Hit rate (%)",
    "note": "Note",
}


def display_table(table: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """An RRI, trend or hit-rate table for display and download: group labels, rounded
    figures, shares and hit rates as percentages, plain headings, and the reference
    group's RRI left blank (it is 1 by definition and its note says so)."""
    held = (
        table["withheld"].fillna(False).astype(bool).to_numpy()
        if "withheld" in table.columns
        else np.zeros(len(table), dtype=bool)
    )
    out = table.drop(columns=[c for c in ("withheld",) if c in table.columns]).copy()
    reference_row = np.zeros(len(out), dtype=bool)
    if reference is not None and "rri" in out.columns:
        reference_row = (out["group"] == reference).to_numpy()
        out.loc[reference_row, "rri"] = np.nan
    percent = "hit_rate" in out.columns  # a hit rate's interval is a share too
    for col in ("share", "hit_rate", *(("ci_low", "ci_high") if percent else ())):
        if col in out.columns:
            out[col] = (100 * out[col].astype(float)).round(1)
    for col in ("rate_per_1000", "rri", *(() if percent else ("ci_low", "ci_high"))):
        if col in out.columns:
            out[col] = out[col].astype(float).round(2)
    out["group"] = out["group"].map(GROUP_LABELS).fillna(out["group"])
    return _blanks_in_words(out, held, reference_row).rename(columns=dict(DISPLAY_COLUMNS))


#: What a blank figure reads: "withheld" in a withheld row (as every partnership table
#: says it), and "–" when it is not calculable (no residents or no searches).
WITHHELD_CELL: Final = "withheld"
NOT_CALCULABLE: Final = "–"


def _blanks_in_words(
    out: pd.DataFrame, held: np.ndarray, reference_row: np.ndarray
) -> pd.DataFrame:
    """Blank figures in words, never "None": "withheld" in a withheld row (small numbers
    protected), "1 (reference)" for the reference group's RRI, "–" where not calculable."""
    for col in out.columns:
        if col in ("group", "period", "note", "significant"):
            continue
        blank = out[col].isna().to_numpy()
        if not blank.any():
            continue
        words = np.where(held, WITHHELD_CELL, NOT_CALCULABLE).astype(object)
        if col == "rri":
            words = np.where(reference_row & ~held, "1 (reference)", words)
        values = out[col].astype(object).to_numpy(copy=True)
        values[blank] = words[blank]
        out[col] = values
    return out
