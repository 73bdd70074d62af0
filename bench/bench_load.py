"""Benchmark: 20 concurrent sessions changing filters on Overview and Hot spots.

Targets (issue 4): p95 rerun under 2 s, no failed session, and the server's memory (RSS of the
streamlit process and its children) back within 20 % of its starting level after the sessions
close.

Builds a fresh demo (seed 0) in a temporary directory, starts ``streamlit run app.py`` on a
free 127.0.0.1 port with ``PLACESAFE_CONFIG`` pointing at it, and runs the sessions
concurrently (asyncio) with ``_load_client``, which speaks Streamlit's websocket protocol
(``/_stcore/stream``, BackMsg/ForwardMsg protobufs) the way the browser's frontend does.

Why not 20 chromium contexts (the issue's option A): on this 2-core machine one chromium with
20 contexts used about 5x the server's CPU time (≈250 vs ≈50 CPU-seconds in a 200 s run), so
first page loads took ≈40 s and most of a "rerun" was the browser drawing Leaflet maps; the app
root's script-state attribute often never showed "running" under load (the states were
batched), so a finished run could not be told from one not yet started. The protocol client
measures the server: a rerun is timed from sending ``rerun_script`` to receiving
``script_finished``, i.e. the script run plus the delivery of all its output (maps included;
drawing them is the browser's business). The single real-browser check stays in
tests/e2e/test_browser.py.

Each session opens the app (answering the purpose prompt if the app asks) and makes the same
ten changes (``plan``), each after a think time (``--think``, default 0.5-2 s, seeded; a stress
level: 20 such users ask for far more reruns than 20 people reading maps): on Overview
resolution 10, add an incident category, resolution 9; open Hot spots, time step quarter, rings
2, time step month; back to Overview, view as partnership, view as analyst (last, because the
partnership view fixes the window to one quarter). Sessions pick their category from
``--categories`` of them (default 4), so the shared caches see more than one user's worth of
filter combinations. Each change is checked to have taken effect (query string, page, widgets
drawn). A session fails if a run takes longer than 60 s, the websocket closes, a change has no
effect, or the app shows an exception.

Memory: "start" is the server's RSS after one warm-up session (same plan, not timed) has loaded
the app's modules, the store and the caches, and closed; "peak" is sampled every 0.25 s from
then on; "after close" is taken ``--after-close`` seconds (default 15) after every session
closed. Streamlit keeps a disconnected session for 2 minutes for reconnects, and the
``st.cache_data`` entries the sessions filled (shared by all sessions) stay until evicted; both
are still counted in "after close" (``--past-reconnect-window`` also measures once the sessions
are dropped). Each session runs its script in its own thread, and glibc keeps the per-thread
malloc arenas: run with ``MALLOC_ARENA_MAX=2`` in the environment (the server inherits it) to
see how much of "after close" is allocator retention rather than live objects.

The very first session on a freshly started server is opened (and checked) before the warm-up
and reported separately, because that one run takes Streamlit's legacy multipage path (there is
a ``pages/`` folder) and gives the widgets ids no later run uses.

Run: ``PYTHONPATH=. .venv/bin/python bench/bench_load.py`` (about a minute and a half).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _common import ROOT, print_table
from _load_client import RunResult, Session

HOST = "127.0.0.1"
HEALTH_TIMEOUT_S = 120
RUN_TIMEOUT_S = 60.0
THINK_S = (0.5, 2.0)
P95_TARGET_S = 2.0
RSS_TARGET_PCT = 20.0
SESSIONS_TARGET = 20
RECONNECT_WINDOW_S = 120  # streamlit.runtime.memory_session_storage default ttl
CATEGORIES = (  # labels of geo.core.schema.INCIDENT_CATEGORIES, as the multiselect sends them
    "Violence with injury", "Robbery", "Drugs", "Anti-social behaviour", "Public order",
    "Knife crime", "Possession of weapons", "Violence without injury", "Sexual offence",
    "Harmful sexual behaviour", "Exploitation concern", "Other",
)
RES_LABELS = {9: "9 (about 0.1 km²)", 10: "10 (about 0.015 km²)"}


# --------------------------------------------------------------------------------------------
# server and memory
# --------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "<no server log>"


def start_server(config_path: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start the app on a free loopback port; return the process and its base URL."""
    port = _free_port()
    env = dict(os.environ, PLACESAFE_CONFIG=str(config_path))
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true",
        "--server.address", HOST,
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    return proc, f"http://{HOST}:{port}"


def start_served(
    config_path: Path, log_path: Path, processes: int
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``make serve``'s launcher (deploy/serve.py): ``processes`` app processes
    behind Caddy with sticky sessions; return the launcher (its process group holds
    them all) and Caddy's base URL."""
    port, base_port = _free_port(), _free_port()
    env = dict(os.environ, PLACESAFE_CONFIG=str(config_path))
    cmd = [
        sys.executable, str(ROOT / "deploy" / "serve.py"), "--processes", str(processes),
        "--listen", f"{HOST}:{port}", "--first-port", str(base_port),
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    return proc, f"http://{HOST}:{port}"


def backends(log_path: Path) -> list[str]:
    """The app processes' own URLs, from the launcher's "PlaceSafe: ... ports A-B" line."""
    import re

    found = re.search(r"on ports (\d+)-(\d+)", _tail(log_path))
    if not found:
        return []
    first, last = int(found.group(1)), int(found.group(2))
    return [f"http://{HOST}:{p}" for p in range(first, last + 1)]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def wait_healthy(proc: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{_tail(log_path)}")
        try:
            with _DIRECT.open(f"{base}/_stcore/health", timeout=5) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server not healthy within {HEALTH_TIMEOUT_S} s:\n{_tail(log_path)}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (it runs in its own session), by its pid."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and all its descendants, from /proc (MB)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total_kb, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def child_pids(pid: int) -> list[int]:
    """The direct children of ``pid`` (the app processes and Caddy under the launcher)."""
    return sorted(c for c, (ppid, _) in _proc_stats().items() if ppid == pid)


async def sample_peak(pid: int, stop: asyncio.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], tree_rss_mb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.25)


def _proc_stats() -> dict[int, tuple[int, float]]:
    """Every live process's parent and user + system CPU seconds, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return stats


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants (live ones), from /proc."""
    stats = _proc_stats()
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += stats.get(p, (0, 0.0))[1]
        todo.extend(c for c, (ppid, _) in stats.items() if ppid == p)
    return total


# --------------------------------------------------------------------------------------------
# sessions
# --------------------------------------------------------------------------------------------
Check = Callable[[Session, RunResult], bool]


@dataclass(frozen=True)
class Step:
    name: str
    changes: dict[str, Any] = field(default_factory=dict)
    page: str | None = None
    check: Check = lambda s, r: True


def plan(category: str) -> list[Step]:
    """The fixed sequence of changes every session makes (each one changes a value)."""

    def on(page: str, key: str) -> Check:
        return lambda s, r: s.page_hash == s.pages[page][0] and key in r.widget_keys

    return [
        Step("Overview: resolution 10", {"res": RES_LABELS[10]},
             check=lambda s, r: "res=10" in s.query_string.split("&")),
        Step("Overview: add a category", {"categories": [category]},
             check=lambda s, r: "cat=" in s.query_string),
        Step("Overview: resolution 9", {"res": RES_LABELS[9]},
             check=lambda s, r: "res=9" in s.query_string.split("&")),
        Step("Hot spots: open page", page="Hot spots", check=on("Hot spots", "hs_k")),
        Step("Hot spots: rings 2", {"hs_k": "2"}, check=on("Hot spots", "hs_k")),
        Step("Hot spots: rings 1", {"hs_k": "1"}, check=on("Hot spots", "hs_k")),
        Step("Overview: open page", page="Overview", check=on("Overview", "res")),
        # the partnership view draws a fixed quarter menu instead of the months slider
        Step("Overview: view as partnership", {"view_as": "partnership"},
             check=lambda s, r: "quarter_select" in r.widget_keys),
        Step("Overview: view as analyst", {"view_as": "analyst"},
             check=lambda s, r: "months_slider" in r.widget_keys),
    ]


@dataclass
class Timed:
    action: str
    seconds: float  # rerun_script sent -> script_finished received
    to_start: float  # rerun_script sent -> the run started (new_session received)
    megabytes: float  # ForwardMsgs received for the run


@dataclass
class SessionResult:
    index: int
    open_s: float | None = None
    reruns: list[Timed] = field(default_factory=list)
    error: str | None = None


def _problem(run: RunResult) -> str | None:
    if run.exceptions:
        return f"exception shown: {run.exceptions[0]}"
    if run.page_not_found:
        return "page not found"
    return None


async def run_session(
    base: str, index: int, category: str, think: tuple[float, float], together: asyncio.Barrier
) -> SessionResult:
    """One user: open the app, make every change in ``plan``, then wait for the others."""
    result = SessionResult(index)
    rng = random.Random(index)
    session = Session(base)
    action = "open the app"
    try:
        await session.connect()
        run = await session.rerun(timeout=RUN_TIMEOUT_S)
        result.open_s = run.seconds
        if "purpose_choice" in session.widgets:  # the analyst's purpose prompt, if enabled
            action = "answer the purpose prompt"
            purpose = session.widgets["purpose_choice"]
            run = await session.rerun(
                {"purpose_choice": purpose.options[0]}, submit=purpose.form_id,
                timeout=RUN_TIMEOUT_S,
            )
        if problem := _problem(run):
            raise RuntimeError(problem)
        for step in plan(category):
            action = step.name
            await asyncio.sleep(rng.uniform(*think))
            run = await session.rerun(step.changes, page=step.page, timeout=RUN_TIMEOUT_S)
            result.reruns.append(Timed(step.name, run.seconds, run.to_start, run.bytes / 1e6))
            if problem := _problem(run):
                raise RuntimeError(problem)
            if not step.check(session, run):
                raise RuntimeError(f"the change had no effect (query {session.query_string!r})")
    except Exception as exc:  # a failed session is a result, not a crash
        text = (str(exc).strip().splitlines() or [""])[0][:200]
        result.error = f"{action}: {type(exc).__name__}: {text}"
    try:
        await together.wait()  # every session stays connected until the last one is done
    finally:
        await session.close()
    return result


async def first_contact(base: str) -> str | None:
    """The very first session on a fresh server: open, change the resolution once.

    Returns what went wrong, if anything. (With a ``pages/`` folder next to ``app.py``,
    Streamlit's first run on a new server takes the legacy multipage path, so the widget ids
    of that one run differ from every later run's; a change sent with those ids is lost.)
    """
    session = Session(base)
    try:
        await session.connect()
        await session.rerun(timeout=RUN_TIMEOUT_S)
        first_ids = {k: w.id for k, w in session.widgets.items()}
        run = await session.rerun({"res": RES_LABELS[10]}, timeout=RUN_TIMEOUT_S)
        if problem := _problem(run):
            return problem
        if "res=10" not in session.query_string.split("&"):
            changed = sorted(k for k, w in session.widgets.items() if first_ids.get(k) != w.id)
            return (
                f"resolution 10 was lost (query {session.query_string!r}); widget ids changed "
                f"after the first run for {', '.join(changed) or 'no widget'}"
            )
        return None
    finally:
        await session.close()


async def run_sessions(
    base: str, n: int, categories: int, think: tuple[float, float], first_index: int = 0
) -> list[SessionResult]:
    """Run ``n`` sessions concurrently and close them all together at the end."""
    pool = CATEGORIES[: max(1, min(categories, len(CATEGORIES)))]
    together = asyncio.Barrier(n)
    return list(
        await asyncio.gather(
            *(
                run_session(base, first_index + i, pool[i % len(pool)], think, together)
                for i in range(n)
            )
        )
    )


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass
class Measures:
    rss: dict[str, float]
    wall_s: float
    server_cpu_s: float
    client_cpu_s: float
    after_close_s: float
    app_errors: int
    first_contact: str | None
    think: tuple[float, float]


def report(results: list[SessionResult], m: Measures) -> None:
    reruns = [r for s in results for r in s.reruns]
    secs = [r.seconds for r in reruns]
    failed = [s for s in results if s.error]
    p95 = _pct(secs, 95)
    change = 100 * (m.rss["after"] - m.rss["start"]) / m.rss["start"]
    steps = len(plan(CATEGORIES[0]))

    def ok(flag: bool) -> str:
        return "yes" if flag else "NO"

    print_table(
        [
            {"measure": "concurrent sessions", "value": len(results),
             "target": str(SESSIONS_TARGET), "ok": ok(len(results) >= SESSIONS_TARGET)},
            {"measure": "reruns timed", "value": len(secs),
             "target": f"{len(results)} x {steps}", "ok": ok(len(secs) == len(results) * steps)},
            {"measure": "rerun p50 s", "value": round(_pct(secs, 50), 3), "target": "",
             "ok": ""},
            {"measure": "rerun p95 s", "value": round(p95, 3), "target": f"< {P95_TARGET_S:g}",
             "ok": ok(p95 < P95_TARGET_S)},
            {"measure": "rerun max s", "value": round(max(secs, default=float("nan")), 3),
             "target": "", "ok": ""},
            {"measure": "failed sessions", "value": len(failed), "target": "0",
             "ok": ok(not failed)},
            {"measure": "server RSS at start MB", "value": round(m.rss["start"], 1),
             "target": "", "ok": ""},
            {"measure": "server RSS peak MB", "value": round(m.rss["peak"], 1), "target": "",
             "ok": ""},
            {"measure": f"server RSS {m.after_close_s:g} s after close MB",
             "value": round(m.rss["after"], 1), "target": "", "ok": ""},
            {"measure": "RSS after close vs start %", "value": f"{change:+.1f}",
             "target": f"within {RSS_TARGET_PCT:g} %", "ok": ok(abs(change) <= RSS_TARGET_PCT)},
        ]
    )
    print()
    rows = []
    for step in plan(CATEGORIES[0]):
        mine = [r for r in reruns if r.action == step.name]
        if not mine:
            continue
        s = [r.seconds for r in mine]
        rows.append({
            "action": step.name, "n": len(mine), "p50 s": round(_pct(s, 50), 3),
            "p95 s": round(_pct(s, 95), 3), "max s": round(max(s), 3),
            "p95 until run starts s": round(_pct([r.to_start for r in mine], 95), 3),
            "median MB sent": round(_pct([r.megabytes for r in mine], 50), 2),
        })
    print_table(rows)
    opens = [s.open_s for s in results if s.open_s is not None]
    print()
    print(
        f"Think time {m.think[0]:g}-{m.think[1]:g} s before each change. "
        f"First run on connect: p50 {_pct(opens, 50):.2f} s, max "
        f"{max(opens, default=float('nan')):.2f} s. Sessions ran {m.wall_s:.1f} s; CPU in that "
        f"time: server {m.server_cpu_s:.1f} s ({100 * m.server_cpu_s / m.wall_s:.0f} % of one "
        f"core, {os.cpu_count()} cores), load client {m.client_cpu_s:.1f} s. Server RSS "
        f"before any session {m.rss['idle']:.1f} MB, after the warm-up session "
        f"{m.rss['start']:.1f} MB."
    )
    if "past window" in m.rss:
        extra = 100 * (m.rss["past window"] - m.rss["start"]) / m.rss["start"]
        print(
            f"server RSS after Streamlit dropped the closed sessions (past its "
            f"{RECONNECT_WINDOW_S} s reconnect window): {m.rss['past window']:.1f} MB "
            f"({extra:+.1f} % vs start)"
        )
    if m.first_contact:
        print(f"first session after the server started (not timed): {m.first_contact}")
    if m.app_errors:
        print(f"the server log has {m.app_errors} 'Uncaught app execution' entries")
    for f in failed:
        print(f"session {f.index} FAILED at {f.error}")


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------
async def drive(pid: int, base: str, args: argparse.Namespace) -> tuple[list[SessionResult],
                                                                         Measures]:
    rss = {"idle": tree_rss_mb(pid)}
    first = await first_contact(base)
    think = (args.think[0], args.think[1])
    # one warm-up session per app process, straight to it (behind the proxy a session
    # reaches one process only, and the others would start the timed run cold)
    for n, url in enumerate(args.backends or [base]):
        warm = await run_sessions(url, 1, args.categories, THINK_S, first_index=1000 + n)
        if warm[0].error:
            raise RuntimeError(f"warm-up session failed at {warm[0].error}")
    await asyncio.sleep(2)
    rss["start"] = tree_rss_mb(pid)
    stop, peak = asyncio.Event(), [rss["start"]]
    sampler = asyncio.create_task(sample_peak(pid, stop, peak))
    cpu0, client0 = cpu_seconds(pid), resource.getrusage(resource.RUSAGE_SELF)
    t = time.monotonic()
    results = await run_sessions(base, args.sessions, args.categories, think)
    wall = time.monotonic() - t
    cpu1, client1 = cpu_seconds(pid), resource.getrusage(resource.RUSAGE_SELF)
    per_process = {c: round(cpu_seconds(c), 1) for c in child_pids(pid)}
    if len(per_process) > 1:
        print(f"CPU seconds per process under the launcher (since start): {per_process}")
    await asyncio.sleep(args.after_close)
    stop.set()
    await sampler
    rss["peak"] = peak[0]
    rss["after"] = tree_rss_mb(pid)
    if args.past_reconnect_window:
        # Disconnected sessions are kept 120 s for a reconnect and dropped lazily, when the
        # session store next changes: wait that out, then open and close one session.
        await asyncio.sleep(max(0.0, RECONNECT_WINDOW_S + 5 - args.after_close))
        probe = Session(base)
        await probe.connect()
        await probe.rerun(timeout=RUN_TIMEOUT_S)
        await probe.close()
        await asyncio.sleep(5)
        rss["past window"] = tree_rss_mb(pid)
    client_cpu = (client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime)
    return results, Measures(rss, wall, cpu1 - cpu0, client_cpu, args.after_close, 0, first,
                             think)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS_TARGET)
    parser.add_argument("--categories", type=int, default=4,
                        help="sessions pick their added category from this many (1-12)")
    parser.add_argument("--think", type=float, nargs=2, default=THINK_S, metavar=("MIN", "MAX"),
                        help="seconds a user waits before each change (uniform, seeded)")
    parser.add_argument("--after-close", type=float, default=15.0,
                        help="seconds to wait after the sessions close before measuring RSS")
    parser.add_argument("--processes", type=int, default=1,
                        help="app processes; above 1, behind Caddy as `make serve` runs them")
    parser.add_argument("--past-reconnect-window", action="store_true",
                        help="also measure RSS once Streamlit has dropped the closed sessions "
                        f"(after its {RECONNECT_WINDOW_S} s reconnect window; +2 minutes)")
    args = parser.parse_args()
    from geo.demo.build import build_demo

    with tempfile.TemporaryDirectory(prefix="placesafe-load-") as tmp:
        build = build_demo(Path(tmp) / "demo", seed=0)
        log_path = Path(tmp) / "server.log"
        if args.processes > 1:
            proc, base = start_served(build.out_dir / "placesafe.toml", log_path, args.processes)
        else:
            proc, base = start_server(build.out_dir / "placesafe.toml", log_path)
        try:
            wait_healthy(proc, base, log_path)
            while args.processes > 1 and "PlaceSafe:" not in _tail(log_path):
                time.sleep(0.3)  # the launcher says so once every app process answers
            args.backends = backends(log_path) if args.processes > 1 else []
            results, measures = asyncio.run(drive(proc.pid, base, args))
            log = log_path.read_text(encoding="utf-8", errors="replace")
            measures.app_errors = log.count("Uncaught app execution")
        except BaseException:
            print(f"server log tail:\n{_tail(log_path)}", file=sys.stderr)
            raise
        finally:
            stop_server(proc)
    print(f"App processes: {args.processes}" + (" (behind Caddy, sticky sessions)"
                                                   if args.processes > 1 else ""))
    report(results, measures)
    return 0  # a table, not a test: missed targets show as "NO"


if __name__ == "__main__":
    sys.exit(main())
