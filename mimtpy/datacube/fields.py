"""Velocity fields of the strain and track steps: a cube (composited over selected layers) or two rasters.

Input forms:
* one cube (NetCDF/Zarr, e.g. ITS_LIVE, or any product with 3-D ``vx``/``vy``): the layers selected by
  period / season (/ year for annual composites) are composited per pixel (:mod:`.composite`);
* one product with 2-D components (a cube or .h5 with ``vx``/``vy`` or ``east``/``north``);
* two single-band rasters (x/east and y/north components, m/yr) on the same grid.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mimtpy.core.dates import decimal_years
from mimtpy.core.grid import Grid
from mimtpy.datacube.composite import bbox_window, composite, select_layers
from mimtpy.errors import InputError
from mimtpy.io import Product, open_product

logger = logging.getLogger(__name__)

X_NAMES = ("vx", "east", "ve", "velocity_east", "u")
Y_NAMES = ("vy", "north", "vn", "velocity_north", "v_north")
ERROR_NAMES = ("v_error", "verror", "v_err")


@dataclass
class Field:
    """One composited field: ``vx``, ``vy``, ``v`` (m/yr), ``count`` on ``grid``; ``label`` ('' or a year);
    ``time`` = mean decimal year of the layers used (None for 2-D inputs)."""

    label: str
    grid: Grid
    data: dict[str, np.ndarray]
    time: float | None


def _name(product: Product, wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    if wanted:
        product.require(wanted)
        return wanted
    for name in candidates:
        if name in product.datasets:
            return name
    have = ", ".join(product.datasets) or "none"
    raise InputError(f"{product.path}: no {what} velocity component (looked for {', '.join(candidates)}; the file "
                     f"has: {have}); name it with --{'vx' if what == 'x' else 'vy'}")


def open_components(paths: list[Path], vx: str | None, vy: str | None) -> tuple[Product, str, Product, str]:
    """(product, name) of the x and y components; InputError for the wrong number of inputs or grids."""
    if len(paths) == 1:
        product = open_product(paths[0])
        return product, _name(product, vx, X_NAMES, "x"), product, _name(product, vy, Y_NAMES, "y")
    if len(paths) == 2:
        px, py = open_product(paths[0]), open_product(paths[1])
        nx = vx if vx else next(iter(px.datasets))
        ny = vy if vy else next(iter(py.datasets))
        px.require(nx)
        py.require(ny)
        gx, gy = px.grid, py.grid
        if gx.shape != gy.shape or gx.epsg != gy.epsg or not np.allclose(
                (gx.x_first, gx.y_first, gx.x_step, gx.y_step), (gy.x_first, gy.y_first, gy.x_step, gy.y_step),
                rtol=0, atol=1e-9 * max(abs(gx.x_step), 1e-12) + 1e-9):
            raise InputError(f"{paths[0]} and {paths[1]}: the x and y components are on different grids "
                             f"({gx} vs {gy})")
        return px, nx, py, ny
    raise InputError(f"give one cube or two rasters (vx, vy), got {len(paths)} inputs")


def velocity_fields(paths: list[Path], vx: str | None = None, vy: str | None = None, error: str | None = None,
                    period: tuple[str, str] | None = None, months: tuple[int, ...] | None = None,
                    annual: bool = False, snwe: tuple | None = None, bbox: tuple | None = None,
                    how: str = "auto", min_count: int = 1, max_memory_gb: float = 1.0) -> list[Field]:
    """The field(s) to analyse: one composite (or one per calendar year with ``annual``)."""
    px, nx, py, ny = open_components(paths, vx, vy)
    rows, cols = bbox_window(px.grid, snwe, bbox)
    grid = px.grid.subset(rows, cols)
    three_d = px.datasets[nx].is_3d
    if three_d != py.datasets[ny].is_3d:
        raise InputError(f"{px.path}: '{nx}' and '{ny}' differ in dimensions")
    if not three_d:
        if period or months or annual:
            logger.warning("%s: 2-D velocity components; period/season/annual selection does not apply", px.path)
        u = px.read(nx, rows, cols).astype(np.float32)
        v = py.read(ny, rows, cols).astype(np.float32)
        count = (np.isfinite(u) & np.isfinite(v)).astype(np.int32)
        return [Field("", grid, {"vx": u, "vy": v, "v": np.hypot(u, v), "count": count}, None)]
    if px is not py:
        raise InputError("two 3-D inputs are not supported; give one cube with both components")
    if error is None:
        error = next((n for n in ERROR_NAMES if n in px.datasets), None)
    elif error.lower() in ("none", "no"):
        error = None
    else:
        px.require(error)
    if how == "auto":
        how = "weighted_median" if error else "median"
    if how == "weighted_median" and not error:
        raise InputError(f"{px.path}: composite = weighted_median needs an error variable (one of "
                         f"{', '.join(ERROR_NAMES)}); none found, use composite = median")
    layers = select_layers(px.dates, period, months, None, str(px.path))
    groups: list[tuple[str, np.ndarray]]
    if annual:
        years = sorted({int(px.dates[i][:4]) for i in layers})
        groups = [(str(y), layers[[int(px.dates[i][:4]) == y for i in layers]]) for y in years]
    else:
        groups = [("", layers)]
    fields = []
    for label, idx in groups:
        logger.info("%s: composite (%s) of %d layer(s)%s", px.path.name, how, idx.size, f" in {label}" if label else "")
        data = composite(px, nx, ny, error if how == "weighted_median" else None, idx, rows, cols, how, min_count,
                         max_memory_gb)
        t = float(np.mean(decimal_years([px.dates[i] for i in idx])))
        fields.append(Field(label, grid, data, t))
    return fields
