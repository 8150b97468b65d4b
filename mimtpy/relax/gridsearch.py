"""Grid search of a forward model against InSAR observations (``gridsearch`` step, script ``grid_search.py``).

Candidates are either a built-in model of :mod:`mimtpy.models` (okada, mogi, screw) over parameter ranges
(``param``) with the other parameters fixed (``fixed``), the model's reference point given by ``lat``/``lon``
(fixed or searched), or a folder of prediction grids (RELAX or other outputs as east/north/up or LOS grids)
whose parameters are parsed from the file names with ``pattern``. For every candidate the LOS prediction is
fitted jointly with a ramp (none | linear | quadratic) and, with ``scale = yes``, a model scale factor by
closed-form generalised least squares; the misfit is the RMS of the residual or the chi-square with an
exponential covariance. The candidate loop is compiled (:mod:`mimtpy.relax.search`).

Outputs in ``outdir``: ``gridsearch.csv`` (one row per candidate: parameters, scale, misfit), ``best.json``
(best parameters, misfit, scale, ramp coefficients, projection, marginal uncertainty per searched parameter),
``prediction.h5``/``residual.h5`` + ``best_fit.png`` (grids) or ``best_fit.csv`` + ``best_fit.png``
(quadtree leaves), and ``misfit_<a>_<b>.png``/``.csv`` for every pair of searched parameters with the others
at their best.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step
from mimtpy.relax.assignments import parse_assignments

logger = logging.getLogger(__name__)

#: built-in model names and their parameters (kept here so that the config stays light at import time;
#: a test pins them to mimtpy.models.MODELS)
MODEL_PARAMS = {
    "okada": ("depth", "strike", "dip", "length", "width", "rake", "slip", "opening", "nu"),
    "mogi": ("depth", "dvolume", "nu"),
    "screw": ("strike", "slip_rate", "locking_depth"),
}
MODEL_DEFAULTS = {"okada": {"opening": "0", "nu": "0.25"}, "mogi": {"nu": "0.25"}, "screw": {}}


@dataclass(frozen=True)
class GridsearchConfig(SectionConfig):
    SECTION: ClassVar[str] = "gridsearch"
    HELP: ClassVar[str] = ("Grid search of a forward model (Okada, Mogi, screw dislocation) or of a folder of "
                           "model predictions, with a jointly estimated ramp")
    dataset: Path = option("DataSet", "none", "observed product (velocity/displacement .h5 or GeoTIFF, time "
                           "series, HDF-EOS5) or quadtree leaves .csv (lon, lat, value, std, npixels, los_east, "
                           "los_north, los_up)", "path")
    model: str = option("model", "okada", "built-in model, or 'predictions' for a folder of prediction grids",
                        "choice", choices=("okada", "mogi", "screw", "predictions"))
    param: tuple = option("param", "none", "searched parameters NAME=START:STOP:STEP (STOP included), comma "
                          "separated; names of mimtpy.models plus lat, lon of the reference point", "words")
    fixed: tuple = option("fixed", "none", "fixed parameters NAME=VALUE, comma separated (m, degrees, m3)",
                          "words")
    predictions: Path = option("predictions", "none", "folder of prediction grids (model = predictions)", "path")
    pattern: str = option("pattern", "none", "file name pattern of the predictions with {name} for each "
                          "parameter, e.g. model_depth{depth}_slip{slip}.h5", "str")
    ramp: str = option("ramp", "linear", "ramp estimated jointly with every candidate, in km east/north of "
                       "the projection centre", "choice", choices=("none", "linear", "quadratic"))
    scale: bool = option("scale", "no", "also estimate a scale factor of the model jointly with the ramp",
                         "bool")
    misfit: str = option("misfit", "rms", "rms = sqrt(mean residual^2); chi2 = chi-square with the "
                         "exponential covariance", "choice", choices=("rms", "chi2"))
    covariance: tuple = option("covariance", "none", "exponential noise covariance: sill range nugget "
                               "(data unit^2, km, data unit^2), for misfit = chi2", "floats", count=3)
    geometry: Path = option("geometry", "auto", "geometry file with incidenceAngle and azimuthAngle; auto = "
                            "the product's own, a geometryGeo.h5 beside it, or HEADING/CENTER_INCIDENCE_ANGLE",
                            "path")
    mask: Path = option("mask", "none", "mask product: pixels where its first dataset is 0/NaN are left out",
                        "path")
    start_date: str = option("startDate", "auto", "first date of the period, for time-series inputs", "date")
    end_date: str = option("endDate", "auto", "last date of the period, for time-series inputs", "date")
    subsample: int = option("subsample", "1", "use every n-th row and column of a gridded product", "int",
                            lo=1, hi=1000)
    outdir: Path = option("outdir", "gridsearch", "output folder", "path")


def check_parameters(cfg: GridsearchConfig, plan: Plan) -> None:
    """Every parameter of the built-in model searched or fixed (or defaulted), no unknown or duplicate name."""
    if cfg.model == "predictions":
        return
    allowed = (*MODEL_PARAMS[cfg.model], "lat", "lon")
    searched = parse_assignments(cfg.param, "param", plan)
    fixed = parse_assignments(cfg.fixed, "fixed", plan)
    for key, names in (("param", searched), ("fixed", fixed)):
        for name in names:
            if name not in allowed:
                plan.problem(key, f"'{name}' is not a parameter of {cfg.model} (allowed: {', '.join(allowed)})")
    for name in set(searched) & set(fixed):
        plan.problem("fixed", f"'{name}' is both searched (param) and fixed")
    if not searched:
        plan.problem("param", "no parameter to search: give NAME=START:STOP:STEP")
    given = set(searched) | set(fixed) | set(MODEL_DEFAULTS[cfg.model])
    missing = [n for n in allowed if n not in given]
    if missing:
        plan.problem("fixed", f"model {cfg.model} needs {', '.join(missing)} (searched or fixed)")


def plan(cfg: GridsearchConfig, ctx: RunContext) -> Plan:
    result = Plan()
    if cfg.dataset is None:
        result.problem("DataSet", "no observed product given")
    else:
        result.need(ctx, "DataSet", cfg.dataset, "observed product")
    if cfg.geometry is not None:
        result.need(ctx, "geometry", cfg.geometry, "geometry file")
    if cfg.mask is not None:
        result.need(ctx, "mask", cfg.mask, "mask")
    if cfg.model == "predictions":
        if cfg.predictions is None or not ctx.resolve(cfg.predictions).is_dir():
            result.problem("predictions", f"model = predictions needs a folder of predictions, got "
                                          f"{cfg.predictions}")
        else:
            result.inputs.append(ctx.resolve(cfg.predictions))
        if not cfg.pattern or "{" not in cfg.pattern:
            result.problem("pattern", "model = predictions needs a file name pattern with {name} fields")
    check_parameters(cfg, result)
    result.period(cfg.start_date, cfg.end_date)
    if cfg.misfit == "chi2" and not cfg.covariance:
        result.problem("covariance", "misfit = chi2 needs a covariance: sill range nugget")
    outdir = ctx.resolve(cfg.outdir)
    result.writable(ctx, "outdir", outdir)
    result.outputs += [outdir / "gridsearch.csv", outdir / "best.json"]
    return result


def run(cfg: GridsearchConfig, ctx: RunContext) -> list[Path]:
    """The gridsearch step; returns the files written."""
    from mimtpy.relax.runner import run_search

    plan(cfg, ctx).raise_problems("gridsearch")
    return run_search(cfg, ctx)


STEP = Step("gridsearch", "relax", GridsearchConfig, plan, run, scripts=("grid_search.py",))
