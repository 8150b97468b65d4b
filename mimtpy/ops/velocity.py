"""Velocity and displacement of a LOS time series over a period (used by velcumu, horzvert and the exporters).

* velocity: least-squares straight line through each pixel's LOS displacement between the
  acquisitions nearest to the period's dates (inclusive), in m/year, with ``velocityStd`` from the
  fit residuals (:mod:`mimtpy.core.linfit`); pixels missing epochs are fitted on the epochs they
  have, down to ``min_epochs``.
* displacement: ``d(D2) - d(D1)`` in m.

LOS is positive toward the satellite. Re-referencing subtracts, epoch by epoch, the 3x3 median
around the reference point (:mod:`mimtpy.ops.reference`), in memory.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mimtpy.config import ComputeConfig
from mimtpy.core.blocks import ArrayLike, BlockWriter, process_blocks
from mimtpy.core.dates import decimal_years, nearest_index, parse_date
from mimtpy.core.linfit import fit_lines
from mimtpy.errors import InputError, ProductError
from mimtpy.io import Product, open_product
from mimtpy.io.writers import ArrayWriter
from mimtpy.ops.reference import series_at

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Period:
    """Acquisitions used: indices ``first..last`` (inclusive) of the product's dates."""

    first: int
    last: int
    dates: tuple[str, ...]

    @property
    def date12(self) -> str:
        return f"{self.dates[self.first]}_{self.dates[self.last]}"


def select_period(dates: list[str], start: str | None, end: str | None, source: str,
                  keys: tuple[str, str] = ("startDate", "endDate")) -> Period:
    """Snap ``start``/``end`` (YYYYMMDD or None = first/last) to the nearest acquisitions (logged).

    A date more than one acquisition interval (the median spacing of the dates) outside the series is an
    InputError naming the key (``keys``: the user's names of the two dates), the date and the series' first and
    last dates."""
    if len(dates) < 2:
        raise ProductError(f"{source}: a time series with at least 2 dates is needed, found {len(dates)}")
    days = [parse_date(d).toordinal() for d in dates]
    interval = sorted(b - a for a, b in itertools.pairwise(days))[(len(days) - 2) // 2]
    for key, asked in zip(keys, (start, end), strict=True):
        if asked is None:
            continue
        day = parse_date(asked, key).toordinal()
        if day < days[0] - interval or day > days[-1] + interval:
            raise InputError(f"{source}: {key} {asked} is outside the series {dates[0]}..{dates[-1]} by more than one "
                             f"acquisition interval ({interval} days); choose a date within it")
    first = 0 if start is None else nearest_index(dates, start, "startDate")
    last = len(dates) - 1 if end is None else nearest_index(dates, end, "endDate")
    for asked, idx in ((start, first), (end, last)):
        if asked is not None and asked != dates[idx]:
            logger.info("%s: date %s snapped to the nearest acquisition %s", source, asked, dates[idx])
    if last <= first:
        raise InputError(f"{source}: period {start or dates[0]}..{end or dates[-1]} holds fewer than 2 acquisitions "
                         f"(data: {dates[0]}..{dates[-1]})")
    return Period(first, last, tuple(dates))


def timeseries_product(path: Path) -> Product:
    product = open_product(path)
    if "timeseries" not in product.datasets:
        raise ProductError(f"{path}: FILE_TYPE={product.file_type or '?'} has no time series; velocity and "
                           "displacement need an HDF-EOS5 file or a MintPy timeseries.h5")
    return product


def velocity_block(block: dict[str, np.ndarray], t: np.ndarray, ref_series: np.ndarray | None,
                   min_epochs: int) -> dict[str, np.ndarray]:
    """Velocity, velocityStd (m/yr) and numEpochs of one block: ``block['timeseries']`` is
    (epoch, rows, cols) LOS displacement in m; ``block['mask']`` (optional) non-zero where valid."""
    data = block["timeseries"]
    n, rows, cols = data.shape
    data = data.reshape(n, -1).astype(np.float32, copy=False)
    if ref_series is not None:
        data = data - ref_series[:, None].astype(np.float32)
    slope, std, count = fit_lines(data, t, min_epochs)
    out = {"velocity": slope.reshape(rows, cols).astype(np.float32),
           "velocityStd": std.reshape(rows, cols).astype(np.float32),
           "numEpochs": count.reshape(rows, cols).astype(np.int16)}
    if "mask" in block:
        invalid = np.nan_to_num(np.asarray(block["mask"], dtype=np.float64)) == 0
        out["velocity"][invalid] = np.nan
        out["velocityStd"][invalid] = np.nan
    return out


def displacement_block(block: dict[str, np.ndarray], ref_pair: np.ndarray | None) -> dict[str, np.ndarray]:
    """``d(D2) - d(D1)`` (m) of one block: ``block['timeseries']`` holds the two epochs."""
    d = block["timeseries"].astype(np.float64)
    if ref_pair is not None:
        d = d - ref_pair[:, None, None]
    out = {"displacement": (d[1] - d[0]).astype(np.float32)}
    if "mask" in block:
        out["displacement"][np.nan_to_num(np.asarray(block["mask"], dtype=np.float64)) == 0] = np.nan
    return out


def period_inputs(product: Product, period: Period, rows: slice, cols: slice, kind: str,
                  mask: ArrayLike | None = None) -> dict[str, ArrayLike]:
    """The array-like inputs of a velocity (all epochs of the period) or displacement (its two
    epochs) computation over the window ``rows`` x ``cols``."""
    epochs = (slice(period.first, period.last + 1) if kind == "velocity"
              else np.array([period.first, period.last]))
    inputs: dict[str, ArrayLike] = {"timeseries": product.array("timeseries", rows, cols, epochs)}
    if mask is not None:
        inputs["mask"] = mask
    return inputs


def period_function(product: Product, period: Period, kind: str, ref: tuple | None,
                    min_epochs: int = 3) -> Callable[[dict], dict]:
    """The block function of a velocity or displacement computation (picklable for Dask)."""
    epochs = slice(period.first, period.last + 1)
    if kind == "velocity":
        t = decimal_years(list(period.dates[epochs]))
        ref_series = series_at(product, ref, epochs) if ref else None
        return functools.partial(velocity_block, t=t, ref_series=ref_series, min_epochs=min_epochs)
    ref_pair = series_at(product, ref, epochs)[[0, -1]] if ref else None
    return functools.partial(displacement_block, ref_pair=ref_pair)


def compute_period(product: Product, period: Period, kind: str, rows: slice, cols: slice, ref: tuple | None,
                   compute: ComputeConfig, mask: ArrayLike | None = None, min_epochs: int = 3,
                   writer: BlockWriter | None = None) -> dict[str, np.ndarray] | None:
    """Velocity (``velocity``, ``velocityStd`` m/yr, ``numEpochs``) or ``displacement`` (m) of the
    window, block by block under ``compute.maxMemory`` on ``compute.numWorker`` threads or Dask.

    With ``writer`` the blocks go there and None is returned; else the arrays are returned.
    """
    inputs = period_inputs(product, period, rows, cols, kind, mask)
    func = period_function(product, period, kind, ref, min_epochs)
    shape = (rows.stop - rows.start, cols.stop - cols.start)
    names = ("velocity", "velocityStd", "numEpochs") if kind == "velocity" else ("displacement",)
    memory = writer or ArrayWriter({n: shape for n in names}, {"numEpochs": np.int16})
    out_row = shape[1] * 10
    process_blocks(inputs, func, memory, compute.max_memory, workers=compute.workers,
                   cluster=compute.cluster if compute.use_dask else None, desc=f"{kind} {product.path.name}",
                   work_factor=1.0, out_bytes_per_row=out_row)
    return None if writer is not None else memory.arrays


def compute_velocity(product: Product, period: Period, rows: slice, cols: slice, ref: tuple | None,
                     compute: ComputeConfig, mask: ArrayLike | None = None, min_epochs: int = 3
                     ) -> dict[str, np.ndarray]:
    """Velocity, velocityStd (m/year) and numEpochs of the window, in memory (see :func:`compute_period`)."""
    return compute_period(product, period, "velocity", rows, cols, ref, compute, mask, min_epochs)


def compute_displacement(product: Product, period: Period, rows: slice, cols: slice, ref: tuple | None,
                         compute: ComputeConfig, mask: ArrayLike | None = None) -> dict[str, np.ndarray]:
    """Cumulative displacement d(D2) - d(D1) of the window in metres, in memory."""
    return compute_period(product, period, "displacement", rows, cols, ref, compute, mask)
