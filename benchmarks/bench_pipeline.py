"""The block pipeline: speed against MintPy 1.6.4 and memory bounded by ``maxMemory``, in one run.

Every command runs in its own process (:mod:`_measure`: wall time and peak RSS of the child).

* velocity of a MintPy-written ``timeseries.h5`` (MintPy's own writer): MintPy ``timeseries2velocity.py``,
  a plain read of the epochs (h5py, 128-row blocks: the floor any tool pays), mimtpy with the default budget,
  with ``maxMemory`` = a quarter of the cube, and on a Dask LocalCluster of two workers;
* horzvert of two tracks (velocity + std + per-pixel geometry) against MintPy ``asc_desc2horz_vert.py``, and
  with ``maxMemory`` = a quarter of the inputs;
* concatenation of three overlapping tracks with ``maxMemory`` = a quarter of the inputs, against the same
  with a budget that holds everything;
* transects: 20 profiles through a large mosaic with a small budget;
* start-up: ``--help`` of every console script against MintPy's ``smallbaselineApp.py --help``.

    python benchmarks/bench_pipeline.py [--quick] [--workdir DIR]

Outputs computed under a small budget are compared with those of the large budget (the block path must
not change a number; overlaps larger than the budget are fitted on a regular subsample, reported).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.io import open_product, write_h5

sys.path.insert(0, str(Path(__file__).parent))
from _measure import BIN, measure, save_result

GB = 1024**3


def make_mintpy_timeseries(path: Path, width: int, length: int, epochs: int) -> float:
    """A timeseries.h5 written by MintPy's writefile (a linear rate + noise); returns its size in GB."""
    from mintpy.utils import writefile

    rng = np.random.default_rng(0)
    dates = [str(np.datetime64("2017-01-03") + np.timedelta64(12 * i, "D")).replace("-", "") for i in range(epochs)]
    t = np.arange(epochs) * 12 / 365.25
    rate = np.linspace(-0.03, 0.03, width, dtype=np.float32)[None, :]
    ts = np.empty((epochs, length, width), np.float32)
    for i in range(epochs):
        ts[i] = rate * t[i] + rng.normal(0, 0.005, (length, width)).astype(np.float32)
    ts -= ts[0]
    grid = Grid(width, length, 130.0, 32.0, 0.001, -0.001)
    attrs = {k: str(v) for k, v in grid.to_attrs().items()}
    attrs.update(FILE_TYPE="timeseries", UNIT="m", REF_Y=str(length // 2), REF_X=str(width // 2),
                 REF_DATE=dates[0], WAVELENGTH="0.05546576")
    writefile.write({"timeseries": ts, "date": np.array(dates, dtype=np.bytes_),
                     "bperp": np.zeros(epochs, np.float32)}, out_file=str(path), metadata=attrs)
    return ts.nbytes / GB


PLAIN_READ = ("import h5py, sys; f = h5py.File(sys.argv[1], 'r'); d = f['timeseries']; "
              "[d[:, r:r + 128, :] for r in range(0, d.shape[1], 128)]")


def velocity(work: Path, size: tuple[int, int, int]) -> dict:
    ts = work / "timeseries.h5"
    cube_gb = make_mintpy_timeseries(ts, *size)
    quarter = f"{cube_gb / 4:.4f}"
    runs = {
        "plain_read": measure([sys.executable, "-c", PLAIN_READ, str(ts)], work),
        "mintpy": measure([str(BIN / "timeseries2velocity.py"), str(ts), "-o", "v_mintpy.h5"], work),
    }
    for label, extra in (("mimtpy", []), ("mimtpy_quarter_budget", ["--max-memory", quarter]),
                         ("mimtpy_dask_local_2", ["--cluster", "local", "--num-worker", "2"])):
        runs[label] = measure([str(BIN / "HDFEOS_to_geotiff.py"), str(ts), "velocity", "--outdir", label,
                               "--no-geotiff", "--force", "-q", *extra], work)
    ref = open_product(work / "v_mintpy.h5").read("velocity")
    values = {k: open_product(next((work / k).glob("velocity_*.h5"))).read("velocity")
              for k in ("mimtpy", "mimtpy_quarter_budget", "mimtpy_dask_local_2")}
    both = np.isfinite(ref) & np.isfinite(values["mimtpy"])
    return {
        "size": size, "cube_gb": cube_gb, "runs": runs,
        "speedup_vs_mintpy": runs["mintpy"]["seconds"] / runs["mimtpy"]["seconds"],
        "share_of_plain_read_speed": runs["plain_read"]["seconds"] / runs["mimtpy"]["seconds"],
        "memory_ratio_vs_mintpy": runs["mimtpy"]["peak_rss_mb"] / runs["mintpy"]["peak_rss_mb"],
        "quarter_budget_gb": float(quarter),
        "quarter_budget_peak_over_budget_gb": runs["mimtpy_quarter_budget"]["peak_rss_mb"] / 1024 - float(quarter),
        "dask_speedup_vs_threads": runs["mimtpy"]["seconds"] / runs["mimtpy_dask_local_2"]["seconds"],
        "max_abs_difference_vs_mintpy": float(np.max(np.abs(values["mimtpy"][both] - ref[both]))),
        "quarter_budget_equal": bool(np.array_equal(values["mimtpy"], values["mimtpy_quarter_budget"],
                                                    equal_nan=True)),
        "dask_equal": bool(np.array_equal(values["mimtpy"], values["mimtpy_dask_local_2"], equal_nan=True)),
    }


def make_tracks(work: Path, width: int, length: int) -> tuple[list[Path], list[Path], float]:
    grid = Grid(width, length, 130.0, 33.0, 0.0005, -0.0005)
    rng = np.random.default_rng(0)
    across = np.linspace(0, 1, width, dtype=np.float32)[None, :] * np.ones((length, 1), np.float32)
    files, geoms, nbytes = [], [], 0
    for name, az, inc in (("asc", 102.0, 30.5 + 15.4 * across), ("desc", -102.0, 45.9 - 15.4 * across)):
        vel = rng.normal(0, 0.005, grid.shape).astype(np.float32)
        std = np.full(grid.shape, 0.002, np.float32)
        attrs = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "REF_LAT": 32.5, "REF_LON": 130.5,
                 "REF_Y": length // 2, "REF_X": width // 2, "ORBIT_DIRECTION": name.upper()}
        files.append(write_h5(work / f"{name}.h5", {"velocity": vel, "velocityStd": std}, attrs))
        geoms.append(write_h5(work / f"geo_{name}.h5", {"incidenceAngle": inc.astype(np.float32),
                                                         "azimuthAngle": np.full(grid.shape, az, np.float32)},
                              {**grid.to_attrs(), "FILE_TYPE": "geometry"}))
        nbytes += 4 * vel.nbytes
    return files, geoms, nbytes / GB


def horzvert(work: Path, size: tuple[int, int]) -> dict:
    files, geoms, inputs_gb = make_tracks(work, *size)
    quarter = f"{inputs_gb / 4:.4f}"
    runs = {"mintpy": measure([str(BIN / "asc_desc2horz_vert.py"), *map(str, files), "-g", *map(str, geoms),
                               "-o", "hz_mintpy.h5", "up_mintpy.h5"], work)}
    for label, extra in (("mimtpy", []), ("mimtpy_quarter_budget", ["--max-memory", quarter]),
                         ("mimtpy_dask_local_2", ["--cluster", "local", "--num-worker", "2"])):
        runs[label] = measure([str(BIN / "generate_horzvert.py"), *map(str, files), "--geometry", *map(str, geoms),
                               "--outdir", label, "--force", "-q", *extra], work)
    hz = {k: open_product(work / k / "hz.h5").read("velocity") for k in runs if k != "mintpy"}
    return {
        "size": size, "inputs_gb": inputs_gb, "runs": runs,
        "speedup_vs_mintpy": runs["mintpy"]["seconds"] / runs["mimtpy"]["seconds"],
        "memory_ratio_vs_mintpy": runs["mimtpy"]["peak_rss_mb"] / runs["mintpy"]["peak_rss_mb"],
        "quarter_budget_gb": float(quarter),
        "quarter_budget_peak_over_budget_gb": runs["mimtpy_quarter_budget"]["peak_rss_mb"] / 1024 - float(quarter),
        "dask_speedup_vs_threads": runs["mimtpy"]["seconds"] / runs["mimtpy_dask_local_2"]["seconds"],
        "quarter_budget_equal": bool(np.array_equal(hz["mimtpy"], hz["mimtpy_quarter_budget"], equal_nan=True)),
        "dask_equal": bool(np.array_equal(hz["mimtpy"], hz["mimtpy_dask_local_2"], equal_nan=True)),
    }


def concatenation(work: Path, size: int) -> dict:
    """Three tracks of size x size, each shifted by two thirds of a track: a chain of overlaps."""
    rng = np.random.default_rng(1)
    paths, nbytes = [], 0
    for k in range(3):
        grid = Grid(size, size, 130.0 + k * 0.0005 * size * 2 / 3, 33.0, 0.0005, -0.0005)
        lon, _lat = np.meshgrid(grid.lons(), grid.lats())
        field = (0.01 * np.sin(lon * 20) + 0.002 * k + rng.normal(0, 0.001, grid.shape)).astype(np.float32)
        paths.append(write_h5(work / f"track{k}.h5", {"velocity": field},
                              {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"}))
        nbytes += field.nbytes
    inputs_gb = nbytes / GB
    quarter = f"{inputs_gb / 4:.4f}"
    runs = {}
    for label, extra in (("mimtpy_whole_budget", ["--max-memory", "16"]), ("mimtpy_quarter_budget",
                                                                           ["--max-memory", quarter])):
        runs[label] = measure([str(BIN / "concatenate_tracks.py"), *map(str, paths), "--offset-model", "ramp",
                               "--blend", "feather", "--plotpair", "no", "--outdir", label, "--force", "-q", *extra],
                              work)
    a, b = (open_product(work / k / "velocity_mosaic.h5").read("velocity") for k in runs)
    ok = np.isfinite(a) & np.isfinite(b)
    return {"size": size, "inputs_gb": inputs_gb, "runs": runs, "quarter_budget_gb": float(quarter),
            "quarter_budget_peak_over_budget_gb": runs["mimtpy_quarter_budget"]["peak_rss_mb"] / 1024 - float(quarter),
            "union_pixels": int(a.size),
            "max_abs_difference_quarter_vs_whole": float(np.max(np.abs(a[ok] - b[ok]))),
            "same_valid_pixels": bool(np.array_equal(np.isfinite(a), np.isfinite(b)))}


def transects(work: Path, size: int) -> dict:
    grid = Grid(size, size, 130.0, 33.0, 0.0005, -0.0005)
    lon, _lat = np.meshgrid(grid.lons(), grid.lats())
    vel = (0.01 * np.arctan((lon - lon.mean()) / 0.02)).astype(np.float32)
    path = write_h5(work / "mosaic.h5", {"velocity": vel}, {**grid.to_attrs(), "FILE_TYPE": "velocity",
                                                             "UNIT": "m/year"})
    del vel, lon
    s, n, w, e = grid.snwe
    trace = work / "fault.gmt"
    trace.write_text(f"> fault\n{(w + e) / 2} {s + 0.05 * (n - s)}\n{(w + e) / 2} {n - 0.05 * (n - s)}\n")
    run = measure([str(BIN / "multi_transects.py"), str(path), "--fault", str(trace), "--number", "20",
                   "--length", "20", "--width", "2", "--outdir", "tr", "--max-memory", "0.1", "-q"], work)
    return {"size": size, "mosaic_mpx": size * size / 1e6, "file_gb": path.stat().st_size / GB, "run": run}


def startup(work: Path) -> dict:
    scripts = sorted(p.name for p in BIN.glob("*.py") if p.name in _mimtpy_scripts())
    def best(cmd):
        return min(measure(cmd, work)["seconds"] for _ in range(5))
    mintpy = best([str(BIN / "smallbaselineApp.py"), "--help"])
    ours = {name: best([str(BIN / name), "--help"]) for name in scripts}
    return {"mintpy_smallbaselineApp_help_s": mintpy, "mimtpy_help_s": ours,
            "worst_ratio": max(ours.values()) / mintpy}


def _mimtpy_scripts() -> set[str]:
    from importlib.metadata import entry_points
    return {e.name for e in entry_points(group="console_scripts") if e.value.startswith("mimtpy.")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a check that the benchmark runs)")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--only", nargs="+", choices=("velocity", "horzvert", "concatenation", "transects",
                                                      "startup"))
    args = parser.parse_args()
    sizes = ({"velocity": (400, 300, 40), "horzvert": (600, 600), "concatenation": 600, "transects": 1500}
             if args.quick else
             {"velocity": (2000, 1500, 120), "horzvert": (4000, 4000), "concatenation": 3000, "transects": 6200})
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.workdir or Path(tmp)
        for name, func in (("velocity", velocity), ("horzvert", horzvert), ("concatenation", concatenation),
                           ("transects", transects), ("startup", startup)):
            if args.only and name not in args.only:
                continue
            work = root / name
            work.mkdir(parents=True, exist_ok=True)
            result[name] = func(work, sizes[name]) if name != "startup" else func(work)
            shutil.rmtree(work, ignore_errors=True)
    save_result("bench_pipeline_quick" if args.quick else "bench_pipeline", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
