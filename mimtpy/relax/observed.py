"""Observations for the grid search: a product on a grid (pixels) or quadtree leaves from a CSV.

* Product (anything :func:`mimtpy.io.open_product` reads): the ``velocity`` dataset if present; a time series
  (``timeseries``) becomes the velocity of the period [startDate, endDate] (least-squares line per pixel, row
  blocks under the memory budget); otherwise the first 2-D dataset (a displacement). Units from ``UNIT``
  converted to m or m/yr. Points = valid pixel centres (every ``subsample``-th row and column), minus the
  mask (a product whose first dataset is non-zero/True where the pixel is kept).
* Per-pixel LOS geometry (ground-to-satellite unit vector): a ``geometry`` file with incidenceAngle and
  azimuthAngle, the product itself, a geometry file beside it, or its HEADING + CENTER_INCIDENCE_ANGLE.
* Quadtree leaves (``.csv`` with columns lon, lat, value, std, npixels, los_east, los_north, los_up, as the
  Kite/quadtree exporter writes): one point per leaf, in the units of ``value`` (m or m/yr).

Local coordinates: azimuthal equidistant projection (pyproj ``+proj=aeqd`` on the WGS84 ellipsoid) centred on
(lat0, lon0): distances and azimuths from the centre are exact, other distances within ~(d / 6371 km)^2.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mimtpy.config import ComputeConfig
from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io import Product, open_product
from mimtpy.ops.geometry import load_geometry
from mimtpy.ops.units import unit_of
from mimtpy.ops.velocity import compute_velocity, select_period

logger = logging.getLogger(__name__)

LEAF_COLUMNS = ("lon", "lat", "value", "std", "npixels", "los_east", "los_north", "los_up")


@dataclass
class Observed:
    """Observation points: LOS value (m or m/yr), position, LOS unit vector; ``grid``/``rows``/``cols`` place
    the points on the (subsampled) search grid when they come from a product."""

    path: Path
    values: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    los: np.ndarray                 # (3, N)
    quantity: str
    grid: Grid | None = None
    rows: np.ndarray | None = None
    cols: np.ndarray | None = None
    attrs: dict = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return "m/year" if self.quantity == "velocity" else "m"


def local_xy(lon, lat, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """East, north (m) of lon/lat in the azimuthal equidistant projection centred on (lat0, lon0)."""
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m",
                              always_xy=True)
    x, y = tr.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x), np.asarray(y)


def _period_velocity(product: Product, start: str | None, end: str | None, max_memory: float) -> np.ndarray:
    """Velocity (m/yr) of the period of a time series, block by block (:mod:`mimtpy.ops.velocity`)."""
    period = select_period(product.dates, start, end, str(product.path))
    whole = (slice(0, product.grid.length), slice(0, product.grid.width))
    return compute_velocity(product, period, *whole, None, ComputeConfig(max_memory=max_memory))["velocity"]


def _read_mask(path: Path, grid: Grid) -> np.ndarray:
    mask = open_product(path)
    if mask.grid.shape != grid.shape or not np.allclose(
            (mask.grid.x_first, mask.grid.y_first), (grid.x_first, grid.y_first), atol=abs(grid.x_step) * 1e-3):
        raise ProductError(f"{path}: the mask grid {mask.grid.shape} does not match the observed grid {grid.shape}")
    data = mask.read(next(iter(mask.datasets)))
    return np.isfinite(data) & (data != 0)


def load_leaves(path: Path) -> Observed:
    """Quadtree leaves from a CSV (columns :data:`LEAF_COLUMNS`; others ignored)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in LEAF_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ProductError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(LEAF_COLUMNS)})")
        rows = list(reader)
    try:
        table = {c: np.array([float(r[c]) for r in rows]) for c in LEAF_COLUMNS}
    except ValueError as err:
        raise ProductError(f"{path}: not a number in the leaves table: {err}") from None
    los = np.vstack([table["los_east"], table["los_north"], table["los_up"]])
    ok = np.isfinite(table["value"]) & np.all(np.isfinite(los), axis=0)
    if ok.sum() < 4:
        raise ProductError(f"{path}: fewer than 4 leaves with a value and a LOS vector")
    norm = np.sqrt((los[:, ok] ** 2).sum(axis=0))
    if np.abs(norm - 1).max() > 0.01:
        raise ProductError(f"{path}: los_east/los_north/los_up are not a unit vector (|v| up to {norm.max():.3f})")
    return Observed(path, table["value"][ok], table["lon"][ok], table["lat"][ok], los[:, ok], "displacement")


def load_observed(path: Path, geometry: Path | None = None, mask: Path | None = None, start: str | None = None,
                  end: str | None = None, subsample: int = 1, max_memory: float = 4.0) -> Observed:
    """The observation points of ``path`` (see the module docstring)."""
    if path.suffix.lower() == ".csv":
        return load_leaves(path)
    product = open_product(path)
    grid = product.grid
    rows, cols = slice(0, grid.length, subsample), slice(0, grid.width, subsample)
    if "velocity" in product.datasets:
        name = "velocity"
    elif "timeseries" in product.datasets:
        name = "timeseries"
    else:
        name = next((d.name for d in product.datasets.values() if not d.is_3d), None)
        if name is None:
            raise ProductError(f"{path}: no velocity, time series or 2-D dataset")
    quantity, factor = unit_of(product, name)
    if name == "timeseries":
        full = _period_velocity(product, start, end, max_memory)
        values = full[rows, cols] * factor
        quantity = "velocity"
    else:
        values = np.asarray(product.read(name), dtype=np.float64)[rows, cols] * factor
    valid = np.isfinite(values)
    if mask is not None:
        valid &= _read_mask(mask, grid)[rows, cols]
    east, north, up = (np.asarray(c)[rows, cols] for c in load_geometry(product, grid, geometry))
    valid &= np.isfinite(east) & np.isfinite(north) & np.isfinite(up)
    if valid.sum() < 4:
        raise ProductError(f"{path}: fewer than 4 valid pixels with LOS geometry after masking")
    r_idx, c_idx = np.nonzero(valid)
    sub = Grid(valid.shape[1], valid.shape[0], grid.x_first + 0.5 * grid.x_step * (1 - subsample),
               grid.y_first + 0.5 * grid.y_step * (1 - subsample), grid.x_step * subsample, grid.y_step * subsample,
               grid.epsg)
    lon = sub.lons()[c_idx]
    lat = sub.lats()[r_idx]
    if grid.epsg != 4326:       # projected grid (UTM, ...): pixel centres to lon/lat
        from pyproj import Transformer

        lon, lat = Transformer.from_crs(f"EPSG:{grid.epsg}", "EPSG:4326", always_xy=True).transform(lon, lat)
        lon, lat = np.asarray(lon), np.asarray(lat)
    los = np.vstack([east[valid], north[valid], up[valid]])
    logger.info("%s: %d observation points (%s, subsample %d)", path.name, r_idx.size, quantity, subsample)
    return Observed(path, values[valid], lon, lat, los, quantity, sub, r_idx, c_idx, dict(product.attrs))
