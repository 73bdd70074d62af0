"""One row per school across school lists (geo.store.school_register)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import from_bng
from geo.store.school_register import deduplicate_schools, normalised_names


def _cell(x: float, y: float) -> np.uint64:
    lng, lat = from_bng([x], [y])
    return np.uint64(hexes.points_to_cells(lat, lng, 11)[0])


def _rows(*rows: tuple[str, str | None, float, float, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": [f"s{i}" for i in range(len(rows))],
            "name": [r[0] for r in rows],
            "urn": pd.array([r[1] for r in rows], dtype="string"),
            "cell": [_cell(r[2], r[3]) for r in rows],
            "batch_id": [r[4] for r in rows],
        }
    )


def test_names_compare_as_people_read_them() -> None:
    names = pd.Series(["St Mary's C&E School", "ST MARYS C and E SCHOOL", "The Campion School"])
    out = normalised_names(names).tolist()
    assert out[0] == out[1] == "st marys c and e school"
    assert out[2] == "campion school"


def test_same_urn_is_one_school_wherever_it_is() -> None:
    frame = _rows(
        ("Hall Mead School", "102345", 555000, 189000, 1),
        ("Hall Mead Academy", "102345", 556000, 189000, 2),
    )
    out = deduplicate_schools(frame)
    assert len(out) == 1
    assert out["school_id"].iloc[0] == "s1", "the later list's row is kept"


def test_same_name_close_by_is_one_school_and_keeps_the_urn() -> None:
    frame = _rows(
        ("Abbs Cross Academy & Arts College", None, 553192, 186128, 2),  # directory, no URN
        ("Abbs Cross Academy and Arts College", "136663", 553074, 186181, 1),  # GIAS
    )
    out = deduplicate_schools(frame)
    assert len(out) == 1
    assert out["urn"].iloc[0] == "136663"


def test_different_schools_stay_apart() -> None:
    frame = _rows(
        ("Ardleigh Green Infant School", None, 553910, 189683, 1),
        ("Ardleigh Green Junior School", None, 553910, 189683, 1),  # same site, other school
        ("St Mary's Primary School", None, 550000, 185000, 1),
        ("St Mary's Primary School", None, 556000, 190000, 1),  # same name, 7 km away
        ("Two URNs School", "1", 552000, 187000, 1),
        ("Two URNs School", "2", 552010, 187000, 1),  # same name and place, different URNs
    )
    assert len(deduplicate_schools(frame)) == 6


@pytest.mark.shared_data
def test_both_havering_school_lists_give_each_school_once(shared_data: Path) -> None:
    """The GIAS 2017 subset and the London Schools directory share 22 schools."""
    from geo.core.area import to_bng

    gias = pd.read_csv(shared_data / "schools" / "edubase_2017-07_havering_unmatched_subset.csv",
                       dtype=str)  # fmt: skip
    directory = pd.read_csv(shared_data / "schools" / "havering_schools_londonschooldirectory.csv",
                            dtype=str)  # fmt: skip
    gx, gy = gias["X"].astype(float), gias["Y"].astype(float)
    dx, dy = to_bng(directory["longitude"].astype(float), directory["latitude"].astype(float))
    frame = pd.DataFrame(
        {
            "school_id": [f"g{i}" for i in range(len(gias))]
            + [f"d{i}" for i in range(len(directory))],
            "name": pd.concat([gias["Establishment name"], directory["name"]]).to_numpy(),
            "urn": pd.array(list(gias["URN"]) + [None] * len(directory), dtype="string"),
            "cell": [_cell(x, y) for x, y in zip(np.r_[gx, dx], np.r_[gy, dy], strict=True)],
            "batch_id": [1] * len(gias) + [2] * len(directory),
        }
    )
    shared = set(normalised_names(gias["Establishment name"])) & set(
        normalised_names(directory["name"])
    )
    assert len(shared) >= 20, "the two lists overlap"
    out = deduplicate_schools(frame)
    assert not normalised_names(out["name"]).duplicated().any()
    assert len(out) == len(frame) - len(shared)
    merged = out.loc[normalised_names(out["name"]).isin(shared)]
    assert merged["urn"].notna().all(), "a merged school keeps its GIAS URN"
