"""Shared harness of the real-browser tests: the chromium binary and its flags, and a
Streamlit server on a free loopback port that is always stopped by its process group."""

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

import pytest
from playwright.sync_api import Browser, sync_playwright

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
