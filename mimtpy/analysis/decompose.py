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

import contextlib
import dataclasses
import functools
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy._kernels.lsq2 import solve_two_kernel
from mimtpy.analysis.tracks import Track, TrackSource, check_quantities, track_source
from mimtpy.context import RunContext
from mimtpy.core.arrays import DerivedArray, ResampledArray, StackedArray
from mimtpy.core.blocks import ArrayLike, process_blocks
from mimtpy.core.grid import Grid
from mimtpy.core.resample import common_grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, stream_h5
from mimtpy.io.writers import ArrayWriter, GeoTiffWriter, H5Writer, Writers, stream_geotiff
from mimtpy.ops import reference
from mimtpy.ops.attrs import multi_track_attrs
from mimtpy.ops.paths import resolve_dataset
from mimtpy.ops.units import rate_factor

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
        stds["north"] = (np.full(comps["up"].shape, np.nan) if north_std is None else north_std).astype(np.float32)
    return Decomposition(tracks[0].grid, comps, stds, cond.astype(np.float32, copy=False))


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


def _stations_north(blocks: dict, window: tuple[slice, slice], grid: Grid, linear, nearest, linear_std,
                    nearest_std) -> np.ndarray:
    """(2, rows, cols): GNSS north velocity (and std, NaN when unknown) interpolated at the window's
    pixel centres: linear inside the stations' hull, the nearest station outside it."""
    rows, cols = window
    lon, lat = np.meshgrid(grid.lons()[cols], grid.lats()[rows])
    out = np.full((2, *lon.shape), np.nan, np.float32)
    for k, (lin, near) in enumerate(((linear, nearest), (linear_std, nearest_std))):
        if lin is None:
            continue
        value = lin(lon, lat)
        out[k] = np.where(np.isnan(value), near(lon, lat), value)
    return out


#: north constraints with these suffixes are grids (anything else is a GNSS station table)
GRID_SUFFIXES = (".h5", ".he5", ".tif", ".tiff", ".grd", ".nc", ".nc4")


def north_array(path: Path, grid: Grid, method: str) -> ArrayLike:
    """GNSS north velocity (m/yr) and its std on ``grid`` as a lazy (2, L, W) array, from a grid file or
    a GNSS station table.

    Grid: a .tif/.h5/GMT .grd/.nc of the north velocity (dataset ``north`` or the first one, with ``<name>Std`` if
    present; unit from the file, a unitless grid judged by :func:`mimtpy.ops.units.rate_factor`), resampled by
    ``method``. Table: any format of :mod:`mimtpy.io.gnss` (mm/yr there); interpolated linearly inside the
    stations' hull and by the nearest station outside it.
    """
    if path.suffix.lower() in GRID_SUFFIXES:
        product = open_product(path)
        name = "north" if "north" in product.datasets else next(iter(product.datasets))
        std = product.array(f"{name}Std") if f"{name}Std" in product.datasets else None
        factor = rate_factor(product, name, "GNSS north grid")
        return ResampledArray(StackedArray([product.array(name), std], [factor, factor]), product.grid, grid,
                              method)
    from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator
    from scipy.spatial import QhullError

    from mimtpy.io.gnss import read_stations

    st = read_stations(path)
    ok = np.isfinite(st.vn)
    if ok.sum() < 3:
        raise ProductError(f"{path}: a GNSS north constraint needs >= 3 stations with a north velocity, "
                           f"got {int(ok.sum())}")
    pts = np.column_stack([st.lon[ok], st.lat[ok]])
    has_std = bool(np.isfinite(st.sn[ok]).all())
    logger.info("GNSS north from %d stations in %s", int(ok.sum()), path.name)
    try:
        linear = LinearNDInterpolator(pts, st.vn[ok])
        linear_std = LinearNDInterpolator(pts, st.sn[ok]) if has_std else None
    except QhullError:      # stations on a line: the nearest station everywhere
        logger.warning("%s: the GNSS stations lie on a line; north is the nearest station's", path.name)
        linear = NearestNDInterpolator(pts, st.vn[ok])
        linear_std = NearestNDInterpolator(pts, st.sn[ok]) if has_std else None
    func = functools.partial(
        _stations_north, grid=grid, linear=linear, nearest=NearestNDInterpolator(pts, st.vn[ok]),
        linear_std=linear_std, nearest_std=NearestNDInterpolator(pts, st.sn[ok]) if has_std else None)
    return DerivedArray({}, func, grid.shape, lead=(2,))


def north_constraint(path: Path, grid: Grid, method: str) -> tuple[np.ndarray, np.ndarray | None]:
    """GNSS north velocity (m/yr) and its std (None when unknown) on ``grid``, read whole
    (see :func:`north_array`)."""
    north, std = north_array(path, grid, method)[...]
    return north, None if not np.isfinite(std).any() else std


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


def decompose_block(block: dict[str, np.ndarray], count: int, refs: list[float | None], has_std: list[bool],
                    azimuth: float, weighted: bool, looks: list[str] | None = None,
                    tied: bool = False) -> dict[str, np.ndarray]:
    """One block of the decomposition: ``obs<i>`` (2, r, c) LOS and std, ``enu<i>`` (3, r, c) of track i,
    ``north`` (2, r, c) when a GNSS north is given, ``tie<i>`` (2, r, c) the GNSS-tie correction of track i and
    its std when ``tied`` (added to the LOS; stds added in quadrature); returns hz, up (north) with their
    ``...Std`` and cond. With ``looks`` (the look direction of each track), a pixel is solved only where tracks
    of at least two looks have data."""
    tracks = []
    for i in range(count):
        obs, enu = block[f"obs{i}"], block[f"enu{i}"]
        los = obs[0] if refs[i] is None else obs[0] - np.float32(refs[i])
        std = obs[1] if has_std[i] else None
        if tied:
            tie = block[f"tie{i}"]
            los = los + tie[0]
            std = None if std is None else np.sqrt(std**2 + tie[1] ** 2)
        tracks.append(Track("", Path(), None, "", los, std, enu[0], enu[1], enu[2], {}))
    north = block.get("north")
    north_std = None
    if north is not None and np.isfinite(north[1]).any():
        north_std = north[1]
    dec = decompose(tracks, azimuth, None if north is None else north[0], north_std, weighted)
    out = {"cond": dec.cond}
    for comp, values in dec.components.items():
        out[comp] = values
        out[f"{comp}Std"] = dec.std[comp]
    if looks is not None:
        seen = {}
        for look, t in zip(looks, tracks, strict=True):
            valid = np.isfinite(t.los) & np.isfinite(t.east) & np.isfinite(t.up)
            seen[look] = seen.get(look, False) | valid
        one_look = np.sum(list(seen.values()), axis=0) < 2
        for values in out.values():
            values[one_look] = np.nan
    return out


def frame_look(source: TrackSource) -> str:
    """'ASCENDING' or 'DESCENDING': ORBIT_DIRECTION, else the sign of the median LOS azimuth (MintPy
    convention: about +102 deg ascending, -102 deg descending); '' when neither is known."""
    direction = source.direction
    if direction.startswith("A"):
        return "ASCENDING"
    if direction.startswith("D"):
        return "DESCENDING"
    azimuth = look_azimuth(source.enu, max_samples=20_000)
    return "" if not np.isfinite(azimuth) else "ASCENDING" if azimuth > 0 else "DESCENDING"


def reference_point(cfg: HorzvertConfig, sources: list[TrackSource], grid: Grid, obs: list[ArrayLike],
                    ctx: RunContext) -> tuple[tuple[float, float] | None, bool]:
    """(point, subtract): ``referencepoint`` when given; else nothing to subtract when every track has the
    same REF_LAT/REF_LON (within a pixel); else the first track's, or the nearest pixel of the common
    grid where every track has data (logged)."""
    names = ", ".join(str(s.path) for s in sources)
    if cfg.reference_point:
        return cfg.reference_point, True
    refs = [(float(s.attrs["REF_LAT"]), float(s.attrs["REF_LON"])) for s in sources
            if "REF_LAT" in s.attrs and "REF_LON" in s.attrs]
    if not refs:
        logger.warning("tracks have no REF_LAT/REF_LON and no referencepoint was given: not re-referenced")
        return None, False
    step = max(abs(sources[0].grid.x_step), abs(sources[0].grid.y_step))
    if len(refs) == len(sources) and all(abs(r[0] - refs[0][0]) <= step and abs(r[1] - refs[0][1]) <= step
                                         for r in refs):
        return refs[0], False
    try:
        rows, cols = reference.window(grid, *refs[0])
        covered = np.logical_and.reduce([np.isfinite(o[0, rows, cols]) for o in obs]).any()
    except InputError:
        covered = False
    if covered:
        point = refs[0]
    else:
        valid = ArrayWriter({"valid": grid.shape}, {"valid": np.uint8})
        process_blocks({f"obs{i}": o for i, o in enumerate(obs)}, functools.partial(_all_valid, count=len(obs)),
                       valid, ctx.compute.max_memory, workers=ctx.compute.workers, desc="common valid pixels")
        point = reference.common_point(valid.arrays["valid"] > 0, grid, refs[0], names)
    logger.info("tracks have different reference points; re-referencing all to %.5f, %.5f", *point)
    return point, True


def _all_valid(block: dict[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    return {"valid": np.logical_and.reduce([np.isfinite(block[f"obs{i}"][0]) for i in range(count)]).astype(np.uint8)}


class _Tally:
    """Counts the solved pixels and keeps a sample of cond, for the log and the empty-result check."""

    def __init__(self):
        self.solved = 0
        self.cond: list[np.ndarray] = []

    def write(self, rows: slice, arrays: dict[str, np.ndarray]) -> None:
        self.solved += int(np.isfinite(arrays["up"]).sum())
        cond = arrays["cond"][::max(1, arrays["cond"].shape[0] // 8)]
        self.cond.append(cond[np.isfinite(cond)][:10000])


def look_azimuth(enu: ArrayLike, max_samples: int = 4_000_000) -> float:
    """Median azimuth (degrees from north, anticlockwise) of the ground-to-satellite LOS over a grid: every
    pixel, or every k-th row and column above ``max_samples`` pixels."""
    length, width = enu.shape[-2:]
    k = max(1, math.ceil(math.sqrt(length * width / max_samples)))
    chunk = max(k, (256 // k) * k)
    parts = []
    for r0 in range(0, length, chunk):
        east, north, _up = np.asarray(enu[:, r0:min(r0 + chunk, length), :])[:, ::k, ::k]
        parts.append(np.degrees(np.arctan2(-east, north)).ravel())
    return float(np.nanmedian(np.concatenate(parts)))


def _mask_options(cfg: HorzvertConfig, count: int, ctx: RunContext) -> tuple[bool, list[Path | None]]:
    """(apply the products' own masks, one extra mask file per track or None) from ``mask``."""
    entries = [m for m in cfg.mask or ()]
    words = [m.lower() for m in entries]
    if not entries or words in (["auto"], ["yes"], ["true"]):
        return True, [None] * count
    if words in (["no"], ["false"]):
        return False, [None] * count
    if len(entries) != count:
        raise InputError(f"mimtpy.horzvert.mask: {len(entries)} mask file(s) for {count} tracks; give auto, no, or "
                         "one mask file per track")
    return True, [_path(m, ctx) for m in entries]


def _gnss_stations(path: Path):
    from mimtpy.io.gnss import read_stations

    stations = read_stations(path)
    ok = np.isfinite(stations.ve) & np.isfinite(stations.vn)
    if not ok.any():
        raise InputError(f"{path}: no station with an east and a north velocity")
    if not np.isfinite(stations.vu[ok]).any():
        logger.info("%s has no vertical velocities: the tie uses GNSS east/north only (the vertical part of the "
                    "LOS is left to InSAR)", path.name)
    return stations.subset(ok)


def run_decomposition(cfg: HorzvertConfig, ctx: RunContext, overlap: bool = False,
                      along_look: bool = False) -> list[Path]:
    """Velocity or displacement of the DataSet tracks decomposed block by block; returns the files written.

    Two tracks are decomposed on the grid where both are (or ``SNWE``); three or more frames on the union of
    their grids, each pixel from the frames that cover it (frames of both looks needed). With ``gnss`` every
    frame is first tied to the GNSS stations (:mod:`mimtpy.analysis.gnss_tie`) instead of being re-referenced.
    ``overlap``: two adjacent tracks of one look direction (``overlap2horz_vert.py``; default folder
    ``overlap``); ``along_look``: the horizontal direction is the first track's median LOS azimuth."""
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / ("overlap" if overlap else "horzvert")
    paths = [resolve_dataset(entry, ctx.project_dir) for entry in cfg.dataset]
    settings = ctx.settings(cfg, inputs=[str(p) for p in paths])
    if cfg.gnss and (overlap or cfg.timeseries):
        raise InputError("mimtpy.horzvert.gnss: the GNSS tie is for velocities of ascending and descending frames "
                         "(generate_horzvert.py with timeseries = no)")
    gnss = _path(str(cfg.gnss), ctx) if cfg.gnss else None
    north_path = _path(str(cfg.north), ctx) if cfg.north else None
    stations = _gnss_stations(gnss) if gnss else None
    if north_path is None and stations is not None:
        if np.isfinite(stations.vn).sum() >= 3:
            north_path = gnss
        else:
            logger.warning("%s: fewer than 3 stations, north is not interpolated from them; the horizontal is "
                           "east assuming no north motion", gnss)
    comps = ["hz", "up"] + (["north"] if north_path else [])
    names = output_names(cfg, comps)
    cond_name = f"{cfg.outname}_cond" if cfg.outname else "cond"
    outputs = [outdir / f"{n}{suffix}" for n in names.values() for suffix in (".h5", ".tif")]
    outputs.append(outdir / f"{cond_name}.h5")
    tie_files = [outdir / "tie.json", outdir / "gnss_tie.csv", outdir / "gnss_tie.png"] if gnss else []
    if ctx.is_current(outputs + tie_files, paths + ([gnss] if gnss else []), settings):
        return outputs + tie_files
    geoms = list(cfg.geometry or ())
    if geoms and len(geoms) != len(paths):
        raise InputError(f"mimtpy.horzvert.geometry: {len(geoms)} file(s) for {len(paths)} tracks")
    enus = _enu_groups(cfg.enu, len(paths), ctx.project_dir)
    own_mask, mask_files = _mask_options(cfg, len(paths), ctx)
    sources = [track_source(p, cfg.dataname, _path(geoms[i], ctx) if geoms else None, enus[i] if enus else None,
                            cfg.start_date, cfg.end_date, mask=own_mask, mask_file=mask_files[i])
               for i, p in enumerate(paths)]
    check_quantities(sources)
    check_tracks(sources, allow_same_direction=overlap)
    if overlap:
        if len(sources) != 2:
            raise InputError(f"overlap2horz_vert needs exactly two tracks, got {len(sources)}")
        directions = {s.direction for s in sources}
        if len(directions) != 1:
            raise InputError(f"overlap2horz_vert is for two tracks of one look direction; got {sorted(directions)} "
                             "(use generate_horzvert.py for ascending + descending)")
    # the look of each frame matters for N frames (a pixel needs both) and the tie (overlaps of one look only)
    looks = None if overlap or (len(sources) <= 2 and not gnss) else [frame_look(s) for s in sources]
    if looks is not None and (len(set(looks)) < 2 or "" in looks):
        looks = None
    if gnss and looks is None:
        raise InputError("the GNSS tie needs ascending and descending frames with a known look direction (ORBIT_"
                         f"DIRECTION or geometry): {', '.join(str(p) for p in paths)}")
    extent = "union" if len(sources) > 2 and not overlap else "intersection"
    try:
        grid = common_grid([s.grid for s in sources], extent, cfg.align_to)
    except InputError as err:
        raise InputError(f"{err}: {', '.join(str(s.path) for s in sources)}") from None
    if cfg.snwe:
        grid = grid.subset(*grid.window(cfg.snwe))
    obs = [ResampledArray(s.obs, s.grid, grid, cfg.resample) for s in sources]
    inputs: dict[str, ArrayLike] = {f"obs{i}": o for i, o in enumerate(obs)}
    inputs.update({f"enu{i}": ResampledArray(s.enu, s.grid, grid, cfg.resample) for i, s in enumerate(sources)})
    if north_path:
        inputs["north"] = north_array(north_path, grid, cfg.resample)
    if along_look:
        cfg = dataclasses.replace(cfg, azimuth=look_azimuth(inputs["enu0"]))
        logger.info("horizontal direction = median LOS azimuth of %s: %.2f deg", sources[0].name, cfg.azimuth)
    tie = None
    if gnss:
        tie = _tie(cfg, ctx, sources, looks, stations, gnss, grid, inputs)
        point, refs = None, [None] * len(sources)
    else:
        try:
            point, subtract = reference_point(cfg, sources, grid, obs, ctx)
            refs = [reference.value_at(o, grid, *point, str(s.path), layer=0) if subtract else None
                    for o, s in zip(obs, sources, strict=True)]
        except InputError as err:
            start = cfg.reference_point or reference.product_point(open_product(sources[0].path))
            if len(sources) <= 2 or start is None:
                raise
            logger.info("%s: tying the frames to the reference point %.5f, %.5f through their overlaps", err, *start)
            tie = _tie_to_point(cfg, ctx, sources, looks, start, grid, inputs)
            point, refs = start, [None] * len(sources)
    func = functools.partial(decompose_block, count=len(sources), refs=refs, has_std=[s.has_std for s in sources],
                             azimuth=cfg.azimuth, weighted=cfg.weighted, looks=looks, tied=tie is not None)
    quantity, unit = sources[0].quantity, sources[0].unit
    base = multi_track_attrs([s.attrs for s in sources], drop=("FILE_TYPE", "ORBIT_DIRECTION", "HEADING", "UNIT"))
    base.update(grid.to_attrs(), FILE_TYPE=quantity, UNIT=unit, INPUT_TRACKS=" ".join(str(p) for p in paths),
                HORZ_AZIMUTH=-90.0 if north_path else cfg.azimuth, **reference.attrs_for(point, grid))
    if tie is not None:
        base.update(TIE_MODELS=" ".join(tie.models),
                    **({"GNSS_TIE": str(gnss)} if gnss else {"TIE": "frames tied to REF_LAT/REF_LON through overlaps"}))
    tally = _Tally()
    probe = None
    written = []
    with contextlib.ExitStack() as stack:
        writers: list = [tally]
        if gnss:
            from mimtpy.analysis.gnss_tie_report import StationProbe, station_order

            order = station_order(tie)
            probe = StationProbe(grid, stations.lon[order], stations.lat[order], cfg.tie_radius, ("hz", "up"))
            writers.append(probe)
        for comp, name in names.items():
            attrs = {**base, "COMPONENT": comp}
            datasets = {quantity: grid.shape, f"{quantity}Std": grid.shape}
            h5 = stack.enter_context(stream_h5(outdir / f"{name}.h5", datasets, attrs, settings=settings,
                                               units={quantity: unit, f"{quantity}Std": unit}))
            tif = stack.enter_context(stream_geotiff(outdir / f"{name}.tif", grid, attrs, description=comp, unit=unit))
            writers += [H5Writer(h5, {comp: quantity, f"{comp}Std": f"{quantity}Std"}), GeoTiffWriter(tif, comp)]
            written += [outdir / f"{name}.h5", outdir / f"{name}.tif"]
        h5 = stack.enter_context(stream_h5(outdir / f"{cond_name}.h5", {"cond": grid.shape},
                                           {**base, "FILE_TYPE": "cond", "UNIT": "1"}, settings=settings))
        writers.append(H5Writer(h5, {"cond": "cond"}))
        written.append(outdir / f"{cond_name}.h5")
        process_blocks(inputs, func, Writers(*writers), ctx.compute.max_memory, workers=ctx.compute.workers,
                       cluster=ctx.compute.cluster if ctx.compute.use_dask else None, desc="horzvert",
                       out_bytes_per_row=grid.width * 4 * (2 * len(comps) + 1))
        if tally.solved == 0:
            raise InputError(f"the tracks {', '.join(str(p) for p in paths)} have no valid pixel in common")
        if gnss:
            from mimtpy.analysis import gnss_tie_report as report

            east, up = probe.medians("hz"), probe.medians("up")
            written += [report.write_json(tie, outdir / "tie.json", gnss),
                        report.write_csv(tie, outdir / "gnss_tie.csv", east, up),
                        report.plot(tie, outdir / "gnss_tie.png", east, up)]
    cond = np.concatenate(tally.cond) if tally.cond else np.array([np.nan])
    logger.info("horzvert: %d tracks on a %dx%d grid, %d pixels solved; median cond %.2f", len(sources),
                grid.length, grid.width, tally.solved, float(np.nanmedian(cond)) if cond.size else float("nan"))
    return written


def _tie_to_point(cfg: HorzvertConfig, ctx: RunContext, sources: list[TrackSource], looks: list[str] | None,
                  point: tuple[float, float], grid: Grid, inputs: dict[str, ArrayLike]):
    """Frames that share no reference point (no GNSS): an offset per frame, from the 3x3 median at ``point`` where
    a frame has data there, and through the overlaps of frames of the same look for the others (the tie of
    :mod:`mimtpy.analysis.gnss_tie` with one station of zero velocity at the point)."""
    from mimtpy.io.gnss import Stations

    if looks is None:
        raise InputError("frames that share no reference point need ascending and descending frames with a known "
                         f"look direction: {', '.join(str(s.path) for s in sources)}")
    one = np.ones(1)
    stations = Stations(["REF"], one * point[1], one * point[0], 0 * one, 0 * one, 0 * one, 1e-4 * one, 1e-4 * one,
                        1e-4 * one)
    cfg = dataclasses.replace(cfg, tie_model="offset", tie_radius=0.0)
    try:
        return _tie(cfg, ctx, sources, looks, stations, f"the reference point {point[0]:.5f}, {point[1]:.5f}", grid,
                    inputs)
    except InputError as err:
        raise InputError(f"the frames share no reference point and cannot be tied to one through their overlaps "
                         f"({err}); give referencepoint inside frames of both looks, or a GNSS table (gnss)") from None


def _tie(cfg: HorzvertConfig, ctx: RunContext, sources: list[TrackSource], looks: list[str], stations,
         gnss: Path | str, grid: Grid, inputs: dict[str, ArrayLike]):
    """Solve the GNSS tie of the frames and add each frame's correction on ``grid`` to ``inputs`` (``tie<i>``)."""
    from mimtpy.analysis.gnss_tie import Frame, correction_block, tie_field_length, tie_frames
    from mimtpy.ops.paths import unique_names

    if sources[0].quantity != "velocity":
        raise InputError(f"the GNSS tie needs velocities, got {sources[0].quantity} ({sources[0].path})")
    names = unique_names([s.path for s in sources])
    frames = [Frame(n, look, s.grid, s.obs, s.enu) for n, look, s in zip(names, looks, sources, strict=True)]
    union = common_grid([s.grid for s in sources], "union", cfg.align_to)
    tie = tie_frames(frames, stations, cfg.tie_model, cfg.tie_radius, union, ctx.compute.max_memory,
                     cfg.tie_min_overlap, gnss, tie_field_length(cfg.tie_field))
    for k, frame in enumerate(frames):
        func = functools.partial(correction_block, grid=grid, centre=frame.centre, model=tie.models[k],
                                 params=tie.params[k], cov=tie.covs[k],
                                 residual=tie.fields[k] if tie.fields else None)
        inputs[f"tie{k}"] = DerivedArray({}, func, grid.shape, lead=(2,))
    return tie
