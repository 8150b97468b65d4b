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
    color_scale,
    map_data,
    scalebar_geometry,
    shading_dem,
    shown_values,
    vector_files,
)

logger = logging.getLogger(__name__)

#: matplotlib colormap names -> GMT master CPTs with the same look
GMT_CPT = {"RdBu_r": "polar", "RdBu": "polar+i", "jet": "jet", "viridis": "viridis", "gray": "gray",
           "seismic": "polar", "coolwarm": "polar", "bwr": "polar", "twilight_shifted": "cyclic",
           "twilight": "cyclic", "hsv": "cyclic"}
#: colorbar extend (matplotlib) -> GMT colorbar triangles
GMT_EXTEND = {"neither": "", "min": "+eb", "max": "+ef", "both": "+e"}
GMT_PEN_STYLE = {"-": "", "--": ",-", ":": ",.", "-.": ",-."}


def require_pygmt():
    """Import pygmt or raise an InputError saying how to install it."""
    try:
        import pygmt
    except Exception as err:  # ImportError, or GMTCLibNotFoundError when GMT itself is missing
        raise InputError("mimtpy.plot.backend = pygmt needs GMT and PyGMT: apt-get install gmt libgmt-dev "
                         f"ghostscript; pip install pygmt==0.16.0 ({type(err).__name__}: {err})") from None
    return pygmt


def _grid(values: np.ndarray, g, geographic: bool = True):
    """An xarray grid (pixel registration, geographic or Cartesian) with ascending coordinates, on the grid ``g``."""
    import xarray as xr

    lat, lon = g.lats(), g.lons()
    order = np.argsort(lat)
    dims = ("lat", "lon") if geographic else ("y", "x")
    da = xr.DataArray(values[order].astype(np.float32), coords={dims[0]: lat[order], dims[1]: lon}, dims=dims)
    da.gmt.registration = 1
    da.gmt.gtype = 1 if geographic else 0
    return da


def plot_product_gmt(product: Product, cfg: MapStyle, out: Path) -> Path:
    """Map of one product drawn with PyGMT, written atomically to ``out``."""
    pygmt = require_pygmt()
    data = map_data(product, cfg.type, cfg.zero_mask)
    geographic = data.crs == "geographic"
    w, e, s, n = data.extent
    scale = color_scale(data.values, cfg, data.name)
    fig = pygmt.Figure()
    region = [w, e, s, n] if data.crs != "pixel" else [w, e, n, s]
    if geographic:
        projection, frame = "M14c", [f"WSne+t{data.title}", "xa", "ya"]
    else:
        height = 14 * abs(n - s) / abs(e - w)
        projection = f"X14c/{-height if data.crs == 'pixel' else height:.3f}c"
        labels = ("Easting (m)", "Northing (m)") if data.crs == "projected" else ("Column (pixel)", "Row (pixel)")
        frame = [f"WSne+t{data.title}", f"xa+l{labels[0]}", f"ya+l{labels[1]}"]
        region = [w, e, min(s, n), max(s, n)]
    fig.basemap(region=region, projection=projection, frame=frame)
    cpt = GMT_CPT.get(scale.cmap, scale.cmap)
    pygmt.makecpt(cmap=cpt.removesuffix("+i"), series=[scale.vmin, scale.vmax], reverse=cpt.endswith("+i"),
                  log=False, continuous=True, background=True)   # clipped values take the end colours
    dem = shading_dem(product, cfg, data.grid) if data.crs != "pixel" else None
    shading = None
    if dem is not None:     # no-data (NaN, 0) stays NaN: GMT shades valid pixels only, no cliff at the edge
        dem = np.where(np.isfinite(dem) & (dem != 0), dem, np.nan)
        shading = pygmt.grdgradient(grid=_grid(dem, data.grid, geographic), azimuth=315, normalize="t0.6")
    fig.grdimage(grid=_grid(shown_values(data.values, scale), data.grid, geographic), cmap=True, shading=shading,
                 nan_transparent=True)
    if geographic:
        for path in vector_files(cfg):
            for part in read_lines(path, (s, n, w, e)):
                fig.plot(x=part[:, 0], y=part[:, 1], pen=f"1p,{cfg.fcolor}{GMT_PEN_STYLE[LINESTYLES[cfg.fstyle]]}")
        if cfg.gnss:
            _gnss(fig, product, data, cfg)
    if data.ref and cfg.refpoi is not False:
        fig.plot(x=[data.ref[1]], y=[data.ref[0]], style="s0.25c", fill="black")
    bar = scalebar_geometry(data) if cfg.scalebar else None
    if bar is not None:
        x0, x1, y, length = bar
        if geographic:
            fig.basemap(map_scale=f"jBL+w{length / 1e3:g}k+o0.5c/0.5c+f")
        else:
            fig.plot(x=[x0, x1], y=[y, y], pen="3p,black")
            fig.text(x=(x0 + x1) / 2, y=y + 0.02 * (n - s), text=f"{length / 1e3:g} km", font="8p", justify="CB")
    if data.crs == "pixel":
        logger.warning("%s: not georeferenced: drawn in pixel coordinates", product.path)
    fig.colorbar(frame=[f"x+l{data.unit}" if data.unit else "x"],
                 position=f"JMR+o0.8c/0c+w8c/0.4c{GMT_EXTEND[scale.extend]}")
    with atomic_output(out) as tmp:
        target = tmp.with_suffix(f".{cfg.format}")
        fig.savefig(target, dpi=cfg.dpi)
        target.replace(tmp)
    logger.info("wrote %s (PyGMT)", out)
    return out


def _gnss(fig, product: Product, data, cfg: MapStyle) -> None:
    """GNSS as the matplotlib map draws it: arrows in mm/yr (mm over the period of a displacement map),
    circles of the GNSS in the product's quantity plus the offset of :func:`mimtpy.ops.gnss.compare`."""
    import pandas as pd

    from mimtpy.io.gnss import read_stations
    from mimtpy.ops.gnss import compare, gnss_factor, stations_in
    from mimtpy.ops.units import LENGTH

    stations = read_stations(cfg.gnss, cfg.gnss_format)
    inside, _r, _c = stations_in(stations, product)
    if len(inside) == 0:
        logger.warning("%s: no GNSS station inside the map", cfg.gnss.name)
        return
    stored = (product.datasets[data.name].unit or product.attrs.get("UNIT", "")).strip()
    to_stored = gnss_factor(product, stored)
    displacement = stored.lower() in LENGTH
    if cfg.gnss_mode in ("arrows", "both") and not (displacement and to_stored is None):
        factor = to_stored * data.factor if to_stored is not None else 1e3     # display units (mm/yr, mm)
        vmax = max(float(np.nanmax(np.hypot(inside.ve, inside.vn))) * factor, 1e-3)
        table = pd.DataFrame({"x": inside.lon, "y": inside.lat, "ve": inside.ve * factor, "vn": inside.vn * factor,
                              "se": np.nan_to_num(inside.se * factor), "sn": np.nan_to_num(inside.sn * factor),
                              "corr": 0.0, "site": inside.site})
        fig.velo(data=table, spec=f"e{2.0 / vmax:.4f}c/0.39+f8p", pen="0.6p,black", vector="0.3c+p1p+e+gblack")
    if cfg.gnss_mode in ("los", "both") and to_stored is not None:
        result = compare(stations, product, product.array(data.name), cfg.gnss_ref, factor=to_stored)
        fig.plot(x=result.stations.lon, y=result.stations.lat, fill=result.gnss_in_insar_frame * data.factor,
                 cmap=True, style="c0.3c", pen="0.6p,black")
