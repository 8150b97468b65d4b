"""GMT/COARDS NetCDF grids (how interpolated GNSS fields are published) open with MintPy's grid convention."""

import netCDF4
import numpy as np
import pytest

from mimtpy.errors import ProductError
from mimtpy.io import open_product


def _write_grid(path, lon, lat, z, units=None):
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("lon", lon.size)
        ds.createDimension("lat", lat.size)
        ds.createVariable("lon", "f8", ("lon",))[:] = lon
        ds.createVariable("lat", "f8", ("lat",))[:] = lat
        var = ds.createVariable("z", "f4", ("lat", "lon"), fill_value=np.float32(np.nan))
        var[:] = z
        if units:
            var.units = units


def test_gmt_grid_stored_south_to_north_opens_north_up_with_outer_corner(tmp_path):
    lon = np.linspace(28.0, 28.04, 5)              # node positions = cell centres
    lat = np.linspace(39.0, 39.03, 4)              # GMT stores rows south to north
    z = (lat[:, None] * 100 + lon[None, :]).astype(np.float32)   # value tells where it is
    z[0, 0] = np.nan
    _write_grid(tmp_path / "interp_N.grd", lon, lat, z, units="mm/yr")
    product = open_product(tmp_path / "interp_N.grd")
    grid = product.grid
    assert (grid.length, grid.width) == (4, 5)
    assert grid.x_first == pytest.approx(27.995) and grid.y_first == pytest.approx(39.035)
    assert grid.x_step == pytest.approx(0.01) and grid.y_step == pytest.approx(-0.01)
    data = product.read("z")
    assert data[0, 0] == pytest.approx(39.03 * 100 + 28.0)     # first row is the northernmost
    assert np.isnan(data[-1, 0])                                 # the NaN node stored first is the south-west one
    assert product.read("z", rows=slice(1, 3), cols=slice(2, 4)) == pytest.approx(data[1:3, 2:4])
    assert product.attrs["UNIT"] == "mm/yr"


def test_netcdf_without_coordinates_is_a_clear_error(tmp_path):
    with netCDF4.Dataset(tmp_path / "bad.grd", "w") as ds:
        ds.createDimension("a", 3)
        ds.createVariable("v", "f4", ("a",))[:] = [1, 2, 3]
    with pytest.raises(ProductError, match=r"bad\.grd: no 1-D lon/lat"):
        open_product(tmp_path / "bad.grd")


@pytest.mark.parametrize("units,scale", [(None, 1e-3), ("mm/yr", 1e-3), ("m/yr", 1.0)])
def test_north_constraint_from_a_gmt_grid_in_its_unit(tmp_path, units, scale, caplog):
    """An interpolated GNSS north field published as a GMT grid: m/yr on the decomposition grid whatever the
    file's unit; a unitless field in mm/yr (|v| of mm/yr) is recognised and said so."""
    from mimtpy.analysis.decompose import north_array
    from mimtpy.core.grid import Grid

    lon, lat = np.linspace(28.0, 28.09, 10), np.linspace(39.0, 39.09, 10)
    north = (5.0 + 10 * (lat[:, None] - 39.0) + 0 * lon[None, :]).astype(np.float32)   # 5-5.9, in the file's unit
    values = north if scale == 1e-3 else north * 1e-3
    _write_grid(tmp_path / "interp_N.grd", lon, lat, values, units=units)
    target = Grid(4, 3, 28.02, 39.07, 0.01, -0.01)               # centres 28.025.., 39.065, 39.055, 39.045
    with caplog.at_level("WARNING"):
        got, _std = north_array(tmp_path / "interp_N.grd", target, "bilinear")[...]
    expected = (5.0 + 10 * (np.array([39.065, 39.055, 39.045]) - 39.0)) * 1e-3
    np.testing.assert_allclose(got, np.repeat(expected[:, None], 4, axis=1), rtol=1e-5)
    assert ("read as mm/yr" in caplog.text) == (units is None)
