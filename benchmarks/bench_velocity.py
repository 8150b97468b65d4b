"""Velocity of a time series: mimtpy vs MintPy 1.6.4 ``timeseries2velocity.py`` on the same file.

Makes a MintPy ``timeseries.h5`` of WIDTH x LENGTH x EPOCHS (default 1000 x 1000 x 100, 400 MB) with a
known linear rate plus noise, runs both tools as separate processes, and reports wall time, peak memory
(max RSS of the child) and the largest difference between their velocities. Also times the compiled kernel
against its NumPy reference on one block (an in-run baseline).

    python benchmarks/bench_velocity.py [--size 1000 1000 100] [--workdir DIR]

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from the children's environment so that MintPy's
LAPACK calls run on the machine's best kernel.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.core.linfit import fit_lines, fit_lines_numpy
from mimtpy.io import open_product, write_h5

sys.path.insert(0, str(Path(__file__).parent))
from _measure import BIN, measure, save_result


def make_timeseries(path: Path, width: int, length: int, epochs: int) -> None:
    rng = np.random.default_rng(0)
    dates = [np.datetime64("2017-01-03") + np.timedelta64(12 * i, "D") for i in range(epochs)]
    dates = [str(d).replace("-", "") for d in dates]
    t = np.arange(epochs) * 12 / 365.25
    rate = np.linspace(-0.03, 0.03, width, dtype=np.float32)[None, :] * np.ones((length, 1), np.float32)
    ts = np.empty((epochs, length, width), np.float32)
    for i in range(epochs):
        ts[i] = rate * t[i] + rng.normal(0, 0.005, (length, width)).astype(np.float32)
    ts -= ts[0]
    ts[:, :20, :20] = np.nan                     # a no-data corner, NaN in all epochs as MintPy expects
    grid = Grid(width, length, 130.0, 32.0, 0.001, -0.001)
    attrs = {**grid.to_attrs(), "FILE_TYPE": "timeseries", "UNIT": "m", "REF_Y": 500, "REF_X": 500,
             "REF_DATE": dates[0], "WAVELENGTH": 0.05546576}
    write_h5(path, {"timeseries": ts, "bperp": np.zeros(epochs, np.float32)}, attrs, dates=dates)


def kernel_vs_numpy() -> dict:
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(2017, 2021, 100))
    y = (rng.normal(0, 0.01, (100, 200_000)) + np.outer(t, rng.normal(0, 0.02, 200_000))).astype(np.float32)
    y[rng.random(y.shape) < 0.02] = np.nan
    timings = {}
    for name, fn in (("kernel", fit_lines), ("numpy", fit_lines_numpy)):
        start = time.perf_counter()
        fn(y, t)
        timings[name] = time.perf_counter() - start
    return {"kernel_s": timings["kernel"], "numpy_s": timings["numpy"], "speedup": timings["numpy"] / timings["kernel"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", nargs=3, type=int, default=(1000, 1000, 100), metavar=("WIDTH", "LENGTH", "EPOCHS"))
    parser.add_argument("--workdir", type=Path, help="folder for the test file (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ts = work / "timeseries.h5"
        width, length, epochs = args.size
        make_timeseries(ts, width, length, epochs)
        mintpy = measure([str(BIN / "timeseries2velocity.py"), str(ts), "-o", "velocity_mintpy.h5"], work)
        ours = measure([str(BIN / "HDFEOS_to_geotiff.py"), str(ts), "velocity", "--outdir", "mimtpy",
                        "--no-geotiff", "--force", "-q"], work)
        ref = open_product(work / "velocity_mintpy.h5")
        ours_file = open_product(next((work / "mimtpy").glob("velocity_*.h5")))
        v_ref, v = ref.read("velocity"), ours_file.read("velocity")
        s_ref, s = ref.read("velocityStd"), ours_file.read("velocityStd")
        both = np.isfinite(v) & np.isfinite(v_ref) & (v_ref != 0)
        result = {
            "size": {"width": width, "length": length, "epochs": epochs},
            "mintpy": mintpy, "mimtpy": ours,
            "speedup_vs_mintpy": mintpy["seconds"] / ours["seconds"],
            "memory_ratio_mimtpy_over_mintpy": ours["peak_rss_mb"] / mintpy["peak_rss_mb"],
            "max_abs_velocity_difference_m_per_yr": float(np.max(np.abs(v[both] - v_ref[both]))),
            "max_abs_velocityStd_difference_m_per_yr": float(np.max(np.abs(s[both] - s_ref[both]))),
            "kernel_vs_numpy_reference": kernel_vs_numpy(),
        }
    save_result("bench_velocity", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
