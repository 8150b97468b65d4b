"""Transects: a profile across the synthetic screw dislocation recovers its slip rate and locking depth;
geodesic distances; GNSS in the swath; outputs; errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from scipy.optimize import curve_fit

from mimtpy.analysis import horzvert, profiles, transects
from mimtpy.app import parse_template
from mimtpy.context import RunContext
from mimtpy.errors import InputError

from .conftest import make_products

SLIP, LOCKING = 0.03, 6.0
FAULT = dict(mogi="none", fault=f"34.1515 -118.15 90 {SLIP} {LOCKING}", referencePoint="34.15 -118.25")


def tr_config(folder: Path, files: list[Path], **keys: str):
    lines = [f"mimtpy.transects.DataSet = {', '.join(map(str, files))}", f"mimtpy.transects.outdir = {folder}"]
    lines += [f"mimtpy.transects.{k} = {v}" for k, v in keys.items()]
    return parse_template("\n".join(lines), folder / "t.template").configs["transects"]


@pytest.fixture(scope="module")
def fault_scene(tmp_path_factory):
    """Noisy asc + desc tracks over an E-W creeping fault, decomposed into east and up."""
    folder = tmp_path_factory.mktemp("fault")
    tracks = make_products(folder, tracks="asc, desc", noise="0.002", atmosphere="0.001", holes="0.01", **FAULT)
    cfg = parse_template(f"mimtpy.horzvert.DataSet = {tracks[0]}, {tracks[1]}\nmimtpy.horzvert.outdir = "
                              f"{folder / 'hv'}", folder / "h.template").configs["horzvert"]
    horzvert.run(cfg, RunContext(folder))
    trace = folder / "fault.gmt"
    trace.write_text("> E-W fault\n-118.29 34.1515\n-118.01 34.1515\n")
    return folder, trace


def test_profile_across_the_fault_recovers_slip_rate_and_locking_depth(fault_scene, tmp_path):
    folder, trace = fault_scene
    cfg = tr_config(tmp_path, [folder / "hv" / "hz.h5", folder / "hv" / "up.h5"], fault=str(trace), number="3",
                    length="15", width="4", binSize="0.5")
    outputs = transects.run(cfg, RunContext(tmp_path))
    assert [p.suffix for p in outputs] == [".csv", ".h5", ".png"]
    lines, _traces = profiles.make_profiles(cfg)
    assert len(lines) == 3
    from mimtpy.io import open_product
    b = profiles.bin_profile(lines[1], open_product(folder / "hv" / "hz.h5"), "velocity", 0.5)
    ok = b.count > 5

    def screw(x, s, d, c):     # mm/yr; distance positive to the right of the strike (south), right-lateral
        return -s / np.pi * np.arctan(x / d) + c

    (s, d, _c), _cov = curve_fit(screw, b.distance[ok], b.median[ok], p0=(10, 3, 0))
    assert s == pytest.approx(SLIP * 1e3, rel=0.1)
    assert d == pytest.approx(LOCKING, rel=0.2)
    up = profiles.bin_profile(lines[1], open_product(folder / "hv" / "up.h5"), "velocity", 0.5)
    assert np.nanmax(np.abs(up.median[ok])) < 2.0           # no vertical motion on a strike-slip fault (mm/yr)
    with open(outputs[0]) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * 2 * b.distance.size
    assert rows[0]["unit"] == "mm/yr"


def test_two_point_profile_uses_geodesic_distances(fault_scene, tmp_path):
    _folder, _trace = fault_scene
    start, end = (34.02, -118.2), (34.28, -118.2)
    profile = profiles.point_profile(start, end, 2.0)
    expected = Geod(ellps="WGS84").inv(start[1], start[0], end[1], end[0])[2] / 1e3
    assert 2 * profile.length == pytest.approx(expected, abs=1e-9)
    assert expected == pytest.approx(28.84, abs=0.02)          # 0.26 deg of latitude at 34 deg N
    assert abs(expected - 0.26 * 111.195) > 0.05               # not degrees times a constant
    along, across = profile.project(np.array([end[1]]), np.array([end[0]]))
    assert along[0] == pytest.approx(expected, abs=1e-3) and abs(across[0]) < 1e-3


def test_gnss_in_the_swath_are_listed(fault_scene, tmp_path):
    folder, trace = fault_scene
    gnss = tmp_path / "g.csv"
    gnss.write_text("site,lon,lat,ve,vn,vu\nIN01,-118.15,34.12,-10,0,0\nOUT1,-118.25,34.12,5,0,0\n")
    cfg = tr_config(tmp_path, [folder / "hv" / "hz.h5"], fault=str(trace), length="10", width="2", gnss=str(gnss))
    csv_path = transects.run(cfg, RunContext(tmp_path))[0]
    text = csv_path.read_text()
    assert "GNSS:IN01" in text and "GNSS:OUT1" not in text


def test_profile_errors(fault_scene, tmp_path):
    folder, trace = fault_scene
    with pytest.raises(InputError, match="give a fault trace"):
        transects.run(tr_config(tmp_path, [folder / "hv" / "hz.h5"]), RunContext(tmp_path))
    with pytest.raises(InputError, match=r"10 profiles 5 km apart need 45.0 km of trace"):
        transects.run(tr_config(tmp_path, [folder / "hv" / "hz.h5"], fault=str(trace), number="10", spacing="5"),
                      RunContext(tmp_path))
    with pytest.raises(InputError, match="does not overlap the data"):
        transects.run(tr_config(tmp_path, [folder / "hv" / "hz.h5"], start="10, 10", end="10.1, 10"),
                      RunContext(tmp_path))


def test_mintpy_zeros_are_no_data_on_profiles_as_on_maps(tmp_path):
    """MintPy writes 0 for masked pixels: a profile across such a hole of a velocity.h5 leaves it out (as the
    map does) instead of counting it as zero motion (before: Kirishima's masked crater made a bin's median 0).
    Truth: a constant 5 mm/yr field with a zero-filled hole; the reference pixel (0 by definition) stays data."""
    from mimtpy.core.grid import Grid
    from mimtpy.io import open_product, write_h5

    grid = Grid(100, 60, 130.80, 31.96, 0.001, -0.001)
    v = np.full(grid.shape, 0.005, np.float32)
    v[:, 40:60] = 0.0                                     # masked band across the profile
    v[30, 10] = 0.0                                       # the reference pixel
    attrs = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "REF_Y": 30, "REF_X": 10}
    product = open_product(write_h5(tmp_path / "velocity.h5", {"velocity": v}, attrs))
    assert product.family == "mintpy"
    lat = grid.lats()[30]
    profile = profiles.point_profile((lat, grid.lons()[2]), (lat, grid.lons()[97]), 1.0)
    binned = profiles.bin_profile(profile, product, "velocity", 0.5)
    shown = binned.median[binned.count > 0]
    np.testing.assert_allclose(shown, 5.0)                # no zero bin, no bin pulled towards 0
    values = binned.points[1]
    assert (values == 0).sum() == 1 and np.allclose(values[values != 0], 5.0)   # only the reference pixel is 0
    assert binned.name == "velocity"                      # not 'velocity velocity'
    kept = profiles.bin_profile(profile, product, "velocity", 0.5, zero_mask="no")
    assert (kept.median[kept.count > 0] == 0).any()
