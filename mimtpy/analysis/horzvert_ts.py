"""Horizontal/vertical decomposition of displacement time series of tracks with different dates.

Assumption (stated in the output attribute ``TIME_INTERPOLATION``): between two acquisitions
of a track, its LOS displacement changes linearly in time. The epochs are the first track's
acquisitions inside the period all tracks cover; every other track is interpolated linearly
in time onto them, pixel by pixel, then all are re-referenced to one point and decomposed
epoch by epoch as in :mod:`mimtpy.analysis.horzvert`. The series start at zero on the first
common epoch. MintPy declines this case (different dates).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.analysis.decompose import check_tracks, decompose, output_names
from mimtpy.analysis.tracks import Track
from mimtpy.context import RunContext
from mimtpy.core.blocks import iterate_blocks
from mimtpy.core.dates import decimal_years
from mimtpy.core.resample import common_grid, resample
from mimtpy.errors import InputError, ProductError
from mimtpy.io import Product, open_product, stream_h5
from mimtpy.ops import reference
from mimtpy.ops.geometry import load_geometry
from mimtpy.ops.paths import project_name, resolve_dataset

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


def epoch_on_grid(product: Product, target: str, grid, method: str) -> np.ndarray:
    """LOS displacement of ``product`` at date ``target`` (linear in time), on ``grid``."""
    i, j, w = interpolation_weights(product.dates, target)
    data = product.read("timeseries", epochs=np.unique([i, j])).astype(np.float64)
    value = data[0] if i == j else (1 - w) * data[0] + w * data[1]
    return resample(value.astype(np.float32), product.grid, grid, method)


def run_timeseries(cfg: HorzvertConfig, ctx: RunContext) -> list[Path]:
    """Write hz_timeseries.h5 and up_timeseries.h5 (FILE_TYPE timeseries, metres)."""
    paths = [resolve_dataset(entry, ctx.project_dir) for entry in cfg.dataset]
    products = [open_product(p) for p in paths]
    for product in products:
        if "timeseries" not in product.datasets:
            raise ProductError(f"{product.path}: timeseries = yes needs time-series products (HDF-EOS5, timeseries.h5)")
    if cfg.north:
        raise InputError("mimtpy.horzvert.north is not used with timeseries = yes (a GNSS north velocity is not a "
                         "displacement time series)")
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
    shells = []
    for product in products:
        e, n, u = load_geometry(product, product.grid)
        shells.append(Track(project_name(product.path), product.path, product.grid, "displacement",
                            np.zeros(product.grid.shape, np.float32), None, e, n, u, dict(product.attrs)))
    check_tracks(shells)
    shells = [t.on_grid(grid, cfg.resample) for t in shells]
    point = cfg.reference_point or (float(products[0].attrs["REF_LAT"]), float(products[0].attrs["REF_LON"]))
    attrs = {k: v for k, v in products[0].attrs.items() if k not in ("FILE_TYPE", "REF_Y", "REF_X", "mimtpy_settings",
                                                                      "ORBIT_DIRECTION", "HEADING")}
    attrs.update(grid.to_attrs(), FILE_TYPE="timeseries", UNIT="m", REF_LAT=point[0], REF_LON=point[1],
                 REF_DATE=epochs[0], START_DATE=epochs[0], END_DATE=epochs[-1], HORZ_AZIMUTH=cfg.azimuth,
                 INPUT_TRACKS=" ".join(str(p) for p in paths),
                 TIME_INTERPOLATION="linear in time between acquisitions, onto the first track's dates")
    shape = (len(epochs), *grid.shape)
    first: dict[str, np.ndarray] = {}
    with stream_h5(outputs[0], {"timeseries": shape}, {**attrs, "COMPONENT": "hz"}, epochs, settings) as hz_out, \
            stream_h5(outputs[1], {"timeseries": shape}, {**attrs, "COMPONENT": "up"}, epochs, settings) as up_out:
        for k in iterate_blocks(list(range(len(epochs))), "horzvert time series"):
            tracks = []
            for product, shell in zip(products, shells, strict=True):
                los = epoch_on_grid(product, epochs[k], grid, cfg.resample)
                track = replace(shell, los=los)
                track.los = los - np.float32(reference.value_at(los, grid, *point, str(product.path)))
                tracks.append(track)
            dec = decompose(tracks, cfg.azimuth, weighted=False)
            for comp, out in (("hz", hz_out), ("up", up_out)):
                if k == 0:
                    first[comp] = dec.components[comp]
                out["timeseries"][k] = dec.components[comp] - first[comp]
    logger.info("horzvert time series: %d epochs %s..%s on a %dx%d grid", len(epochs), epochs[0], epochs[-1],
                grid.length, grid.width)
    return outputs
