"""Horizontal and vertical motion from two or more LOS tracks (the work of the ``horzvert`` step).

Model, per pixel, for track i with ground-to-satellite unit vector (e_i, n_i, u_i):
``d_i = e_i dE + n_i dN + u_i dU``. With no motion perpendicular to the horizontal direction
``azimuth`` (alpha, degrees from north, anticlockwise positive, MintPy's ``--az``; -90 = east):
``(dE, dN) = H (-sin alpha, cos alpha)``, so ``d_i = [sin(inc_i) cos(az_i - alpha)] H + cos(inc_i) U``.
With a GNSS north velocity N, ``d_i - n_i N = e_i E + u_i U`` and E, N, U are all given.
Two tracks are solved exactly, more by weighted least squares (weights 1/std^2 when every
track has a std, else equal). The std of each component is propagated from the tracks' std
(``(G^T W G)^-1``); ``cond`` is the condition number of the design matrix of each pixel.
Every pixel uses its own geometry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy._kernels.lsq2 import solve_two_kernel
from mimtpy.analysis.tracks import Track, check_quantities, load_track, rereference
from mimtpy.context import RunContext
from mimtpy.core.grid import Grid
from mimtpy.core.resample import common_grid, resample
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, write_geotiff, write_h5
from mimtpy.ops.paths import resolve_dataset

if TYPE_CHECKING:
    from mimtpy.analysis.horzvert import HorzvertConfig

logger = logging.getLogger(__name__)


@dataclass
class Decomposition:
    """Components (m or m/yr) on one grid, their std (NaN where unknown) and the condition number."""

    grid: Grid
    components: dict[str, np.ndarray]     # 'hz', 'up' (+ 'north')
    std: dict[str, np.ndarray]
    cond: np.ndarray


def horizontal_coefficients(track: Track, azimuth: float) -> np.ndarray:
    """sin(inc) cos(az - alpha): the LOS sensitivity to horizontal motion along ``azimuth``."""
    a = np.deg2rad(azimuth)
    dtype = track.east.dtype.type       # keep float32 geometry float32 (NumPy 2 would promote to float64)
    return track.east * dtype(-np.sin(a)) + track.north * dtype(np.cos(a))


def solve_two(obs: list[np.ndarray], sigma: list[np.ndarray] | None, g0: list[np.ndarray], g1: list[np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least squares for two unknowns at every pixel: ``obs[t] = g0[t] x0 + g1[t] x1``.

    One array per track t (any shape, all equal). Missing observations (NaN) are left out per
    pixel; pixels with fewer than two observations or a singular system are NaN. With ``sigma``
    the observations are weighted by 1/sigma^2 and the std of x0, x1 is ``sqrt(diag((G^T W G)^-1))``;
    without it the std is NaN. Returns x0, x1, std0, std1 and the condition number of the
    unweighted design, as float32. Runs the compiled kernel; :func:`solve_two_numpy` is the
    reference implementation (float64 closed-form 2x2 algebra).
    """
    shape = obs[0].shape
    if len(obs) < 2 or any(a.shape != shape for a in (*obs, *g0, *g1, *(sigma or []))):
        raise InputError("solve_two: need two or more observation arrays of one shape, with matching coefficients")

    def stack(arrays):
        out = np.empty((len(arrays), obs[0].size), np.float32)
        for row, a in zip(out, arrays, strict=True):
            row[:] = a.ravel()
        return out

    weighted = sigma is not None
    s = stack(sigma) if weighted else np.zeros((1, 1), np.float32)
    out = solve_two_kernel(stack(obs), s, stack(g0), stack(g1), weighted)
    return tuple(o.reshape(shape) for o in out)


def solve_two_numpy(obs: list[np.ndarray], sigma: list[np.ndarray] | None, g0: list[np.ndarray],
                    g1: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """NumPy reference of :func:`solve_two` (same conventions and results)."""
    shape = obs[0].shape
    a = np.zeros(shape)
    b = np.zeros(shape)
    c = np.zeros(shape)
    r0 = np.zeros(shape)
    r1 = np.zeros(shape)
    pa = np.zeros(shape)
    pb = np.zeros(shape)
    pc = np.zeros(shape)
    count = np.zeros(shape, np.int16)
    for t in range(len(obs)):
        d = obs[t].astype(np.float64)
        h, u = g0[t].astype(np.float64), g1[t].astype(np.float64)
        valid = np.isfinite(d) & np.isfinite(h) & np.isfinite(u)
        if sigma is not None:
            valid &= np.isfinite(sigma[t]) & (sigma[t] > 0)
            w = np.where(valid, 1.0 / np.where(valid, sigma[t], 1.0).astype(np.float64) ** 2, 0.0)
        else:
            w = valid.astype(np.float64)
        h = np.where(valid, h, 0.0)
        u = np.where(valid, u, 0.0)
        d = np.where(valid, d, 0.0)
        count += valid
        a += w * h * h
        b += w * h * u
        c += w * u * u
        r0 += w * h * d
        r1 += w * u * d
        pa += h * h
        pb += h * u
        pc += u * u
    with np.errstate(divide="ignore", invalid="ignore"):
        det = a * c - b * b
        plain_det = pa * pc - pb * pb
        ok = (count >= 2) & (plain_det > 1e-12 * np.maximum(pa * pc, 1e-300)) & (det != 0)
        x0 = np.where(ok, (c * r0 - b * r1) / det, np.nan)
        x1 = np.where(ok, (a * r1 - b * r0) / det, np.nan)
        if sigma is not None:
            s0 = np.where(ok, np.sqrt(c / det), np.nan)
            s1 = np.where(ok, np.sqrt(a / det), np.nan)
        else:
            s0 = s1 = np.full(shape, np.nan)
        mean = (pa + pc) / 2
        root = np.sqrt(((pa - pc) / 2) ** 2 + pb**2)
        cond = np.where(ok, np.sqrt((mean + root) / (mean - root)), np.nan)
    return x0, x1, s0, s1, cond


def decompose(tracks: list[Track], azimuth: float = -90.0, north: np.ndarray | None = None,
              north_std: np.ndarray | None = None, weighted: bool = True) -> Decomposition:
    """Horizontal (along ``azimuth``) and vertical components from tracks on one grid.

    With ``north`` (GNSS north velocity on the grid, same units), the horizontal is east and
    the returned components are 'hz' (east), 'up' and 'north'.
    """
    grid = tracks[0].grid
    have_std = weighted and all(t.std is not None for t in tracks)
    obs = [t.los for t in tracks]
    sigma = [t.std for t in tracks] if have_std else None
    if north is None:
        gh = [horizontal_coefficients(t, azimuth) for t in tracks]
    else:
        obs = [t.los - t.north * north for t in tracks]
        if sigma is not None and north_std is not None:
            sigma = [np.sqrt(t.std**2 + (t.north * north_std) ** 2) for t in tracks]
        gh = [t.east for t in tracks]
    hz, up, s_hz, s_up, cond = solve_two(obs, sigma, gh, [t.up for t in tracks])
    comps = {"hz": hz.astype(np.float32, copy=False), "up": up.astype(np.float32, copy=False)}
    stds = {"hz": s_hz.astype(np.float32, copy=False), "up": s_up.astype(np.float32, copy=False)}
    if north is not None:
        comps["north"] = np.where(np.isfinite(comps["up"]), north, np.nan).astype(np.float32)
        stds["north"] = (np.full(grid.shape, np.nan) if north_std is None else north_std).astype(np.float32)
    return Decomposition(grid, comps, stds, cond.astype(np.float32, copy=False))


def check_tracks(tracks: list[Track], allow_same_direction: bool = False) -> None:
    """Two or more tracks, with at least two look directions unless ``allow_same_direction``."""
    if len(tracks) < 2:
        raise InputError(f"horzvert needs two or more tracks, got {len(tracks)}: "
                         f"{', '.join(str(t.path) for t in tracks)}")
    directions = [t.direction for t in tracks]
    if not allow_same_direction and all(directions) and len(set(directions)) == 1:
        raise InputError(f"all tracks are {directions[0]}: horizontal and vertical need ascending and descending "
                         f"tracks ({', '.join(str(t.path) for t in tracks)}); for adjacent tracks of one direction "
                         "use overlap2horz_vert.py")


def north_constraint(path: Path, grid: Grid, method: str) -> tuple[np.ndarray, np.ndarray | None]:
    """GNSS north velocity (m/yr) on ``grid`` from a grid file or a GNSS station table.

    Grid: a .tif/.h5 of the north velocity (dataset ``north`` or the first one, with
    ``<name>Std`` if present). Table: any format of :mod:`mimtpy.io.gnss` (mm/yr there);
    interpolated linearly inside the stations' hull and by the nearest station outside it.
    """
    if path.suffix.lower() in (".h5", ".he5", ".tif", ".tiff"):
        product = open_product(path)
        name = "north" if "north" in product.datasets else next(iter(product.datasets))
        data = resample(product.read(name), product.grid, grid, method)
        std_name = f"{name}Std"
        std = resample(product.read(std_name), product.grid, grid, method) if std_name in product.datasets else None
        return data, std
    from scipy.interpolate import griddata

    from mimtpy.io.gnss import read_stations

    st = read_stations(path)
    ok = np.isfinite(st.vn)
    if ok.sum() < 3:
        raise ProductError(f"{path}: a GNSS north constraint needs >= 3 stations with a north velocity, "
                           f"got {int(ok.sum())}")
    lon, lat = np.meshgrid(grid.lons(), grid.lats())
    pts = np.column_stack([st.lon[ok], st.lat[ok]])

    def interpolate(values: np.ndarray) -> np.ndarray:
        linear = griddata(pts, values, (lon, lat), method="linear")
        return np.where(np.isnan(linear), griddata(pts, values, (lon, lat), method="nearest"), linear)

    vn = interpolate(st.vn[ok])
    std = interpolate(st.sn[ok]) if np.isfinite(st.sn[ok]).all() else None
    logger.info("GNSS north from %d stations in %s", int(ok.sum()), path.name)
    return vn.astype(np.float32), None if std is None else std.astype(np.float32)


def prepare_tracks(cfg: HorzvertConfig, ctx: RunContext, extent: str = "intersection") -> tuple[list[Track], Grid]:
    """Load, check, re-reference and resample the tracks of ``cfg`` onto their common grid."""
    paths = [resolve_dataset(entry, ctx.project_dir) for entry in cfg.dataset]
    geoms = list(cfg.geometry or ())
    if geoms and len(geoms) != len(paths):
        raise InputError(f"mimtpy.horzvert.geometry: {len(geoms)} file(s) for {len(paths)} tracks")
    enus = _enu_groups(cfg.enu, len(paths), ctx.project_dir)
    tracks = [load_track(p, cfg.dataname, _path(geoms[i], ctx) if geoms else None, enus[i] if enus else None,
                         cfg.start_date, cfg.end_date, ctx.compute) for i, p in enumerate(paths)]
    check_quantities(tracks)
    try:
        grid = common_grid([t.grid for t in tracks], extent, cfg.align_to)
    except InputError as err:
        raise InputError(f"{err}: {', '.join(str(t.path) for t in tracks)}") from None
    rereference(tracks, cfg.reference_point)
    if cfg.snwe:
        rows, cols = grid.window(cfg.snwe)
        grid = grid.subset(rows, cols)
    return [t.on_grid(grid, cfg.resample) for t in tracks], grid


def _path(text: str, ctx: RunContext) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else ctx.project_dir / path


def _enu_groups(enu: tuple | None, count: int, base: Path) -> list[tuple[Path, Path, Path]] | None:
    if not enu:
        return None
    groups = [tuple(_path(p, RunContext(base)) for p in group.split()) for group in enu]
    if len(groups) != count or any(len(g) != 3 for g in groups):
        raise InputError(f"mimtpy.horzvert.enu: give 'E N U' rasters for each of the {count} tracks, "
                         "tracks separated by commas")
    return groups


def output_names(cfg: HorzvertConfig, components: list[str]) -> dict[str, str]:
    prefix = f"{cfg.outname}_" if cfg.outname else ""
    return {c: f"{prefix}{c}" for c in components}


def write_decomposition(dec: Decomposition, tracks: list[Track], cfg: HorzvertConfig, outdir: Path,
                        settings: dict) -> list[Path]:
    """hz/up(/north).h5 with their std, cond.h5, and GeoTIFFs."""
    quantity = tracks[0].quantity
    unit = tracks[0].unit
    base = {k: v for k, v in tracks[0].attrs.items()
            if k not in ("FILE_TYPE", "REF_Y", "REF_X", "ORBIT_DIRECTION", "HEADING", "mimtpy_settings", "UNIT")}
    base.update(dec.grid.to_attrs())
    base.update(FILE_TYPE=quantity, UNIT=unit, HORZ_AZIMUTH=cfg.azimuth if "north" not in dec.components else -90.0,
                INPUT_TRACKS=" ".join(str(t.path) for t in tracks))
    for key in ("REF_LAT", "REF_LON"):
        if key in tracks[0].attrs:
            base[key] = tracks[0].attrs[key]
    written = []
    for comp, name in output_names(cfg, list(dec.components)).items():
        attrs = {**base, "COMPONENT": comp}
        data = {quantity: dec.components[comp], f"{quantity}Std": dec.std[comp]}
        written.append(write_h5(outdir / f"{name}.h5", data, attrs, settings=settings,
                                units={quantity: unit, f"{quantity}Std": unit}))
        written.append(write_geotiff(outdir / f"{name}.tif", dec.components[comp], dec.grid, attrs))
    cond_name = f"{cfg.outname}_cond" if cfg.outname else "cond"
    written.append(write_h5(outdir / f"{cond_name}.h5", {"cond": dec.cond}, {**base, "FILE_TYPE": "cond", "UNIT": "1"},
                            settings=settings))
    return written


def run_decomposition(cfg: HorzvertConfig, ctx: RunContext) -> list[Path]:
    """Velocity or displacement of the DataSet tracks decomposed; returns the files written."""
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "horzvert"
    paths = [resolve_dataset(entry, ctx.project_dir) for entry in cfg.dataset]
    settings = ctx.settings(cfg, inputs=[str(p) for p in paths])
    names = output_names(cfg, ["hz", "up"] + (["north"] if cfg.north else []))
    outputs = [outdir / f"{n}.h5" for n in names.values()]
    if ctx.is_current(outputs, paths, settings):
        return outputs
    tracks, grid = prepare_tracks(cfg, ctx)
    check_tracks(tracks)
    north = north_std = None
    if cfg.north:
        north, north_std = north_constraint(_path(str(cfg.north), ctx), grid, cfg.resample)
    dec = decompose(tracks, cfg.azimuth, north, north_std, cfg.weighted)
    valid = np.isfinite(dec.components["up"]).sum()
    if valid == 0:
        raise InputError(f"the tracks {', '.join(str(t.path) for t in tracks)} have no valid pixel in common")
    logger.info("horzvert: %d tracks on a %dx%d grid, %d pixels solved; median cond %.2f", len(tracks),
                grid.length, grid.width, valid, float(np.nanmedian(dec.cond)))
    return write_decomposition(dec, tracks, cfg, outdir, settings)

