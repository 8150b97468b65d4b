"""GAMMA ``.par`` files as LiCSAR/LiCSBAS ship them: ``EQA.dem_par`` (the geocoded grid) and ``slc.mli.par``
(the radar frequency).

``EQA.dem_par`` gives ``width``, ``nlines``, ``corner_lat``/``corner_lon`` and ``post_lat``/``post_lon`` in
degrees; GAMMA's (and LiCSBAS's) corner is the CENTRE of the first pixel, so MintPy's outer corner is
``X_FIRST = corner_lon - post_lon / 2``, ``Y_FIRST = corner_lat - post_lat / 2`` (``post_lat`` < 0).
"""

from __future__ import annotations

import logging
from pathlib import Path

from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError

logger = logging.getLogger(__name__)

#: Sentinel-1 C-band wavelength in m (MintPy's SENSOR value), used when no slc.mli.par says otherwise
SENTINEL1_WAVELENGTH = 0.05546576
SPEED_OF_LIGHT = 299792458.0


def read_par(path: Path) -> dict[str, str]:
    """``key: value [unit]`` lines of a GAMMA .par file (first word of the value); ProductError when absent."""
    if not path.exists():
        raise ProductError(f"{path}: file not found")
    out = {}
    for line in path.read_text(errors="replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and value.split():
            out[key.strip()] = value.split()[0]
    return out


def dem_par_grid(path: Path) -> Grid:
    """The MintPy grid (outer corner of the first pixel) of an ``EQA.dem_par`` (corner = pixel centre)."""
    dem = read_par(path)
    try:
        width, length = int(dem["width"]), int(dem["nlines"])
        post_lat, post_lon = float(dem["post_lat"]), float(dem["post_lon"])
        return Grid(width, length, float(dem["corner_lon"]) - post_lon / 2, float(dem["corner_lat"]) - post_lat / 2,
                    post_lon, post_lat)
    except KeyError as err:
        raise ProductError(f"{path}: missing {err} (needs width, nlines, corner_lat, corner_lon, post_lat, "
                           "post_lon)") from None
    except ValueError as err:
        raise ProductError(f"{path}: malformed value: {err}") from None


def wavelength_from(mli_par: Path, source: str) -> float:
    """Radar wavelength (m) from ``radar_frequency`` of ``slc.mli.par``; Sentinel-1 C band (logged) without one."""
    if mli_par.exists():
        par = read_par(mli_par)
        if "radar_frequency" in par:
            try:
                return SPEED_OF_LIGHT / float(par["radar_frequency"])
            except (ValueError, ZeroDivisionError):
                raise ProductError(f"{mli_par}: malformed radar_frequency '{par['radar_frequency']}'") from None
    logger.info("%s: no radar_frequency in %s; using the Sentinel-1 C-band wavelength %.8f m", source, mli_par,
                SENTINEL1_WAVELENGTH)
    return SENTINEL1_WAVELENGTH


def write_dem_par(path: Path, grid: Grid) -> Path:
    """An ``EQA.dem_par`` of ``grid`` as ``LiCSBAS02_ml_prep.py`` writes it (GAMMA/LiCSBAS: corner = centre of the
    first pixel; with the WGS 84 ``ellipsoid_ra`` and ``ellipsoid_reciprocal_flattening`` that
    ``LiCSBAS13_sb_inv.py`` reads for its pixel spacing)."""
    corner_lat = grid.y_first + grid.y_step / 2
    corner_lon = grid.x_first + grid.x_step / 2
    text = (f"Gamma DIFF&GEO DEM/MAP parameter file\ntitle: mimtpy\nDEM_projection:     EQA\n"
            f"data_format:        REAL*4\nDEM_hgt_offset:          0.00000\nDEM_scale:               1.00000\n"
            f"width:                {grid.width}\nnlines:               {grid.length}\n"
            f"corner_lat:     {corner_lat!r}  decimal degrees\ncorner_lon:    {corner_lon!r}  decimal degrees\n"
            f"post_lat:    {grid.y_step!r} decimal degrees\npost_lon:     {grid.x_step!r} decimal degrees\n\n"
            f"ellipsoid_name: WGS 84\nellipsoid_ra:        6378137.000   m\n"
            f"ellipsoid_reciprocal_flattening:  298.2572236\n\ndatum_name: WGS 1984\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_mli_par(path: Path, grid: Grid, wavelength: float = SENTINEL1_WAVELENGTH) -> Path:
    """A ``slc.mli.par`` as ``LiCSBAS02_ml_prep.py`` writes it for geocoded data: ``range_samples`` = width,
    ``azimuth_lines`` = length (LiCSBAS13 takes the data as geocoded when they equal EQA.dem_par's size) and
    ``radar_frequency`` in Hz (c / wavelength)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"range_samples:   {grid.width}\nazimuth_lines:   {grid.length}\n"
                    f"radar_frequency: {SPEED_OF_LIGHT / wavelength!r} Hz\n")
    return path
