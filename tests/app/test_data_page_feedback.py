"""AppTest of the Data page: a file with nothing to accept is an error, grouped and naming
the study area, with no Confirm button (issue 15, item 6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
DATA_PAGE = Path(__file__).resolve().parents[2] / "pages" / "data.py"
AREA = "Demo borough (synthetic)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, seed=0)
    yield out


@pytest.fixture
def data_page(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Data page in local mode on a store the generator did not build."""
    from geo.core.area import load_study_area
    from geo.core.config import load_config
    from geo.ingest.pipeline import ingest_file
    from geo.store.database import Store

    config = load_config(demo / "placesafe.toml")
    store_path = tmp_path / "real.duckdb"
    with Store(store_path) as store:
        area = load_study_area(config.study_area)
        assert ingest_file(store, config, area, "schools", demo / "schools.csv", who="t").ok
    toml = tmp_path / "placesafe.toml"
    toml.write_text(
        f'[store]\npath = "{store_path}"\n\n'
        f'[study_area]\nboundary = "{demo / "boundary.geojson"}"\nbuffer_m = 250\n'
        f'name = "{AREA}"\n\n'
        f'[disclosure]\nsensitive_premises = "{demo / "sensitive_premises.csv"}"\n\n'
        "[app]\nask_purpose = false\ndemo = false\nallow_local_real_data = true\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PLACESAFE_CONFIG", str(toml))
    monkeypatch.setenv("PLACESAFE_AUDIT_KEY", "k" * 40)
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    at.run()
    at.switch_page(str(DATA_PAGE)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, demo: Path, shift: float) -> AppTest:
    frame = pd.read_csv(demo / "incidents.csv", dtype=str).head(1058)
    frame["Latitude"] = (frame["Latitude"].astype(float) + shift).round(5).astype(str)
    at.selectbox(key="ingest_kind").set_value("incidents").run()
    at.file_uploader(key="ingest_file").set_value(
        ("far.csv", frame.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_file_with_every_point_outside_the_area_is_an_error(data_page, demo: Path) -> None:
    at = upload(data_page, demo, 0.5)
    errors = [str(e.value).replace("\\", "") for e in at.error]  # Markdown escapes
    assert any(f"all 1,058 points lie outside {AREA}" in e for e in errors), errors
    assert not at.success
    assert not [b for b in at.button if "Confirm" in str(b.label)]


def test_a_good_file_offers_confirm(data_page, demo: Path) -> None:
    at = upload(data_page, demo, 0.0)
    assert not at.error, [e.value for e in at.error]
    assert [b for b in at.button if "Confirm" in str(b.label)]
