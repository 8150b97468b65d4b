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
from tests.outputs_project import as_mintpy_timeseries

pytest.importorskip("mintpy")
BIN = Path(sys.executable).parent


def mintpy(*args: str, cwd: Path) -> str:
    run = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


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


def test_mintpy_info_and_view_read_what_we_write(noisy_pair, tmp_path, capsys):
    he5 = noisy_pair[0]
    cfg = parse_template(f"mimtpy.velcumu.outdir = {tmp_path}", tmp_path / "t").configs["velcumu"]
    for kind in ("velocity", "displacement"):
        h5 = products.process(he5, kind, cfg, RunContext(tmp_path), tmp_path)[0]
        attrs = mintpy_reads(h5, tmp_path / f"{kind}.png", capsys, kind)
        assert attrs["FILE_TYPE"] == kind
        assert (tmp_path / f"{kind}.png").stat().st_size > 5000
    info = mintpy("info.py", str(he5), cwd=tmp_path)      # the script itself, once
    assert "HDFEOS" in info and "displacement" in info
    from mintpy.utils import readfile
    data, atr = readfile.read(str(h5), datasetName="displacement")
    np.testing.assert_array_equal(data, open_product(h5).read("displacement"))
    assert atr["UNIT"] == "m"


def test_horzvert_equals_mintpy_asc_desc2horz_vert_with_constant_geometry(noisy_pair, tmp_path):
    from mimtpy.analysis import horzvert

    files, geoms, zeros = [], [], []
    for he5, (inc, az) in zip(noisy_pair, ((33.5, 102.3), (41.2, -101.7)), strict=True):
        product = open_product(he5)
        name = product.attrs["ORBIT_DIRECTION"][:3].lower()
        truth = open_product(he5.parent / "truth.h5").read("los_velocity")
        zeros.append(np.nan_to_num(truth) == 0)
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
        # MintPy's 0 (masked pixel, here outside the swaths) is no data for us; asc_desc2horz_vert decomposes it
        # (except at each file's reference pixel, 0 by definition)
        zero_any = zeros[0] | zeros[1]
        refs = {(int(a["REF_Y"]), int(a["REF_X"])) for a in (open_product(f).attrs for f in files)}
        solved = np.isfinite(v)
        assert zero_any.sum() > 0 and solved.sum() > 0.5 * v.size
        assert {tuple(int(k) for k in ij) for ij in np.argwhere(solved & zero_any)} <= refs
        np.testing.assert_allclose(v[solved], v_ref[solved], atol=1e-6)


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


# ---------------------------------------------------------------- every .h5 mimtpy writes, read by MintPy (issue 8)

def mintpy_main(tool: str, *args: str) -> None:
    """A MintPy script run in this process (its ``main``; much faster than a new interpreter per call)."""
    import importlib

    import matplotlib.pyplot as plt

    importlib.import_module(f"mintpy.cli.{tool}").main([str(a) for a in args])
    plt.close("all")


def mintpy_reads(h5: Path, png: Path, capsys, dataset: str | None = None) -> dict:
    """info.py and view.py (non-interactive) on ``h5``; returns its attributes as MintPy reads them."""
    from mintpy.utils import readfile

    capsys.readouterr()
    mintpy_main("info", h5)
    assert "FILE_TYPE" in capsys.readouterr().out
    mintpy_main("view", h5, *([dataset] if dataset else []), "--nodisplay", "-o", png)
    assert png.stat().st_size > 3000
    return readfile.read_attribute(str(h5))


H5_VIEWED = ["synthetic he5", "synthetic truth", "velcumu velocity", "velcumu displacement", "velcumu mask",
             "velcumu geometry", "horzvert hz", "horzvert up", "horzvert cond", "horzvert hz timeseries",
             "horzvert up timeseries", "concatenation velocity", "concatenation timeseries", "transects", "subtract",
             "kite quadtree", "inversion timeseries", "inversion temporalCoherence", "inversion numInvIfgram",
             "inversion numComponent", "inversion residualRMS", "inversion velocity", "gridsearch prediction",
             "gridsearch residual"]


@pytest.mark.parametrize("label", H5_VIEWED)
def test_mintpy_info_and_view_read_every_h5(written, label, tmp_path, capsys):
    from mintpy.utils import readfile

    dataset = {"synthetic truth": "los_velocity", "synthetic he5": "temporalCoherence"}.get(label)
    if readfile.read_attribute(str(written[label]))["FILE_TYPE"] == "timeseries":
        dataset = open_product(written[label]).dates[-1]   # one epoch (view.py draws every epoch otherwise)
    attrs = mintpy_reads(written[label], tmp_path / "view.png", capsys, dataset)
    assert attrs["FILE_TYPE"] != "HDFEOS" or label == "synthetic he5"


def test_geometry_output_is_read_by_mintpy_readfile(written):
    from mintpy.utils import readfile

    inc, atr = readfile.read(str(written["velcumu geometry"]), datasetName="incidenceAngle")
    assert atr["FILE_TYPE"] == "geometry"
    np.testing.assert_array_equal(inc, open_product(written["synthetic he5"]).read("incidenceAngle"))


@pytest.mark.parametrize("label", ["concatenation timeseries", "horzvert hz timeseries", "horzvert up timeseries",
                                   "inversion timeseries"])
def test_time_series_outputs_are_timeseries_that_timeseries2velocity_reads(written, label, tmp_path):
    """FILE_TYPE timeseries with REF_Y/REF_X/REF_LAT/REF_LON of the point used and REF_DATE among the dates;
    MintPy's velocity of it equals mimtpy's (the peer on the same input)."""
    h5 = written[label]
    product = open_product(h5)
    a = product.attrs
    assert a["FILE_TYPE"] == "timeseries"
    assert a["REF_DATE"] in product.dates
    row, col = int(a["REF_Y"]), int(a["REF_X"])
    assert product.grid.lalo_to_rowcol(float(a["REF_LAT"]), float(a["REF_LON"])) == (row, col)
    cube = product.read("timeseries")
    assert np.nanmax(np.abs(cube[product.dates.index(a["REF_DATE"])])) == 0       # zero at the reference date
    if label.startswith("concatenation"):       # the tracks were referenced to that one pixel
        assert np.nanmax(np.abs(cube[:, row, col])) < 1e-6
    mintpy_main("timeseries2velocity", h5, "-o", tmp_path / "vel.h5")
    theirs = open_product(tmp_path / "vel.h5").read("velocity")
    cfg = parse_template(f"mimtpy.velcumu.outdir = {tmp_path}", tmp_path / "t").configs["velcumu"]
    ours = open_product(products.process(h5, "velocity", cfg, RunContext(tmp_path), tmp_path / "ours")[0])
    v = ours.read("velocity")
    both = np.isfinite(theirs) & np.isfinite(v) & (theirs != 0)
    assert both.sum() > 0.3 * v.size
    np.testing.assert_allclose(v[both], theirs[both], atol=1e-6)


def test_concatenation_timeseries_is_referenced_to_the_reference_tracks_point(written):
    mosaic = open_product(written["concatenation timeseries"])
    first = open_product(written["tracks"][2])
    assert (float(mosaic.attrs["REF_LAT"]), float(mosaic.attrs["REF_LON"])) == pytest.approx(
        (float(first.attrs["REF_LAT"]), float(first.attrs["REF_LON"])))
    # the second track lacks the first epoch: the mosaic starts at the second, re-referenced to it
    assert mosaic.dates[0] == first.dates[1] == mosaic.attrs["REF_DATE"]


def test_multi_track_outputs_drop_per_track_attributes(written):
    """relative_orbit, scene corners, ... of two tracks are not inherited from track 1; what they share stays."""
    vel = [open_product(p) for p in written["tracks"][:2]]
    assert vel[0].attrs["relative_orbit"] != vel[1].attrs["relative_orbit"]
    for label in ("concatenation velocity", "concatenation timeseries"):
        a = open_product(written[label]).attrs
        for key in ("relative_orbit", "LAT_REF1", "LON_REF3", "REF_Y"):
            assert (key in a) == (key == "REF_Y"), (label, key)
        assert a["ORBIT_DIRECTION"] == "ASCENDING" and a["WAVELENGTH"] == vel[0].attrs["WAVELENGTH"]
    asc, desc = (open_product(written["synthetic he5"]), open_product(written["horzvert hz"]))
    for label in ("horzvert hz", "horzvert up", "horzvert cond", "horzvert hz timeseries"):
        a = open_product(written[label]).attrs
        assert not {"relative_orbit", "LAT_REF1", "LON_REF4", "ORBIT_DIRECTION", "HEADING"} & set(a), label
        assert a["beam_swath"] == asc.attrs["beam_swath"]      # the same in both tracks: kept
        assert a["PLATFORM"] == asc.attrs["PLATFORM"]
        row, col = int(a["REF_Y"]), int(a["REF_X"])          # the point used, on the common grid
        assert desc.grid.lalo_to_rowcol(float(a["REF_LAT"]), float(a["REF_LON"])) == (row, col)


def test_multi_track_attrs_rule():
    from mimtpy.ops.attrs import multi_track_attrs

    t1 = {"relative_orbit": "64", "ORBIT_DIRECTION": "ASCENDING", "LAT_REF1": "34.0", "WAVELENGTH": "0.0555",
          "REF_Y": "3", "mimtpy_settings": "{}", "PLATFORM": "Sen"}
    t2 = {**t1, "relative_orbit": "65", "LAT_REF1": "34.5", "ORBIT_DIRECTION": "ASCENDING"}
    assert multi_track_attrs([t1, t2]) == {"ORBIT_DIRECTION": "ASCENDING", "WAVELENGTH": "0.0555", "PLATFORM": "Sen"}
    t3 = {**t2, "ORBIT_DIRECTION": "DESCENDING"}
    assert "ORBIT_DIRECTION" not in multi_track_attrs([t1, t3])
    assert multi_track_attrs([t1], drop=("PLATFORM",))["relative_orbit"] == "64"
