"""Particle tracking against analytic paths: rigid rotation (circle), uniform flow on a geographic grid,
linear-in-time fields, stops at no-data; and the script on rasters and on an ITS_LIVE-format cube."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from mimtpy.core.grid import Grid
from mimtpy.datacube.tracking import VelocityField, advect
from mimtpy.io import write_geotiff

GRID = Grid(201, 201, -10050.0, 10050.0, 100.0, -100.0, 32633)      # centres -10000 .. 10000 m, (0, 0) in the middle


def rotation_field(w: float) -> VelocityField:
    X, Y = np.meshgrid(GRID.lons(), GRID.lats())
    return VelocityField(GRID, -w * Y, w * X, [0.0])


def circle_error(method: str, dt: float) -> tuple[float, float]:
    """Position error after a quarter turn, and the largest radius error along the way."""
    w, r = 2 * np.pi / 40.0, 5000.0                         # one turn in 40 years
    paths = advect(rotation_field(w), [r], [0.0], 0.0, 10.0, dt, method)
    assert paths.status == ["ok"]
    end = np.array([paths.x[-1, 0], paths.y[-1, 0]])
    exact = r * np.array([np.cos(w * 10.0), np.sin(w * 10.0)])
    radius = np.hypot(paths.x[:, 0], paths.y[:, 0])
    return float(np.hypot(*(end - exact))), float(np.abs(radius - r).max())


def test_rigid_rotation_follows_the_circle():
    """Bilinear interpolation of a linear field is exact, so only the time step limits the accuracy: RK2 stays
    within r (w dt)^2 w T of the circle and converges at second order; RK4 at fourth order."""
    w, r, T = 2 * np.pi / 40.0, 5000.0, 10.0
    for dt in (0.5, 0.25):
        err, rad = circle_error("rk2", dt)
        assert err < r * (w * dt) ** 2 * w * T
        assert rad < r * (w * dt) ** 2 * w * T
    e1, _ = circle_error("rk2", 0.5)
    e2, _ = circle_error("rk2", 0.25)
    assert 3.0 < e1 / e2 < 5.0                               # second order
    f1, _ = circle_error("rk4", 0.5)
    f2, _ = circle_error("rk4", 0.25)
    assert f1 < e1 * 1e-2 and 12.0 < f1 / f2 < 20.0          # fourth order


def test_backwards_tracking_returns_to_the_start():
    field = rotation_field(2 * np.pi / 40.0)
    fwd = advect(field, [3000.0], [1000.0], 0.0, 5.0, 0.05, "rk4")
    back = advect(field, [fwd.x[-1, 0]], [fwd.y[-1, 0]], 5.0, -5.0, 0.05, "rk4")
    assert back.t[-1] == pytest.approx(0.0)
    assert np.hypot(back.x[-1, 0] - 3000.0, back.y[-1, 0] - 1000.0) < 1e-3


def test_uniform_flow_on_a_geographic_grid():
    """East at 100 m/yr for 3 years moves a point 300 m along its parallel (WGS84 metres per degree)."""
    from pyproj import Geod

    grid = Grid(101, 101, 10.0, 46.05, 0.001, -0.001, 4326)
    u = np.full(grid.shape, 100.0)
    v = np.zeros(grid.shape)
    paths = advect(VelocityField(grid, u, v, [0.0]), [10.02], [46.0], 0.0, 3.0, 0.1)
    _, _, dist = Geod(ellps="WGS84").inv(10.02, 46.0, paths.x[-1, 0], paths.y[-1, 0])
    assert dist == pytest.approx(300.0, abs=1e-3)
    assert paths.y[-1, 0] == 46.0


def test_time_varying_field_is_interpolated_in_time():
    """u = 1 m/yr at t = 0 and 3 m/yr at t = 1: x(1) = integral of (1 + 2t) = 2 m, exact for RK2."""
    ones = np.ones(GRID.shape)
    field = VelocityField(GRID, np.stack([ones, 3 * ones]), np.zeros((2, *GRID.shape)), [0.0, 1.0])
    paths = advect(field, [0.0], [0.0], 0.0, 1.0, 0.1)
    assert paths.x[-1, 0] == pytest.approx(2.0, abs=1e-9)
    later = advect(field, [0.0], [0.0], 1.0, 2.0, 0.1)       # held at the last layer after t = 1
    assert later.x[-1, 0] == pytest.approx(6.0, abs=1e-9)


def test_stops_at_nodata():
    X, _ = np.meshgrid(GRID.lons(), GRID.lats())
    u = np.where(X < 2000.0, 500.0, np.nan)                 # no data east of x = 2000 m
    paths = advect(VelocityField(GRID, u, np.zeros(GRID.shape), [0.0]), [0.0, -9000.0], [0.0, 0.0], 0.0, 10.0, 0.1)
    assert paths.status == ["nodata", "ok"]
    last = paths.last[0]
    assert paths.x[last, 0] <= 2000.0 and paths.x[last, 0] > 2000.0 - 100.0 - 500.0 * 0.1
    assert np.isnan(paths.x[last + 1:, 0]).all()
    assert paths.x[-1, 1] == pytest.approx(-4000.0)


def test_track_script_on_rasters(tmp_path):
    from mimtpy.cli.track_particles import main

    w = 2 * np.pi / 40.0
    field = rotation_field(w)
    vx = write_geotiff(tmp_path / "vx.tif", field.u[0], GRID)
    vy = write_geotiff(tmp_path / "vy.tif", field.v[0], GRID)
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("x,y\n5000,0\n0,3000\n")
    assert main([str(vx), str(vy), "--seeds", str(seeds), "--duration", "10", "--step", "18.2625",
                 "--method", "rk4", "--outdir", str(tmp_path / "out")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "out" / "paths.csv")))
    last = [r for r in rows if r["id"] == "0"][-1]
    assert float(last["time"]) == pytest.approx(10.0)
    # float32 rasters: the rotation is exact to ~1e-4 m/yr
    assert float(last["x"]) == pytest.approx(5000 * np.cos(w * 10), abs=0.05)
    assert float(last["y"]) == pytest.approx(5000 * np.sin(w * 10), abs=0.05)
    gj = json.loads((tmp_path / "out" / "paths.geojson").read_text())
    assert [f["geometry"]["type"] for f in gj["features"]] == ["LineString", "LineString"]
    lon, lat = gj["features"][0]["geometry"]["coordinates"][0]
    from pyproj import Transformer

    assert (lon, lat) == pytest.approx(Transformer.from_crs(32633, 4326, always_xy=True).transform(5000.0, 0.0))
    assert 10 < lon < 20 and lat == pytest.approx(0.0, abs=1e-9)    # UTM 33N at northing 0, in lon/lat
    assert (tmp_path / "out" / "paths.png").stat().st_size > 5_000


def test_track_script_on_itslive_cube(tmp_path):
    from mimtpy.cli.track_particles import main
    from tests.itslive_synth import make_cube

    src = make_cube(tmp_path / "cube.nc")
    x, y = src["x"], src["y"]
    line = [str(v) for v in (x[5], y[10], x[5], y[30], 4)]
    for varying in ("no", "yes"):
        out = tmp_path / f"out_{varying}"
        assert main([str(tmp_path / "cube.nc"), "--seedLine", *line, "--seedCRS", "grid", "--duration", "2",
                     "--timeVarying", varying, "--outdir", str(out), "--figure", "no"]) == 0
        rows = list(csv.DictReader(open(out / "paths.csv")))
        first = [r for r in rows if r["step"] == "0"]
        assert len(first) == 4 and float(first[0]["x"]) == x[5] and float(first[0]["y"]) == y[10]
        moved = [r for r in rows if r["id"] == "0"]
        # the flow is ~+300..+700 m/yr in x: after 2 years (or at no-data) the point has moved east
        assert float(moved[-1]["x"]) > x[5] + 200
    assert main([str(tmp_path / "cube.nc"), "--outdir", str(tmp_path / "x")]) == 2     # no seeds: found by the plan


def test_adaptive_steps_meet_the_tolerance_on_the_circle():
    """rk23 (Bogacki-Shampine) keeps the point on the circle to ~ tolerance x steps, with steps it chooses."""
    w, r = 2 * np.pi / 40.0, 5000.0
    field = rotation_field(w)
    for tol in (1e-1, 1e-3):
        paths = advect(field, [r], [0.0], 0.0, 10.0, 1.0, "rk23", tolerance=tol)
        steps = paths.t.size - 1
        assert paths.t[-1] == pytest.approx(10.0) and paths.status == ["ok"]
        exact = r * np.array([np.cos(w * 10.0), np.sin(w * 10.0)])
        err = np.hypot(paths.x[-1, 0] - exact[0], paths.y[-1, 0] - exact[1])
        assert err < steps * tol
        assert np.abs(np.hypot(paths.x[:, 0], paths.y[:, 0]) - r).max() < steps * tol
    # a tighter tolerance takes more steps (third order: ~ tol^(-1/3))
    n1 = advect(field, [r], [0.0], 0.0, 10.0, 1.0, "rk23", tolerance=1e-1).t.size
    n2 = advect(field, [r], [0.0], 0.0, 10.0, 1.0, "rk23", tolerance=1e-4).t.size
    assert 5 < n2 / n1 < 20
    stop = advect(VelocityField(GRID, np.where(np.meshgrid(GRID.lons(), GRID.lats())[0] < 2000.0, 500.0, np.nan),
                                np.zeros(GRID.shape), [0.0]), [0.0], [0.0], 0.0, 10.0, 0.5, "rk23", tolerance=1.0)
    assert stop.status == ["nodata"] and stop.x[stop.last[0], 0] <= 2000.0
