"""The transect figure: a map with the fault trace and the profile swaths, and the binned profiles."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from mimtpy.analysis.profiles import Binned, Profile, gnss_on_profile
from mimtpy.io import Product
from mimtpy.io.atomic import atomic_output
from mimtpy.io.gnss import Stations
from mimtpy.viz.maps import MapStyle, draw_map, map_data

logger = logging.getLogger(__name__)
MAX_PANELS = 6


def plot_transects(out: Path, products: list[Product], profiles: list[Profile], results: list[list[Binned]],
                   traces: list[np.ndarray], stations: Stations | None) -> Path:
    """Map (first dataset) with swaths + one panel per profile and dataset (median, +-std band)."""
    shown = profiles[:MAX_PANELS]
    rows = len(products)
    fig = plt.figure(figsize=(5 + 4 * len(shown), 3.2 * max(rows, 1.4)))
    grid = fig.add_gridspec(rows, len(shown) + 1, width_ratios=[1.3] + [1] * len(shown))
    ax_map = fig.add_subplot(grid[:, 0])
    image = draw_map(ax_map, map_data(products[0]), MapStyle(colormap="RdBu_r", format="png", dpi=150))
    fig.colorbar(image, ax=ax_map, shrink=0.6, label=results[0][0].unit)
    for trace in traces:
        ax_map.plot(trace[:, 0], trace[:, 1], "k-", lw=1.5, label="fault")
    for p in profiles:
        ring = p.corners()
        ax_map.plot(ring[:, 0], ring[:, 1], "-", color="tab:green", lw=1)
        ax_map.text(ring[1, 0], ring[1, 1], str(p.index), fontsize=8, color="tab:green")
    for col, (profile, binned) in enumerate(zip(shown, results, strict=False), start=1):
        for row, b in enumerate(binned):
            ax = fig.add_subplot(grid[row, col])
            ok = b.count > 0
            ax.plot(b.points[0], b.points[1], ".", ms=1, color="0.7", rasterized=True)
            ax.fill_between(b.distance[ok], (b.median - b.std)[ok], (b.median + b.std)[ok], alpha=0.3,
                            color="tab:blue", label="+-std")
            ax.plot(b.distance[ok], b.median[ok], "-", color="tab:blue", label="median")
            if stations is not None and row == 0:
                sub, along = gnss_on_profile(stations, profile)
                if len(sub):
                    ax.plot(along, np.zeros_like(along), "k^", ms=5, label="GNSS")
            if traces:
                ax.axvline(0, color="k", lw=0.8, ls="--")
            ax.set_title(f"profile {profile.index}: {b.name}", fontsize=8)
            ax.set_xlabel("distance (km)")
            ax.set_ylabel(b.unit)
    fig.tight_layout()
    with atomic_output(out) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)
    logger.info("wrote %s", out)
    return out
