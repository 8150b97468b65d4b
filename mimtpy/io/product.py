"""The in-memory model every reader returns.

A :class:`Product` holds metadata (MintPy attribute names), a :class:`~mimtpy.core.grid.Grid`,
the acquisition dates of a time series and a table of datasets. Arrays are read lazily,
window by window, through :meth:`Product.read`, so opening a multi-GB file costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError

#: reads dataset ``name`` for (epochs, rows, cols); epochs is None for 2-D datasets
ReadFn = Callable[[str, "slice | np.ndarray | None", slice, slice], np.ndarray]


@dataclass(frozen=True)
class DatasetInfo:
    """Shape and dtype of one dataset, without its data."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    unit: str = ""

    @property
    def is_3d(self) -> bool:
        return len(self.shape) == 3


@dataclass
class Product:
    """A product on disk: ``family`` is 'hdfeos5', 'mintpy' or 'geotiff'."""

    path: Path
    family: str
    attrs: dict[str, str]
    grid: Grid
    datasets: dict[str, DatasetInfo]
    dates: list[str] = field(default_factory=list)
    _read: ReadFn | None = field(default=None, repr=False)

    @property
    def file_type(self) -> str:
        return self.attrs.get("FILE_TYPE", "")

    def require(self, name: str) -> DatasetInfo:
        """The dataset ``name`` or a ProductError that lists what the file has."""
        if name not in self.datasets:
            have = ", ".join(sorted(self.datasets)) or "none"
            raise ProductError(f"{self.path}: no dataset '{name}' (the file has: {have})")
        return self.datasets[name]

    def require_attrs(self, *names: str) -> None:
        """ProductError naming every attribute of ``names`` that the file lacks."""
        missing = [n for n in names if n not in self.attrs]
        if missing:
            raise ProductError(f"{self.path}: missing attribute(s) {', '.join(missing)}")

    def read(
        self,
        name: str,
        rows: slice = slice(None),
        cols: slice = slice(None),
        epochs: slice | np.ndarray | None = None,
    ) -> np.ndarray:
        """Read a window of dataset ``name``; 3-D datasets return (epoch, row, col).

        Values are returned as stored (no-data as NaN for float data).
        """
        info = self.require(name)
        if info.is_3d and epochs is None:
            epochs = slice(None)
        assert self._read is not None
        try:
            return self._read(name, epochs if info.is_3d else None, rows, cols)
        except (OSError, KeyError, RuntimeError) as err:
            raise ProductError(f"{self.path}: cannot read dataset '{name}': {err}") from None

    def array(self, name: str, rows: slice | None = None, cols: slice | None = None,
              epochs: slice | np.ndarray | None = None) -> DatasetArray:
        """An array-like window of dataset ``name`` (read lazily, block by block; picklable)."""
        self.require(name)
        return DatasetArray(self, name, rows, cols, epochs)

    def describe(self) -> str:
        """One line per dataset, for logs and --dry-run."""
        lines = [f"{self.path} [{self.family}, FILE_TYPE={self.file_type or '?'}]"]
        for info in self.datasets.values():
            lines.append(f"  {info.name}: {info.shape} {info.dtype}")
        if self.dates:
            lines.append(f"  {len(self.dates)} dates {self.dates[0]} .. {self.dates[-1]}")
        return "\n".join(lines)


def _absolute(window: slice, size: int) -> tuple[int, int]:
    start, stop, step = window.indices(size)
    if step != 1:
        raise ValueError("windows of a dataset take slices with step 1")
    return start, max(start, stop)


class DatasetArray:
    """A window (rows, columns, epochs) of one dataset of a :class:`Product`, read only when indexed.

    Array-like: ``shape``, ``dtype``, ``ndim`` and ``__getitem__`` with slices of step 1 on the
    last two axes (rows, columns) and a slice or integer array on the first axis of a 3-D dataset,
    all relative to the window; so it feeds :func:`mimtpy.core.blocks.process_blocks` and
    ``dask.array.from_array``. It pickles (path, reader and window), so Dask workers read their
    own blocks.
    """

    def __init__(self, product: Product, name: str, rows: slice | None = None, cols: slice | None = None,
                 epochs: slice | np.ndarray | None = None):
        info = product.datasets[name]
        self.product, self.name = product, name
        length, width = info.shape[-2:]
        self.r0, self.r1 = _absolute(rows or slice(None), length)
        self.c0, self.c1 = _absolute(cols or slice(None), width)
        if info.is_3d:
            index = np.arange(info.shape[0])[epochs if epochs is not None else slice(None)]
            self.epochs: np.ndarray | None = np.atleast_1d(index)
        else:
            self.epochs = None
        self.dtype = np.dtype(np.float32) if info.dtype.kind == "f" else info.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        plane = (self.r1 - self.r0, self.c1 - self.c0)
        return plane if self.epochs is None else (self.epochs.size, *plane)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        if Ellipsis in key:
            i = key.index(Ellipsis)
            key = key[:i] + (slice(None),) * (self.ndim - len(key) + 1) + key[i + 1:]
        key = key + (slice(None),) * (self.ndim - len(key))
        if any(not isinstance(k, slice) for k in key[-2:]):
            raise TypeError(f"{self.product.path}: {self.name}: rows and columns are read by slices")
        r0, r1 = _absolute(key[-2], self.r1 - self.r0)
        c0, c1 = _absolute(key[-1], self.c1 - self.c0)
        rows, cols = slice(self.r0 + r0, self.r0 + r1), slice(self.c0 + c0, self.c0 + c1)
        if self.epochs is None:
            data = self.product.read(self.name, rows, cols)
        else:
            picked = np.atleast_1d(self.epochs[key[0]])
            contiguous = picked.size > 0 and np.array_equal(picked, np.arange(picked[0], picked[0] + picked.size))
            epochs = slice(int(picked[0]), int(picked[0]) + picked.size) if contiguous else picked
            data = self.product.read(self.name, rows, cols, epochs)
            if np.ndim(self.epochs[key[0]]) == 0:
                data = data[0]
        return data.astype(self.dtype, copy=False) if data.dtype.kind == "f" else data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        data = self[...]
        return data if dtype is None else data.astype(dtype)
