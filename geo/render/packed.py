"""Map layers packed for the browser: integer coordinate deltas and shared lists.

A hex layer as GeoJSON costs about 400 bytes a hexagon (seven vertices at six decimals,
five properties) and, in folium, a per-feature style mapping and several ``json.dumps``
of the whole collection on every rerun. :func:`pack_layer` sends what the map draws and
nothing else:

* ``c``: the distinct fill colours; ``l``: the distinct tooltip labels (already escaped
  by :func:`geo.core.escape.escape_text` when the layer was built);
* ``f``: per feature, its colour index and label index (``[c0, l0, c1, l1, ...]``);
* ``g``: every vertex as ``(lat, lng)`` in micro-degrees (EPSG:4326, 1e-6°, about
  0.1 m), each the difference from the vertex before it, across the whole layer (the
  first from 0), with the closing vertex of each ring left out (Leaflet closes rings);
* ``n``: the vertex count of every ring, or one number when all rings have it (a hex
  layer: 6); ``p``: per feature, its polygons' ring counts when any feature is not a
  single ring (cluster hulls as MultiPolygons, rings with holes).

So cell ids, values and class indexes never reach the browser: the allow-list of
:data:`geo.render.hexlayer.ALLOWED_PROPERTIES` shrinks to a colour and a label. A
res-10 hexagon costs about 70 bytes. :func:`unpack_layer` decodes in Python what the
browser's ``psUnpack`` (:data:`UNPACK_JS`) decodes, for tests.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from threading import Lock
from typing import Any

import numpy as np
import numpy.typing as npt

from geo.render.viewport import FOR_ONE_VIEW

__all__ = [
    "UNPACK_JS",
    "pack_layer",
    "packed_json",
    "script_json",
    "unpack_layer",
]

#: Micro-degrees per degree: six decimals, the precision hex layers are built with.
SCALE = 1_000_000


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    """A Polygon or MultiPolygon as a list of polygons (lists of rings of lng/lat)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"only polygons are packed, not {geometry['type']}")


def _open_ring(ring: Sequence[Sequence[float]]) -> list[Sequence[float]]:
    """A ring without its closing vertex (when it repeats the first)."""
    ring = list(ring)
    if len(ring) > 1 and list(ring[0]) == list(ring[-1]):
        return ring[:-1]
    return ring


def _index(items: Sequence[str]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The distinct items in first-seen order and each item's index among them."""
    order: dict[str, int] = {}
    idx = np.fromiter((order.setdefault(s, len(order)) for s in items), np.int64, len(items))
    return list(order), idx


def pack_layer(geojson: Mapping[str, Any]) -> dict[str, Any]:
    """Pack a FeatureCollection of polygons for :data:`UNPACK_JS` (see the module notes).

    Parameters
    ----------
    geojson : mapping
        A FeatureCollection whose features are Polygons or MultiPolygons (EPSG:4326,
        lng/lat) with ``colour`` and ``label`` properties.

    Returns
    -------
    dict
        ``{"c", "l", "f", "g", "n"}`` and, for features that are not single rings, ``"p"``.
    """
    features = geojson["features"]
    colours, colour_idx = _index([str(f["properties"]["colour"]) for f in features])
    labels, label_idx = _index([str(f["properties"]["label"]) for f in features])
    # the usual case, one closed ring per feature, all the same length: one numpy array
    rings = [f["geometry"]["coordinates"] for f in features]
    simple = all(
        f["geometry"]["type"] == "Polygon" and len(r) == 1
        for f, r in zip(features, rings, strict=True)
    )
    structure: list[list[int]] | None = None
    if simple and features:
        lengths = {len(r[0]) for r in rings}
        if len(lengths) == 1:
            whole = np.asarray([r[0] for r in rings], dtype=float)  # (features, vertices, 2)
            closed = whole.shape[1] > 1 and bool(np.all(whole[:, 0] == whole[:, -1]))
            coords = whole[:, :-1] if closed else whole
            counts: list[int] | int = int(coords.shape[1])
            flat = coords.reshape(-1, 2)
        else:
            simple = False
    if not simple or not features:
        structure = []
        parts: list[Sequence[float]] = []
        counts = []
        for f in features:
            shape = []
            for polygon in _polygons(f["geometry"]):
                shape.append(len(polygon))
                for ring in polygon:
                    opened = _open_ring(ring)
                    counts.append(len(opened))
                    parts.extend(opened)
            structure.append(shape)
        flat = np.asarray(parts, dtype=float).reshape(-1, 2)
        if counts and len(set(counts)) == 1:
            counts = counts[0]
    micro = np.rint(flat[:, ::-1] * SCALE).astype(np.int64)  # (lat, lng)
    deltas = np.diff(micro, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    packed: dict[str, Any] = {
        "c": colours,
        "l": labels,
        "f": np.column_stack([colour_idx, label_idx]).ravel().tolist(),
        "g": deltas.ravel().tolist(),
        "n": counts,
    }
    if structure is not None and any(s != [1] for s in structure):
        packed["p"] = structure
    return packed


def unpack_layer(packed: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Decode :func:`pack_layer`'s output as the browser does: per feature its colour,
    label and polygons (lists of rings of ``(lat, lng)`` in degrees, rings open)."""
    pairs = np.asarray(packed["f"], dtype=np.int64).reshape(-1, 2)
    coords = np.cumsum(np.asarray(packed["g"], dtype=np.int64).reshape(-1, 2), axis=0) / SCALE
    shapes = packed.get("p") or [[1]] * len(pairs)
    counts = packed["n"]
    out: list[dict[str, Any]] = []
    at = ring_no = 0
    for (c, lab), shape in zip(pairs, shapes, strict=True):
        polygons = []
        for n_rings in shape:
            rings = []
            for _ in range(n_rings):
                n = counts if isinstance(counts, int) else counts[ring_no]
                rings.append([tuple(v) for v in coords[at : at + n].tolist()])
                at += n
                ring_no += 1
            polygons.append(rings)
        out.append({"colour": packed["c"][c], "label": packed["l"][lab], "polygons": polygons})
    return out


def script_json(value: object) -> str:
    """JSON that is safe inside an HTML ``<script>`` element: ``<``, ``>``, ``&`` and
    ``'`` as unicode escapes (as Jinja's ``htmlsafe_json_dumps``) and U+2028/U+2029,
    which end a line in older JavaScript, escaped too."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


#: Packed layers kept by the identity of their GeoJSON (the cached layers the pages share
#: are the same objects on every rerun), with the GeoJSON itself held so its id stays valid.
_MEMO: OrderedDict[int, tuple[Mapping[str, Any], str]] = OrderedDict()
_MEMO_SIZE = 32
_MEMO_LOCK = Lock()


def packed_json(geojson: Mapping[str, Any]) -> str:
    """:func:`pack_layer` as script-safe JSON, remembered for the same GeoJSON object
    (not for a layer cut to one view, :data:`geo.render.viewport.FOR_ONE_VIEW`, which is
    made afresh on every run)."""
    if geojson.get(FOR_ONE_VIEW):
        return script_json(pack_layer(geojson))
    key = id(geojson)
    with _MEMO_LOCK:
        hit = _MEMO.get(key)
        if hit is not None and hit[0] is geojson:
            _MEMO.move_to_end(key)
            return hit[1]
    text = script_json(pack_layer(geojson))
    with _MEMO_LOCK:
        _MEMO[key] = (geojson, text)
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return text


#: The browser's decoder: ``psUnpack(packed)`` returns per feature ``[colourIndex,
#: labelIndex, latlngs]`` with ``latlngs`` in Leaflet's nested-polygon form.
UNPACK_JS = """
function psUnpack(d) {
  var g = d.g, counts = d.n, p = d.p, f = d.f, out = [], at = 0, ring = 0, lat = 0, lng = 0;
  var features = f.length / 2;
  for (var i = 0; i < features; i++) {
    var shape = p ? p[i] : [1], polys = [];
    for (var j = 0; j < shape.length; j++) {
      var rings = [];
      for (var r = 0; r < shape[j]; r++) {
        var count = (typeof counts === "number") ? counts : counts[ring];
        var pts = new Array(count);
        for (var v = 0; v < count; v++) {
          lat += g[at++]; lng += g[at++];
          pts[v] = [lat / 1e6, lng / 1e6];
        }
        rings.push(pts);
        ring++;
      }
      polys.push(rings);
    }
    out.push([f[2 * i], f[2 * i + 1], polys]);
  }
  return out;
}
"""
