"""Footprints (contain every valid pixel) and conversions to GeoTIFF with units (real PyRate data, ROI_PAC)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from mimtpy.cli import generate_track_polygon, h5unw_to_geotiff
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product
from mimtpy.io.vectors import geometry_parts, read_lines
from mimtpy.tools import convert, footprint

from .conftest import DATA

PYRATE_UNW = DATA / "pyrate_mexico_cropA" / "cropA_20180106-20180130_VV_8rlks_eqa_unw.tif"


def test_data_footprint_contains_every_valid_pixel(noisy_pair):
    product = open_product(noisy_pair[1])
    geom = footprint.footprint(product, "data")
    valid = footprint.valid_mask(product)
    lon, lat = np.meshgrid(product.grid.lons(), product.grid.lats())
    assert shapely.contains_xy(geom, lon[valid], lat[valid]).all()
    assert not shapely.contains_xy(geom, lon[~valid], lat[~valid]).any()      # holes stay holes
    box = footprint.footprint(product, "grid")
    assert geom.area < box.area and box.bounds == pytest.approx((product.grid.snwe[2], product.grid.snwe[0],
                                                                 product.grid.snwe[3], product.grid.snwe[1]))
    corners = footprint.footprint(product, "attributes")            # the scene corners of the swath
    assert shapely.contains_xy(corners.buffer(product.grid.x_step), lon[valid], lat[valid]).mean() > 0.97
    with pytest.raises(ProductError, match="needs LAT_REF1, LON_REF1"):
        footprint.footprint(open_product(PYRATE_UNW), "attributes")


def test_footprint_formats_round_trip(noisy_pair, tmp_path):
    product = open_product(noisy_pair[0])
    geom = footprint.footprint(product, "data")
    for suffix in (".geojson", ".shp", ".kml"):
        out = footprint.write_footprint(geom, tmp_path / f"fp{suffix}", "AT100")
        back = gpd.read_file(out).geometry.union_all()
        assert back.symmetric_difference(geom).area < 1e-9 * geom.area + 1e-12, suffix
    gmt = footprint.write_footprint(geom, tmp_path / "fp.gmt", "AT100")
    rings = read_lines(gmt)
    assert sum(len(r) for r in rings) == sum(len(r) for r in geometry_parts(geom))
    with pytest.raises(InputError, match="unknown footprint format"):
        footprint.write_footprint(geom, tmp_path / "fp.xyz", "AT100")


def test_track_polygon_script(noisy_pair, tmp_path, capsys):
    assert generate_track_polygon.main([str(noisy_pair[0]), "-o", str(tmp_path / "a.geojson"),
                                        "-o", str(tmp_path / "a.gmt"), "-q"]) == 0
    assert (tmp_path / "a.geojson").exists() and (tmp_path / "a.gmt").exists()


def test_pyrate_radians_to_metres_and_millimetres(tmp_path):
    src = open_product(PYRATE_UNW)
    phase = src.read("data")
    wavelength = 0.05550415767769124
    out = convert.to_geotiff(PYRATE_UNW, None, tmp_path / "m.tif", "m")
    metres = open_product(out)
    np.testing.assert_allclose(metres.read("displacement"), -wavelength / (4 * np.pi) * phase, rtol=1e-6)
    assert metres.attrs["UNIT"] == "m" and metres.grid == src.grid
    mm = open_product(convert.to_geotiff(out, None, tmp_path / "mm.tif", "mm")).read("displacement")
    np.testing.assert_allclose(mm, 1000 * metres.read("displacement"), rtol=1e-6)
    back = open_product(convert.to_geotiff(tmp_path / "mm.tif", None, tmp_path / "rad.tif", "radian"))
    np.testing.assert_allclose(back.read("unwrapPhase"), phase, rtol=1e-5)
    assert back.attrs["UNIT"] == "radian"
    assert np.isnan(metres.read("displacement")).sum() == np.isnan(phase).sum() > 0   # nodata 0 stays no data


def test_conversion_errors(noisy_pair, tmp_path):
    with pytest.raises(InputError, match="cannot convert 'm' to 'm/year'"):
        convert.conversion("m", "m/year", None, "x")
    with pytest.raises(InputError, match="needs the wavelength"):
        convert.conversion("radian", "m", None, "x")
    with pytest.raises(InputError, match="is a time series; choose an epoch with --date"):
        convert.to_geotiff(noisy_pair[0], "timeseries", tmp_path / "t.tif")
    dates = open_product(noisy_pair[0]).dates
    out = convert.to_geotiff(noisy_pair[0], "timeseries", tmp_path / "t.tif", "cm", date=dates[-1])
    epoch = open_product(noisy_pair[0]).read("timeseries", epochs=np.array([len(dates) - 1]))[0]
    np.testing.assert_allclose(open_product(out).read("displacement"), 100 * epoch, rtol=1e-6)


def write_roipac(folder: Path, phase: np.ndarray, amplitude: np.ndarray, grid: Grid) -> Path:
    path = folder / "filt_20180106-20180130.unw"
    bil = np.stack([amplitude, phase], axis=1).astype(np.float32)       # (line, band, sample)
    bil.tofile(path)
    rsc = {"WIDTH": grid.width, "FILE_LENGTH": grid.length, "X_FIRST": grid.x_first, "Y_FIRST": grid.y_first,
           "X_STEP": grid.x_step, "Y_STEP": grid.y_step, "WAVELENGTH": 0.0555}
    path.with_name(path.name + ".rsc").write_text("".join(f"{k:<20}{v}\n" for k, v in rsc.items()))
    return path


def test_roipac_unw_reader_and_script(tmp_path, capsys):
    grid = Grid(12, 7, 100.0, 20.0, 0.01, -0.01)
    rng = np.random.default_rng(0)
    phase = rng.normal(0, 5, grid.shape).astype(np.float32)
    amp = rng.uniform(1, 2, grid.shape).astype(np.float32)
    amp[0, 0] = phase[0, 0] = 0                                           # ROI_PAC no data
    path = write_roipac(tmp_path, phase, amp, grid)
    product = open_product(path)
    assert product.family == "roipac" and product.grid == grid
    got = product.read("unwrapPhase")
    assert np.isnan(got[0, 0])
    np.testing.assert_array_equal(got[1:], phase[1:])
    assert h5unw_to_geotiff.main([str(path), "--unit", "mm", "-o", str(tmp_path / "d.tif"), "-q"]) == 0
    np.testing.assert_allclose(open_product(tmp_path / "d.tif").read("displacement")[1:],
                               -55.5 / (4 * np.pi) * phase[1:], rtol=1e-5)
    path.write_bytes(path.read_bytes()[:-4])
    assert h5unw_to_geotiff.main([str(path), "-q"]) == 1
    assert "bytes, expected" in capsys.readouterr().err
