"""The LiCSBAS / LiCSAR layout of a synthetic track (``synthetic_S1.py --format licsbas``).

From the SAME series as the track's HDF-EOS5 file (read back from it, so both hold the same numbers), writes
under the track's project folder ``<outdir>/<project>/`` what LiCSBAS writes (read in LiCSBAS 1.5.x:
LiCSBAS02_ml_prep.py, 11_check_unw.py, 13_sb_inv.py, 14_vel_std.py, 15_mask_ts.py)::

    GEOCml1/EQA.dem_par slc.mli.par                  (GAMMA text; dem_par corner = centre of the first pixel)
    GEOCml1/E.geo N.geo U.geo hgt                     (little-endian float32, LOS unit vector ground to satellite)
    TS_GEOCml1/info/EQA.dem_par slc.mli.par          (copies, as LiCSBAS11_check_unw.py makes)
    TS_GEOCml1/info/12ref.txt 13ref.txt               ("x1:x2/y1:y2" of the reference pixel)
    TS_GEOCml1/cum.h5                                 (cum mm, vel mm/yr, vintercept mm, gap int8, imdates int32,
                                                       refarea str, corner_lat/lon, post_lat/lon, hgt, coh_avg,
                                                       E.geo/N.geo/U.geo: LiCSBAS13 v1.5.2)
    TS_GEOCml1/results/vel vintercept vstd coh_avg hgt mask vel.mskd
                                                      (float32; mm/yr, mm, mm/yr, -, m, 1/0/NaN, mm/yr)

``results/mask`` is LiCSBAS15's: 1 = valid, 0 = masked (here the HDF-EOS5 ``mask``, low temporal coherence), NaN
where ``vel`` is NaN, and 1 at the reference pixel; ``vel.mskd`` = vel with NaN where the mask is 0.

and a LiCSAR frame folder ``<outdir>/<frame>/`` (frame ID ``TTTA_05000_131313``, TTT = the track number) named as
COMET's ``licsar2licsbas.sh`` publishes it (``LiCSBAS_flt2geotiff.py``: EPSG:4326, pixel-is-area transform, NaN
no data, no unit tag): ``<frame>.vel.geo.tif``, ``.vel.mskd.geo.tif``, ``.vstd.geo.tif`` (mm/yr),
``.hgt.geo.tif``, ``.coh_avg.geo.tif``, the LiCSAR unit vectors ``<frame>.geo.E/N/U.tif`` (ground to satellite) and
``.mask.geo.tif`` (results/mask; COMET publishes none, decompose_insar_velocities frames have one). Velocities are
the straight-line fit of
every epoch of the series (:func:`mimtpy.core.linfit.fit_lines`, as velcumu over the whole period), unmasked:
readers apply the mask.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mimtpy.core.dates import decimal_years
from mimtpy.core.geometry import los_unit_vector
from mimtpy.core.linfit import fit_lines
from mimtpy.io import open_product, write_geotiff
from mimtpy.io.gamma import write_dem_par, write_mli_par
from mimtpy.io.licsbas import stream_cum_h5, write_float32

logger = logging.getLogger(__name__)

ROWS_PER_BLOCK = 64


def frame_id(attrs: dict) -> str:
    """LiCSAR-like frame ID of a synthetic track: ``100A_05000_131313``."""
    direction = "A" if str(attrs.get("ORBIT_DIRECTION", "")).upper().startswith("A") else "D"
    return f"{int(attrs['relative_orbit']):03d}{direction}_05000_131313"


def write_licsbas_layout(he5: Path, outdir: Path) -> tuple[Path, Path]:
    """Write the LiCSBAS TS folder and the LiCSAR frame folder of one synthetic HDF-EOS5 track; returns
    (TS folder, frame folder)."""
    product = open_product(he5)
    grid, attrs, dates = product.grid, product.attrs, product.dates
    project = he5.parent.parent
    geoc, ts = project / "GEOCml1", project / "TS_GEOCml1"
    frame = frame_id(attrs)
    frame_dir = outdir / frame
    ref_y, ref_x = int(attrs["REF_Y"]), int(attrs["REF_X"])
    t = decimal_years(dates)

    inc, az = product.read("incidenceAngle"), product.read("azimuthAngle")
    enu = [c.astype(np.float32) for c in los_unit_vector(inc, az)]
    height = product.read("height").astype(np.float32)
    tcoh = product.read("temporalCoherence").astype(np.float32)
    valid = np.nan_to_num(product.read("mask").astype(np.float32)) != 0

    vel = np.full(grid.shape, np.nan, np.float32)
    vstd = np.full(grid.shape, np.nan, np.float32)
    vconst = np.full(grid.shape, np.nan, np.float32)
    extras = {"coh_avg": tcoh, "hgt": height, "E.geo": enu[0], "N.geo": enu[1], "U.geo": enu[2]}
    refarea = (ref_y, ref_y + 1, ref_x, ref_x + 1)
    with stream_cum_h5(ts / "cum.h5", (len(dates), *grid.shape), dates, grid, refarea, extras=extras) as out:
        for r0 in range(0, grid.length, ROWS_PER_BLOCK):
            rows = slice(r0, min(r0 + ROWS_PER_BLOCK, grid.length))
            block = product.read("timeseries", rows) * np.float32(1000.0)         # m -> mm
            out["cum"][:, rows, :] = block
            out["gap"][:, rows, :] = 0                                           # a connected network
            slope, std, _ = fit_lines(block.reshape(len(dates), -1), t, 3)
            vel[rows] = slope.reshape(-1, grid.width)
            vstd[rows] = std.reshape(-1, grid.width)
        # intercept c of vel * t + c with t in years from the first date (LiCSBAS's dt_cum)
        for r0 in range(0, grid.length, ROWS_PER_BLOCK):
            rows = slice(r0, min(r0 + ROWS_PER_BLOCK, grid.length))
            block = product.read("timeseries", rows).astype(np.float64) * 1000.0
            dt = (t - t[0])[:, None, None]
            resid = block - vel[rows][None] * dt
            n = np.isfinite(resid).sum(axis=0)
            total = np.nansum(resid, axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                vconst[rows] = np.where(n > 0, total / np.maximum(n, 1), np.nan).astype(np.float32)
        out["vel"][...] = vel
        out["vintercept"][...] = vconst

    # LiCSBAS15_mask_ts.py: 1 valid, 0 masked, NaN where vel is NaN; the reference pixel (vel 0) kept
    mask = np.where(valid, np.float32(1), np.float32(0))
    mask[np.isnan(vel)] = np.nan
    mask[vel == 0] = 1
    vel_mskd = vel * mask
    vel_mskd[mask == 0] = np.nan

    wavelength = float(attrs["WAVELENGTH"])
    ref_text = f"{ref_x}:{ref_x + 1}/{ref_y}:{ref_y + 1}\n"
    for folder in (geoc, ts / "info"):
        write_dem_par(folder / "EQA.dem_par", grid)
        write_mli_par(folder / "slc.mli.par", grid, wavelength)
    for name in ("12ref.txt", "13ref.txt"):
        (ts / "info" / name).write_text(ref_text)
    for name, data in (("E.geo", enu[0]), ("N.geo", enu[1]), ("U.geo", enu[2]), ("hgt", height)):
        write_float32(geoc / name, data)
    for name, data in (("vel", vel), ("vintercept", vconst), ("vstd", vstd), ("coh_avg", tcoh), ("mask", mask),
                       ("hgt", height), ("vel.mskd", vel_mskd)):
        write_float32(ts / "results" / name, data)

    for name, data in (("vel", vel), ("vel.mskd", vel_mskd), ("vstd", vstd), ("mask", mask), ("hgt", height),
                       ("coh_avg", tcoh)):                    # LiCSBAS_flt2geotiff.py -o <frame>.<name>.geo.tif
        write_geotiff(frame_dir / f"{frame}.{name}.geo.tif", data, grid)
    for name, data in (("E", enu[0]), ("N", enu[1]), ("U", enu[2])):   # LiCSAR metadata/<frame>.geo.E.tif
        write_geotiff(frame_dir / f"{frame}.geo.{name}.tif", data, grid)
    logger.info("%s: LiCSBAS layout in %s and frame folder %s", he5.name, ts, frame_dir)
    return ts, frame_dir
