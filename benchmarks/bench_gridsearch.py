"""Grid search: the compiled candidate loop against its NumPy reference, and the whole grid_search.py run.

A synthetic LOS velocity of 320 x 320 = 102,400 pixels (Okada thrust fault + linear ramp + 2 mm noise, per-pixel
Sentinel-1-like geometry) is searched with a linear ramp estimated jointly for every candidate:

* ``okada_grid``: 1000 candidates = 50 depths x 20 slips (the usual grid: 50 geometries, slip linear);
* ``okada_distinct``: candidates that all differ in geometry (depth), no reuse of the unit fields;
* ``mogi_grid``: 1000 candidates = 50 depths x 20 volume changes.

For each case the compiled loop (:func:`mimtpy.relax.search.candidate_misfits`) and the NumPy reference
(:func:`candidate_misfits_numpy`, one full model evaluation + least-squares solve per candidate) run in child
processes; the reference runs on the first ``--reference`` candidates only (it takes ~0.2 s per Okada
candidate) and its rate is per candidate. Reported: candidates per second, the ratio, and the peak RSS of
each child. Last, ``grid_search.py`` (``python -m mimtpy.cli.grid_search``) is run end to end on the
okada_grid case (time and peak RSS).

    python benchmarks/bench_gridsearch.py [--size 320] [--reference 40] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure, save_result

LAT0, LON0 = 34.2, -118.1
FAULT = dict(strike=90.0, dip=60.0, rake=90.0, length=10e3, width=5e3)


def make_observed(path: Path, size: int) -> None:
    from mimtpy.core.geometry import los_unit_vector
    from mimtpy.core.grid import Grid
    from mimtpy.io import write_h5
    from mimtpy.models import okada
    from mimtpy.relax.observed import local_xy

    step = 0.0006
    grid = Grid(size, size, LON0 - size * step / 2, LAT0 + size * step / 2, step, -step)
    lon, lat = np.meshgrid(grid.lons(), grid.lats())
    east, north = local_xy(lon, lat, LON0, LAT0)
    inc = (32 + 10 * np.arange(size) / size)[None, :] * np.ones((size, 1))
    az = np.full(grid.shape, 102.0)
    e, n, u = los_unit_vector(inc, az)
    de, dn, du = okada(east, north, depth=3000.0, slip=1.0, **FAULT)
    rng = np.random.default_rng(0)
    vel = e * de + n * dn + u * du + 0.01 + 0.002 * east / 1e3 - 0.001 * north / 1e3
    vel += rng.normal(0, 0.002, grid.shape)
    write_h5(path, {"velocity": vel.astype(np.float32), "incidenceAngle": inc.astype(np.float32),
                    "azimuthAngle": az.astype(np.float32)},
             {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"})


def cases() -> dict[str, tuple[str, dict[str, np.ndarray]]]:
    depth50 = np.linspace(1000.0, 5900.0, 50)
    return {
        "okada_grid": ("okada", {"depth": depth50, "slip": np.linspace(0.1, 2.0, 20)}),
        "okada_distinct": ("okada", {"depth": np.linspace(1000.0, 5950.0, 100), "slip": np.array([1.0])}),
        "mogi_grid": ("mogi", {"depth": depth50, "dvolume": np.linspace(-2e6, 2e6, 20)}),
    }


def child(observed: Path, case: str, which: str, limit: int, out: Path) -> None:
    """Time one implementation on one case (runs in its own process, so its peak RSS is its own)."""
    from mimtpy.relax import search
    from mimtpy.relax.observed import load_observed, local_xy

    model, ranges = cases()[case]
    obs = load_observed(observed)
    east, north = local_xy(obs.lon, obs.lat, LON0, LAT0)
    problem = search.make_problem(obs.values, east, north, obs.los, "linear", east / 1e3, north / 1e3)
    grid = search.candidate_grid(ranges)
    count = grid["depth"].size
    fixed = {"okada": {**FAULT, "opening": 0.0, "nu": 0.25}, "mogi": {"nu": 0.25}}[model]
    values = {**{k: np.full(count, v) for k, v in fixed.items()}, **grid}
    params = search.model_parameters(model, values, np.zeros(count), np.zeros(count))
    if which == "reference":
        params = params[:limit]
    fn = search.candidate_misfits if which == "kernel" else search.candidate_misfits_numpy
    start = time.perf_counter()
    rss, _scale = fn(model, params, problem, False)
    seconds = time.perf_counter() - start
    out.write_text(json.dumps({"candidates": len(params), "points": problem.size, "seconds": seconds,
                               "best": int(np.argmin(rss))}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=320, help="pixels per side (default 320: 102,400 pixels)")
    parser.add_argument("--reference", type=int, default=40, help="candidates timed with the NumPy reference")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--child", nargs=5, metavar=("OBSERVED", "CASE", "WHICH", "LIMIT", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        observed, case, which, limit, out = args.child
        child(Path(observed), case, which, int(limit), Path(out))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        observed = work / "observed.h5"
        make_observed(observed, args.size)
        result: dict = {"pixels": args.size**2}
        for case in cases():
            row = {}
            for which in ("kernel", "reference"):
                out = work / f"{case}_{which}.json"
                peak = measure([sys.executable, __file__, "--child", str(observed), case, which,
                                str(args.reference), str(out)], work)
                timing = json.loads(out.read_text())
                row[which] = {**timing, "candidates_per_s": timing["candidates"] / timing["seconds"],
                              "peak_rss_mb": peak["peak_rss_mb"]}
            row["ratio"] = row["kernel"]["candidates_per_s"] / row["reference"]["candidates_per_s"]
            result[case] = row
            print(f"{case}: compiled {row['kernel']['candidates_per_s']:.1f} cand/s, reference "
                  f"{row['reference']['candidates_per_s']:.2f} cand/s, ratio {row['ratio']:.1f}", flush=True)
        script = measure([sys.executable, "-m", "mimtpy.cli.grid_search", str(observed), "--model", "okada", "--param",
                          "depth=1000:5900:100", "--param", "slip=0.1:2.0:0.1", "--fixed",
                          f"strike=90,dip=60,rake=90,length=10000,width=5000,lat={LAT0},lon={LON0}",
                          "--ramp", "linear", "--outdir", str(work / "gs"), "-q"], work)
        best = json.loads((work / "gs" / "best.json").read_text())
        result["grid_search_py"] = {**script, "candidates": best["candidates"], "points": best["points"],
                                    "best_depth": best["parameters"]["depth"], "best_slip": best["parameters"]["slip"]}
    save_result("gridsearch", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
