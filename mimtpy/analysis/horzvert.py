"""The ``horzvert`` step (analysis; scripts ``generate_horzvert.py``, ``overlap2horz_vert.py``): horizontal
and vertical motion from two or more LOS tracks, as velocity, displacement or displacement time series.

The model and its conventions are in :mod:`mimtpy.analysis.decompose`; time series of tracks with
different dates in :mod:`mimtpy.analysis.horzvert_ts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step
from mimtpy.errors import InputError


@dataclass(frozen=True)
class HorzvertConfig(SectionConfig):
    SECTION: ClassVar[str] = "horzvert"
    HELP: ClassVar[str] = "Horizontal and vertical motion from two or more tracks"
    dataset: tuple = option("DataSet", "none",
                            "tracks: velocity/displacement .h5 or GeoTIFF files, HDF-EOS5 or timeseries.h5 products, or their project folders",
                            "paths")
    dataname: str = option("dataname", "auto", "dataset to decompose (velocity, displacement, ...); auto = the file's main dataset, velocity for time series", "str")
    snwe: tuple = option("SNWE", "auto", "subset S N W E in degrees; auto = where both tracks overlap for two tracks, the union of all frames for three or more (a pixel is solved where frames of both looks cover it)", "snwe")
    reference_point: tuple = option("referencepoint", "auto",
                                    "lat, lon to re-reference every track to (3x3 median, in memory); auto = the first track's REF_LAT/REF_LON when the tracks differ",
                                    "latlon")
    azimuth: float = option("azimuth", "-90", "direction of the horizontal component in degrees from north, anticlockwise positive (MintPy --az): -90 = east, 0 = north",
                            "float", lo=-360, hi=360)
    geometry: tuple = option("geometry", "auto", "geometry files (incidenceAngle, azimuthAngle), one per track; auto = the product's own or a geometryGeo.h5/HDF-EOS5 file beside it",
                             "paths")
    enu: tuple = option("enu", "none", "LiCSAR/LiCSBAS unit-vector rasters 'E.tif N.tif U.tif' per track, tracks separated by commas", "paths")
    north: Path = option("north", "none", "GNSS north velocity: a grid (.tif/.h5, m/yr) or a GNSS table (GLOBK .vel, UNR MIDAS, CSV lon,lat,vn[,sn] in mm/yr); then east, north and up are all given", "path")
    gnss: Path = option("gnss", "none", "GNSS velocity table (GLOBK .vel, UNR MIDAS, GMT psvelo, or CSV lon,lat,ve,vn[,vu,se,sn,su,site] in mm/yr) that ties every frame to the GNSS reference frame (jointly with the overlaps of frames of the same look); north is then interpolated from it unless north is given", "path")
    tie_model: str = option("tieModel", "auto", "correction fitted per frame in the GNSS tie: offset, plane, quadratic (in east/north km), or auto = chosen per frame by leave-one-out cross-validation over its stations",
                            "choice", choices=("offset", "plane", "quadratic", "auto"))
    tie_radius: float = option("tieRadius", "1.0", "radius in km of the InSAR window around a station (robust median, outliers rejected by MAD; at least the 3x3 pixels around it)", "float", lo=0, hi=100)
    tie_field: str = option("tieField", "auto", "after the tieModel polynomial, interpolate what it leaves at each frame's stations by least-squares collocation (Gaussian covariance): a correlation length in km, none, or auto = the length among 25, 50, 100 km with the smallest leave-one-out error over the frame's stations, kept only when it beats the polynomial alone by 5 percent (5 stations at least)", "str")
    tie_min_overlap: int = option("tieMinOverlap", "50", "fewest valid pixels two frames of the same look must share to be tied to each other", "int", lo=1)
    mask: tuple = option("mask", "auto", "auto or yes = each product's own mask (LiCSBAS/LiCSAR), no = unmasked, or one mask file per track (0 or NaN = masked), tracks separated by commas", "paths")
    start_date: str = option("startDate", "auto", "first date of the period, for time-series inputs", "date")
    end_date: str = option("endDate", "auto", "last date of the period, for time-series inputs", "date")
    resample: str = option("resample", "nearest", "how tracks on other grids are resampled onto the common grid", "choice", choices=("nearest", "bilinear"))
    align_to: int = option("alignTo", "0", "index of the track whose pixel lattice the common grid keeps (step = the coarsest of all tracks)", "int", lo=0)
    weighted: bool = option("weighted", "yes", "weight the tracks by 1/std^2 when every track has a std", "bool")
    timeseries: bool = option("timeseries", "no", "decompose displacement time series: the other tracks are interpolated linearly in time onto the first track's dates within the common period", "bool")
    outname: str = option("outname", "auto", "prefix of the output names; auto = hz.h5, up.h5 (north.h5), cond.h5", "str")
    outdir: Path = option("outdir", "auto", "output folder; auto = <template folder>/horzvert", "path")


def output_folder(cfg: HorzvertConfig, ctx: RunContext) -> Path:
    return ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "horzvert"


def plan(cfg: HorzvertConfig, ctx: RunContext) -> Plan:
    """Two or more tracks found (or made by an earlier step); geometry, E/N/U and north files found."""
    result = Plan()
    result.datasets(ctx, "DataSet", cfg.dataset, at_least=2)
    tracks = list(result.inputs)
    for key, entries in (("geometry", cfg.geometry or ()), ("enu", [p for g in cfg.enu or () for p in g.split()])):
        for entry in entries:
            result.need(ctx, key, ctx.resolve(entry))
    if cfg.geometry and cfg.dataset and len(cfg.geometry) != len(cfg.dataset):
        result.problem("geometry", f"{len(cfg.geometry)} file(s) for {len(cfg.dataset)} tracks")
    result.need(ctx, "north", cfg.north)
    result.need(ctx, "gnss", cfg.gnss)
    from mimtpy.analysis.gnss_tie import tie_field_length

    if tie_field_length(cfg.tie_field) is None:
        result.problem("tieField", f"'{cfg.tie_field}': expected auto, none or a correlation length in km (> 0)")
    masks = [m for m in cfg.mask or () if m.lower() not in ("yes", "no", "auto", "true", "false")]
    for entry in masks:
        result.need(ctx, "mask", ctx.resolve(entry))
    if masks and cfg.dataset and len(masks) != len(cfg.dataset):
        result.problem("mask", f"{len(masks)} mask file(s) for {len(cfg.dataset)} tracks")
    if cfg.gnss and cfg.timeseries:
        result.problem("gnss", "the GNSS tie is for velocities; set timeseries = no")
    result.period(cfg.start_date, cfg.end_date)
    result.period_in_series(ctx, tracks, cfg.start_date, cfg.end_date)
    outdir = output_folder(cfg, ctx)
    result.writable(ctx, "outdir", outdir)
    result.outputs.append(outdir)
    names = ["hz", "up"] + (["north"] if cfg.north or cfg.gnss else [])
    suffix = "_timeseries.h5" if cfg.timeseries else ".h5 + .tif"
    result.notes.append(f"writes {', '.join(n + suffix for n in names)} under {outdir}"
                        + (" with tie.json, gnss_tie.csv, gnss_tie.png" if cfg.gnss else ""))
    return result


def run(cfg: HorzvertConfig, ctx: RunContext) -> list[Path]:
    """Decompose the DataSet tracks; returns the files written (or found up to date)."""
    if cfg.timeseries:
        if cfg.gnss:
            raise InputError("mimtpy.horzvert.gnss: the GNSS tie is for velocities; set timeseries = no")
        from mimtpy.analysis.horzvert_ts import run_timeseries
        return run_timeseries(cfg, ctx)
    from mimtpy.analysis.decompose import run_decomposition
    return run_decomposition(cfg, ctx)


STEP = Step("horzvert", "analysis", HorzvertConfig, plan, run, scripts=("generate_horzvert.py", "overlap2horz_vert.py"))
