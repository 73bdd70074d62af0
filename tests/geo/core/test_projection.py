"""British National Grid projection (geo.core.area.to_bng / from_bng) against pyproj's
own choice of transformation (``Transformer.from_crs``)."""

from __future__ import annotations

import threading
import warnings

import numpy as np
from pyproj import Transformer

from geo.core.area import BNG, WGS84, from_bng, to_bng


def _reference(source: str, target: str) -> Transformer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return Transformer.from_crs(source, target, always_xy=True)


def test_to_bng_and_back_match_pyprojs_best_transformation() -> None:
    rng = np.random.default_rng(0)
    lng, lat = rng.uniform(-6.0, 1.7, 5000), rng.uniform(50.0, 55.8, 5000)
    x, y = to_bng(lng, lat)
    ref_x, ref_y = _reference(WGS84, BNG).transform(lng, lat)
    np.testing.assert_allclose(x, ref_x, atol=1e-6)
    np.testing.assert_allclose(y, ref_y, atol=1e-6)
    back_lng, back_lat = from_bng(x, y)
    ref_lng, ref_lat = _reference(BNG, WGS84).transform(x, y)
    np.testing.assert_allclose(back_lng, ref_lng, atol=1e-9)
    np.testing.assert_allclose(back_lat, ref_lat, atol=1e-9)
    # a known point: Trafalgar Square is about (530 000, 180 500) on the grid
    tx, ty = to_bng([-0.128], [51.508])
    assert abs(tx[0] - 530_000) < 300 and abs(ty[0] - 180_500) < 300


def test_projection_in_a_new_thread_gives_the_same_coordinates() -> None:
    """Streamlit runs each script run in a new thread."""
    out: list[tuple[np.ndarray, np.ndarray]] = []
    thread = threading.Thread(target=lambda: out.append(to_bng([-0.128], [51.508])))
    thread.start()
    thread.join()
    np.testing.assert_array_equal(out[0], to_bng([-0.128], [51.508]))
