"""Real-browser login test: PlaceSafe behind an OpenID Connect provider (all on 127.0.0.1).

Starts the ``oidc-provider-mock`` identity provider in a thread on a free loopback port, builds
the synthetic demo store in a temporary folder with an ``[access.users]`` allow-list, and runs
``streamlit run app.py`` with an ``[auth]`` section pointing at the mock. Debian's chromium then
logs in through the provider's authorization form (the tester types the ``sub``; the extra
claims - ``email``, ``email_verified`` - are those of users predefined in the mock) and checks:

* without login: "please log in" and a "Log in" button, no data;
* an analyst: the Overview with metrics and the map, "Log out" in the sidebar; logging out
  (through the provider's end-session page) returns to the login prompt;
* a partnership user: resolutions 7 and 8 only and no "View as" switch;
* an unmapped user and an unverified e-mail address: access denied, no data.

Secrets: Streamlit 1.67 looks for ``secrets.toml`` in ``~/.streamlit``, ``$CWD/.streamlit`` and
then ``.streamlit`` next to the main script (the last wins). The server runs with its working
directory in a temporary folder holding ``.streamlit/secrets.toml`` (and a copy of the repo's
``config.toml``) *and* with ``--secrets.files`` naming that file, so a developer's real
``secrets.toml`` in the repo or the home folder can never be picked up instead.

Every browser request to a host other than 127.0.0.1 is aborted. The server log is in
``test-results/e2e-login-server.log``; a screenshot of each scenario's last page is saved in
``test-results/login-*.png``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Route,
    expect,
)

from tests.e2e._harness import (
    APP_IDLE,
    MAP_IFRAME,
    REPO_ROOT,
    RESULTS,
    chromium_browser,
    free_port,
    require_chromium,
    running_app,
)

pytestmark = pytest.mark.e2e

PAGE_TIMEOUT_MS = 60_000  # navigation, clicks and every expect() (its default is 5 s)
METRIC = '[data-testid="stMetric"]'
LOCAL_HOSTS = {"127.0.0.1"}
IDLE_SETTLE_S = 1.5
USER_COOKIE = "_streamlit_user"

ANALYST = "analyst@example.org"
PARTNER = "partner@example.org"
STRANGER = "stranger@example.org"
UNVERIFIED = "unverified-analyst"  # a second account claiming the analyst's address
PLEASE_LOG_IN = "Access denied: please log in."
NO_ROLE = "Access denied: your account has no PlaceSafe role"


# --------------------------------------------------------------------------------------------
# The identity provider
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idp() -> Iterator[str]:
    """Base URL of the mock OpenID provider, serving on 127.0.0.1 from a thread.

    Its authorization form only asks for a ``sub``; a user typed there who is not predefined
    gets ``{"email": sub}`` and no ``email_verified``. The users below are predefined so that
    typing their ``sub`` yields exactly these claims in the ID token (scope ``email``).
    """
    require_chromium()
    import werkzeug.serving
    from oidc_provider_mock import User, app

    users = [
        User(sub=ANALYST, claims={"email": ANALYST, "email_verified": True}),
        User(sub=PARTNER, claims={"email": PARTNER, "email_verified": True}),
        User(sub=STRANGER, claims={"email": STRANGER, "email_verified": True}),
        User(sub=UNVERIFIED, claims={"email": ANALYST, "email_verified": False}),
    ]
    # Any client id and secret is accepted (require_client_registration=False).
    server = werkzeug.serving.make_server("127.0.0.1", 0, app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    base: str  # "http://127.0.0.1:<port>", no trailing slash
    log: Path


def _write_config(tmp: Path) -> Path:
    from geo.demo.build import build_demo

    demo = build_demo(tmp / "demo", seed=0)
    toml = demo.out_dir / "placesafe.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + "\n[access.users]\n"
        + f'"{ANALYST}" = "analyst"\n'
        + f'"{PARTNER}" = "partnership"\n',
        encoding="utf-8",
    )
    return toml


def _write_secrets(cwd: Path, app_port: int, idp_url: str) -> Path:
    folder = cwd / ".streamlit"
    folder.mkdir(parents=True)
    shutil.copy(REPO_ROOT / ".streamlit" / "config.toml", folder / "config.toml")
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(36)}"\n'  # 48 characters
        'client_id = "placesafe-e2e"\n'
        'client_secret = "placesafe-e2e-secret"\n'
        f'server_metadata_url = "{idp_url}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def server(idp: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """A running app with [auth] configured; always stopped afterwards."""
    tmp = tmp_path_factory.mktemp("login")
    config = _write_config(tmp)
    port = free_port()
    cwd = tmp / "cwd"
    secrets_file = _write_secrets(cwd, port, idp)
    env = dict(os.environ)
    env["PLACESAFE_CONFIG"] = str(config)
    env.pop("AUTHLIB_INSECURE_TRANSPORT", None)  # loopback http is allowed without it
    log_name = "e2e-login-server.log"
    with running_app(
        log_name, env, port=port, cwd=cwd, extra_args=["--secrets.files", str(secrets_file)]
    ) as base:
        yield App(base, RESULTS / log_name)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as chromium:
        yield chromium


@dataclass
class Session:
    """One browser context (own cookie jar) and what went wrong in it."""

    context: BrowserContext
    page: Page
    blocked: list[str]
    errors: list[str]

    def diagnostics(self) -> str:
        parts = []
        exceptions = self.page.locator('[data-testid="stException"]')
        if exceptions.count():
            parts.append("exceptions on the page:")
            parts.extend(f"  {t}" for t in exceptions.all_inner_texts())
        if self.errors:
            parts.append("page errors:")
            parts.extend(f"  {e}" for e in self.errors[:20])
        parts.append(f"url: {self.page.url}")
        return "\n".join(parts)


@pytest.fixture
def session(browser: Browser, server: App, request: pytest.FixtureRequest) -> Iterator[Session]:
    blocked: list[str] = []
    errors: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
            return
        blocked.append(route.request.url)  # e.g. map tiles: not needed here
        route.abort()

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield Session(context, page, blocked, errors)
    finally:
        RESULTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(RESULTS / f"login-{request.node.name}.png"), full_page=True)
        finally:
            context.close()


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


def _wait_idle(page: Page, timeout_s: float = 60) -> None:
    """Wait until the script has been idle for IDLE_SETTLE_S without interruption."""
    deadline = time.monotonic() + timeout_s
    idle_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if page.locator(APP_IDLE).count():
            idle_since = idle_since or now
            if now - idle_since >= IDLE_SETTLE_S:
                return
        else:
            idle_since = None
        page.wait_for_timeout(250)
    pytest.fail(f"the app script was still running after {timeout_s} s", pytrace=False)


def _shown(locator: Locator) -> None:
    expect(locator).to_be_visible(timeout=PAGE_TIMEOUT_MS)


def _expect_login_prompt(s: Session) -> None:
    page = s.page
    _shown(page.get_by_text(PLEASE_LOG_IN))
    _shown(page.get_by_role("button", name="Log in"))
    _wait_idle(page)
    assert page.locator(METRIC).count() == 0, "data shown before login\n" + s.diagnostics()
    assert page.locator(MAP_IFRAME).count() == 0, "map shown before login\n" + s.diagnostics()


def _log_in(s: Session, app: App, idp_url: str, sub: str) -> None:
    """Open the app, check the prompt, log in as ``sub`` through the provider's form."""
    page = s.page
    page.goto(app.base + "/", wait_until="domcontentloaded")
    _expect_login_prompt(s)
    page.get_by_role("button", name="Log in").click()
    # st.login -> /auth/login -> 302 to the provider's authorization endpoint
    page.wait_for_url(re.compile("^" + re.escape(idp_url) + r"/oauth2/authorize\?"))
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize").click()
    # provider -> /oauth2callback?code=...&state=... -> 302 to the app root
    page.wait_for_url(re.compile("^" + re.escape(app.base) + r"/(\?.*)?$"))


def _expect_overview(s: Session) -> None:
    page = s.page
    _shown(page.locator(METRIC).first)
    map_iframe = page.locator(MAP_IFRAME).first
    _shown(map_iframe)
    leaflet = map_iframe.content_frame.locator(".leaflet-container")
    expect(leaflet).to_have_count(1, timeout=PAGE_TIMEOUT_MS)
    _shown(page.get_by_role("heading", name=re.compile("^Overview")))
    _shown(page.get_by_test_id("stSidebar").get_by_role("button", name="Log out"))
    _wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, s.diagnostics()


def _expect_denied(s: Session) -> None:
    page = s.page
    _shown(page.get_by_text(NO_ROLE))
    _shown(page.get_by_role("button", name="Log out"))
    _wait_idle(page)
    assert page.locator(METRIC).count() == 0, "data shown to a denied user\n" + s.diagnostics()
    assert page.locator(MAP_IFRAME).count() == 0, "map shown to a denied user\n" + s.diagnostics()
    assert page.get_by_role("button", name="Log in").count() == 0


def _widget_labels(page: Page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stWidgetLabel"]').all_inner_texts()]


def _resolution_options(page: Page) -> list[str]:
    box = page.get_by_test_id("stSelectbox").filter(has_text="Hexagon resolution")
    expect(box).to_have_count(1, timeout=PAGE_TIMEOUT_MS)
    box.locator('[role="combobox"], input').first.click()
    options = page.locator('[role="listbox"] [role="option"]')
    _shown(options.first)
    texts = [t.strip() for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_analyst_logs_in_and_out(session: Session, server: App, idp: str) -> None:
    s, page = session, session.page
    _log_in(s, server, idp, ANALYST)
    _expect_overview(s)
    labels = _widget_labels(page)
    assert any(label.startswith("View as") for label in labels), labels
    assert "9 (about 0.1 km²)" in _resolution_options(page)

    # The identity cookie: signed, HttpOnly, SameSite=Lax, host-only on 127.0.0.1. Streamlit
    # deliberately never sets Secure on it (it is plain http here anyway).
    cookies = {c["name"]: c for c in s.context.cookies()}
    user_cookie = cookies.get(USER_COOKIE)
    assert user_cookie is not None, sorted(cookies)
    assert user_cookie["httpOnly"] is True
    assert user_cookie["sameSite"] == "Lax"
    assert user_cookie["domain"] == "127.0.0.1"

    # Log out: /auth/logout -> the provider's end-session page -> /oauth2callback -> app root.
    page.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile("^" + re.escape(idp) + r"/oauth2/end_session\b"))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile("^" + re.escape(server.base) + r"/(\?.*)?$"))
    _expect_login_prompt(s)
    assert USER_COOKIE not in {c["name"] for c in s.context.cookies()}
    # Reloading does not bring the session back.
    page.reload(wait_until="domcontentloaded")
    _expect_login_prompt(s)


def test_partner_sees_partnership_view(session: Session, server: App, idp: str) -> None:
    s, page = session, session.page
    _log_in(s, server, idp, PARTNER)
    _expect_overview(s)
    _shown(page.get_by_text("viewing as partnership"))
    labels = _widget_labels(page)
    assert not any(label.startswith("View as") for label in labels), labels
    options = _resolution_options(page)
    assert [o.split()[0] for o in options] == ["7", "8"], options


@pytest.mark.parametrize(
    "sub",
    [STRANGER, UNVERIFIED],
    ids=["unmapped", "unverified-email"],
)
def test_user_without_role_is_denied(session: Session, server: App, idp: str, sub: str) -> None:
    _log_in(session, server, idp, sub)
    _expect_denied(session)
