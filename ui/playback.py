"""Month-by-month playback of the Overview map, stepped on the server.

A "▶ Play" button starts a fragment that reruns every ``STEP_SECONDS`` and moves the
``play_month`` slider on by one step; "⏸ Pause" stops it, and playback stops by itself
at the last step. Analysts step through the months of their window; the partnership,
whose period menu is whole quarters, steps through that fixed menu of quarters (never
months). Each step's layers come from the cached, disclosure-controlled
``ui.cache.overview_layers`` for that step's period, exactly as if it had been chosen
in the sidebar, except that every step is drawn on the same legend bands, computed once
from all steps together (:func:`window_bands`), so that months can be compared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import streamlit as st

from geo.core.filters import Filters
from geo.disclosure import WITHHELD
from geo.render.hexlayer import (
    COUNT_PALETTE,
    ED_PALETTE,
    MISSING_PALETTE,
    Bands,
    HexLayer,
    rebanded,
    shared_breaks,
)
from geo.render.layers import ED_UNIT
from ui.cache.base import cache_data
from ui.cache.overview import overview_counts

KEY_STEP = "play_month"
KEY_PLAYING = "_playing"
_KEY_JUST_STARTED = "_play_started"
_KEY_LAST_STEP = "_play_last_step"
#: Seconds between steps while playing.
STEP_SECONDS = 2.0
#: A rerun sooner than this after the last step (a click elsewhere on the page, coming
#: back to the Overview) shows the same step instead of moving on.
MIN_STEP_GAP_SECONDS = 0.9 * STEP_SECONDS


#: The Overview layers (their place in ``ui.cache.overview_layers``) that playback draws
#: on fixed bands, with each one's palette and unit as ``geo.render.layers`` draws them.
FIXED_BAND_LAYERS: tuple[tuple[int, tuple[str, ...], str], ...] = (
    (0, COUNT_PALETTE, "incidents"),
    (1, MISSING_PALETTE, "missing episodes"),
)
#: Count layers after those, drawn on fixed bands too where a step has them (A&E assaults,
#: which the Overview draws only where an emergency department's feed is loaded).
FEED_BAND_LAYERS: tuple[tuple[int, tuple[str, ...], str], ...] = ((3, ED_PALETTE, ED_UNIT),)


def layer_values(layer: HexLayer) -> npt.NDArray[np.float64]:
    """A count layer's displayed values (NaN where withheld)."""
    return np.array(
        [
            np.nan if f["properties"]["value"] is None else float(f["properties"]["value"])
            for f in layer.geojson["features"]
        ],
        dtype=float,
    )


def window_bands(steps: Sequence[Mapping[int, npt.ArrayLike]]) -> tuple[Bands, ...]:
    """One set of legend bands per fixed-band layer (:data:`FIXED_BAND_LAYERS`, then
    :data:`FEED_BAND_LAYERS`), from every step's displayed (disclosed) values together;
    each step maps a layer's place to its values (NaN where withheld)."""
    return tuple(
        shared_breaks([step[i] for step in steps if i in step], len(palette))
        for i, palette, _ in (*FIXED_BAND_LAYERS, *FEED_BAND_LAYERS)
    )


def on_window_bands(
    step_layers: Sequence[HexLayer], bands: Sequence[Bands], withheld_text: str = WITHHELD
) -> tuple[HexLayer, ...]:
    """One step's layers with the count layers redrawn on the window's bands."""
    out = list(step_layers)
    banded = (*FIXED_BAND_LAYERS, *FEED_BAND_LAYERS)
    for (i, palette, unit), band in zip(banded, bands, strict=True):
        if i < len(out):
            out[i] = rebanded(out[i], band, palette, unit, withheld_text)
    return tuple(out)


@cache_data(show_spinner="Setting one legend for every step…", max_entries=16)
def playback_bands(
    fingerprint: str, version: str, role: str, res: int, steps: tuple[Filters, ...]
) -> tuple[Bands, ...]:
    """The bands every step of a playback shares: the values each step's Overview layers
    show (``ui.cache.overview_counts``, disclosure-controlled and cached) pooled."""
    found = min(res, 9)  # missing and A&E assaults, as the Overview draws them
    values = []
    for step in steps:
        incidents, missing, assaults = overview_counts(fingerprint, version, role, res, step)
        values.append(
            {
                0: incidents.levels[res]["value"].to_numpy(float),
                1: missing.levels[found]["value"].to_numpy(float),
                3: assaults.levels[found]["value"].to_numpy(float),
            }
        )
    return window_bands(values)


def next_step(labels: Sequence[str], current: str) -> tuple[str, bool]:
    """The step after ``current`` and whether playback goes on (it stops on the last)."""
    i = list(labels).index(current) if current in labels else -1
    nxt = min(i + 1, len(labels) - 1)
    return labels[nxt], nxt < len(labels) - 1


def _play(labels: Sequence[str]) -> None:
    if st.session_state.get(KEY_STEP) == labels[-1]:
        st.session_state[KEY_STEP] = labels[0]  # start again from the beginning
    st.session_state[KEY_PLAYING] = True
    st.session_state[_KEY_JUST_STARTED] = True
    st.session_state[_KEY_LAST_STEP] = time.monotonic()


def stop_playback() -> None:
    """Stop playing (called when another page runs, so playback never resumes unasked)."""
    st.session_state[KEY_PLAYING] = False


def _pause() -> None:
    st.session_state[KEY_PLAYING] = False


def playback(
    steps: Sequence[tuple[str, Filters]],
    draw: Callable[[str, Filters], None],
    unit: str = "month",
) -> None:
    """The slider, the Play / Pause button and the step's map (drawn by ``draw``)."""
    labels = [label for label, _ in steps]
    if len(labels) < 2:
        st.caption(f"Choose a period of two or more {unit}s to play it {unit} by {unit}.")
        return
    if st.session_state.get(KEY_STEP) not in labels:
        st.session_state[KEY_STEP] = labels[0]
    playing = bool(st.session_state.get(KEY_PLAYING))
    if playing:
        st.button("⏸ Pause", key="play_pause", on_click=_pause)
    else:
        st.button("▶ Play", key="play_start", on_click=_play, args=(labels,))
    by_label = dict(steps)

    @st.fragment(run_every=STEP_SECONDS if playing else None)
    def _step() -> None:
        if st.session_state.get(KEY_STEP) not in labels:
            st.session_state[KEY_STEP] = labels[0]
        if st.session_state.get(KEY_PLAYING):
            last = float(st.session_state.get(_KEY_LAST_STEP, 0.0))
            if st.session_state.pop(_KEY_JUST_STARTED, False):
                pass  # the run that started playback shows the first step as it is
            elif time.monotonic() - last < MIN_STEP_GAP_SECONDS:
                pass  # a rerun for another reason (a click elsewhere) is not a step
            else:
                st.session_state[_KEY_LAST_STEP] = time.monotonic()
                st.session_state[KEY_STEP], going_on = next_step(labels, st.session_state[KEY_STEP])
                if not going_on:
                    st.session_state[KEY_PLAYING] = False
        st.select_slider(unit.capitalize(), options=labels, key=KEY_STEP)
        label = str(st.session_state[KEY_STEP])
        draw(label, by_label[label])
        if playing and not st.session_state.get(KEY_PLAYING):
            st.rerun(scope="app")  # the last step: stop the timer, show "Play" again

    _step()
