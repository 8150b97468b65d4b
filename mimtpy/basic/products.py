"""The products of the ``velcumu`` step (script ``HDFEOS_to_geotiff.py``): velocity or cumulative
displacement of a time series over a period, and 2-D datasets (mask, coherence, geometry) as files.

* velocity: least-squares straight line through each pixel's LOS displacement between
  the acquisitions nearest to ``startDate`` and ``endDate`` (inclusive), in m/year, with
  ``velocityStd`` from the fit residuals (:mod:`mimtpy.core.linfit`). Pixels missing
  epochs are fitted on the epochs they have, down to ``minEpochs``.
* displacement: ``d(D2) - d(D1)`` in m.

LOS is positive toward the satellite. Re-referencing to another point subtracts, epoch by
epoch, the median of the 3x3 pixels around it, in memory: inputs are never modified.
Outputs are MintPy ``.h5`` files (+ GeoTIFF) under ``<project>/mintpy/velocity/`` or
``…/displacement/`` unless ``outdir`` is given.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.context import RunContext
from mimtpy.core.blocks import process_blocks
from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io import Product, open_product, stream_h5
from mimtpy.io.hdf5 import GEOMETRY_NAMES
from mimtpy.io.product import DatasetArray
from mimtpy.io.writers import GeoTiffWriter, H5Writer, Writers, stream_geotiff
from mimtpy.ops import reference
from mimtpy.ops.units import dataset_unit
from mimtpy.ops.velocity import compute_period, select_period, timeseries_product

if TYPE_CHECKING:
    from mimtpy.basic.velcumu import VelcumuConfig

logger = logging.getLogger(__name__)

def _window(grid: Grid, snwe: tuple | None) -> tuple[slice, slice]:
    return (slice(0, grid.length), slice(0, grid.width)) if snwe is None else grid.window(snwe)


def mask_array(product: Product, mask: bool | Path | None, rows: slice, cols: slice) -> DatasetArray | None:
    """The valid-pixel mask (non-zero = valid) of the window as an array-like, or None: ``True`` =
    the product's own ``mask`` dataset or ``maskTempCoh.h5`` beside it, a path = that file."""
    if mask is False or mask is None:
        return None
    if mask is True:
        if "mask" in product.datasets:
            source, name = product, "mask"
        else:
            beside = product.path.parent / "maskTempCoh.h5"
            if not beside.exists():
                raise ProductError(f"{product.path}: mask = yes but the file has no 'mask' dataset and "
                                   f"{beside.name} is not beside it; give a mask file")
            source, name = open_product(beside), "mask"
    else:
        source = open_product(mask)
        name = "mask" if "mask" in source.datasets else next(iter(source.datasets))
    if source.grid.shape != product.grid.shape or not np.allclose(
            (source.grid.x_first, source.grid.y_first), (product.grid.x_first, product.grid.y_first)):
        raise ProductError(f"{source.path}: mask grid {source.grid.shape} differs from {product.path} "
                           f"{product.grid.shape}")
    return source.array(name, rows, cols)


def _output_attrs(product: Product, grid: Grid, extra: dict) -> dict:
    keep = {k: v for k, v in reference.without_reference(product.attrs).items()
            if k not in ("FILE_TYPE", "mimtpy_settings")}
    return {**keep, **grid.to_attrs(), "FILE_PATH": str(product.path), **extra}


#: per kind: FILE_TYPE/UNIT attributes, the datasets written with their units and dtypes
KINDS = {
    "velocity": ({"FILE_TYPE": "velocity", "UNIT": "m/year", "DATA_TYPE": "float32"},
                 {"velocity": "m/year", "velocityStd": "m/year", "numEpochs": "1"}, {"numEpochs": np.int16}),
    "displacement": ({"FILE_TYPE": "displacement", "UNIT": "m", "DATA_TYPE": "float32"},
                     {"displacement": "m"}, {}),
}


def process(path: Path, kind: str, cfg: VelcumuConfig, ctx: RunContext, outdir: Path | None = None) -> list[Path]:
    """Velocity or displacement of one product, written block by block to ``<kind>_<D1>_<D2>.h5``
    (+ ``.tif``); returns the files written (or found current)."""
    product = timeseries_product(path)
    period = select_period(product.dates, cfg.start_date, cfg.end_date, str(path))
    rows, cols = _window(product.grid, cfg.snwe)
    grid = product.grid.subset(rows, cols)
    outdir = outdir or (ctx.resolve(cfg.outdir) if cfg.outdir else path.parent / kind)
    h5_path = outdir / f"{kind}_{period.date12}.h5"
    tif_path = h5_path.with_suffix(".tif")
    outputs = [h5_path] + ([tif_path] if cfg.geotiff else [])
    settings = ctx.settings(cfg, type=kind, input=str(path), period=period.date12)
    mask_file = ctx.resolve(cfg.mask) if isinstance(cfg.mask, Path) else cfg.mask
    if ctx.is_current(outputs, [path] + ([mask_file] if isinstance(mask_file, Path) else []), settings):
        return outputs
    mask = mask_array(product, mask_file, rows, cols)
    ref = cfg.reference_point
    d1, d2 = period.dates[period.first], period.dates[period.last]
    logger.info("%s: %s from %s to %s (%d acquisitions), window %dx%d", path.name, kind, d1, d2,
                period.last - period.first + 1, grid.length, grid.width)
    extra, units, dtypes = KINDS[kind]
    extra = {**extra, "START_DATE": d1, "END_DATE": d2, "DATE12": f"{d1}_{d2}", "REF_DATE": d1,
             "NUM_EPOCHS": period.last - period.first + 1,
             **reference.attrs_for(ref or reference.product_point(product), grid)}
    attrs = _output_attrs(product, grid, extra)
    with contextlib.ExitStack() as stack:
        h5 = stack.enter_context(stream_h5(h5_path, {n: grid.shape for n in units}, attrs, settings=settings,
                                           units=units, dtypes=dtypes))
        writers = [H5Writer(h5)]
        if cfg.geotiff:
            tif = stack.enter_context(stream_geotiff(tif_path, grid, attrs, description=kind, unit=units[kind]))
            writers.append(GeoTiffWriter(tif, kind))
        compute_period(product, period, kind, rows, cols, ref, ctx.compute, mask, cfg.min_epochs, Writers(*writers))
    return outputs


def _identity(block: dict) -> dict:
    return block


def export_dataset(path: Path, attribute: str, cfg: VelcumuConfig, outdir: Path | None = None,
                   ctx: RunContext | None = None) -> list[Path]:
    """Write a 2-D dataset (mask, coherence, a geometry dataset, or all geometry) as .h5 + .tif,
    block by block."""
    ctx = ctx or RunContext(path.parent)
    product = open_product(path)
    names = [n for n in GEOMETRY_NAMES if n in product.datasets] if attribute == "geometry" else [attribute]
    if not names:
        raise ProductError(f"{path}: no geometry datasets (expected some of {', '.join(GEOMETRY_NAMES)})")
    for name in names:
        if product.require(name).is_3d:
            raise ProductError(f"{path}: '{name}' is a time series; velocity or displacement make 2-D products of it")
    rows, cols = _window(product.grid, cfg.snwe)
    grid = product.grid.subset(rows, cols)
    outdir = outdir or (ctx.resolve(cfg.outdir) if cfg.outdir else path.parent / attribute)
    file_type = "geometry" if attribute in GEOMETRY_NAMES or attribute == "geometry" else attribute
    ref_attrs = reference.attrs_for(reference.product_point(product), grid)
    units = {name: dataset_unit(product, name) for name in names}
    attrs = _output_attrs(product, grid, {"FILE_TYPE": file_type, **ref_attrs})
    attrs.pop("UNIT", None)          # the time series' unit (m) is not that of a mask or an angle
    if len(names) == 1 and units[names[0]]:
        attrs["UNIT"] = units[names[0]]
    inputs = {name: product.array(name, rows, cols) for name in names}
    h5_path = outdir / f"{attribute}.h5"
    tifs = [outdir / f"{name}.tif" for name in names] if cfg.geotiff else []
    with contextlib.ExitStack() as stack:
        h5 = stack.enter_context(stream_h5(h5_path, {n: grid.shape for n in names}, attrs,
                                           dtypes={n: inputs[n].dtype for n in names},
                                           units={n: u for n, u in units.items() if u}))
        writers = [H5Writer(h5)]
        for name, tif_path in zip(names, tifs, strict=False):
            tif = stack.enter_context(stream_geotiff(tif_path, grid, {**attrs, "FILE_TYPE": name}, description=name,
                                                     unit=units[name]))
            writers.append(GeoTiffWriter(tif, name))
        process_blocks(inputs, _identity, Writers(*writers), ctx.compute.max_memory, workers=1,
                       desc=f"{attribute} {path.name}", work_factor=0.0)
    return [h5_path, *tifs]
