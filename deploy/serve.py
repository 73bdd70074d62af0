"""Serve PlaceSafe with several app processes behind Caddy (``make serve``).

One Streamlit process runs every session's script in threads that take turns on
Python's global interpreter lock, so it uses one core however many the machine has.
This starts ``--processes`` app processes (default: one per core) on consecutive
loopback ports from ``--base-port`` and Caddy in front on ``--port``, with sticky
sessions: Caddy's ``lb_policy cookie`` sends a browser's page, websocket, uploads and
media to the process that holds its session (Streamlit keeps a session in one process).
Every process reads the same published store snapshot (``geo/store/shared.py``): a load
made on the Data page of any process, or with ``python -m geo ingest``, is published
once and every process picks it up on its next run.

The Caddyfile is written from ``deploy/Caddyfile.template`` to a temporary folder.
Ctrl-C (or SIGTERM) stops Caddy and every app process. Run:
``python deploy/serve.py --processes 2 --port 8501`` (``make serve PROCESSES=2``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("Caddyfile.template")
HEALTH_TIMEOUT_S = 180


def caddyfile(address: str, port: int, upstreams: list[str]) -> str:
    """The Caddyfile for ``upstreams`` (``host:port``), listening on ``address:port``."""
    text = TEMPLATE.read_text(encoding="utf-8")
    return (
        text.replace("{{address}}", address)
        .replace("{{port}}", str(port))
        .replace("{{upstreams}}", " ".join(upstreams))
    )


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=3) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _wait(url: str, procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while not _healthy(url):
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not healthy within {HEALTH_TIMEOUT_S} s")
        time.sleep(0.3)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--port", type=int, default=8501, help="Caddy's port")
    parser.add_argument("--base-port", type=int, default=8601, help="first app process's port")
    parser.add_argument("--address", default="127.0.0.1", help="Caddy's address")
    parser.add_argument("--log-dir", type=Path, default=None, help="app and Caddy logs")
    args = parser.parse_args()
    caddy = shutil.which("caddy")
    if caddy is None:
        print("caddy is not installed (apt-get install caddy)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="placesafe-serve-"))
    logs = args.log_dir or work
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MALLOC_ARENA_MAX=os.environ.get("MALLOC_ARENA_MAX", "2"))
    # build the demo store (when it is the demo) once, before the processes start
    subprocess.run([sys.executable, "-m", "geo", "publish"], cwd=ROOT, env=env, check=True)
    procs: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    upstreams = []
    for n in range(args.processes):
        port = args.base_port + n
        upstreams.append(f"127.0.0.1:{port}")
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true", "--server.address", "127.0.0.1",
            "--server.port", str(port), "--server.fileWatcherType", "none",
        ]  # fmt: skip
        with (logs / f"app-{port}.log").open("wb") as log:
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT))  # fmt: skip
    config = work / "Caddyfile"
    config.write_text(caddyfile(args.address, args.port, upstreams), encoding="utf-8")
    with (logs / "caddy.log").open("wb") as log:
        procs.append(subprocess.Popen(
            [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=dict(env, HOME=str(work), XDG_DATA_HOME=str(work), XDG_CONFIG_HOME=str(work)),
            stdout=log, stderr=subprocess.STDOUT,
        ))  # fmt: skip
    try:
        for upstream in upstreams:
            _wait(f"http://{upstream}", procs)
        _wait(f"http://{args.address}:{args.port}", procs)
    except RuntimeError as exc:
        print(f"serve: {exc} (logs in {logs})", file=sys.stderr)
        stop()
    print(
        f"PlaceSafe: http://{args.address}:{args.port} ({args.processes} app processes on "
        f"ports {args.base_port}-{args.base_port + args.processes - 1}; logs in {logs})",
        flush=True,
    )
    while all(p.poll() is None for p in procs):
        time.sleep(1)
    print("serve: a process stopped; stopping the others", file=sys.stderr)
    stop()
    return 1


if __name__ == "__main__":
    sys.exit(main())
