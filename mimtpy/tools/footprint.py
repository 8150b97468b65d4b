"""Footprint of a product as a polygon (script ``generate_track_polygon.py``).

Methods: ``data`` (outline of the valid pixels: pixel edges, holes kept; non-NaN and non-zero
in the main dataset, or its geometry for a time series), ``grid`` (the box of the grid),
``attributes`` (the scene corners ``LAT_REF1..4``/``LON_REF1..4``). Written as GeoJSON,
shapefile, KML or GMT multi-segment text, chosen by the output suffix (EPSG:4326).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mimtpy.errors import InputError, ProductError
from mimtpy.io import Product
from mimtpy.io.atomic import atomic_output
from mimtpy.io.vectors import write_features
from mimtpy.ops.attrs import track_number
from mimtpy.ops.paths import project_name

logger = logging.getLogger(__name__)
SUFFIX_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile", ".kml": "KML",
                  ".gmt": "gmt", ".txt": "gmt"}


def valid_mask(product: Product) -> np.ndarray:
    """Pixels with data: finite and non-zero in the main 2-D dataset (first epoch excluded for time series)."""
    if "timeseries" in product.datasets:
        data = product.read("timeseries", epochs=np.array([len(product.dates) - 1]))[0]
    else:
        from mimtpy.ops.datasets import main_dataset
        data = product.read(main_dataset(product))
    data = np.asarray(data, dtype=np.float64)
    return np.isfinite(data) & (data != 0)


def footprint(product: Product, method: str = "data"):
    """Shapely (Multi)Polygon of the product's footprint in lon/lat; see the module docstring."""
    import shapely
    from shapely.geometry import shape

    grid = product.grid
    if method == "grid":
        s, n, w, e = grid.snwe
        return shapely.box(w, s, e, n)
    if method == "attributes":
        keys = [f"{c}_REF{i}" for i in range(1, 5) for c in ("LAT", "LON")]
        missing = [k for k in keys if k not in product.attrs]
        if missing:
            raise ProductError(f"{product.path}: footprint from attributes needs {', '.join(missing)}")
        pts = [(float(product.attrs[f"LON_REF{i}"]), float(product.attrs[f"LAT_REF{i}"])) for i in range(1, 5)]
        return shapely.convex_hull(shapely.MultiPoint(pts))
    if method != "data":
        raise InputError(f"footprint method '{method}' is not data, grid or attributes")
    from rasterio import features
    from rasterio.transform import Affine

    mask = valid_mask(product)
    if not mask.any():
        raise ProductError(f"{product.path}: no valid pixel, so no footprint")
    transform = Affine(grid.x_step, 0, grid.x_first, 0, grid.y_step, grid.y_first)
    polygons = [shape(geom) for geom, value in features.shapes(mask.astype(np.uint8), mask=mask, transform=transform)
                if value == 1]
    return shapely.union_all(polygons)


def track_label(product: Product) -> str:
    """The name of a product's track for layer names: the MimtPy project name (the folder above
    ``mintpy/``, e.g. KilaueaSenDT87), else platform + AT/DT + track number from the attributes
    (``relative_orbit``/``trackNumber``), else the file name's stem."""
    if "mintpy" in (p.name for p in product.path.parents[:2]):
        return project_name(product.path)
    a = product.attrs
    number = track_number(a)
    direction = str(a.get("ORBIT_DIRECTION", "")).upper()[:1]
    if number and direction in ("A", "D"):
        return f"{a.get('PLATFORM', a.get('mission', ''))}{direction}T{number}"
    return product.path.stem


def write_footprint(geom, path: Path, name: str) -> Path:
    """Write a footprint polygon named ``name`` (feature and layer); the format follows the suffix
    (.geojson, .shp, .kml, .gmt/.txt)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIX_DRIVERS:
        raise InputError(f"{path}: unknown footprint format; use one of {', '.join(SUFFIX_DRIVERS)}")
    if SUFFIX_DRIVERS[suffix] == "gmt":
        with atomic_output(path) as tmp:
            tmp.write_text(_gmt_text(geom, name))
        return path
    return write_features(path, [geom], {"name": [name]}, layer=name)


def _gmt_text(geom, name: str) -> str:
    from mimtpy.io.vectors import geometry_parts

    lines = [f"# footprint of {name} (lon lat, EPSG:4326)"]
    for part in geometry_parts(geom):
        lines.append(f"> {name}")
        lines += [f"{x:.8f} {y:.8f}" for x, y in part]
    return "\n".join(lines) + "\n"
