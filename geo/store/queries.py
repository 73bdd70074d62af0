"""Aggregates behind the Overview map: counts per cell, KPIs, schools, coverage.

Every function takes explicit filters and returns exact counts; disclosure
control is applied afterwards by :mod:`geo.disclosure`, at one choke point.
Periods are whole months, ``YYYY-MM`` strings, inclusive at both ends.
"""

from __future__ import annotations

import pandas as pd

from geo.core.filters import ANALYSIS_RESOLUTIONS, Filters
from geo.store.database import Store
from geo.store.school_register import open_schools


def _check_res(res: int) -> str:
    if res not in ANALYSIS_RESOLUTIONS:
        raise ValueError(f"analysis resolution must be one of {ANALYSIS_RESOLUTIONS}")
    return f"cell_{res}"


def category_sql(categories: tuple[str, ...]) -> tuple[str, list[object]]:
    if not categories:
        return "", []
    marks = ", ".join("?" for _ in categories)
    return f" AND category IN ({marks})", list(categories)


def available_months(store: Store) -> list[str]:
    """Months (``YYYY-MM``) from the first to the last incident, missing episode or A&E
    assault."""
    ed = (
        " UNION ALL SELECT date_trunc('month', occurred_at) FROM ed_assaults"
        if store.has_table("ed_assaults")
        else ""
    )
    row = store.query(
        "SELECT min(m) AS lo, max(m) AS hi FROM ("
        "SELECT date_trunc('month', occurred_at) AS m FROM incidents UNION ALL "
        f"SELECT date_trunc('month', reported_at) FROM missing_episodes{ed})"
    )
    lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
    if pd.isna(lo):
        return []
    return [p.strftime("%Y-%m") for p in pd.period_range(lo, hi, freq="M")]


def holds_ed_assaults(store: Store, filters: Filters | None = None) -> bool:
    """Whether the store holds any A&E assault (in the filter's months, when given): an
    emergency department's ISTV feed is loaded. Without one the A&E layer is "not
    loaded", never a layer of zeros."""
    if not store.has_table("ed_assaults"):
        return False
    if filters is None:
        return bool(store.scalar("SELECT count(*) > 0 FROM ed_assaults"))
    start, end = filters.bounds()
    return bool(
        store.scalar(
            "SELECT count(*) > 0 FROM ed_assaults WHERE occurred_at >= ? AND occurred_at < ?",
            [start, end],
        )
    )


def incident_counts(store: Store, res: int, filters: Filters) -> pd.DataFrame:
    """Incidents per cell at ``res`` in the period: columns ``cell`` (uint64), ``count``
    and ``key_sum`` (the sum of the records' perturbation keys)."""
    col = _check_res(res)
    start, end = filters.bounds()
    cat_sql, cat_params = category_sql(filters.categories)
    return store.query(
        f"SELECT {col} AS cell, count(*) AS count, "
        "coalesce(sum(record_key), 0)::BIGINT AS key_sum FROM incidents "
        f"WHERE occurred_at >= ? AND occurred_at < ?{cat_sql} AND {col} IS NOT NULL "
        "GROUP BY 1 ORDER BY 1",
        [start, end, *cat_params],
    )


def missing_found_counts(store: Store, res: int, filters: Filters) -> pd.DataFrame:
    """Missing episodes per found/last-seen cell: ``cell``, ``count``, ``children`` and
    ``key_sum`` (the sum of the records' perturbation keys)."""
    col = _check_res(res)
    start, end = filters.bounds()
    return store.query(
        f"SELECT {col} AS cell, count(*) AS count, count(DISTINCT child_key) AS children, "
        "coalesce(sum(record_key), 0)::BIGINT AS key_sum "
        f"FROM missing_episodes WHERE reported_at >= ? AND reported_at < ? AND {col} IS NOT NULL "
        "GROUP BY 1 ORDER BY 1",
        [start, end],
    )


def ed_assault_counts(store: Store, res: int, filters: Filters) -> pd.DataFrame:
    """A&E assaults per cell at ``res`` in the period (assaults at a private home and
    those that could not be placed have no cell and are left out): ``cell``, ``count``
    and ``key_sum`` (the sum of the records' perturbation keys)."""
    col = _check_res(res)
    start, end = filters.bounds()
    return store.query(
        f"SELECT {col} AS cell, count(*) AS count, "
        "coalesce(sum(record_key), 0)::BIGINT AS key_sum FROM ed_assaults "
        f"WHERE occurred_at >= ? AND occurred_at < ? AND {col} IS NOT NULL "
        "GROUP BY 1 ORDER BY 1",
        [start, end],
    )


#: Layers with a total (:func:`layer_total_and_key`): table, time column.
_TOTAL_LAYERS: dict[str, tuple[str, str]] = {
    "incidents": ("incidents", "occurred_at"),
    "missing": ("missing_episodes", "reported_at"),
    "ed_assaults": ("ed_assaults", "occurred_at"),
}


def layer_total(store: Store, layer: str, filters: Filters) -> float:
    """All events of ``incidents``, ``missing`` or ``ed_assaults`` in the filter (with or
    without a cell)."""
    return float(layer_total_and_key(store, layer, filters)[0])


def layer_total_and_key(store: Store, layer: str, filters: Filters) -> tuple[int, int]:
    """All events of ``incidents``, ``missing`` or ``ed_assaults`` in the filter and the
    sum of their perturbation keys.

    Events without a cell count: missing episodes with no found location, and A&E
    assaults at a private home or not placed. The map's cells then add up to less than
    the total, and the difference is an always-withheld part of the layer when it is
    disclosure-controlled (:func:`geo.disclosure.disclose_levels`), so a home's
    assaults are counted once, in the total, and never located by differencing.
    """
    if layer not in _TOTAL_LAYERS:
        raise ValueError(f"layer must be one of {sorted(_TOTAL_LAYERS)}")
    start, end = filters.bounds()
    table, time_col = _TOTAL_LAYERS[layer]
    cat_sql, cat_params = category_sql(filters.categories) if layer == "incidents" else ("", [])
    row = store.query(
        "SELECT count(*) AS n, coalesce(sum(record_key), 0)::BIGINT AS k "
        f"FROM {table} WHERE {time_col} >= ? AND {time_col} < ?{cat_sql}",
        [start, end, *cat_params],
    )
    return int(row["n"].iloc[0]), int(row["k"].iloc[0])


def schools(store: Store) -> pd.DataFrame:
    """Open schools: ``school_id``, ``urn``, ``name``, ``phase``, ``kind``, ``cell``."""
    return open_schools(store)[["school_id", "urn", "name", "phase", "kind", "cell"]]


def youth_work_cells(store: Store, res: int, filters: Filters) -> pd.DataFrame:
    """Cells at ``res`` reached by youth-work sessions in the period, with hours.

    A point session covers its own cell (its ``cell`` is where it was held); an area
    session covers every cell of its area (``youth_session_cells``).
    Hours are summed per cell (an area session counts its full length in each cell).
    """
    col = _check_res(res)
    start, end = filters.bounds()
    return store.query(
        f"SELECT c.{col} AS cell, count(DISTINCT s.session_id) AS sessions, "
        "sum(date_diff('minute', s.started_at, s.ended_at)) / 60.0 AS hours "
        "FROM youth_sessions s JOIN ("
        f"  SELECT source, session_id, {col} FROM youth_session_cells "
        f"  UNION SELECT source, session_id, {col} FROM youth_sessions WHERE NOT is_area"
        ") c ON c.source = s.source AND c.session_id = s.session_id "
        "WHERE s.started_at >= ? AND s.started_at < ? GROUP BY 1 ORDER BY 1",
        [start, end],
    )


def kpis(store: Store, filters: Filters) -> pd.DataFrame:
    """Headline figures for the period and the previous equal period.

    Returns
    -------
    DataFrame
        Index: measure names; columns ``current``, ``previous``.
    """
    return kpis_with_keys(store, filters)[0]


def kpis_with_keys(
    store: Store, filters: Filters
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """:func:`kpis` and, from the same queries, the sums of the perturbation record keys
    behind its counts (per period: knife crime, harmful sexual behaviour and distinct
    children missing, a child counting with the key of their first episode)."""
    rows, keys = {}, {}
    for label, f in (("current", filters), ("previous", filters.previous())):
        start, end = f.bounds()
        cat_sql, cat_params = category_sql(f.categories)
        inc = store.query(
            "SELECT count(*) AS incidents, count(*) FILTER (category = 'knife_crime') AS knife, "
            "count(*) FILTER (category = 'harmful_sexual_behaviour') AS hsb, "
            "coalesce(sum(record_key) FILTER (category = 'knife_crime'), 0)::BIGINT AS knife_k, "
            "coalesce(sum(record_key) FILTER (category = 'harmful_sexual_behaviour'), 0)"
            "::BIGINT AS hsb_k "
            f"FROM incidents WHERE occurred_at >= ? AND occurred_at < ?{cat_sql}",
            [start, end, *cat_params],
        ).iloc[0]
        mis = store.query(
            "SELECT coalesce(sum(n), 0)::BIGINT AS episodes, count(*) AS children, "
            "coalesce(sum(k), 0)::BIGINT AS children_k FROM ("
            "SELECT count(*) AS n, arg_min(record_key, episode_id) AS k FROM missing_episodes "
            "WHERE reported_at >= ? AND reported_at < ? GROUP BY child_key)",
            [start, end],
        ).iloc[0]
        yw = store.query(
            "SELECT coalesce(sum(date_diff('minute', started_at, ended_at)) / 60.0, 0) AS hours "
            "FROM youth_sessions WHERE started_at >= ? AND started_at < ?",
            [start, end],
        ).iloc[0]
        rows[label] = {
            "incidents": int(inc["incidents"]),
            "knife_crime": int(inc["knife"]),
            "harmful_sexual_behaviour": int(inc["hsb"]),
            "missing_episodes": int(mis["episodes"]),
            "children_missing": int(mis["children"]),
            "youth_work_hours": float(yw["hours"]),
        }
        keys[label] = {
            "knife_crime": int(inc["knife_k"]),
            "harmful_sexual_behaviour": int(inc["hsb_k"]),
            "children_missing": int(mis["children_k"]),
        }
    return pd.DataFrame(rows), keys
