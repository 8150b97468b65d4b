"""Draw docs/steps/inversion_mexico.png: invert_network.py on the PyRate Mexico City network (tests/data).

    python docs/steps/inversion_figure.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mimtpy.cli.invert_network import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "pyrate_mexico_cropA"


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = {}
        for method in ("sbas", "nsbas"):
            main([str(DATA), "--method", method, "--outdir", f"{tmp}/{method}", "-q", "--no-figure"])
            with h5py.File(f"{tmp}/{method}/timeseries.h5") as f:
                out[method] = f["timeseries"][:]
                dates = [d.decode() for d in f["date"][:]]
                attrs = dict(f.attrs)
            with h5py.File(f"{tmp}/{method}/velocity.h5") as f:
                out[method + "_vel"] = f["velocity"][:]
            with h5py.File(f"{tmp}/{method}/residualRMS.h5") as f:
                out[method + "_rms"] = f["residualRMS"][:]
    x0, dx = float(attrs["X_FIRST"]), float(attrs["X_STEP"])
    y0, dy = float(attrs["Y_FIRST"]), float(attrs["Y_STEP"])
    vel = out["sbas_vel"]
    length, width = vel.shape
    extent = (x0, x0 + width * dx, y0 + length * dy, y0)
    t = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in dates])
    row, col = 25, 95
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), dpi=90, gridspec_kw={"width_ratios": [1.25, 1.0, 1.1]})
    cmap = plt.get_cmap("RdBu_r").copy()
    cmap.set_bad("0.75")
    im = axes[0].imshow(vel * 100, extent=extent, cmap=cmap, vmin=-30, vmax=30)
    axes[0].plot(float(attrs["REF_LON"]), float(attrs["REF_LAT"]), "ks", ms=5, label="reference")
    axes[0].plot(x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy, "k^", ms=6, label="series")
    axes[0].legend(loc="lower left", fontsize=7)
    axes[0].set_title("SBAS LOS velocity 2018-01..07 (cm/yr)", fontsize=9)
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    im = axes[1].imshow(out["sbas_rms"] * 1000, extent=extent, cmap="viridis", vmin=0, vmax=4)
    axes[1].set_title("residual RMS of the interferograms (mm)", fontsize=9)
    fig.colorbar(im, ax=axes[1], shrink=0.8)
    for ax in axes[:2]:
        ax.locator_params(axis="x", nbins=4)
    axes[2].plot(t, out["sbas"][:, row, col] * 100, "o-", label="SBAS")
    axes[2].plot(t, out["nsbas"][:, row, col] * 100, "x--", label="NSBAS")
    axes[2].set_ylabel("LOS displacement (cm)")
    axes[2].set_title(f"pixel ({row}, {col}) in the basin", fontsize=9)
    axes[2].legend(fontsize=8)
    for label in axes[2].get_xticklabels():
        label.set_rotation(30)
        label.set_ha("right")
    fig.tight_layout()
    fig.savefig(Path(__file__).with_name("inversion_mexico.png"))


if __name__ == "__main__":
    run()
