"""AppTest fixtures: the app runs with the committed Streamlit configuration's address, and
the deferred downloads a page offers can be fetched as a browser would."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

STREAMLIT_CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


@pytest.fixture(autouse=True)
def committed_server_address() -> Iterator[str]:
    """Pin ``server.address`` to the committed ``.streamlit/config.toml`` value (127.0.0.1).

    AppTest starts no server; the app checks the configured address as a server would bind
    it (without login, anything but loopback refuses to start). Streamlit reads that file
    from the working directory, so without this pin the tests would depend on where pytest
    was started. A test may set the option to something else; it is restored afterwards.
    """
    from streamlit import config as st_config

    address = str(tomllib.loads(STREAMLIT_CONFIG.read_text(encoding="utf-8"))["server"]["address"])
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", address)
    yield address
    st_config.set_option("server.address", before)


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """Streamlit's deferred-download registry, recorded: the callables a browser's fetch
    would run (AppTest replaces the media manager on every run)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    registry: dict[str, Callable[[], Any]] = {}
    real = MediaFileManager.add_deferred

    def recording(self: MediaFileManager, data_callable: Any, *args: Any, **kwargs: Any) -> str:
        file_id = real(self, data_callable, *args, **kwargs)
        registry[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", recording)
    return registry
