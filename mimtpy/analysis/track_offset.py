"""Differences of two tracks in their overlap: statistics, map and profile (``track_offset.py``;
also the ``plotpair`` figures of the concatenation step)."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.io.atomic import atomic_output
from mimtpy.ops.units import display_unit
from mimtpy.viz import maps as _maps  # (also selects the Agg backend)

logger = logging.getLogger(__name__)
KM_PER_DEG = 111.195


def profile_direction(valid: np.ndarray, grid: Grid, azimuth: float | None) -> np.ndarray:
    """Unit vector (east, north) of the profile: ``azimuth`` (degrees from north, anticlockwise
    positive), or across the overlap strip (its shortest principal axis) when None."""
    if azimuth is not None:
        a = np.deg2rad(azimuth)
        return np.array([-np.sin(a), np.cos(a)])
    x, y = _km(valid, grid)
    cov = np.cov(np.vstack([x, y])) if x.size > 2 else np.eye(2)
    _vals, vecs = np.linalg.eigh(cov)
    return vecs[:, 0]


def _km(valid: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.nonzero(valid)
    lat0 = np.mean(grid.snwe[:2])
    x = (grid.x_first + (cols + 0.5) * grid.x_step) * KM_PER_DEG * np.cos(np.deg2rad(lat0))
    y = (grid.y_first + (rows + 0.5) * grid.y_step) * KM_PER_DEG
    return x - x.mean(), y - y.mean()


def binned_profile(diff: np.ndarray, grid: Grid, direction: np.ndarray, bins: int = 30
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance (km) along ``direction`` and the median and std of ``diff`` in each bin."""
    valid = np.isfinite(diff)
    x, y = _km(valid, grid)
    dist = x * direction[0] + y * direction[1]
    values = diff[valid]
    edges = np.linspace(dist.min(), dist.max() + 1e-9, bins + 1)
    idx = np.digitize(dist, edges) - 1
    centre, median, std = [], [], []
    for b in range(bins):
        sel = values[idx == b]
        if sel.size >= 3:
            centre.append((edges[b] + edges[b + 1]) / 2)
            median.append(np.median(sel))
            std.append(np.std(sel))
    return np.array(centre), np.array(median), np.array(std)


def pair_figure(before_i: np.ndarray, before_j: np.ndarray, after_i: np.ndarray, after_j: np.ndarray, grid: Grid,
                names: tuple[str, str], azimuth: float | None, unit: str = "m"):
    """The figure of :func:`plot_pair` (returned for inspection): map panels in geographic aspect
    (1/cos(mean latitude), true to scale), a symmetric diverging scale with extend arrows where clipped."""
    before, after = before_i - before_j, after_i - after_j
    valid = np.isfinite(before)
    rows, cols = np.nonzero(valid)
    window = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    sub = grid.subset(*window)
    s, n, w, e = sub.snwe
    lim = float(np.nanpercentile(np.abs(before[valid]), 98)) or 1.0
    unit, scale = display_unit(unit)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, data, title in ((axes[0], before, "before correction"), (axes[1], after, "after correction")):
        image = ax.imshow(data[window] * scale, extent=(w, e, s, n), cmap="RdBu_r", vmin=-lim * scale,
                          vmax=lim * scale, interpolation="nearest")
        ax.set_aspect(_maps.geographic_aspect(s, n))
        ax.ticklabel_format(useOffset=False, style="plain")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.set_title(f"{names[0]} - {names[1]}, {title}", fontsize=9)
        ax.set_xlabel("Longitude (deg)")
        ax.set_ylabel("Latitude (deg)")
        _maps.map_colorbar(fig, ax, image, unit)
    direction = profile_direction(valid, grid, azimuth)
    for data, label in ((before, "before"), (after, "after")):
        dist, median, std = binned_profile(data, grid, direction)
        axes[2].plot(dist, median * scale, label=label)
        axes[2].fill_between(dist, (median - std) * scale, (median + std) * scale, alpha=0.2)
    axes[2].axhline(0, color="k", lw=0.5)
    axes[2].set_xlabel("distance across the overlap (km)")
    axes[2].set_ylabel(f"difference, {unit}")
    axes[2].legend()
    axes[2].set_title("profile (median +- std per bin)", fontsize=9)
    fig.tight_layout()
    for ax in axes[:2]:
        _maps.fit_xticks(fig, ax)
    return fig


def plot_pair(before_i: np.ndarray, before_j: np.ndarray, after_i: np.ndarray, after_j: np.ndarray, grid: Grid,
              names: tuple[str, str], azimuth: float | None, out: Path, unit: str = "m") -> Path:
    """Difference maps before and after correction and a profile across the overlap, written to ``out``.

    ``unit`` is the stored unit of the data; maps show mm or mm/yr for metres.
    """
    fig = pair_figure(before_i, before_j, after_i, after_j, grid, names, azimuth, unit)
    with atomic_output(out) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    logger.info("wrote %s", out)
    return out
