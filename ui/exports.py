"""Download buttons for every table and map layer a page shows (CSV, GeoJSON, GeoPackage).

Usage from a page (the pages of other features call it the same way)::

    from ui.exports import export_buttons

    st.dataframe(table, hide_index=True)
    export_buttons(store, "recurring locations", table=table, key="recurring_download")

    m = build_map(..., [layer], ...)
    show_map(m, key=...)
    export_buttons(store, "gap cells layer", layer=layer, key="yw_gaps_layer_download")
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from geo.export import (
    export_table,
    has_geometry,
    layer_to_geojson_bytes,
    to_csv_bytes,
    to_geojson_bytes,
    to_geopackage_bytes,
)
from geo.layers import layer_table
from geo.maps import HexLayer
from geo.store import Store
from ui import audit, state

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
        Where each download is written to the audit log (``ui.audit.log_export``: who,
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
    (``export_served``) as well as each click (``export``): see :func:`served_audit`.
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
    served = served_audit(store, what, rows)
    offered = [fmt for fmt in FORMATS if fmt in data]
    with st.popover(f"Download {what}", icon=":material/download:"):
        st.caption("Exactly as shown on this page. Each download is written to the audit log.")
        for fmt in offered:
            name, ext, mime = FORMATS[fmt]
            st.download_button(
                name,
                partial(served, fmt, data[fmt]),
                file_name=f"{file_stem}.{ext}",
                mime=mime,
                on_click=audit.log_export,
                args=(store, what, rows),
                kwargs={"fmt": fmt},
                key=key if fmt == "csv" else f"{key}_{fmt}",
            )


def _layer_csv(layer: HexLayer) -> bytes:
    return to_csv_bytes(layer_table(layer))


def served_audit(store: Store, what: str, rows: int) -> Callable[[str, Callable[[], bytes]], bytes]:
    """A file producer wrapper that writes ``export_served`` to the audit log.

    Every format is built only when the browser fetches it (Streamlit's deferred
    download), and the fetch itself is logged: the button's click logs ``export``, and
    a file fetched without a click (its URL taken from the page) is still logged. The
    identity, role, view and purpose are captured now, at page run, because the fetch
    is served on another thread without the session.
    """
    who = str(st.session_state.get("user_id", "unknown"))
    role = st.session_state.get("role") or None
    view = str(st.session_state.get("_last_view", ""))
    purpose = st.session_state.get("_purpose")

    def serve(fmt: str, producer: Callable[[], bytes]) -> bytes:
        payload = producer()
        store.audit(
            who,
            role,
            "export_served",
            page=what,
            detail={"rows": rows, "format": fmt, "bytes": len(payload), "filters": view},
            purpose=purpose,
        )
        return payload

    return serve
