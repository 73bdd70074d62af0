"""Disclosure of the Health and police view (geo.disclosure.health and the partnership's
view): mixes, the feed's breakdown, evidence bands, published figures and the resolution
floor."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geo.core.area import load_study_area
from geo.core.config import Config
from geo.core.errors import DisclosureError
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.disclosure.health import (
    COMBINED,
    disclose_breakdown,
    disclose_mix,
    evidence_band,
    published_expected,
    published_share,
)
from geo.lenses.health_police_view import (
    COMBINED_LABEL,
    HealthPoliceView,
    coverage_sentence,
    health_police_view,
)
from geo.render.health_layers import known_to_health_layer
from geo.render.hexlayer import ALLOWED_PROPERTIES
from geo.store.database import Store
from tests.geo._health_rows import QUARTER, health_store

P = Role.PARTNERSHIP
A = Role.ANALYST


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return health_store(tmp_path_factory.mktemp("health_disclosure"))


def unperturbed(config: Config) -> Config:
    """The same policy with perturbation switched off (max noise 0)."""
    return dataclasses.replace(
        config, disclosure=dataclasses.replace(config.disclosure, perturbation_max_noise=0)
    )


def view(config: Config, role: Role, res: int = 8) -> HealthPoliceView:
    with Store(config.store_path, read_only=True) as store:
        area = load_study_area(config.study_area)
        return health_police_view(store, area, res, Filters(*QUARTER), role, config)


def mix_frame(counts: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell": "c",
            "means": [f"m{i}" for i in range(len(counts))],
            "count": counts,
            "key_sum": [37 * (i + 1) * c for i, c in enumerate(counts)],
        }
    )


def test_mix_withholds_small_categories_and_combines_them(config: Config) -> None:
    counts = [20, 9, 3, 2, 0]  # 3 and 2 are small; together 5 < 6, so 9 goes too
    frame = mix_frame(counts)
    exact = pd.Series({"c": 34})
    got = disclose_mix(frame, "means", exact, pd.Series({"c": 34.0}), P, unperturbed(config))
    share = got.set_index("means")["share"]
    assert np.isnan(share[["m1", "m2", "m3"]]).all()
    assert share["m0"] == pytest.approx(20 / 34) and share["m4"] == 0.0
    assert share[COMBINED] == pytest.approx(14 / 34)
    # analysts: exact shares, no combined row
    exact_mix = disclose_mix(frame, "means", exact, exact, A, config).set_index("means")
    assert COMBINED not in exact_mix.index
    np.testing.assert_allclose(exact_mix["share"], np.array(counts) / 34)


def test_mix_of_a_withheld_place_is_withheld(config: Config) -> None:
    frame = mix_frame([20, 9, 7])
    got = disclose_mix(frame, "means", pd.Series({"c": 36}), pd.Series({"c": np.nan}), P, config)
    assert got["share"].isna().all()


def test_mix_shares_are_of_published_counts(config: Config) -> None:
    frame = mix_frame([40, 30, 20])
    got = disclose_mix(frame, "means", pd.Series({"c": 90}), pd.Series({"c": 91.0}), P, config)
    share = got.set_index("means")["share"].drop(COMBINED)
    published = share.to_numpy() * 91.0
    assert np.allclose(published, np.round(published))  # whole published counts
    assert (np.abs(published - [40, 30, 20]) <= 2).all()


def breakdown_parts() -> tuple[pd.DataFrame, pd.DataFrame]:
    parts = pd.DataFrame(
        {"label": ["placed", "private home", "a", "b"], "count": [50, 7, 4, 9],
         "key_sum": [6000, 800, 500, 1100]}
    )  # fmt: skip
    children = pd.DataFrame(
        {"parent": "placed", "label": ["postcode", "gazetteer", "coordinates"],
         "count": [45, 3, 2], "key_sum": [5400, 400, 200]}
    )  # fmt: skip
    return parts, children


def test_breakdown_protects_the_tree(config: Config) -> None:
    parts, children = breakdown_parts()
    got = disclose_breakdown((70, 7400), parts, children, P, unperturbed(config))
    values = got.parts.set_index("label")["value"]
    kids = got.children.set_index("label")["value"]
    assert got.total == 70
    # "a" (4) is small; one withheld part would be pinned by the total, so the next
    # smallest (7) goes too; 4 + 7 >= 6
    assert np.isnan(values[["a", "private home"]]).all() and values["placed"] == 50
    # 3 and 2 methods are small, together 5 < 6: postcode is withheld as well
    assert kids.isna().all()
    # analysts see everything
    exact = disclose_breakdown((70, 7400), parts, children, A, config)
    assert exact.total == 70 and exact.parts["value"].tolist() == [50, 7, 4, 9]
    assert "4" in coverage_sentence(exact) and "withheld" not in coverage_sentence(exact)
    assert "withheld" in coverage_sentence(got)


def test_breakdown_is_perturbed_by_keys(config: Config) -> None:
    parts, children = breakdown_parts()
    parts.loc[parts["label"] == "a", "count"] = 40
    children.loc[:, "count"] = [30, 10, 10]
    a = disclose_breakdown((106, 7400), parts, children, P, config)
    b = disclose_breakdown((106, 7400), parts, children, P, config)
    shown = a.parts["value"].to_numpy()
    assert np.array_equal(shown, b.parts["value"].to_numpy())  # the same keys, same values
    assert (np.abs(shown - parts["count"].to_numpy()) <= 2).all()


def test_evidence_bands() -> None:
    got = evidence_band([0.0005, 0.001, 0.005, 0.04, 0.2, np.nan], 0.05)
    assert got.tolist() == ["very strong", "very strong", "strong", "moderate", "", ""]
    assert evidence_band([0.03], 0.01).tolist() == [""]


def test_published_figures_come_from_published_counts() -> None:
    expected, ratio = published_expected([30.0, np.nan, 10.0], [2.0, 5.0, np.nan], 0.2)
    assert expected[0] == pytest.approx(6.4) and ratio[0] == pytest.approx(30 / 6.4)
    assert np.isnan(expected[1:]).all() and np.isnan(ratio[1:]).all()
    assert published_share(0.23456, P) == 0.23 and published_share(0.23456, A) == 0.23456


def test_partnership_view(config: Config) -> None:
    got = view(config, P)
    assert list(got.places.columns) == [
        "rank", "place", "ed", "police", "expected", "ratio", "evidence", "cell"
    ]  # fmt: skip
    assert got.tested.empty
    top = got.places.iloc[0]
    assert abs(top["ed"] - 30) <= 2 and np.isnan(top["police"])  # 2 police records: withheld
    assert np.isnan(top["expected"]) and np.isnan(top["ratio"])
    assert top["evidence"] == "very strong"
    assert "perturbed" in " ".join(got.notes)
    assert "24%" in got.model  # 130 of 532 records, to the whole percent
    means = got.means.set_index("cell")
    assert COMBINED_LABEL in means.columns  # 2 knives are withheld with another category
    assert np.isnan(means.loc[top["cell"], "Knife or sharp object"])
    layer = known_to_health_layer(got)
    for feature in layer.geojson["features"]:
        assert set(feature["properties"]) <= ALLOWED_PROPERTIES
        assert "withheld" in feature["properties"]["label"]


def test_analyst_view_is_exact(config: Config) -> None:
    got = view(config, A, res=9)
    top = got.places.iloc[0]
    assert (top["ed"], top["police"]) == (30, 2)
    assert {"p", "q", "excess", "odds_ratio"} <= set(got.places.columns)
    assert len(got.tested) > len(got.places)
    means = got.means.set_index("cell")
    assert means.loc[top["cell"], "Knife or sharp object"] == pytest.approx(2 / 30)
    assert "(10 placed assaults)" in " ".join(got.notes)


def test_partnership_resolution_floor(config: Config) -> None:
    with pytest.raises(DisclosureError):
        view(config, P, res=9)
