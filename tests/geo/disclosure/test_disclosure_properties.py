"""Property tests: what the partnership sees cannot be differenced back to a small count.

The attacker model is the partnership user with pencil, paper and a linear-programming
solver: every displayed value is known, every node equals the sum of its children
(the total equals the sum of level 0; a res-7 cell equals the sum of its res-8 cells),
and withheld values are unknowns >= 0. For every withheld node with a positive true
value we compute, with :func:`scipy.optimize.linprog`, the least and greatest value
consistent with everything shown, and require that

* the interval is not a single point (the value is not pinned), and
* the interval is not inside 1 .. ``min_count - 1`` (the arithmetic alone does not
  even say "it is a small positive number").

A stronger, realistic attacker also knows that every withheld cell drawn on the map
(a grey hexagon) holds at least one event — cells without events are not drawn. With
these lower bounds the value must still not be pinned.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from geo.core import hexes
from geo.core.area import load_study_area
from geo.core.config import Config, StudyAreaConfig, load_config
from geo.core.filters import Filters, quarter_menu
from geo.disclosure import protect_hierarchy, store_for
from geo.disclosure.counts import disclosed_counts, disclosed_kpis
from geo.ingest.pipeline import ingest_bytes
from geo.render import layers
from geo.render.hexlayer import ALLOWED_PROPERTIES
from geo.store import queries as overview
from geo.store.database import Store

REPO = Path(__file__).resolve().parents[3]
TEMPLATES = REPO / "data" / "templates"
BOUNDARY = REPO / "data" / "demo" / "boundary.geojson"
MIN_COUNT = 6
#: Largest change perturbation makes to a published count (the demo policy).
MAX_NOISE = 2
SMALL = range(1, MIN_COUNT)


# --- the attacker ---------------------------------------------------------------------


@dataclass
class Tree:
    """What was published: node values, which are withheld, and the sums that hold.

    ``sums`` lists ``(node, parts)``: the node equals the sum of its parts (the total
    and level 0, a cell and its children, a KPI and its breakdown). ``kids[i]`` is
    the first such list of ``i`` (for printing).
    """

    value: list[float] = field(default_factory=list)
    held: list[bool] = field(default_factory=list)
    kids: list[list[int]] = field(default_factory=list)
    #: drawn on the map (so known to hold >= 1 when withheld with events)
    visible: list[bool] = field(default_factory=list)
    #: never published, only implied (events without a cell, "other" incidents): protected
    #: only when small
    derived: list[bool] = field(default_factory=list)
    extra_sums: list[tuple[int, list[int]]] = field(default_factory=list)

    def add(
        self,
        value: float,
        held: bool,
        parent: int | None,
        visible: bool = True,
        derived: bool = False,
    ) -> int:
        self.value.append(float(value))
        self.held.append(bool(held))
        self.kids.append([])
        self.visible.append(visible)
        self.derived.append(derived)
        if parent is not None:
            self.kids[parent].append(len(self.value) - 1)
        return len(self.value) - 1

    @property
    def sums(self) -> list[tuple[int, list[int]]]:
        return [(n, k) for n, k in enumerate(self.kids) if k] + self.extra_sums


def feasible_intervals(tree: Tree, presence: bool) -> dict[int, tuple[float, float]]:
    """Least and greatest value of each withheld node with a positive true value.

    With ``presence``, a withheld node the attacker can see (a grey hexagon) is known
    to hold at least one event.
    """
    unknown = [i for i, h in enumerate(tree.held) if h]
    if not unknown:
        return {}
    col = {node: j for j, node in enumerate(unknown)}
    rows, rhs = [], []
    for node, parts in tree.sums:
        row = np.zeros(len(unknown))
        b = 0.0
        for k, sign in [(node, 1.0)] + [(k, -1.0) for k in parts]:
            if k in col:
                row[col[k]] += sign
            else:
                b -= sign * tree.value[k]
        if np.any(row):
            rows.append(row)
            rhs.append(b)
        else:
            assert abs(b) < 1e-9, "test tree is inconsistent"
    bounds = [
        (1.0 if presence and tree.visible[n] and tree.value[n] > 0 else 0.0, None) for n in unknown
    ]
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    out = {}
    for node in unknown:
        if tree.value[node] <= 0:
            continue
        if tree.derived[node] and tree.value[node] >= MIN_COUNT:
            continue  # e.g. "other incidents: 19" may be worked out; it is not small
        c = np.zeros(len(unknown))
        c[col[node]] = 1.0
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert lo.status == 0, lo.message  # the truth is feasible, so never infeasible
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert hi.status in (0, 3), hi.message
        out[node] = (float(lo.fun), np.inf if hi.status == 3 else float(-hi.fun))
    return out


def assert_not_recoverable(tree: Tree, min_count: int = MIN_COUNT) -> None:
    """No withheld positive value is pinned (both attacker models) or known to be small."""
    for presence in (False, True):
        for node, (lo, hi) in feasible_intervals(tree, presence).items():
            true = tree.value[node]
            assert lo - 1e-6 <= true <= hi + 1e-6
            assert hi - lo >= 1 - 1e-6, (
                f"node {node} (true value {true:g}) is pinned to [{lo:g}, {hi:g}] "
                f"{'knowing grey cells hold >= 1' if presence else ''}\n{describe(tree)}"
            )
            if not presence:
                inside_small = lo >= 1 - 1e-6 and hi <= min_count - 1 + 1e-6
                assert not inside_small, (
                    f"node {node} (true value {true:g}) is known to lie in "
                    f"[{lo:g}, {hi:g}] within 1..{min_count - 1}\n{describe(tree)}"
                )


def describe(tree: Tree) -> str:
    def line(i: int, depth: int) -> list[str]:
        shown = "withheld" if tree.held[i] else "shown"
        out = [f"{'  ' * depth}#{i} = {tree.value[i]:g} ({shown})"]
        for k in tree.kids[i]:
            out += line(k, depth + 1)
        return out

    text = line(0, 0)
    for node, parts in tree.extra_sums:
        text.append(f"#{node} = " + " + ".join(f"#{k}" for k in parts))
    return "\n".join(text)


# --- protect_hierarchy on random trees ------------------------------------------------

count = st.one_of(
    st.just(0),
    st.just(1),  # single events: grey cells known to hold >= 1 are then pinned easily
    st.integers(1, 5),  # the disclosive range, often
    st.integers(0, 12),  # Poisson-ish small counts
    st.integers(6, 400),  # some large
)


@st.composite
def hierarchies(draw: st.DrawFn) -> dict:
    """A total, level 0 of 1-15 nodes, level 1 grouped under level 0, flags."""
    n0 = draw(st.integers(1, 15))
    children = []
    leaf_values = []
    for _ in range(n0):
        if draw(st.booleans()) or draw(st.booleans()):  # most level-0 nodes have children
            # a busy parent, or one whose events are spread one per child cell
            kid = count if draw(st.booleans()) else st.sampled_from([0, 1, 1, 1, 2])
            children.append(draw(st.lists(kid, min_size=1, max_size=8)))
            leaf_values.append(None)
        else:  # a leaf, e.g. the pseudo-node of events without a cell
            children.append([])
            leaf_values.append(draw(count))
    values0 = [
        float(sum(kids)) if leaf is None else float(leaf)
        for kids, leaf in zip(children, leaf_values, strict=True)
    ]
    values1 = [float(v) for kids in children for v in kids]
    parents1 = [p for p, kids in enumerate(children) for _ in kids]
    # extra primary suppression ("sensitive premises"), whatever the count
    sens0 = draw(st.lists(st.integers(0, 7), min_size=n0, max_size=n0))
    sens1 = draw(st.lists(st.integers(0, 9), min_size=len(values1), max_size=len(values1)))
    return {
        "values": [np.array(values0), np.array(values1)],
        "sensitive": [np.array(sens0) == 0, np.array(sens1, dtype=np.int64) == 0],
        "parents": [np.zeros(n0, dtype=np.int64), np.array(parents1, dtype=np.int64)],
        "leaf": [v is not None for v in leaf_values],
    }


def primary(values: np.ndarray, sensitive: np.ndarray) -> np.ndarray:
    return ((values >= 1) & (values < MIN_COUNT)) | sensitive


def build_tree(case: dict, held: list[np.ndarray], total_held: bool) -> Tree:
    values, parents = case["values"], case["parents"]
    total = float(values[0].sum())
    tree = Tree()
    tree.add(total, total_held, None)
    ids0 = [
        tree.add(v, h, 0, visible=not leaf)
        for v, h, leaf in zip(values[0], held[0], case["leaf"], strict=True)
    ]
    for v, h, p in zip(values[1], held[1], parents[1], strict=True):
        tree.add(v, h, ids0[p])
    return tree


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(hierarchies())
def test_protect_hierarchy_random_trees(case: dict) -> None:
    values, parents, sensitive = case["values"], case["parents"], case["sensitive"]
    total = float(values[0].sum())
    withheld = [primary(v, s) for v, s in zip(values, sensitive, strict=True)]
    held, total_held = protect_hierarchy(
        values, withheld, parents, total, 1 <= total < MIN_COUNT, MIN_COUNT
    )
    # primary suppression survives, and every small value is withheld at every level
    for v, w, h in zip(values, withheld, held, strict=True):
        assert not (w & ~h).any()
        assert h[(v >= 1) & (v < MIN_COUNT)].all()
    if 1 <= total < MIN_COUNT:
        assert total_held
    assert_not_recoverable(build_tree(case, held, total_held))


def test_attacker_model_catches_naive_publication() -> None:
    """The LP attacker is not toothless: without secondary suppression it pins cells."""
    case = {
        "values": [np.array([20.0, 3.0]), np.array([17.0, 3.0, 3.0])],
        "parents": [np.zeros(2, dtype=np.int64), np.array([0, 0, 1])],
        "leaf": [False, False],
    }
    held = [np.array([False, True]), np.array([False, True, True])]
    with pytest.raises(AssertionError, match="pinned"):
        assert_not_recoverable(build_tree(case, held, False))


def test_singletons_under_a_shown_cell_are_not_pinned() -> None:
    """Six grey res-8 cells of one event each under a shown res-7 cell of 20.

    The sum rule alone (at least two withheld, summing to at least ``min_count``) is met,
    but an attacker who knows each grey cell holds at least one event finds 20 - 14 = 6
    over six cells: one each.
    """
    case = {
        "values": [np.array([20.0, 30.0]), np.array([14.0] + [1.0] * 6 + [30.0])],
        "parents": [np.zeros(2, dtype=np.int64), np.array([0] * 7 + [1])],
        "leaf": [False, False],
    }
    sensitive = [np.zeros(2, dtype=bool), np.zeros(8, dtype=bool)]
    withheld = [primary(v, s) for v, s in zip(case["values"], sensitive, strict=True)]
    held, total_held = protect_hierarchy(
        case["values"], withheld, case["parents"], 50.0, False, MIN_COUNT
    )
    assert_not_recoverable(build_tree(case, held, total_held))


# --- disclose_levels through a real store ---------------------------------------------

QUARTERS = (("2024-01", "2024-02", "2024-03"), ("2024-04", "2024-05", "2024-06"))
NOW = pd.Timestamp("2025-01-01")


def _anchor_cells() -> list[str]:
    """Twelve res-8 cells inside the demo borough, four under each of three res-7 cells."""
    from shapely.geometry import Point

    area = load_study_area(StudyAreaConfig(boundary=BOUNDARY, code=None, buffer_m=250, name=None))
    centre = h3.latlng_to_cell(area.centre[0], area.centre[1], 7)
    out: list[str] = []
    for parent in sorted(h3.grid_disk(centre, 1)):
        kids = [
            k
            for k in sorted(h3.cell_to_children(parent, 8))
            if area.boundary.contains(Point(h3.cell_to_latlng(k)[::-1]))
        ]
        if len(kids) >= 4:
            out += kids[:4]
        if len(out) == 12:
            return out
    raise AssertionError("the demo boundary no longer holds three res-7 cells")


ANCHORS = _anchor_cells()


def _csv(template: str, rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    with (TEMPLATES / template).open(encoding="utf-8", newline="") as fh:
        writer.writerow(next(csv.reader(fh)))
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _at(cell: str | None) -> tuple[str, str]:
    if cell is None:
        return "", ""
    lat, lng = h3.cell_to_latlng(cell)
    return f"{lat:.6f}", f"{lng:.6f}"


@st.composite
def stores(draw: st.DrawFn) -> dict:
    """Events clustered in the anchor cells: 0-12 incidents and missing episodes per cell
    and quarter, categories sometimes only knife crime and harmful sexual behaviour."""
    n = len(ANCHORS) * len(QUARTERS)
    small_or_any = st.one_of(st.integers(0, 2), st.integers(0, 12))
    return {
        "incidents": draw(st.lists(small_or_any, min_size=n, max_size=n)),
        "episodes": draw(st.lists(small_or_any, min_size=n, max_size=n)),
        "children": draw(st.lists(st.integers(1, 8), min_size=n, max_size=n)),
        "unlocated": draw(st.lists(st.integers(0, 4), min_size=2, max_size=2)),
        "categories": draw(
            st.sampled_from(
                [
                    ("knife_crime", "harmful_sexual_behaviour"),
                    ("knife_crime", "harmful_sexual_behaviour", "robbery", "drugs"),
                    ("robbery",),
                ]
            )
        ),
        "sensitive": draw(st.none() | st.integers(0, len(ANCHORS) - 1)),
        "rng": draw(st.randoms(use_true_random=False)),
    }


def _rows(case: dict) -> tuple[list[list[str]], list[list[str]]]:
    rng = case["rng"]
    incidents: list[list[str]] = []
    episodes: list[list[str]] = []
    # one event in December 2023: 2023 Q4 is then incomplete and never offered
    incidents.append(
        [
            "INC-0",
            "15/12/2023 12:00",
            "robbery",
            *_at(ANCHORS[0]),
            "14-17",
            "male",
            "white",
            "",
            "street",
        ]
    )
    slots = [(q, c) for q in range(len(QUARTERS)) for c in range(len(ANCHORS))]
    for i, (q, c) in enumerate(slots):
        for j in range(case["incidents"][i]):
            month = rng.choice(QUARTERS[q])
            category = rng.choice(case["categories"])
            if (q, c, j) in case.get("override", {}):
                category = case["override"][(q, c, j)]
            when = f"{rng.randint(1, 28):02d}/{month[5:]}/{month[:4]} 18:00"
            incidents.append(
                [
                    f"INC-{q}-{c}-{j}",
                    when,
                    category,
                    *_at(ANCHORS[c]),
                    "14-17",
                    "male",
                    "white",
                    "",
                    "street",
                ]
            )
        for j in range(case["episodes"][i]):
            month = rng.choice(QUARTERS[q])
            child = f"CH-{c}-{j % case['children'][i]}"  # min(episodes, pool) children
            episodes.append(_episode(f"EP-{q}-{c}-{j}", child, month, ANCHORS[c], rng))
    for q, extra in enumerate(case["unlocated"]):
        for j in range(extra):
            month = rng.choice(QUARTERS[q])
            episodes.append(_episode(f"EP-{q}-u-{j}", f"CH-u-{j}", month, None, rng))
    return incidents, episodes


def _episode(eid: str, child: str, month: str, cell: str | None, rng) -> list[str]:
    when = f"{rng.randint(1, 28):02d}/{month[5:]}/{month[:4]} 21:00"
    home = h3.cell_to_parent(ANCHORS[0], 7)
    return [
        eid,
        child,
        when,
        "",
        *_at(cell),
        home,
        "900101",
        "N",
        "14-17",
        "female",
        "white",
        "offered",
        "",
        "",
        "medium",
    ]


def _make_store(tmp: Path, case: dict) -> tuple[Config, Store]:
    premises = ""
    if case["sensitive"] is not None:
        lat, lng = _at(ANCHORS[case["sensitive"]])
        (tmp / "premises.csv").write_text(f"kind,latitude,longitude\nchildrens_home,{lat},{lng}\n")
        premises = 'sensitive_premises = "premises.csv"\n'
    (tmp / "placesafe.toml").write_text(
        '[store]\npath = "store.duckdb"\n'
        f'[study_area]\nboundary = "{BOUNDARY.as_posix()}"\nbuffer_m = 250\n'
        f"[disclosure]\nmin_count = {MIN_COUNT}\n{premises}"
        "[app]\ndemo = true\n",
        encoding="utf-8",
    )
    config = load_config(tmp / "placesafe.toml")
    area = load_study_area(config.study_area)
    incidents, episodes = _rows(case)
    store = Store(config.store_path)
    for kind, template, rows in (
        ("incidents", "incidents.csv", incidents),
        ("missing", "missing_episodes.csv", episodes),
    ):
        if not rows:
            continue
        report = ingest_bytes(
            store, config, area, kind, _csv(template, rows), template, who="test", now=NOW
        )
        assert report.status == "live" and report.rejected == 0, report.summary()
    return config, store


def _is_small(value: float | None) -> bool:
    return value is not None and np.isfinite(value) and 1 <= value < MIN_COUNT


def _shown(layer_geojson: dict) -> dict[str, float | None]:
    out = {}
    for feature in layer_geojson["features"]:
        props = feature["properties"]
        assert set(props) <= ALLOWED_PROPERTIES
        assert not _is_small(props["value"]), props
        out[props["cell"]] = props["value"]
    return out


def _exact(frame: pd.DataFrame) -> dict[str, float]:
    return {
        str(c): float(v)
        for c, v in zip(hexes.cells_to_str(frame["cell"].to_numpy()), frame["value"], strict=True)
    }


def _published_tree(
    shown: dict[int, dict[str, float | None]],
    exact: dict[int, dict[str, float]],
    total: float,
    total_shown: float | None,
    breakdown: dict[str, tuple[float, float | None]] | None = None,
) -> Tree:
    """What the partnership can put together for one layer and quarter: the res-7 map,
    the res-8 map (res-8 cells nest in res-7 cells), the KPI total and breakdown."""
    tree = Tree()
    root = tree.add(total, total_shown is None, None)
    if total_shown is not None:
        assert abs(total_shown - total) <= MAX_NOISE
    ids7 = {}
    # the attacker is given the exact value of every shown figure (stronger than the
    # perturbed figures the partnership sees)
    for cell, value in sorted(shown[7].items()):
        assert value is None or abs(value - exact[7][cell]) <= MAX_NOISE
        ids7[cell] = tree.add(exact[7][cell], value is None, root)
    located = sum(exact[7].values())
    tree.add(total - located, True, root, visible=False, derived=True)  # without a cell
    for cell, value in sorted(shown[8].items()):
        assert value is None or abs(value - exact[8][cell]) <= MAX_NOISE
        tree.add(exact[8][cell], value is None, ids7[h3.cell_to_parent(cell, 7)])
    if breakdown:
        parts = [
            tree.add(
                true, shown_value is None, None, visible=name != "rest", derived=name == "rest"
            )
            for name, (true, shown_value) in breakdown.items()
        ]
        tree.extra_sums.append((root, parts))
    return tree


def _kpi_shown(kpis: pd.DataFrame, key: str) -> float | None:
    value = float(kpis.loc[key, "current"])
    return None if np.isnan(value) else value


def _check_store(config: Config, store: Store) -> None:
    months = overview.available_months(store)
    assert months[0] == "2023-12"  # 2023 Q4 is incomplete: never offered
    menu = _checked_menu(store)
    expected = [(q[0], q[-1]) for q in QUARTERS if q[0] in months and q[-1] in months]
    assert [(f.month_from, f.month_to) for f in menu] == expected
    _check_quarters(config, store, menu)


def _checked_menu(store: Store) -> list[Filters]:
    """The partnership's quarter menu: whole calendar quarters, all categories, disjoint."""
    months = overview.available_months(store)
    menu = quarter_menu(months)
    for i, a in enumerate(menu):
        assert a.categories == () and a.months == 3
        assert pd.Period(a.month_from, freq="M").month in (1, 4, 7, 10)
        assert a.month_from in months and a.month_to in months
        for b in menu[i + 1 :]:
            (a0, a1), (b0, b1) = a.bounds(), b.bounds()
            assert a1 <= b0 or b1 <= a0, "quarter windows overlap"
    return menu


def _check_quarters(config: Config, store: Store, menu: list[Filters]) -> None:
    """Every menu quarter, both layers: nothing small shown, nothing pinned. The truth is
    the publishable dataset (records at a premise are never part of the partnership's
    figures)."""
    exact_store = store_for(store, "partnership", config)
    kpis_by_quarter = {}
    for q in menu:
        kpis = disclosed_kpis(store, "partnership", q, config)
        kpis_by_quarter[q] = kpis
        for key, row in kpis.iterrows():
            for value in row:
                assert not _is_small(float(value)), (key, q, kpis)
        exact_kpis = overview.kpis(exact_store, q)
        for layer_name, kpi_key, layer_from in (
            ("incidents", "incidents", layers.incident_layer_from),
            ("missing", "missing_episodes", layers.missing_layer_from),
        ):
            shown, exact = {}, {}
            for res in (7, 8):
                levels = disclosed_counts(store, layer_name, "partnership", res, q, config)
                shown[res] = _shown(layer_from(levels, res, config).geojson)
                count_of = {
                    "incidents": overview.incident_counts,
                    "missing": overview.missing_found_counts,
                }[layer_name]
                exact[res] = _exact(
                    count_of(exact_store, res, q).rename(columns={"count": "value"})
                )
                assert set(shown[res]) == set(exact[res])  # every cell with events is drawn
                total_shown = float(kpis.loc[kpi_key, "current"])
                if levels.total is None:  # the headline never shows a withheld total
                    assert np.isnan(total_shown)
                elif not np.isnan(total_shown):
                    assert total_shown == levels.total
                if layer_name == "missing":
                    counts = overview.missing_found_counts(exact_store, res, q)
                    few = counts.loc[(counts["children"] >= 1) & (counts["children"] < MIN_COUNT)]
                    for cell in hexes.cells_to_str(few["cell"].to_numpy()):
                        assert shown[res][str(cell)] is None, "few children but shown"
            total = float(exact_kpis.loc[kpi_key, "current"])
            breakdown = None
            if layer_name == "incidents":
                knife = float(exact_kpis.loc["knife_crime", "current"])
                hsb = float(exact_kpis.loc["harmful_sexual_behaviour", "current"])
                breakdown = {
                    "knife": (knife, _kpi_shown(kpis, "knife_crime")),
                    "hsb": (hsb, _kpi_shown(kpis, "harmful_sexual_behaviour")),
                    "rest": (total - knife - hsb, None),
                }
            value = float(kpis.loc[kpi_key, "current"])
            tree = _published_tree(
                shown, exact, total, None if np.isnan(value) else value, breakdown
            )
            assert_not_recoverable(tree)
    # the "previous" figures of a quarter are that earlier quarter's own figures
    for before, after in zip(menu, menu[1:], strict=False):
        prev = kpis_by_quarter[after]["previous"].astype(float)
        cur = kpis_by_quarter[before]["current"].astype(float)
        pd.testing.assert_series_equal(prev, cur, check_names=False)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(stores())
def test_disclose_levels_through_a_store(case: dict) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        config, store = _make_store(Path(tmp), case)
        try:
            _check_store(config, store)
        finally:
            store.close()


def test_missing_layer_withholds_few_children_with_many_episodes(tmp_path: Path) -> None:
    """Eight episodes of two children in one cell: withheld at res 7 and 8 although 8 >= 6."""
    import random

    case = {
        "incidents": [0] * 24,
        "episodes": [8] + [0] * 11 + [7] + [0] * 11,
        "children": [2] + [1] * 11 + [7] + [1] * 11,
        "unlocated": [0, 0],
        "categories": ("robbery",),
        "sensitive": None,
        "rng": random.Random(1),
    }
    # cell 0 in Q1: 8 episodes of 2 children; cell 0 in Q2: 7 episodes of 7 children
    config, store = _make_store(tmp_path, case)
    try:
        q1, q2 = quarter_menu(overview.available_months(store))
        for res in (7, 8):
            for q, withheld in ((q1, True), (q2, False)):
                counts = overview.missing_found_counts(store, res, q)
                exact = dict(
                    zip(hexes.cells_to_str(counts["cell"].to_numpy()), counts["count"], strict=True)
                )
                levels = disclosed_counts(store, "missing", "partnership", res, q, config)
                shown = _shown(layers.missing_layer_from(levels, res, config).geojson)
                cell = h3.cell_to_parent(ANCHORS[0], res)
                assert exact[cell] >= MIN_COUNT
                assert (shown[cell] is None) is withheld
        _check_store(config, store)
    finally:
        store.close()


def test_kpi_breakdown_does_not_pin_a_withheld_figure(tmp_path: Path) -> None:
    """8 incidents in the quarter, 7 of them harmful sexual behaviour and 1 knife crime:
    showing the total and the 7 would pin the withheld knife-crime figure to 1."""
    import random

    case = {
        "incidents": [8] + [0] * 23,
        "episodes": [0] * 24,
        "children": [1] * 24,
        "unlocated": [0, 0],
        "categories": ("harmful_sexual_behaviour",),
        "override": {(0, 0, 0): "knife_crime"},
        "sensitive": None,
        "rng": random.Random(0),
    }
    config, store = _make_store(tmp_path, case)
    try:
        q1 = quarter_menu(overview.available_months(store))[0]
        exact = overview.kpis(store, q1)["current"]
        assert (exact["incidents"], exact["knife_crime"]) == (8, 1)
        shown = disclosed_kpis(store, "partnership", q1, config)["current"]
        assert np.isnan(shown["knife_crime"])
        assert np.isnan(shown["harmful_sexual_behaviour"]) or np.isnan(shown["incidents"])
        _check_store(config, store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    from geo.demo.build import build_demo

    return build_demo(tmp_path_factory.mktemp("demo"), seed=0)


def test_demo_partnership_views_pin_nothing(demo) -> None:
    """The synthetic demo (with its children's home) through every quarter on the menu."""
    with Store(demo.config.store_path) as store:
        menu = _checked_menu(store)
        assert len(menu) == 8
        _check_quarters(demo.config, store, menu)
