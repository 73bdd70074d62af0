"""Fetching an AppTest page's deferred download as a browser's click would (with the
``deferred`` fixture of ``tests/app/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest


def fetch(
    at: AppTest,
    key: str,
    deferred: dict[str, Callable[[], Any]],
    monkeypatch: pytest.MonkeyPatch,
    session: Any = "live",
) -> bytes:
    """What the browser's fetch does: run the button's deferred callable on another
    thread, with the runtime's view of the session (the AppTest session, or ``session``)."""
    import ui.exports

    live = at.session_state if session == "live" else session
    monkeypatch.setattr(ui.exports, "_live_session", lambda session_id: live)
    button = at.download_button(key=key)
    return bytes(deferred[button.proto.deferred_file_id]())
