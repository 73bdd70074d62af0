"""An LP attacker over every count the partnership sees for a quarter, jointly.

The attacker knows the publication method (DESIGN §4, README "How figures are
protected"): shown counts are the true count plus noise of at most ``max_noise``, zero
stays zero, a withheld cell that is drawn holds at least one record, res-8 cells nest in
res-7 cells, and the headline figures are the totals of the maps and their category
breakdown (knife crime, harmful sexual behaviour). Unknowns are the publishable
records per res-8 cell, category and quarter (plus records without a cell). Every
figure of the Overview maps at resolutions 7 and 8, the KPI tiles for the quarter (whose
"previous" column is the quarter before), the missing-episode maps, the A&E assault maps
(with the A&E layer's total, and records without a cell) and the Health and police page's
counts for the places it lists (A&E assaults, of under-25s where the police feed is a
youth-violence extract, and police-recorded violence) becomes an interval constraint on a
sum of unknowns; the attacker then minimises and maximises each withheld figure and each
shown one by linear programming. The constraint matrices are two laminar families (cells
nested in cells, a cell's sub-totals such as its police violence or its under-25 A&E
assaults nested in the cell; categories across cells), hence totally unimodular, so the LP
bounds are also the integer bounds.

The tests assert that no withheld count is pinned to a value in 1 to ``min_count - 1``
and that perturbation leaves almost no shown count exactly known — and, so that the
harness can fail, that with perturbation switched off every shown count is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.config import Config
from geo.core.filters import Filters
from geo.core.schema import HSB, POLICE_VIOLENCE_CATEGORIES
from geo.demo.build import build_demo
from geo.disclosure import Role, disclosure_policy, store_for
from geo.disclosure.counts import disclosed_counts, disclosed_kpis
from geo.disclosure.windows import partnership_quarters
from geo.lenses.health_police import UNDER_25, police_feed
from geo.lenses.health_police_view import health_police_view
from geo.store import queries as overview
from geo.store.database import Store
from tests._ed_assaults import add_ed_assaults

PARTNERSHIP = Role.PARTNERSHIP
CATEGORIES = ("knife_crime", "harmful_sexual_behaviour", "violence", "rest")
#: Police violence the Health and police page counts besides knife crime (the rest of
#: geo.core.schema.POLICE_VIOLENCE_CATEGORIES), an unknown of its own so that the page's
#: police counts are sums of unknowns.
VIOLENCE_SQL = ", ".join(
    f"'{c}'" for c in POLICE_VIOLENCE_CATEGORIES if c not in ("knife_crime", HSB)
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo with an emergency department's A&E assaults added (its third count layer)."""
    build = build_demo(Path(tmp_path_factory.mktemp("lp")) / "demo", seed=0)
    add_ed_assaults(build.config.store_path)
    return build


@dataclasses.dataclass
class System:
    """Interval constraints ``lo <= A x <= hi`` over the attacker's unknowns."""

    names: dict[tuple[str, ...], int] = dataclasses.field(default_factory=dict)
    rows: list[tuple[list[int], float, float, str]] = dataclasses.field(default_factory=list)
    truth: dict[int, float] = dataclasses.field(default_factory=dict)

    def var(self, key: tuple[str, ...], true: float) -> int:
        if key not in self.names:
            self.names[key] = len(self.names)
            self.truth[self.names[key]] = true
        return self.names[key]

    def figure(self, members: list[int], shown: float | None, drawn: bool, noise: int, what: str):
        if shown is None:
            self.rows.append((members, 1.0 if drawn else 0.0, np.inf, "withheld " + what))
        elif shown == 0:
            self.rows.append((members, 0.0, 0.0, "shown " + what))
        else:
            self.rows.append((members, shown - noise, shown + noise, "shown " + what))

    def matrix(self) -> sparse.csr_matrix:
        data, ri, ci = [], [], []
        for r, (members, *_rest) in enumerate(self.rows):
            ri += [r] * len(members)
            ci += members
            data += [1.0] * len(members)
        return sparse.csr_matrix((data, (ri, ci)), shape=(len(self.rows), len(self.names)))

    def bounds_of(self, members: list[int]) -> tuple[float, float]:
        """The attacker's tightest bounds on the sum of ``members``."""
        a = self.matrix()
        lo = np.array([r[1] for r in self.rows])
        hi = np.array([r[2] for r in self.rows])
        finite = np.isfinite(hi)
        a_ub = sparse.vstack([a[finite], -a])
        b_ub = np.concatenate([hi[finite], -lo])
        c = np.zeros(len(self.names))
        c[members] = 1.0
        out = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
            assert res.status in (0, 3), res.message
            out.append(np.inf if res.status == 3 else sign * res.fun)
        return out[0], out[1]


def _levels(store: Store, layer: str, q: Filters, config: Config) -> Any:
    return disclosed_counts(store, layer, PARTNERSHIP, 8, q, config)


def quarter_system(store: Store, q: Filters, config: Config) -> tuple[System, list]:
    """Everything the partnership sees of incidents, missing episodes and A&E assaults in
    quarter ``q``."""
    published = store_for(store, PARTNERSHIP, config)
    noise = disclosure_policy(config).max_noise
    system = System()
    targets: list[tuple[list[int], bool, float, str]] = []  # members, withheld, shown, what
    start, end = q.bounds()
    # unknowns: publishable records per res-8 cell and category, and those without a cell
    inc = published.query(
        "SELECT coalesce(cell_8, 0) AS cell, CASE WHEN category IN "
        "('knife_crime', 'harmful_sexual_behaviour') THEN category "
        f"WHEN category IN ({VIOLENCE_SQL}) THEN 'violence' ELSE 'rest' END AS cat, "
        "count(*) AS n FROM incidents "
        "WHERE occurred_at >= ? AND occurred_at < ? GROUP BY 1, 2",
        [start, end],
    )
    cell_vars: dict[int, list[int]] = {}
    cat_vars: dict[str, list[int]] = {c: [] for c in CATEGORIES}
    cell_keys: dict[int, list[int]] = {}  # police violence (the Health page's) per cell
    for cell, cat, n in inc.itertuples(index=False):
        key = ("inc", "none" if int(cell) == 0 else str(int(cell)), cat)
        v = system.var(key, float(n))
        cat_vars[cat].append(v)
        if key[1] != "none":
            cell_vars.setdefault(int(cell), []).append(v)
            if cat in ("knife_crime", "violence"):
                cell_keys.setdefault(int(cell), []).append(v)
    for cat in CATEGORIES:  # records without a cell in every category (possibly none)
        v = system.var(("inc", "none", cat), 0.0)
        if v not in cat_vars[cat]:
            cat_vars[cat].append(v)
    mis = published.query(
        "SELECT coalesce(cell_8, 0) AS cell, count(*) AS n FROM missing_episodes "
        "WHERE reported_at >= ? AND reported_at < ? GROUP BY 1",
        [start, end],
    )
    mis_vars: dict[int, list[int]] = {}
    all_mis = [system.var(("mis", "none"), 0.0)]
    for cell, n in mis.itertuples(index=False):
        if int(cell) == 0:
            system.truth[all_mis[0]] = float(n)
            continue
        v = system.var(("mis", str(int(cell))), float(n))
        mis_vars[int(cell)] = [v]
        all_mis.append(v)

    # A&E assaults: records per res-8 cell, and those without a cell (at a private home
    # or not placed), which only the layer's total counts
    # (split by whether the patient was under 25, the ages the Health and police page
    # compares with a youth-violence police feed)
    under_25 = ", ".join(f"'{a}'" for a in UNDER_25)
    ed = published.query(
        "SELECT coalesce(cell_8, 0) AS cell, coalesce(age_band IN "
        f"({under_25}), false) AS young, count(*) AS n FROM ed_assaults "
        "WHERE occurred_at >= ? AND occurred_at < ? GROUP BY 1, 2",
        [start, end],
    )
    ed_vars: dict[int, list[int]] = {}
    young_vars: dict[int, list[int]] = {}
    all_ed = [system.var(("ed", "none"), 0.0)]
    for cell, young, n in ed.itertuples(index=False):
        if int(cell) == 0:
            system.truth[all_ed[0]] += float(n)
            continue
        v = system.var(("ed", str(int(cell)), "young" if young else "rest"), float(n))
        ed_vars.setdefault(int(cell), []).append(v)
        if young:
            young_vars.setdefault(int(cell), []).append(v)
        all_ed.append(v)

    def add_map(layer: str, by_cell: dict[int, list[int]]) -> None:
        levels = _levels(store, layer, q, config)
        for res in (7, 8):
            frame = levels.levels[res]
            children = by_cell
            if res == 7:
                children = {}
                for cell, members in by_cell.items():
                    parent = int(hexes.cells_to_parent(np.array([cell], dtype=np.uint64), 7)[0])
                    children.setdefault(parent, []).extend(members)
            for cell, value, withheld in frame[["cell", "value", "withheld"]].itertuples(
                index=False
            ):
                members = children.get(int(cell), [])
                shown = None if withheld else float(value)
                what = f"{layer} {h3.int_to_str(int(cell))} {q.month_from}"
                system.figure(members, shown, True, noise, what)
                targets.append((members, bool(withheld), np.nan if shown is None else shown, what))

    add_map("incidents", cell_vars)
    add_map("missing", mis_vars)
    add_map("ed_assaults", ed_vars)
    _add_health_page(store, q, config, system, targets, ed_vars, young_vars, cell_keys)
    # the A&E layer's total, as if it were shown (no page shows it yet: stricter)
    ed_total = _levels(store, "ed_assaults", q, config).total
    system.figure(all_ed, ed_total, False, noise, "A&E total")
    targets.append((all_ed, ed_total is None, np.nan if ed_total is None else ed_total,
                    f"A&E total {q.month_from}"))  # fmt: skip
    kpis = disclosed_kpis(store, PARTNERSHIP, q, config)
    total_inc = [v for vs in cat_vars.values() for v in vs]
    for key, members in (
        ("incidents", total_inc),
        ("knife_crime", cat_vars["knife_crime"]),
        ("harmful_sexual_behaviour", cat_vars["harmful_sexual_behaviour"]),
        ("missing_episodes", all_mis),
    ):
        value = float(kpis.loc[key, "current"])
        shown = None if np.isnan(value) else value
        system.figure(members, shown, False, noise, f"KPI {key}")
        targets.append((members, shown is None, value, f"KPI {key} {q.month_from}"))
    return system, targets


def _to_res(by_cell: dict[int, list[int]], res: int) -> dict[int, list[int]]:
    """Unknowns per res-8 cell gathered per cell at ``res`` (7 or 8)."""
    if res == 8:
        return by_cell
    out: dict[int, list[int]] = {}
    for cell, members in by_cell.items():
        parent = int(hexes.cells_to_parent(np.array([cell], dtype=np.uint64), res)[0])
        out.setdefault(parent, []).extend(members)
    return out


def _add_health_page(
    store: Store,
    q: Filters,
    config: Config,
    system: System,
    targets: list[tuple[list[int], bool, float, str]],
    ed_vars: dict[int, list[int]],
    young_vars: dict[int, list[int]],
    police_vars: dict[int, list[int]],
) -> None:
    """The Health and police page's counts for its listed places, at resolutions 7 and 8:
    A&E assaults (of patients under 25 when the police feed is a youth-violence extract)
    and police-recorded violence, each a figure on the same unknowns as the maps."""
    area = load_study_area(config.study_area)
    noise = disclosure_policy(config).max_noise
    for res in (7, 8):
        view = health_police_view(store, area, res, q, PARTNERSHIP, config)
        if view.places.empty:
            continue
        feed = police_feed(store_for(store, PARTNERSHIP, config), q)
        young = feed is not None and feed.ed_ages is not None
        ed_by = _to_res(young_vars if young else ed_vars, res)
        police_by = _to_res(police_vars, res)
        cells = hexes.str_to_cells(view.places["cell"].astype(str).tolist())
        for cell, ed, police in zip(cells, view.places["ed"], view.places["police"], strict=True):
            for what, value, by in (("A&E", ed, ed_by), ("police violence", police, police_by)):
                members = by.get(int(cell), [])
                shown = None if pd.isna(value) else float(value)
                label = f"health page {what} {h3.int_to_str(int(cell))} {q.month_from}"
                system.figure(members, shown, True, noise, label)
                targets.append((members, shown is None, np.nan if shown is None else shown, label))


def _truth_is_feasible(system: System) -> None:
    x = np.array([system.truth[i] for i in range(len(system.names))])
    sums = system.matrix() @ x
    for (_, lo, hi, what), s in zip(system.rows, sums, strict=True):
        assert lo - 1e-9 <= s <= hi + 1e-9, (what, lo, s, hi)


def _quarters(demo: Any, last: int | None = None) -> Iterator[tuple[Store, Filters]]:
    with Store(demo.config.store_path, read_only=True) as store:
        quarters = partnership_quarters(overview.available_months(store))
        for q in quarters[-last:] if last else quarters:
            yield store, q


def test_no_withheld_count_is_pinned_to_a_small_value(demo: Any) -> None:
    config = demo.config
    small = range(1, config.disclosure.min_count)
    checked = 0
    for store, q in _quarters(demo):
        system, targets = quarter_system(store, q, config)
        _truth_is_feasible(system)
        for members, withheld, _shown, what in targets:
            if not withheld or not members:
                continue
            lo, hi = system.bounds_of(members)
            lo_i, hi_i = int(np.ceil(lo - 1e-7)), hi if np.isinf(hi) else int(np.floor(hi + 1e-7))
            assert not (lo_i == hi_i and lo_i in small), (what, lo, hi)
            checked += 1
    assert checked > 100, "the demo's quarters withhold many counts"


def _pinned_share(demo: Any, config: Config, sample: int = 25) -> float:
    rng = np.random.default_rng(0)
    pinned = tried = 0
    for store, q in _quarters(demo, last=3):
        system, targets = quarter_system(store, q, config)
        _truth_is_feasible(system)
        shown = [
            t for t in targets if not t[1] and t[0] and t[2] >= config.disclosure.min_count + 2
        ]
        for i in rng.choice(len(shown), size=min(sample, len(shown)), replace=False):
            members, _, _, _ = shown[i]
            lo, hi = system.bounds_of(members)
            pinned += int(np.floor(hi + 1e-7) == np.ceil(lo - 1e-7))
            tried += 1
    assert tried > 30
    return pinned / tried


def test_perturbation_leaves_shown_counts_uncertain(demo: Any) -> None:
    assert _pinned_share(demo, demo.config) < 0.1


def test_the_check_fails_without_perturbation(demo: Any) -> None:
    off = dataclasses.replace(
        demo.config,
        disclosure=dataclasses.replace(demo.config.disclosure, perturbation_max_noise=0),
    )
    assert disclosure_policy(off).max_noise == 0
    assert _pinned_share(demo, off) == 1.0


def test_the_ae_layer_is_in_the_attack(demo: Any) -> None:
    """The A&E assault maps withhold many cells, and the attacker checks each of them
    (in the test above) with everything else the partnership sees of the quarter."""
    withheld = 0
    for store, q in _quarters(demo, last=2):
        _, targets = quarter_system(store, q, demo.config)
        withheld += sum(1 for t in targets if t[3].startswith("ed_assaults") and t[1] and t[0])
    assert withheld > 40


def test_the_health_page_is_in_the_attack(demo: Any) -> None:
    """The Health and police page lists the demo's night-time strip in some quarters, and
    its counts (A&E assaults of under-25s, police violence) join the attack above."""
    listed = 0
    for store, q in _quarters(demo):
        _, targets = quarter_system(store, q, demo.config)
        listed += sum(1 for t in targets if t[3].startswith("health page") and t[0])
    assert listed >= 2  # a place's A&E and police counts
