"""Data (admin): upload a partner file, read its validation report, confirm, roll back.

The synthetic demo takes no partner files: the page says so instead of offering an upload.
"""

from __future__ import annotations

import streamlit as st

from geo.core.headers import human_headers
from geo.ingest.pipeline import KINDS
from geo.store import catalogue
from ui import auth, cache, ingest_panel

auth.require_role("admin")
config = cache.get_config()
store = cache.get_store(config)

st.title("Data")
refusal = ingest_panel.demo_refusal(config, store)
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
        ingest_panel.check_and_confirm(store, config, kind, upload.name, upload.getvalue())

st.subheader("What is loaded")
st.caption(
    "One row per feed: the months it covers, the finest time it records, whose records it "
    'holds and what it cannot tell. Pages say "not loaded" for anything no feed can tell.'
)
feeds = catalogue.feed_catalogue(store)
if feeds:
    st.dataframe(human_headers(catalogue.catalogue_frame(feeds)), hide_index=True, width="stretch")
else:
    st.info("Nothing is loaded yet.")

st.subheader("Batches")
ingest_panel.batch_history(store)
