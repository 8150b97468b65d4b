"""Particle tracking through a velocity field (``track`` step, script ``track_particles.py``).

Seeds (a CSV of points or a line of evenly spaced points) are advected through the composite velocity of
a cube (or two rasters), or through annual composites interpolated in time (``timeVarying = yes``), with
bilinear interpolation and RK2 (or RK4) steps, stopping at no-data. Writes ``paths.csv`` (one row per
point and step), ``paths.geojson`` (one LineString per seed, lon/lat, RFC 7946) and ``paths.png`` (paths on
the speed map). Conventions: :mod:`mimtpy.datacube.tracking`.
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
class TrackConfig(SectionConfig):
    SECTION: ClassVar[str] = "track"
    HELP: ClassVar[str] = "Particle tracking through a velocity cube or two rasters"
    dataset: tuple = option("DataSet", "none", "one velocity cube (NetCDF/Zarr, e.g. ITS_LIVE) or two rasters "
                            "(x/east then y/north component, m/yr)", "paths")
    vx: str = option("vx", "auto", "name of the x/east component; auto = vx, east, ve (first present)", "str")
    vy: str = option("vy", "auto", "name of the y/north component; auto = vy, north, vn (first present)", "str")
    error: str = option("error", "auto", "error variable weighting the composite; auto = v_error if present; "
                        "none = unweighted", "str")
    composite: str = option("composite", "auto", "per-pixel composite of the layers", "choice",
                            choices=("auto", "weighted_median", "median", "mean"))
    period: str = option("period", "auto", "layers used, D1_D2 (YYYYMMDD_YYYYMMDD); auto = all", "str")
    time_varying: bool = option("timeVarying", "no", "advect through annual composites interpolated in time "
                                "(else one composite of the period)", "bool")
    seeds: Path = option("seeds", "none", "CSV of seed points: columns lon,lat or x,y (cube CRS), by header",
                         "path")
    seed_line: tuple = option("seedLine", "none", "a line of seeds: x1 y1 x2 y2 n (in seedCRS)", "floats", count=5)
    seed_crs: str = option("seedCRS", "lonlat", "coordinates of seedLine and of a CSV without lon/lat or x/y "
                           "header", "choice", choices=("lonlat", "grid"))
    start: str = option("start", "auto", "start date of the particles YYYYMMDD; auto = start of the data/period",
                        "date")
    duration: float = option("duration", "1", "years to track (negative = backwards in time)", "float",
                             lo=-1000, hi=1000)
    step: float = option("step", "10", "time step in days", "float", lo=1e-3, hi=36525)
    method: str = option("method", "rk2", "integration: rk2 (midpoint), rk4, or rk23 (adaptive steps, "
                         "Bogacki-Shampine; step = the first trial step)", "choice", choices=("rk2", "rk4", "rk23"))
    tolerance: float = option("tolerance", "1", "rk23: largest error estimate per step, in metres", "float",
                              lo=1e-9, hi=1e6)
    figure: bool = option("figure", "yes", "map of the paths on the speed", "bool")
    outdir: Path = option("outdir", "track", "output folder", "path")


def plan(cfg: TrackConfig, ctx: RunContext) -> Plan:
    out = Plan()
    if not cfg.dataset or len(cfg.dataset) not in (1, 2):
        out.problem("DataSet", "give one velocity cube or two rasters (vx, vy)")
    for entry in cfg.dataset or ():
        out.need(ctx, "DataSet", Path(entry), "velocity input")
    if cfg.seeds is None and not cfg.seed_line:
        out.problem("seeds", "no seeds: give a CSV (seeds) or a line (seedLine)")
    if cfg.seeds is not None:
        out.need(ctx, "seeds", cfg.seeds, "seed CSV")
    if cfg.seed_line and (cfg.seed_line[4] < 1 or cfg.seed_line[4] != int(cfg.seed_line[4])):
        out.problem("seedLine", f"n = {cfg.seed_line[4]} must be a whole number >= 1")
    outdir = ctx.resolve(cfg.outdir)
    out.writable(ctx, "outdir", outdir)
    out.outputs += [outdir / "paths.csv", outdir / "paths.geojson"] + ([outdir / "paths.png"] if cfg.figure else [])
    return out


def run(cfg: TrackConfig, ctx: RunContext) -> list[Path]:
    """Track the seeds; returns the files written."""
    from mimtpy.datacube.paths_io import read_seeds, seed_line, write_paths_csv, write_paths_geojson
    from mimtpy.datacube.stamp import is_current, write_stamp
    from mimtpy.errors import InputError

    if not cfg.dataset or len(cfg.dataset) not in (1, 2):
        raise InputError("mimtpy.track.DataSet: give one velocity cube or two rasters (vx, vy)")
    paths = [ctx.resolve(p) for p in cfg.dataset]
    outdir = ctx.resolve(cfg.outdir)
    outputs = [outdir / "paths.csv", outdir / "paths.geojson"] + ([outdir / "paths.png"] if cfg.figure else [])
    settings = ctx.settings(cfg, inputs=[str(p) for p in paths])
    stamp = outdir / ".mimtpy_track.json"
    inputs = paths + ([ctx.resolve(cfg.seeds)] if cfg.seeds else [])
    if is_current(ctx, stamp, outputs, inputs, settings):
        return outputs
    import numpy as np

    from mimtpy.core.dates import decimal_years
    from mimtpy.datacube.composite import parse_period
    from mimtpy.datacube.fields import velocity_fields
    from mimtpy.datacube.tracking import VelocityField, advect

    period = parse_period(cfg.period, "mimtpy.track.period")
    opt = {k: (None if v is None or str(v).lower() == "auto" else v) for k, v in
           (("vx", cfg.vx), ("vy", cfg.vy), ("error", cfg.error))}
    fields = velocity_fields(paths, opt["vx"], opt["vy"], opt["error"], period, None, cfg.time_varying, None, None,
                             cfg.composite, 1, ctx.compute.max_memory)
    grid = fields[0].grid
    times = [f.time if f.time is not None else 0.0 for f in fields]
    field = VelocityField(grid, np.stack([f.data["vx"] for f in fields]), np.stack([f.data["vy"] for f in fields]),
                          np.array(times))
    if cfg.seeds is not None:
        x0, y0 = read_seeds(ctx.resolve(cfg.seeds), grid, cfg.seed_crs)
    elif cfg.seed_line:
        x0, y0 = seed_line(cfg.seed_line, grid, cfg.seed_crs)
    else:
        raise InputError("mimtpy.track.seeds: no seeds: give a CSV (seeds) or a line (seedLine)")
    if cfg.start:
        t0 = float(decimal_years([cfg.start])[0])
    elif period:
        t0 = float(decimal_years([period[0]])[0])
    else:
        t0 = float(min(times)) if fields[0].time is not None else 0.0
    result = advect(field, x0, y0, t0, cfg.duration, cfg.step / 365.25, cfg.method, cfg.tolerance)
    no_start = int((result.last < 0).sum())
    if no_start:
        logger.warning("%d of %d seed(s) have no velocity at their start (outside the grid or on no-data); "
                       "they have no path", no_start, len(result.status))
    stopped = sum(s != "ok" for s in result.status)
    logger.info("tracked %d seed(s) for %g yr; %d stopped at no-data", len(result.status), cfg.duration, stopped)
    written = [write_paths_csv(outdir / "paths.csv", result, field, grid),
               write_paths_geojson(outdir / "paths.geojson", result, grid)]
    if cfg.figure:
        from mimtpy.datacube.maps import tracks_figure

        speed = np.nanmean(np.hypot(field.u, field.v), axis=0) if field.u.shape[0] > 1 else np.hypot(field.u[0],
                                                                                                   field.v[0])
        written.append(tracks_figure(outdir / "paths.png", grid, speed, result.x, result.y,
                                     f"{len(result.status)} paths, {cfg.duration:g} yr, {cfg.method}"))
    write_stamp(stamp, settings)
    return written


STEP = Step("track", "datacube", TrackConfig, plan, run, scripts=("track_particles.py",))
