"""Synthetic Sentinel-1 products with a known truth: the scene, the tracks and their truth
(the work of the ``synthetic`` step, :mod:`mimtpy.tools.synthetic`).

Each track is a MintPy HDF-EOS5 file on a common lon/lat grid (``SNWE``, ``pixelSize``):
a geocoded swath of width ``swathWidth`` whose centre line follows the track heading
(ascending -12 deg, descending -168 deg, right-looking), with per-pixel incidence from
30.5 deg (near range) to 45.9 deg (far range), per-pixel LOS azimuth (MintPy convention,
+-102 deg with a +-1 deg drift across range) and no data outside the swath.

Deformation, in metres and metres/year, east/north/up:
* Mogi point source (Poisson ratio 0.25): ``u_r = (1-nu) dV/pi r/R^3``,
  ``u_z = (1-nu) dV/pi d/R^3``, ``R^2 = r^2 + d^2``; a volume rate gives a velocity, a
  volume step at a date gives a step.
* interseismic strike-slip fault (screw dislocation): fault-parallel velocity
  ``s/pi * atan(x/D)`` with ``x`` the distance to the right of the strike; a positive
  slip rate is right-lateral (the block right of the strike moves against the strike).
* annual vertical signal with a Gaussian pattern around the scene centre.

Each epoch adds, in LOS: MimtPy's velocity ramp ``a (lon-lon0) + b (lat-lat0) + c``
times time, random orbital ramps, per-subswath offsets and ramps, a turbulent atmosphere
(power-law spectrum, exponent -8/3) and white noise; patches of pixels are no-data
(always, or in single epochs). The series is then referenced to the reference pixel and
to the first epoch, as MintPy stores it. The truth (E/N/U velocity, LOS velocity
referenced like the data, ramp coefficients) is written to ``truth.h5`` beside the
product. The scene also gets ``gnss.csv`` (the true E/N/U velocities at a dozen random
stations, mm/yr) and, with a fault, ``fault_trace.gmt`` (its surface trace, GMT lon/lat text).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.core.dates import decimal_years, parse_date
from mimtpy.core.geometry import enu_to_los, heading_to_azimuth
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError
from mimtpy.io import stream_hdfeos5, write_geotiff, write_h5
from mimtpy.models import mogi, screw_dislocation

if TYPE_CHECKING:
    from mimtpy.tools.synthetic import SyntheticConfig

logger = logging.getLogger(__name__)

S1_WAVELENGTH = 0.05546576  # m, Sentinel-1 C band
HEADING = {"asc": -12.0, "desc": -168.0}
NEAR_INC, FAR_INC = 30.5, 45.9
ORBIT_HEIGHT = 693e3  # m
POISSON = 0.25
KM_PER_DEG = 111.195


@dataclass(frozen=True)
class TrackSpec:
    """One track to synthesise: direction, across-track shift (swath widths) and number."""

    direction: str
    shift: float
    number: int

    @property
    def project(self) -> str:
        return f"Sen{'AT' if self.direction == 'asc' else 'DT'}{self.number}"


def parse_tracks(items: tuple[str, ...]) -> list[TrackSpec]:
    """'asc', 'desc', 'asc:0.7' ... -> TrackSpecs with distinct track numbers."""
    specs = []
    for i, item in enumerate(items):
        direction, _, shift = item.partition(":")
        direction = {"a": "asc", "ascending": "asc", "d": "desc", "descending": "desc"}.get(direction, direction)
        if direction not in HEADING:
            raise InputError(f"mimtpy.synthetic.tracks: '{item}' is not asc[:SHIFT] or desc[:SHIFT]")
        try:
            shift_value = float(shift) if shift else 0.0
        except ValueError:
            raise InputError(f"mimtpy.synthetic.tracks: shift in '{item}' is not a number") from None
        specs.append(TrackSpec(direction, shift_value, (100 if direction == "asc" else 150) + i))
    if not specs:
        raise InputError("mimtpy.synthetic.tracks: no track given")
    return specs


def acquisition_dates(cfg: SyntheticConfig, rng: np.random.Generator) -> list[str]:
    """Regular sampling every ``interval`` days with a random ``dropFraction`` removed
    (never the first or last)."""
    start, end = parse_date(cfg.start_date, "startDate"), parse_date(cfg.end_date, "endDate")
    if end <= start:
        raise InputError(f"mimtpy.synthetic: endDate {cfg.end_date} is not after startDate {cfg.start_date}")
    days = np.arange(0, (end - start).days + 1, cfg.interval)
    keep = rng.random(days.size) >= cfg.drop_fraction
    keep[0] = keep[-1] = True
    dates = [(start + dt.timedelta(days=int(d))).strftime("%Y%m%d") for d in days[keep]]
    if len(dates) < 3:
        raise InputError("mimtpy.synthetic: fewer than 3 acquisitions; widen the period or lower interval")
    return dates


def scene_grid(cfg: SyntheticConfig) -> Grid:
    """North-up lon/lat grid covering ``SNWE`` at ``pixelSize``."""
    s, n, w, e = cfg.snwe
    step = cfg.pixel_size
    width, length = round((e - w) / step), round((n - s) / step)
    if width < 8 or length < 8:
        raise InputError(f"mimtpy.synthetic: SNWE {cfg.snwe} at pixelSize {step} gives {length}x{width} pixels; "
                         "need at least 8x8")
    return Grid(width, length, w, n, step, -step)


def local_km(grid: Grid, lat0: float, lon0: float) -> tuple[np.ndarray, np.ndarray]:
    """East and north distance in km of every pixel centre from (lat0, lon0) (local flat earth)."""
    lon, lat = np.meshgrid(grid.lons(), grid.lats())
    return (lon - lon0) * KM_PER_DEG * np.cos(np.deg2rad(lat0)), (lat - lat0) * KM_PER_DEG


def turbulence(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """A random field with a power-law spectrum (exponent -8/3) scaled to std ``sigma``."""
    if sigma == 0:
        return np.zeros(shape)
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.rfftfreq(shape[1])[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = np.inf
    spectrum = (rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape)) * k ** (-8 / 6)
    field = np.fft.irfft2(spectrum, s=shape)
    return field * (sigma / field.std())


def deformation(cfg: SyntheticConfig, grid: Grid) -> dict[str, np.ndarray]:
    """Velocity (vE, vN, vU), Mogi step (sE, sN, sU) and seasonal pattern fields."""
    s, n, w, e = cfg.snwe
    lat0, lon0 = (s + n) / 2, (w + e) / 2
    x, y = local_km(grid, lat0, lon0)
    zero = np.zeros(grid.shape)
    out = {k: zero.copy() for k in ("vE", "vN", "vU", "sE", "sN", "sU")}
    source = (lat0, lon0, 4.0, -3e6) if cfg.mogi is None else cfg.mogi
    if source:
        mx, my = local_km(grid, source[0], source[1])
        rate = mogi(mx * 1e3, my * 1e3, depth=source[2] * 1e3, dvolume=source[3])
        for key, comp in zip(("vE", "vN", "vU"), rate, strict=True):
            out[key] += comp
    if cfg.mogi_step and not source:
        raise InputError("mimtpy.synthetic.mogiStep needs a Mogi source, but mogi = none")
    if cfg.mogi_step:
        step = mogi(mx * 1e3, my * 1e3, depth=source[2] * 1e3, dvolume=cfg.mogi_step[1])
        for key, comp in zip(("sE", "sN", "sU"), step, strict=True):
            out[key] += comp
    if cfg.fault:
        flat, flon, strike, slip, locking = cfg.fault
        fx, fy = local_km(grid, flat, flon)
        rate = screw_dislocation(fx * 1e3, fy * 1e3, strike=strike, slip_rate=slip, locking_depth=locking * 1e3)
        for key, comp in zip(("vE", "vN", "vU"), rate, strict=True):
            out[key] += comp
    radius = 0.25 * min(np.ptp(x), np.ptp(y))
    out["seasonal"] = cfg.seasonal * np.exp(-(x**2 + y**2) / (2 * radius**2))
    return out


def track_geometry(cfg: SyntheticConfig, grid: Grid, spec: TrackSpec) -> dict[str, np.ndarray]:
    """Incidence, azimuth, slant range, swath mask and subswath index of one track."""
    s, n, w, e = cfg.snwe
    x, y = local_km(grid, (s + n) / 2, (w + e) / 2)
    h = np.deg2rad(HEADING[spec.direction])
    across = x * np.cos(h) - y * np.sin(h)          # distance to the right of the flight path, km
    along = x * np.sin(h) + y * np.cos(h)
    width_km = cfg.swath_width or np.ptp(across[np.abs(along) < np.ptp(along) / 4]) * 0.98
    frac = (across - spec.shift * width_km) / width_km + 0.5   # 0 at near range, 1 at far range
    inside = (frac >= 0) & (frac <= 1)
    frac_c = np.clip(frac, 0, 1)
    incidence = NEAR_INC + (FAR_INC - NEAR_INC) * frac_c
    azimuth = heading_to_azimuth(HEADING[spec.direction]) + (frac_c - 0.5) * 2.0
    return {
        "incidenceAngle": incidence,
        "azimuthAngle": azimuth,
        "slantRangeDistance": ORBIT_HEIGHT / np.cos(np.deg2rad(incidence)),
        "inside": inside,
        "subswath": np.minimum((frac_c * 3).astype(int), 2),
        "frac": frac_c,
    }


def scene_corners(cfg: SyntheticConfig, grid: Grid, geom: dict[str, np.ndarray], heading: float) -> dict[str, float]:
    """LAT_REF1..4 / LON_REF1..4 (MintPy's scene corners): the track-aligned rectangle around the
    valid swath (first line near/far range, last line near/far range), like a radar frame."""
    s, n, w, e = cfg.snwe
    lat0, lon0 = (s + n) / 2, (w + e) / 2
    x, y = local_km(grid, lat0, lon0)
    h = np.deg2rad(heading)
    inside = geom["inside"]
    along = (x * np.sin(h) + y * np.cos(h))[inside]
    across = (x * np.cos(h) - y * np.sin(h))[inside]
    corners = {}
    for k, (a, c) in enumerate(((along.min(), across.min()), (along.min(), across.max()),
                                (along.max(), across.min()), (along.max(), across.max())), start=1):
        cx, cy = a * np.sin(h) + c * np.cos(h), a * np.cos(h) - c * np.sin(h)
        corners[f"LAT_REF{k}"] = float(lat0 + cy / KM_PER_DEG)
        corners[f"LON_REF{k}"] = float(lon0 + cx / (KM_PER_DEG * np.cos(np.deg2rad(lat0))))
    return corners


def _holes(rng: np.random.Generator, shape: tuple[int, int], fraction: float, protect: tuple[int, int]) -> np.ndarray:
    """Boolean mask of round no-data patches covering about ``fraction`` of the pixels."""
    mask = np.zeros(shape, bool)
    if fraction <= 0:
        return mask
    rows, cols = np.indices(shape)
    radius = max(2.0, min(shape) / 40)
    while mask.mean() < fraction:
        r, c = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        mask |= (rows - r) ** 2 + (cols - c) ** 2 <= radius**2
    mask[max(0, protect[0] - 3):protect[0] + 4, max(0, protect[1] - 3):protect[1] + 4] = False
    return mask


def _reference_pixel(cfg: SyntheticConfig, grid: Grid, valid: np.ndarray) -> tuple[int, int]:
    if cfg.reference_point:
        row, col = grid.lalo_to_rowcol(*cfg.reference_point)
        if not valid[row, col]:
            raise InputError(f"mimtpy.synthetic.referencePoint {cfg.reference_point} is outside the swath of a track")
        return row, col
    target = np.array([grid.length * 0.75, grid.width * 0.25])
    rows, cols = np.nonzero(valid)
    best = np.argmin((rows - target[0]) ** 2 + (cols - target[1]) ** 2)
    return int(rows[best]), int(cols[best])


def make_track(cfg: SyntheticConfig, spec: TrackSpec, dates: list[str], outdir: Path, seed: int,
               settings: dict | None = None) -> Path:
    """Synthesise one track; writes the HDF-EOS5 product (epoch by epoch: memory is a few 2-D
    fields, whatever the number of epochs) and truth.h5; returns the product path."""
    rng = np.random.default_rng(seed)
    grid = scene_grid(cfg)
    geom = track_geometry(cfg, grid, spec)
    if geom["inside"].sum() < 16:
        raise InputError(f"mimtpy.synthetic: track {item_name(spec)} does not cover the scene (shift {spec.shift})")
    defo = deformation(cfg, grid)
    inc, az = geom["incidenceAngle"], geom["azimuthAngle"]
    los_rate = enu_to_los(defo["vE"], defo["vN"], defo["vU"], inc, az)
    los_step = enu_to_los(defo["sE"], defo["sN"], defo["sU"], inc, az)
    los_season = enu_to_los(0, 0, defo["seasonal"], inc, az)
    lon, lat = np.meshgrid(grid.lons(), grid.lats())
    s, n, w, e = cfg.snwe
    dlon, dlat = lon - (w + e) / 2, lat - (s + n) / 2
    if cfg.ramp:
        los_rate = los_rate + cfg.ramp[0] * dlon + cfg.ramp[1] * dlat + cfg.ramp[2]

    years = decimal_years(dates)
    t = years - years[0]
    step_index = None
    if cfg.mogi_step:
        step_date = f"{int(cfg.mogi_step[0]):08d}"
        parse_date(step_date, "mogiStep date")
        step_index = next((i for i, d in enumerate(dates) if d >= step_date), len(dates))

    ref_row, ref_col = _reference_pixel(cfg, grid, geom["inside"])
    holes = _holes(rng, grid.shape, cfg.holes, (ref_row, ref_col))
    valid = geom["inside"] & ~holes
    u = dlon / max(np.ptp(dlon), 1e-9)
    v = dlat / max(np.ptp(dlat), 1e-9)
    n_ramp = {"none": 0, "linear": 3, "quadratic": 6}[cfg.orbit_ramp]
    ramp_coef = np.zeros((len(dates), 6))

    def epoch(i: int) -> np.ndarray:
        """LOS displacement (m, float64) of epoch ``i`` before referencing; draws from ``rng``."""
        ti = t[i]
        d = los_rate * ti + los_season * np.sin(2 * np.pi * ti)
        if step_index is not None and i >= step_index:
            d = d + los_step
        if n_ramp:
            ramp_coef[i, :n_ramp] = rng.normal(0, cfg.ramp_amplitude, n_ramp)
            basis = (np.ones_like(u), u, v, u * v, u**2, v**2)
            d = d + sum(c * b for c, b in zip(ramp_coef[i], basis, strict=True))
        if cfg.subswath_ramps:
            offsets = rng.normal(0, cfg.ramp_amplitude, 3)
            slopes = rng.normal(0, cfg.ramp_amplitude, 3)
            d = d + offsets[geom["subswath"]] + slopes[geom["subswath"]] * geom["frac"]
        return d + turbulence(rng, grid.shape, cfg.atmosphere) + rng.normal(0, cfg.noise, grid.shape)

    # The epochs are made twice so that the product is written epoch by epoch (never the whole cube in
    # memory) with the random draws in the order of the generator's first version: a pass that only
    # advances the random stream, the single-epoch gaps (drawn after all epochs), then the epochs again.
    start_state = rng.bit_generator.state
    for i in range(len(dates)):
        epoch(i)
    gaps: dict[int, np.ndarray] = {}
    if cfg.holes > 0:   # single-epoch gaps (e.g. unwrapping errors masked out), never on epoch 0
        for i in rng.choice(np.arange(1, len(dates)), size=max(1, len(dates) // 10), replace=False):
            gaps.setdefault(int(i), np.zeros(grid.shape, bool))
            gaps[int(i)] |= _holes(rng, grid.shape, cfg.holes / 2, (ref_row, ref_col))
    after_state = rng.bit_generator.state

    height = 300 + 1500 * np.exp(-((dlon / 0.15) ** 2 + (dlat / 0.1) ** 2))
    tcoh = np.clip(0.97 - 0.25 * np.exp(-((dlon + 0.15) ** 2 + (dlat - 0.1) ** 2) / 0.005)
                   - rng.uniform(0, 0.05, grid.shape), 0, 1)
    tcoh[~valid] = 0
    geometry = {key: np.where(geom["inside"], geom[key], np.nan).astype(np.float32)
                for key in ("incidenceAngle", "azimuthAngle", "slantRangeDistance")}
    geometry["height"] = np.where(geom["inside"], height, np.nan).astype(np.float32)
    geometry["shadowMask"] = np.zeros(grid.shape, bool)
    geometry["waterMask"] = geom["inside"].copy()
    quality = {"temporalCoherence": tcoh.astype(np.float32),
               "avgSpatialCoherence": np.clip(tcoh - 0.2, 0, 1).astype(np.float32),
               "mask": (tcoh > 0.7) & valid}
    ref_lat, ref_lon = grid.rowcol_to_lalo(ref_row, ref_col)
    attrs = {
        **grid.to_attrs(), "FILE_TYPE": "HDFEOS", "PROCESSOR": "mimtpy.synthetic", "PLATFORM": "Sen",
        "mission": "S1", "beam_mode": "IW", "beam_swath": "123", "relative_orbit": spec.number,
        "first_frame": 1, "last_frame": 1, "ANTENNA_SIDE": -1, "POLARIZATION": "VV",
        "ORBIT_DIRECTION": "ASCENDING" if spec.direction == "asc" else "DESCENDING",
        "HEADING": HEADING[spec.direction], "WAVELENGTH": S1_WAVELENGTH, "CENTER_LINE_UTC": "50400",
        "first_date": dates[0], "last_date": dates[-1], "START_DATE": dates[0], "END_DATE": dates[-1],
        "REF_DATE": dates[0], "REF_LAT": ref_lat, "REF_LON": ref_lon, "REF_Y": ref_row, "REF_X": ref_col,
        "UNIT": "m", "DATA_TYPE": "float32", **scene_corners(cfg, grid, geom, HEADING[spec.direction]),
    }
    name = f"S1_IW123_{spec.number:03d}_0001_0001_{dates[0]}_{dates[-1]}.he5"
    mintpy_dir = outdir / f"{cfg.project_name}{spec.project}" / "mintpy"
    bperp = rng.normal(0, 60, len(dates))
    bperp -= bperp[0]
    after_state = rng.bit_generator.state
    product = mintpy_dir / name
    rng.bit_generator.state = start_state
    first = last = None
    with stream_hdfeos5(product, (len(dates), *grid.shape), dates, bperp, quality, geometry, attrs) as out:
        for i in range(len(dates)):
            d = epoch(i)
            d -= d[ref_row, ref_col]
            if first is None:
                first = d.copy()
            d -= first
            d[~valid] = np.nan
            if i in gaps:
                d[gaps[i]] = np.nan
            out[i] = d.astype(np.float32)
            last = d
    rng.bit_generator.state = after_state

    truth_los = np.where(geom["inside"], los_rate - los_rate[ref_row, ref_col], np.nan)
    truth = {"east": defo["vE"], "north": defo["vN"], "up": defo["vU"], "los_velocity": truth_los,
             "los_step": los_step, "seasonal_up": defo["seasonal"]}
    truth_attrs = {**grid.to_attrs(), "FILE_TYPE": "truth", "UNIT": "m/year", "REF_Y": ref_row, "REF_X": ref_col,
                   "REF_LAT": ref_lat, "REF_LON": ref_lon, "ATMOSPHERE_STD": cfg.atmosphere, "NOISE_STD": cfg.noise,
                   "ORBIT_RAMP": cfg.orbit_ramp, "RAMP": " ".join(map(str, cfg.ramp or (0, 0, 0)))}
    write_h5(mintpy_dir / "truth.h5", {k: np.asarray(v, np.float32) for k, v in truth.items()}, truth_attrs,
             settings=settings)
    np.savetxt(mintpy_dir / "truth_orbit_ramps.txt", ramp_coef,
               header="per epoch: c0 + c1*u + c2*v + c3*u*v + c4*u^2 + c5*v^2 (m); "
                      "u, v = lon, lat offsets / scene size",
               fmt="%.6e")
    if cfg.wrap:
        phase = -4 * np.pi / S1_WAVELENGTH * last
        wrapped = (phase + np.pi) % (2 * np.pi) - np.pi
        write_geotiff(mintpy_dir / f"wrapped_{dates[0]}_{dates[-1]}.tif", wrapped, grid,
                      {"FILE_TYPE": "wrapped_phase", "UNIT": "radian"})
    logger.info("track %s: %d epochs, %d valid pixels, reference (%d, %d)",
                spec.project, len(dates), int(valid.sum()), ref_row, ref_col)
    return product


def write_fault_trace(cfg: SyntheticConfig, path: Path) -> Path | None:
    """The synthetic fault's surface trace across the scene as GMT lon/lat text (None without a fault)."""
    if not cfg.fault:
        return None
    lat, lon, strike = cfg.fault[:3]
    s, n, w, e = cfg.snwe
    half = np.hypot(n - s, e - w)            # degrees; long enough to cross the scene, clipped by maps
    dx = np.sin(np.deg2rad(strike)) * half / np.cos(np.deg2rad(lat))
    dy = np.cos(np.deg2rad(strike)) * half
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# synthetic fault trace (strike {strike:g} deg)\n> fault\n{lon - dx:.6f} {lat - dy:.6f}\n"
                    f"{lon + dx:.6f} {lat + dy:.6f}\n")
    return path


def write_gnss(cfg: SyntheticConfig, path: Path, count: int = 12) -> Path:
    """A GNSS table (CSV, mm/yr) of the true E/N/U velocities at random places of the scene."""
    grid = scene_grid(cfg)
    defo = deformation(cfg, grid)
    rng = np.random.default_rng(cfg.seed + 7)
    rows = rng.integers(2, grid.length - 2, count)
    cols = rng.integers(2, grid.width - 2, count)
    lines = ["site,lon,lat,ve,vn,vu,se,sn,su"]
    for k, (r, c) in enumerate(zip(rows, cols, strict=True)):
        lat, lon = grid.rowcol_to_lalo(r, c)
        v = [defo[key][r, c] * 1e3 for key in ("vE", "vN", "vU")]
        lines.append(f"G{k:03d},{lon:.6f},{lat:.6f},{v[0]:.4f},{v[1]:.4f},{v[2]:.4f},0.2,0.2,0.5")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def item_name(spec: TrackSpec) -> str:
    return f"{spec.direction}:{spec.shift:g}"
