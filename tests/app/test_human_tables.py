"""AppTest: every table on every page reads in words people use, for both roles.

No column header is a snake_case identifier (``hot_share``), and no cell shows "None" or
"nan"; in the partnership's view a withheld value reads "withheld" (never a blank).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import h3
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGES = Path(__file__).resolve().parents[2] / "pages"
TIMEOUT = 180
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
ROLES = ("analyst", "partnership")
ALL_PAGES = (
    "story.py",
    "overview.py",
    "briefing.py",
    "hotspots.py",
    "recurring.py",
    "profile.py",
    "youth_work.py",
    "missing.py",
    "schools.py",
    "disproportionality.py",
    "health.py",
    "data.py",
    "audit.py",
)
#: Pages not part of the change that added this test; their owners remove the marks.
OTHER_OWNERS: frozenset[tuple[str, str]] = frozenset()


def _cases() -> list[object]:
    out: list[object] = []
    for page in ALL_PAGES:
        for role in ROLES:
            if role == "partnership" and page in ("data.py", "audit.py"):
                continue  # admin pages: the partnership view has no Data or Audit page
            marks = (
                [pytest.mark.xfail(strict=False, reason="owned by another change")]
                if (page, role) in OTHER_OWNERS
                else []
            )
            out.append(pytest.param(page, role, marks=marks, id=f"{page[:-3]}-{role}"))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "placesafe.toml"))
        yield out


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def open_page(demo: Path, page: str, role: str) -> AppTest:
    """``page`` as ``role`` sees it, with a planted hot spot selected (so the profile and
    the selected-place panels show their tables)."""
    truth = json.loads((demo / "truth.json").read_text())
    cell = h3.cell_to_parent(truth["recurring_hotspots"][0]["cell"], 8)
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    at.query_params["cell"] = cell
    at.run()
    ok(at)
    if role == "partnership":
        at.radio(key="view_as").set_value("partnership").run()
        ok(at)
    at.switch_page(str(PAGES / page)).run()
    ok(at)
    assert at.session_state["role"] == role
    return at


def shown_tables(at: AppTest) -> list[pd.DataFrame]:
    frames = [t.value for t in at.dataframe]
    frames += [t.value for t in at.table]
    return [f for f in frames if isinstance(f, pd.DataFrame)]


def snake_headers(frame: pd.DataFrame) -> list[str]:
    names = [str(c) for c in frame.columns]
    names += [str(n) for n in frame.index.names if n is not None]
    return [n for n in names if SNAKE.fullmatch(n)]


def blank_cells(frame: pd.DataFrame, role: str) -> list[tuple[str, object]]:
    """Cells that would read "None" or "nan": any null in the partnership's view (where a
    blank is a withheld value and must say so), and the words themselves for both roles."""
    out: list[tuple[str, object]] = []
    for col in frame.columns:
        series = frame[col]
        if role == "partnership":
            out += [(str(col), v) for v in series[series.isna()].head(3).tolist()]
        text = series.astype(str).str.strip().str.lower()
        out += [(str(col), v) for v in series[text.isin({"none", "nan", "<na>"})].head(3)]
    return out


@pytest.mark.parametrize(("page", "role"), _cases())
def test_tables_read_in_words(demo: Path, page: str, role: str) -> None:
    at = open_page(demo, page, role)
    problems = []
    for i, frame in enumerate(shown_tables(at)):
        snake = snake_headers(frame)
        if snake:
            problems.append(f"table {i}: snake_case headers {snake}")
        blanks = blank_cells(frame, role)
        if blanks:
            problems.append(f"table {i}: blank cells {blanks[:5]}")
    assert not problems, problems
