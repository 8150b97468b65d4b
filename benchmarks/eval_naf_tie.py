"""Held-out GNSS check of the horzvert tie on the published North Anatolian Fault frames.

The four LiCSBAS frames and the interpolated GNSS field (England et al. 2016) of the `example/` folder of
https://github.com/andwatson/decompose_insar_velocities (GPL-3.0; not in this repository: clone it and pass its
`example` folder). No station table is published there, so pseudo-stations are sampled from `GNSS/interp_E/N.grd`
where a frame has data; the tie uses every other station and east is scored (absolute, no offset removed) at the
others: the median of 5 x 5 pixels of hz around each held-out station minus its GNSS east, mm/yr.

    python benchmarks/eval_naf_tie.py EXAMPLE_DIR [--seed 0] [--frames 014A_04939_131313 094D_04913_101213]
        [--models offset plane auto] [--work /tmp/naf_tie]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

from mimtpy.errors import InputError
from mimtpy.io import open_product

FRAMES = ("014A_04939_131313", "087A_04904_121313", "094D_04913_101213", "167D_04884_131212")


def _pixel(grid, lat: float, lon: float) -> tuple[int, int] | None:
    """The grid's pixel holding (lat, lon), None outside."""
    try:
        return grid.lalo_to_rowcol(lat, lon)
    except InputError:
        return None


def stations(example: Path, frames: list[Path], count: int, seed: int) -> list[tuple]:
    east, north = open_product(example / "GNSS/interp_E.grd"), open_product(example / "GNSS/interp_N.grd")
    e, n = east.read("z"), north.read("z")
    velocities = [open_product(f) for f in frames]
    s = min(v.grid.snwe[0] for v in velocities)
    nn = max(v.grid.snwe[1] for v in velocities)
    w = min(v.grid.snwe[2] for v in velocities)
    ee = max(v.grid.snwe[3] for v in velocities)
    rng = np.random.default_rng(seed)
    out: list[tuple] = []
    while len(out) < count:
        lon, lat = rng.uniform(w, ee), rng.uniform(s, nn)
        covered = False
        for v in velocities:
            rc = _pixel(v.grid, lat, lon)
            if rc and np.isfinite(v.read("velocity", slice(rc[0], rc[0] + 1), slice(rc[1], rc[1] + 1))).all():
                covered = True
        rc = _pixel(east.grid, lat, lon)
        if covered and rc and np.isfinite(e[rc]) and np.isfinite(n[rc]):
            out.append((f"S{len(out):02d}", lon, lat, float(e[rc]), float(n[rc])))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("example", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--frames", nargs="+", default=list(FRAMES))
    parser.add_argument("--models", nargs="+", default=["offset", "plane", "auto"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/naf_tie"))
    args = parser.parse_args()
    frames = [args.example / f for f in args.frames]
    sites = stations(args.example, frames, args.count, args.seed)
    tie, held = sites[::2], sites[1::2]
    args.work.mkdir(parents=True, exist_ok=True)
    table = args.work / "tie_stations.csv"
    table.write_text("site,lon,lat,ve,vn,se,sn\n" + "".join(f"{s},{lo},{la},{ve},{vn},1.0,1.0\n"
                                                         for s, lo, la, ve, vn in tie))
    script = Path(sys.executable).parent / "generate_horzvert.py"
    for model in args.models:
        out = args.work / model
        subprocess.run([str(script), *map(str, frames), "--gnss", str(table), "--tie-model", model, "--north",
                        str(args.example / "GNSS/interp_N.grd"), "--outdir", str(out), "-q", "--force"], check=True)
        hz = open_product(out / "hz.h5")
        values = hz.read("velocity") * 1e3
        res = []
        for _s, lon, lat, ve, _vn in held:
            rc = _pixel(hz.grid, lat, lon)
            if rc:
                window = values[max(rc[0] - 2, 0):rc[0] + 3, max(rc[1] - 2, 0):rc[1] + 3]
                if np.isfinite(window).any():
                    res.append(np.nanmedian(window) - ve)
        res = np.array(res)
        print(f"{model:10s} held-out east: {res.size} stations, RMS {np.sqrt(np.mean(res**2)):.2f}, "
              f"mean {res.mean():.2f} mm/yr")
    return 0


if __name__ == "__main__":
    sys.exit(main())
