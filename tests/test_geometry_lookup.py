"""LOS geometry taken from another file than the product must be of the product's track (issue 8, item 1).

Truth: the synthetic tracks' own incidenceAngle/azimuthAngle (their LOS unit vector) and the
track attributes the synthetic module writes (ORBIT_DIRECTION, relative_orbit, HEADING).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from mimtpy.core.geometry import los_unit_vector
from mimtpy.errors import ProductError
from mimtpy.io import open_product, write_h5
from mimtpy.ops.geometry import geometry_array, track_differences


def _velocity_without_angles(he5: Path, out: Path, **extra: str) -> Path:
    """The track's LOS velocity truth as a MintPy velocity.h5 carrying the track's attributes but no angles."""
    product = open_product(he5)
    truth = open_product(he5.parent / "truth.h5").read("los_velocity")
    attrs = {**product.attrs, "FILE_TYPE": "velocity", "UNIT": "m/year", **extra}
    return write_h5(out, {"velocity": np.nan_to_num(truth)}, attrs)


def _enu(he5: Path) -> np.ndarray:
    p = open_product(he5)
    return np.stack(los_unit_vector(p.read("incidenceAngle"), p.read("azimuthAngle")))


@pytest.fixture()
def asc_desc(noisy_pair):
    asc, desc = noisy_pair
    assert open_product(asc).attrs["ORBIT_DIRECTION"] == "ASCENDING"
    assert open_product(desc).attrs["ORBIT_DIRECTION"] == "DESCENDING"
    return asc, desc


def test_other_track_beside_the_product_is_refused_naming_both_files(asc_desc, tmp_path):
    asc, desc = asc_desc
    shutil.copy(desc, tmp_path / desc.name)
    vel = _velocity_without_angles(asc, tmp_path / "velocity.h5")
    product = open_product(vel)
    with pytest.raises(ProductError) as err:
        geometry_array(product, product.grid)
    text = str(err.value)
    assert str(vel) in text and desc.name in text
    assert "ORBIT_DIRECTION ASCENDING vs DESCENDING" in text


def test_horzvert_refuses_the_other_tracks_angles(asc_desc, tmp_path):
    """The issue's case: an ascending velocity without angles beside the descending .he5, decomposed."""
    from mimtpy.analysis import horzvert
    from mimtpy.app import parse_template
    from mimtpy.context import RunContext

    asc, desc = asc_desc
    local_desc = Path(shutil.copy(desc, tmp_path / desc.name))
    vel = _velocity_without_angles(asc, tmp_path / "velocity.h5")
    text = f"mimtpy.horzvert.DataSet = {vel}, {local_desc}\nmimtpy.horzvert.outdir = {tmp_path / 'hv'}"
    cfg = parse_template(text, tmp_path / "t.template").configs["horzvert"]
    with pytest.raises(ProductError, match="not of this track"):
        horzvert.run(cfg, RunContext(tmp_path))
    assert not (tmp_path / "hv" / "hz.h5").exists()


def test_matching_track_is_found_among_others(asc_desc, tmp_path):
    asc, desc = asc_desc
    for he5 in (asc, desc):
        shutil.copy(he5, tmp_path / he5.name)
    vel = _velocity_without_angles(asc, tmp_path / "velocity.h5")
    product = open_product(vel)
    enu = np.asarray(geometry_array(product, product.grid)[...])
    np.testing.assert_allclose(enu, _enu(asc), equal_nan=True)
    # and from the parent folder (mintpy/velocity/velocity.h5 beside mintpy/*.he5)
    sub = tmp_path / "velocity"
    sub.mkdir()
    vel2 = _velocity_without_angles(asc, sub / "velocity.h5")
    enu2 = np.asarray(geometry_array(open_product(vel2), product.grid)[...])
    np.testing.assert_allclose(enu2, _enu(asc), equal_nan=True)


@pytest.mark.parametrize(("shift", "accepted"), [(0.5, True), (5.0, False)])
def test_heading_off_by_more_than_a_degree_is_refused(asc_desc, tmp_path, shift, accepted):
    asc, _ = asc_desc
    src = open_product(asc)
    attrs = {k: v for k, v in src.attrs.items() if k != "HEADING"}      # heading from the mean azimuthAngle
    geo = write_h5(tmp_path / "geometryGeo.h5", {"incidenceAngle": src.read("incidenceAngle"),
                                                 "azimuthAngle": src.read("azimuthAngle") + np.float32(shift)},
                   {**attrs, "FILE_TYPE": "geometry"})
    vel = _velocity_without_angles(asc, tmp_path / "velocity.h5")
    product = open_product(vel)
    if accepted:
        enu = np.asarray(geometry_array(product, product.grid)[...])
        assert np.nanmax(np.abs(enu[2] - _enu(asc)[2])) < 1e-6        # incidence of the file used
        assert track_differences(product, open_product(geo)) == []
    else:
        with pytest.raises(ProductError, match=r"look azimuth 102\.0 vs 107\.0 deg \(differ by 5\.0"):
            geometry_array(product, product.grid)
        # the file given explicitly is checked as well
        with pytest.raises(ProductError, match="geometry file given"):
            geometry_array(product, product.grid, geometry=geo)


def test_track_number_and_extent_are_compared(asc_desc, tmp_path):
    asc, _ = asc_desc
    src = open_product(asc)
    angles = {"incidenceAngle": src.read("incidenceAngle"), "azimuthAngle": src.read("azimuthAngle")}
    other = write_h5(tmp_path / "a" / "geo.h5", angles, {**src.attrs, "relative_orbit": "999"})
    far = dict(src.attrs, FILE_TYPE="geometry", X_FIRST=float(src.attrs["X_FIRST"]) + 10)
    moved = write_h5(tmp_path / "b" / "geo.h5", angles, far)
    product = open_product(_velocity_without_angles(asc, tmp_path / "velocity.h5"))
    assert track_differences(product, open_product(other)) == [f"track {src.attrs['relative_orbit']} vs 999"]
    (diff,) = track_differences(product, open_product(moved))
    assert "no overlap" in diff


def test_stale_file_path(asc_desc, tmp_path, caplog):
    asc, desc = asc_desc
    shutil.copy(asc, tmp_path / asc.name)
    # gone: logged, and the geometry beside the file is used
    vel = _velocity_without_angles(asc, tmp_path / "velocity.h5", FILE_PATH=str(tmp_path / "moved" / "ts.he5"))
    product = open_product(vel)
    with caplog.at_level(logging.INFO, logger="mimtpy.ops.geometry"):
        enu = np.asarray(geometry_array(product, product.grid)[...])
    np.testing.assert_allclose(enu, _enu(asc), equal_nan=True)
    assert "FILE_PATH" in caplog.text and "no longer exists" in caplog.text
    # pointing at another track: refused, although the right one lies beside
    other = tmp_path / "elsewhere"
    other.mkdir()
    stale = Path(shutil.copy(desc, other / desc.name))
    vel = _velocity_without_angles(asc, tmp_path / "velocity2.h5", FILE_PATH=str(stale))
    with pytest.raises(ProductError, match="FILE_PATH") as err:
        geometry_array(open_product(vel), open_product(vel).grid)
    assert str(stale) in str(err.value) and "velocity2.h5" in str(err.value)


def test_headings_compared_like_with_like(asc_desc, tmp_path):
    """Both files state HEADING: those are compared (5 degrees apart: refused), whatever the angles hold."""
    asc, _ = asc_desc
    src = open_product(asc)
    angles = {"incidenceAngle": src.read("incidenceAngle"), "azimuthAngle": src.read("azimuthAngle")}
    heading = float(src.attrs["HEADING"])
    turned = write_h5(tmp_path / "a" / "geo.h5", angles, {**src.attrs, "HEADING": heading + 5})
    same = write_h5(tmp_path / "b" / "geo.h5", angles, {**src.attrs, "HEADING": heading + 360})
    product = open_product(_velocity_without_angles(asc, tmp_path / "velocity.h5"))
    (diff,) = track_differences(product, open_product(turned))
    assert "differ by 5.0" in diff
    assert track_differences(product, open_product(same)) == []          # headings wrap at 360 degrees


@pytest.mark.parametrize(("side", "azimuth"), [("-1", 102.0), ("1", -78.0)])
def test_constant_geometry_from_attributes_honours_the_antenna_side(tmp_path, side, azimuth):
    """HEADING -12 deg: right-looking (MintPy ANTENNA_SIDE -1) az = -(h - 90) = 102; left-looking az = -(h + 90)."""
    from mimtpy.core.grid import Grid

    grid = Grid(4, 3, 130.0, 32.0, 0.01, -0.01)
    path = write_h5(tmp_path / "velocity.h5", {"velocity": np.zeros(grid.shape, np.float32)},
                    {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "HEADING": -12.0,
                     "CENTER_INCIDENCE_ANGLE": 35.0, "ANTENNA_SIDE": side})
    product = open_product(path)
    enu = np.asarray(geometry_array(product, grid)[...])
    np.testing.assert_allclose(enu, np.stack(los_unit_vector(np.full(grid.shape, 35.0), np.full(grid.shape, azimuth))),
                               atol=1e-12)


def test_bare_geotiff_beside_another_track_is_refused(asc_desc, tmp_path):
    """A GeoTIFF stating nothing of its track (only its unit) beside another track's .he5: the angles found
    there cannot be checked, so they are refused naming both files (before: the descending angles were used
    for the ascending velocity and horzvert wrote hz/up of +-1.6 m/yr, exit 0). Given explicitly, they are used."""
    from mimtpy.io import write_geotiff

    asc, desc = asc_desc
    local_desc = Path(shutil.copy(desc, tmp_path / desc.name))
    product = open_product(asc)
    truth = open_product(asc.parent / "truth.h5").read("los_velocity")
    tif = write_geotiff(tmp_path / "vel.tif", truth, product.grid, tags={"UNIT": "m/year"})
    bare = open_product(tif)
    assert not any(k in bare.attrs for k in ("ORBIT_DIRECTION", "HEADING", "relative_orbit", "trackNumber"))
    with pytest.raises(ProductError, match="cannot be checked") as err:
        geometry_array(bare, bare.grid)
    assert str(tif) in str(err.value) and local_desc.name in str(err.value)
    given = geometry_array(bare, bare.grid, geometry=asc)[...]
    np.testing.assert_allclose(given, _enu(asc), atol=1e-6)


def test_track_numbers_of_alos2_files_are_compared(asc_desc, tmp_path):
    """MintPy writes relative_orbit = 'None' and the track in trackNumber for ALOS-2: the track numbers are
    compared, not the two 'None' texts (before: the geometry of an adjacent track 24, same direction and
    heading, was taken for track 23). The footprint layer is named after the track too (not 'DTNone')."""
    import h5py

    from mimtpy.tools.footprint import track_label

    asc, _desc = asc_desc
    other = Path(shutil.copy(asc, tmp_path / "ALOS2_track24.he5"))
    with h5py.File(other, "a") as f:
        f.attrs.update({"relative_orbit": "None", "trackNumber": "24", "PLATFORM": "Alos2"})
    vel = _velocity_without_angles(asc, tmp_path / "velocity.h5", relative_orbit="None", trackNumber="23",
                                   PLATFORM="Alos2")
    product = open_product(vel)
    assert track_differences(product, open_product(other)) == ["track 23 vs 24"]
    with pytest.raises(ProductError, match="track 23 vs 24") as err:
        geometry_array(product, product.grid)
    assert other.name in str(err.value)
    assert track_label(product) == "Alos2AT23"
