"""Quarterly review packs and the 7-minute briefing (PDF and HTML).

:func:`build_pack` gathers one quarter's picture for one audience from the same
functions the pages use, with the same disclosure rules (DESIGN §4):

0. the quarter's story: places new, escalated, persistent or no longer active compared
   with the previous quarter (:mod:`geo.lenses.story`), the same as the app's "This quarter";
1. headline figures and the change on the previous quarter;
2. a static map of emerging hot spot categories and one of the recurring-location
   ranking (hex polygons and the study-area outline, no web tiles);
3. the top recurring locations with their reasons and escalation flags;
4. schools and missing-from-home measures and interview themes;
5. youth-work gaps and a recommended deployment plan;
6. disproportionality findings (when population tables are loaded);
7. data vintages per source, parameters and seeds, and the disclosure rules applied.

The pack is a plain data structure (:class:`ReviewPack`) rendered by
:func:`pack_pdf` (reportlab), :func:`pack_html` (Jinja2, autoescaped) and
:func:`seven_minute_pdf` (one page, plain English).

For the ``partnership`` audience every figure comes from a disclosure-controlled
function, cells are at resolution 8, counts are written either as numbers of
``min_count`` or more or as "withheld", changes as percentages, ranks as "#1", and
places holding a sensitive premise are left out.

Every figure covers the chosen quarter. Patterns need a longer run of data, and the
pack says so once, on its first page: hot spot trends use the 24 months to the
quarter's end (:func:`geo.lenses.hotspot_report.trend_window`, as the Hot spots and This
quarter pages do); the recurring ranking, youth-work gaps and stop and search use the
pattern window (for the partnership the calendar year of the quarter, one fixed
hierarchy; for analysts at most 24 months to the quarter's end).

The package holds one module per step: :mod:`~geo.render.briefing.model` (the pack as
data, periods and number formats), :mod:`~geo.render.briefing.sections` (one function per
section), :mod:`~geo.render.briefing.pack` (:func:`build_pack`) and
:mod:`~geo.render.briefing.documents` (PDF, HTML, the 7-minute briefing).
"""

from __future__ import annotations

from geo.render.briefing.documents import (
    SEVEN_MINUTE_PROMPTS,
    output_names,
    pack_html,
    pack_pdf,
    sentences_with_counts,
    seven_minute_pdf,
)
from geo.render.briefing.model import (
    AUDIENCES,
    PATTERN_MONTHS,
    Audience,
    PackSection,
    PackTable,
    ReviewPack,
    available_quarters,
    parse_quarter,
)
from geo.render.briefing.pack import build_pack
from geo.render.briefing.sections import KPI_LABELS, TOP

__all__ = [
    "AUDIENCES",
    "KPI_LABELS",
    "PATTERN_MONTHS",
    "SEVEN_MINUTE_PROMPTS",
    "TOP",
    "Audience",
    "PackSection",
    "PackTable",
    "ReviewPack",
    "available_quarters",
    "build_pack",
    "output_names",
    "pack_html",
    "pack_pdf",
    "parse_quarter",
    "sentences_with_counts",
    "seven_minute_pdf",
]
