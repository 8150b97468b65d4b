"""Mogi point source and interseismic screw dislocation (metres, east/north/up at the surface)."""

from __future__ import annotations

import numpy as np

from mimtpy.errors import InputError


def mogi(east, north, *, depth: float, dvolume: float, nu: float = 0.25) -> tuple[np.ndarray, ...]:
    """East, north, up surface displacement (m) of a Mogi point source (Mogi 1958).

    The source is at ``depth`` m (positive down) below the point (east, north) = (0, 0); ``dvolume`` is its
    volume change in m^3 (positive = inflation, uplift). With R^3 = (x^2 + y^2 + depth^2)^(3/2):
    ``(dE, dN, dU) = (1 - nu) dvolume / pi * (x, y, depth) / R^3`` (Poisson's ratio ``nu``; nu = 0.25 gives
    the classic 3 dvolume / (4 pi) factor). Exactly the formula of ``mimtpy.tools.synthetic.mogi`` (which
    takes km).
    """
    if not np.isfinite(depth) or depth <= 0:
        raise InputError(f"mogi: depth must be > 0 m (positive down), got {depth}")
    if not (-1 < nu < 0.5):
        raise InputError(f"mogi: Poisson's ratio nu must be in (-1, 0.5), got {nu}")
    x, y = np.broadcast_arrays(np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64))
    r3 = (x**2 + y**2 + depth**2) ** 1.5
    c = (1 - nu) * dvolume / np.pi
    return c * x / r3, c * y / r3, c * depth / r3


def screw_dislocation(east, north, *, strike: float, slip_rate: float, locking_depth: float
                      ) -> tuple[np.ndarray, ...]:
    """East, north, up interseismic velocity of an infinite vertical strike-slip fault through (0, 0).

    Savage & Burford (1973): the fault slips at ``slip_rate`` (m/yr, or m) below ``locking_depth`` (m) and
    is locked above it. With ``strike`` clockwise from north and x the distance (m) to the RIGHT of the strike
    direction, the velocity is along strike: ``v = -slip_rate / pi * atan(x / locking_depth)``; positive
    ``slip_rate`` is right-lateral (the right side moves opposite to the strike, far-field +-slip_rate/2).
    No vertical motion. Exactly the formula of ``mimtpy.tools.synthetic.screw_dislocation`` (which takes km).
    """
    if not np.isfinite(locking_depth) or locking_depth <= 0:
        raise InputError(f"screw_dislocation: locking_depth must be > 0 m, got {locking_depth}")
    x, y = np.broadcast_arrays(np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64))
    s = np.deg2rad(strike)
    dist = x * np.cos(s) - y * np.sin(s)
    v = -slip_rate / np.pi * np.arctan(dist / locking_depth)
    return v * np.sin(s), v * np.cos(s), np.zeros_like(v)
