"""One quarter's review pack for one audience (:func:`build_pack`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from geo.core.area import StudyArea
from geo.core.config import Config
from geo.core.errors import PackError
from geo.core.filters import quarter_label
from geo.disclosure import as_role, store_for
from geo.lenses import story
from geo.lenses.hotspot_report import run_trend_hotspots
from geo.render.briefing.model import (
    AUDIENCES,
    ReviewPack,
    _pattern_window,
    available_quarters,
    parse_quarter,
)
from geo.render.briefing.sections import (
    disproportionality_section,
    headline_section,
    hotspot_section,
    missing_schools_section,
    recurring_section,
    sources_section,
    story_section,
    youth_work_section,
)
from geo.store import queries as overview
from geo.store.database import Store

__all__ = ["build_pack"]

# --- the pack ------------------------------------------------------------------------------


def build_pack(
    store: Store,
    area: StudyArea,
    config: Config,
    quarter: str,
    audience: str,
    *,
    now: datetime | None = None,
) -> ReviewPack:
    """Build the review pack for ``quarter`` (``"2025Q1"``, or ``"latest"``) and ``audience``.

    Raises
    ------
    PackError
        When the audience is unknown or the quarter has no data.
    """
    if audience not in AUDIENCES:
        raise PackError(f"audience must be one of {', '.join(AUDIENCES)}")
    if quarter.strip().lower() == "latest":
        quarters = available_quarters(store)
        if not quarters:
            raise PackError(
                "not enough data for a quarterly pack: no feed holds a whole quarter yet"
            )
        quarter = quarters[-1]
    q = parse_quarter(quarter)
    label = quarter_label(q)
    if label.replace(" ", "") not in available_quarters(store):
        held = ", ".join(available_quarters(store)) or "none"
        raise PackError(
            f"not enough data for {label}: no feed holds the whole quarter; quarters held: {held}"
        )
    role = as_role(audience)
    store = store_for(store, role, config)
    res = config.disclosure.partnership_max_resolution if role.is_published_to else 9
    window = _pattern_window(store, q, role)
    months = overview.available_months(store)
    reports = {
        layer: run_trend_hotspots(store, area, layer, res, q, months)
        for layer in story.story_layers(store)
    }
    told, s0 = story_section(store, area, q, reports, window, role, res, config)
    headline, s1 = headline_section(store, q, role, config)
    hot, _ = hotspot_section(store, area, reports["incidents"], role, res, config)
    recurring, s2, _ = recurring_section(store, area, window, role, res, config)
    schools, s3 = missing_schools_section(store, area, q, window, role, res, config)
    youth, s4 = youth_work_section(store, area, window, role, res, config)
    dispro, s5 = disproportionality_section(store, area, q, role, config)
    sources = sources_section(store, config, role, res, window)
    name = area.name or "the study area"
    return ReviewPack(
        title=f"Quarterly review of recurring themes: {name}, {label}",
        area_name=name,
        quarter=label,
        audience=audience,
        synthetic=config.app.demo,
        generated_at=(now or datetime.now()).strftime("%d %B %Y %H:%M"),
        sections=(
            told,
            replace(headline, new_page=True),
            hot,
            replace(recurring, new_page=True),
            schools,
            replace(youth, new_page=True),
            dispro,
            replace(sources, new_page=True),
        ),
        headlines=tuple(s0[:2] + s1[:2] + s2[:1] + s3[:2] + s4[:1] + s5[:1]),
    )
