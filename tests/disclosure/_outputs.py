"""Everything a partnership user can produce, as canonical text (the intruder's view).

:func:`partnership_outputs` walks the partnership's menus the way the app's cached
wrappers (ui/cache.py) do — every quarter of the period menu, every whole year the
pattern analyses use, resolutions 7 and 8, every layer and measure a page offers — and
calls the same geo functions with the same arguments, so the outputs are the ones the
pages, exports, review packs and CLI show that role. Each output becomes canonical text
(tables as CSV, map layers as GeoJSON with sorted keys), keyed by where it came from.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.area import StudyArea
from geo.core.config import Config
from geo.core.filters import Filters
from geo.disclosure import Role, store_for
from geo.disclosure.counts import disclosed_counts, disclosed_kpis
from geo.disclosure.windows import partnership_pattern_window, partnership_quarters
from geo.lenses import coverage as cv
from geo.lenses import coverage_view as cview
from geo.lenses import disproportionality as dp
from geo.lenses import missing, youth_work_plan
from geo.lenses.hotspot_report import run_trend_hotspots
from geo.lenses.missing_view import missing_view
from geo.lenses.profiles import build_profile
from geo.lenses.recurring import (
    NEAR_REPEAT_NOUNS,
    RankingSettings,
    knox_for_window,
    rank_recurring_locations,
)
from geo.lenses.schools import schools_view
from geo.lenses.story import quarter_story, story_layers, story_table
from geo.render import briefing, layers
from geo.render.layers import story_layer
from geo.stats.knox_verdict import verdict
from geo.store import queries as overview
from geo.store.database import Store
from geo.store.place_names import place_names

PARTNERSHIP = Role.PARTNERSHIP
NOW = datetime(2025, 2, 1, 9, 0)


def canon(obj: Any) -> str:
    """Canonical text of an output (equal outputs give equal text)."""
    if obj is None:
        return "None"
    if isinstance(obj, pd.DataFrame | pd.Series):
        return obj.to_csv(float_format="%.10g")
    if isinstance(obj, float):
        return "nan" if math.isnan(obj) else f"{obj:.10g}"
    if isinstance(obj, np.ndarray):
        return canon(obj.tolist())
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {canon(v)}" for k, v in sorted(obj.items(), key=str)) + "}"
    if isinstance(obj, list | tuple):
        return "[" + ", ".join(canon(v) for v in obj) + "]"
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return canon({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    if hasattr(obj, "geojson"):
        return json.dumps(obj.geojson, sort_keys=True, default=str)
    return repr(obj)


def _years(quarters: list[Filters], months: list[str]) -> list[Filters]:
    return sorted({partnership_pattern_window(q, months) for q in quarters}, key=str)


def partnership_outputs(
    store: Store,
    area: StudyArea,
    config: Config,
    profile_cells: tuple[str, ...] = (),
    pages: tuple[str, ...] = ("overview", "hotspots", "story", "recurring", "missing",
                              "schools", "youth_work", "disproportionality", "pack", "profile",
                              "ed_assaults", "health"),
) -> dict[str, str]:  # fmt: skip
    """Every output a partnership user can produce on ``store`` (``{where: text}``; the
    configuration's fingerprint, quoted in packs, is replaced by a placeholder)."""
    return {
        where: text.replace(config.fingerprint, "<configuration>")
        for where, text in _outputs(store, area, config, profile_cells, pages)
    }


def _outputs(
    exact: Store,
    area: StudyArea,
    config: Config,
    profile_cells: tuple[str, ...],
    pages: tuple[str, ...],
) -> Iterator[tuple[str, str]]:
    store = store_for(exact, PARTNERSHIP, config)  # what ui.cache.store_as gives the role
    months = overview.available_months(store)
    quarters = partnership_quarters(months)
    years = _years(quarters, months)
    min_count = config.disclosure.min_count

    def out(where: str, make: Callable[[], Any]) -> tuple[str, str]:
        try:
            return where, canon(make())
        except Exception as exc:  # an error message is an output too
            return where, f"error: {type(exc).__name__}: {exc}"

    if "overview" in pages:
        yield out("months", lambda: overview.available_months(store))
        for q in quarters:
            yield out(f"kpis {q}", lambda q=q: disclosed_kpis(exact, PARTNERSHIP, q, config))
            for res in (7, 8):
                for layer in ("incidents", "missing"):
                    yield out(
                        f"overview {layer} {res} {q}",
                        lambda q=q, res=res, layer=layer: disclosed_counts(
                            exact, layer, PARTNERSHIP, res, q, config
                        ),
                    )
                # the map as drawn: tooltips led by place names (ui.cache.overview_map_layers)
                yield out(
                    f"overview map {res} {q}",
                    lambda q=q, res=res: layers.named_layer(
                        layers.incident_layer_from(
                            disclosed_counts(
                                exact, "incidents", PARTNERSHIP, res, q, config
                            ),
                            res,
                            config,
                        ),
                        store,
                    ),
                )
    if "hotspots" in pages:
        # ui.cache.hotspot_report: the chosen quarter, the trend window ending with it,
        # worked out at resolution 9 and shown at 7 or 8
        for q in quarters:
            for layer in ("incidents", "missing", "knife_crime"):
                for res in (7, 8):
                    for k in (1, 2):
                        where = f"hotspots {layer} {res} k{k} {q}"
                        report = run_trend_hotspots(store, area, layer, res, q, months, k)
                        yield from _hotspot_outputs(report, where, res, profile_cells, config, out)
    if "story" in pages:
        # ui.cache.quarter_story: incidents, missing (and A&E assaults), one ring, FDR on
        for q in quarters:
            for res in (7, 8):
                reports = {
                    layer: run_trend_hotspots(store, area, layer, res, q, months)
                    for layer in story_layers(store)
                }
                told = quarter_story(store, reports, q, res, False, min_count)
                names = tuple(str(n) for n in place_names(store, list(told.places["cell"]), res))
                yield out(f"story {res} {q}", lambda t=told, n=names: story_table(t, n, False))
                yield out(
                    f"story map {res} {q}",
                    lambda t=told, n=names, res=res: story_layer(t, n, PARTNERSHIP, res, config),
                )
    if "recurring" in pages:
        for window in years:
            for res in (7, 8):
                settings = RankingSettings(res=res, min_count=min_count, exact_counts=False)
                yield out(
                    f"recurring {res} {window}",
                    lambda w=window, s=settings, res=res: layers.hot_cells_table(
                        rank_recurring_locations(store, area, w, s), PARTNERSHIP, res, config
                    ),
                )
    names = overview.schools(store)[["urn", "name"]]
    if "missing" in pages:
        for q in quarters:
            for res, key in ((7, 7), (8, 8), (8, "home")):
                yield out(
                    f"missing {res} {key} {q}",
                    lambda q=q, res=res, key=key: missing_view(
                        exact, area, q, PARTNERSHIP, config, res, key, names
                    ),
                )
    if "schools" in pages:
        for q in quarters:
            window = partnership_pattern_window(q, months)

            def ranking(q: Filters = q, window: Filters = window) -> pd.DataFrame:
                episodes = missing.episodes(store, q)
                repeat = missing.repeat_children_in_period(store, q)
                children = missing.schools_for_partnership(episodes, config, repeat).table
                return schools_view(
                    store, area, q, PARTNERSHIP, min_count, children=children,
                    distances_m=config.schools.distances_m, distance_m=400.0,
                    terms=config.schools.terms, recurring_window=window,
                )  # fmt: skip

            yield out(f"schools {q}", ranking)
    if "youth_work" in pages:
        sites = cview.health_sites(store)
        for window in years:
            settings = cview.settings_for(PARTNERSHIP, config, res=8)
            analysis = cv.analyse(store, area, window, settings)
            gaps = cview.role_gaps(analysis.gaps, sites, PARTNERSHIP, 8, config)
            yield out(f"youth gaps {window}", lambda g=gaps: cview.gap_table(g, PARTNERSHIP))
            allowed = [b.name for b in settings.blocks]
            problem = cview.plan_problem(analysis, PARTNERSHIP, config, allowed)
            plan = youth_work_plan.plan_greedy(problem, 5)
            yield out(f"youth plan {window}", lambda p=plan: cview.plan_table(p, PARTNERSHIP))
    if "disproportionality" in pages:
        for q in quarters:
            for measure in dp.MEASURES:
                yield out(
                    f"dp audit {measure} {q}",
                    lambda q=q, m=measure: dp.run_audit(
                        store, m, filters=q, role=PARTNERSHIP, min_count=min_count
                    ),
                )
                yield out(
                    f"dp hit {measure} {q}",
                    lambda q=q, m=measure: dp.run_hit_rate(
                        store, m, filters=q, role=PARTNERSHIP, min_count=min_count
                    ),
                )
        for measure in dp.MEASURES:
            yield out(
                f"dp trend {measure}",
                lambda m=measure: dp.run_trend(store, m, role=PARTNERSHIP, min_count=min_count),
            )
    if "pack" in pages:
        for quarter in briefing.available_quarters(store):
            yield out(
                f"pack {quarter}",
                lambda quarter=quarter: briefing.pack_html(
                    briefing.build_pack(exact, area, config, quarter, PARTNERSHIP, now=NOW)
                ),
            )
    if "health" in pages:
        yield from _health_outputs(exact, area, config, quarters, out)
    if "profile" in pages:
        for cell in profile_cells:
            c = hexes.str_to_cells([cell])
            for res in (7, 8):
                at = str(hexes.cells_to_str(hexes.cells_to_parent(c, res))[0])
                for q in quarters[-2:]:
                    window = partnership_pattern_window(q, months)
                    yield out(
                        f"profile {at} {window}",
                        lambda at=at, w=window: build_profile(
                            exact, at, w, months, PARTNERSHIP, config
                        ),
                    )
    if "ed_assaults" in pages:
        yield from _ed_assault_outputs(exact, store, area, config, profile_cells, quarters, years)


def _hotspot_outputs(
    report: Any,
    where: str,
    res: int,
    profile_cells: tuple[str, ...],
    config: Config,
    out: Callable[[str, Callable[[], Any]], tuple[str, str]],
) -> Iterator[tuple[str, str]]:
    """One hot spot report as the Hot spots page shows it to the partnership: the Gi*
    layer, the emerging hot spot layer, the hot list and each profile cell's history."""
    yield out(where + " gi", lambda: None if report.gi is None
              else layers.gi_layer(report.gi, PARTNERSHIP, res, config))  # fmt: skip
    yield out(
        where + " emerging",
        lambda: (
            None
            if report.emerging is None
            else layers.emerging_layer(
                report.emerging.cells, report.periods, report.period, PARTNERSHIP, res, config
            )
        ),
    )
    yield out(
        where + " hot list",
        lambda: layers.hot_cells_table(report.hot_list(), PARTNERSHIP, res, config),
    )
    for cell in profile_cells:
        c = hexes.str_to_cells([cell])
        at = str(hexes.cells_to_str(hexes.cells_to_parent(c, res))[0])
        yield out(
            where + f" cell {at}",
            lambda at=at: layers.cell_series(
                report.series,
                None if report.emerging is None else report.emerging.z,
                None if report.emerging is None else report.emerging.bins,
                at,
                PARTNERSHIP,
                res,
                config,
            ),
        )


def _ed_assault_outputs(
    exact: Store,
    store: Store,
    area: StudyArea,
    config: Config,
    profile_cells: tuple[str, ...],
    quarters: list[Filters],
    years: list[Filters],
) -> Iterator[tuple[str, str]]:
    """The A&E assaults layer (an emergency department's ISTV feed) wherever the
    partnership meets it beside the other feeds: its map at each resolution and quarter
    (ui.cache.overview_layers, also drawn on the Schools and Missing maps), hot spots on it
    (ui.cache.hotspot_report with layer ``ed_assaults``) and its near repeats
    (ui.cache.recurring.knox over the year). Its profile figures, the story's A&E places
    and the ranking's A&E convergence are in the profile, story and recurring outputs.
    Nothing when no emergency department feed is loaded: the pages say "not loaded"."""
    if not overview.holds_ed_assaults(store):
        return
    months = overview.available_months(store)

    def out(where: str, make: Callable[[], Any]) -> tuple[str, str]:
        try:
            return where, canon(make())
        except Exception as exc:  # an error message is an output too
            return where, f"error: {type(exc).__name__}: {exc}"

    for q in quarters:
        for res in (7, 8):
            yield out(
                f"A&E counts {res} {q}",
                lambda q=q, res=res: disclosed_counts(
                    exact, "ed_assaults", PARTNERSHIP, res, q, config
                ),
            )
            yield out(
                f"A&E map {res} {q}",
                lambda q=q, res=res: layers.named_layer(
                    layers.ed_assault_layer_from(
                        disclosed_counts(exact, "ed_assaults", PARTNERSHIP, res, q, config),
                        res,
                        config,
                    ),
                    store,
                ),
            )
            for k in (1, 2):
                where = f"A&E hotspots {res} k{k} {q}"
                report = run_trend_hotspots(store, area, "ed_assaults", res, q, months, k)
                yield from _hotspot_outputs(report, where, res, profile_cells, config, out)
    nouns = NEAR_REPEAT_NOUNS["ed_assaults"]
    for window in years:  # the partnership sees the verdict, the ratios and their p-values
        result = knox_for_window(store, window, layer="ed_assaults")
        yield out(
            f"A&E near repeats {window}",
            lambda r=result: (
                None if r is None else (r.ratio.round(2), r.p.round(3), verdict(r, events=nouns))
            ),
        )


def _health_outputs(
    exact: Store,
    area: StudyArea,
    config: Config,
    quarters: list[Filters],
    out: Callable[[str, Callable[[], Any]], tuple[str, str]],
) -> Iterator[tuple[str, str]]:
    """The Health and police page (ui.cache.health): the chosen quarter at resolutions 7
    and 8, its tables, sentences and map layer."""
    from geo.lenses.health_police_view import health_police_view
    from geo.render.health_layers import known_to_health_layer

    for q in quarters:
        for res in (7, 8):
            made: dict[str, Any] = {}

            def view(q: Filters = q, res: int = res, made: dict[str, Any] = made) -> Any:
                if "view" not in made:  # the page and its map share one view
                    made["view"] = health_police_view(exact, area, res, q, PARTNERSHIP, config)
                return made["view"]

            yield out(f"health {res} {q}", view)
            yield out(f"health map {res} {q}", lambda view=view: known_to_health_layer(view()))
