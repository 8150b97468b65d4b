"""The ``view`` step (tools; script ``tsview.py``): a time-series viewer in the browser.

Starts a Bokeh server on 127.0.0.1 showing a map of each product (velocity or displacement of a period,
computed on a decimated grid, or a 2-D dataset) with faults and GNSS; clicking a pixel (or typing lat/lon)
shows the series of every product there with the fitted rate over the period. It runs until interrupted
(Ctrl-C), so it is the last step of the registry. The viewer itself lives in :mod:`mimtpy.viz.tsview`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mimtpy.config import GNSS_FORMATS, SectionConfig, option
from mimtpy.context import Plan, RunContext, Step
from mimtpy.errors import InputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ViewConfig(SectionConfig):
    SECTION: ClassVar[str] = "view"
    HELP: ClassVar[str] = "Time-series viewer in the browser (click a pixel, see its history)"
    dataset: tuple = option("DataSet", "auto", "files to show (HDF-EOS5, timeseries.h5, NetCDF/Zarr cubes, velocity .h5, GeoTIFF); auto = the products of the steps run before", "paths")
    type: str = option("type", "velocity", "first map: velocity or displacement of the period, or a 2-D dataset of the file (height, temporalCoherence, ...)", "str")
    start_date: str = option("startDate", "auto", "first date of the period, YYYYMMDD; auto = first acquisition", "date")
    end_date: str = option("endDate", "auto", "last date of the period, YYYYMMDD; auto = last acquisition", "date")
    vlim: tuple = option("vlim", "auto", "colour limits min max in display units (mm/yr, mm); auto = the plot step's rule (symmetric 99.9th percentile of |value| for signed data, 1st-99th percentile for one-sided)", "floats", count=2)
    cmap: str = option("cmap", "auto", "matplotlib colormap name; auto = RdBu_r for signed data, viridis for one-sided (as the plot step)", "str")
    shade: Any = option("shade", "auto", "shaded relief under the map: yes, no, auto = when the product has a height", "bool_or_path")
    dem: Path = option("dem", "none", "DEM file for the relief (any product with heights)", "path")
    fault: Path = option("fault", "none", "fault file (shp, GeoJSON, GeoPackage, KML, GMT multi-segment lon lat text)", "path")
    shpdir: Path = option("shpdir", "none", "folder whose vector files are all drawn", "path")
    fcolor: str = option("fcolor", "black", "colour of the fault lines", "str")
    gnss: Path = option("gnss", "none", "GNSS velocity table (GLOBK .vel, UNR MIDAS, CSV lon,lat,ve,vn[,vu,...] in mm/yr): stations on the map, their LOS rate beside a series", "path")
    gnss_format: str = option("gnssFormat", "auto", "GNSS table format", "choice", choices=("auto", *GNSS_FORMATS))
    max_pixels: int = option("maxPixels", "1000", "most pixels along a side of the map (every k-th pixel is read)", "int", lo=50, hi=5000)
    port: int = option("port", "5006", "port on 127.0.0.1 (0 = any free port)", "int", lo=0, hi=65535)
    open_browser: bool = option("openBrowser", "yes", "open the page in the default web browser", "bool")
    export_dir: Path = option("exportDir", "tsview", "folder of the exported CSV and PNG files, relative to the project folder", "path")


def _paths(cfg: ViewConfig, ctx: RunContext) -> list[Path]:
    if cfg.dataset:
        return [ctx.resolve(p) for p in cfg.dataset]
    return [p for p in ctx.produced if p.suffix.lower() in (".h5", ".he5", ".nc", ".zarr", ".tif")
            and p.name != "truth.h5"]


def plan(cfg: ViewConfig, ctx: RunContext) -> Plan:
    """The files to show, the vector, GNSS and DEM files, the export folder writable."""
    result = Plan()
    for entry in cfg.dataset or ():
        result.need(ctx, "DataSet", ctx.resolve(entry))
    for key, path in (("fault", cfg.fault), ("gnss", cfg.gnss), ("dem", cfg.dem), ("shpdir", cfg.shpdir)):
        result.need(ctx, key, path)
    if isinstance(cfg.shade, Path):
        result.problem("shade", f"'{cfg.shade}' is not yes/no/auto; give a DEM file with mimtpy.view.dem")
    result.period(cfg.start_date, cfg.end_date)
    result.writable(ctx, "exportDir", ctx.resolve(cfg.export_dir))
    result.notes.append(f"serves a viewer of {', '.join(cfg.dataset) if cfg.dataset else 'the products made before'}"
                        f" on 127.0.0.1:{cfg.port} until interrupted")
    return result


def settings(cfg: ViewConfig, ctx: RunContext):
    """The :class:`mimtpy.viz.tsview.viewer.ViewerSettings` of a config (paths resolved)."""
    from mimtpy.viz.tsview.viewer import ViewerSettings

    paths = _paths(cfg, ctx)
    if not paths:
        raise InputError("mimtpy.view: nothing to show; set mimtpy.view.DataSet or enable a step that makes products")
    files = {k: ctx.resolve(getattr(cfg, k)) if getattr(cfg, k) else None for k in ("dem", "fault", "shpdir", "gnss")}
    return ViewerSettings(tuple(paths), cfg.type, cfg.start_date, cfg.end_date, cfg.vlim, cfg.cmap,
                          cfg.shade, files["dem"], files["fault"], files["shpdir"], cfg.fcolor, files["gnss"],
                          cfg.gnss_format, cfg.max_pixels, min(ctx.compute.max_memory, 1.0),
                          ctx.resolve(cfg.export_dir))


def serve(cfg: ViewConfig, ctx: RunContext, ready: Callable[[str], Any] | None = None) -> list[Path]:
    """Open the products, serve the viewer until interrupted; ``ready(url)`` is called once it listens.
    Returns the files exported during the session."""
    from mimtpy.viz.tsview.server import ViewerServer
    from mimtpy.viz.tsview.viewer import Viewer

    problems = plan(cfg, ctx)
    problems.raise_problems("view")
    viewer = Viewer(settings(cfg, ctx))
    export_dir = viewer.settings.export_dir
    before = set(export_dir.glob("*")) if export_dir.is_dir() else set()

    def on_ready(url: str) -> None:
        if cfg.open_browser:
            import webbrowser
            webbrowser.open(url)
        if ready is not None:
            ready(url)

    ViewerServer(viewer, cfg.port).serve(on_ready)
    return sorted(set(export_dir.glob("*")) - before) if export_dir.is_dir() else []


def run(cfg: ViewConfig, ctx: RunContext) -> list[Path]:
    """Serve the viewer (the URL is logged) until interrupted; returns the files exported."""
    return serve(cfg, ctx, lambda url: logger.warning("tsview: open %s in a browser (Ctrl-C to stop)", url))


STEP = Step("view", "tools", ViewConfig, plan, run, scripts=("tsview.py",))
