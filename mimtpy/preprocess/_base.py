"""What every exporter shares: the input keys of its config model, the quadtree keys, plan checks
and the output names. Light at import time (no numpy): the config models of the step modules
derive from :class:`ExportConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext


@dataclass(frozen=True)
class ExportConfig(SectionConfig):
    """Input keys shared by all exporters."""

    SECTION: ClassVar[str] = ""
    dataset: Path = option("DataSet", "none", "product to export: HDF-EOS5/timeseries.h5 (velocity or displacement "
                           "of a period), a velocity/displacement .h5, GeoTIFF or ROI_PAC .unw", "path")
    type: str = option("type", "auto", "what to export from a time series; auto = displacement when date is "
                       "given, else velocity", "choice", choices=("auto", "velocity", "displacement"))
    date: str = option("date", "auto", "D1_D2 (YYYYMMDD_YYYYMMDD): displacement between the acquisitions nearest "
                       "to D1 and D2; auto = the whole time series", "str")
    dataname: str = option("dataname", "auto", "dataset of a 2-D product; auto = velocity, displacement or "
                           "unwrapPhase", "str")
    geometry: Path = option("geometry", "auto", "file with incidenceAngle and azimuthAngle (geometryGeo.h5, "
                            "HDF-EOS5, ROI_PAC .los); auto = the product's own or one beside it", "path")
    snwe: tuple = option("SNWE", "auto", "crop to S N W E in degrees (data, geometry and corners); auto = "
                         "whole scene", "snwe")
    mask: Any = option("mask", "no", "yes = the product's mask dataset, no, or a mask file (non-zero = "
                       "valid)", "bool_or_path")
    wavelength: float = option("wavelength", "auto", "radar wavelength in m; auto = the product's WAVELENGTH",
                               "float", lo=1e-4, hi=10)
    outname: str = option("outname", "auto", "base name of the outputs; auto = <product>[_D1_D2]",
                          "str")
    outdir: Path = option("outdir", "auto", "output folder; auto = <project folder>/<section>", "path")


@dataclass(frozen=True)
class QuadtreeExportConfig(ExportConfig):
    """Exporters that can downsample with the quadtree (Kite's parameters)."""

    quadtree: bool = option("quadtree", "no", "downsample with Kite's quadtree and write the leaves", "bool")
    epsilon: float = option("epsilon", "auto", "split threshold: std of a tile in data units (m or m/yr); "
                            "auto = std of the scene (Kite)", "float", lo=0)
    nan_allowed: float = option("nanAllowed", "0.9", "fraction of NaN a leaf may hold (0 < f <= 1)", "float",
                                lo=1e-9, hi=1)
    tile_size_min: float = option("tileSizeMin", "auto", "smallest leaf, in the frame unit (degrees for lon/lat "
                                  "grids, metres for projected ones, as Kite); auto = 1/20 of the scene", "float",
                                  lo=0)
    tile_size_max: float = option("tileSizeMax", "auto", "largest leaf, in the frame unit; auto = 1/5 of the "
                                  "scene", "float", lo=0)
    correction: str = option("correction", "median", "what is removed from a tile before its std is compared "
                             "with epsilon (Kite)", "choice", choices=("mean", "median", "bilinear", "std"))


def plan_inputs(cfg: ExportConfig, ctx: RunContext) -> Plan:
    """Input checks of every exporter (the product, geometry and mask files, the date text)."""
    plan = Plan()
    if cfg.dataset is None:
        plan.problem("DataSet", "no product given")
    else:
        plan.datasets(ctx, "DataSet", [str(cfg.dataset)])
    if cfg.geometry is not None:
        plan.need(ctx, "geometry", cfg.geometry, "geometry file")
    if isinstance(cfg.mask, Path):
        plan.need(ctx, "mask", cfg.mask, "mask file")
    plan.date_pair("date", cfg.date)
    plan.writable(ctx, "outdir", out_folder(cfg, ctx))
    return plan


def out_folder(cfg: ExportConfig, ctx: RunContext) -> Path:
    return ctx.resolve(cfg.outdir) if cfg.outdir is not None else ctx.resolve(cfg.SECTION)


def out_name(cfg: ExportConfig) -> str:
    """``outname`` or ``<product stem>[_D1_D2]``."""
    if cfg.outname:
        return cfg.outname
    stem = Path(str(cfg.dataset)).stem if cfg.dataset is not None else cfg.SECTION
    date = (cfg.date or "auto").strip()
    return f"{stem}_{date.replace('-', '_')}" if date.lower() != "auto" else stem


def load(cfg: ExportConfig, ctx: RunContext):
    """The :class:`~mimtpy.preprocess.source.ExportInput` of a config (heavy imports happen here)."""
    from mimtpy.preprocess.source import load_input

    date = None if (cfg.date or "auto").strip().lower() == "auto" else cfg.date
    from mimtpy.ops.paths import resolve_dataset

    path = ctx.resolve(cfg.dataset)
    if not ctx.is_planned(path):                      # a product file, its folder or a project name
        path = resolve_dataset(str(cfg.dataset), ctx.project_dir)
    return load_input(path, date12=date, kind=None if cfg.type == "auto" else cfg.type,
                      dataname=cfg.dataname, geometry=ctx.resolve(cfg.geometry) if cfg.geometry else None,
                      snwe=cfg.snwe, mask=ctx.resolve(cfg.mask) if isinstance(cfg.mask, Path) else cfg.mask,
                      max_memory=ctx.compute.max_memory)


def quadtree_kwargs(cfg: QuadtreeExportConfig) -> dict:
    return {"epsilon": cfg.epsilon, "nan_allowed": cfg.nan_allowed, "tile_size_min": cfg.tile_size_min,
            "tile_size_max": cfg.tile_size_max, "correction": cfg.correction}
