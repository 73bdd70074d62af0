"""PlaceSafe's domain package: pure, typed, never imports Streamlit.

One folder per stage of the pipeline, each importing only the stages before it
(``tests/test_layering.py``)::

    ingest -> store -> stats -> disclosure -> lenses -> render

``core`` is shared by every stage and ``demo`` builds the synthetic borough. The README's
"Architecture" section says which folder a change goes in.
"""

__all__ = ["core", "demo", "disclosure", "ingest", "lenses", "render", "stats", "store"]
