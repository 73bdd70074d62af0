"""A minimal Streamlit client speaking the app's websocket protocol, for load benchmarks.

It does what the browser's frontend does on the wire (checked against frames captured from
chromium on Streamlit 1.67): connect to ``/_stcore/stream``, send a ``rerun_script`` BackMsg
carrying the page, the query string and the value of every widget of the last run, and read
ForwardMsgs until ``script_finished``. Widget ids change between runs (they include the page),
so widgets are tracked by their user key and the latest id is sent, as the frontend does.

Each session keeps its own cookie jar, as one browser does: before the websocket it loads
the app's page over HTTP, stores the cookies the server (or a proxy in front of several app
processes: Caddy's sticky ``lb_policy cookie``) sets, and sends them on the websocket
handshake and on every later HTTP request (:meth:`Session.fetch`), so behind a sticky
proxy all of one session's traffic reaches one process.

Not emulated: custom-component values (st_folium's map events: the map is never "drawn"),
button clicks outside forms, and the frontend's message cache (no ``cached_message_hashes``
are sent, so every map is delivered in full, as to a browser with an empty cache).
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

FINISHED_EARLY_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
STRING_WIDGETS = {"radio", "selectbox"}
STRING_LIST_WIDGETS = {"multiselect"}
BOOL_WIDGETS = {"checkbox"}  # st.checkbox and st.toggle


@dataclass
class Widget:
    """One widget of the last run, with the value the client will send back."""

    id: str
    kind: str
    label: str
    options: list[str]
    form_id: str
    value: Any = None  # str | list[str] | bool | None (no value yet)


@dataclass
class RunResult:
    """What one script run sent back."""

    seconds: float  # request sent -> script_finished received
    to_start: float  # request sent -> new_session received (the run started)
    status: int | None = None
    bytes: int = 0
    messages: int = 0
    exceptions: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    widget_keys: set[str] = field(default_factory=set)
    page_not_found: bool = False


def _widget_key(widget_id: str) -> str:
    """The user key at the end of ``$$ID-<hash>-<key>`` (the id itself when there is none)."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "$$ID" else widget_id


def _initial_value(kind: str, el: Any) -> Any:
    """The value the frontend gives a widget it has not seen: set by the server, or default."""
    options = list(getattr(el, "options", []))
    if kind in STRING_WIDGETS:
        if el.set_value and el.raw_value:
            return el.raw_value
        if _has(el, "default") and 0 <= el.default < len(options):
            return options[el.default]
        return None
    if kind in STRING_LIST_WIDGETS:
        if el.set_value:
            return list(el.raw_values)
        return [options[i] for i in el.default if 0 <= i < len(options)]
    if kind == "slider":
        if not options:
            return None  # numeric sliders are not used by the app; left to the server
        if el.set_value and el.raw_value:
            return list(el.raw_value)
        picks = el.value if el.set_value else el.default
        return [options[int(i)] for i in picks if 0 <= int(i) < len(options)]
    if kind in BOOL_WIDGETS:
        return bool(el.value if el.set_value else el.default)
    return None


def _has(el: Any, name: str) -> bool:
    try:
        return bool(el.HasField(name))
    except ValueError:  # a field without presence: always "set"
        return True


def _state(w: Widget) -> WidgetState | None:
    if w.value is None:
        return None
    s = WidgetState(id=w.id)
    if w.kind in STRING_WIDGETS:
        s.string_value = str(w.value)
    elif w.kind in STRING_LIST_WIDGETS or w.kind == "slider":
        s.string_array_value.data.extend(str(v) for v in w.value)
    elif w.kind in BOOL_WIDGETS:
        s.bool_value = bool(w.value)
    else:
        return None
    return s


class Session:
    """One app session over one websocket."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.ws: ClientConnection | None = None
        self.widgets: dict[str, Widget] = {}  # by user key
        self.pages: dict[str, tuple[str, str]] = {}  # page name -> (script hash, url path)
        self.page_hash = ""
        self.url_path = ""
        self.query_string = ""
        self._reader: asyncio.Task[None] | None = None
        self._run: RunResult | None = None
        self._seen: dict[str, Widget] = {}
        self._sent_at = 0.0
        self._started_at: float | None = None
        self._done: asyncio.Future[None] | None = None
        self._closed: BaseException | None = None
        self.cookies: dict[str, str] = {}  # this session's jar (name -> value)

    def _store_cookies(self, headers: list[str]) -> None:
        for header in headers:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _get(self, path: str) -> bytes:
        request = urllib.request.Request(self.base_url + path, headers=self._cookie_header())
        with _DIRECT.open(request, timeout=60) as response:
            self._store_cookies(response.headers.get_all("Set-Cookie") or [])
            body: bytes = response.read()
        return body

    async def fetch(self, path: str) -> bytes:
        """GET ``path`` over HTTP with this session's cookies (storing any it is given)."""
        return await asyncio.to_thread(self._get, path)

    async def connect(self) -> None:
        await self.fetch("/")  # the page a browser loads first: the proxy's cookie comes here
        parts = urlsplit(self.base_url)
        self.ws = await connect(
            f"ws://{parts.netloc}/_stcore/stream",
            origin=Origin(self.base_url),
            subprotocols=[Subprotocol("streamlit")],
            additional_headers=self._cookie_header(),
            max_size=None,
            compression=None,
            proxy=None,
        )
        if self.ws.response is not None:
            self._store_cookies(self.ws.response.headers.get_all("Set-Cookie"))
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def rerun(
        self,
        changes: dict[str, Any] | None = None,
        page: str | None = None,
        submit: str | None = None,
        timeout: float = 60.0,
    ) -> RunResult:
        """Change widget values (by key), optionally switch page or submit a form, rerun."""
        assert self.ws is not None, "connect() first"
        if self._closed is not None:
            raise ConnectionError(f"websocket closed: {self._closed!r}")
        for key, value in (changes or {}).items():
            if key not in self.widgets:
                raise KeyError(f"no widget with key {key!r} in the last run")
            self.widgets[key].value = value
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        if page is not None:
            self.page_hash, self.url_path = self.pages[page]
        cs.page_script_hash = self.page_hash
        cs.context_info.timezone = "UTC"
        cs.context_info.timezone_offset = 0
        cs.context_info.locale = "en-US"
        cs.context_info.url = f"{self.base_url}/{self.url_path}"
        cs.context_info.color_scheme = "light"
        for w in self.widgets.values():
            if w.form_id and w.form_id != submit:
                continue  # form values are only sent when the form is submitted
            state = _state(w)
            if state is not None:
                cs.widget_states.widgets.append(state)
        if submit:
            button = next(
                (w for w in self.widgets.values() if w.kind == "button" and w.form_id == submit),
                None,
            )
            if button is None:
                raise KeyError(f"no submit button for form {submit!r}")
            cs.widget_states.widgets.append(WidgetState(id=button.id, trigger_value=True))
        loop = asyncio.get_running_loop()
        self._run = RunResult(0.0, 0.0)
        self._seen = {}
        self._started_at = None
        self._done = loop.create_future()
        self._sent_at = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(asyncio.shield(self._done), timeout)
        return self._run

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for data in self.ws:
                if isinstance(data, bytes):
                    self._handle(data)
        except Exception as exc:  # surfaced to the waiting rerun below
            self._closed = exc
        if self._closed is None:
            self._closed = ConnectionError("closed by the server")
        if self._done is not None and not self._done.done():
            self._done.set_exception(ConnectionError(f"websocket closed: {self._closed!r}"))

    def _handle(self, data: bytes) -> None:
        now = time.perf_counter()
        msg = ForwardMsg()
        msg.ParseFromString(data)
        run = self._run
        if run is not None:
            run.bytes += len(data)
            run.messages += 1
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            if self._started_at is None:
                self._started_at = now
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
        elif kind == "navigation":
            self.pages = {
                p.page_name: (p.page_script_hash, p.url_pathname)
                for p in msg.navigation.app_pages
            }
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found" and run is not None:
            run.page_not_found = True
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, run)
        elif kind == "script_finished":
            if msg.script_finished == FINISHED_EARLY_FOR_RERUN:
                return  # interrupted by a newer rerun: wait for that one
            self._finish(msg.script_finished, now)

    def _element(self, el: Any, run: RunResult | None) -> None:
        kind = el.WhichOneof("type")
        if not kind:
            return
        sub = getattr(el, kind)
        if kind == "exception" and run is not None:
            run.exceptions.append(f"{sub.type}: {sub.message}"[:300])
            return
        if kind in ("markdown", "heading", "alert") and run is not None:
            run.texts.append(getattr(sub, "body", ""))
            return
        widget_id = getattr(sub, "id", "")
        if not widget_id.startswith("$$ID-") or kind == "component_instance":
            return
        key = _widget_key(widget_id)
        old = self.widgets.get(key)
        w = Widget(
            widget_id, kind, getattr(sub, "label", ""), list(getattr(sub, "options", [])),
            getattr(sub, "form_id", ""),
        )
        if kind in STRING_WIDGETS | STRING_LIST_WIDGETS | BOOL_WIDGETS | {"slider"}:
            if old is not None and old.id == widget_id and not getattr(sub, "set_value", False):
                w.value = old.value  # the frontend keeps its own value for a widget it knows
            else:
                w.value = _initial_value(kind, sub)
        self._seen[key] = w
        if run is not None:
            run.widget_keys.add(key)

    def _finish(self, status: int, now: float) -> None:
        run = self._run
        if run is None or self._done is None or self._done.done():
            return
        run.status = status
        run.seconds = now - self._sent_at
        run.to_start = (self._started_at or now) - self._sent_at
        # the frontend forgets widgets that the finished run did not draw
        self.widgets = dict(self._seen)
        self._done.set_result(None)
