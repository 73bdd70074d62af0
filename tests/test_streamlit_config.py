"""The committed Streamlit configuration is hardened for production."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_production_settings() -> None:
    cfg = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert cfg["client"]["showErrorDetails"] == "none"  # no tracebacks in the browser
    assert cfg["client"]["toolbarMode"] == "minimal"
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["runner"]["magicEnabled"] is False
    server = cfg["server"]
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True
    assert 1 <= server["maxUploadSize"] <= 200
    assert server["enableStaticServing"] is True  # vendored Leaflet, no CDN
    assert server["address"] == "127.0.0.1"  # only reachable through a reverse proxy


def test_secrets_are_not_committed() -> None:
    root = CONFIG.parents[1]
    assert not (root / ".streamlit" / "secrets.toml").exists() or ".streamlit/secrets.toml" in (
        root / ".gitignore"
    ).read_text()
    assert "*.duckdb" in (root / ".gitignore").read_text()
