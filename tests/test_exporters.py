"""Exports for modelling tools (mimtpy.preprocess): Kite scenes and Kite's quadtree, GBIS, ROI_PAC
(InSAMP, GeodMod), residuals. Truths: the synthetic products' own datasets (displacement, incidence,
azimuth), Kite 1.5.8's leaves on a real crop (tests/data/kite_quadtree), fields with a known structure
and known covariance, MintPy's readfile as the peer reader of ROI_PAC files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, write_geotiff
from mimtpy.preprocess import EXPORTERS, formats_markdown
from mimtpy.preprocess.kitefmt import kite_angles
from mimtpy.preprocess.leaves import leaf_table, read_leaves_csv
from mimtpy.preprocess.quadtree import (
    build_quadtree,
    build_quadtree_reference,
    tile_stats,
    tile_stats_numpy,
)

DATA = Path(__file__).parent / "data"
KITE_REF = DATA / "kite_quadtree"
D12 = "20170103_20181230"          # snapped by the product to 20170103..20181224


def truth_displacement(product_path: Path, d1: str, d2: str) -> np.ndarray:
    p = open_product(product_path)
    i, j = p.dates.index(d1), p.dates.index(d2)
    ts = p.read("timeseries", epochs=np.array([i, j])).astype(np.float64)
    return ts[1] - ts[0]


# ---------------------------------------------------------------- Kite conventions


def test_kite_angles_of_a_known_look():
    """Sentinel-1 ascending: incidence 34 deg, azimuthAngle +102 deg (ground-to-satellite vector 102 deg
    anticlockwise from north: the satellite looks east, it sits to the west-south-west of the target)
    -> theta = 90 - 34 = 56 deg, phi = 102 + 90 = 192 deg anticlockwise from east."""
    from mimtpy.core.geometry import los_unit_vector

    e, n, u = los_unit_vector(np.array([34.0]), np.array([102.0]))
    theta, phi = kite_angles(e, n, u)
    assert math.degrees(theta[0]) == pytest.approx(56.0, abs=1e-9)
    assert math.degrees(phi[0]) % 360 == pytest.approx(192.0, abs=1e-9)
    # Kite's own LOS factors from theta/phi give back the same vector (kite/scene.py los_rotation_factors)
    assert np.cos(theta) * np.cos(phi) == pytest.approx(e)
    assert np.cos(theta) * np.sin(phi) == pytest.approx(n)
    assert np.sin(theta) == pytest.approx(u)


def test_save_kite_scene_is_south_up_with_kite_angles_and_frame(clean_track, tmp_path):
    from mimtpy.cli import save_kite

    assert save_kite.main([str(clean_track), "--date", D12, "--outdir", str(tmp_path), "--outname", "sc",
                           "-q"]) == 0
    npz = np.load(tmp_path / "sc.npz")
    assert list(npz.keys()) == ["arr_0", "arr_1", "arr_2"]
    product = open_product(clean_track)
    disp = truth_displacement(clean_track, "20170103", "20181224")
    np.testing.assert_allclose(npz["arr_0"], disp[::-1], rtol=0, atol=1e-7, equal_nan=True)
    inc, az = product.read("incidenceAngle"), product.read("azimuthAngle")
    np.testing.assert_allclose(np.rad2deg(npz["arr_1"]), (90.0 - inc)[::-1], atol=1e-4)
    dphi = (np.rad2deg(npz["arr_2"]) - (az + 90.0)[::-1] + 180) % 360 - 180
    assert np.nanmax(np.abs(dphi)) < 1e-4
    import yaml

    text = (tmp_path / "sc.yml").read_text()
    assert text.startswith("%YAML 1.1\n# kite.Scene YAML Config\n--- !kite.scene.SceneConfig\n")
    cfg = yaml.safe_load(text.split("\n", 2)[2].replace("!kite.scene.SceneConfig", "").replace(
        "!kite.scene.Meta", "").replace("!kite.scene.FrameConfig", "").replace("!kite.quadtree.QuadtreeConfig", ""))
    g = product.grid
    assert cfg["frame"] == {"llLat": pytest.approx(g.y_first + g.length * g.y_step), "llLon": g.x_first,
                            "dN": abs(g.y_step), "dE": g.x_step, "spacing": "degree"}
    assert cfg["meta"]["wavelength"] == pytest.approx(float(product.attrs["WAVELENGTH"]))
    assert cfg["meta"]["time_master"] == "2017-01-03 00:00:00"
    assert cfg["meta"]["time_slave"] == "2018-12-24 00:00:00"
    assert cfg["meta"]["orbital_node"] == "Ascending"


def test_save_kite_subset_really_crops(clean_track, tmp_path):
    from mimtpy.cli import save_kite

    snwe = (34.05, 34.2, -118.25, -118.1)
    assert save_kite.main([str(clean_track), "--date", D12, "--SNWE", *map(str, snwe), "--outdir", str(tmp_path),
                           "--outname", "sub", "-q"]) == 0
    full = open_product(clean_track).grid
    rows, cols = full.window(snwe)
    disp = truth_displacement(clean_track, "20170103", "20181224")[rows, cols]
    npz = np.load(tmp_path / "sub.npz")
    assert npz["arr_0"].shape == disp.shape != full.shape
    np.testing.assert_allclose(npz["arr_0"], disp[::-1], atol=1e-7, equal_nan=True)
    text = (tmp_path / "sub.yml").read_text()
    sub = full.subset(rows, cols)
    assert f"llLat: {sub.y_first + sub.length * sub.y_step!r}" in text
    assert f"llLon: {sub.x_first!r}" in text


# ---------------------------------------------------------------- quadtree


def test_tile_stats_kernel_equals_numpy_reference_on_random_input():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(57, 83))
    data[rng.random(data.shape) < 0.2] = np.nan
    data[:10, :10] = np.nan
    tiles = np.stack([rng.integers(0, 70, 400), rng.integers(0, 95, 400), rng.integers(0, 40, 400)], axis=1)
    tiles[:3] = [[0, 0, 10], [50, 80, 16], [60, 0, 4]]          # all-NaN, clipped, outside
    got, ref = tile_stats(data, tiles), tile_stats_numpy(data, tiles)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, equal_nan=True)
    assert got[0][2] == 0 and got[1][0] == 0 and np.isnan(got[2][0])


@pytest.mark.parametrize("case", range(5))
def test_quadtree_gives_kites_leaves_on_a_real_scene(case):
    """Kite 1.5.8 computed these leaves on the same array with the same parameters (SOURCE.txt)."""
    ref = json.loads((KITE_REF / "kite_leaves.json").read_text())["cases"][case]
    data = np.load(KITE_REF / "kirishima_velocity_crop.npy").astype(np.float64)
    leaves = build_quadtree(data, ref["dE"], ref["dN"], **ref["params"])
    assert leaves.params.epsilon == pytest.approx(ref["epsilon_used"], rel=1e-12)
    assert [leaves.params.tile_min_px, leaves.params.tile_max_px] == ref["tile_size_px"]
    assert [list(k) for k in leaves.keys()] == ref["leaves"]
    ones = np.ones(data.shape)
    frame = {"llLat": 31.9, "llLon": 130.85, "dE": ref["dE"], "dN": ref["dN"], "spacing": "degree"}
    table = leaf_table(data, ones * 0.1, ones * 0.2, ones * 0.97, leaves, frame)
    np.testing.assert_allclose(table["value"], ref["means"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(table["median"], ref["medians"], rtol=1e-9, atol=1e-12)
    fp = np.array(ref["focal_points"])
    np.testing.assert_allclose(table["lon"] - 130.85, fp[:, 0], atol=1e-12)
    np.testing.assert_allclose(table["lat"] - 31.9, fp[:, 1], atol=1e-12)


@pytest.mark.parametrize("correction", ["mean", "median", "std", "bilinear"])
def test_compiled_quadtree_equals_recursive_reference(correction):
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:70, 0:90]
    data = 0.03 * np.exp(-((x - 40) ** 2 + (y - 30) ** 2) / 300.0) + rng.normal(0, 0.001, x.shape)
    data[rng.random(data.shape) < 0.05] = np.nan
    data[50:, 60:] = np.nan
    kw = {"epsilon": 0.002, "correction": correction, "tile_size_min": 0.002, "tile_size_max": 0.03}
    a = build_quadtree(data, 0.001, 0.001, **kw)
    b = build_quadtree_reference(data, 0.001, 0.001, **kw)
    assert a.keys() == b.keys() and len(a) > 10


def test_quadtree_flat_field_gives_the_largest_tiles_and_a_step_small_ones_along_it():
    rows, cols = 128, 128
    flat = np.full((rows, cols), 0.01) + np.random.default_rng(0).normal(0, 1e-6, (rows, cols))
    lv = build_quadtree(flat, 1.0, 1.0, epsilon=1e-4, tile_size_min=4, tile_size_max=32)
    assert set(lv.length.tolist()) == {32} and len(lv) == (128 // 32) ** 2
    step = flat.copy()
    step[:, 64:] += 0.05                                   # a step between columns 63 and 64
    lv = build_quadtree(step, 1.0, 1.0, epsilon=1e-4, tile_size_min=4, tile_size_max=32)
    touching = (lv.llc <= 63) & (lv.llc + lv.length >= 65)
    assert not touching.any()                              # no leaf straddles the step
    near = (lv.llc + lv.length == 64) | (lv.llc == 64)
    assert lv.length[~near].min() == 32 and len(lv) == (128 // 32) ** 2
    # the step lies on a tile edge: every leaf holds one side only, a flat part
    table = leaf_table(step, *(np.ones(step.shape),) * 3, lv, {"llLat": 0, "llLon": 0, "dE": 1.0, "dN": 1.0,
                                                                  "spacing": "degree"})
    assert np.all(table["std"] < 1e-4)
    weighted = np.sum(table["value"] * table["npixels"]) / np.sum(table["npixels"])
    assert weighted == pytest.approx(step.mean(), rel=1e-12)


def test_quadtree_splits_to_the_minimum_tile_along_a_step_that_does_not_fall_on_a_tile_edge():
    data = np.zeros((128, 128))
    data[:, 50:] = 0.05                                    # 50 is not a multiple of 4, 8, 16 or 32
    lv = build_quadtree(data, 1.0, 1.0, epsilon=1e-3, tile_size_min=4, tile_size_max=32)
    straddle = (lv.llc < 50) & (lv.llc + lv.length > 50)
    assert straddle.any()
    # tiles across the step split down to tile_size_min (4 px): their children (2 px) would be smaller
    assert set(lv.length[straddle].tolist()) == {4}
    assert lv.length.max() == 32


def test_quadtree_rejects_bad_input():
    with pytest.raises(InputError, match="correction"):
        build_quadtree(np.ones((8, 8)), 1, 1, correction="mode")
    with pytest.raises(InputError, match="no valid"):
        build_quadtree(np.full((8, 8), np.nan), 1, 1)
    with pytest.raises(InputError, match="tile_size_min"):
        build_quadtree(np.random.default_rng(0).random((8, 8)), 1, 1, tile_size_min=5, tile_size_max=2)


def test_save_kite_quadtree_csv_h5_figure_and_covariance(clean_track, tmp_path):
    from mimtpy.cli import save_kite

    argv = [str(clean_track), "--date", D12, "--quadtree", "--epsilon", "0.002", "--nan-allowed", "0.8",
            "--tile-size-min", "0.006", "--tile-size-max", "0.06", "--correction", "median", "--covariance",
            "--outdir", str(tmp_path), "--outname", "q", "-q"]
    assert save_kite.main(argv) == 0
    table = read_leaves_csv(tmp_path / "q_quadtree.csv")
    for col in ("lon", "lat", "value", "std", "npixels", "los_east", "los_north", "los_up"):
        assert col in table
    disp = truth_displacement(clean_track, "20170103", "20181224")
    weighted = np.sum(table["value"] * table["npixels"]) / np.sum(table["npixels"])
    assert weighted == pytest.approx(np.nanmean(disp), rel=1e-9)          # no leaf dropped: no NaN here
    g = open_product(clean_track).grid
    s, n, w, e = g.snwe
    assert np.all((table["lat"] > s) & (table["lat"] < n) & (table["lon"] > w) & (table["lon"] < e))
    norm = table["los_east"] ** 2 + table["los_north"] ** 2 + table["los_up"] ** 2
    np.testing.assert_allclose(norm, 1.0, atol=1e-3)
    # the leaves are those of the scene written beside, with the parameters written into its .yml
    npz = np.load(tmp_path / "q.npz")
    again = build_quadtree(npz["arr_0"], g.x_step, -g.y_step, epsilon=0.002, nan_allowed=0.8,
                           tile_size_min=0.006, tile_size_max=0.06)
    assert len(again) == len(table["lon"])
    assert "epsilon: 0.002" in (tmp_path / "q.yml").read_text()
    import h5py

    with h5py.File(tmp_path / "q_quadtree.h5", "r") as f:
        np.testing.assert_array_equal(f["value"][:, 0], table["value"])
        np.testing.assert_array_equal(f["npixels"][:, 0], table["npixels"])
    assert (tmp_path / "q_quadtree.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fit = json.loads((tmp_path / "q_covariance.json").read_text())
    assert {"sill", "range", "nugget"} <= set(fit)


# ---------------------------------------------------------------- covariance


def test_exponential_covariance_fit_recovers_a_known_covariance():
    from mimtpy.preprocess.covariance import fit_exponential

    n, spacing, sill, rng_m, nugget = 36, 100.0, 4e-6, 400.0, 1e-6
    y, x = np.mgrid[0:n, 0:n] * spacing
    pts = np.stack([x.ravel(), y.ravel()], axis=1)
    dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    chol = np.linalg.cholesky(sill * np.exp(-dist / rng_m) + 1e-12 * np.eye(len(pts)))
    gen = np.random.default_rng(3)
    fits = []
    for _ in range(6):
        field = chol @ gen.normal(size=len(pts)) + gen.normal(0, math.sqrt(nugget), len(pts))
        fits.append(fit_exponential(field, pts[:, 0], pts[:, 1], npairs=200_000, nbins=20, max_distance=1500))
    assert np.median([f["range"] for f in fits]) == pytest.approx(rng_m, rel=0.5)
    assert np.median([f["sill"] for f in fits]) == pytest.approx(sill, rel=0.5)
    assert np.median([f["nugget"] for f in fits]) == pytest.approx(nugget, rel=0.7)


def test_white_noise_has_no_correlated_sill():
    from mimtpy.preprocess.covariance import fit_exponential

    gen = np.random.default_rng(0)
    y, x = np.mgrid[0:60, 0:60] * 50.0
    fit = fit_exponential(gen.normal(0, 0.003, x.shape), x, y)
    assert fit["nugget"] == pytest.approx(0.003 ** 2, rel=0.1)
    assert fit["sill"] < 0.1 * 0.003 ** 2


# ---------------------------------------------------------------- GBIS


def test_save_gbis_phase_sign_and_geometry(clean_track, tmp_path):
    from scipy.io import loadmat

    from mimtpy.cli import save_gbis

    assert save_gbis.main([str(clean_track), "--date", D12, "--outdir", str(tmp_path), "--outname", "g",
                           "-q"]) == 0
    mat = loadmat(tmp_path / "g.mat")
    product = open_product(clean_track)
    lam = float(product.attrs["WAVELENGTH"])
    disp = truth_displacement(clean_track, "20170103", "20181224")
    ok = np.isfinite(disp)
    assert mat["Phase"].shape == (ok.sum(), 1)
    np.testing.assert_allclose(mat["Phase"][:, 0], -4 * np.pi / lam * disp[ok], atol=1e-5)
    # GBIS's loader converts back with los = -Phase * lambda / (4 pi)
    np.testing.assert_allclose(-mat["Phase"][:, 0] * lam / (4 * np.pi), disp[ok], atol=1e-7)
    lat, lon = np.meshgrid(product.grid.lats(), product.grid.lons(), indexing="ij")
    np.testing.assert_allclose(mat["Lat"][:, 0], lat[ok])
    np.testing.assert_allclose(mat["Lon"][:, 0], lon[ok])
    inc, az = product.read("incidenceAngle")[ok], product.read("azimuthAngle")[ok]
    np.testing.assert_allclose(mat["Inc"][:, 0], inc, atol=1e-4)
    dh = (mat["Heading"][:, 0] - (90.0 - az) + 180) % 360 - 180        # heading = 90 - azimuth (right-looking)
    assert np.abs(dh).max() < 1e-4
    assert np.all(np.abs(mat["Heading"][:, 0] + 12) < 3)                # ascending S1 synthetic: HEADING -12


def test_save_gbis_quadtree_leaves(clean_track, tmp_path):
    from scipy.io import loadmat

    from mimtpy.cli import save_gbis

    assert save_gbis.main([str(clean_track), "--date", D12, "--quadtree", "--epsilon", "0.002", "--outdir",
                           str(tmp_path), "--outname", "gq", "-q"]) == 0
    mat = loadmat(tmp_path / "gq.mat")
    n = mat["Phase"].shape[0]
    disp = truth_displacement(clean_track, "20170103", "20181224")
    assert 10 < n < np.isfinite(disp).sum()
    lam = float(open_product(clean_track).attrs["WAVELENGTH"])
    vals = -mat["Phase"][:, 0] * lam / (4 * np.pi)
    assert vals.min() >= np.nanmin(disp) - 1e-9 and vals.max() <= np.nanmax(disp) + 1e-9


def test_gbis_without_wavelength_names_the_key(tmp_path):
    grid = Grid(20, 10, 10.0, 45.0, 0.01, -0.01)
    path = write_geotiff(tmp_path / "v.tif", np.ones((10, 20), np.float32), grid, {"UNIT": "m/year"})
    geo = tmp_path / "geometryGeo.h5"
    from mimtpy.io import write_h5

    write_h5(geo, {"incidenceAngle": np.full((10, 20), 35, np.float32), "azimuthAngle": np.full((10, 20), -102,
                                                                                                    np.float32)},
             {**grid.to_attrs(), "FILE_TYPE": "geometry", "LENGTH": "10", "WIDTH": "20"})
    from mimtpy.cli import save_gbis

    with pytest.raises(ProductError, match="WAVELENGTH"):
        from mimtpy.context import RunContext
        from mimtpy.preprocess.gbis import GbisConfig, run

        run(GbisConfig(dataset=path, geometry=geo, outdir=tmp_path / "o"), RunContext(tmp_path))
    assert save_gbis.main([str(path), "--geometry", str(geo), "--wavelength", "0.0555", "--outdir",
                           str(tmp_path / "o"), "-q"]) == 0


# ---------------------------------------------------------------- ROI_PAC / InSAMP / GeodMod


@pytest.mark.parametrize("script", ["save_roipac", "save_insamp", "save_geodmod"])
def test_roipac_family_round_trips_through_mimtpy_reader_and_crops(clean_track, tmp_path, script):
    import importlib

    main = importlib.import_module(f"mimtpy.cli.{script}").main
    snwe = (34.05, 34.2, -118.25, -118.1)
    assert main([str(clean_track), "--date", D12, "--SNWE", *map(str, snwe), "--outdir", str(tmp_path),
                 "--outname", "x", "-q"]) == 0
    product = open_product(clean_track)
    rows, cols = product.grid.window(snwe)
    sub = product.grid.subset(rows, cols)
    disp = truth_displacement(clean_track, "20170103", "20181224")[rows, cols]
    lam = float(product.attrs["WAVELENGTH"])
    unw = open_product(tmp_path / "x.unw")
    assert unw.grid == sub and unw.grid.shape != product.grid.shape
    np.testing.assert_allclose(-lam / (4 * np.pi) * unw.read("unwrapPhase"), disp, atol=1e-7, equal_nan=True)
    los = open_product(tmp_path / "x.los")
    np.testing.assert_allclose(los.read("incidenceAngle"), product.read("incidenceAngle", rows, cols), atol=1e-4)
    np.testing.assert_allclose(los.read("azimuthAngle"), product.read("azimuthAngle", rows, cols), atol=1e-4)
    rsc = dict(line.split(None, 1) for line in (tmp_path / "x.unw.rsc").read_text().splitlines())
    assert (int(rsc["WIDTH"]), int(rsc["FILE_LENGTH"])) == (sub.width, sub.length)
    assert float(rsc["X_FIRST"]) == sub.x_first and float(rsc["Y_FIRST"]) == sub.y_first
    assert float(rsc["LAT_REF3"]) == pytest.approx(sub.snwe[0]) and float(rsc["LON_REF2"]) == pytest.approx(sub.snwe[3])
    assert rsc["DATE12"].strip() == "170103-181224"
    assert (tmp_path / "x.cor").exists()
    assert (tmp_path / "x.dem").exists() == (script != "save_insamp")


def test_los_file_is_line_interleaved(clean_track, tmp_path):
    from mimtpy.cli import save_roipac

    assert save_roipac.main([str(clean_track), "--outdir", str(tmp_path), "--outname", "v", "-q"]) == 0
    product = open_product(clean_track)
    w = product.grid.width
    raw = np.fromfile(tmp_path / "v.los", dtype="<f4")
    inc, az = product.read("incidenceAngle"), product.read("azimuthAngle")
    # line 0: `width` incidences, then the `width` headings of the same line, then line 1 ...
    np.testing.assert_allclose(raw[:w], np.nan_to_num(inc[0]), atol=1e-4)
    heading = (90.0 - az[0] + 180) % 360 - 180
    np.testing.assert_allclose(raw[w:2 * w], np.where(np.isfinite(inc[0]), heading, 0), atol=1e-4)
    np.testing.assert_allclose(raw[2 * w:3 * w], np.nan_to_num(inc[1]), atol=1e-4)


def test_mintpy_readfile_reads_our_roipac_files(clean_track, tmp_path):
    pytest.importorskip("mintpy")
    from mintpy.utils import readfile

    from mimtpy.cli import save_roipac

    assert save_roipac.main([str(clean_track), "--date", D12, "--outdir", str(tmp_path), "--outname", "m",
                             "-q"]) == 0
    product = open_product(clean_track)
    lam = float(product.attrs["WAVELENGTH"])
    disp = truth_displacement(clean_track, "20170103", "20181224")
    phase, atr = readfile.read(str(tmp_path / "m.unw"))
    assert (int(atr["LENGTH"]), int(atr["WIDTH"])) == product.grid.shape
    ok = np.isfinite(disp)
    np.testing.assert_allclose(phase[ok], -4 * np.pi / lam * disp[ok], atol=1e-5)
    inc, _ = readfile.read(str(tmp_path / "m.los"))
    np.testing.assert_allclose(inc[ok], product.read("incidenceAngle")[ok], atol=1e-4)
    dem, _ = readfile.read(str(tmp_path / "m.dem"))
    height = product.read("height")
    fin = np.isfinite(height)
    np.testing.assert_array_equal(dem[fin], np.rint(height[fin]))
    cor, _ = readfile.read(str(tmp_path / "m.cor"))
    assert cor.shape == product.grid.shape and np.all(cor[ok] > 0)


def test_mintpy_readfile_reads_our_h5_outputs(clean_track, tmp_path):
    """The quadtree table and the residual map are .h5 files MintPy reads."""
    pytest.importorskip("mintpy")
    from mintpy.utils import readfile

    from mimtpy.cli import save_kite, subtract_h5

    assert save_kite.main([str(clean_track), "--quadtree", "--outdir", str(tmp_path), "--outname", "k", "-q"]) == 0
    value, atr = readfile.read(str(tmp_path / "k_quadtree.h5"), datasetName="value")
    table = read_leaves_csv(tmp_path / "k_quadtree.csv")
    np.testing.assert_array_equal(value[:, 0], table["value"])
    assert atr["FILE_TYPE"] == "quadtree"
    assert subtract_h5.main([str(clean_track), str(clean_track), "--outdir", str(tmp_path), "--outname", "z",
                             "-q"]) == 0
    res, atr = readfile.read(str(tmp_path / "z.h5"))
    assert atr["FILE_TYPE"] == "velocity" and res.shape == open_product(clean_track).grid.shape
    assert np.nanmax(np.abs(res)) == 0.0 and np.isfinite(res).any()          # a product minus itself


# ---------------------------------------------------------------- subtract


def _plane(grid: Grid, a: float, b: float, c: float) -> np.ndarray:
    lat, lon = np.meshgrid(grid.lats(), grid.lons(), indexing="ij")
    return a * (lon - grid.lons().mean()) + b * (lat - grid.lats().mean()) + c


def test_subtract_resamples_and_removes_a_known_ramp(tmp_path):
    from mimtpy.cli import subtract_h5

    g1 = Grid(60, 40, 10.0, 45.0, 0.01, -0.01)
    signal = np.sin(np.arange(60) / 5.0)[None, :] * np.cos(np.arange(40) / 7.0)[:, None] * 0.01
    a = write_geotiff(tmp_path / "a.tif", signal.astype(np.float32), g1, {"UNIT": "m/year"})
    g2 = Grid(50, 30, 10.05, 44.95, 0.01, -0.01)          # same lattice, shifted by 5 columns and 5 rows
    sig2 = signal[5:35, 5:55]
    ramp = _plane(g2, 0.02, -0.03, 0.004)
    b = write_geotiff(tmp_path / "b.tif", (sig2 + ramp).astype(np.float32), g2, {"UNIT": "m/year"})
    assert subtract_h5.main([str(a), str(b), "--outdir", str(tmp_path), "--outname", "r", "-q"]) == 0
    res = open_product(tmp_path / "r.h5")
    assert res.grid.shape == (30, 50) and res.grid.x_first == pytest.approx(10.05)
    np.testing.assert_allclose(res.read("velocity"), -ramp, atol=1e-6)
    assert subtract_h5.main([str(a), str(b), "--ramp", "linear", "--outdir", str(tmp_path), "--outname", "rr",
                             "-q"]) == 0
    res = open_product(tmp_path / "rr.h5")
    np.testing.assert_allclose(res.read("velocity"), 0.0, atol=1e-6)
    coef = [float(c) for c in res.attrs["RAMP_COEFFICIENTS"].split()]
    np.testing.assert_allclose(coef, [-0.004, -0.02, 0.03], atol=1e-6)
    assert (tmp_path / "rr.tif").exists() and (tmp_path / "rr.png").exists()
    assert open_product(tmp_path / "rr.tif").grid == res.grid


def test_subtract_refuses_velocity_minus_displacement(tmp_path):
    from mimtpy.context import RunContext
    from mimtpy.preprocess.subtract import SubtractConfig, run

    g = Grid(10, 10, 0.0, 1.0, 0.1, -0.1)
    a = write_geotiff(tmp_path / "a.tif", np.zeros((10, 10), np.float32), g, {"UNIT": "m/year"})
    b = write_geotiff(tmp_path / "b.tif", np.zeros((10, 10), np.float32), g, {"UNIT": "m"})
    with pytest.raises(InputError, match="cannot be subtracted"):
        run(SubtractConfig(dataset=(str(a), str(b)), outdir=tmp_path / "o"), RunContext(tmp_path))
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_subtract_warns_when_the_two_los_look_from_different_sides(tmp_path, caplog):
    """An ascending minus a descending LOS mixes east, north and up: the residual is written (the user may want
    it) but a warning says so; two ascending LOS give no warning."""
    from mimtpy.context import RunContext
    from mimtpy.preprocess.subtract import SubtractConfig, run

    g = Grid(10, 10, 0.0, 1.0, 0.1, -0.1)
    files = {look: write_geotiff(tmp_path / f"{look}.tif", np.zeros((10, 10), np.float32), g,
                                 {"UNIT": "m/year", "ORBIT_DIRECTION": look}) for look in ("ASCENDING", "DESCENDING")}
    with caplog.at_level("WARNING"):
        run(SubtractConfig(dataset=(str(files["ASCENDING"]), str(files["DESCENDING"])), outdir=tmp_path / "o"),
            RunContext(tmp_path))
    assert "their LOS differ" in caplog.text and (tmp_path / "o").exists()
    caplog.clear()
    with caplog.at_level("WARNING"):
        run(SubtractConfig(dataset=(str(files["ASCENDING"]), str(files["ASCENDING"])), outdir=tmp_path / "p"),
            RunContext(tmp_path))
    assert "their LOS differ" not in caplog.text


# ---------------------------------------------------------------- registry, errors, step wiring


def test_registry_steps_and_docs_formats_list():
    for name, exporter in EXPORTERS.items():
        step = exporter.step()
        assert step.name == name and step.group == "preprocess" and exporter.script in step.scripts
        assert step.config.SECTION == name
    docs = (Path(__file__).parents[1] / "docs" / "steps" / "exports.md").read_text()
    assert formats_markdown() in docs


def test_bad_date_and_missing_file_are_clean_errors(clean_track, tmp_path, capsys):
    from mimtpy.cli import save_kite

    # problems of the settings are found by the step's plan, before any work: exit 2, like a template
    assert save_kite.main([str(clean_track), "--date", "2017_2018", "--outdir", str(tmp_path), "-q"]) == 2
    assert "D1_D2" in capsys.readouterr().err
    assert save_kite.main([str(tmp_path / "nope.he5"), "--outdir", str(tmp_path), "-q"]) == 2
    assert "nope.he5" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.npz"))


def test_a_date_outside_the_series_names_the_exporters_date_option(clean_track):
    """The exporters take the period as one ``date D1_D2``: a date outside the series names that option (and
    which of its two dates), not the velcumu keys startDate/endDate the user never typed."""
    from mimtpy.preprocess.source import load_input

    dates = open_product(clean_track).dates
    with pytest.raises(InputError, match=rf"date 20100101_{dates[-1]} \(first date\) 20100101 is outside the series "
                                         rf"{dates[0]}\.\.{dates[-1]}"):
        load_input(clean_track, date12=f"20100101_{dates[-1]}", with_geometry=False)
    with pytest.raises(InputError, match=r"\(second date\) 20300101 is outside"):
        load_input(clean_track, date12=f"{dates[0]}_20300101", with_geometry=False)
