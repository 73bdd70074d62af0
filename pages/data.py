"""Data (admin): upload a partner file, read its validation report, confirm, roll back.

The synthetic demo takes no partner files: the page says so instead of offering an upload.
"""

from __future__ import annotations

import streamlit as st

from geo.core.roles import Role
from geo.ingest.pipeline import KINDS
from ui import ingest_panel
from ui.context import page_context

ctx = page_context(Role.ADMIN)

st.title("Data")
refusal = ingest_panel.demo_refusal(ctx.config, ctx.store)
if refusal:  # the synthetic demo holds only what its generator built
    st.info(refusal)
else:
    st.write(
        "Upload a partner file, check it, then confirm. A refused file changes nothing; "
        "the data already live stay live."
    )
    kind = st.selectbox(
        "Kind of file", KINDS, key="ingest_kind", format_func=ingest_panel.KIND_LABELS.__getitem__
    )
    upload = st.file_uploader(
        "File (CSV, XLSX or GeoJSON)", type=["csv", "xlsx", "geojson", "json"], key="ingest_file"
    )
    if upload is not None:
        ingest_panel.check_and_confirm(ctx.store, ctx.config, kind, upload.name, upload.getvalue())

ingest_panel.loaded_feeds(ctx.store)

st.subheader("Batches")
ingest_panel.batch_history(ctx.store)
