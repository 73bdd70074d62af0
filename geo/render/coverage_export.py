"""The youth-work plan as a CSV download (UTF-8 with BOM, spreadsheet formulas
neutralised by :func:`geo.render.export.to_csv_bytes`)."""

from __future__ import annotations

from geo.disclosure.coverage import disclose_plan_frame
from geo.lenses.youth_work_plan import Plan, plan_frame
from geo.render.export import to_csv_bytes

__all__ = ["plan_csv", "plan_to_csv"]


def plan_to_csv(plan: Plan) -> bytes:
    """The plan as a UTF-8 CSV (BOM, spreadsheet formulas neutralised; geo.render.export)."""
    return to_csv_bytes(plan_frame(plan))


def plan_csv(plan: Plan, role: str) -> bytes:
    """The plan table ``role`` sees (:func:`geo.lenses.coverage_view.plan_table`: shares
    only for the partnership) as CSV (BOM, formulas neutralised)."""
    return to_csv_bytes(disclose_plan_frame(plan_frame(plan), role))
