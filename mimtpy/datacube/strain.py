"""Strain rates of a horizontal velocity field (``strain`` step, script ``strain_rates.py``).

Input: one velocity cube (NetCDF/Zarr: ITS_LIVE ``vx``/``vy`` along ``mid_date``, composited over the
selected layers, median weighted by ``1/v_error^2``) or two rasters (x/east and y/north components in m/yr).
Writes GeoTIFFs on the input grid (or its bbox subset) in 1/yr: ``exx``, ``eyy``, ``exy``, ``e1``, ``e2``
(principal rates, e1 >= e2), ``effective`` (sqrt(0.5 (exx^2 + eyy^2) + exy^2)), ``rotation`` (rad/yr,
anticlockwise positive), ``e1_azimuth`` (degrees clockwise from +y), flow-aligned ``longitudinal``,
``transverse``, ``shear``; the composite ``vx``, ``vy``, ``v`` (m/yr) and ``count``; ``flux_divergence``
(m/yr) with an ice thickness; and a map (``strain.png``, principal axes as crosses). With ``annual = yes``
one folder per calendar year. Conventions: :mod:`mimtpy.datacube.kinematics`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step

logger = logging.getLogger(__name__)

STRAIN_OUTPUTS = ("exx", "eyy", "exy", "e1", "e2", "effective", "rotation", "e1_azimuth", "longitudinal",
                  "transverse", "shear")
FIELD_OUTPUTS = ("vx", "vy", "v", "count")


@dataclass(frozen=True)
class StrainConfig(SectionConfig):
    SECTION: ClassVar[str] = "strain"
    HELP: ClassVar[str] = "Strain rates of a velocity cube or of two velocity rasters"
    dataset: tuple = option("DataSet", "none", "one velocity cube (NetCDF/Zarr, e.g. ITS_LIVE) or two rasters "
                            "(x/east then y/north component, m/yr)", "paths")
    vx: str = option("vx", "auto", "name of the x/east component; auto = vx, east, ve (first present)", "str")
    vy: str = option("vy", "auto", "name of the y/north component; auto = vy, north, vn (first present)", "str")
    error: str = option("error", "auto", "error variable weighting the composite (1/error^2); auto = v_error if "
                        "present; none = unweighted", "str")
    period: str = option("period", "auto", "layers whose date is in D1_D2 (YYYYMMDD_YYYYMMDD); auto = all", "str")
    season: str = option("season", "auto", "only layers in these months (e.g. 6 7 8); auto = all months", "str")
    annual: bool = option("annual", "no", "one composite (and strain-rate set) per calendar year", "bool")
    snwe: tuple = option("SNWE", "auto", "subset S N W E in degrees (transformed to the cube CRS); auto = all",
                         "snwe")
    bbox: tuple = option("bbox", "auto", "subset xmin ymin xmax ymax in the cube's CRS; auto = all", "floats",
                         count=4)
    composite: str = option("composite", "auto", "per-pixel composite of the layers; auto = weighted_median when "
                            "an error variable exists, else median", "choice",
                            choices=("auto", "weighted_median", "median", "mean"))
    min_count: int = option("minCount", "1", "fewest valid layers for a composite pixel", "int", lo=1)
    method: str = option("method", "nominal", "nominal (engineering) strain rates, or log strain rates "
                         "(Alley et al. 2018)", "choice", choices=("nominal", "log"))
    upscale: int = option("upscale", "1", "smoothing half-width k in pixels: gradients over 2k pixels "
                          "(1 = adjacent pixels)", "int", lo=1, hi=100)
    thickness: Path = option("thickness", "none", "ice-thickness GeoTIFF (m) on the same grid: adds the flux "
                             "divergence d(Hu)/dx + d(Hv)/dy", "path")
    figure: bool = option("figure", "yes", "map of the strain rates with principal axes as crosses", "bool")
    outdir: Path = option("outdir", "strain", "output folder", "path")


def _check_text(cfg: StrainConfig, plan: Plan | None = None) -> tuple:
    from mimtpy.datacube.composite import parse_months, parse_period
    from mimtpy.errors import InputError

    period = months = None
    try:
        period = parse_period(cfg.period, "mimtpy.strain.period")
    except InputError as err:
        if plan is None:
            raise
        plan.problem("period", str(err))
    try:
        months = parse_months(cfg.season, "mimtpy.strain.season")
    except InputError as err:
        if plan is None:
            raise
        plan.problem("season", str(err))
    return period, months


def plan(cfg: StrainConfig, ctx: RunContext) -> Plan:
    out = Plan()
    if not cfg.dataset or len(cfg.dataset) not in (1, 2):
        out.problem("DataSet", "give one velocity cube or two rasters (vx, vy)")
    for entry in cfg.dataset or ():
        out.need(ctx, "DataSet", Path(entry), "velocity input")
    if cfg.thickness is not None:
        out.need(ctx, "thickness", cfg.thickness, "ice thickness GeoTIFF")
    _check_text(cfg, out)
    outdir = ctx.resolve(cfg.outdir)
    out.writable(ctx, "outdir", outdir)
    if not cfg.annual:
        out.outputs += [outdir / f"{name}.tif" for name in (*STRAIN_OUTPUTS, *FIELD_OUTPUTS)]
    else:
        out.outputs.append(outdir)
    return out


def _opt(text: str | None) -> str | None:
    return None if text is None or str(text).strip().lower() in ("", "auto") else str(text).strip()


def run(cfg: StrainConfig, ctx: RunContext) -> list[Path]:
    """Composite the field(s), compute the strain products and write them; returns the files written."""
    from mimtpy.datacube.fields import velocity_fields
    from mimtpy.datacube.kinematics import check_metric_grid, strain_rates
    from mimtpy.datacube.stamp import is_current, write_stamp
    from mimtpy.errors import InputError
    from mimtpy.io import open_product, write_geotiff

    if not cfg.dataset or len(cfg.dataset) not in (1, 2):
        raise InputError("mimtpy.strain.DataSet: give one velocity cube or two rasters (vx, vy)")
    period, months = _check_text(cfg)
    paths = [ctx.resolve(p) for p in cfg.dataset]
    outdir = ctx.resolve(cfg.outdir)
    settings = ctx.settings(cfg, inputs=[str(p) for p in paths])
    stamp = outdir / ".mimtpy_strain.json"
    names = (*STRAIN_OUTPUTS, *FIELD_OUTPUTS) + (("flux_divergence",) if cfg.thickness else ())
    inputs = paths + ([ctx.resolve(cfg.thickness)] if cfg.thickness else [])
    if not cfg.annual:
        expected = [outdir / f"{n}.tif" for n in names] + ([outdir / "strain.png"] if cfg.figure else [])
        if is_current(ctx, stamp, expected, inputs, settings):
            return expected
    fields = velocity_fields(paths, _opt(cfg.vx), _opt(cfg.vy), _opt(cfg.error), period, months, cfg.annual,
                             cfg.snwe, cfg.bbox or None, cfg.composite, cfg.min_count, ctx.compute.max_memory)
    written: list[Path] = []
    for field in fields:
        check_metric_grid(field.grid, str(paths[0]))
        thickness = None
        if cfg.thickness is not None:
            th = open_product(ctx.resolve(cfg.thickness))
            if th.grid.shape != fields[0].grid.shape and th.grid.epsg == field.grid.epsg:
                from mimtpy.datacube.composite import bbox_window

                x0, y0 = field.grid.x_first, field.grid.y_first
                rows, cols = bbox_window(th.grid, bbox=(x0, y0 + field.grid.length * field.grid.y_step,
                                                        x0 + field.grid.width * field.grid.x_step, y0))
                th_grid = th.grid.subset(rows, cols)
            else:
                rows, cols, th_grid = slice(None), slice(None), th.grid
            if th_grid.shape != field.grid.shape or th_grid.epsg != field.grid.epsg or abs(
                    th_grid.x_first - field.grid.x_first) > 1e-6 * abs(field.grid.x_step) or abs(
                    th_grid.y_first - field.grid.y_first) > 1e-6 * abs(field.grid.y_step):
                raise InputError(f"{th.path}: the thickness grid {th_grid} is not the velocity grid {field.grid}; "
                                 "resample it onto the velocity grid first")
            thickness = th.read(next(iter(th.datasets)), rows, cols).astype("float64")
        res = strain_rates(field.grid, field.data["vx"], field.data["vy"], cfg.upscale, cfg.method, thickness,
                           ctx.compute.max_memory)
        folder = outdir / field.label if field.label else outdir
        units = {**dict.fromkeys(STRAIN_OUTPUTS, "1/year"), "rotation": "radian/year", "e1_azimuth": "degree",
                 "vx": "m/year", "vy": "m/year", "v": "m/year", "count": "1", "flux_divergence": "m/year"}
        tags = {"SOURCE": ", ".join(str(p) for p in paths), "METHOD": cfg.method, "UPSCALE": cfg.upscale,
                "PERIOD": cfg.period or "all", "SEASON": cfg.season or "all", "LABEL": field.label or "all",
                "FRAME": "grid x/y axes (projection axes for projected CRSs)"}
        for name in names:
            data = res[name] if name in res else field.data[name]
            written.append(write_geotiff(folder / f"{name}.tif", data, field.grid,
                                         {**tags, "FILE_TYPE": name, "UNIT": units[name]}))
        if cfg.figure:
            from mimtpy.datacube.maps import strain_figure

            title = f"strain rates {field.label or cfg.period or ''} ({cfg.method}, k={cfg.upscale})"
            written.append(strain_figure(folder / "strain.png", field.grid, res, title))
    write_stamp(stamp, settings)
    return written


STEP = Step("strain", "datacube", StrainConfig, plan, run, scripts=("strain_rates.py",))
