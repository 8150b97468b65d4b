"""Figures of the datacube steps: strain-rate maps with principal axes as crosses, and tracked paths."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.io.atomic import atomic_output

logger = logging.getLogger(__name__)

PANELS = (("exx", "exx"), ("eyy", "eyy"), ("exy", "exy"), ("rotation", "rotation (rad/yr, +anticlockwise)"),
          ("e1", "e1 (max principal)"), ("e2", "e2 (min principal)"), ("effective", "effective + principal axes"),
          ("longitudinal", "flow-longitudinal"))


def _extent(grid: Grid) -> tuple[float, float, float, float]:
    s, n, w, e = grid.snwe
    return (w, e, s, n)


def _aspect(grid: Grid) -> float:
    if grid.epsg == 4326:
        lat = 0.5 * (grid.snwe[0] + grid.snwe[1])
        return 1.0 / max(np.cos(np.radians(lat)), 1e-3)
    return 1.0


def _crosses(ax, grid: Grid, res: dict, max_crosses: int = 12) -> None:
    """Principal axes at a subsample of pixels: segments along e1 and e2, length ~ |rate|, red = extension,
    blue = shortening. Angles are in the grid's x/y frame (see kinematics)."""
    step = max(1, int(np.ceil(max(grid.shape) / max_crosses)))
    rows = np.arange(step // 2, grid.length, step)
    cols = np.arange(step // 2, grid.width, step)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    e1, e2 = res["e1"][rr, cc], res["e2"][rr, cc]
    theta = np.radians(90.0 - res["e1_azimuth"][rr, cc])
    scale_ref = np.nanmax(np.abs(np.concatenate([e1.ravel(), e2.ravel()]))) if np.isfinite(e1).any() else 0
    if not scale_ref:
        return
    half = 0.45 * step * np.hypot(grid.x_step, abs(grid.y_step)) / np.sqrt(2) / scale_ref
    x = grid.x_first + (cc + 0.5) * grid.x_step
    y = grid.y_first + (rr + 0.5) * grid.y_step
    for rate, angle in ((e1, theta), (e2, theta + np.pi / 2)):
        dx = half * np.abs(rate) * np.cos(angle)
        dy = half * np.abs(rate) * np.sin(angle)
        for sign, colour in ((rate >= 0, "red"), (rate < 0, "blue")):
            m = sign & np.isfinite(rate)
            ax.plot(np.stack([x[m] - dx[m], x[m] + dx[m]]), np.stack([y[m] - dy[m], y[m] + dy[m]]),
                    color=colour, lw=1.6)


def strain_figure(path: Path, grid: Grid, res: dict, title: str = "") -> Path:
    """A 2 x 4 map of strain-rate products (1/yr), the effective rate with principal-axis crosses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(16, 8), constrained_layout=True)
    overall = max((float(np.nanmax(np.abs(res[k]))) for k, _ in PANELS if np.isfinite(res[k]).any()), default=1.0)
    for ax, (key, label) in zip(axes.ravel(), PANELS, strict=True):
        data = res[key]
        finite = data[np.isfinite(data)]
        lim = float(np.percentile(np.abs(finite), 98)) if finite.size else 0.0
        lim = max(lim, 1e-3 * overall) or 1.0          # a uniform zero field shows as white, not as noise
        cmap, vmin = ("viridis", 0.0) if key == "effective" else ("RdBu_r", -lim)
        im = ax.imshow(data, extent=_extent(grid), cmap=cmap, vmin=vmin, vmax=lim, interpolation="nearest")
        ax.set_aspect(_aspect(grid))
        ax.set_title(f"{label}" + ("" if key == "rotation" else " (1/yr)"), fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
        if key == "effective":
            _crosses(ax, grid, res)
    fig.suptitle(title or f"strain rates (EPSG:{grid.epsg})")
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    logger.info("wrote %s", path)
    return path


def tracks_figure(path: Path, grid: Grid, speed: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                  title: str = "") -> Path:
    """Speed map with the tracked paths (start = circle, end = cross)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 7), constrained_layout=True)
    finite = speed[np.isfinite(speed)]
    vmax = float(np.percentile(finite, 98)) if finite.size else 1.0
    im = ax.imshow(speed, extent=_extent(grid), cmap="viridis", vmin=0, vmax=vmax or 1.0, interpolation="nearest")
    ax.set_aspect(_aspect(grid))
    fig.colorbar(im, ax=ax, shrink=0.8, label="speed (m/yr)")
    for j in range(xs.shape[1]):
        ok = np.isfinite(xs[:, j])
        if ok.any():
            ax.plot(xs[ok, j], ys[ok, j], color="white", lw=1.2)
            ax.plot(xs[ok, j][0], ys[ok, j][0], "o", color="orange", ms=4)
            ax.plot(xs[ok, j][-1], ys[ok, j][-1], "x", color="red", ms=5)
    ax.set_title(title or "particle paths")
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    logger.info("wrote %s", path)
    return path
