"""Horizontal/vertical decomposition of displacement time series of tracks with different dates.

Assumption (stated in the output attribute ``TIME_INTERPOLATION``): between two acquisitions
of a track, its LOS displacement changes linearly in time. The epochs are the first track's
acquisitions inside the period all tracks cover; every other track is interpolated linearly
in time onto them, pixel by pixel, then all are re-referenced to one point and decomposed
epoch by epoch as in :mod:`mimtpy.analysis.horzvert`. The series start at zero on the first
common epoch. MintPy declines this case (different dates).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.analysis.decompose import check_tracks, decompose, output_names
from mimtpy.analysis.tracks import Track
from mimtpy.context import RunContext
from mimtpy.core.arrays import DerivedArray, ResampledArray
from mimtpy.core.blocks import process_blocks
from mimtpy.core.dates import decimal_years
from mimtpy.core.resample import common_grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io import Product, open_product, stream_h5
from mimtpy.io.writers import H5Writer, Writers
from mimtpy.ops import reference
from mimtpy.ops.attrs import multi_track_attrs
from mimtpy.ops.geometry import geometry_array
from mimtpy.ops.paths import project_name, resolve_dataset
from mimtpy.ops.velocity import select_period

if TYPE_CHECKING:
    from mimtpy.analysis.horzvert import HorzvertConfig

logger = logging.getLogger(__name__)


def common_epochs(date_lists: list[list[str]], start: str | None, end: str | None) -> list[str]:
    """The first track's dates inside the period every track covers (and inside start..end)."""
    lo = max(d[0] for d in date_lists)
    hi = min(d[-1] for d in date_lists)
    if start:
        lo = max(lo, start)
    if end:
        hi = min(hi, end)
    epochs = [d for d in date_lists[0] if lo <= d <= hi]
    if len(epochs) < 2:
        raise InputError(f"the tracks share fewer than 2 epochs of the first track in {lo}..{hi}")
    return epochs


def interpolation_weights(dates: list[str], target: str) -> tuple[int, int, float]:
    """(i, j, w): the value at ``target`` is (1 - w) * d[i] + w * d[j] (decimal years, MintPy)."""
    years = decimal_years(dates)
    t = decimal_years([target])[0]
    j = int(np.searchsorted(years, t))
    if j < len(dates) and years[j] == t:
        return j, j, 0.0
    if j == 0 or j == len(dates):
        raise InputError(f"date {target} is outside {dates[0]}..{dates[-1]}")
    return j - 1, j, float((t - years[j - 1]) / (years[j] - years[j - 1]))


def _epochs_block(blocks: dict[str, np.ndarray], window: tuple[slice, slice], weights: list[tuple[int, int, float]]
                  ) -> np.ndarray:
    """(targets, rows, cols): each target epoch (1 - w) d[i] + w d[j] of the read epochs (float64, as float32)."""
    data = blocks["timeseries"].astype(np.float64)
    out = np.empty((len(weights), *data.shape[1:]), np.float32)
    for k, (i, j, w) in enumerate(weights):
        out[k] = data[i] if i == j else (1 - w) * data[i] + w * data[j]
    return out


def epochs_array(product: Product, targets: list[str]) -> DerivedArray:
    """The LOS displacement of ``product`` at the ``targets`` dates (linear in time between acquisitions) as
    a lazy (targets, L, W) array on the product's grid, reading only the epochs it needs."""
    pairs = [interpolation_weights(product.dates, t) for t in targets]
    needed = np.unique([k for i, j, _w in pairs for k in (i, j)])
    position = {int(k): n for n, k in enumerate(needed)}
    weights = [(position[i], position[j], w) for i, j, w in pairs]
    source = product.array("timeseries", epochs=needed)
    return DerivedArray({"timeseries": source}, functools.partial(_epochs_block, weights=weights),
                        product.grid.shape, lead=(len(targets),))


def series_block(block: dict[str, np.ndarray], count: int, refs: list[np.ndarray], azimuth: float
                 ) -> dict[str, np.ndarray]:
    """hz and up displacement of every epoch of one block, relative to the first epoch."""
    epochs = block["obs0"].shape[0]
    out = {"hz": np.empty(block["obs0"].shape, np.float32), "up": np.empty(block["obs0"].shape, np.float32)}
    for e in range(epochs):
        tracks = []
        for i in range(count):
            enu = block[f"enu{i}"]
            los = block[f"obs{i}"][e] - np.float32(refs[i][e])
            tracks.append(Track("", Path(), None, "displacement", los, None, enu[0], enu[1], enu[2], {}))
        dec = decompose(tracks, azimuth, weighted=False)
        for comp in ("hz", "up"):
            out[comp][e] = dec.components[comp]
    for comp in ("hz", "up"):
        out[comp] -= out[comp][0].copy()
    return out


def run_timeseries(cfg: HorzvertConfig, ctx: RunContext) -> list[Path]:
    """Write hz_timeseries.h5 and up_timeseries.h5 (FILE_TYPE timeseries, metres), block by block."""
    paths = [resolve_dataset(entry, ctx.project_dir) for entry in cfg.dataset]
    products = [open_product(p) for p in paths]
    for product in products:
        if "timeseries" not in product.datasets:
            raise ProductError(f"{product.path}: timeseries = yes needs time-series products (HDF-EOS5, timeseries.h5)")
    if cfg.north:
        raise InputError("mimtpy.horzvert.north is not used with timeseries = yes (a GNSS north velocity is not a "
                         "displacement time series)")
    for product in products:       # a date far outside a series is an error naming the key, not a silent clip
        select_period(product.dates, cfg.start_date, cfg.end_date, str(product.path))
    epochs = common_epochs([p.dates for p in products], cfg.start_date, cfg.end_date)
    grid = common_grid([p.grid for p in products], "intersection", cfg.align_to)
    if cfg.snwe:
        grid = grid.subset(*grid.window(cfg.snwe))
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "horzvert"
    names = output_names(cfg, ["hz", "up"])
    outputs = [outdir / f"{names[c]}_timeseries.h5" for c in ("hz", "up")]
    settings = ctx.settings(cfg, inputs=[str(p) for p in paths])
    if ctx.is_current(outputs, paths, settings):
        return outputs
    shells = [Track(project_name(p.path), p.path, p.grid, "displacement", None, None, None, None, None,
                    dict(p.attrs)) for p in products]
    check_tracks(shells)
    obs = [ResampledArray(epochs_array(p, epochs), p.grid, grid, cfg.resample) for p in products]
    inputs = {f"obs{i}": o for i, o in enumerate(obs)}
    inputs.update({f"enu{i}": ResampledArray(geometry_array(p, p.grid), p.grid, grid, cfg.resample)
                   for i, p in enumerate(products)})
    point = cfg.reference_point or (float(products[0].attrs["REF_LAT"]), float(products[0].attrs["REF_LON"]))
    refs = [_reference_series(o, grid, point, str(p.path)) for o, p in zip(obs, products, strict=True)]
    attrs = multi_track_attrs([p.attrs for p in products], drop=("FILE_TYPE", "ORBIT_DIRECTION", "HEADING"))
    attrs.update(grid.to_attrs(), FILE_TYPE="timeseries", UNIT="m", REF_DATE=epochs[0], START_DATE=epochs[0],
                 END_DATE=epochs[-1], HORZ_AZIMUTH=cfg.azimuth, INPUT_TRACKS=" ".join(str(p) for p in paths),
                 TIME_INTERPOLATION="linear in time between acquisitions, onto the first track's dates",
                 **reference.attrs_for(point, grid))
    shape = (len(epochs), *grid.shape)
    func = functools.partial(series_block, count=len(products), refs=refs, azimuth=cfg.azimuth)
    with stream_h5(outputs[0], {"timeseries": shape}, {**attrs, "COMPONENT": "hz"}, epochs, settings) as hz_out, \
            stream_h5(outputs[1], {"timeseries": shape}, {**attrs, "COMPONENT": "up"}, epochs, settings) as up_out:
        writer = Writers(H5Writer(hz_out, {"hz": "timeseries"}), H5Writer(up_out, {"up": "timeseries"}))
        process_blocks(inputs, func, writer, ctx.compute.max_memory, workers=ctx.compute.workers,
                       cluster=ctx.compute.cluster if ctx.compute.use_dask else None, desc="horzvert time series",
                       out_bytes_per_row=grid.width * 4 * 2 * len(epochs))
    logger.info("horzvert time series: %d epochs %s..%s on a %dx%d grid", len(epochs), epochs[0], epochs[-1],
                grid.length, grid.width)
    return outputs


def _reference_series(obs: ResampledArray, grid, point: tuple[float, float], source: str) -> np.ndarray:
    """Per epoch, the 3x3 median of a track's (interpolated, resampled) displacement around ``point``."""
    try:
        rows, cols = reference.window(grid, *point)
    except InputError as err:
        raise InputError(f"{source}: reference {err}") from None
    window = np.asarray(obs[:, rows, cols], dtype=np.float64).reshape(obs.shape[0], -1)
    if not np.isfinite(window).any(axis=1).all():
        raise InputError(f"{source}: no valid data at the reference point lat={point[0]}, lon={point[1]} in some "
                         "epochs; choose another referencepoint")
    return np.nanmedian(window, axis=1)
