"""Weighted HDBSCAN of event locations in British National Grid metres, and cluster matching.

DESIGN §5 "Clustering": HDBSCAN from scikit-learn on EPSG:27700 metres (never raw
degrees: at London's latitude a degree of longitude is ~1.6 times shorter than a
degree of latitude, so distances in degrees stretch east-west), with cluster
persistence measured by matching clusters across periods by overlap.

* :func:`cluster_points` — weighted HDBSCAN of locations (metres) carrying event counts.
* :func:`cluster_points_with_strength` — the same labels with membership strengths.
* :func:`mutual_reachability_graph` — the sparse graph handed to HDBSCAN.
* :func:`jaccard` and :func:`match_clusters` — clusters of consecutive periods matched
  one to one by the overlap of their footprints.

Arrays in, arrays out: the lens that reads events from the store, clusters every period
and assembles the tables is :mod:`geo.lenses.clusters`.

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
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.spatial import Delaunay, QhullError
from sklearn.cluster import HDBSCAN
from sklearn.neighbors import KDTree

from geo.core import hexes
from geo.core.errors import InsufficientDataError
from geo.core.types import FloatArray, IntArray

__all__ = [
    "EXACT_MAX_LOCATIONS",
    "GRAPH_NEIGHBOURS",
    "JACCARD_THRESHOLD",
    "MIN_CLUSTER_SIZE_FLOOR",
    "MIN_STRENGTH",
    "NOISE",
    "STORAGE_SPACING_M",
    "FloatArray",
    "IntArray",
    "cell_edge_m",
    "cell_spacing_m",
    "cluster_points",
    "cluster_points_with_strength",
    "default_min_cluster_size",
    "jaccard",
    "match_clusters",
    "mutual_reachability_graph",
]


#: Jaccard overlap of analysis-resolution footprints at which clusters are matched.
JACCARD_THRESHOLD: Final = 0.2
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
