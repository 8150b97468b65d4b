"""GNSS-tied east/up of four frames (two adjacent ascending + two adjacent descending) on their union grid.

Four velocity files (default 1500 x 1500 pixels of 0.0006 deg each, with std and per-pixel incidence/azimuth;
each frame carries a known offset and plane in LOS) and a table of 80 GNSS stations of the known E/N/U field.
Runs ``generate_horzvert.py`` on the four frames without a tie (no reference point in common: the frames' own
datums), with ``--gnss`` (auto models) and with ``--gnss`` under a 0.05 GB budget; reports time, peak RSS, the
ratios, and the RMS of east against the truth (absolute) in each case.

    python benchmarks/bench_gnss_tie.py [--size 1500] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from mimtpy.core.geometry import los_unit_vector
from mimtpy.core.grid import Grid
from mimtpy.io import open_product, write_h5

sys.path.insert(0, str(Path(__file__).parent))
from _measure import BIN, measure, save_result


def truth(lon, lat):
    """East/north/up (m/yr): an E-W fault at 40.55 N (12 mm/yr), a uniform 3 mm/yr north, a 4 mm/yr bump."""
    y = (lat - 40.55) * 111.195
    east = 0.004 - 0.006 * 2 / np.pi * np.arctan(y / 15)
    bx, by = (lon - 30.5) * 111.195 * np.cos(np.deg2rad(40.3)), (lat - 40.3) * 111.195
    return east, np.full_like(east, 0.003), 0.004 * np.exp(-(bx**2 + by**2) / (2 * 20**2))


def make_frames(work: Path, size: int) -> list[Path]:
    step = 0.9 / size
    specs = [("A1", "asc", 40.0, 30.0, (0.005, 0.05e-3, -0.04e-3)), ("A2", "asc", 40.45, 30.0, (-0.006, 0.0, 0.0)),
             ("D1", "desc", 40.05, 30.1, (-0.003, 0.04e-3, 0.03e-3)), ("D2", "desc", 40.5, 30.1, (0.004, 0.0, 0.0))]
    rng = np.random.default_rng(0)
    paths = []
    for name, look, south, west, ramp in specs:
        grid = Grid(size, size, west, south + 0.9 * 0.7, step, -step * 0.7)
        lon, lat = np.meshgrid(grid.lons(), grid.lats())
        frac = (lon - west) / 0.9 if look == "asc" else 1 - (lon - west) / 0.9
        inc = (31 + 15 * frac).astype(np.float32)
        az = ((102.0 if look == "asc" else -102.0) + 2 * (frac - 0.5)).astype(np.float32)
        e, n, u = los_unit_vector(inc, az)
        ve, vn, vu = truth(lon, lat)
        x = (lon - lon.mean()) * 111.195 * np.cos(np.deg2rad(lat.mean()))
        y = (lat - lat.mean()) * 111.195
        los = e * ve + n * vn + u * vu + ramp[0] + ramp[1] * x + ramp[2] * y + rng.normal(0, 2e-3, x.shape)
        attrs = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year",
                 "ORBIT_DIRECTION": "ASCENDING" if look == "asc" else "DESCENDING"}
        paths.append(write_h5(work / f"{name}.h5", {"velocity": los.astype(np.float32),
                                                    "velocityStd": np.full(los.shape, 2e-3, np.float32),
                                                    "incidenceAngle": inc, "azimuthAngle": az}, attrs))
    lon, lat = rng.uniform(30.05, 30.95, 80), rng.uniform(40.05, 41.05, 80)
    ve, vn, vu = truth(lon, lat)
    lines = ["site,lon,lat,ve,vn,vu,se,sn,su"]
    lines += [f"S{k:03d},{lon[k]:.5f},{lat[k]:.5f},{1e3 * ve[k] + rng.normal(0, 0.5):.3f},"
              f"{1e3 * vn[k] + rng.normal(0, 0.5):.3f},{1e3 * vu[k] + rng.normal(0, 1):.3f},0.5,0.5,1.0"
              for k in range(80)]
    (work / "gnss.csv").write_text("\n".join(lines) + "\n")
    return paths


def east_rms(folder: Path) -> float:
    hz = open_product(folder / "hz.h5")
    lon, lat = np.meshgrid(hz.grid.lons(), hz.grid.lats())
    est = hz.read("velocity")
    ok = np.isfinite(est)
    return float(np.sqrt(np.mean((est[ok] - truth(lon, lat)[0][ok]) ** 2)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1500)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        frames = [str(p) for p in make_frames(work, args.size)]
        script = str(BIN / "generate_horzvert.py")
        plain = measure([script, *frames, "--outdir", "plain", "--force", "-q"], work)
        tied = measure([script, *frames, "--gnss", "gnss.csv", "--outdir", "tied", "--force", "-q"], work)
        small = measure([script, *frames, "--gnss", "gnss.csv", "--outdir", "small", "--max-memory", "0.05",
                         "--force", "-q"], work)
        union = open_product(work / "tied" / "hz.h5").grid
        result = {"frames": 4, "frame_pixels": args.size**2, "union_grid": [union.length, union.width],
                  "untied": plain, "tied": tied, "tied_budget_0.05GB": small,
                  "time_ratio_tied_over_untied": tied["seconds"] / plain["seconds"],
                  "memory_ratio_tied_over_untied": tied["peak_rss_mb"] / plain["peak_rss_mb"],
                  "east_rms_vs_truth_m_per_yr": {"untied": east_rms(work / "plain"), "tied": east_rms(work / "tied"),
                                                 "tied_budget_0.05GB": east_rms(work / "small")}}
    save_result("bench_gnss_tie", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
