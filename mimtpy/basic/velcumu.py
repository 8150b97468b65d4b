"""The ``velcumu`` step (basic; script ``HDFEOS_to_geotiff.py``): velocity or cumulative displacement of
each DataSet time series over a period.

Outputs are MintPy ``.h5`` files (+ GeoTIFF) under ``<project>/mintpy/velocity/`` or
``…/displacement/`` (``outdir``/<project name>/ when given for several projects), named
``velocity_<D1>_<D2>.h5``. The computation is described in :mod:`mimtpy.ops.velocity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step
from mimtpy.errors import InputError
from mimtpy.ops.paths import project_name, resolve_dataset

#: geometry datasets of MintPy products (mimtpy.io.hdf5.GEOMETRY_NAMES; a test keeps the two equal)
GEOMETRY_NAMES = ("height", "incidenceAngle", "azimuthAngle", "slantRangeDistance", "shadowMask", "waterMask",
                  "latitude", "longitude")
#: what HDFEOS_to_geotiff.py writes: a period product, or a 2-D dataset (or all geometry) of the file
ATTRIBUTES = ("velocity", "displacement", "mask", "temporalCoherence", "avgSpatialCoherence", "geometry",
              *GEOMETRY_NAMES)


@dataclass(frozen=True)
class VelcumuConfig(SectionConfig):
    SECTION: ClassVar[str] = "velcumu"
    HELP: ClassVar[str] = "Velocity or cumulative displacement over a period"
    dataset: tuple = option("DataSet", "none",
                            "projects: HDF-EOS5/timeseries.h5 files, their folders, or MimtPy project names under $SCRATCHDIR/<name>/mintpy/",
                            "paths")
    type: tuple = option("type", "velocity", "what to compute, one or both (comma separated)", "words",
                         choices=("velocity", "displacement"))
    snwe: tuple = option("SNWE", "auto", "subset S N W E in degrees; auto = whole scene", "snwe")
    start_date: str = option("startDate", "auto", "YYYYMMDD, snapped to the nearest acquisition; auto = first", "date")
    end_date: str = option("endDate", "auto", "YYYYMMDD, snapped to the nearest acquisition; auto = last", "date")
    mask: Any = option("mask", "no", "yes = the product's own mask, no, or a mask file (non-zero = valid)", "bool_or_path")
    reference_point: tuple = option("referencePoint", "auto", "lat, lon to re-reference to; auto = the product's REF_LAT/REF_LON", "latlon")
    min_epochs: int = option("minEpochs", "3", "fewest valid epochs for a pixel to get a velocity (std needs 3)", "int", lo=2)
    geotiff: bool = option("geotiff", "yes", "also write a GeoTIFF of every output", "bool")
    outdir: Path = option("outdir", "auto", "output folder; auto = <project>/mintpy/velocity|displacement/", "path")


def _outdir(cfg: VelcumuConfig, ctx: RunContext, path: Path, several: bool) -> Path | None:
    if cfg.outdir is None:
        return None
    outdir = ctx.resolve(cfg.outdir)
    return outdir / project_name(path) if several else outdir


def plan(cfg: VelcumuConfig, ctx: RunContext) -> Plan:
    """Every DataSet entry found now or made by an earlier step; the outputs' folders writable."""
    result = Plan()
    if not cfg.dataset:
        result.problem("DataSet", "no project given (a product file, a folder or a project name)")
        return result
    for entry in cfg.dataset:
        candidate = ctx.resolve(entry)
        if ctx.is_planned(candidate):
            result.inputs.append(candidate)
            mintpy = candidate / "mintpy" if candidate.name != "mintpy" else candidate
            for kind in cfg.type:
                folder = _outdir(cfg, ctx, mintpy, len(cfg.dataset) > 1) or mintpy / kind
                result.outputs.append(folder)
                result.writable(ctx, "outdir" if cfg.outdir else "DataSet", folder)
            continue
        try:
            path = resolve_dataset(entry, ctx.project_dir)
        except InputError as err:
            result.problem("DataSet", str(err))
            continue
        result.inputs.append(path)
        result.period_in_series(ctx, [path], cfg.start_date, cfg.end_date)
        for kind in cfg.type:
            folder = _outdir(cfg, ctx, path, len(cfg.dataset) > 1) or path.parent / kind
            result.outputs.append(folder)
            result.writable(ctx, "outdir" if cfg.outdir else "DataSet", folder)
    if isinstance(cfg.mask, Path):
        result.need(ctx, "mask", cfg.mask)
    result.period(cfg.start_date, cfg.end_date)
    for kind in cfg.type:
        result.notes.append(f"writes {kind}_<D1>_<D2>.h5{' + .tif' if cfg.geotiff else ''} under "
                            f"{cfg.outdir or '<project>/mintpy/' + kind + '/'}")
    return result


def run(cfg: VelcumuConfig, ctx: RunContext) -> list[Path]:
    """One velocity and/or displacement product per DataSet entry."""
    from mimtpy.basic.products import process

    if not cfg.dataset:
        raise InputError("mimtpy.velcumu.DataSet: no project given")
    outputs: list[Path] = []
    paths = [resolve_dataset(entry, ctx.project_dir) for entry in cfg.dataset]
    for path in paths:
        for kind in cfg.type:
            outputs += process(path, kind, cfg, ctx, _outdir(cfg, ctx, path, len(paths) > 1))
    return outputs


STEP = Step("velcumu", "basic", VelcumuConfig, plan, run, scripts=("HDFEOS_to_geotiff.py",))
