"""Maps of scattered points (StaMPS ``ps_mean_v.xy`` exports): each point a dot coloured by its LOS velocity in
mm/yr (positive toward the satellite), with the faults, scale bar and colour scale of the raster maps
(:mod:`mimtpy.viz.maps`). Points are drawn as they are, not gridded."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from mimtpy.errors import InputError
from mimtpy.io import Points, read_stamps
from mimtpy.viz.maps import MapStyle, draw_lines, draw_scalebar, make_norm, save_figure

logger = logging.getLogger(__name__)


def points_figure(points: Points, cfg: MapStyle):
    """(figure, axes) of the points coloured by velocity in mm/yr; the scatter has gid 'points'."""
    if points.quantity != "velocity":
        raise InputError(f"{points.path}: a map of points draws velocities; this file holds a displacement series")
    values = points.values * 1e3
    pad_x = max(np.ptp(points.lon) * 0.03, 1e-4)
    pad_y = max(np.ptp(points.lat) * 0.03, 1e-4)
    extent = (points.lon.min() - pad_x, points.lon.max() + pad_x, points.lat.min() - pad_y, points.lat.max() + pad_y)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    size = float(np.clip(4000 / max(points.lon.size, 1), 0.5, 30))
    scatter = ax.scatter(points.lon, points.lat, c=values, s=size, cmap=cfg.colormap, norm=make_norm(values, cfg),
                         linewidths=0, gid="points")
    fig.colorbar(scatter, ax=ax, label="mm/yr", shrink=0.8)
    draw_lines(ax, cfg, extent)
    if cfg.scalebar:
        draw_scalebar(ax, extent)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect(1 / np.cos(np.deg2rad(np.mean(extent[2:]))))
    ax.set_xlabel("Longitude (deg)")
    ax.set_ylabel("Latitude (deg)")
    ax.set_title(f"{points.path.name}: LOS velocity, {points.lon.size} points", fontsize=9)
    return fig, ax


def plot_points(path: Path, cfg: MapStyle, out: Path) -> list[Path]:
    """Map of a StaMPS point export (matplotlib); returns the file written."""
    fig, _ax = points_figure(read_stamps(path), cfg)
    save_figure(fig, out, cfg)
    return [out]
