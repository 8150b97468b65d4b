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
    if reference_site:
        if reference_site not in sub.site:
            raise InputError(f"reference GNSS site '{reference_site}' is not inside {product.path} "
                             f"(inside: {', '.join(sub.site)})")
        k = sub.site.index(reference_site)
        offset = float(insar[k] - los[k])
    else:
        offset = float(np.median(insar[ok] - los[ok]))
    keep = ok
    diff = insar[keep] - offset - los[keep]
    rms = float(np.sqrt(np.mean(diff**2)))
    logger.info("GNSS vs InSAR (%s): %d stations, offset %.4g, RMS %.4g (stored unit)", component,
                int(keep.sum()), offset, rms)
    return Comparison(sub.subset(keep), los[keep], insar[keep] - offset, offset, rms, sigma[keep], component)
