"""Every download is made by one helper (``ui.exports.audited_download``): generated only
when a permitted session fetches it (no media URL before), each fetch written to the audit
log, a click that does not rerun the page, and a fetch refused when the session that was
offered the file may no longer have it."""

from __future__ import annotations

import ast
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.app._downloads import fetch

pytestmark = pytest.mark.app

ROOT = Path(__file__).resolve().parents[2]
ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGES = ROOT / "pages"


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
    assert not at.error, [e.value for e in at.error]


def store() -> Any:
    from ui import cache

    return cache.get_store(cache.get_config())


def log() -> list[dict[str, Any]]:
    frame = store().audit_log(100_000)
    return frame.to_dict("records")  # newest first


def open_page(page: str | None, partnership: bool = False) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=180)
    at.run()
    if partnership:
        at.radio(key="view_as").set_value("partnership").run()
    if page:
        at.switch_page(str(PAGES / page)).run()
    ok(at)
    return at


def check_download(
    at: AppTest,
    key: str,
    what: str,
    fmt: str,
    deferred: dict[str, Callable[[], Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> bytes:
    """The button has no URL and its click does not rerun the page; rendering logs
    nothing; the fetch logs ``export`` with who, role, what, format, rows, bytes, page and
    filters."""
    button = at.download_button(key=key)
    assert button.proto.url == "" and button.proto.deferred_file_id, "an eager media URL"
    # A click that reran the page raced its own fetch: Streamlit 1.67 cleared the fetch's
    # answer from the outgoing queue when the rerun started (the button spun for ever).
    assert button.proto.ignore_rerun, "a download click reruns the page"
    before = len(log())
    at.run()  # rendering again is not a download
    after = log()
    assert not [e for e in after[: len(after) - before] if e["event"].startswith("export")]
    payload = fetch(at, key, deferred, monkeypatch)
    assert len(log()) == len(after) + 1
    served = log()[0]
    assert (served["event"], served["page"]) == ("export", what)
    assert served["who"] == at.session_state["user_id"]
    assert served["role"] == at.session_state["role"]
    detail = json.loads(served["detail"])
    assert detail["format"] == fmt and detail["from_page"] and isinstance(detail["filters"], dict)
    assert detail["bytes"] == len(payload) > 0
    assert store().verify_audit_chain().ok
    return payload


# --- one helper makes every download button ------------------------------------------------


def _sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
            *sorted((ROOT / "ui").rglob("*.py")),  # ui/cache/ and ui/sections/ too
            *sorted((ROOT / "geo").rglob("*.py"))]  # fmt: skip


def test_no_download_button_exists_outside_the_helper() -> None:
    calls: list[tuple[str, str]] = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(ROOT))
        if rel != "ui/exports.py":
            assert not re.search(r"download_button\s*\(", text), f"{rel} makes its own download"
            assert "download_button" not in text.replace("``download_button``", ""), rel
            continue
        tree = ast.parse(text)
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef):
                for node in ast.walk(func):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "download_button"
                    ):
                        calls.append((rel, func.name))
    assert calls == [("ui/exports.py", "audited_download")]


def test_the_pages_with_downloads_use_the_helper() -> None:
    for page in ("briefing.py", "youth_work.py", "audit.py"):
        assert "audited_download(" in (PAGES / page).read_text(encoding="utf-8"), page


# --- each page's downloads -----------------------------------------------------------------


def test_overview_layer_exports_are_audited_on_click_and_fetch(
    demo: Path, deferred: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(None)
    payload = check_download(at, "overview_download", "incident layer", "csv", deferred,
                             monkeypatch)  # fmt: skip
    assert payload.removeprefix(b"\xef\xbb\xbf").startswith(b"cell,")


def test_review_pack_downloads_are_audited(
    demo: Path, deferred: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("briefing.py")
    at.radio(key="pack_audience").set_value("analyst").run()
    at.button(key="pack_build").click().run()
    ok(at)
    quarter = at.session_state["pack_quarter"]
    for key, label, fmt, magic in (
        ("pack_pdf", "review pack (pdf)", "pdf", b"%PDF"),
        ("pack_html", "review pack (html)", "html", b"<"),
        ("pack_seven", "7-minute briefing (pdf)", "pdf", b"%PDF"),
    ):
        payload = check_download(at, key, f"{label} {quarter} analyst", fmt, deferred, monkeypatch)
        assert payload.lstrip().startswith(magic), key
        assert json.loads(log()[0]["detail"])["audience"] == "analyst"


def test_youth_work_plan_downloads_are_audited(
    demo: Path, deferred: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("youth_work.py")
    csv = check_download(at, "yw_plan_download", "youth-work plan", "csv", deferred, monkeypatch)
    assert b"," in csv
    pdf = check_download(at, "yw_plan_pdf", "youth-work plan", "pdf", deferred, monkeypatch)
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    plan = next(d.value for d in at.dataframe if "What it covers" in d.value.columns)
    assert all(" ".join(p.split()) in text for p in plan["Place"])  # every place, by name


def test_the_audit_log_download_is_audited(
    demo: Path, deferred: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("audit.py")
    assert [t.value for t in at.title] == ["Audit log"]
    assert any("events verify" in s.value for s in at.success)
    payload = check_download(at, "audit_download", "audit log", "csv", deferred, monkeypatch)
    assert b"event_id" in payload and b"export" in payload


# --- a fetch is refused when the session may no longer have the file ----------------------


def test_the_analysts_pack_is_refused_once_the_session_views_as_partnership(
    demo: Path, deferred: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("briefing.py")
    at.radio(key="pack_audience").set_value("analyst").run()
    at.button(key="pack_build").click().run()
    ok(at)
    button = at.download_button(key="pack_pdf")
    producer = deferred[button.proto.deferred_file_id]
    import ui.exports

    # the same session now views as partnership (the sidebar's "View as")
    changed = {**{k: at.session_state[k] for k in ("user_id", "roles")}, "role": "partnership"}
    monkeypatch.setattr(ui.exports, "_live_session", lambda session_id: changed)
    with pytest.raises(PermissionError):
        producer()
    refused = log()[0]
    assert (
        refused["event"] == "export_refused" and "role" in json.loads(refused["detail"])["refused"]
    )
    # a session that has ended gets nothing either
    monkeypatch.setattr(ui.exports, "_live_session", lambda session_id: None)
    with pytest.raises(PermissionError):
        producer()
    assert "ended" in json.loads(log()[0]["detail"])["refused"]
    # another user in the session
    other = {**changed, "role": "analyst", "user_id": "someone-else"}
    monkeypatch.setattr(ui.exports, "_live_session", lambda session_id: other)
    with pytest.raises(PermissionError):
        producer()
    assert "another user" in json.loads(log()[0]["detail"])["refused"]
    assert store().verify_audit_chain().ok


def test_a_partnership_view_is_offered_no_analyst_only_file() -> None:
    def script() -> None:
        import streamlit as st

        from ui.exports import audited_download

        st.session_state["roles"] = ("analyst",)
        st.session_state["user_id"] = "u-1"
        st.session_state["role"] = st.session_state.get("as", "analyst")
        for key, roles in (("a", ("analyst",)), ("p", ("analyst", "partnership")),
                           ("admin", ("admin",))):  # fmt: skip
            audited_download(
                None, key, lambda: b"x", file_name="f.csv", mime="text/csv",
                what=key, fmt="csv", roles=roles, key=key,
            )  # fmt: skip

    at = AppTest.from_function(script)
    at.run()
    assert {d.key for d in at.get("download_button")} == {"a", "p"}
    at.session_state["as"] = "partnership"
    at.run()
    assert {d.key for d in at.get("download_button")} == {"p"}


def test_a_file_built_for_a_page_is_not_fetched_by_the_page_run() -> None:
    """Rendering registers a callable and no file: the producer has not run."""
    calls: list[int] = []

    def script() -> None:
        import streamlit as st

        from ui.exports import audited_download

        st.session_state["roles"] = ("analyst",)
        st.session_state["user_id"] = "u-1"
        st.session_state["role"] = "analyst"
        producer = st.session_state["producer"]
        audited_download(
            None, "x", producer, file_name="f.csv", mime="text/csv",
            what="x", fmt="csv", roles=("analyst",), key="x",
        )  # fmt: skip

    at = AppTest.from_function(script)
    at.session_state["producer"] = lambda: calls.append(1) or b"x"
    at.run()
    assert not at.exception
    assert at.get("download_button") and not calls


# --- what Streamlit 1.67 does with the files (the facts the README states) ----------------


def test_streamlit_media_facts_this_design_relies_on() -> None:
    """A deferred download stores nothing until fetched; a refused fetch stores nothing;
    a served file is at /media/<content hash> for anyone with the URL (no session
    check) until the second orphan sweep after it was made. If Streamlit changes any of
    this, the README's account of downloads must change too."""
    from unittest.mock import patch

    from starlette.applications import Starlette
    from starlette.testclient import TestClient
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.media_file_storage import MediaFileStorageError
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.web.server.starlette.starlette_routes import create_media_routes

    storage = MemoryMediaFileStorage("/media")
    manager = MediaFileManager(storage)
    client = TestClient(Starlette(routes=create_media_routes(storage, None)))
    calls: list[int] = []

    def refuse() -> bytes:
        raise PermissionError("download refused")

    with patch("streamlit.runtime.media_file_manager._get_session_id", return_value="A"):
        served = manager.add_deferred(lambda: calls.append(1) or b"x,1\n", "text/csv", "c1")
        refused = manager.add_deferred(refuse, "text/csv", "c2")
    assert not calls and not storage._files_by_id  # nothing built, no URL at render
    with pytest.raises(MediaFileStorageError):
        manager.execute_deferred(refused)
    assert not storage._files_by_id
    url = manager.execute_deferred(served)
    assert calls == [1]
    assert client.get(url).status_code == 200  # no cookie, no session: served
    manager.remove_orphaned_files()
    assert client.get(url).status_code == 200
    manager.remove_orphaned_files()
    assert client.get(url).status_code == 404  # gone after the second sweep


def test_served_files_are_swept_from_the_media_store_without_waiting_for_a_script_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Streamlit sweeps only at the end of a script run or a session: a served file would
    stay at its URL while nobody uses the app. The helper's sweeper runs the same sweep
    every MEDIA_SWEEP_SECONDS, so a served file is gone within two periods, while a file
    a session still shows stays."""
    from unittest.mock import MagicMock, patch

    from streamlit.runtime import Runtime
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    import ui.exports

    storage = MemoryMediaFileStorage("/media")
    manager = MediaFileManager(storage)
    runtime = MagicMock(spec=Runtime)
    runtime.media_file_mgr = manager
    monkeypatch.setattr(Runtime, "_instance", runtime)
    with patch("streamlit.runtime.media_file_manager._get_session_id", return_value="A"):
        shown = manager.add(b"shown", "text/csv", "c1", is_for_static_download=True)
        placeholder = manager.add_deferred(lambda: b"served", "text/csv", "c2")
    served = manager.execute_deferred(placeholder)
    ui.exports._sweep_media()
    assert storage.get_file(served.split("/")[-1].split(".")[0])  # marked, not yet gone
    ui.exports._sweep_media()
    ids = set(storage._files_by_id)
    assert served.split("/")[-1].split(".")[0] not in ids
    assert shown.split("/")[-1].split(".")[0] in ids
    assert 0 < ui.exports.MEDIA_SWEEP_SECONDS <= 60


def test_the_sweeper_starts_once_the_first_file_is_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ui.exports
    from geo.store.database import Store
    from ui.exports import DownloadTicket

    monkeypatch.setattr(ui.exports, "_sweeper", [])
    started: list[object] = []
    monkeypatch.setattr(ui.exports.threading.Thread, "start", lambda self: started.append(self))
    ticket = DownloadTicket(
        what="x", fmt="csv", file_name="x.csv", rows=1, roles=("analyst",), who="u",
        role="analyst", grounds="analyst", session_id="s", page="Overview", filters={},
        purpose=None,
    )  # fmt: skip
    live = {"user_id": "u", "role": "analyst", "roles": ("analyst",)}
    monkeypatch.setattr(ui.exports, "_live_session", lambda sid: live)
    with Store(":memory:") as store:
        assert not started
        ui.exports._serve(store, ticket, lambda: b"x")
        ui.exports._serve(store, ticket, lambda: b"x")
        assert store.verify_audit_chain().ok
    assert len(started) == 1 and getattr(started[0], "daemon", False)
