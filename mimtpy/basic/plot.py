"""The ``plot`` step (basic; script ``plot_geotiff.py``): maps of products with faults, GNSS and relief.

What a map shows and its conventions are described in :mod:`mimtpy.viz.maps`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step, writable_problem
from mimtpy.errors import InputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlotConfig(SectionConfig):
    SECTION: ClassVar[str] = "plot"
    HELP: ClassVar[str] = "Maps of products with faults, GNSS and relief"
    dataset: tuple = option("DataSet", "auto", "files to plot; auto = the outputs of the steps run before in this template", "paths")
    type: str = option("type", "auto", "dataset to plot (velocity, velocityStd, height, ...); auto = the file's main dataset", "str")
    vlim: tuple = option("vlim", "auto", "colour limits min max in display units (mm/yr, mm; MintPy --vlim); auto = +-99.9th percentile of |value| for signed data, 1st-99th percentile for one-sided data", "floats", count=2)
    cmap: str = option("cmap", "auto", "matplotlib colormap name (MintPy --cmap; GMT: a GMT CPT name or the same name); auto = RdBu_r centred on 0 for signed data, viridis for one-sided data (std, coherence, cond, counts, all of one sign), twilight_shifted when wrapped", "str")
    wrap: float = option("wrap", "none", "wrap the displayed values into [-RANGE/2, RANGE/2) in display units, e.g. 28 (mm, one Sentinel-1 fringe; MintPy --wrap)", "float", lo=1e-9)
    zero_mask: str = option("zeroMask", "auto", "show pixels equal to 0 as no data (MintPy writes 0 for masked pixels; --zero-mask); auto = yes for velocity files", "choice", choices=("auto", "yes", "no"))
    nonlinear: bool = option("nonlinear", "no", "symmetric logarithmic colour scale (linear within 10% of the limit)", "bool")
    shade: Any = option("shade", "auto", "shaded relief under the data: yes, no, auto = when the product has a height", "bool_or_path")
    dem: Path = option("dem", "none", "DEM file for the relief (any product with heights, resampled to the map)", "path")
    shpdir: Path = option("shpdir", "none", "folder whose vector files (shp, GeoJSON, GeoPackage, KML, GMT text) are all drawn", "path")
    fault: Path = option("fault", "none", "fault file (shp, GeoJSON, GeoPackage, KML, GMT multi-segment lon lat text)", "path")
    fcolor: str = option("fcolor", "black", "colour of the fault lines", "str")
    fstyle: str = option("fstyle", "solid", "line style of the fault lines", "choice", choices=("solid", "dashed", "dotted", "dashdot"))
    refpoi: bool = option("refpoi", "yes", "mark the reference point", "bool")
    scalebar: bool = option("scalebar", "yes", "draw a scale bar in km", "bool")
    gnss: Path = option("gnss", "none", "GNSS velocity table (GLOBK .vel, UNR MIDAS, CSV lon,lat,ve,vn[,vu,se,sn,su,site] in mm/yr)", "path")
    gnss_format: str = option("gnssFormat", "auto", "GNSS table format", "choice", choices=("auto", "globk", "midas", "csv"))
    gnss_mode: str = option("gnssMode", "arrows", "arrows (horizontal), los (projected into the product's LOS and compared), or both", "choice", choices=("arrows", "los", "both"))
    gnss_scale: float = option("gnssScale", "auto", "arrow scale: mm/yr across the map width; auto = 8 x the largest velocity", "float", lo=1e-6)
    gnss_ref: str = option("gnssRef", "auto", "GNSS site to reference InSAR and GNSS to; auto = remove the median difference", "str")
    backend: str = option("backend", "matplotlib", "plotting backend (pygmt needs GMT 6.4+ and pygmt 0.16)", "choice", choices=("matplotlib", "pygmt"))
    format: str = option("format", "png", "figure format", "choice", choices=("png", "pdf"))
    dpi: int = option("dpi", "300", "figure resolution", "int", lo=50, hi=1200)
    kmz: bool = option("kmz", "no", "also write a KMZ overlay for Google Earth", "bool")
    outdir: Path = option("outdir", "auto", "folder of the figures; auto = beside each product", "path")
    overview: bool = option("overview", "yes", "also draw all plotted products on one overview figure in the project folder", "bool")


def plan(cfg: PlotConfig, ctx: RunContext) -> Plan:
    """The files to draw and every vector, GNSS and DEM file found."""
    result = Plan()
    for entry in cfg.dataset or ():
        result.need(ctx, "DataSet", ctx.resolve(entry))
    for key, path in (("fault", cfg.fault), ("gnss", cfg.gnss), ("dem", cfg.dem), ("shpdir", cfg.shpdir)):
        result.need(ctx, key, path)
    if isinstance(cfg.shade, Path):
        result.problem("shade", f"'{cfg.shade}' is not yes/no/auto; give a DEM file with mimtpy.plot.dem")
    folders = [ctx.resolve(cfg.outdir)] if cfg.outdir else [ctx.resolve(e).parent for e in cfg.dataset or ()]
    for folder in dict.fromkeys(folders):
        result.writable(ctx, "outdir", folder)
    if cfg.overview and not cfg.outdir and writable_problem(ctx.project_dir):
        result.problem("overview", f"cannot write the overview figure to {ctx.project_dir} "
                                   f"({writable_problem(ctx.project_dir)}); set outdir, or overview = no")
    result.notes.append(f"draws {', '.join(cfg.dataset) if cfg.dataset else 'the products of the steps before'}"
                        f" as {cfg.format}")
    return result


def _resolved(cfg: PlotConfig, ctx: RunContext) -> PlotConfig:
    """``cfg`` with its file keys resolved against the project folder."""
    files = {key: ctx.resolve(getattr(cfg, key)) for key in ("fault", "gnss", "dem", "shpdir", "outdir")
             if getattr(cfg, key)}
    return dataclasses.replace(cfg, **files)


def run(cfg: PlotConfig, ctx: RunContext) -> list[Path]:
    """Map every file of DataSet (auto = the products made earlier in this run) and an overview."""
    from mimtpy.viz import maps, render

    cfg = _resolved(cfg, ctx)
    if cfg.dataset:
        paths = [ctx.resolve(p) for p in cfg.dataset]
    else:
        paths = [p for p in ctx.produced if p.suffix == ".h5" and p.name != "truth.h5" and maps.has_map(p)]
    if not paths:
        raise InputError("mimtpy.plot: nothing to plot; set mimtpy.plot.DataSet or enable a step that makes products")
    if cfg.backend == "pygmt":
        from mimtpy.viz.gmt import require_pygmt
        require_pygmt()
    style = dataclasses.replace(cfg, dataset=None, overview=False)     # what a figure depends on
    extra = [p for p in (cfg.fault, cfg.gnss, cfg.dem, cfg.shpdir) if p]
    outputs = []
    for path in paths:
        out = (cfg.outdir or path.parent) / f"{path.stem}.{cfg.format}"
        outputs += _current_or(ctx, out, [path, *extra], ctx.settings(style, input=str(path)),
                               lambda path=path, out=out: render.plot_product(path, cfg, out))
    if cfg.overview and len(paths) > 1:
        out = (cfg.outdir or ctx.project_dir) / f"overview.{cfg.format}"
        logger.info("overview of %d products: %s", len(paths), ", ".join(str(p) for p in paths))
        outputs += _current_or(ctx, out, [*paths, *extra], ctx.settings(style, inputs=[str(p) for p in paths]),
                               lambda: [maps.plot_overview(paths, cfg, out)])
    return outputs


def _current_or(ctx: RunContext, figure: Path, inputs: list[Path], settings: dict,
                draw: Callable[[], list[Path]]) -> list[Path]:
    """The files of ``figure`` (the figure, GNSS scatter, KMZ) found up to date, else drawn by ``draw``; the
    settings are recorded in ``.<figure name>.mimtpy.json`` beside it."""
    stamp = figure.with_name(f".{figure.name}.mimtpy.json")
    recorded = ctx.recorded(stamp, settings)
    if recorded and ctx.is_current(recorded, inputs, settings, stamp):
        return recorded
    written = draw()
    ctx.record(stamp, settings, written)
    return written


STEP = Step("plot", "basic", PlotConfig, plan, run, scripts=("plot_geotiff.py",))
