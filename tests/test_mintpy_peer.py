"""Against the peer: MintPy 1.6.4 on the same input must give the same velocity, and read what we write.

`make test` installs MintPy (extra 'peer'); outside it these tests are skipped by importorskip.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mimtpy.app import parse_template
from mimtpy.basic import products
from mimtpy.context import RunContext
from mimtpy.core.dates import nearest_index
from mimtpy.io import open_product, write_h5

pytest.importorskip("mintpy")
BIN = Path(sys.executable).parent


def mintpy(*args: str, cwd: Path) -> str:
    run = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def as_mintpy_timeseries(he5: Path, out: Path) -> Path:
    """The he5 time series as MintPy timeseries.h5; pixels with any gap are NaN in all epochs,
    as MintPy requires (it refuses partial gaps)."""
    product = open_product(he5)
    ts = product.read("timeseries")
    ts[:, np.isnan(ts).any(axis=0)] = np.nan
    attrs = {**product.attrs, "FILE_TYPE": "timeseries"}
    return write_h5(out, {"timeseries": ts, "bperp": np.zeros(len(product.dates), np.float32)}, attrs,
                    dates=product.dates)


@pytest.mark.parametrize("period", [None, ("20170301", "20180901")])
def test_velocity_and_std_equal_mintpy_timeseries2velocity(noisy_pair, tmp_path, period):
    for i, he5 in enumerate(noisy_pair):
        work = tmp_path / str(i)
        work.mkdir()
        ts = as_mintpy_timeseries(he5, work / "timeseries.h5")
        args = ["timeseries2velocity.py", str(ts), "-o", "velocity_mintpy.h5"]
        keys = {}
        if period:
            dates = open_product(he5).dates
            d1 = dates[nearest_index(dates, period[0])]
            d2 = dates[nearest_index(dates, period[1])]
            args += ["--start-date", d1, "--end-date", d2]
            keys = {"startDate": d1, "endDate": d2}
        mintpy(*args, cwd=work)
        ref = open_product(work / "velocity_mintpy.h5")
        text = "\n".join([f"mimtpy.velcumu.outdir = {work / 'mimtpy'}"] + [f"mimtpy.velcumu.{k} = {v}"
                                                                          for k, v in keys.items()])
        cfg = parse_template(text, work / "t.template").configs["velcumu"]
        ours = open_product(products.process(he5, "velocity", cfg, RunContext(work), cfg.outdir)[0])
        v_ref, s_ref = ref.read("velocity"), ref.read("velocityStd")
        v, s = ours.read("velocity"), ours.read("velocityStd")
        both = np.isfinite(v_ref) & np.isfinite(v) & (v_ref != 0)
        assert both.sum() > 0.8 * v.size
        assert np.max(np.abs(v[both] - v_ref[both])) < 1e-6
        assert np.max(np.abs(s[both] - s_ref[both])) < 1e-5
        # we also fit the pixels MintPy leaves out (gaps in some epochs)
        assert (np.isfinite(v) & ~both).sum() > 0


def test_mintpy_info_and_view_read_what_we_write(noisy_pair, tmp_path):
    he5 = noisy_pair[0]
    cfg = parse_template(f"mimtpy.velcumu.outdir = {tmp_path}", tmp_path / "t").configs["velcumu"]
    for kind in ("velocity", "displacement"):
        h5 = products.process(he5, kind, cfg, RunContext(tmp_path), tmp_path)[0]
        info = mintpy("info.py", str(h5), cwd=tmp_path)
        assert f"FILE_TYPE                    {kind}" in info or f"FILE_TYPE {kind}" in " ".join(info.split())
        mintpy("view.py", str(h5), kind, "--nodisplay", "-o", f"{kind}.png", cwd=tmp_path)
        assert (tmp_path / f"{kind}.png").stat().st_size > 5000
    info = mintpy("info.py", str(he5), cwd=tmp_path)
    assert "HDFEOS" in info and "displacement" in info
    from mintpy.utils import readfile
    data, atr = readfile.read(str(h5), datasetName="displacement")
    np.testing.assert_array_equal(data, open_product(h5).read("displacement"))
    assert atr["UNIT"] == "m"


def test_horzvert_equals_mintpy_asc_desc2horz_vert_with_constant_geometry(noisy_pair, tmp_path):
    from mimtpy.analysis import horzvert

    files, geoms = [], []
    for he5, (inc, az) in zip(noisy_pair, ((33.5, 102.3), (41.2, -101.7)), strict=True):
        product = open_product(he5)
        name = product.attrs["ORBIT_DIRECTION"][:3].lower()
        truth = open_product(he5.parent / "truth.h5").read("los_velocity")
        attrs = {**product.attrs, "FILE_TYPE": "velocity", "UNIT": "m/year", "DATE12": "20170103_20181224"}
        files.append(write_h5(tmp_path / f"{name}.h5", {"velocity": np.nan_to_num(truth)}, attrs))
        shape = product.grid.shape
        geoms.append(write_h5(tmp_path / f"geo_{name}.h5", {"incidenceAngle": np.full(shape, inc, np.float32),
                                                             "azimuthAngle": np.full(shape, az, np.float32)},
                              {**product.grid.to_attrs(), "FILE_TYPE": "geometry"}))
    mintpy("asc_desc2horz_vert.py", *map(str, files), "-g", *map(str, geoms), "-o", "hz_mintpy.h5", "up_mintpy.h5",
           cwd=tmp_path)
    text = "\n".join([f"mimtpy.horzvert.DataSet = {files[0]}, {files[1]}",
                      f"mimtpy.horzvert.geometry = {geoms[0]}, {geoms[1]}",
                      f"mimtpy.horzvert.outdir = {tmp_path}/ours"])
    cfg = parse_template(text, tmp_path / "t.template").configs["horzvert"]
    horzvert.run(cfg, RunContext(tmp_path))
    for comp in ("hz", "up"):
        ref = open_product(tmp_path / f"{comp}_mintpy.h5")
        ours = open_product(tmp_path / "ours" / f"{comp}.h5")
        assert ours.grid == ref.grid
        v_ref, v = ref.read(next(iter(ref.datasets))), ours.read("velocity")
        assert np.nanmax(np.abs(v_ref)) > 0.005
        np.testing.assert_allclose(v, v_ref, atol=1e-6)


def test_we_read_an_hdfeos5_written_by_mintpy_save_hdfeos5(noisy_pair, tmp_path):
    """MintPy's own save_hdfeos5.py writes the product; our reader and velocity see the same series."""
    src = open_product(noisy_pair[1])
    ts_file = as_mintpy_timeseries(noisy_pair[1], tmp_path / "timeseries.h5")
    geometry = {n: src.read(n) for n in ("height", "incidenceAngle", "azimuthAngle", "slantRangeDistance",
                                         "shadowMask", "waterMask")}
    write_h5(tmp_path / "geometryGeo.h5", geometry, {**src.attrs, "FILE_TYPE": "geometry"})
    write_h5(tmp_path / "temporalCoherence.h5", {"temporalCoherence": src.read("temporalCoherence")},
             {**src.attrs, "FILE_TYPE": "temporalCoherence"})
    write_h5(tmp_path / "avgSpatialCoh.h5", {"coherence": src.read("avgSpatialCoherence")},
             {**src.attrs, "FILE_TYPE": "mask"})
    write_h5(tmp_path / "maskTempCoh.h5", {"mask": src.read("mask")}, {**src.attrs, "FILE_TYPE": "mask"})
    mintpy("save_hdfeos5.py", str(ts_file), "--tc", "temporalCoherence.h5", "--asc", "avgSpatialCoh.h5",
           "-m", "maskTempCoh.h5", "-g", "geometryGeo.h5", cwd=tmp_path)
    (he5,) = tmp_path.glob("S1_*.he5")
    theirs = open_product(he5)
    ours = open_product(ts_file)
    assert theirs.family == "hdfeos5" and theirs.dates == ours.dates and theirs.grid == ours.grid
    np.testing.assert_array_equal(theirs.read("timeseries"), ours.read("timeseries"))
    np.testing.assert_array_equal(theirs.read("incidenceAngle"), src.read("incidenceAngle"))
    assert {"latitude", "longitude", "mask", "temporalCoherence"} <= set(theirs.datasets)
    cfg = parse_template(f"mimtpy.velcumu.outdir = {tmp_path / 'v'}", tmp_path / "t").configs["velcumu"]
    v_he5 = open_product(products.process(he5, "velocity", cfg, RunContext(tmp_path), tmp_path / "a")[0])
    v_ts = open_product(products.process(ts_file, "velocity", cfg, RunContext(tmp_path), tmp_path / "b")[0])
    np.testing.assert_array_equal(v_he5.read("velocity"), v_ts.read("velocity"))
