"""make serve: N app processes behind Caddy with sticky sessions (deploy/serve.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy import serve
from geo.demo.build import build_demo

pytestmark = pytest.mark.slow


def caddy() -> str:
    """The caddy executable; CI must have it (apt-get install -y caddy), elsewhere skip."""
    found = shutil.which("caddy")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("caddy is not installed (apt-get install -y caddy)")
        pytest.skip("caddy is not installed")
    return found


def test_the_caddyfile_names_every_process_with_a_sticky_cookie(tmp_path: Path) -> None:
    text = serve.caddyfile([8601, 8602, 8603], "http://:8501", ["placesafe.example.org"], "s3")
    assert "reverse_proxy 127.0.0.1:8601 127.0.0.1:8602 127.0.0.1:8603 {" in text
    assert "lb_policy cookie placesafe_lb s3" in text
    assert "not host placesafe.example.org" in text
    assert "@" not in text.replace("@unknown_host", "")  # every placeholder filled
    config = tmp_path / "Caddyfile"
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [caddy(), "validate", "--config", str(config), "--adapter", "caddyfile"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def get(url: str, headers: dict[str, str]) -> tuple[int, str | None]:
    """The status and the proxy's sticky cookie set by the response, if any."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as r:
            sticky = [c for c in r.headers.get_all("Set-Cookie") or []
                      if c.startswith("placesafe_lb=")]  # fmt: skip
            return r.status, sticky[0] if sticky else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_two_processes_behind_caddy_keep_a_browser_on_one_and_stop_together(
    tmp_path: Path,
) -> None:
    binary = caddy()
    build_demo(tmp_path / "demo", seed=0)
    env = {**os.environ, "PLACESAFE_CONFIG": str(tmp_path / "demo" / "placesafe.toml")}
    serving = serve.start(2, "127.0.0.1:18931", 18941, env=env, caddy=binary, quiet=True)
    try:
        status, cookie = get("http://127.0.0.1:18931/", {})
        assert status == 200 and cookie is not None and cookie.startswith("placesafe_lb=")
        jar = cookie.split(";")[0]
        for _ in range(3):  # with its cookie, a browser stays where it is: no new cookie
            assert get("http://127.0.0.1:18931/_stcore/health", {"Cookie": jar}) == (200, None)
        assert get("http://127.0.0.1:18931/", {"Host": "elsewhere.example"})[0] == 421
        procs = [serving.caddy, *serving.apps]
        assert all(p is not None and p.poll() is None for p in procs)
    finally:
        serving.stop()
    assert all(p is not None and p.poll() is not None for p in procs)
