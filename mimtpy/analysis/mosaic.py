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

import contextlib
import csv
import functools
import logging
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from mimtpy.analysis.overlaps import (
    Overlap,
    corrections,
    counts_per_track,
    fit_pair_samples,
    footprint,
    sample_overlaps,
    solve_network,
)
from mimtpy.context import RunContext
from mimtpy.core.arrays import DerivedArray, ResampledArray
from mimtpy.core.blocks import process_blocks
from mimtpy.core.grid import Grid
from mimtpy.core.resample import common_grid
from mimtpy.errors import InputError
from mimtpy.io import Product, open_product, stream_h5
from mimtpy.io.hdf5 import GEOMETRY_NAMES
from mimtpy.io.writers import GeoTiffWriter, H5Writer, Writers, stream_geotiff
from mimtpy.ops import reference
from mimtpy.ops.attrs import multi_track_attrs
from mimtpy.ops.datasets import NAMED_BY_FILE_TYPE, main_dataset
from mimtpy.ops.paths import resolve_dataset, unique_names
from mimtpy.ops.units import dataset_unit

if TYPE_CHECKING:
    from mimtpy.analysis.concatenation import ConcatenationConfig

logger = logging.getLogger(__name__)

NO_OFFSET = ("temporalCoherence", "avgSpatialCoherence", "coherence", *GEOMETRY_NAMES)


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
    """Parameters of ``model`` fitted robustly to the finite values of ``diff`` (L, W); ``basis`` (K, L, W)."""
    ok = np.isfinite(diff)
    return fit_pair_samples(diff[ok], basis[:, ok].T, model)


def blend(layers: list[np.ndarray], mode: str, feather: list[np.ndarray] | None = None) -> np.ndarray:
    """Combine layers (NaN = no data) by 'mean', 'dominant' (first with data) or 'feather'."""
    stack = np.stack(layers).astype(np.float64)
    valid = np.isfinite(stack)
    if mode == "dominant":
        first = np.argmax(valid, axis=0)
        out = np.take_along_axis(stack, first[None], axis=0)[0]
    elif mode == "feather":
        # a valid pixel is at least one pixel from its data edge; interpolated (decimated) weights can be NaN or
        # smaller at the edge of a footprint: keep every valid pixel in the blend
        w = np.where(valid, np.maximum(np.nan_to_num(np.stack(feather), nan=1.0), 1e-3), 0.0)
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


def output_file_type(product: Product, name: str) -> str:
    """MintPy FILE_TYPE of the mosaic of dataset ``name``: timeseries for a series; the input's own
    FILE_TYPE when it is that dataset's or names a kind of file (geometry), else the dataset name
    (never HDFEOS: the mosaic is a plain MintPy .h5)."""
    if product.datasets[name].is_3d:
        return "timeseries"
    own = str(product.attrs.get("FILE_TYPE", ""))
    if own == name or (own and own != "HDFEOS" and own not in NAMED_BY_FILE_TYPE):
        return own
    return name


def reference_index(cfg: ConcatenationConfig, names: list[str], counts: list[int]) -> int:
    """Index of the reference track: a number, a name, or auto = the one overlapping most (``counts``: the
    valid pixels each track shares with the others)."""
    if cfg.reference_track is None:
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



def mosaic_block(block: dict[str, np.ndarray], count: int, kind: str, params: np.ndarray | None,
                 centre: tuple[float, float], blend_mode: str, mask_mode: str, rezero: bool = False
                 ) -> dict[str, np.ndarray]:
    """One block of the mosaic: ``t<i>`` the layers (2-D, or epoch x rows x cols), ``w<i>`` their feather
    weights, ``lonlat`` pixel centres; ``params`` (tracks, [epochs,] terms) the corrections of LOS layers;
    ``rezero``: a time series is re-referenced to its first epoch (subtracted from every epoch)."""
    layers = [block[f"t{i}"] for i in range(count)]
    if kind == "mask":
        valid = [np.nan_to_num(layer) != 0 for layer in layers]
        covered = [np.isfinite(layer) for layer in layers]
        if mask_mode == "union":
            return {"data": np.logical_or.reduce(valid)}
        agree = np.logical_and.reduce([v | ~c for v, c in zip(valid, covered, strict=True)])
        return {"data": agree & np.logical_or.reduce(covered)}
    weights = [block[f"w{i}"] for i in range(count)] if blend_mode == "feather" else None
    series = layers[0].ndim == 3
    if kind == "los" and params is not None:
        lon, lat = block["lonlat"]
        basis = np.stack([np.ones(lon.shape), lon - centre[0], lat - centre[1]])
        terms = params.shape[-1]
        layers = [layer - (np.tensordot(params[k], basis[:terms], axes=1).astype(np.float32) if not series else
                           np.einsum("et,trc->erc", params[k], basis[:terms]).astype(np.float32))
                  for k, layer in enumerate(layers)]
    if not series:
        return {"data": blend(layers, blend_mode, weights)}
    out = np.empty(layers[0].shape, np.float32)
    for e in range(out.shape[0]):
        out[e] = blend([layer[e] for layer in layers], blend_mode, weights)
    if rezero:
        out -= out[0].copy()
    return {"data": out}


def _lonlat(blocks: dict, window: tuple[slice, slice], grid: Grid) -> np.ndarray:
    rows, cols = window
    lon, lat = np.meshgrid(grid.lons()[cols], grid.lats()[rows])
    return np.stack([lon, lat])


def feather_weight_array(layer, track: Grid, grid: Grid, max_memory: float) -> ResampledArray:
    """Distance (pixels of ``grid``) of every valid pixel of a track to the edge of its data (valid in
    any epoch of a time series), computed on the track's footprint in ``grid``, every ``factor``-th row
    and column when the footprint does not fit in a quarter of ``max_memory`` (then interpolated)."""
    rows, cols = footprint(grid, track) or (slice(0, 1), slice(0, 1))
    length, width = rows.stop - rows.start, cols.stop - cols.start
    budget = max_memory * 1024**3 / 4
    factor = max(1, math.ceil(math.sqrt(length * width * 9 / budget)))
    valid = np.zeros((math.ceil(length / factor), math.ceil(width / factor)), bool)
    lead = math.prod(layer.shape[:-2]) if len(layer.shape) > 2 else 1
    chunk = max(1, int(budget // max(1, width * 4 * lead * factor))) * factor
    for r0 in range(0, length, chunk):
        r1 = min(r0 + chunk, length)
        data = np.asarray(layer[(slice(None),) * (len(layer.shape) - 2) + (slice(rows.start + r0, rows.start + r1),
                                                                           cols)])
        finite = np.isfinite(data) if data.ndim == 2 else np.isfinite(data).any(axis=0)
        valid[r0 // factor:r0 // factor + len(range(0, r1 - r0, factor))] = finite[::factor, ::factor]
    distance = ndimage.distance_transform_edt(np.pad(valid, 1))[1:-1, 1:-1] * factor
    sub = grid.subset(rows, cols)
    coarse = Grid(valid.shape[1], valid.shape[0], sub.x_first + sub.x_step * (1 - factor) / 2,
                  sub.y_first + sub.y_step * (1 - factor) / 2, sub.x_step * factor, sub.y_step * factor, grid.epsg)
    return ResampledArray(distance.astype(np.float32), coarse, grid, "nearest" if factor == 1 else "bilinear")


def union_size_check(grid: Grid, epochs: int, outdir: Path, names: list[str]) -> None:
    """InputError before any work when the mosaic cannot fit on the disk of ``outdir``."""
    need = grid.length * grid.width * 4 * max(1, epochs) * (1 if epochs > 1 else 2)   # .h5 (+ .tif for maps)
    probe = outdir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need > free:
        raise InputError(f"the union grid of {', '.join(names)} is {grid.length} x {grid.width} pixels"
                         f"{f' x {epochs} epochs' if epochs > 1 else ''}: the mosaic needs {need / 1024**3:.1f} GB, "
                         f"more than the {free / 1024**3:.1f} GB free in {probe}; mosaic fewer or closer tracks")


def run_mosaic(cfg: ConcatenationConfig, ctx: RunContext) -> list[Path]:
    """Mosaic of the DataSet tracks on their union grid, block by block; returns the files written."""
    products, names, name = load_products(cfg, ctx)
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "concatenation"
    outname = cfg.outname or f"{name}_mosaic"
    out_h5 = outdir / f"{outname}.h5"
    settings = ctx.settings(cfg, inputs=[str(p.path) for p in products])
    series = products[0].datasets[name].is_3d
    kind = data_kind(products[0], name)
    expected = [out_h5, outdir / f"{outname}_overlaps.csv"] + ([out_h5.with_suffix(".tif")]
                                                             if kind != "mask" and not series else [])
    force = ctx.force or cfg.rewrite
    if not force and ctx.is_current(expected, [p.path for p in products], settings):
        return expected
    if kind == "los":
        directions = {p.attrs.get("ORBIT_DIRECTION", "").upper() for p in products} - {""}
        if len(directions) > 1:
            raise InputError(f"the tracks look from different directions ({', '.join(sorted(directions))}): their LOS "
                             f"values cannot be mosaicked ({', '.join(str(p.path) for p in products)}); use "
                             "generate_horzvert.py for ascending + descending tracks")
    try:
        grid = common_grid([p.grid for p in products], "union", cfg.align_to)
    except InputError as err:
        raise InputError(f"{err}: {', '.join(str(p.path) for p in products)}") from None
    memory = ctx.compute.max_memory
    grids = [p.grid for p in products]
    if series:      # reference track from each track's last epoch, then the epochs all tracks share
        last = [ResampledArray(p.array(name, epochs=np.array([len(p.dates) - 1])), p.grid, grid, cfg.resample)
                for p in products]
        ref = reference_index(cfg, names, counts_per_track(sample_overlaps(last, grids, grid, memory), len(names)))
        matched = match_epochs([p.dates for p in products], ref, cfg.date_tolerance)
        dates = [products[ref].dates[row[ref]] for row in matched]
        layers = [ResampledArray(p.array(name, epochs=np.array([row[t] for row in matched])), p.grid, grid,
                                 cfg.resample) for t, p in enumerate(products)]
    else:
        dates = []
        layers = [ResampledArray(p.array(name), p.grid, grid, cfg.resample) for p in products]
    union_size_check(grid, len(dates), outdir, names)
    samples = sample_overlaps(layers, grids, grid, memory) if kind != "mask" or cfg.reference_track is None else []
    if not series:
        ref = reference_index(cfg, names, counts_per_track(samples, len(names)))
    report = outdir / f"{outname}_overlaps.csv"
    outdir.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    centre = (float(grid.lons().mean()), float(grid.lats().mean()))
    params = None
    if kind == "los":
        per_epoch = [corrections(samples, len(names), e, cfg.offset_model, cfg.min_overlap, ref, names, centre, grid)
                     for e in range(max(1, len(dates)))]
        for e, (_p, stats) in enumerate(per_epoch):
            write_report(report, stats, names, dates[e] if series else "")
            if not series:
                _log_stats(stats, names)
        params = np.stack([p for p, _s in per_epoch], axis=1) if series else per_epoch[0][0]
    attrs = multi_track_attrs([p.attrs for p in products])
    attrs.update(grid.to_attrs(), FILE_TYPE=output_file_type(products[0], name), INPUT_TRACKS=" ".join(
                 str(p.path) for p in products), OFFSET_MODEL=cfg.offset_model, BLEND=cfg.blend,
                 REFERENCE_TRACK=names[ref])
    if kind == "los":   # corrected to the reference track: its reference point (on the mosaic grid)
        attrs.update(reference.attrs_for(reference.product_point(products[ref]), grid))
    rezero = False
    if series:      # every epoch is corrected to the reference track, so the mosaic keeps its reference date
        ref_date = products[ref].attrs.get("REF_DATE") or products[ref].dates[0]
        if ref_date not in dates:    # MintPy needs REF_DATE among the dates: re-reference to the first one
            logger.info("reference date %s of %s is not among the matched epochs: the mosaic is referenced to %s",
                        ref_date, names[ref], dates[0])
            ref_date, rezero = dates[0], True
        attrs.update(DATE_TOLERANCE_DAYS=cfg.date_tolerance, REF_DATE=ref_date)
    elif params is not None:
        for track, p in zip(names, params, strict=True):
            attrs[f"CORRECTION_{track}"] = " ".join(f"{v:.6g}" for v in p)
    inputs = {f"t{i}": layer for i, layer in enumerate(layers)}
    if kind == "los":
        inputs["lonlat"] = DerivedArray({}, functools.partial(_lonlat, grid=grid), grid.shape, lead=(2,),
                                        dtype=np.float64)
    if cfg.blend == "feather" and kind != "mask":
        inputs.update({f"w{i}": feather_weight_array(layer, g, grid, memory)
                       for i, (layer, g) in enumerate(zip(layers, grids, strict=True))})
    func = functools.partial(mosaic_block, count=len(layers), kind=kind, params=params, centre=centre,
                             blend_mode=cfg.blend, mask_mode=cfg.mask_mode, rezero=rezero)
    shape = (len(dates), *grid.shape) if series else grid.shape
    dtype = np.bool_ if kind == "mask" else np.float32
    written = [out_h5, report]
    with contextlib.ExitStack() as stack:
        h5 = stack.enter_context(stream_h5(out_h5, {name: shape}, attrs, dates or None, settings,
                                           dtypes={name: dtype}))
        writers = [H5Writer(h5, {"data": name})]
        if kind != "mask" and not series:
            tif = stack.enter_context(stream_geotiff(out_h5.with_suffix(".tif"), grid, attrs, description=name,
                                                     unit=dataset_unit(products[0], name)))
            writers.append(GeoTiffWriter(tif, "data"))
            written.append(out_h5.with_suffix(".tif"))
        process_blocks(inputs, func, Writers(*writers), memory, workers=ctx.compute.workers,
                       cluster=ctx.compute.cluster if ctx.compute.use_dask else None, desc=f"mosaic {name}",
                       out_bytes_per_row=grid.width * 4 * max(1, len(dates)))
    logger.info("mosaic of %d tracks%s on a %dx%d grid", len(products),
                f": {len(dates)} matched epochs" if series else "", grid.length, grid.width)
    if cfg.plotpair and kind == "los" and not series:
        written += pair_figures(layers, samples, params, centre, grid, names, cfg, outdir, outname,
                                products[0].datasets[name].unit or products[0].attrs.get("UNIT", ""))
    return written


def pair_figures(layers, samples, params, centre, grid: Grid, names: list[str], cfg: ConcatenationConfig,
                 outdir: Path, outname: str, unit: str) -> list[Path]:
    """Difference maps before and after correction and a profile across every overlap used (decimated
    to at most ~1 Mpx per map)."""
    from mimtpy.analysis.overlaps import basis_at, pair_window
    from mimtpy.analysis.track_offset import plot_pair

    written = []
    terms = params.shape[-1]
    for s in samples:
        if s.count[-1] < cfg.min_overlap:
            continue
        rows, cols = pair_window(grid, layers[s.i].src, layers[s.j].src)
        step = max(1, math.ceil(math.sqrt((rows.stop - rows.start) * (cols.stop - cols.start) / 1e6)))
        r = np.arange(rows.start, rows.stop, step)
        c = np.arange(cols.start, cols.stop, step)
        a = np.asarray(layers[s.i][rows, cols])[::step, ::step]
        b = np.asarray(layers[s.j][rows, cols])[::step, ::step]
        rr, cc = np.meshgrid(r, c, indexing="ij")
        g = basis_at(*centre, grid, rr.ravel(), cc.ravel(), terms)
        corr_a = (g @ params[s.i]).astype(np.float32).reshape(a.shape)
        corr_b = (g @ params[s.j]).astype(np.float32).reshape(b.shape)
        sub = grid.subset(rows, cols)
        shown = Grid(a.shape[1], a.shape[0], sub.x_first, sub.y_first, sub.x_step * step, sub.y_step * step, grid.epsg)
        written.append(plot_pair(a, b, a - corr_a, b - corr_b, shown, (names[s.i], names[s.j]), cfg.azimuth,
                                 outdir / f"{outname}_pair_{s.i}_{s.j}.png", unit))
    return written


def _log_stats(stats: list[Overlap], names: list[str]) -> None:
    for s in stats:
        logger.info("overlap %s - %s: %d pixels, median %.4g -> %.4g, RMS %.4g -> %.4g", names[s.i], names[s.j],
                    s.pixels, s.median_before, s.median_after, s.rms_before, s.rms_after)
