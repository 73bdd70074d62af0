"""Download buttons for every table and map layer a page shows (CSV, GeoJSON, GeoPackage).

Usage from a page (the pages of other features call it the same way)::

    from ui.exports import export_buttons

    st.dataframe(table, hide_index=True)
    export_buttons(store, "recurring locations", table=table, key="recurring_download")

    m = build_map(..., [layer], ...)
    show_map(m, key=...)
    export_buttons(store, "gap cells layer", layer=layer, key="yw_gaps_layer_download")

Every download button in the app is made by :func:`audited_download` (a test checks
that no other ``download_button`` call exists): the file is generated only when a
permitted session asks for it, the fetch re-checks the session that was offered the file,
and each download (or refusal) is written to the audit log.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from geo.render.export import (
    export_table,
    has_geometry,
    layer_to_geojson_bytes,
    to_csv_bytes,
    to_geojson_bytes,
    to_geopackage_bytes,
)
from geo.render.hexlayer import HexLayer
from geo.render.layers import layer_table
from geo.store.database import Store
from ui import auth, state

#: Formats offered, with their file extension and MIME type.
FORMATS = {
    "csv": ("CSV", "csv", "text/csv"),
    "geojson": ("GeoJSON", "geojson", "application/geo+json"),
    "gpkg": ("GeoPackage", "gpkg", "application/geopackage+sqlite3"),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "export"


def export_buttons(
    store: Store,
    what: str,
    table: pd.DataFrame | None = None,
    layer: HexLayer | None = None,
    key: str = "",
    file_stem: str | None = None,
) -> None:
    """Offer one shown table or map layer for download, exactly as displayed.

    Parameters
    ----------
    store : Store
        Where each download is written to the audit log (:func:`audited_download`: who,
        role, what, format, rows and the view's filters).
    what : str
        What is downloaded, in words ("hot cells", "incident layer"); the button label,
        the audit log's page field and the file name come from it.
    table : DataFrame, optional
        The frame exactly as the page shows it: for the partnership role the
        disclosure-controlled frame it displays — never recompute anything for an export.
        A named or non-default index (which ``st.dataframe`` shows) becomes columns.
        Offered as CSV (spreadsheet formulas neutralised: a text cell starting with
        ``=``, ``+``, ``-`` or ``@`` gets a leading apostrophe), GeoPackage (hexagons when
        the table has an H3 ``cell``, ``area`` or ``home_area`` column, otherwise a plain
        attribute table) and, for tables of places only, GeoJSON.
    layer : HexLayer, optional
        A map layer exactly as drawn (already disclosure-controlled; only its
        allow-listed properties leave): CSV of each cell with the label shown on the map,
        GeoJSON and GeoPackage with the geometries and allow-listed properties.
    key : str
        Widget key of the CSV button; the others are ``key + "_geojson"`` and
        ``key + "_gpkg"``. Must be unique on the page.
    file_stem : str, optional
        File name without extension (default: ``placesafe-<what>-<from>-<to>``).

    Files are generated only when the browser fetches them, and each fetch is logged
    (``export``): see :func:`audited_download`.
    """
    if (table is None) == (layer is None):
        raise ValueError("pass exactly one of table= or layer=")
    key = key or f"export_{_slug(what)}"
    if file_stem is None:
        f = state.current_filters()
        file_stem = f"placesafe-{_slug(what)}-{f.month_from}-{f.month_to}"
    data: dict[str, Callable[[], bytes]]
    if layer is not None:
        rows = len(layer.geojson["features"])
        data = {
            "csv": partial(_layer_csv, layer),
            "geojson": partial(layer_to_geojson_bytes, layer),
            "gpkg": partial(to_geopackage_bytes, layer, what),
        }
    else:
        assert table is not None
        frame = export_table(table)
        rows = len(frame)
        data = {
            "csv": partial(to_csv_bytes, frame),
            "gpkg": partial(to_geopackage_bytes, frame, what),
        }
        if has_geometry(frame):
            data["geojson"] = partial(to_geojson_bytes, frame)
    offered = [fmt for fmt in FORMATS if fmt in data]
    role = st.session_state.get("role")
    with st.popover(f"Download {what}", icon=":material/download:"):
        st.caption("Exactly as shown on this page. Each download is written to the audit log.")
        for fmt in offered:
            name, ext, mime = FORMATS[fmt]
            audited_download(
                store,
                name,
                data[fmt],
                file_name=f"{file_stem}.{ext}",
                mime=mime,
                what=what,
                fmt=fmt,
                rows=rows,
                roles=(role,) if role else (),  # built for this view's role only
                key=key if fmt == "csv" else f"{key}_{fmt}",
            )


#: A served file leaves Streamlit's media store (its /media URL) within two of these.
MEDIA_SWEEP_SECONDS = 30.0

_sweeper_lock = threading.Lock()
_sweeper: list[threading.Thread] = []


def _sweep_media() -> None:
    """Run Streamlit's own orphan sweep once (what the end of any script run does).

    A generated download belongs to no session: the first sweep marks it, the next one
    deletes it. Streamlit sweeps only when a script run ends or a session closes, so
    without this a served file could stay at its URL while nobody uses the app.
    """
    try:
        from streamlit.runtime import Runtime

        if Runtime.exists():
            Runtime.instance().media_file_mgr.remove_orphaned_files()
    except Exception:  # the runtime is stopping: nothing left to serve
        return


def _sweep_forever() -> None:
    while True:
        time.sleep(MEDIA_SWEEP_SECONDS)
        _sweep_media()


def _start_media_sweeper() -> None:
    """Start the periodic media sweep once per process (after the first served file)."""
    with _sweeper_lock:
        if not _sweeper:
            thread = threading.Thread(target=_sweep_forever, name="placesafe-media-sweep",
                                      daemon=True)  # fmt: skip
            thread.start()
            _sweeper.append(thread)


def _layer_csv(layer: HexLayer) -> bytes:
    return to_csv_bytes(layer_table(layer))


@dataclass(frozen=True)
class DownloadTicket:
    """What a download button was offered for, and to whom, captured at page run.

    The file is fetched on another thread, without the page's session state; the
    ticket lets that fetch find the session again and check it.
    """

    what: str
    fmt: str
    file_name: str
    rows: int | None
    roles: tuple[str, ...]
    who: str
    role: str | None
    grounds: str
    session_id: str | None
    page: str | None
    filters: Mapping[str, str]
    purpose: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def detail(self, **more: Any) -> dict[str, Any]:
        """The audit event's detail."""
        return {
            "format": self.fmt,
            "rows": self.rows,
            "file": self.file_name,
            "from_page": self.page,
            "filters": dict(self.filters),
            "allowed": list(self.roles),
            **self.extra,
            **more,
        }


def audited_download(
    store: Store,
    label: str,
    data: Callable[[], bytes | str],
    *,
    file_name: str,
    mime: str,
    what: str,
    fmt: str,
    roles: Collection[str],
    key: str,
    rows: int | None = None,
    detail: Mapping[str, Any] | None = None,
    container: DeltaGenerator | None = None,
) -> bool:
    """The one download button of the app: deferred, permission-checked and audited.

    Parameters
    ----------
    store : Store
        Where each download is written to the audit log.
    label : str
        The button label.
    data : callable
        Produces the file's bytes (or text). Called only when a permitted session
        fetches the file — never when the page renders — so no media URL exists until
        then (Streamlit's deferred download).
    file_name, mime : str
        The file's name and MIME type.
    what : str
        What is downloaded, in words (the audit log's page field).
    fmt : str
        The file format (csv, pdf, html, md...), for the audit log.
    roles : collection of str
        Roles that may have this file; ``"admin"`` also admits an admin whatever role
        they view as. A session that may not see it gets no button.
    key : str
        Widget key, unique on the page.
    rows : int, optional
        Rows in the file, for the audit log.
    detail : mapping, optional
        More for the audit event's detail (quarter, audience...).
    container : DeltaGenerator, optional
        Where to put the button (a column); default: the current container.

    Returns
    -------
    bool
        Whether the button was offered.

    A click fetches the file; the fetch re-checks the session that was offered it —
    still open, same user, same grounds — and then writes ``export`` (who, role, what,
    format, rows, bytes, page and filters) and returns the bytes, or writes
    ``export_refused`` and serves nothing.

    The click does not rerun the page (``on_click="ignore"``). A rerun started by the
    click raced the fetch in Streamlit 1.67: a fetch answered before the rerun began had
    its answer cleared from the session's outgoing queue with the old page's messages,
    and the button spun for ever (about one click in ten in Chromium here).
    """
    session = st.session_state
    grounds = auth.access_grounds(session, roles)
    if grounds is None:
        return False
    page, filters = _view()
    ticket = DownloadTicket(
        what=what,
        fmt=fmt,
        file_name=file_name,
        rows=rows,
        roles=tuple(roles),
        who=str(session.get("user_id", "unknown")),
        role=session.get("role") or None,
        grounds=grounds,
        session_id=_session_id(),
        page=page,
        filters=filters,
        purpose=session.get("_purpose"),
        extra=dict(detail or {}),
    )
    target = container if container is not None else st
    target.download_button(
        label,
        partial(_serve, store, ticket, data),
        file_name=file_name,
        mime=mime,
        on_click="ignore",
        key=key,
    )
    return True


def _view() -> tuple[str | None, dict[str, str]]:
    """The page and filters of the current view (as :func:`ui.audit.log_view` saw it)."""
    last = st.session_state.get("_last_view")
    if isinstance(last, tuple) and len(last) == 3:
        return str(last[0]), {str(k): str(v) for k, v in last[2]}
    return None, {}


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _live_session(session_id: str | None) -> Any:
    """The session state of a session that is still open, or None.

    A fetch is served on a worker thread without the page's context; the runtime's
    session registry is the only way back to the session that was offered the file.
    """
    if session_id is None:
        return None
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        app_session = Runtime.instance().get_app_session(session_id)
    except Exception:  # a Streamlit without this registry: refuse rather than guess
        return None
    return None if app_session is None else app_session.session_state


def _refusal(session: Any, ticket: DownloadTicket) -> str | None:
    """Why ``session`` may not have the file ``ticket`` was offered for (None: it may)."""
    if session is None:
        return "the session that was offered the file has ended"
    try:
        who = str(session["user_id"])
    except Exception:
        who = ""
    if who != ticket.who:
        return "another user holds the session"
    if auth.access_grounds(session, ticket.roles) != ticket.grounds:
        return "the session's role no longer allows this file"
    if ticket.grounds != "admin":  # data built for one view: only that view may have it
        try:
            role = session["role"]
        except Exception:
            role = None
        if role != ticket.role:
            return "the session's role no longer allows this file"
    return None


def _serve(store: Store, ticket: DownloadTicket, data: Callable[[], bytes | str]) -> bytes:
    """Produce the file for a fetch, if the session that was offered it may still have it."""
    problem = _refusal(_live_session(ticket.session_id), ticket)
    if problem is not None:
        store.audit(
            ticket.who,
            ticket.role,
            "export_refused",
            page=ticket.what,
            detail=ticket.detail(refused=problem),
            purpose=ticket.purpose,
        )
        raise PermissionError(f"download refused: {problem}")
    payload = data()
    body = payload.encode("utf-8") if isinstance(payload, str) else payload
    store.audit(
        ticket.who,
        ticket.role,
        "export",
        page=ticket.what,
        detail=ticket.detail(bytes=len(body)),
        purpose=ticket.purpose,
    )
    _start_media_sweeper()
    return body
