"""Maps of products (``plot`` step, script ``plot_geotiff.py``).

A map is drawn in lon/lat (pixel-is-area extent from the grid), with a colorbar in
display units (velocity in mm/yr, displacement in mm, other data as stored), a title with
the quantity, period and track, and the reference point as a black square.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mimtpy.basic.velcumu import project_name
from mimtpy.config import PlotConfig
from mimtpy.context import RunContext
from mimtpy.errors import InputError
from mimtpy.io import Product, open_product
from mimtpy.io.atomic import atomic_output

logger = logging.getLogger(__name__)

#: stored unit -> (display unit, factor)
DISPLAY_UNITS = {"m/year": ("mm/yr", 1000.0), "m/yr": ("mm/yr", 1000.0), "m": ("mm", 1000.0)}
PLOTTABLE = (".h5", ".he5", ".tif", ".tiff")


@dataclass
class MapData:
    """What one map shows: values in display units, extent, labels."""

    values: np.ndarray
    extent: tuple[float, float, float, float]
    unit: str
    title: str
    ref: tuple[float, float] | None


def main_dataset(product: Product) -> str:
    """The dataset a map of ``product`` shows: the one named like FILE_TYPE, else the first 2-D one."""
    if product.file_type in product.datasets and not product.datasets[product.file_type].is_3d:
        return product.file_type
    for info in product.datasets.values():
        if not info.is_3d:
            return info.name
    raise InputError(f"{product.path}: no 2-D dataset to plot (a time series needs velcumu first)")


def map_data(product: Product, name: str | None = None) -> MapData:
    """Read the dataset to plot and convert it to display units."""
    name = name or main_dataset(product)
    values = product.read(name).astype(np.float64)
    stored = product.attrs.get("UNIT", product.datasets[name].unit)
    if name.endswith("Std") or name in ("velocity", "displacement"):
        unit, factor = DISPLAY_UNITS.get(stored, (stored, 1.0))
    else:
        unit, factor = (product.datasets[name].unit or "", 1.0)
    s, n, w, e = product.grid.snwe
    a = product.attrs
    period = f" {a['START_DATE']}-{a['END_DATE']}" if "START_DATE" in a and "END_DATE" in a else ""
    track = ""
    if "ORBIT_DIRECTION" in a:
        track = f" {a['ORBIT_DIRECTION'][:3].lower()}" + (f" T{a['relative_orbit']}" if "relative_orbit" in a else "")
    ref = (float(a["REF_LAT"]), float(a["REF_LON"])) if "REF_LAT" in a and "REF_LON" in a else None
    label = f"{a['COMPONENT']} {name}" if "COMPONENT" in a else name
    return MapData(values * factor, (w, e, s, n), unit, f"{label}{period}{track}", ref)


def draw_map(ax, data: MapData, cfg: PlotConfig):
    """Draw one map on ``ax``; returns the image (for the colorbar)."""
    finite = data.values[np.isfinite(data.values)]
    if cfg.vlim:
        vmin, vmax = cfg.vlim
    elif finite.size == 0:
        vmin, vmax = -1.0, 1.0
    elif cfg.colormap in ("RdBu_r", "RdBu", "jet", "coolwarm", "seismic", "bwr") and finite.min() < 0 < finite.max():
        lim = float(np.percentile(np.abs(finite), 98)) or 1.0
        vmin, vmax = -lim, lim
    else:
        vmin, vmax = (float(v) for v in np.percentile(finite, [1, 99]))
    image = ax.imshow(data.values, extent=data.extent, cmap=cfg.colormap, vmin=vmin, vmax=vmax,
                      interpolation="nearest", origin="upper")
    if data.ref:
        ax.plot(data.ref[1], data.ref[0], "ks", ms=5, mfc="k", label="reference")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
    ax.set_xlabel("Longitude (deg)")
    ax.set_ylabel("Latitude (deg)")
    ax.set_title(data.title, fontsize=9)
    ax.set_aspect(1 / np.cos(np.deg2rad(np.mean(data.extent[2:]))))
    return image


def plot_product(path: Path, cfg: PlotConfig, out: Path) -> Path:
    """One map of a product, written atomically to ``out``."""
    data = map_data(open_product(path))
    fig, ax = plt.subplots(figsize=(6, 5))
    image = draw_map(ax, data, cfg)
    fig.colorbar(image, ax=ax, label=data.unit, shrink=0.8)
    _save(fig, out, cfg)
    return out


def plot_overview(paths: list[Path], cfg: PlotConfig, out: Path) -> Path:
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
    _save(fig, out, cfg)
    return out


def _save(fig, out: Path, cfg: PlotConfig) -> None:
    with atomic_output(out) as tmp:
        fig.savefig(tmp, dpi=cfg.dpi, format=cfg.format, bbox_inches="tight")
    plt.close(fig)
    logger.info("wrote %s", out)


def run(cfg: PlotConfig, ctx: RunContext) -> list[Path]:
    """Map every file of DataSet (auto = the products made earlier in this run) and an overview."""
    if cfg.dataset:
        paths = [p if p.is_absolute() else ctx.project_dir / p for p in map(Path, cfg.dataset)]
    else:
        paths = [p for p in ctx.produced if p.suffix in (".h5",) and p.name != "truth.h5"]
    if not paths:
        raise InputError("mimtpy.plot: nothing to plot; set mimtpy.plot.DataSet or enable a step that makes products")
    outputs = []
    for path in paths:
        folder = cfg.outdir or path.parent
        outputs.append(plot_product(path, cfg, folder / f"{path.stem}.{cfg.format}"))
    if cfg.overview:
        outputs.append(plot_overview(paths, cfg, (cfg.outdir or ctx.project_dir) / f"overview.{cfg.format}"))
    return outputs
