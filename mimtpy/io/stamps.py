"""StaMPS point exports (``ps_output``) and their gridding to a raster :class:`~mimtpy.io.product.Product`.

* ``ps_mean_v.xy``: ``lon lat v`` per line, v = mean LOS velocity in **mm/yr**, positive toward the satellite
  (StaMPS ``ps_plot('v-do')`` convention, as MintPy's).
* ``ps_data.xy`` / ``ps_u-dm*.xy``: ``lon lat d1 d2 ...`` LOS displacement in **mm** per date; the dates come
  from a header line (``lon lat 20170103 20170115 ...``) or a dates file beside (``dates.txt``, ``date.txt``
  or ``day.txt``: one YYYYMMDD per line). One value column and no dates = a velocity (mm/yr).

:func:`grid_points` bins points onto a MintPy grid (outer corner of the first pixel, north up): ``velocity`` =
the median (m/yr) of the points whose position falls in each cell, ``count`` = how many; empty cells NaN / 0.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io.product import DatasetInfo, Product

logger = logging.getLogger(__name__)

DATE_FILES = ("dates.txt", "date.txt", "day.txt")


@dataclass
class Points:
    """Scattered LOS observations: ``values`` (n,) in m/yr (velocity) or (n_dates, n) in m (displacement)."""

    path: Path
    lon: np.ndarray
    lat: np.ndarray
    values: np.ndarray
    quantity: str = "velocity"
    dates: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return "m/year" if self.quantity == "velocity" else "m"


def is_stamps_xy(path: Path) -> bool:
    return path.suffix.lower() == ".xy" and path.is_file()


def _dates_beside(path: Path, count: int) -> list[str] | None:
    for name in DATE_FILES:
        file = path.parent / name
        if file.is_file():
            dates = re.findall(r"(?<!\d)(\d{8})(?!\d)", file.read_text())
            if len(dates) != count:
                raise ProductError(f"{file}: {len(dates)} dates for the {count} value columns of {path}")
            return dates
    return None


def read_stamps(path: str | Path) -> Points:
    """Read a StaMPS ``.xy`` export (see the module docstring); values converted from mm to m."""
    path = Path(path)
    if not path.is_file():
        raise ProductError(f"{path}: file not found")
    lines = path.read_text(errors="replace").splitlines()
    header = None
    rows = []
    for k, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith(("#", ">")):
            continue
        words = text.replace(",", " ").split()
        try:
            rows.append([float(w) for w in words])
        except ValueError:
            if rows or header is not None:
                raise ProductError(f"{path}:{k}: not numbers: '{text[:60]}'") from None
            header = words
    if not rows:
        raise ProductError(f"{path}: no points (expected 'lon lat value ...' lines)")
    width = {len(r) for r in rows}
    if len(width) > 1 or min(width) < 3:
        raise ProductError(f"{path}: lines have {sorted(width)} columns; expected the same number, at least 3 "
                           "(lon lat value ...)")
    data = np.asarray(rows, dtype=np.float64)
    lon, lat, values = data[:, 0], data[:, 1], data[:, 2:]
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 360):
        raise ProductError(f"{path}: columns 1-2 are not lon lat in degrees")
    n_cols = values.shape[1]
    dates = None
    if header is not None:
        found = [w for w in header if re.fullmatch(r"\d{8}", w)]
        dates = found if len(found) == n_cols else None
    if dates is None and (n_cols > 1 or "mean_v" not in path.name):
        dates = _dates_beside(path, n_cols)
    if dates is None:
        if n_cols > 1:
            raise ProductError(f"{path}: {n_cols} value columns but no dates (a header line with YYYYMMDD dates or "
                               f"one of {', '.join(DATE_FILES)} beside it)")
        return Points(path, lon, lat, values[:, 0] * 1e-3, "velocity")
    return Points(path, lon, lat, values.T * 1e-3, "displacement", dates)


def grid_points(points: Points, step: float, snwe: tuple[float, float, float, float] | None = None) -> Product:
    """A raster Product of the points' velocity: ``velocity`` (median per cell, m/year) and ``count``.

    The grid has square cells of ``step`` degrees with its outer corner at (W, N) of ``snwe`` (default: the points'
    bounds, widened by half a cell); a point on a cell edge belongs to the cell east/south of it."""
    if not step > 0:
        raise InputError(f"grid step {step} must be positive")
    if points.quantity != "velocity":
        raise InputError(f"{points.path}: gridding takes velocities; this file holds a displacement time series")
    if snwe is None:
        s, n = points.lat.min() - step / 2, points.lat.max() + step / 2
        w, e = points.lon.min() - step / 2, points.lon.max() + step / 2
    else:
        s, n, w, e = snwe
        if not (s < n and w < e):
            raise InputError(f"SNWE {snwe} is empty: need S < N and W < E")
    width, length = max(1, math.ceil((e - w) / step - 1e-9)), max(1, math.ceil((n - s) / step - 1e-9))
    grid = Grid(width, length, float(w), float(n), float(step), -float(step))
    col = np.floor((points.lon - grid.x_first) / grid.x_step).astype(np.int64)
    row = np.floor((points.lat - grid.y_first) / grid.y_step).astype(np.int64)
    inside = (row >= 0) & (row < length) & (col >= 0) & (col < width) & np.isfinite(points.values)
    cell = row[inside] * width + col[inside]
    values = points.values[inside]
    order = np.lexsort((values, cell))
    cell, values = cell[order], values[order]
    count = np.bincount(cell, minlength=width * length)
    velocity = np.full(width * length, np.nan)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    for c in np.flatnonzero(count):
        seg = values[starts[c]:starts[c] + count[c]]
        velocity[c] = np.median(seg)
    arrays = {"velocity": velocity.reshape(length, width).astype(np.float32),
              "count": count.reshape(length, width).astype(np.int32)}
    datasets = {"velocity": DatasetInfo("velocity", grid.shape, np.dtype(np.float32), "m/year"),
                "count": DatasetInfo("count", grid.shape, np.dtype(np.int32), "1")}
    attrs = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "PROCESSOR": "StaMPS",
             "POINTS": str(int(inside.sum()))}
    logger.info("%s: %d points gridded at %g deg (%d x %d cells, %d with data)", points.path, int(inside.sum()),
                step, length, width, int((count > 0).sum()))
    return Product(points.path, "stamps", attrs, grid, datasets, [], functools.partial(_read_array, arrays))


def _read_array(arrays: dict[str, np.ndarray], name: str, _epochs, rows: slice, cols: slice) -> np.ndarray:
    return arrays[name][rows, cols].copy()


def auto_step(points: Points) -> float:
    """A cell size holding about one point on average: sqrt(bounding-box area / points), in degrees."""
    area = max(np.ptp(points.lon), 1e-6) * max(np.ptp(points.lat), 1e-6)
    return float(f"{math.sqrt(area / max(points.lon.size, 1)):.2g}")


def read_stamps_gridded(path: str | Path) -> Product:
    """A StaMPS velocity export as a raster (median per cell of :func:`auto_step`, logged)."""
    points = read_stamps(path)
    step = auto_step(points)
    logger.info("%s: StaMPS points gridded at %g deg (grid_points gives another step)", path, step)
    return grid_points(points, step)
