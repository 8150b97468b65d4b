"""Grid search: compiled loop = NumPy reference; a synthetic Okada field + ramp + noise gives back the truth."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from mimtpy.cli.grid_search import main as grid_search_main
from mimtpy.context import RunContext
from mimtpy.core.geometry import los_unit_vector
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, TemplateError
from mimtpy.io import open_product, write_h5
from mimtpy.models import MODELS, okada
from mimtpy.relax import gridsearch, search
from mimtpy.relax.observed import local_xy

LAT0, LON0 = 34.2, -118.1
FAULT = dict(strike=90.0, dip=60.0, rake=90.0, length=10e3, width=5e3)
TRUTH = dict(depth=2000.0, slip=1.0)
RAMP = dict(c=0.01, x=0.002, y=-0.003)        # m/yr, m/yr per km east, per km north of (LAT0, LON0)
FIXED = "strike=90,dip=60,rake=90,length=10000,width=5000,lat=34.2,lon=-118.1"


def _geometry(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    cols = np.arange(grid.width)[None, :] * np.ones((grid.length, 1))
    inc = (32 + 10 * cols / grid.width).astype(np.float32)          # incidence across the swath
    az = np.full(grid.shape, 102.0, np.float32)                       # ascending S1
    return inc, az


def _scene(grid: Grid, depth: float, slip: float) -> dict[str, np.ndarray]:
    lon, lat = np.meshgrid(grid.lons(), grid.lats())
    east, north = local_xy(lon, lat, LON0, LAT0)
    de, dn, du = okada(east, north, depth=depth, slip=slip, **FAULT)
    return {"east": de, "north": dn, "up": du, "x_km": east / 1e3, "y_km": north / 1e3}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("gridsearch")
    grid = Grid(90, 80, -118.19, 34.28, 0.002, -0.002)
    inc, az = _geometry(grid)
    scene = _scene(grid, **TRUTH)
    e, n, u = los_unit_vector(inc.astype(np.float64), az.astype(np.float64))
    los = e * scene["east"] + n * scene["north"] + u * scene["up"]
    ramp = RAMP["c"] + RAMP["x"] * scene["x_km"] + RAMP["y"] * scene["y_km"]
    rng = np.random.default_rng(42)
    vel = (los + ramp + rng.normal(0, 0.002, grid.shape)).astype(np.float32)
    vel[:6, :6] = np.nan                                             # a no-data corner
    attrs = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"}
    path = write_h5(folder / "velocity.h5", {"velocity": vel, "incidenceAngle": inc, "azimuthAngle": az}, attrs)
    preds = folder / "predictions"
    for depth in (1000.0, 2000.0, 3000.0):
        for slip in (0.5, 1.0, 1.5):
            sc = _scene(grid, depth, slip)
            write_h5(preds / f"model_depth{depth:g}_slip{slip:g}.h5",
                     {k: sc[k].astype(np.float32) for k in ("east", "north", "up")},
                     {**grid.to_attrs(), "FILE_TYPE": "displacement", "UNIT": "m"})
    return {"folder": folder, "path": path, "grid": grid, "predictions": preds}


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# ---- compiled loop vs NumPy reference -------------------------------------------------------------------

def _random_problem(rng, n: int, ramp: str, with_cov: bool) -> search.Problem:
    x, y = rng.uniform(-25e3, 25e3, (2, n))
    los = np.array(los_unit_vector(rng.uniform(30, 45, n), rng.uniform(-105, 105, n)))
    cov = search.exponential_covariance(x / 1e3, y / 1e3, 1e-4, 4.0, 1e-5) if with_cov else None
    return search.make_problem(rng.normal(0, 0.02, n), x, y, los, ramp, x / 1e3, y / 1e3, cov)


def _random_params(rng, model: str, k: int) -> np.ndarray:
    values = {
        "okada": {"depth": rng.uniform(0, 5e3, k), "strike": rng.uniform(0, 360, k),
                  "dip": np.r_[rng.uniform(10, 90, k - 3), 90.0, 89.99, 89.96], "length": rng.uniform(1e3, 2e4, k),
                  "width": rng.uniform(1e3, 1e4, k), "rake": rng.uniform(-180, 180, k), "slip": rng.uniform(0, 2, k),
                  "opening": rng.uniform(0, 1, k), "nu": rng.uniform(0.2, 0.3, k)},
        "mogi": {"depth": rng.uniform(500, 8e3, k), "dvolume": rng.uniform(-1e7, 1e7, k),
                 "nu": rng.uniform(0.2, 0.3, k)},
        "screw": {"strike": rng.uniform(0, 360, k), "slip_rate": rng.uniform(-0.04, 0.04, k),
                  "locking_depth": rng.uniform(1e3, 2e4, k)},
    }[model]
    return search.model_parameters(model, values, rng.uniform(-5e3, 5e3, k), rng.uniform(-5e3, 5e3, k))


@pytest.mark.parametrize("model", ["okada", "mogi", "screw"])
@pytest.mark.parametrize(("ramp", "with_cov", "fit_scale"),
                         [("none", False, False), ("linear", False, True), ("quadratic", True, False),
                          ("linear", True, True)])
def test_kernel_equals_numpy_reference(model, ramp, with_cov, fit_scale):
    rng = np.random.default_rng(hash((model, ramp, with_cov, fit_scale)) % 2**32)
    problem = _random_problem(rng, 300, ramp, with_cov)
    params = _random_params(rng, model, 24)
    rss, scale = search.candidate_misfits(model, params, problem, fit_scale)
    rss_ref, scale_ref = search.candidate_misfits_numpy(model, params, problem, fit_scale)
    np.testing.assert_allclose(rss, rss_ref, rtol=1e-8, atol=1e-12 * problem.dd)
    np.testing.assert_allclose(scale, scale_ref, rtol=1e-7, atol=1e-9)
    pred = np.array([search.predicted_los(model, row, problem) for row in params])
    rss_p, scale_p = search.prediction_misfits(pred, problem, fit_scale)
    rss_pref, _ = search.prediction_misfits_numpy(pred, problem, fit_scale)
    np.testing.assert_allclose(rss_p, rss_pref, rtol=1e-8, atol=1e-12 * problem.dd)
    np.testing.assert_allclose(rss_p, rss, rtol=1e-8, atol=1e-12 * problem.dd)
    np.testing.assert_allclose(scale_p, scale, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("with_cov", [False, True])
def test_kernel_reuses_geometry_for_linear_parameters(with_cov):
    """Candidates that differ only in slip, rake and opening share one evaluation of the geometry; the
    misfits still equal the reference's (which evaluates every candidate in full)."""
    rng = np.random.default_rng(8)
    problem = _random_problem(rng, 250, "linear", with_cov)
    grid = search.candidate_grid({"depth": np.array([500.0, 3000.0]), "slip": np.array([0.0, 0.5, 2.0]),
                                  "rake": np.array([-90.0, 0.0, 135.0]), "opening": np.array([0.0, 0.3])})
    k = grid["depth"].size
    values = {**grid, "strike": np.full(k, 20.0), "dip": np.full(k, 89.97), "length": np.full(k, 8e3),
              "width": np.full(k, 4e3), "nu": np.full(k, 0.25)}
    params = search.model_parameters("okada", values, np.full(k, 300.0), np.full(k, -200.0))
    geometry, _coef = search.split_linear("okada", params)
    assert len(np.unique(geometry, axis=0)) == 2
    for fit_scale in (False, True):
        rss, scale = search.candidate_misfits("okada", params, problem, fit_scale)
        rss_ref, scale_ref = search.candidate_misfits_numpy("okada", params, problem, fit_scale)
        np.testing.assert_allclose(rss, rss_ref, rtol=1e-8, atol=1e-12 * problem.dd)
        np.testing.assert_allclose(scale, scale_ref, rtol=1e-7, atol=1e-9)


def test_joint_fit_recovers_scale_and_ramp_exactly():
    """Noise-free data = 0.7 * model + ramp: the joint fit gives RSS 0, scale 0.7 and the ramp; fitting the ramp
    first (MimtPy) would not."""
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-20e3, 20e3, (2, 500))
    los = np.array(los_unit_vector(np.full(500, 38.0), np.full(500, -102.0)))
    de, dn, du = MODELS["mogi"].function(x, y, depth=3000.0, dvolume=2e6)
    g = los[0] * de + los[1] * dn + los[2] * du
    data = 0.7 * g + 0.004 - 0.001 * x / 1e3 + 0.0005 * y / 1e3
    problem = search.make_problem(data, x, y, los, "linear", x / 1e3, y / 1e3)
    params = search.model_parameters("mogi", {"depth": np.array([3000.0, 4000.0]), "dvolume": np.array([2e6, 2e6]),
                                              "nu": np.array([0.25, 0.25])}, np.zeros(2), np.zeros(2))
    rss, scale = search.candidate_misfits("mogi", params, problem, True)
    assert rss[0] < 1e-12 * problem.dd and rss[1] > 1e3 * rss[0] + 1e-12
    assert scale[0] == pytest.approx(0.7, rel=1e-9)
    s, coef = search.best_fit(g, problem, True)
    np.testing.assert_allclose([s, *coef], [0.7, 0.004, -0.001, 0.0005], rtol=1e-8, atol=1e-12)


def test_parse_range_and_grid():
    assert search.parse_range("depth=2000:3000:500")[1].tolist() == [2000.0, 2500.0, 3000.0]
    assert search.parse_range("slip=0.1:0.3:0.1")[1].size == 3
    grid = search.candidate_grid({"a": np.array([1.0, 2.0]), "b": np.array([5.0, 6.0, 7.0])})
    assert grid["a"].tolist() == [1, 1, 1, 2, 2, 2] and grid["b"].tolist() == [5, 6, 7, 5, 6, 7]
    with pytest.raises(InputError, match="STEP"):
        search.parse_range("depth=3000:2000:-5")


def test_step_parameters_match_the_models():
    for name, spec in MODELS.items():
        assert gridsearch.MODEL_PARAMS[name] == spec.params
        assert set(gridsearch.MODEL_DEFAULTS[name]) == set(spec.defaults)


# ---- the step and the script on a synthetic product ------------------------------------------------------

def test_script_recovers_okada_and_ramp(synthetic, tmp_path):
    out = tmp_path / "gs"
    code = grid_search_main([str(synthetic["path"]), "--model", "okada", "--param", "depth=1000:4000:500",
                             "--param", "slip=0.5:1.5:0.25", "--fixed", FIXED, "--ramp", "linear",
                             "--outdir", str(out), "-q"])
    assert code == 0
    rows = _read_csv(out / "gridsearch.csv")
    assert len(rows) == 7 * 5
    assert {"depth", "slip", "strike", "lat", "lon", "misfit"} <= set(rows[0])
    best = json.loads((out / "best.json").read_text())
    assert best["parameters"]["depth"] == TRUTH["depth"] and best["parameters"]["slip"] == TRUTH["slip"]
    coefs = best["ramp"]["coefficients"]
    for term, value in RAMP.items():
        assert coefs[term] == pytest.approx(value, abs=2e-4)
    assert best["misfit"] == pytest.approx(0.002, rel=0.1)               # the noise level
    unc = best["uncertainty"]["parameters"]
    assert unc["depth"]["p50"] == TRUTH["depth"] and unc["slip"]["p50"] == TRUTH["slip"]
    pred = open_product(out / "prediction.h5")
    resid = open_product(out / "residual.h5").read("velocity")
    assert pred.grid == synthetic["grid"]
    assert np.nanstd(resid) == pytest.approx(0.002, rel=0.1)
    assert (out / "misfit_depth_slip.png").exists() and (out / "best_fit.png").exists()
    surface = _read_csv(out / "misfit_depth_slip.csv")
    assert len(surface) == 5                                         # slip rows x depth columns
    readfile = pytest.importorskip("mintpy.utils.readfile")          # MintPy reads what we write
    data, attrs = readfile.read(str(out / "prediction.h5"))
    assert attrs["FILE_TYPE"] == "velocity" and data.shape == synthetic["grid"].shape
    np.testing.assert_array_equal(data, pred.read("velocity"))


def test_scale_factor_and_predictions_folder(synthetic, tmp_path):
    cfg = gridsearch.GridsearchConfig(dataset=synthetic["path"], model="predictions",
                                      predictions=synthetic["predictions"],
                                      pattern="model_depth{depth}_slip{slip}.h5", ramp="linear", scale=True,
                                      outdir=tmp_path / "pred")
    written = gridsearch.run(cfg, RunContext(tmp_path))
    assert tmp_path / "pred" / "best.json" in written
    best = json.loads((tmp_path / "pred" / "best.json").read_text())
    assert best["parameters"]["depth"] == TRUTH["depth"]
    # slip trades off with the scale factor: slip x scale is the truth
    assert best["parameters"]["slip"] * best["scale"] == pytest.approx(TRUTH["slip"], rel=0.02)
    for term, value in RAMP.items():
        assert best["ramp"]["coefficients"][term] == pytest.approx(value, abs=2e-4)
    rows = _read_csv(tmp_path / "pred" / "gridsearch.csv")
    assert len(rows) == 9 and "scale" in rows[0]
    assert {r["file"] for r in rows} == {p.name for p in synthetic["predictions"].iterdir()}
    # a second run with the same inputs and settings is skipped (outputs kept)
    mtime = (tmp_path / "pred" / "best.json").stat().st_mtime_ns
    gridsearch.run(cfg, RunContext(tmp_path))
    assert (tmp_path / "pred" / "best.json").stat().st_mtime_ns == mtime


def test_quadtree_leaves_with_covariance(synthetic, tmp_path):
    """Leaves CSV (the exporter's columns) with a chi-square misfit and an exponential covariance."""
    rng = np.random.default_rng(7)
    grid = synthetic["grid"]
    product = open_product(synthetic["path"])
    vel = product.read("velocity")
    inc, az = product.read("incidenceAngle"), product.read("azimuthAngle")
    rows_idx, cols_idx = rng.integers(10, grid.length, 400), rng.integers(10, grid.width, 400)
    lon, lat = grid.lons()[cols_idx], grid.lats()[rows_idx]
    e, n, u = los_unit_vector(inc[rows_idx, cols_idx].astype(float), az[rows_idx, cols_idx].astype(float))
    leaves = tmp_path / "leaves.csv"
    with open(leaves, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["lon", "lat", "value", "std", "npixels", "los_east", "los_north", "los_up"])
        for row in zip(lon, lat, vel[rows_idx, cols_idx], np.full(400, 0.002), np.ones(400), e, n, u, strict=True):
            w.writerow([float(v) for v in row])
    code = grid_search_main([str(leaves), "--model", "okada", "--param", "depth=1000:3000:500", "--param",
                             "slip=0.5:1.5:0.25", "--fixed", FIXED, "--misfit", "chi2", "--covariance", "1e-7", "1",
                             "4e-6", "--outdir", str(tmp_path / "leaves_out"), "-q"])
    assert code == 0
    best = json.loads((tmp_path / "leaves_out" / "best.json").read_text())
    assert best["parameters"]["depth"] == TRUTH["depth"] and best["parameters"]["slip"] == TRUTH["slip"]
    assert best["points"] == 400
    assert best["misfit"] == pytest.approx(400, rel=0.25)          # chi-square ~ N for the right noise model
    assert (tmp_path / "leaves_out" / "best_fit.csv").exists()


def test_bad_settings_are_reported(synthetic, tmp_path, capsys):
    code = grid_search_main([str(synthetic["path"]), "--model", "okada", "--param", "depht=1000:4000:500",
                             "--fixed", "strike=90", "--outdir", str(tmp_path / "bad")])
    assert code == 2
    err = capsys.readouterr().err
    assert "'depht' is not a parameter of okada" in err and "needs" in err
    cfg = gridsearch.GridsearchConfig(dataset=synthetic["path"], model="mogi", param=("depth=1000:2000:500",),
                                      fixed=("dvolume=1e6", "lat=34.2", "lon=-118.1"), misfit="chi2",
                                      outdir=tmp_path / "bad2")
    with pytest.raises(TemplateError, match="covariance"):
        gridsearch.run(cfg, RunContext(tmp_path))
    assert not (tmp_path / "bad2").exists()


def test_hdfeos5_time_series_mogi(clean_track, tmp_path):
    """The synthetic Sentinel-1 product (Mogi source at the scene centre, 4 km deep, -3e6 m3/yr; per-pixel
    geometry in the file): the velocity of the time series is searched over depth and volume rate."""
    code = grid_search_main([str(clean_track), "--model", "mogi", "--param", "depth=3000:5000:250", "--param",
                             "dvolume=-4e6:-2e6:2.5e5", "--fixed", "lat=34.15,lon=-118.15", "--ramp", "linear",
                             "--startDate", "20170103", "--outdir", str(tmp_path / "mogi"), "-q"])
    assert code == 0
    best = json.loads((tmp_path / "mogi" / "best.json").read_text())
    assert best["quantity"] == "velocity"
    assert best["parameters"]["depth"] == 4000.0 and best["parameters"]["dvolume"] == -3e6
    # the synthetic generator uses a flat earth (km per degree), we an ellipsoidal projection: residual tiny
    assert best["misfit"] < 5e-5


def test_geotiff_with_geometry_file_and_mask(synthetic, tmp_path):
    """A GeoTIFF velocity, its LOS geometry from --geometry, half of the scene masked out."""
    from mimtpy.io import write_geotiff

    product = open_product(synthetic["path"])
    grid = synthetic["grid"]
    tif = write_geotiff(tmp_path / "velocity.tif", product.read("velocity"), grid,
                        {"FILE_TYPE": "velocity", "UNIT": "m/year"})
    geom = write_h5(tmp_path / "geometryGeo.h5", {"incidenceAngle": product.read("incidenceAngle"),
                                                  "azimuthAngle": product.read("azimuthAngle")},
                    {**grid.to_attrs(), "FILE_TYPE": "geometry"})
    keep = np.ones(grid.shape, np.float32)
    keep[:, : grid.width // 3] = 0
    mask = write_h5(tmp_path / "mask.h5", {"mask": keep}, {**grid.to_attrs(), "FILE_TYPE": "mask"})
    before = tif.stat().st_mtime_ns
    code = grid_search_main([str(tif), "--model", "okada", "--param", "depth=1000:3000:500", "--param",
                             "slip=0.5:1.5:0.25", "--fixed", FIXED, "--geometry", str(geom), "--mask", str(mask),
                             "--outdir", str(tmp_path / "tif"), "-q"])
    assert code == 0
    best = json.loads((tmp_path / "tif" / "best.json").read_text())
    assert best["parameters"]["depth"] == TRUTH["depth"] and best["parameters"]["slip"] == TRUTH["slip"]
    valid = np.isfinite(product.read("velocity")) & (keep > 0)
    assert best["points"] == int(valid.sum())
    assert tif.stat().st_mtime_ns == before                          # the input is never modified
    resid = open_product(tmp_path / "tif" / "residual.h5").read("velocity")
    assert np.all(np.isnan(resid[:, : grid.width // 3]))


def test_chunks_keep_geometries_together():
    """Candidates are processed in pieces of >= 256 that never split a geometry (each evaluated once)."""
    from mimtpy.relax.runner import Candidates, _chunks

    ranges = {"slip": np.linspace(0.1, 2.0, 20), "depth": np.linspace(1e3, 5e3, 40)}   # slip varies slowest
    grid = search.candidate_grid(ranges)
    k = grid["slip"].size
    values = {**grid, "strike": np.full(k, 90.0), "dip": np.full(k, 60.0), "length": np.full(k, 1e4),
              "width": np.full(k, 5e3), "rake": np.full(k, 90.0), "opening": np.zeros(k), "nu": np.full(k, 0.25)}
    params = search.model_parameters("okada", values, np.zeros(k), np.zeros(k))
    cfg = gridsearch.GridsearchConfig(model="okada")
    chunks = _chunks(cfg, Candidates(grid, ["slip", "depth"], kernel_params=params), 1000, 4.0)
    assert sorted(np.concatenate(chunks).tolist()) == list(range(k))
    depth_sets = [set(grid["depth"][c]) for c in chunks]
    assert all(a.isdisjoint(b) for i, a in enumerate(depth_sets) for b in depth_sets[i + 1:])
    assert all(len(c) >= 256 for c in chunks[:-1])


def test_subsample_grid_keeps_pixel_centres(synthetic, tmp_path):
    out = tmp_path / "sub"
    assert grid_search_main([str(synthetic["path"]), "--model", "okada", "--param", "depth=1500:2500:500",
                             "--param", "slip=1:1:1", "--fixed", FIXED, "--subsample", "3", "--outdir", str(out),
                             "-q"]) == 0
    full, sub = synthetic["grid"], open_product(out / "residual.h5").grid
    assert sub.shape == (-(-full.length // 3), -(-full.width // 3))
    np.testing.assert_allclose(sub.lons(), full.lons()[::3], atol=1e-12)
    np.testing.assert_allclose(sub.lats(), full.lats()[::3], atol=1e-12)
    obs = open_product(synthetic["path"]).read("velocity")[::3, ::3]
    pred = open_product(out / "prediction.h5").read("velocity")
    resid = open_product(out / "residual.h5").read("velocity")
    np.testing.assert_allclose(pred + resid, obs, atol=1e-6)      # residual = observed - prediction, pixelwise
    assert json.loads((out / "best.json").read_text())["parameters"]["depth"] == TRUTH["depth"]
