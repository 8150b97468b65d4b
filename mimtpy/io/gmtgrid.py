"""GMT / COARDS 2-D NetCDF grids (``.grd``, ``.nc``): one variable on a lon/lat (or x/y) lattice.

Such grids are how interpolated GNSS velocity fields are usually published (e.g. the ``interp_N.grd`` of
the Leeds ``decompose_insar_velocities`` examples). Conventions:

* the coordinate vectors hold the centres of the cells (GMT writes node positions for gridline-registered
  grids and cell centres for pixel-registered ones, ``node_offset = 1``); mimtpy's grid is MintPy's, so
  ``X_FIRST = x[0] - dx/2`` and ``Y_FIRST = max(y) + |dy|/2``;
* longitude/latitude only (a projected x/y grid carries no CRS here: use a GeoTIFF);
* rows are returned north to south (a grid stored south to north, as GMT does, is flipped on reading);
* values as stored; ``UNIT`` from the variable's ``units`` attribute ('' when the file has none).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io.product import DatasetInfo, Product

GRID_SUFFIXES = (".grd", ".nc", ".nc4")
X_NAMES = ("lon", "longitude", "x")
Y_NAMES = ("lat", "latitude", "y")


def _coordinates(ds) -> tuple[str, str] | None:
    x = next((n for n in X_NAMES if n in ds.variables and ds.variables[n].ndim == 1), None)
    y = next((n for n in Y_NAMES if n in ds.variables and ds.variables[n].ndim == 1), None)
    return (x, y) if x and y else None


def _grid_variable(ds, x: str, y: str) -> str | None:
    """The one 2-D variable on (y, x), or None when there is none or several."""
    names = [n for n, v in ds.variables.items() if v.dimensions == (ds.variables[y].dimensions[0],
                                                                       ds.variables[x].dimensions[0])]
    return names[0] if len(names) == 1 else None


def is_gmt_grid(path: Path) -> bool:
    """A .grd, or a .nc/.nc4 written by GMT (``GMT_version`` or ``node_offset`` attribute) holding one 2-D
    variable on 1-D lon/lat coordinates; other NetCDF files are datacubes (:mod:`mimtpy.io.netcdf`)."""
    if path.suffix.lower() == ".grd":
        return path.is_file()                  # a .grd we cannot read gets a clear error from read_gmt_grid
    if path.suffix.lower() not in GRID_SUFFIXES or not path.is_file():
        return False
    import netCDF4

    try:
        with netCDF4.Dataset(path) as ds:
            written_by_gmt = any(a in ds.ncattrs() for a in ("GMT_version", "node_offset"))
            coords = _coordinates(ds)
            return written_by_gmt and coords is not None and _grid_variable(ds, *coords) is not None
    except OSError:
        return False


def read_gmt_grid(path: str | Path) -> Product:
    """Open a GMT/COARDS grid lazily as a one-dataset product (see the module docstring)."""
    import netCDF4

    path = Path(path)
    try:
        with netCDF4.Dataset(path) as ds:
            coords = _coordinates(ds)
            if coords is None:
                raise ProductError(f"{path}: no 1-D lon/lat (or x/y) coordinate variables; a GMT grid is expected")
            name = _grid_variable(ds, *coords)
            if name is None:
                raise ProductError(f"{path}: expected one 2-D variable on ({coords[1]}, {coords[0]})")
            x = np.asarray(ds.variables[coords[0]][:], dtype=float)
            y = np.asarray(ds.variables[coords[1]][:], dtype=float)
            unit = str(getattr(ds.variables[name], "units", "")).strip()
            title = str(getattr(ds, "title", "")).strip()
    except OSError as err:
        raise ProductError(f"{path}: cannot read as a GMT/NetCDF grid: {err}") from None
    if x.size < 2 or y.size < 2:
        raise ProductError(f"{path}: the grid needs at least 2x2 nodes, got {y.size}x{x.size}")
    dx, dy = np.diff(x), np.diff(y)
    if not (np.allclose(dx, dx[0], rtol=1e-4) and np.allclose(dy, dy[0], rtol=1e-4)):
        raise ProductError(f"{path}: coordinates are not regularly spaced")
    flip = dy[0] > 0                       # stored south to north
    x_step = float((x[-1] - x[0]) / (x.size - 1))
    y_step = -abs(float((y[-1] - y[0]) / (y.size - 1)))
    y_top = float(y.max())
    if not (np.abs(x).max() <= 360 and np.abs(y).max() <= 90):
        raise ProductError(f"{path}: projected x/y grid without a CRS; give a GeoTIFF with its CRS instead")
    grid = Grid(int(x.size), int(y.size), float(x[0]) - x_step / 2, y_top - y_step / 2, x_step, y_step, 4326)
    attrs = {**grid.to_attrs(), "FILE_TYPE": name, "UNIT": unit}
    if title:
        attrs["TITLE"] = title
    datasets = {name: DatasetInfo(name, grid.shape, np.dtype(np.float32), unit)}
    return Product(path, "gmtgrid", attrs, grid, datasets, [],
                   functools.partial(_read_window, path, name, grid.shape, flip))


def _read_window(path: Path, name: str, shape: tuple[int, int], flip: bool, _name, _epochs,
                 rows: slice, cols: slice) -> np.ndarray:
    """A window in north-to-south row order, masked values as NaN (module level: products pickle)."""
    import netCDF4

    r0, r1, _ = rows.indices(shape[0])
    c0, c1, _ = cols.indices(shape[1])
    with netCDF4.Dataset(path) as ds:
        var = ds.variables[name]
        var.set_auto_maskandscale(True)
        if flip:
            data = var[shape[0] - r1:shape[0] - r0, c0:c1][::-1]
        else:
            data = var[r0:r1, c0:c1]
    return np.ma.filled(np.ma.asarray(data, dtype=np.float32), np.nan)
