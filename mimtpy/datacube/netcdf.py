"""Export products to CF-1.8 NetCDF or Zarr datacubes (``netcdf`` step, script ``save_netcdf.py``).

Any MintPy/mimtpy product (HDF-EOS5 or timeseries.h5 time series, velocity, E/N/U, geometry, a GeoTIFF)
becomes ``<outdir>/<name>.nc`` (or ``.zarr``): ``time``/``lat``/``lon`` (or ``y``/``x`` with a grid mapping)
at pixel centres, ``units`` on every variable, ``spatial_ref`` CRS, chunked and compressed, MintPy attributes
(reference point, reference date) as global attributes. ``alignsar = yes`` writes the AlignSAR InSAR
time-series datacube names (``cum_displacement`` mm, ``linear_velocity``, ``linear_velocity_std``,
``mean_coherence``, ...) and ``sar_*``/``geospatial_*`` attributes from the product's own metadata.
Details: :mod:`mimtpy.io.netcdf`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NetcdfConfig(SectionConfig):
    SECTION: ClassVar[str] = "netcdf"
    HELP: ClassVar[str] = "Export products to CF NetCDF/Zarr datacubes (datacube; script save_netcdf.py)"
    dataset: tuple = option("DataSet", "none", "products to export (HDF-EOS5, .h5, GeoTIFF, cubes)", "paths")
    datasets: tuple = option("datasets", "auto", "datasets to write (comma separated); auto = all", "paths")
    format: str = option("format", "netcdf", "netcdf (.nc, NetCDF4) or zarr (.zarr folder)", "choice",
                         choices=("netcdf", "zarr"))
    alignsar: bool = option("alignsar", "no", "AlignSAR datacube names, units (mm) and sar_*/geospatial_* "
                            "global attributes", "bool")
    complevel: int = option("complevel", "4", "zlib compression level of NetCDF variables", "int", lo=0, hi=9)
    outdir: Path = option("outdir", "auto", "output folder; auto = beside each input", "path")


def output_path(cfg: NetcdfConfig, ctx: RunContext, path: Path) -> Path:
    """``<outdir>/<input stem>.nc`` (``.zarr`` for Zarr)."""
    folder = ctx.resolve(cfg.outdir) if cfg.outdir else path.parent
    return folder / f"{path.stem}{'.zarr' if cfg.format == 'zarr' else '.nc'}"


def plan(cfg: NetcdfConfig, ctx: RunContext) -> Plan:
    out = Plan()
    if not cfg.dataset:
        out.problem("DataSet", "no product to export")
    for entry in cfg.dataset or ():
        path = ctx.resolve(entry)
        if out.need(ctx, "DataSet", path, "product"):
            out.outputs.append(output_path(cfg, ctx, path))
    if cfg.outdir:
        out.writable(ctx, "outdir", ctx.resolve(cfg.outdir))
    return out


def run(cfg: NetcdfConfig, ctx: RunContext) -> list[Path]:
    """Write one cube per DataSet entry; returns the cubes written (or found up to date)."""
    from mimtpy.datacube.stamp import is_current, write_stamp
    from mimtpy.errors import InputError
    from mimtpy.io import open_product, write_cube

    if not cfg.dataset:
        raise InputError("mimtpy.netcdf.DataSet: no product to export")
    written = []
    for entry in cfg.dataset:
        path = ctx.resolve(entry)
        out = output_path(cfg, ctx, path)
        if out.resolve() == path.resolve():
            raise InputError(f"{path}: the output would overwrite the input; choose another outdir")
        settings = ctx.settings(cfg, input=str(path))
        stamp = out.parent / f".mimtpy_netcdf_{out.name}.json"
        if is_current(ctx, stamp, [out], [path], settings):
            written.append(out)
            continue
        product = open_product(path)
        names = list(cfg.datasets) if cfg.datasets else None
        written.append(write_cube(out, product, names, cfg.alignsar, cfg.format, cfg.complevel))
        write_stamp(stamp, settings)
    return written


STEP = Step("netcdf", "datacube", NetcdfConfig, plan, run, scripts=("save_netcdf.py",))
