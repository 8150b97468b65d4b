"""Strain rates against analytic answers: pure shear, simple shear, rigid rotation and a general linear field,
on a projected (UTM, y decreasing down the rows) and on a geographic grid (WGS84 metres per degree taken
from pyproj's geodesics, independent of the implementation)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from pyproj import Geod

from mimtpy.core.grid import Grid
from mimtpy.datacube.kinematics import strain_rates
from mimtpy.io import write_geotiff

UTM = Grid(41, 31, 500000.0, 4500000.0, 100.0, -100.0, 32633)
GEO = Grid(41, 31, 10.0, 46.0, 0.001, -0.001, 4326)
GEOD = Geod(ellps="WGS84")
TOL = 1e-6           # relative to the largest rate of the field


def centres(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(grid.lons(), grid.lats())


def mx(lat):
    """Metres per degree of longitude along the parallel (pyproj geodesic over 1e-4 degree)."""
    lat = np.asarray(lat, dtype=np.float64)
    return np.asarray(GEOD.inv(np.zeros_like(lat), lat, np.full_like(lat, 1e-4), lat)[2]) / 1e-4


def my(lat):
    """Metres per degree of latitude along the meridian (pyproj geodesic over 1e-4 degree)."""
    lat = np.asarray(lat, dtype=np.float64)
    return np.asarray(GEOD.inv(np.zeros_like(lat), lat - 5e-5, np.zeros_like(lat), lat + 5e-5)[2]) / 1e-4


def linear_field(grid: Grid, L: np.ndarray):
    """u, v = L @ (E, N) and the exact gradient arrays (dudx, dudy, dvdx, dvdy) at every pixel centre.

    Projected: E, N = x - xc, y - yc. Geographic: E = (lon - lon0) mx(lat), N = (lat - lat0) my(lat0), so
    d/dy of E carries (lon - lon0) mx'(lat) / my(lat)."""
    X, Y = centres(grid)
    xc, yc = X.mean(), Y.mean()
    if grid.epsg != 4326:
        E, N = X - xc, Y - yc
        ones = np.ones_like(X)
        grads = (L[0, 0] * ones, L[0, 1] * ones, L[1, 0] * ones, L[1, 1] * ones)
    else:
        E, N = (X - xc) * mx(Y), (Y - yc) * my(yc)
        dmx = (mx(Y + 1e-3) - mx(Y - 1e-3)) / 2e-3          # d mx / d lat per degree
        dEdy = (X - xc) * dmx / my(Y)
        dNdy = my(yc) / my(Y)
        grads = (L[0, 0] * np.ones_like(X), L[0, 0] * dEdy + L[0, 1] * dNdy,
                 L[1, 0] * np.ones_like(X), L[1, 0] * dEdy + L[1, 1] * dNdy)
    return L[0, 0] * E + L[0, 1] * N, L[1, 0] * E + L[1, 1] * N, grads


def truth(grads) -> dict[str, np.ndarray]:
    """Tensor, principal rates/azimuth (eigen-decomposition), rotation and effective rate of exact gradients."""
    dudx, dudy, dvdx, dvdy = grads
    exy = 0.5 * (dudy + dvdx)
    tensor = np.stack([np.stack([dudx, exy], -1), np.stack([exy, dvdy], -1)], -2)
    vals, vecs = np.linalg.eigh(tensor)                    # ascending
    e1_vec = vecs[..., :, 1]
    return {"exx": dudx, "eyy": dvdy, "exy": exy, "e1": vals[..., 1], "e2": vals[..., 0],
            "rotation": 0.5 * (dvdx - dudy), "effective": np.sqrt(0.5 * (dudx**2 + dvdy**2) + exy**2),
            "e1_azimuth": np.mod(np.degrees(np.arctan2(e1_vec[..., 0], e1_vec[..., 1])), 180.0)}


def check(res: dict, expect: dict, scale: float, azimuth: bool = True) -> None:
    """Every pixel, edges included (one-sided differences there, exact for linear fields)."""
    for key in ("exx", "eyy", "exy", "e1", "e2", "rotation", "effective"):
        assert np.isfinite(res[key]).all()
        np.testing.assert_allclose(res[key], expect[key], rtol=0, atol=TOL * scale, err_msg=key)
    if azimuth:
        diff = np.mod(res["e1_azimuth"] - expect["e1_azimuth"] + 90.0, 180.0) - 90.0
        assert np.abs(diff).max() < 1e-3                 # degrees


CASES = {
    "pure shear": np.array([[0.02, 0.0], [0.0, -0.02]]),
    "simple shear": np.array([[0.0, 0.03], [0.0, 0.0]]),
    "rigid rotation": np.array([[0.0, -0.01], [0.01, 0.0]]),
    "general": np.array([[0.011, -0.023], [0.007, -0.004]]),
}


@pytest.mark.parametrize("grid", [UTM, GEO], ids=["utm", "geographic"])
@pytest.mark.parametrize("case", list(CASES))
def test_linear_fields_give_the_analytic_tensor(grid, case):
    L = CASES[case]
    u, v, grads = linear_field(grid, L)
    res = strain_rates(grid, u, v)
    expect = truth(grads)
    check(res, expect, np.abs(L).max(), azimuth=case not in ("rigid rotation",))


def test_named_answers_on_a_projected_grid():
    """The textbook values, written out: signs of d/dy with y decreasing down the rows, rotation sign and
    principal directions."""
    inner = (slice(1, -1), slice(1, -1))
    a, g, w = 0.02, 0.03, 0.01
    res = strain_rates(UTM, *linear_field(UTM, CASES["pure shear"])[:2])
    for key, val in (("exx", a), ("eyy", -a), ("exy", 0), ("e1", a), ("e2", -a), ("effective", a), ("rotation", 0),
                     ("e1_azimuth", 90.0)):
        np.testing.assert_allclose(res[key][inner], val, atol=1e-6 * a, err_msg=key)
    res = strain_rates(UTM, *linear_field(UTM, CASES["simple shear"])[:2])      # u = g * y (north)
    for key, val in (("exx", 0), ("eyy", 0), ("exy", g / 2), ("e1", g / 2), ("e2", -g / 2), ("effective", g / 2),
                     ("rotation", -g / 2), ("e1_azimuth", 45.0)):
        np.testing.assert_allclose(res[key][inner], val, atol=1e-6 * g, err_msg=key)
    res = strain_rates(UTM, *linear_field(UTM, CASES["rigid rotation"])[:2])    # anticlockwise
    for key, val in (("exx", 0), ("eyy", 0), ("exy", 0), ("e1", 0), ("e2", 0), ("effective", 0), ("rotation", w)):
        np.testing.assert_allclose(res[key][inner], val, atol=1e-6 * w, err_msg=key)


def test_flow_aligned_components_rotate_the_tensor():
    L = CASES["general"]
    u, v, grads = linear_field(UTM, L)
    u, v = u + 3.0, v - 1.5                              # flow direction varies across the grid
    res = strain_rates(UTM, u, v)
    e = truth(grads)
    a = np.arctan2(v, u)
    t = np.stack([np.cos(a), np.sin(a)], -1)
    n = np.stack([-np.sin(a), np.cos(a)], -1)
    E = np.stack([np.stack([e["exx"], e["exy"]], -1), np.stack([e["exy"], e["eyy"]], -1)], -2)
    inner = (slice(1, -1), slice(1, -1))
    for key, (p, q) in (("longitudinal", (t, t)), ("transverse", (n, n)), ("shear", (t, n))):
        expect = np.einsum("...i,...ij,...j->...", p, E, q)
        np.testing.assert_allclose(res[key][inner], expect[inner], atol=1e-6 * np.abs(L).max(), err_msg=key)


def test_log_strain_rates():
    """Alley et al. (2018) log rates: ln(1 + du/dx * 1 yr) per year; shear from the angle change."""
    inner = (slice(1, -1), slice(1, -1))
    L = np.array([[0.3, 0.5], [0.0, -0.2]])
    u, v, _ = linear_field(UTM, L)
    res = strain_rates(UTM, u, v, method="log")
    np.testing.assert_allclose(res["exx"][inner], np.log(1.3), atol=1e-6)
    np.testing.assert_allclose(res["eyy"][inner], np.log(0.8), atol=1e-6)
    np.testing.assert_allclose(res["exy"][inner], 0.5 * np.arctan(0.5), atol=1e-6)
    small = strain_rates(UTM, *linear_field(UTM, CASES["general"] * 1e-3)[:2], method="log")
    nominal = strain_rates(UTM, *linear_field(UTM, CASES["general"] * 1e-3)[:2])
    np.testing.assert_allclose(small["exx"][inner], nominal["exx"][inner], rtol=1e-4)


def test_upscale_half_width_and_edges():
    """Central differences over 2k pixels are exact for a quadratic; with k > 1, k pixels at each edge are NaN."""
    X, Y = centres(UTM)
    c, k = 1e-6, 3
    u = c * (X - X.mean()) ** 2
    v = c * (Y - Y.mean()) ** 2
    res = strain_rates(UTM, u, v, k=k)
    inner = (slice(k, -k), slice(k, -k))
    np.testing.assert_allclose(res["exx"][inner], (2 * c * (X - X.mean()))[inner], atol=1e-9)
    np.testing.assert_allclose(res["eyy"][inner], (2 * c * (Y - Y.mean()))[inner], atol=1e-9)
    assert np.isnan(res["exx"][:, :k]).all() and np.isnan(res["exx"][:, -k:]).all()
    assert np.isnan(res["eyy"][:k]).all() and np.isnan(res["eyy"][-k:]).all()
    assert np.isfinite(res["exx"][inner]).all()


def test_row_blocks_with_halo_equal_one_block():
    u, v, _ = linear_field(UTM, CASES["general"])
    u = u + 1e-4 * (np.arange(u.size).reshape(u.shape) % 7)     # not linear: halo errors would show
    one = strain_rates(UTM, u, v, k=2, max_memory_gb=8)
    many = strain_rates(UTM, u, v, k=2, max_memory_gb=1e-7)       # one row per block
    for key in one:
        np.testing.assert_array_equal(one[key], many[key])


def test_nodata_propagates_to_the_neighbours_only():
    u, v, _ = linear_field(UTM, CASES["pure shear"])
    u[10, 10] = np.nan
    res = strain_rates(UTM, u, v)
    assert np.isnan(res["exx"][10, [9, 11]]).all() and np.isnan(res["exy"][[9, 11], 10]).all()
    assert np.isfinite(res["exx"][10, 12]) and np.isfinite(res["eyy"][12, 10])


def test_flux_divergence():
    X, Y = centres(UTM)
    x, y = X - X.mean(), Y - Y.mean()
    h0, s, a, b, u0 = 800.0, 0.05, 0.01, -0.004, 120.0
    H = h0 + s * x
    u, v = a * x + u0, b * y
    res = strain_rates(UTM, u, v, thickness=H)
    expect = s * u + H * a + H * b
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(res["flux_divergence"][inner], expect[inner], rtol=1e-5)


@pytest.mark.parametrize("grid", [UTM, GEO], ids=["utm", "geographic"])
def test_strain_rates_script_on_two_rasters(grid, tmp_path):
    from mimtpy.cli.strain_rates import main

    L = CASES["general"]
    u, v, grads = linear_field(grid, L)
    vx = write_geotiff(tmp_path / "vx.tif", u, grid, {"UNIT": "m/year"})
    vy = write_geotiff(tmp_path / "vy.tif", v, grid, {"UNIT": "m/year"})
    assert main([str(vx), str(vy), "--outdir", str(tmp_path / "out"), "--figure", "no"]) == 0
    expect = truth(grads)
    inner = (slice(1, -1), slice(1, -1))
    for name in ("exx", "exy", "eyy", "e1", "e2", "effective", "rotation"):
        with rasterio.open(tmp_path / "out" / f"{name}.tif") as src:
            assert src.crs.to_epsg() == grid.epsg
            np.testing.assert_allclose(tuple(src.transform)[:6], (grid.x_step, 0, grid.x_first, 0, grid.y_step,
                                                                  grid.y_first))
            assert src.tags()["UNIT"] == ("radian/year" if name == "rotation" else "1/year")
            data = src.read(1)
        # float32 rasters: velocities of ~100 m/yr carry ~1e-5 m/yr of rounding over 100 m spacing
        np.testing.assert_allclose(data[inner], expect[name][inner], atol=2e-6 * np.abs(L).max() * 10, err_msg=name)
    with rasterio.open(tmp_path / "out" / "e1.tif") as a, rasterio.open(tmp_path / "out" / "e2.tif") as b:
        assert (a.read(1)[inner] >= b.read(1)[inner]).all()


def test_strain_rates_script_errors(tmp_path, capsys):
    from mimtpy.cli.strain_rates import main

    u, v, _ = linear_field(UTM, CASES["general"])
    vx = write_geotiff(tmp_path / "vx.tif", u, UTM)
    other = Grid(41, 31, 500050.0, 4500000.0, 100.0, -100.0, 32633)
    vy = write_geotiff(tmp_path / "vy.tif", v, other)
    assert main([str(vx), str(vy), "--outdir", str(tmp_path / "out")]) == 1
    assert "different grids" in capsys.readouterr().err
    assert main([str(vx), "--outdir", str(tmp_path / "out")]) == 1
    assert "no x velocity component" in capsys.readouterr().err
    assert main([str(vx), str(vx), "--period", "2019_2018", "--outdir", str(tmp_path / "out")]) == 2   # plan
    assert "period" in capsys.readouterr().err
    assert not (tmp_path / "out" / "exx.tif").exists()


def test_strain_rates_script_flux_divergence(tmp_path, capsys):
    from mimtpy.cli.strain_rates import main

    X, Y = centres(UTM)
    x, y = X - X.mean(), Y - Y.mean()
    H = 800.0 + 0.05 * x
    u, v = 0.01 * x + 120.0, -0.004 * y
    vx = write_geotiff(tmp_path / "vx.tif", u, UTM)
    vy = write_geotiff(tmp_path / "vy.tif", v, UTM)
    th = write_geotiff(tmp_path / "H.tif", H, UTM)
    assert main([str(vx), str(vy), "--thickness", str(th), "--outdir", str(tmp_path / "out"), "--figure", "no"]) == 0
    with rasterio.open(tmp_path / "out" / "flux_divergence.tif") as src:
        got = src.read(1)
        assert src.tags()["UNIT"] == "m/year"
    expect = 0.05 * u + H * 0.01 + H * -0.004
    np.testing.assert_allclose(got[1:-1, 1:-1], expect[1:-1, 1:-1], rtol=1e-4)
    other = write_geotiff(tmp_path / "H2.tif", H[:-1], Grid(41, 30, 500000.0, 4500000.0, 100.0, -100.0, 32633))
    assert main([str(vx), str(vy), "--thickness", str(other), "--outdir", str(tmp_path / "o2")]) == 1
    assert "is not the velocity grid" in capsys.readouterr().err
