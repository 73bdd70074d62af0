"""Shared harness of the real-browser tests: the chromium binary and its flags, and a
Streamlit server on a free loopback port that is always stopped by its process group;
for the persona suite also the app on its own freshly built demo store, a route handler
that keeps the browser offline and a "script settled" wait."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

if TYPE_CHECKING:
    from geo.demo.build import DemoBuild

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "app.py"
RESULTS = REPO_ROOT / "test-results"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium keeps dialling out on this closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEALTH_TIMEOUT_S = 120
# st_folium renders a v1 custom component: an iframe titled "streamlit_folium.st_folium"
# that itself carries data-testid="stCustomComponentV1" in Streamlit 1.67.
MAP_IFRAME = (
    'iframe[title*="streamlit_folium"], '
    'iframe[data-testid="stCustomComponentV1"], '
    '[data-testid="stCustomComponentV1"] iframe'
)
# Streamlit marks the app root with the script state: initial, running, notRunning, ...
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def on_ci() -> bool:
    """Whether the tests run in CI (where a missing browser is a failure, not a skip)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require_chromium() -> None:
    """Skip without Debian's chromium, or fail when CI=true."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found (apt-get install chromium)"
    if on_ci():
        pytest.fail(f"{reason}; CI=true, so the browser test must run", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, chars: int = 4000) -> str:
    """The end of a server log, for failure messages."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "<no server log>"


def wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Wait until Streamlit's health endpoint answers ok (fail with the log otherwise)."""
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"streamlit exited with code {proc.returncode} before it was healthy:\n"
                + tail(log),
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer ok within {HEALTH_TIMEOUT_S} s:\n{tail(log)}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and anything it started (it runs in its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextmanager
def running_app(
    log_name: str,
    env: Mapping[str, str],
    port: int | None = None,
    cwd: Path = REPO_ROOT,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """``streamlit run app.py`` on 127.0.0.1; yields its base URL and always stops it.

    The server log is written to ``test-results/<log_name>``.
    """
    assert APP.is_file(), f"app not found: {APP}"
    RESULTS.mkdir(exist_ok=True)
    log_path = RESULTS / log_name
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        *extra_args,
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(proc, f"{base}/_stcore/health", log_path)
            yield base
        finally:
            stop(proc)


@contextmanager
def chromium_browser() -> Iterator[Browser]:
    """Debian's chromium driven by Playwright (``playwright install`` cannot run here)."""
    require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------------------------
# Helpers of the persona suite (test_personas.py): an app on its own demo store, offline
# routing and "the script has finished" for pages that rerun after their maps are drawn.
# --------------------------------------------------------------------------------------------

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def only_local(route: Route) -> None:
    """Route handler: let requests to this machine through, abort every other one (the tests
    give the same result with or without internet access; map tiles simply stay grey)."""
    if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort()


@contextmanager
def demo_app(out_dir: Path, log_name: str, seed: int = 0) -> Iterator[tuple[str, DemoBuild]]:
    """Build the synthetic demo in ``out_dir`` (its own store, so it never collides with
    another app or store on this machine) and run the app on it on a free port.

    Yields the base URL (ending in ``/``) and the :class:`geo.demo.build.DemoBuild` (its
    ``truth`` holds the planted ground truth).
    """
    from geo.demo.build import build_demo

    build = build_demo(out_dir, seed=seed)
    env = dict(os.environ, PLACESAFE_CONFIG=str(build.out_dir / "placesafe.toml"))
    with running_app(log_name, env) as base:
        yield base + "/", build


def wait_settled(page: Page, timeout_s: float = 90, settle_s: float = 0.8) -> None:
    """Wait until the app script has been idle for ``settle_s`` without interruption
    (st_folium reruns the script once its map is drawn, so one idle moment is not enough)."""
    deadline = time.monotonic() + timeout_s
    idle_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if page.locator(APP_IDLE).count():
            idle_since = idle_since or now
            if now - idle_since >= settle_s:
                return
        else:
            idle_since = None
        page.wait_for_timeout(100)
    pytest.fail(f"the app script was still running after {timeout_s} s", pytrace=False)
