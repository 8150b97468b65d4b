"""Datacubes: export and composite/strain, time and peak memory against in-memory xarray baselines.

1. ``save_netcdf.py`` on a MintPy ``timeseries.h5`` of WIDTH x LENGTH x EPOCHS (streamed chunk by chunk) vs a
   baseline that loads the whole cube with h5py and writes it with ``xarray.Dataset.to_netcdf``;
2. ``strain_rates.py`` on an ITS_LIVE-format NetCDF cube (LAYERS x LENGTH x WIDTH, int16 vx/vy/v_error,
   weighted-median composite in row blocks) vs a baseline that loads vx/vy into memory and takes
   ``xarray``'s ``median`` over ``mid_date`` (unweighted, so it does less work).
Reports wall time, peak RSS of each child process, the ratios, and the cube sizes.

    python benchmarks/bench_datacube.py [--size 600 600 80] [--layers 120] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from _measure import measure, save_result
from bench_velocity import make_timeseries

BASELINE_EXPORT = """
import sys, h5py, numpy as np, xarray as xr
with h5py.File(sys.argv[1]) as f:
    ts = f['timeseries'][()]
    dates = [d.decode() for d in f['date'][()]]
t = np.array([np.datetime64(f'{d[:4]}-{d[4:6]}-{d[6:]}') for d in dates], dtype='datetime64[ns]')
xr.Dataset({'timeseries': (('time', 'lat', 'lon'), ts)}, coords={'time': t}).to_netcdf(
    sys.argv[2], encoding={'timeseries': {'zlib': True, 'complevel': 4}})
"""

STRAIN_BUDGET = """
import sys
from pathlib import Path
from mimtpy.config import ComputeConfig
from mimtpy.context import RunContext
from mimtpy.datacube.strain import StrainConfig, run
cfg = StrainConfig(dataset=(sys.argv[1],), outdir=Path(sys.argv[2]), figure=False)
run(cfg, RunContext(Path.cwd(), compute=ComputeConfig(max_memory=float(sys.argv[3])), force=True))
"""

BASELINE_COMPOSITE = """
import sys, xarray as xr
ds = xr.open_dataset(sys.argv[1])
sub = ds[['vx', 'vy']].load()
med = sub.median('mid_date')
med.to_netcdf(sys.argv[2])
"""


def make_itslive(path: Path, layers: int, length: int, width: int) -> None:
    import xarray as xr
    from pyproj import CRS

    rng = np.random.default_rng(0)
    x = -180000.0 + 120.0 * np.arange(width)
    y = -2280000.0 - 120.0 * np.arange(length)
    days = np.datetime64("2015-01-01") + rng.integers(0, 3000, layers).astype("timedelta64[D]")
    base = np.linspace(100, 900, width)[None, :] * np.ones((length, 1))
    enc, data = {}, {}
    for name, scale in (("vx", 1.0), ("vy", -0.5)):
        arr = (scale * base[None] + rng.normal(0, 20, (layers, length, width))).astype(np.int16)
        arr[rng.random(arr.shape) < 0.2] = -32767
        data[name] = (("mid_date", "y", "x"), arr, {"units": "meter/year", "grid_mapping": "mapping"})
        enc[name] = {"_FillValue": -32767, "zlib": True, "complevel": 1, "chunksizes": (layers, 64, 64)}
    data["v_error"] = (("mid_date", "y", "x"), rng.integers(5, 50, (layers, length, width)).astype(np.int16),
                       {"units": "meter/year", "grid_mapping": "mapping"})
    enc["v_error"] = {"_FillValue": -32767, "zlib": True, "complevel": 1, "chunksizes": (layers, 64, 64)}
    ds = xr.Dataset(data, coords={"mid_date": days, "x": x, "y": y})
    ds["mapping"] = xr.Variable((), 0, {"spatial_epsg": 3413, "crs_wkt": CRS.from_epsg(3413).to_wkt()})
    ds.to_netcdf(path, encoding=enc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", nargs=3, type=int, default=(600, 600, 80), metavar=("WIDTH", "LENGTH", "EPOCHS"))
    parser.add_argument("--layers", type=int, default=120, help="layers of the ITS_LIVE-format cube")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    width, length, epochs = args.size
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_datacube_"))
    work.mkdir(parents=True, exist_ok=True)
    ts = work / "timeseries.h5"
    make_timeseries(ts, width, length, epochs)
    cube = work / "itslive.nc"
    make_itslive(cube, args.layers, length, width)
    ours = measure([sys.executable, "-m", "mimtpy.cli.save_netcdf", str(ts), "--outdir", str(work / "nc"), "--force",
                    "-q"], work)
    base = measure([sys.executable, "-c", BASELINE_EXPORT, str(ts), str(work / "baseline.nc")], work)
    strain = measure([sys.executable, "-m", "mimtpy.cli.strain_rates", str(cube), "--outdir", str(work / "strain"),
                      "--figure", "no", "--force", "-q"], work)
    budget = measure([sys.executable, "-c", STRAIN_BUDGET, str(cube), str(work / "strain_budget"), "0.05"], work)
    comp = measure([sys.executable, "-c", BASELINE_COMPOSITE, str(cube), str(work / "median.nc")], work)
    result = {
        "timeseries_mb": width * length * epochs * 4 / 2**20,
        "itslive_mb_per_variable": args.layers * width * length * 2 / 2**20,
        "save_netcdf": ours, "baseline_export_inmemory": base,
        "export_time_ratio": ours["seconds"] / base["seconds"],
        "export_memory_ratio": ours["peak_rss_mb"] / base["peak_rss_mb"],
        "strain_rates_weighted_median": strain, "strain_rates_maxMemory_0.05GB": budget,
        "baseline_xarray_median_inmemory": comp,
        "strain_time_ratio": strain["seconds"] / comp["seconds"],
        "strain_memory_ratio": strain["peak_rss_mb"] / comp["peak_rss_mb"],
        "strain_budget_memory_ratio": budget["peak_rss_mb"] / comp["peak_rss_mb"],
    }
    save_result("datacube", result)


if __name__ == "__main__":
    main()
