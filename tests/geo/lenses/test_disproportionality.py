"""Disproportionality audit (geo.lenses.disproportionality): RRI against hand calculations,
ethnicity mappings, every row of the real police.uk files accounted for, census
denominators and disclosure control.

Expected numbers are worked out by hand here (formulas written out with ``math``)
or counted directly from the raw CSVs with pandas, never from the code under test.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core.area import load_study_area
from geo.core.config import load_config
from geo.core.filters import Filters
from geo.disclosure import WITHHELD
from geo.ingest.pipeline import ingest_file
from geo.ingest.sources.stop_search_file import StopSearchFile, read_stop_search_file
from geo.lenses import disproportionality as dp
from geo.render.charts import rri_chart_spec
from geo.store.database import Store

MET_SS = "police/2016-06-metropolitan-stop-and-search.csv"
HAVERING_SS = "police/havering_2016-06-metropolitan-stop-and-search.csv"
CENSUS = "population/census2021_ethnic_group_havering_lsoa21.csv"
BOROUGHS = "boundaries/london_boroughs_lad22_gen20.geojson"
Z95 = 1.959963984540054


# --- helpers -------------------------------------------------------------------------------


def counts(**values: int) -> pd.DataFrame:
    return pd.DataFrame({"group": list(values), "count": list(values.values())})


def row(table: pd.DataFrame, group: str) -> pd.Series:
    return table.loc[table["group"] == group].iloc[0]


POP = pd.Series({"asian": 1000.0, "black": 2000.0, "mixed": 500.0, "white": 10000.0, "other": 0.0})


def raw_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def group_from_code(value: str) -> str:
    """Independent mapping of a 2001-vintage self-defined value by its code in brackets.

    W*, B*, A*, M* -> white, black, asian, mixed; O1 (Chinese) -> asian as Census 2021
    counts it; O9 -> other; NS and blank -> not recorded.
    """
    if value.strip() == "":
        return "not_recorded"
    m = re.search(r"\(([A-Z]+)(\d?)\)$", value)
    assert m, value
    letter, digit = m.group(1), m.group(2)
    if letter == "NS":
        return "not_recorded"
    if letter == "O":
        return "asian" if digit == "1" else "other"
    return {"W": "white", "B": "black", "A": "asian", "M": "mixed"}[letter]


def direct_counts(groups: pd.Series) -> dict[str, int]:
    vc = groups.value_counts()
    return {g: int(vc.get(g, 0)) for g in dp.COUNT_GROUPS}


def insert(store: Store, table: str, frame: pd.DataFrame) -> None:
    with store.cursor() as cur:
        cur.register("new_rows", frame)
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows").fetchall()
        cur.unregister("new_rows")


# --- RRI hand calculations -------------------------------------------------------------------


def test_rri_and_interval_match_a_hand_calculation() -> None:
    table = dp.relative_rate_index(counts(black=30, white=50, asian=4, mixed=10), POP)
    black = row(table, "black")
    # rates: black 30/2000 = 15 per 1,000; white 50/10,000 = 5 per 1,000; RRI 3
    assert black["rate_per_1000"] == pytest.approx(15.0)
    assert row(table, "white")["rate_per_1000"] == pytest.approx(5.0)
    assert black["rri"] == pytest.approx(3.0)
    se = math.sqrt(1 / 30 + 1 / 50)
    assert black["ci_low"] == pytest.approx(3 * math.exp(-Z95 * se))
    assert black["ci_high"] == pytest.approx(3 * math.exp(Z95 * se))
    assert (round(black["ci_low"], 4), round(black["ci_high"], 4)) == (1.9079, 4.7173)
    assert bool(black["significant"])
    asian = row(table, "asian")  # 4/1000 against 5/1000: 0.8, interval spans 1
    assert asian["rri"] == pytest.approx(0.8)
    assert (round(asian["ci_low"], 4), round(asian["ci_high"], 4)) == (0.2889, 2.2151)
    assert not bool(asian["significant"])
    white = row(table, "white")
    assert white["rri"] == 1.0 and np.isnan(white["ci_low"]) and white["note"] == "reference group"
    # shares count every record, the unrecorded too
    assert black["share"] == pytest.approx(30 / 94)


def test_binomial_interval_matches_the_katz_formula() -> None:
    table = dp.relative_rate_index(counts(black=30, white=50), POP, method="binomial")
    black = row(table, "black")
    se = math.sqrt(1 / 30 - 1 / 2000 + 1 / 50 - 1 / 10000)
    assert black["ci_low"] == pytest.approx(3 * math.exp(-Z95 * se))
    assert (round(black["ci_low"], 4), round(black["ci_high"], 4)) == (1.9127, 4.7053)
    # more events than residents: the binomial form is undefined, the Poisson one is not
    crowded = counts(black=2500, white=50)
    assert np.isnan(row(dp.relative_rate_index(crowded, POP, method="binomial"), "black")["rri"])
    assert (
        "binomial" in row(dp.relative_rate_index(crowded, POP, method="binomial"), "black")["note"]
    )
    assert row(dp.relative_rate_index(crowded, POP), "black")["rri"] == pytest.approx(250.0)


@pytest.mark.filterwarnings("error")
def test_zero_counts_and_missing_populations_are_not_calculable_with_a_reason() -> None:
    table = dp.relative_rate_index(counts(black=0, white=50, other=3, not_recorded=7), POP)
    black = row(table, "black")
    assert black["rate_per_1000"] == 0.0  # a true zero rate
    assert np.isnan(black["rri"]) and np.isnan(black["ci_low"]) and np.isnan(black["ci_high"])
    assert "none recorded in this group" in black["note"]
    other = row(table, "other")  # population 0
    assert np.isnan(other["rate_per_1000"]) and np.isnan(other["rri"])
    assert "no census population" in other["note"]
    unrecorded = row(table, "not_recorded")
    assert unrecorded["count"] == 7 and np.isnan(unrecorded["rri"])
    assert "not recorded" in unrecorded["note"]

    no_ref = dp.relative_rate_index(counts(black=10, white=0), POP)
    assert no_ref["rri"].isna().all()
    assert "reference group" in row(no_ref, "white")["note"]
    assert "division by zero" in row(no_ref, "black")["note"]

    no_ref_pop = dp.relative_rate_index(counts(black=10, white=5), POP.drop("white"))
    assert no_ref_pop["rri"].isna().all()
    assert "reference" in row(no_ref_pop, "black")["note"]

    empty = dp.relative_rate_index(counts(), POP)
    assert len(empty) == len(dp.COUNT_GROUPS) and empty["rri"].isna().all()
    assert empty["share"].isna().all()


def test_reference_group_is_selectable_and_the_log_interval_is_symmetric() -> None:
    c = counts(black=30, white=50, asian=12)
    vs_white = row(dp.relative_rate_index(c, POP), "black")
    vs_black = dp.relative_rate_index(c, POP, reference="black")
    white = row(vs_black, "white")
    assert white["rri"] == pytest.approx(1 / 3)
    assert white["ci_low"] == pytest.approx(1 / vs_white["ci_high"])
    assert white["ci_high"] == pytest.approx(1 / vs_white["ci_low"])
    assert row(vs_black, "black")["note"] == "reference group"
    # asian against black: (12/1000) / (30/2000) = 0.8
    assert row(vs_black, "asian")["rri"] == pytest.approx(0.8)
    with pytest.raises(ValueError):
        dp.relative_rate_index(c, POP, reference="not_recorded")
    with pytest.raises(ValueError):
        dp.relative_rate_index(counts(purple=3), POP)


def test_trend_compares_each_period_on_its_own() -> None:
    frame = pd.DataFrame(
        {
            "period": ["2024 Q1", "2024 Q1", "2024 Q2", "2024 Q2"],
            "group": ["black", "white", "black", "white"],
            "count": [30, 50, 8, 40],
        }
    )
    out = dp.trend(frame, POP)
    assert list(pd.unique(out["period"])) == ["2024 Q1", "2024 Q2"]
    assert len(out) == 2 * len(dp.COUNT_GROUPS)
    q2 = out.loc[out["period"] == "2024 Q2"]
    assert row(q2, "black")["rri"] == pytest.approx((8 / 2000) / (40 / 10000))
    assert row(q2, "black")["ci_high"] == pytest.approx(math.exp(Z95 * math.sqrt(1 / 8 + 1 / 40)))
    with pytest.raises(ValueError):
        dp.trend(counts(black=1), POP)
    # an empty feed split by period gives an empty table, not an error
    none = dp.counts_from_frame(frame.iloc[:0], period="period")
    assert dp.trend(none, POP).empty
    assert dp.disclose(dp.trend(none, POP), "partnership", min_count=6).table.empty


# --- mappings -------------------------------------------------------------------------------


def test_map_ethnicity_examples() -> None:
    values = pd.Series(
        [
            "Chinese or other ethnic group - Chinese (O1)",
            "Not Stated (NS)",
            "",
            None,
            "  white - white BRITISH (w1) ",
            "Other ethnic group - Arab",
            "Other ethnic group - Not stated",
            "Martian",
        ]
    )
    assert dp.map_ethnicity(values, "self").tolist() == [
        "asian",
        "not_recorded",
        "not_recorded",
        "not_recorded",
        "white",
        "other",
        "not_recorded",
        "unmapped",
    ]
    assert dp.map_ethnicity(["Black", "Mixed", "", "other"], "officer").tolist() == [
        "black",
        "mixed",
        "not_recorded",
        "other",
    ]
    census = ["Black, Black British, Black Welsh, Caribbean or African", "Other ethnic group"]
    assert dp.map_ethnicity(census, "census").tolist() == ["black", "other"]
    assert set(dp.CENSUS_TO_GROUP.values()) == set(dp.GROUPS)
    with pytest.raises(ValueError):
        dp.map_ethnicity(["White"], "nonsense")  # type: ignore[arg-type]


@pytest.mark.shared_data
def test_mapping_covers_every_value_in_the_met_file(shared_data: Path) -> None:
    raw = raw_csv(shared_data / MET_SS)
    self_values = pd.Series(raw["Self-defined ethnicity"].unique())
    mapped = dp.map_ethnicity(self_values, "self")
    assert len(self_values) == 18  # 17 categories and blank
    assert not (mapped == "unmapped").any(), self_values[mapped == "unmapped"].tolist()
    assert mapped.tolist() == [group_from_code(v) for v in self_values]

    officer_values = pd.Series(raw["Officer-defined ethnicity"].unique())
    officer = dp.map_ethnicity(officer_values, "officer")
    assert not (officer == "unmapped").any()
    expected = [v.lower() if v else "not_recorded" for v in officer_values]
    assert officer.tolist() == expected


# --- the real stop-and-search files ------------------------------------------------------------


@pytest.fixture(scope="module")
def met_file(shared_data: Path) -> StopSearchFile:
    return read_stop_search_file(shared_data / MET_SS)


@pytest.mark.shared_data
def test_full_met_file_every_row_is_counted(met_file: StopSearchFile, shared_data: Path):
    raw = raw_csv(shared_data / MET_SS)
    assert met_file.read == len(raw) == 10490
    assert met_file.rejected == {} and len(met_file.frame) == 10490  # unlocated rows kept

    self_counts = dp.stop_search_counts(met_file.frame, "self")
    assert self_counts.by_group().to_dict() == direct_counts(
        raw["Self-defined ethnicity"].map(group_from_code)
    )
    assert self_counts.by_group()["not_recorded"] == 1028 + 104  # "Not Stated" and blank
    officer = dp.stop_search_counts(met_file.frame, "officer")
    officer_direct = raw["Officer-defined ethnicity"].str.lower().replace("", "not_recorded")
    assert officer.by_group().to_dict() == direct_counts(officer_direct)
    assert officer.by_group()["not_recorded"] == 124
    assert officer.not_applicable.keys() == {"mixed"}

    young = dp.stop_search_counts(met_file.frame, "self", dp.SearchSelection(age_ranges=("10-17",)))
    assert young.total == int((raw["Age range"] == "10-17").sum()) == 1984
    assert young.excluded == {
        "age range not recorded": int((raw["Age range"] == "").sum()),
        "age range not 10-17": int(
            ((raw["Age range"] != "") & (raw["Age range"] != "10-17")).sum()
        ),
    }
    assert young.accounted == young.rows == 10490
    direct = raw.loc[raw["Age range"] == "10-17", "Self-defined ethnicity"].map(group_from_code)
    assert young.by_group().to_dict() == direct_counts(direct)


@pytest.mark.shared_data
def test_met_file_selection_by_sex_object_and_outcome(met_file: StopSearchFile, shared_data):
    raw = raw_csv(shared_data / MET_SS)
    sel = dp.SearchSelection(age_ranges=("18-24",), sexes=("male",), objects=("Controlled drugs",))
    out = dp.stop_search_counts(met_file.frame, "officer", sel)
    keep = (
        (raw["Age range"] == "18-24")
        & (raw["Gender"] == "Male")
        & (raw["Object of search"] == "Controlled drugs")
    )
    assert out.total == int(keep.sum())
    assert out.accounted == 10490
    age_ok = raw["Age range"] == "18-24"
    assert out.excluded["sex not recorded"] == int((age_ok & (raw["Gender"] == "")).sum())
    # hit rate: the 2016 file never fills "Outcome linked", so the proxy is used
    hits = dp.hit_rate(met_file.frame, "self")
    assert hits.basis == "outcome"
    assert any("no further action" in c for c in hits.caveats)
    white = row(hits.table, "white")
    is_white = raw["Self-defined ethnicity"].str.startswith("White")
    found = raw["Outcome"] != "Nothing found - no further action"
    assert white["searches"] == int(is_white.sum())
    assert white["hits"] == int((is_white & found).sum())


@pytest.fixture
def havering_store(shared_data: Path, tmp_path: Path):
    toml = tmp_path / "placesafe.toml"
    toml.write_text(
        f'[store]\npath = "store.duckdb"\n\n[study_area]\nboundary = "{shared_data / BOROUGHS}"\n'
        'code = "E09000016"\nbuffer_m = 250\n',
        encoding="utf-8",
    )
    config = load_config(toml)
    area = load_study_area(config.study_area)
    with Store(config.store_path) as store:
        for kind, name in (("stop_search", HAVERING_SS), ("area_stats", CENSUS)):
            report = ingest_file(store, config, area, kind, shared_data / name)
            assert report.status == "live", report.error
        yield store


@pytest.mark.shared_data
def test_havering_counts_from_the_store_match_the_csv(havering_store: Store, shared_data: Path):
    raw = raw_csv(shared_data / HAVERING_SS)
    assert len(raw) == 138
    out = dp.stop_search_counts(havering_store, "self")
    assert out.rows == out.total == 138 and out.excluded == {}
    assert out.by_group().to_dict() == direct_counts(
        raw["Self-defined ethnicity"].map(group_from_code)
    )
    assert out.unrecorded == 9 + 3  # "Not Stated" and blank
    officer = dp.stop_search_counts(havering_store, "officer")
    direct = raw["Officer-defined ethnicity"].str.lower().replace("", "not_recorded")
    assert officer.by_group().to_dict() == direct_counts(direct)

    young = dp.stop_search_counts(havering_store, "self", dp.SearchSelection(age_ranges=("10-17",)))
    assert young.total == 27
    assert young.excluded == {"age range not recorded": 13, "age range not 10-17": 98}
    assert young.accounted == 138
    june = Filters("2016-06", "2016-06")
    assert dp.stop_search_counts(havering_store, "self", filters=june).total == 138
    assert (
        dp.stop_search_counts(havering_store, "self", filters=Filters("2016-07", "2016-07")).total
        == 0
    )
    by_month = dp.stop_search_counts(havering_store, "self", by="month")
    assert set(by_month.counts["period"]) == {"2016-06"}

    den = dp.census_denominators(havering_store)
    audit = dp.audit(out, den, role="analyst", min_count=6)
    assert row(audit.table, "white")["count"] == 66 + 10 + 1
    assert any("travel in" in c for c in audit.caveats)
    assert any("12 of 138" in c for c in audit.caveats)


@pytest.mark.shared_data
def test_census_denominators_sum_the_lsoas(havering_store: Store, shared_data: Path) -> None:
    census = pd.read_csv(shared_data / CENSUS)
    den = dp.census_denominators(havering_store)
    expected = census.groupby("ethnic_group")["n"].sum()
    assert den.areas == 153
    assert den.population["white"] == expected["White"] == 197319
    assert (
        den.population["black"]
        == expected["Black, Black British, Black Welsh, Caribbean or African"]
    )
    assert den.population.sum() == census.groupby("lsoa21_code")["total_residents"].first().sum()
    assert den.age_band is None and "all ages" in den.caveat

    some = ["E01002243", "E01002244", "E01002245"]
    sub = dp.census_denominators(havering_store, lsoas=[*some, "E01999999"])
    direct = census.loc[census["lsoa21_code"].isin(some)].groupby("ethnic_group")["n"].sum()
    assert sub.areas == 3 and sub.missing_areas == ("E01999999",)
    assert sub.population["asian"] == direct["Asian, Asian British or Asian Welsh"]
    assert "left out" in sub.caveat
    assert len(dp.census_areas(havering_store)) == 153

    young = dp.census_denominators(havering_store, age_band="10-17")
    assert young.age_band is None  # TS021 has no ages: all ages, with the caveat
    assert young.population.equals(den.population)
    assert "10-17" in young.caveat and "all ages" in young.caveat


def test_census_denominators_by_age_when_the_store_has_them() -> None:
    with Store(":memory:") as store:
        rows = [
            ("E01000001", "White | 10-17", 100.0),
            ("E01000001", "Black, Black British, Black Welsh, Caribbean or African | 10-17", 40.0),
            ("E01000002", "White | 10-17", 60.0),
            ("E01000001", "White", 900.0),
        ]
        frame = pd.DataFrame(rows, columns=["area_code", "measure", "value"])
        frame.insert(0, "batch_id", 1)
        frame.insert(1, "source", "area_stats")
        frame.insert(2, "stat_id", frame["area_code"] + "|" + frame["measure"])
        insert(store, "area_stats", frame)
        den = dp.census_denominators(store, age_band="10-17")
        assert den.age_band == "10-17" and "aged 10-17" in den.caveat
        assert den.population["white"] == 160 and den.population["black"] == 40
        assert dp.census_denominators(store).population["white"] == 900
        none = dp.census_denominators(store, lsoas=[])
        assert none.areas == 0 and none.population.sum() == 0 and "No Census" in none.caveat


# --- other feeds -------------------------------------------------------------------------------


def test_list_and_aggregate_feeds() -> None:
    matrix = pd.DataFrame({"ethnicity": ["Black", "black", "White", "", "Asian", "Purple"]})
    out = dp.counts_from_frame(matrix, group="ethnicity", count=None, unit="people")
    assert out.by_group().to_dict() == {
        "asian": 1,
        "black": 2,
        "mixed": 0,
        "white": 1,
        "other": 0,
        "not_recorded": 1,
        "unmapped": 1,
    }
    assert out.rows == out.accounted == 6
    agg = pd.DataFrame({"g": ["black", "white", "black"], "n": [3, 5, 4], "p": ["a", "a", "b"]})
    split = dp.counts_from_frame(agg, group="g", count="n", period="p")
    assert split.counts.loc[split.counts["period"] == "b", "count"].sum() == 4
    assert split.by_group()["black"] == 7
    with pytest.raises(ValueError):
        dp.counts_from_frame(agg.assign(n=[1, -1, 2]), group="g", count="n")


def test_school_outcomes_from_a_hand_made_store() -> None:
    with Store(":memory:") as store:
        store.query(
            "CREATE TABLE IF NOT EXISTS school_outcomes (batch_id INTEGER NOT NULL, "
            "source VARCHAR NOT NULL, record_id VARCHAR NOT NULL, urn VARCHAR NOT NULL, "
            "period VARCHAR NOT NULL, period_start TIMESTAMP NOT NULL, measure VARCHAR NOT NULL, "
            "ethnicity VARCHAR NOT NULL, sex VARCHAR, count INTEGER NOT NULL)"
        )
        rows = pd.DataFrame(
            {
                "urn": ["1", "1", "2", "2", "1", "1"],
                "period": [
                    "2023/24 summer",
                    "2023/24 summer",
                    "2023/24 spring",
                    "2023/24 spring",
                    "2023/24 spring",
                    "2023/24 spring",
                ],
                "period_start": pd.to_datetime(
                    [
                        "2024-04-15",
                        "2024-04-15",
                        "2024-01-04",
                        "2024-01-04",
                        "2024-01-04",
                        "2024-01-04",
                    ]
                ),
                "measure": ["fixed_term_exclusion"] * 4 + ["managed_move", "fixed_term_exclusion"],
                "ethnicity": ["black", "white", "black", "not_recorded", "black", "white"],
                "sex": ["male", "male", None, "female", "male", "female"],
                "count": [7, 9, 3, 2, 4, 6],
            }
        )
        rows.insert(0, "batch_id", 1)
        rows.insert(1, "source", "school_outcomes")
        rows.insert(2, "record_id", [f"r{i}" for i in range(len(rows))])
        insert(store, "school_outcomes", rows)
        fte = dp.school_outcome_counts(store)
        assert fte.by_group()[["black", "white", "not_recorded"]].tolist() == [10, 15, 2]
        assert fte.rows == fte.total == 27
        boys = dp.school_outcome_counts(store, sexes=("male",), by_period=True)
        assert boys.total == 16
        assert boys.excluded == {"sex not recorded": 3, "sex not male": 8}
        assert boys.accounted == 27
        assert list(pd.unique(boys.counts["period"])) == ["2023/24 summer"]
        spring = dp.school_outcome_counts(store, by_period=True)
        assert list(pd.unique(spring.counts["period"])) == ["2023/24 spring", "2023/24 summer"]
        moves = dp.school_outcome_counts(store, "managed_move")
        assert moves.total == 4
        with pytest.raises(ValueError):
            dp.school_outcome_counts(store, "detention")


def test_missing_children_counted_once_in_their_latest_recorded_group() -> None:
    with Store(":memory:") as store:
        frame = pd.DataFrame(
            {
                "episode_id": ["e1", "e2", "e3", "e4", "e5"],
                "child_key": ["a", "a", "a", "b", "c"],
                "reported_at": pd.to_datetime(
                    ["2024-01-05", "2024-02-05", "2024-03-05", "2024-01-10", "2024-02-10"]
                ),
                "age_band": ["14-17", "14-17", "14-17", "10-13", None],
                "sex": ["female"] * 5,
                "ethnicity": ["white", "mixed", None, "black", None],
            }
        )
        frame.insert(0, "batch_id", 1)
        frame.insert(1, "source", "missing")
        insert(store, "missing_episodes", frame)
        children = dp.missing_counts(store)
        assert children.by_group()[["mixed", "black", "not_recorded"]].tolist() == [1, 1, 1]
        assert children.total == children.rows == 3
        episodes = dp.missing_counts(store, unit="episodes")
        assert episodes.by_group()["not_recorded"] == 2 and episodes.total == 5
        teens = dp.missing_counts(store, age_bands=("14-17",))
        assert teens.total == 1 and teens.excluded == {"no episode matching the filters": 2}
        assert teens.accounted == 3
        monthly = dp.missing_counts(store, by="month")
        assert list(pd.unique(monthly.counts["period"])) == ["2024-01", "2024-02", "2024-03"]
        assert monthly.total == 5  # child a in three months, b and c in one each


def test_incidents_by_source_and_category() -> None:
    with Store(":memory:") as store:
        frame = pd.DataFrame(
            {
                "incident_id": ["1", "2", "3", "4"],
                "source": ["syv_victims", "syv_victims", "syv_suspects", "syv_victims"],
                "category": ["robbery", "drugs", "robbery", "knife_crime"],
                "occurred_at": pd.to_datetime(["2024-01-01"] * 4),
                "time_precision": "day",
                "ethnicity": ["black", "white", "white", None],
                "age_band": ["14-17", "14-17", "18-24", ""],
            }
        )
        frame.insert(0, "batch_id", 1)
        insert(store, "incidents", frame)
        victims = dp.incident_group_counts(store, sources=("syv_victims",))
        assert victims.by_group()[["black", "not_recorded"]].tolist() == [1, 1]
        assert victims.total == 2  # drugs is not SYV
        teens = dp.incident_group_counts(store, sources=("syv_victims",), age_bands=("14-17",))
        assert teens.total == 1 and teens.excluded == {"age band not recorded": 1}


def test_hit_rate_with_linked_outcomes_and_wilson_interval() -> None:
    n = 10
    frame = pd.DataFrame(
        {
            "searched_at": pd.to_datetime(["2024-05-01"] * (n + 2)),
            "sex": "male",
            "age_range": "18-24",
            "self_defined_ethnicity": ["White - Irish"] * n + ["", "White - Irish"],
            "officer_defined_ethnicity": "White",
            "object_of_search": "Controlled drugs",
            "outcome": "Arrest",
            "outcome_linked": [True] * 5 + [False] * 5 + [True, None],
        }
    )
    hits = dp.hit_rate(frame, "self")
    assert hits.basis == "linked" and hits.not_measured == 1
    white = row(hits.table, "white")
    assert (white["searches"], white["hits"], white["hit_rate"]) == (10, 5, 0.5)
    assert (round(white["ci_low"], 4), round(white["ci_high"], 4)) == (0.2366, 0.7634)
    assert row(hits.table, "not_recorded")["hits"] == 1
    proxy = dp.hit_rate(frame, "self", basis="outcome")
    assert proxy.basis == "outcome" and row(proxy.table, "white")["hits"] == 11


# --- disclosure --------------------------------------------------------------------------------


def test_partnership_suppression_primary_secondary_and_derived() -> None:
    table = dp.relative_rate_index(
        counts(asian=12, black=30, mixed=3, white=50, other=0, not_recorded=9), POP
    )
    out = dp.disclose(table, "partnership", min_count=6).table
    mixed = row(out, "mixed")
    assert bool(mixed["withheld"]) and mixed["note"] == WITHHELD
    for col in ("count", "share", "rate_per_1000", "rri", "ci_low", "ci_high"):
        assert np.isnan(mixed[col])
    # the total is shown, so a second group (the smallest other: not recorded, 9) goes too
    assert bool(row(out, "not_recorded")["withheld"])
    # the same label as the small count: the note never tells which row is the small one
    assert row(out, "not_recorded")["note"] == WITHHELD
    assert int(out["withheld"].sum()) == 2
    other = row(out, "other")
    assert not bool(other["withheld"]) and other["count"] == 0  # a zero discloses nothing
    assert row(out, "black")["rri"] == pytest.approx(3.0)
    # other roles see everything
    exact = dp.disclose(table, "analyst", min_count=6).table
    assert not exact["withheld"].any() and row(exact, "mixed")["count"] == 3
    with pytest.raises(ValueError):
        dp.disclose(table, "visitor", min_count=6)


def test_withheld_reference_withholds_every_rri() -> None:
    table = dp.relative_rate_index(counts(black=30, white=4, asian=12), POP)
    out = dp.disclose(table, "partnership", min_count=6).table
    assert out["rri"].isna().all() and out["ci_low"].isna().all()
    assert row(out, "black")["count"] == 30  # the count itself is still shown
    assert row(out, "black")["note"] == WITHHELD
    audit = dp.audit(
        dp.counts_from_frame(counts(black=30, white=4, asian=12)),
        dp.Denominators(POP, 1),
        role="partnership",
        min_count=6,
    )
    assert audit.findings == ()
    # the reasons are given once, in general, as a caveat
    assert dp.WITHHELD_RULES.format(max_small=5) in audit.caveats


def test_every_withheld_figure_has_the_one_label() -> None:
    """Small counts, secondary suppression, a withheld reference and hit rates: every
    withheld note is geo.disclosure.WITHHELD and no note quotes the threshold or why."""
    tables = [
        dp.relative_rate_index(
            counts(asian=12, black=30, mixed=3, white=50, other=0, not_recorded=9), POP
        ),
        dp.relative_rate_index(counts(black=30, white=4, asian=12), POP),
    ]
    hits = pd.DataFrame(
        {
            "group": ["black", "white", "asian"],
            "searches": [40, 60, 30],
            "hits": [3, 20, 10],
            "hit_rate": [3 / 40, 20 / 60, 10 / 30],
            "ci_low": [0.0, 0.2, 0.2],
            "ci_high": [0.2, 0.5, 0.5],
            "note": "",
        }
    )
    frame = pd.DataFrame(
        {"period": ["p1"] * 3 + ["p2"] * 3, "group": ["black", "white", "asian"] * 2,
         "count": [3, 40, 20, 30, 50, 25]}
    )  # fmt: skip
    seen = 0
    for table in [*tables, hits, dp.trend(frame, POP)]:
        out = dp.disclose(table, "partnership", min_count=6).table
        notes = out["note"].astype(str)
        withheld_figure = out["withheld"] | (
            out["rri"].isna() & out["count"].notna() if "rri" in out.columns else False
        )
        held_notes = set(notes[out["withheld"]])
        assert held_notes <= {WITHHELD}
        seen += int(out["withheld"].sum())
        for note in notes:
            assert "withheld" not in note or note == WITHHELD, note
            assert "fewer than" not in note and "another group" not in note
        assert withheld_figure.any()
    assert seen >= 5
    # the general rules, for partnership audits only
    partner = dp.audit(
        dp.counts_from_frame(counts(asian=12, black=30, mixed=3, white=50)),
        dp.Denominators(POP, 1),
        role="partnership",
        min_count=6,
    )
    assert dp.WITHHELD_RULES.format(max_small=5) in partner.caveats
    analyst = dp.audit(
        dp.counts_from_frame(counts(asian=12, black=30, mixed=3, white=50)),
        dp.Denominators(POP, 1),
        min_count=6,
    )
    assert not any(c.startswith("Withheld") for c in analyst.caveats)


def test_trend_suppression_protects_group_totals_across_periods() -> None:
    frame = pd.DataFrame(
        {
            "period": ["p1"] * 3 + ["p2"] * 3,
            "group": ["black", "white", "asian"] * 2,
            "count": [3, 40, 20, 30, 50, 25],
        }
    )
    out = dp.disclose(dp.trend(frame, POP), "partnership", min_count=6).table
    black = out.loc[out["group"] == "black", "withheld"].tolist()
    # black in p1 is small; p2's black must go too, or the unsplit black total reveals it
    assert black == [True, True]
    for p in ("p1", "p2"):  # and another group within each period, against its total
        assert int(out.loc[out["period"] == p, "withheld"].sum()) >= 2


def test_hit_rate_disclosure_withholds_small_hits() -> None:
    hits = pd.DataFrame(
        {
            "group": ["black", "white", "asian"],
            "searches": [40, 60, 30],
            "hits": [3, 20, 10],
            "hit_rate": [3 / 40, 20 / 60, 10 / 30],
            "ci_low": [0.0, 0.2, 0.2],
            "ci_high": [0.2, 0.5, 0.5],
            "note": "",
        }
    )
    out = dp.disclose(hits, "partnership", min_count=6).table
    assert bool(row(out, "black")["withheld"]) and np.isnan(row(out, "black")["hit_rate"])


# --- findings and audit ------------------------------------------------------------------------


def test_finding_sentence_for_the_briefing() -> None:
    text = dp.finding_sentence("black", "white", 3.2, 2.1, 4.9, subject="young people")
    assert text == (
        "Black young people were stopped and searched at 3.2 times the rate of White young "
        "people (95 % CI 2.1–4.9)."
    )
    unsure = dp.finding_sentence("other", "white", 1.3, 0.8, 2.1, verb="were excluded")
    assert unsure.startswith("People of other ethnic groups were excluded at 1.3 times")
    assert "may be chance" in unsure
    table = dp.relative_rate_index(counts(black=30, white=50, asian=4), POP)
    found = dp.findings(table, "stop and search", subject="young people")
    assert [f.group for f in found] == ["black", "asian"]
    assert found[0].significant and not found[1].significant
    assert found[0].sentence.startswith("Black young people were stopped and searched at 3.0")


def test_audit_shows_caveats_and_unrecorded_share() -> None:
    c = dp.counts_from_frame(counts(black=30, white=50, not_recorded=20), unit="searches")
    den = dp.Denominators(POP, 3, caveat="Census 2021 usual residents (all ages) in 3 LSOAs.")
    a = dp.audit(c, den, min_count=6)
    assert a.caveats[0] == dp.CAVEATS["resident_population"]
    assert "Census 2021 usual residents" in a.caveats[1]
    assert "20 of 100 searches (20.0 %)" in a.caveats[2]
    spec = rri_chart_spec(a.table)
    assert {v["group"] for v in spec["data"]["values"]} == {"Black", "White"}
    hidden = dp.audit(
        dp.counts_from_frame(counts(black=30, white=50, not_recorded=2)),
        den,
        role="partnership",
        min_count=6,
    )
    assert "withheld" in hidden.caveats[2] and "2 of" not in hidden.caveats[2]
