"""LiCSBAS / LiCSAR / StaMPS products through open_product: the same numbers as the MintPy HDF-EOS5 file of
the same synthetic series (units, sign, half-pixel corner), each reader against its known content, masks,
frame IDs, the steps run on them, interferogram stacks, StaMPS points, errors, and real LiCSBAS GeoTIFFs."""

from __future__ import annotations

import logging
import pickle
import re
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from mimtpy.analysis import concatenation, transects
from mimtpy.app import parse_template
from mimtpy.basic import plot, products
from mimtpy.cli import generate_horzvert
from mimtpy.context import RunContext
from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io import grid_points, open_ifgram_stack, open_product, parse_frame_id, read_stamps, write_geotiff
from mimtpy.io.gamma import SENTINEL1_WAVELENGTH, write_dem_par
from mimtpy.io.licsbas import classify, tif_key
from mimtpy.ops.geometry import geometry_array
from mimtpy.ops.paths import resolve_dataset

from .conftest import DATA, make_products

FAULT_EW = dict(mogi="none", fault="34.1515 -118.15 90 0.03 6", referencePoint="34.15 -118.25")
CAMPI = DATA / "alignsar_campi_flegrei_licsbas"


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """Ascending + descending tracks over an E-W fault, written as HDF-EOS5 AND in the LiCSBAS layout."""
    folder = tmp_path_factory.mktemp("licsbas")
    out = make_products(folder, tracks="asc, desc", noise="0.001", atmosphere="0", holes="0.02", format="licsbas",
                        **FAULT_EW)
    ts, frames = out[:2], out[2:]
    he5 = [next((t.parent / "mintpy").glob("S1_*.he5")) for t in ts]
    return {"folder": folder, "ts": ts, "frames": frames, "he5": he5}


def velcumu(product: Path, out: Path, **keys: str):
    text = "\n".join([f"mimtpy.velcumu.outdir = {out}"] + [f"mimtpy.velcumu.{k} = {v}" for k, v in keys.items()])
    cfg = parse_template(text, out / "v.template").configs["velcumu"]
    return open_product(products.process(product, "velocity", cfg, RunContext(out), cfg.outdir)[0])


def assert_same(a: np.ndarray, b: np.ndarray, atol: float, min_valid: float = 0.5):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = np.isfinite(a)
    assert ok.mean() > min_valid
    assert np.max(np.abs(a[ok] - b[ok])) <= atol


# ------------------------------------------------------------------------------------------- same numbers
def test_velocity_from_hdfeos5_equals_the_licsbas_layout(scene, tmp_path):
    for k, he5 in enumerate(scene["he5"]):
        ref = velcumu(he5, tmp_path / f"he5{k}", mask="yes")
        for j, source in enumerate((scene["ts"][k], scene["ts"][k] / "cum.h5")):
            out = velcumu(source, tmp_path / f"cum{k}{j}")
            assert out.grid == ref.grid                                     # half-pixel corner: exact
            assert_same(out.read("velocity"), ref.read("velocity"), 1e-6)
        for folder in (scene["frames"][k], scene["ts"][k] / "results"):
            frame = open_product(folder)
            assert frame.grid == ref.grid
            assert frame.attrs["UNIT"] == "m/year" and frame.datasets["velocity"].unit == "m/year"
            assert_same(frame.read("velocity"), ref.read("velocity"), 1e-6)
            std, ref_std = frame.read("velocityStd"), ref.read("velocityStd")
            assert np.isnan(std[ref_std == 0]).all() and (ref_std == 0).sum() >= 1   # 0 (reference) = unknown
            ref_std[ref_std == 0] = np.nan
            assert_same(std, ref_std, 1e-6)


def test_cum_h5_is_licsbas_mm_with_a_pixel_centre_corner(scene):
    he5 = open_product(scene["he5"][0])
    with h5py.File(scene["ts"][0] / "cum.h5", "r") as f:
        g = he5.grid
        assert f["corner_lat"][()] == pytest.approx(g.y_first + g.y_step / 2, abs=1e-12)
        assert f["corner_lon"][()] == pytest.approx(g.x_first + g.x_step / 2, abs=1e-12)
        cum = f["cum"][5]
        ref_y, ref_x = int(he5.attrs["REF_Y"]), int(he5.attrs["REF_X"])
        assert f["refarea"][()].decode() == f"{ref_x}:{ref_x + 1}/{ref_y}:{ref_y + 1}"
        assert [str(d) for d in f["imdates"][()]] == he5.dates
    series = he5.read("timeseries", epochs=slice(5, 6))[0]
    np.testing.assert_allclose(cum, series * 1000, rtol=1e-6, atol=1e-6)     # mm, same sign
    product = open_product(scene["ts"][0] / "cum.h5", mask=False)
    assert product.file_type == "timeseries" and product.attrs["UNIT"] == "m" and product.dates == he5.dates
    assert (product.attrs["REF_Y"], product.attrs["REF_X"]) == (he5.attrs["REF_Y"], he5.attrs["REF_X"])
    assert float(product.attrs["REF_LAT"]) == pytest.approx(float(he5.attrs["REF_LAT"]), abs=1e-12)
    assert product.attrs["ORBIT_DIRECTION"] == "ASCENDING"
    np.testing.assert_allclose(product.read("timeseries", epochs=slice(5, 6))[0], series, atol=1e-8)
    assert np.all(product.read("timeseries", epochs=slice(0, 1))[0][np.isfinite(series)] == 0)
    picked = np.array([7, 2, 7])                                  # any order, repeated: as the HDF-EOS5 reader
    np.testing.assert_allclose(product.read("timeseries", epochs=picked), he5.read("timeseries", epochs=picked),
                               atol=1e-8)
    again = pickle.loads(pickle.dumps(product))                   # products pickle (Dask workers read blocks)
    np.testing.assert_array_equal(again.read("timeseries", epochs=slice(5, 6)),
                                  product.read("timeseries", epochs=slice(5, 6)))


def test_frame_geometry_equals_the_hdfeos5_angles(scene):
    he5 = open_product(scene["he5"][1])
    frame = open_product(scene["frames"][1])
    assert frame.attrs["FRAME_ID"] == "151D_05000_131313" and frame.attrs["ORBIT_DIRECTION"] == "DESCENDING"
    assert frame.attrs["relative_orbit"] == "151"
    for name, tol in (("incidenceAngle", 1e-3), ("azimuthAngle", 1e-3)):
        assert_same(frame.read(name), he5.read(name), tol)
    los = geometry_array(frame, frame.grid)[...]                            # found with no option
    ref = geometry_array(he5, he5.grid)[...]
    ok = np.isfinite(los) & np.isfinite(ref)
    assert ok.mean() > 0.5 and np.max(np.abs(los[ok] - ref[ok])) < 1e-6


# ------------------------------------------------------------------------------------------- masks
def test_mask_is_applied_by_default_and_can_be_turned_off(scene):
    mask = open_product(scene["he5"][0]).read("mask")
    for path in (scene["frames"][0], scene["ts"][0], scene["ts"][0] / "results"):
        on, off = open_product(path), open_product(path, mask=False)
        name = "timeseries" if "timeseries" in on.datasets else "velocity"
        kw = {"epochs": slice(3, 4)} if name == "timeseries" else {}
        a, b = on.read(name, **kw), off.read(name, **kw)
        a, b = (a[0], b[0]) if a.ndim == 3 else (a, b)
        inside = np.isfinite(b)
        assert (~mask & inside).sum() > 20                       # the masked area holds data
        assert np.isnan(a[~mask]).all()
        np.testing.assert_array_equal(a[mask & inside], b[mask & inside])
        assert on.attrs["MASK_APPLIED"] == "yes" and off.attrs["MASK_APPLIED"] == "no"
    hdf = open_product(scene["he5"][0], mask=False)              # other readers accept and ignore it
    assert "timeseries" in hdf.datasets


# ------------------------------------------------------------------------------------------- names
@pytest.mark.parametrize("text, track, direction", [
    ("014A_04939_131313", "14", "ASCENDING"), ("/data/094D_04913_101213/vel.geo.tif", "94", "DESCENDING"),
    ("x/167D_04884_131212_vel.geo.tif", "167", "DESCENDING")])
def test_frame_id_is_parsed(text, track, direction):
    attrs = parse_frame_id(text)
    assert attrs["relative_orbit"] == attrs["trackNumber"] == track
    assert attrs["ORBIT_DIRECTION"] == direction


def test_no_frame_id():
    assert parse_frame_id("/data/results/vel.geo.tif") is None
    assert parse_frame_id("1014A_04939_131313") is None


@pytest.mark.parametrize("name, role", [
    ("014A_04939_131313.vel.geo.tif", "velocity"), ("014A_04939_131313_vel.geo.tif", "velocity"),
    ("vel.geo.tif", "velocity"), ("vel.tif", "velocity"), ("vel_filt.geo.tif", "velocity"),
    ("014A_04939_131313.vstd.geo.tif", "velocityStd"), ("014A_04939_131313.geo.E.tif", "losEast"),
    ("014A_04939_131313_E.geo.tif", "losEast"), ("N.geo.tif", "losNorth"), ("014A_04939_131313.geo.U.tif", "losUp"),
    ("mask.geo.tif", "mask"), ("014A_04939_131313.geo.hgt.tif", "height"), ("coh_avg.geo.tif", None)])
def test_licsar_file_names_are_recognised(name, role):
    assert classify(tif_key(Path(name))) == role


def synthetic_name(key: str) -> str:
    """File of the synthetic frame folder: COMET names (<frame>.vel.geo.tif, ...; unit vectors as LiCSAR's
    <frame>.geo.E.tif since the layout follows LiCSBAS/LiCSAR, before: <frame>.E.geo.tif)."""
    return f"100A_05000_131313.geo.{key}.tif" if key in "ENU" else f"100A_05000_131313.{key}.geo.tif"


def test_other_names_give_the_same_frame_and_ambiguity_lists_the_files(scene, tmp_path):
    src = scene["frames"][0]
    frame = tmp_path / "014A_04939_131313"
    frame.mkdir()
    names = {"vel": "014A_04939_131313_vel.geo.tif", "vstd": "vstd.geo.tif", "E": "014A_04939_131313.geo.E.tif",
             "N": "014A_04939_131313.geo.N.tif", "U": "U.geo.tif", "mask": "mask.geo.tif"}
    for key, name in names.items():
        shutil.copy(src / synthetic_name(key), frame / name)
    shutil.copy(src / "100A_05000_131313.vel.geo.tif", frame / "vel_filt.geo.tif")   # less plain velocities
    shutil.copy(src / "100A_05000_131313.vel.geo.tif", frame / "014A_04939_131313.vel.mskd.geo.tif")
    renamed, original = open_product(frame), open_product(src)
    assert renamed.attrs["relative_orbit"] == "14"
    assert_same(renamed.read("velocity"), original.read("velocity"), 0)
    assert_same(renamed.read("azimuthAngle"), original.read("azimuthAngle"), 0)
    alone = open_product(frame / "014A_04939_131313_vel.geo.tif")           # the GeoTIFF given alone
    assert alone.attrs["UNIT"] == "m/year" and "losEast" in alone.datasets
    (frame / "metadata").mkdir()                                             # LiCSAR: E/N/U in metadata/
    shutil.move(frame / "U.geo.tif", frame / "metadata" / "014A_04939_131313.geo.U.tif")
    assert_same(open_product(frame).read("losUp"), original.read("losUp"), 0)
    shutil.copy(src / "100A_05000_131313.vel.geo.tif", frame / "vel.tif")
    with pytest.raises(ProductError, match=r"several velocity files \(014A_04939_131313_vel.geo.tif, vel.tif\)"):
        open_product(frame)


def test_unit_vectors_on_a_finer_grid_are_sampled_at_the_velocity_pixels(scene, tmp_path):
    src = scene["frames"][0]
    frame = tmp_path / "100A_05000_131313"
    frame.mkdir()
    for key in ("vel", "vstd", "mask"):
        shutil.copy(src / f"100A_05000_131313.{key}.geo.tif", frame / f"{key}.geo.tif")
    coarse = open_product(src)
    g = coarse.grid
    fine = Grid(g.width * 3 + 6, g.length * 3 + 6, g.x_first - 3 * g.x_step / 3, g.y_first - 3 * g.y_step / 3,
                g.x_step / 3, g.y_step / 3)                       # a third of the step, one coarse pixel wider
    for key, name in (("E", "losEast"), ("N", "losNorth"), ("U", "losUp")):
        data = np.full(fine.shape, np.nan, np.float32)
        data[3:-3, 3:-3] = np.repeat(np.repeat(coarse.read(name), 3, axis=0), 3, axis=1)
        write_geotiff(frame / f"{key}.geo.tif", data, fine)
    product = open_product(frame)
    assert product.grid == g
    for name in ("losEast", "losUp", "azimuthAngle"):
        np.testing.assert_array_equal(product.read(name), coarse.read(name))


# ------------------------------------------------------------------------------------------- steps
def test_horzvert_on_frame_folders_recovers_the_truth(scene, tmp_path, monkeypatch):
    monkeypatch.chdir(scene["frames"][0].parent)
    frames = [f.name for f in scene["frames"]]
    assert generate_horzvert.main([*frames, "--outdir", str(tmp_path / "hv"), "-q"]) == 0
    hz = open_product(tmp_path / "hv" / "hz.tif").read(next(iter(open_product(tmp_path / "hv" / "hz.tif").datasets)))
    up = open_product(tmp_path / "hv" / "up.h5").read("velocity")
    truth = open_product(scene["he5"][0].parent / "truth.h5")
    east = truth.read("east")
    ok = np.isfinite(hz) & np.isfinite(east)
    assert ok.mean() > 0.5 and np.nanmax(np.abs(east)) > 0.01
    # white noise of 1 mm per epoch over two years: the LOS rate error is < 0.5 mm/yr, a few mm/yr in E
    assert np.max(np.abs(hz[ok] - east[ok])) < 3e-3
    assert np.sqrt(np.mean((hz[ok] - east[ok]) ** 2)) < 1e-3
    assert np.nanmax(np.abs(up - truth.read("up"))) < 3e-3


def test_horzvert_time_series_of_ts_folders_equals_that_of_the_hdfeos5(scene, tmp_path):
    from mimtpy.analysis import horzvert

    def run(tracks, out):
        text = "\n".join([f"mimtpy.horzvert.DataSet = {', '.join(map(str, tracks))}",
                          f"mimtpy.horzvert.outdir = {out}", "mimtpy.horzvert.timeseries = yes"])
        cfg = parse_template(text, tmp_path / "h.template").configs["horzvert"]
        return {p.stem: open_product(p) for p in horzvert.run(cfg, RunContext(tmp_path))}

    ref = run(scene["he5"], tmp_path / "he5")
    out = run([scene["ts"][0], scene["ts"][1] / "cum.h5"], tmp_path / "ts")
    both = open_product(scene["he5"][0]).read("mask") & open_product(scene["he5"][1]).read("mask")
    for name in ("hz_timeseries", "up_timeseries"):
        assert out[name].dates == ref[name].dates and out[name].grid == ref[name].grid
        a, b = out[name].read("timeseries"), ref[name].read("timeseries")
        ok = np.isfinite(a) & np.isfinite(b)
        assert ok.mean() > 0.4 and np.max(np.abs(a[ok] - b[ok])) < 1e-6
        lost = np.isfinite(b) & np.isnan(a)
        assert lost.any() and not (lost & both).any()            # only the LiCSBAS masks take pixels away


def test_concatenation_transects_and_plot_run_on_licsbas_products(scene, tmp_path):
    frame, cum = scene["frames"][0], scene["ts"][0] / "cum.h5"
    lines = [f"mimtpy.concatenation.DataSet = {frame}, {scene['ts'][0] / 'results'}",
             f"mimtpy.concatenation.outdir = {tmp_path / 'cat'}", "mimtpy.concatenation.plotpair = no"]
    cfg = parse_template("\n".join(lines), tmp_path / "c.template").configs["concatenation"]
    outputs = concatenation.run(cfg, RunContext(tmp_path))
    mosaic = open_product(next(p for p in outputs if p.suffix == ".h5"))
    velocity = open_product(frame).read("velocity")
    assert mosaic.grid == open_product(frame).grid
    assert_same(mosaic.read("velocity"), velocity, 1e-6)        # the same frame twice: the mosaic is the frame

    trace = tmp_path / "fault.gmt"
    trace.write_text("> E-W fault\n-118.29 34.1515\n-118.01 34.1515\n")
    lines = [f"mimtpy.transects.DataSet = {frame}", f"mimtpy.transects.outdir = {tmp_path / 'tr'}",
             f"mimtpy.transects.fault = {trace}", "mimtpy.transects.length = 10"]
    cfg = parse_template("\n".join(lines), tmp_path / "t.template").configs["transects"]
    written = transects.run(cfg, RunContext(tmp_path))
    assert [p.suffix for p in written] == [".csv", ".h5", ".png"]
    from mimtpy.analysis import profiles
    line = profiles.make_profiles(cfg)[0][0]
    ref = velcumu(scene["he5"][0], tmp_path / "vref", mask="yes")       # the same velocity from the HDF-EOS5
    a = profiles.bin_profile(line, open_product(frame), "velocity", 0.5)
    b = profiles.bin_profile(line, ref, "velocity", 0.5)
    assert (a.count > 0).sum() > 10
    np.testing.assert_array_equal(a.count, b.count)
    np.testing.assert_allclose(a.median, b.median, atol=1e-3)            # mm/yr: 1e-6 m/yr

    for source in (frame, cum):
        lines = [f"mimtpy.plot.DataSet = {source}", f"mimtpy.plot.outdir = {tmp_path / 'fig'}",
                 "mimtpy.plot.dpi = 60", "mimtpy.plot.overview = no"]
        cfg = parse_template("\n".join(lines), tmp_path / "p.template").configs["plot"]
        figures = plot.run(cfg, RunContext(tmp_path))
        assert figures and all(p.exists() for p in figures)
    from mimtpy.viz.maps import MapStyle, make_figure
    _fig, _ax, data = make_figure(open_product(frame), MapStyle())
    assert data.unit == "mm/yr" and data.name == "velocity"
    np.testing.assert_allclose(data.values, velocity * 1e3, rtol=1e-6)


def test_a_licsbas_work_folder_opens_as_its_time_series(scene, tmp_path):
    work = tmp_path / "014A_04939_131313"
    shutil.copytree(scene["ts"][0].parent / "GEOCml1", work / "GEOCml1")
    shutil.copytree(scene["ts"][0], work / "TS_GEOCml1")
    product = open_product(work)
    assert product.path == work / "TS_GEOCml1" / "cum.h5" and product.attrs["relative_orbit"] == "14"
    np.testing.assert_array_equal(product.read("timeseries", epochs=slice(4, 5)),
                                  open_product(scene["ts"][0]).read("timeseries", epochs=slice(4, 5)))
    shutil.copytree(scene["ts"][0], work / "TS_GEOCml2")
    with pytest.raises(ProductError, match=r"2 LiCSBAS time-series folders \(TS_GEOCml1, TS_GEOCml2\)"):
        open_product(work)


def test_dataset_entries_resolve_licsbas_folders(scene, tmp_path):
    base = scene["folder"]
    for path in (scene["frames"][0], scene["ts"][0], scene["ts"][0] / "results"):
        assert resolve_dataset(path.relative_to(base), base) == path
    mintpy = tmp_path / "proj" / "mintpy"                   # a MintPy folder with a velocity GeoTIFF stays MintPy's
    mintpy.mkdir(parents=True)
    (mintpy / scene["he5"][0].name).symlink_to(scene["he5"][0])
    shutil.copy(scene["frames"][0] / "100A_05000_131313.vel.geo.tif", mintpy / "vel.geo.tif")
    assert resolve_dataset("proj/mintpy", tmp_path) == mintpy / scene["he5"][0].name


# ------------------------------------------------------------------------------------------- stacks
PAIRS = [("20200101", "20200113"), ("20200101", "20200125"), ("20200113", "20200125")]


def test_geocml_stack_gives_the_interferograms_written(tmp_path, caplog):
    grid = Grid(7, 5, 30.0, 40.0, 0.01, -0.01)
    geoc = tmp_path / "GEOCml10"
    write_dem_par(geoc / "EQA.dem_par", grid)
    rng = np.random.default_rng(1)
    phase = rng.normal(0, 3, (3, 5, 7)).astype(np.float32)
    cc = rng.integers(1, 255, (3, 5, 7)).astype(np.uint8)
    for k, (a, b) in enumerate(PAIRS):
        pair = geoc / f"{a}_{b}"
        pair.mkdir()
        phase[k].astype("<f4").tofile(pair / f"{a}_{b}.unw")
        cc[k].tofile(pair / f"{a}_{b}.cc")
    with caplog.at_level(logging.INFO):
        stack = open_ifgram_stack(geoc)
    assert "Sentinel-1 C-band" in caplog.text and stack.wavelength == pytest.approx(SENTINEL1_WAVELENGTH)
    assert stack.date12 == PAIRS and stack.grid == grid
    ph, coh = stack.read()
    np.testing.assert_array_equal(ph, phase)
    np.testing.assert_allclose(coh, cc / 255.0, rtol=1e-6)
    (geoc / "slc.mli.par").write_text("radar_frequency:  5.405e9  Hz\n")
    assert open_ifgram_stack(geoc).wavelength == pytest.approx(299792458.0 / 5.405e9)


def test_licsar_geoc_stack_gives_the_interferograms_written(tmp_path):
    grid = Grid(6, 4, 13.9, 41.0, 0.001, -0.001)
    rng = np.random.default_rng(2)
    phase = rng.normal(0, 3, (3, 4, 6)).astype(np.float32)
    for k, (a, b) in enumerate(PAIRS):
        folder = tmp_path / "GEOC" / f"{a}_{b}"
        write_geotiff(folder / f"{a}_{b}.geo.unw.tif", phase[k], grid)
        write_geotiff(folder / f"{a}_{b}.geo.cc.tif", np.full(grid.shape, 0.5, np.float32), grid)
    stack = open_ifgram_stack(tmp_path / "GEOC")
    assert stack.date12 == PAIRS and stack.grid == grid and stack.wavelength == pytest.approx(SENTINEL1_WAVELENGTH)
    ph, coh = stack.read()
    np.testing.assert_array_equal(ph, phase)
    assert np.all(coh == 0.5)


# ------------------------------------------------------------------------------------------- StaMPS
def test_stamps_points_and_gridding(tmp_path):
    # cells of 0.1 deg from (10.0 W edge, 45.0 N edge): cell (0,0) holds 3 points, (1,2) holds 2, (0,1) one
    pts = [(10.02, 44.97, 1.0), (10.05, 44.95, 5.0), (10.08, 44.91, 2.0), (10.25, 44.85, -4.0), (10.22, 44.81, -6.0),
           (10.15, 44.99, 7.5)]
    path = tmp_path / "ps_mean_v.xy"
    path.write_text("".join(f"{lon} {lat} {v}\n" for lon, lat, v in pts))
    points = read_stamps(path)
    np.testing.assert_allclose(points.values, [v * 1e-3 for *_, v in pts])
    product = grid_points(points, 0.1, (44.8, 45.0, 10.0, 10.3))
    assert product.grid == Grid(3, 2, 10.0, 45.0, 0.1, -0.1)
    vel, count = product.read("velocity"), product.read("count")
    np.testing.assert_array_equal(count, [[3, 1, 0], [0, 0, 2]])
    np.testing.assert_allclose(vel[0, 0], 2e-3)
    np.testing.assert_allclose(vel[0, 1], 7.5e-3)
    np.testing.assert_allclose(vel[1, 2], -5e-3)
    assert np.isnan(vel[0, 2]) and product.attrs["UNIT"] == "m/year"
    opened = open_product(path)                                     # gridded at an automatic step
    assert int(np.sum(opened.read("count"))) == len(pts)

    lines = [f"mimtpy.plot.DataSet = {path}", f"mimtpy.plot.outdir = {tmp_path / 'fig'}", "mimtpy.plot.dpi = 50"]
    figures = plot.run(parse_template("\n".join(lines), tmp_path / "p.template").configs["plot"],
                       RunContext(tmp_path))
    assert figures == [tmp_path / "fig" / "ps_mean_v.png"] and figures[0].stat().st_size > 0
    from mimtpy.viz.maps import MapStyle
    from mimtpy.viz.points import points_figure
    _fig, ax = points_figure(points, MapStyle())
    drawn = next(c for c in ax.collections if c.get_gid() == "points")
    np.testing.assert_allclose(drawn.get_offsets(), [(lon, lat) for lon, lat, _ in pts])
    np.testing.assert_allclose(drawn.get_array(), [v for *_, v in pts])            # mm/yr

    # a generic lon lat d1 d2 ... table with a header of dates (StaMPS's own ps_data.xy is lon lat v hgt dem_error,
    # pinned in tests/test_points.py; this test used that name for a time series before ps_output.m was checked)
    series = tmp_path / "points_ts.xy"
    series.write_text("lon lat 20200101 20200113\n10.0 45.0 0 3.5\n10.1 45.1 0 -2\n")
    ts = read_stamps(series)
    assert ts.dates == ["20200101", "20200113"] and ts.quantity == "displacement"
    np.testing.assert_allclose(ts.values, [[0, 0], [3.5e-3, -2e-3]])


# ------------------------------------------------------------------------------------------- errors
def test_clear_errors(scene, tmp_path):
    truncated = tmp_path / "TS_GEOCml1" / "cum.h5"
    truncated.parent.mkdir()
    data = (scene["ts"][0] / "cum.h5").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProductError, match=r"cum\.h5.*(truncated|corrupt)"):
        open_product(truncated)

    results = tmp_path / "x" / "TS_GEOCml1" / "results"
    shutil.copytree(scene["ts"][0] / "results", results)
    with pytest.raises(ProductError, match=r"need EQA\.dem_par"):
        open_product(results)

    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    with pytest.raises(ProductError, match=r"folder that is no product; looked for: .*TS_GEOCml.*notes.txt"):
        open_product(empty)

    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as f:
        f["cum"] = np.zeros((3, 2, 2), np.float32)
        f["imdates"] = np.array([20200101, 20200113])
    with pytest.raises(ProductError, match=r"bad.h5: 2 imdates .* for 3 epochs"):
        open_product(bad)


# ------------------------------------------------------------------------------------------- real data
def test_real_licsbas_geotiffs_open_with_grid_units_and_values(tmp_path):
    """AlignSAR/LiCSBAS Campi Flegrei GeoTIFFs (mm/yr, no unit tag) laid out as a results folder of GeoTIFFs."""
    folder = tmp_path / "022D_04826_121209"
    folder.mkdir()
    shutil.copy(CAMPI / "prelim_vel.tif", folder / "vel.geo.tif")
    shutil.copy(CAMPI / "prelim_coh.tif", folder / "coh_avg.geo.tif")
    product = open_product(folder)
    raw = open_product(CAMPI / "prelim_vel.tif")
    assert product.grid == raw.grid and product.grid.shape == (361, 431)
    assert product.grid.x_first == pytest.approx(13.958349, abs=1e-6)
    assert product.grid.y_first == pytest.approx(40.973619, abs=1e-6)
    vel = product.read("velocity")
    np.testing.assert_allclose(vel, raw.read("data") * np.float32(1e-3), rtol=1e-6)
    assert -0.11 < np.nanmin(vel) < -0.1 and 0.11 < np.nanmax(vel) < 0.12            # -107 .. 112 mm/yr
    assert product.attrs["ORBIT_DIRECTION"] == "DESCENDING" and product.attrs["relative_orbit"] == "22"
    np.testing.assert_array_equal(product.read("coh_avg"), open_product(CAMPI / "prelim_coh.tif").read("data"))


# ------------------------------------------------------------------------------------------- as LiCSBAS writes
def test_synthetic_layout_is_what_licsbas_writes(scene):
    """The synthetic TS folder has the datasets, dtypes and files of LiCSBAS 1.5.x (LiCSBAS13_sb_inv.py v1.5.2,
    11_check_unw.py, 15_mask_ts.py, 02_ml_prep.py), checked against the HDF-EOS5 file of the same series."""
    he5 = open_product(scene["he5"][0])
    ts = scene["ts"][0]
    n, (length, width) = len(he5.dates), he5.grid.shape
    with h5py.File(ts / "cum.h5", "r") as f:
        assert f["cum"].dtype == np.float32 and f["cum"].shape == (n, length, width)
        assert f["vel"].dtype == np.float32 and f["vintercept"].dtype == np.float32
        assert f["gap"].dtype == np.int8 and f["gap"].shape == (n - 1, length, width)
        assert f["imdates"].dtype == np.int32
        assert h5py.check_string_dtype(f["refarea"].dtype) is not None          # a str dataset, read as bytes
        assert isinstance(f["refarea"][()], bytes)
        assert f["corner_lat"].shape == () and f["corner_lat"].dtype == np.float64
        assert "bperp" not in f                                                 # LiCSBAS leaves a dummy one out
        for name in ("hgt", "coh_avg", "E.geo", "N.geo", "U.geo"):
            assert f[name].shape == (length, width)
        refarea = f["refarea"][()].decode()
    info = ts / "info"
    assert (info / "13ref.txt").read_text().split()[0] == refarea
    dem_par = (info / "EQA.dem_par").read_text()
    assert "ellipsoid_ra:" in dem_par and "ellipsoid_reciprocal_flattening:" in dem_par
    assert (info / "EQA.dem_par").read_text() == (ts.parent / "GEOCml1" / "EQA.dem_par").read_text()
    mli = (info / "slc.mli.par").read_text()
    assert f"range_samples:   {width}" in mli and f"azimuth_lines:   {length}" in mli
    assert float(re.search(r"radar_frequency:\s*(\S+)", mli).group(1)) == pytest.approx(
        299792458.0 / float(he5.attrs["WAVELENGTH"]))

    def raw(name):
        return np.fromfile(ts / "results" / name, dtype="<f4").reshape(length, width)

    vel, mask, mskd = raw("vel"), raw("mask"), raw("vel.mskd")
    hdf_mask = he5.read("mask").astype(bool)
    np.testing.assert_array_equal(np.isnan(mask), np.isnan(vel))               # 15_mask_ts: NaN = no data
    ok = np.isfinite(vel) & (vel != 0)
    np.testing.assert_array_equal(mask[ok], hdf_mask[ok].astype(np.float32))    # 1 valid, 0 masked
    assert np.all(mask[vel == 0] == 1)                                          # the reference pixel kept
    np.testing.assert_array_equal(mskd[mask == 1], vel[mask == 1])
    assert np.isnan(mskd[mask != 1]).all()


def test_cum_h5_alone_has_its_geometry_and_height_inside(scene, tmp_path):
    """LiCSBAS >= 1.5.2 copies E.geo/N.geo/U.geo, hgt, coh_avg into cum.h5: a cum.h5 given without its folders
    still has the LOS geometry (equal to the HDF-EOS5 angles) and the height."""
    he5 = open_product(scene["he5"][1])
    alone = tmp_path / "cum.h5"
    shutil.copy(scene["ts"][1] / "cum.h5", alone)
    product = open_product(alone)
    assert "MASK_APPLIED" not in product.attrs                                  # no results/mask beside it
    for name in ("incidenceAngle", "azimuthAngle"):
        assert_same(product.read(name), he5.read(name), 1e-3)
    np.testing.assert_allclose(product.read("height"), he5.read("height"), atol=1e-3)
    assert product.datasets["height"].unit == "m"
    assert product.attrs["ORBIT_DIRECTION"] == "DESCENDING"


def test_cum_filt_h5_uses_the_mask_and_vstd_licsbas16_copies_in(scene, tmp_path):
    """LiCSBAS16_filt_ts.py writes mask, vstd and stc of results/ into cum_filt.h5 (and filtwidth_km, ...)."""
    ts = scene["ts"][0]
    folder = tmp_path / "TS_GEOCml1"
    folder.mkdir()
    shape = open_product(ts / "cum.h5").grid.shape
    mask = np.fromfile(ts / "results" / "mask", dtype="<f4").reshape(shape)
    vstd = np.fromfile(ts / "results" / "vstd", dtype="<f4").reshape(shape)
    shutil.copy(ts / "cum.h5", folder / "cum_filt.h5")
    with h5py.File(folder / "cum_filt.h5", "a") as f:
        f["mask"], f["vstd"] = mask, vstd
        f["filtwidth_km"], f["filtwidth_yr"] = 2.0, 0.1
    product = open_product(folder)
    assert product.attrs["MASK_APPLIED"] == "yes"
    series = product.read("timeseries", epochs=slice(4, 5))[0]
    assert np.isnan(series[mask != 1]).all() and np.isfinite(series[mask == 1]).mean() > 0.9
    std = product.read("velocityStd")
    np.testing.assert_allclose(std[(mask == 1) & (vstd > 0)], vstd[(mask == 1) & (vstd > 0)] * np.float32(1e-3),
                               rtol=1e-6)
    assert product.datasets["velocityStd"].unit == "m/year"


def test_results_vel_is_referenced_to_12ref_and_radar_cum_h5_is_refused(scene, tmp_path):
    he5 = open_product(scene["he5"][0])
    results = open_product(scene["ts"][0] / "results")
    assert (results.attrs["REF_Y"], results.attrs["REF_X"]) == (he5.attrs["REF_Y"], he5.attrs["REF_X"])
    radar = tmp_path / "cum.h5"
    shutil.copy(scene["ts"][0] / "cum.h5", radar)
    with h5py.File(radar, "a") as f:
        for key in ("corner_lat", "corner_lon", "post_lat", "post_lon"):
            del f[key]
    with pytest.raises(ProductError, match=r"cum\.h5: no 'corner_lat' dataset: LiCSBAS wrote this cum\.h5 in "
                                           r"radar coordinates"):
        open_product(radar)


def test_licsar_unit_vectors_with_zero_as_no_data(tmp_path):
    """LiCSAR metadata E/N/U GeoTIFFs mark no data with 0 (LiCSBAS02_ml_prep.py turns 0 into NaN)."""
    grid = Grid(5, 4, 30.0, 40.0, 0.01, -0.01)
    frame = tmp_path / "021D_04972_131213"
    e, n, u = (np.full(grid.shape, c, np.float32) for c in (0.6, 0.1, 0.79))
    for c in (e, n, u):
        c[0, :2] = 0
    write_geotiff(frame / "021D_04972_131213.vel.geo.tif", np.ones(grid.shape, np.float32), grid)
    for name, data in (("E", e), ("N", n), ("U", u)):
        write_geotiff(frame / "metadata" / f"021D_04972_131213.geo.{name}.tif", data, grid)
    product = open_product(frame)
    inc = product.read("incidenceAngle")
    assert np.isnan(inc[0, :2]).all() and np.isnan(product.read("losEast")[0, :2]).all()
    assert inc[1, 1] == pytest.approx(np.degrees(np.arccos(0.79)), abs=1e-4)
    assert product.attrs["ORBIT_DIRECTION"] == "DESCENDING" and product.attrs["relative_orbit"] == "21"


REAL_FRAME = DATA / "div_naf_014A" / "014A_04939_131313"


def test_real_licsbas_frame_as_decompose_insar_velocities_publishes_it():
    """A published LiCSBAS frame folder (tests/data/div_naf_014A/SOURCE.txt) given as the folder: grid = the
    GeoTIFF transform, mm/yr -> m/yr, mask.geo.tif applied (1 valid; 0 and NaN masked), vstd 0 (LiCSBAS13's
    stable reference pixel of cum.h5) unknown, unit vectors of length 1, ascending geometry from the frame ID."""
    import rasterio

    def tif(name):
        with rasterio.open(REAL_FRAME / f"{name}.geo.tif") as src:
            return src.read(1), src.transform, src.nodata

    vel, transform, nodata = tif("vel")
    mask, vstd = tif("mask")[0], tif("vstd")[0]
    assert np.isnan(nodata)
    product = open_product(REAL_FRAME)
    g = product.grid
    assert (g.x_first, g.y_first, g.x_step, g.y_step) == pytest.approx((transform.c, transform.f, transform.a,
                                                                        transform.e), abs=1e-12)
    assert g.shape == vel.shape == (268, 354)
    assert product.attrs["FRAME_ID"] == "014A_04939_131313" and product.attrs["ORBIT_DIRECTION"] == "ASCENDING"
    assert product.attrs["relative_orbit"] == "14" and product.attrs["MASK_APPLIED"] == "yes"
    v = product.read("velocity")
    valid = mask == 1
    np.testing.assert_allclose(v[valid], vel[valid] * np.float32(1e-3), rtol=1e-6)
    assert np.isnan(v[~valid]).all() and valid.sum() > 20000
    unmasked = open_product(REAL_FRAME, mask=False).read("velocity")
    np.testing.assert_allclose(unmasked, vel * np.float32(1e-3), rtol=1e-6)
    ref = np.argwhere(vstd == 0)
    assert len(ref) == 1                          # one stable reference (LiCSBAS13 13ref.txt) where vstd = 0 ...
    assert abs(vel[tuple(ref[0])]) > 1            # ... where results/vel is NOT 0: it is relative to 12ref.txt
    assert np.isnan(open_product(REAL_FRAME, mask=False).read("velocityStd")[tuple(ref[0])])
    e, n, u = (product.read(k) for k in ("losEast", "losNorth", "losUp"))
    ok = np.isfinite(e)
    assert np.max(np.abs(e[ok] ** 2 + n[ok] ** 2 + u[ok] ** 2 - 1)) < 1e-5
    assert np.all(e[ok] < 0)                      # ascending, right-looking: the LOS points west
    inc, az = product.read("incidenceAngle")[ok], product.read("azimuthAngle")[ok]
    assert 28 < inc.min() and inc.max() < 47 and 95 < np.median(az) < 106


def test_comet_frame_without_mask_raster_is_masked_by_its_vel_mskd(scene, tmp_path):
    """COMET's licsar2licsbas.sh publishes <frame>.vel.geo.tif and <frame>.vel.mskd.geo.tif (results/vel.mskd of
    LiCSBAS15) but no mask raster: the mask is where vel.mskd has data, the same as results/mask."""
    src = scene["frames"][0]
    frame = tmp_path / src.name
    shutil.copytree(src, frame)
    (frame / f"{src.name}.mask.geo.tif").unlink()
    with_mask = open_product(src)
    product = open_product(frame)
    assert product.attrs["MASK_APPLIED"] == "yes"
    assert_same(product.read("velocity"), with_mask.read("velocity"), 0)
    unmasked = open_product(frame, mask=False).read("velocity")
    assert np.isfinite(unmasked).sum() > np.isfinite(product.read("velocity")).sum() + 20
    names = sorted(p.name for p in src.iterdir())
    assert names == sorted(f"{src.name}.{n}.tif" for n in ("vel.geo", "vel.mskd.geo", "vstd.geo", "mask.geo",
                                                            "hgt.geo", "coh_avg.geo", "geo.E", "geo.N", "geo.U"))
