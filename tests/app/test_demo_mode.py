"""AppTest: demo mode serves only the generator's store and takes no partner files; without
login the app starts only on a loopback address (DESIGN §4, issue 13 item 9)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from geo.ingest.pipeline import DEMO_STORE_REFUSAL

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
DATA_PAGE = Path(__file__).resolve().parents[2] / "pages" / "data.py"
TIMEOUT = 90
BANNER = "Synthetic demo data"
AUTH = {
    "cookie_secret": "x" * 48,
    "client_id": "placesafe-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    "redirect_uri": "http://localhost:8501/oauth2callback",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "placesafe.toml"))
        yield out


@pytest.fixture(scope="module")
def real_store(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store the generator did not build: partner-format files ingested as real data."""
    from geo.core.area import load_study_area
    from geo.core.config import load_config
    from geo.ingest.pipeline import ingest_file
    from geo.store.database import Store

    config = load_config(demo / "placesafe.toml")
    area = load_study_area(config.study_area)
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    with Store(path) as store:
        for kind, name in (("schools", "schools.csv"), ("incidents", "incidents.csv")):
            assert ingest_file(store, config, area, kind, demo / name, who="partner").ok
        assert store.origin() is None
    return path


def write_config(demo: Path, folder: Path, store: Path, app: str, extra: str = "") -> Path:
    """A configuration like the demo's, on ``store``, with the ``[app]`` section ``app``."""
    text = (
        f'[store]\npath = "{store}"\n\n'
        f'[study_area]\nboundary = "{demo / "boundary.geojson"}"\nbuffer_m = 250\n'
        'name = "Demo borough (synthetic)"\n\n'
        f'[disclosure]\nsensitive_premises = "{demo / "sensitive_premises.csv"}"\n\n'
        f"[app]\nask_purpose = false\n{app}\n{extra}"
    )
    path = folder / "placesafe.toml"
    path.write_text(text, encoding="utf-8")
    return path


def new_app() -> AppTest:
    return AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def shown_text(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("info", "markdown", "warning") for e in at.get(kind))


def set_address(value: str | None) -> None:
    """Set ``server.address`` for this test (conftest's autouse pin restores it)."""
    st_config.set_option("server.address", value)


# --- the listening address ------------------------------------------------------------------


def test_the_committed_address_is_loopback(demo: Path, committed_server_address: str) -> None:
    """The branch every other AppTest takes: 127.0.0.1 from .streamlit/config.toml."""
    assert committed_server_address == "127.0.0.1"
    at = new_app()
    at.run()
    assert not at.exception and not errors(at)
    assert at.metric and BANNER in shown_text(at)


@pytest.mark.parametrize("value", ["0.0.0.0", None, "192.168.1.20", "::"])
def test_a_non_loopback_address_without_login_refuses_to_start(
    demo: Path, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    """Refused before the configuration or the store is even opened."""
    from ui import cache

    def no_data(*args: object, **kwargs: object) -> None:
        raise AssertionError("data read before the address check")

    monkeypatch.setattr(cache, "get_config", no_data)
    monkeypatch.setattr(cache, "get_store", no_data)
    set_address(value)
    at = new_app()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (message,) = errors(at)
    assert message.startswith("PlaceSafe cannot start:")
    assert "only listens on this computer" in message
    assert (value or "every network interface") in message
    assert not at.metric and not at.dataframe and not at.title and not at.button


@pytest.mark.parametrize("value", ["127.0.0.1", "localhost", "::1"])
def test_a_loopback_address_without_login_starts(demo: Path, value: str) -> None:
    set_address(value)
    at = new_app()
    at.run()
    assert not at.exception and not errors(at)
    assert at.metric


def test_with_login_configured_any_address_starts(demo: Path) -> None:
    """Behind a login the address check does not apply (the login screen is shown)."""
    set_address("0.0.0.0")
    at = new_app()
    at.secrets["auth"] = AUTH
    at.run()
    assert not at.exception
    assert errors(at) == ["Access denied: please log in."]
    assert [b.label for b in at.button] == ["Log in"]


# --- demo mode serves only the generator's store ---------------------------------------------


def test_an_unmarked_store_is_refused_in_demo_mode(
    demo: Path, real_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real data configured as the demo are not shown under the "synthetic demo" banner."""
    toml = write_config(demo, tmp_path, real_store, "demo = true")
    monkeypatch.setenv("PLACESAFE_CONFIG", str(toml))
    at = new_app()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (message,) = errors(at)
    assert message.startswith("PlaceSafe cannot start: demo mode serves only the synthetic demo")
    assert "not built by the demo generator" in message
    assert "python -m geo demo" in message and "allow_local_real_data" in message
    assert BANNER not in shown_text(at)
    assert not at.metric and not at.dataframe and not at.title


def test_an_unmarked_store_is_refused_in_demo_mode_even_after_login(
    demo: Path, real_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = '[access.users]\n"a@example.org" = ["analyst", "admin"]\n'
    toml = write_config(demo, tmp_path, real_store, "demo = true", extra)
    monkeypatch.setenv("PLACESAFE_CONFIG", str(toml))
    at = new_app()
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "a@example.org", "email_verified": True}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("not built by the demo generator" in m for m in errors(at))
    assert BANNER not in shown_text(at)
    assert not at.metric and not at.dataframe


def test_real_data_without_login_need_the_operators_local_mode(
    demo: Path, real_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = write_config(demo, tmp_path, real_store, "demo = false")
    monkeypatch.setenv("PLACESAFE_CONFIG", str(toml))
    at = new_app()
    at.run()
    assert not at.exception
    assert any("real data are not shown without login" in m for m in errors(at))
    assert not at.metric and not at.dataframe


def test_local_mode_on_real_data_is_served_as_real_data_and_takes_files(
    demo: Path, real_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = write_config(demo, tmp_path, real_store, "demo = false\nallow_local_real_data = true")
    monkeypatch.setenv("PLACESAFE_CONFIG", str(toml))
    monkeypatch.setenv("PLACESAFE_AUDIT_KEY", "k" * 40)  # a real store needs its own key
    at = new_app()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at)
    assert BANNER not in shown_text(at)
    assert any("Local mode on real data" in str(w.value) for w in at.warning)
    at.switch_page(str(DATA_PAGE)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Data"]
    assert len(at.file_uploader) == 1
    assert at.selectbox(key="ingest_kind") is not None
    assert DEMO_STORE_REFUSAL not in shown_text(at)


# --- the Data page in demo mode --------------------------------------------------------------


def test_the_demo_data_page_takes_no_partner_files(demo: Path) -> None:
    at = new_app()
    at.run()
    assert BANNER in shown_text(at)
    at.switch_page(str(DATA_PAGE)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Data"]
    assert len(at.file_uploader) == 0
    assert "ingest_kind" not in [s.key for s in at.selectbox]
    refusal = [str(i.value) for i in at.info if DEMO_STORE_REFUSAL in str(i.value)]
    assert refusal and refusal[0].startswith("This is the synthetic demo")
    assert at.dataframe  # the batches are still listed
