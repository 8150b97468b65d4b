"""Exports of the viewer: the clicked series as CSV and PNG, the current map as PNG (matplotlib, atomic).

CSV columns: ``date`` (YYYYMMDD), ``decimal_year`` (MintPy's definition), then one column per product with
its LOS displacement in mm (positive toward the satellite; empty where the product has no acquisition
that day or no value). The point is in the file name (:func:`point_name`).
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mimtpy.core.dates import decimal_years, parse_date
from mimtpy.errors import InputError
from mimtpy.io.atomic import atomic_output
from mimtpy.viz.maps import LINESTYLES, MapData, MapStyle, draw_map, map_colorbar, save_figure
from mimtpy.viz.tsview.data import MapImage
from mimtpy.viz.tsview.viewer import PointSeries

logger = logging.getLogger(__name__)


def point_name(lat: float, lon: float) -> str:
    """A file-name stem of a point: ``lat34.12345_lon-118.12345``."""
    return f"lat{lat:.5f}_lon{lon:.5f}"


def write_series_csv(points: list[PointSeries], lat: float, lon: float, out: Path) -> Path:
    """The series of every product at the point, one row per date of any product, values in mm."""
    series = [p for p in points if p.dates]
    if not series:
        raise InputError(f"no time series at lat={lat}, lon={lon} to export")
    dates = sorted({d for p in series for d in p.dates})
    years = decimal_years(dates)
    columns = [dict(zip(p.dates, p.values * 1e3, strict=True)) for p in series]
    with atomic_output(out) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["date", "decimal_year", *(f"{p.label}_mm" for p in series)])
        for date, year in zip(dates, years, strict=True):
            values = [col.get(date, np.nan) for col in columns]
            writer.writerow([date, f"{year:.6f}", *("" if not np.isfinite(v) else f"{v:.4f}" for v in values)])
    logger.info("wrote %s", out)
    return out


def _datetimes(dates: list[str]) -> list[dt.datetime]:
    return [dt.datetime.combine(parse_date(d), dt.time()) for d in dates]


def write_series_png(points: list[PointSeries], lat: float, lon: float, start: str | None, end: str | None,
                     out: Path, dpi: int = 150) -> Path:
    """A figure of the series (mm) with each product's fitted line over the period and its rate in the legend."""
    series = [p for p in points if p.dates]
    if not series:
        raise InputError(f"no time series at lat={lat}, lon={lon} to export")
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, p in enumerate(series):
        colour = f"C{i}"
        ax.plot(_datetimes(p.dates), p.values * 1e3, "o", ms=3, color=colour, label=p.label)
        try:
            rate = p.rate(start, end)
        except InputError:
            continue
        if np.isfinite(rate.rate):
            index = [k for k, d in enumerate(p.dates) if (not start or d >= start) and (not end or d <= end)]
            t = p.t[[index[0], index[-1]]]
            y = (rate.intercept + rate.rate * (t - rate.t0)) * 1e3
            ax.plot(_datetimes([p.dates[index[0]], p.dates[index[-1]]]), y, "-", color=colour, lw=1.5,
                    label=f"{rate.rate * 1e3:.2f} ± {rate.std * 1e3:.2f} mm/yr")
    ax.set_ylabel("LOS displacement (mm)")
    ax.set_title(f"lat {lat:.5f}, lon {lon:.5f}; period {start or 'first'}-{end or 'last'}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    with atomic_output(out) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight")
    plt.close(fig)
    logger.info("wrote %s", out)
    return out


def write_map_png(image: MapImage, limits: tuple[float, float], style: MapStyle, lines: list[np.ndarray],
                  point: tuple[float, float] | None, out: Path, relief: np.ndarray | None = None,
                  dpi: int = 150) -> Path:
    """The map as shown (the plot step's drawing, :func:`mimtpy.viz.maps.draw_map`), with the fault lines
    and the chosen point (a black cross)."""
    import dataclasses

    data = MapData(image.values, image.extent, image.unit, image.title, image.ref, image.factor, image.grid,
                   image.kind)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    style = dataclasses.replace(style, vlim=tuple(limits), nonlinear=False)
    if relief is not None:
        ax.imshow(relief, extent=data.extent, cmap="gray", vmin=0, vmax=1, origin="upper")
    shown = draw_map(ax, data, style)
    if relief is not None:
        shown.set_alpha(0.8)
    map_colorbar(fig, ax, shown, image.unit)
    for part in lines:
        ax.plot(part[:, 0], part[:, 1], LINESTYLES.get(style.fstyle, "-"), color=style.fcolor, lw=1.2)
    if point is not None:
        ax.plot(point[1], point[0], "kx", ms=9, mew=2)
    ax.set_xlim(data.extent[0], data.extent[1])
    ax.set_ylim(data.extent[2], data.extent[3])
    save_figure(fig, out, dataclasses.replace(style, dpi=dpi, format="png"))
    return out
