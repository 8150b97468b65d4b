"""horzvert: E/U (and N with GNSS) from ascending + descending tracks against the synthetic truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import Delaunay

from mimtpy.analysis import decompose, horzvert
from mimtpy.app import parse_template
from mimtpy.context import RunContext
from mimtpy.core.dates import decimal_years
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, write_geotiff, write_h5

from .conftest import make_products

# an east-west fault (motion purely east-west, no north) through the centre of the reference pixel row
FAULT_EW = dict(mogi="none", fault="34.1515 -118.15 90 0.03 6", referencePoint="34.15 -118.25")


def assert_close_where_valid(actual: np.ndarray, expected: np.ndarray, atol: float, min_valid: float = 0.5):
    ok = np.isfinite(actual) & np.isfinite(expected)
    assert ok.mean() > min_valid
    assert np.max(np.abs(actual[ok] - expected[ok])) < atol


def hv_config(folder: Path, tracks: list[Path], **keys: str):
    lines = [f"mimtpy.horzvert.DataSet = {', '.join(map(str, tracks))}", f"mimtpy.horzvert.outdir = {folder}"]
    lines += [f"mimtpy.horzvert.{k} = {v}" for k, v in keys.items()]
    return parse_template("\n".join(lines), folder / "hv.template").configs["horzvert"]


def run_hv(folder: Path, tracks: list[Path], **keys: str) -> dict[str, object]:
    cfg = hv_config(folder, tracks, **keys)
    outputs = horzvert.run(cfg, RunContext(folder))
    return {p.stem: open_product(p) for p in outputs if p.suffix == ".h5"}


@pytest.fixture(scope="module")
def ew_clean(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ew_clean")
    return make_products(folder, tracks="asc, desc", noise="0", atmosphere="0", holes="0", **FAULT_EW)


def test_noise_free_tracks_give_the_true_east_and_zero_up(ew_clean, tmp_path):
    out = run_hv(tmp_path, ew_clean)
    east = open_product(ew_clean[0].parent / "truth.h5").read("east")
    hz, up = out["hz"].read("velocity"), out["up"].read("velocity")
    assert np.isfinite(hz).mean() > 0.95
    assert np.nanmax(np.abs(east)) > 0.01
    assert_close_where_valid(hz, east, 1e-6, 0.9)
    assert np.nanmax(np.abs(up)) < 1e-6
    assert out["hz"].attrs["UNIT"] == "m/year" and out["hz"].file_type == "velocity"
    cond = out["cond"].read("cond")
    assert 1 < np.nanmin(cond) and np.nanmax(cond) < 3      # ascending + descending is well conditioned


def test_azimuth_north_is_the_other_sign_convention(ew_clean, tmp_path):
    """Horizontal along azimuth +90 (west) is minus the eastward component."""
    east = run_hv(tmp_path / "e", ew_clean)["hz"].read("velocity")
    west = run_hv(tmp_path / "w", ew_clean, azimuth="90")["hz"].read("velocity")
    assert_close_where_valid(west, -east, 1e-7, 0.9)


def test_noisy_tracks_are_recovered_within_the_propagated_std(tmp_path):
    tracks = make_products(tmp_path, tracks="asc, desc", noise="0.003", atmosphere="0.002", holes="0.02", **FAULT_EW)
    out = run_hv(tmp_path / "hv", tracks)
    truth = open_product(tracks[0].parent / "truth.h5")
    for comp, true in (("hz", truth.read("east")), ("up", truth.read("up"))):
        est, std = out[comp].read("velocity"), out[comp].read("velocityStd")
        z = (est - true) / std
        ok = np.isfinite(z)
        assert ok.mean() > 0.8
        assert np.mean(np.abs(z[ok]) < 3) > 0.98, comp
        assert 0.4 < np.std(z[ok]) < 1.5, comp
        assert np.nanmedian(std) < 0.004


def test_gnss_north_grid_gives_east_north_up(tmp_path):
    """A Mogi source (radial motion, north included) at one corner, referenced far away."""
    tracks = make_products(tmp_path, tracks="asc, desc", noise="0", atmosphere="0", holes="0",
                           mogi="34.25 -118.05 2 -1e6", referencePoint="34.02 -118.28")
    truth = open_product(tracks[0].parent / "truth.h5")
    north = truth.read("north")
    gnss = write_geotiff(tmp_path / "north.tif", north, truth.grid, {"FILE_TYPE": "north", "UNIT": "m/year"})
    out = run_hv(tmp_path / "hv", tracks, north=str(gnss))
    assert set(out) == {"hz", "up", "north", "cond"}
    east, up = truth.read("east"), truth.read("up")
    assert np.nanmax(np.abs(up)) > 0.02 and np.nanmax(np.abs(north)) > 0.005
    # the reference point moves by < 0.2 mm/yr: that is the only difference left
    assert_close_where_valid(out["hz"].read("velocity"), east, 3e-4, 0.9)
    assert_close_where_valid(out["up"].read("velocity"), up, 3e-4, 0.9)
    # without north the 2-component model leaks north motion into the result
    biased = run_hv(tmp_path / "hv2", tracks)["up"].read("velocity")
    assert np.nanmax(np.abs(biased - up)) > 1e-3


def test_gnss_station_table_is_interpolated(tmp_path):
    grid = Grid(50, 40, 10.0, 20.0, 0.01, -0.01)
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(9.9, 10.6, 40), rng.uniform(19.5, 20.1, 40)
    vn = 0.01 * (lon - 10) + 0.002
    table = tmp_path / "gnss.csv"          # a GNSS table in mm/yr
    np.savetxt(table, np.column_stack([lon, lat, vn * 1e3, np.full(40, 1.0)]), header="lon,lat,vn,sn", delimiter=",",
               comments="")
    north, std = decompose.north_constraint(table, grid, "nearest")
    glon, glat = np.meshgrid(grid.lons(), grid.lats())
    inside = Delaunay(np.column_stack([lon, lat])).find_simplex(np.column_stack([glon.ravel(), glat.ravel()])) >= 0
    inside = inside.reshape(grid.shape)
    assert inside.mean() > 0.5 and np.isfinite(north).all()           # nearest station outside the hull
    np.testing.assert_allclose(north[inside], (0.01 * (glon - 10) + 0.002)[inside], atol=1e-9)   # linear: exact
    assert std is not None and np.allclose(std, 0.001)
    (tmp_path / "bad.txt").write_text("lon,lat,vn\n1,2,3\n")
    with pytest.raises(ProductError, match=r"bad\.txt: a GNSS north constraint needs >= 3 stations"):
        decompose.north_constraint(tmp_path / "bad.txt", grid, "nearest")


def test_tracks_on_different_grids_are_resampled_to_the_coarsest(ew_clean, tmp_path):
    """The descending track re-gridded at twice the step with a half-pixel offset."""
    desc = open_product(ew_clean[1])
    truth = open_product(ew_clean[1].parent / "truth.h5")
    g = desc.grid
    coarse = Grid(g.width // 2 - 1, g.length // 2 - 1, g.x_first + g.x_step / 2, g.y_first + g.y_step / 2,
                  2 * g.x_step, 2 * g.y_step)
    from mimtpy.core.resample import resample
    vel = resample(truth.read("los_velocity"), g, coarse, "bilinear")
    inc = resample(desc.read("incidenceAngle"), g, coarse, "bilinear")
    az = resample(desc.read("azimuthAngle"), g, coarse, "bilinear")
    attrs = {**coarse.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "ORBIT_DIRECTION": "DESCENDING",
             "REF_LAT": desc.attrs["REF_LAT"], "REF_LON": desc.attrs["REF_LON"]}
    write_h5(tmp_path / "desc_coarse.h5", {"velocity": vel}, attrs)
    write_h5(tmp_path / "geom_coarse.h5", {"incidenceAngle": inc, "azimuthAngle": az},
             {**coarse.to_attrs(), "FILE_TYPE": "geometry"})
    asc_truth = open_product(ew_clean[0].parent / "truth.h5")
    write_h5(tmp_path / "asc.h5", {"velocity": asc_truth.read("los_velocity")},
             {**asc_truth.grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "ORBIT_DIRECTION": "ASCENDING",
              "REF_LAT": desc.attrs["REF_LAT"], "REF_LON": desc.attrs["REF_LON"]})
    out = run_hv(tmp_path / "hv", [tmp_path / "asc.h5", tmp_path / "desc_coarse.h5"],
                 geometry=f"{ew_clean[0]}, {tmp_path / 'geom_coarse.h5'}", resample="bilinear")
    hz = out["hz"]
    assert hz.grid.x_step == pytest.approx(coarse.x_step)
    east = resample(truth.read("east"), g, hz.grid, "bilinear")
    ok = np.isfinite(hz.read("velocity")) & np.isfinite(east)
    assert ok.mean() > 0.8
    # bilinear interpolation of the smooth field: small errors, largest at the fault
    assert np.median(np.abs(hz.read("velocity")[ok] - east[ok])) < 2e-4


def test_decomposed_time_series_of_tracks_with_different_dates(tmp_path):
    keys = dict(noise="0", atmosphere="0", holes="0", dropFraction="0", endDate="20180101", **FAULT_EW)
    (asc,) = make_products(tmp_path / "a", tracks="asc", startDate="20170103", **keys)
    (desc,) = make_products(tmp_path / "d", tracks="desc", startDate="20170109", **keys)
    assert set(open_product(asc).dates).isdisjoint(open_product(desc).dates)
    cfg = hv_config(tmp_path / "hv", [asc, desc], timeseries="yes")
    hz_path, up_path = horzvert.run(cfg, RunContext(tmp_path))
    hz, up = open_product(hz_path), open_product(up_path)
    assert hz.file_type == "timeseries" and hz.dates[0] >= "20170109" and hz.dates[0] in open_product(asc).dates
    east = open_product(asc.parent / "truth.h5").read("east")
    t = decimal_years(hz.dates)
    series = hz.read("timeseries")
    expected = east[None] * (t - t[0])[:, None, None]
    assert_close_where_valid(series, expected, 2e-6, 0.9)
    assert np.nanmax(np.abs(up.read("timeseries"))) < 2e-6
    assert "linear in time" in hz.attrs["TIME_INTERPOLATION"]


def test_bad_inputs_name_the_files_and_write_nothing(ew_clean, noisy_pair, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(InputError, match="two or more tracks"):
        run_hv(out, ew_clean[:1])
    with pytest.raises(InputError, match="all tracks are ASCENDING"):
        run_hv(out, [ew_clean[0], ew_clean[0]])
    vel = write_h5(tmp_path / "v.h5", {"velocity": np.zeros((5, 5), np.float32)},
                   {**Grid(5, 5, 50.0, 10.0, 0.1, -0.1).to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year",
                    "HEADING": -12, "CENTER_INCIDENCE_ANGLE": 35, "ORBIT_DIRECTION": "ASCENDING"})
    with pytest.raises(InputError, match="do not overlap"):
        run_hv(out, [vel, ew_clean[1]])
    disp = write_h5(tmp_path / "d.h5", {"displacement": np.zeros((5, 5), np.float32)},
                    {**Grid(5, 5, 50.0, 10.0, 0.1, -0.1).to_attrs(), "FILE_TYPE": "displacement", "UNIT": "m",
                     "HEADING": -168, "CENTER_INCIDENCE_ANGLE": 35, "ORBIT_DIRECTION": "DESCENDING"})
    with pytest.raises(InputError, match=r"mix velocity and displacement: .*v\.h5 \(velocity.*d\.h5 \(displacement"):
        run_hv(out, [vel, disp])
    nogeom = write_h5(tmp_path / "n.h5", {"velocity": np.zeros((5, 5), np.float32)},
                      {**Grid(5, 5, 50.0, 10.0, 0.1, -0.1).to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"})
    with pytest.raises(ProductError, match=r"n\.h5: no LOS geometry"):
        run_hv(out, [nogeom, vel])
    weird = write_h5(tmp_path / "w.h5", {"velocity": np.zeros((5, 5), np.float32)},
                     {**Grid(5, 5, 50.0, 10.0, 0.1, -0.1).to_attrs(), "FILE_TYPE": "velocity", "UNIT": "furlong"})
    with pytest.raises(ProductError, match=r"w\.h5: dataset 'velocity' has unit 'furlong'"):
        run_hv(out, [weird, vel])
    assert not out.exists() or not any(out.iterdir())


def test_constant_geometry_from_attributes_is_used_and_logged(tmp_path, caplog):
    grid = Grid(6, 6, 50.0, 10.0, 0.1, -0.1)
    common = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "mm/yr", "CENTER_INCIDENCE_ANGLE": 39.0}
    from mimtpy.core.geometry import enu_to_los
    up_true = 0.004
    asc = write_h5(tmp_path / "a.h5", {"velocity": np.full((6, 6), 1000 * enu_to_los(0.002, 0, up_true, 39.0, 102.0),
                                                            np.float32)},
                   {**common, "HEADING": -12.0, "ORBIT_DIRECTION": "ASCENDING"})
    desc = write_h5(tmp_path / "d.h5", {"velocity": np.full((6, 6), 1000 * enu_to_los(0.002, 0, up_true, 39.0, -102.0),
                                                             np.float32)},
                    {**common, "HEADING": -168.0, "ORBIT_DIRECTION": "DESCENDING"})
    out = run_hv(tmp_path / "hv", [asc, desc])
    np.testing.assert_allclose(out["up"].read("velocity"), up_true, atol=1e-6)       # mm/yr read as m/yr SI
    np.testing.assert_allclose(out["hz"].read("velocity"), 0.002, atol=1e-6)
    assert "constant geometry from attributes" in caplog.text


@pytest.mark.parametrize("weighted", [True, False])
def test_two_unknown_kernel_equals_numpy_reference(weighted):
    rng = np.random.default_rng(3)
    shape = (70, 90)
    obs = [rng.normal(0, 0.01, shape).astype(np.float32) for _ in range(3)]
    g0 = [rng.uniform(-0.8, 0.8, shape).astype(np.float32) for _ in range(3)]
    g1 = [rng.uniform(0.6, 0.9, shape).astype(np.float32) for _ in range(3)]
    sigma = [rng.uniform(0.001, 0.003, shape).astype(np.float32) for _ in range(3)] if weighted else None
    obs[0][:5] = np.nan                       # two observations left
    obs[1][:3] = np.nan                       # one left: no solution
    g0[2][-4:] = g0[1][-4:] = g0[0][-4:] = 0  # no horizontal sensitivity: singular
    a = decompose.solve_two(obs, sigma, g0, g1)
    b = decompose.solve_two_numpy(obs, sigma, g0, g1)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=2e-5, atol=1e-9, equal_nan=True)
    assert np.isnan(a[0][:3]).all() and np.isfinite(a[0][3:5]).all() and np.isnan(a[0][-4:]).all()
    with pytest.raises(InputError, match="one shape"):
        decompose.solve_two(obs[:2], None, g0[:2], [g1[0], g1[1][:5]])


def test_geotiff_los_with_licsbas_enu_rasters(ew_clean, tmp_path):
    """GeoTIFF LOS velocities (mm/yr) with E/N/U unit-vector rasters give the same result as the products."""
    from mimtpy.core.geometry import los_unit_vector

    files, groups = [], []
    for he5 in ew_clean:
        src = open_product(he5)
        truth = open_product(he5.parent / "truth.h5").read("los_velocity")
        name = src.attrs["ORBIT_DIRECTION"][:3].lower()
        attrs = {"FILE_TYPE": "velocity", "UNIT": "mm/yr", "REF_LAT": src.attrs["REF_LAT"],
                 "REF_LON": src.attrs["REF_LON"], "ORBIT_DIRECTION": src.attrs["ORBIT_DIRECTION"]}
        files.append(write_geotiff(tmp_path / f"{name}_vel.tif", truth * 1000, src.grid, attrs))
        comps = los_unit_vector(src.read("incidenceAngle"), src.read("azimuthAngle"))
        groups.append(" ".join(str(write_geotiff(tmp_path / f"{name}_{c}.tif", v, src.grid))
                               for c, v in zip("ENU", comps, strict=True)))
    out = run_hv(tmp_path / "hv", files, enu=", ".join(groups))
    east = open_product(ew_clean[0].parent / "truth.h5").read("east")
    assert_close_where_valid(out["hz"].read("velocity"), east, 1e-6, 0.9)
    assert out["hz"].attrs["UNIT"] == "m/year"


def test_three_tracks_by_least_squares(tmp_path):
    keys = {**FAULT_EW, "referencePoint": "34.1515 -118.15"}       # on the fault trace, inside all three swaths
    tracks = make_products(tmp_path, tracks="asc, desc, asc:0.3", noise="0", atmosphere="0", holes="0", **keys)
    out = run_hv(tmp_path / "hv", tracks)
    east = open_product(tracks[0].parent / "truth.h5").read("east")
    hz = out["hz"].read("velocity")
    assert_close_where_valid(hz, east, 1e-6, 0.9)
    assert np.nanmax(np.abs(out["up"].read("velocity"))) < 1e-6
    third = ~np.isnan(open_product(tracks[2]).read("incidenceAngle"))
    assert np.isfinite(hz[third]).mean() > 0.9          # the pixels seen by all three tracks are solved


def test_overlap_of_two_same_side_tracks(tmp_path):
    """Synthetic LOS of a known horizontal (along the look azimuth) and vertical motion in the overlap."""
    from mimtpy.analysis import overlap
    from mimtpy.core.geometry import los_unit_vector

    tracks = make_products(tmp_path, tracks="asc, asc:0.7, desc", noise="0", atmosphere="0", holes="0", mogi="none")
    files = []
    h_true, u_true = 0.004, -0.01
    for he5 in tracks[:2]:
        src = open_product(he5)
        e, n, u = los_unit_vector(src.read("incidenceAngle"), src.read("azimuthAngle"))
        alpha = np.deg2rad(102.0)
        los = (e * -np.sin(alpha) + n * np.cos(alpha)) * h_true + u * u_true
        attrs = {k: v for k, v in src.attrs.items() if not k.startswith("REF_")}   # uniform motion: no reference
        files.append(write_h5(he5.parent / "velocity.h5", {"velocity": los.astype(np.float32)},
                              {**attrs, "FILE_TYPE": "velocity", "UNIT": "m/year", "FILE_PATH": str(he5)}))
    cfg = hv_config(tmp_path / "ov", files, azimuth="102")
    outputs = overlap.run_overlap(cfg, RunContext(tmp_path), look_azimuth=False)
    got = {p.stem: open_product(p) for p in outputs if p.suffix == ".h5"}
    hz, up = got["hz"].read("velocity"), got["up"].read("velocity")
    ok = np.isfinite(hz)
    assert 0.05 < ok.mean() < 0.6                         # only the overlap strip is solved
    assert np.max(np.abs(hz[ok] - h_true)) < 1e-5 and np.max(np.abs(up[ok] - u_true)) < 1e-5
    assert np.nanmedian(got["cond"].read("cond")) > 5     # same-side geometry is weak, and the map says so
    with pytest.raises(InputError, match="one look direction"):
        overlap.run_overlap(hv_config(tmp_path / "x", [files[0], tracks[2]]), RunContext(tmp_path))


def test_different_grids_and_reference_points_reference_on_the_common_grid(ew_clean, tmp_path):
    """Tracks on different grids with different REF points: no crash; every output carries the point used,
    and at that point east and up are zero (both tracks re-referenced there, on the common grid)."""
    desc = open_product(ew_clean[1])
    truth = open_product(ew_clean[1].parent / "truth.h5")
    g = desc.grid
    coarse = Grid(g.width // 2 - 1, g.length // 2 - 1, g.x_first + g.x_step / 2, g.y_first + g.y_step / 2,
                  2 * g.x_step, 2 * g.y_step)
    from mimtpy.core.resample import resample
    vel = resample(truth.read("los_velocity"), g, coarse, "nearest")
    other_ref = coarse.rowcol_to_lalo(coarse.length // 3, coarse.width // 2)
    write_h5(tmp_path / "desc.h5", {"velocity": vel + 0.01}, {**coarse.to_attrs(), "FILE_TYPE": "velocity",
             "UNIT": "m/year", "ORBIT_DIRECTION": "DESCENDING", "REF_LAT": other_ref[0], "REF_LON": other_ref[1]})
    asc_truth = open_product(ew_clean[0].parent / "truth.h5")
    write_h5(tmp_path / "asc.h5", {"velocity": asc_truth.read("los_velocity")},
             {**asc_truth.grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "ORBIT_DIRECTION": "ASCENDING",
              "REF_LAT": desc.attrs["REF_LAT"], "REF_LON": desc.attrs["REF_LON"]})
    geom = f"{ew_clean[0]}, {ew_clean[1]}"
    for point in ("auto", "34.2 -118.1"):
        out = run_hv(tmp_path / f"hv_{point[:4]}", [tmp_path / "asc.h5", tmp_path / "desc.h5"], geometry=geom,
                     referencepoint=point)
        hz, up = out["hz"], out["up"]
        lat, lon = float(hz.attrs["REF_LAT"]), float(hz.attrs["REF_LON"])
        if point != "auto":
            assert (lat, lon) == (34.2, -118.1)
        assert hz.grid.rowcol_to_lalo(int(hz.attrs["REF_Y"]), int(hz.attrs["REF_X"])) == pytest.approx(
            (lat, lon), abs=abs(hz.grid.y_step))
        row, col = int(up.attrs["REF_Y"]), int(up.attrs["REF_X"])
        for product in (hz, up):
            window = product.read("velocity")[row - 1:row + 2, col - 1:col + 2]
            assert abs(np.nanmedian(window)) < 2e-3      # ~0 at the reference (3x3 medians of the inputs)


def test_blocks_under_a_tiny_budget_equal_one_block(noisy_pair, tmp_path):
    from mimtpy.config import ComputeConfig
    cfg = hv_config(tmp_path / "a", list(noisy_pair))
    one = horzvert.run(cfg, RunContext(tmp_path / "a"))
    cfg = hv_config(tmp_path / "b", list(noisy_pair))
    many = horzvert.run(cfg, RunContext(tmp_path / "b", compute=ComputeConfig(max_memory=0.0002, num_worker="2")))
    for a, b in zip(one, many, strict=True):
        if a.suffix == ".h5":
            pa, pb = open_product(a), open_product(b)
            for name in pa.datasets:
                np.testing.assert_array_equal(pa.read(name), pb.read(name))


def test_displacements_of_different_periods_are_refused(noisy_pair, tmp_path):
    from mimtpy.basic import products
    from mimtpy.basic.velcumu import VelcumuConfig
    a = products.process(noisy_pair[0], "displacement", VelcumuConfig(end_date="20180601", geotiff=False),
                         RunContext(tmp_path), tmp_path / "a")[0]
    b = products.process(noisy_pair[1], "displacement", VelcumuConfig(start_date="20170301", geotiff=False),
                         RunContext(tmp_path), tmp_path / "b")[0]
    with pytest.raises(InputError, match="displacements cover different periods"):
        run_hv(tmp_path / "hv", [a, b])
    assert not (tmp_path / "hv" / "hz.h5").exists()


@pytest.mark.parametrize("timeseries", ["yes", "no"])
def test_dates_far_outside_the_series_are_errors_in_the_plan_and_the_run(noisy_pair, tmp_path, timeseries):
    """startDate 20100101 on a 2017-2019 series: the plan (so --dry-run) and the run both name the key, the value
    and the series, for the time-series path as for velocities (before, the time series was clipped silently)."""
    text = "\n".join([f"mimtpy.horzvert.DataSet = {', '.join(map(str, noisy_pair))}",
                      f"mimtpy.horzvert.outdir = {tmp_path / 'hv'}", f"mimtpy.horzvert.timeseries = {timeseries}",
                      "mimtpy.horzvert.startDate = 20100101"])
    cfg = parse_template(text, tmp_path / "h.template").configs["horzvert"]
    ctx = RunContext(tmp_path)
    problems = horzvert.plan(cfg, ctx).problems
    assert any(key == "startDate" and "20100101 is outside the series 20170103.." in msg for key, msg in problems)
    with pytest.raises(InputError, match=r"startDate 20100101 is outside the series 20170103\.\."):
        horzvert.run(cfg, ctx)
    assert not (tmp_path / "hv").exists() or not any((tmp_path / "hv").iterdir())
