"""Density clustering of events in British National Grid metres, and its persistence.

DESIGN §5 "Clustering": HDBSCAN from scikit-learn on EPSG:27700 metres (never raw
degrees: at London's latitude a degree of longitude is ~1.6 times shorter than a
degree of latitude, so distances in degrees stretch east-west), with cluster
persistence measured by matching clusters across periods by overlap.

* :func:`cluster_points` — weighted HDBSCAN of locations (metres) carrying event counts.
* :func:`event_cells` — events per storage cell and period from the store.
* :func:`clusters_for_period` — one clustering per period plus one of the whole
  window, clusters matched into persistent tracks (:func:`match_clusters`).
* :meth:`ClusterResult.outlines` — cluster outlines for analysts (EPSG:4326 polygons).

How event counts enter HDBSCAN
------------------------------
Coordinates are storage-cell centres, so many events share one point, and scikit-learn's
HDBSCAN has no sample weights. Each location is treated as ``min(count, max_repeat)``
events standing at its centre, and every distance shorter than ``resolution_m`` (the
storage cells' centre spacing, ~50 m at resolution 11) is raised to ``resolution_m``:
positions are known only to the cell, so two events in one cell count as far apart as
events in neighbouring cells (without the floor, a busy cell would be infinitely dense
and HDBSCAN would pick single cells as clusters). ``min_cluster_size`` and
``min_samples`` are therefore counted in **events**.

The events' distance matrix is never built. The mutual reachability graph
``max(core_a, core_b, d_ab)`` is built on the distinct locations (core distance = the
distance within which ``min_samples`` events lie, the location's own included) and
handed to ``sklearn.cluster.HDBSCAN(metric="precomputed")`` as a sparse graph: the
copies of a location are chained at its core distance and one copy carries the edges to
other locations (other edges between copies never belong to a minimum spanning tree).
Edges between locations are all pairs up to :data:`EXACT_MAX_LOCATIONS` locations,
otherwise the Delaunay triangulation plus each location's :data:`GRAPH_NEIGHBOURS`
nearest neighbours (all edges of the Euclidean minimum spanning tree; it could miss a
mutual-reachability edge only where a sparse location is the sole bridge, and in tests
it gives the same labels as all pairs). Tests check that the single-linkage hierarchy
equals the one of scikit-learn's own mutual reachability over the expanded events.

Labels can still depend on how equal distances are ordered — scikit-learn's HDBSCAN
gives slightly different labels for the same points in another order — so locations are
sorted before clustering: labels do not depend on input order, and clusters are
numbered by events, largest first. Nothing is random; ``seed`` is validated and
recorded so that a result carries its full parameter set.

The cap ``max_repeat`` (default ``max(min_cluster_size, min_samples)``) keeps the graph
small: a location with that many events is already a core point and a full-sized
cluster on its own; more copies would only add weight to cluster stabilities. Event
totals in the result tables are always the true counts.

Cluster members
---------------
HDBSCAN labels every point that was inside a cluster when the cluster was born, so a
compact hot spot also collects the sparse events around it out to the distance at which
it separated from the rest (in tests with planted blobs in uniform noise, 20-47 % of the
noise points). Those hangers-on have low membership strength (scikit-learn's
``probabilities_``: the share of the cluster's density range over which a point stays in
it). By default a location is a member only with strength >= :data:`MIN_STRENGTH`, 0.5:
the part of the cluster that still holds together at twice the spacing of its densest
part; the rest is noise. ``min_strength=0`` gives scikit-learn's labels unchanged. The
reported core can hold fewer than ``min_cluster_size`` events.

Persistence
-----------
Each period is clustered on its own. A cluster's footprint is the set of
analysis-resolution cells (default 9) of its members. Clusters of consecutive periods
whose footprints overlap with Jaccard index >= :data:`JACCARD_THRESHOLD` are matched
greedily, best overlap first and one to one, and share a track id; persistence is the
number of periods a track appears in. Without the strength rule the footprints swing
with the background noise from month to month and the demo's planted persistent hot
spots break into several tracks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import Delaunay, QhullError
from sklearn.cluster import HDBSCAN
from sklearn.neighbors import KDTree

from geo.core import hexes
from geo.core.area import from_bng, to_bng
from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.core.schema import INCIDENT_CATEGORIES
from geo.store.cube import CUBE_LAYERS, Period, period_labels
from geo.store.database import Store
from geo.store.queries import category_sql

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Jaccard overlap of analysis-resolution footprints at which clusters are matched.
JACCARD_THRESHOLD: Final = 0.2
#: Default analysis resolution of footprints and of the membership table.
ANALYSIS_RESOLUTION: Final = 9
#: HDBSCAN membership strength below which a location counts as noise (see module doc).
MIN_STRENGTH: Final = 0.5
#: Up to this many distinct locations the graph holds every pair (exact HDBSCAN).
EXACT_MAX_LOCATIONS = 1500
#: Nearest neighbours added to the Delaunay edges above that size.
GRAPH_NEIGHBOURS: Final = 16
#: Smallest default ``min_cluster_size`` (events).
MIN_CLUSTER_SIZE_FLOOR: Final = 5
#: Label of locations in no cluster.
NOISE: Final = -1


# --- geometry helpers --------------------------------------------------------------------


def cell_spacing_m(res: int) -> float:
    """Average distance between neighbouring H3 cell centres at ``res``, in metres.

    From the average cell area ``A`` of a regular hexagon: edge ``a = sqrt(2A / (3 sqrt 3))``
    and centre spacing ``sqrt(3) a`` (about 50 m at resolution 11, 350 m at resolution 9).
    """
    area_m2 = hexes.average_cell_area_km2(res) * 1e6
    edge = math.sqrt(2.0 * area_m2 / (3.0 * math.sqrt(3.0)))
    return math.sqrt(3.0) * edge


def cell_edge_m(res: int) -> float:
    """Average H3 cell edge (= centre-to-corner distance) at ``res``, in metres."""
    return cell_spacing_m(res) / math.sqrt(3.0)


#: Default ``resolution_m``: centre spacing of storage cells (resolution 11).
STORAGE_SPACING_M: Final = cell_spacing_m(hexes.DEFAULT_STORAGE_RESOLUTION)


def default_min_cluster_size(n_events: int) -> int:
    """``max(5, round(sqrt(n_events) / 2))`` events.

    Grows slowly with the data: 11 for ~500 events (a month of a borough's incidents),
    53 for ~11,000 (two years), so that a cluster is a small share of a large window
    but never fewer than 5 events.
    """
    return max(MIN_CLUSTER_SIZE_FLOOR, round(math.sqrt(max(n_events, 0)) / 2))


def _check_cells(cells: npt.NDArray[np.uint64]) -> None:
    """Raise ValueError unless every integer is a valid H3 cell."""
    try:
        ok = np.array_equal(hexes.str_to_cells(hexes.cells_to_str(cells)), cells)
    except (ValueError, TypeError, OverflowError):
        ok = False
    if not ok:
        raise ValueError("cell must hold valid H3 cells (uint64)")


def _cells_bng(cells: npt.NDArray[np.uint64]) -> tuple[FloatArray, FloatArray]:
    lat, lng = hexes.cell_centres(cells)
    return to_bng(lng, lat)


# --- weighted HDBSCAN ----------------------------------------------------------------------


def _core_distances(
    x: FloatArray, y: FloatArray, w: IntArray, min_samples: int, floor: float
) -> FloatArray:
    """Distance within which ``min_samples`` events lie (own events included), floored."""
    n = x.size
    k = min(min_samples, n)  # every location holds at least one event
    dist, idx = KDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=k)
    reached = np.cumsum(w[idx], axis=1) >= min_samples
    first = np.argmax(reached, axis=1)
    core = dist[np.arange(n), first]
    return np.asarray(np.maximum(core, floor), dtype=np.float64)


def _location_pairs(x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
    """Candidate edges ``i < j`` between locations (see the module docstring)."""
    n = x.size
    if n <= EXACT_MAX_LOCATIONS:
        i, j = np.triu_indices(n, k=1)
        return i.astype(np.int64), j.astype(np.int64)
    pts = np.column_stack([x, y])
    k = min(GRAPH_NEIGHBOURS + 1, n)
    _, idx = KDTree(pts).query(pts, k=k)
    a = [np.repeat(np.arange(n), k - 1)]
    b = [idx[:, 1:].ravel()]
    try:
        tri = Delaunay(pts)
        simplices = tri.simplices
        for s, t in ((0, 1), (1, 2), (0, 2)):
            a.append(simplices[:, s])
            b.append(simplices[:, t])
    except QhullError:  # collinear points: the neighbour chain still connects them
        pass
    aa = np.concatenate(a).astype(np.int64)
    bb = np.concatenate(b).astype(np.int64)
    lo, hi = np.minimum(aa, bb), np.maximum(aa, bb)
    keep = lo != hi
    key = np.unique(lo[keep] * n + hi[keep])
    return key // n, key % n


def mutual_reachability_graph(
    x: FloatArray, y: FloatArray, w: IntArray, min_samples: int, resolution_m: float
) -> tuple[sp.csr_matrix, IntArray]:
    """The sparse mutual reachability graph of weighted locations (see module docstring).

    Parameters
    ----------
    x, y : numpy.ndarray of float
        Distinct locations, EPSG:27700 metres.
    w : numpy.ndarray of int
        Events at each location, already capped (each becomes that many graph nodes).
    min_samples : int
        Events within the core distance, the location's own included.
    resolution_m : float
        Floor on every distance, metres.

    Returns
    -------
    graph : scipy.sparse.csr_matrix, shape (w.sum(), w.sum())
        Symmetric; the diagonal holds each node's core distance, so that scikit-learn
        with ``min_samples=1`` reads the same core distances back.
    first : numpy.ndarray of int64
        The node of each location that carries its edges to other locations.
    """
    n_loc = x.size
    core = _core_distances(x, y, w, min_samples, resolution_m)
    i, j = _location_pairs(x, y)
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    mr = np.maximum(np.maximum(core[i], core[j]), d)

    first = np.concatenate([[0], np.cumsum(w)[:-1]]).astype(np.int64)
    n_nodes = int(w.sum())
    owner = np.repeat(np.arange(n_loc), w)
    node = np.arange(n_nodes, dtype=np.int64)
    chain = node[1:][owner[1:] == owner[:-1]]  # copy k linked to copy k - 1
    rows = np.concatenate([first[i], chain - 1, node])
    cols = np.concatenate([first[j], chain, node])
    vals = np.concatenate([mr, core[owner[chain]], core[owner]])
    upper = sp.coo_matrix((vals, (rows, cols)), shape=(n_nodes, n_nodes)).tocsr()
    graph = (upper + sp.triu(upper, k=1).T).tocsr()
    return graph, first


def _hdbscan_locations(
    x: FloatArray,
    y: FloatArray,
    w: IntArray,
    min_cluster_size: int,
    min_samples: int,
    resolution_m: float,
    cut_m: float | None,
) -> tuple[IntArray, FloatArray]:
    """HDBSCAN labels and membership strengths of distinct, sorted, capped locations."""
    graph, first = mutual_reachability_graph(x, y, w, min_samples, resolution_m)
    if graph.shape[0] < 2:
        return np.full(x.size, NOISE, dtype=np.int64), np.zeros(x.size, dtype=np.float64)
    model = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=1,  # core distances are already in the graph (its diagonal)
        metric="precomputed",
        copy=False,
    )
    model.fit(graph)
    if cut_m is None:
        labels = np.asarray(model.labels_, dtype=np.int64)
        strength = np.asarray(model.probabilities_, dtype=np.float64)
    else:
        labels = np.asarray(model.dbscan_clustering(cut_m, min_cluster_size), dtype=np.int64)
        strength = (labels >= 0).astype(np.float64)
    return labels[first], strength[first]


def _look_like_degrees(x: FloatArray, y: FloatArray) -> bool:
    """True for lng/lat-sized values spanning under one unit (under a metre if metres)."""
    if x.size < 2:
        return False
    small = bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all())
    return small and float(max(np.ptp(x), np.ptp(y))) < 1.0 and bool(np.ptp(x) + np.ptp(y) > 0)


def _canonical(labels: IntArray, w: npt.NDArray[np.float64]) -> IntArray:
    """Renumber clusters 0, 1, ... by events (descending), then by first location."""
    found = np.unique(labels[labels >= 0])
    if found.size == 0:
        return labels
    events = np.array([w[labels == c].sum() for c in found])
    first = np.array([np.flatnonzero(labels == c)[0] for c in found])
    order = np.lexsort((first, -events))
    mapping = np.full(int(found.max()) + 1, NOISE, dtype=np.int64)
    mapping[found[order]] = np.arange(found.size)
    return np.where(labels >= 0, mapping[np.maximum(labels, 0)], NOISE)


def cluster_points(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    min_cluster_size: int | None = None,
    min_samples: int | None = None,
    seed: int = 0,
    *,
    resolution_m: float = STORAGE_SPACING_M,
    cut_m: float | None = None,
    max_repeat: int | None = None,
    min_strength: float = MIN_STRENGTH,
) -> IntArray:
    """HDBSCAN cluster labels of locations in metres, weighted by their event counts.

    Parameters
    ----------
    x_m, y_m : array_like of float
        Easting and northing in metres, British National Grid (EPSG:27700) — never
        degrees. Typically storage-cell centres from :func:`geo.core.area.to_bng`.
    weights : array_like of int, optional
        Events at each location (positive integers); 1 each when omitted. Rows with
        identical coordinates are one location (their weights add up).
    min_cluster_size : int, optional
        Smallest cluster, in events (at least 2). Default
        :func:`default_min_cluster_size` of the total events.
    min_samples : int, optional
        Events (the location's own included) that must lie within a location's core
        distance; larger values smooth the density. Default ``min_cluster_size``, as in
        scikit-learn.
    seed : int
        Recorded for reproducibility; the method has no random step (see the module
        docstring), and the result does not depend on input order.
    resolution_m : float
        Positional precision in metres (> 0): shorter distances, including those
        between events at one location, count as this. Default: the centre spacing
        of resolution-11 storage cells (~50 m).
    cut_m : float, optional
        A fixed distance in metres: instead of HDBSCAN's excess-of-mass selection, cut
        the same hierarchy at this mutual reachability distance (DBSCAN* with
        ``eps = cut_m``: locations with ``min_samples`` events within ``cut_m`` are
        joined when within ``cut_m`` of each other; clusters under ``min_cluster_size``
        events are noise). scikit-learn's ``cluster_selection_epsilon`` is not offered:
        with NumPy 2.x it raises TypeError (scikit-learn issue #33219).
    max_repeat : int, optional
        Cap on the events one location contributes (default
        ``max(min_cluster_size, min_samples)``).
    min_strength : float
        Cluster members with HDBSCAN membership strength below this become noise
        (default 0.5, see the module docstring); 0 keeps scikit-learn's labels.

    Returns
    -------
    numpy.ndarray of int64
        One label per input row: clusters are numbered 0, 1, ... from the most events
        down; -1 is noise (no cluster).

    Raises
    ------
    InsufficientDataError
        Fewer than ``2 * min_cluster_size`` events: HDBSCAN can then find no cluster.
    ValueError
        Mismatched lengths, non-finite coordinates, coordinates that look like degrees,
        non-positive or fractional weights, or invalid parameters.
    """
    labels, _ = cluster_points_with_strength(
        x_m, y_m, weights, min_cluster_size, min_samples, seed,
        resolution_m=resolution_m, cut_m=cut_m, max_repeat=max_repeat,
        min_strength=min_strength,
    )  # fmt: skip
    return labels


def cluster_points_with_strength(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    min_cluster_size: int | None = None,
    min_samples: int | None = None,
    seed: int = 0,
    *,
    resolution_m: float = STORAGE_SPACING_M,
    cut_m: float | None = None,
    max_repeat: int | None = None,
    min_strength: float = MIN_STRENGTH,
) -> tuple[IntArray, FloatArray]:
    """:func:`cluster_points` labels and HDBSCAN membership strengths.

    The strength of a clustered row is scikit-learn's ``probabilities_``: the share of
    its cluster's density range over which the row stays in the cluster (1 for the
    densest core, near 0 for rows that attach only at the cluster's birth); 0 for noise
    (including rows made noise by ``min_strength``).
    Parameters, errors and labels are those of :func:`cluster_points`.
    """
    x = np.asarray(x_m, dtype=np.float64).ravel()
    y = np.asarray(y_m, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError("x_m and y_m must have the same length")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("coordinates must be finite metres (drop events without a cell)")
    if _look_like_degrees(x, y):
        raise ValueError(
            "the coordinates look like degrees (all within 1 unit of each other); cluster "
            "British National Grid metres from geo.core.area.to_bng, never raw degrees"
        )
    if weights is None:
        w_in = np.ones(x.size, dtype=np.int64)
    else:
        w_raw = np.asarray(weights, dtype=np.float64).ravel()
        if w_raw.shape != x.shape:
            raise ValueError("weights must have one value per point")
        if not np.isfinite(w_raw).all() or (w_raw < 1).any() or (w_raw != np.round(w_raw)).any():
            raise ValueError("weights must be whole numbers of events, at least 1")
        w_in = w_raw.astype(np.int64)
    if not isinstance(seed, int | np.integer):
        raise ValueError("seed must be an integer")
    if not (math.isfinite(resolution_m) and resolution_m > 0):
        raise ValueError("resolution_m must be a positive number of metres")
    if cut_m is not None and not (math.isfinite(cut_m) and cut_m > 0):
        raise ValueError("cut_m must be a positive number of metres")
    if not 0 <= min_strength <= 1:
        raise ValueError("min_strength must be in [0, 1]")
    n_events = int(w_in.sum())
    mcs = default_min_cluster_size(n_events) if min_cluster_size is None else int(min_cluster_size)
    if mcs < 2:
        raise ValueError("min_cluster_size must be at least 2 events")
    ms = mcs if min_samples is None else int(min_samples)
    if ms < 1:
        raise ValueError("min_samples must be at least 1 event")
    if n_events < 2 * mcs:
        raise InsufficientDataError(
            f"clustering needs at least {2 * mcs} events to find a cluster of {mcs}; "
            f"there are {n_events}"
        )
    cap = max(mcs, ms) if max_repeat is None else int(max_repeat)
    if cap < 1:
        raise ValueError("max_repeat must be at least 1")

    # Distinct locations in a fixed order (input order must not matter).
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    new = np.ones(x.size, dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    loc_of_sorted = np.cumsum(new) - 1
    loc_x, loc_y = xs[new], ys[new]
    loc_w = np.bincount(loc_of_sorted, weights=w_in[order]).astype(np.int64)
    if int(np.minimum(loc_w, cap).sum()) < ms:
        raise InsufficientDataError(
            f"min_samples is {ms} events but only {int(np.minimum(loc_w, cap).sum())} "
            "count after the per-location cap"
        )
    loc_labels, loc_strength = _hdbscan_locations(
        loc_x, loc_y, np.minimum(loc_w, cap), mcs, ms, float(resolution_m), cut_m
    )
    loc_labels = np.where(loc_strength >= min_strength, loc_labels, NOISE)
    loc_strength = np.where(loc_labels >= 0, loc_strength, 0.0)
    loc_labels = _canonical(loc_labels, loc_w.astype(np.float64))
    labels = np.empty(x.size, dtype=np.int64)
    labels[order] = loc_labels[loc_of_sorted]
    strength = np.empty(x.size, dtype=np.float64)
    strength[order] = loc_strength[loc_of_sorted]
    return labels, strength


# --- matching across periods ---------------------------------------------------------------


def jaccard(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Jaccard overlap ``|A ∩ B| / |A ∪ B|`` of two sets of cells (0 when both are empty)."""
    sa = np.unique(np.asarray(a))
    sb = np.unique(np.asarray(b))
    union = np.union1d(sa, sb).size
    if union == 0:
        return 0.0
    return float(np.intersect1d(sa, sb, assume_unique=True).size / union)


def match_clusters(
    previous: Mapping[int, npt.ArrayLike],
    current: Mapping[int, npt.ArrayLike],
    threshold: float = JACCARD_THRESHOLD,
) -> dict[int, int]:
    """Greedy one-to-one matching of clusters by the Jaccard overlap of their cells.

    Every pair with overlap ``>= threshold`` is a candidate; candidates are taken from
    the best overlap down (ties: lower previous key, then lower current key), each side
    used at most once. A cluster that splits continues in its best-overlapping part;
    of clusters that merge, the best-overlapping one continues.

    Parameters
    ----------
    previous, current : mapping of int to array of cells
        Footprints (cells at the analysis resolution) by key: track id for
        ``previous``, cluster label for ``current``.
    threshold : float
        Smallest overlap that matches, in (0, 1].

    Returns
    -------
    dict
        ``{current key: previous key}`` for the matched clusters.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    candidates = []
    for pk, pcells in previous.items():
        for ck, ccells in current.items():
            j = jaccard(pcells, ccells)
            if j >= threshold - 1e-12:
                candidates.append((-j, pk, ck))
    candidates.sort()
    used_prev: set[int] = set()
    matched: dict[int, int] = {}
    for _, pk, ck in candidates:
        if pk in used_prev or ck in matched:
            continue
        used_prev.add(pk)
        matched[ck] = pk
    return matched


# --- store access ---------------------------------------------------------------------------


def event_cells(
    store: Store,
    filters: Filters,
    categories: Sequence[str] | None = None,
    layer: str = "incidents",
    period: Period = "month",
) -> pd.DataFrame:
    """Events per storage cell and period.

    Parameters
    ----------
    store : Store
        The data.
    filters : Filters
        Month range; its categories apply to incident layers unless ``categories``
        is given.
    categories : sequence of str, optional
        Canonical incident categories (overrides ``filters.categories``; empty = all).
    layer : str
        One of :data:`geo.store.cube.CUBE_LAYERS` (``incidents``, ``missing`` — found/last-seen
        cells — or ``knife_crime``).
    period : {"month", "quarter"}
        Length of a period; quarters are whole calendar quarters overlapping the range.

    Returns
    -------
    DataFrame
        ``cell`` (uint64 storage cell), ``period`` (ordered categorical of every period
        label in the range, ``2024-03`` or ``2024Q1``, empty periods included) and
        ``events`` (int64). Events without a cell are left out.
    """
    if layer not in CUBE_LAYERS:
        raise ValueError(f"layer must be one of {sorted(CUBE_LAYERS)}")
    if period not in ("month", "quarter"):
        raise ValueError("period must be 'month' or 'quarter'")
    table, time_col, extra_sql = CUBE_LAYERS[layer]
    cats = tuple(filters.categories if categories is None else categories)
    unknown = sorted(set(cats) - set(INCIDENT_CATEGORIES))
    if unknown:
        raise ValueError(f"unknown incident categories: {unknown}")
    cat_sql, cat_params = category_sql(cats) if table == "incidents" else ("", [])
    labels = period_labels(filters, period)
    freq = "M" if period == "month" else "Q"
    start = pd.Period(labels[0], freq=freq).start_time
    end = (pd.Period(labels[-1], freq=freq) + 1).start_time
    rows = store.query(
        f"SELECT cell, date_trunc('{period}', {time_col}) AS p, count(*) AS events "
        f"FROM {table} WHERE {time_col} >= ? AND {time_col} < ?{extra_sql}{cat_sql} "
        "AND cell IS NOT NULL GROUP BY 1, 2 ORDER BY 2, 1",
        [start, end, *cat_params],
    )
    plabels = pd.PeriodIndex(pd.to_datetime(rows["p"]), freq=freq).astype(str)
    return pd.DataFrame(
        {
            "cell": rows["cell"].to_numpy(dtype=np.uint64),
            "period": pd.Categorical(plabels, categories=labels, ordered=True),
            "events": rows["events"].to_numpy(dtype=np.int64),
        }
    )


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterParams:
    """Parameters a :class:`ClusterResult` was computed with (all counts in events)."""

    min_cluster_size: int
    min_samples: int
    window_min_cluster_size: int
    window_min_samples: int
    analysis_res: int
    storage_res: int
    resolution_m: float
    jaccard: float
    max_gap: int
    min_strength: float
    cut_m: float | None
    seed: int
    periods: tuple[str, ...]


@dataclass(frozen=True)
class ClusterResult:
    """Clusters per period, their tracks across periods, and the whole-window clusters.

    Cells are H3 hex strings. Coordinates are WGS84 (EPSG:4326) degrees, computed as
    event-weighted means of storage-cell centres in EPSG:27700 metres.

    Attributes
    ----------
    clusters : DataFrame
        One row per track and period: ``track``, ``period``, ``label`` (the period's
        HDBSCAN label), ``events``, ``cells`` (storage cells), ``analysis_cells``
        (the footprint matched across periods: cells at the analysis resolution),
        ``lat``, ``lng``, ``persistence``.
    tracks : DataFrame
        One row per track: ``track``, ``first``, ``last``, ``persistence`` (number of
        periods the track appears in), ``events``, ``cells`` (distinct storage cells
        over all its periods), ``lat``, ``lng``.
    membership : DataFrame
        Analysis-resolution cells in tracks: ``cell``, ``track``, ``periods`` (number of
        periods the cell was in the track's cluster). Only these hex cells, never storage
        cells, are meant for the partnership view (after disclosure control).
    cells : DataFrame
        Per storage cell and period: ``cell``, ``period``, ``events``, ``label``,
        ``strength`` (HDBSCAN membership strength, 0 to 1) and ``track`` (-1 for noise).
    window_clusters : DataFrame
        The whole-window clustering: ``label``, ``events``, ``cells``,
        ``analysis_cells``, ``lat``, ``lng``.
    window_cells : DataFrame
        Per storage cell over the window: ``cell``, ``events``, ``label``, ``strength``.
    window_membership : DataFrame
        Analysis cells in whole-window clusters: ``cell``, ``label``, ``events``.
    params : ClusterParams
    """

    clusters: pd.DataFrame
    tracks: pd.DataFrame
    membership: pd.DataFrame
    cells: pd.DataFrame
    window_clusters: pd.DataFrame
    window_cells: pd.DataFrame
    window_membership: pd.DataFrame
    params: ClusterParams

    def outlines(
        self, level: Literal["track", "window"] = "track", concave_ratio: float | None = 0.3
    ) -> pd.Series:
        """Outline polygons of tracks (or whole-window clusters) for analysts.

        The hull of the member storage-cell centres (over all of a track's periods),
        computed in EPSG:27700 metres — ``shapely.concave_hull(ratio=concave_ratio)``, or
        the convex hull when ``concave_ratio`` is None — buffered by one storage-cell
        edge (half a cell, corner to centre, so member cells lie inside), then
        projected to EPSG:4326.

        Returns
        -------
        Series of shapely Polygon
            Indexed by track id (or window label), lng/lat order, EPSG:4326.
        """
        if concave_ratio is not None and not 0 <= concave_ratio <= 1:
            raise ValueError("concave_ratio must be in [0, 1] or None")
        if level == "track":
            members = self.cells.loc[self.cells["track"] >= 0, ["cell", "track"]]
            key = members["track"].to_numpy(dtype=np.int64)
        elif level == "window":
            members = self.window_cells.loc[self.window_cells["label"] >= 0, ["cell", "label"]]
            key = members["label"].to_numpy(dtype=np.int64)
        else:
            raise ValueError("level must be 'track' or 'window'")
        name = "track" if level == "track" else "label"
        if members.empty:
            return pd.Series([], index=pd.Index([], name=name), dtype=object, name="geometry")
        cells = hexes.str_to_cells(members["cell"])
        x, y = _cells_bng(cells)
        buffer_m = cell_edge_m(self.params.storage_res)
        keys = np.unique(key)
        geoms: list[object] = []
        for k in keys:
            sel = key == k
            pts = shapely.multipoints(np.unique(np.column_stack([x[sel], y[sel]]), axis=0))
            hull = (
                shapely.convex_hull(pts)
                if concave_ratio is None
                else shapely.concave_hull(pts, ratio=concave_ratio)
            )
            shape = shapely.buffer(hull, buffer_m)
            outline = shapely.transform(shape, _bng_to_lnglat)
            geoms.append(outline if shapely.is_valid(outline) else shapely.make_valid(outline))
        return pd.Series(geoms, index=pd.Index(keys, name=name), dtype=object, name="geometry")


def _bng_to_lnglat(coords: FloatArray) -> FloatArray:
    lng, lat = from_bng(coords[:, 0], coords[:, 1])
    return np.column_stack([lng, lat])


def _summaries(
    group: IntArray, events: IntArray, x: FloatArray, y: FloatArray, footprint: IntArray
) -> pd.DataFrame:
    """Per group: events, storage cells, footprint size, weighted centroid (lat, lng)."""
    frame = pd.DataFrame(
        {"g": group, "w": events, "wx": events * x, "wy": events * y, "fp": footprint}
    )
    agg = frame.groupby("g").agg(
        events=("w", "sum"),
        cells=("w", "size"),
        analysis_cells=("fp", "nunique"),
        wx=("wx", "sum"),
        wy=("wy", "sum"),
    )
    lng, lat = from_bng(agg["wx"] / agg["events"], agg["wy"] / agg["events"])
    out = agg[["events", "cells", "analysis_cells"]].astype(np.int64)
    out["lat"] = lat
    out["lng"] = lng
    return out


def clusters_for_period(
    events: pd.DataFrame,
    min_cluster_size: int | None = None,
    min_samples: int | None = None,
    seed: int = 0,
    *,
    analysis_res: int = ANALYSIS_RESOLUTION,
    jaccard_threshold: float = JACCARD_THRESHOLD,
    max_gap: int = 0,
    min_strength: float = MIN_STRENGTH,
    cut_m: float | None = None,
    periods: Sequence[str] | None = None,
    window_min_cluster_size: int | None = None,
    window_min_samples: int | None = None,
) -> ClusterResult:
    """Cluster each period's events, match clusters into tracks, and cluster the window.

    Parameters
    ----------
    events : DataFrame
        ``cell`` (uint64 storage cells, all one resolution), ``period`` (label) and
        optionally ``events`` (count per row, default 1) — as :func:`event_cells` returns.
    min_cluster_size, min_samples : int, optional
        Per-period HDBSCAN parameters in events (see :func:`cluster_points`). Default
        :func:`default_min_cluster_size` of the median events per non-empty period (one
        value for every period, so that clusters of different periods are comparable);
        ``min_samples`` defaults to ``min_cluster_size``.
    seed : int
        Recorded (the method has no random step).
    analysis_res : int
        Resolution of the footprints (parents of storage cells) used for matching and
        for :attr:`ClusterResult.membership`; 7 to 10, coarser than the storage cells.
    jaccard_threshold : float
        A cluster continues a track when the Jaccard overlap of their footprints is at
        least this (default 0.2). Greedy best match, one to one (:func:`match_clusters`).
    max_gap : int
        Periods a track may be absent and still continue (0, the default: only
        consecutive periods match). The footprint matched is the track's latest.
    min_strength : float
        Passed to :func:`cluster_points`: weakly attached members are noise (default
        0.5). It also keeps footprints stable from period to period.
    cut_m : float, optional
        Passed to :func:`cluster_points` (a fixed-distance cut instead of HDBSCAN's
        selection), for every period and the window.
    periods : sequence of str, optional
        Period labels in time order (default: the categories of an ordered categorical
        ``period`` column, else the sorted labels present).
    window_min_cluster_size, window_min_samples : int, optional
        The same for the whole-window clustering; default
        :func:`default_min_cluster_size` of the window's events.

    Returns
    -------
    ClusterResult

    Raises
    ------
    InsufficientDataError
        The whole window has too few events to cluster. Periods that are too small
        on their own simply have no clusters.
    """
    missing = {"cell", "period"} - set(events.columns)
    if missing:
        raise ValueError(f"events needs columns {sorted(missing)}")
    if analysis_res not in (7, 8, 9, 10):
        raise ValueError("analysis_res must be 7, 8, 9 or 10")
    if max_gap < 0:
        raise ValueError("max_gap must be 0 or more")
    if not 0 < jaccard_threshold <= 1:
        raise ValueError("jaccard_threshold must be in (0, 1]")
    if not 0 <= min_strength <= 1:
        raise ValueError("min_strength must be in [0, 1]")
    if events.empty:
        raise InsufficientDataError("there are no events to cluster")
    cells_in = events["cell"].to_numpy(dtype=np.uint64)
    _check_cells(np.unique(cells_in))
    res_all = np.unique(hexes.cell_resolution(cells_in))
    if res_all.size != 1:
        raise ValueError("all storage cells must have one resolution")
    storage_res = int(res_all[0])
    if storage_res <= analysis_res:
        raise ValueError("analysis_res must be coarser than the storage cells")
    counts = (
        events["events"].to_numpy(dtype=np.int64)
        if "events" in events.columns
        else np.ones(len(events), dtype=np.int64)
    )
    if (counts < 1).any():
        raise ValueError("events counts must be at least 1")
    if periods is None:
        col = events["period"]
        if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered:
            periods = [str(p) for p in col.cat.categories]
        else:
            periods = sorted(col.astype(str).unique())
    labels_order = [str(p) for p in periods]
    if len(set(labels_order)) != len(labels_order):
        raise ValueError("periods must be distinct")
    period_idx = pd.Index(labels_order).get_indexer(pd.Index(events["period"].astype(str)))
    if (period_idx < 0).any():
        raise ValueError("events has periods that are not in periods")

    # Aggregate to one row per (period, storage cell).
    agg = (
        pd.DataFrame({"p": period_idx, "cell": cells_in, "n": counts})
        .groupby(["p", "cell"], sort=True)["n"]
        .sum()
        .reset_index()
    )
    p_arr = agg["p"].to_numpy(dtype=np.int64)
    c_arr = agg["cell"].to_numpy(dtype=np.uint64)
    n_arr = agg["n"].to_numpy(dtype=np.int64)
    ucells, inv = np.unique(c_arr, return_inverse=True)
    ux, uy = _cells_bng(ucells)
    uparent = hexes.cells_to_parent(ucells, analysis_res)
    resolution_m = cell_spacing_m(storage_res)

    per_period = np.bincount(p_arr, weights=n_arr, minlength=len(labels_order))
    nonempty = per_period[per_period > 0]
    mcs = (
        default_min_cluster_size(int(np.median(nonempty)))
        if min_cluster_size is None
        else int(min_cluster_size)
    )
    ms = mcs if min_samples is None else int(min_samples)

    # Whole window.
    win = pd.DataFrame({"u": inv, "n": n_arr}).groupby("u", sort=True)["n"].sum()
    win_u = win.index.to_numpy(dtype=np.int64)
    win_n = win.to_numpy(dtype=np.int64)
    win_mcs = (
        default_min_cluster_size(int(win_n.sum()))
        if window_min_cluster_size is None
        else int(window_min_cluster_size)
    )
    win_ms = win_mcs if window_min_samples is None else int(window_min_samples)
    win_labels, win_strength = cluster_points_with_strength(
        ux[win_u], uy[win_u], win_n, win_mcs, win_ms, seed,
        resolution_m=resolution_m, cut_m=cut_m, min_strength=min_strength,
    )  # fmt: skip

    # Each period, then matching.
    period_labels_arr = np.full(p_arr.size, NOISE, dtype=np.int64)
    strength_arr = np.zeros(p_arr.size, dtype=np.float64)
    track_arr = np.full(p_arr.size, NOISE, dtype=np.int64)
    last_seen: dict[int, tuple[int, npt.NDArray[np.uint64]]] = {}
    next_track = 1
    for t in range(len(labels_order)):
        rows = np.flatnonzero(p_arr == t)
        if rows.size == 0 or int(n_arr[rows].sum()) < 2 * mcs:
            continue
        lab, strength = cluster_points_with_strength(
            ux[inv[rows]], uy[inv[rows]], n_arr[rows], mcs, ms, seed,
            resolution_m=resolution_m, cut_m=cut_m, min_strength=min_strength,
        )  # fmt: skip
        period_labels_arr[rows] = lab
        strength_arr[rows] = strength
        footprints = {
            int(c): np.unique(uparent[inv[rows[lab == c]]]) for c in np.unique(lab[lab >= 0])
        }
        active = {k: fp for k, (when, fp) in last_seen.items() if t - when <= max_gap + 1}
        matched = match_clusters(active, footprints, jaccard_threshold)
        for c in sorted(footprints):
            if c in matched:
                track = matched[c]
            else:
                track = next_track
                next_track += 1
            track_arr[rows[lab == c]] = track
            last_seen[track] = (t, footprints[c])

    return _assemble(
        labels_order=labels_order,
        p_arr=p_arr,
        inv=inv,
        n_arr=n_arr,
        ucells=ucells,
        ux=ux,
        uy=uy,
        uparent=uparent,
        period_labels_arr=period_labels_arr,
        track_arr=track_arr,
        strength_arr=strength_arr,
        win_u=win_u,
        win_n=win_n,
        win_labels=win_labels,
        win_strength=win_strength,
        params=ClusterParams(
            min_cluster_size=mcs,
            min_samples=ms,
            window_min_cluster_size=win_mcs,
            window_min_samples=win_ms,
            analysis_res=analysis_res,
            storage_res=storage_res,
            resolution_m=resolution_m,
            jaccard=float(jaccard_threshold),
            max_gap=int(max_gap),
            min_strength=float(min_strength),
            cut_m=cut_m,
            seed=int(seed),
            periods=tuple(labels_order),
        ),
    )


def _assemble(
    *,
    labels_order: list[str],
    p_arr: IntArray,
    inv: IntArray,
    n_arr: IntArray,
    ucells: npt.NDArray[np.uint64],
    ux: FloatArray,
    uy: FloatArray,
    uparent: npt.NDArray[np.uint64],
    period_labels_arr: IntArray,
    track_arr: IntArray,
    strength_arr: FloatArray,
    win_u: IntArray,
    win_n: IntArray,
    win_labels: IntArray,
    win_strength: FloatArray,
    params: ClusterParams,
) -> ClusterResult:
    ustr = hexes.cells_to_str(ucells)
    pstr = np.asarray(labels_order, dtype=object)
    cells = pd.DataFrame(
        {
            "cell": ustr[inv],
            "period": pd.Categorical(pstr[p_arr], categories=labels_order, ordered=True),
            "events": n_arr,
            "label": period_labels_arr,
            "strength": strength_arr,
            "track": track_arr,
        }
    )

    # Per track and period.
    inc = track_arr >= 0
    n_periods = len(labels_order)
    key = track_arr[inc] * n_periods + p_arr[inc]
    summ = _summaries(key, n_arr[inc], ux[inv[inc]], uy[inv[inc]], uparent[inv[inc]].view(np.int64))
    tp = summ.index.to_numpy(dtype=np.int64)
    first_row = pd.Series(period_labels_arr[inc]).groupby(key).first()
    clusters = pd.DataFrame(
        {
            "track": tp // n_periods,
            "period": pd.Categorical(pstr[tp % n_periods], categories=labels_order, ordered=True),
            "label": first_row.reindex(tp).to_numpy(dtype=np.int64),
            "events": summ["events"].to_numpy(),
            "cells": summ["cells"].to_numpy(),
            "analysis_cells": summ["analysis_cells"].to_numpy(),
            "lat": summ["lat"].to_numpy(),
            "lng": summ["lng"].to_numpy(),
        }
    )
    persistence = clusters.groupby("track")["period"].size()
    clusters["persistence"] = persistence.reindex(clusters["track"]).to_numpy(dtype=np.int64)

    # Per track over all its periods.
    tracks_cols = ["track", "first", "last", "persistence", "events", "cells", "lat", "lng"]
    if inc.any():
        ts = _summaries(
            track_arr[inc], n_arr[inc], ux[inv[inc]], uy[inv[inc]], uparent[inv[inc]].view(np.int64)
        )
        distinct = pd.DataFrame({"t": track_arr[inc], "c": inv[inc]}).groupby("t")["c"].nunique()
        span = clusters.groupby("track")["period"].agg(["min", "max"])
        tracks = pd.DataFrame(
            {
                "track": ts.index.to_numpy(dtype=np.int64),
                "first": span["min"].astype(str).reindex(ts.index).to_numpy(),
                "last": span["max"].astype(str).reindex(ts.index).to_numpy(),
                "persistence": persistence.reindex(ts.index).to_numpy(dtype=np.int64),
                "events": ts["events"].to_numpy(),
                "cells": distinct.reindex(ts.index).to_numpy(dtype=np.int64),
                "lat": ts["lat"].to_numpy(),
                "lng": ts["lng"].to_numpy(),
            }
        )
    else:
        tracks = pd.DataFrame({c: pd.Series(dtype=object) for c in tracks_cols})

    # Analysis cells per track: in how many periods each was in the track's cluster.
    memb = (
        pd.DataFrame({"parent": uparent[inv[inc]], "track": track_arr[inc], "p": p_arr[inc]})
        .drop_duplicates()
        .groupby(["parent", "track"], sort=True)["p"]
        .size()
        .reset_index(name="periods")
    )
    membership = pd.DataFrame(
        {
            "cell": hexes.cells_to_str(memb["parent"].to_numpy(dtype=np.uint64)),
            "track": memb["track"].to_numpy(dtype=np.int64),
            "periods": memb["periods"].to_numpy(dtype=np.int64),
        }
    )

    # Whole window.
    window_cells = pd.DataFrame(
        {"cell": ustr[win_u], "events": win_n, "label": win_labels, "strength": win_strength}
    )
    wi = win_labels >= 0
    if wi.any():
        ws = _summaries(
            win_labels[wi],
            win_n[wi],
            ux[win_u[wi]],
            uy[win_u[wi]],
            uparent[win_u[wi]].view(np.int64),
        )
        window_clusters = ws.reset_index(names="label")
    else:
        window_clusters = pd.DataFrame(
            {
                c: pd.Series(dtype=object)
                for c in ("label", "events", "cells", "analysis_cells", "lat", "lng")
            }
        )
    wm = (
        pd.DataFrame({"parent": uparent[win_u[wi]], "label": win_labels[wi], "n": win_n[wi]})
        .groupby(["parent", "label"], sort=True)["n"]
        .sum()
        .reset_index()
    )
    window_membership = pd.DataFrame(
        {
            "cell": hexes.cells_to_str(wm["parent"].to_numpy(dtype=np.uint64)),
            "label": wm["label"].to_numpy(dtype=np.int64),
            "events": wm["n"].to_numpy(dtype=np.int64),
        }
    )
    return ClusterResult(
        clusters=clusters.sort_values(["track", "period"], ignore_index=True),
        tracks=tracks,
        membership=membership,
        cells=cells,
        window_clusters=window_clusters,
        window_cells=window_cells,
        window_membership=window_membership,
        params=params,
    )
