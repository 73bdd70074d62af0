"""Command line: ``python -m geo demo | ingest | batches | rollback | hotspots | recurring |
knox | briefing | verify-audit``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from geo.core.area import load_study_area
from geo.core.config import DEMO_CONFIG_PATH, Config, load_config
from geo.core.errors import (
    BoundaryError,
    ConfigError,
    InsufficientDataError,
    StoreError,
)
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.ingest.archive import ingest_archive
from geo.ingest.pipeline import DEMO_STORE_REFUSAL, KINDS, ingest_file
from geo.lenses.recurring import NEAR_REPEAT_LAYERS
from geo.store.cube import CUBE_LAYERS
from geo.store.database import Store
from geo.store.shared import SharedStore, store_lock

#: ``--kind`` of a data.police.uk archive zip (street crime and stop and search inside).
ARCHIVE = "police_uk_archive"


def _demo(args: argparse.Namespace) -> int:
    from geo.demo.build import DEFAULT_OUT, build_demo

    out = Path(args.out) if args.out else DEFAULT_OUT
    build = build_demo(out, seed=args.seed, null=args.null)
    for report in build.reports:
        print(report.summary())
    print(f"demo written to {build.out_dir} (PLACESAFE_CONFIG={build.out_dir / 'placesafe.toml'})")
    return 0


def _publish(args: argparse.Namespace) -> int:
    """Build the demo store when the configuration names it, then publish the store's
    current snapshot (what ``make serve`` runs once before starting the app processes)."""
    from geo.demo.build import ensure_demo_store

    config = load_config(args.config)
    with store_lock(config.store_path):
        ensure_demo_store(config)
    if not Path(config.store_path).is_file():
        print(f"no store at {config.store_path} yet: nothing to publish")
        return 0
    path = _shared(config).publish()
    print(f"published {path}")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if config.path == DEMO_CONFIG_PATH.resolve():
        # the shipped configuration names the demo generator's store; a store the
        # generator marked refuses every file anyway (geo.ingest.pipeline.ingest_bytes)
        print(f"error: {DEMO_STORE_REFUSAL} (--config or PLACESAFE_CONFIG)", file=sys.stderr)
        return 2
    area = load_study_area(config.study_area)
    refused = False
    results = []
    with _writing_store(config) as store:
        for name in args.files:
            path = Path(name)
            if not path.is_file():
                print(f"{path}: no such file", file=sys.stderr)
                refused = True
                continue
            if args.kind == ARCHIVE or (args.kind is None and path.suffix.lower() == ".zip"):
                archive = ingest_archive(store, config, area, path, who=args.who,
                                         dry_run=args.check)  # fmt: skip
                refused |= not archive.ok
                if args.json:
                    results.append(
                        {
                            "file_name": archive.file_name,
                            "error": archive.error,
                            "members": [r.to_dict() for r in archive.reports],
                            "outside_study_area": archive.outside,
                            "ignored": archive.ignored,
                        }
                    )
                else:
                    print(archive.summary())
                    for r in archive.reports:
                        print(f"  {r.summary()}")
                continue
            if args.kind is None or args.kind == ARCHIVE:
                print(f"{path}: --kind is needed for a file that is not a zip", file=sys.stderr)
                refused = True
                continue
            report = ingest_file(
                store,
                config,
                area,
                args.kind,
                path,
                who=args.who,
                profile=Path(args.profile) if args.profile else None,
                dry_run=args.check,
            )
            refused |= not report.ok
            if args.json:
                results.append(report.to_dict())
            else:
                print(report.summary())
                for rule, n in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
                    print(f"  rejected {n:>8,}  {rule}")
                for rule, n in report.duplicate_reasons.items():
                    print(f"  duplicate {n:>7,}  {rule}")
                for note in report.notes:
                    print(f"  {note}")
                for warning in report.warnings:
                    print(f"  note: {warning}")
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2, default=str))
    return 1 if refused else 0


def _fetch(args: argparse.Namespace) -> int:
    """Fetch public police data for the study area from the data.police.uk API."""
    from geo.core.errors import FetchError
    from geo.ingest.fetch import API, fetch_police_uk, months_between

    config = load_config(args.config)
    area = load_study_area(config.study_area)
    out = Path(args.out) if args.out else config.path.parent / "downloads" / "police-uk"
    try:
        months = months_between(args.months)
        report = fetch_police_uk(
            area,
            months,
            out,
            base_url=args.base_url or API,
            progress=None if args.json else (lambda line: print(line, flush=True)),
        )
    except FetchError as exc:
        return _fail(args, "error", str(exc), 2)
    if args.json:
        print(json.dumps({"files": [str(f) for f in report.files], "requests": report.requests,
                          "cached": report.cached, "rows": report.rows}))  # fmt: skip
    else:
        print(report.summary())
        print(f"next: python -m geo --config {config.path} ingest --kind police_street "
              f"{out}/*/*-street.csv")  # fmt: skip
    return 0


def _shared(config: Config) -> SharedStore:
    """The store as every process shares it (:mod:`geo.store.shared`)."""
    return SharedStore(config.store_path, audit=config.audit_settings())


def _reading_store(config: Config) -> Store:
    """The current published snapshot, read-only: it works while the app runs, and while
    a load is being written (the load's data appear once it is published)."""
    if not Path(config.store_path).is_file():  # says there is no store yet
        return Store(config.store_path, read_only=True, audit=config.audit_settings())
    return _shared(config).reader()


def _writing_store(config: Config) -> Store:
    """The store for commands that write: reads from the current snapshot, each write
    (a batch, a rollback, an audit event) made under the writers' lock and published."""
    return _shared(config).reader()


def _batches(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with _reading_store(config) as store:
        frame = store.batches()
    if args.json:
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        print(frame.to_string(index=False) if len(frame) else "no batches")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with _writing_store(config) as store:
        removed = store.rollback(args.batch, who=args.who)
    print(f"batch {args.batch} rolled back: {removed:,} rows removed")
    return 0


def _hotspots(args: argparse.Namespace) -> int:
    from geo.core.filters import Filters
    from geo.lenses.hotspot_report import (
        TREND_RESOLUTION,
        report_records,
        run_hotspots,
        trend_window,
    )
    from geo.store.place_names import place_names
    from geo.store.queries import available_months

    config = load_config(args.config)
    area = load_study_area(config.study_area)
    with _reading_store(config) as store:
        months = available_months(store)
        if not months:
            print("error: the store has no dated data", file=sys.stderr)
            return 2
        filters = Filters(args.month_from or months[0], args.month_to or months[-1])
        # as the Hot spots page: Gi* over the window, the trend over the 24 months to its
        # end, worked out at resolution 9 and shown at --res
        trend = trend_window(filters, months)
        report = run_hotspots(
            store, area, args.layer, args.res, filters, args.period, args.k, not args.no_fdr,
            trend=trend, analysis_res=max(args.res, TREND_RESOLUTION),
        )  # fmt: skip
        records = report_records(report)
        names = place_names(store, [str(r["cell"]) for r in records], args.res)
    for record, name in zip(records, names, strict=True):
        record["name"] = name
    payload = {
        "layer": args.layer,
        "resolution": args.res,
        "period": args.period,
        "from": filters.month_from,
        "to": filters.month_to,
        "trend_from": trend.month_from,
        "trend_to": trend.month_to,
        "k": args.k,
        "fdr": not args.no_fdr,
        "periods": report.periods,
        "messages": [
            m for m in (report.grid_warning, report.gi_message, report.emerging_message) if m
        ],
        "cells": records,
    }
    text = json.dumps(payload, indent=None if args.json else 2, default=str)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{len(payload['cells']):,} cells written to {args.out}")
    elif args.json:
        print(text)
    else:
        _print_hotspots(payload, report)
    return 0


def _print_hotspots(payload: dict[str, Any], report: Any) -> None:
    """The text form of ``hotspots --json``: the window, Gi* and trend tallies, the hot list."""
    cells = pd.DataFrame(payload["cells"])
    events = int(cells["events"].sum()) if len(cells) else 0
    print(
        f"{payload['layer']} at resolution {payload['resolution']}, {payload['from']} to "
        f"{payload['to']} ({payload['periods']} {payload['period']}s): {len(cells):,} cells, "
        f"{events:,} events"
    )
    if "gi_bin" in cells:
        hot, cold = int((cells["gi_bin"] > 0).sum()), int((cells["gi_bin"] < 0).sum())
        fdr = "with" if payload["fdr"] else "without"
        print(f"Gi* over the window ({fdr} FDR): {hot:,} hot-spot cells, {cold:,} cold-spot cells")
    if "category" in cells:
        tally = cells.loc[cells["code"] != 0, "category"].value_counts()
        print(
            "Emerging hot spot categories: "
            + (", ".join(f"{name} {n:,}" for name, n in tally.items()) or "no pattern in any cell")
        )
    named = dict(zip(cells["cell"], cells["name"], strict=True)) if len(cells) else {}
    if "hot_periods" in cells:
        recurring = cells.loc[cells["hot_periods"] > 0].sort_values("hot_periods", ascending=False)
        print(f"Cells hot in at least one {payload['period']}: {len(recurring):,}")
        for row in recurring.head(10).itertuples():
            print(f"  {row.name} ({row.cell}): hot in {row.hot_periods} of {payload['periods']}")
    for row in report.hot_list().itertuples():
        print(f"  {named.get(row.cell, row.cell)} ({row.cell}): {row.category}. {row.finding}")
    for message in payload["messages"]:
        print(f"note: {message}")


def _window(store: Store, args: argparse.Namespace) -> Filters | None:
    from geo.core.filters import Filters
    from geo.store.queries import available_months

    months = available_months(store)
    if not months:
        return None
    return Filters(args.month_from or months[0], args.month_to or months[-1])


def _recurring(args: argparse.Namespace) -> int:
    from geo.lenses.recurring import RankingSettings, rank_recurring_locations

    config = load_config(args.config)
    area = load_study_area(config.study_area)
    with _reading_store(config) as store:
        filters = _window(store, args)
        if filters is None:
            print("error: the store has no dated data", file=sys.stderr)
            return 2
        ranking = rank_recurring_locations(store, area, filters, RankingSettings(res=args.res))
    top = ranking.head(args.top)
    records = top[["rank", "place", "cell", "score", "category", "escalate", "reasons"]]
    if args.json:
        payload = {
            "resolution": args.res,
            "from": filters.month_from,
            "to": filters.month_to,
            "places": records.rename(columns={"place": "name"}).to_dict(orient="records"),
        }
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(
            f"Recurring locations at resolution {args.res}, {filters.month_from} to "
            f"{filters.month_to} (top {len(records)} of {len(ranking)})"
        )
        for row in records.itertuples(index=False):
            flag = " [ESCALATE]" if row.escalate else ""
            print(f"{row.rank:>3}. {row.place}  ({row.cell})")
            print(f"     score {row.score:.2f} · {row.category}{flag}")
            print(f"     {row.reasons}")
    return 0


def _knox(args: argparse.Namespace) -> int:
    from geo.lenses.recurring import (
        NEAR_REPEAT_NOUNS,
        month_precision_note,
        timed_events_bng,
        untimed_in_window,
    )
    from geo.stats.knox import knox
    from geo.stats.knox_verdict import verdict

    config = load_config(args.config)
    words = NEAR_REPEAT_LAYERS[args.layer]
    with _reading_store(config) as store:
        filters = _window(store, args)
        if filters is None:
            print("error: the store has no dated data", file=sys.stderr)
            return 2
        events = timed_events_bng(store, filters, args.layer)
        incidents = args.layer == "incidents"
        note = month_precision_note(untimed_in_window(store, filters)) if incidents else ""
    if len(events) < 3:
        raise InsufficientDataError(
            f"{len(events):,} {words} dated to the day in {filters.month_from} to "
            f"{filters.month_to}; the Knox test needs at least 3. {note}".strip()
        )
    result = knox(
        events["x"].to_numpy(),
        events["y"].to_numpy(),
        events["day"].to_numpy(),
        spatial_band_m=args.distance,
        n_spatial=args.n_spatial,
        temporal_band_days=args.days,
        n_temporal=args.n_temporal,
        permutations=args.permutations,
        seed=args.seed,
    )
    if args.json:
        payload = {
            "events": result.n_events,
            "verdict": verdict(result, events=NEAR_REPEAT_NOUNS[args.layer]),
            "observed": result.observed.to_dict(),
            "expected": result.expected.round(3).to_dict(),
            "ratio": result.ratio.round(3).to_dict(),
            "p": result.p.round(4).to_dict(),
            "from": filters.month_from,
            "to": filters.month_to,
            "note": note,
        }
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(f"{result.n_events:,} dated {words}, {filters.month_from} to {filters.month_to}")
        print(verdict(result, events=NEAR_REPEAT_NOUNS[args.layer]))
        if note:
            print(f"note: {note}")
        print("\nKnox ratios (observed / expected):")
        print(result.ratio.round(2).to_string())
        print("\nMonte Carlo p-values:")
        print(result.p.round(3).to_string())
    return 0


def _briefing(args: argparse.Namespace) -> int:
    from geo.core.errors import PackError
    from geo.demo.build import ensure_demo_store
    from geo.render.briefing import build_pack, pack_html, pack_pdf, seven_minute_pdf

    config = load_config(args.config)
    ensure_demo_store(config)
    area = load_study_area(config.study_area)
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        print("error: --out must name a .pdf file", file=sys.stderr)
        return 2
    outputs = {
        "review pack (PDF)": out,
        "review pack (HTML)": out.with_suffix(".html"),
        "7-minute briefing (PDF)": out.with_name(out.stem + "-7-minute-briefing.pdf"),
    }
    with _writing_store(config) as store:
        try:
            pack = build_pack(store, area, config, args.period, args.audience)
        except PackError as exc:
            if str(exc).startswith("not enough data"):
                return _fail(args, "not_enough_data", str(exc), 3)
            return _fail(args, "error", str(exc), 2)
        out.parent.mkdir(parents=True, exist_ok=True)
        outputs["review pack (PDF)"].write_bytes(pack_pdf(pack))
        outputs["review pack (HTML)"].write_text(pack_html(pack), encoding="utf-8")
        outputs["7-minute briefing (PDF)"].write_bytes(seven_minute_pdf(pack))
        for what in outputs:
            store.audit(
                args.who,
                args.audience,
                "export",
                page="briefing (command line)",
                detail={"what": what, "quarter": pack.quarter},
            )
    if args.json:
        payload = {"quarter": pack.quarter, "audience": args.audience}
        print(json.dumps({**payload, "files": {k: str(v) for k, v in outputs.items()}}))
    else:
        for what, path in outputs.items():
            print(f"{what}: {path}")
    return 0


def _verify_audit(args: argparse.Namespace) -> int:
    """Verify the audit log against its key and head file (exit 1 when it fails)."""
    config = load_config(args.config)
    check = _shared(config).live_audit_check()
    if args.json:
        print(json.dumps({"ok": check.ok, "first_bad_event": check.first_bad_event,
                          "reason": check.reason, "events": check.events,
                          "legacy_events": check.legacy_events}))  # fmt: skip
    else:
        print(check.summary())
    return 0 if check.ok else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m geo", description="PlaceSafe command line")
    parser.add_argument("--config", help="configuration TOML (default: $PLACESAFE_CONFIG or demo)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="generate the synthetic demo and build its store")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output folder (default data/demo/generated)")
    p.add_argument("--null", action="store_true", help="plant no signals (null model)")
    p.set_defaults(func=_demo)

    p = sub.add_parser("publish", help="publish the store's snapshot (building the demo first)")
    p.set_defaults(func=_publish)

    p = sub.add_parser("ingest", help="validate and store partner files")
    p.add_argument(
        "--kind",
        choices=(*KINDS, ARCHIVE),
        help=f"kind of file; a .zip is read as a data.police.uk archive ({ARCHIVE})",
    )
    p.add_argument("--profile", help="column-mapping profile TOML for mapped kinds")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument("--check", action="store_true", help="validate only, store nothing")
    p.add_argument("--who", default="cli", help="pseudonymous id recorded on the batch")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=_ingest)

    p = sub.add_parser("fetch", help="fetch public police data for the study area")
    p.add_argument("source", choices=["police-uk"], help="police-uk: data.police.uk's API")
    p.add_argument("--months", required=True, help="YYYY-MM:YYYY-MM (or one month)")
    p.add_argument("--out", help="folder for the CSV files (default: downloads/police-uk)")
    p.add_argument("--base-url", help="API root (default https://data.police.uk/api)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_fetch)

    p = sub.add_parser("batches", help="list ingest batches")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_batches)

    p = sub.add_parser("rollback", help="remove a live batch's rows")
    p.add_argument("batch", type=int)
    p.add_argument("--who", default="cli")
    p.set_defaults(func=_rollback)

    p = sub.add_parser("hotspots", help="Gi* and emerging hot spots per cell")
    p.add_argument("--layer", default="incidents", choices=list(CUBE_LAYERS))
    p.add_argument("--res", type=int, default=9, choices=[7, 8, 9, 10])
    p.add_argument("--period", default="month", choices=["month", "quarter"])
    p.add_argument("--from", dest="month_from", help="first month YYYY-MM (default: all)")
    p.add_argument("--to", dest="month_to", help="last month YYYY-MM (default: all)")
    p.add_argument("--k", type=int, default=1, choices=[1, 2])
    p.add_argument("--no-fdr", action="store_true", help="bins without FDR correction")
    p.add_argument("--json", action="store_true", help="per-cell results as JSON on stdout")
    p.add_argument("--out", help="write the JSON to this file")
    p.set_defaults(func=_hotspots)

    p = sub.add_parser("recurring", help="the recurring-location ranking with reasons")
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--res", type=int, default=9, choices=[7, 8, 9, 10])
    p.add_argument("--from", dest="month_from", help="first month YYYY-MM (default: all)")
    p.add_argument("--to", dest="month_to", help="last month YYYY-MM (default: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_recurring)

    p = sub.add_parser("knox", help="Knox near-repeat test on timed incidents or A&E assaults")
    p.add_argument("--layer", default="incidents", choices=list(NEAR_REPEAT_LAYERS))
    p.add_argument("--distance", type=float, default=100.0, help="spatial band width, metres")
    p.add_argument("--n-spatial", type=int, default=5)
    p.add_argument("--days", type=int, default=7, help="temporal band width, days")
    p.add_argument("--n-temporal", type=int, default=4)
    p.add_argument("--permutations", type=int, default=999)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--from", dest="month_from", help="first month YYYY-MM (default: all)")
    p.add_argument("--to", dest="month_to", help="last month YYYY-MM (default: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_knox)

    p = sub.add_parser("briefing", help="quarterly review pack (PDF + HTML) and 7-minute briefing")
    p.add_argument(
        "--period", default="latest", help="quarter, e.g. 2025Q1, or latest (the default)"
    )
    p.add_argument("--audience", default=Role.PARTNERSHIP, choices=[Role.PARTNERSHIP, Role.ANALYST])
    p.add_argument("--out", required=True, help="PDF path; the HTML and briefing go beside it")
    p.add_argument("--who", default="cli", help="pseudonymous id recorded in the audit log")
    p.add_argument("--json", action="store_true", help="what was written, as JSON")
    p.set_defaults(func=_briefing)

    p = sub.add_parser("verify-audit", help="check the audit log's MAC chain and head file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_verify_audit)

    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except InsufficientDataError as exc:
        return _fail(args, "not_enough_data", f"not enough data: {exc}", 3)
    except (ConfigError, StoreError, BoundaryError) as exc:
        return _fail(args, "error", str(exc), 2)


def _fail(args: argparse.Namespace, reason: str, message: str, code: int) -> int:
    """Say why a command stopped: one line on stderr, and with ``--json`` an object on stdout
    (``{"error": ..., "reason": ...}``) so that a script always reads JSON."""
    print(f"error: {message}" if reason == "error" else message, file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": message, "reason": reason}))
    return code


if __name__ == "__main__":
    sys.exit(main())
