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
from mimtpy.io.stamps import (
    Points,
    grid_points,
    is_stamps_xy,
    read_stamps,
    read_stamps_gridded,
    read_stamps_series,
)


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
_LICSBAS = ("mm -> m, mm/yr -> m/year; LOS positive toward the satellite (LiCSBAS13_sb_inv.py: coef_r2m = "
            "-wavelength/4/pi*1000, 'positive is -LOS'; vel 'positive means LOS decrease; uplift'); corner_lat/lon "
            "= centre of the first pixel ('grid reg': LiCSBAS02_ml_prep.py writes lon_w_p + dlon/2 from the GeoTIFF "
            "transform, LiCSBAS_flt2geotiff.py shifts back by half a pixel) -> X_FIRST = corner_lon - post_lon/2, "
            "Y_FIRST = corner_lat - post_lat/2 (post_lat < 0). Multilooked GEOCml{n}: LiCSBAS02 keeps the centre of "
            "the first ORIGINAL pixel as corner and multiplies post_lat/lon by n, so LiCSBAS's own grid (and its "
            "vel.geo.tif) sits (n-1)/2 original pixels north-west of the true multilooked centres; mimtpy follows "
            "LiCSBAS (same grid as its GeoTIFFs)")
_CUM = ("LiCSBAS13_sb_inv.py (v1.5.2) writes: cum (n_im, length, width) float32 mm, vel float32 mm/yr, vintercept "
        "float32 mm, gap int8 (n_im-1, ...), imdates int32 YYYYMMDD, bperp only when not dummy, refarea a str "
        "dataset 'x1:x2/y1:y2' (bytes in h5py 3; x2 = x1+1, end exclusive: LiCSBAS_cum2vel.py 'x2/y2 range 1 to "
        "width'), corner_lat/lon and post_lat/lon float64 scalars ONLY for geocoded data (radar-coded cum.h5 is "
        "refused), and copies of results/ (coh_avg, hgt, n_unw, n_loop_err, n_gap, n_ifg_noloop, maxTlen, "
        "resid_rms) and GEOCml E.geo/N.geo/U.geo; cum is re-referenced to the stable pixel of refarea (cum - "
        "cum[ref], vel - vel[ref]), first epoch 0, NaN = no data. LiCSBAS16_filt_ts.py writes cum_filt.h5 the "
        "same way (new refarea, vel/vintercept refitted) plus mask, vstd, stc of results/ and filtwidth_km, "
        "filtwidth_yr, deramp_flag, hgt_linear_flag. mimtpy: timeseries/velocity in m, m/year; REF_Y/REF_X = "
        "centre pixel of refarea; E.geo/N.geo/U.geo -> losEast/losNorth/losUp (0 = no data), hgt -> height; mask "
        "= results/mask beside, else the mask dataset inside (1 valid; 0 and NaN masked), applied unless "
        "mask=False; vstd -> velocityStd (0 = unknown); NaN no data (also vel exactly 0 outside refarea)")
_RESULTS = ("TS_GEOCml*/results/: raw little-endian float32 (LiCSBAS_io_lib.read_img, np.fromfile native), size and "
            "place from EQA.dem_par (GEOCml*/ and its copy in TS_GEOCml*/info/ by LiCSBAS11_check_unw.py, also "
            "slc.mli.par): vel (mm/yr), vintercept (mm), resid_rms (mm), n_gap, n_ifg_noloop, maxTlen (yr) by "
            "LiCSBAS13; vstd (mm/yr), stc (mm) by LiCSBAS14; coh_avg, n_unw, n_loop_err by LiCSBAS12; hgt, slc.mli "
            "copied by LiCSBAS11; mask (1 valid, 0 masked, NaN no data; the vel = 0 pixel kept) and vel.mskd by "
            "LiCSBAS15; vel.filt[.mskd], vintercept.filt[.mskd] by LiCSBAS16. results/vel is written per patch "
            "BEFORE cum.h5 is re-referenced: it is relative to the preliminary reference area info/12ref.txt "
            "(REF_Y/REF_X = its centre pixel), not to cum.h5's refarea (there vstd = 0). mimtpy: vel/vstd -> "
            "velocity/velocityStd (m/year; vstd 0 = unknown), vintercept/resid_rms/stc -> m, hgt -> height; "
            "E.geo/N.geo/U.geo of the GEOCml folder -> losEast/losNorth/losUp; " + _LICSBAS)
_FRAME = ("LiCSBAS_flt2geotiff.py (io_lib.make_geotiff): output infile.replace('.geo','') + '.geo.tif' "
          "(vel.geo.tif, vel.mskd.geo.tif, vel.filt.mskd.geo.tif), float32, EPSG:4326, transform = outer corner "
          "(corner - post/2), AREA_OR_POINT=Area, nodata NaN, no unit tag. COMET publishes <frame>.vel.geo.tif, "
          "<frame>.vstd.geo.tif, <frame>.vel_filt.mskd.geo.tif, <frame>.vel_filt.mskd.eurasia.geo.tif "
          "(licsar_proc licsar2licsbas.sh) and <frame>/metadata/<frame>.geo.{E,N,U,hgt}.tif (LiCSBAS01_get_geotiff.py; "
          "0 = no data, LiCSBAS02 sets 0 to NaN); decompose_insar_velocities frames hold vel/vstd/E/N/U/mask.geo.tif "
          "(example.conf id_vel ...). mimtpy: velocity without unit tag = mm/yr -> m/year; the plainest name wins "
          "(vel before vel.mskd, vel_filt, ...), mask*.geo.tif applied (1 valid); E/N/U = LOS unit vector ground "
          "to satellite -> losEast/losNorth/losUp (0 = no data), incidenceAngle = acos(U), azimuthAngle = "
          "atan2(-E, N); frame ID TTTd_xxxxx_yyyyyy -> relative_orbit, ORBIT_DIRECTION")
_STAMPS = ("StaMPS ps_output.m: ps_mean_v.xy = lon lat v (mm/yr, -m(2)*365.25/4/pi*lambda*1000), ps_mean_v_std.xy "
           "(mm/yr), ps_data.xy = lon lat v hgt dem_error (mm/yr, m, m; not a series), ps_u-dm.<i>.xy = lon lat d "
           "(mm of image i, -phase*lambda*1000/4/pi; read_stamps_series joins them with date.txt, MATLAB -ASCII "
           "-DOUBLE yyyymmdd), ps_ll.txt = lon lat; ps_plot.m: velocities +ve toward the satellite (phase +ve "
           "away): kept, mm -> m. Gridded: cell size = sqrt(area / points), median per cell + count; "
           "grid_points() for another cell; profiles and GNSS use the raw points (bin_points, "
           "mimtpy.ops.points.compare_points)")

READERS: list[Reader] = [
    Reader("hdfeos5", "MintPy HDF-EOS5 time series (S1*.he5)", _is_file(_is_hdfeos5), read_hdfeos5,
           conventions=_MINTPY),
    Reader("licsbas-cum", "LiCSBAS time series cum.h5 / cum_filt.h5 (cum, imdates, corner_lat/lon, refarea)",
           is_cum_h5, read_cum_h5, masks=True, conventions=_CUM + "; " + _LICSBAS),
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
    Reader("stamps", "StaMPS point export (ps_mean_v.xy, ps_mean_v_std.xy, ps_data.xy; ps_u-dm.<i>.xy with "
           "date.txt), velocities gridded (median per cell, count)", is_stamps_xy, read_stamps_gridded,
           conventions=_STAMPS),
    Reader("gmtgrid", "GMT/COARDS 2-D NetCDF grid (.grd, or .nc written by GMT)", is_gmt_grid, read_gmt_grid,
           conventions="coordinates = cell centres; rows north to south; UNIT from the variable's units"),
    Reader("cube", "NetCDF/Zarr datacube (mimtpy, LiCSBAS/AlignSAR, ITS_LIVE)", is_cube, read_cube,
           conventions="coordinates at pixel centres"),
    Reader("licsbas-ts", "LiCSBAS time-series folder TS_GEOCml*/ (cum_filt.h5 or cum.h5, results/mask)",
           is_ts_folder, read_ts_folder, masks=True, folder=True,
           conventions="as cum.h5; cum_filt.h5 preferred when both are there (the default input of "
           "LiCSBAS_cum2vel.py and LiCSBAS_out2nc.py), results/mask applied"),
    Reader("licsbas-results", "LiCSBAS results/ folder of float32 rasters (vel, vstd, coh_avg, mask, n_gap, ...) "
           "with EQA.dem_par", is_results_folder, read_raster_folder, masks=True, folder=True,
           conventions=_RESULTS),
    Reader("licsbas-work", "LiCSBAS work folder <frame>/ with GEOCml*/ and one TS_GEOCml*/ (its time series)",
           is_work_folder, read_work_folder, masks=True, folder=True, conventions="as cum.h5"),
    Reader("licsar-frame", "LiCSAR / decompose_insar_velocities frame folder or LiCSBAS results/ of GeoTIFFs "
           "(*vel*.geo.tif, *vstd*, E/N/U, mask, hgt)", is_frame_folder, read_raster_folder, masks=True,
           folder=True,
           conventions=_FRAME),
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
           "open_product", "parse_frame_id", "read_settings", "read_stamps", "read_stamps_series", "stream_h5",
           "stream_hdfeos5", "write_cube", "write_geotiff", "write_h5", "write_hdfeos5"]
