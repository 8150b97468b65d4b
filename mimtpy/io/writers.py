"""Block writers: where :func:`mimtpy.core.blocks.process_blocks` puts each block of results.

* :class:`H5Writer` fills datasets of a file made by :func:`mimtpy.io.hdf5.stream_h5`;
* :class:`GeoTiffWriter` writes windows of a tiled, compressed GeoTIFF (:func:`stream_geotiff`);
* :class:`ArrayWriter` fills arrays in memory (small results a step needs whole);
* :class:`Writers` sends each block to several writers.

A result array's rows are its second-to-last axis; its name picks the dataset it goes to.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from mimtpy.core.grid import Grid
from mimtpy.io.atomic import atomic_output
from mimtpy.io.geotiff import geotiff_profile, label_band

logger = logging.getLogger(__name__)


def _rows_key(array: np.ndarray, rows: slice) -> tuple:
    return (slice(None),) * (array.ndim - 2) + (rows, slice(None))


class H5Writer:
    """Writes result ``name`` into ``datasets[name]`` (those it has; others are ignored); with ``names``
    ({result: dataset}) only the results named there, into the datasets they map to."""

    def __init__(self, datasets: Mapping, names: Mapping[str, str] | None = None):
        self.datasets = datasets
        self.names = dict(names or {})       # result name -> dataset name, where they differ

    def write(self, rows: slice, arrays: Mapping[str, np.ndarray]) -> None:
        for name, array in arrays.items():
            target = self.names.get(name) if self.names else name
            if target in self.datasets:
                self.datasets[target][_rows_key(np.asarray(array), rows)] = array


class ArrayWriter:
    """Fills in-memory arrays of the given shapes (NaN, or 0 for integer dtypes, where never written)."""

    def __init__(self, shapes: Mapping[str, tuple[int, ...]], dtypes: Mapping[str, np.dtype] | None = None):
        self.arrays = {}
        for name, shape in shapes.items():
            dtype = np.dtype((dtypes or {}).get(name, np.float32))
            self.arrays[name] = np.full(shape, np.nan if dtype.kind == "f" else 0, dtype)

    def write(self, rows: slice, arrays: Mapping[str, np.ndarray]) -> None:
        for name, array in arrays.items():
            if name in self.arrays:
                self.arrays[name][_rows_key(self.arrays[name], rows)] = array


class GeoTiffWriter:
    """Writes result ``name`` into band 1 of an open GeoTIFF, window by window."""

    def __init__(self, dataset, name: str):
        self.dataset, self.name = dataset, name

    def write(self, rows: slice, arrays: Mapping[str, np.ndarray]) -> None:
        if self.name in arrays:
            block = np.asarray(arrays[self.name], dtype=np.float32)
            self.dataset.write(block, 1, window=Window(0, rows.start, block.shape[-1], rows.stop - rows.start))


class Writers:
    """Several writers fed with the same blocks."""

    def __init__(self, *writers):
        self.writers = [w for w in writers if w is not None]

    def write(self, rows: slice, arrays: Mapping[str, np.ndarray]) -> None:
        for writer in self.writers:
            writer.write(rows, arrays)


@contextlib.contextmanager
def stream_geotiff(path: str | Path, grid: Grid, tags: dict | None = None, description: str = "",
                   unit: str = "") -> Iterator:
    """An open float32 GeoTIFF (``write(block, 1, window=...)``), the same profile and band labels
    as :func:`mimtpy.io.geotiff.write_geotiff`; it appears under ``path`` only when complete."""
    path = Path(path)
    with atomic_output(path) as tmp:
        with rasterio.open(tmp, "w", **geotiff_profile(grid)) as dst:
            label_band(dst, path, tags, description, unit)
            yield dst
    logger.info("wrote %s", path)
