"""Maps of scattered points (StaMPS ``ps_mean_v.xy`` exports): each point a dot coloured by its LOS velocity in
mm/yr (positive toward the satellite), with the faults, scale bar and colour scale of the raster maps
(:mod:`mimtpy.viz.maps`). Points are drawn as they are, not gridded.

GNSS (``gnss``): horizontal arrows (``gnssMode`` arrows/both) and, for los/both, the comparison with the points
themselves (:func:`mimtpy.ops.points.compare_points`: InSAR at a station = median of the points within
``pointRadius`` km, GNSS projected into the LOS of ``geometry``): circles of GNSS + offset on the map (gid
'gnss_los'), and a scatter of InSAR vs GNSS with its CSV beside the map (``<map>_gnss.png/.csv``)."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from mimtpy.errors import InputError
from mimtpy.io import Points, read_stamps
from mimtpy.io.atomic import atomic_output
from mimtpy.ops.gnss import Comparison
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


def draw_points_gnss(ax, points: Points, cfg: MapStyle) -> Comparison | None:
    """GNSS arrows and/or the comparison with the points (module docstring) on a points map; the comparison, or
    None (arrows only, or no geometry: logged)."""
    from mimtpy.io import open_product
    from mimtpy.io.gnss import read_stations
    from mimtpy.ops.points import compare_points

    stations = read_stations(cfg.gnss, cfg.gnss_format)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inside = stations.subset((stations.lon > x0) & (stations.lon < x1) & (stations.lat > y0) & (stations.lat < y1))
    if len(inside) == 0:
        logger.warning("%s: no GNSS station inside the map of %s", cfg.gnss.name, points.path.name)
        return None
    if cfg.gnss_mode in ("arrows", "both"):
        u, v = inside.ve * 1e3, inside.vn * 1e3
        scale = cfg.gnss_scale or max(float(np.nanmax(np.hypot(u, v))), 1e-3) * 8
        q = ax.quiver(inside.lon, inside.lat, u, v, angles="xy", scale=scale, scale_units="width", width=0.004,
                      color="k", gid="gnss_arrows")
        ref = float(f"{scale / 8:.1g}") or 1.0
        ax.quiverkey(q, 0.85, 0.06, ref, f"{ref:g} mm/yr", labelpos="N", coordinates="axes",
                     fontproperties={"size": 7}).set_gid("gnss_key")
    if cfg.gnss_mode not in ("los", "both"):
        return None
    if cfg.geometry is None:
        logger.warning("%s: GNSS not compared with the points: their LOS needs a geometry (mimtpy.plot.geometry)",
                       points.path.name)
        return None
    result = compare_points(inside, points, open_product(cfg.geometry), cfg.point_radius, cfg.gnss_ref)
    scatter = next(c for c in ax.collections if c.get_gid() == "points")
    ax.scatter(result.stations.lon, result.stations.lat, c=result.gnss_in_insar_frame * 1e3, cmap=scatter.cmap,
               norm=scatter.norm, s=40, edgecolors="k", zorder=5, gid="gnss_los",
               label=f"GNSS LOS + offset {result.offset * 1e3:.2f} mm/yr")
    return result


def points_gnss_scatter(result: Comparison, points: Points, cfg: MapStyle, out: Path) -> list[Path]:
    """Scatter of InSAR (median of the points near each station, after the offset) vs GNSS LOS in mm/yr with the
    RMS, and the CSV of :meth:`mimtpy.ops.gnss.Comparison.write_csv` (m/yr)."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    g, i = result.gnss_los * 1e3, result.insar * 1e3
    ax.plot(g, i, "o", mfc="tab:blue", mec="k", gid="gnss_vs_points")
    lim = [min(g.min(), i.min()), max(g.max(), i.max())]
    ax.plot(lim, lim, "k--", lw=0.8)
    for site, x, y in zip(result.stations.site, g, i, strict=True):
        ax.annotate(site, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("GNSS LOS (mm/yr)")
    ax.set_ylabel(f"InSAR: median of the points within {cfg.point_radius:g} km (mm/yr)")
    ax.set_title(f"{points.path.name}: {len(g)} stations, RMS {result.rms * 1e3:.2f} mm/yr", fontsize=9)
    save_figure(fig, out, cfg)
    with atomic_output(out.with_suffix(".csv")) as tmp:
        result.write_csv(tmp)
    return [out, out.with_suffix(".csv")]


def plot_points(path: Path, cfg: MapStyle, out: Path) -> list[Path]:
    """Map of a StaMPS point export (matplotlib), with GNSS when ``cfg.gnss`` is set; returns the files written."""
    points = read_stamps(path)
    fig, ax = points_figure(points, cfg)
    result = draw_points_gnss(ax, points, cfg) if cfg.gnss else None
    save_figure(fig, out, cfg)
    if result is None:
        return [out]
    return [out, *points_gnss_scatter(result, points, cfg, out.with_name(f"{out.stem}_gnss.{cfg.format}"))]
