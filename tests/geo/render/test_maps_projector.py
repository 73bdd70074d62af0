"""geo.render.maps for a projector: the emerging-hot-spot palette is told apart by colour alone,
every category has its label in the legend, the legend is a control on the map, the
presentation fit script, and fixed legend bands shared by several frames."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely

from geo.core import hexes
from geo.render import hexlayer, maps
from geo.stats.emerging import CATEGORY_NAMES

BOUNDARY = shapely.box(0.0, 51.52, 0.06, 51.55)
BOUNDS = (0.0, 51.52, 0.06, 51.55)
#: Smallest CIE76 colour difference between two emerging-hot-spot categories (15 is a
#: difference plainly visible side by side; a projector washes colours out, hence more).
MIN_DELTA_E = 20.0


def _cells(n: int, res: int = 9) -> np.ndarray:
    rng = np.random.default_rng(0)
    cells = hexes.points_to_cells(
        51.53 + rng.uniform(0, 0.02, n), 0.01 + rng.uniform(0, 0.04, n), res
    )
    return np.unique(cells)[:n]


def _lab(colour: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB hex colour."""
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str) -> float:
    return float(np.linalg.norm(_lab(a) - _lab(b)))


def test_delta_e_helper_tells_the_old_palette_apart_from_the_new() -> None:
    # the old Consecutive and Diminishing hot spot colours, which a projector merged
    assert delta_e("#ff8080", "#ff6666") < MIN_DELTA_E
    assert delta_e("#000000", "#ffffff") == pytest.approx(100, abs=0.1)


def test_every_emerging_category_has_a_colour_and_a_name() -> None:
    assert set(hexlayer.EHSA_COLOURS) == set(CATEGORY_NAMES)


@pytest.mark.parametrize(
    ("a", "b"),
    list(itertools.combinations([c for c in hexlayer.EHSA_COLOURS if c != 0], 2)),
)
def test_emerging_colours_are_pairwise_distinct(a: int, b: int) -> None:
    colours = hexlayer.EHSA_COLOURS
    assert delta_e(colours[a], colours[b]) > MIN_DELTA_E, (CATEGORY_NAMES[a], CATEGORY_NAMES[b])


@pytest.mark.parametrize("code", [c for c in hexlayer.EHSA_COLOURS if c != 0])
def test_emerging_colours_differ_from_withheld_grey(code: int) -> None:
    assert delta_e(hexlayer.EHSA_COLOURS[code], hexlayer.WITHHELD_COLOUR) > MIN_DELTA_E


def test_hot_categories_are_warm_and_cold_ones_cool() -> None:
    for code, colour in hexlayer.EHSA_COLOURS.items():
        r, _, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        if code > 0:
            assert r > b, CATEGORY_NAMES[code]
        elif code < 0:
            assert b > r, CATEGORY_NAMES[code]


def test_every_drawn_category_is_labelled_in_the_legend() -> None:
    codes = [c for c in hexlayer.EHSA_COLOURS if c != 0]
    cells = _cells(len(codes))
    layer = hexlayer.category_layer(
        "Emerging hot spots",
        cells,
        codes[: len(cells)],
        hexlayer.EHSA_COLOURS,
        CATEGORY_NAMES,
        ["x"] * len(cells),
    )
    assert {text for _, text in layer.legend} == {CATEGORY_NAMES[c] for c in codes[: len(cells)]}
    html = (
        maps.build_map((51.53, 0.03), BOUNDS, BOUNDARY, [layer], tiles="none").get_root().render()
    )
    legend = html[html.index(f'id="{maps.LEGEND_ID}"') :]
    legend = legend[: legend.index("</div>")]
    for code in codes[: len(cells)]:
        assert CATEGORY_NAMES[code] in legend
        assert hexlayer.EHSA_COLOURS[code] in legend


# --- the legend sits on the map ------------------------------------------------------


def test_legend_is_moved_into_a_leaflet_control() -> None:
    layer = hexlayer.count_layer("Incidents", _cells(5), np.arange(1, 6), ["x"] * 5)
    html = maps.build_map((51.53, 0.03), BOUNDS, BOUNDARY, [layer], tiles="none")
    text = html.get_root().render()
    assert f'id="{maps.LEGEND_ID}"' in text
    assert "L.Control.extend(" in text and 'position: "bottomright"' in text
    assert f'document.getElementById("{maps.LEGEND_ID}")' in text


def test_fit_to_viewport_is_only_added_on_request() -> None:
    layer = hexlayer.count_layer("Incidents", _cells(5), np.arange(1, 6), ["x"] * 5)
    plain = maps.build_map((51.53, 0.03), BOUNDS, BOUNDARY, [layer], tiles="none")
    assert "psHeight" not in plain.get_root().render()
    fitted = maps.fit_to_viewport(
        maps.build_map((51.53, 0.03), BOUNDS, BOUNDARY, [layer], tiles="none"), max_height=840
    )
    text = fitted.get_root().render()
    assert "psHeight" in text and "window.parent.innerHeight" in text
    assert "Math.min(840," in text  # never taller than it was asked to be
    assert "setFrameHeight" in text  # the frame takes the map's height


# --- fixed bands across frames -------------------------------------------------------


def test_class_breaks_accepts_fixed_breaks() -> None:
    assert list(hexlayer.class_breaks([1, 2, 3], 5, breaks=[10, 2, 5, 5])) == [2, 5, 10]
    assert list(hexlayer.class_breaks([1, 2, 3], 5)) == [2.0, 3.0]  # quantiles of the data


def test_two_frames_with_different_data_share_breaks_and_legend() -> None:
    cells = _cells(6)
    quiet = np.array([1, 1, 2, 2, 3, 3], dtype=float)
    busy = np.array([5, 10, 20, 40, 60, 80], dtype=float)
    # on their own, each frame gets its own bands: months cannot be compared
    assert hexlayer.count_layer("I", cells, quiet, ["x"] * 6).legend != (
        hexlayer.count_layer("I", cells, busy, ["x"] * 6).legend
    )
    bands = hexlayer.shared_breaks([quiet, busy])
    assert bands.lowest == 1.0
    a = hexlayer.count_layer("I", cells, quiet, ["x"] * 6, breaks=bands)
    b = hexlayer.count_layer("I", cells, busy, ["x"] * 6, breaks=bands)
    assert a.legend == b.legend
    assert len(a.legend) == len(bands.breaks)
    assert a.legend[-1][1].endswith("or more incidents")
    # the quiet month sits in the lowest bands, the busy one reaches the top band
    band_a = [f["properties"]["band"] for f in a.geojson["features"]]
    band_b = [f["properties"]["band"] for f in b.geojson["features"]]
    assert max(band_a) < max(band_b) == len(bands.breaks) - 1


def test_rebanded_layer_matches_a_layer_built_on_the_bands() -> None:
    cells = _cells(6)
    values = np.array([1, 4, np.nan, 9, 30, 2], dtype=float)
    bands = hexlayer.shared_breaks([values, np.array([50.0, 70.0])])
    own = hexlayer.count_layer(
        "Missing", cells, values, ["x"] * 6, hexlayer.MISSING_PALETTE, "episodes", True, "held"
    )
    redrawn = hexlayer.rebanded(own, bands, hexlayer.MISSING_PALETTE, "episodes", "held")
    built = hexlayer.count_layer(
        "Missing",
        cells,
        values,
        ["x"] * 6,
        hexlayer.MISSING_PALETTE,
        "episodes",
        True,
        "held",
        bands,
    )
    assert redrawn.legend == built.legend
    assert redrawn.geojson == built.geojson
    assert own.legend != built.legend
