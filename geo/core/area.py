"""The study area: a boundary polygon, its edge buffer and its hexagon grid."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from pyproj.transformer import TransformerGroup
from shapely.geometry.base import BaseGeometry

from geo.core import hexes
from geo.core.config import StudyAreaConfig
from geo.core.errors import BoundaryError

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"


def _best_pipeline(source: str, target: str) -> Transformer:
    """The best transformation available here from ``source`` to ``target`` (what
    ``Transformer.from_crs`` would use: OSTN15 where its grid is installed, else the
    OSGB36 Helmert fit), as a fixed PROJ pipeline.

    A ``from_crs`` transformer is rebuilt from the EPSG database in every thread that
    uses it (about 25 ms), and Streamlit runs every script run in a new thread; a
    pipeline is rebuilt in well under a millisecond and gives the same coordinates.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "best transformation not available"
        best = TransformerGroup(source, target, always_xy=True).transformers[0]
    return Transformer.from_pipeline(best.definition)


_TO_BNG = _best_pipeline(WGS84, BNG)
_TO_WGS84 = _best_pipeline(BNG, WGS84)


def to_bng(
    lng: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Project WGS84 degrees to British National Grid metres (EPSG:27700)."""
    x, y = _TO_BNG.transform(np.asarray(lng, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def from_bng(
    x: npt.ArrayLike, y: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Project British National Grid metres to WGS84 ``(lng, lat)`` degrees."""
    lng, lat = _TO_WGS84.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)


def cells_to_bng(
    cells: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """British National Grid metres (EPSG:27700) of H3 cell centres.

    Each distinct cell is projected once.

    Parameters
    ----------
    cells : array_like of uint64
        H3 cells (any resolution, repeats allowed).

    Returns
    -------
    x, y : numpy.ndarray of float64
        Easting and northing of each cell's centre, one per input cell.
    """
    arr = np.asarray(cells, dtype=np.uint64)
    if arr.size == 0:
        return np.empty(0), np.empty(0)
    uniq, inverse = np.unique(arr, return_inverse=True)
    lat, lng = hexes.cell_centres(uniq)
    x, y = to_bng(lng, lat)
    return x[inverse], y[inverse]


@dataclass(frozen=True)
class StudyArea:
    """A study area in EPSG:4326 with its buffered outline.

    Attributes
    ----------
    name : str
        Display name (from the feature's ``*NM`` column or configuration).
    code : str or None
        Feature code.
    boundary : shapely geometry
        The area itself (EPSG:4326, lng/lat).
    buffered : shapely geometry
        The area grown by ``buffer_m`` metres (computed in EPSG:27700).
    buffer_m : float
        Edge buffer in metres.
    feature_codes, feature_names : tuple of str
        The ``*CD`` codes and ``*NM`` names of the boundary features that make up the
        area (empty when the file has none): area tables are checked against them.
    """

    name: str
    code: str | tuple[str, ...] | None
    boundary: BaseGeometry
    buffered: BaseGeometry
    buffer_m: float
    feature_codes: tuple[str, ...] = ()
    feature_names: tuple[str, ...] = ()

    def contains(self, lat: npt.ArrayLike, lng: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each point lies inside the area plus its buffer (vectorised)."""
        return np.asarray(
            shapely.contains_xy(self.buffered, np.asarray(lng, float), np.asarray(lat, float))
        )

    def grid(self, res: int) -> hexes.CellArray:
        """Every cell at ``res`` that overlaps the area plus its buffer (zeros included).

        Ingest accepts a record anywhere inside the buffered area, so every accepted
        record's cell is on this grid at every resolution.
        """
        return _grid(self.buffered.wkb, res)

    @property
    def centre(self) -> tuple[float, float]:
        """``(lat, lng)`` of the boundary's representative point."""
        p = self.boundary.representative_point()
        return float(p.y), float(p.x)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(min_lng, min_lat, max_lng, max_lat)`` of the boundary."""
        b = self.boundary.bounds
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])


@functools.lru_cache(maxsize=16)
def _grid(wkb: bytes, res: int) -> hexes.CellArray:
    cells = hexes.polygon_to_cells(shapely.from_wkb(wkb), res, contain="overlap")
    cells.setflags(write=False)
    return cells


def select_feature(frame: gpd.GeoDataFrame, code: str | Sequence[str] | None) -> gpd.GeoDataFrame:
    """Pick the features whose ``*CD`` column equals ``code`` or one of several codes
    (a police BCU or a partnership of boroughs); all features when None.

    Raises
    ------
    BoundaryError
        Naming each code that matches no feature and listing the codes the file holds.
    """
    if code is None:
        return frame
    codes = [code] if isinstance(code, str) else list(code)
    code_cols = [c for c in frame.columns if str(c).upper().endswith("CD")]
    if not code_cols:
        raise BoundaryError("the boundary file has no *CD column to match the configured code")
    mask = np.zeros(len(frame), dtype=bool)
    missing = []
    for one in codes:
        hit = np.zeros(len(frame), dtype=bool)
        for col in code_cols:
            hit |= frame[col].astype(str).to_numpy() == one
        if not hit.any():
            missing.append(one)
        mask |= hit
    if missing:
        col = code_cols[0]
        names = [c for c in frame.columns if str(c).upper() == str(col).upper()[:-2] + "NM"]
        listed = frame[col].astype(str)
        if names:
            listed = listed + " " + frame[names[0]].astype(str)
        shown = sorted(listed.tolist())
        more = f" and {len(shown) - 40} more" if len(shown) > 40 else ""
        raise BoundaryError(
            f"study_area.code {', '.join(repr(m) for m in missing)} is not in the boundary "
            f"file; its codes ({col}) are: {'; '.join(shown[:40])}{more}"
        )
    return frame.loc[mask]


def read_boundary(path: Path, code: str | Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Read a boundary GeoJSON as EPSG:4326 polygons, optionally the features of ``code``."""
    if not Path(path).is_file():
        raise BoundaryError(f"boundary file not found: {path}")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise BoundaryError(f"the boundary file cannot be read as GeoJSON: {path}") from exc
    if frame.empty:
        raise BoundaryError("the boundary file has no features")
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    frame = frame.to_crs(WGS84)
    kinds = set(frame.geom_type.dropna())
    if not kinds or not kinds <= {"Polygon", "MultiPolygon"}:
        raise BoundaryError("the boundary file must contain polygons only")
    if not frame.is_valid.all():
        frame = frame.set_geometry(frame.make_valid())
    return select_feature(frame, code)


def load_study_area(cfg: StudyAreaConfig) -> StudyArea:
    """Build the :class:`StudyArea` described by configuration."""
    return _load_study_area(cfg.boundary, cfg.code, cfg.buffer_m, cfg.name)


@functools.lru_cache(maxsize=8)
def _load_study_area(
    path: Path, code: str | tuple[str, ...] | None, buffer_m: float, name: str | None
) -> StudyArea:
    frame = read_boundary(path, code)
    boundary = shapely.union_all(frame.geometry.to_numpy())
    bng = frame.to_crs(BNG)
    buffered_bng = shapely.union_all(bng.geometry.to_numpy()).buffer(buffer_m)
    buffered = gpd.GeoSeries([buffered_bng], crs=BNG).to_crs(WGS84).iloc[0]
    if name is None:
        name_cols = [c for c in frame.columns if str(c).upper().endswith("NM")]
        names = [str(n) for n in frame[name_cols[0]]] if name_cols and len(frame) <= 5 else []
        name = (
            ", ".join(names[:-1]) + " and " + names[-1]
            if len(names) > 1
            else names[0]
            if names
            else path.stem
        )
    shapely.prepare(buffered)
    code_cols = [c for c in frame.columns if str(c).upper().endswith("CD")]
    nm_cols = [c for c in frame.columns if str(c).upper().endswith("NM")]
    return StudyArea(
        name=name,
        code=code,
        boundary=boundary,
        buffered=buffered,
        buffer_m=float(buffer_m),
        feature_codes=tuple(str(c) for c in frame[code_cols[0]]) if code_cols else (),
        feature_names=tuple(str(n) for n in frame[nm_cols[0]]) if nm_cols else (),
    )
