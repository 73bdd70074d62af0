"""Build the synthetic demo store: generate partner-format files, then ingest them.

The demo goes through exactly the same adapters, validation and store as real
partner files, so a working demo is also a working ingest pipeline. Once its last
file is in, the generator marks the store as the synthetic demo (``meta``:
``origin = synthetic-demo`` with its seed and version). Demo mode serves only a
store so marked (:func:`synthetic_demo_problem`), and a marked store refuses
partner files (:func:`geo.ingest.pipeline.ingest_bytes`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from geo.core.area import load_study_area
from geo.core.audit import default_head_file
from geo.core.config import PROJECT_ROOT, Config, load_config
from geo.core.errors import StoreError
from geo.demo.data import GENERATOR_VERSION, generate_demo_files
from geo.demo.health import write_demo_health_sites
from geo.ingest.pipeline import ingest_file
from geo.ingest.report import IngestReport
from geo.store.database import SYNTHETIC_DEMO, Store

DEMO_DIR = PROJECT_ROOT / "data" / "demo"
DEFAULT_OUT = DEMO_DIR / "generated"

#: Files the generator writes, in ingest order, with their ingest kind.
DEMO_FILES: tuple[tuple[str, str], ...] = (
    ("schools", "schools.csv"),
    ("incidents", "incidents.csv"),
    ("missing", "missing_episodes.csv"),
    ("youth_sessions", "youth_sessions.csv"),
    ("school_outcomes", "school_outcomes.csv"),
    # fictional LSOA-like areas: reference polygons only (the study area stays the
    # configured borough boundary), census populations and police.uk stop and search
    ("boundary", "lsoa_boundaries.geojson"),
    ("area_stats", "census_ethnic_group_lsoa.csv"),
    ("area_stats", "census_ethnic_group_by_age_lsoa.csv"),
    ("area_stats", "population_single_year_of_age_lsoa.csv"),
    ("stop_search", "stop_and_search.csv"),
    ("health_sites", "health_sites.csv"),
    # the public place lookups the ISTV extract is placed by, then the extract itself
    # (istv_truth.csv is the tests' answer key, never ingested)
    ("postcodes", "postcodes.csv"),
    ("gazetteer", "gazetteer.csv"),
    ("istv", "istv.csv"),
)

_CONFIG_TEMPLATE = """# Configuration of a generated synthetic demo (from `python -m geo demo`).
[store]
path = "placesafe.duckdb"

[study_area]
boundary = "boundary.geojson"
buffer_m = 250
name = "Demo borough (synthetic)"

[disclosure]
sensitive_premises = "sensitive_premises.csv"

[app]
demo = true
ask_purpose = false
"""


@dataclass(frozen=True)
class DemoBuild:
    """What :func:`build_demo` produced."""

    out_dir: Path
    config: Config
    truth: dict[str, Any]
    reports: tuple[IngestReport, ...]


def build_demo(out_dir: Path = DEFAULT_OUT, seed: int = 0, null: bool = False) -> DemoBuild:
    """Generate the synthetic demo in ``out_dir`` and ingest it into a fresh store.

    Writes the partner-format files, ``truth.json``, ``boundary.geojson``,
    ``sensitive_premises.csv``, ``placesafe.toml`` and ``placesafe.duckdb``. The
    store is built in a temporary file, marked as the synthetic demo after its last
    ingest, and moved into place, so an app reading the old store never sees a
    half-built (or unmarked) one.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = generate_demo_files(out_dir, seed=seed, null=null)
    write_demo_health_sites(out_dir / "health_sites.csv")
    (out_dir / "placesafe.toml").write_text(_CONFIG_TEMPLATE, encoding="utf-8")
    config = load_config(out_dir / "placesafe.toml")
    area = load_study_area(config.study_area)
    tmp = out_dir / "placesafe.duckdb.building"
    settings = config.audit_settings()
    tmp_head = default_head_file(tmp)
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal"), tmp_head):
        if leftover is not None:
            leftover.unlink(missing_ok=True)
    reports = []
    with Store(tmp, audit=replace(settings, head_file=tmp_head)) as store:
        for kind, name in DEMO_FILES:
            report = ingest_file(store, config, area, kind, out_dir / name, who="demo")
            if not report.ok:
                raise RuntimeError(f"demo file {name} was refused: {report.error}")
            reports.append(report)
        store.audit("demo", None, "demo_built", detail={"seed": seed, "null": null})
        store.mark_synthetic_demo(seed, null, GENERATOR_VERSION)
    shutil.move(tmp, config.store_path)
    if tmp_head is not None and settings.head_file is not None:  # the new store's audit head
        shutil.move(tmp_head, settings.head_file)
    return DemoBuild(out_dir, config, truth, tuple(reports))


def ensure_demo_store(config: Config) -> bool:
    """Build the demo store when it is missing or was made by an older generator.

    The generated ``truth.json`` records :data:`geo.demo.data.GENERATOR_VERSION`; a
    store from another version (or without one) is rebuilt with the seed it was
    built with, so the demo always shows every current feed. An existing store is
    replaced only when the generator built it (:func:`built_by_generator`): anything
    else at the demo's path is left alone, and the app refuses to serve it. Returns
    True when a store was built.
    """
    if not config.app.demo:
        return False
    folder = config.store_path.parent
    truth: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        truth = load_truth(folder)
    current = truth.get("generator_version") == GENERATOR_VERSION
    if config.store_path.exists() and (current or not built_by_generator(config.store_path)):
        return False
    build_demo(folder, seed=int(truth.get("seed", 0)), null=bool(truth.get("null", False)))
    return True


def built_by_generator(path: Path) -> bool:
    """Whether the store file at ``path`` was built by the demo generator.

    True for a store marked as the synthetic demo, and for one from a generator
    older than the marker (version 4 or before): its audit log records the build and
    every batch in it was ingested by the generator. A store that cannot be opened
    counts as not the generator's.
    """
    try:
        with Store(path, read_only=True) as store:
            if store.origin() == SYNTHETIC_DEMO:
                return True
            built = store.scalar("SELECT count(*) FROM audit_log WHERE event = 'demo_built'")
            foreign = store.scalar("SELECT count(*) FROM batches WHERE coalesce(who, '') <> 'demo'")
            return bool(built) and not foreign
    except (StoreError, duckdb.Error):
        return False


def synthetic_demo_problem(store: Store) -> str | None:
    """Why ``store`` may not be served as the synthetic demo, or None when it may.

    Demo mode serves only a store the demo generator built and marked, to which no
    batch was added since.
    """
    marker = store.demo_marker()
    if marker is None:
        return (
            "demo mode serves only the synthetic demo, and this store was not built by the "
            "demo generator. Rebuild the demo with `python -m geo demo`, or, for real data, "
            "configure a real store (app.demo = false) with login ([auth]) or the operator's "
            "explicit local mode (app.allow_local_real_data)"
        )
    added = store.live_batches_after(marker.last_batch)
    if added:
        return (
            f"demo mode serves only the synthetic demo, and {added} batch(es) were added to "
            "this store after the demo generator built it. Rebuild the demo with "
            "`python -m geo demo`, or configure a real store for real data"
        )
    return None


def load_truth(out_dir: Path = DEFAULT_OUT) -> dict[str, Any]:
    """The planted ground truth of a generated demo."""
    data: dict[str, Any] = json.loads((Path(out_dir) / "truth.json").read_text())
    return data
