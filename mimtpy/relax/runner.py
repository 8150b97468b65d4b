"""The work of the ``gridsearch`` step: candidates, the compiled search, and the outputs."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.context import RunContext
from mimtpy.core.blocks import iterate_blocks
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, write_h5
from mimtpy.io.atomic import atomic_output
from mimtpy.models import MODELS
from mimtpy.relax import search
from mimtpy.relax.assignments import parse_assignments
from mimtpy.relax.observed import Observed, load_observed, local_xy

if TYPE_CHECKING:
    from mimtpy.relax.gridsearch import GridsearchConfig

logger = logging.getLogger(__name__)

#: candidates per call of the compiled loop, at least (progress; the memory of the predictions)
CHUNK = 256


@dataclass
class Candidates:
    """The parameter table (one column per parameter, K rows), which columns were searched, and either the
    kernel's parameter table (built-in model) or the prediction files."""

    table: dict[str, np.ndarray]
    varied: list[str]
    kernel_params: np.ndarray | None = None
    files: list[Path] | None = None


def _float(text: str, key: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"mimtpy.gridsearch.{key}: {name}={text} is not a number") from None


def model_candidates(cfg: GridsearchConfig, lat0: float, lon0: float) -> Candidates:
    """Every combination of the searched ranges with the fixed values, for the built-in model."""
    spec = MODELS[cfg.model]
    ranges = dict(search.parse_range(item) for item in cfg.param)
    fixed = {k: _float(v, "fixed", k) for k, v in parse_assignments(cfg.fixed, "fixed").items()}
    grid = search.candidate_grid(ranges)
    count = len(next(iter(grid.values())))
    table = {}
    for name in (*spec.params, "lat", "lon"):
        if name in grid:
            table[name] = grid[name]
        elif name in fixed:
            table[name] = np.full(count, fixed[name])
        elif name in spec.defaults:
            table[name] = np.full(count, float(spec.defaults[name]))
        else:
            raise InputError(f"mimtpy.gridsearch.fixed: model {cfg.model} needs '{name}' (searched or fixed)")
    x0, y0 = local_xy(table["lon"], table["lat"], lon0, lat0)
    params = search.model_parameters(cfg.model, table, x0, y0)
    return Candidates(table, list(ranges), kernel_params=params)


def pattern_regex(pattern: str) -> tuple[re.Pattern, list[str]]:
    """Regex of a file name pattern with ``{name}`` fields (numbers), and the field names."""
    names = re.findall(r"{(\w+)}", pattern)
    if not names:
        raise InputError(f"mimtpy.gridsearch.pattern: '{pattern}' has no {{name}} field")
    parts = re.split(r"{\w+}", pattern)
    regex = "".join(re.escape(p) + (f"(?P<{n}>[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)" if i < len(names) else "")
                    for i, (p, n) in enumerate(zip(parts, [*names, ""], strict=True)))
    return re.compile(f"^{regex}$"), names


def prediction_candidates(folder: Path, pattern: str) -> Candidates:
    regex, names = pattern_regex(pattern)
    files, rows = [], []
    for path in sorted(folder.iterdir()):
        match = regex.match(path.name)
        if match:
            files.append(path)
            rows.append([float(match.group(n)) for n in names])
    if not files:
        raise InputError(f"{folder}: no file matches the pattern '{pattern}'")
    values = np.array(rows)
    table = {n: values[:, j] for j, n in enumerate(names)}
    varied = [n for n in names if len(np.unique(table[n])) > 1]
    logger.info("%s: %d prediction files, parameters %s", folder, len(files), ", ".join(names))
    return Candidates(table, varied, files=files)


def _sample(product, name: str, obs: Observed) -> np.ndarray:
    """Values of ``name`` of ``product`` at the observation points (nearest pixel); NaN outside its grid."""
    g = product.grid
    data = np.asarray(product.read(name), dtype=np.float64)
    if g.epsg != 4326:
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{g.epsg}", always_xy=True).transform(obs.lon, obs.lat)
    else:
        x, y = obs.lon, obs.lat
    row = np.floor((np.asarray(y) - g.y_first) / g.y_step).astype(int)
    col = np.floor((np.asarray(x) - g.x_first) / g.x_step).astype(int)
    inside = (row >= 0) & (row < g.length) & (col >= 0) & (col < g.width)
    out = np.full(obs.lon.size, np.nan)
    out[inside] = data[row[inside], col[inside]]
    return out


def prediction_los(path: Path, obs: Observed) -> np.ndarray:
    """LOS prediction of one prediction file at the observation points.

    The file holds east/north/up grids (datasets ``east``, ``north``, ``up`` or ``E``, ``N``, ``U``), projected
    with each point's LOS vector, or one LOS grid (dataset ``los`` or its only 2-D dataset); values in the
    observation's units (m or m/yr; a ``UNIT`` attribute in mm or cm is converted)."""
    from mimtpy.ops.units import UNITS

    product = open_product(path)
    factor = UNITS.get((product.attrs.get("UNIT") or "m").strip().lower(), (None, 1.0))[1]
    names = {n.lower(): n for n in product.datasets}
    for trio in (("east", "north", "up"), ("e", "n", "u")):
        if all(t in names for t in trio):
            comps = [_sample(product, names[t], obs) for t in trio]
            pred = obs.los[0] * comps[0] + obs.los[1] * comps[1] + obs.los[2] * comps[2]
            break
    else:
        two_d = [n for n, info in product.datasets.items() if not info.is_3d]
        name = names.get("los") or (two_d[0] if len(two_d) == 1 else None)
        if name is None:
            raise ProductError(f"{path}: expected datasets east/north/up or one LOS dataset, got "
                               f"{', '.join(product.datasets)}")
        pred = _sample(product, name, obs)
    if not np.all(np.isfinite(pred)):
        raise ProductError(f"{path}: no prediction at {int((~np.isfinite(pred)).sum())} observation point(s) "
                           "(outside its grid or NaN)")
    return pred * factor


def _centre(cfg: GridsearchConfig, obs: Observed) -> tuple[float, float]:
    """Projection centre: the middle of the searched/fixed lat, lon of the model, else of the observations."""
    if cfg.model != "predictions":
        ranges = dict(search.parse_range(item) for item in cfg.param)
        fixed = parse_assignments(cfg.fixed, "fixed")
        if ("lat" in ranges or "lat" in fixed) and ("lon" in ranges or "lon" in fixed):
            lat = ranges["lat"] if "lat" in ranges else np.array([_float(fixed["lat"], "fixed", "lat")])
            lon = ranges["lon"] if "lon" in ranges else np.array([_float(fixed["lon"], "fixed", "lon")])
            return float((lat.min() + lat.max()) / 2), float((lon.min() + lon.max()) / 2)
    return float((obs.lat.min() + obs.lat.max()) / 2), float((obs.lon.min() + obs.lon.max()) / 2)


def _covariance(cfg: GridsearchConfig, x_km, y_km, max_memory: float):
    if cfg.misfit != "chi2":
        return None
    n = x_km.size
    need_gb = 3 * n * n * 8 / 1024**3
    if need_gb > max_memory:
        raise InputError(f"mimtpy.gridsearch.misfit: a full covariance of {n} points needs ~{need_gb:.1f} GB "
                         f"(maxMemory {max_memory} GB); use quadtree leaves or a larger subsample")
    sill, range_km, nugget = cfg.covariance
    return search.exponential_covariance(x_km, y_km, sill, range_km, nugget)


def _chunks(cfg: GridsearchConfig, cands: Candidates, points: int, max_memory: float) -> list[np.ndarray]:
    """Candidate indices in pieces (progress; memory of the predictions). Built-in models: whole groups of
    candidates that share a geometry stay together, so each geometry is evaluated once."""
    if cands.files is not None:     # K x N float64 predictions in memory: within half the budget
        size = max(1, min(CHUNK, int(max_memory * 1024**3 / 2 / (8 * points))))
        index = np.arange(len(cands.files))
        return [index[i:i + size] for i in range(0, index.size, size)]
    geometry, _coef = search.split_linear(cfg.model, cands.kernel_params)
    _keys, group = np.unique(geometry, axis=0, return_inverse=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0])
    chunks, begin = [], 0
    for start in starts[1:]:
        if start - begin >= CHUNK:
            chunks.append(order[begin:start])
            begin = start
    chunks.append(order[begin:])
    return chunks


def run_search(cfg: GridsearchConfig, ctx: RunContext) -> list[Path]:
    outdir = ctx.resolve(cfg.outdir)
    observed_path = ctx.resolve(cfg.dataset)
    inputs = [observed_path]
    settings = ctx.settings(cfg, inputs=[str(observed_path)])
    outputs = [outdir / "gridsearch.csv", outdir / "best.json"]
    if _is_current(outputs, inputs, settings, ctx):
        return outputs
    obs = load_observed(observed_path, ctx.resolve(cfg.geometry) if cfg.geometry else None,
                        ctx.resolve(cfg.mask) if cfg.mask else None, cfg.start_date, cfg.end_date, cfg.subsample,
                        ctx.compute.max_memory)
    lat0, lon0 = _centre(cfg, obs)
    east, north = local_xy(obs.lon, obs.lat, lon0, lat0)
    x_km, y_km = east / 1e3, north / 1e3
    problem = search.make_problem(obs.values, east, north, obs.los, cfg.ramp, x_km, y_km,
                                  _covariance(cfg, x_km, y_km, ctx.compute.max_memory))
    if cfg.model == "predictions":
        cands = prediction_candidates(ctx.resolve(cfg.predictions), cfg.pattern)
        count = len(cands.files)
    else:
        cands = model_candidates(cfg, lat0, lon0)
        count = len(cands.kernel_params)
    logger.info("grid search: %d candidates x %d points, ramp %s, scale %s, misfit %s", count, problem.size,
                cfg.ramp, "estimated" if cfg.scale else "1", cfg.misfit)
    rss = np.empty(count)
    scale = np.empty(count)
    for chunk in iterate_blocks(_chunks(cfg, cands, problem.size, ctx.compute.max_memory), "grid search"):
        if cands.files is not None:
            pred = np.vstack([prediction_los(cands.files[i], obs) for i in chunk])
            rss[chunk], scale[chunk] = search.prediction_misfits(pred, problem, cfg.scale)
        else:
            rss[chunk], scale[chunk] = search.candidate_misfits(cfg.model, cands.kernel_params[chunk], problem,
                                                                cfg.scale)
    misfit = search.misfit_of(rss, problem.size, cfg.misfit)
    best = int(np.argmin(misfit))
    if cands.files is not None:
        g = prediction_los(cands.files[best], obs)
    else:
        g = search.predicted_los(cfg.model, cands.kernel_params[best], problem)
    best_scale, coef = search.best_fit(g, problem, cfg.scale)
    ramp = problem.basis @ coef if coef.size else np.zeros(problem.size)
    model_los = best_scale * g
    n_coef = problem.basis.shape[1] + int(cfg.scale)
    uncertainty = search.marginals(cands.table, rss, cands.varied, cfg.misfit, problem.size - n_coef - 1)
    files = [p.name for p in cands.files] if cands.files is not None else None
    written = [_write_table(outdir / "gridsearch.csv", cands.table, scale if cfg.scale else None, misfit, files)]
    summary = {
        "model": cfg.model, "observed": str(observed_path), "quantity": obs.quantity, "unit": obs.unit,
        "points": problem.size, "candidates": count, "misfit_kind": cfg.misfit, "misfit": float(misfit[best]),
        "best_index": best, "parameters": {k: float(v[best]) for k, v in cands.table.items()},
        "searched": cands.varied, "scale": float(best_scale), "scale_estimated": bool(cfg.scale),
        "ramp": {"kind": cfg.ramp, "terms": list(search.RAMPS[cfg.ramp]),
                 "coefficients": {t: float(c) for t, c in zip(search.RAMPS[cfg.ramp], coef, strict=True)},
                 "definition": "c + x*X + y*Y (+ x2*X^2 + xy*X*Y + y2*Y^2), X/Y = east/north in km of the "
                               "projection centre; coefficients in data units per km^k"},
        "projection": {"kind": "aeqd", "lat0": lat0, "lon0": lon0, "ellipsoid": "WGS84"},
        "uncertainty": {"method": " ".join(search.marginals.__doc__.split("\n\n")[1].split()),
                        "parameters": uncertainty},
        "settings": settings,
    }
    if cands.files is not None:
        summary["file"] = str(cands.files[best])
    written.append(_write_json(outdir / "best.json", summary))
    written += _write_maps(outdir, obs, model_los, ramp, settings)
    written += _write_surfaces(outdir, cands.table, cands.varied, misfit, best, cfg.misfit)
    logger.info("grid search: best %s, misfit %.4g", summary["parameters"], misfit[best])
    return written


def _is_current(outputs: list[Path], inputs: list[Path], settings: dict, ctx: RunContext) -> bool:
    """Up to date when the outputs are newer than the input and best.json stores the same settings."""
    if ctx.force or not all(p.exists() for p in outputs):
        return False
    newest = max(p.stat().st_mtime for p in inputs if p.exists())
    if any(p.stat().st_mtime < newest for p in outputs):
        return False
    try:
        stored = json.loads(outputs[1].read_text()).get("settings")
    except (OSError, ValueError):
        return False
    if stored != settings:
        return False
    logger.info("up to date, skipped: %s", ", ".join(p.name for p in outputs))
    return True


def _write_text(path: Path, text: str) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text)
    logger.info("wrote %s", path)
    return path


def _write_table(path: Path, table: dict[str, np.ndarray], scale: np.ndarray | None, misfit: np.ndarray,
                 files: list[str] | None = None) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    cols = list(table) + (["scale"] if scale is not None else []) + ["misfit"] + (["file"] if files else [])
    writer.writerow(cols)
    data = [table[c] for c in table] + ([scale] if scale is not None else []) + [misfit]
    for k, row in enumerate(zip(*data, strict=True)):
        writer.writerow([repr(float(v)) for v in row] + ([files[k]] if files else []))
    return _write_text(path, buf.getvalue())


def _write_json(path: Path, summary: dict) -> Path:
    return _write_text(path, json.dumps(summary, indent=2, sort_keys=False) + "\n")


def _write_maps(outdir: Path, obs: Observed, model_los: np.ndarray, ramp: np.ndarray, settings: dict) -> list[Path]:
    """prediction.h5 (model + ramp, with 'model' and 'ramp'), residual.h5 and best_fit.png on the search grid;
    best_fit.csv for leaves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pred = model_los + ramp
    resid = obs.values - pred
    written = []
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), constrained_layout=True)
    lim = float(np.nanpercentile(np.abs(obs.values), 98)) or 1.0
    if obs.grid is None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["lon", "lat", "observed", "prediction", "model", "ramp", "residual"])
        for row in zip(obs.lon, obs.lat, obs.values, pred, model_los, ramp, resid, strict=True):
            writer.writerow([repr(float(v)) for v in row])
        written.append(_write_text(outdir / "best_fit.csv", buf.getvalue()))
        for ax, values, title in zip(axes, (obs.values, pred, resid), ("observed", "prediction", "residual"),
                                     strict=True):
            vlim = lim if title != "residual" else float(np.nanpercentile(np.abs(resid), 98)) or 1.0
            sc = ax.scatter(obs.lon, obs.lat, c=values, s=8, cmap="RdBu_r", vmin=-vlim, vmax=vlim)
            ax.set_title(title if title != "residual" else f"residual (RMS {np.sqrt(np.mean(resid**2)):.3g})")
            fig.colorbar(sc, ax=ax, label=obs.unit)
    else:
        grid = obs.grid

        def on_grid(values):
            out = np.full(grid.shape, np.nan, np.float32)
            out[obs.rows, obs.cols] = values
            return out

        drop = ("FILE_TYPE", "UNIT", "mimtpy_settings", "LENGTH", "WIDTH", "X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP",
                "REF_X", "REF_Y", "REF_LAT", "REF_LON")      # the prediction is not referenced to a point
        keep = {k: v for k, v in obs.attrs.items() if k not in drop}
        keep = {k: v for k, v in keep.items() if isinstance(v, str) and len(v) < 1000}
        name = obs.quantity
        attrs = {**keep, **grid.to_attrs(), "FILE_TYPE": name, "UNIT": obs.unit}
        written.append(write_h5(outdir / "prediction.h5", {name: on_grid(pred), "model": on_grid(model_los),
                                                          "ramp": on_grid(ramp)}, attrs, settings=settings))
        written.append(write_h5(outdir / "residual.h5", {name: on_grid(resid)}, attrs, settings=settings))
        s, n, w, e = grid.snwe
        for ax, values, title in zip(axes, (obs.values, pred, resid), ("observed", "prediction", "residual"),
                                     strict=True):
            vlim = lim if title != "residual" else float(np.nanpercentile(np.abs(resid), 98)) or 1.0
            im = ax.imshow(on_grid(values), extent=(w, e, s, n), cmap="RdBu_r", vmin=-vlim, vmax=vlim,
                           interpolation="nearest")
            ax.set_title(title if title != "residual" else f"residual (RMS {np.sqrt(np.mean(resid**2)):.3g})")
            fig.colorbar(im, ax=ax, label=obs.unit)
    path = outdir / "best_fit.png"
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    written.append(path)
    return written


def _write_surfaces(outdir: Path, table: dict[str, np.ndarray], varied: list[str], misfit: np.ndarray, best: int,
                    kind: str) -> list[Path]:
    """For every pair of searched parameters: the misfit over the pair with the others at their best."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for a, b in search.pairs(varied):
        others = [n for n in varied if n not in (a, b)]
        sel = np.ones(misfit.size, bool)
        for n in others:
            sel &= table[n] == table[n][best]
        va, vb = np.unique(table[a][sel]), np.unique(table[b][sel])
        surface = np.full((vb.size, va.size), np.nan)
        ia = np.searchsorted(va, table[a][sel])
        ib = np.searchsorted(vb, table[b][sel])
        surface[ib, ia] = misfit[sel]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([f"{b}\\{a}", *[repr(float(v)) for v in va]])
        for j, v in enumerate(vb):
            writer.writerow([repr(float(v)), *[repr(float(m)) for m in surface[j]]])
        written.append(_write_text(outdir / f"misfit_{a}_{b}.csv", buf.getvalue()))
        fig, ax = plt.subplots(figsize=(5.5, 4.5), constrained_layout=True)
        mesh = ax.pcolormesh(va, vb, surface, shading="nearest", cmap="viridis")
        ax.plot(table[a][best], table[b][best], "r*", ms=12)
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.set_title(f"{kind} misfit, others at their best")
        fig.colorbar(mesh, ax=ax)
        path = outdir / f"misfit_{a}_{b}.png"
        with atomic_output(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)
        written.append(path)
    return written
