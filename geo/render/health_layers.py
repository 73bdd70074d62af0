"""The Health and police page's map layer: the places known to health and not to police
(:class:`geo.render.hexlayer.HexLayer`).

The view is already what the role may see (:func:`geo.lenses.health_police_view.
health_police_view`); labels are its figures and fixed words, and the place names,
which come from public sources, are escaped with every label by
:func:`geo.render.hexlayer.hex_feature_collection`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.lenses.health_police_view import HealthPoliceView
from geo.render.hexlayer import HexLayer, category_layer

__all__ = ["EVIDENCE_CLASSES", "EVIDENCE_COLOURS", "HEALTH_LAYER", "known_to_health_layer"]

#: The layer's name on the map, its legend and exports.
HEALTH_LAYER: Final = "Known to A&E, not to police"
#: Map classes of the strength of evidence, strongest first.
EVIDENCE_CLASSES: Final[dict[int, str]] = {
    3: "Very strong evidence",
    2: "Strong evidence",
    1: "Moderate evidence",
}
EVIDENCE_COLOURS: Final[dict[int, str]] = {3: "#7a0177", 2: "#c51b8a", 1: "#f768a1"}
_CLASS_OF: Final[dict[str, int]] = {"very strong": 3, "strong": 2, "moderate": 1}


def _figure(value: object, unit: str) -> str:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return f"{unit} withheld" if pd.isna(number) else f"{float(number):,.0f} {unit}"


def known_to_health_layer(view: HealthPoliceView, *, show: bool = True) -> HexLayer:
    """One hexagon per listed place, coloured by the strength of its evidence; the label
    names the place and gives its A&E assaults, police-recorded violence and how many
    times the expected number of A&E assaults it saw."""
    places = view.places
    if places.empty:
        return category_layer(
            HEALTH_LAYER, np.zeros(0, dtype=np.uint64), [], EVIDENCE_COLOURS, EVIDENCE_CLASSES,
            [], show,
        )  # fmt: skip
    classes = [_CLASS_OF.get(str(e), 0) for e in places["evidence"]]
    ratios = pd.to_numeric(places["ratio"], errors="coerce").to_numpy(dtype=float)
    labels = []
    for rank, place, ed, police, ratio in zip(  # one per listed place
        places["rank"], places["place"], places["ed"], places["police"], ratios, strict=True
    ):
        times = (
            "times expected withheld"
            if not np.isfinite(ratio)
            else f"{ratio:.1f} times the A&E assaults expected"
        )
        labels.append(
            f"{rank}. {place} · {_figure(ed, 'A&E assaults')}, "
            f"{_figure(police, 'police records of violence')} · {times}"
        )
    return category_layer(
        HEALTH_LAYER,
        hexes.str_to_cells(places["cell"].astype(str).tolist()),
        classes,
        EVIDENCE_COLOURS,
        EVIDENCE_CLASSES,
        labels,
        show,
    )
