"""Missing-from-home analysis: episodes, measures, repeat children, RHI themes, schools.

Pure functions over the ``missing_episodes`` table (DESIGN §3). Every function
returns exact figures; :func:`schools_for_partnership` at the end passes the per-school
table through disclosure control. Found / last-seen places are analysed in
:mod:`geo.lenses.missing_places`; what the partnership may see of every figure
(DESIGN §4) is worked out in :mod:`geo.disclosure.missing`, and what the Missing page
shows in :mod:`geo.lenses.missing_view`.

Definitions
-----------
* An episode belongs to a period when it was **reported** in the period
  (``[start, end)`` of :meth:`geo.core.filters.Filters.bounds`).
* A child is a **repeat** missing child when three of their episodes, taken
  consecutively in order of report time, have the first and the third reported
  at most 90 days apart (``reported_at[i + 2] - reported_at[i] <= 90 days``,
  inclusive to the minute). :func:`repeat_children` considers the episodes of the
  frame passed; the pages count a child as repeat missing in a period when such a run
  *ends* in the period, its earlier episodes included even if they were reported
  before it (:func:`repeat_children_in_period`).
* **Duration** is ``returned_at - reported_at`` in hours, over returned episodes.
* A **return-home interview** (RHI) was offered when ``rhi_status`` is
  ``offered``, ``completed`` or ``declined``; it was completed within 72 hours
  when ``0 <= rhi_completed_at - returned_at <= 72 h``.

Cells leave this module as H3 hex strings (``cell_7`` .. ``cell_10`` of the
found / last-seen location, empty when it is not known).
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import pandas as pd

from geo.core.config import Config
from geo.core.filters import Filters
from geo.core.schema import MISSING_COLUMNS, RHI_THEMES
from geo.disclosure.missing import DisclosedChildren, disclose_school_children
from geo.store.database import Store

#: Episodes that make a repeat missing child, and the window (days, inclusive).
REPEAT_EPISODES: Final = 3
REPEAT_DAYS: Final = 90
#: Hours after return within which a return-home interview should be completed.
RHI_DEADLINE_HOURS: Final = 72
#: RHI statuses that mean an interview was offered.
RHI_OFFERED: Final[tuple[str, ...]] = ("offered", "completed", "declined")
#: Canonical RHI theme codes (DESIGN §3), in display order.
THEMES: Final[tuple[str, ...]] = RHI_THEMES

#: Columns of :func:`episodes`, in order.
EPISODE_COLUMNS: Final[tuple[str, ...]] = (
    *MISSING_COLUMNS[:4],
    "cell_7",
    "cell_8",
    "cell_9",
    "cell_10",
    *MISSING_COLUMNS[4:],
    "record_key",
)
_TIME_COLUMNS: Final = ("reported_at", "returned_at", "rhi_completed_at")
_CELL_COLUMNS: Final = ("cell_7", "cell_8", "cell_9", "cell_10")

AreaKey = Literal[7, 8, "home"]


# --- episodes ------------------------------------------------------------------------------


def episodes(store: Store, filters: Filters) -> pd.DataFrame:
    """The missing episodes reported in the filter's period.

    Parameters
    ----------
    store : Store
        The data.
    filters : Filters
        Month range (incident categories do not apply to missing episodes).

    Returns
    -------
    DataFrame
        :data:`EPISODE_COLUMNS`, ordered by ``reported_at``; times are naive
        ``datetime64[ns]`` (UK local); ``cell_7`` .. ``cell_10`` are H3 hex strings
        of the found / last-seen location ("" when unknown); ``school_urn``,
        ``rhi_themes`` and ``home_area`` are strings ("" when blank);
        ``looked_after`` is bool (unknown as False); ``record_key`` is the episode's
        perturbation key (:mod:`geo.disclosure.perturbation`).
    """
    start, end = filters.bounds()
    cells = ", ".join(f"coalesce(lower(hex({c})), '') AS {c}" for c in _CELL_COLUMNS)
    frame = store.query(
        "SELECT episode_id, child_key, reported_at, returned_at, "
        f"{cells}, coalesce(home_area, '') AS home_area, "
        "coalesce(school_urn, '') AS school_urn, coalesce(looked_after, false) AS looked_after, "
        "age_band, sex, ethnicity, rhi_status, rhi_completed_at, "
        "coalesce(rhi_themes, '') AS rhi_themes, risk_level, "
        "coalesce(record_key, 0)::BIGINT AS record_key "
        "FROM missing_episodes WHERE reported_at >= ? AND reported_at < ? "
        "ORDER BY reported_at, child_key, episode_id",
        [start, end],
    )
    for col in _TIME_COLUMNS:
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    frame["looked_after"] = frame["looked_after"].astype(bool)
    return frame[list(EPISODE_COLUMNS)].reset_index(drop=True)


# --- repeat children -----------------------------------------------------------------------


def repeat_children(
    frame: pd.DataFrame,
    *,
    n: int = REPEAT_EPISODES,
    days: float = REPEAT_DAYS,
    since: pd.Timestamp | None = None,
) -> pd.Index:
    """Children with ``n`` or more episodes within any ``days``-day window.

    A child qualifies when some ``n`` consecutive episodes of theirs (ordered by
    ``reported_at``) have the first and the last reported at most ``days`` days
    apart, inclusive: with the defaults, 3 episodes spanning exactly 90 days count,
    90 days and one minute do not.

    Parameters
    ----------
    frame : DataFrame
        Episodes with ``child_key`` and ``reported_at``.
    n : int
        Episodes needed (at least 1).
    days : float
        Window length in days.
    since : Timestamp, optional
        Count only runs whose last episode was reported at or after ``since`` (the
        period's start, with ``frame`` holding the episodes of the ``days`` before it
        too: see :func:`repeat_children_in_period`).

    Returns
    -------
    Index
        The qualifying ``child_key`` values, sorted.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if frame.empty:
        return pd.Index([], dtype=object, name="child_key")
    ordered = frame[["child_key", "reported_at"]].sort_values(
        ["child_key", "reported_at"], kind="stable"
    )
    later = ordered.groupby("child_key", sort=False)["reported_at"].shift(-(n - 1))
    hit = (later - ordered["reported_at"]) <= pd.Timedelta(days=days)
    if since is not None:
        hit &= later >= since
    keys = np.unique(ordered["child_key"].to_numpy(dtype=object)[hit.to_numpy(dtype=bool)])
    out: pd.Index = pd.Index(keys, dtype=object, name="child_key")
    return out


def repeat_children_in_period(store: Store, filters: Filters) -> pd.Index:
    """Children who were repeat missing during the period.

    A child counts when a run of :data:`REPEAT_EPISODES` episodes within
    :data:`REPEAT_DAYS` days ends in the period, earlier episodes of the run included:
    episodes on 20 December, 5 January and 10 January make a repeat child in the
    first quarter, though only two of them were reported in it.
    """
    start, end = filters.bounds()
    history = store.query(
        "SELECT child_key, reported_at FROM missing_episodes "
        "WHERE reported_at >= ? AND reported_at < ?",
        [start - pd.Timedelta(days=REPEAT_DAYS), end],
    )
    history["reported_at"] = pd.to_datetime(history["reported_at"]).astype("datetime64[ns]")
    return repeat_children(history, since=start)


# --- measures ------------------------------------------------------------------------------


def measures(
    frame: pd.DataFrame, *, now: pd.Timestamp | None = None, repeat: pd.Index | None = None
) -> pd.Series:
    """Headline measures of a set of episodes.

    Parameters
    ----------
    frame : DataFrame
        Episodes as from :func:`episodes`.
    now : Timestamp, optional
        When given, returns whose 72-hour interview window is still open at ``now``
        are left out of the timeliness denominator (``rhi_due``), and episodes not
        yet returned count as still missing. Default: every return is due.
    repeat : Index, optional
        The period's repeat children (:func:`repeat_children_in_period`); default:
        :func:`repeat_children` over ``frame`` alone.

    Returns
    -------
    Series of float
        ``episodes``; ``children`` (distinct); ``repeat_children`` (3+ in 90 days,
        see :func:`repeat_children`); ``looked_after_share`` (share of distinct
        children looked after on any of their episodes, 0..1); ``still_missing``
        (episodes with no return); ``median_duration_h`` and ``p90_duration_h``
        (hours, returned episodes; NaN when none); ``rhi_offered`` (offered +
        completed + declined); ``rhi_completed``; ``rhi_completed_72h``
        (completed within 72 h of return); ``rhi_due`` (returns whose 72 h window
        has closed); ``rhi_completed_72h_share`` (of ``rhi_due``, 0..1);
        ``rhi_declined``; ``rhi_declined_share`` (of ``rhi_offered``, 0..1).
        Shares are NaN when their denominator is 0.
    """
    status = frame["rhi_status"].fillna("").astype(str)
    returned = frame["returned_at"]
    if now is not None:
        returned = returned.where(returned <= now)
    duration_h = (returned - frame["reported_at"]).dt.total_seconds() / 3600.0
    duration_h = duration_h.dropna()
    children = frame["child_key"].nunique()
    lac = frame.loc[frame["looked_after"].astype(bool), "child_key"].nunique()
    offered = int(status.isin(RHI_OFFERED).sum())
    completed = status == "completed"
    deadline = pd.Timedelta(hours=RHI_DEADLINE_HOURS)
    delay = frame["rhi_completed_at"] - frame["returned_at"]
    on_time = completed & (delay >= pd.Timedelta(0)) & (delay <= deadline)
    due = returned.notna()
    if now is not None:
        due &= (returned + deadline) <= now
    declined = int((status == "declined").sum())
    return pd.Series(
        {
            "episodes": float(len(frame)),
            "children": float(children),
            "repeat_children": float(len(repeat_children(frame) if repeat is None else repeat)),
            "looked_after_share": _share(lac, children),
            "still_missing": float(returned.isna().sum()),
            "median_duration_h": float(duration_h.median()) if len(duration_h) else np.nan,
            "p90_duration_h": float(duration_h.quantile(0.9)) if len(duration_h) else np.nan,
            "rhi_offered": float(offered),
            "rhi_completed": float(completed.sum()),
            "rhi_completed_72h": float(on_time.sum()),
            "rhi_due": float(due.sum()),
            "rhi_completed_72h_share": _share(int((on_time & due).sum()), int(due.sum())),
            "rhi_declined": float(declined),
            "rhi_declined_share": _share(declined, offered),
        },
        dtype=float,
    )


def _share(part: int, whole: int) -> float:
    return float(part) / float(whole) if whole else np.nan


def measures_with_change(store: Store, filters: Filters) -> pd.DataFrame:
    """:func:`measures` for the period and the previous equal period.

    Returns
    -------
    DataFrame
        Index: measure names; columns ``current``, ``previous`` and ``change``
        (current minus previous, in the measure's own unit).
    """
    current = measures(episodes(store, filters))
    previous = measures(episodes(store, filters.previous()))
    return pd.DataFrame({"current": current, "previous": previous, "change": current - previous})


# --- RHI themes ----------------------------------------------------------------------------


def _area_column(res: AreaKey) -> str:
    if res == "home":
        return "home_area"
    if res in (7, 8):
        return f"cell_{res}"
    raise ValueError("area must be res 7, res 8 (found location) or 'home' (home area)")


def theme_rows(
    frame: pd.DataFrame, key: pd.Series, repeat: pd.Index, *, located_only: bool = True
) -> pd.DataFrame:
    """One row per (episode, theme code): ``key``, ``theme``, ``repeat`` (bool) and the
    episode's ``record_key`` (0 when the frame has none).

    A code listed twice in one interview counts once; with ``located_only`` the
    episodes whose ``key`` is blank are left out.
    """
    record_key = (
        frame["record_key"].to_numpy(dtype=np.int64)
        if "record_key" in frame.columns
        else np.zeros(len(frame), dtype=np.int64)
    )
    rows = pd.DataFrame(
        {
            "key": key.to_numpy(dtype=object),
            "theme": frame["rhi_themes"].fillna("").astype(str).str.split(";").to_numpy(),
            "repeat": frame["child_key"].isin(repeat).to_numpy(dtype=bool),
            "record_key": record_key,
        }
    ).explode("theme")
    rows["theme"] = rows["theme"].astype(str).str.strip()
    rows = rows[(rows["theme"] != "") & ((rows["key"] != "") | (not located_only))]
    rows = rows.rename_axis("row").reset_index().drop_duplicates(["row", "theme"])
    return rows.drop(columns="row").reset_index(drop=True)


def _count_themes(rows: pd.DataFrame) -> pd.DataFrame:
    grouped = rows.groupby(["key", "theme"], sort=True)["repeat"]
    return pd.DataFrame({"count": grouped.size(), "repeat_count": grouped.sum()}).astype(np.int64)


def theme_counts(
    frame: pd.DataFrame,
    *,
    by: Literal["period", "area"] = "period",
    res: AreaKey = 7,
    previous: pd.DataFrame | None = None,
    repeat: pd.Index | None = None,
) -> pd.DataFrame:
    """Counts of each RHI theme code by month or by area, with the change.

    Each completed interview contributes each distinct theme code it lists once.

    Parameters
    ----------
    frame : DataFrame
        Episodes of the period (:func:`episodes`).
    by : {"period", "area"}
        ``period``: per calendar month of ``reported_at`` (``YYYY-MM``); the previous
        equal period of a month is the month before (the first month is compared
        with the last month of ``previous`` when given). ``area``: per area; the
        previous equal period is ``previous`` (the episodes of
        ``filters.previous()``).
    res : {7, 8, "home"}
        For ``by="area"``: found / last-seen cell at res 7 or 8, or ``"home"`` for
        the child's home area (LSOA code or res-7 cell).
    previous : DataFrame, optional
        Episodes of the previous equal period; without it, changes that need it are
        NaN.

    Returns
    -------
    DataFrame
        Columns ``key`` (month or area), ``theme``, ``count``, ``repeat_count``
        (episodes of repeat children, :func:`repeat_children` over ``frame``),
        ``previous`` (NaN when unknown) and ``change`` (count - previous). Every
        theme of :data:`THEMES` appears for every key that has any theme (zeros
        included); sorted by key, then theme order.
    """
    repeat = repeat_children(frame) if repeat is None else repeat
    prev = previous if previous is not None else frame.iloc[0:0]
    if by == "period":
        key = frame["reported_at"].dt.strftime("%Y-%m")
        prev_key = prev["reported_at"].dt.strftime("%Y-%m")
    elif by == "area":
        col = _area_column(res)
        key, prev_key = frame[col], prev[col]
    else:
        raise ValueError("by must be 'period' or 'area'")
    current = _count_themes(theme_rows(frame, key, repeat))
    before = _count_themes(theme_rows(prev, prev_key, repeat_children(prev)))["count"]
    themes = list(THEMES) + sorted(set(current.index.get_level_values("theme")) - set(THEMES))
    keys = current.index.get_level_values("key").unique().sort_values()
    full = pd.MultiIndex.from_product([keys, themes], names=["key", "theme"])
    out = current.reindex(full, fill_value=0).reset_index()
    if by == "period":
        month = pd.PeriodIndex(out["key"], freq="M")
        before_key = (month - 1).astype(str)
        lookup = pd.MultiIndex.from_arrays([before_key, out["theme"]])
        combined = current["count"].add(before, fill_value=0)
        prior = np.array(combined.reindex(lookup).fillna(0), dtype=float)
        if previous is None and len(keys):
            prior[np.asarray(before_key < keys[0])] = np.nan
    else:
        lookup = pd.MultiIndex.from_arrays([out["key"], out["theme"]])
        prior = before.reindex(lookup).to_numpy(dtype=float)
        prior = np.nan_to_num(prior) if previous is not None else prior
    out["previous"] = prior
    out["change"] = out["count"] - out["previous"]
    return out


def theme_key_sums(frame: pd.DataFrame, repeat: pd.Index | None = None) -> pd.DataFrame:
    """Per theme code of :data:`THEMES`: the perturbation key sums of the interviews
    listing it (``key_sum``) and of those of repeat children (``repeat_key_sum``)."""
    repeat = repeat_children(frame) if repeat is None else repeat
    rows = theme_rows(frame, pd.Series("all", index=frame.index), repeat, located_only=False)
    every = rows.groupby("theme")["record_key"].sum()
    repeated = rows[rows["repeat"]].groupby("theme")["record_key"].sum()
    out = pd.DataFrame({"key_sum": every, "repeat_key_sum": repeated})
    return out.reindex(list(THEMES)).fillna(0).astype(np.int64)


def theme_area_table(
    frame: pd.DataFrame, *, res: AreaKey = 7, repeat_only: bool = False
) -> pd.DataFrame:
    """Theme × area table of interview counts.

    Parameters
    ----------
    frame : DataFrame
        Episodes (:func:`episodes`).
    res : {7, 8, "home"}
        Area unit, as in :func:`theme_counts`.
    repeat_only : bool
        Count only the episodes of repeat children (themes for repeat children apart).

    Returns
    -------
    DataFrame
        Index: areas (sorted); columns: theme codes (:data:`THEMES`, then any others);
        values: episodes whose interview listed the theme (int).
    """
    counts = theme_counts(frame, by="area", res=res)
    value = "repeat_count" if repeat_only else "count"
    table = counts.pivot_table(index="key", columns="theme", values=value, aggfunc="sum")
    themes = list(counts["theme"].unique())
    table = table.reindex(columns=themes).fillna(0).astype(np.int64)
    table.index.name = "area"
    table.columns.name = "theme"
    return table


# --- schools -------------------------------------------------------------------------------


def by_school(frame: pd.DataFrame, repeat: pd.Index | None = None) -> pd.DataFrame:
    """Episodes and distinct children per attended school.

    A dual-registered child (``school_urn`` like ``"100123;140456"``) counts once
    for each school they are on roll at, never twice for the same school.

    Returns
    -------
    DataFrame
        Columns ``urn``, ``episodes``, ``children``, ``repeat_children`` and
        ``dual_registered_children`` (children on roll at this and another school),
        sorted by episodes (descending), then URN. Episodes with no school are left
        out.
    """
    repeat = repeat_children(frame) if repeat is None else repeat
    urns = frame["school_urn"].fillna("").astype(str).str.split(";")
    rows = pd.DataFrame(
        {
            "episode_id": frame["episode_id"].to_numpy(),
            "child_key": frame["child_key"].to_numpy(),
            "urn": urns.to_numpy(),
            "dual": frame["school_urn"].fillna("").astype(str).str.contains(";").to_numpy(),
        }
    ).explode("urn")
    rows["urn"] = rows["urn"].astype(str).str.strip()
    rows = rows[rows["urn"] != ""].drop_duplicates(["episode_id", "urn"])
    rows["repeat"] = rows["child_key"].isin(repeat)
    grouped = rows.groupby("urn", sort=True)
    out = pd.DataFrame(
        {
            "episodes": grouped.size(),
            "children": grouped["child_key"].nunique(),
            "repeat_children": rows[rows["repeat"]].groupby("urn")["child_key"].nunique(),
            "dual_registered_children": rows[rows["dual"]].groupby("urn")["child_key"].nunique(),
        }
    )
    out = out.fillna(0).astype(np.int64).rename_axis("urn").reset_index()
    return out.sort_values(["episodes", "urn"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


# --- schools for the partnership -----------------------------------------------------------


def schools_for_partnership(
    frame: pd.DataFrame, config: Config, repeat: pd.Index | None = None
) -> DisclosedChildren:
    """:func:`by_school` with distinct-children counts disclosure-controlled
    (:func:`geo.disclosure.missing.disclose_school_children`).

    Episodes and repeat-children columns are withheld on the same rows; the repeat
    and dual-registration children columns, being counts of children too, are
    withheld wherever they are from 1 to ``min_count - 1``.
    """
    repeat = repeat_children(frame) if repeat is None else repeat
    table = by_school(frame, repeat)
    return disclose_school_children(
        table,
        config,
        children_total=float(frame["child_key"].nunique()),
        repeat_total=float(len(repeat)),
        dual_registered_total=float(
            frame.loc[frame["school_urn"].fillna("").str.contains(";"), "child_key"].nunique()
        ),
    )
