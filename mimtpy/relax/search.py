"""Numerical core of the grid search: ramp basis, whitening, the candidate loop, uncertainty.

Model of the observations (LOS, positive toward the satellite, m or m/yr) at point i:

    d_i = s * (e_i dE_i + n_i dN_i + u_i dU_i) + sum_j c_j B_j(x_i, y_i) + noise

with (dE, dN, dU) the forward model of a candidate, (e, n, u) the ground-to-satellite LOS unit vector of the
point, s the model scale factor (fixed to 1 unless estimated) and B the ramp basis in the local coordinates
x (east), y (north) in KILOMETRES from the projection centre: none = no term; linear = 1, x, y;
quadratic = 1, x, y, x^2, x*y, y^2. For every candidate the scale and the ramp coefficients are estimated
JOINTLY by closed-form generalised least squares (the ramp is never fitted before the model). With a
covariance C = L L^T (Cholesky, computed once) the data, ramp basis and every prediction are whitened by
solving L w = v (never an explicit inverse); without one, every point has weight 1. With the whitened ramp
basis factored once as Q R, the residual sum of squares of a candidate g follows from g.g, g.d and Q^T g.

Misfit: ``rms`` = sqrt(RSS / N) (unit weights: the RMS of the residual, data units); ``chi2`` = RSS with the
covariance (the chi-square).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np

from mimtpy._kernels.gridsearch import model_misfits_kernel, prediction_misfits_kernel
from mimtpy.errors import InputError
from mimtpy.models import MODELS

logger = logging.getLogger(__name__)

RAMPS = {"none": (), "linear": ("c", "x", "y"), "quadratic": ("c", "x", "y", "x2", "xy", "y2")}
MODEL_CODES = {"okada": 0, "mogi": 1, "screw": 2}


def ramp_basis(x_km: np.ndarray, y_km: np.ndarray, ramp: str) -> np.ndarray:
    """(N, m) ramp design matrix in the order of ``RAMPS[ramp]`` (x, y in km)."""
    if ramp not in RAMPS:
        raise InputError(f"ramp '{ramp}' is not one of {', '.join(RAMPS)}")
    terms = {"c": np.ones_like(x_km), "x": x_km, "y": y_km, "x2": x_km**2, "xy": x_km * y_km, "y2": y_km**2}
    cols = [terms[t] for t in RAMPS[ramp]]
    return np.column_stack(cols) if cols else np.zeros((x_km.size, 0))


def exponential_covariance(x_km: np.ndarray, y_km: np.ndarray, sill: float, range_km: float,
                           nugget: float) -> np.ndarray:
    """C_ij = sill exp(-r_ij / range) + nugget delta_ij (r, range in km; sill, nugget in data units^2)."""
    if sill < 0 or nugget < 0 or range_km <= 0 or sill + nugget <= 0:
        raise InputError(f"covariance: need sill >= 0, nugget >= 0, sill + nugget > 0 and range > 0, got "
                         f"sill={sill}, range={range_km}, nugget={nugget}")
    r = np.hypot(x_km[:, None] - x_km[None, :], y_km[:, None] - y_km[None, :])
    cov = sill * np.exp(-r / range_km)
    cov[np.diag_indices_from(cov)] += nugget
    return cov


@dataclass
class Problem:
    """Observations, geometry and weighting shared by every candidate (float64, N points)."""

    data: np.ndarray            # (N,) observed LOS
    east: np.ndarray            # (N,) local coordinates, m
    north: np.ndarray
    los: np.ndarray             # (3, N) ground-to-satellite unit vector
    basis: np.ndarray           # (N, m) ramp basis
    chol: np.ndarray            # (N, N) lower Cholesky factor of the covariance, or (0, 0)
    # derived by prepare()
    dw: np.ndarray | None = None
    bw: np.ndarray | None = None
    qt: np.ndarray | None = None
    b: np.ndarray | None = None
    dd: float = 0.0

    @property
    def size(self) -> int:
        return self.data.size

    def whiten(self, v: np.ndarray) -> np.ndarray:
        """L^-1 v (v is (N,) or (N, k)) by triangular solve; v itself without a covariance."""
        if self.chol.shape[0] == 0:
            return np.asarray(v, dtype=np.float64)
        from scipy.linalg import solve_triangular

        return solve_triangular(self.chol, v, lower=True, check_finite=False)


def make_problem(data, east, north, los, ramp: str, x_km, y_km, covariance: np.ndarray | None = None) -> Problem:
    """Check shapes and finiteness, factor the covariance once and the whitened ramp basis once."""
    data = np.ascontiguousarray(data, dtype=np.float64).ravel()
    n = data.size
    east = np.ascontiguousarray(east, dtype=np.float64).ravel()
    north = np.ascontiguousarray(north, dtype=np.float64).ravel()
    los = np.ascontiguousarray(los, dtype=np.float64).reshape(3, -1)
    if not (east.size == north.size == los.shape[1] == n):
        raise InputError(f"grid search: {n} observations but {east.size} coordinates and {los.shape[1]} LOS vectors")
    if not (np.all(np.isfinite(data)) and np.all(np.isfinite(east)) and np.all(np.isfinite(los))):
        raise InputError("grid search: observations, coordinates and LOS vectors must be finite (mask NaN first)")
    basis = ramp_basis(np.asarray(x_km, dtype=np.float64).ravel(), np.asarray(y_km, dtype=np.float64).ravel(), ramp)
    if n <= basis.shape[1] + 1:
        raise InputError(f"grid search: {n} observation(s) cannot constrain a {ramp} ramp and a model")
    chol = np.zeros((0, 0))
    if covariance is not None:
        try:
            chol = np.linalg.cholesky(covariance)
        except np.linalg.LinAlgError:
            raise InputError("grid search: the covariance matrix is not positive definite (add a nugget)") from None
    problem = Problem(data, east, north, los, basis, np.ascontiguousarray(chol))
    problem.dw = np.ascontiguousarray(problem.whiten(data))
    problem.bw = problem.whiten(basis) if basis.shape[1] else basis
    if basis.shape[1]:
        q, r = np.linalg.qr(problem.bw)
        if np.abs(np.diag(r)).min() <= 1e-10 * np.abs(np.diag(r)).max():
            raise InputError(f"grid search: the {ramp} ramp is not determined by the observation points "
                             "(too few or collinear points)")
        problem.qt = np.ascontiguousarray(q.T)
    else:
        problem.qt = np.zeros((0, n))
    problem.b = problem.qt @ problem.dw
    problem.dd = float(problem.dw @ problem.dw)
    return problem


def model_parameters(model: str, values: dict[str, np.ndarray], x0: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """(K, 2 + P) parameter table of the kernel: x0, y0 (m) then the model's parameters in registry order."""
    spec = MODELS[model]
    cols = [np.asarray(x0, dtype=np.float64), np.asarray(y0, dtype=np.float64)]
    cols += [np.asarray(values[name], dtype=np.float64) for name in spec.params]
    return np.ascontiguousarray(np.column_stack(np.broadcast_arrays(*cols)))


def _check_model_values(model: str, params: np.ndarray) -> None:
    spec = MODELS[model]
    for j, name in enumerate(spec.params):
        col = params[:, 2 + j]
        if not np.all(np.isfinite(col)):
            raise InputError(f"grid search: parameter '{name}' has non-finite values")
    p = {name: params[:, 2 + j] for j, name in enumerate(spec.params)}
    checks = {
        "okada": [("depth", p.get("depth", 0) < 0, ">= 0"), ("dip", (p.get("dip", 1) <= 0) | (p.get("dip", 1) > 90),
                                                               "in (0, 90]"),
                  ("length", p.get("length", 1) <= 0, "> 0"), ("width", p.get("width", 1) <= 0, "> 0")],
        "mogi": [("depth", p.get("depth", 1) <= 0, "> 0")],
        "screw": [("locking_depth", p.get("locking_depth", 1) <= 0, "> 0")],
    }[model]
    if "nu" in p and np.any((p["nu"] <= -1) | (p["nu"] >= 0.5)):
        raise InputError("grid search: parameter 'nu' must be in (-1, 0.5)")
    for name, bad, rule in checks:
        if np.any(bad):
            raise InputError(f"grid search: parameter '{name}' must be {rule} for model {model}")


def candidate_misfits(model: str, params: np.ndarray, problem: Problem, fit_scale: bool
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Residual sum of squares (whitened) and model scale of every candidate of a built-in model.

    ``params``: (K, 2 + P) from :func:`model_parameters` (x0, y0 = east, north of the model's reference
    point in m, then the parameters of ``mimtpy.models.MODELS[model]`` in order). ``fit_scale``: estimate the
    scale s jointly with the ramp (else s = 1 and only the ramp is estimated). Runs the compiled kernel, which
    evaluates the model in C once per distinct geometry (:func:`split_linear`) and every candidate from the
    products of the unit fields; :func:`candidate_misfits_numpy` is the reference implementation (one full
    model evaluation and least-squares solve per candidate).
    """
    if model not in MODEL_CODES:
        raise InputError(f"grid search: unknown model '{model}' (choose from {', '.join(MODEL_CODES)})")
    params = np.ascontiguousarray(params, dtype=np.float64)
    if params.ndim != 2 or params.shape[1] != 2 + len(MODELS[model].params):
        raise InputError(f"grid search: parameter table must be (K, {2 + len(MODELS[model].params)}) for {model}, "
                         f"got {params.shape}")
    _check_model_values(model, params)
    geometry, coef = split_linear(model, params)
    keys, group = np.unique(geometry, axis=0, return_inverse=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable").astype(np.intp)
    bounds = np.searchsorted(group[order], np.arange(len(keys) + 1)).astype(np.intp)
    p = problem
    return model_misfits_kernel(MODEL_CODES[model], np.ascontiguousarray(keys), order, bounds,
                                np.ascontiguousarray(coef), p.east, p.north, p.los[0].copy(), p.los[1].copy(),
                                p.los[2].copy(), p.chol, p.qt, p.dw, p.b, p.dd, int(bool(fit_scale)))


def split_linear(model: str, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(geometry, coefficients) of a parameter table: the model is linear in the coefficients (Okada:
    U1 = slip cos(rake), U2 = slip sin(rake), U3 = opening; Mogi: dvolume; screw: slip_rate), so the compiled
    loop evaluates each distinct geometry once (columns as documented in ``_unit_fields`` of the kernel)."""
    if model == "okada":    # x0 y0 depth strike dip length width rake slip opening nu
        rake = np.deg2rad(params[:, 7])
        coef = np.column_stack([params[:, 8] * np.cos(rake), params[:, 8] * np.sin(rake), params[:, 9]])
        return params[:, [0, 1, 2, 3, 4, 5, 6, 10]], coef
    if model == "mogi":     # x0 y0 depth dvolume nu
        return params[:, [0, 1, 2, 4]], params[:, [3]]
    return params[:, [0, 1, 2, 4]], params[:, [3]]      # screw: x0 y0 strike slip_rate locking_depth


def predicted_los(model: str, row: np.ndarray, problem: Problem) -> np.ndarray:
    """LOS prediction (NumPy, :mod:`mimtpy.models`) of one candidate row of a parameter table."""
    spec = MODELS[model]
    kwargs = {name: float(row[2 + j]) for j, name in enumerate(spec.params)}
    de, dn, du = spec.function(problem.east - row[0], problem.north - row[1], **kwargs)
    return problem.los[0] * de + problem.los[1] * dn + problem.los[2] * du


def _lstsq_rss(gw: np.ndarray, problem: Problem, fit_scale: bool) -> tuple[float, float, np.ndarray]:
    """RSS, scale and ramp coefficients by a direct least-squares solve (reference path)."""
    bw = problem.bw
    if fit_scale:
        design = np.column_stack([gw, bw])
        coef, *_ = np.linalg.lstsq(design, problem.dw, rcond=None)
        resid = problem.dw - design @ coef
        return float(resid @ resid), float(coef[0]), coef[1:]
    target = problem.dw - gw
    if bw.shape[1] == 0:
        return float(target @ target), 1.0, np.zeros(0)
    coef, *_ = np.linalg.lstsq(bw, target, rcond=None)
    resid = target - bw @ coef
    return float(resid @ resid), 1.0, coef


def candidate_misfits_numpy(model: str, params: np.ndarray, problem: Problem, fit_scale: bool
                            ) -> tuple[np.ndarray, np.ndarray]:
    """NumPy reference of :func:`candidate_misfits`: the models of :mod:`mimtpy.models`, whitening by
    triangular solves and a direct least-squares solve per candidate."""
    params = np.asarray(params, dtype=np.float64)
    rss = np.empty(len(params))
    scale = np.empty(len(params))
    for k, row in enumerate(params):
        gw = problem.whiten(predicted_los(model, row, problem))
        rss[k], scale[k], _ = _lstsq_rss(gw, problem, fit_scale)
    return rss, scale


def prediction_misfits(pred: np.ndarray, problem: Problem, fit_scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`candidate_misfits` for given LOS predictions ``pred`` (K, N) (e.g. a folder of model grids)."""
    pred = np.ascontiguousarray(pred, dtype=np.float64)
    if pred.ndim != 2 or pred.shape[1] != problem.size:
        raise InputError(f"grid search: predictions must be (K, {problem.size}), got {pred.shape}")
    if not np.all(np.isfinite(pred)):
        raise InputError("grid search: a prediction has no value (NaN) at an observation point")
    return prediction_misfits_kernel(pred, problem.chol, problem.qt, problem.dw, problem.b, problem.dd,
                                     int(bool(fit_scale)))


def prediction_misfits_numpy(pred: np.ndarray, problem: Problem, fit_scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """NumPy reference of :func:`prediction_misfits`."""
    rss = np.empty(len(pred))
    scale = np.empty(len(pred))
    for k, g in enumerate(np.asarray(pred, dtype=np.float64)):
        rss[k], scale[k], _ = _lstsq_rss(problem.whiten(g), problem, fit_scale)
    return rss, scale


def best_fit(g: np.ndarray, problem: Problem, fit_scale: bool) -> tuple[float, np.ndarray]:
    """Scale and ramp coefficients of one prediction ``g`` (N,) (direct solve)."""
    _rss, scale, coef = _lstsq_rss(problem.whiten(g), problem, fit_scale)
    return scale, coef


def misfit_of(rss: np.ndarray, n: int, kind: str) -> np.ndarray:
    """``rms``: sqrt(RSS / N); ``chi2``: RSS."""
    return np.sqrt(np.asarray(rss) / n) if kind == "rms" else np.asarray(rss, dtype=np.float64)


def parse_range(text: str) -> tuple[str, np.ndarray]:
    """``NAME=START:STOP:STEP`` (STOP included when on the grid), ``NAME=V1;V2;...`` or ``NAME=VALUE``."""
    if "=" not in text:
        raise InputError(f"'{text}': expected NAME=START:STOP:STEP")
    name, _, spec = text.partition("=")
    name, spec = name.strip().lower(), spec.strip()
    try:
        if ":" in spec:
            start, stop, step = (float(v) for v in spec.split(":"))
            if step <= 0 or stop < start:
                raise InputError(f"'{text}': need STEP > 0 and STOP >= START")
            count = int(np.floor((stop - start) / step + 1e-9)) + 1
            return name, start + step * np.arange(count)
        return name, np.array([float(v) for v in spec.split(";")])
    except ValueError:
        raise InputError(f"'{text}': expected NAME=START:STOP:STEP with numbers") from None


def candidate_grid(ranges: dict[str, np.ndarray], max_candidates: int = 10_000_000) -> dict[str, np.ndarray]:
    """Every combination of the ranges (the first parameter varies slowest), as flat columns."""
    total = int(np.prod([len(v) for v in ranges.values()])) if ranges else 1
    if total > max_candidates:
        raise InputError(f"grid search: {total} candidates exceed the limit of {max_candidates}; coarsen a range")
    if not ranges:
        return {}
    mesh = np.meshgrid(*ranges.values(), indexing="ij")
    return {name: m.ravel() for name, m in zip(ranges, mesh, strict=True)}


def marginals(table: dict[str, np.ndarray], rss: np.ndarray, varied: list[str], kind: str, dof: int) -> dict:
    """Marginal distribution of each varied parameter over the grid.

    Method: relative likelihood exp(-chi2 / 2) at every candidate with a uniform prior over the grid,
    summed over the other parameters. chi2 = RSS for ``chi2`` (whitened by the covariance); for ``rms``
    chi2 = RSS / sigma^2 with sigma^2 = RSS_min / dof (independent errors with the variance of the best fit's
    residual, dof = N - number of estimated coefficients - 1): with spatially correlated noise this
    underestimates the uncertainty - use ``chi2`` with a covariance for honest error bars. Reports the mean,
    std and the 2.5/16/50/84/97.5 % points of the discrete marginal; a std below the grid step means the grid
    does not resolve the uncertainty.
    """
    rss = np.asarray(rss, dtype=np.float64)
    chi2 = rss if kind == "chi2" else rss / max(rss.min() / max(dof, 1), 1e-300)
    like = np.exp(-0.5 * (chi2 - chi2.min()))
    like /= like.sum()
    out = {}
    for name in varied:
        values = np.unique(table[name])
        prob = np.array([like[table[name] == v].sum() for v in values])
        mean = float((prob * values).sum())
        std = float(np.sqrt(max((prob * (values - mean) ** 2).sum(), 0.0)))
        cdf = np.cumsum(prob)
        pct = {f"p{q:g}": float(values[min(np.searchsorted(cdf, q / 100.0), len(values) - 1)])
               for q in (2.5, 16, 50, 84, 97.5)}
        step = float(np.min(np.diff(values))) if len(values) > 1 else 0.0
        out[name] = {"mean": mean, "std": std, **pct, "grid_step": step, "resolved": bool(std >= step)}
    return out


def pairs(varied: list[str]) -> list[tuple[str, str]]:
    return list(itertools.combinations(varied, 2))
