"""tsview: time and peak memory until the first map and one pixel's series, on a large HDF-EOS5 cube, against
MintPy's tsview.py data loading (``readfile.read`` of every date of the cube, as ``mintpy.tsview`` does).

    python benchmarks/bench_tsview.py                 # a 0.5 GB cube
    python benchmarks/bench_tsview.py --size 5        # the 5 GB cube of the issue (needs ~6 GB free in --tmp)

The cube (MintPy's HDF-EOS5 layout, lzf-compressed in strips of 128 rows per epoch, as ``stream_hdfeos5`` and
MintPy's ``save_hdfeos5`` write) is written once into a temporary folder and deleted at the end. Each reader runs
in its own process (wall time and peak RSS of the child, :mod:`_measure`); the mimtpy child also records its
phases (open, first map, one series, then the full velocity map) in a JSON file. The file is read from the page
cache in both runs (it has just been written and the machine has RAM for it).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure, save_result

EPOCHS = 150


def write_cube(path: Path, gigabytes: float) -> tuple[int, int, int]:
    """An HDF-EOS5 cube of about ``gigabytes`` of float32: a smooth velocity field times time, plus a seasonal term."""
    from mimtpy.core.dates import decimal_years
    from mimtpy.core.grid import Grid
    from mimtpy.io import stream_hdfeos5

    pixels = gigabytes * 1024**3 / 4 / EPOCHS
    width = int(math.sqrt(pixels * 1.2))
    length = int(pixels // width)
    start = np.datetime64("2017-01-03")
    dates = [str(start + np.timedelta64(12 * i, "D")).replace("-", "") for i in range(EPOCHS)]
    t = decimal_years(dates) - decimal_years(dates[:1])[0]
    grid = Grid(width, length, 100.0, 40.0, 0.0008, -0.0008)
    y, x = np.ogrid[0:length, 0:width]
    velocity = (-0.03 * np.exp(-((y - length / 2) ** 2 + (x - width / 2) ** 2) / (0.1 * width) ** 2)
                + 0.002 * np.sin(x / 50.0)).astype(np.float32)
    season = (0.005 * np.cos(y / 80.0)).astype(np.float32)
    attrs = {**grid.to_attrs(), "FILE_TYPE": "timeseries", "UNIT": "m", "REF_Y": "0", "REF_X": "0",
             "REF_LAT": str(grid.rowcol_to_lalo(0, 0)[0]), "REF_LON": str(grid.rowcol_to_lalo(0, 0)[1])}
    quality = {"mask": np.ones((length, width), np.bool_)}
    with stream_hdfeos5(path, (EPOCHS, length, width), dates, np.zeros(EPOCHS), quality, {}, attrs) as cube:
        for i, ti in enumerate(t):
            cube[i] = velocity * np.float32(ti) + season * np.float32(math.sin(2 * math.pi * ti))
    return EPOCHS, length, width


def child_mimtpy(path: Path, out: Path) -> None:
    """What the viewer does before and after its page shows: open; the first map (the velocity when it reads
    under QUICK_BYTES, else the displacement of the period, two epochs); one pixel's series; then the velocity
    map (read in the background by the page)."""
    from mimtpy.viz.tsview.viewer import Viewer, ViewerSettings

    times = {}
    t0 = time.perf_counter()
    viewer = Viewer(ViewerSettings((path,), max_memory=1.0, export_dir=out.parent / "exports"))
    times["open_s"] = time.perf_counter() - t0
    quick = viewer.is_quick(0, "velocity", None, None)
    first = viewer.map(0, "velocity" if quick else "displacement", None, None)
    times["first_map_s"] = time.perf_counter() - t0
    times["first_map_kind"] = first.kind
    source = viewer.sources[0]
    series = source.pixel_series(source.grid.length // 3, source.grid.width // 3)
    times["first_map_and_series_s"] = time.perf_counter() - t0
    velocity = viewer.map(0, "velocity", None, None)
    times["velocity_map_s"] = time.perf_counter() - times["first_map_and_series_s"] - t0
    times["map_shape"] = list(velocity.values.shape)
    times["k"] = velocity.k
    times["series_epochs"] = int(series.size)
    times["finite_map_fraction"] = float(np.isfinite(velocity.values).mean())
    out.write_text(json.dumps(times))


def child_mintpy(path: Path) -> None:
    """MintPy tsview.py's data loading: every date of the cube into memory."""
    t0 = time.perf_counter()
    from mintpy.utils import readfile

    dates = readfile.get_slice_list(str(path))
    data, _atr = readfile.read(str(path), datasetName=dates)
    assert data.ndim == 3
    path.with_suffix(".mintpy.json").write_text(json.dumps({"read_s": time.perf_counter() - t0}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=float, default=0.5, help="cube size in GB (default 0.5; the issue: 5)")
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()), help="folder of the cube")
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--no-mintpy", action="store_true", help="skip MintPy's read (no peer installed)")
    args = parser.parse_args()
    if args.child:
        which, path = args.child
        if which == "mimtpy":
            child_mimtpy(Path(path), Path(path).with_suffix(".json"))
        else:
            child_mintpy(Path(path))
        return
    work = Path(tempfile.mkdtemp(prefix="bench_tsview_", dir=args.tmp))
    try:
        cube = work / "S1_bench.he5"
        t0 = time.perf_counter()
        shape = write_cube(cube, args.size)
        written = time.perf_counter() - t0
        me = Path(__file__).resolve()
        runs = {"mimtpy": measure([sys.executable, str(me), "--child", "mimtpy", str(cube)], work)}
        phases = json.loads(cube.with_suffix(".json").read_text())
        if not args.no_mintpy:
            runs["mintpy"] = measure([sys.executable, str(me), "--child", "mintpy", str(cube)], work)
            phases["mintpy_read_s"] = json.loads(cube.with_suffix(".mintpy.json").read_text())["read_s"]
            phases["first_view_speedup_vs_mintpy_read"] = phases["mintpy_read_s"] / phases["first_map_and_series_s"]
        result = {"cube_shape": list(shape), "cube_gb_float32": float(np.prod(shape) * 4 / 1024**3),
                  "file_gb": cube.stat().st_size / 1024**3, "write_s": written, "runs": runs, "mimtpy_phases": phases}
        if "mintpy" in runs:
            result["speedup_vs_mintpy_read"] = runs["mintpy"]["seconds"] / runs["mimtpy"]["seconds"]
            result["memory_ratio_vs_mintpy_read"] = runs["mimtpy"]["peak_rss_mb"] / runs["mintpy"]["peak_rss_mb"]
        save_result(f"tsview_{args.size:g}gb", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
