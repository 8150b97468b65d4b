"""LOS geometry of a product: the ground-to-satellite unit vector (east, north, up) of every pixel.

Found, in this order: E/N/U rasters (LiCSAR/LiCSBAS), a geometry file given by the user, the
product itself (HDF-EOS5), the product named in ``FILE_PATH`` or a MintPy ``geometryGeo.h5`` (or
HDF-EOS5) near the file, and last the ``HEADING`` and ``CENTER_INCIDENCE_ANGLE`` attributes
(constant geometry, logged). Angles follow MintPy: incidence from the vertical, azimuth of the
ground-to-satellite vector from north, anticlockwise (:mod:`mimtpy.core.geometry`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mimtpy.core.geometry import heading_to_azimuth, los_unit_vector
from mimtpy.core.grid import Grid
from mimtpy.core.resample import resample
from mimtpy.errors import ProductError
from mimtpy.io import Product, open_product

logger = logging.getLogger(__name__)


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


def _angles_from(source: Product, grid: Grid) -> tuple[np.ndarray, np.ndarray] | None:
    if "incidenceAngle" not in source.datasets or "azimuthAngle" not in source.datasets:
        return None
    inc = resample(source.read("incidenceAngle"), source.grid, grid, "nearest")
    az = resample(source.read("azimuthAngle"), source.grid, grid, "nearest")
    return inc, az


def load_geometry(product: Product, grid: Grid, geometry: Path | None = None,
                  enu: tuple[Path, Path, Path] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north, up components of the LOS unit vector on ``grid``; see the module docstring."""
    if enu:
        comps = []
        for path in enu:
            src = open_product(path)
            comps.append(resample(src.read(next(iter(src.datasets))), src.grid, grid, "nearest"))
        norm = np.sqrt(comps[0] ** 2 + comps[1] ** 2 + comps[2] ** 2)
        if np.nanmax(np.abs(norm - 1)) > 0.01:
            raise ProductError(f"{enu[0]}: E/N/U rasters are not a unit vector (|v| up to {np.nanmax(norm):.3f})")
        logger.info("%s: LOS geometry from E/N/U rasters %s", product.path.name, ", ".join(p.name for p in enu))
        return comps[0], comps[1], comps[2]
    sources = [open_product(geometry)] if geometry else [product]
    if not geometry:
        for path in _geometry_sources(product):
            try:
                sources.append(open_product(path))
            except ProductError as err:
                logger.debug("not a geometry source: %s", err)
    for source in sources:
        angles = _angles_from(source, grid)
        if angles is not None:
            logger.info("%s: per-pixel LOS geometry from %s", product.path.name, source.path)
            return los_unit_vector(*angles)
    if geometry:
        raise ProductError(f"{geometry}: no incidenceAngle and azimuthAngle datasets")
    a = product.attrs
    if "HEADING" in a and "CENTER_INCIDENCE_ANGLE" in a:
        inc, az = float(a["CENTER_INCIDENCE_ANGLE"]), float(heading_to_azimuth(float(a["HEADING"])))
        logger.warning("%s: no geometry file found; using constant geometry from attributes "
                       "(incidence %.2f, azimuth %.2f deg, right-looking)", product.path.name, inc, az)
        e, n, u = los_unit_vector(np.full(grid.shape, inc), np.full(grid.shape, az))
        return e, n, u
    raise ProductError(f"{product.path}: no LOS geometry: give a geometry file (incidenceAngle, azimuthAngle), "
                       "E/N/U rasters, or the HEADING and CENTER_INCIDENCE_ANGLE attributes")
