"""AppTest: start-up checks, purpose prompt, idle timeout, page-view audit, admin pages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.store.database import Store

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGES = Path(__file__).resolve().parents[2] / "pages"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    # the same demo, but configured like a real deployment that asks for a purpose
    text = (out / "placesafe.toml").read_text()
    text = text.replace("ask_purpose = false", "ask_purpose = true")
    (out / "purpose.toml").write_text(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "placesafe.toml"))
        yield out


def app() -> AppTest:
    return AppTest.from_file(str(ENTRY), default_timeout=90)


def events(demo: Path) -> list[str]:
    # the app holds the store open in this process: read through a second connection
    # of the same file is not allowed, so ask the app's cached store instead
    from ui import cache

    store = cache.get_store(cache.get_config())
    return store.audit_log(10_000)["event"].tolist()


def test_short_cookie_secret_stops_the_app(demo: Path) -> None:
    at = app()
    at.secrets["auth"] = {"cookie_secret": "too-short", "client_id": "x"}
    at.run()
    assert not at.exception
    assert any("cannot start" in e.value and "32 bytes" in e.value for e in at.error)
    assert not at.metric


def test_configured_login_without_identity_shows_only_a_login_button(demo: Path) -> None:
    at = app()
    at.secrets["auth"] = {"cookie_secret": "x" * 48, "client_id": "x"}
    at.run()
    assert not at.exception
    assert any("please log in" in e.value for e in at.error)
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.metric and not at.dataframe


def test_analyst_is_asked_for_a_purpose_before_police_data(demo: Path, monkeypatch) -> None:
    monkeypatch.setenv("PLACESAFE_CONFIG", str(demo / "purpose.toml"))
    at = app()
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Before you view police data"]
    assert not at.metric  # nothing shown yet
    at.radio(key="purpose_choice").set_value(at.radio(key="purpose_choice").options[2])
    at.button[0].click().run()
    assert not at.exception
    assert at.metric  # the Overview is now shown
    from ui import cache

    log = cache.get_store(cache.get_config()).audit_log(100)
    assert "purpose" in log["event"].tolist()
    views = log.loc[log["event"] == "view"]
    assert views["purpose"].iloc[0] == "Multi-agency assessment of a location"


def test_no_data_is_shown_while_the_audit_log_cannot_be_written(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page views are written by the process's audit queue; when writing fails the next
    runs show an error and no data (not even a rerun of a view already recorded), and
    the views are written once the log can be written again."""
    from geo.core.errors import AuditUnavailableError
    from ui import cache

    store = cache.get_store(cache.get_config())
    at = app()
    at.run()
    assert at.metric and not at.error
    broken = [True]
    audit = Store.audit

    def failing(self: Store, *args: object, **kwargs: object) -> None:
        if broken:
            raise OSError("disk full")
        audit(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "audit", failing)
    at.selectbox(key="res").set_value(7).run()  # queued; the write fails meanwhile
    with pytest.raises(AuditUnavailableError):
        store.audit_log(10)
    for _ in range(2):  # a rerun of the same view too
        at.run()
        assert not at.exception
        assert at.error and "audit log could not be written" in at.error[0].value
        assert not at.metric  # no headline figures, no map
    broken.clear()
    log = store.audit_log(10)  # the queue is written once writing works again
    assert log["event"].iloc[0] == "view" and '"res": 7' in log["detail"].iloc[0]
    at.run()
    assert at.metric and not at.error
    assert store.verify_audit_chain().ok


def test_page_views_are_audited_with_filters_once_per_view(demo: Path) -> None:
    from ui import cache

    at = app()
    at.run()
    store: Store = cache.get_store(cache.get_config())
    before = store.audit_log(10_000)
    at.run()  # a rerun of the same view is not a new view
    assert len(store.audit_log(10_000)) == len(before)
    at.selectbox(key="res").set_value(7).run()
    log = store.audit_log(10_000)
    newest = log.iloc[0]
    assert newest["event"] == "view" and newest["page"] == "Overview"
    assert '"res": "7"' in newest["detail"] or '"res": 7' in newest["detail"]
    assert store.verify_audit_chain().ok


def test_idle_sessions_time_out(demo: Path) -> None:
    at = app()
    at.run()
    assert at.metric
    at.session_state["_last_activity"] = time.time() - 31 * 60
    at.run()
    assert not at.exception
    assert any("inactivity" in i.value for i in at.info)
    assert not at.metric


def test_audit_page_for_admin_verifies_the_chain(demo: Path) -> None:
    at = app()
    at.run()
    at.switch_page(str(PAGES / "audit.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Audit log"]
    assert any("events verify" in s.value for s in at.success)
    assert any("public demo key" in s.value for s in at.success)  # said on the demo
    log = at.dataframe[0].value
    assert {"Who", "Role", "What", "Page", "Purpose", "When"} <= set(log.columns)  # in words
    assert "prev_hash" not in log.columns


def test_audit_page_says_in_plain_words_where_the_log_was_altered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo.demo.build import build_demo
    from ui import cache

    build_demo(tmp_path, seed=0)
    monkeypatch.setenv("PLACESAFE_CONFIG", str(tmp_path / "placesafe.toml"))
    at = app()
    at.run()
    config = cache.get_config()
    # the intruder edits the store file itself (the app holds it only while it writes)
    with Store(config.store_path, audit=config.audit_settings()) as store:
        newest = int(store.scalar("SELECT max(event_id) FROM audit_log"))
        with store.cursor() as cur:
            cur.execute("DELETE FROM audit_log WHERE event_id = ?", [newest]).fetchall()
    at.switch_page(str(PAGES / "audit.py")).run()
    assert not at.exception
    assert not at.success
    message = " ".join(e.value for e in at.error)
    assert f"at event {newest}" in message and f"event {newest} is missing" in message


def test_a_partnership_identity_cannot_reach_admin_or_analyst_views(demo: Path, tmp_path) -> None:
    toml = tmp_path / "p.toml"
    text = (demo / "placesafe.toml").read_text()
    text = text.replace("[store]\npath = \"placesafe.duckdb\"",
                        f"[store]\npath = \"{demo / 'placesafe.duckdb'}\"")
    text = text.replace(
        'boundary = "boundary.geojson"', f'boundary = "{demo / "boundary.geojson"}"'
    )
    text = text.replace(
        'sensitive_premises = "sensitive_premises.csv"',
        f'sensitive_premises = "{demo / "sensitive_premises.csv"}"',
    )
    text += '\n[access.users]\n"p@example.org" = "partnership"\n'
    toml.write_text(text)
    import os

    old = os.environ["PLACESAFE_CONFIG"]
    os.environ["PLACESAFE_CONFIG"] = str(toml)
    try:
        at = app()
        at.user = {"is_logged_in": True, "email": "p@example.org", "email_verified": True}
        at.session_state["roles"] = ("admin", "analyst")  # forged: overwritten by the app
        at.session_state["view_as"] = "analyst"
        at.query_params["role"] = "admin"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["role"] == "partnership"
        assert at.session_state["roles"] == ("partnership",)
        assert at.selectbox(key="res").options == ["7 (about 5 km²)", "8 (about 0.7 km²)"]
        assert not at.radio  # no "View as" switch
        # the admin pages are not even registered in this identity's navigation
        for page in ("data.py", "audit.py"):
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(str(PAGES / page))
    finally:
        os.environ["PLACESAFE_CONFIG"] = old


@pytest.mark.parametrize("page", ["data.py", "audit.py", "overview.py", "hotspots.py"])
def test_every_page_rechecks_the_role_on_its_own(demo: Path, page: str) -> None:
    """Run a page script directly (as the legacy pages/ router could): no role, no data."""
    at = AppTest.from_file(str(PAGES / page), default_timeout=90)
    at.session_state["role"] = "partnership" if page in ("data.py", "audit.py") else ""
    at.session_state["roles"] = ("partnership",) if page in ("data.py", "audit.py") else ()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("do not have access" in e.value for e in at.error)
    assert not at.metric and not at.dataframe
