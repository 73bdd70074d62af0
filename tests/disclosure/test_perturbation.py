"""Cell-key perturbation against ONS's published implementation (``cell-key-perturbation``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cell_key_perturbation.create_perturbed_table import create_perturbed_table

from geo.disclosure.perturbation import (
    KEY_RANGE,
    PCV_ROWS,
    PerturbationTable,
    perturb,
    placesafe_ptable,
)

MIN_COUNT = 6


def _microdata(rng: np.random.Generator, n: int, cells: int) -> pd.DataFrame:
    # a skewed distribution of records over cells gives counts from 1 to well above 750
    weights = rng.pareto(1.2, cells) + 0.05
    cell = rng.choice(cells, size=n, p=weights / weights.sum())
    return pd.DataFrame(
        {
            "area": [f"c{c:04d}" for c in cell],
            "record_key": rng.integers(0, KEY_RANGE, size=n),
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_ons_create_perturbed_table(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = _microdata(rng, 60_000, 400)
    table = placesafe_ptable(MIN_COUNT, max_noise=2)
    ons = create_perturbed_table(
        data=data,
        ptable=table.to_frame(),
        geog=[],
        tab_vars=["area"],
        record_key="record_key",
        threshold=0,
    ).set_index("area")
    grouped = data.groupby("area")["record_key"].agg(["size", "sum"])
    ours = perturb(grouped["size"].to_numpy(), grouped["sum"].to_numpy(), table)
    expected = ons.loc[grouped.index, "count"].to_numpy(dtype=np.int64)
    assert grouped["size"].max() > PCV_ROWS, "the rows above 750 are exercised"
    np.testing.assert_array_equal(ours, expected)
    assert (ours != grouped["size"].to_numpy()).any(), "some counts are perturbed"


def test_ons_own_ptable_round_trips_and_agrees() -> None:
    """ONS's 10/5 ptable shipped with the package loads in our format and gives the same
    perturbed counts."""
    # the package installs its ptable as a data file at the environment's prefix
    path = Path(sys.prefix) / "ptable_10_5_rule.csv"
    assert path.exists(), "cell-key-perturbation's ptable_10_5_rule.csv is not installed"
    ons_ptable = pd.read_csv(path)
    table = PerturbationTable.from_frame(ons_ptable)
    rng = np.random.default_rng(7)
    data = _microdata(rng, 20_000, 150)
    ons = create_perturbed_table(
        data=data, ptable=ons_ptable, geog=[], tab_vars=["area"], record_key="record_key",
        threshold=0,
    ).set_index("area")  # fmt: skip
    grouped = data.groupby("area")["record_key"].agg(["size", "sum"])
    ours = perturb(grouped["size"].to_numpy(), grouped["sum"].to_numpy(), table)
    np.testing.assert_array_equal(ours, ons.loc[grouped.index, "count"].to_numpy(dtype=np.int64))


def test_placesafe_ptable_properties() -> None:
    table = placesafe_ptable(MIN_COUNT, max_noise=2)
    p = table.pvalue
    assert table.max_noise == 2
    assert (p[0] == 0).all(), "zero stays zero"
    assert (p[1:MIN_COUNT] == 0).all(), "small counts are withheld, not perturbed"
    counts = np.arange(PCV_ROWS + 1)[:, None]
    assert ((counts + p)[MIN_COUNT:] >= MIN_COUNT).all(), "never perturbed into 1..5"
    assert np.abs(p).max() <= 2
    # zero mean for every count (cell keys are uniform)
    np.testing.assert_allclose(p.mean(axis=1), 0.0, atol=1.5 / KEY_RANGE)
    # most counts above the threshold are changed by some keys
    assert (np.abs(p[MIN_COUNT + 2 :]).max(axis=1) == 2).all()
    assert ((p[MIN_COUNT + 2 :] != 0).mean(axis=1) > 0.4).all()


def test_same_records_same_published_value() -> None:
    table = placesafe_ptable(MIN_COUNT)
    keys = np.array([3, 250, 17, 99, 200, 5, 61, 128, 7, 44])
    a = perturb([keys.size], [keys.sum()], table)
    b = perturb([keys.size], [keys[::-1].sum() + KEY_RANGE * 3], table)
    assert a.tolist() == b.tolist()


def test_zero_and_empty() -> None:
    table = placesafe_ptable(MIN_COUNT)
    assert perturb([0, 0], [17, 200], table).tolist() == [0, 0]
    assert perturb(np.array([], dtype=np.int64), np.array([], dtype=np.int64), table).size == 0


def test_turned_off() -> None:
    table = placesafe_ptable(MIN_COUNT, max_noise=0)
    counts = np.arange(0, 2000)
    np.testing.assert_array_equal(perturb(counts, counts * 7, table), counts)


def test_from_frame_validates() -> None:
    with pytest.raises(ValueError, match="columns"):
        PerturbationTable.from_frame(pd.DataFrame({"pcv": [1]}))
    with pytest.raises(ValueError, match="negative"):
        PerturbationTable.from_frame(pd.DataFrame({"pcv": [1], "ckey": [0], "pvalue": [-2]}))
    with pytest.raises(ValueError, match="ckey"):
        PerturbationTable.from_frame(pd.DataFrame({"pcv": [1], "ckey": [256], "pvalue": [0]}))
