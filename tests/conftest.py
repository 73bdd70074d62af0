"""Shared pytest fixtures.

Nothing here imports app code (geo/, ui/, pages/, app.py) at module level, so collecting any
test stays cheap and a broken module fails only the tests that use it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Repository root (the directory holding app.py and pyproject.toml).
REPO_ROOT = Path(__file__).resolve().parents[1]
#: Real partner files shared between worktrees: ``<repo>/../shared/data``.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def running_on_ci() -> bool:
    """True when the CI runner set ``CI=true`` (case-insensitive)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip locally, but fail on CI: a missing prerequisite there is a broken pipeline."""
    if running_on_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips when it is absent, fails when absent on CI."""
    if not SHARED_DATA.is_dir():
        skip_or_fail(f"shared data directory not found: {SHARED_DATA}")
    return SHARED_DATA
