"""Vector lines and polygons (faults, coastlines, boundaries) as lon/lat vertex arrays.

Read: shapefile (``.shp`` + ``.shx``; the ``.dbf`` is optional), GeoJSON, GeoPackage, KML
(through geopandas/pyogrio), and GMT multi-segment text (``>`` separates segments, lines
hold ``lon lat``; ``#`` comments). Layers in another CRS are reprojected to EPSG:4326; a
layer without a CRS is taken as EPSG:4326 (logged).

Write (:func:`write_features`): GeoJSON, KML, GeoPackage or shapefile by suffix, atomically, with
the layer (GeoJSON ``name``, KML folder and placemark ids) named by the caller, never after the
temporary file the atomic write goes through.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mimtpy.errors import ProductError

logger = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg", ".kml", ".gmt", ".txt", ".xy", ".lonlat")
#: output suffix -> OGR driver of :func:`write_features`
WRITE_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile", ".kml": "KML", ".gpkg": "GPKG"}


def write_features(path: str | Path, geometries: list, properties: dict[str, list], layer: str,
                   crs: str = "EPSG:4326") -> Path:
    """Write shapely geometries with their properties (one list per column) as a vector file chosen by
    the suffix (:data:`WRITE_DRIVERS`), atomically; the layer is named ``layer`` (a shapefile, several
    files, is named by its path and written in place)."""
    import geopandas as gpd

    from mimtpy.io.atomic import atomic_output

    path = Path(path)
    driver = WRITE_DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise ProductError(f"{path}: cannot write vectors as '{path.suffix}'; use one of {', '.join(WRITE_DRIVERS)}")
    frame = gpd.GeoDataFrame(properties, geometry=list(geometries), crs=crs)
    if driver == "ESRI Shapefile":
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_file(path, driver=driver)
    else:
        with atomic_output(path) as tmp:
            frame.to_file(tmp, driver=driver, layer=layer)
    logger.info("wrote %s (layer %s)", path, layer)
    return path


def read_gmt_segments(path: Path) -> list[np.ndarray]:
    """Segments of a GMT multi-segment text file as (N, 2) lon/lat arrays."""
    segments, current = [], []
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ProductError(f"{path}: cannot read GMT text: {err}") from None
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if text.startswith(">"):
            if current:
                segments.append(np.array(current))
            current = []
            continue
        parts = text.replace(",", " ").split()
        try:
            current.append((float(parts[0]), float(parts[1])))
        except (ValueError, IndexError):
            raise ProductError(f"{path}:{number}: '{text[:40]}' is not 'lon lat'") from None
    if current:
        segments.append(np.array(current))
    return [s for s in segments if len(s) >= 1]


def geometry_parts(geom) -> list[np.ndarray]:
    """Vertex arrays of a shapely geometry (lines as they are, polygons as their rings)."""
    kind = geom.geom_type
    if kind in ("LineString", "LinearRing"):
        return [np.asarray(geom.coords)[:, :2]]
    if kind == "Point":
        return [np.asarray(geom.coords)[:, :2]]
    if kind == "Polygon":
        return [np.asarray(geom.exterior.coords)[:, :2]] + [np.asarray(r.coords)[:, :2] for r in geom.interiors]
    if kind.startswith("Multi") or kind == "GeometryCollection":
        return [part for g in geom.geoms for part in geometry_parts(g)]
    return []


def read_lines(path: str | Path, snwe: tuple[float, float, float, float] | None = None) -> list[np.ndarray]:
    """Lines of a vector file as lon/lat arrays, clipped to ``snwe`` (S N W E) when given."""
    path = Path(path)
    if not path.exists():
        raise ProductError(f"{path}: file not found")
    if path.suffix.lower() in (".gmt", ".txt", ".xy", ".lonlat"):
        parts = read_gmt_segments(path)
    else:
        import geopandas as gpd

        try:
            frame = gpd.read_file(path)
        except Exception as err:  # pyogrio raises its own DataSourceError family
            raise ProductError(f"{path}: cannot read vector file ({', '.join(VECTOR_SUFFIXES)} are read): "
                               f"{err}") from None
        if frame.crs is None:
            logger.info("%s has no CRS; taken as EPSG:4326 lon/lat", path.name)
        elif frame.crs.to_epsg() != 4326:
            logger.info("%s: reprojected from %s to EPSG:4326", path.name, frame.crs.to_string())
            frame = frame.to_crs(4326)
        parts = [p for g in frame.geometry if g is not None for p in geometry_parts(g)]
    if snwe is not None:
        parts = clip_lines(parts, snwe)
    return parts


def clip_lines(parts: list[np.ndarray], snwe: tuple[float, float, float, float]) -> list[np.ndarray]:
    """Pieces of the lines inside the box S N W E."""
    import shapely

    s, n, w, e = snwe
    box = shapely.box(w, s, e, n)
    clipped = []
    for part in parts:
        geom = shapely.LineString(part) if len(part) > 1 else shapely.Point(part[0])
        clipped += [p for p in geometry_parts(geom.intersection(box)) if len(p)]
    return clipped
