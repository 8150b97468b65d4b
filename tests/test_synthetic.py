"""The synthetic generator: geometry, sources and products pinned against their analytic truth."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from mimtpy.errors import InputError
from mimtpy.io import open_product
from mimtpy.models import mogi, screw_dislocation
from mimtpy.tools import scene
from mimtpy.tools.synthetic import SyntheticConfig

from .conftest import make_products, synthetic_config


def test_products_have_mintpy_hdfeos5_layout_and_s1_geometry(noisy_pair):
    asc, desc = (open_product(p) for p in noisy_pair)
    for product, direction, az in ((asc, "ASCENDING", 102.0), (desc, "DESCENDING", -102.0)):
        assert product.family == "hdfeos5" and product.attrs["ORBIT_DIRECTION"] == direction
        assert {"timeseries", "temporalCoherence", "mask", "incidenceAngle", "azimuthAngle", "height"} <= set(
            product.datasets)
        inc = product.read("incidenceAngle")
        assert 30.4 < np.nanmin(inc) < 31.5 and 45.0 < np.nanmax(inc) < 46.0
        assert np.nanmedian(product.read("azimuthAngle")) == pytest.approx(az, abs=1.0)
        ts = product.read("timeseries")
        r, c = int(product.attrs["REF_Y"]), int(product.attrs["REF_X"])
        assert np.all(ts[:, r, c] == 0) and np.all(np.nan_to_num(ts[0]) == 0)
        assert np.isnan(ts).any()
    # ascending: near range (low incidence) in the west; descending: near range in the east
    inc_a, inc_d = asc.read("incidenceAngle"), desc.read("incidenceAngle")
    mid = inc_a.shape[0] // 2
    assert np.nanmean(inc_a[mid, :10]) < np.nanmean(inc_a[mid, -10:])
    assert np.nanmean(inc_d[mid, :10]) > np.nanmean(inc_d[mid, -10:])


def test_dates_are_regular_with_gaps():
    cfg = synthetic_config(__import__("pathlib").Path("/tmp"), dropFraction="0.3")
    dates = scene.acquisition_dates(cfg, np.random.default_rng(0))
    days = np.diff([dt.datetime.strptime(d, "%Y%m%d").toordinal() for d in dates])
    assert np.all(days % 12 == 0) and days.max() > 12
    assert dates[0] == cfg.start_date


def test_mogi_matches_the_analytic_peak_and_is_radially_symmetric():
    x = np.array([0.0, 4.0, 0.0, -4.0])
    y = np.array([0.0, 0.0, 4.0, 0.0])
    e, n, u = mogi(x * 1e3, y * 1e3, depth=4000.0, dvolume=1e6)
    assert u[0] == pytest.approx(0.75 * 1e6 / np.pi / 4000.0**2)
    assert e[0] == 0 and n[0] == 0
    assert e[1] == pytest.approx(n[2]) and e[3] == pytest.approx(-e[1])
    assert u[1] == pytest.approx(u[0] / 2 ** 1.5)          # d / R^3 at r = d


def test_screw_dislocation_far_field_and_right_lateral_sense():
    """Strike north, 20 mm/yr right-lateral: the east block moves south at +-s/2 far from the fault."""
    x = np.array([-1000.0, 1000.0, 0.0, 10.0])
    e, n, u = screw_dislocation(x * 1e3, np.zeros(4), strike=0.0, slip_rate=0.02, locking_depth=1e4)
    assert n[0] == pytest.approx(0.01, rel=1e-2) and n[1] == pytest.approx(-0.01, rel=1e-2)
    assert n[2] == 0 and n[3] == pytest.approx(-0.02 / np.pi * np.pi / 4)   # atan(1) at x = D
    assert np.allclose(e, 0, atol=1e-18) and np.all(u == 0)


def test_truth_los_is_the_enu_truth_projected_and_referenced(clean_track):
    product = open_product(clean_track)
    truth = open_product(clean_track.parent / "truth.h5")
    from mimtpy.core.geometry import enu_to_los
    los = enu_to_los(truth.read("east"), truth.read("north"), truth.read("up"),
                     product.read("incidenceAngle"), product.read("azimuthAngle"))
    r, c = int(product.attrs["REF_Y"]), int(product.attrs["REF_X"])
    np.testing.assert_allclose(truth.read("los_velocity"), los - los[r, c], atol=2e-6)   # float32 geometry
    assert np.nanmin(los) < -0.01                     # a deflating Mogi source: subsidence, away from the satellite


def test_adjacent_track_overlaps_partially(tmp_path):
    a, b = (open_product(p) for p in make_products(tmp_path, tracks="asc, asc:0.7", atmosphere="0", noise="0",
                                                   holes="0"))
    va, vb = ~np.isnan(a.read("incidenceAngle")), ~np.isnan(b.read("incidenceAngle"))
    overlap = (va & vb).sum() / va.sum()
    assert 0.15 < overlap < 0.45                      # asc:0.7 overlaps 30% of the swath
    assert vb.sum() < va.sum()
    assert a.attrs["relative_orbit"] != b.attrs["relative_orbit"]


def test_ramps_wrap_and_rerun_skip(tmp_path):
    kw = dict(tracks="desc", orbitRamp="quadratic", subswathRamps="yes", ramp="0.01 0 0", wrap="yes",
              noise="0", atmosphere="0", holes="0", mogi="none")
    (path,) = make_products(tmp_path, **kw)
    folder = path.parent
    coefs = np.loadtxt(folder / "truth_orbit_ramps.txt")
    assert coefs.shape[1] == 6 and np.count_nonzero(coefs[:, :6]) > 0
    wrapped = open_product(next(folder.glob("wrapped_*.tif")))
    w = wrapped.read(next(iter(wrapped.datasets)))
    assert np.nanmin(w) >= -np.pi and np.nanmax(w) < np.pi
    truth = open_product(folder / "truth.h5").read("los_velocity")
    lon = open_product(path).grid.lons()
    # MimtPy --ramp 0.01 0 0: 0.01 m/yr per degree of longitude, referenced at the reference pixel
    slope = np.nanmean(np.diff(truth, axis=1)) / np.diff(lon).mean()
    assert slope == pytest.approx(0.01, rel=1e-3)
    mtime = path.stat().st_mtime_ns
    assert make_products(tmp_path, **kw) == [path] and path.stat().st_mtime_ns == mtime


def test_bad_synthetic_settings_are_clear():
    with pytest.raises(InputError, match="'sideways' is not asc"):
        scene.parse_tracks(("sideways",))
    cfg = SyntheticConfig(**{**synthetic_config(__import__("pathlib").Path("/tmp")).__dict__, "mogi": (),
                             "mogi_step": (20180101.0, -1e6)})
    with pytest.raises(InputError, match="mogiStep needs a Mogi source"):
        scene.deformation(cfg, scene.scene_grid(cfg))
