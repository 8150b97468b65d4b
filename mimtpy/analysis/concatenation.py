"""The ``concatenation`` step (analysis; scripts ``concatenate_tracks.py``, ``track_offset.py``): a mosaic of two
or more tracks on the union of their grids, with offsets or ramps solved over the network of overlaps.

The method and its conventions are in :mod:`mimtpy.analysis.mosaic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step


@dataclass(frozen=True)
class ConcatenationConfig(SectionConfig):
    SECTION: ClassVar[str] = "concatenation"
    HELP: ClassVar[str] = "Mosaic of two or more tracks with offsets solved over the network of overlaps"
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


def plan(cfg: ConcatenationConfig, ctx: RunContext) -> Plan:
    """Two or more tracks found (or made by an earlier step); the output folder writable."""
    result = Plan()
    result.datasets(ctx, "DataSet", cfg.dataset, at_least=2)
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "concatenation"
    result.writable(ctx, "outdir", outdir)
    result.outputs.append(outdir)
    result.notes.append(f"writes {cfg.outname or '<dataname>_mosaic'}.h5 + overlap report under {outdir}")
    return result


def run(cfg: ConcatenationConfig, ctx: RunContext) -> list[Path]:
    """Mosaic of the DataSet tracks; returns the files written (or found up to date)."""
    from mimtpy.analysis.mosaic import run_mosaic
    return run_mosaic(cfg, ctx)


STEP = Step("concatenation", "analysis", ConcatenationConfig, plan, run,
            scripts=("concatenate_tracks.py", "track_offset.py"))
