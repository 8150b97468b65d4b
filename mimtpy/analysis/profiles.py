"""Profiles across faults (the work of the ``transects`` step).

Profiles are either ``number`` lines perpendicular to a fault trace, centred on points spaced
evenly along it (geodesic spacing), or one line between two points. Every pixel within
``width/2`` km of a profile line and within ``length`` km of its centre (each side) is
projected onto the line: its signed distance along the profile (km, positive to the right of
the fault's strike, i.e. azimuth + 90 deg; for two points, from the start point) and across it
come from the geodesic (WGS84, pyproj) distance and azimuth between the profile centre and
the pixel. Values are binned by distance (``binSize`` km): mean, median, std and count per
bin. GNSS stations in a swath are projected the same way.

Profiles are numbered from 1 along the fault and labelled A-A', B-B', ...: the distance axis runs
from the unprimed end (A) to the primed end (A'). On a profile of a product, GNSS is shown in the
product's own quantity (:func:`mimtpy.ops.gnss.comparable`: LOS, hz, up, ...) in the InSAR's frame
(plus the offset of :func:`mimtpy.ops.gnss.compare`, as on maps), see :func:`gnss_profile`.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pyproj import Geod

from mimtpy.context import RunContext
from mimtpy.errors import InputError
from mimtpy.io import Points, Product, open_product, write_h5
from mimtpy.io.atomic import atomic_output
from mimtpy.io.gnss import Stations, read_stations
from mimtpy.io.vectors import clip_lines, read_lines
from mimtpy.ops.datasets import main_dataset, zero_masking
from mimtpy.ops.units import display_unit

if TYPE_CHECKING:
    from mimtpy.analysis.transects import TransectsConfig

logger = logging.getLogger(__name__)
GEOD = Geod(ellps="WGS84")


@dataclass
class Profile:
    """One profile line: centre, azimuth of the distance axis (degrees clockwise from north)."""

    index: int                 # 1, 2, ... (labelled A, B, ...)
    lat: float
    lon: float
    azimuth: float
    length: float              # km on each side of the centre
    width: float               # km, full swath width
    origin: float = 0.0        # km added to distances (two-point profiles start at 0)

    @property
    def label(self) -> str:
        """'A' for profile 1, 'B' for 2, ... ('P27' beyond Z); the end of the line is the primed label."""
        return chr(ord("A") + self.index - 1) if 1 <= self.index <= 26 else f"P{self.index}"

    def ends(self) -> np.ndarray:
        """Lon/lat of the start (label) and end (label') of the profile line, shape (2, 2)."""
        pts = [GEOD.fwd(self.lon, self.lat, self.azimuth, along * self.length * 1e3)[:2] for along in (-1, 1)]
        return np.array(pts)

    def corners(self) -> np.ndarray:
        """Lon/lat of the swath box corners (closed ring), for maps."""
        pts = []
        for along, across in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)):
            lon, lat, _ = GEOD.fwd(self.lon, self.lat, self.azimuth, along * self.length * 1e3)
            lon, lat, _ = GEOD.fwd(lon, lat, self.azimuth + 90, across * self.width / 2 * 1e3)
            pts.append((lon, lat))
        return np.array(pts)

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance along (km, + toward ``azimuth``) and across the profile of points."""
        az, _back, dist = GEOD.inv(np.full(lon.shape, self.lon), np.full(lon.shape, self.lat), lon, lat)
        angle = np.deg2rad(np.asarray(az) - self.azimuth)
        dist = np.asarray(dist) / 1e3
        return dist * np.cos(angle) + self.origin, dist * np.sin(angle)


@dataclass
class Binned:
    """Binned values of one dataset along one profile (display units)."""

    distance: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    std: np.ndarray
    count: np.ndarray
    unit: str
    name: str
    points: tuple[np.ndarray, np.ndarray] = field(default_factory=lambda: (np.zeros(0), np.zeros(0)))


def fault_profiles(trace: np.ndarray, number: int, spacing: float | None, length: float, width: float
                   ) -> list[Profile]:
    """Profiles perpendicular to a lon/lat trace at ``number`` points spaced ``spacing`` km
    (auto: evenly over the trace), centred on the trace's midpoint."""
    if len(trace) < 2:
        raise InputError("the fault trace needs at least two points")
    lon, lat = trace[:, 0], trace[:, 1]
    az, _b, seg = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    seg = np.asarray(seg) / 1e3
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    if total <= 0:
        raise InputError("the fault trace has zero length")
    spacing = spacing if spacing else total / number
    positions = total / 2 + (np.arange(number) - (number - 1) / 2) * spacing
    if positions.min() < -1e-6 or positions.max() > total + 1e-6:
        raise InputError(f"{number} profiles {spacing:g} km apart need {spacing * (number - 1):.1f} km of trace; "
                         f"the trace is {total:.1f} km long")
    profiles = []
    for i, pos in enumerate(np.clip(positions, 0, total)):
        k = int(min(np.searchsorted(cum, pos, side="right") - 1, len(seg) - 1))
        plon, plat, _ = GEOD.fwd(lon[k], lat[k], az[k], (pos - cum[k]) * 1e3)
        profiles.append(Profile(i + 1, float(plat), float(plon), float(az[k]) + 90.0, length, width))
    return profiles


def point_profile(start: tuple[float, float], end: tuple[float, float], width: float) -> Profile:
    """One profile from ``start`` to ``end`` (lat, lon); distances from the start point."""
    az, _b, dist = GEOD.inv(start[1], start[0], end[1], end[0])
    half = dist / 2e3
    clon, clat, _ = GEOD.fwd(start[1], start[0], az, dist / 2)
    return Profile(1, float(clat), float(clon), float(az), half, width, origin=half)


def bin_profile(profile: Profile, product: Product, name: str, bin_size: float, zero_mask: str | None = "auto"
                ) -> Binned:
    """Bin the values of dataset ``name`` within the swath of ``profile`` (only the window around the
    swath is read); exact zeros are left out as no data when :func:`mimtpy.ops.datasets.zero_masking` says so
    (MintPy velocity files, as on the maps)."""
    stored = product.datasets[name].unit or product.attrs.get("UNIT", "")
    unit, factor = display_unit(stored)
    if product.family == "mintpy":      # the zeros as stored: masked here by the zeroMask rule, and counted
        product = open_product(product.path, mask=False)
    s, n, w, e = _profile_box(profile)
    rows, cols = _window(product, (s, n, w, e))
    sub = product.grid.subset(rows, cols)
    lon, lat = np.meshgrid(sub.lons(), sub.lats())
    values = product.read(name, rows, cols).astype(np.float64) * factor
    if zero_masking(product, name, zero_mask):          # MintPy's 0 = masked pixel, never zero motion
        zero = values == 0
        try:
            ry, rx = int(product.attrs["REF_Y"]) - rows.start, int(product.attrs["REF_X"]) - cols.start
            if 0 <= ry < zero.shape[0] and 0 <= rx < zero.shape[1]:
                zero[ry, rx] = False
        except (KeyError, ValueError):
            pass
        values[zero] = np.nan
    label = name if product.path.stem == name else f"{product.path.stem} {name}"
    return _bin(profile, lon.ravel(), lat.ravel(), values.ravel(), bin_size, unit, label)


def bin_points(profile: Profile, points: Points, bin_size: float) -> Binned:
    """Bin scattered points (StaMPS velocities, :class:`mimtpy.io.Points`) as :func:`bin_profile` bins pixels, at
    their own coordinates, no gridding: the points inside the swath box (within ``width/2`` km across and
    ``length`` km along of the centre) by their distance along the profile: mean, median, std and count per bin
    (mm/yr)."""
    if points.quantity == "displacement":
        raise InputError(f"{points.path}: profiles of points take velocities; this file holds displacements of "
                         f"{len(points.dates)} date(s)")
    unit, factor = display_unit(points.unit)
    values = np.asarray(points.values, dtype=np.float64) * factor
    return _bin(profile, points.lon, points.lat, values, bin_size, unit, f"{points.path.stem} {points.quantity}")


def _bin(profile: Profile, lon: np.ndarray, lat: np.ndarray, values: np.ndarray, bin_size: float, unit: str,
         name: str) -> Binned:
    """Statistics per ``bin_size`` km bin of the values whose positions fall in the swath of ``profile``; bins
    run from the start of the profile (origin - length), a value on a bin edge belongs to the bin above."""
    ok = np.isfinite(values) & np.isfinite(lon) & np.isfinite(lat)
    along, across = profile.project(lon[ok], lat[ok])
    keep = (np.abs(across) <= profile.width / 2) & (np.abs(along - profile.origin) <= profile.length)
    dist, vals = along[keep], values[ok][keep]
    lo, hi = profile.origin - profile.length, profile.origin + profile.length
    edges = np.arange(lo, hi + bin_size, bin_size)
    idx = np.digitize(dist, edges) - 1
    nb = len(edges) - 1
    stats = np.full((4, nb), np.nan)
    count = np.zeros(nb, int)
    for b in range(nb):
        sel = vals[idx == b]
        count[b] = sel.size
        if sel.size:
            stats[:, b] = (sel.mean(), np.median(sel), sel.std(), sel.size)
    return Binned((edges[:-1] + edges[1:]) / 2, stats[0], stats[1], stats[2], count, unit, name, (dist, vals))


def _profile_box(profile: Profile) -> tuple[float, float, float, float]:
    ring = profile.corners()
    return ring[:, 1].min(), ring[:, 1].max(), ring[:, 0].min(), ring[:, 0].max()


def _window(product: Product, snwe) -> tuple[slice, slice]:
    try:
        return product.grid.window(snwe)
    except InputError:
        raise InputError(f"{product.path}: the profile swath does not overlap the data") from None


def _in_swath(stations: Stations, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    along, across = profile.project(stations.lon, stations.lat)
    keep = (np.abs(across) <= profile.width / 2) & (np.abs(along - profile.origin) <= profile.length)
    return keep, along


def gnss_on_profile(stations: Stations, profile: Profile) -> tuple[Stations, np.ndarray]:
    """Stations inside the swath and their distance along the profile."""
    keep, along = _in_swath(stations, profile)
    return stations.subset(keep), along[keep]


@dataclass
class GnssProfile:
    """GNSS of the stations in a swath, comparable with one product (display units), or why there is none."""

    sites: list[str]
    distance: np.ndarray       # km along the profile
    value: np.ndarray          # GNSS in the product's quantity + the InSAR offset (display units)
    sigma: np.ndarray          # its std (NaN when the table has none)
    component: str = ""
    note: str = ""             # why nothing is drawn (no station in the swath, not comparable, ...)


def gnss_profile(stations: Stations, profile: Profile, product: Product, name: str) -> GnssProfile:
    """GNSS in the swath of ``profile`` in the quantity of dataset ``name`` of ``product``: the station
    velocity projected (:func:`mimtpy.ops.gnss.comparable`; in the stored unit, x the period for displacements,
    :func:`mimtpy.ops.gnss.gnss_factor`) plus the offset
    that ties it to the InSAR (:func:`mimtpy.ops.gnss.compare` over every station on the product), in
    display units (mm/yr, mm)."""
    from mimtpy.errors import ProductError
    from mimtpy.ops.gnss import compare, gnss_factor

    empty = np.zeros(0)
    if not _in_swath(stations, profile)[0].any():
        return GnssProfile([], empty, empty, empty, note="no GNSS station in this swath")
    stored = product.datasets[name].unit or product.attrs.get("UNIT", "")
    factor = gnss_factor(product, stored)
    if factor is None:
        return GnssProfile([], empty, empty, empty, note=f"GNSS not comparable with {name} ({stored or 'no unit'})")
    try:
        result = compare(stations, product, product.array(name), factor=factor)
    except (InputError, ProductError) as err:
        logger.warning("GNSS not drawn on profile %s of %s: %s", profile.label, product.path.name, err)
        return GnssProfile([], empty, empty, empty, note="GNSS not comparable here (see the log)")
    keep, along = _in_swath(result.stations, profile)
    if not keep.any():
        return GnssProfile([], empty, empty, empty, result.component, note="no GNSS station on valid data here")
    _unit, display = display_unit(stored)
    sites = [s for s, k in zip(result.stations.site, keep, strict=True) if k]
    return GnssProfile(sites, along[keep], result.gnss_in_insar_frame[keep] * display,
                       result.sigma[keep] * display, result.component)


def gnss_points_profile(stations: Stations, profile: Profile, points: Points,
                        geometry: Product | tuple[float, float] | None, radius_km: float) -> GnssProfile:
    """GNSS in the swath of ``profile`` against scattered points (:func:`mimtpy.ops.points.compare_points`:
    InSAR = median of the points within ``radius_km`` of each station, GNSS projected into the LOS of
    ``geometry``), in mm/yr, in the points' frame (GNSS + offset)."""
    from mimtpy.errors import ProductError
    from mimtpy.ops.points import compare_points

    empty = np.zeros(0)
    if not _in_swath(stations, profile)[0].any():
        return GnssProfile([], empty, empty, empty, note="no GNSS station in this swath")
    if geometry is None:
        return GnssProfile([], empty, empty, empty, note="points: no geometry for the GNSS LOS (geometry key)")
    if points.quantity != "velocity":
        return GnssProfile([], empty, empty, empty, note=f"GNSS not comparable with {points.quantity}")
    try:
        result = compare_points(stations, points, geometry, radius_km)
    except (InputError, ProductError) as err:
        logger.warning("GNSS not drawn on profile %s of %s: %s", profile.label, points.path.name, err)
        return GnssProfile([], empty, empty, empty, note="GNSS not comparable here (see the log)")
    keep, along = _in_swath(result.stations, profile)
    if not keep.any():
        return GnssProfile([], empty, empty, empty, "LOS", note=f"no GNSS station with points within {radius_km:g} km")
    sites = [s for s, k in zip(result.stations.site, keep, strict=True) if k]
    return GnssProfile(sites, along[keep], result.gnss_in_insar_frame[keep] * 1e3, result.sigma[keep] * 1e3, "LOS")


def make_profiles(cfg: TransectsConfig, snwe: tuple[float, float, float, float] | None = None
                  ) -> tuple[list[Profile], list[np.ndarray]]:
    """Profiles of the config and the fault trace (for maps). The trace is first cut to ``snwe``
    (the data's extent; the longest piece inside it is kept), so profiles fall on the data."""
    if cfg.fault:
        lines = read_lines(cfg.fault)
        if not lines:
            raise InputError(f"{cfg.fault}: no line found")
        if cfg.feature_index >= len(lines):
            raise InputError(f"{cfg.fault}: featureIndex {cfg.feature_index} but the file has {len(lines)} line(s)")
        trace = lines[cfg.feature_index]
        if snwe is not None:
            pieces = [p for p in clip_lines([trace], snwe) if len(p) > 1]
            if not pieces:
                raise InputError(f"{cfg.fault}: the fault trace does not cross the data (S N W E = "
                                 f"{', '.join(f'{v:.4f}' for v in snwe)})")
            trace = max(pieces, key=lambda p: np.hypot(*np.ptp(p, axis=0)))
        return fault_profiles(trace, cfg.number, cfg.spacing, cfg.length, cfg.width), [trace]
    if cfg.start and cfg.end:
        return [point_profile(cfg.start, cfg.end, cfg.width)], []
    raise InputError("mimtpy.transects: give a fault trace (fault) or two points (start, end)")



@dataclass
class Transects:
    """Profiles of a run: the products, profile lines, binned values, fault traces and GNSS (``gnss``: per
    profile and dataset, only for point datasets; None = computed from the product by the figure)."""

    products: list[Product]
    profiles: list[Profile]
    results: list[list[Binned]]
    traces: list[np.ndarray]
    stations: Stations | None
    written: list[Path]
    gnss: list[list[GnssProfile | None]] | None = None


def profile_products(cfg: TransectsConfig, ctx: RunContext) -> Transects:
    """Profiles of every DataSet file, written as CSV + HDF5 of the bins. StaMPS point exports (``.xy``) are
    binned at the points' own positions (:func:`bin_points`); their map is the points gridded
    (:func:`mimtpy.io.stamps.read_stamps_gridded`) and their GNSS is compared with the points
    (:func:`gnss_points_profile`, LOS from ``geometry``)."""
    from mimtpy.io.stamps import is_stamps_xy, read_stamps, read_stamps_gridded

    if not cfg.dataset:
        raise InputError("mimtpy.transects.DataSet: no file given")
    paths = [ctx.resolve(p) for p in cfg.dataset]
    points = [read_stamps(p) if is_stamps_xy(p) else None for p in paths]
    products = [read_stamps_gridded(p) if pts is not None else open_product(p) for p, pts in zip(paths, points,
                                                                                                  strict=True)]
    profiles, traces = make_profiles(cfg, products[0].grid.snwe)
    stations = read_stations(ctx.resolve(cfg.gnss), cfg.gnss_format) if cfg.gnss else None
    geometry = open_product(ctx.resolve(cfg.geometry)) if cfg.geometry else None
    results: list[list[Binned]] = []
    gnss: list[list[GnssProfile | None]] = []
    for profile in profiles:
        results.append([bin_points(profile, pts, cfg.bin_size) if pts is not None
                        else bin_profile(profile, p, main_dataset(p, allow_3d=False), cfg.bin_size)
                        for p, pts in zip(products, points, strict=True)])
        gnss.append([gnss_points_profile(stations, profile, pts, geometry, cfg.point_radius)
                     if pts is not None and stations is not None else None for pts in points])
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "transects"
    name = cfg.outname or "transects"
    written = [write_profiles_csv(outdir / f"{name}.csv", profiles, results, paths, stations),
               write_profiles_h5(outdir / f"{name}.h5", profiles, results, paths)]
    has_points = any(p is not None for p in points)
    return Transects(products, profiles, results, traces, stations, written, gnss if has_points else None)


def write_profiles_csv(path: Path, profiles: list[Profile], results: list[list[Binned]], paths: list[Path],
                       stations: Stations | None) -> Path:
    """One row per profile, dataset and bin; GNSS stations in a swath follow with dataset 'GNSS:<site>'."""
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["profile", "dataset", "distance_km", "mean", "median", "std", "count", "unit"])
        for profile, binned in zip(profiles, results, strict=True):
            for path_i, b in zip(paths, binned, strict=True):
                for k in range(b.distance.size):
                    writer.writerow([profile.index, path_i.name, f"{b.distance[k]:.4f}", f"{b.mean[k]:.6g}",
                                     f"{b.median[k]:.6g}", f"{b.std[k]:.6g}", int(b.count[k]), b.unit])
            if stations is not None:
                sub, along = gnss_on_profile(stations, profile)
                for k, site in enumerate(sub.site):
                    writer.writerow([profile.index, f"GNSS:{site}", f"{along[k]:.4f}",
                                     f"ve={sub.ve[k] * 1e3:.3f} vn={sub.vn[k] * 1e3:.3f} vu={sub.vu[k] * 1e3:.3f}",
                                     "", "", 1, "mm/yr"])
    return path


def write_profiles_h5(path: Path, profiles: list[Profile], results: list[list[Binned]], paths: list[Path]) -> Path:
    """Arrays (profile, bin) per dataset and statistic, e.g. ``<file stem>_median``; plus distance
    (LENGTH/WIDTH attributes = profiles/bins, so MintPy's info.py and view.py read the file)."""
    datasets: dict[str, np.ndarray] = {}
    nbin = max(b.distance.size for r in results for b in r)

    def pad(a):
        out = np.full(nbin, np.nan)
        out[: a.size] = a
        return out

    for j, path_j in enumerate(paths):
        for stat in ("mean", "median", "std", "count"):
            datasets[f"{path_j.stem}_{stat}"] = np.stack([pad(getattr(r[j], stat).astype(float)) for r in results])
    datasets["distance_km"] = np.stack([pad(r[0].distance) for r in results])
    # LENGTH x WIDTH = profiles x bins: the table's shape, which MintPy's readers require of every file
    attrs = {"FILE_TYPE": "transects", "LENGTH": len(profiles), "WIDTH": nbin,
             "PROFILE_CENTERS": " ".join(f"{p.lat:.6f},{p.lon:.6f}" for p in profiles),
             "PROFILE_AZIMUTHS": " ".join(f"{p.azimuth:.3f}" for p in profiles),
             "UNITS": " ".join(f"{path_j.stem}:{results[0][j].unit}" for j, path_j in enumerate(paths))}
    return write_h5(path, {k: v.astype(np.float32) for k, v in datasets.items()}, attrs)
