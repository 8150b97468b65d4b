"""Strain rates, rotation rate and flux divergence of a 2-D horizontal velocity field (pure NumPy).

Conventions (pinned by ``tests/test_strain.py``):

* ``u``, ``v``: velocity along the grid's x and y axes in m/yr. For geographic grids (EPSG:4326) x is
  east and y is north. For projected grids (UTM, EPSG:3413 polar stereographic, ...) x and y are the
  PROJECTION axes (ITS_LIVE ``vx``/``vy``), not geographic east/north, and distances are map metres
  (the projection's scale factor is not corrected).
* Rows run from north to south, so the row spacing ``dy`` is negative (``Y_STEP < 0``): d/dy is the
  difference along the rows divided by that negative spacing.
* Geographic grids: metres per degree on the WGS84 ellipsoid, ``dx = X_STEP * pi/180 * N(lat) cos(lat)``
  (N = prime-vertical radius of curvature) and ``dy = Y_STEP * pi/180 * M(lat)`` (M = meridional radius),
  evaluated at each row's latitude. Derivatives are taken on the local tangent plane (curvature terms
  such as ``v tan(lat) / R`` are left out; they are below 2e-7/yr for |v| < 1 m/yr).
* Gradients are central differences over ``2k`` pixels (``k`` = smoothing half-width, the "upscaling
  factor": 1 = adjacent pixels, exactly ``numpy.gradient`` including its one-sided first-order differences at
  the edges); with ``k > 1`` the ``k`` pixels next to the edges are NaN; pixels next to no-data are NaN.
* Tensor (1/yr): ``exx = du/dx``, ``eyy = dv/dy``, ``exy = (du/dy + dv/dx) / 2``; rotation rate
  ``w = (dv/dx - du/dy) / 2`` in rad/yr, positive ANTICLOCKWISE seen from above (x to y).
* Principal rates ``e1 >= e2 = (exx + eyy)/2 +- sqrt(((exx - eyy)/2)^2 + exy^2)``; the e1 axis makes the angle
  ``theta1 = atan2(2 exy, exx - eyy) / 2`` anticlockwise from +x, reported as ``e1_azimuth`` in degrees
  clockwise from +y (north for geographic grids), in [0, 180); the e2 axis is perpendicular.
* Effective strain rate (second invariant): ``sqrt(0.5 (exx^2 + eyy^2) + exy^2)``.
* Flow-aligned components, with the flow angle ``a = atan2(v, u)``: longitudinal
  ``exx cos^2 a + 2 exy sin a cos a + eyy sin^2 a``, transverse ``exx sin^2 a - 2 exy sin a cos a + eyy cos^2 a``,
  shear ``(eyy - exx) sin a cos a + exy (cos^2 a - sin^2 a)``.
* ``method='log'``: log (true) strain rates after Alley et al. (2018, The Cryosphere): the stretch of a unit
  length over one year, ``exx = ln(1 + du/dx * 1 yr) / 1 yr`` (same for eyy); the shear is half the change of
  a right angle over one year, ``exy = (atan(du/dy * 1 yr) + atan(dv/dx * 1 yr)) / 2 / 1 yr``. It equals the
  nominal rates to first order. Stretches <= -1 per year give NaN.
* Flux divergence: ``d(H u)/dx + d(H v)/dy`` in m/yr with the ice thickness ``H`` in m (the dynamic part
  of the thickness change is its negative).
"""

from __future__ import annotations

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError

WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
STRAIN_NAMES = ("exx", "eyy", "exy", "e1", "e2", "effective", "rotation", "e1_azimuth", "longitudinal",
                "transverse", "shear")


def metres_per_degree(lat_deg: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(east, north) metres per degree of longitude and latitude on the WGS84 ellipsoid at ``lat_deg``."""
    phi = np.radians(np.asarray(lat_deg, dtype=np.float64))
    w = 1.0 - WGS84_E2 * np.sin(phi) ** 2
    n = WGS84_A / np.sqrt(w)
    m = WGS84_A * (1.0 - WGS84_E2) / w**1.5
    return np.pi / 180.0 * n * np.cos(phi), np.pi / 180.0 * m


def row_spacing(grid: Grid, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """Signed pixel spacing in metres of each row of ``rows``: (dx, dy), dy < 0 for north-up grids."""
    r0, r1, _ = rows.indices(grid.length)
    if grid.epsg == 4326:
        lats = grid.y_first + (np.arange(r0, r1) + 0.5) * grid.y_step
        mx, my = metres_per_degree(lats)
        return grid.x_step * mx, grid.y_step * my
    n = r1 - r0
    return np.full(n, float(grid.x_step)), np.full(n, float(grid.y_step))


def check_metric_grid(grid: Grid, source: str) -> None:
    """InputError unless the grid is geographic (EPSG:4326) or projected in metres."""
    if grid.epsg == 4326:
        return
    from pyproj import CRS

    crs = CRS.from_epsg(grid.epsg)
    units = {a.unit_name.lower() for a in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter", "m"}:
        raise InputError(f"{source}: EPSG:{grid.epsg} is neither geographic lon/lat (EPSG:4326) nor projected "
                         "in metres; strain rates need one of them")


def gradients(f: np.ndarray, dx: np.ndarray, dy: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(df/dx, df/dy) by central differences over ``2k`` pixels; ``dx``/``dy`` are the signed spacings of each
    row (metres). With ``k = 1`` the edge pixels get one-sided differences (as ``numpy.gradient``); with
    ``k > 1`` the ``k`` pixels next to the edges are NaN. NaN wherever a stencil value is NaN."""
    f = np.asarray(f, dtype=np.float64)
    if f.ndim != 2:
        raise InputError(f"gradients: a 2-D field is expected, got shape {f.shape}")
    if k < 1:
        raise InputError(f"gradients: half-width k must be >= 1, got {k}")
    dx = np.asarray(dx, dtype=np.float64).reshape(-1, 1)
    dy = np.asarray(dy, dtype=np.float64).reshape(-1, 1)
    gx = np.full(f.shape, np.nan)
    gy = np.full(f.shape, np.nan)
    if f.shape[1] > 2 * k:
        gx[:, k:-k] = (f[:, 2 * k:] - f[:, :-2 * k]) / (2 * k * dx)
    if f.shape[0] > 2 * k:
        gy[k:-k, :] = (f[2 * k:, :] - f[:-2 * k, :]) / (2 * k * dy[k:-k])
    if k == 1 and f.shape[1] > 1:        # one-sided at the edges, as numpy.gradient (first order)
        gx[:, 0] = (f[:, 1] - f[:, 0]) / dx[:, 0]
        gx[:, -1] = (f[:, -1] - f[:, -2]) / dx[:, 0]
    if k == 1 and f.shape[0] > 1:
        gy[0] = (f[1] - f[0]) / dy[0]
        gy[-1] = (f[-1] - f[-2]) / dy[-1]
    return gx, gy


def tensor_from_gradients(dudx: np.ndarray, dudy: np.ndarray, dvdx: np.ndarray, dvdy: np.ndarray,
                          method: str = "nominal") -> dict[str, np.ndarray]:
    """exx, eyy, exy (1/yr) and rotation (rad/yr) from the velocity gradients (see the module docstring)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "nominal":
            exx, eyy, exy = dudx, dvdy, 0.5 * (dudy + dvdx)
        elif method == "log":
            exx = np.where(dudx > -1, np.log1p(np.where(dudx > -1, dudx, 0.0)), np.nan)
            eyy = np.where(dvdy > -1, np.log1p(np.where(dvdy > -1, dvdy, 0.0)), np.nan)
            exy = 0.5 * (np.arctan(dudy) + np.arctan(dvdx))
        else:
            raise InputError(f"strain method '{method}' is not one of: nominal, log")
    return {"exx": exx, "eyy": eyy, "exy": exy, "rotation": 0.5 * (dvdx - dudy)}


def principal(exx: np.ndarray, eyy: np.ndarray, exy: np.ndarray) -> dict[str, np.ndarray]:
    """Principal rates e1 >= e2, the e1 axis angle (rad anticlockwise from +x) and azimuth (deg clockwise from
    +y, [0, 180)), and the effective strain rate."""
    mean = 0.5 * (exx + eyy)
    radius = np.hypot(0.5 * (exx - eyy), exy)
    theta = 0.5 * np.arctan2(2.0 * exy, exx - eyy)
    return {"e1": mean + radius, "e2": mean - radius, "theta1": theta,
            "e1_azimuth": np.mod(90.0 - np.degrees(theta), 180.0),
            "effective": np.sqrt(0.5 * (exx**2 + eyy**2) + exy**2)}


def flow_aligned(u: np.ndarray, v: np.ndarray, exx: np.ndarray, eyy: np.ndarray,
                 exy: np.ndarray) -> dict[str, np.ndarray]:
    """Longitudinal, transverse and shear strain rates in the local flow direction ``atan2(v, u)``."""
    a = np.arctan2(v, u)
    c, s = np.cos(a), np.sin(a)
    return {"longitudinal": exx * c * c + 2 * exy * s * c + eyy * s * s,
            "transverse": exx * s * s - 2 * exy * s * c + eyy * c * c,
            "shear": (eyy - exx) * s * c + exy * (c * c - s * s)}


def strain_block(u: np.ndarray, v: np.ndarray, dx: np.ndarray, dy: np.ndarray, k: int = 1,
                 method: str = "nominal") -> dict[str, np.ndarray]:
    """Every strain product of one block of rows (a pure function: arrays in, dict of float32 arrays out).

    ``u``, ``v``: (rows, cols) m/yr including ``k`` halo rows where available; ``dx``, ``dy``: (rows,)
    signed metres. The caller trims the halo.
    """
    dudx, dudy = gradients(u, dx, dy, k)
    dvdx, dvdy = gradients(v, dx, dy, k)
    out = tensor_from_gradients(dudx, dudy, dvdx, dvdy, method)
    out.update({key: val for key, val in principal(out["exx"], out["eyy"], out["exy"]).items() if key != "theta1"})
    out.update(flow_aligned(np.asarray(u, np.float64), np.asarray(v, np.float64), out["exx"], out["eyy"],
                            out["exy"]))
    return {key: np.asarray(val, dtype=np.float32) for key, val in out.items()}


def flux_divergence_block(u: np.ndarray, v: np.ndarray, thickness: np.ndarray, dx: np.ndarray, dy: np.ndarray,
                          k: int = 1) -> np.ndarray:
    """``d(H u)/dx + d(H v)/dy`` in m/yr of one block (``H`` in m); see the module docstring."""
    hx, _ = gradients(np.asarray(thickness, np.float64) * u, dx, dy, k)
    _, hy = gradients(np.asarray(thickness, np.float64) * v, dx, dy, k)
    return (hx + hy).astype(np.float32)


def strain_rates(grid: Grid, u: np.ndarray, v: np.ndarray, k: int = 1, method: str = "nominal",
                 thickness: np.ndarray | None = None, max_memory_gb: float = 1.0) -> dict[str, np.ndarray]:
    """Strain products of a whole field, computed in row blocks with a ``k``-row halo under a memory budget."""
    from mimtpy.core.blocks import iterate_blocks, row_blocks

    if u.shape != grid.shape or v.shape != grid.shape:
        raise InputError(f"velocity components have shapes {u.shape} and {v.shape}; the grid is {grid.shape}")
    if thickness is not None and thickness.shape != grid.shape:
        raise InputError(f"thickness has shape {thickness.shape}; the grid is {grid.shape}")
    names = [*STRAIN_NAMES] + (["flux_divergence"] if thickness is not None else [])
    out = {name: np.full(grid.shape, np.nan, np.float32) for name in names}
    # ~40 float64 work arrays per pixel of a block
    for blk in iterate_blocks(row_blocks(grid.length, grid.width * 8 * 40, max_memory_gb), "strain rates"):
        lo, hi = max(0, blk.start - k), min(grid.length, blk.stop + k)
        dx, dy = row_spacing(grid, slice(lo, hi))
        res = strain_block(u[lo:hi], v[lo:hi], dx, dy, k, method)
        if thickness is not None:
            res["flux_divergence"] = flux_divergence_block(u[lo:hi], v[lo:hi], thickness[lo:hi], dx, dy, k)
        inner = slice(blk.start - lo, blk.start - lo + (blk.stop - blk.start))
        for name in names:
            out[name][blk] = res[name][inner]
    return out
