"""The reference point: where it is, its value, re-referencing, and the REF_* attributes to write.

The value of a product at a reference point is the median of the 3x3 pixels around it (NaN
ignored), in every epoch for a time series. Re-referencing subtracts that value, in memory:
inputs are never modified (MimtPy rewrote REF_LAT/REF_LON of input files; mimtpy never does).
Outputs carry the point actually used as ``REF_LAT``/``REF_LON`` and, when it lies on their grid,
``REF_Y``/``REF_X`` (row, column of that grid).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.errors import InputError

if TYPE_CHECKING:
    from mimtpy.core.grid import Grid
    from mimtpy.io import Product

logger = logging.getLogger(__name__)

REF_KEYS = ("REF_LAT", "REF_LON", "REF_Y", "REF_X")


def window(grid: Grid, lat: float, lon: float) -> tuple[slice, slice]:
    """Rows and columns of the 3x3 pixels around (lat, lon) (cut at the grid edge); InputError outside."""
    row, col = grid.lalo_to_rowcol(lat, lon)
    return slice(max(row - 1, 0), row + 2), slice(max(col - 1, 0), col + 2)


def product_point(product: Product) -> tuple[float, float] | None:
    """(lat, lon) of a product's reference point: REF_LAT/REF_LON, else REF_Y/REF_X on its grid, else None."""
    a = product.attrs
    if "REF_LAT" in a and "REF_LON" in a:
        return float(a["REF_LAT"]), float(a["REF_LON"])
    if "REF_Y" in a and "REF_X" in a:
        return product.grid.rowcol_to_lalo(int(a["REF_Y"]), int(a["REF_X"]))
    return None


def value_at(data, grid: Grid, lat: float, lon: float, source: str, layer: int | None = None) -> float:
    """Median of the 3x3 pixels of a 2-D array (or array-like; of its ``layer`` along the first axis)
    around (lat, lon); InputError naming ``source`` when the point is outside the grid or has no data."""
    try:
        rows, cols = window(grid, lat, lon)
    except InputError as err:
        raise InputError(f"{source}: reference {err}") from None
    win = np.asarray(data[rows, cols] if layer is None else data[layer, rows, cols], dtype=np.float64)
    if not np.isfinite(win).any():
        raise InputError(f"{source}: no valid data at the reference point lat={lat}, lon={lon}; "
                         "choose another reference point")
    return float(np.nanmedian(win))


def series_at(product: Product, point: tuple[float, float], epochs: slice | np.ndarray,
              name: str = "timeseries") -> np.ndarray:
    """Per-epoch median of the 3x3 pixels of a time series around ``point``; InputError when an
    epoch has no valid data there."""
    try:
        rows, cols = window(product.grid, *point)
    except InputError as err:
        raise InputError(f"{product.path}: reference {err}") from None
    cube = product.read(name, rows, cols, epochs).astype(np.float64)
    cube = cube.reshape(cube.shape[0], -1)
    valid = np.isfinite(cube).any(axis=1)
    if not valid.all():
        raise InputError(f"{product.path}: reference point lat={point[0]}, lon={point[1]} has no valid data "
                         "in some epochs of the period; choose another reference point")
    with np.errstate(all="ignore"):
        return np.nanmedian(cube, axis=1)


def common_point(valid: np.ndarray, grid: Grid, wanted: tuple[float, float] | None, names: str) -> tuple[float, float]:
    """``wanted`` when the 3x3 pixels around it hold valid data in ``valid`` (a 2-D boolean map, e.g.
    where every track has data), else the nearest pixel that does (logged); InputError naming ``names``
    when no pixel is valid."""
    if not valid.any():
        raise InputError(f"no valid pixel in common: {names}")
    centre = ((grid.length - 1) / 2, (grid.width - 1) / 2)
    if wanted is not None:
        try:
            rows, cols = window(grid, *wanted)
            if valid[rows, cols].any():
                return wanted
            centre = grid.lalo_to_rowcol(*wanted)
        except InputError:
            pass
    rows, cols = np.nonzero(valid)
    k = int(np.argmin((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2))
    point = grid.rowcol_to_lalo(rows[k], cols[k])
    if wanted is not None:
        logger.warning("reference point %.5f, %.5f has no data in every input; using the nearest common pixel "
                       "%.5f, %.5f (set the reference point to choose)", *wanted, *point)
    return point


def attrs_for(point: tuple[float, float] | None, grid: Grid) -> dict:
    """REF_LAT/REF_LON of ``point`` and REF_Y/REF_X on ``grid`` when it lies on it ({} for None)."""
    if point is None:
        return {}
    lat, lon = point
    attrs: dict = {"REF_LAT": lat, "REF_LON": lon}
    try:
        row, col = grid.lalo_to_rowcol(lat, lon)
        attrs.update(REF_Y=row, REF_X=col)
    except InputError:
        logger.info("reference point %.5f, %.5f lies outside the output grid", lat, lon)
    return attrs


def without_reference(attrs: dict) -> dict:
    """``attrs`` without REF_LAT/REF_LON/REF_Y/REF_X (before writing those of the point used)."""
    return {k: v for k, v in attrs.items() if k not in REF_KEYS}
