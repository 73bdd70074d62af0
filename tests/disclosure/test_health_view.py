"""The intruder's view of the Health and police page: over every quarter and resolution
a partnership user can choose, no published count is 1 to ``min_count - 1``, shown counts
are the publishable dataset's within the perturbation, no withheld figure can be worked
out from its total and the figures shown beside it, and a sensitive premise leaves no
trace.

Relations a reader can difference on the page: the A&E feed's total over its parts
(placed, at a private home, each reason for not placing) and "placed" over its methods;
a listed place's A&E count over its means of assault and over its times of week. For
each, with the exact counts of the publishable dataset: a shown parent has either no
withheld child with records or at least two whose sum is at least ``min_count`` (so
neither the parent minus the shown children nor any bound pins one), and a withheld
parent keeps at least ``min(min_count, parent)`` in withheld children. Counts per place
are published by :func:`geo.disclosure.disclose_levels` (tested with the map's layers).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.area import StudyArea, load_study_area
from geo.core.config import Config
from geo.core.errors import DisclosureError
from geo.core.filters import Filters
from geo.core.schema import ASSAULT_MEANS_LABELS
from geo.demo.build import build_demo
from geo.disclosure import Role, disclosure_policy, protected_cells, store_for
from geo.disclosure.windows import partnership_quarters
from geo.lenses.health_police import KnownToHealth, known_to_health, time_group_labels
from geo.lenses.health_police_view import (
    COMBINED_LABEL,
    HOME_PART,
    PLACED_PART,
    HealthPoliceView,
    health_police_view,
)
from geo.store import queries as overview
from geo.store.database import Store
from tests.disclosure.test_premises import _outputs, _without_premise_records
from tests.geo._health_rows import ed_rows, write

P = Role.PARTNERSHIP


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_demo(Path(tmp_path_factory.mktemp("health_view")) / "demo", seed=0)


def views(config: Config) -> list[tuple[Filters, int, HealthPoliceView, KnownToHealth]]:
    """Every (quarter, resolution) the partnership can choose: its view and the exact lens
    on the publishable dataset."""
    area: StudyArea = load_study_area(config.study_area)
    out = []
    with Store(config.store_path, read_only=True) as store:
        published = store_for(store, P, config)
        for q in partnership_quarters(overview.available_months(published)):
            for res in (7, 8):
                view = health_police_view(store, area, res, q, P, config)
                out.append((q, res, view, known_to_health(published, area, res, q)))
    return out


def small(values: np.ndarray, min_count: int) -> np.ndarray:
    return (values >= 1) & (values < min_count)


def check_relation(
    parent: float, parent_shown: bool, children: np.ndarray, shown: np.ndarray, min_count: int
) -> None:
    """The differencing rule for one parent and its children (exact counts; ``shown``
    flags which children are published)."""
    held = ~shown & (children > 0)
    if parent_shown:
        assert held.sum() == 0 or (held.sum() >= 2 and children[held].sum() >= min_count), (
            parent, children.tolist(), shown.tolist())  # fmt: skip
    else:
        assert children[held].sum() >= min(min_count, parent), (parent, children.tolist())


def check_breakdown(view: HealthPoliceView, exact: KnownToHealth, min_count: int) -> int:
    feed, b = exact.feed, view.breakdown
    assert b is not None
    parts = b.parts.set_index("label")["value"]
    truth = pd.Series(
        {
            PLACED_PART: feed.placed,
            HOME_PART: feed.private_home,
            **dict(zip(feed.unplaced["reason"], feed.unplaced["count"], strict=True)),
        }
    ).reindex(parts.index)
    methods = b.children.set_index("label")["value"]
    method_truth = feed.methods.set_index("method")["count"].reindex(methods.index)
    shown_parts = parts.notna().to_numpy()
    check_relation(feed.total, b.total is not None, truth.to_numpy(float), shown_parts, min_count)
    check_relation(
        feed.placed,
        bool(np.isfinite(parts[PLACED_PART])),
        method_truth.to_numpy(float),
        methods.notna().to_numpy(),
        min_count,
    )
    published = np.array([b.total or 0.0, *parts.dropna(), *methods.dropna()])
    exact_shown = np.array(
        [feed.total if b.total is not None else 0.0, *truth[parts.notna()],
         *method_truth[methods.notna()]]
    )  # fmt: skip
    return check_published(published, exact_shown, min_count)


def check_published(published: np.ndarray, exact: np.ndarray, min_count: int) -> int:
    """No published count in 1..min_count-1, each within the noise of its exact count,
    zero where the count is zero; returns how many were shown."""
    assert not small(published, min_count).any(), published.tolist()
    assert (np.abs(published - exact) <= 2).all(), (published.tolist(), exact.tolist())
    assert ((published == 0) == (exact == 0)).all()
    return int(published.size)


def check_mixes(view: HealthPoliceView, exact: KnownToHealth, min_count: int) -> int:
    """Each listed place's mixes: shown only beside its shown count; withheld categories
    protected under the place's count."""
    checked = 0
    shown_ed = view.places.set_index("cell")["ed"]
    for mix, long, by, labels in (
        (view.means, exact.means, "means", ASSAULT_MEANS_LABELS),
        (view.times, exact.times, "block", time_group_labels(exact.blocks)),
    ):
        for _, row in mix.iterrows():  # a few listed places
            cell = row["cell"]
            counts = long.loc[long["cell"] == cell].set_index(by)["count"]
            counts = counts.rename(index=labels)
            shares = row.drop(["place", "cell", COMBINED_LABEL], errors="ignore")
            shares = shares.reindex(counts.index).astype(float)
            if np.isnan(shown_ed[cell]):
                assert shares.isna().all()
                continue
            shown = shares.notna().to_numpy()
            values = counts.to_numpy(dtype=float)
            assert not small(values[shown], min_count).any(), (cell, counts.tolist())
            check_relation(float(values.sum()), True, values, shown, min_count)
            checked += 1
    return checked


def test_every_partnership_output_is_protected(demo: Any) -> None:
    config = demo.config
    min_count = disclosure_policy(config).min_count
    shown = places = mixes = withheld = 0
    for q, res, view, exact in views(config):
        assert view.loaded and view.tested.empty, (q, res)
        assert not {"p", "q", "excess", "odds_ratio"} & set(view.places.columns)
        shown += check_breakdown(view, exact, min_count)
        truth = exact.places.set_index("cell")
        for column in ("ed", "police"):
            values = view.places[column].to_numpy(dtype=float)
            ok = np.isfinite(values)
            exact_values = truth.loc[view.places["cell"], column].to_numpy(dtype=float)
            shown += check_published(values[ok], exact_values[ok], min_count)
            withheld += int((~ok).sum())
        assert set(view.places["cell"]) <= set(exact.findings["cell"]), (q, res)
        assert np.isfinite(view.places["ed"].to_numpy(dtype=float)).all()  # never a bound
        places += len(view.places)
        mixes += check_mixes(view, exact, min_count)
    # the checks had something to check: places listed with mixes, figures withheld
    assert shown > 100 and places >= 4 and mixes >= 4 and withheld >= 1


def test_the_rule_is_checked_without_perturbation_too(demo: Any) -> None:
    """With perturbation off every shown count is exact, so the relations are the
    reader's exact equations: the breakdown's withheld parts still cannot be solved."""
    config = dataclasses.replace(
        demo.config,
        disclosure=dataclasses.replace(demo.config.disclosure, perturbation_max_noise=0),
    )
    min_count = disclosure_policy(config).min_count
    withheld_groups = 0
    for _q, _res, view, exact in views(config)[:6]:
        b = view.breakdown
        assert b is not None
        parts = b.parts.set_index("label")["value"]
        if b.total is not None and parts.isna().any():
            rest = b.total - parts.sum()  # what differencing gives: the withheld parts' sum
            assert rest >= min_count and parts.isna().sum() >= 2
            withheld_groups += 1
        check_breakdown(view, exact, min_count)
    assert withheld_groups >= 1


def test_the_check_can_fail() -> None:
    with pytest.raises(AssertionError):
        check_relation(20.0, True, np.array([14.0, 6.0]), np.array([True, False]), 6)
    with pytest.raises(AssertionError):
        check_relation(20.0, True, np.array([15.0, 3.0, 2.0]), np.array([True, False, False]), 6)
    with pytest.raises(AssertionError):
        check_published(np.array([3.0]), np.array([3.0]), 6)


def test_finer_than_the_floor_is_refused(demo: Any) -> None:
    config = demo.config
    with Store(config.store_path, read_only=True) as store:
        months = overview.available_months(store)
        q = partnership_quarters(months)[-1]
        with pytest.raises(DisclosureError):
            health_police_view(store, load_study_area(config.study_area), 9, q, P, config)


def _with_assaults_at_the_home(demo: Any, tmp_path: Path) -> Config:
    """A copy of the demo store with 12 more A&E assaults at the children's home's
    storage cell (the demo places none there)."""
    folder = tmp_path / "with-home-assaults"
    folder.mkdir()
    path = folder / demo.config.store_path.name
    shutil.copyfile(demo.config.store_path, path)
    lat, lng = hexes.cell_centres(hexes.str_to_cells([demo.truth["childrens_home"]["cell_11"]]))
    when = [pd.Timestamp("2024-05-10 22:00") + pd.Timedelta(hours=i) for i in range(12)]
    rows = ed_rows([(float(lat[0]), float(lng[0]))] * 12, when, start=90000)
    with Store(path) as store:
        write(store, "istv", "ed_assaults", rows)
    return dataclasses.replace(demo.config, store_path=path)


def test_a_premise_leaves_no_trace_on_the_page(demo: Any, tmp_path: Path) -> None:
    """The page's outputs equal those of a store without the premise's records (the A&E
    assaults there included) and no premise at all; with the premise filter off they
    would not."""
    config = _with_assaults_at_the_home(demo, tmp_path)
    home = demo.truth["childrens_home"]["cell_11"]
    protected = protected_cells(config)
    with_home = _outputs(config, (home,), ("health",))
    without = _outputs(_without_premise_records(config, protected, tmp_path), (home,), ("health",))
    assert len(with_home) == 32 and not any(v.startswith("error:") for v in with_home.values())
    assert with_home == without, [k for k in with_home if with_home[k] != without[k]][:5]
    off = dataclasses.replace(
        config, disclosure=dataclasses.replace(config.disclosure, sensitive_premises=None)
    )
    leaky = _outputs(off, (home,), ("health",))
    assert leaky != without  # the home's assaults would show
