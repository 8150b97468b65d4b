"""The ``transects`` step (analysis; script ``multi_transects.py``): profiles across a fault or between two points.

Geometry of the profiles, binning and outputs are described in :mod:`mimtpy.analysis.profiles`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import GNSS_FORMATS, SectionConfig, option
from mimtpy.context import Plan, RunContext, Step


@dataclass(frozen=True)
class TransectsConfig(SectionConfig):
    SECTION: ClassVar[str] = "transects"
    HELP: ClassVar[str] = "Profiles across a fault or between two points"
    dataset: tuple = option("DataSet", "none", "files to profile (velocity, hz/up, height, coherence, any 2-D product)", "paths")
    fault: Path = option("fault", "none", "fault trace: a vector file (shp, GeoJSON, GeoPackage, KML) or GMT lon lat text", "path")
    feature_index: int = option("featureIndex", "0", "which line of the fault file is the trace", "int", lo=0)
    start: tuple = option("start", "none", "lat, lon of the start of a two-point profile", "latlon")
    end: tuple = option("end", "none", "lat, lon of the end of a two-point profile", "latlon")
    number: int = option("number", "1", "number of profiles along the fault", "int", lo=1, hi=500)
    spacing: float = option("spacing", "auto", "km between profiles along the fault; auto = trace length / number", "float", lo=0.001)
    length: float = option("length", "20", "km of each profile on each side of the fault", "float", lo=0.001)
    width: float = option("width", "2", "km, full width of the swath averaged into a profile", "float", lo=0.001)
    bin_size: float = option("binSize", "0.5", "km, bin size along the profile", "float", lo=0.0001)
    gnss: Path = option("gnss", "none", "GNSS velocity table to show on the profiles", "path")
    geometry: Path = option("geometry", "none", "LOS geometry of point datasets (StaMPS .xy) for the GNSS on their profiles: a product with incidence/azimuth angles or E/N/U rasters (geometryGeo.h5, LiCSAR frame folder)", "path")
    point_radius: float = option("pointRadius", "0.5", "km: InSAR at a GNSS station = median of the points within this distance (point datasets)", "float", lo=1e-6)
    gnss_format: str = option("gnssFormat", "auto", "GNSS table format", "choice", choices=("auto", *GNSS_FORMATS))
    vlim: tuple = option("vlim", "auto", "colour limits min max of the map in display units (mm/yr, mm); auto = as the plot step", "floats", count=2)
    cmap: str = option("cmap", "auto", "matplotlib colormap of the map; auto = as the plot step (RdBu_r for signed, viridis for one-sided data)", "str")
    outname: str = option("outname", "auto", "name of the outputs; auto = transects", "str")
    outdir: Path = option("outdir", "auto", "output folder; auto = <template folder>/transects", "path")


def plan(cfg: TransectsConfig, ctx: RunContext) -> Plan:
    """The files to profile, the fault and GNSS files found; a trace or two points given."""
    result = Plan()
    if not cfg.dataset:
        result.problem("DataSet", "no file given")
    for entry in cfg.dataset or ():
        result.need(ctx, "DataSet", ctx.resolve(entry))
    result.need(ctx, "fault", cfg.fault)
    result.need(ctx, "gnss", cfg.gnss)
    result.need(ctx, "geometry", cfg.geometry)
    if not cfg.fault and not (cfg.start and cfg.end):
        result.problem("", "give fault, or start and end")
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "transects"
    result.writable(ctx, "outdir", outdir)
    result.outputs.append(outdir)
    result.notes.append(f"writes {cfg.outname or 'transects'}.csv/.h5/.png under {outdir}")
    return result


def run(cfg: TransectsConfig, ctx: RunContext) -> list[Path]:
    """Profiles of every DataSet file; CSV + HDF5 of the bins and a figure (skipped when up to date: the
    settings are recorded in ``.<outname>.mimtpy.json`` beside them)."""
    from mimtpy.analysis.profiles import profile_products
    from mimtpy.analysis.transect_plot import plot_transects
    from mimtpy.viz.maps import MapStyle

    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "transects"
    name = cfg.outname or "transects"
    expected = [outdir / f"{name}{suffix}" for suffix in (".csv", ".h5", ".png")]
    inputs = [ctx.resolve(p) for p in (*(cfg.dataset or ()), cfg.fault, cfg.gnss, cfg.geometry) if p]
    settings, stamp = ctx.settings(cfg), outdir / f".{name}.mimtpy.json"
    if ctx.is_current(expected, inputs, settings, stamp):
        return expected
    done = profile_products(cfg, ctx)
    figure = done.written[0].with_suffix(".png")
    style = MapStyle(vlim=cfg.vlim or None, cmap=cfg.cmap, format="png", dpi=150)
    outputs = [*done.written, plot_transects(figure, done.products, done.profiles, done.results, done.traces,
                                             done.stations, style, done.gnss)]
    ctx.record(stamp, settings, outputs)
    return outputs


STEP = Step("transects", "analysis", TransectsConfig, plan, run, scripts=("multi_transects.py",))
