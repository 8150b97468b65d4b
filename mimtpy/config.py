"""Config models: one frozen dataclass per template section, the single source of its keys,
defaults, allowed values and help text.

A step module declares its model as a subclass of :class:`SectionConfig` with fields made by
:func:`option`; the default of each field is its template text parsed once, so a model built
from Python (``VelcumuConfig(dataset=("a.he5",))``) has the same defaults as a template. Text
parsing lives in :mod:`mimtpy.template`; ``defaults/mimtpyApp.cfg`` and ``docs/template.md``
are rendered from the registered models (:mod:`mimtpy.docgen`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from mimtpy.template import parse_value


def option(key: str, default: str, help: str, kind: str, choices: tuple[str, ...] = (),
           lo: float | None = None, hi: float | None = None, count: int | None = None) -> Any:
    """Declare a template key: ``default`` is the template text, ``kind`` how it is parsed
    (see :func:`mimtpy.template.parse_value`). The field's Python default is that text parsed
    (relative paths stay relative: steps resolve them against the project folder)."""
    meta = dict(key=key, text=default, help=help, kind=kind, choices=choices, lo=lo, hi=hi, count=count)
    return field(default=parse_value(meta, default, None), metadata=meta)


@dataclass(frozen=True)
class SectionConfig:
    """Base of all section configs; ``SECTION`` is the template section name."""

    SECTION: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    IS_STEP: ClassVar[bool] = True

    @classmethod
    def options(cls) -> list[tuple[str, dict]]:
        """(field name, metadata) of every template key, in declaration order."""
        return [(f.name, dict(f.metadata)) for f in dataclasses.fields(cls) if f.metadata]

    @classmethod
    def keys(cls) -> dict[str, str]:
        """Lower-case template key -> field name."""
        return {meta["key"].lower(): name for name, meta in cls.options()}

    @classmethod
    def field_names(cls) -> list[str]:
        return [name for name, _meta in cls.options()]

    @classmethod
    def meta(cls, name: str) -> dict:
        """The option metadata of field ``name``."""
        return dict(next(f.metadata for f in dataclasses.fields(cls) if f.name == name))


@dataclass(frozen=True)
class ComputeConfig(SectionConfig):
    SECTION: ClassVar[str] = "compute"
    HELP: ClassVar[str] = "Resources used by every step"
    IS_STEP: ClassVar[bool] = False
    max_memory: float = option("maxMemory", "4", "memory budget of a step's block work (all blocks in flight "
                               "together), in GB", "float", lo=1e-4, hi=1024)
    cluster: str = option("cluster", "no", "where blocks run: no = threads of this process, local = a Dask "
                          "LocalCluster, or the address of a Dask scheduler (tcp://host:8786)", "str")
    num_worker: str = option("numWorker", "auto", "threads or Dask workers: a number, all (every core) or auto "
                             "(the physical cores)", "str")

    @property
    def workers(self) -> int:
        """numWorker as a number (auto = physical cores, all = every logical core)."""
        import os

        text = (self.num_worker or "auto").strip().lower()
        logical = os.cpu_count() or 1
        if text == "all":
            return logical
        if text == "auto":
            return max(1, physical_cores() or logical)
        if not text.isdigit() or int(text) < 1:
            from mimtpy.errors import InputError
            raise InputError(f"mimtpy.compute.numWorker: '{self.num_worker}' is not a number >= 1, all or auto")
        return int(text)

    @property
    def use_dask(self) -> bool:
        return (self.cluster or "no").strip().lower() not in ("no", "none", "false", "")


def physical_cores() -> int | None:
    """Physical cores of this machine (Linux /proc/cpuinfo), None where unknown."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    blocks = ({k.strip(): v.strip() for k, v in (line.split(":", 1) for line in part.splitlines() if ":" in line)}
              for part in text.split("\n\n"))
    cores = {(blk.get("physical id"), blk["core id"]) for blk in blocks if "core id" in blk}
    return len(cores) or None


@dataclass(frozen=True)
class SyntheticConfig(SectionConfig):
    SECTION: ClassVar[str] = "synthetic"
    HELP: ClassVar[str] = ("Synthetic Sentinel-1 HDF-EOS5 products with a known truth "
                           "(tools; script synthetic_S1.py)")
    outdir: Path = option("outdir", "synthetic", "folder of the synthetic projects (<outdir>/<name>SenAT<track>/mintpy/)", "path")
    project_name: str = option("projectName", "Synth", "prefix of the project folder names", "str")
    tracks: tuple = option("tracks", "asc, desc",
                           "tracks to make: asc or desc, each optionally :SHIFT, the across-track shift of the swath "
                           "centre in swath widths (asc:0.7 = an adjacent ascending track overlapping by 30%)", "words")
    snwe: tuple = option("SNWE", "34.0 34.6 -118.4 -117.8", "scene box S N W E in degrees", "snwe")
    pixel_size: float = option("pixelSize", "0.002", "grid step in degrees", "float", lo=1e-5, hi=1)
    swath_width: float = option("swathWidth", "auto",
                                "across-track swath width in km; auto = the scene box width (incidence spans ~30-46 deg across it)",
                                "float", lo=1, hi=1000)
    start_date: str = option("startDate", "20170103", "first acquisition, YYYYMMDD", "date")
    end_date: str = option("endDate", "20191225", "last acquisition, YYYYMMDD", "date")
    interval: int = option("interval", "12", "days between acquisitions", "int", lo=1, hi=366)
    drop_fraction: float = option("dropFraction", "0.1", "fraction of acquisitions dropped at random (gaps)", "float", lo=0, hi=0.9)
    mogi: tuple = option("mogi", "auto",
                         "Mogi source: lat lon depth_km volume_rate_m3_per_yr; auto = scene centre, 4 km, -3e6 m3/yr; none = off",
                         "floats", count=4)
    mogi_step: tuple = option("mogiStep", "none", "step in time of the Mogi source: YYYYMMDD volume_m3 (e.g. 20180601 -1e6)",
                              "floats", count=2)
    fault: tuple = option("fault", "none",
                          "interseismic strike-slip fault (screw dislocation): lat lon strike_deg slip_rate_m_per_yr locking_depth_km",
                          "floats", count=5)
    seasonal: float = option("seasonal", "0", "amplitude of an annual vertical signal in m (Gaussian pattern around the scene centre)",
                             "float", lo=0, hi=1)
    orbit_ramp: str = option("orbitRamp", "none", "random orbital ramp in every epoch", "choice",
                             choices=("none", "linear", "quadratic"))
    ramp_amplitude: float = option("rampAmplitude", "0.01", "std of the orbital ramp across the scene in m", "float", lo=0, hi=10)
    ramp: tuple = option("ramp", "none",
                         "MimtPy --ramp a b c: a*(lon-lon0) + b*(lat-lat0) + c added to the LOS velocity, m/yr per degree",
                         "floats", count=3)
    subswath_ramps: bool = option("subswathRamps", "no", "a different offset and ramp in each of the 3 IW subswaths", "bool")
    atmosphere: float = option("atmosphere", "0.005", "std of the turbulent delay of every epoch in m", "float", lo=0, hi=1)
    noise: float = option("noise", "0.002", "std of white noise of every epoch in m", "float", lo=0, hi=1)
    holes: float = option("holes", "0.02", "fraction of pixels in no-data patches", "float", lo=0, hi=0.5)
    reference_point: tuple = option("referencePoint", "auto",
                                    "lat, lon of the reference point; auto = a valid pixel nearest the SW quarter of the scene",
                                    "latlon")
    wrap: bool = option("wrap", "no", "also write the wrapped phase of the last epoch as GeoTIFF", "bool")
    seed: int = option("seed", "0", "random seed", "int", lo=0)


@dataclass(frozen=True)
class VelcumuConfig(SectionConfig):
    SECTION: ClassVar[str] = "velcumu"
    HELP: ClassVar[str] = ("Velocity or cumulative displacement over a period (basic; script HDFEOS_to_geotiff.py)")
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


@dataclass(frozen=True)
class HorzvertConfig(SectionConfig):
    SECTION: ClassVar[str] = "horzvert"
    HELP: ClassVar[str] = ("Horizontal and vertical motion from two or more tracks (analysis; script generate_horzvert.py)")
    dataset: tuple = option("DataSet", "none",
                            "tracks: velocity/displacement .h5 or GeoTIFF files, HDF-EOS5 or timeseries.h5 products, or their project folders",
                            "paths")
    dataname: str = option("dataname", "auto", "dataset to decompose (velocity, displacement, ...); auto = the file's main dataset, velocity for time series", "str")
    snwe: tuple = option("SNWE", "auto", "subset S N W E in degrees; auto = where all tracks overlap", "snwe")
    reference_point: tuple = option("referencepoint", "auto",
                                    "lat, lon to re-reference every track to (3x3 median, in memory); auto = the first track's REF_LAT/REF_LON when the tracks differ",
                                    "latlon")
    azimuth: float = option("azimuth", "-90", "direction of the horizontal component in degrees from north, anticlockwise positive (MintPy --az): -90 = east, 0 = north",
                            "float", lo=-360, hi=360)
    geometry: tuple = option("geometry", "auto", "geometry files (incidenceAngle, azimuthAngle), one per track; auto = the product's own or a geometryGeo.h5/HDF-EOS5 file beside it",
                             "paths")
    enu: tuple = option("enu", "none", "LiCSAR/LiCSBAS unit-vector rasters 'E.tif N.tif U.tif' per track, tracks separated by commas", "paths")
    north: Path = option("north", "none", "GNSS north velocity: a grid (.tif/.h5, m/yr) or a GNSS table (GLOBK .vel, UNR MIDAS, CSV lon,lat,vn[,sn] in mm/yr); then east, north and up are all given", "path")
    start_date: str = option("startDate", "auto", "first date of the period, for time-series inputs", "date")
    end_date: str = option("endDate", "auto", "last date of the period, for time-series inputs", "date")
    resample: str = option("resample", "nearest", "how tracks on other grids are resampled onto the common grid", "choice", choices=("nearest", "bilinear"))
    align_to: int = option("alignTo", "0", "index of the track whose pixel lattice the common grid keeps (step = the coarsest of all tracks)", "int", lo=0)
    weighted: bool = option("weighted", "yes", "weight the tracks by 1/std^2 when every track has a std", "bool")
    timeseries: bool = option("timeseries", "no", "decompose displacement time series: the other tracks are interpolated linearly in time onto the first track's dates within the common period", "bool")
    outname: str = option("outname", "auto", "prefix of the output names; auto = hz.h5, up.h5 (north.h5), cond.h5", "str")
    outdir: Path = option("outdir", "auto", "output folder; auto = <template folder>/horzvert", "path")


@dataclass(frozen=True)
class ConcatenationConfig(SectionConfig):
    SECTION: ClassVar[str] = "concatenation"
    HELP: ClassVar[str] = ("Mosaic of two or more tracks with offsets solved over the network of overlaps "
                           "(analysis; scripts concatenate_tracks.py, track_offset.py)")
    dataset: tuple = option("DataSet", "none", "tracks: .h5/.he5/GeoTIFF products or their project folders; the order sets the dominant track", "paths")
    dataname: str = option("dataname", "auto", "dataset to mosaic (velocity, displacement, timeseries, temporalCoherence, mask, a geometry dataset); auto = the main dataset", "str")
    rewrite: bool = option("rewrite", "no", "recompute even when the mosaic is up to date (inputs are never rewritten)", "bool")
    plotpair: bool = option("plotpair", "yes", "draw the difference map and a profile across every overlap", "bool")
    azimuth: float = option("azimuth", "auto", "direction of the profiles across overlaps, degrees from north anticlockwise; auto = across each overlap strip", "float", lo=-360, hi=360)
    offset_model: str = option("offsetModel", "offset", "correction per track: none, offset (median) or ramp (robust plane)", "choice", choices=("none", "offset", "ramp"))
    blend: str = option("blend", "mean", "how overlaps are combined", "choice", choices=("mean", "dominant", "feather"))
    reference_track: str = option("referenceTrack", "auto", "track kept fixed: index or name; auto = the track overlapping most", "str")
    min_overlap: int = option("minOverlap", "100", "fewest common pixels for an overlap to count", "int", lo=1)
    date_tolerance: int = option("dateTolerance", "6", "days within which epochs of different tracks match (time series)", "int", lo=0, hi=366)
    mask_mode: str = option("maskMode", "union", "how masks are combined", "choice", choices=("union", "intersection"))
    resample: str = option("resample", "nearest", "how tracks are resampled onto the union grid", "choice", choices=("nearest", "bilinear"))
    align_to: int = option("alignTo", "0", "index of the track whose pixel lattice the union grid keeps", "int", lo=0)
    outname: str = option("outname", "auto", "name of the mosaic; auto = <dataname>_mosaic", "str")
    outdir: Path = option("outdir", "auto", "output folder; auto = <template folder>/concatenation", "path")


@dataclass(frozen=True)
class TransectsConfig(SectionConfig):
    SECTION: ClassVar[str] = "transects"
    HELP: ClassVar[str] = "Profiles across a fault or between two points (analysis; script multi_transects.py)"
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
    gnss_format: str = option("gnssFormat", "auto", "GNSS table format", "choice", choices=("auto", "globk", "midas", "csv"))
    outname: str = option("outname", "auto", "name of the outputs; auto = transects", "str")
    outdir: Path = option("outdir", "auto", "output folder; auto = <template folder>/transects", "path")


@dataclass(frozen=True)
class PlotConfig(SectionConfig):
    SECTION: ClassVar[str] = "plot"
    HELP: ClassVar[str] = "Maps of products with faults, GNSS and relief (basic; script plot_geotiff.py)"
    dataset: tuple = option("DataSet", "auto", "files to plot; auto = the outputs of the steps run before in this template", "paths")
    type: str = option("type", "auto", "dataset to plot (velocity, velocityStd, height, ...); auto = the file's main dataset", "str")
    vlim: tuple = option("vlim", "auto", "colour limits min max in display units (mm/yr, mm); auto = symmetric 98th percentile", "floats", count=2)
    colormap: str = option("colormap", "RdBu_r", "matplotlib colormap name (GMT: a GMT CPT name or the same name)", "str")
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


#: every section in step order; non-step sections (compute) configure the others
SECTIONS: list[type[SectionConfig]] = [ComputeConfig, SyntheticConfig, VelcumuConfig, HorzvertConfig,
                                        ConcatenationConfig, TransectsConfig, PlotConfig]
STEP_SECTIONS = [s for s in SECTIONS if s.IS_STEP]
SECTION_BY_NAME = {s.SECTION: s for s in SECTIONS}




def render_default_template() -> str:
    """The documented default template: every key with its default and help (defaults/mimtpyApp.cfg)."""
    lines = [
        "## mimtpy default template: every key, its default and what it means.",
        "## Generated from mimtpy/config.py (make defaults); do not edit by hand.",
        "## Keys are case-insensitive; 'auto' = the default behaviour; # starts a comment;",
        "## relative paths are relative to the folder of the template.",
    ]
    for section in SECTIONS:
        lines += ["", f"########## {section.SECTION}: {section.HELP}"]
        if section.IS_STEP:
            lines.append(f"{'mimtpy.' + section.SECTION:<40} = no  # run this step: yes/no")
        for _name, meta in section.options():
            key = f"mimtpy.{section.SECTION}.{meta['key']}"
            allowed = f" [{' | '.join(meta['choices'])}]" if meta["choices"] else ""
            lines.append(f"{key:<40} = {meta['text']}  # {meta['help']}{allowed}")
    return "\n".join(lines) + "\n"
