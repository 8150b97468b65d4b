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

from mimtpy.io import open_product

sys.path.insert(0, str(Path(__file__).parent))
import bench_pipeline
from _measure import BIN, measure, save_result


def make_tracks(work: Path, width: int, length: int) -> tuple[list[Path], list[Path]]:
    files, geoms, _gb = bench_pipeline.make_tracks(work, width, length)
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
