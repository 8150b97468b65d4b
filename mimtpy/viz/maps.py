"""Maps of products (drawn by the ``plot`` step and the figures of other steps).

A map is drawn in lon/lat (pixel-is-area extent from the grid) with: a colorbar in display
units (velocity mm/yr, displacement mm, other data as stored), optionally symmetric-log
scaled; a title with quantity, period and track; the reference point (black square); a scale
bar; shaded relief from a DEM (the product's ``height`` or a given file) under the data; fault
and other vector lines clipped to the map; GNSS velocities as arrows and/or projected into
the LOS of the product with its per-pixel geometry (then also a scatter plot InSAR vs GNSS
with the RMS, and a CSV). Backends: matplotlib always, PyGMT where GMT is installed. A KMZ
overlay for Google Earth is optional.
"""

from __future__ import annotations

import logging
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from mimtpy.core.arrays import ResampledArray
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError
from mimtpy.io import Product, open_product
from mimtpy.io.atomic import atomic_output
from mimtpy.io.vectors import VECTOR_SUFFIXES, read_lines
from mimtpy.ops.datasets import main_dataset as _main_dataset
from mimtpy.ops.paths import project_name
from mimtpy.ops.units import DISPLAY_UNITS

logger = logging.getLogger(__name__)

DIVERGING = ("RdBu_r", "RdBu", "jet", "coolwarm", "seismic", "bwr", "PuOr", "PiYG")
LINESTYLES = {"solid": "-", "dashed": "--", "dotted": ":", "dashdot": "-."}
KM_PER_DEG = 111.195
#: most pixels along a side of a map: maps are drawn from every k-th pixel above it (screen resolution)
MAX_DISPLAY = 2000


@dataclass(frozen=True)
class MapStyle:
    """How a map is drawn. The plot step's config model has these fields too (same names), so
    either can be passed wherever a ``MapStyle`` is expected."""

    type: str | None = None
    vlim: tuple | None = None
    colormap: str = "RdBu_r"
    nonlinear: bool = False
    shade: bool | Path | None = None
    dem: Path | None = None
    shpdir: Path | None = None
    fault: Path | None = None
    fcolor: str = "black"
    fstyle: str = "solid"
    refpoi: bool = True
    scalebar: bool = True
    gnss: Path | None = None
    gnss_format: str = "auto"
    gnss_mode: str = "arrows"
    gnss_scale: float | None = None
    gnss_ref: str | None = None
    backend: str = "matplotlib"
    format: str = "png"
    dpi: int = 300
    kmz: bool = False


@dataclass
class MapData:
    """What one map shows: values in display units, extent (W E S N), labels."""

    values: np.ndarray
    extent: tuple[float, float, float, float]
    unit: str
    title: str
    ref: tuple[float, float] | None
    factor: float = 1.0          # display = stored * factor
    grid: Grid | None = None     # the display grid (every k-th pixel of the product, see display_grid)
    name: str = ""               # the dataset shown


def main_dataset(product: Product) -> str:
    """The dataset a map of ``product`` shows (:func:`mimtpy.ops.datasets.main_dataset`, 2-D only)."""
    return _main_dataset(product, allow_3d=False)


def display_grid(grid: Grid, max_pixels: int = MAX_DISPLAY) -> tuple[int, Grid]:
    """(k, the grid of every k-th row and column of ``grid``) with at most ``max_pixels`` along each side;
    each display pixel is centred on the pixel it shows and is k pixels wide."""
    k = max(1, math.ceil(max(grid.length, grid.width) / max_pixels))
    if k == 1:
        return 1, grid
    return k, Grid(math.ceil(grid.width / k), math.ceil(grid.length / k), grid.x_first + grid.x_step * (1 - k) / 2,
                   grid.y_first + grid.y_step * (1 - k) / 2, grid.x_step * k, grid.y_step * k, grid.epsg)


def read_display(array, k: int, budget_gb: float = 0.25) -> np.ndarray:
    """Every ``k``-th row and column of a 2-D array-like, read in row blocks (memory: one block)."""
    length, width = array.shape[-2:]
    chunk = max(1, int(budget_gb * 1024**3 // max(1, width * 8 * k))) * k
    parts = [np.asarray(array[r0:min(r0 + chunk, length), :], dtype=np.float64)[::k, ::k]
             for r0 in range(0, length, chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, width))


def map_data(product: Product, name: str | None = None) -> MapData:
    """Read the dataset to plot (decimated to screen resolution, :func:`display_grid`) in display units."""
    name = name or main_dataset(product)
    product.require(name)
    k, grid = display_grid(product.grid)
    values = read_display(product.array(name), k)
    stored = product.datasets[name].unit or product.attrs.get("UNIT", "")
    if name.endswith("Std") or name in ("velocity", "displacement") or product.file_type in ("velocity",
                                                                                            "displacement"):
        unit, factor = DISPLAY_UNITS.get(stored, (stored, 1.0))
    else:
        unit, factor = (product.datasets[name].unit or "", 1.0)
    s, n, w, e = grid.snwe
    a = product.attrs
    period = f" {a['START_DATE']}-{a['END_DATE']}" if "START_DATE" in a and "END_DATE" in a else ""
    track = ""
    if "ORBIT_DIRECTION" in a:
        track = f" {a['ORBIT_DIRECTION'][:3].lower()}" + (f" T{a['relative_orbit']}" if "relative_orbit" in a else "")
    ref = (float(a["REF_LAT"]), float(a["REF_LON"])) if "REF_LAT" in a and "REF_LON" in a else None
    label = f"{a['COMPONENT']} {name}" if "COMPONENT" in a else name
    return MapData(values * factor, (w, e, s, n), unit, f"{label}{period}{track}", ref, factor, grid, name)


def color_limits(values: np.ndarray, cfg: MapStyle) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if cfg.vlim:
        return cfg.vlim
    if finite.size == 0:
        return -1.0, 1.0
    if cfg.colormap in DIVERGING and finite.min() < 0 < finite.max():
        lim = float(np.percentile(np.abs(finite), 98)) or 1.0
        return -lim, lim
    lo, hi = (float(v) for v in np.percentile(finite, [1, 99]))
    return (lo, hi) if hi > lo else (lo - 1, hi + 1)


def make_norm(values: np.ndarray, cfg: MapStyle) -> mcolors.Normalize:
    """Linear, or symmetric-log (``nonlinear``: linear within 10 % of the larger limit) colour scaling."""
    vmin, vmax = color_limits(values, cfg)
    if cfg.nonlinear:
        return mcolors.SymLogNorm(linthresh=0.1 * max(abs(vmin), abs(vmax)), vmin=vmin, vmax=vmax, base=10)
    return mcolors.Normalize(vmin=vmin, vmax=vmax)


def hillshade(dem: np.ndarray) -> np.ndarray:
    """Shaded relief (0..1) of a DEM on a lon/lat grid, light from the north-west."""
    ls = mcolors.LightSource(azdeg=315, altdeg=45)
    return ls.hillshade(np.nan_to_num(dem, nan=float(np.nanmean(dem)) if np.isfinite(dem).any() else 0.0),
                        vert_exag=0.05)


def shading_dem(product: Product, cfg: MapStyle, grid: Grid | None = None) -> np.ndarray | None:
    """The DEM to shade with on ``grid`` (default: the display grid of the product): ``dem`` file, the
    product's height, or None."""
    grid = grid or display_grid(product.grid)[1]
    if cfg.shade is False:
        return None
    if isinstance(cfg.shade, Path):
        raise InputError(f"mimtpy.plot.shade: '{cfg.shade}' is not yes/no/auto; give a DEM file with mimtpy.plot.dem")
    if cfg.dem:
        src = open_product(cfg.dem)
        name = "height" if "height" in src.datasets else main_dataset(src)
        return read_display(ResampledArray(src.array(name), src.grid, grid, "bilinear"), 1)
    if "height" in product.datasets:
        return read_display(ResampledArray(product.array("height"), product.grid, grid, "nearest"), 1)
    if cfg.shade is True:
        raise InputError(f"{product.path}: shade = yes but the product has no height; give mimtpy.plot.dem")
    return None


def draw_map(ax, data: MapData, cfg: MapStyle, dem: np.ndarray | None = None):
    """Draw the data (over shaded relief when ``dem`` is given); returns the image for the colorbar."""
    if dem is not None:
        ax.imshow(hillshade(dem), extent=data.extent, cmap="gray", vmin=0, vmax=1, interpolation="bilinear",
                  origin="upper")
    image = ax.imshow(data.values, extent=data.extent, cmap=cfg.colormap, norm=make_norm(data.values, cfg),
                      interpolation="nearest", origin="upper", alpha=0.8 if dem is not None else 1.0)
    if data.ref and cfg.refpoi is not False:
        ax.plot(data.ref[1], data.ref[0], "ks", ms=5, mfc="k", label="reference point", gid="reference")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
    ax.set_xlabel("Longitude (deg)")
    ax.set_ylabel("Latitude (deg)")
    ax.set_title(data.title, fontsize=9)
    ax.set_xlim(data.extent[0], data.extent[1])
    ax.set_ylim(data.extent[2], data.extent[3])
    ax.set_aspect(1 / np.cos(np.deg2rad(np.mean(data.extent[2:]))))
    return image


def vector_files(cfg: MapStyle) -> list[Path]:
    """Fault file plus every vector file in ``shpdir``."""
    files = [cfg.fault] if cfg.fault else []
    if cfg.shpdir:
        if not cfg.shpdir.is_dir():
            raise InputError(f"mimtpy.plot.shpdir: {cfg.shpdir} is not a folder")
        files += sorted(p for p in cfg.shpdir.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES)
    return files


def draw_lines(ax, cfg: MapStyle, extent: tuple[float, float, float, float]) -> int:
    """Fault/vector lines clipped to the map; returns how many were drawn (each gid='fault')."""
    w, e, s, n = extent
    count = 0
    for path in vector_files(cfg):
        lines = read_lines(path, (s, n, w, e))
        if not lines:
            logger.warning("%s: no line inside the map (S %.4f N %.4f W %.4f E %.4f)", path.name, s, n, w, e)
        for part in lines:
            ax.plot(part[:, 0], part[:, 1], LINESTYLES[cfg.fstyle], color=cfg.fcolor, lw=1.2, gid="fault")
            count += 1
    return count


def draw_scalebar(ax, extent: tuple[float, float, float, float]) -> None:
    """A scale bar in km in the lower left corner (length: a round number near 1/5 of the width)."""
    w, e, s, n = extent
    lat = s + 0.06 * (n - s)
    km_per_deg = KM_PER_DEG * np.cos(np.deg2rad(lat))
    width_km = (e - w) * km_per_deg
    nice = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000]
    length = min(nice, key=lambda v: abs(v - width_km / 5))
    x0 = w + 0.05 * (e - w)
    x1 = x0 + length / km_per_deg
    ax.plot([x0, x1], [lat, lat], "k-", lw=3, solid_capstyle="butt", gid="scalebar")
    ax.text((x0 + x1) / 2, lat + 0.015 * (n - s), f"{length:g} km", ha="center", va="bottom", fontsize=8)


def draw_gnss(ax, product: Product, data: MapData, cfg: MapStyle, norm) -> None:
    """GNSS arrows (horizontal, mm/yr) and/or circles coloured by the GNSS LOS velocity."""
    from mimtpy.io.gnss import read_stations
    from mimtpy.ops.gnss import project_to_los, stations_in

    stations = read_stations(cfg.gnss, cfg.gnss_format)
    inside, _r, _c = stations_in(stations, product)
    if len(inside) == 0:
        logger.warning("%s: no GNSS station inside the map", cfg.gnss.name)
        return
    if cfg.gnss_mode in ("arrows", "both"):
        scale = cfg.gnss_scale or max(float(np.nanmax(np.hypot(inside.ve, inside.vn))) * 1e3, 1e-3) * 8
        q = ax.quiver(inside.lon, inside.lat, inside.ve * 1e3, inside.vn * 1e3, angles="xy", scale=scale,
                      scale_units="width", width=0.004, color="k", gid="gnss_arrows")
        ref = round(scale / 8, 1) or 1.0
        ax.quiverkey(q, 0.85, 0.04, ref, f"{ref:g} mm/yr", labelpos="N", fontproperties={"size": 7})
    if cfg.gnss_mode in ("los", "both"):
        sub, los, _rows, _cols = project_to_los(inside, product)
        ax.scatter(sub.lon, sub.lat, c=los * data.factor, cmap=cfg.colormap, norm=norm, s=40, edgecolors="k",
                   zorder=5, gid="gnss_los")


def gnss_scatter(product: Product, data: MapData, cfg: MapStyle, out: Path) -> list[Path]:
    """Scatter InSAR vs GNSS LOS (after referencing) with the RMS, and a CSV of the stations."""
    from mimtpy.io.gnss import read_stations
    from mimtpy.ops.gnss import compare

    values = product.array(data.name or main_dataset(product))       # full resolution at the stations
    result = compare(read_stations(cfg.gnss, cfg.gnss_format), product, values, cfg.gnss_ref)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    g, i = result.gnss_los * data.factor, result.insar * data.factor
    ax.plot(g, i, "o", mfc="tab:blue", mec="k")
    lim = [min(g.min(), i.min()), max(g.max(), i.max())]
    ax.plot(lim, lim, "k--", lw=0.8)
    for site, x, y in zip(result.stations.site, g, i, strict=True):
        ax.annotate(site, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"GNSS LOS ({data.unit})")
    ax.set_ylabel(f"InSAR LOS ({data.unit})")
    ax.set_title(f"{len(g)} stations, RMS {result.rms * data.factor:.2f} {data.unit}", fontsize=9)
    save_figure(fig, out, cfg)
    return [out, result.write_csv(out.with_suffix(".csv"))]


def make_figure(product: Product, cfg: MapStyle):
    """The matplotlib figure of one map (inspectable by tests); returns (figure, map axes, MapData)."""
    data = map_data(product, cfg.type)
    dem = shading_dem(product, cfg, data.grid)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    image = draw_map(ax, data, cfg, dem)
    fig.colorbar(image, ax=ax, label=data.unit, shrink=0.8)
    draw_lines(ax, cfg, data.extent)
    if cfg.gnss:
        draw_gnss(ax, product, data, cfg, image.norm)
    if cfg.scalebar:
        draw_scalebar(ax, data.extent)
    ax.set_xlim(data.extent[0], data.extent[1])
    ax.set_ylim(data.extent[2], data.extent[3])
    return fig, ax, data


def write_kmz(product: Product, data: MapData, cfg: MapStyle, out: Path) -> Path:
    """A KMZ ground overlay (PNG of the data, transparent where there is none) for Google Earth."""
    rgba = plt.get_cmap(cfg.colormap)(make_norm(data.values, cfg)(data.values))
    rgba[~np.isfinite(data.values)] = 0
    w, e, s, n = data.extent
    kml = f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>{out.stem}</name>
<GroundOverlay><name>{data.title} ({data.unit})</name><Icon><href>overlay.png</href></Icon>
<LatLonBox><north>{n}</north><south>{s}</south><east>{e}</east><west>{w}</west></LatLonBox></GroundOverlay>
</Document></kml>
"""
    with atomic_output(out) as tmp:
        png = tmp.with_suffix(".png.part")
        plt.imsave(png, rgba, format="png")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("doc.kml", kml)
            z.write(png, "overlay.png")
        png.unlink()
    logger.info("wrote %s", out)
    return out


def plot_overview(paths: list[Path], cfg: MapStyle, out: Path) -> Path:
    """All products on one figure, one panel each."""
    n = len(paths)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.3 * rows), squeeze=False)
    for ax, path in zip(axes.flat, paths, strict=False):
        data = map_data(open_product(path))
        image = draw_map(ax, data, cfg)
        fig.colorbar(image, ax=ax, label=data.unit, shrink=0.8)
        ax.set_title(f"{project_name(path)}/{path.stem}\n{data.title}", fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    fig.tight_layout()
    save_figure(fig, out, cfg)
    return out


def has_map(path: Path) -> bool:
    """Whether a product made in this run can be mapped (a 2-D dataset on a grid)."""
    try:
        main_dataset(open_product(path))
        return True
    except (InputError, OSError):
        return False


def save_figure(fig, out: Path, cfg: MapStyle) -> None:
    """Save and close a figure atomically in the style's format and resolution."""
    with atomic_output(out) as tmp:
        fig.savefig(tmp, dpi=cfg.dpi, format=cfg.format, bbox_inches="tight")
    plt.close(fig)
    logger.info("wrote %s", out)
