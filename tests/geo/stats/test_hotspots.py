"""geo.stats.getis_ord, fdr, mann_kendall and emerging against esda, statsmodels,
pymannkendall and the definitions of DESIGN §5."""

from __future__ import annotations

import copy
import re

import esda
import h3
import libpysal
import numpy as np
import pandas as pd
import pymannkendall
import pytest
import scipy.sparse as sp
import shapely
from scipy import stats
from statsmodels.stats.multitest import fdrcorrection

from geo.core import hexes
from geo.core.errors import InsufficientDataError
from geo.stats import emerging, getis_ord
from geo.stats.emerging import CATEGORY_NAMES, categorise, describe_category, emerging_hotspots
from geo.stats.fdr import benjamini_hochberg
from geo.stats.getis_ord import ALPHAS, confidence_bins, disk_weights, gi_star, two_sided_p
from geo.stats.mann_kendall import mann_kendall, mann_kendall_many

# Boxes near London (WGS84 degrees) giving grids of about 50, 500 and 3300 cells.
CENTRE = (51.50, -0.05)
GRIDS = {
    "small": (8, 0.025),  # 46 cells at res 8
    "medium": (9, 0.03),  # 471 cells at res 9
    "large": (10, 0.03),  # 3298 cells at res 10
}


def box_grid(res: int, half_lat: float, centre: tuple[float, float] = CENTRE) -> np.ndarray:
    lat, lng = centre
    half_lng = half_lat * 1.6
    box = shapely.box(lng - half_lng, lat - half_lat, lng + half_lng, lat + half_lat)
    return hexes.polygon_to_cells(box, res)


@pytest.fixture(scope="module")
def grids() -> dict[str, np.ndarray]:
    return {name: box_grid(res, half) for name, (res, half) in GRIDS.items()}


def random_counts(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    if kind == "poisson":
        return rng.poisson(3.0, size=n).astype(float)
    # skewed: mostly zeros, a long right tail and a few very busy cells
    x = rng.negative_binomial(0.3, 0.1, size=n).astype(float)
    x[rng.choice(n, size=max(1, n // 50), replace=False)] += rng.integers(20, 200)
    return x


def h3_neighbours(cell_strs: list[str], k: int) -> dict[int, list[int]]:
    """Neighbours by position, straight from h3-py, the cell itself included."""
    pos = {c: i for i, c in enumerate(cell_strs)}
    return {
        i: sorted(pos[nb] for nb in h3.grid_disk(c, k) if nb in pos)
        for i, c in enumerate(cell_strs)
    }


def dense_from_neighbours(neighbours: dict[int, list[int]], n: int) -> np.ndarray:
    dense = np.zeros((n, n))
    for i, nbs in neighbours.items():
        dense[i, nbs] = 1.0
    return dense


def esda_gi_star(x: np.ndarray, w: libpysal.weights.W) -> esda.G_Local:
    return esda.G_Local(x, copy.deepcopy(w), transform="B", star=True, permutations=0)


# --- weights ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GRIDS))
@pytest.mark.parametrize("k", [1, 2])
def test_disk_weights_match_h3_grid_disk(grids, name: str, k: int) -> None:
    cells = grids[name]
    w = disk_weights(cells, k)
    assert sp.issparse(w)
    assert w.shape == (cells.size, cells.size)
    expected = dense_from_neighbours(h3_neighbours(list(hexes.cells_to_str(cells)), k), cells.size)
    np.testing.assert_array_equal(w.toarray(), expected)
    # binary, symmetric, self included, and edge cells have fewer neighbours (outside = none)
    assert set(np.unique(w.data)) == {1.0}
    assert (w != w.T).nnz == 0
    np.testing.assert_array_equal(w.diagonal(), 1.0)
    row = np.asarray(w.sum(axis=1)).ravel()
    full = 1 + 3 * k * (k + 1)
    assert row.max() == full
    assert row.min() < full


def test_disk_weights_any_cell_order(grids) -> None:
    cells = grids["small"]
    rng = np.random.default_rng(5)
    perm = rng.permutation(cells.size)
    w = disk_weights(cells, 1).toarray()
    w_perm = disk_weights(cells[perm], 1).toarray()
    np.testing.assert_array_equal(w_perm, w[np.ix_(perm, perm)])


def test_disk_weights_outside_cells_are_not_neighbours() -> None:
    centre = int(hexes.points_to_cells([51.5], [-0.05], 9)[0])
    ring = [c for c in h3.grid_disk(h3.int_to_str(centre), 1) if c != h3.int_to_str(centre)]
    # a grid of the centre and two of its neighbours: each row only sees cells in the grid
    cells = np.array([centre, h3.str_to_int(ring[0]), h3.str_to_int(ring[3])], dtype=np.uint64)
    w = disk_weights(cells, 1).toarray()
    # the diagonal, and centre <-> each neighbour; ring[0] and ring[3] are not adjacent
    assert w.sum() == 3 + 2 * 2
    assert w[0].tolist() == [1.0, 1.0, 1.0]
    assert w[1, 2] == 0.0 and w[2, 1] == 0.0


def test_disk_weights_rejects_k_below_one(grids) -> None:
    with pytest.raises(ValueError, match="k"):
        disk_weights(grids["small"], 0)


def test_disk_weights_leaves_the_callers_array_writable(grids) -> None:
    cells = grids["small"].copy()
    disk_weights(cells, 1)
    cells[0] = cells[0]  # must not raise "assignment destination is read-only"
    assert cells.flags.writeable


def test_disk_weights_cache_is_not_shared_with_callers(grids) -> None:
    cells = grids["small"]
    w = disk_weights(cells, 1)
    w.data[:] = 5.0  # a caller scaling its copy must not change later results
    assert set(np.unique(disk_weights(cells, 1).data)) == {1.0}


# --- Gi* --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GRIDS))
@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("kind", ["poisson", "skewed"])
def test_gi_star_matches_esda(grids, name: str, k: int, kind: str) -> None:
    cells = grids[name]
    n = cells.size
    rng = np.random.default_rng([list(GRIDS).index(name), k, len(kind)])
    x = random_counts(rng, n, kind)
    strs = list(hexes.cells_to_str(cells))
    counts = pd.Series(x, index=pd.Index(strs))

    result = gi_star(counts, k=k)
    assert list(result.columns) == ["z", "p", "bin"]
    assert result.index.equals(counts.index)

    # weights from our builder, converted to a libpysal W
    w_ours = libpysal.weights.WSP(disk_weights(cells, k).tocsr().copy()).to_W(silence_warnings=True)
    # weights built independently from h3-py's grid_disk
    w_h3 = libpysal.weights.W(h3_neighbours(strs, k), silence_warnings=True)
    for w in (w_ours, w_h3):
        ref = esda_gi_star(x, w)
        np.testing.assert_allclose(result["z"].to_numpy(), ref.Zs, rtol=0, atol=1e-9)
        # esda's p_norm is one-sided
        np.testing.assert_allclose(result["p"].to_numpy(), 2 * ref.p_norm, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        result["p"].to_numpy(), 2 * stats.norm.sf(np.abs(result["z"].to_numpy())), atol=1e-12
    )


def test_gi_star_from_the_formula() -> None:
    """A hand-checkable case: a planted cell among zeros on a small grid."""
    cells = box_grid(9, 0.01)
    strs = list(hexes.cells_to_str(cells))
    n = len(strs)
    x = np.zeros(n)
    x[n // 2] = 10.0
    result = gi_star(pd.Series(x, index=strs), k=1)
    nbs = h3_neighbours(strs, 1)
    mean = x.sum() / n
    s = np.sqrt((x**2).sum() / n - mean**2)
    for i in range(n):
        wsum = len(nbs[i])
        num = x[nbs[i]].sum() - mean * wsum
        den = s * np.sqrt((n * wsum - wsum**2) / (n - 1))
        assert result["z"].iloc[i] == pytest.approx(num / den, abs=1e-12)
    assert result["bin"].iloc[n // 2] > 0


def test_gi_star_p_is_two_sided_and_bins_follow_thresholds(grids) -> None:
    cells = grids["medium"]
    rng = np.random.default_rng(11)
    x = random_counts(rng, cells.size, "skewed")
    result = gi_star(pd.Series(x, index=hexes.cells_to_str(cells)), k=1, fdr=False)
    z, p, b = result["z"].to_numpy(), result["p"].to_numpy(), result["bin"].to_numpy()
    level = np.select([p <= 0.01, p <= 0.05, p <= 0.10], [3, 2, 1], 0)
    np.testing.assert_array_equal(b, np.sign(z).astype(int) * level)
    assert (b > 0).any() and (b == 0).any()


def test_gi_star_rejects_bad_input(grids) -> None:
    cells = hexes.cells_to_str(grids["small"])
    with pytest.raises(InsufficientDataError, match="variance"):
        gi_star(pd.Series(2.0, index=cells))
    with pytest.raises(InsufficientDataError):
        gi_star(pd.Series([1.0, 2.0], index=cells[:2]))
    with pytest.raises(ValueError, match="finite"):
        gi_star(pd.Series([np.nan] + [1.0] * (len(cells) - 1), index=cells))
    with pytest.raises(ValueError, match="H3"):
        gi_star(pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"]))
    with pytest.raises(ValueError, match="duplicates"):
        gi_star(pd.Series([1.0, 2.0, 3.0], index=[cells[0], cells[0], cells[1]]))


# --- confidence bins and FDR ------------------------------------------------------------


def test_confidence_bins_without_fdr_thresholds() -> None:
    p = np.array([0.5, 0.1000001, 0.10, 0.06, 0.05, 0.02, 0.01, 0.001, 0.10, 0.01, np.nan])
    z = np.array([1.0, 1.6, 1.7, 1.9, 2.0, 2.3, 2.6, 3.3, -1.7, -2.6, np.nan])
    bins = confidence_bins(z, p, fdr=False)
    assert bins.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, -1, -3, 0]


def brute_force_bh(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg straight from the definition, NaN excluded from the family."""
    finite = [float(v) for v in p if np.isfinite(v)]
    m = len(finite)
    ranked = sorted(finite)
    k_max = 0
    for k in range(1, m + 1):
        if ranked[k - 1] <= k * alpha / m:
            k_max = k
    if k_max == 0:
        return np.zeros(len(p), dtype=bool)
    cutoff = ranked[k_max - 1]
    return np.array([bool(np.isfinite(v) and v <= cutoff) for v in p])


def random_pvalues(rng: np.random.Generator, case: str) -> np.ndarray:
    # 97 finite values (prime, so that no k * alpha / m lands exactly on a drawn value)
    if case == "uniform":
        p = rng.uniform(size=97)
    elif case == "signal":
        p = np.concatenate([rng.uniform(0, 0.002, size=15), rng.uniform(size=82)])
    elif case == "ties":
        # heavy ties: 97 draws from 8 distinct values, some small
        values = np.concatenate([rng.uniform(0, 0.004, size=3), rng.uniform(size=5)])
        p = rng.choice(values, size=97)
    else:  # "nan": signal plus missing p-values
        p = np.concatenate([rng.uniform(0, 0.003, size=12), rng.uniform(size=85)])
        p = np.insert(p, rng.integers(0, 97, size=9), np.nan)
    return rng.permutation(p)


@pytest.mark.parametrize("case", ["uniform", "signal", "ties", "nan"])
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alpha", ALPHAS)
def test_benjamini_hochberg_matches_reference(case: str, seed: int, alpha: float) -> None:
    p = random_pvalues(np.random.default_rng(seed), case)
    ours = benjamini_hochberg(p, alpha)
    np.testing.assert_array_equal(ours, brute_force_bh(p, alpha))
    finite = np.isfinite(p)
    sm_reject, _ = fdrcorrection(p[finite], alpha=alpha, method="indep")
    np.testing.assert_array_equal(ours[finite], sm_reject)
    assert not ours[~finite].any()


def test_benjamini_hochberg_is_step_up() -> None:
    # p(1) = 0.03 is above its own threshold 0.0125, but p(4) = 0.04 <= 0.05 passes them all
    p = np.array([0.04, 0.03, 0.032, 0.031])
    assert benjamini_hochberg(p, 0.05).tolist() == [True] * 4
    assert fdrcorrection(p, 0.05)[0].tolist() == [True] * 4


def test_benjamini_hochberg_ties_at_the_cutoff() -> None:
    p = np.array([0.01, 0.5, 0.01, 0.01, 0.9])
    # m = 5, alpha = 0.05: 0.01 <= 3 * 0.05 / 5 = 0.03 so all three tied values pass
    assert benjamini_hochberg(p, 0.05).tolist() == [True, False, True, True, False]
    # alpha = 0.01: thresholds 0.002, 0.004, 0.006: none pass
    assert not benjamini_hochberg(p, 0.01).any()


def test_benjamini_hochberg_passes_at_equality() -> None:
    # dyadic numbers, so that k * alpha / m is exact: 0.25 <= 2 * 0.5 / 4 passes
    p = np.array([0.25, 0.9, 0.25, 0.95])
    assert benjamini_hochberg(p, 0.5).tolist() == [True, False, True, False]
    assert fdrcorrection(p, 0.5)[0].tolist() == [True, False, True, False]
    assert benjamini_hochberg(np.array([0.125, 0.75, 0.875, 1.0]), 0.5).tolist() == [
        True,
        False,
        False,
        False,
    ]


def test_benjamini_hochberg_nan_is_not_in_the_family() -> None:
    p = np.array([0.02, np.nan, 0.04, np.nan])
    # m = 2 finite tests: 0.04 <= 2 * 0.05 / 2 passes both; with m = 4 it would not
    assert benjamini_hochberg(p, 0.05).tolist() == [True, False, True, False]
    assert not benjamini_hochberg(np.array([np.nan, np.nan]), 0.1).any()
    assert benjamini_hochberg(np.array([]), 0.1).shape == (0,)


def test_benjamini_hochberg_keeps_shape() -> None:
    p = np.array([[0.001, 0.5], [0.9, 0.002]])
    out = benjamini_hochberg(p, 0.05)
    assert out.shape == (2, 2)
    assert out.tolist() == [[True, False], [False, True]]


def test_benjamini_hochberg_no_pass_has_no_bonferroni_fallback() -> None:
    p = np.array([0.011, 0.012, 0.02, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    # nothing passes BH at 0.01: esda falls back to the Bonferroni bound alpha / n ...
    assert esda.fdr(p, 0.01) == pytest.approx(0.01 / p.size)
    # ... but we report no discoveries at all
    assert not benjamini_hochberg(p, 0.01).any()
    assert not fdrcorrection(p, 0.01)[0].any()
    # and a cell with p below the Bonferroni bound is never turned "significant"
    # by a fallback when BH itself rejects nothing at the stricter levels
    z = np.full(p.size, 2.5)
    bins = confidence_bins(z, p, fdr=True)
    assert bins.max() < 3


@pytest.mark.parametrize("seed", range(6))
def test_confidence_bins_with_fdr_is_strictest_level(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    z = np.concatenate([rng.normal(0, 1, 300), rng.normal(3.5, 1, 20), rng.normal(-3.5, 1, 20)])
    z[rng.integers(0, z.size, 5)] = np.nan
    p = two_sided_p(z)
    bins = confidence_bins(z, p, fdr=True)
    expected = np.zeros(z.size, dtype=int)
    for strength, alpha in zip((1, 2, 3), (0.10, 0.05, 0.01), strict=True):
        expected[brute_force_bh(p, alpha)] = strength
    expected = np.where(np.isfinite(z), np.sign(np.nan_to_num(z)).astype(int) * expected, 0)
    np.testing.assert_array_equal(bins, expected)
    assert (bins == 3).any() and (bins == -3).any()
    # FDR is never more lenient than the raw thresholds
    raw = confidence_bins(z, p, fdr=False)
    assert (np.abs(bins) <= np.abs(raw)).all()


def test_two_sided_p() -> None:
    z = np.array([0.0, 1.6448536269514722, -1.959963984540054, 2.5758293035489004, np.nan])
    np.testing.assert_allclose(two_sided_p(z)[:4], [1.0, 0.10, 0.05, 0.01], atol=1e-12)
    assert np.isnan(two_sided_p(z)[4])


# --- Mann-Kendall -------------------------------------------------------------------------


@pytest.mark.parametrize("length", [10, 13, 24, 40])
@pytest.mark.parametrize("seed", range(5))
def test_mann_kendall_matches_pymannkendall(length: int, seed: int) -> None:
    rng = np.random.default_rng(1000 * length + seed)
    trend = np.linspace(0, rng.normal(0, 3), length)
    x = rng.poisson(np.clip(3 + trend, 0.1, None)).astype(float)  # Poisson counts: many ties
    assert len(np.unique(x)) < length, "the series should have ties"
    z, p = mann_kendall(x)
    ref = pymannkendall.original_test(x)
    assert z == pytest.approx(ref.z, abs=1e-9)
    assert p == pytest.approx(ref.p, abs=1e-9)


@pytest.mark.parametrize("length", [10, 17, 40])
def test_mann_kendall_continuous_matches_pymannkendall(length: int) -> None:
    x = np.random.default_rng(length).normal(size=length).cumsum()
    z, p = mann_kendall(x)
    ref = pymannkendall.original_test(x)
    assert (z, p) == (pytest.approx(ref.z, abs=1e-9), pytest.approx(ref.p, abs=1e-9))


@pytest.mark.parametrize("length", [10, 24])
def test_mann_kendall_ramp(length: int) -> None:
    t = np.arange(length, dtype=float)
    for x in (t * 2.5 + 1, -t):
        z, p = mann_kendall(x)
        tau = stats.kendalltau(t, x).statistic
        assert np.sign(z) == np.sign(tau) != 0
        s = length * (length - 1) / 2
        var = length * (length - 1) * (2 * length + 5) / 18
        assert abs(z) == pytest.approx((s - 1) / np.sqrt(var), abs=1e-12)
        assert p < 0.001


def test_mann_kendall_constant_and_bad_input() -> None:
    assert mann_kendall(np.full(12, 3.0)) == (0.0, 1.0)
    with pytest.raises(ValueError):
        mann_kendall([1.0, 2.0])
    with pytest.raises(ValueError):
        mann_kendall(np.ones((3, 4)))


def test_mann_kendall_many_equals_single() -> None:
    rng = np.random.default_rng(7)
    x = rng.poisson(2.0, size=(53, 24)).astype(float)
    x[5] = np.arange(24)  # a ramp
    x[6] = 4.0  # constant
    x[7] = rng.normal(size=24)
    z, p = mann_kendall_many(x, chunk=10)  # several chunks, the last one partial
    z_full, p_full = mann_kendall_many(x)
    np.testing.assert_array_equal(z, z_full)
    np.testing.assert_array_equal(p, p_full)
    for i, row in enumerate(x):
        zi, pi = mann_kendall(row)
        assert z[i] == pytest.approx(zi, abs=1e-12)
        assert p[i] == pytest.approx(pi, abs=1e-12)
    z0, p0 = mann_kendall_many(np.empty((0, 24)))
    assert z0.size == 0 and p0.size == 0


# --- emerging hot spots: the space-time cube --------------------------------------------


@pytest.fixture(scope="module")
def small_cube() -> pd.DataFrame:
    cells = box_grid(9, 0.012)
    rng = np.random.default_rng(3)
    t = 14
    x = rng.poisson(1.5, size=(cells.size, t)).astype(float)
    x[cells.size // 2, 8:] += 9  # something to find
    cols = [str(p) for p in pd.period_range("2023-01", periods=t, freq="M")]
    return pd.DataFrame(x, index=hexes.cells_to_str(cells), columns=cols)


def test_emerging_needs_ten_periods(small_cube: pd.DataFrame) -> None:
    short = small_cube.iloc[:, :9]
    with pytest.raises(InsufficientDataError, match=r"at least 10 time periods.*has 9") as info:
        emerging_hotspots(short)
    assert isinstance(info.value, ValueError)
    emerging_hotspots(small_cube.iloc[:, :10])  # ten is enough


def test_emerging_needs_variance(small_cube: pd.DataFrame) -> None:
    flat = pd.DataFrame(0.0, index=small_cube.index, columns=small_cube.columns)
    with pytest.raises(InsufficientDataError, match="variance"):
        emerging_hotspots(flat)
    with pytest.raises(ValueError):
        emerging_hotspots(small_cube.iloc[:2])
    with pytest.raises(ValueError, match="time_steps"):
        emerging_hotspots(small_cube, time_steps=-1)


def brute_force_space_time_z(cube: pd.DataFrame, i: int, t: int, k: int, steps: int) -> float:
    """DESIGN §5 space-time Gi* for bin (i, t), straight from the definitions."""
    x = cube.to_numpy(dtype=float)
    n_bins = x.size
    mean = x.sum() / n_bins
    s = np.sqrt((x**2).sum() / n_bins - mean**2)
    pos = {c: j for j, c in enumerate(cube.index)}
    nbs = [pos[c] for c in h3.grid_disk(cube.index[i], k) if c in pos]
    window = range(max(0, t - steps), t + 1)
    total = sum(x[j, u] for j in nbs for u in window)
    wsum = len(nbs) * len(window)
    return (total - mean * wsum) / (s * np.sqrt((n_bins * wsum - wsum**2) / (n_bins - 1)))


@pytest.mark.parametrize("steps", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 2])
def test_emerging_space_time_z_brute_force(small_cube: pd.DataFrame, steps: int, k: int) -> None:
    result = emerging_hotspots(small_cube, k=k, time_steps=steps)
    n, t = small_cube.shape
    rng = np.random.default_rng(steps * 10 + k)
    edge = int(np.argmin(disk_weights(hexes.str_to_cells(small_cube.index), k).sum(axis=1)))
    rows = [n // 2, edge, *rng.integers(0, n, 4).tolist()]
    cols = [0, 1, 2, t - 1, *rng.integers(0, t, 3).tolist()]
    for i in rows:
        for c in cols:
            expected = brute_force_space_time_z(small_cube, i, c, k, steps)
            assert result.z.iloc[i, c] == pytest.approx(expected, abs=1e-9), (i, c)


def test_emerging_result_is_consistent(small_cube: pd.DataFrame) -> None:
    result = emerging_hotspots(small_cube)
    z = result.z.to_numpy()
    assert result.z.index.equals(small_cube.index)
    assert list(result.z.columns) == list(small_cube.columns)
    assert result.bins.shape == small_cube.shape
    # FDR over all bins of the cube at once
    np.testing.assert_array_equal(result.bins.to_numpy(), confidence_bins(z, two_sided_p(z), True))
    raw = emerging_hotspots(small_cube, fdr=False)
    np.testing.assert_array_equal(raw.bins.to_numpy(), confidence_bins(z, two_sided_p(z), False))
    cells = result.cells
    assert list(cells.columns) == [
        "code",
        "category",
        "trend_z",
        "trend_p",
        "hot_bins",
        "cold_bins",
        "final_run",
    ]
    assert cells.index.equals(small_cube.index)
    tz, tp = mann_kendall_many(z)
    np.testing.assert_allclose(cells["trend_z"], tz)
    np.testing.assert_allclose(cells["trend_p"], tp)
    bins = result.bins.to_numpy()
    np.testing.assert_array_equal(cells["hot_bins"], (bins > 0).sum(axis=1))
    np.testing.assert_array_equal(cells["cold_bins"], (bins < 0).sum(axis=1))
    np.testing.assert_array_equal(cells["code"], categorise(bins > 0, bins < 0, tz, tp))
    assert cells["category"].tolist() == [CATEGORY_NAMES[c] for c in cells["code"]]
    planted = small_cube.index[small_cube.shape[0] // 2]
    assert cells.loc[planted, "code"] > 0


# --- categories on hand-built bins --------------------------------------------------------

T = 20
NO_TREND = (0.0, 1.0)
UP = (2.5, 0.012)
DOWN = (-2.5, 0.012)


def row(hot: list[int] | range = (), cold: list[int] | range = ()) -> tuple[np.ndarray, np.ndarray]:
    h = np.zeros(T, dtype=bool)
    c = np.zeros(T, dtype=bool)
    h[list(hot)] = True
    c[list(cold)] = True
    assert not (h & c).any()
    return h, c


LAST = T - 1
ALL = range(T)
# (description, hot steps, cold steps, (trend z, trend p), expected code)
CASES = [
    ("new", [LAST], [], NO_TREND, 1),
    ("consecutive", [LAST - 2, LAST - 1, LAST], [], NO_TREND, 2),
    ("intensifying", ALL, [], UP, 3),
    ("persistent", ALL, [], NO_TREND, 4),
    ("diminishing", ALL, [], DOWN, 5),
    ("sporadic", [3, 7, LAST], [], NO_TREND, 6),
    ("oscillating", [3, 7, LAST], [10], NO_TREND, 7),
    ("historical", range(T - 1), [], NO_TREND, 8),
    ("no pattern: one early hot bin", [5], [], NO_TREND, 0),
    ("no pattern: nothing", [], [], UP, 0),
    ("new cold", [], [LAST], NO_TREND, -1),
    ("consecutive cold", [], [LAST - 3, LAST - 2, LAST - 1, LAST], NO_TREND, -2),
    ("intensifying cold = downward trend", [], ALL, DOWN, -3),
    ("persistent cold", [], ALL, NO_TREND, -4),
    ("diminishing cold = upward trend", [], ALL, UP, -5),
    ("sporadic cold", [], [0, 9, LAST], NO_TREND, -6),
    ("oscillating cold", [4], [0, 9, LAST], NO_TREND, -7),
    ("historical cold", [], range(1, T - 1), NO_TREND, -8),
    # precedence
    ("hot only at the end after cold spots is New", [LAST], [2, 5, 9], NO_TREND, 1),
    ("cold only at the end after hot spots is New cold", [1, 4], [LAST], NO_TREND, -1),
    ("new ignores the trend", [LAST], [], UP, 1),
    ("90% but not the last is Historical", range(T - 2), [], NO_TREND, 8),
    ("historical ignores the trend", range(T - 1), [], DOWN, 8),
    ("historical with a gap", [i for i in range(T - 1) if i != 6], [], NO_TREND, 8),
    ("89% but not the last is nothing", [i for i in range(T - 1) if i not in (6, 9)], [], UP, 0),
    ("long run with h/T = 0.9 is Persistent", range(2, T), [], NO_TREND, 4),
    ("long run with h/T = 0.9 is Intensifying", range(2, T), [], UP, 3),
    ("long run with h/T = 0.9 is Diminishing", range(2, T), [], DOWN, 5),
    ("run of 17 of 20 (85 %) is Consecutive", range(3, T), [], UP, 2),
    ("90 % with gaps is Persistent", [i for i in ALL if i not in (5, 10)], [], NO_TREND, 4),
    ("run after an earlier hot bin is Sporadic", [3, *range(T - 3, T)], [], NO_TREND, 6),
    ("run after an earlier hot bin and a cold bin is Oscillating", [3, 17, 18, 19], [8], UP, 7),
    ("85 % with a gap, no cold, is Sporadic", [i for i in ALL if i not in (0, 1, 9)], [], UP, 6),
    ("85 % with a gap and a cold bin is Oscillating", [*range(1, 9), *range(11, T)], [0], UP, 7),
    ("trend p exactly 0.10 is significant", ALL, [], (1.6448536269514722, 0.10), 3),
    ("trend p just above 0.10 is not", ALL, [], (1.6448, 0.1000001), 4),
    ("cold trend p exactly 0.10 is significant", [], ALL, (-1.6448536269514722, 0.10), -3),
]


def test_cases_cover_every_category() -> None:
    assert {case[-1] for case in CASES} == set(CATEGORY_NAMES)


@pytest.mark.parametrize(
    ("hot", "cold", "trend", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_categorise_case(hot, cold, trend, expected: int) -> None:
    h, c = row(hot, cold)
    code = categorise(h[None, :], c[None, :], np.array([trend[0]]), np.array([trend[1]]))
    assert code.tolist() == [expected], CATEGORY_NAMES[int(code[0])]


def test_categorise_many_rows_at_once() -> None:
    hot = np.stack([row(case[1], case[2])[0] for case in CASES])
    cold = np.stack([row(case[1], case[2])[1] for case in CASES])
    tz = np.array([case[3][0] for case in CASES])
    tp = np.array([case[3][1] for case in CASES])
    assert categorise(hot, cold, tz, tp).tolist() == [case[4] for case in CASES]


def test_categorise_short_cube_threshold() -> None:
    # T = 10: 9 of 10 hot steps is exactly 90 %
    h = np.zeros((2, 10), dtype=bool)
    h[0, 1:] = True  # run of 9 ending now
    h[1, :9] = True  # 9 but not the last
    c = np.zeros_like(h)
    codes = categorise(h, c, np.zeros(2), np.ones(2))
    assert codes.tolist() == [4, 8]


# --- emerging hot spots end to end ----------------------------------------------------------


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, dict[str, str]]:
    """Background Poisson noise on a ~330-cell grid with planted cells, 24 months."""
    centre = (51.52, -0.10)
    cells = box_grid(9, 0.025, centre)
    strs = hexes.cells_to_str(cells)
    t = 24
    rng = np.random.default_rng(1)
    x = rng.poisson(1.0, size=(cells.size, t)).astype(float)

    def at(dlat: float, dlng: float) -> str:
        c = hexes.cells_to_str(hexes.points_to_cells([centre[0] + dlat], [centre[1] + dlng], 9))[0]
        assert c in set(strs)
        return str(c)

    sites = {
        "new": at(0.012, -0.02),
        "persistent": at(-0.012, -0.02),
        "historical": at(0.0, 0.02),
        "consecutive": at(-0.012, 0.02),
    }
    pos = {c: i for i, c in enumerate(strs)}
    x[pos[sites["new"]], t - 1] += 25
    x[pos[sites["persistent"]], :] += 15
    # with time_steps = 1 the bin after the last planted step still sees it: stop two early
    x[pos[sites["historical"]], : t - 2] += 15
    x[pos[sites["consecutive"]], t - 5 :] += 15
    cube = pd.DataFrame(x, index=strs, columns=[f"m{i:02d}" for i in range(t)])
    return cube, sites


def test_emerging_end_to_end_planted(planted) -> None:
    cube, sites = planted
    assert cube.shape[0] >= 200
    result = emerging_hotspots(cube)
    codes = result.cells["code"]
    assert codes[sites["new"]] == 1, result.cells.loc[sites["new"]].to_dict()
    assert codes[sites["persistent"]] == 4, result.cells.loc[sites["persistent"]].to_dict()
    assert codes[sites["historical"]] == 8, result.cells.loc[sites["historical"]].to_dict()
    assert codes[sites["consecutive"]] == 2, result.cells.loc[sites["consecutive"]].to_dict()
    assert result.cells.loc[sites["consecutive"], "final_run"] >= 2
    # the noise far from the planted cells is mostly nothing
    assert (codes > 0).mean() < 0.25


def test_emerging_end_to_end_cold() -> None:
    """A busy area that empties out in the last months becomes a cold spot."""
    cells = box_grid(9, 0.02, (51.52, -0.10))
    strs = hexes.cells_to_str(cells)
    rng = np.random.default_rng(99)
    t = 12
    x = rng.poisson(4.0, size=(cells.size, t)).astype(float)
    w = disk_weights(cells, 2)
    centre = cells.size // 2
    quiet = w[centre].indices  # a k=2 disk (19 cells) with no events in the last 3 months
    x[np.ix_(quiet, np.arange(t - 3, t))] = 0
    result = emerging_hotspots(pd.DataFrame(x, index=strs, columns=range(t)), time_steps=0)
    assert result.cells["code"].iloc[centre] == -2
    assert result.cells["final_run"].iloc[centre] == -3


# --- plain English ------------------------------------------------------------------------


def describe_row(code: int, hot: int = 0, cold: int = 0, run: int = 0, p: float = 0.5):
    return pd.Series(
        {
            "code": code,
            "category": CATEGORY_NAMES[code],
            "trend_z": 0.0,
            "trend_p": p,
            "hot_bins": hot,
            "cold_bins": cold,
            "final_run": run,
        }
    )


DESCRIPTIONS = {
    1: (describe_row(1, hot=1, run=1), ["first time", "latest month"]),
    2: (describe_row(2, hot=3, run=3), ["each of the last 3 months"]),
    3: (
        describe_row(3, hot=11, run=11, p=0.03),
        ["11 of the last 12 months", "more intense", "0.03"],
    ),
    4: (describe_row(4, hot=11, run=5), ["11 of the last 12 months", "no clear trend"]),
    5: (describe_row(5, hot=12, run=12, p=0.004), ["12 of the last 12 months", "less", "0.00"]),
    6: (describe_row(6, hot=4, run=1), ["4 of the last 12 months", "latest"]),
    7: (describe_row(7, hot=5, cold=2, run=1), ["5 of 12 months", "cold spot in 2"]),
    8: (describe_row(8, hot=11), ["11 of the last 12 months", "not in the latest month"]),
    0: (describe_row(0), ["No significant pattern"]),
    -1: (describe_row(-1, cold=1, run=-1), ["cold spot", "first time"]),
    -2: (describe_row(-2, cold=4, run=-4), ["cold spot", "each of the last 4 months"]),
    -3: (
        describe_row(-3, cold=12, run=-12, p=0.07),
        ["12 of the last 12 months", "colder", "0.07"],
    ),
    -4: (describe_row(-4, cold=11, run=-3), ["cold spot", "11 of the last 12 months"]),
    -5: (describe_row(-5, cold=12, run=-12, p=0.02), ["less cold", "0.02"]),
    -6: (describe_row(-6, cold=3, run=-1), ["cold spot", "3 of the last 12 months"]),
    -7: (describe_row(-7, hot=2, cold=4, run=-1), ["4 of 12 months", "hot spot in 2"]),
    -8: (describe_row(-8, cold=11), ["cold spot", "11 of the last 12 months", "not in the latest"]),
}


def test_descriptions_cover_every_code() -> None:
    assert set(DESCRIPTIONS) == set(CATEGORY_NAMES)


@pytest.mark.parametrize("code", sorted(DESCRIPTIONS))
def test_describe_category(code: int) -> None:
    row_, needles = DESCRIPTIONS[code]
    text = describe_category(row_, 12)
    assert text[0].isupper() and text.endswith(".")
    assert "  " not in text and "{" not in text
    for needle in needles:
        assert needle in text, (needle, text)
    if code != 0:
        assert re.search(r"\d", text) or code in (1, -1), text


def test_describe_category_units() -> None:
    text = describe_category(describe_row(4, hot=7, run=7), 8, unit="quarter")
    assert "7 of the last 8 quarters" in text


def test_descriptions_are_distinct() -> None:
    texts = {describe_category(r, 12) for r, _ in DESCRIPTIONS.values()}
    assert len(texts) == len(DESCRIPTIONS)


def test_hotspots_module_constants() -> None:
    assert getis_ord.ALPHAS == (0.10, 0.05, 0.01)
    assert emerging.MIN_TIME_STEPS == 10
    assert emerging.PERSISTENCE_SHARE == 0.9
    assert emerging.TREND_ALPHA == 0.10
