"""One definition of each table: a new store's tables are exactly geo.core.schema.TABLES (and the
store's bookkeeping tables), and the mapped feeds' profile fields come from the same columns."""

from __future__ import annotations

import pytest

from geo.core.schema import KIND_TABLES, TABLES, Table
from geo.ingest.sources.profiles import DEFAULT_PROFILES, FIELDS, REQUIRED, load_profile
from geo.store.database import Store
from geo.store.tables import (
    ASSESSMENT_NOTES,
    AUDIT_LOG,
    BATCHES,
    DATA_TABLES,
    KEYED_TABLES,
    META,
    MIGRATIONS,
)

ALL_TABLES: list[Table] = [*TABLES.values(), META, BATCHES, ASSESSMENT_NOTES, AUDIT_LOG]


@pytest.fixture(scope="module")
def columns() -> dict[str, list[tuple[str, str, bool]]]:
    with Store(":memory:") as store:
        frame = store.query(
            "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal "
            "ORDER BY table_name, column_index"
        )
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for row in frame.itertuples(index=False):
        out.setdefault(str(row.table_name), []).append(
            (str(row.column_name), str(row.data_type), not bool(row.is_nullable))
        )
    return out


def test_a_new_store_has_exactly_the_defined_tables(
    columns: dict[str, list[tuple[str, str, bool]]],
) -> None:
    assert set(columns) == {t.name for t in ALL_TABLES}


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_each_table_has_its_defined_columns_in_order(
    table: Table, columns: dict[str, list[tuple[str, str, bool]]]
) -> None:
    expected = [(c.name, c.sql_type, c.not_null or c.primary_key) for c in table.columns]
    assert columns[table.name] == expected


def test_derived_lists_follow_the_definitions() -> None:
    assert DATA_TABLES == tuple(TABLES)
    assert set(KEYED_TABLES) == {"incidents", "stop_search", "missing_episodes", "ed_assaults"}
    assert all(s.startswith("ALTER TABLE ") for s in MIGRATIONS)
    for kind, table in KIND_TABLES.items():
        assert table in TABLES, kind
    for kind in DEFAULT_PROFILES:
        table = TABLES[KIND_TABLES[kind]]
        assert set(table.fields) <= set(FIELDS[kind])
        assert set(REQUIRED[kind]) <= set(FIELDS[kind])


@pytest.mark.parametrize("kind", sorted(DEFAULT_PROFILES))
def test_every_shipped_template_maps_only_defined_fields(kind: str) -> None:
    assert set(load_profile(kind)["columns"]) <= set(FIELDS[kind])
