"""Area tables on synthetic squares: coverage of the study area, vintage crosswalks, the
"higher than the area" test (golden against statsmodels) and the refusal of rates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy import stats
from statsmodels.stats.multitest import multipletests

from geo.core import hexes
from geo.core.area import StudyArea, from_bng, load_study_area, to_bng
from geo.core.config import load_config
from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.demo.build import build_demo
from geo.lenses import area_tables as at
from geo.store.database import Store

#: A 2 km square in south-east England (EPSG:27700 metres).
X0, Y0, SIDE = 550_000.0, 185_000.0, 2_000.0


def square_wgs84(x0: float, y0: float, w: float, h: float) -> shapely.Polygon:
    xs = np.array([x0, x0 + w, x0 + w, x0, x0])
    ys = np.array([y0, y0, y0 + h, y0 + h, y0])
    lng, lat = from_bng(xs, ys)
    return shapely.Polygon(np.column_stack([lng, lat]))


def study_area() -> StudyArea:
    boundary = square_wgs84(X0, Y0, SIDE, SIDE)
    return StudyArea("Squareham", "E09999999", boundary, boundary, 0.0)


def add_area(store: Store, code: str, kind: str, geom: shapely.Polygon) -> None:
    with store.cursor() as cur:
        cur.execute(
            "INSERT INTO areas VALUES (1, ?, ?, ?, ?, ?)",
            [f"boundary_{kind}", code, f"Squareham {code[-4:]}", kind, shapely.to_wkb(geom)],
        )


def add_stat(store: Store, code: str, measure: str, value: float) -> None:
    with store.cursor() as cur:
        cur.execute(
            "INSERT INTO area_stats VALUES (1, 'stats', ?, ?, ?, ?)",
            [f"{code}|{measure}", code, measure, value],
        )


def quarters(store: Store, codes: list[str], kind: str) -> None:
    """Four 1 km quarters of the study area under ``codes``."""
    half = SIDE / 2
    for code, (dx, dy) in zip(codes, [(0, 0), (half, 0), (0, half), (half, half)], strict=True):
        add_area(store, code, kind, square_wgs84(X0 + dx, Y0 + dy, half, half))


def test_coverage_is_the_share_of_the_area_the_tables_boundaries_cover() -> None:
    with Store(":memory:") as store:
        quarters(store, ["E01000001", "E01000002", "E01000003", "E01000004"], "lsoa11")
        area = study_area()
        full = at.table_coverage(store, area, ["E01000001", "E01000002", "E01000003",
                                               "E01000004"], "population table")  # fmt: skip
        half = at.table_coverage(store, area, ["E01000001", "E01000002"], "population table")
        none = at.table_coverage(store, area, ["E01999999"], "population table")
    assert full.covers and full.share == pytest.approx(1.0, abs=1e-6)
    assert not half.covers and half.share == pytest.approx(0.5, abs=1e-3)
    assert "covering 50% of Squareham" in half.sentence()
    assert none.share is None and not none.covers
    assert "cannot be checked" in none.sentence()


def test_a_code_shared_by_two_vintages_is_placed_in_the_vintage_holding_the_table() -> None:
    with Store(":memory:") as store:
        codes = ["E01000001", "E01000002", "E01000003", "E01000004"]
        quarters(store, codes, "lsoa11")
        # 2021: the first two unchanged (same codes), the other two merged into a new code
        quarters(store, [*codes[:2], "E01100003", "E01100004"], "lsoa21")
        cov = at.table_coverage(store, study_area(), [*codes[:2], "E01100003"], "census table")
        walk = at.vintage_crosswalk(store, "lsoa11", "lsoa21")
    assert cov.kind == "lsoa21"
    same = walk.loc[walk["from_code"] == walk["to_code"]]
    assert set(same["from_code"]) == set(codes[:2])
    assert np.allclose(same[["share_of_from", "share_of_to"]], 1.0, atol=1e-6)
    # touching squares share only an edge: no sliver pairs survive
    assert len(walk) == 4


def test_the_higher_than_area_test_matches_scipy_and_statsmodels() -> None:
    rng = np.random.default_rng(4)
    denominators = rng.integers(150, 600, size=40).astype(float)
    counts = rng.poisson(denominators * 0.05).astype(np.int64)
    counts[:3] = np.round(denominators[:3] * 0.05 * 4).astype(np.int64)  # planted 4x highs
    ratio, higher = at._higher_than_area(counts, denominators)
    rate = counts.sum() / denominators.sum()
    p = stats.poisson.sf(counts - 1, rate * denominators)
    reject, _, _, _ = multipletests(p, alpha=at.FDR, method="fdr_bh")
    expected = reject & (counts / (rate * denominators) >= at.MIN_RATE_RATIO)
    assert np.array_equal(higher, expected)
    assert higher[:3].all()
    assert np.allclose(ratio, counts / (rate * denominators))


def test_a_significant_but_small_excess_is_not_called_higher() -> None:
    denominators = np.full(10, 100_000.0)
    counts = np.full(10, 1_000, dtype=np.int64)
    counts[0] = 1_300  # 1.27x: overwhelming evidence, negligible for a deployment
    ratio, higher = at._higher_than_area(counts, denominators)
    p = stats.poisson.sf(counts[0] - 1, counts.sum() / denominators.sum() * denominators[0])
    assert p < 1e-10 and ratio[0] < at.MIN_RATE_RATIO
    assert not higher.any()


def population_row(store: Store, code: str, per_year: float) -> None:
    for age in [*(str(a) for a in range(90)), "90+"]:
        add_stat(store, code, age, per_year)


def test_no_rate_where_the_population_table_does_not_cover_the_area() -> None:
    with Store(":memory:") as store:
        codes = ["E01000001", "E01000002", "E01000003", "E01000004"]
        quarters(store, codes, "lsoa11")
        for code in codes[:2]:
            population_row(store, code, 10.0)
        with pytest.raises(InsufficientDataError, match=r"covering 50% of Squareham"):
            at.neighbourhood_rates(store, study_area(), Filters("2024-01", "2024-03"))


def test_no_rate_without_a_population_by_single_year_of_age() -> None:
    with (
        Store(":memory:") as store,
        pytest.raises(InsufficientDataError, match="no population by single year"),
    ):
        at.neighbourhood_rates(store, study_area(), Filters("2024-01", "2024-03"))


def test_young_residents_are_the_single_years_10_to_24() -> None:
    with Store(":memory:") as store:
        for age in [*(str(a) for a in range(90)), "90+"]:
            add_stat(store, "E01000001", age, 2.0 if 10 <= int(age.rstrip("+")) <= 24 else 1.0)
        population, _ = at.population_by_age(store)
    assert population["young"].tolist() == [30.0]  # 15 years x 2
    assert population["residents"].tolist() == [30.0 + 76.0]  # and 76 other years x 1


def test_under_the_null_a_neighbourhood_is_rarely_called_higher() -> None:
    """Counts drawn in proportion to residents: BH keeps the chance of any false "higher"
    at about 5 % (under the complete null the FDR is the family-wise error rate)."""
    rng = np.random.default_rng(11)
    denominators = rng.integers(200, 500, size=150).astype(float)
    runs = 400
    false_alarms = sum(
        bool(at._higher_than_area(rng.poisson(denominators * 0.03), denominators)[1].any())
        for _ in range(runs)
    )
    assert false_alarms / runs <= 0.08


def test_the_demo_flags_the_neighbourhoods_of_its_planted_hot_spots(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    build_demo(out, seed=0)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    config = load_config(out / "placesafe.toml")
    area = load_study_area(config.study_area)
    with Store(config.store_path, read_only=True) as store:
        rates = at.neighbourhood_rates(store, area, Filters("2024-01", "2024-12"))
        units = at.area_boundaries(store, (rates.unit_kind,))
    flagged = set(rates.table.loc[rates.table["higher"] == "Yes", "area_code"])
    lat, lng = hexes.cell_centres(
        hexes.str_to_cells([h["cell"] for h in truth["recurring_hotspots"]])
    )
    x, y = to_bng(lng, lat)
    tree = shapely.STRtree(units.geometry.to_numpy())
    _, which = tree.query(shapely.points(x, y), predicate="within")
    planted = set(units["area_code"].to_numpy()[which])
    assert rates.primary == "syv" and "SYV per 1,000 aged 10–24" in rates.display().columns
    assert planted <= flagged  # every planted hot spot's neighbourhood is found
    assert len(flagged - planted) <= 1
