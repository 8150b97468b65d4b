"""Common grids for several products and resampling onto them.

Registration follows :mod:`mimtpy.core.grid` (pixel-is-area; value at the pixel centre).
A common grid takes the coarsest step of the inputs and the pixel lattice of one chosen
input (``align_to``), so that the chosen input is never interpolated when it already has
the coarsest step; its extent is the intersection (overlap) or union of the inputs.
"""

from __future__ import annotations

import math

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError

_EPS = 1e-6


def common_grid(grids: list[Grid], extent: str = "intersection", align_to: int = 0) -> Grid:
    """The grid every input is resampled onto: coarsest step, lattice of ``grids[align_to]``.

    ``extent`` is 'intersection' (where all inputs are) or 'union' (where any input is).
    Raises InputError when the inputs do not overlap (intersection) or use different CRSs.
    """
    if not grids:
        raise InputError("no grids given")
    if len({g.epsg for g in grids}) > 1:
        raise InputError(f"inputs use different CRSs (EPSG {sorted({g.epsg for g in grids})}); reproject them first")
    if not 0 <= align_to < len(grids):
        raise InputError(f"alignTo {align_to} is not the index of an input (0..{len(grids) - 1})")
    base = grids[align_to]
    sx = max(abs(g.x_step) for g in grids) * (1 if base.x_step > 0 else -1)
    sy = max(abs(g.y_step) for g in grids) * (1 if base.y_step > 0 else -1)
    bounds = [g.snwe for g in grids]
    if extent == "intersection":
        s, n = max(b[0] for b in bounds), min(b[1] for b in bounds)
        w, e = max(b[2] for b in bounds), min(b[3] for b in bounds)
        if not (s < n and w < e):
            raise InputError("the inputs do not overlap")
        shrink = True
    elif extent == "union":
        s, n = min(b[0] for b in bounds), max(b[1] for b in bounds)
        w, e = min(b[2] for b in bounds), max(b[3] for b in bounds)
        shrink = False
    else:
        raise InputError(f"extent '{extent}' is not intersection or union")
    x0, y0 = base.x_first, base.y_first
    (c0, c1) = _index_range(w, e, x0, sx, shrink)
    (r0, r1) = _index_range(n, s, y0, sy, shrink) if sy < 0 else _index_range(s, n, y0, sy, shrink)
    if c1 <= c0 or r1 <= r0:
        raise InputError("the inputs overlap by less than one pixel of the common grid")
    return Grid(c1 - c0, r1 - r0, x0 + c0 * sx, y0 + r0 * sy, sx, sy, base.epsg)


def _index_range(lo: float, hi: float, origin: float, step: float, shrink: bool) -> tuple[int, int]:
    """Lattice edge indices k0 < k1 with origin + k * step spanning [lo, hi] (inside if shrink)."""
    a, b = (lo - origin) / step, (hi - origin) / step
    a, b = min(a, b), max(a, b)
    if shrink:
        return math.ceil(a - _EPS), math.floor(b + _EPS)
    return math.floor(a + _EPS), math.ceil(b - _EPS)


def same_lattice(src: Grid, dst: Grid) -> tuple[int, int] | None:
    """(row, col) offset of dst in src when both share steps and pixel edges, else None."""
    if not (math.isclose(src.x_step, dst.x_step, rel_tol=1e-9) and math.isclose(src.y_step, dst.y_step, rel_tol=1e-9)):
        return None
    col = (dst.x_first - src.x_first) / src.x_step
    row = (dst.y_first - src.y_first) / src.y_step
    if abs(col - round(col)) > 1e-3 or abs(row - round(row)) > 1e-3:
        return None
    return round(row), round(col)


def resample(data: np.ndarray, src: Grid, dst: Grid, method: str = "nearest") -> np.ndarray:
    """Values of ``data`` (on ``src``) at the pixel centres of ``dst``; NaN outside ``src``.

    ``method``: 'nearest', or 'bilinear' (a pixel next to no-data in the source stays NaN).
    Integer data (masks) is always resampled by nearest neighbour. Grids on the same
    lattice are cut, not interpolated; on the same grid the input itself is returned (as float32).
    """
    if method not in ("nearest", "bilinear"):
        raise InputError(f"resampling method '{method}' is not nearest or bilinear")
    out_dtype = np.float32
    if src == dst:
        return data.astype(out_dtype, copy=False)
    offset = same_lattice(src, dst)
    if offset is not None:
        out = np.full(dst.shape, np.nan, out_dtype)
        r, c = offset
        rs0, rs1 = max(r, 0), min(r + dst.length, src.length)
        cs0, cs1 = max(c, 0), min(c + dst.width, src.width)
        if rs1 > rs0 and cs1 > cs0:
            out[rs0 - r:rs1 - r, cs0 - c:cs1 - c] = data[rs0:rs1, cs0:cs1]
        return out
    lat, lon = dst.lats(), dst.lons()
    rows = (lat - src.y_first) / src.y_step - 0.5
    cols = (lon - src.x_first) / src.x_step - 0.5
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    values = data.astype(np.float64)
    if method == "nearest" or data.dtype.kind != "f":
        ri, ci = np.rint(rr).astype(np.int64), np.rint(cc).astype(np.int64)
        inside = (ri >= 0) & (ri < src.length) & (ci >= 0) & (ci < src.width)
        out = np.full(dst.shape, np.nan)
        out[inside] = values[ri[inside], ci[inside]]
        return out.astype(out_dtype)
    from scipy import ndimage  # imported here: the common same-lattice and nearest cases do not need it

    valid = np.isfinite(values)
    filled = np.where(valid, values, 0.0)
    num = ndimage.map_coordinates(filled, [rr, cc], order=1, mode="constant", cval=0.0)
    den = ndimage.map_coordinates(valid.astype(np.float64), [rr, cc], order=1, mode="constant", cval=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 1 - 1e-6, num / den, np.nan)
    edge = (rr < -0.5) | (rr > src.length - 0.5) | (cc < -0.5) | (cc > src.width - 0.5)
    out[edge] = np.nan
    return out.astype(out_dtype)
