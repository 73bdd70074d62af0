"""The registry of partner formats (geo.ingest.sources): every kind of file is read by
exactly one adapter, found from the ``ADAPTERS`` its module declares."""

from __future__ import annotations

import pytest

from geo.core.errors import FileRefusedError
from geo.core.schema import KIND_TABLES
from geo.ingest import sources
from geo.ingest.sources import adapter_for, adapters, istv, mapped, place_lookups, police_uk


def test_every_kind_of_file_has_one_adapter() -> None:
    assert set(adapters()) == set(KIND_TABLES)


def test_adapters_come_from_their_modules() -> None:
    assert adapter_for("police_street") is police_uk.ADAPTERS[0]
    assert adapter_for("stop_search") is police_uk.ADAPTERS[1]
    assert all(adapter_for(kind) is mapped.ADAPTERS[0] for kind in mapped.ADAPTERS[0].kinds)
    assert set(mapped.ADAPTERS[0].kinds) == set(mapped.DEFAULT_PROFILES) - {"istv"}
    assert adapter_for("istv") is istv.ADAPTERS[0]
    assert adapter_for("postcodes") is place_lookups.ADAPTERS[0]
    assert adapter_for("gazetteer") is place_lookups.ADAPTERS[1]


def test_an_unknown_kind_is_refused_by_rule() -> None:
    with pytest.raises(FileRefusedError, match="unknown kind 'gangs_matrix'"):
        adapter_for("gangs_matrix")


def test_two_adapters_for_one_kind_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(police_uk, "ADAPTERS", (*police_uk.ADAPTERS, mapped.ADAPTERS[0]))
    sources.adapters.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="two adapters read kind"):
            sources.adapters()
    finally:
        monkeypatch.undo()
        sources.adapters.cache_clear()
