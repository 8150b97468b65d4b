"""LOS geometry of a product: the ground-to-satellite unit vector (east, north, up) of every pixel.

Found, in this order: E/N/U rasters (LiCSAR/LiCSBAS), a geometry file given by the user, the
product's own ``losEast``/``losNorth``/``losUp`` datasets (LiCSAR/LiCSBAS frame folders, :mod:`mimtpy.io.licsbas`),
the product itself (HDF-EOS5), the product named in ``FILE_PATH`` or a MintPy ``geometryGeo.h5`` (or
HDF-EOS5) near the file, and last the ``HEADING`` and ``CENTER_INCIDENCE_ANGLE`` attributes
(constant geometry, logged). Angles follow MintPy: incidence from the vertical, azimuth of the
ground-to-satellite vector from north, anticlockwise (:mod:`mimtpy.core.geometry`).

Geometry taken from another file than the product must be of the same track
(:func:`track_differences`): the same ``ORBIT_DIRECTION`` and track number (``relative_orbit`` /
``trackNumber``) where both files state them, a look azimuth within :data:`HEADING_TOLERANCE`
degrees (both ``HEADING`` attributes, else both mean ``azimuthAngle``, else one of each;
left-looking when ``ANTENNA_SIDE`` = 1), the same CRS and an overlapping
extent. A file found near the product that differs is skipped for a matching one; when none
matches, or the user's geometry file or ``FILE_PATH`` differs, ProductError names both files and
what differs. A ``FILE_PATH`` that no longer exists is logged and the next source is tried. A product
that states nothing of its track (no ``ORBIT_DIRECTION``, track number, ``HEADING`` or ``azimuthAngle``,
e.g. a bare GeoTIFF) cannot be checked: a file found near it is refused (give the geometry file).
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
from mimtpy.ops.attrs import track_number

logger = logging.getLogger(__name__)

#: datasets of a product that hold its LOS unit vector (ground to satellite)
ENU_DATASETS = ("losEast", "losNorth", "losUp")


#: largest difference (degrees) between the look azimuths of a product and of geometry from another file
HEADING_TOLERANCE = 1.0
#: the same when one file gives its HEADING (scene centre) and the other only per-pixel azimuthAngle: across a
#: 250 km swath the look azimuth varies by a few degrees, so their mean and the centre heading differ more
MIXED_HEADING_TOLERANCE = 3.0


def _geometry_sources(product: Product) -> list[tuple[Path, str]]:
    """Files that may hold the geometry of ``product``, nearest first, with where each was found
    (``FILE_PATH`` first; one that no longer exists is logged and left out)."""
    here = product.path.parent
    candidates: list[tuple[Path, str]] = []
    if product.attrs.get("FILE_PATH"):
        stated = Path(product.attrs["FILE_PATH"])
        if stated.exists():
            candidates.append((stated, "its FILE_PATH attribute"))
        else:
            logger.info("%s: FILE_PATH %s no longer exists; looking for the geometry near the file",
                        product.path.name, stated)
    for folder in (here, here.parent):
        found = [folder / "inputs" / "geometryGeo.h5", folder / "geometryGeo.h5", *sorted(folder.glob("*.he5"))]
        candidates += [(c, f"found in {folder}") for c in found]
    seen, out = {product.path.resolve()}, []
    for path, origin in candidates:
        if path.exists() and path.resolve() not in seen:
            seen.add(path.resolve())
            out.append((path, origin))
    return out


def _track_number(attrs: dict) -> str | None:
    return track_number(attrs)


def _heading_azimuth(product: Product) -> float | None:
    """LOS azimuth (degrees) from the ``HEADING`` attribute (left-looking when ``ANTENNA_SIDE`` = 1, as
    MintPy), or None."""
    try:
        heading = float(product.attrs["HEADING"])
    except (KeyError, ValueError):
        return None
    left = str(product.attrs.get("ANTENNA_SIDE", "-1")).strip() in ("1", "1.0")
    return float(heading_to_azimuth(heading, right_looking=not left))


def _mean_azimuth(product: Product) -> float | None:
    """Circular mean of ``azimuthAngle`` (degrees) on three rows (first, middle, last), or None."""
    if "azimuthAngle" not in product.datasets:
        return None
    length = product.grid.length
    rows = [product.read("azimuthAngle", slice(r, r + 1)) for r in sorted({0, length // 2, length - 1})]
    az = np.deg2rad(np.concatenate([r.ravel() for r in rows]).astype(np.float64))
    az = az[np.isfinite(az)]
    if az.size == 0:
        return None
    return float(np.degrees(np.arctan2(np.sin(az).mean(), np.cos(az).mean())))


def look_azimuths(product: Product, source: Product) -> tuple[float, float, float] | None:
    """The look azimuths (degrees, MintPy convention) of two files compared like with like, and the
    tolerance of that comparison: both ``HEADING`` attributes or both mean ``azimuthAngle``
    (:data:`HEADING_TOLERANCE`), else one of each (:data:`MIXED_HEADING_TOLERANCE`); None when either has
    neither."""
    h1, h2 = _heading_azimuth(product), _heading_azimuth(source)
    if h1 is not None and h2 is not None:
        return h1, h2, HEADING_TOLERANCE
    m1, m2 = _mean_azimuth(product), _mean_azimuth(source)
    if m1 is not None and m2 is not None:
        return m1, m2, HEADING_TOLERANCE
    a1, a2 = (h1 if h1 is not None else m1), (h2 if h2 is not None else m2)
    return None if a1 is None or a2 is None else (a1, a2, MIXED_HEADING_TOLERANCE)


def track_differences(product: Product, source: Product, grid: Grid | None = None) -> list[str]:
    """What tells ``source`` (a geometry file) apart from the track of ``product`` (empty when they
    match): orbit direction, track number, look azimuth beyond :data:`HEADING_TOLERANCE`, CRS, extent
    (of ``grid``, the product's grid by default). Only what both files state is compared."""
    grid = grid or product.grid
    a, b = product.attrs, source.attrs
    diffs = []
    d1, d2 = str(a.get("ORBIT_DIRECTION", "")).upper(), str(b.get("ORBIT_DIRECTION", "")).upper()
    if d1 and d2 and d1 != d2:
        diffs.append(f"ORBIT_DIRECTION {d1} vs {d2}")
    t1, t2 = _track_number(a), _track_number(b)
    if t1 and t2 and t1 != t2:
        diffs.append(f"track {t1} vs {t2}")
    azimuths = look_azimuths(product, source)
    if azimuths is not None:
        az1, az2, tolerance = azimuths
        gap = abs((az1 - az2 + 180.0) % 360.0 - 180.0)
        if gap > tolerance:
            diffs.append(f"look azimuth {az1:.1f} vs {az2:.1f} deg (differ by {gap:.1f} > {tolerance:g} deg)")
    if source.grid.epsg != grid.epsg:
        diffs.append(f"CRS EPSG:{grid.epsg} vs EPSG:{source.grid.epsg}")
    else:
        s1, n1, w1, e1 = grid.snwe
        s2, n2, w2, e2 = source.grid.snwe
        if s2 >= n1 or s1 >= n2 or w2 >= e1 or w1 >= e2:
            diffs.append(f"extent S{s1:.4f} N{n1:.4f} W{w1:.4f} E{e1:.4f} vs S{s2:.4f} N{n2:.4f} W{w2:.4f} "
                         f"E{e2:.4f} (no overlap)")
    return diffs


def _refuse(product: Product, source: Product, origin: str, diffs: list[str]) -> ProductError:
    return ProductError(f"{product.path}: the LOS geometry in {source.path} ({origin}) is not of this track: "
                        f"{'; '.join(diffs)}; give the geometry file of this track (incidenceAngle, azimuthAngle)")


def states_its_track(product: Product) -> bool:
    """Whether ``product`` says anything :func:`track_differences` can compare its track with (orbit
    direction, track number, ``HEADING`` or ``azimuthAngle``)."""
    a = product.attrs
    return bool(str(a.get("ORBIT_DIRECTION", "")).strip() or _track_number(a) or _heading_azimuth(product) is not None
                or "azimuthAngle" in product.datasets)


def _external_source(product: Product, grid: Grid) -> Product | None:
    """The first file near ``product`` (or in its ``FILE_PATH``) with incidence and azimuth angles of the
    same track; ProductError when ``FILE_PATH`` names another track, or when only other tracks are found."""
    refused: list[tuple[Product, str, list[str]]] = []
    for path, origin in _geometry_sources(product):
        try:
            source = open_product(path)
        except ProductError as err:
            logger.debug("not a geometry source: %s", err)
            continue
        if "incidenceAngle" not in source.datasets or "azimuthAngle" not in source.datasets:
            continue
        diffs = track_differences(product, source, grid)
        if not diffs and not origin.startswith("its FILE_PATH") and not states_its_track(product):
            raise ProductError(f"{product.path}: states no ORBIT_DIRECTION, relative_orbit/trackNumber, HEADING or "
                               f"azimuthAngle, so the LOS geometry in {source.path} ({origin}) cannot be checked "
                               "against its track; give the geometry file of this track (incidenceAngle, "
                               "azimuthAngle) or its E/N/U rasters")
        if not diffs:
            return source
        if origin.startswith("its FILE_PATH"):
            raise _refuse(product, source, origin, diffs)
        logger.info("%s: geometry in %s is of another track (%s); skipped", product.path.name, path, "; ".join(diffs))
        refused.append((source, origin, diffs))
    if refused:
        raise _refuse(product, *refused[0])
    return None


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
    if geometry:
        source = open_product(geometry)
        diffs = track_differences(product, source, grid) if Path(geometry).resolve() != product.path.resolve() else []
        if diffs:
            raise _refuse(product, source, "the geometry file given", diffs)
        sources = [source]
    else:
        sources = [product]
        if _angles_array(product, grid) is None:
            external = _external_source(product, grid)
            sources += [external] if external is not None else []
    for source in sources:
        array = _angles_array(source, grid)
        if array is not None:
            logger.info("%s: per-pixel LOS geometry from %s", product.path.name, source.path)
            return array
    if geometry:
        raise ProductError(f"{geometry}: no incidenceAngle and azimuthAngle datasets")
    a = product.attrs
    if "HEADING" in a and "CENTER_INCIDENCE_ANGLE" in a and _heading_azimuth(product) is not None:
        inc, az = float(a["CENTER_INCIDENCE_ANGLE"]), _heading_azimuth(product)
        logger.warning("%s: no geometry file found; using constant geometry from attributes "
                       "(incidence %.2f, azimuth %.2f deg, %s-looking)", product.path.name, inc, az,
                       "left" if str(a.get("ANTENNA_SIDE", "-1")).strip() in ("1", "1.0") else "right")
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
