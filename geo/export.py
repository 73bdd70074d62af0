"""Exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Leading characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that start like a formula with an apostrophe.

    Numeric columns are left alone (a negative number is not a formula).
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind in "biufc":
            continue
        text = out[col].astype(object)
        as_str = text.where(text.isna(), text.astype(str))
        risky = as_str.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES))
        out[col] = np.where(risky.to_numpy(dtype=bool), "'" + as_str.astype(str), as_str)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads it as UTF-8) with formulas neutralised."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")
