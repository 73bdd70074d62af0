"""Shared widgets: the filter sidebar, banners and KPI tiles."""

from __future__ import annotations

from typing import Final, Literal, TypedDict

import numpy as np
import pandas as pd
import streamlit as st

from geo import disclosure
from geo.core.config import Config
from geo.core.filters import Filters, quarter_label, quarter_menu
from geo.core.roles import Role
from geo.core.schema import INCIDENT_CATEGORIES, INCIDENT_CATEGORY_LABELS
from geo.disclosure import allowed_resolutions
from geo.disclosure.windows import window_label
from geo.render.briefing import KPI_LABELS  # the headline figures' names, as the pack prints them
from ui import state


def synthetic_banner(config: Config) -> None:
    """Label synthetic data wherever it appears."""
    if config.app.demo:
        # in a keyed container, which presentation mode draws as one slim line
        with st.container(key="synthetic_banner"):
            st.info(
                "**Synthetic demo data** — a fictional borough at real east-London "
                "coordinates. No real person, place of care or incident is shown.",
                icon="🧪",
            )


def filter_sidebar(months: list[str], role: str, config: Config) -> None:
    """The shared filters: month range, incident categories and resolution."""
    resolutions = allowed_resolutions(role, config)
    if st.session_state.get(state.KEY_RES) not in resolutions:
        st.session_state[state.KEY_RES] = resolutions[-1]
    state.coarsen_cell(role, config)
    with st.sidebar:
        st.header("Filters")
        if role == Role.PARTNERSHIP:
            _partnership_period(months)
            publication_note(config)
        elif months:
            chosen = st.select_slider(
                "Months",
                options=months,
                value=tuple(st.session_state[state.KEY_MONTHS]),
                key="months_slider",
            )
            st.session_state[state.KEY_MONTHS] = tuple(chosen)
            st.multiselect(
                "Incident categories (none = all)",
                options=list(INCIDENT_CATEGORIES),
                format_func=INCIDENT_CATEGORY_LABELS.__getitem__,
                key=state.KEY_CATEGORIES,
            )
        st.selectbox(
            "Hexagon resolution",
            options=resolutions,
            key=state.KEY_RES,
            format_func=lambda r: {
                7: "7 (about 5 km²)",
                8: "8 (about 0.7 km²)",
                9: "9 (about 0.1 km²)",
                10: "10 (about 0.015 km²)",
            }[r],
            help="Finer resolutions are available to analysts only.",
        )


def publication_note(config: Config) -> None:
    """How the partnership's figures are protected, under the filters on every page."""
    st.caption("🔒 " + disclosure.publication_note(config))


def _partnership_period(months: list[str]) -> None:
    """A fixed menu of whole quarters and all categories: no free windows or category
    subsets whose differences could reveal a withheld count."""
    menu = quarter_menu(months)
    st.session_state[state.KEY_CATEGORIES] = []
    if not menu:
        # no whole quarter to offer: the data pages show nothing (see app.py), never a
        # free window taken from the URL or the defaults
        st.caption("No complete quarter of data yet.")
        st.session_state[state.KEY_NO_PERIOD] = True
        return
    st.session_state[state.KEY_NO_PERIOD] = False
    labels = [quarter_label(f) for f in menu]
    start, end = st.session_state[state.KEY_MONTHS]
    current = next(
        (i for i, f in enumerate(menu) if f.month_from <= end <= f.month_to), len(menu) - 1
    )
    if st.session_state.get("quarter_select") not in labels:
        st.session_state["quarter_select"] = labels[current]
    chosen = st.selectbox("Quarter", labels, key="quarter_select")
    picked = menu[labels.index(chosen)]
    st.session_state[state.KEY_MONTHS] = (picked.month_from, picked.month_to)
    st.caption("All incident categories (fixed in the partnership view).")


#: The one colour rule for changes, on every page: worse is warm (red), better is cool
#: (blue), no change is grey; the arrow gives the direction and a word says which is
#: which, so colour is never the only cue. (Streamlit's own "normal"/"inverse" colours
#: are green and red, which read differently from page to page.)
WORSE_COLOUR: Final = "red"
BETTER_COLOUR: Final = "blue"
SAME_COLOUR: Final = "gray"
#: Headline measures where a rise is good news (for the others a rise is worse).
HIGHER_IS_BETTER: frozenset[str] = frozenset({"youth_work_hours"})


class ChangeDelta(TypedDict):
    """``st.metric``'s keyword arguments for a change."""

    delta: str | None
    delta_color: Literal["red", "blue", "gray"]
    delta_description: str | None


def change_delta(change: float, higher_is_worse: bool = True) -> ChangeDelta:
    """``st.metric`` keyword arguments for a change under the colour rule: ``delta``
    (signed text, so the arrow follows the direction), ``delta_color`` and a word in
    ``delta_description`` ("worse", "better" or "no change"). A NaN change gives no
    delta at all."""
    if change != change:  # NaN: withheld or no earlier figure
        return {"delta": None, "delta_color": SAME_COLOUR, "delta_description": None}
    if change == 0:
        return {"delta": "0", "delta_color": SAME_COLOUR, "delta_description": "no change"}
    worse = (change > 0) == higher_is_worse
    return {
        "delta": f"{change:+,.0f}",
        "delta_color": WORSE_COLOUR if worse else BETTER_COLOUR,
        "delta_description": "worse" if worse else "better",
    }


def kpi_tiles(kpis: pd.DataFrame, coverage: pd.DataFrame | None = None) -> None:
    """Headline figures (already disclosure-controlled; NaN = withheld) with change
    against the previous equal period, coloured by :func:`change_delta`.

    ``coverage`` (:func:`geo.store.catalogue.kpi_coverage`) says where no feed that can tell a
    measure is loaded: such a figure reads "Not loaded", and a change is shown only when
    both periods hold data.
    """
    st.caption(
        "Headline figures · change against the previous period of equal length "
        "(red ↑/↓ worse, blue better)"
    )
    cols = st.columns(len(KPI_LABELS))
    for col, (key, label) in zip(cols, KPI_LABELS.items(), strict=True):
        cur, prev = (float(v) for v in kpis.loc[key, ["current", "previous"]].to_numpy())
        now_held = coverage is None or bool(coverage.loc[key, "current"])
        before_held = coverage is None or bool(coverage.loc[key, "previous"])
        if not now_held:
            col.metric(label, "Not loaded", help=NOT_LOADED_HELP.get(key, NOT_LOADED_HELP["*"]))
            continue
        shown = "withheld" if np.isnan(cur) else f"{cur:,.0f}"
        change = cur - prev if before_held else float("nan")
        col.metric(
            label,
            shown,
            **change_delta(change, higher_is_worse=key not in HIGHER_IS_BETTER),
            help=None if before_held else "No data for the previous period, so no change.",
        )


#: Each map layer's feed in words, for the note shown instead of an empty layer.
LAYER_FEEDS: Final[dict[str, str]] = {
    "ed_assaults": "emergency department (ISTV) feed of A&E-treated assaults",
}


def not_loaded_note(layer: str, window: Filters) -> str:
    """What a page says instead of drawing an empty layer when no feed of ``layer``
    covers ``window``: "not loaded", never a map of zeros (which would read as none)."""
    return (
        f"{MAP_LAYER_LABELS.get(layer, layer)}: not loaded. No {LAYER_FEEDS.get(layer, 'feed')} "
        f"covers {window_label(window)}, so this layer is not drawn: an empty layer would "
        "read as no assaults at all. An admin loads the feed on the Data page."
    )


#: Why a headline figure reads "Not loaded".
NOT_LOADED_HELP = {
    "knife_crime": "Needs a partner's serious youth violence extract with a weapon flag; "
    "police.uk street crime has no weapon flag.",
    "harmful_sexual_behaviour": "Needs a partner's extract; police.uk does not record it.",
    "*": "No feed covering this period is loaded.",
}


#: Presentation mode (projectors, 1280×720 and up): larger type and controls, full-width
#: content, no sidebar (the grouped page navigation at the top stays), slimmer spacing,
#: the demo banner as one line in the top bar (on screens 1200 px wide and more) beside
#: "Exit presentation", and the Overview's layer picker left to the map's own layer
#: control, so that a page's title, controls and map (which ``ui.map.show_map`` fits to
#: the window) share the first screen. Tables (a canvas Streamlit draws) are zoomed.
#: A constant: no data is ever put into this HTML.
PRESENTATION_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {display: none !important;}
[data-testid="stMainBlockContainer"], .block-container {
  max-width: 100% !important; padding: 3.9rem 1.5rem 2rem 1.5rem !important;}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {gap: 0.55rem !important;}
[data-testid="stAppViewContainer"] {font-size: 1.2rem;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stText"] {font-size: 1.2rem !important; line-height: 1.4 !important;}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p
  {font-size: 1.02rem !important; line-height: 1.35 !important;}
[data-testid="stWidgetLabel"] p {font-size: 1.15rem !important;}
[data-baseweb="select"] div, [data-baseweb="input"] input, [data-testid="stRadio"] label p,
[data-testid="stCheckbox"] label p, [data-testid="stToggle"] label p,
[data-testid="stButton"] button p, [data-testid="stBaseButton-segmented_control"] p,
[data-testid="stBaseButton-segmented_controlActive"] p, button[data-baseweb="tab"] p
  {font-size: 1.1rem !important;}
[data-testid="stDataFrame"], [data-testid="stTable"] {zoom: 1.25;}
[data-testid="stMetricValue"] p, [data-testid="stMetricValue"] div
  {font-size: 2.2rem !important; line-height: 1.1 !important;}
[data-testid="stMetricLabel"] p {font-size: 1.1rem !important;}
[data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] p {font-size: 1.05rem !important;}
h1 {font-size: 2.3rem !important; padding: 0.2rem 0 0.3rem 0 !important;}
h2 {font-size: 1.9rem !important;} h3 {font-size: 1.6rem !important;}
.st-key-synthetic_banner [data-testid="stAlertContainer"] {padding: 0.3rem 0.8rem !important;}
.st-key-synthetic_banner [data-testid="stMarkdownContainer"] p
  {font-size: 0.95rem !important; line-height: 1.3 !important;}
@media (min-width: 1200px) {
  .st-key-synthetic_banner {position: fixed !important; top: 0.4rem; left: 28rem;
    right: 15rem; z-index: 999991; width: auto !important;}
  .st-key-synthetic_banner [data-testid="stAlertContainer"] {padding: 0.15rem 0.6rem !important;}
  .st-key-synthetic_banner [data-testid="stMarkdownContainer"] p
    {font-size: 0.82rem !important; line-height: 1.25 !important;}
}
.st-key-ov_layers {display: none !important;}
.st-key-exit_present {position: fixed !important; top: 0.6rem; right: 3.2rem;
  z-index: 999991; width: auto !important;}
.st-key-exit_present button {min-height: 2.2rem; padding: 0.1rem 0.7rem;}
</style>
"""


def _exit_presentation() -> None:
    st.session_state[state.KEY_PRESENT] = False


def presentation_mode() -> None:
    """The sidebar's presentation toggle (``present``, also ``present=1`` in the URL).

    When on: the constant CSS above (larger type, full width, sidebar hidden) and an
    on-page "Exit presentation" button, since the sidebar and its toggle are hidden.
    Maps are drawn taller by ``ui.map.show_map``.
    """
    with st.sidebar:
        st.toggle(
            "Presentation mode",
            key=state.KEY_PRESENT,
            help="For projectors: larger type, full-width maps, no sidebar.",
        )
    if st.session_state.get(state.KEY_PRESENT):
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        st.button(
            "Exit presentation",
            icon=":material/close_fullscreen:",
            on_click=_exit_presentation,
            key="exit_present",
        )


def share_link(config: Config, url_path: str) -> None:
    """The "Copy link" control for the current view: the page's path and the view's query string
    (never data) after the configured ``[app] base_url``, in a code block whose copy
    button puts it on the clipboard."""
    url = state.share_url(config.app.base_url, url_path, state.url_params())
    with st.sidebar:
        st.caption("Copy link to this view (opens it for anyone with the right role)")
        st.code(url, language=None, wrap_lines=True)


#: The Overview map's layers (``layers=`` in the URL) and their names on the page.
MAP_LAYER_LABELS = {
    "incidents": "Incidents",
    "missing": "Missing: found / last seen",
    "ed_assaults": "A&E assaults (ED, ISTV)",
    "youth_work": "Youth-work coverage",
    "schools": "Schools",
}


def _layers_changed() -> None:
    chosen = st.session_state.get("ov_layers", [])
    st.session_state[state.KEY_LAYERS] = tuple(x for x in state.MAP_LAYERS if x in chosen)


def map_layer_select() -> tuple[str, ...]:
    """The Overview's layer toggles (widget ``ov_layers``), kept in ``layers`` (and so in
    the URL) by a callback that runs before the URL is written."""
    if "ov_layers" not in st.session_state:
        st.session_state["ov_layers"] = list(st.session_state.get(state.KEY_LAYERS, ()))
    st.multiselect(
        "Map layers",
        list(state.MAP_LAYERS),
        format_func=MAP_LAYER_LABELS.__getitem__,
        key="ov_layers",
        on_change=_layers_changed,
        help="Layers drawn when the map opens (more can be ticked on the map itself).",
    )
    _layers_changed()
    return tuple(st.session_state[state.KEY_LAYERS])


#: What a withheld cell reads in a partnership table (its caption says why).
WITHHELD_CELL = "withheld"


def _cell_text(v: object) -> str:
    """A table value as text: whole numbers as "134", not "134.0"; no thousands separator,
    so a column still reads back as numbers."""
    if isinstance(v, int | float | np.integer | np.floating) and float(v).is_integer():
        return f"{int(v)}"
    return str(v)


def withheld_cells(frame: pd.DataFrame, role: str) -> pd.DataFrame:
    """A table with one type per column (Arrow cannot hold numbers and words together,
    e.g. "47%" beside 0.12), and for the partnership its blank (withheld) cells reading
    "withheld", never "None"; other roles' blanks stay blank (a blank there means none
    or not calculable, as the page says)."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        blank = values.isna().to_numpy()
        withheld = role == Role.PARTNERSHIP and bool(blank.any())
        mixed = values.dtype == object and len({type(v) for v in values.dropna()}) > 1
        if withheld or mixed:
            out[col] = [
                (WITHHELD_CELL if withheld else None) if gap else _cell_text(v)
                for v, gap in zip(values.to_numpy(dtype=object), blank, strict=True)
            ]
    return out
