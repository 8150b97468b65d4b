"""NetCDF/Zarr cubes in and out: round trips through velcumu, CF decoding, GDAL georeferencing, AlignSAR
names and attributes, LiCSBAS/AlignSAR-layout cubes on the real Campi Flegrei grid."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
import xarray as xr

from mimtpy.basic import products
from mimtpy.basic.velcumu import VelcumuConfig
from mimtpy.context import RunContext
from mimtpy.core.dates import decimal_years
from mimtpy.errors import ProductError
from mimtpy.io import open_product, write_cube
from mimtpy.io.cube_write import alignsar_global_attrs

CAMPI = Path(__file__).parent / "data" / "alignsar_campi_flegrei_licsbas"
# xarray tries every installed backend plugin; pygmt's fails here without libgmt (unrelated to the cubes)
pytestmark = pytest.mark.filterwarnings("ignore:Engine 'gmt' loading failed:RuntimeWarning")


def _velcumu(path: Path, outdir: Path, kind: str = "velocity", **keys) -> dict:
    cfg = VelcumuConfig(dataset=(str(path),), type=(kind,), geotiff=False, **keys)
    out = products.process(path, kind, cfg, RunContext(outdir, force=True), outdir)
    product = open_product(out[0])
    return {"grid": product.grid, "attrs": product.attrs,
            **{name: product.read(name) for name in product.datasets}}


@pytest.fixture(scope="module")
def he5(noisy_pair) -> Path:
    return noisy_pair[0]


@pytest.fixture(scope="module")
def cubes(he5, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cubes")
    product = open_product(he5)
    return {"nc": write_cube(folder / "ts.nc", product), "zarr": write_cube(folder / "ts.zarr", product),
            "alignsar": write_cube(folder / "ts_alignsar.nc", product, alignsar=True)}


@pytest.mark.parametrize("kind", ["nc", "zarr"])
def test_velcumu_on_cube_equals_velcumu_on_hdfeos5(he5, cubes, kind, tmp_path):
    """HDF-EOS5 -> NetCDF/Zarr -> velcumu equals HDF-EOS5 -> velcumu (velocity, std, displacement) to 1e-6."""
    for what, keys in (("velocity", {}), ("displacement", {"start_date": "20170601", "end_date": "20180601"})):
        ref = _velcumu(he5, tmp_path / f"he5_{what}", what, **keys)
        got = _velcumu(cubes[kind], tmp_path / f"{kind}_{what}", what, **keys)
        assert got["grid"] == ref["grid"]
        names = ("velocity", "velocityStd") if what == "velocity" else ("displacement",)
        for name in names:
            assert np.array_equal(np.isnan(ref[name]), np.isnan(got[name]))
            assert np.isfinite(ref[name]).sum() > 1000
            np.testing.assert_allclose(got[name], ref[name], atol=1e-6, rtol=0, equal_nan=True)
        for key in ("REF_LAT", "REF_LON", "START_DATE", "END_DATE"):
            assert got["attrs"][key] == ref["attrs"][key]


def test_cube_opens_in_xarray_with_cf_decoding(he5, cubes):
    product = open_product(he5)
    ds = xr.open_dataset(cubes["nc"], decode_cf=True)
    assert ds.attrs["Conventions"] == "CF-1.8"
    # coordinates are pixel centres: X_FIRST/Y_FIRST are the outer corner
    np.testing.assert_allclose(ds["lon"].values, product.grid.x_first + (np.arange(product.grid.width) + 0.5)
                               * product.grid.x_step, atol=1e-12)
    np.testing.assert_allclose(ds["lat"].values, product.grid.y_first + (np.arange(product.grid.length) + 0.5)
                               * product.grid.y_step, atol=1e-12)
    assert ds["lat"].attrs["units"] == "degrees_north" and ds["lon"].attrs["units"] == "degrees_east"
    days = [str(d)[:10].replace("-", "") for d in ds["time"].values]
    assert days == product.dates
    assert ds["timeseries"].attrs["units"] == "m"
    assert ds["timeseries"].attrs["grid_mapping"] == "spatial_ref"
    assert ds["spatial_ref"].attrs["grid_mapping_name"] == "latitude_longitude"
    for key in ("REF_LAT", "REF_LON", "REF_Y", "REF_X", "REF_DATE", "X_FIRST", "Y_FIRST", "WAVELENGTH"):
        assert str(ds.attrs[key]) == str(product.attrs[key])
    epoch = 7
    np.testing.assert_array_equal(ds["timeseries"].isel(time=epoch).values, product.read("timeseries")[epoch])
    assert ds["timeseries"].encoding["zlib"] and ds["timeseries"].encoding["chunksizes"][0] <= 32


def test_cube_georeferencing_in_gdal(he5, cubes, tmp_path):
    """GDAL reads the MintPy grid: transform = (X_FIRST, X_STEP, 0, Y_FIRST, 0, Y_STEP); the centre of pixel
    (0, 0) is the first coordinate; also when GDAL has to derive it from the coordinates alone."""
    grid = open_product(he5).grid
    coh = open_product(he5).read("temporalCoherence")
    stripped = tmp_path / "no_geotransform.nc"
    with xr.open_dataset(cubes["nc"]) as ds:
        ds = ds[["temporalCoherence", "spatial_ref"]].load()
    ds["spatial_ref"].attrs.pop("GeoTransform")
    ds.to_netcdf(stripped)
    for path in (cubes["nc"], stripped):
        with rasterio.open(f"netcdf:{path}:temporalCoherence") as src:
            t = src.transform
            np.testing.assert_allclose((t.c, t.a, t.b, t.f, t.d, t.e), grid.transform, atol=1e-9)
            assert src.crs.to_epsg() == 4326
            x, y = src.xy(0, 0)              # pixel centre
            assert x == pytest.approx(grid.x_first + 0.5 * grid.x_step, abs=1e-9)
            assert y == pytest.approx(grid.y_first + 0.5 * grid.y_step, abs=1e-9)
            np.testing.assert_array_equal(src.read(1), coh)     # row 0 = north edge in GDAL too
    with rasterio.open(f'ZARR:"{cubes["zarr"]}":/temporalCoherence') as src:     # GDAL's Zarr driver
        t = src.transform
        np.testing.assert_allclose((t.c, t.a, t.b, t.f, t.d, t.e), grid.transform, atol=1e-9)
        assert src.crs.to_epsg() == 4326
        np.testing.assert_array_equal(src.read(1), coh)


def test_alignsar_names_units_and_metadata(he5, cubes, tmp_path):
    product = open_product(he5)
    ds = xr.open_dataset(cubes["alignsar"])
    ts = product.read("timeseries")
    np.testing.assert_allclose(ds["cum_displacement"].values, ts * 1000, rtol=1e-6, atol=1e-4)
    assert ds["cum_displacement"].attrs["units"] == "mm" and ds["cum_displacement"].attrs["unit"] == "mm"
    ref = _velcumu(he5, tmp_path / "v")
    np.testing.assert_allclose(ds["linear_velocity"].values, ref["velocity"] * 1000, atol=1e-3, equal_nan=True)
    np.testing.assert_allclose(ds["linear_velocity_std"].values, ref["velocityStd"] * 1000, atol=1e-3,
                               equal_nan=True)
    np.testing.assert_array_equal(ds["mean_coherence"].values, product.read("avgSpatialCoherence"))
    a = ds.attrs
    # sar_* attributes are the product's own metadata (synthetic S1 track 100, heading -12, 14:00:00 UTC)
    assert a["sar_relative_orbit"] == product.attrs["relative_orbit"] == "100"
    assert a["sar_instrument_mode"] == product.attrs["beam_mode"]
    assert float(a["sar_view_azimuth"]) == float(product.attrs["HEADING"])
    assert a["sar_reference_date_time"] == f"{product.dates[0][:4]}-{product.dates[0][4:6]}-" \
                                           f"{product.dates[0][6:]}T14:00:00"
    inc = product.read("incidenceAngle")
    assert float(a["sar_view_incidence_angle"]) == pytest.approx(float(np.nanmean(inc[inc != 0])), abs=1e-3)
    assert float(a["geospatial_lat_min"]) == pytest.approx(product.grid.lats().min())
    assert float(a["geospatial_lon_max"]) == pytest.approx(product.grid.lons().max())
    # the cube reads back in metres under MintPy names
    back = open_product(cubes["alignsar"])
    np.testing.assert_allclose(back.read("timeseries"), ts, atol=1e-7)
    np.testing.assert_allclose(back.read("velocity"), ref["velocity"], atol=1e-6, equal_nan=True)


def test_alignsar_attributes_are_never_defaults(he5):
    """Metadata the product lacks is left out, not invented."""
    product = open_product(he5)
    bare = {k: v for k, v in product.attrs.items() if k not in ("relative_orbit", "beam_mode", "HEADING",
                                                                "CENTER_LINE_UTC")}
    got = alignsar_global_attrs(dataclasses.replace(product, attrs=bare), product.dates)
    for key in ("sar_relative_orbit", "sar_instrument_mode", "sar_view_azimuth", "sar_looks_range"):
        assert key not in got
    assert got["sar_reference_date_time"] == f"{product.dates[0][:4]}-{product.dates[0][4:6]}-{product.dates[0][6:]}"


def _licsbas_cube(path: Path, south_up: bool, alignsar: bool) -> tuple[np.ndarray, list[str], object]:
    """A LiCSBAS_out2nc-layout cube on the real Campi Flegrei grid: lat/lon pixel centres, 'unit' attributes in
    mm, a rioxarray-style spatial_ref, cum = vel * (t - t0)."""
    vel_tif = open_product(CAMPI / "prelim_vel.tif")
    g = vel_tif.grid
    vel = vel_tif.read("data").astype(np.float64)            # mm/yr
    coh = open_product(CAMPI / "prelim_coh.tif").read("data")
    dates = ["20200105", "20200210", "20200401", "20200630", "20201002", "20210110", "20210512"]
    t = decimal_years(dates)
    cum = (vel[None] * (t - t[0])[:, None, None]).astype(np.float32)
    lat, lon = g.lats(), g.lons()
    if south_up:
        lat, cum, vel_s, coh_s = lat[::-1], cum[:, ::-1], vel[::-1], coh[::-1]
    else:
        vel_s, coh_s = vel, coh
    names = ("cum_displacement", "linear_velocity", "mean_coherence") if alignsar else ("cum", "vel", "coh")
    time = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in dates], dtype="datetime64[ns]")
    from pyproj import CRS

    ds = xr.Dataset({names[0]: (("time", "lat", "lon"), cum, {"unit": "mm"}),
                     names[1]: (("lat", "lon"), vel_s.astype(np.float32), {"unit": "mm/year"}),
                     names[2]: (("lat", "lon"), coh_s, {"unit": "unitless"}),
                     "spatial_ref": ((), 0, {"crs_wkt": CRS.from_epsg(4326).to_wkt(),
                                             "spatial_ref": CRS.from_epsg(4326).to_wkt()})},
                    coords={"time": time, "lat": lat, "lon": lon},
                    attrs={"ref_lon": 14.1, "ref_lat": 40.85, "sar_relative_orbit": "22D"})
    for name in names:
        ds[name].attrs["grid_mapping"] = "spatial_ref"
    ds.to_netcdf(path, encoding={"time": {"dtype": "i4"}})
    return vel, dates, g


@pytest.mark.parametrize(("south_up", "alignsar"), [(False, True), (True, False)])
def test_licsbas_alignsar_cube_reads_into_velcumu(tmp_path, south_up, alignsar):
    path = tmp_path / "022D_ALIGNSAR.nc"
    vel, dates, grid = _licsbas_cube(path, south_up, alignsar)
    product = open_product(path)
    assert product.grid.shape == grid.shape
    np.testing.assert_allclose((product.grid.x_first, product.grid.y_first, product.grid.x_step,
                                product.grid.y_step), (grid.x_first, grid.y_first, grid.x_step, grid.y_step),
                               atol=1e-9)
    assert product.dates == dates and product.attrs["REF_LAT"] == "40.85"
    assert {"timeseries", "velocity", "avgSpatialCoherence"} <= set(product.datasets)
    np.testing.assert_allclose(product.read("velocity"), vel / 1000, atol=1e-7, equal_nan=True)
    got = _velcumu(path, tmp_path / "v")
    assert np.isfinite(got["velocity"]).sum() > 50_000
    np.testing.assert_allclose(got["velocity"], vel / 1000, atol=1e-6, equal_nan=True)


def test_projected_cube_round_trip(tmp_path):
    """A projected (EPSG:3413) raster -> cube -> product keeps the grid; x/y centres and GDAL agree."""
    from mimtpy.core.grid import Grid
    from mimtpy.io import write_geotiff

    grid = Grid(50, 40, -180060.0, -2279940.0, 120.0, -120.0, 3413)
    data = np.arange(2000, dtype=np.float32).reshape(40, 50)
    data[3, 4] = np.nan
    tif = write_geotiff(tmp_path / "speed.tif", data, grid, {"FILE_TYPE": "v", "UNIT": "m/year"})
    out = write_cube(tmp_path / "speed.nc", open_product(tif))
    back = open_product(out)
    assert back.grid == grid
    np.testing.assert_array_equal(back.read("v"), data)
    with xr.open_dataset(out) as ds:
        assert ds["y"].attrs["standard_name"] == "projection_y_coordinate" and ds["y"].attrs["units"] == "m"
        np.testing.assert_allclose(ds["y"].values, -2279940.0 - 60.0 - 120.0 * np.arange(40))
        np.testing.assert_allclose(ds["x"].values, -180060.0 + 60.0 + 120.0 * np.arange(50))
        assert int(ds["spatial_ref"].attrs["spatial_epsg"]) == 3413
    with rasterio.open(f"netcdf:{out}:v") as s:
        assert s.crs.to_epsg() == 3413
        np.testing.assert_allclose((s.transform.c, s.transform.a, s.transform.f, s.transform.e),
                                   (grid.x_first, grid.x_step, grid.y_first, grid.y_step))


def test_repeated_dates_refused_on_export(tmp_path):
    from tests.itslive_synth import make_cube

    make_cube(tmp_path / "itslive.nc")
    with pytest.raises(ProductError, match="repeated dates"):
        write_cube(tmp_path / "x.nc", open_product(tmp_path / "itslive.nc"))
    assert not (tmp_path / "x.nc").exists()


def test_bad_cubes_give_clear_errors(tmp_path):
    junk = tmp_path / "junk.nc"
    junk.write_bytes(b"not a netcdf file at all")
    with pytest.raises(ProductError, match=r"junk\.nc: cannot open"):
        open_product(junk)
    irregular = tmp_path / "irregular.nc"
    xr.Dataset({"velocity": (("lat", "lon"), np.zeros((3, 4), np.float32))},
               coords={"lat": [3.0, 2.0, 0.5], "lon": [0.0, 1.0, 2.0, 3.0]}).to_netcdf(irregular)
    with pytest.raises(ProductError, match="'lat' is not regularly spaced"):
        open_product(irregular)
    nocrs = tmp_path / "nocrs.nc"
    xr.Dataset({"vx": (("y", "x"), np.zeros((3, 4), np.float32))},
               coords={"y": [3.0, 2.0, 1.0], "x": [0.0, 1.0, 2.0, 3.0]}).to_netcdf(nocrs)
    with pytest.raises(ProductError, match="cannot tell the CRS"):
        open_product(nocrs)


def test_save_netcdf_script(he5, tmp_path):
    from mimtpy.cli.save_netcdf import main

    work = tmp_path / "in"
    work.mkdir()
    src = work / he5.name
    shutil.copy(he5, src)
    before = src.read_bytes()
    assert main([str(src), "--outdir", str(tmp_path / "out")]) == 0
    out = tmp_path / "out" / f"{src.stem}.nc"
    assert out.exists()
    assert main([str(src), "--outdir", str(tmp_path / "out"), "--alignsar"]) == 0
    with xr.open_dataset(out) as ds:
        assert "cum_displacement" in ds and "sar_relative_orbit" in ds.attrs
    assert src.read_bytes() == before
    mtime = out.stat().st_mtime_ns
    assert main([str(src), "--outdir", str(tmp_path / "out"), "--alignsar"]) == 0     # up to date: skipped
    assert out.stat().st_mtime_ns == mtime
    assert main([str(work / "missing.he5"), "--outdir", str(tmp_path / "out")]) == 2      # found by the plan


def test_horzvert_on_cubes_equals_horzvert_on_hdfeos5(noisy_pair, tmp_path):
    """Two tracks exported to NetCDF give the same east/up decomposition as the HDF-EOS5 files."""
    from mimtpy.analysis import horzvert
    from mimtpy.app import parse_template

    cubes = [write_cube(tmp_path / f"track{i}.nc", open_product(p)) for i, p in enumerate(noisy_pair)]
    results = {}
    for label, tracks in (("he5", noisy_pair), ("nc", cubes)):
        folder = tmp_path / label
        folder.mkdir()
        text = f"mimtpy.horzvert.DataSet = {', '.join(map(str, tracks))}\nmimtpy.horzvert.outdir = {folder}\n"
        cfg = parse_template(text, folder / "hv.template").configs["horzvert"]
        outputs = horzvert.run(cfg, RunContext(folder))
        results[label] = {p.stem: open_product(p) for p in outputs if p.suffix == ".h5"}
    assert sorted(results["he5"]) == sorted(results["nc"]) and results["he5"]
    for stem, ref in results["he5"].items():
        got = results["nc"][stem]
        assert got.grid == ref.grid
        for name in ref.datasets:
            a, b = ref.read(name), got.read(name)
            assert np.isfinite(a).sum() > 1000
            np.testing.assert_allclose(b, a, atol=1e-6, equal_nan=True, err_msg=f"{stem}:{name}")


def test_plot_and_transects_read_cubes_like_h5(he5, tmp_path):
    """A velocity product exported to NetCDF maps and profiles exactly like its .h5."""
    from mimtpy.analysis.profiles import bin_profile, point_profile
    from mimtpy.viz.maps import MapStyle, map_data
    from mimtpy.viz.render import plot_product

    vel_h5 = products.process(he5, "velocity", VelcumuConfig(dataset=(str(he5),), geotiff=False),
                             RunContext(tmp_path, force=True), tmp_path / "v")[0]
    vel_nc = write_cube(tmp_path / "velocity.nc", open_product(vel_h5))
    a, b = map_data(open_product(vel_h5)), map_data(open_product(vel_nc))
    assert a.unit == b.unit and a.extent == pytest.approx(b.extent, abs=1e-9)
    np.testing.assert_array_equal(a.values, b.values)
    assert np.isfinite(a.values).sum() > 1000
    png = plot_product(vel_nc, MapStyle(), tmp_path / "velocity_nc.png")[0]
    assert png.stat().st_size > 10_000
    grid = open_product(vel_h5).grid
    s, n, w, e = grid.snwe
    profile = point_profile((s + 0.2 * (n - s), w + 0.1 * (e - w)), (s + 0.8 * (n - s), w + 0.9 * (e - w)), 2.0)
    pa = bin_profile(profile, open_product(vel_h5), "velocity", 1.0)
    pb = bin_profile(profile, open_product(vel_nc), "velocity", 1.0)
    assert pa.count.sum() > 50
    for field in ("distance", "mean", "median", "std", "count"):
        np.testing.assert_array_equal(getattr(pa, field), getattr(pb, field))


def test_real_geotiff_exports_with_the_same_georeferencing(tmp_path):
    """The real AlignSAR preview (LiCSBAS velocity, Campi Flegrei): GeoTIFF -> NetCDF keeps the grid in GDAL and
    puts the coordinates at pixel centres (half a pixel inside the GeoTIFF's upper-left corner)."""
    from mimtpy.cli.save_netcdf import main

    tif = CAMPI / "prelim_vel.tif"
    assert main([str(tif), "--outdir", str(tmp_path)]) == 0
    nc = tmp_path / "prelim_vel.nc"
    with rasterio.open(tif) as a, rasterio.open(f"netcdf:{nc}:data") as b:
        np.testing.assert_allclose(tuple(b.transform)[:6], tuple(a.transform)[:6], rtol=0, atol=1e-10)
        assert b.crs.to_epsg() == 4326
        np.testing.assert_array_equal(b.read(1), a.read(1))
        ul_x, ul_y, step = a.transform.c, a.transform.f, a.transform.a
    with xr.open_dataset(nc) as ds:
        assert ds["lon"].values[0] == pytest.approx(ul_x + step / 2, abs=1e-12)
        assert ds["lat"].values[0] == pytest.approx(ul_y - step / 2, abs=1e-12)
        assert ul_x == pytest.approx(13.958349, abs=1e-6) and ul_y == pytest.approx(40.973619, abs=1e-6)


def test_merge_real_licsbas_geotiffs_into_an_alignsar_cube(tmp_path):
    """The real LiCSBAS previews (mm/yr velocity and coherence without unit tags) merged into one AlignSAR cube:
    linear_velocity in mm/year equals the GeoTIFF, no sar_* attribute is invented (the GeoTIFFs carry no SAR
    metadata), and the cube reads back in m/yr."""
    from mimtpy.cli.save_netcdf import main

    vel, coh = CAMPI / "prelim_vel.tif", CAMPI / "prelim_coh.tif"
    assert main([str(vel), str(coh), "--merge", "yes", "--outname", "campi_flegrei", "--names", "velocity",
                 "avgSpatialCoherence", "--units", "mm/year", "1", "--alignsar", "--outdir", str(tmp_path)]) == 0
    v_tif, c_tif = open_product(vel).read("data"), open_product(coh).read("data")
    with xr.open_dataset(tmp_path / "campi_flegrei.nc") as ds:
        np.testing.assert_allclose(ds["linear_velocity"].values, v_tif, rtol=1e-6, equal_nan=True)
        assert ds["linear_velocity"].attrs["units"] == "mm/year"
        np.testing.assert_array_equal(ds["mean_coherence"].values, c_tif)
        assert not [k for k in ds.attrs if k.startswith("sar_") and k != "sar_processing_software"]
        assert float(ds.attrs["geospatial_lon_min"]) == pytest.approx(13.958349 + 0.00081 / 2, abs=1e-5)
    back = open_product(tmp_path / "campi_flegrei.nc")
    np.testing.assert_allclose(back.read("velocity"), v_tif / 1000, rtol=1e-6, equal_nan=True)
    assert main([str(vel), str(CAMPI / "prelim_coh.tif"), "--names", "a", "b", "--outdir", str(tmp_path)]) == 2


def test_float32_coordinates_are_regular_within_their_precision(tmp_path):
    lat = (40.97 - 0.00081 * (np.arange(361) + 0.5)).astype(np.float32)
    lon = (13.95 + 0.00081 * (np.arange(431) + 0.5)).astype(np.float32)
    xr.Dataset({"vel": (("lat", "lon"), np.ones((361, 431), np.float32), {"unit": "mm/year"})},
               coords={"lat": lat, "lon": lon}).to_netcdf(tmp_path / "f32.nc")
    g = open_product(tmp_path / "f32.nc").grid
    assert (g.x_first, g.y_first) == pytest.approx((13.95, 40.97), abs=1e-5)
    assert (g.x_step, g.y_step) == pytest.approx((0.00081, -0.00081), rel=1e-4)
