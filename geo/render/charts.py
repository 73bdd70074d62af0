"""Chart data for the Disproportionality page: a Vega-Lite spec of relative rate indices
with their intervals, and the frame of a trend line chart.

Both read the (disclosed) RRI tables of :mod:`geo.lenses.rri_audit`: a withheld or
not calculable RRI is NaN there and is simply not drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo.core.ethnicity import GROUP_LABELS, GROUPS

__all__ = ["rri_chart_spec", "trend_chart_frame"]


def rri_chart_spec(table: pd.DataFrame, reference: str = "white") -> dict[str, Any]:
    """A Vega-Lite spec (data included) of RRIs with intervals on a log axis and a rule
    at 1, one row per census group with a calculable RRI (the reference at 1)."""
    rows = table.loc[table["group"].isin(list(GROUPS))]
    if "period" in rows.columns and len(rows):
        rows = rows.loc[rows["period"] == rows["period"].iloc[-1]]
    values = [
        {
            "group": GROUP_LABELS[str(g)],
            "rri": float(r),
            "ci_low": None if not np.isfinite(lo) else float(lo),
            "ci_high": None if not np.isfinite(hi) else float(hi),
        }
        for g, r, lo, hi in zip(
            rows["group"], rows["rri"], rows["ci_low"], rows["ci_high"], strict=True
        )
        if np.isfinite(r)
    ]
    x = {"type": "quantitative", "scale": {"type": "log"}, "title": "Relative rate index (log)"}
    y = {"field": "group", "type": "nominal", "title": None, "sort": None}
    tooltip = [
        {"field": "group"},
        {"field": "rri", "format": ".2f"},
        {"field": "ci_low", "format": ".2f"},
        {"field": "ci_high", "format": ".2f"},
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": values},
        "layer": [
            {
                "mark": "rule",
                "encoding": {"x": {**x, "field": "ci_low"}, "x2": {"field": "ci_high"}, "y": y},
            },
            {
                "mark": {"type": "point", "filled": True},
                "encoding": {"x": {**x, "field": "rri"}, "y": y, "tooltip": tooltip},
            },
            {
                "mark": {"type": "rule", "strokeDash": [4, 4]},
                "encoding": {"x": {"datum": 1, "type": "quantitative"}},
            },
        ],
        "title": f"RRI against {GROUP_LABELS[reference]} (95 % CI)",
    }


def trend_chart_frame(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """RRI per period (rows) and group (columns, labels) for a line chart, without the
    reference group (always 1) and the groups that have no population."""
    rows = table.loc[table["group"].isin([g for g in GROUPS if g != reference])]
    wide = rows.pivot_table(index="period", columns="group", values="rri", sort=False)
    wide = wide.reindex(columns=[g for g in GROUPS if g in wide.columns])
    return wide.rename(columns=dict(GROUP_LABELS))
