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
from mimtpy.viz.maps import (
    MapData,
    MapStyle,
    color_scale,
    draw_lines,
    draw_scalebar,
    format_axes,
    make_norm,
    map_colorbar,
    save_figure,
    shown_values,
)

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
    scale = color_scale(values, cfg, "velocity")
    scatter = ax.scatter(points.lon, points.lat, c=shown_values(values, scale), s=size, cmap=scale.cmap,
                         norm=make_norm(values, cfg, "velocity"), linewidths=0, gid="points")
    map_colorbar(fig, ax, scatter, "mm/yr")
    data = MapData(values, extent, "mm/yr", points.path.name, None, 1e3, name="velocity")
    draw_lines(ax, cfg, extent)
    if cfg.scalebar:
        draw_scalebar(ax, data)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    format_axes(ax, data)
    ax.set_title(f"{points.path.name}: LOS velocity, {points.lon.size} points", fontsize=9)
    return fig, ax


def plot_points(path: Path, cfg: MapStyle, out: Path) -> list[Path]:
    """Map of a StaMPS point export (matplotlib); returns the file written."""
    fig, _ax = points_figure(read_stamps(path), cfg)
    save_figure(fig, out, cfg)
    return [out]
