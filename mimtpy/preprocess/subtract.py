"""Difference of two products (``subtract`` step, script ``subtract_h5.py``).

``residual = first - second``: both read like every exporter input (velocity or displacement of
any product mimtpy reads, same quantity), the second resampled onto the first one's lattice over
the overlap when the grids differ, optionally minus a fitted linear/quadratic ramp
(:mod:`mimtpy.preprocess.residual`). Writes ``<outname>.h5`` (MintPy velocity/displacement file,
ramp coefficients as attributes), ``<outname>.tif`` and a figure ``<outname>.png``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubtractConfig(SectionConfig):
    SECTION: ClassVar[str] = "subtract"
    HELP: ClassVar[str] = "Difference of two products with optional ramp removal"
    dataset: tuple = option("DataSet", "none", "two products: first, second (residual = first - second)", "paths")
    dataname: str = option("dataname", "auto", "dataset of 2-D products; auto = velocity, displacement or unwrapPhase", "str")
    date: str = option("date", "auto", "D1_D2 for time series (displacement between the nearest acquisitions); auto = velocity of the whole series", "str")
    snwe: tuple = option("SNWE", "auto", "crop to S N W E in degrees; auto = the overlap", "snwe")
    mask: Any = option("mask", "no", "yes = each product's mask dataset, no, or a mask file", "bool_or_path")
    resample: str = option("resample", "nearest", "how the second product is resampled onto the first one's grid", "choice", choices=("nearest", "bilinear"))
    ramp: str = option("ramp", "none", "ramp fitted to the residual and removed", "choice", choices=("none", "linear", "quadratic"))
    geotiff: bool = option("geotiff", "yes", "also write a GeoTIFF of the residual", "bool")
    figure: bool = option("figure", "yes", "draw first, second and residual", "bool")
    outname: str = option("outname", "auto", "base name of the outputs; auto = <first>_minus_<second>", "str")
    outdir: Path = option("outdir", "auto", "output folder; auto = <project folder>/subtract", "path")


def _name(cfg: SubtractConfig) -> str:
    if cfg.outname:
        return cfg.outname
    stems = [Path(str(p)).stem for p in (cfg.dataset or ("a", "b"))]
    return f"{stems[0]}_minus_{stems[-1]}"


def _folder(cfg: SubtractConfig, ctx: RunContext) -> Path:
    return ctx.resolve(cfg.outdir) if cfg.outdir is not None else ctx.resolve("subtract")


def plan(cfg: SubtractConfig, ctx: RunContext) -> Plan:
    p = Plan()
    if not cfg.dataset or len(cfg.dataset) != 2:
        p.problem("DataSet", f"exactly two products are needed, got {len(cfg.dataset or ())}")
    else:
        for entry in cfg.dataset:
            p.need(ctx, "DataSet", Path(entry), "product")
    if isinstance(cfg.mask, Path):
        p.need(ctx, "mask", cfg.mask, "mask file")
    p.date_pair("date", cfg.date)
    folder, name = _folder(cfg, ctx), _name(cfg)
    p.writable(ctx, "outdir", folder)
    p.outputs.append(folder / f"{name}.h5")
    p.outputs += [folder / f"{name}.tif"] if cfg.geotiff else []
    p.outputs += [folder / f"{name}.png"] if cfg.figure else []
    return p


def run(cfg: SubtractConfig, ctx: RunContext) -> list[Path]:
    import numpy as np

    from mimtpy.errors import InputError
    from mimtpy.io import write_geotiff, write_h5
    from mimtpy.ops import reference
    from mimtpy.ops.attrs import multi_track_attrs
    from mimtpy.preprocess import residual
    from mimtpy.preprocess.source import load_input

    p = plan(cfg, ctx)
    p.raise_problems("subtract", InputError)
    settings = ctx.settings(cfg)
    if ctx.is_current(p.outputs, p.inputs, settings):
        return p.outputs
    date = None if (cfg.date or "auto").strip().lower() == "auto" else cfg.date
    mask = ctx.resolve(cfg.mask) if isinstance(cfg.mask, Path) else cfg.mask
    a, b = (load_input(ctx.resolve(Path(e)), date12=date, dataname=cfg.dataname, snwe=cfg.snwe, mask=mask,
                       max_memory=ctx.compute.max_memory, with_geometry=False) for e in cfg.dataset)
    if a.quantity != b.quantity:
        raise InputError(f"{b.path}: is a {b.quantity} ({b.unit}) but {a.path} is a {a.quantity} ({a.unit}); "
                         "they cannot be subtracted")
    looks = [str(x.attrs.get("ORBIT_DIRECTION", "")).upper() for x in (a, b)]
    if all(looks) and looks[0] != looks[1] and not any(x.attrs.get("COMPONENT") for x in (a, b)):
        logger.warning("%s is %s and %s is %s: their LOS differ, so the difference mixes east, north and up (not "
                       "a residual of one measurement)", a.path.name, looks[0], b.path.name, looks[1])
    ra, rb, diff, grid = residual.difference(a.data, a.grid, b.data, b.grid, cfg.resample)
    diff, coef = residual.remove_ramp(diff, grid, cfg.ramp)
    folder, name = _folder(cfg, ctx), _name(cfg)
    ok = np.isfinite(diff)
    rms = float(np.sqrt(np.mean(diff[ok] ** 2))) if ok.any() else float("nan")
    logger.info("residual %s - %s: %d pixels, RMS %.4g %s", a.path.name, b.path.name, int(ok.sum()), rms, a.unit)
    point = (float(a.attrs["REF_LAT"]), float(a.attrs["REF_LON"])) if "REF_LAT" in a.attrs and "REF_LON" in a.attrs \
        else None
    attrs = {**multi_track_attrs([a.attrs, b.attrs]), **reference.attrs_for(point, grid), **grid.to_attrs(),
             "FILE_TYPE": a.quantity, "UNIT": a.unit, "FILE_PATH": str(a.path), "SUBTRACTED_FILE": str(b.path),
             "RAMP_TYPE": cfg.ramp, "RAMP_COEFFICIENTS": " ".join(repr(float(c)) for c in coef),
             "RESIDUAL_RMS": repr(rms)}
    out = [write_h5(p.outputs[0], {a.quantity: diff.astype(np.float32)}, attrs, settings=settings,
                    units={a.quantity: a.unit})]
    if cfg.geotiff:
        out.append(write_geotiff(folder / f"{name}.tif", diff.astype(np.float32), grid, attrs,
                                 description=f"{a.quantity} residual", unit=a.unit))
    if cfg.figure:
        out.append(_figure(ra, rb, diff, grid, a, b, cfg.ramp, folder / f"{name}.png"))
    return out


def _figure(ra, rb, diff, grid, a, b, ramp: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from mimtpy.io.atomic import atomic_output

    s, n, w, e = grid.snwe
    scale = 1000.0
    unit = "mm/yr" if a.quantity == "velocity" else "mm"
    both = np.concatenate([ra[np.isfinite(ra)], rb[np.isfinite(rb)]]) * scale
    vmax = float(np.percentile(np.abs(both), 98)) if both.size else 1.0
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.5), sharex=True, sharey=True)
    for ax, data, title in ((axes[0], ra, a.path.name), (axes[1], rb, b.path.name),
                            (axes[2], diff, f"residual (ramp: {ramp})")):
        im = ax.imshow(data * scale, extent=(w, e, s, n), origin="upper" if grid.y_step < 0 else "lower",
                       cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=axes, label=f"LOS {unit} (+ toward satellite)", shrink=0.8)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)
    return path


STEP = Step("subtract", "preprocess", SubtractConfig, plan, run, scripts=("subtract_h5.py",))
