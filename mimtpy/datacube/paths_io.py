"""Seeds in, tracked paths out (CSV and GeoJSON) for the ``track`` step."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.datacube.tracking import Paths, VelocityField
from mimtpy.errors import InputError
from mimtpy.io.atomic import atomic_output


def _to_grid(grid: Grid, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if grid.epsg == 4326:
        return lon, lat
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, grid.epsg, always_xy=True).transform(lon, lat)
    return np.asarray(x, np.float64), np.asarray(y, np.float64)


def to_lonlat(grid: Grid, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of points in the grid CRS (NaN stays NaN)."""
    if grid.epsg == 4326:
        return x, y
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(grid.epsg, 4326, always_xy=True).transform(x, y)
    return np.asarray(lon, np.float64), np.asarray(lat, np.float64)


def read_seeds(path: Path, grid: Grid, seed_crs: str = "lonlat") -> tuple[np.ndarray, np.ndarray]:
    """Seed points of a CSV: columns lon,lat (or longitude,latitude) or x,y by header; without a header the
    first two columns in ``seed_crs``. Returned in the grid CRS."""
    try:
        with open(path, newline="") as f:
            rows = [r for r in csv.reader(f) if r and not r[0].lstrip().startswith("#")]
    except OSError as err:
        raise InputError(f"{path}: cannot read seed CSV: {err}") from None
    if not rows:
        raise InputError(f"{path}: no seed points")
    header = [h.strip().lower() for h in rows[0]]
    crs, cols = seed_crs, (0, 1)
    for names, kind in ((("lon", "lat"), "lonlat"), (("longitude", "latitude"), "lonlat"), (("x", "y"), "grid")):
        if names[0] in header and names[1] in header:
            crs, cols = kind, (header.index(names[0]), header.index(names[1]))
            rows = rows[1:]
            break
    else:
        try:
            float(rows[0][0])
        except ValueError:
            raise InputError(f"{path}: header {rows[0]} has neither lon,lat nor x,y columns") from None
    try:
        a = np.array([float(r[cols[0]]) for r in rows])
        b = np.array([float(r[cols[1]]) for r in rows])
    except (ValueError, IndexError) as err:
        raise InputError(f"{path}: seed rows must hold two numbers ({err})") from None
    return _to_grid(grid, a, b) if crs == "lonlat" else (a, b)


def seed_line(spec: tuple, grid: Grid, seed_crs: str = "lonlat") -> tuple[np.ndarray, np.ndarray]:
    """``n`` points evenly spaced from (x1, y1) to (x2, y2) (ends included), in the grid CRS."""
    x1, y1, x2, y2, n = spec
    n = int(n)
    if n < 1:
        raise InputError(f"seedLine: n = {n} must be >= 1")
    a = np.linspace(x1, x2, n)
    b = np.linspace(y1, y2, n)
    return _to_grid(grid, a, b) if seed_crs == "lonlat" else (a, b)


def write_paths_csv(path: Path, paths: Paths, field: VelocityField, grid: Grid) -> Path:
    """One row per seed and step while the particle moves: id, step, time (decimal yr), x, y (grid CRS), lon, lat,
    u, v (m/yr at the point), status of the seed ('ok' or 'nodata')."""
    lon, lat = to_lonlat(grid, paths.x.ravel(), paths.y.ravel())
    lon, lat = lon.reshape(paths.x.shape), lat.reshape(paths.x.shape)
    uv = [field.velocity(paths.x[i], paths.y[i], paths.t[i]) for i in range(paths.x.shape[0])]
    u = np.stack([a for a, _ in uv])
    v = np.stack([b for _, b in uv])
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "step", "time", "x", "y", "lon", "lat", "u", "v", "status"])
        for j in range(paths.x.shape[1]):
            for i in range(paths.last[j] + 1):
                w.writerow([j, i, f"{paths.t[i]:.6f}", repr(float(paths.x[i, j])), repr(float(paths.y[i, j])),
                            f"{lon[i, j]:.8f}", f"{lat[i, j]:.8f}", f"{u[i, j]:.6g}", f"{v[i, j]:.6g}",
                            paths.status[j]])
    return path


def write_paths_geojson(path: Path, paths: Paths, grid: Grid) -> Path:
    """One LineString Feature per seed in lon/lat (RFC 7946), with id, status, start and end time."""
    features = []
    for j in range(paths.x.shape[1]):
        n = paths.last[j] + 1
        lon, lat = to_lonlat(grid, paths.x[:n, j], paths.y[:n, j])
        coords = [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]
        geom = ({"type": "LineString", "coordinates": coords} if n > 1 else
                {"type": "Point", "coordinates": coords[0]} if n == 1 else None)   # None: no valid start
        features.append({"type": "Feature", "geometry": geom,
                         "properties": {"id": j, "status": paths.status[j], "t_start": float(paths.t[0]),
                                        "t_end": float(paths.t[max(n - 1, 0)]), "steps": int(max(n - 1, 0))}})
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps({"type": "FeatureCollection", "name": path.stem, "features": features}))
    return path
