"""GNSS velocities against InSAR: projection into the LOS of a product and comparison.

The GNSS E/N/U velocity of each station inside the product is projected onto the LOS of the
pixel it falls in, with that pixel's own geometry (positive toward the satellite, see
:mod:`mimtpy.core.geometry`); a missing vertical velocity counts as zero (logged). InSAR at a
station is the median of the 3x3 pixels around it. Both are then referenced, either to one
station (``reference_site``) or by removing the median difference, and compared: the RMS of
InSAR - GNSS after referencing.

Products that are not LOS are compared in their own quantity (:func:`comparable`): a horizontal
component (``COMPONENT = hz``, direction ``HORZ_AZIMUTH``, degrees from north, anticlockwise
positive: ``-sin(a) ve + cos(a) vn``), ``east``, ``north`` or ``up``. The GNSS velocity (m/yr) is
brought to the data's stored unit by :func:`gnss_factor`: 1000 for mm/yr, and for displacement
products (a length unit) times the period (``END_DATE - START_DATE`` in decimal years,
:func:`period_years`). Figures draw GNSS in the InSAR's frame: the GNSS value
plus the offset of :func:`compare` (maps and profiles do the same as the scatter plot).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mimtpy.errors import InputError
from mimtpy.io import Product
from mimtpy.io.gnss import Stations
from mimtpy.ops.geometry import geometry_array

logger = logging.getLogger(__name__)


@dataclass
class Comparison:
    """Stations inside the product with their GNSS LOS and InSAR values (m/yr), after referencing."""

    stations: Stations
    gnss_los: np.ndarray   # GNSS in the product's quantity (LOS, hz, up, ...) and stored unit (gnss_factor)
    insar: np.ndarray
    offset: float          # subtracted from InSAR: InSAR - offset ~ GNSS
    rms: float
    sigma: np.ndarray | None = None    # std of gnss_los from the stations' std (NaN when unknown)
    component: str = "LOS"

    @property
    def gnss_in_insar_frame(self) -> np.ndarray:
        """GNSS + offset: the values to draw over the (unshifted) InSAR map or profile."""
        return self.gnss_los + self.offset

    def write_csv(self, path: Path) -> Path:
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["site", "lon", "lat", "gnss_los_m_per_yr", "insar_m_per_yr", "difference_m_per_yr"])
            for i, site in enumerate(self.stations.site):
                writer.writerow([site, f"{self.stations.lon[i]:.6f}", f"{self.stations.lat[i]:.6f}",
                                 f"{self.gnss_los[i]:.6g}", f"{self.insar[i]:.6g}",
                                 f"{self.insar[i] - self.gnss_los[i]:.6g}"])
        return path


def stations_in(stations: Stations, product: Product) -> tuple[Stations, np.ndarray, np.ndarray]:
    """Stations inside the product grid, with their rows and columns."""
    s, n, w, e = product.grid.snwe
    inside = (stations.lat > s) & (stations.lat < n) & (stations.lon > w) & (stations.lon < e)
    sub = stations.subset(inside)
    rc = [product.grid.lalo_to_rowcol(lat, lon) for lat, lon in zip(sub.lat, sub.lon, strict=True)]
    rows = np.array([r for r, _ in rc], int)
    cols = np.array([c for _, c in rc], int)
    return sub, rows, cols


def project_to_los(stations: Stations, product: Product, geometry: Path | None = None
                   ) -> tuple[Stations, np.ndarray, np.ndarray, np.ndarray]:
    """(stations inside, GNSS LOS velocity, rows, cols) using the product's per-pixel geometry."""
    sub, rows, cols = stations_in(stations, product)
    if len(sub) == 0:
        raise InputError(f"{product.path}: no GNSS station inside the product "
                         f"(S N W E = {', '.join(f'{v:.4f}' for v in product.grid.snwe)})")
    enu = geometry_array(product, product.grid, geometry)          # read at the stations' pixels only
    east, north, up = np.array([enu[:, r:r + 1, c:c + 1].reshape(3) for r, c in zip(rows, cols, strict=True)]).T
    vu = sub.vu
    if np.isnan(vu).any():
        logger.info("%d station(s) without a vertical velocity: taken as 0", int(np.isnan(vu).sum()))
        vu = np.nan_to_num(vu)
    los = east * sub.ve + north * sub.vn + up * vu
    return sub, los, rows, cols


#: COMPONENT attribute (lower case) -> how the GNSS velocity compares with it
COMPONENTS = ("hz", "horizontal", "east", "north", "up", "vertical")


def period_years(product: Product) -> float | None:
    """``END_DATE - START_DATE`` of a product in decimal years (MintPy's), None when either is missing."""
    from mimtpy.core.dates import decimal_years

    a = product.attrs
    if "START_DATE" in a and "END_DATE" in a:
        t0, t1 = decimal_years([str(a["START_DATE"]), str(a["END_DATE"])])
        return float(t1 - t0)
    return None


def gnss_factor(product: Product, unit: str | None = None) -> float | None:
    """Factor from a GNSS velocity (m/yr) to data in the stored ``unit`` (default: the UNIT attribute):
    1 / (the rate's factor to m/yr) for velocities (1 for m/year, 1000 for mm/yr); the period
    (:func:`period_years`) / (the length's factor to m) for displacements; None when the unit is neither
    or a displacement has no period."""
    from mimtpy.ops.units import LENGTH, RATE

    text = (unit if unit is not None else product.attrs.get("UNIT", "")).strip().lower()
    if text in RATE:
        return 1.0 / RATE[text]
    years = period_years(product)
    if text in LENGTH and years is not None:
        return years / LENGTH[text]
    return None


def comparable(stations: Stations, product: Product, geometry: Path | None = None
               ) -> tuple[Stations, np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """(stations inside, GNSS velocity in the product's quantity (m/yr), its std (NaN when unknown), rows,
    cols, component name). The quantity is the product's ``COMPONENT`` (hz along ``HORZ_AZIMUTH``, east,
    north, up) or else its LOS (:func:`project_to_los`, std propagated from se, sn, su)."""
    comp = str(product.attrs.get("COMPONENT", "")).strip().lower()
    if comp not in COMPONENTS:
        sub, los, rows, cols = project_to_los(stations, product, geometry)
        enu = geometry_array(product, product.grid, geometry)
        e, n, u = np.array([enu[:, r:r + 1, c:c + 1].reshape(3) for r, c in zip(rows, cols, strict=True)]).T
        sigma = np.sqrt((e * sub.se) ** 2 + (n * sub.sn) ** 2 + (u * sub.su) ** 2)
        return sub, los, sigma, rows, cols, "LOS"
    sub, rows, cols = stations_in(stations, product)
    if len(sub) == 0:
        raise InputError(f"{product.path}: no GNSS station inside the product "
                         f"(S N W E = {', '.join(f'{v:.4f}' for v in product.grid.snwe)})")
    if comp in ("hz", "horizontal"):
        a = np.deg2rad(float(product.attrs.get("HORZ_AZIMUTH", -90.0)))
        values = -np.sin(a) * sub.ve + np.cos(a) * sub.vn
        sigma = np.hypot(np.sin(a) * sub.se, np.cos(a) * sub.sn)
    elif comp == "east":
        values, sigma = sub.ve, sub.se
    elif comp == "north":
        values, sigma = sub.vn, sub.sn
    else:
        values, sigma = sub.vu, sub.su
    return sub, values, sigma, rows, cols, comp


def reference_offset(sites: list[str], insar: np.ndarray, los: np.ndarray, ok: np.ndarray,
                     reference_site: str | None, where: str) -> tuple[float, float]:
    """(offset, rms) of InSAR against GNSS in the same frame: offset = InSAR - GNSS at ``reference_site``, or
    their median difference over the stations ``ok``; rms of what is left over those stations. An InputError
    names a reference site that has no valid InSAR value ``where``."""
    if reference_site:
        if reference_site not in sites or not ok[sites.index(reference_site)]:
            with_data = ", ".join(s for s, k in zip(sites, ok, strict=True) if k)
            raise InputError(f"reference GNSS site '{reference_site}' has no InSAR value {where} "
                             f"(stations with one: {with_data})")
        k = sites.index(reference_site)
        offset = float(insar[k] - los[k])
    else:
        offset = float(np.median(insar[ok] - los[ok]))
    rms = float(np.sqrt(np.mean((insar[ok] - offset - los[ok]) ** 2)))
    return offset, rms


def compare(stations: Stations, product: Product, data, reference_site: str | None = None,
            geometry: Path | None = None, factor: float = 1.0) -> Comparison:
    """Compare GNSS (in the product's quantity, :func:`comparable`) with the InSAR ``data`` (on the
    product grid, in its stored unit; ``factor`` = :func:`gnss_factor`, 1 for m/yr). Every value of the
    result is in the stored unit."""
    sub, los, sigma, rows, cols, component = comparable(stations, product, geometry)
    los, sigma = los * factor, sigma * factor
    insar = np.array([np.nanmedian(data[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2])
                      if np.isfinite(data[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2]).any() else np.nan
                      for r, c in zip(rows, cols, strict=True)])
    ok = np.isfinite(insar) & np.isfinite(los)
    if not ok.any():
        raise InputError(f"{product.path}: no GNSS station falls on valid InSAR data")
    offset, rms = reference_offset(sub.site, insar, los, ok, reference_site, f"inside {product.path}")
    keep = ok
    logger.info("GNSS vs InSAR (%s): %d stations, offset %.4g, RMS %.4g (stored unit)", component,
                int(keep.sum()), offset, rms)
    return Comparison(sub.subset(keep), los[keep], insar[keep] - offset, offset, rms, sigma[keep], component)


# --- tie helpers: GNSS in a frame's LOS, InSAR around a station, GNSS fields between stations ---------------------

KM_PER_DEG = 111.195
#: std (m/yr) assumed for a GNSS component whose table gives none
DEFAULT_HORIZONTAL_STD = 1e-3
DEFAULT_VERTICAL_STD = 3e-3


def local_km(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """East and north distances (km) of lon/lat (degrees) from (lon0, lat0), on a local sphere
    (111.195 km per degree, east scaled by cos(lat0))."""
    x = (np.asarray(lon, float) - lon0) * KM_PER_DEG * np.cos(np.deg2rad(lat0))
    y = (np.asarray(lat, float) - lat0) * KM_PER_DEG
    return x, y


def gnss_los(stations: Stations, east: np.ndarray, north: np.ndarray, up: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(los, los_std, vertical_used) of every station in a LOS of unit vector (east, north, up) (ground to
    satellite, one per station): ``los = e vE + n vN + u vU`` in m/yr, positive toward the satellite.

    A station without a vertical velocity contributes ``e vE + n vN`` only (its vertical is taken as 0: the
    vertical part of the LOS is left to InSAR). Missing stds count as 1 mm/yr (horizontal), 3 mm/yr (vertical).
    """
    has_up = np.isfinite(stations.vu)
    vu = np.where(has_up, stations.vu, 0.0)
    se = np.where(np.isfinite(stations.se), stations.se, DEFAULT_HORIZONTAL_STD)
    sn = np.where(np.isfinite(stations.sn), stations.sn, DEFAULT_HORIZONTAL_STD)
    su = np.where(np.isfinite(stations.su), stations.su, DEFAULT_VERTICAL_STD)
    los = east * stations.ve + north * stations.vn + up * vu
    std = np.sqrt((east * se) ** 2 + (north * sn) ** 2 + np.where(has_up, (up * su) ** 2, 0.0))
    return los, std, has_up


def station_window(grid, lat: float, lon: float, radius_km: float
                   ) -> tuple[slice, slice, np.ndarray] | None:
    """Rows, columns and a boolean mask of the pixels of ``grid`` whose centres lie within ``radius_km`` of
    (lat, lon), and always the 3x3 pixels around the pixel holding it; None when the station is outside."""
    try:
        row, col = grid.lalo_to_rowcol(lat, lon)
    except InputError:
        return None
    cos = max(np.cos(np.deg2rad(lat)), 1e-6)
    hr = max(1, int(np.ceil(radius_km / (abs(grid.y_step) * KM_PER_DEG))))
    hc = max(1, int(np.ceil(radius_km / (abs(grid.x_step) * KM_PER_DEG * cos))))
    rows = slice(max(row - hr, 0), min(row + hr + 1, grid.length))
    cols = slice(max(col - hc, 0), min(col + hc + 1, grid.width))
    lats = grid.y_first + (np.arange(rows.start, rows.stop) + 0.5) * grid.y_step
    lons = grid.x_first + (np.arange(cols.start, cols.stop) + 0.5) * grid.x_step
    x, y = local_km(lons[None, :], lats[:, None], lon, lat)
    inside = x**2 + y**2 <= radius_km**2
    rr = np.arange(rows.start, rows.stop)[:, None]
    cc = np.arange(cols.start, cols.stop)[None, :]
    inside |= (np.abs(rr - row) <= 1) & (np.abs(cc - col) <= 1)
    return rows, cols, inside


def robust_value(values: np.ndarray, k: float = 3.0) -> tuple[float, float, int]:
    """(median, std of the median, count) of the finite ``values`` after rejecting those more than
    ``k`` x 1.4826 MAD from the median (once). The std of the median is 1.2533 x 1.4826 MAD / sqrt(n)
    (NaN for fewer than 3 values)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.nan, np.nan, 0
    med = float(np.median(v))
    mad = 1.4826 * float(np.median(np.abs(v - med)))
    if mad > 0:
        v = v[np.abs(v - med) <= k * mad]
        med = float(np.median(v))
        mad = 1.4826 * float(np.median(np.abs(v - med)))
    std = 1.2533 * mad / np.sqrt(v.size) if v.size >= 3 else np.nan
    return med, std, int(v.size)


def stations_field(stations: Stations, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(3, n) GNSS east, north, up velocity (m/yr) at points: linear inside the stations' hull, the nearest
    station outside it (a station without vertical counts as 0 up)."""
    from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator
    from scipy.spatial import QhullError

    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    out = np.zeros((3, lon.size))
    pts = np.column_stack([stations.lon, stations.lat])
    for k, values in enumerate((stations.ve, stations.vn, np.nan_to_num(stations.vu))):
        ok = np.isfinite(values)
        if not ok.any():
            continue
        near = NearestNDInterpolator(pts[ok], values[ok])(lon, lat)
        if ok.sum() >= 3:
            try:
                lin = LinearNDInterpolator(pts[ok], values[ok])(lon, lat)
            except QhullError:   # collinear stations: nearest only
                lin = np.full(lon.size, np.nan)
            near = np.where(np.isfinite(lin), lin, near)
        out[k] = near
    return out
