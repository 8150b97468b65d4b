"""Product I/O behind one entry point, :func:`open_product`.

Readers are registered in :data:`READERS` in the order they are tried; each one has a
cheap ``accepts(path)`` test on the name and file signature. Steps never use h5py or
rasterio directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py

from mimtpy.errors import ProductError
from mimtpy.io.cube_write import write_cube
from mimtpy.io.geotiff import read_geotiff, write_geotiff
from mimtpy.io.hdf5 import (
    HDFEOS_ROOT,
    read_hdfeos5,
    read_mintpy_h5,
    read_settings,
    stream_h5,
    stream_hdfeos5,
    write_h5,
    write_hdfeos5,
)
from mimtpy.io.ifgram import IfgramStack, open_ifgram_stack
from mimtpy.io.netcdf import is_cube, is_zarr, read_cube
from mimtpy.io.product import DatasetInfo, Product
from mimtpy.io.roipac import KINDS as ROIPAC_KINDS
from mimtpy.io.roipac import read_roipac


@dataclass(frozen=True)
class Reader:
    name: str
    description: str
    accepts: Callable[[Path], bool]
    open: Callable[[Path], Product]


def _is_hdfeos5(path: Path) -> bool:
    if path.suffix.lower() == ".he5":
        return True
    if path.suffix.lower() != ".h5" or not h5py.is_hdf5(path):
        return False
    with h5py.File(path, "r") as f:
        return HDFEOS_ROOT in f


READERS: list[Reader] = [
    Reader("hdfeos5", "MintPy HDF-EOS5 time series (S1*.he5)", _is_hdfeos5, read_hdfeos5),
    Reader("mintpy", "MintPy HDF5 (timeseries, velocity, geometry, coherence, mask .h5)",
           lambda p: p.suffix.lower() == ".h5", read_mintpy_h5),
    Reader("geotiff", "single-band GeoTIFF", lambda p: p.suffix.lower() in (".tif", ".tiff"), read_geotiff),
    Reader("roipac", "geocoded ROI_PAC .unw/.int/.cor/.hgt with .rsc", lambda p: p.suffix.lower() in ROIPAC_KINDS,
           read_roipac),
    Reader("cube", "NetCDF/Zarr datacube (mimtpy, LiCSBAS/AlignSAR, ITS_LIVE)", is_cube, read_cube),
]


def open_product(path: str | Path, mask: bool = True) -> Product:
    """Open any supported product lazily; ProductError names the file and the problem.

    ``mask``: apply the product's own mask (LiCSBAS/LiCSAR products; no effect on the formats read here yet).
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ProductError(f"{path}: file not found")
    if path.is_dir() and not is_zarr(path):
        raise ProductError(f"{path}: is a directory, expected a product file")
    for reader in READERS:
        try:
            accepted = reader.accepts(path)
        except OSError:
            accepted = False
        if accepted:
            try:
                return reader.open(path)
            except ProductError:
                raise
            except OSError as err:       # unreadable (permissions), truncated, ...
                raise ProductError(f"{path}: cannot read it as {reader.description}: {err}") from None
    kinds = "; ".join(f"{r.description}" for r in READERS)
    raise ProductError(f"{path}: unknown product type (supported: {kinds})")


__all__ = ["READERS", "DatasetInfo", "IfgramStack", "Product", "open_ifgram_stack", "open_product", "read_settings",
           "stream_h5", "stream_hdfeos5", "write_cube", "write_geotiff", "write_h5", "write_hdfeos5"]
