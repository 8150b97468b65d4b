"""Grid registration, dates, LOS geometry and the line-fit kernel against their references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mimtpy.core.dates import decimal_years, nearest_index
from mimtpy.core.geometry import enu_to_los, heading_to_azimuth, los_unit_vector
from mimtpy.core.grid import Grid
from mimtpy.core.linfit import fit_lines, fit_lines_numpy
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product

from .conftest import KIRISHIMA


def test_grid_pixel_centres_follow_mintpy_registration_on_real_data():
    """MintPy wrote REF_LAT/REF_LON as the centre of pixel REF_Y/REF_X: first + (i + 0.5) * step."""
    product = open_product(KIRISHIMA / "velocity.h5")
    a = product.attrs
    row, col = product.grid.lalo_to_rowcol(float(a["REF_LAT"]), float(a["REF_LON"]))
    assert (row, col) == (int(a["REF_Y"]), int(a["REF_X"]))
    lat, lon = product.grid.rowcol_to_lalo(row, col)
    assert lat == pytest.approx(float(a["REF_LAT"]), abs=1e-7)
    assert lon == pytest.approx(float(a["REF_LON"]), abs=1e-7)


def test_grid_window_subset_and_attrs_round_trip():
    g = Grid(width=10, length=8, x_first=100.0, y_first=30.0, x_step=0.1, y_step=-0.1)
    assert g.snwe == pytest.approx((29.2, 30.0, 100.0, 101.0))
    rows, cols = g.window((29.5, 29.8, 100.3, 100.6))
    assert (rows, cols) == (slice(2, 5), slice(3, 6))       # centres 29.75..29.55, 100.35..100.55
    sub = g.subset(rows, cols)
    assert sub.x_first == pytest.approx(100.3) and sub.y_first == pytest.approx(29.8)
    assert sub.shape == (3, 3)
    assert Grid.from_attrs(g.to_attrs()) == g
    assert g.transform == (100.0, 0.1, 0.0, 30.0, 0.0, -0.1)
    with pytest.raises(InputError, match="does not overlap"):
        g.window((10, 11, 0, 1))
    with pytest.raises(InputError, match="outside the grid"):
        g.lalo_to_rowcol(31.0, 100.5)


def test_grid_from_attrs_names_missing_attributes_and_reads_utm_zone():
    with pytest.raises(ProductError, match="X_STEP, Y_STEP"):
        Grid.from_attrs({"WIDTH": 1, "LENGTH": 1, "X_FIRST": 0, "Y_FIRST": 0}, "f.h5")
    attrs = {"WIDTH": 2, "LENGTH": 2, "X_FIRST": 5e5, "Y_FIRST": 4e6, "X_STEP": 30, "Y_STEP": -30, "UTM_ZONE": "11N"}
    assert Grid.from_attrs(attrs).epsg == 32611


def test_decimal_years_match_mintpy_definition():
    years = decimal_years(["20180101", "20181231", "20190101"])
    assert years[0] == 2018.0
    assert years[1] == pytest.approx(2018 + 364 / 365.25)
    assert years[2] == 2019.0
    assert nearest_index(["20180101", "20180113", "20180125"], "20180118") == 1


def test_heading_to_azimuth_for_sentinel1():
    assert heading_to_azimuth(-12.0) == pytest.approx(102.0)
    assert heading_to_azimuth(-168.0) == pytest.approx(-102.0)


def test_los_vector_signs():
    """Uplift moves toward the satellite (+); an ascending S1 track looks east, so eastward motion is away (-)."""
    e, n, u = los_unit_vector(40.0, 102.0)
    assert np.sqrt(e**2 + n**2 + u**2) == pytest.approx(1.0)
    assert u == pytest.approx(np.cos(np.deg2rad(40)))
    assert enu_to_los(1.0, 0.0, 0.0, 40.0, 102.0) < 0          # ascending, moving east
    assert enu_to_los(1.0, 0.0, 0.0, 40.0, -102.0) > 0         # descending looks west
    assert enu_to_los(0.0, 1.0, 0.0, 40.0, 102.0) < 0          # ascending flies NNW: north is slightly away


def _random_block(rng, n=60, p=5000, nan_fraction=0.1):
    t = np.sort(rng.uniform(2016, 2021, n))
    y = (rng.normal(0, 0.01, (n, p)) + np.outer(t - 2016, rng.normal(0, 0.03, p))).astype(np.float32)
    y[rng.random(y.shape) < nan_fraction] = np.nan
    return y, t


def test_kernel_equals_numpy_reference_on_random_input():
    rng = np.random.default_rng(1)
    y, t = _random_block(rng)
    y[:, :10] = np.nan                       # no data at all
    y[:-2, 10:20] = np.nan                   # only two epochs: slope but no std
    y[-2:, 10:20] = [[0.0], [0.01]]
    a, b = fit_lines(y, t, 2), fit_lines_numpy(y, t, 2)
    np.testing.assert_allclose(a[0], b[0], rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-9, atol=1e-15, equal_nan=True)
    np.testing.assert_array_equal(a[2], b[2])
    assert np.isnan(a[0][:10]).all() and np.isfinite(a[0][10:20]).all() and np.isnan(a[1][10:20]).all()


def test_kernel_matches_scipy_linregress_per_pixel():
    rng = np.random.default_rng(2)
    y, t = _random_block(rng, p=50)
    slope, std, count = fit_lines(y, t, 3)
    for j in range(50):
        ok = ~np.isnan(y[:, j])
        ref = stats.linregress(t[ok], y[ok, j].astype(np.float64))
        assert slope[j] == pytest.approx(ref.slope, abs=1e-10)
        assert std[j] == pytest.approx(ref.stderr, rel=1e-8)
        assert count[j] == ok.sum()


def test_min_count_leaves_sparse_pixels_empty():
    t = np.arange(10.0)
    y = np.tile(t[:, None] * 2.0, (1, 3)).astype(np.float32)
    y[:6, 1] = np.nan                       # 4 valid epochs
    slope, _std, count = fit_lines(y, t, 5)
    assert slope[0] == pytest.approx(2.0) and np.isnan(slope[1]) and count[1] == 4


def test_fit_lines_rejects_mismatched_shapes():
    with pytest.raises(InputError, match="epoch"):
        fit_lines(np.zeros((5, 3), np.float32), np.arange(4.0))


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_resampled_array_blocks_equal_whole_grid_resampling(method):
    from mimtpy.core.arrays import ResampledArray
    from mimtpy.core.resample import resample
    rng = np.random.default_rng(3)
    src = Grid(57, 43, -118.3, 34.3, 0.0031, -0.0029)
    data = rng.normal(size=(43, 57)).astype(np.float32)
    data[rng.random(data.shape) < 0.1] = np.nan
    targets = (Grid(80, 70, -118.31, 34.31, 0.002, -0.002),                       # finer, shifted
               Grid(30, 20, -118.25, 34.28, 0.0062, -0.0058),                     # coarser
               Grid(40, 30, -118.3 + 5 * 0.0031, 34.3 - 3 * 0.0029, 0.0031, -0.0029))  # same lattice
    for dst in targets:
        whole = resample(data, src, dst, method)
        lazy = ResampledArray(data, src, dst, method)
        blocks = np.concatenate([lazy[r:r + 7, :] for r in range(0, dst.length, 7)])
        np.testing.assert_array_equal(blocks, whole)
        cube = ResampledArray(np.stack([data, 2 * data]), src, dst, method)[:, 3:11, 5:20]
        np.testing.assert_allclose(cube[1], 2 * whole[3:11, 5:20], atol=1e-6)
        assert np.isfinite(whole).sum() > 100
