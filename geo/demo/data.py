"""Synthetic demo data for PlaceSafe, with planted ground truth (DESIGN §8).

Everything here is **synthetic**: a fictional "Demo borough (synthetic)" drawn at
real east-London coordinates (centred near lon 0.03, lat 51.535), with invented
incidents, missing episodes, schools, youth-work sessions and a children's home.
The generator writes the partner file formats of ``data/templates/`` so that the
demo goes through the same ingest path as real data, and a ``truth.json`` that
records what was planted so that tests can score how well the analyses recover it.

Geometry is generated in British National Grid metres (EPSG:27700) and written in
WGS84 degrees (EPSG:4326), except the schools file, which carries GIAS-style
Easting/Northing in EPSG:27700 metres. H3 cells are computed only through
:mod:`geo.core.hexes` and reported as hex strings at resolution 9 (the children's home
also at resolution 11).

The output is deterministic per seed: the seed's generator spawns one independent
stream per component, so the background incidents, the cohort of children, the
schools and the youth-work timetable are the same with ``null=True`` as without,
and only the planted signals differ.

This module writes every file and ``truth.json``; what each file holds is made by

* :mod:`geo.demo.borough`: the outline, places, coordinates and spatial sampling;
* :mod:`geo.demo.period`: the hour grid, calendars and time sampling;
* :mod:`geo.demo.schools`: the schools;
* :mod:`geo.demo.layout`: where the signals are planted;
* :mod:`geo.demo.incidents`: background incidents, planted hot spots, near-repeat chains;
* :mod:`geo.demo.missing`: missing episodes and return-home interviews;
* :mod:`geo.demo.youth_work`: the youth-work timetable and sessions;
* :mod:`geo.demo.population`: census areas and residents;
* :mod:`geo.demo.disproportionality`: school outcomes and stop and search;
* :mod:`geo.demo.place_names`: the gazetteer, postcodes and night-time-economy strip;
* :mod:`geo.demo.istv`: the emergency department's ISTV extract and its truth.

The ISTV files (``gazetteer.csv``, ``postcodes.csv``, ``istv.csv`` and the test file
``istv_truth.csv``, never ingested) come from the last stream spawned, so every other
file is byte-identical to what the generator wrote before they were added.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.demo.borough import (
    TRUTH_RESOLUTION,
    cell_str,
    fmt_coord,
    round_coords,
    write_demo_boundary,
)
from geo.demo.disproportionality import (
    OUTCOME_BLACK_RATE_RATIO,
    OUTCOMES_HEADER,
    STOP_SEARCH_HEADER,
    disproportionality_truth,
    outcomes_frame,
    stop_search_frame,
)
from geo.demo.incidents import (
    INCIDENT_HEADER,
    NEAR_REPEAT_DAYS,
    NEAR_REPEAT_DISTANCE_M,
    background_incidents,
    incidents_frame,
    plant_near_repeat_chains,
    planted_incidents,
)
from geo.demo.istv import ISTV_HEADER, ISTV_TRUTH_HEADER, ed_assaults
from geo.demo.layout import make_layout
from geo.demo.missing import MISSING_HEADER, missing_frame
from geo.demo.period import DEMO_FIRST_MONTH, DEMO_LAST_MONTH, demo_calendar
from geo.demo.place_names import (
    GAZETTEER_HEADER,
    STRIP_NAME,
    codepoint_frame,
    gazetteer_frame,
    make_demo_places,
)
from geo.demo.population import (
    areas_geojson,
    census_by_age,
    census_long,
    make_areas,
    population_by_single_year,
)
from geo.demo.schools import SCHOOLS_HEADER, make_schools, schools_frame
from geo.demo.youth_work import YOUTH_HEADER, youth_frame

__all__ = [
    "GENERATED_FILES",
    "GENERATOR_VERSION",
    "HOME_FINE_RESOLUTION",
    "SENSITIVE_HEADER",
    "generate_demo_files",
]

#: Resolution at which the children's home is also reported (the storage resolution).
HOME_FINE_RESOLUTION: Final = 11

#: File names written by :func:`generate_demo_files`.
GENERATED_FILES: Final[tuple[str, ...]] = (
    "incidents.csv",
    "missing_episodes.csv",
    "youth_sessions.csv",
    "schools.csv",
    "sensitive_premises.csv",
    "boundary.geojson",
    "school_outcomes.csv",
    "lsoa_boundaries.geojson",
    "census_ethnic_group_lsoa.csv",
    "census_ethnic_group_by_age_lsoa.csv",
    "population_single_year_of_age_lsoa.csv",
    "stop_and_search.csv",
    "gazetteer.csv",
    "postcodes.csv",
    "istv.csv",
    "istv_truth.csv",
    "truth.json",
)

SENSITIVE_HEADER: Final[tuple[str, ...]] = ("kind", "latitude", "longitude")
#: Bumped whenever the generator's output changes, so a stale default demo store is rebuilt.
GENERATOR_VERSION: Final = 7  # 7: ISTV extract, gazetteer, postcodes (6: single years of age)


# =========================================================================== main
def _write_csv(df: pd.DataFrame, path: Path, header: Sequence[str]) -> None:
    if tuple(df.columns) != tuple(header):
        raise AssertionError(f"{path.name}: columns do not match the template")
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def generate_demo_files(out_dir: Path, *, seed: int = 0, null: bool = False) -> dict[str, Any]:
    """Generate the synthetic demo in partner file formats, with its planted truth.

    Parameters
    ----------
    out_dir : pathlib.Path
        Directory to write into (created if needed). Files: ``incidents.csv``,
        ``missing_episodes.csv``, ``youth_sessions.csv`` (the ``data/templates``
        formats, ``DD/MM/YYYY HH:MM`` UK local times, WGS84 lon/lat degrees to
        5 decimals), ``schools.csv`` (current GIAS columns, Easting/Northing in
        EPSG:27700 metres), ``sensitive_premises.csv`` (``kind,latitude,longitude``),
        ``boundary.geojson`` (EPSG:4326) and ``truth.json``.
    seed : int
        Seed for :func:`numpy.random.default_rng`; the same seed gives byte-identical
        files.
    null : bool
        Plant nothing: the same background incidents, cohort, schools, timetable and
        children's home, but no hotspots, near-repeat chains, school-journey hotspot,
        missing found-location hotspot or youth-work gap.

    Returns
    -------
    dict
        The truth written to ``truth.json`` (DESIGN §8): planted res-9 H3 cells as
        hex strings, chain count, repeat-missing children (>= 3 episodes reported
        within 90 days, counted from the generated data), the children's home cells
        at res 9 and 11, and row counts.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = np.random.default_rng(seed)
    # Children are indexed: a new stream appended leaves the earlier ones unchanged.
    (
        r_school,
        r_layout,
        r_bg,
        r_plant,
        r_chain,
        r_attr,
        r_missing,
        r_youth,
        r_outcomes,
        r_disproportion,
        r_istv,
    ) = root.spawn(11)
    cal = demo_calendar()

    schools = make_schools(r_school)
    lay = make_layout(r_layout, schools)
    bg = background_incidents(r_bg, cal)
    parts = [bg]
    n_chains = 0
    if not null:
        parts += planted_incidents(r_plant, cal, lay)
        chain_events, n_chains = plant_near_repeat_chains(r_chain, bg, lay)
        parts.append(chain_events)
    incidents = incidents_frame(r_attr, parts)
    missing, repeat_children, n_children = missing_frame(r_missing, cal, lay, schools, null=null)
    youth = youth_frame(r_youth, cal, lay)
    outcomes = outcomes_frame(r_outcomes, schools)
    areas = make_areas(r_disproportion)
    searches = stop_search_frame(r_disproportion, areas, cal, null=null)
    home_lon, home_lat = round_coords(np.array([lay.home_x]), np.array([lay.home_y]))
    sensitive = pd.DataFrame(
        {
            "kind": ["childrens_home"],
            "latitude": fmt_coord(home_lat),
            "longitude": fmt_coord(home_lon),
        }
    )
    home9 = hexes.points_to_cells(home_lat, home_lon, TRUTH_RESOLUTION)
    home11 = hexes.points_to_cells(home_lat, home_lon, HOME_FINE_RESOLUTION)

    _write_csv(incidents, out / "incidents.csv", INCIDENT_HEADER)
    _write_csv(missing, out / "missing_episodes.csv", MISSING_HEADER)
    _write_csv(youth, out / "youth_sessions.csv", YOUTH_HEADER)
    _write_csv(schools_frame(schools), out / "schools.csv", SCHOOLS_HEADER)
    _write_csv(sensitive, out / "sensitive_premises.csv", SENSITIVE_HEADER)
    _write_csv(outcomes, out / "school_outcomes.csv", OUTCOMES_HEADER)
    write_demo_boundary(out / "boundary.geojson")
    (out / "lsoa_boundaries.geojson").write_text(
        json.dumps(areas_geojson(areas), indent=1) + "\n", encoding="utf-8"
    )
    census_long(areas).to_csv(
        out / "census_ethnic_group_lsoa.csv", index=False, lineterminator="\n", encoding="utf-8"
    )
    census_by_age(areas).to_csv(
        out / "census_ethnic_group_by_age_lsoa.csv",
        index=False,
        lineterminator="\n",
        encoding="utf-8",
    )
    population_by_single_year(areas).to_csv(
        out / "population_single_year_of_age_lsoa.csv",
        index=False,
        lineterminator="\n",
        encoding="utf-8",
    )
    _write_csv(searches, out / "stop_and_search.csv", STOP_SEARCH_HEADER)
    # The ISTV demo, from its own stream: the files above do not change with it.
    r_places, r_ed = r_istv.spawn(2)
    places = make_demo_places(r_places, lay, bg.x, bg.y, bg.category)
    ed = ed_assaults(r_ed, cal, parts, places, schools, null=null)
    _write_csv(gazetteer_frame(places), out / "gazetteer.csv", GAZETTEER_HEADER)
    codepoint_frame(places.postcodes).to_csv(
        out / "postcodes.csv",
        header=False,
        index=False,
        quoting=csv.QUOTE_NONNUMERIC,
        lineterminator="\n",
        encoding="utf-8",
    )
    _write_csv(ed.frame, out / "istv.csv", ISTV_HEADER)
    _write_csv(ed.truth, out / "istv_truth.csv", ISTV_TRUTH_HEADER)

    truth: dict[str, Any] = {
        "seed": int(seed),
        "generator_version": GENERATOR_VERSION,
        "null": bool(null),
        "synthetic": True,
        "resolution": TRUTH_RESOLUTION,
        "periods": {"first": DEMO_FIRST_MONTH, "last": DEMO_LAST_MONTH},
        "recurring_hotspots": []
        if null
        else [
            {"cell": lay.gap.cell_str, "kind": "persistent", "layer": "incidents"},
            {"cell": lay.persistent[0].cell_str, "kind": "persistent", "layer": "incidents"},
            {"cell": lay.persistent[1].cell_str, "kind": "persistent", "layer": "incidents"},
            {"cell": lay.emerging.cell_str, "kind": "emerging", "layer": "incidents"},
            {"cell": lay.fading.cell_str, "kind": "fading", "layer": "incidents"},
        ],
        "near_repeat": {
            "distance_m": NEAR_REPEAT_DISTANCE_M,
            "days": NEAR_REPEAT_DAYS,
            "chains": n_chains,
        },
        "school_journey_hotspot": None
        if null
        else {
            "school_urn": str(schools.urn[lay.school_index]),
            "cell": lay.school_journey.cell_str,
        },
        "missing_found_hotspot": None if null else {"cell": lay.found.cell_str},
        "repeat_missing_children": repeat_children,
        "youth_work_gap": None if null else {"cell": lay.gap.cell_str, "block": "weekend_evening"},
        "childrens_home": {"cell": cell_str(home9[0]), "cell_11": cell_str(home11[0])},
        "school_outcomes": {"black_relative_rate": OUTCOME_BLACK_RATE_RATIO},
        "disproportionality": disproportionality_truth(areas, searches, null=null),
        "health_only_place": None if null else {"cell": places.strip.cell_str, "name": STRIP_NAME},
        "istv": ed.counts(),
        "counts": {
            "incidents": len(incidents),
            "missing_episodes": len(missing),
            "children": n_children,
            "schools": len(schools.urn),
            "youth_sessions": len(youth),
            "school_outcome_rows": len(outcomes),
            "stop_searches": len(searches),
            "census_areas": len(areas.codes),
            "ed_assaults": len(ed.frame),
            "postcodes": len(places.postcodes.postcode),
            "gazetteer_names": len(places.names.name),
        },
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth
