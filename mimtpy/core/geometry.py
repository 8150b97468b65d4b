"""Line-of-sight geometry (MintPy conventions).

* ``incidence``: angle of the LOS from the vertical at the target, degrees.
* ``azimuth``: azimuth of the ground-to-satellite LOS vector, degrees from north,
  anticlockwise positive (Sentinel-1 ascending ~ +102, descending ~ -102).
* LOS unit vector, ground to satellite: ``e = -sin(inc) sin(az)``,
  ``n = sin(inc) cos(az)``, ``u = cos(inc)``; ``d_los = e dE + n dN + u dU``, so a
  positive LOS value is motion toward the satellite.
"""

from __future__ import annotations

import numpy as np


def heading_to_azimuth(heading: float | np.ndarray, right_looking: bool = True) -> np.ndarray:
    """LOS azimuth angle (degrees, see module docstring) from the satellite heading.

    ``heading`` is the flight direction, degrees clockwise from north. For a right-looking
    radar ``az = -(heading - 90)``; left-looking ``az = -(heading + 90)``; wrapped to [-180, 180).
    """
    az = -(np.asarray(heading, dtype=np.float64) - 90.0) if right_looking else -(np.asarray(heading) + 90.0)
    return (az + 180.0) % 360.0 - 180.0


def los_unit_vector(incidence: np.ndarray | float, azimuth: np.ndarray | float) -> tuple[np.ndarray, ...]:
    """East, north and up components of the ground-to-satellite unit vector (float32 for float32 input)."""
    inc, az = np.asarray(incidence), np.asarray(azimuth)
    dtype = np.float32 if inc.dtype == np.float32 and az.dtype == np.float32 else np.float64
    inc = np.deg2rad(inc.astype(dtype, copy=False))
    az = np.deg2rad(az.astype(dtype, copy=False))
    return -np.sin(inc) * np.sin(az), np.sin(inc) * np.cos(az), np.cos(inc)


def enu_to_los(east, north, up, incidence, azimuth) -> np.ndarray:
    """Project an E/N/U displacement (or velocity) onto the LOS, positive toward the satellite."""
    ve, vn, vu = los_unit_vector(incidence, azimuth)
    return ve * east + vn * north + vu * up
