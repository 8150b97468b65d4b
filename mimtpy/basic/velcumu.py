"""Velocity or cumulative displacement of a time series over a period (``velcumu`` step,
script ``HDFEOS_to_geotiff.py``).

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

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mimtpy.config import VelcumuConfig
from mimtpy.context import RunContext
from mimtpy.core.blocks import iterate_blocks, row_blocks
from mimtpy.core.dates import decimal_years, nearest_index
from mimtpy.core.grid import Grid
from mimtpy.core.linfit import fit_lines
from mimtpy.errors import InputError, ProductError
from mimtpy.io import Product, open_product, write_geotiff, write_h5
from mimtpy.io.hdf5 import GEOMETRY_NAMES

logger = logging.getLogger(__name__)

ATTRIBUTES = ("velocity", "displacement", "mask", "temporalCoherence", "avgSpatialCoherence", "geometry",
              *GEOMETRY_NAMES)
TIMESERIES_NAMES = ("S1*.he5", "*.he5", "timeseries*.h5")


def resolve_dataset(entry: str | Path, base: Path) -> Path:
    """The product file of a ``DataSet`` entry.

    An entry is a product file, a folder holding one (``<dir>`` or ``<dir>/mintpy``:
    HDF-EOS5 first, then ``timeseries*.h5``), or a MimtPy project name resolved under
    ``$SCRATCHDIR/<name>/mintpy/``.
    """
    text = os.path.expanduser(os.path.expandvars(str(entry)))
    path = Path(text) if Path(text).is_absolute() else base / text
    candidates = [path]
    if not path.exists() and "/" not in str(entry) and os.environ.get("SCRATCHDIR"):
        candidates.append(Path(os.environ["SCRATCHDIR"]) / str(entry) / "mintpy")
    for cand in candidates:
        if cand.is_file():
            return cand
        for folder in (cand, cand / "mintpy"):
            if folder.is_dir():
                for pattern in TIMESERIES_NAMES:
                    found = sorted(folder.glob(pattern))
                    if len(found) == 1:
                        return found[0]
                    if len(found) > 1:
                        names = ", ".join(f.name for f in found)
                        raise InputError(f"DataSet '{entry}': several products in {folder} ({names}); name one file")
    tried = " or ".join(str(c) for c in candidates)
    hint = "" if os.environ.get("SCRATCHDIR") else " ($SCRATCHDIR is not set, so project names cannot be resolved)"
    raise InputError(f"DataSet '{entry}': no HDF-EOS5 or timeseries product found at {tried}{hint}")


@dataclass(frozen=True)
class Period:
    """Acquisitions used: indices ``first..last`` (inclusive) of the product's dates."""

    first: int
    last: int
    dates: tuple[str, ...]

    @property
    def date12(self) -> str:
        return f"{self.dates[self.first]}_{self.dates[self.last]}"


def select_period(dates: list[str], start: str | None, end: str | None, source: str) -> Period:
    """Snap ``start``/``end`` (YYYYMMDD or None = first/last) to the nearest acquisitions."""
    if len(dates) < 2:
        raise ProductError(f"{source}: a time series with at least 2 dates is needed, found {len(dates)}")
    first = 0 if start is None else nearest_index(dates, start, "startDate")
    last = len(dates) - 1 if end is None else nearest_index(dates, end, "endDate")
    for asked, idx in ((start, first), (end, last)):
        if asked is not None and asked != dates[idx]:
            logger.info("%s: date %s snapped to the nearest acquisition %s", source, asked, dates[idx])
    if last <= first:
        raise InputError(f"{source}: period {start or dates[0]}..{end or dates[-1]} holds fewer than 2 acquisitions "
                         f"(data: {dates[0]}..{dates[-1]})")
    return Period(first, last, tuple(dates))


def _window(grid: Grid, snwe: tuple | None) -> tuple[slice, slice]:
    return (slice(0, grid.length), slice(0, grid.width)) if snwe is None else grid.window(snwe)


def _reference_series(product: Product, lat_lon: tuple[float, float], epochs: slice) -> np.ndarray:
    """Per-epoch median of the 3x3 pixels around (lat, lon); InputError if it has no data."""
    row, col = product.grid.lalo_to_rowcol(*lat_lon)
    rows = slice(max(row - 1, 0), row + 2)
    cols = slice(max(col - 1, 0), col + 2)
    cube = product.read("timeseries", rows, cols, epochs).astype(np.float64)
    with np.errstate(all="ignore"):
        series = np.nanmedian(cube.reshape(cube.shape[0], -1), axis=1) if np.isfinite(cube).any() else None
    if series is None or not np.all(np.isfinite(series)):
        raise InputError(f"{product.path}: reference point lat={lat_lon[0]}, lon={lat_lon[1]} has no valid data "
                         "in some epochs of the period; choose another referencePoint")
    return series


def _mask(product: Product, mask: bool | Path, rows: slice, cols: slice) -> np.ndarray | None:
    """Boolean valid-pixel mask of the window, or None."""
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
    data = source.read(name, rows, cols)
    return np.nan_to_num(data.astype(np.float64)) != 0


def _reference_attrs(product: Product, grid: Grid, rows: slice, cols: slice, ref: tuple | None) -> dict:
    """REF_LAT/REF_LON (and REF_Y/REF_X when inside the output window) of the output."""
    attrs = {}
    if ref is None:
        if "REF_LAT" not in product.attrs and "REF_Y" in product.attrs:
            lat, lon = product.grid.rowcol_to_lalo(int(product.attrs["REF_Y"]), int(product.attrs["REF_X"]))
        elif "REF_LAT" in product.attrs:
            lat, lon = float(product.attrs["REF_LAT"]), float(product.attrs["REF_LON"])
        else:
            return attrs
    else:
        lat, lon = ref
    attrs.update(REF_LAT=lat, REF_LON=lon)
    try:
        row, col = grid.lalo_to_rowcol(lat, lon)
        attrs.update(REF_Y=row, REF_X=col)
    except InputError:
        logger.info("reference point %.5f, %.5f lies outside the subset", lat, lon)
    return attrs


def _output_attrs(product: Product, grid: Grid, extra: dict) -> dict:
    keep = {k: v for k, v in product.attrs.items()
            if k not in ("FILE_TYPE", "REF_Y", "REF_X", "REF_LAT", "REF_LON", "mimtpy_settings")}
    return {**keep, **grid.to_attrs(), "FILE_PATH": str(product.path), **extra}


def compute_velocity(product: Product, period: Period, rows: slice, cols: slice, ref: tuple | None,
                     mask: np.ndarray | None, min_epochs: int, max_memory_gb: float) -> dict[str, np.ndarray]:
    """Velocity, velocityStd (m/year) and the number of epochs used, block by block."""
    epochs = slice(period.first, period.last + 1)
    t = decimal_years(list(period.dates[epochs]))
    ref_series = _reference_series(product, ref, epochs) if ref else None
    length, width = rows.stop - rows.start, cols.stop - cols.start
    out = {"velocity": np.full((length, width), np.nan, np.float32),
           "velocityStd": np.full((length, width), np.nan, np.float32),
           "numEpochs": np.zeros((length, width), np.int16)}
    n = t.size
    blocks = row_blocks(length, bytes_per_row=n * width * 12, max_memory_gb=max_memory_gb)
    for blk in iterate_blocks(blocks, f"velocity {product.path.name}"):
        data = product.read("timeseries", slice(rows.start + blk.start, rows.start + blk.stop), cols, epochs)
        data = data.reshape(n, -1).astype(np.float32, copy=False)
        if ref_series is not None:
            data = data - ref_series[:, None].astype(np.float32)
        slope, std, count = fit_lines(data, t, min_epochs)
        shape = (blk.stop - blk.start, width)
        out["velocity"][blk] = slope.reshape(shape)
        out["velocityStd"][blk] = std.reshape(shape)
        out["numEpochs"][blk] = count.reshape(shape)
    if mask is not None:
        out["velocity"][~mask] = np.nan
        out["velocityStd"][~mask] = np.nan
    return out


def compute_displacement(product: Product, period: Period, rows: slice, cols: slice, ref: tuple | None,
                         mask: np.ndarray | None) -> dict[str, np.ndarray]:
    """Cumulative displacement d(D2) - d(D1) in metres."""
    pair = np.array([period.first, period.last])
    d = product.read("timeseries", rows, cols, pair).astype(np.float64)
    if ref:
        series = _reference_series(product, ref, slice(period.first, period.last + 1))
        d = d - series[[0, -1]][:, None, None]
    disp = (d[1] - d[0]).astype(np.float32)
    if mask is not None:
        disp[~mask] = np.nan
    return {"displacement": disp}


def _timeseries_product(path: Path) -> Product:
    product = open_product(path)
    if "timeseries" not in product.datasets:
        raise ProductError(f"{path}: FILE_TYPE={product.file_type or '?'} has no time series; velocity and "
                           "displacement need an HDF-EOS5 file or a MintPy timeseries.h5")
    return product


def process(path: Path, kind: str, cfg: VelcumuConfig, ctx: RunContext, outdir: Path | None = None) -> list[Path]:
    """Velocity or displacement of one product; returns the files written (or found current)."""
    product = _timeseries_product(path)
    period = select_period(product.dates, cfg.start_date, cfg.end_date, str(path))
    rows, cols = _window(product.grid, cfg.snwe)
    grid = product.grid.subset(rows, cols)
    outdir = outdir or cfg.outdir or path.parent / kind
    h5_path = outdir / f"{kind}_{period.date12}.h5"
    outputs = [h5_path] + ([h5_path.with_suffix(".tif")] if cfg.geotiff else [])
    settings = ctx.settings(cfg, type=kind, input=str(path), period=period.date12)
    inputs = [path] + ([cfg.mask] if isinstance(cfg.mask, Path) else [])
    if ctx.is_current(outputs, inputs, settings):
        return outputs
    mask = _mask(product, cfg.mask, rows, cols)
    ref = cfg.reference_point
    d1, d2 = period.dates[period.first], period.dates[period.last]
    logger.info("%s: %s from %s to %s (%d acquisitions), window %dx%d", path.name, kind, d1, d2,
                period.last - period.first + 1, grid.length, grid.width)
    if kind == "velocity":
        data = compute_velocity(product, period, rows, cols, ref, mask, cfg.min_epochs, ctx.compute.max_memory)
        extra = {"FILE_TYPE": "velocity", "UNIT": "m/year", "DATA_TYPE": "float32"}
        units = {"velocity": "m/year", "velocityStd": "m/year", "numEpochs": "1"}
    else:
        data = compute_displacement(product, period, rows, cols, ref, mask)
        extra = {"FILE_TYPE": "displacement", "UNIT": "m", "DATA_TYPE": "float32"}
        units = {"displacement": "m"}
    extra.update(START_DATE=d1, END_DATE=d2, DATE12=f"{d1}_{d2}", REF_DATE=d1,
                 NUM_EPOCHS=period.last - period.first + 1,
                 **_reference_attrs(product, grid, rows, cols, ref))
    attrs = _output_attrs(product, grid, extra)
    written = [write_h5(h5_path, data, attrs, settings=settings, units=units)]
    if cfg.geotiff:
        written.append(write_geotiff(h5_path.with_suffix(".tif"), data[kind], grid, attrs))
    return written


def export_dataset(path: Path, attribute: str, cfg: VelcumuConfig, outdir: Path | None = None) -> list[Path]:
    """Write a 2-D dataset (mask, coherence, a geometry dataset, or all geometry) as .h5 + .tif."""
    product = open_product(path)
    names = [n for n in GEOMETRY_NAMES if n in product.datasets] if attribute == "geometry" else [attribute]
    if not names:
        raise ProductError(f"{path}: no geometry datasets (expected some of {', '.join(GEOMETRY_NAMES)})")
    for name in names:
        product.require(name)
    rows, cols = _window(product.grid, cfg.snwe)
    grid = product.grid.subset(rows, cols)
    outdir = outdir or cfg.outdir or path.parent / attribute
    data = {name: product.read(name, rows, cols) for name in names}
    file_type = "geometry" if attribute in GEOMETRY_NAMES or attribute == "geometry" else attribute
    attrs = _output_attrs(product, grid, {"FILE_TYPE": file_type, **_reference_attrs(product, grid, rows, cols, None)})
    written = [write_h5(outdir / f"{attribute}.h5", data, attrs)]
    if cfg.geotiff:
        for name, array in data.items():
            written.append(write_geotiff(outdir / f"{name}.tif", array.astype(np.float32), grid,
                                         {**attrs, "FILE_TYPE": name}))
    return written


def planned_inputs(cfg: VelcumuConfig, base: Path, planned: list[Path]) -> tuple[list[Path], list[str]]:
    """Products of the step and problems, where folders that an earlier step will create count as found."""
    found, problems = [], []
    if not cfg.dataset:
        return [], ["mimtpy.velcumu.DataSet: no project given (a product file, a folder or a project name)"]
    for entry in cfg.dataset:
        candidate = (base / entry).resolve() if not Path(entry).is_absolute() else Path(entry)
        if any(candidate == p.resolve() or candidate == p.parent.resolve() for p in planned):
            found.append(candidate)
            continue
        try:
            found.append(resolve_dataset(entry, base))
        except InputError as err:
            problems.append(f"mimtpy.velcumu.DataSet: {err}")
    return found, problems


def run(cfg: VelcumuConfig, ctx: RunContext) -> list[Path]:
    """The velcumu step: one velocity or displacement product per DataSet entry."""
    if not cfg.dataset:
        raise InputError("mimtpy.velcumu.DataSet: no project given")
    outputs: list[Path] = []
    paths = [resolve_dataset(entry, ctx.project_dir) for entry in cfg.dataset]
    for path in paths:
        for kind in cfg.type:
            outdir = cfg.outdir / project_name(path) if cfg.outdir and len(paths) > 1 else None
            outputs += process(path, kind, cfg, ctx, outdir)
    return outputs


def project_name(path: Path) -> str:
    """MimtPy project name of a product: the folder above ``mintpy/`` (for files in ``mintpy/`` or
    one folder below it, like ``mintpy/velocity/``), else the folder of the file."""
    parents = path.parents
    for level in (0, 1):
        if len(parents) > level + 1 and parents[level].name == "mintpy":
            return parents[level + 1].name
    return path.parent.name or path.stem
