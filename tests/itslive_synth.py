"""A synthetic cube in the NASA ITS_LIVE layout (v2 datacubes), written with xarray.

Layout copied from the ITS_LIVE cube conventions: dims ``(mid_date, y, x)``; ``x``/``y`` pixel centres in
metres of a polar-stereographic grid (EPSG:3413), ``y`` decreasing; ``vx``, ``vy``, ``v``, ``v_error`` int16 m/yr
with ``_FillValue = -32767``; a ``mapping`` grid-mapping variable (``spatial_epsg``, ``crs_wkt``, ``GeoTransform``);
``mid_date`` unsorted with duplicated dates; ``date_dt`` (days) per layer. Values: a known velocity field plus
per-layer noise of known size, some layers and pixels missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NODATA = -32767
X0, Y0, STEP = -180000.0, -2280000.0, 120.0     # first pixel centre (x, y) and pixel size, EPSG:3413


def truth(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smooth, non-linear velocity (m/yr) so that strain rates vary in space."""
    xs, ys = (x - X0) / 1e4, (y - Y0) / 1e4
    u = 300.0 + 800.0 * xs + 150.0 * ys + 400.0 * xs * xs
    v = -200.0 + 100.0 * xs - 500.0 * ys + 300.0 * xs * ys
    return u, v


def make_cube(path: Path, fmt: str = "netcdf", ny: int = 40, nx: int = 50, seed: int = 1,
              declare_fill: bool = True) -> dict:
    """Write the cube; returns the arrays written (layers in FILE order) for independent checks.
    ``declare_fill = False`` stores -32767 without a ``_FillValue`` attribute."""
    import xarray as xr
    from pyproj import CRS

    rng = np.random.default_rng(seed)
    x = X0 + STEP * np.arange(nx)
    y = Y0 - STEP * np.arange(ny)                  # decreasing down the rows
    xx, yy = np.meshgrid(x, y)
    u, v = truth(xx, yy)
    days = ["2018-07-20T12:00:00", "2017-03-02T06:30:00", "2018-07-20T12:00:00", "2019-01-15T00:00:00",
            "2017-08-11T18:00:00", "2018-02-01T12:00:00", "2017-08-11T03:00:00", "2019-06-30T12:00:00",
            "2018-11-05T12:00:00", "2017-12-24T12:00:00", "2019-09-09T12:00:00", "2018-05-17T12:00:00"]
    mid = np.array(days, dtype="datetime64[ns]")
    n = mid.size
    err = rng.uniform(2.0, 40.0, n)
    vx = np.round(u[None] + rng.normal(0, 1, (n, ny, nx)) * err[:, None, None])
    vy = np.round(v[None] + rng.normal(0, 1, (n, ny, nx)) * err[:, None, None])
    verr = np.broadcast_to(np.round(err)[:, None, None], (n, ny, nx)).copy()
    holes = rng.random((n, ny, nx)) < 0.15
    vx[holes] = NODATA
    vy[holes] = NODATA
    verr[holes] = NODATA
    vx[3] = NODATA                               # one layer entirely missing
    vy[3] = NODATA
    verr[3] = NODATA
    speed = np.where(vx == NODATA, NODATA, np.round(np.hypot(vx, vy)))
    crs = CRS.from_epsg(3413)
    mapping = xr.Variable((), np.array(b"", dtype="S1"), {
        "grid_mapping_name": "polar_stereographic", "spatial_epsg": 3413, "crs_wkt": crs.to_wkt(),
        "GeoTransform": f"{x[0] - STEP / 2} {STEP} 0 {y[0] + STEP / 2} 0 {-STEP}",
        "straight_vertical_longitude_from_pole": -45.0, "standard_parallel": 70.0})
    attrs3 = {"units": "meter/year", "grid_mapping": "mapping"}
    ds = xr.Dataset(
        {name: xr.Variable(("mid_date", "y", "x"), arr.astype(np.int16), {**attrs3, "description": name})
         for name, arr in (("vx", vx), ("vy", vy), ("v", speed), ("v_error", verr))},
        coords={"mid_date": ("mid_date", mid, {"description": "midpoint of the image pair"}),
                "x": ("x", x, {"units": "meter", "standard_name": "projection_x_coordinate"}),
                "y": ("y", y, {"units": "meter", "standard_name": "projection_y_coordinate"})},
        attrs={"title": "synthetic ITS_LIVE-format datacube", "projection": "3413"})
    ds["mapping"] = mapping
    ds["date_dt"] = xr.Variable("mid_date", rng.uniform(6, 300, n), {"units": "days"})
    enc = {name: {"_FillValue": NODATA if declare_fill else None, "dtype": "int16"}
           for name in ("vx", "vy", "v", "v_error")}
    enc["mid_date"] = {"units": "days since 1970-01-01", "dtype": "float64"}
    if fmt == "zarr":
        ds.to_zarr(path, mode="w", encoding=enc, zarr_format=2)     # ITS_LIVE cubes are Zarr v2
    else:
        ds.to_netcdf(path, engine="netcdf4", encoding=enc)
    as_float = {k: np.where(a == NODATA, np.nan, a).astype(np.float64) for k, a in
                (("vx", vx), ("vy", vy), ("v_error", verr))}
    return {"x": x, "y": y, "mid_date": mid, "u": u, "v": v, **as_float}
