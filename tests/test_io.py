"""Readers and writers: real MintPy files, round trips, lazy opening, clear errors, atomic output."""

from __future__ import annotations

import shutil
import tracemalloc

import h5py
import numpy as np
import pytest
import rasterio

from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io import open_product, write_geotiff, write_h5
from mimtpy.io.atomic import atomic_output
from mimtpy.io.hdf5 import HDFEOS_ROOT

from .conftest import KIRISHIMA


def test_reads_real_mintpy_velocity_and_coherence():
    vel = open_product(KIRISHIMA / "velocity.h5")
    assert vel.family == "mintpy" and vel.file_type == "velocity"
    assert set(vel.datasets) == {"velocity", "velocityStd"}
    assert vel.grid.shape == (541, 541) and vel.grid.epsg == 4326
    v = vel.read("velocity")
    assert v.dtype == np.float32 and -0.06 < np.nanmin(v) < -0.05 and 0.05 < np.nanmax(v) < 0.06
    window = vel.read("velocity", slice(340, 350), slice(160, 165))
    np.testing.assert_array_equal(window, v[340:350, 160:165])
    tcoh = open_product(KIRISHIMA / "temporalCoherence.h5")
    assert tcoh.file_type == "temporalCoherence" and tcoh.grid == vel.grid


def test_reads_real_geotiff_on_the_same_grid():
    dem = open_product(KIRISHIMA / "height.tif")
    vel = open_product(KIRISHIMA / "velocity.h5")
    assert dem.family == "geotiff" and dem.grid.shape == vel.grid.shape
    assert dem.grid.x_first == pytest.approx(vel.grid.x_first, abs=1e-9)
    assert dem.grid.y_step == pytest.approx(vel.grid.y_step, abs=1e-12)
    h = dem.read(next(iter(dem.datasets)))
    assert 400 < np.nanmin(h) < 420 and 1720 < np.nanmax(h) < 1740


def test_h5_round_trip_keeps_values_attributes_and_dates(tmp_path):
    grid = Grid(4, 3, 10.0, 20.0, 0.5, -0.5)
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    out = write_h5(tmp_path / "timeseries.h5", {"timeseries": data}, {**grid.to_attrs(), "FILE_TYPE": "timeseries"},
                   dates=["20200101", "20200113"], settings={"a": 1})
    p = open_product(out)
    assert p.dates == ["20200101", "20200113"] and p.grid == grid
    np.testing.assert_array_equal(p.read("timeseries"), data)
    np.testing.assert_array_equal(p.read("timeseries", epochs=np.array([1])), data[1:])


def test_geotiff_writer_sets_crs_nodata_compression_tiles_and_transform(tmp_path):
    grid = Grid(300, 260, 130.8, 32.0, 0.0002, -0.0002)
    data = np.random.default_rng(0).normal(size=grid.shape).astype(np.float32)
    data[5, 7] = np.nan
    out = write_geotiff(tmp_path / "v.tif", data, grid, {"FILE_TYPE": "velocity", "UNIT": "m/year"})
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 4326
        assert np.isnan(src.nodata)
        assert src.compression.name.lower() == "deflate"
        assert src.profile["tiled"] and src.block_shapes[0] == (256, 256)
        assert tuple(src.transform)[:6] == (0.0002, 0.0, 130.8, 0.0, -0.0002, 32.0)
        assert src.tags()["UNIT"] == "m/year"
        np.testing.assert_array_equal(src.read(1), data)
    back = open_product(out)
    assert back.grid == grid and back.file_type == "velocity"


def test_geotiff_crs_from_utm_zone(tmp_path):
    grid = Grid.from_attrs({"WIDTH": 3, "LENGTH": 3, "X_FIRST": 5e5, "Y_FIRST": 4e6, "X_STEP": 30,
                            "Y_STEP": -30, "UTM_ZONE": "11N"})
    with rasterio.open(write_geotiff(tmp_path / "u.tif", np.zeros((3, 3)), grid)) as src:
        assert src.crs.to_epsg() == 32611


def test_missing_non_hdf5_truncated_and_incomplete_files_name_the_problem(tmp_path):
    with pytest.raises(ProductError, match=r"nope\.h5: file not found"):
        open_product(tmp_path / "nope.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ProductError, match=r"text\.h5: not an HDF5 file"):
        open_product(tmp_path / "text.h5")
    truncated = tmp_path / "trunc.h5"
    shutil.copy(KIRISHIMA / "velocity.h5", truncated)
    with open(truncated, "r+b") as f:
        f.truncate(truncated.stat().st_size // 2)
    with pytest.raises(ProductError, match=r"trunc\.h5"):
        p = open_product(truncated)
        p.read("velocity")
    with h5py.File(tmp_path / "noattr.h5", "w") as f:
        f["velocity"] = np.zeros((3, 3))
        f.attrs["WIDTH"] = 3
    with pytest.raises(ProductError, match=r"noattr.h5: missing attribute\(s\) LENGTH, X_FIRST"):
        open_product(tmp_path / "noattr.h5")
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(ProductError, match="unknown product type"):
        open_product(tmp_path / "x.csv")


def test_hdfeos5_without_dates_and_with_wrong_shape_are_rejected(tmp_path):
    grid = Grid(4, 3, 10.0, 20.0, 0.5, -0.5)
    path = tmp_path / "S1_bad.he5"
    with h5py.File(path, "w") as f:
        f.create_dataset(f"{HDFEOS_ROOT}/observation/displacement", data=np.zeros((2, 3, 4), np.float32))
        f.attrs.update(grid.to_attrs())
    with pytest.raises(ProductError, match="observation/date' is missing"):
        open_product(path)
    with h5py.File(path, "a") as f:
        f[f"{HDFEOS_ROOT}/observation/date"] = np.array([b"20200101", b"20200113"])
        f[f"{HDFEOS_ROOT}/quality/temporalCoherence"] = np.zeros((5, 5), np.float32)
    with pytest.raises(ProductError, match=r"temporalCoherence' has shape \(5, 5\) but LENGTH x WIDTH is \(3, 4\)"):
        open_product(path)


def test_missing_dataset_lists_what_the_file_has():
    with pytest.raises(ProductError, match=r"no dataset 'timeseries' \(the file has: velocity, velocityStd\)"):
        open_product(KIRISHIMA / "velocity.h5").require("timeseries")


def test_large_hdfeos5_opens_lazily(tmp_path):
    """A nominal 8 GB cube (chunks never written) opens and reads a window with little memory."""
    path = tmp_path / "S1_big.he5"
    grid = Grid(2000, 2000, 0.0, 1.0, 0.0005, -0.0005)
    with h5py.File(path, "w") as f:
        f.create_dataset(f"{HDFEOS_ROOT}/observation/displacement", shape=(500, 2000, 2000), dtype="f4",
                         chunks=(1, 200, 200), fillvalue=0.5)
        f[f"{HDFEOS_ROOT}/observation/date"] = np.array([f"2020{i % 12 + 1:02d}01".encode() for i in range(500)])
        f.attrs.update(grid.to_attrs())
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    product = open_product(path)
    window = product.read("timeseries", slice(0, 10), slice(0, 10), epochs=slice(0, 3))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert product.datasets["timeseries"].shape == (500, 2000, 2000)
    assert window.shape == (3, 10, 10) and np.all(window == 0.5)
    assert peak < 50 * 1024**2


def test_atomic_output_leaves_nothing_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.h5"
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("new, half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_outputs_follow_the_umask_and_unreadable_inputs_are_product_errors(tmp_path):
    import os
    import stat

    from mimtpy.core.grid import Grid
    from mimtpy.io import write_geotiff, write_h5
    grid = Grid(4, 3, 10.0, 45.0, 0.1, -0.1)
    old = os.umask(0o022)
    try:
        h5 = write_h5(tmp_path / "a.h5", {"velocity": np.zeros(grid.shape, np.float32)},
                      {**grid.to_attrs(), "FILE_TYPE": "velocity"})
        tif = write_geotiff(tmp_path / "a.tif", np.zeros(grid.shape, np.float32), grid)
    finally:
        os.umask(old)
    for path in (h5, tif):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644          # colleagues can read the products
    if os.geteuid() != 0:                                          # root reads everything
        h5.chmod(0)
        with pytest.raises(ProductError, match=r"a\.h5"):
            open_product(h5)


def test_a_missing_main_dataset_is_refused_not_replaced(tmp_path):
    """A velocity.h5 without 'velocity' is not silently drawn or converted as its velocityStd."""
    from mimtpy.core.grid import Grid
    from mimtpy.errors import InputError
    from mimtpy.io import write_h5
    from mimtpy.ops.datasets import main_dataset
    grid = Grid(4, 3, 10.0, 45.0, 0.1, -0.1)
    path = write_h5(tmp_path / "velocity.h5", {"velocityStd": np.ones(grid.shape, np.float32)},
                    {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"})
    with pytest.raises(InputError, match=r"FILE_TYPE=velocity but no 'velocity' dataset .*velocityStd.*name the"):
        main_dataset(open_product(path))


def test_exporters_refuse_a_missing_main_dataset(tmp_path):
    """The exporters (save_kite/gbis/roipac/...) choose their dataset too: a velocity.h5 without 'velocity' is
    refused (before: its velocityStd was written as the LOS velocity); named, the std is exported as asked."""
    from mimtpy.core.grid import Grid
    from mimtpy.errors import InputError
    from mimtpy.io import write_h5
    from mimtpy.preprocess.source import load_input
    grid = Grid(4, 3, 10.0, 45.0, 0.1, -0.1)
    std = np.full(grid.shape, 2.0, np.float32)
    path = write_h5(tmp_path / "velocity.h5", {"velocityStd": std},
                    {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"})
    with pytest.raises(InputError, match=r"FILE_TYPE=velocity but no 'velocity' dataset .*velocityStd"):
        load_input(path, with_geometry=False)
    named = load_input(path, dataname="velocityStd", with_geometry=False)
    np.testing.assert_array_equal(named.data, std)


def test_mintpy_velocity_zeros_are_read_as_no_data_but_the_reference_pixel(tmp_path):
    """MintPy writes 0 for the masked pixels of velocity.h5 (Kirishima: 1025 of them + the reference pixel
    REF_Y/X 346/162, 0 by definition). Every step reads them as NaN, so none takes them for zero motion;
    ``mask=False`` gives the file as stored. Windows and any step keep the reference pixel."""
    stored = open_product(KIRISHIMA / "velocity.h5", mask=False).read("velocity")
    zeros = stored == 0
    assert zeros.sum() == 1026 and stored[346, 162] == 0
    product = open_product(KIRISHIMA / "velocity.h5")
    read = product.read("velocity")
    assert np.isnan(read).sum() == 1025 and read[346, 162] == 0
    np.testing.assert_array_equal(read[~zeros], stored[~zeros])
    window = product.read("velocity", slice(340, 350), slice(160, 170))
    assert window[6, 2] == 0 and np.isnan(window).sum() == np.sum(zeros[340:350, 160:170]) - 1
    assert np.array_equal(np.asarray(product.array("velocity")[300:400, 100:200]), read[300:400, 100:200],
                          equal_nan=True)
    # other files keep their zeros: a mask, a geometry, a time series
    for name, data in (("mask", np.zeros((4, 3), np.float32)), ("timeseries", np.zeros((2, 4, 3), np.float32))):
        grid = Grid(3, 4, 10.0, 45.0, 0.1, -0.1)
        path = write_h5(tmp_path / f"{name}.h5", {name: data}, {**grid.to_attrs(), "FILE_TYPE": name, "UNIT": "m"},
                        dates=["20200101", "20200113"] if data.ndim == 3 else None)
        assert (open_product(path).read(name) == 0).all()


def test_concatenation_of_a_mintpy_velocity_with_zero_masked_pixels(noisy_pair, tmp_path):
    """Two overlapping windows of one track, the second written as MintPy does (0 for masked pixels): the
    mosaic equals that of the same files with NaN (before: the zeros were blended as data,
    up to 20 mm/yr off on the demo's tracks)."""
    from mimtpy.analysis import concatenation
    from mimtpy.app import parse_template
    from mimtpy.context import RunContext

    product = open_product(noisy_pair[0])
    truth = open_product(noisy_pair[0].parent / "truth.h5").read("los_velocity")
    truth[40:60, 45:55] = np.nan                                      # a masked patch in the overlap
    paths = {}
    for label, fill in (("nan", np.nan), ("zero", 0.0)):
        for k, cols in enumerate((slice(0, 60), slice(40, 100))):
            grid = product.grid.subset(slice(None), cols)
            data = truth[:, cols].copy()
            if k == 1:
                data[np.isnan(data)] = fill
            attrs = {**product.attrs, **grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year",
                     "REF_Y": "-1", "REF_X": "-1"}
            paths[label, k] = write_h5(tmp_path / label / f"v{k}.h5", {"velocity": data}, attrs)
    mosaics = []
    for label in ("nan", "zero"):
        text = (f"mimtpy.concatenation.DataSet = {paths[label, 0]}, {paths[label, 1]}\n"
                f"mimtpy.concatenation.outdir = {tmp_path / label / 'out'}\nmimtpy.concatenation.offsetModel = none")
        cfg = parse_template(text, tmp_path / label / "t.template").configs["concatenation"]
        out = next(p for p in concatenation.run(cfg, RunContext(tmp_path / label)) if p.suffix == ".h5")
        mosaics.append(open_product(out).read("velocity"))
    assert np.isnan(mosaics[0][40:60, 45:55]).all()
    np.testing.assert_array_equal(mosaics[1], mosaics[0])
