"""concatenation: offsets and ramps added to overlapping tracks are recovered; blending, time series,
masks and coherence; the overlap report and figures; bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from mimtpy.analysis import concatenation
from mimtpy.app import parse_template
from mimtpy.cli import track_offset
from mimtpy.context import RunContext
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError
from mimtpy.io import open_product, write_h5

BIG = Grid(100, 100, 30.0, 40.0, 0.01, -0.01)
# three windows (rows, cols), each overlapping the two others: a loop in the network of overlaps
WINDOWS = [(slice(0, 60), slice(0, 60)), (slice(0, 60), slice(40, 100)), (slice(40, 100), slice(20, 80))]


def truth_field(noise: float = 0.0) -> np.ndarray:
    lon, lat = np.meshgrid(BIG.lons(), BIG.lats())
    field = 0.02 * np.sin(3 * (lon - 30)) * np.cos(2 * (lat - 39.5)) + 0.01 * (lat - 39.5)
    return (field + np.random.default_rng(5).normal(0, noise, BIG.shape)).astype(np.float32)


def plane(grid: Grid, coef: tuple[float, float, float]) -> np.ndarray:
    lon, lat = np.meshgrid(grid.lons(), grid.lats())
    return coef[0] + coef[1] * (lon - 30.5) + coef[2] * (lat - 39.5)


def write_tracks(folder: Path, field: np.ndarray, corrections, name="velocity", unit="m/year", cube_dates=None):
    paths = []
    for k, ((rows, cols), coef) in enumerate(zip(WINDOWS, corrections, strict=True)):
        grid = BIG.subset(rows, cols)
        data = field[..., rows, cols] + plane(grid, coef).astype(np.float32)
        attrs = {**grid.to_attrs(), "FILE_TYPE": name, "UNIT": unit}
        dates = cube_dates[k] if cube_dates else None
        paths.append(write_h5(folder / f"T{k}" / f"{name}.h5", {name: data}, attrs, dates=dates))
    return paths


def mosaic(folder: Path, paths, **keys: str):
    lines = [f"mimtpy.concatenation.DataSet = {', '.join(map(str, paths))}",
             f"mimtpy.concatenation.outdir = {folder}", "mimtpy.concatenation.referenceTrack = 0"]
    lines += [f"mimtpy.concatenation.{k} = {v}" for k, v in keys.items()]
    cfg = parse_template("\n".join(lines), folder / "c.template").configs["concatenation"]
    return concatenation.run(cfg, RunContext(folder))


def test_offsets_are_recovered_over_the_network_and_the_mosaic_matches_the_truth(tmp_path):
    field = truth_field(noise=0.001)
    offsets = [(0.0, 0, 0), (0.015, 0, 0), (-0.02, 0, 0)]
    outputs = mosaic(tmp_path, write_tracks(tmp_path, field, offsets), plotpair="yes")
    out = open_product(outputs[0])
    assert out.grid == BIG
    got = out.read("velocity")
    union = np.zeros(BIG.shape, bool)
    for rows, cols in WINDOWS:
        union[rows, cols] = True
    np.testing.assert_array_equal(np.isfinite(got), union)
    err = got - field
    assert np.nanmax(np.abs(err)) < 2e-4
    for k, (c, _b, _a) in enumerate(offsets):
        assert float(out.attrs[f"CORRECTION_T{k}"]) == pytest.approx(c, abs=1e-4)
    with open(outputs[1]) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3
    for row in rows:
        assert abs(float(row["median_after"])) < 1e-4 < abs(float(row["median_before"]))
        assert float(row["rms_after"]) < float(row["rms_before"])
    pngs = [p for p in outputs if p.suffix == ".png"]
    assert len(pngs) == 3 and all(p.stat().st_size > 10_000 for p in pngs)


def test_ramps_are_recovered_exactly_without_noise(tmp_path):
    field = truth_field()
    ramps = [(0.0, 0.0, 0.0), (0.01, 0.02, -0.01), (-0.005, -0.01, 0.03)]
    got = open_product(mosaic(tmp_path, write_tracks(tmp_path, field, ramps), offsetModel="ramp",
                              plotpair="no")[0]).read("velocity")
    assert np.nanmax(np.abs(got - field)) < 1e-6
    # a constant offset cannot remove a ramp: the model matters
    worse = open_product(mosaic(tmp_path / "o", write_tracks(tmp_path / "o", field, ramps), plotpair="no")[0])
    assert np.nanmax(np.abs(worse.read("velocity") - field)) > 1e-3


def test_blend_modes(tmp_path):
    field = truth_field()
    offsets = [(0.0, 0, 0), (0.01, 0, 0), (0.0, 0, 0)]
    paths = write_tracks(tmp_path, field, offsets)
    raw1 = open_product(paths[1]).read("velocity")
    dominant = open_product(mosaic(tmp_path / "d", paths, offsetModel="none", blend="dominant", plotpair="no")[0])
    mean = open_product(mosaic(tmp_path / "m", paths, offsetModel="none", blend="mean", plotpair="no")[0])
    feather = open_product(mosaic(tmp_path / "f", paths, offsetModel="none", blend="feather", plotpair="no")[0])
    overlap01 = (slice(0, 40), slice(40, 60))           # tracks 0 and 1 only
    assert np.allclose(dominant.read("velocity")[overlap01], field[overlap01])
    assert np.allclose(mean.read("velocity")[overlap01], field[overlap01] + 0.005)
    f = feather.read("velocity")[overlap01] - field[overlap01]
    assert np.all((f > -1e-7) & (f < 0.01 + 1e-7))
    assert f[:, 0].mean() < f[:, -1].mean()              # track 1's weight grows toward its interior (east)
    only1 = (slice(0, 40), slice(60, 100))
    assert np.allclose(mean.read("velocity")[only1], raw1[:40, 20:])


def test_time_series_get_an_offset_per_epoch_and_matched_dates(tmp_path):
    base = truth_field()
    cube = np.stack([base * i for i in range(4)])
    dates = [["20200101", "20200113", "20200125", "20200206"],
             ["20200103", "20200115", "20200127", "20200208"],
             ["20200102", "20200114", "20200126", "20200301"]]
    paths = []
    rng = np.random.default_rng(0)
    for k, (rows, cols) in enumerate(WINDOWS):
        grid = BIG.subset(rows, cols)
        data = cube[:, rows, cols] + rng.normal(0, 0.01, (4, 1, 1)).astype(np.float32) * (k > 0)
        paths.append(write_h5(tmp_path / f"T{k}" / "timeseries.h5", {"timeseries": data},
                              {**grid.to_attrs(), "FILE_TYPE": "timeseries", "UNIT": "m"}, dates=dates[k]))
    out = open_product(mosaic(tmp_path, paths, dateTolerance="3")[0])
    assert out.dates == dates[0][:3]                       # the 4th epoch of T2 is 24 days off
    got = out.read("timeseries")
    assert np.isfinite(got[1]).sum() == 8400
    ok = np.isfinite(got)
    assert np.max(np.abs(got[ok] - cube[:3][ok])) < 1e-6


def test_coherence_is_blended_without_offsets_and_masks_are_combined(tmp_path):
    coh = np.clip(truth_field() * 10 + 0.5, 0, 1)
    paths = write_tracks(tmp_path / "c", coh, [(0, 0, 0), (0.2, 0, 0), (0, 0, 0)], name="temporalCoherence",
                         unit="1")
    out = open_product(mosaic(tmp_path / "c", paths, plotpair="no")[0]).read("temporalCoherence")
    assert np.allclose(out[:40, 40:60], coh[:40, 40:60] + 0.1, atol=1e-6)   # mean of 0 and +0.2: no offset solved
    masks = []
    for k, (rows, cols) in enumerate(WINDOWS):
        grid = BIG.subset(rows, cols)
        m = np.ones(grid.shape, bool)
        m[:, : 5 * (k + 1)] = False
        masks.append(write_h5(tmp_path / "m" / f"T{k}" / "mask.h5", {"mask": m},
                              {**grid.to_attrs(), "FILE_TYPE": "mask"}))
    union = open_product(mosaic(tmp_path / "m", masks, maskMode="union")[0]).read("mask")
    inter = open_product(mosaic(tmp_path / "i", masks, maskMode="intersection")[0]).read("mask")
    assert union.dtype == np.bool_ and union.sum() > inter.sum()
    assert union[10, 42] and not inter[10, 42]             # T1 masks its first 10 columns (40..49), T0 does not


def test_bad_inputs(tmp_path):
    field = truth_field()
    paths = write_tracks(tmp_path, field, [(0, 0, 0)] * 3)
    with pytest.raises(InputError, match="two or more tracks"):
        mosaic(tmp_path / "o", paths[:1])
    far = write_h5(tmp_path / "far" / "velocity.h5", {"velocity": np.zeros((10, 10), np.float32)},
                   {**Grid(10, 10, 80.0, 10.0, 0.01, -0.01).to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"})
    with pytest.raises(InputError, match=r"overlap no other track .*: far"):
        mosaic(tmp_path / "o", [*paths, far])
    mm = write_tracks(tmp_path / "mm", field * 1000, [(0, 0, 0)] * 3, unit="mm/yr")
    with pytest.raises(InputError, match="different units"):
        mosaic(tmp_path / "o", [paths[0], mm[1]])
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.h5"))


def test_track_offset_script(tmp_path, monkeypatch, capsys):
    field = truth_field()
    paths = write_tracks(tmp_path, field, [(0, 0, 0), (0.012, 0, 0), (0, 0, 0)])
    monkeypatch.chdir(tmp_path)
    assert track_offset.main([str(paths[0]), str(paths[1]), "-o", "pair.png"]) == 0
    out = capsys.readouterr().out
    assert "1200 pixels" in out and "removed from T1" in out and "0.012" in out
    assert Path("pair.png").stat().st_size > 10_000


def run_with(folder: Path, paths, compute, **keys: str):
    from mimtpy.config import ComputeConfig
    lines = [f"mimtpy.concatenation.DataSet = {', '.join(map(str, paths))}",
             f"mimtpy.concatenation.outdir = {folder}", "mimtpy.concatenation.referenceTrack = 0"]
    lines += [f"mimtpy.concatenation.{k} = {v}" for k, v in keys.items()]
    cfg = parse_template("\n".join(lines), folder / "c.template").configs["concatenation"]
    return concatenation.run(cfg, RunContext(folder, compute=ComputeConfig(**compute)))


def test_blocks_and_subsampled_overlaps_under_a_small_budget(tmp_path):
    """Row blocks give the one-block mosaic exactly when the overlaps are fitted on every pixel; under a budget
    too small for every overlap pixel, the fit uses a regular subsample and stays within the noise."""
    field = truth_field(noise=0.001)
    paths = write_tracks(tmp_path, field, [(0, 0, 0), (0.01, 0.002, -0.003), (-0.02, 0, 0.004)])
    full = open_product(run_with(tmp_path / "full", paths, {"max_memory": 4.0}, offsetModel="ramp",
                                 blend="feather", plotpair="no")[0]).read("velocity")
    blocks = open_product(run_with(tmp_path / "blocks", paths, {"max_memory": 0.0008, "num_worker": "2"},
                                   offsetModel="ramp", blend="feather", plotpair="no")[0]).read("velocity")
    np.testing.assert_array_equal(full, blocks)                  # overlaps fit whole, feather exact
    tiny = open_product(run_with(tmp_path / "tiny", paths, {"max_memory": 0.00005}, offsetModel="ramp",
                                 plotpair="no")[0]).read("velocity")
    ok = np.isfinite(tiny)
    assert ok.sum() > 8000
    assert np.max(np.abs(tiny[ok] - field[ok])) < 0.006           # corrections still right within the noise


def test_a_union_grid_larger_than_the_free_disk_is_refused_before_any_work(tmp_path, monkeypatch):
    import shutil
    paths = write_tracks(tmp_path, truth_field(), [(0, 0, 0), (0.01, 0, 0), (0.02, 0, 0)])
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(InputError, match=r"union grid of .* is 100 x 100 pixels: the mosaic needs .* GB, more than"):
        mosaic(tmp_path / "out", paths)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.h5"))


def test_los_of_ascending_and_descending_tracks_is_not_mosaicked(noisy_pair, tmp_path):
    cfg = parse_template(f"mimtpy.concatenation.DataSet = {noisy_pair[0]}, {noisy_pair[1]}\n"
                         f"mimtpy.concatenation.outdir = {tmp_path}", tmp_path / "c.template").configs["concatenation"]
    with pytest.raises(InputError, match=r"different directions .*ASCENDING, DESCENDING.*generate_horzvert"):
        concatenation.run(cfg, RunContext(tmp_path))
    assert not list(tmp_path.glob("*.h5"))
