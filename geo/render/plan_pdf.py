"""The youth-work plan as one printable A4 page (reportlab), for youth-service planners.

The page holds: a title, a disclosure banner (and the synthetic-data warning for the
demo), the period and feeds the plan was worked out from, the share of the unmet need
the plan would reach in words, a static map of the recommended places numbered in plan
order (over today's youth-work coverage and the study-area outline; no web tiles), and
a numbered table of place, time and what each team would cover.

Everything printed comes from what the page already shows the role: the plan table of
:func:`geo.lenses.coverage_view.plan_places` (shares only, never counts) and the map layers of
:mod:`geo.render.coverage_layers`. Place names and feed names are escaped for reportlab's
Paragraph markup; the map carries numbers only.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.core.roles import Role
from geo.lenses.coverage import CoverageSettings
from geo.render.hexlayer import HexLayer, outer_rings

#: The table columns printed, from :func:`geo.lenses.coverage_view.plan_places`.
PRINTED_COLUMNS: Final = ("#", "Place", "When", "What it covers")


@dataclass(frozen=True)
class PlanSheet:
    """What the one-page plan prints (all plain text; escaped when rendered).

    Attributes
    ----------
    title : str
    area : str
        The study area's name.
    period : str
        The months the plan was worked out from.
    feeds : str
        One sentence naming the feeds and months used.
    sentence : str
        The share of the unmet need covered, in words.
    rows : tuple of tuple of str
        ``(number, place, when, what it covers)`` per team, in plan order.
    notes : tuple of str
        Small print: how reach and need are counted.
    banner : str
        Who may see the figures and whether the data are synthetic.
    generated_at : str
    """

    title: str
    area: str
    period: str
    feeds: str
    sentence: str
    rows: tuple[tuple[str, str, str, str], ...]
    notes: tuple[str, ...]
    banner: str
    generated_at: str


def _times(weight: float) -> str:
    return {1.0: "once", 1.5: "one and a half times", 2.0: "twice"}.get(
        float(weight), f"{weight:g} times"
    )


def banner(role: str, synthetic: bool) -> str:
    """The disclosure banner, as the review pack words it."""
    text = (
        "Partnership copy: built from the partnership's disclosure-controlled data "
        "(resolution 8 or coarser, shares only, no counts)."
        if role == Role.PARTNERSHIP
        else "Analyst copy: built from exact figures, not for wider circulation."
    )
    return text + (" SYNTHETIC DEMO DATA: not real people or places." if synthetic else "")


def plan_sheet(
    places: pd.DataFrame,
    *,
    role: str,
    synthetic: bool,
    area: str,
    period: str,
    feeds: str,
    sentence: str,
    settings: CoverageSettings,
    generated_at: str | None = None,
) -> PlanSheet:
    """The sheet for ``places`` (:func:`geo.lenses.coverage_view.plan_places`)."""
    rows = tuple(
        (str(a), str(b), str(c), str(d))
        for a, b, c, d in places[list(PRINTED_COLUMNS)].itertuples(index=False, name=None)
    )
    n = len(rows)
    teams = "one team" if n == 1 else f"{n} teams"
    w = settings.weights
    seen = "were found" if settings.missing_time == "found" else "were last seen"
    notes = (
        f"Each team works one place for one time block every week and reaches places "
        f"within {settings.reach_m:g} m of it (a straight line between hexagon centres; "
        "walking routes are longer).",
        f"Harm counts serious youth violence (each incident {_times(w.syv)}), harmful sexual "
        f"behaviour ({_times(w.hsb)}) and the places where missing children {seen} "
        f"({_times(w.missing)}), recorded to the minute. Youth work already out counts in "
        f"proportion to its weekly hours within reach, up to {settings.min_weekly_hours:g} "
        f"{'hour' if settings.min_weekly_hours == 1 else 'hours'} a week.",
        "A recommendation from the data, not a decision: check it against what the teams "
        "and the community know.",
    )
    return PlanSheet(
        title=f"Youth-work plan: where to send {teams}",
        area=area,
        period=period,
        feeds=feeds,
        sentence=sentence,
        rows=rows,
        notes=notes,
        banner=banner(role, synthetic),
        generated_at=generated_at or datetime.now().strftime("%Y-%m-%d %H:%M"),
    )


# --------------------------------------------------------------------------- map
def plan_map_png(
    plan: HexLayer,
    numbers: Mapping[str, str],
    boundary: BaseGeometry,
    context: Sequence[HexLayer] = (),
    width_in: float = 6.4,
    dpi: int = 150,
) -> bytes:
    """The recommended places over the study-area outline, each with its number(s) in
    plan order in a circle beside it; ``context`` layers (today's coverage outline)
    drawn underneath. Returns a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    geoms = getattr(boundary, "geoms", [boundary])
    outline = [np.asarray(g.exterior.coords, dtype=float) for g in geoms if hasattr(g, "exterior")]
    minx, miny, maxx, maxy = boundary.bounds
    lat0 = (miny + maxy) / 2
    aspect = 1.0 / np.cos(np.deg2rad(lat0))
    height_in = width_in * (maxy - miny) * aspect / max(maxx - minx, 1e-9)
    fig, ax = plt.subplots(figsize=(width_in, min(max(height_in, 2.5), 4.6)), dpi=dpi)
    handles: list[Patch] = []
    for layer in (*context, plan):
        polys = [r for f in layer.geojson["features"] for r in outer_rings(f["geometry"])]
        colour = layer.legend[0][0] if layer.legend else "#555555"
        if not polys:
            continue
        if layer.outline_only:
            coll = PolyCollection(polys, facecolors="none", edgecolors=colour, linewidths=0.8)
            handles.append(Patch(facecolor="none", edgecolor=colour, label=layer.name))
        else:
            coll = PolyCollection(polys, facecolors=colour, edgecolors="#08306b", linewidths=0.6)
            handles.append(Patch(facecolor=colour, edgecolor="#08306b", label=layer.name))
        ax.add_collection(coll)
    for feature in plan.geojson["features"]:
        text = numbers.get(str(feature["properties"].get("cell", "")), "")
        rings = outer_rings(feature["geometry"])
        if not text or not rings:
            continue
        x, y = rings[0][:-1].mean(axis=0)
        ax.annotate(
            text, (x, y), xytext=(7, 7), textcoords="offset points", fontsize=7,
            fontweight="bold", color="white", ha="center", va="center", zorder=6,
            bbox={"boxstyle": "circle,pad=0.25" if "," not in text else "round,pad=0.25",
                  "facecolor": "#08306b", "edgecolor": "white", "linewidth": 0.6},
            arrowprops={"arrowstyle": "-", "color": "#08306b", "linewidth": 0.6},
        )  # fmt: skip
    for ring in outline:
        ax.plot(ring[:, 0], ring[:, 1], color="#222222", linewidth=1.0)
    pad_x, pad_y = (maxx - minx) * 0.03, (maxy - miny) * 0.03
    ax.set_xlim(minx - pad_x, maxx + pad_x)
    ax.set_ylim(miny - pad_y, maxy + pad_y)
    ax.set_aspect(aspect)
    ax.set_axis_off()
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
                  frameon=False)  # fmt: skip
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


# --------------------------------------------------------------------------- PDF
def _p(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(xml_escape(text), style)  # place and feed names are escaped


def plan_pdf(sheet: PlanSheet, map_png: bytes | None = None) -> bytes:
    """The sheet as one A4 page (shrunk to fit when the plan is long)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        KeepInFrame,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=base["BodyText"], fontSize=7.5, leading=9.5)
    cell = ParagraphStyle("cell", parent=small, fontSize=8, leading=10)
    lead = ParagraphStyle("lead", parent=body, fontSize=10.5, leading=14, fontName="Helvetica-Bold")
    red = ParagraphStyle("banner", parent=body, fontSize=8, leading=10, textColor="#b2182b")
    title = ParagraphStyle("title", parent=base["Title"], fontSize=16, leading=20, spaceAfter=4)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=1.8 * cm, rightMargin=1.8 * cm, topMargin=1.4 * cm,
        bottomMargin=1.6 * cm, title=sheet.title, author="PlaceSafe",
    )  # fmt: skip
    width = A4[0] - 3.6 * cm
    story: list[Any] = [
        _p(sheet.title, title),
        _p(sheet.banner, red),
        Spacer(1, 4),
        _p(f"{sheet.area} · {sheet.period}", body),
        _p(sheet.feeds, small),
        Spacer(1, 6),
        _p(sheet.sentence, lead),
        Spacer(1, 6),
    ]
    if map_png:
        img = Image(io.BytesIO(map_png))
        scale = min(width / img.drawWidth, 9.5 * cm / img.drawHeight)
        img.drawWidth *= scale
        img.drawHeight *= scale
        story += [img, Spacer(1, 6)]
    if sheet.rows:
        data = [[_p(c, cell) for c in PRINTED_COLUMNS]]
        data += [[_p(c, cell) for c in row] for row in sheet.rows]
        table = Table(
            data, colWidths=[1.0 * cm, 5.4 * cm, 4.4 * cm, width - 10.8 * cm], repeatRows=1
        )
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 6)]
    else:
        story.append(_p("No team is recommended: nothing is left to cover.", body))
    story += [_p(note, small) for note in sheet.notes]
    story.append(_p(f"Made with PlaceSafe on {sheet.generated_at}.", small))

    def footer(canvas: Any, document: Any) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        size = min(7.0, 7.0 * width / max(stringWidth(sheet.banner, "Helvetica", 7.0), 1.0))
        canvas.saveState()
        canvas.setFont("Helvetica", size)
        canvas.drawString(1.8 * cm, 1.0 * cm, sheet.banner)  # the whole banner, shrunk to fit
        canvas.restoreState()

    frame = KeepInFrame(width, A4[1] - 3.0 * cm - 0.1 * cm, story, mode="shrink")
    doc.build([frame], onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def build_plan_pdf(
    places: pd.DataFrame,
    plan_layer: HexLayer,
    numbers: Mapping[str, str],
    boundary: BaseGeometry,
    *,
    context: Sequence[HexLayer] = (),
    role: str,
    synthetic: bool,
    area: str,
    period: str,
    feeds: str,
    sentence: str,
    settings: CoverageSettings,
) -> bytes:
    """The one-page plan: :func:`plan_sheet`, :func:`plan_map_png` and :func:`plan_pdf`."""
    sheet = plan_sheet(
        places, role=role, synthetic=synthetic, area=area, period=period, feeds=feeds,
        sentence=sentence, settings=settings,
    )  # fmt: skip
    png = plan_map_png(plan_layer, numbers, boundary, context) if len(places) else None
    return plan_pdf(sheet, png)
