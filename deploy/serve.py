"""Serve PlaceSafe on every core: N ``streamlit run app.py`` processes behind Caddy.

Each app process listens on its own loopback port (``--first-port``, ``--first-port`` + 1,
...); Caddy listens on ``--listen`` and sends each browser to one process for the whole of
its session (a cookie: ``lb_policy cookie``), websockets included. All processes read the
same published store snapshot and switch to a newer one when a load publishes it
(:mod:`geo.store.shared`); loads and audit events are written under the store's writer
lock, by whichever process (or the command line) makes them.

Run: ``make serve`` (``make serve PROCESSES=3``), or
``python deploy/serve.py --processes 2 --listen 127.0.0.1:8501``. Ctrl-C (or SIGTERM)
stops Caddy and every app process.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "Caddyfile.template"

__all__ = ["Serving", "caddyfile", "main", "start"]


def caddyfile(
    upstream_ports: Sequence[int],
    site: str,
    hosts: Sequence[str] = ("127.0.0.1", "localhost"),
    cookie_secret: str = "",
    bind: str = "127.0.0.1",
) -> str:
    """The Caddyfile for ``upstream_ports`` behind ``site`` (``deploy/Caddyfile.template``).

    Parameters
    ----------
    upstream_ports : sequence of int
        The app processes' ports on 127.0.0.1.
    site : str
        Caddy's site address, e.g. ``http://:8501`` or ``placesafe.example.org``.
    hosts : sequence of str
        The host names allowed through (any other Host header gets 421).
    cookie_secret : str
        Secret for the sticky cookie's HMAC (empty: the upstream's plain hash).
    bind : str
        The interface Caddy listens on.
    """
    upstreams = " ".join(f"127.0.0.1:{p}" for p in upstream_ports)
    return (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("@SITE@", site)
        .replace("@BIND@", bind)
        .replace("@UPSTREAMS@", upstreams)
        .replace("@HOSTS@", " ".join(hosts))
        .replace("@COOKIE_SECRET@", cookie_secret)
    )


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app process on port {port} exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the app process on port {port} did not become healthy")


class Serving:
    """The running app processes and Caddy (see :func:`start`).

    Attributes
    ----------
    apps : list of Popen
        The app processes, in port order.
    ports : list of int
        Their ports on 127.0.0.1.
    caddy : Popen
        The proxy.
    """

    def __init__(
        self,
        apps: list[subprocess.Popen[bytes]],
        ports: list[int],
        caddy: subprocess.Popen[bytes] | None,
        workdir: Path,
    ) -> None:
        self.apps = apps
        self.ports = ports
        self.caddy = caddy
        self.workdir = workdir

    def stop(self, timeout: float = 10.0) -> None:
        """Stop Caddy, then every app process (SIGTERM, then SIGKILL after ``timeout``)."""
        procs = ([self.caddy] if self.caddy else []) + self.apps
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start(
    processes: int,
    listen: str = "127.0.0.1:8501",
    first_port: int = 8601,
    hosts: Sequence[str] = ("127.0.0.1", "localhost"),
    env: dict[str, str] | None = None,
    caddy: str = "caddy",
    app_args: Sequence[str] = (),
    quiet: bool = False,
) -> Serving:
    """Start ``processes`` app processes and Caddy in front of them.

    Parameters
    ----------
    processes : int
        How many ``streamlit run app.py`` processes.
    listen : str
        Caddy's address (``host:port``; plain HTTP on loopback: TLS is for the real host
        name, README "Deployment").
    first_port : int
        The first app process's port; the others follow it.
    hosts : sequence of str
        Host names Caddy lets through.
    env : dict, optional
        The app processes' environment (default: this one's).
    caddy : str
        The Caddy executable.
    app_args : sequence of str
        Extra ``streamlit run`` options for every process.
    quiet : bool
        Send the processes' output to files in the work directory, not this terminal.
    """
    env = dict(os.environ if env is None else env)
    env.setdefault("MALLOC_ARENA_MAX", "2")
    # the app refuses to run without login when the world can reach it: through the proxy
    # (ui.auth.PUBLIC_ADDRESS_ENV)
    env["PLACESAFE_PUBLIC_ADDRESS"] = listen.rpartition(":")[0] or "0.0.0.0"
    # one cookie secret for all processes: Streamlit's XSRF token and st.login's cookie
    # must verify on whichever process a (re)connecting browser reaches
    cookie_secret = env.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32)
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = cookie_secret
    workdir = Path(tempfile.mkdtemp(prefix="placesafe-serve-"))
    ports = [first_port + i for i in range(processes)]
    apps: list[subprocess.Popen[bytes]] = []
    serving = Serving(apps, ports, None, workdir)
    streamlit = str(Path(sys.executable).with_name("streamlit"))
    try:
        for port in ports:
            out = open(workdir / f"app-{port}.log", "wb") if quiet else None  # noqa: SIM115
            apps.append(
                subprocess.Popen(
                    [streamlit, "run", str(ROOT / "app.py"), "--server.port", str(port),
                     "--server.address", "127.0.0.1", "--server.headless", "true",
                     *app_args],  # fmt: skip
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT if quiet else None,
                    start_new_session=True,  # Ctrl-C reaches them through stop(), in order
                )
            )
        for port, proc in zip(ports, apps, strict=True):
            _wait_healthy(port, proc, timeout=300)
        config = workdir / "Caddyfile"
        host, _, port_text = listen.rpartition(":")
        config.write_text(
            caddyfile(ports, f"http://:{port_text}", hosts, cookie_secret[:32], bind=host),
            encoding="utf-8",
        )
        caddy_env = {**os.environ, "XDG_DATA_HOME": str(workdir), "XDG_CONFIG_HOME": str(workdir)}
        caddy_out = open(workdir / "caddy.log", "wb") if quiet else None  # noqa: SIM115
        serving.caddy = subprocess.Popen(
            [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=caddy_env,
            stdout=caddy_out,
            stderr=subprocess.STDOUT if quiet else None,
            start_new_session=True,
        )
        _wait_proxy(listen, serving.caddy)
    except BaseException:
        serving.stop()
        raise
    return serving


def _wait_proxy(listen: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"caddy exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(f"http://{listen}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError("caddy did not start answering")


def main(argv: Sequence[str] | None = None) -> int:
    """Start serving and wait until Ctrl-C or SIGTERM, then stop everything."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--listen", default="127.0.0.1:8501", help="Caddy's host:port")
    parser.add_argument("--first-port", type=int, default=8601)
    parser.add_argument(
        "--host", action="append", dest="hosts",
        help="a host name Caddy lets through (repeat; default: the loopback names)",
    )  # fmt: skip
    parser.add_argument("--caddy", default="caddy")
    args = parser.parse_args(argv)
    hosts = args.hosts or ["127.0.0.1", "localhost"]
    serving = start(args.processes, args.listen, args.first_port, hosts, caddy=args.caddy)
    print(f"PlaceSafe: {args.processes} app process(es) on ports {serving.ports[0]}-"
          f"{serving.ports[-1]}, behind Caddy at http://{args.listen} (Ctrl-C stops)",
          flush=True)  # fmt: skip

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        while True:
            for proc in [serving.caddy, *serving.apps]:
                if proc is not None and proc.poll() is not None:
                    print(f"a process exited ({proc.args[0]}): stopping", file=sys.stderr)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("stopping…", flush=True)
        return 0
    finally:
        serving.stop()


if __name__ == "__main__":
    sys.exit(main())
