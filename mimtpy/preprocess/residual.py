"""Difference of two LOS maps on a common grid, with optional ramp removal.

``residual = A - B`` where B is resampled onto A's pixel lattice over the overlap
(:func:`mimtpy.core.resample.common_grid` with ``align_to = 0``, coarsest step). Ramp removal fits,
by least squares over the valid pixels, ``r = c0 + c1 x + c2 y`` (linear) or ``+ c3 x^2 + c4 y^2 +
c5 x y`` (quadratic) with x, y the pixel-centre longitude and latitude minus those of the grid
centre (degrees; grid units for projected grids), and subtracts it. Units: both inputs in m (or
m/yr); they must be the same quantity.
"""

from __future__ import annotations

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError

RAMPS = ("none", "linear", "quadratic")


def ramp_design(grid: Grid, ramp: str) -> np.ndarray:
    """(length*width, k) design matrix of the ramp (see the module docstring)."""
    if ramp not in RAMPS[1:]:
        raise InputError(f"ramp '{ramp}' is not one of {', '.join(RAMPS)}")
    lons, lats = grid.lons(), grid.lats()
    y, x = np.meshgrid(lats - lats.mean(), lons - lons.mean(), indexing="ij")
    cols = [np.ones(x.size), x.ravel(), y.ravel()]
    if ramp == "quadratic":
        cols += [x.ravel() ** 2, y.ravel() ** 2, (x * y).ravel()]
    return np.stack(cols, axis=1)


def remove_ramp(data: np.ndarray, grid: Grid, ramp: str) -> tuple[np.ndarray, np.ndarray]:
    """(data minus the fitted ramp, ramp coefficients c0, c1, ...); 'none' returns the data unchanged."""
    if ramp == "none":
        return data, np.zeros(0)
    g = ramp_design(grid, ramp)
    ok = np.isfinite(data.ravel())
    if ok.sum() < g.shape[1] * 3:
        raise InputError(f"ramp removal: only {int(ok.sum())} valid pixels for a {ramp} ramp")
    coef, *_ = np.linalg.lstsq(g[ok], data.ravel()[ok], rcond=None)
    return data - (g @ coef).reshape(data.shape), coef


def difference(a: np.ndarray, grid_a: Grid, b: np.ndarray, grid_b: Grid,
               method: str = "nearest") -> tuple[np.ndarray, np.ndarray, np.ndarray, Grid]:
    """(A, B, A - B) on the common grid of the overlap."""
    from mimtpy.core.resample import common_grid, resample

    grid = common_grid([grid_a, grid_b], "intersection", align_to=0)
    ra = resample(a, grid_a, grid, method).astype(np.float64)
    rb = resample(b, grid_b, grid, method).astype(np.float64)
    return ra, rb, ra - rb, grid
