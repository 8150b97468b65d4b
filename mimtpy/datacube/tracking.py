"""Particle tracking through a (time-varying) 2-D velocity field (pure NumPy, vectorised over points).

Conventions (pinned by ``tests/test_track.py``):

* Positions are in the grid's CRS (x, y; metres for projected grids). For geographic grids the velocity
  (m/yr) is turned into degrees/yr with the WGS84 metres-per-degree at the particle's latitude
  (:func:`mimtpy.datacube.kinematics.metres_per_degree`).
* Velocity at a point: bilinear interpolation between the four surrounding pixel CENTRES (the grid's
  centre of pixel (r, c) is ``X_FIRST + (c + 0.5) X_STEP``, ``Y_FIRST + (r + 0.5) Y_STEP``). A point outside
  the hull of the centres, or with a no-data pixel among its four neighbours, has no velocity.
* Time in decimal years. A time-varying field is a list of layers at times ``t_k`` (sorted), linearly
  interpolated in time and held constant before the first and after the last layer.
* Integration: fixed steps ``dt`` (years, negative = backwards in time) with RK2 (midpoint) or RK4, or
  adaptive steps (``rk23``: Bogacki-Shampine 3(2), one step size for all particles, chosen so that the
  embedded error estimate of every moving particle stays below ``tolerance`` metres per step; ``dt`` is
  the first trial step). A particle stops at the last position where all stages of a step had a velocity
  (status ``nodata``); otherwise it ends with status ``ok``. RK2's error per unit time is O(dt^2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.datacube.kinematics import metres_per_degree
from mimtpy.errors import InputError


@dataclass
class VelocityField:
    """Velocity layers on a grid: ``u``, ``v`` are (layers, rows, cols) m/yr at times ``times`` (years)."""

    grid: Grid
    u: np.ndarray
    v: np.ndarray
    times: np.ndarray

    def __post_init__(self) -> None:
        self.u = np.asarray(self.u, dtype=np.float64)
        self.v = np.asarray(self.v, dtype=np.float64)
        if self.u.ndim == 2:
            self.u, self.v = self.u[None], self.v[None]
        self.times = np.atleast_1d(np.asarray(self.times, dtype=np.float64))
        if self.u.shape != self.v.shape or self.u.shape[1:] != self.grid.shape or self.u.shape[0] != self.times.size:
            raise InputError(f"velocity layers {self.u.shape}/{self.v.shape} do not match the grid {self.grid.shape} "
                             f"and {self.times.size} time(s)")
        if np.any(np.diff(self.times) <= 0):
            raise InputError("velocity layer times must increase")

    def _bilinear(self, layer: int, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = self.grid
        col = (x - g.x_first) / g.x_step - 0.5
        row = (y - g.y_first) / g.y_step - 0.5
        inside = (col >= 0) & (col <= g.width - 1) & (row >= 0) & (row <= g.length - 1) & np.isfinite(col + row)
        c0 = np.clip(np.floor(np.where(inside, col, 0)).astype(np.int64), 0, max(g.width - 2, 0))
        r0 = np.clip(np.floor(np.where(inside, row, 0)).astype(np.int64), 0, max(g.length - 2, 0))
        fc, fr = np.where(inside, col - c0, 0), np.where(inside, row - r0, 0)
        c1, r1 = np.minimum(c0 + 1, g.width - 1), np.minimum(r0 + 1, g.length - 1)
        out = []
        for f in (self.u[layer], self.v[layer]):
            val = ((1 - fr) * ((1 - fc) * f[r0, c0] + fc * f[r0, c1]) + fr * ((1 - fc) * f[r1, c0] + fc * f[r1, c1]))
            # a no-data neighbour means no velocity, even with a zero weight
            bad = ~(np.isfinite(f[r0, c0]) & np.isfinite(f[r0, c1]) & np.isfinite(f[r1, c0]) & np.isfinite(f[r1, c1]))
            out.append(np.where(inside & ~bad, val, np.nan))
        return out[0], out[1]

    def velocity(self, x: np.ndarray, y: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(u, v) in m/yr at points (x, y) and time t; NaN where there is none."""
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if self.times.size == 1 or t <= self.times[0]:
            return self._bilinear(0, x, y)
        if t >= self.times[-1]:
            return self._bilinear(self.times.size - 1, x, y)
        k = int(np.searchsorted(self.times, t) - 1)
        a = (t - self.times[k]) / (self.times[k + 1] - self.times[k])
        u0, v0 = self._bilinear(k, x, y)
        u1, v1 = self._bilinear(k + 1, x, y)
        return (1 - a) * u0 + a * u1, (1 - a) * v0 + a * v1

    def rate(self, x: np.ndarray, y: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """dx/dt, dy/dt in CRS units per year (degrees/yr for geographic grids)."""
        u, v = self.velocity(x, y, t)
        if self.grid.epsg == 4326:
            mx, my = metres_per_degree(y)
            return u / mx, v / my
        return u, v


@dataclass
class Paths:
    """Tracked paths: ``x``, ``y`` (steps + 1, points) with NaN after a particle stopped; ``t`` (steps + 1,);
    ``status`` per point ('ok' or 'nodata'); ``last`` index of each point's last valid position."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    status: list[str]
    last: np.ndarray


def advect(field: VelocityField, x0, y0, t0: float, duration: float, dt: float, method: str = "rk2",
           tolerance: float = 1.0) -> Paths:
    """Advect points from (x0, y0) at time ``t0`` for ``duration`` years in steps of ``dt`` years (the sign of
    ``duration`` sets the direction; the last step is shortened to land exactly on ``t0 + duration``).
    ``method = 'rk23'`` adapts the step to ``tolerance`` (metres per step) starting from ``dt``."""
    if method not in ("rk2", "rk4", "rk23"):
        raise InputError(f"tracking method '{method}' is not one of: rk2, rk4, rk23")
    if dt <= 0:
        raise InputError(f"time step must be positive, got {dt} years")
    if method == "rk23":
        return advect_adaptive(field, x0, y0, t0, duration, dt, tolerance)
    x = np.atleast_1d(np.asarray(x0, np.float64)).copy()
    y = np.atleast_1d(np.asarray(y0, np.float64)).copy()
    if x.shape != y.shape:
        raise InputError("seed x and y differ in length")
    nsteps = max(1, int(np.ceil(abs(duration) / dt - 1e-9)))
    sign = 1.0 if duration >= 0 else -1.0
    xs = np.full((nsteps + 1, x.size), np.nan)
    ys = np.full((nsteps + 1, x.size), np.nan)
    ts = np.empty(nsteps + 1)
    alive = np.isfinite(field.velocity(x, y, t0)[0])
    xs[0], ys[0], ts[0] = np.where(alive, x, np.nan), np.where(alive, y, np.nan), t0
    t = t0
    for i in range(1, nsteps + 1):
        h = sign * min(dt, abs(t0 + duration - t))
        if method == "rk2":
            k1 = field.rate(x, y, t)
            k2 = field.rate(x + 0.5 * h * k1[0], y + 0.5 * h * k1[1], t + 0.5 * h)
            nx, ny = x + h * k2[0], y + h * k2[1]
            ok = np.isfinite(k1[0]) & np.isfinite(k2[0])
        else:
            k1 = field.rate(x, y, t)
            k2 = field.rate(x + 0.5 * h * k1[0], y + 0.5 * h * k1[1], t + 0.5 * h)
            k3 = field.rate(x + 0.5 * h * k2[0], y + 0.5 * h * k2[1], t + 0.5 * h)
            k4 = field.rate(x + h * k3[0], y + h * k3[1], t + h)
            nx = x + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            ny = y + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
            ok = np.isfinite(k1[0]) & np.isfinite(k2[0]) & np.isfinite(k3[0]) & np.isfinite(k4[0])
        alive &= ok
        x, y = np.where(alive, nx, x), np.where(alive, ny, y)
        t = t + h
        ts[i] = t
        xs[i], ys[i] = np.where(alive, x, np.nan), np.where(alive, y, np.nan)
    valid = np.isfinite(xs)
    last = np.where(valid.any(axis=0), valid.shape[0] - 1 - np.argmax(valid[::-1], axis=0), -1)
    status = ["ok" if a else "nodata" for a in alive]
    return Paths(xs, ys, ts, status, last)


def _metres(field: VelocityField, dx: np.ndarray, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Length in metres of CRS displacements (dx, dy) at y (WGS84 metres per degree for geographic grids)."""
    if field.grid.epsg == 4326:
        mx, my = metres_per_degree(y)
        return np.hypot(dx * mx, dy * my)
    return np.hypot(dx, dy)


def _finish(xs: list, ys: list, ts: list, alive: np.ndarray) -> Paths:
    x, y = np.array(xs), np.array(ys)
    valid = np.isfinite(x)
    last = np.where(valid.any(axis=0), valid.shape[0] - 1 - np.argmax(valid[::-1], axis=0), -1)
    return Paths(x, y, np.array(ts), ["ok" if a else "nodata" for a in alive], last)


def advect_adaptive(field: VelocityField, x0, y0, t0: float, duration: float, dt: float, tolerance: float,
                    max_steps: int = 100_000) -> Paths:
    """Bogacki-Shampine 3(2) with one adaptive step for all particles (see the module docstring)."""
    if tolerance <= 0:
        raise InputError(f"tracking tolerance must be positive, got {tolerance} m")
    x = np.atleast_1d(np.asarray(x0, np.float64)).copy()
    y = np.atleast_1d(np.asarray(y0, np.float64)).copy()
    sign = 1.0 if duration >= 0 else -1.0
    alive = np.isfinite(field.velocity(x, y, t0)[0])
    xs, ys, ts = [np.where(alive, x, np.nan)], [np.where(alive, y, np.nan)], [t0]
    t, h, done = t0, min(dt, abs(duration)), 0.0
    h_min = abs(duration) * 1e-9 + 1e-12
    for _ in range(max_steps):
        remaining = abs(duration) - done
        if remaining <= 1e-12 * max(1.0, abs(duration)) or not alive.any():
            break
        h = min(h, remaining)
        s = sign * h
        k1 = field.rate(x, y, t)
        k2 = field.rate(x + 0.5 * s * k1[0], y + 0.5 * s * k1[1], t + 0.5 * s)
        k3 = field.rate(x + 0.75 * s * k2[0], y + 0.75 * s * k2[1], t + 0.75 * s)
        nx = x + s * (2 / 9 * k1[0] + 1 / 3 * k2[0] + 4 / 9 * k3[0])
        ny = y + s * (2 / 9 * k1[1] + 1 / 3 * k2[1] + 4 / 9 * k3[1])
        k4 = field.rate(nx, ny, t + s)
        ex = s * (-5 / 72 * k1[0] + 1 / 12 * k2[0] + 1 / 9 * k3[0] - 1 / 8 * k4[0])
        ey = s * (-5 / 72 * k1[1] + 1 / 12 * k2[1] + 1 / 9 * k3[1] - 1 / 8 * k4[1])
        ok = np.isfinite(k1[0]) & np.isfinite(k2[0]) & np.isfinite(k3[0]) & np.isfinite(k4[0])
        err_each = _metres(field, ex, ey, y)
        moving = alive & ok
        err = float(np.max(err_each[moving])) if moving.any() else 0.0
        if err <= tolerance or h <= h_min:
            alive &= ok
            x, y = np.where(alive, nx, x), np.where(alive, ny, y)
            t += s
            done += h
            xs.append(np.where(alive, x, np.nan))
            ys.append(np.where(alive, y, np.nan))
            ts.append(t)
        h = max(h * min(5.0, max(0.2, 0.9 * (tolerance / err) ** (1 / 3) if err > 0 else 5.0)), h_min)
    else:
        raise InputError(f"adaptive tracking needed more than {max_steps} steps; raise the tolerance")
    return _finish(xs, ys, ts, alive)
