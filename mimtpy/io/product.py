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

    def describe(self) -> str:
        """One line per dataset, for logs and --dry-run."""
        lines = [f"{self.path} [{self.family}, FILE_TYPE={self.file_type or '?'}]"]
        for info in self.datasets.values():
            lines.append(f"  {info.name}: {info.shape} {info.dtype}")
        if self.dates:
            lines.append(f"  {len(self.dates)} dates {self.dates[0]} .. {self.dates[-1]}")
        return "\n".join(lines)
