"""The transect figure: a map with the fault trace and the profile swaths, and the binned profiles.

Profiles are labelled A-A', B-B', ... (numbered from 1) on the map, with an arrow from A to A' (the
direction of increasing distance); swath boxes and labels are clipped to the map. Each profile panel
shows the median +- std of the bins and, when a GNSS table is given, the stations in the swath in the
panel's own quantity (LOS, hz, up; :func:`mimtpy.analysis.profiles.gnss_profile`) with error bars
when their std is known, or a note saying why there is none.
"""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from mimtpy.analysis.profiles import Binned, GnssProfile, Profile, gnss_profile
from mimtpy.io import Product
from mimtpy.io.atomic import atomic_output
from mimtpy.io.gnss import Stations
from mimtpy.io.vectors import clip_lines
from mimtpy.ops.datasets import main_dataset
from mimtpy.viz.maps import MapStyle, draw_map, map_colorbar, map_data

logger = logging.getLogger(__name__)
MAX_PANELS = 6


def draw_profile_lines(ax, profiles: list[Profile], extent: tuple[float, float, float, float]) -> None:
    """Swath boxes (gid 'swath'), the A -> A' arrows (gid 'profile_arrow') and their labels, clipped to ``extent``."""
    w, e, s, n = extent
    snwe = (s, n, w, e)
    for p in profiles:
        for piece in clip_lines([p.corners()], snwe):
            ax.plot(piece[:, 0], piece[:, 1], "-", color="tab:green", lw=1, gid="swath")
        pieces = clip_lines([p.ends()], snwe)
        if not pieces:
            continue
        line = max(pieces, key=len)
        (x0, y0), (x1, y1) = line[0], line[-1]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), gid="profile_arrow",
                    arrowprops={"arrowstyle": "->", "color": "tab:green", "lw": 1.2})
        dx, dy = 0.05 * (x1 - x0), 0.05 * (y1 - y0)         # labels just inside the map, on the line
        for (x, y), text in (((x0 + dx, y0 + dy), p.label), ((x1 - dx, y1 - dy), f"{p.label}'")):
            ax.text(x, y, text, fontsize=8, color="darkgreen", fontweight="bold", ha="center", va="center",
                    clip_on=True, gid="profile_label", bbox={"boxstyle": "round,pad=0.1", "fc": "white",
                                                             "alpha": 0.7, "lw": 0})


def transect_figure(products: list[Product], profiles: list[Profile], results: list[list[Binned]],
                    traces: list[np.ndarray], stations: Stations | None, style: MapStyle | None = None,
                    gnss: list[list[GnssProfile | None]] | None = None):
    """The figure (map of the first dataset with swaths + one panel per profile and dataset) for inspection;
    the map is drawn with ``style`` (colour limits, colormap; default: the plot step's defaults). ``gnss``: GNSS
    profiles computed beforehand (per profile and dataset; None entries are computed from the product)."""
    shown = profiles[:MAX_PANELS]
    rows = len(products)
    fig = plt.figure(figsize=(5 + 4 * len(shown), 3.2 * max(rows, 1.4)))
    grid = fig.add_gridspec(rows, len(shown) + 1, width_ratios=[1.3] + [1] * len(shown))
    ax_map = fig.add_subplot(grid[:, 0])
    style = style or MapStyle(format="png", dpi=150)
    data = map_data(products[0], zero_mask=style.zero_mask)
    image = draw_map(ax_map, data, style)
    map_colorbar(fig, ax_map, image, results[0][0].unit, shrink=0.6)
    for trace in traces:
        for piece in clip_lines([trace], (data.extent[2], data.extent[3], data.extent[0], data.extent[1])):
            ax_map.plot(piece[:, 0], piece[:, 1], "k-", lw=1.5, label="fault", gid="fault")
    draw_profile_lines(ax_map, profiles, data.extent)
    for col, (profile, binned) in enumerate(zip(shown, results, strict=False), start=1):
        for row, (b, product) in enumerate(zip(binned, products, strict=True)):
            given = gnss[col - 1][row] if gnss is not None else None
            ax = fig.add_subplot(grid[row, col])
            ok = b.count > 0
            ax.plot(b.points[0], b.points[1], ".", ms=1, color="0.7", rasterized=True)
            ax.fill_between(b.distance[ok], (b.median - b.std)[ok], (b.median + b.std)[ok], alpha=0.3,
                            color="tab:blue", label="+-std")
            ax.plot(b.distance[ok], b.median[ok], "-", color="tab:blue", label="median")
            if stations is not None:
                g = given or gnss_profile(stations, profile, product, main_dataset(product, allow_3d=False))
                if len(g.sites):
                    yerr = g.sigma if np.isfinite(g.sigma).any() else None
                    ax.errorbar(g.distance, g.value, yerr=None if yerr is None else np.nan_to_num(yerr), fmt="k^",
                                ms=5, capsize=2, label=f"GNSS ({g.component})", gid="gnss_profile")
                else:
                    ax.text(0.5, 0.97, g.note, transform=ax.transAxes, ha="center", va="top", fontsize=7,
                            gid="gnss_note")
            if traces:
                ax.axvline(0, color="k", lw=0.8, ls="--")
            ax.set_title(f"{profile.label}-{profile.label}' (profile {profile.index}): {b.name}", fontsize=8)
            ax.set_xlabel(f"distance from {profile.label} to {profile.label}' (km)")
            ax.set_ylabel(b.unit)
            ax.legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    return fig


def plot_transects(out: Path, products: list[Product], profiles: list[Profile], results: list[list[Binned]],
                   traces: list[np.ndarray], stations: Stations | None, style: MapStyle | None = None,
                   gnss: list[list[GnssProfile | None]] | None = None) -> Path:
    """Write :func:`transect_figure` atomically to ``out`` (PNG)."""
    fig = transect_figure(products, profiles, results, traces, stations, style, gnss)
    with atomic_output(out) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)
    logger.info("wrote %s", out)
    return out
