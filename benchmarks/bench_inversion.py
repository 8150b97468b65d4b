"""Network inversion: mimtpy ``invert_network.py`` vs MintPy 1.6.4 ``ifgram_inversion.py`` on the same file.

Makes a MintPy ``ifgramStack.h5`` of WIDTH x LENGTH pixels, DATES dates and 3 interferograms per date
(80 dates -> 234 interferograms), 10 % of the values set to 0 (no-data) at random, written with MintPy's own
writer (``writefile.layout_hdf5`` + ``write_hdf5_block``, one interferogram at a time). Both tools run as
separate processes on the same file with the same weighting; the benchmark reports wall time, peak memory
(max RSS of the child), the ratio, and the largest difference between the two time series where both
solve. Also times the compiled solve against its NumPy reference on a small block (an in-run baseline).

    python benchmarks/bench_inversion.py [--size 500 500 80] [--weight no] [--gap 0.1] [--workdir DIR]

The full size (500 x 500 x 80, 234 interferograms) takes MintPy minutes; use ``--size 100 100 80`` while
developing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _measure import BIN, measure, save_result

from mimtpy.inversion.solve import Network, solve_network, solve_network_numpy

WAVELENGTH = 0.05546576


def make_stack(path: Path, width: int, length: int, num_date: int, gap: float, seed: int = 0) -> None:
    """A MintPy ifgramStack.h5 with a linear rate field, a random walk per date, phase noise and gaps."""
    from mintpy.utils import writefile

    rng = np.random.default_rng(seed)
    dates = [str(np.datetime64("2018-01-01") + np.timedelta64(12 * k, "D")).replace("-", "") for k in range(num_date)]
    pairs = [(i, j) for i in range(num_date) for j in range(i + 1, min(num_date, i + 4))]
    m = len(pairs)
    t = np.arange(num_date) * 12 / 365.25
    rate = (np.linspace(-0.05, 0.02, width, dtype=np.float32)[None, :] * np.ones((length, 1), np.float32))
    disp = rate[None] * t[:, None, None].astype(np.float32)
    disp += np.cumsum(rng.normal(0, 0.002, (num_date, length, width)).astype(np.float32), axis=0)
    meta = {"FILE_TYPE": "ifgramStack", "LENGTH": str(length), "WIDTH": str(width), "X_FIRST": "130.0",
            "Y_FIRST": "33.0", "X_STEP": "0.001", "Y_STEP": "-0.001", "X_UNIT": "degrees", "Y_UNIT": "degrees",
            "WAVELENGTH": str(WAVELENGTH), "ALOOKS": "3", "RLOOKS": "9", "PLATFORM": "Sen", "PROCESSOR": "isce",
            "REF_Y": str(length // 2), "REF_X": str(width // 2), "UNIT": "radian"}
    date12 = np.array([[dates[i], dates[j]] for i, j in pairs], dtype=np.bytes_)
    layout = {
        "date": [date12.dtype, (m, 2), date12],
        "bperp": [np.float32, (m,), np.linspace(-50, 50, m).astype(np.float32)],
        "dropIfgram": [np.bool_, (m,), np.ones(m, np.bool_)],
        "unwrapPhase": [np.float32, (m, length, width), None],
        "coherence": [np.float32, (m, length, width), None],
        "connectComponent": [np.int16, (m, length, width), None],
    }
    writefile.layout_hdf5(str(path), layout, metadata=meta, print_msg=False)
    for k, (i, j) in enumerate(pairs):
        phase = -4 * np.pi / WAVELENGTH * (disp[j] - disp[i]) + rng.normal(0, 0.3, (length, width)) + rng.uniform(-3, 3)
        holes = rng.random((length, width)) < gap
        holes[length // 2, width // 2] = False
        phase[holes] = 0
        block = [k, k + 1, 0, length, 0, width]
        writefile.write_hdf5_block(str(path), phase[None].astype(np.float32), "unwrapPhase", block, print_msg=False)
        writefile.write_hdf5_block(str(path), rng.uniform(0.2, 0.95, (1, length, width)).astype(np.float32),
                                   "coherence", block, print_msg=False)
        writefile.write_hdf5_block(str(path), (~holes[None]).astype(np.int16), "connectComponent", block,
                                   print_msg=False)


def kernel_vs_numpy(stack: Path, weight: str) -> dict:
    """The compiled solve and its NumPy reference on the first 2,000 pixels of the stack (one thread)."""
    with h5py.File(stack) as f:
        width = f["unwrapPhase"].shape[2]
        rows = max(1, 2000 // width)
        obs = f["unwrapPhase"][:, :rows, :].reshape(f["unwrapPhase"].shape[0], -1).T
        coh = f["coherence"][:, :rows, :].reshape(obs.shape[1], -1).T
        date12 = [(a.decode(), b.decode()) for a, b in f["date"][()]]
    obs = np.where(obs == 0, np.nan, obs)
    from mimtpy.inversion.solve import coherence_to_weight

    w = coherence_to_weight(coh, weight, 14) if weight != "no" else None
    net = Network.from_date12(date12)
    timings = {}
    for name, fn in (("kernel", lambda: solve_network(obs, net, "sbas", w, workers=1)),
                     ("numpy", lambda: solve_network_numpy(obs, net, "sbas", w))):
        start = time.perf_counter()
        fn()
        timings[name] = time.perf_counter() - start
    return {"pixels": obs.shape[0], "kernel_s": timings["kernel"], "numpy_s": timings["numpy"],
            "speedup": timings["numpy"] / timings["kernel"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", nargs=3, type=int, default=(500, 500, 80), metavar=("WIDTH", "LENGTH", "DATES"))
    parser.add_argument("--weight", default="no", choices=("no", "var", "coh", "fim"))
    parser.add_argument("--gap", type=float, default=0.1, help="fraction of no-data values (default 0.1)")
    parser.add_argument("--skip-mintpy", action="store_true", help="time mimtpy only")
    parser.add_argument("--workdir", type=Path, help="folder for the test file (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        stack = work / "ifgramStack.h5"
        width, length, num_date = args.size
        if not stack.exists():
            make_stack(stack, width, length, num_date, args.gap)
        with h5py.File(stack) as f:
            num_ifgram = f["unwrapPhase"].shape[0]
        result = {"size": [width, length, num_date], "interferograms": num_ifgram, "gap": args.gap,
                  "weight": args.weight}
        ours = measure([sys.executable, "-m", "mimtpy.cli.invert_network", str(stack), "--weight-func", args.weight,
                        "--outdir", "mimtpy", "--force", "-q", "--num-worker", "2"], work)
        result["mimtpy"] = ours
        if not args.skip_mintpy:
            mintpy = measure([str(BIN / "ifgram_inversion.py"), str(stack), "-w", args.weight, "-o", "ts_mintpy.h5",
                              "tcoh_mintpy.h5", "num_mintpy.h5"], work)
            result["mintpy"] = mintpy
            result["speedup"] = mintpy["seconds"] / ours["seconds"]
            with h5py.File(work / "ts_mintpy.h5") as a, h5py.File(work / "mimtpy" / "timeseries.h5") as b, \
                    h5py.File(work / "num_mintpy.h5") as n:
                both = (n["mask"][:] > 0) & np.isfinite(b["timeseries"][-1])
                diff = 0.0
                for k in range(a["timeseries"].shape[0]):
                    diff = max(diff, float(np.abs(a["timeseries"][k][both] - b["timeseries"][k][both]).max()))
            result["max_abs_diff_m"] = diff
            result["pixels_compared"] = int(both.sum())
        result["kernel_vs_numpy"] = kernel_vs_numpy(stack, args.weight)
        save_result(f"inversion_{width}x{length}x{num_date}_{args.weight}", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
