"""One row per school, whatever the number of school lists loaded.

Partnerships load more than one list of schools (two vintages of Get Information about
Schools, the London Schools directory); the same school then appears once per list.
:func:`open_schools` reads the open schools and :func:`deduplicate_schools` merges the
rows that are one school: the same URN, or, between rows without a common URN, the same
name (ignoring case, punctuation and "&"/"and") within :data:`SAME_SCHOOL_M` metres.

The distance is wider than a school site because lists locate schools differently: the
London Schools directory gives postcode centroids, GIAS the site's easting and northing;
in Havering the two put the same 22 schools 125 to 167 m apart. Two different schools
with the same name that close together do not occur (an infant and a junior school on
one site have different names).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.core import hexes
from geo.core.area import to_bng
from geo.store.database import Store

#: Two rows with the same name closer than this (metres, EPSG:27700) are one school.
SAME_SCHOOL_M: Final[float] = 250.0


def normalised_names(names: pd.Series) -> pd.Series:
    """School names compared as people read them: case, punctuation, "&", "the" ignored."""
    return (
        names.fillna("")
        .str.casefold()
        .str.replace("&", " and ", regex=False)
        .str.replace(r"['’`]", "", regex=True)
        .str.replace(r"[^a-z0-9 ]+", " ", regex=True)
        .str.replace(r"\bthe\b", " ", regex=True)
        .str.split()
        .str.join(" ")
    )


def deduplicate_schools(frame: pd.DataFrame) -> pd.DataFrame:
    """Merge the rows of ``frame`` that are one school.

    Parameters
    ----------
    frame : DataFrame
        Rows from the ``schools`` table with at least ``urn``, ``name`` and ``cell``
        (uint64 H3 storage cell or null); ``batch_id`` when present orders preference.

    Returns
    -------
    DataFrame
        One row per school, in the input's column order: the row with a URN and from the
        latest batch is kept, and a URN missing from it is filled from its duplicates.
    """
    n = len(frame)
    if n < 2:
        return frame.copy()
    frame = frame.reset_index(drop=True)
    rows, cols = [], []
    urn = frame["urn"].astype("string").str.strip()
    urn = urn.where(urn != "")
    has_urn = urn.notna().to_numpy()
    if has_urn.any():
        codes = pd.factorize(urn[has_urn])[0]
        first = pd.Series(np.flatnonzero(has_urn)).groupby(codes).transform("first")
        rows.append(np.flatnonzero(has_urn))
        cols.append(first.to_numpy())
    located = frame["cell"].notna().to_numpy()
    if located.sum() > 1:
        idx = np.flatnonzero(located)
        lat, lng = hexes.cell_centres(frame.loc[located, "cell"].to_numpy(dtype=np.uint64))
        x, y = to_bng(lng, lat)
        pairs = cKDTree(np.column_stack([x, y])).query_pairs(SAME_SCHOOL_M, output_type="ndarray")
        if len(pairs):
            a, b = idx[pairs[:, 0]], idx[pairs[:, 1]]
            names = normalised_names(frame["name"]).to_numpy()
            urns = urn.fillna("").to_numpy(dtype=object)
            other_urn = has_urn[a] & has_urn[b] & (urns[a] != urns[b])
            same = (names[a] == names[b]) & ~other_urn
            rows.append(a[same])
            cols.append(b[same])
    if not rows:
        return frame.copy()
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(r.size), (r, c)), shape=(n, n))
    _, group = connected_components(graph, directed=False)
    order = pd.DataFrame(
        {
            "group": group,
            "urn_first": ~has_urn,
            "batch": -frame["batch_id"].to_numpy() if "batch_id" in frame else np.zeros(n),
            "pos": np.arange(n),
        }
    ).sort_values(["group", "urn_first", "batch", "pos"])
    keep = order.drop_duplicates("group")["pos"].to_numpy()
    group_urn = urn.groupby(group).first()
    out = frame.loc[np.sort(keep)].copy()
    out["urn"] = out["urn"].where(
        out["urn"].notna(), group_urn.reindex(group[out.index]).to_numpy()
    )
    return out


def open_schools(store: Store) -> pd.DataFrame:
    """Open schools, one row per school (:func:`deduplicate_schools`), ordered by name:
    ``school_id``, ``urn``, ``name``, ``phase``, ``kind``, ``status``, ``la_code``, ``cell``."""
    frame = store.query(
        "SELECT batch_id, school_id, urn, name, phase, kind, status, la_code, cell FROM schools "
        "WHERE coalesce(status, 'open') NOT LIKE 'closed%' ORDER BY name, school_id"
    )
    out = deduplicate_schools(frame).drop(columns="batch_id")
    return out.sort_values(["name", "school_id"], kind="stable").reset_index(drop=True)
