"""Product I/O behind one entry point, :func:`open_product`.

Readers are registered in :data:`READERS` in the order they are tried; each one has a
cheap ``accepts(path)`` test on the name, file signature or (for folders) content. Steps never use
h5py or rasterio directly. ``docs/formats.md`` is generated from this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py

from mimtpy.errors import ProductError
from mimtpy.io.cube_write import write_cube
from mimtpy.io.geotiff import read_geotiff, write_geotiff
from mimtpy.io.gmtgrid import is_gmt_grid, read_gmt_grid
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
from mimtpy.io.licsbas import (
    is_cum_h5,
    is_frame_folder,
    is_frame_velocity_tif,
    is_results_folder,
    is_ts_folder,
    is_work_folder,
    parse_frame_id,
    read_cum_h5,
    read_raster_folder,
    read_ts_folder,
    read_velocity_tif,
    read_work_folder,
)
from mimtpy.io.netcdf import is_cube, read_cube
from mimtpy.io.product import DatasetInfo, Product
from mimtpy.io.roipac import KINDS as ROIPAC_KINDS
from mimtpy.io.roipac import read_roipac
from mimtpy.io.stamps import Points, grid_points, is_stamps_xy, read_stamps, read_stamps_gridded


@dataclass(frozen=True)
class Reader:
    """One product format: ``accepts(path)`` is a cheap test; ``open(path)`` (``open(path, mask=...)`` when
    ``masks``) returns the Product; ``conventions`` (units, sign, grid) is shown in docs/formats.md."""

    name: str
    description: str
    accepts: Callable[[Path], bool]
    open: Callable[..., Product]
    masks: bool = False
    folder: bool = False
    conventions: str = ""


def _is_hdfeos5(path: Path) -> bool:
    if path.suffix.lower() == ".he5":
        return True
    if path.suffix.lower() != ".h5" or not h5py.is_hdf5(path):
        return False
    with h5py.File(path, "r") as f:
        return HDFEOS_ROOT in f


def _is_file(test: Callable[[Path], bool]) -> Callable[[Path], bool]:
    return lambda p: p.is_file() and test(p)


_MINTPY = "m, m/year; LOS positive toward the satellite; X_FIRST/Y_FIRST = outer corner of the first pixel"
_LICSBAS = ("mm -> m, mm/yr -> m/year; LOS positive toward the satellite (LiCSBAS coef_r2m = -lambda/4pi); "
            "corner_lat/lon = centre of the first pixel -> X_FIRST = corner_lon - post_lon/2, "
            "Y_FIRST = corner_lat - post_lat/2")

READERS: list[Reader] = [
    Reader("hdfeos5", "MintPy HDF-EOS5 time series (S1*.he5)", _is_file(_is_hdfeos5), read_hdfeos5,
           conventions=_MINTPY),
    Reader("licsbas-cum", "LiCSBAS time series cum.h5 / cum_filt.h5 (cum, imdates, corner_lat/lon, refarea)",
           is_cum_h5, read_cum_h5, masks=True,
           conventions=_LICSBAS + "; zeros (vel = 0 outside refarea) and NaN are no-data; results/mask beside "
           "applied; REF_Y/REF_X = centre of refarea"),
    Reader("mintpy", "MintPy HDF5 (timeseries, velocity, geometry, coherence, mask .h5)",
           _is_file(lambda p: p.suffix.lower() == ".h5"), read_mintpy_h5, masks=True,
           conventions=_MINTPY + "; velocity files not by mimtpy: 0 = masked (NaN), but at the reference pixel"),
    Reader("licsbas-vel-tif", "LiCSBAS/LiCSAR velocity GeoTIFF without unit tag (vel.geo.tif, "
           "<frame>.vel.geo.tif) with a frame ID or E/N/U beside it", is_frame_velocity_tif, read_velocity_tif,
           masks=True, conventions="read with its frame folder (below)"),
    Reader("geotiff", "single-band GeoTIFF", _is_file(lambda p: p.suffix.lower() in (".tif", ".tiff")),
           read_geotiff, conventions="unit from the UNIT (or PyRate DATA_UNITS) tag; GeoTIFF transform = outer "
           "corner"),
    Reader("roipac", "geocoded ROI_PAC .unw/.int/.cor/.hgt with .rsc",
           _is_file(lambda p: p.suffix.lower() in ROIPAC_KINDS), read_roipac,
           conventions="phase in radians, d = -lambda/(4 pi) phase"),
    Reader("stamps", "StaMPS point export (ps_mean_v.xy lon lat v), gridded (median per cell, count)",
           is_stamps_xy, read_stamps_gridded,
           conventions="v in mm/yr -> m/year, positive toward the satellite; cell size = sqrt(area / points), "
           "grid_points() for another"),
    Reader("gmtgrid", "GMT/COARDS 2-D NetCDF grid (.grd, or .nc written by GMT)", is_gmt_grid, read_gmt_grid,
           conventions="coordinates = cell centres; rows north to south; UNIT from the variable's units"),
    Reader("cube", "NetCDF/Zarr datacube (mimtpy, LiCSBAS/AlignSAR, ITS_LIVE)", is_cube, read_cube,
           conventions="coordinates at pixel centres"),
    Reader("licsbas-ts", "LiCSBAS time-series folder TS_GEOCml*/ (cum_filt.h5 or cum.h5, results/mask)",
           is_ts_folder, read_ts_folder, masks=True, folder=True, conventions="as cum.h5"),
    Reader("licsbas-results", "LiCSBAS results/ folder of float32 rasters (vel, vstd, coh_avg, mask, n_gap, ...) "
           "with EQA.dem_par", is_results_folder, read_raster_folder, masks=True, folder=True,
           conventions=_LICSBAS + " (EQA.dem_par); vel/vstd -> velocity/velocityStd, hgt -> height; "
           "E.geo/N.geo/U.geo of the GEOCml folder -> losEast/losNorth/losUp"),
    Reader("licsbas-work", "LiCSBAS work folder <frame>/ with GEOCml*/ and one TS_GEOCml*/ (its time series)",
           is_work_folder, read_work_folder, masks=True, folder=True, conventions="as cum.h5"),
    Reader("licsar-frame", "LiCSAR / decompose_insar_velocities frame folder or LiCSBAS results/ of GeoTIFFs "
           "(*vel*.geo.tif, *vstd*, E/N/U, mask, hgt)", is_frame_folder, read_raster_folder, masks=True,
           folder=True,
           conventions="velocity without unit tag = mm/yr -> m/year; E/N/U = LOS unit vector ground to satellite "
           "-> losEast/losNorth/losUp, incidenceAngle = acos(U), azimuthAngle = atan2(-E, N); frame ID "
           "TTTd_xxxxx_yyyyyy -> relative_orbit, ORBIT_DIRECTION"),
]


def open_product(path: str | Path, mask: bool = True) -> Product:
    """Open any supported product (a file, or a folder recognised by its content) lazily; ProductError names
    the file and the problem. ``mask``: readers of products with their own mask (LiCSBAS, LiCSAR) apply it
    unless False; other readers ignore it."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ProductError(f"{path}: file not found")
    for reader in READERS:
        try:
            accepted = reader.accepts(path)
        except OSError:
            accepted = False
        if accepted:
            try:
                return reader.open(path, mask=mask) if reader.masks else reader.open(path)
            except ProductError:
                raise
            except OSError as err:       # unreadable (permissions), truncated, ...
                raise ProductError(f"{path}: cannot read it as {reader.description}: {err}") from None
    if path.is_dir():
        looked = "; ".join(r.description for r in READERS if r.folder or r.name == "cube")
        have = ", ".join(sorted(p.name for p in path.iterdir())[:12]) or "nothing"
        raise ProductError(f"{path}: a folder that is no product; looked for: {looked} (it holds: {have}). "
                           "Interferogram folders (GEOC, GEOCml*) open with open_ifgram_stack")
    kinds = "; ".join(f"{r.description}" for r in READERS if not r.folder)
    raise ProductError(f"{path}: unknown product type (supported: {kinds})")


__all__ = ["READERS", "DatasetInfo", "IfgramStack", "Points", "Product", "grid_points", "open_ifgram_stack",
           "open_product", "parse_frame_id", "read_settings", "read_stamps", "stream_h5", "stream_hdfeos5",
           "write_cube", "write_geotiff", "write_h5", "write_hdfeos5"]
