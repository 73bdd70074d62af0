"""geo.ingest.privacy (pseudonyms) and geo.disclosure (suppression, resolution menus, premises)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core import hexes
from geo.core.config import Config, load_config
from geo.core.errors import DisclosureError
from geo.disclosure import (
    WITHHELD,
    allowed_resolutions,
    disclose_counts,
    max_resolution,
    protected_cells,
    suppress_small_counts,
)
from geo.ingest.privacy import pseudonymise

REPO = Path(__file__).resolve().parents[3]
KEY = b"0123456789abcdef0123456789abcdef-test"

# Two points inside the demo borough (lat, lng); the first is the "children's home".
HOME = (51.5388, 0.0242)
OTHER = (51.5300, 0.0500)


def _hmac(value: str, namespace: str = "", key: bytes = KEY) -> str:
    msg = namespace.encode() + b"\x1f" + value.encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:16]


# --- pseudonymise -----------------------------------------------------------------------


def test_pseudonymise_is_hmac_sha256() -> None:
    out = pseudonymise(pd.Series(["CH-0001", "CH-0002", "CH-0001"]), KEY, namespace="feed")
    assert out.tolist() == [_hmac("CH-0001", "feed"), _hmac("CH-0002", "feed")] + [
        _hmac("CH-0001", "feed")
    ]
    assert out.iloc[0] == out.iloc[2]
    assert out.iloc[0] != out.iloc[1]
    assert all(len(v) == 16 for v in out)


def test_pseudonymise_is_not_a_plain_hash() -> None:
    out = pseudonymise(pd.Series(["CH-0001"]), KEY)
    assert out.iloc[0] != hashlib.sha256(b"CH-0001").hexdigest()[:16]
    assert out.iloc[0] != hashlib.sha256(b"\x1fCH-0001").hexdigest()[:16]


def test_pseudonymise_empty_stays_empty_and_strips() -> None:
    out = pseudonymise(pd.Series(["", "  ", " CH-1 ", "CH-1"]), KEY)
    assert out.iloc[0] == ""
    assert out.iloc[1] == ""
    assert out.iloc[2] == out.iloc[3] == _hmac("CH-1")


def test_pseudonymise_namespace_and_key_change_output() -> None:
    ids = pd.Series(["CH-0001"])
    a = pseudonymise(ids, KEY, namespace="police").iloc[0]
    b = pseudonymise(ids, KEY, namespace="childrens_services").iloc[0]
    c = pseudonymise(ids, KEY[::-1], namespace="police").iloc[0]
    assert len({a, b, c}) == 3


def test_pseudonymise_keeps_index() -> None:
    ids = pd.Series(["a", "b"], index=[10, 20])
    assert pseudonymise(ids, KEY).index.tolist() == [10, 20]


def test_pseudonymise_short_key_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        pseudonymise(pd.Series(["x"]), b"short")


# --- suppression ------------------------------------------------------------------------


def test_suppress_small_counts() -> None:
    counts = np.arange(0, 9)
    out, mask = suppress_small_counts(counts, min_count=6)
    assert mask.tolist() == [False, True, True, True, True, True, False, False, False]
    assert out[0] == 0
    assert np.isnan(out[1:6]).all()
    assert out[6:].tolist() == [6, 7, 8]
    assert counts.tolist() == list(range(9)), "input untouched"


def test_suppress_threshold_configurable() -> None:
    _, mask = suppress_small_counts([1, 2, 3, 10], min_count=3)
    assert mask.tolist() == [True, True, False, False]
    _, none = suppress_small_counts([1, 2], min_count=1)
    assert not none.any()


# --- resolutions per role ---------------------------------------------------------------


def test_allowed_resolutions_per_role(config: Config) -> None:
    assert allowed_resolutions("partnership", config) == [7, 8]
    assert allowed_resolutions("analyst", config) == [7, 8, 9, 10]
    assert allowed_resolutions("admin", config) == [7, 8, 9, 10]
    coarse = dataclasses.replace(
        config,
        disclosure=dataclasses.replace(
            config.disclosure, partnership_max_resolution=7, analyst_max_resolution=9
        ),
    )
    assert allowed_resolutions("partnership", coarse) == [7]
    assert allowed_resolutions("analyst", coarse) == [7, 8, 9]
    assert max_resolution("partnership", config) == 8
    assert max_resolution("analyst", config) == 10


@pytest.mark.parametrize("role", ["", "guest", "Partnership", "root"])
def test_unknown_role_denied(config: Config, role: str) -> None:
    with pytest.raises(ValueError):
        allowed_resolutions(role, config)


# --- disclose_counts --------------------------------------------------------------------


def _boundary() -> Path:
    path = REPO / "data" / "demo" / "boundary.geojson"
    assert path.exists(), "data/demo/boundary.geojson is missing"
    return path


def make_config(tmp_path: Path, premises: list[tuple[str, float, float]] | None) -> Config:
    lines = [
        "[store]",
        'path = "store.duckdb"',
        "[study_area]",
        f'boundary = "{_boundary().as_posix()}"',
        "[grid]",
        "storage_resolution = 11",
        "[disclosure]",
        "min_count = 6",
        "partnership_max_resolution = 8",
        "analyst_max_resolution = 10",
        "[app]",
        "demo = true",
    ]
    if premises is not None:
        csv = tmp_path / "sensitive_premises.csv"
        body = "".join(f"{k},{lat},{lng}\n" for k, lat, lng in premises)
        csv.write_text("kind,latitude,longitude\n" + body, encoding="utf-8")
        lines.insert(lines.index("[app]"), 'sensitive_premises = "sensitive_premises.csv"')
    path = tmp_path / "placesafe.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path)


def cell_at(point: tuple[float, float], res: int) -> int:
    """The store's cell for a point: the parent of its storage (res 11) cell."""
    storage = hexes.points_to_cells([point[0]], [point[1]], 11)
    return int(hexes.cells_to_parent(storage, res)[0])


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, [("childrens_home", *HOME), ("refuge", float("nan"), 0.0)])


def counts_frame(res: int) -> pd.DataFrame:
    """Counts 0..8 over cells near OTHER, plus the HOME cell with a large count."""
    centre = cell_at(OTHER, res)
    ring = sorted(int(c) for c in hexes.grid_disk([centre], 2)[1])[:9]
    home = cell_at(HOME, res)
    assert home not in ring
    cells = np.array([*ring, home], dtype=np.uint64)
    return pd.DataFrame({"cell": cells, "count": [0, 1, 2, 3, 4, 5, 6, 7, 8, 50]})


def test_partnership_suppresses_small_counts(config: Config) -> None:
    frame = counts_frame(8)
    out = disclose_counts(frame, "partnership", 8, config)
    assert list(out.columns) == ["cell", "value", "withheld", "label"]
    assert out["cell"].to_numpy().dtype == np.uint64
    np.testing.assert_array_equal(out["cell"].to_numpy(), frame["cell"].to_numpy())
    assert out["withheld"].tolist() == [False] + [True] * 5 + [False] * 4
    assert out["value"].iloc[0] == 0
    assert out["value"].iloc[6:10].tolist() == [6.0, 7.0, 8.0, 50.0]  # no key sums: exact
    assert out["value"].iloc[1:6].isna().all()
    assert out["label"].tolist() == (["0"] + [WITHHELD] * 5 + ["6", "7", "8", "50"])
    shown = out["value"].dropna()
    assert not shown.between(1, 5).any()


@pytest.mark.parametrize("res", [7, 8])
def test_premise_cell_is_published_like_any_other(config: Config, res: int) -> None:
    # premise records are removed from the publishable dataset upstream; a cell is never
    # withheld *because* it holds a premise (a grey cell would point at the home)
    home = cell_at(HOME, res)
    frame = pd.DataFrame({"cell": np.array([home], dtype=np.uint64), "count": [1000]})
    out = disclose_counts(frame, "partnership", res, config)
    assert out["withheld"].tolist() == [False]
    assert out["value"].tolist() == [1000.0]


def test_protected_cells_from_csv(config: Config) -> None:
    # the row without a latitude is ignored; the home's storage cell and every storage
    # cell whose centre lies within the radius (plus one edge) are protected
    cells = protected_cells(config)
    home = cell_at(HOME, config.storage_resolution)
    other = cell_at(OTHER, config.storage_resolution)
    assert home in set(cells.tolist())
    assert other not in set(cells.tolist())
    lat, lng = hexes.cell_centres(cells)
    dist = np.hypot((lat - HOME[0]) * 111_200, (lng - HOME[1]) * 111_200 * np.cos(0.899))
    assert dist.max() <= config.disclosure.premise_radius_m + 2 * 28.7
    assert len(cells) >= 7, "the radius reaches beyond the premise's own cell"


def test_no_premises_file_means_nothing_protected(tmp_path: Path) -> None:
    config = make_config(tmp_path, None)
    assert protected_cells(config).size == 0
    frame = pd.DataFrame({"cell": np.array([cell_at(HOME, 8)], dtype=np.uint64), "count": [9]})
    out = disclose_counts(frame, "partnership", 8, config)
    assert out["withheld"].tolist() == [False]
    assert out["value"].tolist() == [9.0]


def test_analyst_sees_exact_counts(config: Config) -> None:
    frame = counts_frame(10)
    out = disclose_counts(frame, "analyst", 10, config)
    assert list(out.columns) == ["cell", "value", "withheld", "label"]
    assert out["value"].tolist() == [float(v) for v in frame["count"]]
    assert not out["withheld"].any()
    assert out["label"].tolist() == [f"{v:,}" for v in frame["count"]]


def test_value_column_name(config: Config) -> None:
    frame = counts_frame(8).rename(columns={"count": "episodes"}).assign(secret="x")
    out = disclose_counts(frame, "analyst", 8, config, value="episodes")
    assert list(out.columns) == ["cell", "value", "withheld", "label"]
    assert "secret" not in out.columns


@pytest.mark.parametrize(
    ("role", "res"), [("partnership", 9), ("partnership", 10), ("analyst", 11)]
)
def test_finer_than_floor_raises(config: Config, role: str, res: int) -> None:
    frame = pd.DataFrame({"cell": np.array([cell_at(OTHER, res)], dtype=np.uint64), "count": [50]})
    with pytest.raises(DisclosureError, match=str(res)):
        disclose_counts(frame, role, res, config)


def test_disclosure_error_is_permission_error() -> None:
    assert issubclass(DisclosureError, PermissionError)


def test_unknown_role_refused(config: Config) -> None:
    frame = counts_frame(8)
    with pytest.raises(ValueError):
        disclose_counts(frame, "guest", 8, config)


def test_empty_counts(config: Config) -> None:
    frame = pd.DataFrame({"cell": np.array([], dtype=np.uint64), "count": np.array([], int)})
    for role in ("partnership", "analyst"):
        out = disclose_counts(frame, role, 8, config)
        assert out.empty
        assert list(out.columns) == ["cell", "value", "withheld", "label"]
