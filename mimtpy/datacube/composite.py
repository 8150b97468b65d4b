"""Selecting layers of a velocity cube by time and space, and robust composites of them.

* Time: layers whose date (ITS_LIVE ``mid_date`` day, YYYYMMDD) lies in a period ``D1_D2`` (inclusive),
  optionally only in some months (a season), or in one calendar year (annual composites).
* Space: a lon/lat box (S N W E, transformed to the cube CRS, pixel centres inside the transformed box)
  or a box in the cube's own CRS (xmin ymin xmax ymax).
* Composite of each component per pixel: the WEIGHTED MEDIAN with weights ``1 / v_error^2`` (the lower
  weighted median: the smallest value whose cumulative weight reaches half the total weight), the plain
  median (equal weights, numpy's median) or the mean; ``count`` = number of layers with a valid value
  (and a valid, positive error when weighted). Pixels with fewer than ``min_count`` layers are NaN.
  The speed ``v`` of the composite is ``hypot(vx, vy)`` of the composited components.
Cubes are read in row blocks under the memory budget.
"""

from __future__ import annotations

import logging

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError
from mimtpy.io.product import Product

logger = logging.getLogger(__name__)


def parse_period(text: str | None, source: str = "period") -> tuple[str, str] | None:
    """``D1_D2`` (YYYYMMDD_YYYYMMDD) -> (D1, D2); None/auto -> None."""
    from mimtpy.core.dates import parse_date

    if text is None or str(text).strip().lower() in ("", "auto", "none"):
        return None
    parts = str(text).strip().split("_")
    if len(parts) != 2:
        raise InputError(f"{source}: '{text}' is not a period YYYYMMDD_YYYYMMDD")
    d1, d2 = (parse_date(p, source) for p in parts)
    if d2 < d1:
        raise InputError(f"{source}: '{text}' ends before it starts")
    return parts[0], parts[1]


def parse_months(text: str | None, source: str = "season") -> tuple[int, ...] | None:
    """Months of a season: numbers 1-12 separated by spaces or commas (e.g. ``6 7 8``); None/auto -> all."""
    if text is None or str(text).strip().lower() in ("", "auto", "none", "all"):
        return None
    try:
        months = tuple(int(m) for m in str(text).replace(",", " ").split())
    except ValueError:
        raise InputError(f"{source}: '{text}' is not a list of month numbers 1-12") from None
    if not months or any(not 1 <= m <= 12 for m in months):
        raise InputError(f"{source}: '{text}' is not a list of month numbers 1-12")
    return months


def select_layers(dates: list[str], period: tuple[str, str] | None = None, months: tuple[int, ...] | None = None,
                  year: int | None = None, source: str = "cube") -> np.ndarray:
    """Indices of the layers (in ``dates`` order) that match; InputError when none does."""
    idx = []
    for i, d in enumerate(dates):
        if period and not (period[0] <= d <= period[1]):
            continue
        if months and int(d[4:6]) not in months:
            continue
        if year is not None and int(d[:4]) != year:
            continue
        idx.append(i)
    if not idx:
        what = ", ".join(filter(None, [f"period {period[0]}_{period[1]}" if period else "",
                                       f"months {months}" if months else "", f"year {year}" if year else ""]))
        span = f"{dates[0]}..{dates[-1]}" if dates else "no layers"
        raise InputError(f"{source}: no layer in {what or 'the selection'} (data: {span})")
    return np.asarray(idx, dtype=np.int64)


def bbox_window(grid: Grid, snwe: tuple | None = None, bbox: tuple | None = None) -> tuple[slice, slice]:
    """Rows and columns of the pixels inside a lon/lat ``snwe`` box or a cube-CRS ``bbox`` (xmin ymin xmax ymax)."""
    if bbox:
        xmin, ymin, xmax, ymax = bbox
        return grid.window((ymin, ymax, xmin, xmax))
    if snwe:
        if grid.epsg == 4326:
            return grid.window(tuple(snwe))
        from pyproj import Transformer

        s, n, w, e = snwe
        lon = np.concatenate([np.linspace(w, e, 21), np.full(21, e), np.linspace(e, w, 21), np.full(21, w)])
        lat = np.concatenate([np.full(21, s), np.linspace(s, n, 21), np.full(21, n), np.linspace(n, s, 21)])
        x, y = Transformer.from_crs(4326, grid.epsg, always_xy=True).transform(lon, lat)
        return grid.window((float(np.min(y)), float(np.max(y)), float(np.min(x)), float(np.max(x))))
    return slice(0, grid.length), slice(0, grid.width)


def weighted_median(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Lower weighted median along axis 0 and the number of valid layers (NaN values or weights <= 0 are left
    out). ``values``: (layers, n); ``weights``: same shape or None (equal weights)."""
    values = np.asarray(values, dtype=np.float64)
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=np.float64)
    valid = np.isfinite(values) & np.isfinite(w) & (w > 0)
    count = valid.sum(axis=0)
    # pixel-major copies: sorting and gathering along the contiguous last axis is several times faster
    vals = np.ascontiguousarray(np.where(valid, values, np.inf).T)          # invalid sort last
    wts = np.ascontiguousarray(np.where(valid, w, 0.0).T)
    order = np.argsort(vals, axis=1, kind="stable")
    rows = np.arange(vals.shape[0])[:, None]
    cw = np.cumsum(wts[rows, order], axis=1)
    total = cw[:, -1:] if cw.shape[1] else np.zeros((vals.shape[0], 1))
    first = np.argmax(cw >= 0.5 * total, axis=1)
    med = vals[rows[:, 0], order[rows[:, 0], first]]
    return np.where(count > 0, med, np.nan), count


def composite_block(vx: np.ndarray, vy: np.ndarray, err: np.ndarray | None, how: str,
                    min_count: int) -> dict[str, np.ndarray]:
    """Composite of one block: (layers, rows, cols) in, dict of (rows, cols) float32 out."""
    n, rows, cols = vx.shape
    a, b = vx.reshape(n, -1), vy.reshape(n, -1)
    if how == "weighted_median":
        if err is None:
            raise InputError("composite = weighted_median needs an error variable (v_error); use median")
        e = err.reshape(n, -1).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(np.isfinite(e) & (e > 0), 1.0 / e**2, 0.0)
        w = np.where(np.isfinite(a) & np.isfinite(b), w, 0.0)
        mx, count = weighted_median(a, w)
        my, _ = weighted_median(b, w)
    elif how == "median":
        both = np.isfinite(a) & np.isfinite(b)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mx = np.nanmedian(np.where(both, a, np.nan), axis=0)
                my = np.nanmedian(np.where(both, b, np.nan), axis=0)
        count = both.sum(axis=0)
    elif how == "mean":
        both = np.isfinite(a) & np.isfinite(b)
        count = both.sum(axis=0)
        with np.errstate(all="ignore"):
            mx = np.where(both, a, 0).sum(axis=0) / count
            my = np.where(both, b, 0).sum(axis=0) / count
    else:
        raise InputError(f"composite '{how}' is not one of: weighted_median, median, mean")
    keep = count >= max(1, min_count)
    mx, my = np.where(keep, mx, np.nan), np.where(keep, my, np.nan)
    return {"vx": mx.reshape(rows, cols).astype(np.float32), "vy": my.reshape(rows, cols).astype(np.float32),
            "v": np.hypot(mx, my).reshape(rows, cols).astype(np.float32),
            "count": count.reshape(rows, cols).astype(np.int32)}


def composite(product: Product, vx_name: str, vy_name: str, err_name: str | None, layers: np.ndarray,
              rows: slice, cols: slice, how: str = "weighted_median", min_count: int = 1,
              max_memory_gb: float = 1.0) -> dict[str, np.ndarray]:
    """Composite of ``layers`` of a cube over the window, read in row blocks under the memory budget."""
    from mimtpy.core.blocks import iterate_blocks, row_blocks

    length, width = rows.stop - rows.start, cols.stop - cols.start
    out = {"vx": np.full((length, width), np.nan, np.float32), "vy": np.full((length, width), np.nan, np.float32),
           "v": np.full((length, width), np.nan, np.float32), "count": np.zeros((length, width), np.int32)}
    n = len(layers)
    per_row = n * width * 8 * (12 if how == "weighted_median" else 4)
    for blk in iterate_blocks(row_blocks(length, per_row, max_memory_gb), f"composite {product.path.name}"):
        r = slice(rows.start + blk.start, rows.start + blk.stop)
        vx = product.read(vx_name, r, cols, layers)
        vy = product.read(vy_name, r, cols, layers)
        err = product.read(err_name, r, cols, layers) if err_name else None
        res = composite_block(vx, vy, err, how, min_count)
        for key, val in res.items():
            out[key][blk] = val
    return out
