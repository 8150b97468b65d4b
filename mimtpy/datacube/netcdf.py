"""Export products to CF-1.8 NetCDF or Zarr datacubes (``netcdf`` step, script ``save_netcdf.py``).

Any MintPy/mimtpy product (HDF-EOS5 or timeseries.h5 time series, velocity, E/N/U, geometry, a GeoTIFF)
becomes ``<outdir>/<name>.nc`` (or ``.zarr``): ``time``/``lat``/``lon`` (or ``y``/``x`` with a grid mapping)
at pixel centres, ``units`` on every variable, ``spatial_ref`` CRS, chunked and compressed, MintPy attributes
(reference point, reference date) as global attributes. ``alignsar = yes`` writes the AlignSAR InSAR
time-series datacube names (``cum_displacement`` mm, ``linear_velocity``, ``linear_velocity_std``,
``mean_coherence``, ...) and ``sar_*``/``geospatial_*`` attributes from the product's own metadata.
Details: :mod:`mimtpy.io.cube_write` (writing) and :mod:`mimtpy.io.netcdf` (reading).
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
    HELP: ClassVar[str] = "Export products to CF NetCDF/Zarr datacubes"
    dataset: tuple = option("DataSet", "none", "products to export (HDF-EOS5, .h5, GeoTIFF, cubes)", "paths")
    datasets: tuple = option("datasets", "auto", "datasets to write (comma separated); auto = all", "paths")
    format: str = option("format", "netcdf", "netcdf (.nc, NetCDF4) or zarr (.zarr folder)", "choice",
                         choices=("netcdf", "zarr"))
    alignsar: bool = option("alignsar", "no", "AlignSAR datacube names, units (mm) and sar_*/geospatial_* "
                            "global attributes", "bool")
    complevel: int = option("complevel", "4", "zlib compression level of NetCDF variables", "int", lo=0, hi=9)
    merge: bool = option("merge", "no", "write all DataSet inputs (same grid) into one cube <outname>", "bool")
    outname: str = option("outname", "auto", "name of the merged cube (without suffix); auto = the first input's "
                          "name", "str")
    names: tuple = option("names", "auto", "with merge: the dataset name of each input (e.g. velocity, "
                          "avgSpatialCoherence); auto = its own name or file name", "paths")
    units: tuple = option("units", "auto", "with merge: the unit of each input where the file declares none "
                          "(e.g. mm/year, 1, mm); converted to m and m/year", "paths")
    outdir: Path = option("outdir", "auto", "output folder; auto = beside each input", "path")


def output_path(cfg: NetcdfConfig, ctx: RunContext, path: Path) -> Path:
    """``<outdir>/<input stem>.nc`` (``.zarr`` for Zarr; ``<outname>`` for a merge)."""
    folder = ctx.resolve(cfg.outdir) if cfg.outdir else path.parent
    stem = cfg.outname if cfg.merge and cfg.outname and cfg.outname.lower() != "auto" else path.stem
    return folder / f"{stem}{'.zarr' if cfg.format == 'zarr' else '.nc'}"


def plan(cfg: NetcdfConfig, ctx: RunContext) -> Plan:
    out = Plan()
    if not cfg.dataset:
        out.problem("DataSet", "no product to export")
    for entry in cfg.dataset or ():
        path = ctx.resolve(entry)
        if out.need(ctx, "DataSet", path, "product") and (not cfg.merge or not out.outputs):
            out.outputs.append(output_path(cfg, ctx, path))
    for key, values in (("names", cfg.names), ("units", cfg.units)):
        if values and (not cfg.merge or len(values) != len(cfg.dataset or ())):
            out.problem(key, f"{len(values)} value(s): needs merge = yes and one value per DataSet entry "
                             f"({len(cfg.dataset or ())})")
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
    for key, values in (("names", cfg.names), ("units", cfg.units)):
        if values and (not cfg.merge or len(values) != len(cfg.dataset)):
            raise InputError(f"mimtpy.netcdf.{key}: {len(values)} value(s) need merge = yes and one value per "
                             f"DataSet entry ({len(cfg.dataset)})")
    if cfg.merge:
        from mimtpy.io.cube_write import merge_products

        paths = [ctx.resolve(entry) for entry in cfg.dataset]
        out = output_path(cfg, ctx, paths[0])
        if any(out.resolve() == p.resolve() for p in paths):
            raise InputError(f"{out}: the output would overwrite an input; choose another outdir or outname")
        settings = ctx.settings(cfg, inputs=[str(p) for p in paths])
        stamp = out.parent / f".mimtpy_netcdf_{out.name}.json"
        if is_current(ctx, stamp, [out], paths, settings):
            return [out]
        product = merge_products([open_product(p) for p in paths], list(cfg.names) if cfg.names else None,
                                 list(cfg.units) if cfg.units else None)
        names = list(cfg.datasets) if cfg.datasets else None
        written = [write_cube(out, product, names, cfg.alignsar, cfg.format, cfg.complevel)]
        write_stamp(stamp, settings)
        return written
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
