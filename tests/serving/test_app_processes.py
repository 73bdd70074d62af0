"""Two app processes over one published snapshot see a load published by a third
process, without a restart (issue 18).

Each "app process" is a separate Python process running the real app script
(``tests/app/app_entry.py``) through Streamlit's AppTest runtime and kept alive between
runs, as a server keeps its process-wide caches (``st.cache_resource``) between script
runs: it reads the Overview's "Incidents" tile, waits, and reads it again on its next
run. The third process is the command line's ``ingest``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.demo.borough import write_demo_boundary

REPO = Path(__file__).resolve().parents[2]
AUDIT_KEY = "placesafe-test-two-processes-" + "0" * 20

DRIVER = r"""
import sys
from streamlit.testing.v1 import AppTest

at = AppTest.from_file(sys.argv[1], default_timeout=180)
at.query_params.update({"from": "2024-01", "to": "2024-06"})
while True:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tiles = {m.label: m.value for m in at.metric}
    print("incidents", tiles["Incidents"], flush=True)
    if sys.stdin.readline().strip() != "again":
        break
"""


def _police_csv(path: Path, n: int, seed: int) -> None:
    """``n`` police.uk street rows inside the demo borough, in 2024-01..06."""
    rng = np.random.default_rng(seed)
    pd.DataFrame(
        {
            "Crime ID": [f"c{seed}-{i}" for i in range(n)],
            "Month": [f"2024-{m:02d}" for m in rng.integers(1, 7, n)],
            "Reported by": "Metropolitan Police Service",
            "Falls within": "Metropolitan Police Service",
            "Longitude": rng.uniform(0.01, 0.05, n).round(6),
            "Latitude": rng.uniform(51.525, 51.545, n).round(6),
            "Location": "On or near Test Street",
            "LSOA code": "E01000001",
            "LSOA name": "Test 001A",
            "Crime type": "Robbery",
            "Last outcome category": "Under investigation",
            "Context": "",
        }
    ).to_csv(path, index=False)


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    write_demo_boundary(tmp_path / "boundary.geojson")
    config = tmp_path / "placesafe.toml"
    config.write_text(
        '[store]\npath = "store.duckdb"\n\n[study_area]\nboundary = "boundary.geojson"\n'
        'name = "Two processes"\n\n[app]\ndemo = false\nallow_local_real_data = true\n'
        "ask_purpose = false\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PLACESAFE_CONFIG": str(config),
           "PLACESAFE_AUDIT_KEY": AUDIT_KEY}  # fmt: skip
    yield config, env


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _app(env: dict[str, str]) -> subprocess.Popen[str]:
    entry = str(REPO / "tests" / "app" / "app_entry.py")
    return subprocess.Popen([sys.executable, "-c", DRIVER, entry], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env, cwd=REPO)  # fmt: skip


def _tile(app: subprocess.Popen[str]) -> str:
    assert app.stdout is not None
    line = app.stdout.readline().strip()
    assert line.startswith("incidents "), (line, app.poll())
    return line.split(" ", 1)[1]


def test_two_app_processes_see_a_load_published_by_a_third(
    served: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    config, env = served
    _police_csv(tmp_path / "first.csv", 30, seed=1)
    _cli(env, "ingest", "--kind", "police_street", str(tmp_path / "first.csv"))
    apps = [_app(env), _app(env)]
    try:
        assert [_tile(a) for a in apps] == ["30", "30"]
        # a third process loads a file while both apps run
        _police_csv(tmp_path / "second.csv", 12, seed=2)
        report = _cli(env, "ingest", "--kind", "police_street", str(tmp_path / "second.csv"))
        assert "12 accepted" in report, report
        for a in apps:
            assert a.stdin is not None
            a.stdin.write("again\n")
            a.stdin.flush()
        assert [_tile(a) for a in apps] == ["42", "42"]
        # and the load is not in the store file alone: it was published as a snapshot
        snapshots = sorted((tmp_path / "store.duckdb.snapshots").glob("*.duckdb"))
        assert len(snapshots) >= 2
        # three processes wrote audit events into one store: the chain still verifies
        assert "verif" in _cli(env, "verify-audit").lower()
    finally:
        for a in apps:
            if a.stdin is not None and not a.stdin.closed:
                a.stdin.close()
            a.wait(timeout=60)
