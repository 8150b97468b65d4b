"""LOS geometry of a product: the ground-to-satellite unit vector (east, north, up) of every pixel.

Found, in this order: E/N/U rasters (LiCSAR/LiCSBAS), a geometry file given by the user, the
product's own ``losEast``/``losNorth``/``losUp`` datasets (LiCSAR/LiCSBAS frame folders, :mod:`mimtpy.io.licsbas`),
the product itself (HDF-EOS5), the product named in ``FILE_PATH`` or a MintPy ``geometryGeo.h5`` (or
HDF-EOS5) near the file, and last the ``HEADING`` and ``CENTER_INCIDENCE_ANGLE`` attributes
(constant geometry, logged). Angles follow MintPy: incidence from the vertical, azimuth of the
ground-to-satellite vector from north, anticlockwise (:mod:`mimtpy.core.geometry`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mimtpy.core.arrays import DerivedArray, ResampledArray, StackedArray
from mimtpy.core.blocks import ArrayLike
from mimtpy.core.geometry import heading_to_azimuth, los_unit_vector
from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io import Product, open_product

logger = logging.getLogger(__name__)

#: datasets of a product that hold its LOS unit vector (ground to satellite)
ENU_DATASETS = ("losEast", "losNorth", "losUp")


def _geometry_sources(product: Product) -> list[Path]:
    """Files that may hold the geometry of ``product``, nearest first."""
    here = product.path.parent
    candidates = []
    if "FILE_PATH" in product.attrs:
        candidates.append(Path(product.attrs["FILE_PATH"]))
    for folder in (here, here.parent):
        candidates += [folder / "inputs" / "geometryGeo.h5", folder / "geometryGeo.h5"]
        candidates += sorted(folder.glob("*.he5"))
    return [c for c in candidates if c.exists() and c.resolve() != product.path.resolve()]


def _enu_from_angles(blocks: dict[str, np.ndarray], window: tuple[slice, slice]) -> np.ndarray:
    """(3, rows, cols) LOS unit vector of incidence/azimuth windows (degrees)."""
    return np.stack(los_unit_vector(blocks["inc"], blocks["az"]))


def _constant_enu(blocks: dict, window: tuple[slice, slice], inc: float, az: float) -> np.ndarray:
    """(3, rows, cols) LOS unit vector of one constant incidence/azimuth (degrees)."""
    shape = (window[0].stop - window[0].start, window[1].stop - window[1].start)
    return np.stack(los_unit_vector(np.full(shape, inc), np.full(shape, az)))


def _angles_array(source: Product, grid: Grid) -> DerivedArray | None:
    """The LOS unit vector on ``grid`` from a source's incidenceAngle/azimuthAngle (nearest), or None."""
    if "incidenceAngle" not in source.datasets or "azimuthAngle" not in source.datasets:
        return None
    inputs = {"inc": ResampledArray(source.array("incidenceAngle"), source.grid, grid, "nearest"),
              "az": ResampledArray(source.array("azimuthAngle"), source.grid, grid, "nearest")}
    return DerivedArray(inputs, _enu_from_angles, grid.shape, lead=(3,), dtype=np.float64)


def _check_unit_vector(enu: Sequence[Path], array: StackedArray, grid: Grid) -> None:
    """ProductError when E/N/U rasters are not a unit vector (checked on a sample of rows)."""
    rows = sorted({0, grid.length // 2, grid.length - 1})
    for row in rows:
        e, n, u = array[:, row:row + 1, :]
        norm = np.sqrt(e**2 + n**2 + u**2)
        if np.isfinite(norm).any() and np.nanmax(np.abs(norm - 1)) > 0.01:
            raise ProductError(f"{enu[0]}: E/N/U rasters are not a unit vector (|v| up to {np.nanmax(norm):.3f})")


def geometry_array(product: Product, grid: Grid, geometry: Path | None = None,
                   enu: tuple[Path, Path, Path] | None = None) -> ArrayLike:
    """The LOS unit vector (east, north, up; ground to satellite) of every pixel of ``grid`` as a lazy
    (3, length, width) array; see the module docstring for where it comes from."""
    if enu:
        sources = [open_product(path) for path in enu]
        array = StackedArray([ResampledArray(src.array(next(iter(src.datasets))), src.grid, grid, "nearest")
                              for src in sources])
        _check_unit_vector(enu, array, grid)
        logger.info("%s: LOS geometry from E/N/U rasters %s", product.path.name, ", ".join(p.name for p in enu))
        return array
    if not geometry and all(name in product.datasets for name in ENU_DATASETS):
        logger.info("%s: LOS geometry from its %s datasets", product.path.name, "/".join(ENU_DATASETS))
        return StackedArray([ResampledArray(product.array(name), product.grid, grid, "nearest")
                             for name in ENU_DATASETS])
    sources = [open_product(geometry)] if geometry else [product]
    if not geometry:
        for path in _geometry_sources(product):
            try:
                sources.append(open_product(path))
            except ProductError as err:
                logger.debug("not a geometry source: %s", err)
    for source in sources:
        array = _angles_array(source, grid)
        if array is not None:
            logger.info("%s: per-pixel LOS geometry from %s", product.path.name, source.path)
            return array
    if geometry:
        raise ProductError(f"{geometry}: no incidenceAngle and azimuthAngle datasets")
    a = product.attrs
    if "HEADING" in a and "CENTER_INCIDENCE_ANGLE" in a:
        inc, az = float(a["CENTER_INCIDENCE_ANGLE"]), float(heading_to_azimuth(float(a["HEADING"])))
        logger.warning("%s: no geometry file found; using constant geometry from attributes "
                       "(incidence %.2f, azimuth %.2f deg, right-looking)", product.path.name, inc, az)
        return DerivedArray({}, functools.partial(_constant_enu, inc=inc, az=az), grid.shape, lead=(3,),
                            dtype=np.float64)
    raise ProductError(f"{product.path}: no LOS geometry: give a geometry file (incidenceAngle, azimuthAngle), "
                       "E/N/U rasters, or the HEADING and CENTER_INCIDENCE_ANGLE attributes")


def load_geometry(product: Product, grid: Grid, geometry: Path | None = None,
                  enu: tuple[Path, Path, Path] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north, up components of the LOS unit vector on ``grid``, read whole (small grids;
    :func:`geometry_array` reads block by block)."""
    e, n, u = geometry_array(product, grid, geometry, enu)[...]
    return e, n, u
