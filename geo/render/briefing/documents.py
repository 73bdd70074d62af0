"""The review pack as documents: an A4 PDF, one self-contained HTML file and the 7-minute
briefing, with their file names and the check that no small count is written out."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from typing import Any, Final
from xml.sax.saxutils import escape as xml_escape

import numpy as np

from geo.core.roles import Role
from geo.render.briefing.model import PackTable, ReviewPack

__all__ = [
    "SEVEN_MINUTE_PROMPTS",
    "output_names",
    "pack_html",
    "pack_pdf",
    "sentences_with_counts",
    "seven_minute_pdf",
]

# --- rendering -----------------------------------------------------------------------------


def _banner(pack: ReviewPack) -> str:
    audience = (
        "Partnership pack: figures are rounded and perturbed to protect privacy."
        if pack.audience == Role.PARTNERSHIP
        else "Analyst pack: exact figures, not for wider circulation."
    )
    synthetic = " SYNTHETIC DEMO DATA: not real people or places." if pack.synthetic else ""
    return audience + synthetic


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    base = getSampleStyleSheet()
    return {
        "title": base["Title"],
        "h2": base["Heading2"],
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=9, leading=12),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=7.5, leading=9.5),
        "banner": ParagraphStyle(
            "banner", parent=base["BodyText"], fontSize=8, textColor="#b2182b"
        ),
    }


def _p(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(xml_escape(text), style)  # partner text (school names) is escaped


def _pdf_table(table: PackTable, styles: dict[str, Any]) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.platypus import Spacer, Table, TableStyle

    out: list[Any] = [_p(table.caption, styles["body"])]
    if not table.rows:
        return [*out, _p("Nothing to show.", styles["small"]), Spacer(1, 6)]
    data = [[_p(c, styles["small"]) for c in table.columns]]
    data += [[_p(c, styles["small"]) for c in row] for row in table.rows]
    widths = _col_widths(table)
    t = Table(data, colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [*out, t, Spacer(1, 8)]


def _col_widths(table: PackTable) -> list[float]:
    """Column widths (points) over 17 cm: each at least as wide as its longest word (so a
    cell id or a rank never breaks), the rest shared by text length."""
    from reportlab.lib.units import cm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    total = 17.0 * cm
    padding = 14.0
    columns = list(zip(*table.rows, strict=True)) if table.rows else [()] * len(table.columns)
    floor = np.array(
        [
            max(stringWidth(w, "Helvetica", 7.5) for w in [*str(c).split(), *(
                word for text in col for word in str(text).split()
            )] or [""]) + padding
            for c, col in zip(table.columns, columns, strict=True)
        ]
    )  # fmt: skip
    lengths = np.array(
        [max([len(c)] + [len(r[i]) for r in table.rows]) for i, c in enumerate(table.columns)],
        dtype=float,
    )
    share = np.clip(lengths, 6, 60)
    spare = max(total - float(floor.sum()), 0.0)
    return list(floor + spare * share / share.sum())


def pack_pdf(pack: ReviewPack) -> bytes:
    """The review pack as an A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, PageBreak, SimpleDocTemplate, Spacer

    styles = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm,
        bottomMargin=1.8 * cm, title=pack.title, author="PlaceSafe",
    )  # fmt: skip
    story: list[Any] = [
        _p(pack.title, styles["title"]),
        _p(_banner(pack), styles["banner"]),
        _p(f"Built {pack.generated_at}.", styles["small"]),
        Spacer(1, 8),
    ]
    for section in pack.sections:
        if section.new_page:
            story.append(PageBreak())
        story.append(_p(section.title, styles["h2"]))
        story += [_p(text, styles["body"]) for text in section.paragraphs]
        story.append(Spacer(1, 4))
        for caption, png in section.images:
            img = Image(io.BytesIO(png))
            scale = min(16 * cm / img.drawWidth, 11 * cm / img.drawHeight)
            img.drawWidth *= scale
            img.drawHeight *= scale
            story += [img, _p(caption, styles["small"]), Spacer(1, 6)]
        for table in section.tables:
            story += _pdf_table(table, styles)

    def footer(canvas: object, document: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont("Helvetica", 7)  # type: ignore[attr-defined]
        canvas.drawString(2 * cm, 1.1 * cm, _banner(pack))  # type: ignore[attr-defined]
        canvas.drawRightString(  # type: ignore[attr-defined]
            19 * cm,
            1.1 * cm,
            f"page {document.page}",  # type: ignore[attr-defined]
        )
        canvas.restoreState()  # type: ignore[attr-defined]

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ pack.title }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}.banner{color:#b2182b;font-weight:600}img{max-width:100%}
</style></head><body>
<h1>{{ pack.title }}</h1>
<p class="banner">{{ banner }}</p><p>Built {{ pack.generated_at }}.</p>
{% for section in pack.sections %}<section><h2>{{ section.title }}</h2>
{% for text in section.paragraphs %}<p>{{ text }}</p>{% endfor %}
{% for caption, png in images[loop.index0] %}<figure>
<img alt="{{ caption }}" src="data:image/png;base64,{{ png }}">
<figcaption>{{ caption }}</figcaption></figure>{% endfor %}
{% for table in section.tables %}<table><caption>{{ table.caption }}</caption>
<tr>{% for c in table.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in table.rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endfor %}</section>{% endfor %}
</body></html>
"""


def pack_html(pack: ReviewPack) -> str:
    """The review pack as one self-contained HTML file (maps embedded, text escaped)."""
    from jinja2 import Environment

    env = Environment(autoescape=True)
    images = [
        [(caption, base64.b64encode(png).decode("ascii")) for caption, png in s.images]
        for s in pack.sections
    ]
    return env.from_string(_HTML).render(pack=pack, banner=_banner(pack), images=images)


SEVEN_MINUTE_PROMPTS: Final[dict[str, tuple[str, ...]]] = {
    "Why it matters": (
        "Harm to adolescents outside the home recurs in the same places; a shared picture lets "
        "partners act on places and themes, not only on individual cases.",
    ),
    "What to do": (
        "Bring the top recurring locations to the next multi-agency meeting and agree who "
        "updates each place's assessment.",
        "Check youth-work timetables against the largest gaps before the next quarter.",
        "Ask schools near the top locations what their pupils say about the journey to school.",
    ),
    "Questions to ask": (
        "Which of these places do we already know about, and what changed?",
        "Whose voice is missing from this picture (children, families, businesses, transport)?",
    ),
}


def seven_minute_pdf(pack: ReviewPack) -> bytes:
    """The 7-minute briefing: one A4 page in plain English."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import KeepInFrame, SimpleDocTemplate, Spacer

    styles = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.5 * cm,
        bottomMargin=1.5 * cm, title=f"7-minute briefing: {pack.area_name}, {pack.quarter}",
        author="PlaceSafe",
    )  # fmt: skip
    story: list[Any] = [
        _p(f"7-minute briefing: {pack.area_name}, {pack.quarter}", styles["title"]),
        _p(_banner(pack), styles["banner"]),
        Spacer(1, 6),
        _p("What we saw", styles["h2"]),
    ]
    story += [_p(f"• {s}", styles["body"]) for s in pack.headlines]
    for heading, lines in SEVEN_MINUTE_PROMPTS.items():
        story.append(_p(heading, styles["h2"]))
        story += [_p(f"• {line}", styles["body"]) for line in lines]
    story.append(Spacer(1, 6))
    story.append(
        _p(
            "From the quarterly review pack of the same quarter, which holds the maps, tables, "
            "sources and the disclosure rules applied.",
            styles["small"],
        )
    )
    frame = KeepInFrame(17 * cm, 26 * cm, story, mode="shrink")  # always one page
    doc.build([frame])
    return buf.getvalue()


def output_names(quarter: str, audience: str) -> dict[str, str]:
    """File names of a pack's outputs."""
    stem = f"placesafe-{quarter.replace(' ', '').lower()}-{audience}"
    return {
        "pdf": f"{stem}-review-pack.pdf",
        "html": f"{stem}-review-pack.html",
        "seven": f"{stem}-7-minute-briefing.pdf",
    }


def sentences_with_counts(text: str, min_count: int) -> Sequence[str]:
    """Numbers from 1 to ``min_count - 1`` in ``text`` that read as counts.

    Allowed (not counts): ranks ``#3``, quarters ``2024 Q3``, resolutions, rule
    numbers ("3 or more times in 90 days"), "k of the last n" recurrence, percentages,
    decimals, dates and page numbers. Used by the tests and by :func:`check_pack`.
    """
    allowed = [
        r"#\d+",
        r"\b\d{4} Q[1-4]\b",
        r"\bQ[1-4]\b",
        r"\bresolution \d+",
        r"\b\d+ or more times (in|within) \d+ days",
        r"\b\d+ recurring locations?",
        r"×\d+",
        r"\b\d+ of the last \d+",
        r"\b\d+(\.\d+)? ?%",
        r"\b\d+\.\d+",
        r"\b\d{4}-\d{2}(-\d{2})?",
        r"\bpage \d+",
        r"\b\d+ (January|February|March|April|May|June|July|August|September|October|November|"
        r"December) \d{4}",
        r"\b\d{1,2}:\d{2}",
        r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b",
        r"\b[1-3]·",
        r"\bfirst ring",
        r"\bseed \d+",
        r"\b0\.\d+",
        r"\b\d+ m\b",
        r"\b\d+ km²",
        r"\bfrom 1 to \d+",
        r"\b(one|two|three|four|five|six|seven|eight|nine) teams",
        r"\(about [\d.]+ km²",
        r"\bfingerprint [0-9a-f]+",
        r"\b[0-9a-f]{15}\b",
        r"\b\d+ (months|hours)\b",
    ]
    cleaned = text
    for pattern in allowed:
        cleaned = re.sub(pattern, " ", cleaned)
    small = "|".join(str(n) for n in range(1, min_count))
    return re.findall(rf"(?<![\w.,]).{{0,30}}\b(?:{small})\b(?![\w.,]).{{0,30}}", cleaned)
