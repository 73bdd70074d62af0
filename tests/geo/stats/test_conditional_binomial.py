"""geo.stats.conditional_binomial against a per-place loop of scipy.stats.binomtest and
statsmodels' Benjamini-Hochberg, with the edge cases (empty places, p0 of 0 or 1, no
input) and the effect floor."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

from geo.stats.conditional_binomial import conditional_binomial
from geo.stats.fdr import benjamini_hochberg, benjamini_hochberg_q


def _reference(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """p and q by a loop of binomtest(alternative="greater") and statsmodels' fdr_bh."""
    p0 = a.sum() / (a.sum() + b.sum())
    n = a + b
    p = np.full(a.size, np.nan)
    for i in range(a.size):  # the reference is a loop on purpose
        if n[i] > 0:
            p[i] = binomtest(int(a[i]), int(n[i]), p0, alternative="greater").pvalue
    q = np.full(a.size, np.nan)
    ok = np.isfinite(p)
    q[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return p, q, p0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_binomtest_and_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = 400
    b = rng.poisson(rng.gamma(1.5, 4.0, size))
    a = rng.binomial(b + rng.poisson(2.0, size), 0.3)
    a[:5], b[:5] = 20, 2  # a few places the police hardly see
    a[5:15], b[5:15] = 0, 0  # places with no records at all
    got = conditional_binomial(a, b)
    p, q, p0 = _reference(a, b)
    assert got.p0 == pytest.approx(p0, abs=1e-15)
    np.testing.assert_allclose(got.p, p, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(got.q, q, rtol=1e-9, atol=1e-14)
    assert np.isnan(got.p[5:15]).all() and np.isnan(got.q[5:15]).all()
    assert got.n_tested == int((a + b > 0).sum()) <= size - 10
    np.testing.assert_allclose(got.expected, (a + b) * p0)
    assert got.finding[:5].all()  # the planted places are found ...
    assert got.finding.sum() <= 8  # ... and few others


def test_q_values_decide_like_the_step_up_rule() -> None:
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 0.002, 30), rng.uniform(0, 1, 300), [np.nan, np.nan]])
    q = benjamini_hochberg_q(p)
    ok = np.isfinite(p)
    np.testing.assert_allclose(q[ok], multipletests(p[ok], method="fdr_bh")[1], rtol=1e-12)
    assert np.isnan(q[~ok]).all()
    for alpha in (0.01, 0.05, 0.10):
        np.testing.assert_array_equal(q <= alpha, benjamini_hochberg(p, alpha))


def test_a_hand_checked_example() -> None:
    # p0 = 12 / 24 = 0.5. Place 0: a = 9 of n = 10, P(X >= 9) = 11/1024; place 1:
    # a = 1 of 10, P(X >= 1) = 1023/1024; place 2: a = 2 of 4, P(X >= 2) = 11/16.
    got = conditional_binomial([9, 1, 2], [1, 9, 2], min_excess=3.0, min_odds_ratio=2.0)
    assert got.p0 == 0.5
    np.testing.assert_allclose(got.p, [11 / 1024, 1023 / 1024, 11 / 16])
    # q: sorted p are 11/1024, 11/16, 1023/1024 -> 3 p / rank, then the running minimum
    np.testing.assert_allclose(got.q, [33 / 1024, 1023 / 1024, 1023 / 1024])
    np.testing.assert_allclose(got.expected, [5.0, 5.0, 2.0])
    np.testing.assert_allclose(got.ratio, [1.8, 0.2, 1.0])
    np.testing.assert_allclose(got.excess, [4.0, -4.0, 0.0])
    np.testing.assert_allclose(got.odds_ratio, [9.0, 1 / 9, 1.0])
    np.testing.assert_array_equal(got.finding, [True, False, False])


def test_significant_but_negligible_is_not_a_finding() -> None:
    # a busy place: 5,300 of 10,000 records against an area share of about 0.5 is
    # overwhelmingly significant, but its odds are only 1.1 times the area's
    a = np.array([5300, *[500] * 2000])
    b = np.array([4700, *[500] * 2000])
    got = conditional_binomial(a, b)
    assert got.significant[0] and got.q[0] < 1e-4
    assert got.excess[0] >= 5
    assert not got.substantial[0] and not got.finding[0]
    # the same place with the floor switched off is a finding: the floor is what stops it
    assert conditional_binomial(a, b, min_odds_ratio=1.0).finding[0]


def test_a_small_excess_is_not_a_finding() -> None:
    # 4 health records and no police ones where about 0.5 were expected: a large odds
    # ratio, but only 3.5 records above expected
    a = np.array([4, *[1] * 300])
    b = np.array([0, *[20] * 300])
    got = conditional_binomial(a, b, alpha=0.5)
    assert got.significant[0] and np.isinf(got.odds_ratio[0])
    assert got.excess[0] < 5 and not got.finding[0]
    assert conditional_binomial(a, b, alpha=0.5, min_excess=3.0).finding[0]


@pytest.mark.parametrize(("a", "b"), [([0, 0, 0], [3, 5, 1]), ([3, 5, 1], [0, 0, 0])])
def test_one_agency_recorded_nothing(a: list[int], b: list[int]) -> None:
    got = conditional_binomial(a, b)
    assert got.p0 in (0.0, 1.0)
    np.testing.assert_array_equal(got.p, [1.0, 1.0, 1.0])
    assert not got.finding.any() and not got.significant.any()


def test_no_places_and_no_records() -> None:
    empty = conditional_binomial([], [])
    assert empty.p.size == 0 and empty.q.size == 0 and np.isnan(empty.p0)
    assert empty.n_tested == 0
    zeros = conditional_binomial([0, 0], [0, 0])
    assert np.isnan(zeros.p).all() and not zeros.finding.any() and zeros.n_tested == 0


@pytest.mark.parametrize(
    ("a", "b", "kwargs"),
    [([1, -1], [1, 1], {}), ([1.5], [1], {}), ([1, 2], [1], {}), ([1], [1], {"alpha": 1.0})],
)
def test_bad_input_is_refused(a: list[float], b: list[float], kwargs: dict) -> None:
    with pytest.raises(ValueError):
        conditional_binomial(a, b, **kwargs)
