"""One small project through every step that writes files (shared by the MintPy peer tests and the
output-label tests): synthetic asc/desc tracks -> velcumu, horzvert (+ time series), concatenation of two
windows of one track (velocity and HDF-EOS5 time series), transects, subtract, Kite quadtree, inversion,
RELAX grid search (prediction, residual), strain rates and the H5UNW GeoTIFF conversion of a real PyRate
interferogram."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from mimtpy.app import parse_template
from mimtpy.basic import products
from mimtpy.context import RunContext
from mimtpy.io import open_product, write_geotiff, write_h5, write_hdfeos5

PYRATE_UNW = Path(__file__).parent / "data" / "pyrate_mexico_cropA" / "cropA_20180106-20180130_VV_8rlks_eqa_unw.tif"


def as_mintpy_timeseries(he5: Path, out: Path) -> Path:
    """The he5 time series as MintPy timeseries.h5; pixels with any gap are NaN in all epochs,
    as MintPy requires (it refuses partial gaps)."""
    product = open_product(he5)
    ts = product.read("timeseries")
    ts[:, np.isnan(ts).any(axis=0)] = np.nan
    attrs = {**product.attrs, "FILE_TYPE": "timeseries"}
    return write_h5(out, {"timeseries": ts, "bperp": np.zeros(len(product.dates), np.float32)}, attrs,
                    dates=product.dates)


def _windows(he5: Path, folder: Path, corners: list[tuple[slice, slice]]) -> tuple[list[Path], list[Path]]:
    """Two overlapping windows of one track written as two 'tracks' (relative_orbit 64 and 65, own corners):
    velocity.h5 (truth LOS velocity) and HDF-EOS5 time series (gaps NaN in all epochs; the second without the
    first epoch, so the reference date of track 1 is not shared)."""
    product = open_product(he5)
    truth = open_product(he5.parent / "truth.h5").read("los_velocity")
    vel, ts = [], []
    for k, (rows, cols) in enumerate(corners):
        grid = product.grid.subset(rows, cols)
        s, n, w, e = grid.snwe
        attrs = {**product.attrs, **grid.to_attrs(), "relative_orbit": 64 + k, "LAT_REF1": s, "LAT_REF2": s,
                 "LAT_REF3": n, "LAT_REF4": n, "LON_REF1": w, "LON_REF2": e, "LON_REF3": w, "LON_REF4": e}
        cube = product.read("timeseries", rows, cols)
        cube[:, np.isnan(cube).any(axis=0)] = np.nan
        ok_r, ok_c = np.nonzero(np.isfinite(cube[0]))        # reference: the valid pixel nearest the centre
        k_ref = int(np.argmin((ok_r - grid.length / 2) ** 2 + (ok_c - grid.width / 2) ** 2))
        r, c = int(ok_r[k_ref]), int(ok_c[k_ref])
        cube -= cube[:, r:r + 1, c:c + 1]
        ref = grid.rowcol_to_lalo(r, c)
        dates = product.dates[k:]
        ref_attrs = {"REF_LAT": ref[0], "REF_LON": ref[1], "REF_Y": r, "REF_X": c}
        ts.append(write_hdfeos5(folder / f"T{k}" / f"S1_IW12_{64 + k:03d}.he5", cube[k:] - cube[k], dates,
                                np.zeros(len(dates)), {}, {}, {**attrs, **ref_attrs, "REF_DATE": dates[0]}))
        v = truth[rows, cols] - truth[rows, cols][r, c]
        vel.append(write_h5(folder / f"T{k}" / "velocity.h5", {"velocity": v},
                            {**attrs, **ref_attrs, "FILE_TYPE": "velocity", "UNIT": "m/year"}))
    return vel, ts


def build(noisy_pair: list[Path], work: Path) -> dict[str, Path]:
    """One small project through the steps that write .h5: {label: file}."""
    from mimtpy.analysis import concatenation, horzvert, transects
    from mimtpy.basic.products import export_dataset
    from mimtpy.cli import generate_track_polygon, grid_search, invert_network, save_kite, strain_rates
    from mimtpy.preprocess import subtract
    from mimtpy.tools import convert
    from tests.conftest import make_products
    from tests.ifgram_synth import synthetic_stack
    from tests.test_inversion import write_h5_stack

    asc, desc = noisy_pair
    ctx = RunContext(work)
    out: dict[str, Path] = {"synthetic he5": asc, "synthetic truth": asc.parent / "truth.h5"}
    cfg = parse_template(f"mimtpy.velcumu.outdir = {work / 'v'}", work / "t").configs["velcumu"]
    out["velcumu velocity"] = products.process(asc, "velocity", cfg, ctx, work / "v")[0]
    out["velcumu displacement"] = products.process(asc, "displacement", cfg, ctx, work / "v")[0]
    out["velcumu mask"] = export_dataset(asc, "mask", cfg, work / "v", ctx)[0]
    out["velcumu geometry"] = export_dataset(asc, "geometry", cfg, work / "v", ctx)[0]

    def template(section: str, **keys) -> object:
        text = "\n".join(f"mimtpy.{section}.{k} = {v}" for k, v in keys.items())
        return parse_template(text, work / f"{section}.template").configs[section]

    hv = horzvert.run(template("horzvert", DataSet=f"{asc}, {desc}", outdir=work / "hv"), ctx)
    out.update({"horzvert hz": hv[0], "horzvert up": hv[2], "horzvert cond": hv[-1]})
    # MintPy's timeseries2velocity refuses pixels with gaps in some epochs only: time series without them, with
    # the geometry found in the track's .he5 beside each (same track)
    full = []
    for he5 in (asc, desc):
        folder = work / he5.parent.parent.name
        folder.mkdir()
        shutil.copy(he5, folder / he5.name)
        full.append(as_mintpy_timeseries(he5, folder / "timeseries.h5"))
    hv_ts = horzvert.run(template("horzvert", DataSet=", ".join(map(str, full)), outdir=work / "hvts",
                                  timeseries="yes"), ctx)
    out.update({"horzvert hz timeseries": hv_ts[0], "horzvert up timeseries": hv_ts[1]})
    corners = [(slice(0, 70), slice(0, 60)), (slice(30, 100), slice(40, 100))]
    vel, ts = _windows(asc, work / "tracks", corners)
    out["concatenation velocity"] = concatenation.run(
        template("concatenation", DataSet=", ".join(map(str, vel)), outdir=work / "cv", referenceTrack=0), ctx)[0]
    out["concatenation timeseries"] = concatenation.run(
        template("concatenation", DataSet=", ".join(map(str, ts)), outdir=work / "cts", referenceTrack=0), ctx)[0]
    out["tracks"] = vel + ts
    tr = transects.run(template("transects", DataSet=hv[0], start="34.1, -118.25", end="34.2, -118.05",
                                outdir=work / "tr"), ctx)
    out["transects"] = next(p for p in tr if p.suffix == ".h5")
    out["subtract"] = subtract.run(template("subtract", DataSet=f"{out['velcumu velocity']}, {vel[0]}",
                                            dataname="velocity", outdir=work / "sb", figure="no"), ctx)[0]
    assert save_kite.main([str(asc), "--date", "20170103_20181230", "--quadtree", "--epsilon", "0.002",
                           "--outdir", str(work / "kite"), "--outname", "q", "-q"]) == 0
    out["kite quadtree"] = work / "kite" / "q_quadtree.h5"
    data = synthetic_stack(10, 12, 8, neighbours=2, gap=0.05, seed=1)
    stack = write_h5_stack(work / "ifgramStack.h5", data)
    assert invert_network.main([str(stack), "--outdir", str(work / "inv"), "-q"]) == 0
    for name in ("timeseries", "temporalCoherence", "numInvIfgram", "numComponent", "residualRMS", "velocity"):
        out[f"inversion {name}"] = work / "inv" / f"{name}.h5"
    assert grid_search.main([str(out["velcumu velocity"]), "--model", "okada", "--param", "depth=1000:2000:1000",
                             "--param", "slip=0.5:1:0.5", "--fixed", "strike=90,dip=60,rake=90,length=10000,width=5000,"
                             "lat=34.15,lon=-118.15", "--outdir", str(work / "gs"), "-q"]) == 0
    out.update({"gridsearch prediction": work / "gs" / "prediction.h5",
                "gridsearch residual": work / "gs" / "residual.h5"})
    truth = open_product(asc.parent / "truth.h5")
    east = write_geotiff(work / "east.tif", truth.read("east"), truth.grid, {"UNIT": "m/year"})
    north = write_geotiff(work / "north.tif", truth.read("north"), truth.grid, {"UNIT": "m/year"})
    assert strain_rates.main([str(east), str(north), "--outdir", str(work / "strain"), "--figure", "no", "-q"]) == 0
    out["strain e1"] = work / "strain" / "e1.tif"
    out["strain rotation"] = work / "strain" / "rotation.tif"
    wrapped_track = make_products(work / "wrap", tracks="asc", wrap="yes")[0]
    out["synthetic wrapped"] = next(wrapped_track.parent.glob("wrapped_*.tif"))
    out["H5UNW mm"] = convert.to_geotiff(PYRATE_UNW, None, work / "unw_mm.tif", "mm")
    for suffix in (".geojson", ".kml"):
        assert generate_track_polygon.main([str(vel[0]), "-o", str(work / f"footprint{suffix}"), "-q"]) == 0
        out[f"footprint {suffix}"] = work / f"footprint{suffix}"
    return out


