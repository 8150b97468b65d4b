"""The ``synthetic`` step (tools; script ``synthetic_S1.py``): Sentinel-1 HDF-EOS5 products with a known truth.

Each track is a MintPy HDF-EOS5 file under ``<outdir>/<projectName>Sen{AT,DT}<track>/mintpy/`` with
``truth.h5`` beside it; the scene also gets ``gnss.csv`` and, with a fault, ``fault_trace.gmt``.
The physics and the noise are described in :mod:`mimtpy.tools.scene`. ``format = licsbas`` also writes,
from the same series, each track's LiCSBAS ``GEOCml1/`` + ``TS_GEOCml1/`` folders and a LiCSAR frame folder
``<outdir>/<frame>/`` (:mod:`mimtpy.tools.licsbas_layout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step


@dataclass(frozen=True)
class SyntheticConfig(SectionConfig):
    SECTION: ClassVar[str] = "synthetic"
    HELP: ClassVar[str] = "Synthetic Sentinel-1 HDF-EOS5 products with a known truth"
    outdir: Path = option("outdir", "synthetic", "folder of the synthetic projects (<outdir>/<name>SenAT<track>/mintpy/), relative to the project folder", "path")
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
    format: str = option("format", "mintpy",
                         "mintpy = HDF-EOS5 products; licsbas = also, from the same series, LiCSBAS TS_GEOCml1/ "
                         "(cum.h5, results/) + GEOCml1/ folders per track and LiCSAR frame folders "
                         "<outdir>/<frame>/ (vel/vstd mm/yr, E/N/U, mask GeoTIFFs)", "choice",
                         choices=("mintpy", "licsbas"))


def project_folders(cfg: SyntheticConfig, ctx: RunContext) -> list[Path]:
    """The project folders (``…/mintpy``) the step will create, one per track."""
    from mimtpy.tools.scene import parse_tracks

    outdir = ctx.resolve(cfg.outdir)
    return [outdir / f"{cfg.project_name}{spec.project}" / "mintpy" for spec in parse_tracks(cfg.tracks)]


def plan(cfg: SyntheticConfig, ctx: RunContext) -> Plan:
    """The project folders of the tracks, and the scene files."""
    result = Plan()
    try:
        folders = project_folders(cfg, ctx)
    except Exception as err:   # InputError of a bad track item
        result.problem("tracks", str(err))
        return result
    result.period(cfg.start_date, cfg.end_date)
    outdir = ctx.resolve(cfg.outdir)
    result.outputs += [*(f.parent for f in folders), outdir / "gnss.csv"]
    if cfg.fault:
        result.outputs.append(outdir / "fault_trace.gmt")
    result.writable(ctx, "outdir", ctx.resolve(cfg.outdir))
    result.notes += [f"writes {f}/S1_*.he5 + truth.h5" for f in folders]
    if cfg.format == "licsbas":
        result.notes += [f"writes {f.parent}/TS_GEOCml1/, {f.parent}/GEOCml1/ and a frame folder in {outdir}"
                         for f in folders]
    return result


def run(cfg: SyntheticConfig, ctx: RunContext) -> list[Path]:
    """Write one HDF-EOS5 product (+ truth) per track; all tracks share the same dates. Returns the products, or
    with ``format = licsbas`` the TS_GEOCml1 folders of the tracks followed by their frame folders."""
    import numpy as np

    from mimtpy.tools import scene

    outdir = ctx.resolve(cfg.outdir)
    specs = scene.parse_tracks(cfg.tracks)
    settings = ctx.settings(cfg)
    existing = [sorted(d.glob("S1_*.he5")) for d in project_folders(cfg, ctx)]
    if all(len(e) == 1 for e in existing) and cfg.format == "mintpy":
        products = [e[0] for e in existing]
        if ctx.is_current([*products, *(p.parent / "truth.h5" for p in products)], [], settings):
            return products
    rng = np.random.default_rng(cfg.seed)
    dates = scene.acquisition_dates(cfg, rng)
    products = []
    for i, spec in enumerate(specs):
        for old in (outdir / f"{cfg.project_name}{spec.project}" / "mintpy").glob("S1_*.he5"):
            old.unlink()
        products.append(scene.make_track(cfg, spec, dates, outdir, seed=cfg.seed * 1000 + i + 1, settings=settings))
    scene.write_fault_trace(cfg, outdir / "fault_trace.gmt")
    scene.write_gnss(cfg, outdir / "gnss.csv")
    if cfg.format == "licsbas":
        from mimtpy.tools.licsbas_layout import write_licsbas_layout

        layouts = [write_licsbas_layout(product, outdir) for product in products]
        return [ts for ts, _ in layouts] + [frame for _, frame in layouts]
    return products


STEP = Step("synthetic", "tools", SyntheticConfig, plan, run, scripts=("synthetic_S1.py",))
