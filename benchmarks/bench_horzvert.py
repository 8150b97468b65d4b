"""Horizontal/vertical decomposition: mimtpy vs MintPy 1.6.4 ``asc_desc2horz_vert.py``.

Two velocity files (default 2000 x 2000) with per-pixel geometry files on one grid. MintPy solves
with the median geometry of 20x20 windows; mimtpy with each pixel's geometry (and propagates the
std and writes GeoTIFFs and a condition-number map besides), so the results differ by the
geometry approximation; the largest difference is reported with the timings.

    python benchmarks/bench_horzvert.py [--size 2000 2000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.io import open_product, write_h5

sys.path.insert(0, str(Path(__file__).parent))
from _measure import BIN, measure, save_result


def make_tracks(work: Path, width: int, length: int) -> tuple[list[Path], list[Path]]:
    grid = Grid(width, length, 130.0, 33.0, 0.0005, -0.0005)
    rng = np.random.default_rng(0)
    across = np.linspace(0, 1, width, dtype=np.float32)[None, :] * np.ones((length, 1), np.float32)
    files, geoms = [], []
    for name, az, inc in (("asc", 102.0, 30.5 + 15.4 * across), ("desc", -102.0, 45.9 - 15.4 * across)):
        vel = rng.normal(0, 0.005, grid.shape).astype(np.float32)
        std = np.full(grid.shape, 0.002, np.float32)
        attrs = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "REF_LAT": 32.5, "REF_LON": 130.5,
                 "REF_Y": length // 2, "REF_X": width // 2, "ORBIT_DIRECTION": name.upper()}
        files.append(write_h5(work / f"{name}.h5", {"velocity": vel, "velocityStd": std}, attrs))
        geoms.append(write_h5(work / f"geo_{name}.h5", {"incidenceAngle": inc.astype(np.float32),
                                                         "azimuthAngle": np.full(grid.shape, az, np.float32)},
                              {**grid.to_attrs(), "FILE_TYPE": "geometry"}))
    return files, geoms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", nargs=2, type=int, default=(2000, 2000), metavar=("WIDTH", "LENGTH"))
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        files, geoms = make_tracks(work, *args.size)
        mintpy = measure([str(BIN / "asc_desc2horz_vert.py"), *map(str, files), "-g", *map(str, geoms),
                          "-o", "hz_mintpy.h5", "up_mintpy.h5"], work)
        ours = measure([str(BIN / "generate_horzvert.py"), *map(str, files), "--geometry", *map(str, geoms),
                        "--outdir", "mimtpy", "--force", "-q"], work)
        diffs = {}
        for comp in ("hz", "up"):
            ref = open_product(work / f"{comp}_mintpy.h5")
            a, b = ref.read(next(iter(ref.datasets))), open_product(work / "mimtpy" / f"{comp}.h5").read("velocity")
            diffs[comp] = float(np.nanmax(np.abs(a - b)))
        result = {"size": {"width": args.size[0], "length": args.size[1]}, "mintpy": mintpy, "mimtpy": ours,
                  "speedup_vs_mintpy": mintpy["seconds"] / ours["seconds"],
                  "memory_ratio_mimtpy_over_mintpy": ours["peak_rss_mb"] / mintpy["peak_rss_mb"],
                  "max_abs_difference_m_per_yr (20x20 median vs per-pixel geometry)": diffs}
    save_result("bench_horzvert", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
