"""StaMPS points end to end: the files of StaMPS's ps_output.m read with their units, sign and dates; profiles
of raw points (median and count per bin known by construction); GNSS against the points (median of the points
within a radius, known by construction); the transects step on a point export."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from mimtpy.analysis import profiles, transects
from mimtpy.app import parse_template
from mimtpy.context import RunContext
from mimtpy.core.geometry import los_unit_vector
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, read_stamps, read_stamps_series, write_geotiff
from mimtpy.io.gnss import Stations
from mimtpy.ops.points import compare_points, distance_km, insar_at_stations

GEOD = Geod(ellps="WGS84")
LAMBDA = 0.05546576


def matlab_ascii(rows: np.ndarray, double: bool = False) -> str:
    """Text as MATLAB's ``save -ASCII`` writes it (8 significant digits; 16 with -DOUBLE)."""
    fmt = "%.16e" if double else "%.7e"
    return "".join("  ".join(fmt % v for v in np.atleast_1d(row)) + "\n" for row in rows)


# ------------------------------------------------------------------------------------------- ps_output.m files
def test_ps_output_files_read_with_units_sign_and_dates(tmp_path):
    rng = np.random.default_rng(3)
    n = 6
    lon, lat = 10 + rng.random(n) * 0.1, 45 + rng.random(n) * 0.1
    dates = ["20170103", "20170115", "20170127"]
    phase = rng.normal(0, 2, (3, n))                     # StaMPS unwrapped phase, + = away from the satellite
    (tmp_path / "date.txt").write_text(matlab_ascii(np.array([float(d) for d in dates]), double=True))
    for i in range(3):                                   # ps_output.m: ph = -ph * lambda * 1000 / 4 / pi (mm)
        d_mm = -phase[i] * LAMBDA * 1000 / 4 / np.pi
        (tmp_path / f"ps_u-dm.{i + 1}.xy").write_text(matlab_ascii(np.column_stack([lon, lat, d_mm])))
    v_mm = rng.normal(0, 5, n)
    hgt, dem_error = rng.random(n) * 900, rng.normal(0, 3, n)
    (tmp_path / "ps_mean_v.xy").write_text(matlab_ascii(np.column_stack([lon, lat, v_mm])))
    (tmp_path / "ps_mean_v_std.xy").write_text(matlab_ascii(np.column_stack([lon, lat, np.abs(v_mm) / 10])))
    with open(tmp_path / "ps_data.xy", "w") as f:        # fprintf('%f %f %4.4f %4.4f %4.4f\n', [mean_v hgt dem])
        for row in zip(lon, lat, v_mm, hgt, dem_error, strict=True):
            f.write("{:f} {:f} {:4.4f} {:4.4f} {:4.4f}\n".format(*row))

    series = read_stamps_series(tmp_path)
    assert series.quantity == "displacement" and series.dates == dates and series.unit == "m"
    # MintPy's convention d = -lambda / (4 pi) * phase, in m: positive toward the satellite, no sign change
    np.testing.assert_allclose(series.values, -LAMBDA / (4 * np.pi) * phase, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(series.lon, lon, atol=1e-6)
    one = read_stamps(tmp_path / "ps_u-dm.2.xy")
    assert one.dates == ["20170115"]
    np.testing.assert_allclose(one.values[0], series.values[1])

    mean_v = read_stamps(tmp_path / "ps_mean_v.xy")
    assert mean_v.quantity == "velocity" and mean_v.unit == "m/year"
    np.testing.assert_allclose(mean_v.values, v_mm * 1e-3, rtol=1e-6)
    std = read_stamps(tmp_path / "ps_mean_v_std.xy")
    assert std.quantity == "velocityStd"
    data = read_stamps(tmp_path / "ps_data.xy")           # 5 columns: a velocity with height and DEM error
    assert data.quantity == "velocity"
    np.testing.assert_allclose(data.values, np.round(v_mm, 4) * 1e-3, atol=1e-9)
    np.testing.assert_allclose(data.extra["height"], np.round(hgt, 4), atol=1e-9)
    np.testing.assert_allclose(data.extra["dem_error"], np.round(dem_error, 4), atol=1e-9)
    assert int(open_product(tmp_path / "ps_data.xy").read("count").sum()) == n        # gridded like ps_mean_v

    with pytest.raises(ProductError, match=r"ps_u-dm\.1\.xy.*displacement"):
        open_product(tmp_path / "ps_u-dm.1.xy")
    (tmp_path / "ps_u-dm.3.xy").write_text(matlab_ascii(np.column_stack([lon + 0.01, lat, phase[2]])))
    with pytest.raises(ProductError, match=r"ps_u-dm\.3\.xy: not the points of ps_u-dm\.1\.xy"):
        read_stamps_series(tmp_path)
    (tmp_path / "ps_u-dm.3.xy").unlink()
    with pytest.raises(ProductError, match=r"ps_u-dm files \[1, 2\].*3 dates"):
        read_stamps_series(tmp_path)
    (tmp_path / "date.txt").write_text("2017.01\n")
    with pytest.raises(ProductError, match=r"date\.txt:1: '2017\.01' is not a yyyymmdd date"):
        read_stamps(tmp_path / "ps_u-dm.1.xy")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "ps_data.xy").write_text("10 45 1.0\n")
    with pytest.raises(ProductError, match=r"ps_data\.xy: 3 columns; StaMPS ps_output\.m writes 5"):
        read_stamps(tmp_path / "bad" / "ps_data.xy")


# ------------------------------------------------------------------------------------------- profiles of points
def profile_points(profile: profiles.Profile, along_km: np.ndarray, across_km: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of points at given distances along (from the centre) and across a profile."""
    lon, lat, _ = GEOD.fwd(np.full(along_km.shape, profile.lon), np.full(along_km.shape, profile.lat),
                           np.full(along_km.shape, profile.azimuth), along_km * 1e3)
    lon, lat, _ = GEOD.fwd(lon, lat, np.full(along_km.shape, profile.azimuth + 90), across_km * 1e3)
    return np.asarray(lon), np.asarray(lat)


@pytest.fixture
def line_points(tmp_path):
    """A 10 km profile (start -> end due east, 2 km wide, 1 km bins) and points whose bins are known: bin k
    (distance k..k+1 km from the start) holds k + 1 points of values 10k + [0, 1, ..., k] mm/yr (median
    10k + k/2); plus points outside the swath (across 1.5 km) and beyond the ends, valued 999 (must not count)."""
    profile = profiles.point_profile((45.0, 10.0), (45.0, 10.1270), 2.0)     # ~10 km along the parallel
    length = 2 * profile.length
    edges = np.arange(0, np.floor(length))
    along, values = [], []
    rng = np.random.default_rng(5)
    for k in edges.astype(int):
        pos = k + 0.1 + 0.8 * rng.random(k + 1)
        along += list(pos)
        values += list(10.0 * k + np.arange(k + 1))
    along, values = np.array(along), np.array(values)
    across = rng.uniform(-0.9, 0.9, along.size)
    outside_along = np.array([3.5, 5.5, -0.5, length + 0.4])
    outside_across = np.array([1.5, -1.6, 0.0, 0.0])
    lon, lat = profile_points(profile, np.concatenate([along, outside_along]) - profile.origin,
                              np.concatenate([across, outside_across]))
    all_values = np.concatenate([values, np.full(4, 999.0)])
    path = tmp_path / "ps_mean_v.xy"
    path.write_text(matlab_ascii(np.column_stack([lon, lat, all_values])))
    return profile, path, edges.astype(int)


def test_profile_of_points_gives_the_known_medians_and_counts(line_points):
    profile, path, bins = line_points
    b = profiles.bin_points(profile, read_stamps(path), 1.0)
    assert b.unit == "mm/yr"
    for k in bins:
        assert b.count[k] == k + 1
        assert b.median[k] == pytest.approx(10 * k + k / 2, abs=1e-4)
        assert b.mean[k] == pytest.approx(10 * k + k / 2, abs=1e-4)
    assert b.count.sum() == sum(k + 1 for k in bins)                 # the 999 points are outside the swath
    assert np.nanmax(b.median) < 999


def test_transects_step_profiles_raw_points_and_compares_gnss_with_them(line_points, tmp_path):
    profile, path, bins = line_points
    # a station at 4.5 km along the profile: its InSAR value is the median of the points within 0.6 km of it,
    # found here by brute force over the file
    lon_s, lat_s = profile_points(profile, np.array([4.5 - profile.origin]), np.array([0.0]))
    gnss = tmp_path / "gnss.csv"
    gnss.write_text(f"site,lon,lat,ve,vn,vu\nAAAA,{lon_s[0]:.8f},{lat_s[0]:.8f},5.0,2.0,1.0\n")
    cfg = parse_template("\n".join([
        f"mimtpy.transects.DataSet = {path}", f"mimtpy.transects.outdir = {tmp_path / 'out'}",
        "mimtpy.transects.start = 45.0, 10.0", "mimtpy.transects.end = 45.0, 10.1270", "mimtpy.transects.width = 2",
        "mimtpy.transects.binSize = 1", f"mimtpy.transects.gnss = {gnss}", "mimtpy.transects.pointRadius = 0.6",
        f"mimtpy.transects.geometry = {tmp_path / 'frame'}"]), tmp_path / "t.template").configs["transects"]
    inc, az = 39.0, 100.0
    grid = Grid(30, 20, 9.95, 45.05, 0.01, -0.01)
    e, n, u = (np.full(grid.shape, c, np.float32) for c in los_unit_vector(inc, az))
    for name, data in (("vel", np.zeros(grid.shape, np.float32)), ("E", e), ("N", n), ("U", u)):
        write_geotiff(tmp_path / "frame" / f"{name}.geo.tif", data, grid)
    outputs = transects.run(cfg, RunContext(tmp_path))
    assert [p.suffix for p in outputs] == [".csv", ".h5", ".png"]
    with open(outputs[0]) as f:
        rows = [r for r in csv.DictReader(f) if not r["dataset"].startswith("GNSS")]
    assert [int(r["count"]) for r in rows][: len(bins)] == [k + 1 for k in bins]
    assert [float(r["median"]) for r in rows][: len(bins)] == pytest.approx([10 * k + k / 2 for k in bins], abs=1e-3)

    done = profiles.profile_products(cfg, RunContext(tmp_path))
    g = done.gnss[0][0]
    points = read_stamps(path)
    near = distance_km(lon_s[0], lat_s[0], points.lon, points.lat) <= 0.6
    assert near.sum() >= 1
    ve, vn, vu = 5e-3, 2e-3, 1e-3
    ee, nn, uu = los_unit_vector(inc, az)
    gnss_los = ee * ve + nn * vn + uu * vu
    # one station: the offset makes GNSS + offset equal the median of the points around it
    assert g.sites == ["AAAA"] and g.component == "LOS"
    assert g.value[0] == pytest.approx(np.median(points.values[near]) * 1e3, abs=1e-6)
    assert g.distance[0] == pytest.approx(4.5, abs=0.01)
    result = compare_points(read_stations_csv(gnss), points, open_product(tmp_path / "frame"), 0.6)
    assert result.gnss_los[0] == pytest.approx(gnss_los, abs=1e-9)


def read_stations_csv(path: Path) -> Stations:
    from mimtpy.io.gnss import read_stations
    return read_stations(path, "csv")


# ------------------------------------------------------------------------------------------- GNSS vs points
INC, AZ = 34.0, -102.0
SITES = ["S001", "S002", "S003", "S004"]


def gnss_scene(folder: Path) -> tuple[Stations, np.ndarray, Path]:
    """Four stations (a CSV in mm/yr) and points: around each of the first three, points within 0.3 km hold GNSS LOS +
    4 mm/yr + symmetric deviations (median = GNSS LOS + 4 mm/yr exactly), points 0.5-0.8 km away hold outliers
    (+50 mm/yr) that a 0.3 km radius excludes and a 1 km radius takes in; the fourth station has no point near it.
    Returns (stations, GNSS LOS truth in m/yr, ps_mean_v.xy)."""
    e, n, u = los_unit_vector(INC, AZ)
    lon = np.array([30.0, 30.2, 30.4, 30.9])
    lat = np.array([40.0, 40.1, 40.05, 40.3])
    ve, vn, vu = np.array([0.02, -0.01, 0.005, 0.0]), np.array([0.01, 0.0, -0.02, 0.0]), np.array([0.0, 0.003, 0.0,
                                                                                                    0.0])
    stations = Stations(list(SITES), lon, lat, ve, vn, vu, *(np.full(4, 1e-3) for _ in range(3)))
    rows = ["site,lon,lat,ve,vn,vu,se,sn,su"] + [f"{SITES[k]},{lon[k]},{lat[k]},{ve[k] * 1e3},{vn[k] * 1e3},"
                                                 f"{vu[k] * 1e3},1,1,1" for k in range(4)]
    (folder / "gnss.csv").write_text("\n".join(rows) + "\n")
    truth = e * ve + n * vn + u * vu
    pts_lon, pts_lat, vals = [], [], []
    for k in range(3):
        for j, dev in enumerate((-3e-3, -1e-3, 0.0, 1e-3, 3e-3)):
            lo, la, _ = GEOD.fwd(lon[k], lat[k], 72.0 * j, 150.0 + 20 * j)
            pts_lon.append(lo), pts_lat.append(la), vals.append(truth[k] + 4e-3 + dev)
        for j in range(3):
            lo, la, _ = GEOD.fwd(lon[k], lat[k], 120.0 * j + 10, 500.0 + 150 * j)
            pts_lon.append(lo), pts_lat.append(la), vals.append(truth[k] + 0.05)
    pts_lon.append(30.95), pts_lat.append(40.35), vals.append(0.0)    # the map reaches the fourth station
    path = folder / "ps_mean_v.xy"
    path.write_text(matlab_ascii(np.column_stack([pts_lon, pts_lat, np.array(vals) * 1e3])))
    grid = Grid(120, 80, 29.8, 40.6, 0.01, -0.01)                # the same LOS as E/N/U rasters of a frame
    for name, data in (("vel", np.zeros(grid.shape, np.float32)), ("E", np.full(grid.shape, e, np.float32)),
                       ("N", np.full(grid.shape, n, np.float32)), ("U", np.full(grid.shape, u, np.float32))):
        write_geotiff(folder / "frame" / f"{name}.geo.tif", data, grid)
    return stations, truth, path


def test_gnss_against_points_is_the_median_within_the_radius(tmp_path):
    stations, truth, path = gnss_scene(tmp_path)
    e, n, u = los_unit_vector(INC, AZ)
    points = read_stamps(path)
    median, count = insar_at_stations(stations, points, 0.3)
    assert list(count) == [5, 5, 5, 0] and np.isnan(median[3])
    np.testing.assert_allclose(median[:3], truth[:3] + 4e-3, atol=1e-9)
    result = compare_points(stations, points, (INC, AZ), radius_km=0.3)
    assert result.stations.site == SITES[:3] and result.component == "LOS"
    assert result.offset == pytest.approx(4e-3, abs=1e-9) and result.rms == pytest.approx(0, abs=1e-9)
    np.testing.assert_allclose(result.gnss_los, truth[:3], atol=1e-12)
    np.testing.assert_allclose(result.insar, truth[:3], atol=1e-9)
    np.testing.assert_allclose(result.sigma, np.sqrt((e * 1e-3) ** 2 + (n * 1e-3) ** 2 + (u * 1e-3) ** 2))
    ref = compare_points(stations, points, (INC, AZ), radius_km=0.3, reference_site="S002")
    assert ref.offset == pytest.approx(4e-3, abs=1e-9)

    wide, count = insar_at_stations(stations, points, 1.0)      # the outliers now count: 8 points, median moves
    assert list(count[:3]) == [8, 8, 8]
    np.testing.assert_allclose(wide[:3], truth[:3] + 4e-3 + 2e-3, atol=1e-9)   # median of the 8 values

    from_product = compare_points(stations, points, open_product(tmp_path / "frame"), radius_km=0.3)
    np.testing.assert_allclose(from_product.gnss_los, truth[:3], atol=1e-7)
    assert from_product.offset == pytest.approx(4e-3, abs=1e-7)

    with pytest.raises(InputError, match=r"no GNSS station has an InSAR point within 0\.01 km"):
        compare_points(stations, points, (INC, AZ), radius_km=0.01)
    with pytest.raises(InputError, match=r"'S004' has no InSAR value within 0\.3 km"):
        compare_points(stations, points, (INC, AZ), radius_km=0.3, reference_site="S004")
    assert distance_km(0.0, 0.0, np.array([1.0]), np.array([0.0]))[0] == pytest.approx(111.195, abs=1e-3)


def test_plot_step_compares_gnss_with_the_points(tmp_path):
    """plot with gnssMode = both on a point export: arrows, GNSS circles on the map, and the scatter + CSV whose
    InSAR values are the medians of the points within pointRadius (after the offset: the GNSS LOS truth)."""
    from mimtpy.basic import plot
    from mimtpy.viz.maps import MapStyle
    from mimtpy.viz.points import draw_points_gnss, points_figure

    _stations, truth, path = gnss_scene(tmp_path)
    lines = [f"mimtpy.plot.DataSet = {path}", f"mimtpy.plot.outdir = {tmp_path / 'fig'}", "mimtpy.plot.dpi = 50",
             f"mimtpy.plot.gnss = {tmp_path / 'gnss.csv'}", "mimtpy.plot.gnssMode = both",
             f"mimtpy.plot.geometry = {tmp_path / 'frame'}", "mimtpy.plot.pointRadius = 0.3"]
    cfg = parse_template("\n".join(lines), tmp_path / "p.template").configs["plot"]
    written = plot.run(cfg, RunContext(tmp_path))
    fig = tmp_path / "fig"
    assert written == [fig / "ps_mean_v.png", fig / "ps_mean_v_gnss.png", fig / "ps_mean_v_gnss.csv"]
    with open(fig / "ps_mean_v_gnss.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["site"] for r in rows] == SITES[:3]
    np.testing.assert_allclose([float(r["insar_m_per_yr"]) for r in rows], truth[:3], atol=1e-8)
    np.testing.assert_allclose([float(r["gnss_los_m_per_yr"]) for r in rows], truth[:3], atol=1e-7)

    style = MapStyle(gnss=tmp_path / "gnss.csv", gnss_mode="both", geometry=tmp_path / "frame", point_radius=0.3)
    points = read_stamps(path)
    _fig, ax = points_figure(points, style)
    result = draw_points_gnss(ax, points, style)
    circles = next(c for c in ax.collections if c.get_gid() == "gnss_los")
    np.testing.assert_allclose(circles.get_array(), (truth[:3] + 4e-3) * 1e3, atol=1e-5)   # GNSS + offset, mm/yr
    assert result.offset == pytest.approx(4e-3, abs=1e-7)
    arrows = next(c for c in ax.collections if c.get_gid() == "gnss_arrows")
    assert len(arrows.U) == 4
    no_geometry = MapStyle(gnss=tmp_path / "gnss.csv", gnss_mode="los")
    _fig, ax = points_figure(points, no_geometry)
    assert draw_points_gnss(ax, points, no_geometry) is None
