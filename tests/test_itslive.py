"""ITS_LIVE-format cubes (synthesised in tests/itslive_synth.py, NetCDF and Zarr): reading with unsorted,
duplicated mid_date and -32767 fill, composites against an independent per-pixel computation, and strain rates
against an independent finite-difference computation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from mimtpy.datacube.fields import velocity_fields
from mimtpy.errors import InputError
from mimtpy.io import open_product
from tests.itslive_synth import STEP, make_cube


@pytest.fixture(scope="module", params=["netcdf", "zarr"])
def cube(request, tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp(f"itslive_{request.param}")
    path = folder / ("cube.zarr" if request.param == "zarr" else "cube.nc")
    return path, make_cube(path, request.param)


def file_order(src: dict) -> list[int]:
    """Layer order by mid_date, ties kept in file order (written independently of the reader)."""
    stamps = [str(m) for m in src["mid_date"]]
    return sorted(range(len(stamps)), key=lambda i: (stamps[i], i))


def test_reads_unsorted_duplicated_mid_date_and_fill(cube):
    path, src = cube
    product = open_product(path)
    g = product.grid
    assert (g.epsg, g.x_step, g.y_step) == (3413, STEP, -STEP)
    assert g.x_first == src["x"][0] - STEP / 2 and g.y_first == src["y"][0] + STEP / 2
    order = file_order(src)
    assert product.dates == [str(src["mid_date"][i])[:10].replace("-", "") for i in order]
    assert len(set(product.dates)) < len(product.dates)                 # duplicates are kept
    assert product.datasets["vx"].unit == "m/year"
    vx = product.read("vx")
    assert not (vx == -32767).any()
    for pos, i in enumerate(order):
        np.testing.assert_array_equal(vx[pos], src["vx"][i])            # NaN where the file holds -32767
    assert np.isnan(vx).sum() == np.isnan(src["vx"]).sum() > 0
    picked = product.read("v_error", slice(5, 9), slice(2, 30), np.array([5, 1, 1, 9]))
    np.testing.assert_array_equal(picked, src["v_error"][[order[5], order[1], order[1], order[9]], 5:9, 2:30])


def test_undeclared_fill_value_is_still_nodata(tmp_path):
    src = make_cube(tmp_path / "raw.nc", declare_fill=False)
    import xarray as xr

    with xr.open_dataset(tmp_path / "raw.nc") as ds:
        assert ds["vx"].dtype == np.int16 and "_FillValue" not in ds["vx"].encoding
    product = open_product(tmp_path / "raw.nc")
    vx = product.read("vx")
    assert vx.dtype == np.float32 and not (vx == -32767).any()
    assert np.isnan(vx).sum() == np.isnan(src["vx"]).sum()


def independent_weighted_median(vals: np.ndarray, errs: np.ndarray) -> tuple[float, int]:
    ok = np.isfinite(vals) & np.isfinite(errs) & (errs > 0)
    if not ok.any():
        return np.nan, 0
    pairs = sorted(zip(vals[ok], 1.0 / errs[ok] ** 2, strict=True))
    total = sum(w for _, w in pairs)
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        if acc >= 0.5 * total:
            return value, int(ok.sum())
    raise AssertionError("unreachable")


def test_composite_against_independent_computation(cube):
    path, src = cube
    period = ("20170601", "20190101")
    fields = velocity_fields([path], period=period)
    assert len(fields) == 1
    f = fields[0]
    days = [str(m)[:10].replace("-", "") for m in src["mid_date"]]
    layers = [i for i, d in enumerate(days) if period[0] <= d <= period[1]]
    assert 5 <= len(layers) < len(days)
    ny, nx = src["vx"].shape[1:]
    for r in range(0, ny, 3):
        for c in range(0, nx, 3):
            med_x, n = independent_weighted_median(src["vx"][layers, r, c], src["v_error"][layers, r, c])
            med_y, _ = independent_weighted_median(src["vy"][layers, r, c], src["v_error"][layers, r, c])
            assert f.data["count"][r, c] == n
            np.testing.assert_allclose(f.data["vx"][r, c], np.float32(med_x), rtol=0, atol=0)
            np.testing.assert_allclose(f.data["vy"][r, c], np.float32(med_y), rtol=0, atol=0)
    plain = velocity_fields([path], period=period, how="median", error="none")[0]
    np.testing.assert_allclose(plain.data["vx"], np.nanmedian(src["vx"][layers], axis=0), atol=1e-3)
    mean = velocity_fields([path], period=period, how="mean")[0]
    np.testing.assert_allclose(mean.data["vy"], np.nanmean(src["vy"][layers], axis=0), atol=1e-3)
    summer = velocity_fields([path], months=(6, 7, 8))[0]
    n_summer = sum(1 for d in days if d[4:6] in ("06", "07", "08"))
    assert summer.data["count"].max() == n_summer


def fd_strain(vx: np.ndarray, vy: np.ndarray, dx: float, dy: float) -> dict[str, np.ndarray]:
    """Independent finite differences with numpy.gradient (dy negative: y decreases down the rows)."""
    dudx, dvdx = np.gradient(vx, dx, axis=1), np.gradient(vy, dx, axis=1)
    dudy, dvdy = np.gradient(vx, dy, axis=0), np.gradient(vy, dy, axis=0)
    exy = 0.5 * (dudy + dvdx)
    root = np.sqrt((0.5 * (dudx - dvdy)) ** 2 + exy**2)
    return {"exx": dudx, "eyy": dvdy, "exy": exy, "rotation": 0.5 * (dvdx - dudy),
            "e1": 0.5 * (dudx + dvdy) + root, "e2": 0.5 * (dudx + dvdy) - root,
            "effective": np.sqrt(0.5 * (dudx**2 + dvdy**2) + exy**2)}


def test_strain_rates_script_on_cube_matches_finite_differences(cube, tmp_path):
    from mimtpy.cli.strain_rates import main

    path, src = cube
    out = tmp_path / "strain"
    assert main([str(path), "--period", "20170601_20190101", "--outdir", str(out)]) == 0
    with rasterio.open(out / "vx.tif") as a, rasterio.open(out / "vy.tif") as b:
        vx, vy = a.read(1).astype(np.float64), b.read(1).astype(np.float64)
        assert a.crs.to_epsg() == 3413
        assert (a.transform.c, a.transform.f) == (src["x"][0] - STEP / 2, src["y"][0] + STEP / 2)
    expect = fd_strain(vx, vy, STEP, -STEP)
    for name, val in expect.items():
        with rasterio.open(out / f"{name}.tif") as s:
            got = s.read(1)
        assert np.array_equal(np.isnan(got), np.isnan(val)), name
        assert np.isfinite(val).sum() > 0.5 * val.size
        np.testing.assert_allclose(got, val, rtol=1e-5, atol=1e-7, equal_nan=True, err_msg=name)
    # the composite is close to the known field, so the strain rates are close to its analytic gradient
    from tests.itslive_synth import X0

    xs = (src["x"][None, :] - X0) / 1e4
    dudx_true = (800.0 + 800.0 * xs) / 1e4 + 0 * src["y"][:, None]
    with rasterio.open(out / "exx.tif") as s:
        exx = s.read(1)
    assert np.nanmedian(np.abs(exx - dudx_true)) < 0.02
    assert (out / "strain.png").stat().st_size > 10_000


def test_annual_composites_and_boxes(cube, tmp_path):
    from mimtpy.cli.strain_rates import main

    path, src = cube
    assert main([str(path), "--annual", "yes", "--outdir", str(tmp_path / "annual"), "--figure", "no"]) == 0
    years = sorted(p.name for p in (tmp_path / "annual").iterdir() if p.is_dir())
    assert years == ["2017", "2018", "2019"]
    x, y = src["x"], src["y"]
    box = [str(v) for v in (x[5] - 1, y[20] - 1, x[14] + 1, y[8] + 1)]       # xmin ymin xmax ymax, cube CRS
    assert main([str(path), "--bbox", *box, "--outdir", str(tmp_path / "box"), "--figure", "no"]) == 0
    with rasterio.open(tmp_path / "box" / "exx.tif") as s:
        assert (s.width, s.height) == (10, 13)
        assert (s.transform.c, s.transform.f) == (x[5] - STEP / 2, y[8] + STEP / 2)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(3413, 4326, always_xy=True).transform([x[10], x[30]], [y[10], y[25]])
    snwe = [str(v) for v in (min(lat), max(lat), min(lon), max(lon))]
    fields = velocity_fields([path], snwe=tuple(float(v) for v in snwe))
    g = fields[0].grid
    assert g.x_first <= x[10] and g.x_first + g.width * g.x_step >= x[30]
    assert g.width < len(x) or g.length < len(y)


def test_weighted_composite_needs_an_error(cube):
    path, _ = cube
    with pytest.raises(InputError, match="needs an error variable"):
        velocity_fields([path], error="none", how="weighted_median")
    with pytest.raises(InputError, match="no layer in period"):
        velocity_fields([path], period=("20000101", "20001231"))


def test_composite_in_row_blocks_equals_one_block(cube):
    path, _ = cube
    one = velocity_fields([path], max_memory_gb=8)[0].data
    many = velocity_fields([path], max_memory_gb=1e-6)[0].data       # one row per block
    for key in one:
        np.testing.assert_array_equal(one[key], many[key])
