"""The PyGMT backend of the plot step: the same content as the matplotlib map (data with its
colour scale and unit, relief, faults, GNSS, reference point, scale bar), drawn by GMT.

Needs GMT >= 6.4 and pygmt 0.16 (``apt-get install gmt libgmt-dev ghostscript`` and
``pip install pygmt==0.16.0``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mimtpy.errors import InputError
from mimtpy.io import Product
from mimtpy.io.atomic import atomic_output
from mimtpy.io.vectors import read_lines
from mimtpy.viz.maps import (
    LINESTYLES,
    MapStyle,
    color_limits,
    map_data,
    shading_dem,
    vector_files,
)

logger = logging.getLogger(__name__)

#: matplotlib colormap names -> GMT master CPTs with the same look
GMT_CPT = {"RdBu_r": "polar", "RdBu": "polar+i", "jet": "jet", "viridis": "viridis", "gray": "gray",
           "seismic": "polar", "coolwarm": "polar", "bwr": "polar"}
GMT_PEN_STYLE = {"-": "", "--": ",-", ":": ",.", "-.": ",-."}


def require_pygmt():
    """Import pygmt or raise an InputError saying how to install it."""
    try:
        import pygmt
    except Exception as err:  # ImportError, or GMTCLibNotFoundError when GMT itself is missing
        raise InputError("mimtpy.plot.backend = pygmt needs GMT and PyGMT: apt-get install gmt libgmt-dev "
                         f"ghostscript; pip install pygmt==0.16.0 ({type(err).__name__}: {err})") from None
    return pygmt


def _grid(values: np.ndarray, g):
    """An xarray grid (pixel registration, geographic) with ascending coordinates, on the grid ``g``."""
    import xarray as xr

    lat, lon = g.lats(), g.lons()
    order = np.argsort(lat)
    da = xr.DataArray(values[order].astype(np.float32), coords={"lat": lat[order], "lon": lon}, dims=("lat", "lon"))
    da.gmt.registration = 1
    da.gmt.gtype = 1
    return da


def plot_product_gmt(product: Product, cfg: MapStyle, out: Path) -> Path:
    """Map of one product drawn with PyGMT, written atomically to ``out``."""
    pygmt = require_pygmt()
    data = map_data(product, cfg.type)
    w, e, s, n = data.extent
    vmin, vmax = color_limits(data.values, cfg)
    fig = pygmt.Figure()
    region = [w, e, s, n]
    projection = "M14c"
    fig.basemap(region=region, projection=projection, frame=[f"WSne+t{data.title}", "xa", "ya"])
    cpt = GMT_CPT.get(cfg.colormap, cfg.colormap)
    pygmt.makecpt(cmap=cpt.removesuffix("+i"), series=[vmin, vmax], reverse=cpt.endswith("+i"),
                  log=False, continuous=True)
    dem = shading_dem(product, cfg, data.grid)
    shading = None
    if dem is not None:
        shading = pygmt.grdgradient(grid=_grid(np.nan_to_num(dem, nan=float(np.nanmean(dem))), data.grid),
                                    azimuth=315, normalize="t0.6")
    fig.grdimage(grid=_grid(data.values, data.grid), cmap=True, shading=shading, nan_transparent=True)
    for path in vector_files(cfg):
        for part in read_lines(path, (s, n, w, e)):
            fig.plot(x=part[:, 0], y=part[:, 1], pen=f"1p,{cfg.fcolor}{GMT_PEN_STYLE[LINESTYLES[cfg.fstyle]]}")
    if cfg.gnss:
        _gnss(fig, product, cfg)
    if data.ref and cfg.refpoi is not False:
        fig.plot(x=[data.ref[1]], y=[data.ref[0]], style="s0.25c", fill="black")
    if cfg.scalebar:
        km = (e - w) * 111.195 * np.cos(np.deg2rad((s + n) / 2))
        length = min([1, 2, 5, 10, 20, 25, 50, 100, 200, 500], key=lambda v: abs(v - km / 5))
        fig.basemap(map_scale=f"jBL+w{length}k+o0.5c/0.5c+f")
    fig.colorbar(frame=[f"x+l{data.unit}"], position="JMR+o0.8c/0c+w8c/0.4c")
    with atomic_output(out) as tmp:
        target = tmp.with_suffix(f".{cfg.format}")
        fig.savefig(target, dpi=cfg.dpi)
        target.replace(tmp)
    logger.info("wrote %s (PyGMT)", out)
    return out


def _gnss(fig, product: Product, cfg: MapStyle) -> None:
    import pandas as pd

    from mimtpy.io.gnss import read_stations
    from mimtpy.ops.gnss import project_to_los, stations_in

    inside, _r, _c = stations_in(read_stations(cfg.gnss, cfg.gnss_format), product)
    if len(inside) == 0:
        logger.warning("%s: no GNSS station inside the map", cfg.gnss.name)
        return
    if cfg.gnss_mode in ("arrows", "both"):
        vmax = max(float(np.nanmax(np.hypot(inside.ve, inside.vn))) * 1e3, 1e-3)
        table = pd.DataFrame({"x": inside.lon, "y": inside.lat, "ve": inside.ve * 1e3, "vn": inside.vn * 1e3,
                              "se": np.nan_to_num(inside.se * 1e3), "sn": np.nan_to_num(inside.sn * 1e3),
                              "corr": 0.0, "site": inside.site})
        fig.velo(data=table, spec=f"e{2.0 / vmax:.4f}c/0.39+f8p", pen="0.6p,black", vector="0.3c+p1p+e+gblack")
    if cfg.gnss_mode in ("los", "both"):
        sub, los, _rows, _cols = project_to_los(inside, product)
        factor = map_data(product, cfg.type).factor
        fig.plot(x=sub.lon, y=sub.lat, fill=los * factor, cmap=True, style="c0.3c", pen="0.6p,black")
