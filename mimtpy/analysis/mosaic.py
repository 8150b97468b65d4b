"""Mosaic of any number of tracks (the work of the ``concatenation`` step).

All tracks are resampled onto the union of their grids (coarsest step, lattice of ``alignTo``).
For LOS data (velocity, displacement, each epoch of a time series) every overlap of two tracks
gives a relative correction: the median difference (``offset``) or a plane
``a + b (lon - lon0) + c (lat - lat0)`` fitted robustly (least squares with 3-MAD rejection;
``ramp``), lon/lat in degrees from the mosaic centre. The corrections of all tracks are then
solved jointly by least squares over the network of overlaps with the reference track fixed,
so errors do not accumulate along a chain; a track linked to no other is an error. Overlaps
are blended by the mean, by the dominant track (the first in ``DataSet`` order that has data)
or by feathering (weights growing with the distance to each track's data edge). Coherence
and geometry are blended without corrections; masks are combined by union or intersection.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from mimtpy.context import RunContext
from mimtpy.core.blocks import iterate_blocks
from mimtpy.core.grid import Grid
from mimtpy.core.resample import common_grid, resample
from mimtpy.errors import InputError
from mimtpy.io import Product, open_product, stream_h5, write_geotiff, write_h5
from mimtpy.io.hdf5 import GEOMETRY_NAMES
from mimtpy.ops.datasets import main_dataset
from mimtpy.ops.paths import resolve_dataset, unique_names

if TYPE_CHECKING:
    from mimtpy.analysis.concatenation import ConcatenationConfig

logger = logging.getLogger(__name__)

NO_OFFSET = ("temporalCoherence", "avgSpatialCoherence", "coherence", *GEOMETRY_NAMES)


@dataclass
class Overlap:
    """Statistics of one overlap (differences track i minus track j, before and after correction)."""

    i: int
    j: int
    pixels: int
    median_before: float
    rms_before: float
    median_after: float = np.nan
    rms_after: float = np.nan


def data_kind(product: Product, name: str) -> str:
    """'mask', 'plain' (blended, never offset) or 'los' (offset-corrected)."""
    if name == "mask" or product.datasets[name].dtype == np.bool_:
        return "mask"
    if name in NO_OFFSET:
        return "plain"
    return "los"


def plane_basis(grid: Grid, model: str) -> np.ndarray:
    """(K, L, W) basis of the correction model on ``grid``: 1 (offset) or 1, dlon, dlat (ramp)."""
    lon, lat = np.meshgrid(grid.lons(), grid.lats())
    ones = np.ones(grid.shape)
    if model == "offset":
        return ones[None]
    return np.stack([ones, lon - lon.mean(), lat - lat.mean()])


def fit_pair(diff: np.ndarray, basis: np.ndarray, model: str) -> np.ndarray:
    """Parameters of ``model`` fitted robustly to the finite values of ``diff`` (L, W)."""
    ok = np.isfinite(diff)
    if model == "offset":
        return np.array([np.median(diff[ok])])
    g = basis[:, ok].T
    d = diff[ok]
    keep = np.ones(d.size, bool)
    params = np.zeros(basis.shape[0])
    for _ in range(5):
        params = np.linalg.lstsq(g[keep], d[keep], rcond=None)[0]
        resid = d - g @ params
        mad = 1.4826 * np.median(np.abs(resid[keep] - np.median(resid[keep])))
        new = np.abs(resid) <= 3 * mad if mad > 0 else keep
        if new.sum() < basis.shape[0] or np.array_equal(new, keep):
            break
        keep = new
    return params


def solve_network(pairs: list[tuple[int, int, np.ndarray, int]], n: int, ref: int, names: list[str]) -> np.ndarray:
    """Per-track parameters p_k with p_i - p_j = observed for every pair and p_ref = 0.

    Pairs are weighted by the square root of their pixel count. InputError names tracks that
    no chain of overlaps links to the reference track.
    """
    linked = {ref}
    changed = True
    while changed:
        changed = False
        for i, j, _p, _n in pairs:
            if (i in linked) != (j in linked):
                linked |= {i, j}
                changed = True
    lonely = [names[k] for k in range(n) if k not in linked]
    if lonely:
        raise InputError(f"these tracks overlap no other track (or overlap too little): {', '.join(lonely)}")
    k = pairs[0][2].size if pairs else 1
    unknown = [t for t in range(n) if t != ref]
    params = np.zeros((n, k))
    if not unknown:
        return params
    a = np.zeros((len(pairs), len(unknown)))
    for row, (i, j, _p, _n) in enumerate(pairs):
        if i != ref:
            a[row, unknown.index(i)] = 1
        if j != ref:
            a[row, unknown.index(j)] = -1
    w = np.sqrt(np.array([p[3] for p in pairs], float))[:, None]
    obs = np.stack([p[2] for p in pairs])
    solution = np.linalg.lstsq(a * w, obs * w, rcond=None)[0]
    params[unknown] = solution
    return params


def blend(layers: list[np.ndarray], mode: str, feather: list[np.ndarray] | None = None) -> np.ndarray:
    """Combine layers (NaN = no data) by 'mean', 'dominant' (first with data) or 'feather'."""
    stack = np.stack(layers).astype(np.float64)
    valid = np.isfinite(stack)
    if mode == "dominant":
        first = np.argmax(valid, axis=0)
        out = np.take_along_axis(stack, first[None], axis=0)[0]
    elif mode == "feather":
        w = np.where(valid, np.stack(feather), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (np.where(valid, stack, 0.0) * w).sum(axis=0) / w.sum(axis=0)
    else:
        count = valid.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(valid, stack, 0.0).sum(axis=0) / count
    out[~valid.any(axis=0)] = np.nan
    return out.astype(np.float32)


def feather_weights(layers: list[np.ndarray]) -> list[np.ndarray]:
    """Distance (pixels) of every valid pixel to the edge of its track's data (or of the grid)."""
    return [ndimage.distance_transform_edt(np.pad(np.isfinite(layer), 1))[1:-1, 1:-1] for layer in layers]


def correct_layers(layers: list[np.ndarray], grid: Grid, cfg: ConcatenationConfig, ref: int, names: list[str]
                   ) -> tuple[list[np.ndarray], list[Overlap], np.ndarray]:
    """Estimate and remove the relative corrections of LOS layers; returns corrected layers,
    overlap statistics and the per-track parameters."""
    model = cfg.offset_model
    basis = plane_basis(grid, "offset" if model == "none" else model)
    pairs, stats = [], []
    for i in range(len(layers)):
        for j in range(i + 1, len(layers)):
            diff = layers[i] - layers[j]
            count = int(np.isfinite(diff).sum())
            if count < cfg.min_overlap:
                continue
            finite = diff[np.isfinite(diff)]
            stats.append(Overlap(i, j, count, float(np.median(finite)), float(np.sqrt(np.mean(finite**2)))))
            if model != "none":
                pairs.append((i, j, fit_pair(diff, basis, model), count))
    if model == "none":
        params = np.zeros((len(layers), basis.shape[0]))
        if len(layers) > 1:
            solve_network([(s.i, s.j, np.zeros(1), s.pixels) for s in stats], len(layers), ref, names)
    else:
        params = solve_network(pairs, len(layers), ref, names)
    corrected = [layer - np.tensordot(params[k], basis, axes=1).astype(np.float32)
                 for k, layer in enumerate(layers)]
    for s in stats:
        diff = corrected[s.i] - corrected[s.j]
        finite = diff[np.isfinite(diff)]
        s.median_after, s.rms_after = float(np.median(finite)), float(np.sqrt(np.mean(finite**2)))
    return corrected, stats, params


@dataclass
class Mosaic:
    """A mosaic, the overlap statistics, the per-track correction parameters and the corrected layers."""

    data: np.ndarray
    stats: list[Overlap]
    params: np.ndarray | None
    corrected: list[np.ndarray]


def mosaic_layers(layers: list[np.ndarray], kind: str, grid: Grid, cfg: ConcatenationConfig, ref: int,
                  names: list[str]) -> Mosaic:
    """Mosaic of layers of one kind on the union grid."""
    if kind == "mask":
        valid = [np.nan_to_num(layer) != 0 for layer in layers]
        covered = [np.isfinite(layer) for layer in layers]
        if cfg.mask_mode == "union":
            out = np.logical_or.reduce(valid)
        else:   # intersection where tracks overlap, the track's own mask elsewhere
            agree = np.logical_and.reduce([v | ~c for v, c in zip(valid, covered, strict=True)])
            out = agree & np.logical_or.reduce(covered)
        return Mosaic(out, [], None, layers)
    stats: list[Overlap] = []
    params = None
    if kind == "los":
        layers, stats, params = correct_layers(layers, grid, cfg, ref, names)
    weights = feather_weights(layers) if cfg.blend == "feather" else None
    return Mosaic(blend(layers, cfg.blend, weights), stats, params, layers)


def reference_index(cfg: ConcatenationConfig, names: list[str], layers: list[np.ndarray]) -> int:
    """Index of the reference track: a number, a name, or auto = the one overlapping most."""
    if cfg.reference_track is None:
        counts = []
        for i, a in enumerate(layers):
            counts.append(sum(int((np.isfinite(a) & np.isfinite(b)).sum()) for j, b in enumerate(layers) if j != i))
        return int(np.argmax(counts))
    text = str(cfg.reference_track)
    if text.isdigit() and int(text) < len(names):
        return int(text)
    if text in names:
        return names.index(text)
    raise InputError(f"mimtpy.concatenation.referenceTrack '{text}' is neither an index 0..{len(names) - 1} "
                     f"nor a track name ({', '.join(names)})")


def load_products(cfg: ConcatenationConfig, ctx: RunContext) -> tuple[list[Product], list[str], str]:
    paths = [resolve_dataset(entry, ctx.project_dir) for entry in cfg.dataset]
    if len(paths) < 2:
        raise InputError(f"concatenation needs two or more tracks, got {len(paths)}: {', '.join(map(str, paths))}")
    products = [open_product(p) for p in paths]
    name = cfg.dataname or main_dataset(products[0])
    for product in products:
        product.require(name)
    units = {p.datasets[name].unit or p.attrs.get("UNIT", "") for p in products}
    if len(units) > 1:
        raise InputError(f"tracks have different units for '{name}' ({', '.join(sorted(units))}): "
                         f"{', '.join(str(p.path) for p in products)}")
    names = unique_names([p.path for p in products])
    return products, names, name




def match_epochs(date_lists: list[list[str]], ref: int, tolerance: int) -> list[list[int]]:
    """For each epoch of the reference track present (within ``tolerance`` days) in every track,
    the index of the matching epoch in each track."""
    from mimtpy.core.dates import parse_date
    ordinals = [[parse_date(d).toordinal() for d in dates] for dates in date_lists]
    matched = []
    for k, day in enumerate(ordinals[ref]):
        row = []
        for t, days in enumerate(ordinals):
            if t == ref:
                row.append(k)
                continue
            gaps = np.abs(np.array(days) - day)
            best = int(np.argmin(gaps))
            if gaps[best] > tolerance:
                break
            row.append(best)
        else:
            matched.append(row)
    if len(matched) < 2:
        raise InputError(f"fewer than 2 epochs match within {tolerance} days across the tracks; raise dateTolerance")
    return matched


def write_report(path: Path, stats: list[Overlap], names: list[str], label: str = "") -> None:
    """CSV with one row per overlap (and per epoch for time series)."""
    new = not path.exists()
    with open(path, "a", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(["epoch", "track_i", "track_j", "pixels", "median_before", "rms_before", "median_after",
                             "rms_after"])
        for s in stats:
            writer.writerow([label, names[s.i], names[s.j], s.pixels, f"{s.median_before:.6g}", f"{s.rms_before:.6g}",
                             f"{s.median_after:.6g}", f"{s.rms_after:.6g}"])



def run_mosaic(cfg: ConcatenationConfig, ctx: RunContext) -> list[Path]:
    """Mosaic of the DataSet tracks on their union grid; returns the files written."""
    products, names, name = load_products(cfg, ctx)
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "concatenation"
    outname = cfg.outname or f"{name}_mosaic"
    out_h5 = outdir / f"{outname}.h5"
    settings = ctx.settings(cfg, inputs=[str(p.path) for p in products])
    force = ctx.force or cfg.rewrite
    if not force and ctx.is_current([out_h5], [p.path for p in products], settings):
        return [out_h5]
    try:
        grid = common_grid([p.grid for p in products], "union", cfg.align_to)
    except InputError as err:
        raise InputError(f"{err}: {', '.join(str(p.path) for p in products)}") from None
    report = outdir / f"{outname}_overlaps.csv"
    outdir.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    kind = data_kind(products[0], name)
    attrs = {k: v for k, v in products[0].attrs.items()
             if k not in ("REF_Y", "REF_X", "mimtpy_settings", "ORBIT_DIRECTION", "HEADING", "relative_orbit")}
    attrs.update(grid.to_attrs(), INPUT_TRACKS=" ".join(str(p.path) for p in products), OFFSET_MODEL=cfg.offset_model,
                 BLEND=cfg.blend)
    if products[0].datasets[name].is_3d:
        return _run_timeseries(products, names, name, grid, cfg, attrs, out_h5, report, settings)
    layers = [resample(p.read(name).astype(np.float32), p.grid, grid, cfg.resample) for p in products]
    ref = reference_index(cfg, names, layers)
    attrs["REFERENCE_TRACK"] = names[ref]
    result = mosaic_layers(layers, kind, grid, cfg, ref, names)
    if result.params is not None:
        for track, p in zip(names, result.params, strict=True):
            attrs[f"CORRECTION_{track}"] = " ".join(f"{v:.6g}" for v in p)
    _log_stats(result.stats, names)
    write_report(report, result.stats, names)
    data = {name: result.data.astype(np.float32) if kind != "mask" else result.data}
    written = [write_h5(out_h5, data, attrs, settings=settings), report]
    if kind != "mask":
        written.append(write_geotiff(out_h5.with_suffix(".tif"), result.data, grid, attrs))
    if cfg.plotpair and kind == "los":
        from mimtpy.analysis.track_offset import plot_pair
        corrected = result.corrected
        for s in result.stats:
            written.append(plot_pair(layers[s.i], layers[s.j], corrected[s.i], corrected[s.j], grid,
                                     (names[s.i], names[s.j]), cfg.azimuth, outdir / f"{outname}_pair_{s.i}_{s.j}.png",
                                     products[0].datasets[name].unit or products[0].attrs.get("UNIT", "")))
    return written


def _run_timeseries(products, names, name, grid, cfg, attrs, out_h5, report, settings) -> list[Path]:
    ref = reference_index(cfg, names, [resample(p.read(name, epochs=np.array([len(p.dates) - 1]))[0], p.grid, grid,
                                                cfg.resample) for p in products])
    matched = match_epochs([p.dates for p in products], ref, cfg.date_tolerance)
    dates = [products[ref].dates[row[ref]] for row in matched]
    attrs.update(REFERENCE_TRACK=names[ref], DATE_TOLERANCE_DAYS=cfg.date_tolerance, REF_DATE=dates[0])
    with stream_h5(out_h5, {name: (len(dates), *grid.shape)}, attrs, dates, settings) as out:
        for k in iterate_blocks(list(range(len(dates))), "mosaic epochs"):
            layers = [resample(p.read(name, epochs=np.array([matched[k][t]]))[0].astype(np.float32), p.grid, grid,
                               cfg.resample) for t, p in enumerate(products)]
            result = mosaic_layers(layers, "los", grid, cfg, ref, names)
            out[name][k] = result.data
            write_report(report, result.stats, names, dates[k])
    logger.info("mosaic of %d tracks: %d matched epochs on a %dx%d grid", len(products), len(dates), grid.length,
                grid.width)
    return [out_h5, report]


def _log_stats(stats: list[Overlap], names: list[str]) -> None:
    for s in stats:
        logger.info("overlap %s - %s: %d pixels, median %.4g -> %.4g, RMS %.4g -> %.4g", names[s.i], names[s.j],
                    s.pixels, s.median_before, s.median_after, s.rms_before, s.rms_after)
