"""Least-squares straight line through every pixel's time series.

Convention: ``t`` in decimal years (MintPy's definition, :func:`mimtpy.core.dates.decimal_years`),
``y`` in metres, so the slope is in metres/year. Missing epochs are NaN and the fit uses
the epochs a pixel has. The standard deviation of the slope follows MintPy's
``--uncertainty residue``: ``sqrt(RSS / (n - 2) / sum((t - mean t)^2))`` over the pixel's
valid epochs (NaN when fewer than 3).
"""

from __future__ import annotations

import numpy as np

from mimtpy._kernels.linfit import fit_lines_kernel
from mimtpy.errors import InputError


def _check(y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    t = np.asarray(t, dtype=np.float64)
    if y.ndim != 2 or t.ndim != 1 or y.shape[0] != t.size:
        raise InputError(f"fit_lines: y must be (epoch, pixel) and t (epoch,), got {y.shape} and {t.shape}")
    if not np.all(np.isfinite(t)):
        raise InputError("fit_lines: times must be finite")
    return y, t - t.mean()


def fit_lines(y: np.ndarray, t: np.ndarray, min_count: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slope, slope std and number of valid epochs for every column of ``y``.

    ``y``: (epoch, pixel) float32/float64 with NaN for missing epochs; ``t``: (epoch,)
    decimal years. Pixels with fewer than ``min_count`` valid epochs get NaN.
    Runs the compiled kernel; :func:`fit_lines_numpy` is the reference implementation.
    """
    y, tc = _check(y, t)
    y32 = np.ascontiguousarray(y, dtype=np.float32)
    return fit_lines_kernel(y32, np.ascontiguousarray(tc), int(min_count))


def fit_lines_numpy(y: np.ndarray, t: np.ndarray, min_count: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised NumPy version of :func:`fit_lines` (same conventions, same results)."""
    y, tc = _check(y, t)
    y = np.asarray(y, dtype=np.float64)
    w = ~np.isnan(y)
    yz = np.where(w, y, 0.0)
    s0 = w.sum(axis=0).astype(np.float64)
    s1 = tc @ w
    s2 = (tc**2) @ w
    sy = yz.sum(axis=0)
    sty = tc @ yz
    with np.errstate(divide="ignore", invalid="ignore"):
        det = s0 * s2 - s1**2
        ok = (s0 >= max(min_count, 2)) & (det > 1e-12 * s0 * s2)
        slope = np.where(ok, (s0 * sty - s1 * sy) / det, np.nan)
        icpt = (sy - slope * s1) / s0
        resid = np.where(w, y - icpt - slope * tc[:, None], 0.0)
        rss = (resid**2).sum(axis=0)
        std = np.where(ok & (s0 >= 3), np.sqrt(rss / (s0 - 2) / (s2 - s1**2 / s0)), np.nan)
    count = s0.astype(np.int32)
    return slope, std, count
