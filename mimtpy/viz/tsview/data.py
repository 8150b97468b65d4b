"""Data layer of the time-series viewer: lazy reading of one pixel's series and of one decimated map.

Nothing here holds a whole cube. A map is computed on the *display grid* of a product
(:func:`mimtpy.viz.maps.display_grid`: every k-th row and column, at most ``max_pixels`` along a side):
the cube is read in windows of whole rows (:meth:`mimtpy.io.Product.read`, the epochs of the period,
the full width), each bounded by the memory budget, decimated to every k-th row and column and reduced at
once to a velocity (:func:`mimtpy.ops.velocity.velocity_block`) or a
displacement (:func:`mimtpy.ops.velocity.displacement_block`). A pixel's series is one
``Product.read(name, rows=slice(r, r + 1), cols=slice(c, c + 1))``.

Conventions: values are stored in metres (m/yr) and shown in mm (mm/yr), LOS positive toward the
satellite; data are shown as stored (referenced to the product's own reference point, not
re-referenced). A point (lat, lon) falls in the pixel whose area contains it (MintPy grids are
pixel-is-area: ``X_FIRST``/``Y_FIRST`` are the outer corner, the centre of pixel (row, col) is
``first + (index + 0.5) * step``). A period is the acquisitions whose dates lie within
``[start, end]`` (inclusive, no snapping); its rate is the least-squares line through those
epochs (:func:`mimtpy.core.linfit.fit_lines`, decimal years as MintPy) with MintPy's residual
standard deviation of the slope.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mimtpy.core.dates import decimal_years, parse_date
from mimtpy.core.grid import Grid
from mimtpy.core.linfit import fit_lines
from mimtpy.errors import InputError, ProductError
from mimtpy.io import Product, open_product
from mimtpy.ops.datasets import main_dataset
from mimtpy.ops.paths import project_name
from mimtpy.ops.units import display_unit, unit_text
from mimtpy.ops.velocity import displacement_block, velocity_block
from mimtpy.viz.maps import display_grid, read_display

logger = logging.getLogger(__name__)

#: most pixels along a side of a viewer map
MAX_PIXELS = 1000
#: map kinds computed from a time series (other kinds are 2-D datasets of the file)
SERIES_KINDS = ("velocity", "displacement")
SERIES = "timeseries"


@dataclass(frozen=True)
class Rate:
    """Linear rate of one series over a period: ``rate`` and ``std`` in m/yr, ``count`` epochs used,
    ``intercept`` in m at decimal year ``t0`` (the mean time of the epochs used)."""

    rate: float
    std: float
    count: int
    intercept: float
    t0: float


@dataclass
class MapImage:
    """One viewer map: ``values`` in display units on the decimated ``grid`` (every ``k``-th pixel)."""

    values: np.ndarray
    grid: Grid
    k: int
    kind: str
    unit: str
    factor: float
    title: str
    ref: tuple[float, float] | None = None

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(west, east, south, north) outer bounds of the display grid."""
        s, n, w, e = self.grid.snwe
        return (w, e, s, n)


@dataclass
class Source:
    """One product of the viewer: its time series (if any), its maps and where its pixels are."""

    path: Path
    product: Product
    label: str
    maps: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def open(cls, path: str | Path, label: str | None = None) -> Source:
        """Open ``path`` lazily (any product mimtpy reads); ProductError when it is neither a time series nor
        a map."""
        product = open_product(path)
        has_series = SERIES in product.datasets and len(product.dates) >= 2
        flat = [n for n, info in product.datasets.items() if not info.is_3d]
        if not has_series and not flat:
            raise ProductError(f"{product.path}: nothing to show: no time series ('{SERIES}' with 2 or more dates) "
                               f"and no 2-D dataset")
        kinds = (*SERIES_KINDS, *flat) if has_series else tuple(_ordered(product, flat))
        return cls(product.path, product, label or default_label(product.path), kinds)

    @property
    def has_series(self) -> bool:
        return SERIES in self.product.datasets and len(self.product.dates) >= 2

    @property
    def dates(self) -> list[str]:
        return list(self.product.dates) if self.has_series else []

    @property
    def grid(self) -> Grid:
        return self.product.grid

    def times(self) -> np.ndarray:
        """Decimal years of the acquisitions (MintPy's definition)."""
        return decimal_years(self.dates)

    def locate(self, lat: float, lon: float) -> tuple[int, int]:
        """(row, col) of the pixel containing (lat, lon); InputError naming the file when outside its grid."""
        try:
            return self.grid.lalo_to_rowcol(lat, lon)
        except InputError as err:
            raise InputError(f"{self.label}: {err}") from None

    def pixel_series(self, row: int, col: int) -> np.ndarray:
        """The series (m, float64, NaN where missing) of pixel (row, col): one read of a 1 x 1 window."""
        if not self.has_series:
            raise InputError(f"{self.path}: FILE_TYPE={self.product.file_type or '?'} has no time series "
                             f"(a map only)")
        data = self.product.read(SERIES, rows=slice(row, row + 1), cols=slice(col, col + 1))
        return np.asarray(data, dtype=np.float64).reshape(-1)

    def pixel_value(self, name: str, row: int, col: int) -> float:
        """Value of 2-D dataset ``name`` at pixel (row, col), as stored."""
        return float(np.asarray(self.product.read(name, rows=slice(row, row + 1), cols=slice(col, col + 1)))
                     .reshape(-1)[0])

    def period(self, start: str | None, end: str | None) -> np.ndarray:
        """Indices of the acquisitions with ``start <= date <= end`` (None = open end)."""
        return period_indices(self.dates, start, end, self.label)

    def map(self, kind: str, start: str | None = None, end: str | None = None, max_pixels: int = MAX_PIXELS,
            max_memory: float = 1.0) -> MapImage:
        """The map ``kind`` (velocity | displacement over the period, or a 2-D dataset) on the display grid."""
        return decimated_map(self, kind, start, end, max_pixels, max_memory)


def default_label(path: Path) -> str:
    """A short label of a file: ``<project>/<file name>`` (the project folder as MimtPy names it)."""
    project = project_name(path)
    return f"{project}/{path.name}" if project and project != path.stem else path.name


def _ordered(product: Product, names: list[str]) -> list[str]:
    """The file's main 2-D dataset first."""
    try:
        first = main_dataset(product, allow_3d=False)
    except InputError:
        return names
    return [first, *(n for n in names if n != first)]


def period_indices(dates: list[str], start: str | None, end: str | None, source: str = "") -> np.ndarray:
    """Indices of ``dates`` (YYYYMMDD, increasing) within ``[start, end]``; InputError when fewer than 2."""
    lo = parse_date(start, "start date") if start else None
    hi = parse_date(end, "end date") if end else None
    if lo and hi and hi < lo:
        raise InputError(f"{source}: period end {end} is before its start {start}")
    days = [parse_date(d) for d in dates]
    keep = np.array([(lo is None or d >= lo) and (hi is None or d <= hi) for d in days], dtype=bool)
    index = np.flatnonzero(keep)
    if index.size < 2:
        raise InputError(f"{source}: the period {start or 'first'}..{end or 'last'} holds {index.size} "
                         f"acquisition(s) of {dates[0] if dates else '?'}..{dates[-1] if dates else '?'}; 2 or more "
                         "are needed")
    return index


def fit_rate(t: np.ndarray, y: np.ndarray, index: np.ndarray | None = None, min_epochs: int = 3) -> Rate:
    """Least-squares rate (m/yr) and its std of the series ``y`` (m) at decimal years ``t`` over the epochs
    ``index`` (all when None); missing (NaN) epochs are left out. NaN rate below ``min_epochs`` valid epochs."""
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if index is not None:
        t, y = t[index], y[index]
    slope, std, count = fit_lines(y[:, None], t, min_epochs)
    valid = np.isfinite(y)
    t0 = float(t[valid].mean()) if valid.any() else float("nan")
    intercept = float(y[valid].mean()) if valid.any() else float("nan")
    return Rate(float(slope[0]), float(std[0]), int(count[0]), intercept, t0)


def decimated_rows(product: Product, name: str, k: int, epochs: slice | np.ndarray, max_memory: float):
    """Yield (first display row, block) of every ``k``-th row and column of the 3-D dataset ``name`` over
    ``epochs``: windows of whole rows (a multiple of ``k`` rows, the full width), each at most ``max_memory`` GB
    with the fit's float64 copies, decimated as they arrive. (Whole rows, not strided reads: HDF-EOS5 cubes are
    chunked in strips of rows, every strip is decompressed anyway, and HDF5's strided selections are ~3x slower.)"""
    length, width = product.grid.shape
    n_epochs = np.arange(product.datasets[name].shape[0])[epochs].size
    rows_out = -(-length // k)
    per_row = max(1, n_epochs * width * (4 + 8 // k))      # the rows read, and float64 copies of the kept ones
    step = max(1, int(max_memory * 1024**3 // (per_row * k)))
    for first in range(0, rows_out, step):
        last = min(rows_out, first + step)
        rows = slice(first * k, min(length, last * k))
        if isinstance(epochs, slice):
            block = product.read(name, rows=rows, epochs=epochs)[:, ::k, ::k]
        else:                      # a few epochs: one slice each (HDF5 reads index lists ~3x slower)
            block = np.stack([product.read(name, rows=rows, epochs=slice(int(e), int(e) + 1))[0, ::k, ::k]
                              for e in epochs])
        yield first, block


def decimated_map(source: Source, kind: str, start: str | None, end: str | None, max_pixels: int = MAX_PIXELS,
                  max_memory: float = 1.0) -> MapImage:
    """Velocity (mm/yr) or displacement (mm) of the period, or a 2-D dataset (display units), at every k-th
    pixel of ``source`` (:func:`mimtpy.viz.maps.display_grid`). Velocity needs 3 valid epochs per pixel."""
    product = source.product
    k, grid = display_grid(product.grid, max_pixels)
    a = product.attrs
    ref = (float(a["REF_LAT"]), float(a["REF_LON"])) if "REF_LAT" in a and "REF_LON" in a else None
    if kind in SERIES_KINDS and not source.has_series and kind not in product.datasets:
        raise InputError(f"{source.path}: no time series: the {kind} of a period needs one (maps of this file: "
                         f"{', '.join(source.maps)})")
    if kind in SERIES_KINDS and source.has_series:
        index = source.period(start, end)
        dates = source.dates
        epochs = slice(int(index[0]), int(index[-1]) + 1) if kind == "velocity" else np.array(index[[0, -1]])
        t = decimal_years([dates[i] for i in range(index[0], index[-1] + 1)])
        values = np.full(grid.shape, np.nan, dtype=np.float32)
        for first, block in decimated_rows(product, SERIES, k, epochs, max_memory):
            if kind == "velocity":
                out = velocity_block({SERIES: block}, t, None, 3)["velocity"]
            else:
                out = displacement_block({SERIES: block}, None)["displacement"]
            values[first:first + out.shape[0]] = out
        stored = "m/year" if kind == "velocity" else "m"
        title = f"{kind} {dates[index[0]]}-{dates[index[-1]]}"
    else:
        product.require(kind)
        if product.datasets[kind].is_3d:
            raise InputError(f"{source.path}: '{kind}' is 3-D; choose velocity or displacement")
        values = read_display(product.array(kind), k).astype(np.float32)
        stored = unit_text(product, kind)
        title = kind
    unit, factor = display_unit(stored)
    logger.debug("%s: %s map, every %d-th pixel (%d x %d)", source.label, kind, k, *grid.shape)
    return MapImage(values * np.float32(factor), grid, k, kind, unit, factor, f"{source.label}: {title}", ref)
