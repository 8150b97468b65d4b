"""velcumu: velocity and displacement recover the synthetic truth; periods, subsets, masks, references."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from mimtpy.app import parse_template
from mimtpy.basic import products
from mimtpy.context import RunContext
from mimtpy.core.blocks import row_blocks
from mimtpy.core.dates import decimal_years, nearest_index
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product
from mimtpy.ops.paths import resolve_dataset

from .conftest import KIRISHIMA


def vcfg(folder: Path, **keys: str):
    text = "\n".join(f"mimtpy.velcumu.{k} = {v}" for k, v in keys.items())
    return parse_template(text, folder / "v.template").configs["velcumu"]


def run_one(product: Path, out: Path, kind: str = "velocity", **keys: str):
    cfg = vcfg(out, outdir=str(out), **keys)
    h5 = products.process(product, kind, cfg, RunContext(out), cfg.outdir)[0]
    return open_product(h5)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_velocity_recovers_truth_within_the_generator_noise(noisy_pair, tmp_path):
    for i, product in enumerate(noisy_pair):
        before = digest(product)
        out = run_one(product, tmp_path / str(i))
        vel, std = out.read("velocity"), out.read("velocityStd")
        truth = open_product(product.parent / "truth.h5").read("los_velocity")
        src = open_product(product)
        t = decimal_years(src.dates)
        # per-epoch noise after referencing: white (3 mm) and atmosphere (4 mm), each doubled by the reference
        bound = np.sqrt(2 * (0.003**2 + 0.004**2)) / np.sqrt(((t - t.mean()) ** 2).sum())
        err = vel - truth
        ok = np.isfinite(err)
        assert ok.sum() > 0.8 * np.isfinite(truth).sum()
        assert np.nanmax(np.abs(truth)) > 20 * bound              # the signal is far above the noise
        assert np.sqrt(np.mean(err[ok] ** 2)) < 1.5 * bound
        assert np.max(np.abs(err[ok])) < 6 * bound
        assert 0.5 * bound < np.nanmedian(std) < 1.2 * bound
        assert np.mean(np.abs(err[ok]) < 3 * std[ok]) > 0.99
        assert digest(product) == before                           # the input is never modified


def test_noise_free_velocity_and_displacement_are_exact(clean_track, tmp_path):
    vel = run_one(clean_track, tmp_path)
    truth = open_product(clean_track.parent / "truth.h5").read("los_velocity")
    np.testing.assert_allclose(vel.read("velocity"), truth, atol=1e-6)
    assert np.nanmax(vel.read("velocityStd")) < 1e-6
    src = open_product(clean_track)
    disp = run_one(clean_track, tmp_path, "displacement", startDate="20170601", endDate="20180601")
    i0, i1 = nearest_index(src.dates, "20170601"), nearest_index(src.dates, "20180601")
    t = decimal_years(src.dates)
    np.testing.assert_allclose(disp.read("displacement"), truth * (t[i1] - t[i0]), atol=2e-6)
    assert disp.attrs["START_DATE"] == src.dates[i0] and disp.attrs["END_DATE"] == src.dates[i1]
    assert disp.attrs["UNIT"] == "m" and disp.file_type == "displacement"
    assert disp.path.name == f"displacement_{src.dates[i0]}_{src.dates[i1]}.h5"


def test_period_snaps_to_nearest_acquisitions_and_is_recorded(clean_track, tmp_path):
    src = open_product(clean_track)
    out = run_one(clean_track, tmp_path, startDate="20170610", endDate="20180320")
    d1, d2 = out.attrs["START_DATE"], out.attrs["END_DATE"]
    assert d1 in src.dates and d2 in src.dates
    assert d1 == src.dates[nearest_index(src.dates, "20170610")]
    assert out.attrs["DATE12"] == f"{d1}_{d2}" and out.attrs["UNIT"] == "m/year"
    assert int(out.attrs["NUM_EPOCHS"]) == src.dates.index(d2) - src.dates.index(d1) + 1
    assert out.attrs["REF_LAT"] == src.attrs["REF_LAT"]


def test_pixels_with_missing_epochs_are_fitted_down_to_min_epochs(noisy_pair, tmp_path):
    src = open_product(noisy_pair[0])
    ts = src.read("timeseries")
    partial = np.isnan(ts).any(axis=0) & ~np.isnan(ts).all(axis=0)
    assert partial.any()
    out = run_one(noisy_pair[0], tmp_path)
    assert np.isfinite(out.read("velocity")[partial]).mean() > 0.99
    counts = out.read("numEpochs")
    assert counts[partial].max() < len(src.dates)
    strict = run_one(noisy_pair[0], tmp_path / "strict", minEpochs=str(len(src.dates)))
    assert np.isnan(strict.read("velocity")[partial]).all()


def test_subset_matches_the_window_of_the_full_result(noisy_pair, tmp_path):
    full = run_one(noisy_pair[1], tmp_path / "full")
    sub = run_one(noisy_pair[1], tmp_path / "sub", SNWE="34.05 34.2 -118.25 -118.1")
    rows, cols = full.grid.window((34.05, 34.2, -118.25, -118.1))
    np.testing.assert_array_equal(sub.read("velocity"), full.read("velocity")[rows, cols])
    assert sub.grid == full.grid.subset(rows, cols)


def test_blocks_under_a_small_memory_budget_give_the_same_result(noisy_pair, tmp_path):
    one = run_one(noisy_pair[0], tmp_path / "one").read("velocity")
    cfg = vcfg(tmp_path, outdir=str(tmp_path / "many"))
    ctx = RunContext(tmp_path)
    ctx.compute = parse_template("mimtpy.compute.maxMemory = 0.0002", tmp_path / "c").configs["compute"]
    n_dates, width = len(open_product(noisy_pair[0]).dates), one.shape[1]
    assert len(row_blocks(one.shape[0], n_dates * width * 12, 0.0002)) > 10
    many = open_product(products.process(noisy_pair[0], "velocity", cfg, ctx, cfg.outdir)[0]).read("velocity")
    np.testing.assert_array_equal(one, many)


def test_re_referencing_subtracts_the_reference_in_memory(clean_track, tmp_path):
    base = run_one(clean_track, tmp_path / "a")
    grid = base.grid
    lat, lon = grid.rowcol_to_lalo(20, 30)
    moved = run_one(clean_track, tmp_path / "b", referencePoint=f"{lat}, {lon}")
    v0 = base.read("velocity")
    expected = v0 - np.nanmedian(v0[19:22, 29:32])
    np.testing.assert_allclose(moved.read("velocity"), expected, atol=1e-6)
    assert float(moved.attrs["REF_LAT"]) == pytest.approx(lat)
    assert (int(moved.attrs["REF_Y"]), int(moved.attrs["REF_X"])) == (20, 30)


def test_mask_yes_uses_the_product_mask(noisy_pair, tmp_path):
    out = run_one(noisy_pair[0], tmp_path, mask="yes")
    mask = open_product(noisy_pair[0]).read("mask")
    assert np.isnan(out.read("velocity")[~mask]).all()
    assert np.isfinite(out.read("velocity")[mask]).mean() > 0.95


def test_geotiff_equals_the_h5(noisy_pair, tmp_path):
    h5 = run_one(noisy_pair[0], tmp_path)
    tif = open_product(h5.path.with_suffix(".tif"))
    np.testing.assert_array_equal(tif.read("velocity"), h5.read("velocity"))
    assert tif.grid == h5.grid


def test_export_geometry_and_coherence(noisy_pair, tmp_path):
    cfg = vcfg(tmp_path)
    written = products.export_dataset(noisy_pair[0], "geometry", cfg, tmp_path / "geo")
    geo = open_product(written[0])
    assert geo.file_type == "geometry" and {"incidenceAngle", "azimuthAngle", "height"} <= set(geo.datasets)
    assert (tmp_path / "geo" / "incidenceAngle.tif").exists()
    tc = open_product(products.export_dataset(noisy_pair[0], "temporalCoherence", cfg, tmp_path / "tc")[0])
    np.testing.assert_array_equal(tc.read("temporalCoherence"), open_product(noisy_pair[0]).read("temporalCoherence"))


def test_bad_inputs_are_clear_and_write_nothing(noisy_pair, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ProductError, match=r"velocity\.h5: FILE_TYPE=velocity has no time series"):
        run_one(KIRISHIMA / "velocity.h5", out)
    with pytest.raises(InputError, match="does not overlap the data"):
        run_one(noisy_pair[0], out, SNWE="10 11 10 11")
    with pytest.raises(InputError, match=r"startDate 20300101 is outside the series 20170103\.\.\d{8} by more"):
        run_one(noisy_pair[0], out, startDate="20300101", endDate="20310101")
    with pytest.raises(InputError, match="fewer than 2 acquisitions"):
        run_one(noisy_pair[0], out, startDate="20180601", endDate="20180602")
    with pytest.raises(InputError, match="outside the grid"):
        run_one(noisy_pair[0], out, referencePoint="10, 10")
    with pytest.raises(ProductError, match="no dataset 'nope'"):
        products.export_dataset(noisy_pair[0], "nope", vcfg(tmp_path), out)
    assert not out.exists() or not any(out.iterdir())


def test_dataset_entries_resolve_files_folders_and_scratchdir_projects(noisy_pair, tmp_path, monkeypatch):
    product = noisy_pair[0]
    project = product.parent.parent
    assert resolve_dataset(str(product), tmp_path) == product
    assert resolve_dataset(str(project), tmp_path) == product
    assert resolve_dataset(str(product.parent), tmp_path) == product
    monkeypatch.setenv("SCRATCHDIR", str(project.parent))
    assert resolve_dataset(project.name, tmp_path) == product
    with pytest.raises(InputError, match="no HDF-EOS5 or timeseries product found"):
        resolve_dataset("NoSuchProject", tmp_path)
