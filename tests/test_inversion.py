"""The inversion step on synthetic networks with a known truth: split networks, readers, CLI, bad input."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from mimtpy.cli.invert_network import main
from mimtpy.context import RunContext
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.inversion import invert
from mimtpy.inversion.invert import InversionConfig
from mimtpy.inversion.solve import Network, solve_network
from mimtpy.io import open_ifgram_stack, write_geotiff
from tests.ifgram_synth import WAVELENGTH, nearest_pairs, network_dates, synthetic_stack

P2M = -WAVELENGTH / (4 * np.pi)
GRID = Grid(12, 10, 130.0, 33.0, 0.001, -0.001)


def write_h5_stack(path: Path, data: dict, drop: np.ndarray | None = None) -> Path:
    """A MintPy-layout ifgramStack.h5 written with h5py (the peer test uses MintPy's own writer)."""
    m = len(data["pairs"])
    with h5py.File(path, "w") as f:
        f.create_dataset("unwrapPhase", data=data["phase"])
        f.create_dataset("coherence", data=data["coherence"])
        f.create_dataset("connectComponent", data=np.where(data["gaps"], 0, 1).astype(np.int16))
        f.create_dataset("date", data=np.array([[data["dates"][i], data["dates"][j]] for i, j in data["pairs"]],
                                               dtype="S8"))
        f.create_dataset("bperp", data=np.linspace(-40, 40, m).astype(np.float32))
        f.create_dataset("dropIfgram", data=np.ones(m, bool) if drop is None else drop)
        length, width = data["phase"].shape[1:]
        attrs = {**GRID.to_attrs(), "LENGTH": str(length), "WIDTH": str(width), "FILE_TYPE": "ifgramStack",
                 "WAVELENGTH": str(WAVELENGTH), "REF_Y": str(data["ref"][0]), "REF_X": str(data["ref"][1])}
        for k, v in attrs.items():
            f.attrs[k] = v
    return path


def linear_split_data(length: int = 10, width: int = 12) -> dict:
    """Noise-free linear motion on 10 dates (2 neighbours each); in the left half of the scene every
    interferogram across 2018-02-18 .. 2018-03-02 (dates 4 -> 5) is missing: two sub-networks."""
    dates = network_dates(10)
    pairs = nearest_pairs(10, 2)
    t = np.arange(10) * 12 / 365.25
    rate = np.linspace(-0.06, 0.03, width)[None, :] * np.ones((length, 1))   # column 9 = copies of the reference
    disp = rate[None] * t[:, None, None]
    ii = np.array([p[0] for p in pairs])
    jj = np.array([p[1] for p in pairs])
    phase = ((disp[jj] - disp[ii]) / P2M).astype(np.float32) + 1.0
    cross = (ii <= 4) & (jj >= 5)
    gaps = np.zeros(phase.shape, bool)
    gaps[np.ix_(cross, np.arange(length), np.arange(width // 2))] = True
    phase[gaps] = 0
    return {"dates": dates, "pairs": pairs, "phase": phase, "coherence": np.full(phase.shape, 0.7, np.float32),
            "truth": disp, "gaps": gaps, "ref": (2, 9)}


def run_step(tmp_path: Path, data_path: Path, **kwargs) -> Path:
    cfg = InversionConfig(dataset=(str(data_path),), outdir=tmp_path / "out", figure=False, **kwargs)
    invert.run(cfg, RunContext(tmp_path))
    return tmp_path / "out"


def test_split_network_sbas_reports_two_components_and_nsbas_bridges_it(tmp_path: Path) -> None:
    data = linear_split_data()
    stack = write_h5_stack(tmp_path / "ifgramStack.h5", data)
    sbas = run_step(tmp_path / "s", stack, method="sbas", weight_func="no")
    nsbas = run_step(tmp_path / "n", stack, method="nsbas", weight_func="no")
    with h5py.File(sbas / "numComponent.h5") as f:
        ncomp = f["numComponent"][:]
    assert np.all(ncomp[:, :6] == 2) and np.all(ncomp[:, 6:] == 1)
    truth = data["truth"] - data["truth"][:, 2:3, 9:10]
    with h5py.File(nsbas / "timeseries.h5") as f:
        ts = f["timeseries"][:]
        assert f.attrs["REF_Y"] == "2" and f.attrs["REF_X"] == "9" and f.attrs["REF_DATE"] == "20180101"
    np.testing.assert_allclose(ts, truth, atol=1e-5)
    with h5py.File(sbas / "timeseries.h5") as f:
        ts_sbas = f["timeseries"][:]
    # connected half: SBAS is the truth; split half: each sub-network is right up to its own offset
    np.testing.assert_allclose(ts_sbas[:, :, 6:], truth[:, :, 6:], atol=1e-5)
    late = ts_sbas[5:, :, :6] - truth[5:, :, :6]
    np.testing.assert_allclose(late, np.broadcast_to(late[:1], late.shape), atol=1e-5)
    np.testing.assert_allclose(ts_sbas[:5, :, :6], truth[:5, :, :6], atol=1e-5)
    assert np.abs(late).max() > 1e-3          # the offset across the gap is not determined by SBAS


def test_sbas_minimum_norm_velocity_across_the_gap() -> None:
    """With the offset free, SBAS takes the minimum-norm interval velocities: the velocity across the
    gap is the one that minimises the sum of squared velocities, a closed form for this network."""
    net = Network(tuple(network_dates(4)), ((0, 1), (2, 3)))
    obs = np.array([[1.0, 2.0]], np.float32)
    sol = solve_network(obs, net, "sbas")
    v = np.diff(sol.ts[0]) / np.diff(net.years)
    np.testing.assert_allclose(v, [1.0 / np.diff(net.years)[0], 0.0, 2.0 / np.diff(net.years)[2]], atol=1e-9)
    assert sol.ncomp[0] == 2


def test_synthetic_truth_recovered_with_gaps_and_weights(tmp_path: Path) -> None:
    data = synthetic_stack(10, 12, 15, neighbours=3, gap=0.1, noise=0.05, seed=2)
    stack = write_h5_stack(tmp_path / "ifgramStack.h5", data)
    out = run_step(tmp_path, stack, method="sbas", weight_func="var")
    with h5py.File(out / "timeseries.h5") as f:
        ts = f["timeseries"][:]
        assert f.attrs["FILE_TYPE"] == "timeseries" and f.attrs["UNIT"] == "m"
        assert list(f["date"][:].astype(str)) == data["dates"]
        assert f["bperp"].shape == (15,)
    ok = np.isfinite(ts).all(axis=0)
    assert ok.mean() > 0.9
    err = (ts - data["truth"])[:, ok]
    assert np.sqrt(np.mean(err**2)) < 0.05 * abs(P2M) * 3    # a fraction of the phase noise, in m
    with h5py.File(out / "velocity.h5") as f:
        vel = f["velocity"][:]
    rate = np.linspace(-0.05, 0.02, 12)[None, :] * np.ones((10, 1))
    assert np.nanmedian(np.abs(vel - (rate - rate[5, 5]))) < 0.02


def _licsar(folder: Path, data: dict) -> None:
    for k, (i, j) in enumerate(data["pairs"]):
        name = f"{data['dates'][i]}_{data['dates'][j]}"
        (folder / name).mkdir(parents=True)
        write_geotiff(folder / name / f"{name}.geo.unw.tif", data["phase"][k], GRID)
        import rasterio

        profile = dict(driver="GTiff", width=GRID.width, height=GRID.length, count=1, dtype="uint8",
                       crs="EPSG:4326", transform=rasterio.Affine(GRID.x_step, 0, GRID.x_first, 0, GRID.y_step,
                                                                  GRID.y_first))
        with rasterio.open(folder / name / f"{name}.geo.cc.tif", "w", **profile) as dst:
            dst.write(np.round(data["coherence"][k] * 255).astype(np.uint8), 1)


def _roipac(folder: Path, data: dict) -> list[Path]:
    folder.mkdir(parents=True)
    files = []
    for k, (i, j) in enumerate(data["pairs"]):
        path = folder / f"filt_{data['dates'][i]}-{data['dates'][j]}.unw"
        bil = np.stack([np.ones_like(data["phase"][k]), data["phase"][k]], axis=1).astype(np.float32)
        bil.tofile(path)
        rsc = {"WIDTH": GRID.width, "FILE_LENGTH": GRID.length, "X_FIRST": GRID.x_first, "Y_FIRST": GRID.y_first,
               "X_STEP": GRID.x_step, "Y_STEP": GRID.y_step, "WAVELENGTH": WAVELENGTH,
               "DATE12": f"{data['dates'][i][2:]}-{data['dates'][j][2:]}"}
        path.with_name(path.name + ".rsc").write_text("".join(f"{k2:<20}{v}\n" for k2, v in rsc.items()))
        files.append(path)
    return files


def _geocml(folder: Path, data: dict) -> None:
    """LiCSBAS GEOCml layout: raw float32 <pair>/<pair>.unw and uint8 .cc, EQA.dem_par, slc.mli.par."""
    folder.mkdir(parents=True)
    (folder / "EQA.dem_par").write_text(
        f"corner_lat:  {GRID.y_first + GRID.y_step / 2} decimal degrees\n"
        f"corner_lon:  {GRID.x_first + GRID.x_step / 2} decimal degrees\n"
        f"post_lat:  {GRID.y_step} decimal degrees\npost_lon:  {GRID.x_step} decimal degrees\n"
        f"width:  {GRID.width}\nnlines:  {GRID.length}\n")
    (folder / "slc.mli.par").write_text(f"range_samples:  {GRID.width}\nazimuth_lines:  {GRID.length}\n"
                                        f"radar_frequency:  {299792458.0 / WAVELENGTH}  Hz\n")
    for k, (i, j) in enumerate(data["pairs"]):
        name = f"{data['dates'][i]}_{data['dates'][j]}"
        (folder / name).mkdir()
        data["phase"][k].astype("<f4").tofile(folder / name / f"{name}.unw")
        np.round(data["coherence"][k] * 255).astype(np.uint8).tofile(folder / name / f"{name}.cc")


def _pyrate(folder: Path, data: dict) -> None:
    folder.mkdir(parents=True)
    for k, (i, j) in enumerate(data["pairs"]):
        d1, d2 = data["dates"][i], data["dates"][j]
        tags = {"FIRST_DATE": f"{d1[:4]}-{d1[4:6]}-{d1[6:]}", "SECOND_DATE": f"{d2[:4]}-{d2[4:6]}-{d2[6:]}",
                "DATA_UNITS": "RADIANS", "WAVELENGTH_METRES": WAVELENGTH}
        write_geotiff(folder / f"ifg_{k:03d}_unw.tif", np.where(data["phase"][k] == 0, 0, data["phase"][k]), GRID,
                      tags)


def test_every_reader_gives_the_same_time_series(tmp_path: Path) -> None:
    data = synthetic_stack(10, 12, 8, neighbours=2, gap=0.1, noise=0.1, seed=4, ref=(3, 4))
    h5 = write_h5_stack(tmp_path / "ifgramStack.h5", data)
    _licsar(tmp_path / "GEOC", data)
    roipac = _roipac(tmp_path / "roipac", data)
    _pyrate(tmp_path / "pyrate", data)
    _geocml(tmp_path / "GEOCml1", data)
    results = {}
    for name, inputs in (("h5", [h5]), ("licsar", [tmp_path / "GEOC"]), ("roipac", roipac),
                         ("pyrate", [tmp_path / "pyrate"]), ("licsbas", [tmp_path / "GEOCml1"])):
        out = tmp_path / f"out_{name}"
        args = [str(p) for p in inputs] + ["--method", "sbas", "--weight-func", "no", "--outdir", str(out), "-q",
                                           "--ref-lalo", "32.9965", "130.0045", "--no-figure"]
        assert main(args) == 0
        with h5py.File(out / "timeseries.h5") as f:
            results[name] = f["timeseries"][:]
            assert int(f.attrs["REF_Y"]) == 3 and int(f.attrs["REF_X"]) == 4
            assert abs(float(f.attrs["REF_LAT"]) - 32.9965) < 1e-9
    truth = data["truth"]
    ok = np.isfinite(results["h5"]).all(axis=0)
    assert np.sqrt(np.nanmean((results["h5"] - truth)[:, ok] ** 2)) < 0.2 * abs(P2M)
    for name in ("licsar", "roipac", "pyrate", "licsbas"):
        np.testing.assert_allclose(results[name], results["h5"], atol=1e-7, err_msg=name)
    stack = open_ifgram_stack(tmp_path / "GEOC")
    assert stack.family == "licsar" and stack.has_coherence
    coh = stack.read()[1]
    np.testing.assert_allclose(coh, data["coherence"], atol=1 / 255)
    geocml = open_ifgram_stack(tmp_path / "GEOCml1")
    assert geocml.family == "licsbas" and geocml.grid.shape == GRID.shape
    assert (geocml.grid.x_first, geocml.grid.y_first) == pytest.approx((GRID.x_first, GRID.y_first), abs=1e-9)
    assert geocml.wavelength == pytest.approx(WAVELENGTH)
    np.testing.assert_allclose(geocml.read()[1], data["coherence"], atol=1 / 255)


def test_mintpy_reads_our_outputs(tmp_path: Path) -> None:
    readfile = pytest.importorskip("mintpy.utils.readfile")
    data = synthetic_stack(10, 12, 8, neighbours=2, gap=0.05, seed=1)
    stack = write_h5_stack(tmp_path / "ifgramStack.h5", data)
    out = tmp_path / "out"
    assert main([str(stack), "--outdir", str(out), "-q"]) == 0
    ts, atr = readfile.read(str(out / "timeseries.h5"))
    assert ts.shape == (8, 10, 12) and atr["FILE_TYPE"] == "timeseries" and atr["REF_DATE"] == data["dates"][0]
    for name in ("temporalCoherence", "numInvIfgram", "numComponent", "residualRMS", "velocity"):
        arr, atr = readfile.read(str(out / f"{name}.h5"))
        assert arr.shape == (10, 12), name
    assert (out / "network.png").stat().st_size > 1000


def test_bad_inputs_name_the_file(tmp_path: Path, capsys) -> None:
    data = synthetic_stack(10, 12, 5, neighbours=2, gap=0.0, seed=0)
    folder = tmp_path / "pyrate"
    _pyrate(folder, data)
    # a pair given twice
    dup = tmp_path / "dup"
    dup.mkdir()
    for name in ("a_unw.tif", "b_unw.tif"):
        (dup / name).write_bytes((folder / "ifg_000_unw.tif").read_bytes())
    with pytest.raises(ProductError, match=r"b_unw.tif: pair 20180101_20180113 is already given by .*a_unw.tif"):
        open_ifgram_stack(dup)
    # different grids
    other = tmp_path / "grid"
    other.mkdir()
    (other / "a_unw.tif").write_bytes((folder / "ifg_000_unw.tif").read_bytes())
    write_geotiff(other / "x_20180113_20180125_unw.tif", np.ones((10, 12), np.float32),
                  Grid(12, 10, 130.5, 33.0, 0.001, -0.001))
    with pytest.raises(ProductError, match=r"x_20180113_20180125_unw.tif: grid .* differs from"):
        open_ifgram_stack(other)
    # unreadable dates
    bad = tmp_path / "dates"
    bad.mkdir()
    write_geotiff(bad / "nodates_unw.tif", np.ones((10, 12), np.float32), GRID)
    with pytest.raises(ProductError, match=r"nodates_unw\.tif: cannot read the dates"):
        open_ifgram_stack(bad)
    write_geotiff(bad / "nodates_unw.tif", np.ones((10, 12), np.float32), GRID, {"FIRST_DATE": "2018-13-45",
                                                                                 "SECOND_DATE": "2018-01-20"})
    with pytest.raises(ProductError, match=r"nodates_unw\.tif: unreadable date .20181345."):
        open_ifgram_stack(bad)
    # a date no kept interferogram touches (all its interferograms dropped)
    drop = np.ones(len(data["pairs"]), bool)
    drop[[k for k, p in enumerate(data["pairs"]) if 4 in p]] = False
    h5 = write_h5_stack(tmp_path / "ifgramStack.h5", data, drop)
    with pytest.raises(ProductError, match=r"ifgramStack.h5: date\(s\) 20180218 of the network are touched by no"):
        open_ifgram_stack(h5)
    assert open_ifgram_stack(h5, drop_untouched=True).dates == data["dates"][:4]
    # through the script: a clean message, exit code 1, no output
    assert main([str(dup), "--outdir", str(tmp_path / "o"), "-q"]) == 1
    assert "already given by" in capsys.readouterr().err
    assert not (tmp_path / "o" / "timeseries.h5").exists()
    # reference outside the data, reference without data
    with pytest.raises(InputError, match="outside"):
        invert.run(InversionConfig(dataset=(str(folder),), reference_point=(10.0, 10.0), outdir=tmp_path / "r"),
                   RunContext(tmp_path))
    gappy = synthetic_stack(10, 12, 5, neighbours=2, gap=0.0, seed=0)
    gappy["phase"][1, 0, 0] = 0
    h5b = write_h5_stack(tmp_path / "gappy.h5", {**gappy, "ref": (0, 0)})
    with pytest.raises(InputError, match=r"reference pixel \(row 0, col 0\) has no data in 1 interferogram"):
        invert.run(InversionConfig(dataset=(str(h5b),), outdir=tmp_path / "r2"), RunContext(tmp_path))
    assert not (tmp_path / "r2" / "timeseries.h5").exists()


def test_plan_reports_problems(tmp_path: Path) -> None:
    plan = invert.plan(InversionConfig(dataset=("missing.h5",)), RunContext(tmp_path))
    assert any("missing.h5 not found" in msg for _key, msg in plan.problems)
    assert plan.outputs[0] == tmp_path / "inversion" / "timeseries.h5"
    assert invert.plan(InversionConfig(), RunContext(tmp_path)).problems[0][0] == "DataSet"


def test_radar_coded_roipac(tmp_path: Path) -> None:
    """ROI_PAC .unw/.cor without a geocoded grid: outputs stay in radar coordinates; the reference is chosen
    automatically (valid everywhere, highest mean coherence) and equals the MintPy-stack result with that
    REF_Y/REF_X."""
    data = synthetic_stack(10, 12, 8, neighbours=2, gap=0.1, noise=0.1, seed=6)
    folder = tmp_path / "radar"
    folder.mkdir()
    for k, (i, j) in enumerate(data["pairs"]):
        stem = folder / f"{data['dates'][i]}-{data['dates'][j]}"
        np.stack([np.ones_like(data["phase"][k]), data["phase"][k]], axis=1).astype(np.float32).tofile(
            stem.with_suffix(".unw"))
        np.stack([np.ones_like(data["coherence"][k]), data["coherence"][k]], axis=1).astype(np.float32).tofile(
            stem.with_suffix(".cor"))
        date12 = f"{data['dates'][i][2:]}-{data['dates'][j][2:]}"
        rsc = f"WIDTH 12\nFILE_LENGTH 10\nWAVELENGTH {WAVELENGTH}\nDATE12 {date12}\n"
        for suffix in (".unw", ".cor"):
            stem.with_suffix(suffix).with_name(stem.name + suffix + ".rsc").write_text(rsc)
    stack = open_ifgram_stack(folder)
    assert stack.grid is None and stack.has_coherence and stack.family == "roipac"
    out = run_step(tmp_path / "r", folder, method="sbas")
    with h5py.File(out / "timeseries.h5") as f:
        ts = f["timeseries"][:]
        ry, rx = int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])
        assert "X_FIRST" not in f.attrs and "REF_LAT" not in f.attrs
    full = ~data["gaps"].any(axis=0)
    mean_coh = np.where(full, np.round(data["coherence"].mean(axis=0), 2), -1)
    assert mean_coh[ry, rx] == mean_coh.max()
    h5 = write_h5_stack(tmp_path / "ifgramStack.h5", {**data, "ref": (ry, rx)})
    with h5py.File(run_step(tmp_path / "h", h5, method="sbas") / "timeseries.h5") as f:
        np.testing.assert_allclose(ts, f["timeseries"][:], atol=1e-7)


def test_zero_after_referencing_is_no_data_as_mintpy() -> None:
    """MintPy turns a phase equal to the reference phase (0 after referencing) into no-data; the reference pixel
    and pixels equal to it everywhere stay valid (series 0)."""
    from mimtpy.inversion.engine import BlockParams, invert_block

    data = synthetic_stack(3, 4, 6, neighbours=2, gap=0.0, noise=0.1, seed=3, ref=(1, 1))
    phase = np.where(data["phase"] == 0, np.nan, data["phase"]).astype(np.float32)
    ref_phase = phase[:, 1, 1].astype(np.float64)
    phase[2, 0, 3] = phase[2, 1, 1]                  # one value equal to the reference's
    phase[:, 2, 0] = phase[:, 1, 1]                  # a copy of the reference pixel
    net = Network.from_date12([(data["dates"][i], data["dates"][j]) for i, j in data["pairs"]])
    params = BlockParams("sbas", "no", 1.0, 1e-4, False, 1.0, 1, 1, P2M, np.arange(6) / 30.0)
    out = invert_block(phase, None, ref_phase, net, params)
    assert out["numInvIfgram"][0, 3] == net.num_ifgram - 1
    assert out["numInvIfgram"][1, 1] == net.num_ifgram
    np.testing.assert_array_equal(out["timeseries"][:, 1, 1], 0)
    np.testing.assert_array_equal(out["timeseries"][:, 2, 0], 0)
    assert out["numInvIfgram"][2, 0] == net.num_ifgram
    assert np.isfinite(out["timeseries"]).all()


def test_row_blocks_give_the_same_result(tmp_path: Path) -> None:
    from mimtpy.config import ComputeConfig

    data = synthetic_stack(10, 12, 8, neighbours=2, gap=0.1, noise=0.1, seed=8, ref=(6, 3))
    stack = write_h5_stack(tmp_path / "ifgramStack.h5", data)
    results = []
    for name, memory in (("one", 4.0), ("rows", 1e-4)):
        for method in ("sbas", "nsbas"):
            cfg = InversionConfig(dataset=(str(stack),), method=method, weight_func="var", figure=False,
                                  outdir=tmp_path / f"{name}_{method}")
            invert.run(cfg, RunContext(tmp_path, compute=ComputeConfig(max_memory=memory, num_worker="2")))
            with h5py.File(tmp_path / f"{name}_{method}" / "timeseries.h5") as f:
                results.append(f["timeseries"][:])
    np.testing.assert_allclose(results[0], results[2], rtol=0, atol=1e-9)
    np.testing.assert_allclose(results[1], results[3], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(results[0][:, 6, 3], 0)


def test_reference_area_and_rerun_skips(tmp_path: Path) -> None:
    """A reference area: its mean is subtracted from every interferogram, so (no gaps, linear least squares)
    the mean series of the area is zero; a second run with the same inputs and settings is skipped."""
    data = synthetic_stack(10, 12, 8, neighbours=2, gap=0.0, noise=0.2, seed=9)
    stack = write_h5_stack(tmp_path / "ifgramStack.h5", data)
    area = (32.9932, 32.9978, 130.0022, 130.0068)            # rows 2..6, cols 2..6 (pixel centres inside)
    cfg = InversionConfig(dataset=(str(stack),), reference_area=area, figure=False, outdir=tmp_path / "out")
    written = invert.run(cfg, RunContext(tmp_path))
    with h5py.File(tmp_path / "out" / "timeseries.h5") as f:
        ts = f["timeseries"][:]
        assert f.attrs["REF_AREA"] == " ".join(str(v) for v in area)
        assert (f.attrs["REF_Y"], f.attrs["REF_X"]) == ("4", "4")
    np.testing.assert_allclose(ts[:, 2:7, 2:7].mean(axis=(1, 2)), 0, atol=1e-7)
    assert np.abs(ts[:, 2:7, 2:7]).max() > 1e-3
    stamp = [p.stat().st_mtime_ns for p in written]
    assert invert.run(cfg, RunContext(tmp_path)) == written
    assert [p.stat().st_mtime_ns for p in written] == stamp


def test_folder_of_geotiffs_named_by_pair(tmp_path: Path) -> None:
    data = synthetic_stack(10, 12, 5, neighbours=2, gap=0.0, seed=0)
    folder = tmp_path / "ifgs"
    folder.mkdir()
    for k, (i, j) in enumerate(data["pairs"]):
        write_geotiff(folder / f"{data['dates'][i]}_{data['dates'][j]}.tif", data["phase"][k], GRID,
                      {"WAVELENGTH": WAVELENGTH})
        write_geotiff(folder / f"{data['dates'][i]}_{data['dates'][j]}_coh.tif", data["coherence"][k], GRID)
    stack = open_ifgram_stack(folder)
    assert stack.num_ifgram == len(data["pairs"]) and stack.has_coherence
    np.testing.assert_allclose(stack.read()[0], np.where(data["phase"] == 0, np.nan, data["phase"]))
