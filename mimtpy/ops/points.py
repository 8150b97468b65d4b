"""GNSS against scattered InSAR points (StaMPS exports, :class:`mimtpy.io.Points`), without gridding.

InSAR at a station is the MEDIAN of the point values within ``radius_km`` of it (great-circle distance on a
sphere of radius 6371.0088 km, the IUGG mean Earth radius); a station with no point that close is left out.
The GNSS velocity (m/yr) is projected onto the LOS (ground to satellite, positive toward the satellite, as the
points' values) with the unit vector of a geometry: a product holding incidence/azimuth angles or E/N/U
rasters (through :func:`mimtpy.ops.gnss.comparable`, its pixel under the station), or one constant
``(incidence, azimuth)`` pair in degrees (MintPy's convention: incidence from the vertical, azimuth of the
ground-to-satellite vector from north, anticlockwise). The two are then referenced like a raster comparison
(:func:`mimtpy.ops.gnss.compare`): to one station (``reference_site``) or by removing the median difference;
the RMS is that of InSAR - offset - GNSS. Every value is in m/yr.
"""

from __future__ import annotations

import logging

import numpy as np

from mimtpy.core.geometry import los_unit_vector
from mimtpy.errors import InputError
from mimtpy.io import Points, Product
from mimtpy.io.gnss import Stations
from mimtpy.ops.gnss import Comparison, comparable, reference_offset

logger = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088


def distance_km(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Great-circle distance (km, haversine on the mean-radius sphere) from (lon0, lat0) to each point."""
    p0, p1 = np.radians(lat0), np.radians(lat)
    dlat, dlon = p1 - p0, np.radians(np.asarray(lon) - lon0)
    h = np.sin(dlat / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def points_near(points: Points, lon: float, lat: float, radius_km: float) -> np.ndarray:
    """Boolean mask of the points within ``radius_km`` of (lon, lat) with a finite value."""
    near = distance_km(lon, lat, points.lon, points.lat) <= radius_km
    return near & np.isfinite(points.values)


def insar_at_stations(stations: Stations, points: Points, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
    """(median of the point values within ``radius_km`` of each station (NaN when none), how many points)."""
    if not radius_km > 0:
        raise InputError(f"radius {radius_km} km must be positive")
    if points.quantity == "displacement":
        raise InputError(f"{points.path}: GNSS velocities compare with velocities; this file holds displacements")
    median = np.full(len(stations), np.nan)
    count = np.zeros(len(stations), int)
    for k in range(len(stations)):
        near = points_near(points, float(stations.lon[k]), float(stations.lat[k]), radius_km)
        count[k] = int(near.sum())
        if count[k]:
            median[k] = float(np.median(points.values[near]))
    return median, count


def _gnss_los(stations: Stations, geometry: Product | tuple[float, float]
              ) -> tuple[Stations, np.ndarray, np.ndarray]:
    """(stations with a geometry, GNSS LOS velocity m/yr, its std)."""
    if isinstance(geometry, Product):
        sub, los, sigma, _rows, _cols, _component = comparable(stations, geometry)
        return sub, los, sigma
    inc, az = (float(v) for v in geometry)
    e, n, u = (float(c) for c in los_unit_vector(np.float64(inc), np.float64(az)))
    vu = stations.vu
    if np.isnan(vu).any():
        logger.info("%d station(s) without a vertical velocity: taken as 0", int(np.isnan(vu).sum()))
        vu = np.nan_to_num(vu)
    los = e * stations.ve + n * stations.vn + u * vu
    sigma = np.sqrt((e * stations.se) ** 2 + (n * stations.sn) ** 2 + (u * stations.su) ** 2)
    return stations, los, sigma


def compare_points(stations: Stations, points: Points, geometry: Product | tuple[float, float],
                   radius_km: float = 0.5, reference_site: str | None = None) -> Comparison:
    """Compare GNSS with InSAR points (module docstring): the :class:`mimtpy.ops.gnss.Comparison` of the
    stations with at least one point within ``radius_km``, values in m/yr."""
    sub, los, sigma = _gnss_los(stations, geometry)
    insar, count = insar_at_stations(sub, points, radius_km)
    ok = np.isfinite(insar) & np.isfinite(los)
    if not ok.any():
        raise InputError(f"{points.path}: no GNSS station has an InSAR point within {radius_km:g} km")
    offset, rms = reference_offset(sub.site, insar, los, ok, reference_site, f"within {radius_km:g} km")
    logger.info("GNSS vs %d InSAR points (LOS): %d stations with points within %g km (median %d points each), "
                "offset %.4g m/yr, RMS %.4g m/yr", points.lon.size, int(ok.sum()), radius_km,
                int(np.median(count[ok])), offset, rms)
    return Comparison(sub.subset(ok), los[ok], insar[ok] - offset, offset, rms, sigma[ok], "LOS")
