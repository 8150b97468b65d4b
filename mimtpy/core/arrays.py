"""Lazy array-likes that build on each other: resampled, derived and stacked views of other arrays.

Each has ``shape``, ``dtype``, ``ndim``, ``row_bytes`` (what reading one full-width row costs in
memory, for the block planner of :func:`mimtpy.core.blocks.process_blocks`) and ``__getitem__``
taking slices of step 1 on the last two axes (rows, columns) and any index on leading axes. Nothing
is read until a window is asked for, so a chain (angles on a geometry grid -> nearest onto the
product grid -> LOS unit vector -> bilinear onto a common grid) reads only the source rows the
asked window needs. All pickle (module-level functions bound with ``functools.partial``), so Dask
workers can read their own blocks.

Registration follows :mod:`mimtpy.core.grid` (pixel-is-area; values at pixel centres).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.core.resample import same_lattice

FLOAT = np.dtype(np.float32)


def _window(key, shape: tuple[int, ...]) -> tuple[tuple, slice, slice]:
    """(leading index, rows, cols) of ``key`` on an array of ``shape``, rows/cols as absolute slices."""
    key = key if isinstance(key, tuple) else (key,)
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - len(key) + 1) + key[i + 1:]
    key = key + (slice(None),) * (len(shape) - len(key))
    rows, cols = key[-2], key[-1]
    if not (isinstance(rows, slice) and isinstance(cols, slice)):
        raise TypeError("rows and columns of a lazy array are read by slices")
    r0, r1, rs = rows.indices(shape[-2])
    c0, c1, cs = cols.indices(shape[-1])
    if rs != 1 or cs != 1:
        raise ValueError("rows and columns of a lazy array are read by slices of step 1")
    return key[:-2], slice(r0, max(r0, r1)), slice(c0, max(c0, c1))


def full_rows(array, rows: slice, cols: slice) -> np.ndarray:
    """``array[..., rows, cols]`` with every leading axis."""
    return np.asarray(array[(slice(None),) * (len(array.shape) - 2) + (rows, cols)])


def source_row_bytes(array) -> int:
    declared = getattr(array, "row_bytes", None)
    if declared is not None:
        return int(declared)
    lead = math.prod(array.shape[:-2]) if len(array.shape) > 2 else 1
    return int(lead * array.shape[-1] * np.dtype(array.dtype).itemsize)


class LazyArray(abc.ABC):
    """Common interface; subclasses implement ``_read(rows, cols)`` returning every leading axis."""

    shape: tuple[int, ...]
    dtype: np.dtype = FLOAT

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        lead, rows, cols = _window(key, self.shape)
        data = self._read(rows, cols)
        return data[(*lead, slice(None), slice(None))] if lead else data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        data = self[...]
        return data if dtype is None else data.astype(dtype)

    @abc.abstractmethod
    def _read(self, rows: slice, cols: slice) -> np.ndarray:
        """Every leading axis of the window ``rows`` x ``cols`` (absolute slices of step 1)."""


class ResampledArray(LazyArray):
    """``source`` (on ``src``) at the pixel centres of ``dst``: NaN outside ``src``; 'nearest' or
    'bilinear' (a pixel next to no-data stays NaN), exactly as :func:`mimtpy.core.resample.resample`
    on the whole grid, reading only the source rows and columns a window needs."""

    def __init__(self, source, src: Grid, dst: Grid, method: str = "nearest"):
        if method not in ("nearest", "bilinear"):
            raise ValueError(f"resampling method '{method}' is not nearest or bilinear")
        self.source, self.src, self.dst, self.method = source, src, dst, method
        self.lead = tuple(source.shape[:-2])
        self.shape = (*self.lead, dst.length, dst.width)
        self.offset = same_lattice(src, dst)
        kind = np.dtype(source.dtype).kind
        self.dtype = FLOAT
        self.nearest = method == "nearest" or kind != "f"
        # source rows one output row needs (whole source width: conservative), plus float64 work arrays; a grid
        # on the same lattice is only cut (no work arrays)
        lead_bytes = math.prod(self.lead or (1,)) * dst.width
        if src == dst or self.offset is not None:
            self.row_bytes = int(source_row_bytes(source) + lead_bytes * 4)
        else:
            rows_per_row = max(1.0, abs(dst.y_step / src.y_step)) if src.y_step else 1.0
            self.row_bytes = int(source_row_bytes(source) * rows_per_row * 2 + lead_bytes * 8)

    def _coords(self, rows: slice, cols: slice) -> tuple[np.ndarray, np.ndarray]:
        """Source row/column coordinates (float, whole-grid frame) of the window's pixel centres."""
        lat = self.dst.y_first + (np.arange(rows.start, rows.stop) + 0.5) * self.dst.y_step
        lon = self.dst.x_first + (np.arange(cols.start, cols.stop) + 0.5) * self.dst.x_step
        return (lat - self.src.y_first) / self.src.y_step - 0.5, (lon - self.src.x_first) / self.src.x_step - 0.5

    def _read(self, rows: slice, cols: slice) -> np.ndarray:
        out = np.full((*self.lead, rows.stop - rows.start, cols.stop - cols.start), np.nan, np.float32)
        if out.size == 0:
            return out
        if self.src == self.dst:
            return full_rows(self.source, rows, cols).astype(np.float32, copy=False)
        if self.offset is not None:
            r, c = self.offset
            rs0, rs1 = max(r + rows.start, 0), min(r + rows.stop, self.src.length)
            cs0, cs1 = max(c + cols.start, 0), min(c + cols.stop, self.src.width)
            if rs1 > rs0 and cs1 > cs0:
                out[..., rs0 - r - rows.start:rs1 - r - rows.start, cs0 - c - cols.start:cs1 - c - cols.start] = \
                    full_rows(self.source, slice(rs0, rs1), slice(cs0, cs1))
            return out
        rr, cc = self._coords(rows, cols)
        if self.nearest:
            ri, ci = np.rint(rr).astype(np.int64), np.rint(cc).astype(np.int64)
            rin = (ri >= 0) & (ri < self.src.length)
            cin = (ci >= 0) & (ci < self.src.width)
            if not rin.any() or not cin.any():
                return out
            r0, r1 = int(ri[rin].min()), int(ri[rin].max()) + 1
            c0, c1 = int(ci[cin].min()), int(ci[cin].max()) + 1
            data = full_rows(self.source, slice(r0, r1), slice(c0, c1)).astype(np.float64)
            picked = data[..., (ri[rin] - r0)[:, None], (ci[cin] - c0)[None, :]]
            out[..., np.nonzero(rin)[0][:, None], np.nonzero(cin)[0][None, :]] = picked
            return out
        from scipy import ndimage

        r0 = max(math.floor(rr.min()) - 1, 0)
        r1 = min(math.ceil(rr.max()) + 2, self.src.length)
        c0 = max(math.floor(cc.min()) - 1, 0)
        c1 = min(math.ceil(cc.max()) + 2, self.src.width)
        if r1 <= r0 or c1 <= c0:
            return out
        data = full_rows(self.source, slice(r0, r1), slice(c0, c1)).astype(np.float64)
        grid_r, grid_c = np.meshgrid(rr - r0, cc - c0, indexing="ij")
        edge = ((grid_r + r0 < -0.5) | (grid_r + r0 > self.src.length - 0.5) | (grid_c + c0 < -0.5)
                | (grid_c + c0 > self.src.width - 0.5))
        for index in np.ndindex(*self.lead):
            values = data[index]
            valid = np.isfinite(values)
            num = ndimage.map_coordinates(np.where(valid, values, 0.0), [grid_r, grid_c], order=1, mode="constant",
                                          cval=0.0)
            den = ndimage.map_coordinates(valid.astype(np.float64), [grid_r, grid_c], order=1, mode="constant",
                                          cval=0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                layer = np.where(den > 1 - 1e-6, num / den, np.nan)
            layer[edge] = np.nan
            out[index] = layer
        return out


class DerivedArray(LazyArray):
    """``func({name: window of inputs[name]}, window=(rows, cols))`` on each window (rows and cols
    are the slices of the window in the grid): an array with
    leading axes ``lead`` (e.g. the velocity and its std fitted from a time series, or the LOS unit
    vector from incidence and azimuth). ``inputs`` share their last two axes with ``grid_shape``."""

    def __init__(self, inputs: Mapping[str, Any], func: Callable[..., np.ndarray], grid_shape: tuple[int, int],
                 lead: tuple[int, ...] = (), dtype=FLOAT, work_factor: float = 1.0):
        self.inputs, self.func = dict(inputs), func
        self.shape = (*lead, *grid_shape)
        self.lead = lead
        self.dtype = np.dtype(dtype)
        self.row_bytes = int(sum(source_row_bytes(a) for a in self.inputs.values()) * (1 + work_factor)
                             + math.prod(lead or (1,)) * grid_shape[1] * self.dtype.itemsize)

    def _read(self, rows: slice, cols: slice) -> np.ndarray:
        blocks = {name: full_rows(a, rows, cols) for name, a in self.inputs.items()}
        return np.asarray(self.func(blocks, window=(rows, cols)))


class StackedArray(LazyArray):
    """2-D array-likes stacked on a new first axis, each multiplied by its factor; None = NaN."""

    def __init__(self, arrays: Sequence[Any | None], factors: Sequence[float] | None = None):
        present = [a for a in arrays if a is not None]
        if not present:
            raise ValueError("StackedArray needs at least one array")
        self.arrays = list(arrays)
        self.factors = list(factors) if factors is not None else [1.0] * len(arrays)
        self.shape = (len(arrays), *present[0].shape[-2:])
        self.row_bytes = sum(source_row_bytes(a) for a in present) + len(arrays) * self.shape[-1] * 4

    def _read(self, rows: slice, cols: slice) -> np.ndarray:
        out = np.full((len(self.arrays), rows.stop - rows.start, cols.stop - cols.start), np.nan, np.float32)
        for k, (array, factor) in enumerate(zip(self.arrays, self.factors, strict=True)):
            if array is not None:
                out[k] = np.asarray(array[rows, cols], dtype=np.float32) * np.float32(factor)
        return out
