"""GeoTIFF reader and writer (rasterio).

Written files: float32, NaN as nodata, deflate-compressed, tiled 256x256, CRS from the
grid's EPSG (MintPy ``EPSG``/``UTM_ZONE``, else EPSG:4326), transform
``(X_FIRST, X_STEP, 0, Y_FIRST, 0, Y_STEP)``; MintPy attributes kept as tags.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioIOError

from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io.atomic import atomic_output
from mimtpy.io.product import DatasetInfo, Product

logger = logging.getLogger(__name__)


def read_geotiff(path: str | Path) -> Product:
    """Open a single-band GeoTIFF lazily; the band is exposed under its FILE_TYPE tag or 'data'."""
    path = Path(path)
    if not path.exists():
        raise ProductError(f"{path}: file not found")
    try:
        with rasterio.open(path) as src:
            if src.count != 1:
                raise ProductError(f"{path}: {src.count} bands; a single-band GeoTIFF is expected")
            t = src.transform
            if t.b != 0 or t.d != 0:
                raise ProductError(f"{path}: rotated geotransform is not supported")
            epsg = src.crs.to_epsg() if src.crs else 4326
            georeferenced = src.crs is not None or not t.is_identity
            tags = {k: str(v) for k, v in src.tags().items()}
            grid = Grid(src.width, src.height, t.c, t.f, t.a, t.e, epsg or 4326)
            dtype = np.dtype(src.dtypes[0])
            nodata = src.nodata
    except RasterioIOError as err:
        raise ProductError(f"{path}: cannot open as GeoTIFF: {err}") from None
    attrs = {**tags, **grid.to_attrs()}
    if not georeferenced:       # no CRS and no geotransform: the grid is pixel numbers, not degrees
        logger.warning("%s: no geotransform and no CRS: not georeferenced (pixel coordinates)", path)
        attrs["GEOREFERENCED"] = "no"
    # PyRate/GAMMA GeoTIFF tags -> MintPy attribute names
    if "DATA_UNITS" in tags and "UNIT" not in tags:
        attrs["UNIT"] = {"radians": "radian", "millimetres": "mm", "metres": "m"}.get(tags["DATA_UNITS"].lower(),
                                                                                    tags["DATA_UNITS"].lower())
    if "WAVELENGTH_METRES" in tags and "WAVELENGTH" not in tags:
        attrs["WAVELENGTH"] = tags["WAVELENGTH_METRES"]
    name = tags.get("FILE_TYPE", "data")
    attrs.setdefault("FILE_TYPE", name)
    datasets = {name: DatasetInfo(name, grid.shape, np.dtype(np.float32) if dtype.kind == "f" else dtype,
                                  attrs.get("UNIT", ""))}

    return Product(path, "geotiff", attrs, grid, datasets, [],
                   functools.partial(_read_band, path, grid.shape, nodata))


def _read_band(path: Path, shape: tuple[int, int], nodata, _name, _epochs, rows: slice, cols: slice) -> np.ndarray:
    """A window of the band, float data as float32 with nodata as NaN (module level: products pickle)."""
    r0, r1, _ = rows.indices(shape[0])
    c0, c1, _ = cols.indices(shape[1])
    with rasterio.open(path) as src:
        data = src.read(1, window=((r0, r1), (c0, c1)))
    if data.dtype.kind == "f":
        data = data.astype(np.float32, copy=False)
        if nodata is not None and not np.isnan(nodata):
            data[data == nodata] = np.nan
    return data


def geotiff_profile(grid: Grid) -> dict:
    """The rasterio profile of every GeoTIFF mimtpy writes (float32, NaN nodata, deflate, 256x256 tiles)."""
    return {
        "driver": "GTiff", "width": grid.width, "height": grid.length,
        "count": 1, "dtype": "float32", "nodata": np.nan,
        "crs": f"EPSG:{grid.epsg}",
        "transform": rasterio.Affine(grid.x_step, 0, grid.x_first, 0, grid.y_step, grid.y_first),
        "compress": "deflate", "zlevel": 1, "predictor": 3, "num_threads": "all_cpus",
        "tiled": True, "blockxsize": 256, "blockysize": 256,
    }


def write_geotiff(path: str | Path, data: np.ndarray, grid: Grid, tags: dict | None = None) -> Path:
    """Write a 2-D array as a compressed, tiled float32 GeoTIFF with NaN nodata, atomically."""
    path = Path(path)
    data = np.asarray(data, dtype=np.float32)
    if data.shape != grid.shape:
        raise ValueError(f"array shape {data.shape} does not match grid {grid.shape}")
    with atomic_output(path) as tmp:
        with rasterio.open(tmp, "w", **geotiff_profile(grid)) as dst:
            dst.write(data, 1)
            if tags:
                dst.update_tags(**{k: str(v) for k, v in tags.items()})
    logger.info("wrote %s", path)
    return path
