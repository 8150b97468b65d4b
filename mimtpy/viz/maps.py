"""Maps of products (drawn by the ``plot`` step and the figures of other steps).

A map is drawn on the product's grid (pixel-is-area extent) with: a colorbar in display units
(velocity mm/yr, displacement mm, other data as stored), linear or symmetric-log; a title with
quantity, period and track (platform, orbit direction, ``relative_orbit`` or ``trackNumber``;
file name and dates for GeoTIFFs); the reference point (black square); a scale bar; shaded
relief from a DEM (the product's ``height`` or a given file) under the data; fault and other
vector lines clipped to the map; GNSS velocities as arrows and/or projected into the LOS of the
product with its per-pixel geometry (then also a scatter plot InSAR vs GNSS with the RMS, and a
CSV). Backends: matplotlib always, PyGMT where GMT is installed. A KMZ overlay is optional.

Conventions pinned by tests (tests/test_figures.py):

- Axes: geographic grids in longitude/latitude degrees (plain tick labels, no offset notation),
  aspect 1/cos(mean latitude); projected grids (``EPSG`` of a projected CRS, e.g. UTM) in
  Easting/Northing km, aspect 1; a GeoTIFF without geotransform or CRS in pixel columns/rows (row
  0 at the top), with a warning logged and written on the figure, and no scale bar.
- Scale bar: a 1-2-5 length near 1/5 of the map width, in metres of the CRS (projected) or along
  the parallel of the bar on the WGS84 ellipsoid (geographic: N(lat) cos(lat) pi/180 m per degree).
- Colour scale (:func:`color_scale`): ``vlim`` when given; else signed data get a diverging map
  (``RdBu_r``) centred on 0 with limits +-(99.9th percentile of |value|: a volcano or a fault
  of a few hundred pixels is shown, not clipped, while isolated outliers are); one-sided quantities
  (``*Std``, coherence, ``cond``, counts, number of epochs, height) and data all of one sign get a
  sequential map (``viridis``) between the 1st and 99th percentiles. The colorbar has an extend
  arrow exactly on the side(s) where values fall outside the limits. ``wrap`` R shows the values
  wrapped into [-R/2, R/2) (one colour cycle per R, e.g. 28 mm per Sentinel-1 fringe) with a
  cyclic map (``twilight_shifted``).
- Zero as no data (MintPy writes 0 for masked pixels): ``zeroMask`` auto masks exact zeros of
  velocity files (FILE_TYPE velocity), yes/no always/never; the reference pixel (``REF_Y/REF_X``,
  0 by definition) is kept.
- GNSS on maps: in the InSAR's frame (GNSS + the offset of :func:`mimtpy.ops.gnss.compare`, as the
  scatter plot); arrows in mm/yr on velocity maps and in mm over the period (END_DATE - START_DATE)
  on displacement maps (no arrows, with a note, when the period is unknown); the key arrow sits
  in a corner free of arrows, else below the axes on the right.
- Relief: hillshade of the DEM with no-data (NaN or 0) masked before shading (gradients from
  valid neighbours only) and transparent outside.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors
import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from mimtpy.core.arrays import ResampledArray
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError
from mimtpy.io import Product, open_product
from mimtpy.io.atomic import atomic_output
from mimtpy.io.vectors import VECTOR_SUFFIXES, read_lines
from mimtpy.ops.attrs import known, track_number
from mimtpy.ops.datasets import main_dataset as _main_dataset
from mimtpy.ops.datasets import zero_masking
from mimtpy.ops.paths import project_name
from mimtpy.ops.units import DISPLAY_UNITS

logger = logging.getLogger(__name__)

DIVERGING = ("RdBu_r", "RdBu", "jet", "coolwarm", "seismic", "bwr", "PuOr", "PiYG")
#: default maps: signed data, one-sided data, wrapped data
SIGNED_CMAP, ONE_SIDED_CMAP, WRAPPED_CMAP = "RdBu_r", "viridis", "twilight_shifted"
#: percentile of |value| that bounds the default scale of signed data
SIGNED_PERCENTILE = 99.9
#: quantities that are one-sided whatever their values (sequential colour map, limits from the data)
ONE_SIDED = ("cond", "coherence", "temporalcoherence", "avgspatialcoherence", "numepochs", "count", "counts",
             "height", "mask", "numtriplet", "numinvifgram")
LINESTYLES = {"solid": "-", "dashed": "--", "dotted": ":", "dashdot": "-."}
#: WGS84 semi-major axis (m) and first eccentricity squared
WGS84_A, WGS84_E2 = 6378137.0, 6.69437999014e-3
#: most pixels along a side of a map: maps are drawn from every k-th pixel above it (screen resolution)
MAX_DISPLAY = 2000
NO_GEOREFERENCE = "not georeferenced: pixel coordinates, no scale bar"


@dataclass(frozen=True)
class MapStyle:
    """How a map is drawn. The plot step's config model has these fields too (same names), so
    either can be passed wherever a ``MapStyle`` is expected."""

    type: str | None = None
    vlim: tuple | None = None
    cmap: str | None = None          # None = auto (diverging for signed data, sequential for one-sided)
    wrap: float | None = None        # display units per colour cycle
    zero_mask: str = "auto"          # auto (velocity files) | yes | no
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
    geometry: Path | None = None     # LOS geometry of point datasets (GNSS comparison on points)
    point_radius: float = 0.5        # km: InSAR at a station = median of the points this close
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
    crs: str = "geographic"      # geographic | projected | pixel (no georeference)
    zero_masked: int = 0         # pixels equal to 0 shown as no data


@dataclass(frozen=True)
class ColorScale:
    """Colour limits (display units), colormap name and colorbar extend ('neither', 'min', 'max', 'both')."""

    vmin: float
    vmax: float
    cmap: str
    extend: str
    wrap: float | None = None


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


@functools.lru_cache(maxsize=64)
def _is_projected(epsg: int) -> bool:
    from pyproj import CRS

    try:
        return bool(CRS.from_epsg(epsg).is_projected)
    except Exception:  # an EPSG code pyproj does not know: treat as degrees, as the grid does
        logger.warning("EPSG:%s is unknown to PROJ; the map is drawn in degrees", epsg)
        return False


def crs_kind(product: Product) -> str:
    """'geographic', 'projected' (metres of the grid's CRS) or 'pixel' (a file without georeference)."""
    if str(product.attrs.get("GEOREFERENCED", "yes")).lower() == "no":
        return "pixel"
    return "projected" if product.grid.epsg != 4326 and _is_projected(product.grid.epsg) else "geographic"


_known = known


def track_label(attrs: dict) -> str:
    """' <platform> <asc|des> T<track>' from the attributes present (``relative_orbit``, else
    ``trackNumber``/``TRACK``/``track``; ``PLATFORM``/``platform``/``mission``/``MISSION``); '' when none."""
    parts = []
    platform = next((attrs[k] for k in ("PLATFORM", "platform", "mission", "MISSION") if _known(attrs.get(k))), None)
    if platform:
        parts.append(str(platform))
    if _known(attrs.get("ORBIT_DIRECTION")):
        parts.append(str(attrs["ORBIT_DIRECTION"])[:3].lower())
    track = track_number(attrs)
    if track is not None:
        parts.append(f"T{track}")
    return " " + " ".join(parts) if parts else ""


def period_label(product: Product) -> str:
    """' START-END' from START_DATE/END_DATE, else from a YYYYMMDD-YYYYMMDD pair in the file name."""
    a = product.attrs
    if "START_DATE" in a and "END_DATE" in a:
        return f" {a['START_DATE']}-{a['END_DATE']}"
    match = re.search(r"((?:19|20)\d{6})[-_]((?:19|20)\d{6})", product.path.name)
    return f" {match.group(1)}-{match.group(2)}" if match else ""


def map_data(product: Product, name: str | None = None, zero_mask: str | None = "auto") -> MapData:
    """Read the dataset to plot (decimated to screen resolution, :func:`display_grid`) in display units;
    exact zeros become NaN when :func:`zero_masking` says so."""
    name = name or main_dataset(product)
    product.require(name)
    if product.family == "mintpy":      # the zeros as stored: masked here by the zeroMask rule, and counted
        product = open_product(product.path, mask=False)
    k, grid = display_grid(product.grid)
    values = read_display(product.array(name), k)
    zeros = 0
    if zero_masking(product, name, zero_mask):
        is_zero = values == 0
        ref_y, ref_x = product.attrs.get("REF_Y"), product.attrs.get("REF_X")
        if _known(ref_y) and _known(ref_x) and int(ref_y) % k == 0 and int(ref_x) % k == 0:
            ry, rx = int(ref_y) // k, int(ref_x) // k          # the reference pixel is 0 by definition: data
            if 0 <= ry < values.shape[0] and 0 <= rx < values.shape[1]:
                is_zero[ry, rx] = False
        zeros = int(is_zero.sum())
        values[is_zero] = np.nan
        if zeros:
            logger.info("%s: %d pixel(s) equal to 0 shown as no data (zeroMask)", product.path.name, zeros)
    stored = product.datasets[name].unit or product.attrs.get("UNIT", "")
    rate = stored.strip().lower() in ("m/year", "m/yr")      # a rate in m/yr is a velocity whatever its name
    if rate or name.endswith("Std") or name in ("velocity", "displacement") or product.file_type in (
            "velocity", "displacement"):
        unit, factor = DISPLAY_UNITS.get(stored.strip(), (stored, 1.0))
    else:
        unit, factor = (product.datasets[name].unit or "", 1.0)
    kind = crs_kind(product)
    s, n, w, e = grid.snwe
    extent = (w, e, s, n) if kind != "pixel" else (0.0, float(grid.width * k), float(grid.length * k), 0.0)
    a = product.attrs
    ref = (float(a["REF_LAT"]), float(a["REF_LON"])) if "REF_LAT" in a and "REF_LON" in a else None
    if kind != "geographic":
        ref = None
    if product.family == "geotiff" and name == "data":
        label = product.path.name
    else:
        label = f"{a['COMPONENT']} {name}" if "COMPONENT" in a else name
    return MapData(values * factor, extent, unit, f"{label}{period_label(product)}{track_label(a)}", ref, factor,
                   grid, name, kind, zeros)


def is_one_sided(name: str, values: np.ndarray) -> bool:
    """One-sided quantities (:data:`ONE_SIDED`, ``*Std``) and data whose finite values are all >= 0 or all <= 0."""
    low = (name or "").lower()
    if low in ONE_SIDED or low.endswith("std") or "coherence" in low:
        return True
    finite = values[np.isfinite(values)]
    return finite.size > 0 and (finite.min() >= 0 or finite.max() <= 0)


def color_scale(values: np.ndarray, cfg: MapStyle, name: str = "") -> ColorScale:
    """Limits, colormap and colorbar extend of a map (see the module docstring for the rules)."""
    finite = values[np.isfinite(values)]
    one_sided = is_one_sided(name, values)
    wrap = getattr(cfg, "wrap", None)
    if wrap:
        return ColorScale(-wrap / 2, wrap / 2, cfg.cmap or WRAPPED_CMAP, "neither", wrap)
    if cfg.vlim:
        vmin, vmax = (float(v) for v in cfg.vlim)
    elif finite.size == 0:
        vmin, vmax = -1.0, 1.0
    elif one_sided:
        vmin, vmax = (float(v) for v in np.percentile(finite, [1, 99]))
        if not vmax > vmin:
            vmin, vmax = vmin - 1, vmax + 1
    else:
        lim = float(np.percentile(np.abs(finite), SIGNED_PERCENTILE)) or 1.0
        vmin, vmax = -lim, lim
    cmap = cfg.cmap or (ONE_SIDED_CMAP if one_sided else SIGNED_CMAP)
    return ColorScale(vmin, vmax, cmap, extend_of(finite, vmin, vmax))


def shown_values(values: np.ndarray, scale: ColorScale) -> np.ndarray:
    """The values as drawn: wrapped into [-wrap/2, wrap/2) when the scale wraps, else unchanged."""
    if not scale.wrap:
        return values
    return np.mod(values + scale.wrap / 2, scale.wrap) - scale.wrap / 2


def color_limits(values: np.ndarray, cfg: MapStyle, name: str = "") -> tuple[float, float]:
    """(vmin, vmax) of :func:`color_scale`."""
    scale = color_scale(values, cfg, name)
    return scale.vmin, scale.vmax


def make_norm(values: np.ndarray, cfg: MapStyle, name: str = "") -> mcolors.Normalize:
    """Linear, or symmetric-log (``nonlinear``: linear within 10 % of the larger limit) colour scaling."""
    vmin, vmax = color_limits(values, cfg, name)
    if cfg.nonlinear and not getattr(cfg, "wrap", None):
        return mcolors.SymLogNorm(linthresh=0.1 * max(abs(vmin), abs(vmax)), vmin=vmin, vmax=vmax, base=10)
    return mcolors.Normalize(vmin=vmin, vmax=vmax)


def _masked_gradient(z: np.ndarray, valid: np.ndarray, axis: int) -> np.ndarray:
    """d z / d index along ``axis`` from valid neighbours only: central difference where both neighbours
    are valid, one-sided where one is, 0 where none is."""
    z = np.moveaxis(np.where(valid, z, 0.0), axis, 0)
    v = np.moveaxis(valid, axis, 0)
    fwd = np.full(z.shape, np.nan)
    bwd = np.full(z.shape, np.nan)
    ok = v[1:] & v[:-1]
    diff = z[1:] - z[:-1]
    fwd[:-1] = np.where(ok, diff, np.nan)
    bwd[1:] = np.where(ok, diff, np.nan)
    grad = np.where(np.isnan(fwd), bwd, np.where(np.isnan(bwd), fwd, (fwd + bwd) / 2))
    return np.moveaxis(np.nan_to_num(grad), 0, axis)


def hillshade(dem: np.ndarray) -> np.ma.MaskedArray:
    """Shaded relief (0..1) of a DEM, light from the north-west (matplotlib's LightSource, azimuth 315,
    altitude 45, vertical exaggeration 0.05 per pixel). No-data (NaN or exactly 0, MintPy's masked height)
    is masked BEFORE shading: slopes come from valid neighbours only, so the edge of the DEM gets no
    artificial cliff, and the masked pixels are transparent when drawn."""
    dem = np.asarray(dem, dtype=np.float64)
    valid = np.isfinite(dem) & (dem != 0)
    ls = mcolors.LightSource(azdeg=315, altdeg=45)
    dy = -_masked_gradient(dem * 0.05, valid, 0)          # row 0 is the top: y grows up the rows' opposite
    dx = _masked_gradient(dem * 0.05, valid, 1)
    normal = np.stack([-dx, -dy, np.ones_like(dem)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    shade = np.zeros(dem.shape)
    if valid.any():
        shade[valid] = ls.shade_normals(normal[valid], fraction=1.0)   # contrast stretch over valid pixels only
    return np.ma.masked_array(shade, mask=~valid)


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


def geographic_aspect(lat_south: float, lat_north: float) -> float:
    """Axes aspect (y unit / x unit) that draws a lon/lat map true to scale at its mean latitude: 1/cos(lat)."""
    return float(1 / np.cos(np.deg2rad((lat_south + lat_north) / 2)))


def _labels_overlap(ax, renderer) -> bool:
    """Whether two visible x tick labels of ``ax`` overlap (or touch, with 2 px to spare)."""
    boxes = sorted((t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text()),
                   key=lambda b: b.x0)
    return any(b.x0 < a.x1 + 2 for a, b in itertools.pairwise(boxes))


def fit_xticks(fig, ax, most: int = 4) -> int:
    """Fewer longitude ticks (``most`` down to 2) until their labels do not overlap: a narrow map panel (a
    strip of overlap in true aspect) cannot hold four labels like ``-117.947``. Returns the count kept."""
    for bins in range(most, 1, -1):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(bins))
        fig.canvas.draw()
        if not _labels_overlap(ax, fig.canvas.get_renderer()):
            return bins
    return 2


def format_axes(ax, data: MapData) -> None:
    """Axis labels, plain tick labels and aspect for the map's coordinates (degrees, CRS metres or pixels)."""
    w, e, s, n = data.extent
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
    if data.crs == "projected":
        km = matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v * crs_metres(data.grid.epsg) / 1e3:g}")
        ax.xaxis.set_major_formatter(km)
        ax.yaxis.set_major_formatter(km)
        ax.set_xlabel("Easting (km)")
        ax.set_ylabel("Northing (km)")
        ax.set_aspect(1.0)
    elif data.crs == "pixel":
        ax.set_xlabel("Column (pixel)")
        ax.set_ylabel("Row (pixel)")
        ax.set_aspect(1.0)
        ax.text(0.5, 0.01, NO_GEOREFERENCE, transform=ax.transAxes, ha="center", va="bottom", fontsize=8,
                color="tab:red", gid="no_georeference", bbox={"fc": "white", "alpha": 0.8, "lw": 0})
    else:
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(matplotlib.ticker.ScalarFormatter(useOffset=False))
        ax.ticklabel_format(useOffset=False, style="plain")
        ax.set_xlabel("Longitude (deg)")
        ax.set_ylabel("Latitude (deg)")
        ax.set_aspect(geographic_aspect(s, n))
    ax.set_xlim(w, e)
    ax.set_ylim(s, n)


def draw_map(ax, data: MapData, cfg: MapStyle, dem: np.ndarray | None = None):
    """Draw the data (over shaded relief when ``dem`` is given); returns the image for :func:`map_colorbar`."""
    if dem is not None:
        ax.imshow(hillshade(dem), extent=data.extent, cmap="gray", vmin=0, vmax=1, interpolation="bilinear",
                  origin="upper", gid="relief")
    scale = color_scale(data.values, cfg, data.name)
    image = ax.imshow(shown_values(data.values, scale), extent=data.extent, cmap=scale.cmap,
                      norm=make_norm(data.values, cfg, data.name), interpolation="nearest", origin="upper",
                      alpha=0.8 if dem is not None else 1.0, gid="data")
    if data.ref and cfg.refpoi is not False:
        ax.plot(data.ref[1], data.ref[0], "ks", ms=5, mfc="k", label="reference point", gid="reference")
    ax.set_title(data.title, fontsize=9)
    format_axes(ax, data)
    if data.crs == "pixel":
        logger.warning("%s: %s", data.title, NO_GEOREFERENCE)
    return image


def extend_of(values: np.ndarray, vmin: float, vmax: float) -> str:
    """Colorbar extend: 'min'/'max'/'both' exactly where finite values fall below/above the limits."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    below = bool(finite.size and finite.min() < vmin)
    above = bool(finite.size and finite.max() > vmax)
    return {(False, False): "neither", (True, False): "min", (False, True): "max", (True, True): "both"}[below, above]


def map_colorbar(fig, ax, image, label: str, **kwargs):
    """A colorbar for ``image`` with extend arrows on the side(s) where its values are clipped."""
    values = np.ma.filled(image.get_array().astype(float), np.nan)
    kwargs.setdefault("shrink", 0.8)
    return fig.colorbar(image, ax=ax, label=label, extend=extend_of(values, image.norm.vmin, image.norm.vmax),
                        **kwargs)


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


@functools.lru_cache(maxsize=64)
def crs_metres(epsg: int) -> float:
    """Metres per unit of a projected CRS's x axis (1 for UTM)."""
    from pyproj import CRS

    return float(CRS.from_epsg(epsg).axis_info[0].unit_conversion_factor)


def metres_per_degree_lon(lat: float) -> float:
    """Length of one degree of longitude along the parallel ``lat`` on the WGS84 ellipsoid (m)."""
    phi = np.deg2rad(lat)
    return float(np.pi / 180 * WGS84_A * np.cos(phi) / np.sqrt(1 - WGS84_E2 * np.sin(phi) ** 2))


def nice_length(target: float) -> float:
    """The 1-2-5 number nearest to ``target`` (> 0)."""
    base = 10.0 ** math.floor(math.log10(target))
    return min((m * base for m in (1, 2, 5, 10)), key=lambda v: abs(v - target))


def scalebar_geometry(data: MapData) -> tuple[float, float, float, float] | None:
    """(x0, x1, y, length in metres) of the scale bar in map coordinates (lower left, about 1/5 of the
    width); None for a map without georeference."""
    if data.crs == "pixel":
        return None
    w, e, s, n = data.extent
    y = s + 0.06 * (n - s)
    per_unit = metres_per_degree_lon(y) if data.crs == "geographic" else crs_metres(data.grid.epsg)
    length = nice_length((e - w) * per_unit / 5)
    x0 = w + 0.05 * (e - w)
    return x0, x0 + length / per_unit, y, length


def draw_scalebar(ax, data: MapData) -> float | None:
    """The scale bar (gid 'scalebar') and its label in km or m; returns its length in metres."""
    bar = scalebar_geometry(data)
    if bar is None:
        return None
    x0, x1, y, length = bar
    _w, _e, s, n = data.extent
    ax.plot([x0, x1], [y, y], "k-", lw=3, solid_capstyle="butt", gid="scalebar")
    text = f"{length / 1e3:g} km" if length >= 1000 else f"{length:g} m"
    ax.text((x0 + x1) / 2, y + 0.015 * (n - s), text, ha="center", va="bottom", fontsize=8, gid="scalebar_label")
    return length


def _stored_unit(product: Product, name: str) -> str:
    return (product.datasets[name].unit or product.attrs.get("UNIT", "")).strip()


#: where the GNSS key arrow may go (axes fraction), in order of preference
KEY_CORNERS = (("upper right", 0.85, 0.9), ("upper left", 0.15, 0.9), ("lower right", 0.85, 0.05),
               ("lower left", 0.15, 0.05))


def key_position(ax, data: MapData, x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray, scale: float,
                 avoid_lower_left: bool) -> tuple[float, float, str]:
    """(X, Y, label position) in axes fraction of the GNSS key: the first corner of :data:`KEY_CORNERS`
    that no arrow (tail to tip, ``scale`` units per axes width) enters, else below the axes (right)."""
    w, e, s, n = data.extent
    ratio = abs(n - s) * (ax.get_aspect() if isinstance(ax.get_aspect(), float) else 1.0) / abs(e - w)
    xt, yt = (x - w) / (e - w), (y - s) / (n - s)
    t = np.linspace(0, 1, 21)[:, None]
    px = (xt + t * u / scale).ravel()
    py = (yt + t * v / scale / ratio).ravel()
    for name, cx, cy in KEY_CORNERS:
        if avoid_lower_left and name == "lower left":
            continue
        inside = (np.abs(px - cx) < 0.16) & (py > cy - 0.06) & (py < cy + 0.11)
        if not inside.any():
            return cx, cy, "N"
    return 0.93, -0.16, "W"             # below the axes, right of the axis label, under the tick labels


def draw_gnss(ax, product: Product, data: MapData, cfg: MapStyle, norm) -> None:
    """GNSS arrows (horizontal; mm/yr, or mm over the period of a displacement map) and/or circles of the
    GNSS in the product's quantity, in the InSAR's frame (GNSS + the offset of :func:`compare`)."""
    from mimtpy.io.gnss import read_stations
    from mimtpy.ops.gnss import compare, gnss_factor, period_years, stations_in
    from mimtpy.ops.units import LENGTH

    if data.crs != "geographic":
        logger.warning("%s: GNSS is drawn on lon/lat maps only; not drawn on this %s map", cfg.gnss.name, data.crs)
        return
    stations = read_stations(cfg.gnss, cfg.gnss_format)
    inside, _r, _c = stations_in(stations, product)
    if len(inside) == 0:
        logger.warning("%s: no GNSS station inside the map", cfg.gnss.name)
        return
    stored = _stored_unit(product, data.name)
    factor = gnss_factor(product, stored)            # m/yr -> stored unit (x period for displacements)
    displacement = stored.lower() in LENGTH
    if cfg.gnss_mode in ("arrows", "both"):
        if displacement and factor is None:
            ax.text(0.5, 0.98, "GNSS arrows omitted: the period of the displacement is unknown", ha="center",
                    va="top", transform=ax.transAxes, fontsize=7, gid="gnss_note")
            logger.warning("%s: no START_DATE/END_DATE: GNSS arrows omitted", product.path.name)
        else:
            # display units of the map (mm/yr, mm); mm/yr on maps of other quantities
            to_display, unit = (factor * data.factor, data.unit) if factor is not None else (1e3, "mm/yr")
            u, v = inside.ve * to_display, inside.vn * to_display
            scale = cfg.gnss_scale or max(float(np.nanmax(np.hypot(u, v))), 1e-3) * 8
            q = ax.quiver(inside.lon, inside.lat, u, v, angles="xy", scale=scale, scale_units="width", width=0.004,
                          color="k", gid="gnss_arrows")
            ref = float(f"{scale / 8:.1g}") or 1.0
            kx, ky, pos = key_position(ax, data, inside.lon, inside.lat, u, v, scale, bool(cfg.scalebar))
            label = f"{ref:g} {unit}" + (f" ({period_years(product):.2f} yr)" if displacement else "")
            key = ax.quiverkey(q, kx, ky, ref, label, labelpos=pos, coordinates="axes", fontproperties={"size": 7})
            key.set_gid("gnss_key")
            key.set_zorder(5)
            # a white frame behind the key; it also keeps a key outside the axes inside a 'tight' saved figure
            x0, y0, w, h = (kx - 0.14, ky - 0.045, 0.28, 0.13) if pos == "N" else (kx - 0.34, ky - 0.045, 0.42, 0.09)
            ax.add_patch(matplotlib.patches.FancyBboxPatch(
                (x0, y0), w, h, boxstyle="round,pad=0.005", transform=ax.transAxes, clip_on=False, fc="white",
                ec="0.6", lw=0.5, alpha=0.85, zorder=4.5, gid="gnss_key_frame"))
    if cfg.gnss_mode in ("los", "both"):
        if factor is None:
            logger.warning("%s: %s is neither a velocity nor a displacement with a period: GNSS not compared",
                           cfg.gnss.name, data.name)
            return
        result = compare(stations, product, product.array(data.name), cfg.gnss_ref, factor=factor)
        ax.scatter(result.stations.lon, result.stations.lat, c=result.gnss_in_insar_frame * data.factor,
                   cmap=color_scale(data.values, cfg, data.name).cmap, norm=norm, s=40, edgecolors="k", zorder=5,
                   gid="gnss_los", label=f"GNSS {result.component} + offset {result.offset * data.factor:.2f} "
                                         f"{data.unit}")


def gnss_scatter(product: Product, data: MapData, cfg: MapStyle, out: Path) -> list[Path]:
    """Scatter InSAR vs GNSS (in the product's quantity, after referencing) with the RMS, and a CSV."""
    from mimtpy.io.gnss import read_stations
    from mimtpy.ops.gnss import compare, gnss_factor

    name = data.name or main_dataset(product)
    values = product.array(name)       # full resolution at the stations
    factor = gnss_factor(product, _stored_unit(product, name)) or 1.0
    result = compare(read_stations(cfg.gnss, cfg.gnss_format), product, values, cfg.gnss_ref, factor=factor)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    g, i = result.gnss_los * data.factor, result.insar * data.factor
    ax.plot(g, i, "o", mfc="tab:blue", mec="k")
    lim = [min(g.min(), i.min()), max(g.max(), i.max())]
    ax.plot(lim, lim, "k--", lw=0.8)
    for site, x, y in zip(result.stations.site, g, i, strict=True):
        ax.annotate(site, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"GNSS {result.component} ({data.unit})")
    ax.set_ylabel(f"InSAR {result.component} ({data.unit})")
    ax.set_title(f"{len(g)} stations, RMS {result.rms * data.factor:.2f} {data.unit}", fontsize=9)
    save_figure(fig, out, cfg)
    return [out, result.write_csv(out.with_suffix(".csv"))]


def make_figure(product: Product, cfg: MapStyle):
    """The matplotlib figure of one map (inspectable by tests); returns (figure, map axes, MapData)."""
    data = map_data(product, cfg.type, cfg.zero_mask)
    dem = shading_dem(product, cfg, data.grid) if data.crs != "pixel" else None
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    image = draw_map(ax, data, cfg, dem)
    map_colorbar(fig, ax, image, data.unit)
    if data.crs == "geographic":
        draw_lines(ax, cfg, data.extent)
    elif vector_files(cfg):
        logger.warning("vector files are lon/lat: not drawn on this %s map", data.crs)
    if cfg.gnss:
        draw_gnss(ax, product, data, cfg, image.norm)
    if cfg.scalebar:
        draw_scalebar(ax, data)
    ax.set_xlim(data.extent[0], data.extent[1])
    ax.set_ylim(data.extent[2], data.extent[3])
    return fig, ax, data


def write_kmz(product: Product, data: MapData, cfg: MapStyle, out: Path) -> Path:
    """A KMZ ground overlay (PNG of the data, transparent where there is none) for Google Earth."""
    scale = color_scale(data.values, cfg, data.name)
    rgba = plt.get_cmap(scale.cmap)(make_norm(data.values, cfg, data.name)(shown_values(data.values, scale)))
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
    """All products on one figure, one panel each (each with its own colour scale)."""
    n = len(paths)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.3 * rows), squeeze=False)
    for ax, path in zip(axes.flat, paths, strict=False):
        data = map_data(open_product(path), zero_mask=cfg.zero_mask)
        image = draw_map(ax, data, cfg)
        map_colorbar(fig, ax, image, data.unit)
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
