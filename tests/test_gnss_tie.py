"""GNSS tie of N frames (horzvert.gnss): against a synthetic truth.

Every frame is built in the test from a known E/N/U velocity field (an east-west strike-slip fault, a uniform
north, an uplift bump), with per-pixel LOS unit vectors of a right-looking Sentinel-1-like geometry (incidence
31-46 deg across range, azimuth +-102 deg), white noise, and a known per-frame offset + plane (+ quadratic)
in LOS. GNSS stations sample the same field (with their noise). The tie must remove the per-frame errors and
give east/up equal to the truth within the noise, absolute (nothing removed afterwards).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mimtpy.analysis import horzvert
from mimtpy.analysis.gnss_tie import Frame, tie_frames
from mimtpy.app import parse_template
from mimtpy.config import ComputeConfig
from mimtpy.context import RunContext
from mimtpy.core.geometry import los_unit_vector
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError
from mimtpy.io import open_product, write_geotiff, write_h5
from mimtpy.io.gnss import Stations, read_stations
from mimtpy.ops.gnss import local_km

KM = 111.195
NOISE = 1e-3          # m/yr, white noise of each pixel (and its vstd)


def truth(lon, lat):
    """East, north, up (m/yr): an E-W right-lateral fault at 40.55 N (12 mm/yr, locked to 15 km), a uniform
    3 mm/yr north, a 4 mm/yr uplift bump (20 km) at 30.5 E 40.3 N."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    y = (lat - 40.55) * KM
    east = 0.004 - 0.006 * 2 / np.pi * np.arctan(y / 15)
    north = np.full_like(east, 0.003)
    bx, by = (lon - 30.5) * KM * np.cos(np.deg2rad(40.3)), (lat - 40.3) * KM
    up = 0.004 * np.exp(-(bx**2 + by**2) / (2 * 20**2))
    return east, north, up


@dataclass
class Spec:
    """One frame: look, extent (S N W E), the W-E extent of its track (geometry across range), pixel size, and
    the LOS error added: coefficients of 1, x, y, x^2, xy, y^2 (m/yr, km from the frame centre)."""

    name: str
    look: str
    snwe: tuple
    track: tuple
    step: float = 0.01
    ramp: tuple = (0.0,)


def frame_data(spec: Spec, rng: np.random.Generator, noise: float = NOISE):
    s, n, w, e = spec.snwe
    grid = Grid(round((e - w) / spec.step), round((n - s) / spec.step), w, n, spec.step, -spec.step)
    lon, lat = np.meshgrid(grid.lons(), grid.lats())
    frac = (lon - spec.track[0]) / (spec.track[1] - spec.track[0])
    if spec.look == "desc":
        frac = 1 - frac                      # descending looks west: near range in the east
    inc = 31 + 15 * frac
    az = (102.0 if spec.look == "asc" else -102.0) + 2 * (frac - 0.5)
    ve, vn, vu = los_unit_vector(inc, az)
    east, north, up = truth(lon, lat)
    x, y = local_km(lon, lat, (w + e) / 2, (s + n) / 2)
    terms = [np.ones_like(x), x, y, x * x, x * y, y * y]
    error = sum(c * t for c, t in zip(spec.ramp, terms, strict=False))
    los = ve * east + vn * north + vu * up + error + rng.normal(0, noise, x.shape)
    return grid, los, inc, az, (ve, vn, vu), error


def write_frames(folder: Path, specs: list[Spec], seed: int = 1, noise: float = NOISE) -> list[Path]:
    """MintPy-like velocity .h5 files (velocity, velocityStd, incidenceAngle, azimuthAngle)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in specs:
        grid, los, inc, az, _enu, _err = frame_data(spec, rng, noise)
        attrs = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year",
                 "ORBIT_DIRECTION": "ASCENDING" if spec.look == "asc" else "DESCENDING"}
        paths.append(write_h5(folder / f"{spec.name}.h5", {"velocity": los.astype(np.float32),
                                                              "velocityStd": np.full(los.shape, noise, np.float32),
                                                              "incidenceAngle": inc, "azimuthAngle": az}, attrs))
    return paths


def station_table(path: Path, lon, lat, seed: int = 2, vertical: bool = True, outlier: int | None = None) -> Path:
    """CSV in mm/yr of the truth at the stations plus noise (0.5 mm/yr horizontal, 1 mm/yr vertical)."""
    rng = np.random.default_rng(seed)
    east, north, up = truth(lon, lat)
    east = east + rng.normal(0, 5e-4, east.size)
    north = north + rng.normal(0, 5e-4, east.size)
    up = up + rng.normal(0, 1e-3, east.size)
    if outlier is not None:
        east[outlier] += 0.03
    head = "site,lon,lat,ve,vn" + (",vu,se,sn,su" if vertical else "")
    lines = [head]
    for k in range(len(lon)):
        row = f"S{k:03d},{lon[k]:.5f},{lat[k]:.5f},{1e3 * east[k]:.4f},{1e3 * north[k]:.4f}"
        if vertical:
            row += f",{1e3 * up[k]:.4f},0.5,0.5,1.0"
        lines.append(row)
    path.write_text("\n".join(lines) + "\n")
    return path


def spread(snwe, count: int, seed: int, margin: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s, n, w, e = snwe
    return rng.uniform(w + margin, e - margin, count), rng.uniform(s + margin, n - margin, count)


def run_step(folder: Path, tracks: list[Path], compute: ComputeConfig | None = None, **keys: str) -> dict:
    lines = [f"mimtpy.horzvert.DataSet = {', '.join(map(str, tracks))}", f"mimtpy.horzvert.outdir = {folder}"]
    lines += [f"mimtpy.horzvert.{k} = {v}" for k, v in keys.items()]
    cfg = parse_template("\n".join(lines), folder.parent / "hv.template").configs["horzvert"]
    outputs = horzvert.run(cfg, RunContext(folder.parent, compute=compute or ComputeConfig()))
    return {p.name: p for p in outputs}


def against_truth(out: dict, comp: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, truth, propagated std) of 'hz' (east) or 'up' on the output grid."""
    product = open_product(out[f"{comp}.h5"])
    lon, lat = np.meshgrid(product.grid.lons(), product.grid.lats())
    east, _north, up = truth(lon, lat)
    return product.read("velocity"), east if comp == "hz" else up, product.read("velocityStd")


def assert_within_noise(est, true, std, min_valid: int):
    ok = np.isfinite(est)
    assert ok.sum() >= min_valid
    err = est[ok] - true[ok]
    z = err / std[ok]
    assert abs(np.mean(err)) < 3e-4, np.mean(err)            # absolute: no offset left (< 0.3 mm/yr)
    assert np.mean(np.abs(z) < 3) > 0.98
    assert np.median(np.abs(err)) < 2e-3


ASC = Spec("A1", "asc", (40.0, 40.7, 30.0, 30.9), (30.0, 30.9), ramp=(0.005, 0.06e-3, -0.05e-3))
DESC = Spec("D1", "desc", (40.05, 40.75, 30.1, 31.0), (30.1, 31.0), ramp=(-0.004, -0.05e-3, 0.07e-3))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair")
    frames = write_frames(folder, [ASC, DESC])
    lon, lat = spread((40.05, 40.7, 30.1, 30.9), 24, seed=5)
    return folder, frames, station_table(folder / "gnss.csv", lon, lat)


def test_tie_removes_offsets_and_planes_and_gives_absolute_east_up(pair):
    folder, frames, gnss = pair
    out = run_step(folder / "hv", frames, gnss=str(gnss))
    assert {"hz.tif", "hz.h5", "up.tif", "up.h5", "north.h5", "tie.json", "gnss_tie.csv", "gnss_tie.png"} <= set(out)
    for comp in ("hz", "up"):
        assert_within_noise(*against_truth(out, comp), min_valid=2500)
    tie = json.loads(out["tie.json"].read_text())
    assert [f["model"] for f in tie["frames"]] == ["plane", "plane"]
    for f, spec in zip(tie["frames"], (ASC, DESC), strict=True):
        # the correction is minus the LOS error added: offset within 0.5 mm/yr, gradients within 0.02 mm/yr/km
        np.testing.assert_allclose(f["coefficients"][0], -spec.ramp[0], atol=5e-4)
        np.testing.assert_allclose(f["coefficients"][1:], -np.array(spec.ramp[1:]), atol=2e-5)
        assert len(f["stations_used"]) >= 15
    rows = (out["gnss_tie.csv"]).read_text().splitlines()
    header = rows[0].split(",")
    assert header[:6] == ["site", "lon", "lat", "gnss_east", "gnss_north", "gnss_up"]
    assert {"A1_gnss_los", "A1_insar_before", "A1_insar_after", "D1_status", "east_residual"} <= set(header)
    table = [dict(zip(header, r.split(","), strict=True)) for r in rows[1:]]
    used = [t for t in table if t["A1_status"] == "used"]
    after = np.array([float(t["A1_insar_after"]) - float(t["A1_gnss_los"]) for t in used])
    before = np.array([float(t["A1_insar_before"]) - float(t["A1_gnss_los"]) for t in used])
    assert np.sqrt(np.mean(after**2)) < 1e-3 < np.sqrt(np.mean(before**2))
    resid = np.array([float(t["east_residual"]) for t in table if t["east_residual"]])
    assert resid.size >= 15 and np.sqrt(np.mean(resid**2)) < 1.5e-3
    assert out["gnss_tie.png"].stat().st_size > 10_000
    hz = open_product(out["hz.h5"])
    assert hz.attrs["TIE_MODELS"] == "plane plane" and "REF_LAT" not in hz.attrs


def test_auto_model_follows_what_the_stations_can_constrain():
    """One frame in memory: 2 stations -> offset; a plane error and 12 stations -> plane; a quadratic error
    and 25 stations -> quadratic. The solved correction is minus the error added."""
    rng = np.random.default_rng(4)
    spec = Spec("A", "asc", (40.0, 40.6, 30.0, 30.8), (30.0, 30.8))
    cases = [((0.003,), 2, "offset"), ((0.003, 0.05e-3, -0.04e-3), 12, "plane"),
             ((0.003, 0.05e-3, -0.04e-3, 2e-6, -1e-6, 1.5e-6), 25, "quadratic")]
    for ramp, count, expected in cases:
        spec.ramp = ramp
        grid, los, _inc, _az, enu, error = frame_data(spec, rng, noise=2e-4)
        obs = np.stack([los, np.full(los.shape, 2e-4)])
        lon, lat = spread(spec.snwe, count, seed=count)
        east, north, up = truth(lon, lat)
        zero = np.full(count, 1e-4)
        stations = Stations([f"S{k}" for k in range(count)], lon, lat, east, north, up, zero, zero, zero)
        frame = Frame("A", "ASCENDING", grid, obs, np.stack(enu))
        tie = tie_frames([frame], stations, "auto", 1.0, grid, 0.1, 50, Path("gnss.csv"))
        assert tie.models == [expected], (expected, tie.cv)
        glon, glat = np.meshgrid(grid.lons(), grid.lats())
        value, std = tie.correction(0, glon.ravel(), glat.ravel())
        assert np.max(np.abs(value + error.ravel())) < 1e-3
        assert np.all(std > 0)


# two adjacent ascending frames along one track + two adjacent descending frames along another
A1 = Spec("A1", "asc", (40.0, 40.6, 30.0, 30.9), (30.0, 30.9), ramp=(0.005, 0.1e-3, -0.08e-3))
A2 = Spec("A2", "asc", (40.45, 41.05, 30.0, 30.9), (30.0, 30.9), ramp=(-0.006,))
D1 = Spec("D1", "desc", (40.05, 40.65, 30.1, 31.0), (30.1, 31.0), step=0.0125, ramp=(-0.003, 0.08e-3, 0.1e-3))
D2 = Spec("D2", "desc", (40.5, 41.1, 30.1, 31.0), (30.1, 31.0), step=0.0125, ramp=(0.004,))


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    folder = tmp_path_factory.mktemp("four")
    return folder, write_frames(folder, [A1, A2, D1, D2], seed=3)


def test_four_frames_on_the_union_grid_with_frames_tied_through_overlaps(four):
    """Stations only in the southern half: A2 and D2 (an offset each) have none and are tied through their
    overlaps with A1 and D1 (offset + plane each, tied to the stations)."""
    folder, frames = four
    lon, lat = spread((40.05, 40.43, 30.1, 30.9), 30, seed=7, margin=0.01)
    gnss = station_table(folder / "south.csv", lon, lat)
    out = run_step(folder / "hv", frames, gnss=str(gnss))
    hz = open_product(out["hz.h5"])
    s, n, w, e = hz.grid.snwe
    assert s <= 40.0 + 1e-9 and n >= 41.1 - 1e-9 and w <= 30.0 + 1e-9 and e >= 31.0 - 1e-9    # the union
    assert hz.grid.x_step == pytest.approx(0.0125)                 # the coarsest pixel
    tie = json.loads(out["tie.json"].read_text())
    by = {f["name"]: f for f in tie["frames"]}
    assert not by["A2"]["stations_used"] and not by["D2"]["stations_used"]
    assert {tuple(o["frames"]) for o in tie["overlaps"]} == {("A1", "A2"), ("D1", "D2")}
    assert by["A2"]["model"] == by["D2"]["model"] == "offset"
    assert by["A1"]["model"] == by["D1"]["model"] == "plane"
    np.testing.assert_allclose(by["A2"]["coefficients"][0], -A2.ramp[0], atol=1e-3)
    np.testing.assert_allclose(by["D2"]["coefficients"][0], -D2.ramp[0], atol=1e-3)
    est, true, std = against_truth(out, "hz")
    lat = np.broadcast_to(hz.grid.lats()[:, None], est.shape)
    north = (lat > 40.7) & np.isfinite(est)                       # only A2 and D2 there
    assert north.sum() > 1000
    assert abs(np.mean(est[north] - true[north])) < 1e-3      # absolute, tied through the overlaps
    assert_within_noise(est, true, std, min_valid=4000)
    # one look only (the western strip of A1/A2, the eastern of D1/D2): not solved
    lon = np.broadcast_to(hz.grid.lons()[None, :], est.shape)
    assert np.isnan(est[lon < 30.09]).all() and np.isnan(est[lon > 30.91]).all()


def test_held_out_stations_plane_tie_beats_a_constant_tie(pair):
    """Tied to half of the stations, east at the other half is better with auto (planes) than with offsets."""
    folder, frames, _ = pair
    lon, lat = spread((40.05, 40.7, 30.1, 30.9), 30, seed=11)
    tied = station_table(folder / "half_a.csv", lon[::2], lat[::2], seed=12)
    held = read_stations(station_table(folder / "half_b.csv", lon[1::2], lat[1::2], seed=13))
    errors = {}
    for model in ("auto", "offset"):
        out = run_step(folder / f"held_{model}", frames, gnss=str(tied), tieModel=model)
        hz = open_product(out["hz.h5"])
        east = hz.read("velocity")
        picks = [np.nanmedian(east[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2])
                 for r, c in (hz.grid.lalo_to_rowcol(la, lo) for lo, la in zip(held.lon, held.lat, strict=True))]
        errors[model] = float(np.sqrt(np.nanmean((np.array(picks) - held.ve) ** 2)))
    assert errors["auto"] < 0.6 * errors["offset"], errors
    assert errors["auto"] < 1.5e-3


def test_outlier_station_is_rejected(pair):
    folder, frames, _ = pair
    lon, lat = spread((40.05, 40.7, 30.1, 30.9), 24, seed=5)
    gnss = station_table(folder / "outlier.csv", lon, lat, outlier=3)
    out = run_step(folder / "out", frames, gnss=str(gnss))
    tie = json.loads(out["tie.json"].read_text())
    for f in tie["frames"]:
        assert f["stations_rejected"] == ["S003"]
    assert_within_noise(*against_truth(out, "hz"), min_valid=2500)


def test_table_without_vertical_or_std(tmp_path):
    """Only lon, lat, ve, vn: the LOS vertical part is left to InSAR (vU taken as 0): exact where up is 0."""
    far = [Spec("A", "asc", (41.0, 41.6, 31.0, 31.9), (31.0, 31.9), ramp=(0.004,)),
           Spec("D", "desc", (41.05, 41.65, 31.1, 32.0), (31.1, 32.0), ramp=(-0.002,))]
    frames = write_frames(tmp_path, far)
    lon, lat = spread((41.1, 41.55, 31.1, 31.9), 10, seed=3)
    gnss = station_table(tmp_path / "en.csv", lon, lat, vertical=False)
    out = run_step(tmp_path / "hv", frames, gnss=str(gnss), tieModel="offset")
    est, true, std = against_truth(out, "up")
    assert np.abs(true).max() < 1e-5                      # no uplift this far from the bump
    assert_within_noise(est, true, std, min_valid=2000)


def test_tiny_memory_budget_threads_and_dask_give_the_same_result(four, tmp_path):
    _folder, frames = four
    lon, lat = spread((40.05, 41.0, 30.1, 30.9), 30, seed=9)
    gnss = station_table(tmp_path / "g.csv", lon, lat)
    one = run_step(tmp_path / "one", frames, gnss=str(gnss))
    many = run_step(tmp_path / "many", frames, ComputeConfig(max_memory=0.0002, num_worker="2"), gnss=str(gnss))
    dask = run_step(tmp_path / "dask", frames, ComputeConfig(cluster="local", num_worker="2"), gnss=str(gnss))
    for other in (many, dask):
        for name in ("hz.h5", "up.h5", "north.h5", "cond.h5"):
            a, b = open_product(one[name]), open_product(other[name])
            for ds in a.datasets:
                np.testing.assert_array_equal(a.read(ds), b.read(ds))
        assert json.loads(one["tie.json"].read_text())["frames"] == json.loads(other["tie.json"].read_text())["frames"]


def test_bad_gnss_inputs_are_clear_errors_and_write_nothing(four, tmp_path):
    _folder, frames = four
    outside = station_table(tmp_path / "faraway.csv", np.array([10.0, 10.2, 10.4]), np.array([5.0, 5.1, 5.2]))
    with pytest.raises(InputError, match=r"faraway\.csv: none of its 3 GNSS stations lies on InSAR data"):
        run_step(tmp_path / "a", frames, gnss=str(outside))
    # a descending frame that overlaps nothing of its look and holds no station
    lone = write_frames(tmp_path / "lone", [Spec("D9", "desc", (42.0, 42.5, 30.1, 31.0), (30.1, 31.0))])[0]
    lon, lat = spread((40.05, 40.42, 30.1, 30.9), 10, seed=7)
    gnss = station_table(tmp_path / "south.csv", lon, lat)
    with pytest.raises(InputError, match=r"nothing ties frame\(s\) D9 to GNSS"):
        run_step(tmp_path / "b", [frames[0], frames[2], lone], gnss=str(gnss))
    with pytest.raises(InputError, match=r"tieModel = quadratic: .* do not determine"):
        few = station_table(tmp_path / "few.csv", lon[:4], lat[:4])
        run_step(tmp_path / "c", [frames[0], frames[2]], gnss=str(few), tieModel="quadratic")
    for sub in ("a", "b", "c"):
        assert not (tmp_path / sub).exists() or not any((tmp_path / sub).glob("*.h5"))


def test_script_with_geotiff_frames_and_enu_rasters(tmp_path, capsys):
    """generate_horzvert.py FRAME FRAME --enu ... --gnss ... --tie-model plane --outdir: LiCSBAS-like GeoTIFFs
    (vel in mm/yr, E/N/U unit-vector rasters)."""
    from mimtpy.cli import generate_horzvert

    rng = np.random.default_rng(8)
    args, enu = [], []
    for spec in (ASC, DESC):
        grid, los, _inc, _az, vec, _err = frame_data(spec, rng)
        tags = {"FILE_TYPE": "velocity", "UNIT": "mm/yr"}
        args.append(str(write_geotiff(tmp_path / f"{spec.name}_vel.geo.tif", 1e3 * los, grid, tags)))
        enu += [str(write_geotiff(tmp_path / f"{spec.name}_{c}.geo.tif", v, grid))
                for c, v in zip("ENU", vec, strict=True)]
        enu.append(",")
    lon, lat = spread((40.05, 40.7, 30.1, 30.9), 20, seed=5)
    gnss = station_table(tmp_path / "gnss.csv", lon, lat)
    code = generate_horzvert.main([*args, "--enu", *enu[:-1], "--gnss", str(gnss), "--tie-model", "plane",
                                   "--outdir", str(tmp_path / "hv")])
    assert code == 0
    printed = capsys.readouterr().out
    assert str(tmp_path / "hv" / "hz.tif") in printed
    hz = open_product(tmp_path / "hv" / "hz.tif")
    lon2, lat2 = np.meshgrid(hz.grid.lons(), hz.grid.lats())
    est, true = hz.read(next(iter(hz.datasets))), truth(lon2, lat2)[0]
    ok = np.isfinite(est)
    assert ok.sum() > 2500 and abs(np.mean(est[ok] - true[ok])) < 5e-4
    assert np.median(np.abs(est[ok] - true[ok])) < 2e-3


def test_mask_files_per_frame_and_no_mask(pair, tmp_path):
    """A mask file per frame (0 = masked): the western part of the ascending frame is masked, so east there is
    not solved; ``mask = no`` runs unmasked (the products here carry no mask of their own)."""
    _folder, frames, gnss = pair
    masks = []
    for path in frames:
        grid = open_product(path).grid
        keep = np.ones(grid.shape, np.float32)
        if "A1" in path.name:
            keep[:, grid.lons() < 30.4] = 0
        masks.append(str(write_geotiff(tmp_path / f"{path.stem}_mask.tif", keep, grid)))
    masked = run_step(tmp_path / "m", frames, gnss=str(gnss), mask=", ".join(masks))
    plain = run_step(tmp_path / "n", frames, gnss=str(gnss), mask="no")
    a, b = open_product(masked["hz.h5"]), open_product(plain["hz.h5"])
    west = np.broadcast_to(a.grid.lons()[None, :] < 30.4, a.grid.shape)
    assert np.isnan(a.read("velocity")[west]).all()
    assert np.isfinite(b.read("velocity")[west]).sum() > 1000
    assert_within_noise(*against_truth(masked, "hz"), min_valid=1500)
    lon, _lat = spread((40.05, 40.7, 30.1, 30.9), 24, seed=5)       # the stations of the fixture
    a1 = json.loads(masked["tie.json"].read_text())["frames"][0]
    assert a1["name"] == "A1" and len(a1["stations_without_data"]) == int(np.sum(lon < 30.39)) > 3
    assert all(site not in a1["stations_used"] for site in a1["stations_without_data"])


def test_four_frames_without_gnss_are_tied_to_the_reference_point_through_overlaps(tmp_path):
    """No GNSS, frames sharing no reference point: each frame's datum (a constant per frame) is removed: at the
    reference point where it has data, through the overlaps elsewhere, so the result equals that of the same
    frames without their constants (noise-free)."""
    specs = [Spec(s.name, s.look, s.snwe, s.track, s.step, ramp) for s, ramp in
             zip((A1, A2, D1, D2), ((0.005,), (-0.006,), (-0.003,), (0.004,)), strict=True)]
    shifted = write_frames(tmp_path / "shifted", specs, noise=0.0)
    for s in specs:
        s.ramp = (0.0,)
    plain = write_frames(tmp_path / "plain", specs, noise=0.0)
    out = [open_product(run_step(tmp_path / name, frames, referencepoint="40.3, 30.5")["hz.h5"])
           for name, frames in (("a", shifted), ("b", plain))]
    a, b = out[0].read("velocity"), out[1].read("velocity")
    assert np.isfinite(a).sum() > 4000 and np.isfinite(a[:20]).sum() > 500          # the north (A2, D2) solved
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert float(out[0].attrs["REF_LAT"]) == 40.3 and out[0].attrs["TIE_MODELS"] == "offset offset offset offset"


def test_adjacent_tracks_of_one_look_are_tied_with_their_different_line_of_sight():
    """Two ascending tracks side by side: in their overlap one is at far range, the other at near range, so the
    true LOS differ by (e_1 - e_2) . v (about 1 mm/yr here). The second track holds no station; its offset is
    recovered through the overlap only because that difference is predicted from the GNSS velocities."""
    rng = np.random.default_rng(6)
    west = Spec("W", "asc", (40.0, 40.6, 30.0, 30.9), (30.0, 30.9), ramp=(0.002,))
    east = Spec("E", "asc", (40.0, 40.6, 30.6, 31.5), (30.6, 31.5), ramp=(-0.005,))
    frames = []
    for spec in (west, east):
        grid, los, _inc, _az, enu, _err = frame_data(spec, rng, noise=2e-4)
        frames.append(Frame(spec.name, "ASCENDING", grid, np.stack([los, np.full(los.shape, 2e-4)]), np.stack(enu)))
    lon, lat = spread((40.0, 40.6, 30.0, 30.58), 40, seed=3)
    ve, vn, vu = truth(lon, lat)
    sd = np.full(lon.size, 2e-4)
    stations = Stations([f"S{k}" for k in range(lon.size)], lon, lat, ve, vn, vu, sd, sd, sd)
    union = Grid(150, 60, 30.0, 40.6, 0.01, -0.01)
    tie = tie_frames(frames, stations, "offset", 1.0, union, 0.1, 50, Path("g.csv"))
    (link,) = tie.links
    assert link.pixels > 1000
    assert abs(tie.params[0][0] + west.ramp[0]) < 2e-4
    assert abs(tie.params[1][0] + east.ramp[0]) < 3e-4         # no station in E: through the overlap
    # what the test is about: the true LOS of the two tracks differ in the overlap by more than the tolerance
    v = np.stack(truth(link.lon, link.lat))
    diff = []
    for lo, la, vel in zip(link.lon, link.lat, v.T, strict=True):
        (r0, c0), (r1, c1) = frames[0].grid.lalo_to_rowcol(la, lo), frames[1].grid.lalo_to_rowcol(la, lo)
        diff.append((frames[0].enu[:, r0, c0] - frames[1].enu[:, r1, c1]) @ vel)
    assert np.median(np.abs(diff)) > 6e-4


def test_licsbas_frame_folders_given_directly_are_tied_to_gnss(tmp_path):
    """The COMET workflow end to end: `synthetic_S1.py --format licsbas` frame folders (mm/yr GeoTIFFs, E/N/U, mask)
    with a different orbital ramp per track, given as folders with the scene's GNSS table: the plane tie recovers
    the absolute east of the truth (nothing removed afterwards) far better than the untied and offset-tied runs."""
    from mimtpy.cli import generate_horzvert

    from .conftest import make_products

    out = make_products(tmp_path, tracks="asc, desc", noise="0.001", atmosphere="0", holes="0.02",
                        format="licsbas", orbitRamp="linear", rampAmplitude="0.01")
    frames = out[2:]
    assert all(f.name.endswith("_05000_131313") for f in frames)
    gnss = tmp_path / "synthetic" / "gnss.csv"
    east = open_product(next(tmp_path.rglob("truth.h5"))).read("east")
    rms = {}
    for name, extra in (("untied", []), ("offset", ["--gnss", str(gnss), "--tie-model", "offset"]),
                        ("plane", ["--gnss", str(gnss), "--tie-model", "plane"])):
        assert generate_horzvert.main([*map(str, frames), *extra, "--outdir", str(tmp_path / name), "-q"]) == 0
        hz = open_product(tmp_path / name / "hz.tif")
        values = hz.read(next(iter(hz.datasets)))
        ok = np.isfinite(values) & np.isfinite(east)
        assert ok.mean() > 0.5
        rms[name] = float(np.sqrt(np.mean((values[ok] - east[ok]) ** 2)))
    assert rms["plane"] < 0.6e-3                                  # measured 0.30 mm/yr
    assert rms["plane"] < 0.4 * rms["offset"] and rms["plane"] < 0.3 * rms["untied"]
    assert (tmp_path / "plane" / "gnss_tie.csv").exists() and (tmp_path / "plane" / "tie.json").exists()


def test_residual_field_interpolates_a_smooth_misfit_and_declines_white_noise():
    """Least-squares collocation of the station residuals (tieField): a 4 mm/yr bump of 30 km that no polynomial
    holds is predicted at points between the stations (error well below the bump); residuals of white noise get
    no field (the leave-one-out test declines), so the polynomial tie is left as it is."""
    from mimtpy.analysis.gnss_tie import fit_residual_field

    rng = np.random.default_rng(7)
    x, y = rng.uniform(-100, 100, 60), rng.uniform(-100, 100, 60)

    def bump(px, py):
        return 0.004 * np.exp(-((px - 20) ** 2 + (py + 10) ** 2) / 30**2)

    sigma = np.full(x.size, 3e-4)
    r = bump(x, y) + rng.normal(0, 3e-4, x.size)
    field = fit_residual_field(x, y, r, sigma, (0.0, 0.0), "auto")
    assert field is not None and field.loo_rms < 0.5 * field.rms
    gx, gy = np.meshgrid(np.linspace(-40, 80, 25), np.linspace(-70, 50, 25))
    truth_grid = bump(gx.ravel(), gy.ravel())
    lon, lat = gx.ravel() / (KM * np.cos(0.0)), gy.ravel() / KM           # centre (0, 0): km -> degrees
    predicted = field(lon, lat)
    assert np.sqrt(np.mean((predicted - truth_grid) ** 2)) < 0.3 * np.sqrt(np.mean(truth_grid**2))   # 0.23
    noise = rng.normal(0, 1e-3, x.size)
    assert fit_residual_field(x, y, noise, np.full(x.size, 1e-3), (0.0, 0.0), "auto") is None
    assert fit_residual_field(x[:4], y[:4], r[:4], sigma[:4], (0.0, 0.0), "auto") is None   # too few stations
