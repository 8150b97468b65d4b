"""How often ``tieModel = auto`` picks each model, and what it gains over a constant tie at held-out stations.

One ascending frame of 2.5 x 2.3 degrees (0.01 deg pixels) built like the frames of ``tests/test_gnss_tie.py``
(known E/N/U field, per-pixel unit vectors), with 3 mm/yr white noise, 2 mm/yr correlated "atmosphere" and an
offset + plane error of the given gradient; GNSS with 1 mm/yr E/N noise and no vertical. The tie uses every
other station; the RMS of the tied LOS error at the other stations is compared for auto, offset and plane.
Numbers quoted in docs/steps/horzvert.md (12 seeds, 10 and 20 tie stations):

    python benchmarks/sim_tie_model_choice.py [--seeds 12]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mimtpy.analysis.gnss_tie import MODELS, Frame, tie_frames
from mimtpy.io.gnss import Stations
from tests.test_gnss_tie import Spec, frame_data, spread, truth


def run(gradient: float, count: int, seeds: int) -> dict:
    spec = Spec("A", "asc", (39.5, 41.8, 29.0, 31.5), (29.0, 31.5), ramp=(0.003, gradient, -0.7 * gradient))
    picks, gains = [], []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        grid, los, _inc, _az, enu, error = frame_data(spec, rng, noise=3e-3)
        atmosphere = ndimage.gaussian_filter(rng.normal(0, 1, los.shape), 8)
        atmosphere *= 2e-3 / atmosphere.std()
        frame = Frame("A", "ASCENDING", grid, np.stack([los + atmosphere, np.full(los.shape, 3e-3)]), np.stack(enu))
        lon, lat = spread(spec.snwe, 2 * count, seed=100 + seed)
        ve, vn, _vu = truth(lon, lat)
        sd = np.full(lon.size, 1e-3)
        stations = Stations([f"S{k}" for k in range(lon.size)], lon, lat, ve + rng.normal(0, 1e-3, lon.size),
                            vn + rng.normal(0, 1e-3, lon.size), np.full(lon.size, np.nan), sd, sd, sd * np.nan)
        tied, held = np.arange(lon.size) % 2 == 0, np.nonzero(np.arange(lon.size) % 2 == 1)[0]
        rms = {}
        for model in ("auto", "offset", "plane"):
            tie = tie_frames([frame], stations.subset(tied), model, 1.0, grid, 0.1, 50, Path("gnss"))
            if model == "auto":
                picks.append(tie.models[0])
            resid = []
            for k in held:
                r, c = grid.lalo_to_rowcol(lat[k], lon[k])
                resid.append(tie.correction(0, lon[k:k + 1], lat[k:k + 1])[0][0] + error[r, c] + atmosphere[r, c])
            rms[model] = float(np.sqrt(np.mean(np.square(resid))))
        gains.append((rms["offset"] - rms["auto"], rms["offset"] - rms["plane"]))
    return {"picks": {m: picks.count(m) for m in MODELS}, "gain_auto_mm_per_yr": 1e3 * np.mean([g[0] for g in gains]),
            "gain_plane_mm_per_yr": 1e3 * np.mean([g[1] for g in gains])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=12)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    for gradient in (0.0, 0.015e-3, 0.03e-3, 0.06e-3):
        for count in (10, 20):
            result = run(gradient, count, args.seeds)
            print(f"plane {gradient * 1e5:.1f} mm/yr/100 km, {count} tie stations: auto picks {result['picks']}; "
                  f"gain over a constant tie: auto {result['gain_auto_mm_per_yr']:.2f}, "
                  f"plane {result['gain_plane_mm_per_yr']:.2f} mm/yr")
    return 0


if __name__ == "__main__":
    sys.exit(main())
