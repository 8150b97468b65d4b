"""The LiCSBAS / LiCSAR layout of a synthetic track (``synthetic_S1.py --format licsbas``).

From the SAME series as the track's HDF-EOS5 file (read back from it, so both hold the same numbers), writes
under the track's project folder ``<outdir>/<project>/``::

    GEOCml1/EQA.dem_par  slc.mli.par  E.geo N.geo U.geo  hgt          (float32 rasters, GAMMA corner = pixel centre)
    TS_GEOCml1/cum.h5                                                  (cum in mm, vel in mm/yr, refarea)
    TS_GEOCml1/results/vel vstd coh_avg mask hgt                       (float32, mm/yr)

and a LiCSAR frame folder ``<outdir>/<frame>/`` (frame ID ``TTTA_05000_131313``, TTT = the track number) with
``<frame>.vel.geo.tif``, ``.vstd.geo.tif`` (mm/yr, no unit tag, as LiCSBAS's), ``.E/.N/.U.geo.tif`` (LOS unit
vector ground to satellite), ``.mask.geo.tif`` (1 = valid, 0 = masked: the HDF-EOS5 ``mask``, low temporal
coherence) and ``.hgt.geo.tif``. Velocities are the straight-line fit of every epoch of the series
(:func:`mimtpy.core.linfit.fit_lines`, as velcumu over the whole period), unmasked: readers apply the mask.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mimtpy.core.dates import decimal_years
from mimtpy.core.geometry import los_unit_vector
from mimtpy.core.linfit import fit_lines
from mimtpy.io import open_product, write_geotiff
from mimtpy.io.gamma import SPEED_OF_LIGHT, write_dem_par
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

    vel = np.full(grid.shape, np.nan, np.float32)
    vstd = np.full(grid.shape, np.nan, np.float32)
    with stream_cum_h5(ts / "cum.h5", (len(dates), *grid.shape), dates, grid,
                       (ref_y, ref_y + 1, ref_x, ref_x + 1)) as out:
        for r0 in range(0, grid.length, ROWS_PER_BLOCK):
            rows = slice(r0, min(r0 + ROWS_PER_BLOCK, grid.length))
            block = product.read("timeseries", rows) * np.float32(1000.0)         # m -> mm
            out["cum"][:, rows, :] = block
            slope, std, _ = fit_lines(block.reshape(len(dates), -1), t, 3)
            vel[rows] = slope.reshape(-1, grid.width)
            vstd[rows] = std.reshape(-1, grid.width)
        out["vel"][...] = vel

    inc, az = product.read("incidenceAngle"), product.read("azimuthAngle")
    enu = [c.astype(np.float32) for c in los_unit_vector(inc, az)]
    height = product.read("height")
    mask = np.nan_to_num(product.read("mask").astype(np.float32))
    tcoh = product.read("temporalCoherence")

    write_dem_par(geoc / "EQA.dem_par", grid)
    (geoc / "slc.mli.par").write_text(f"radar_frequency:  {SPEED_OF_LIGHT / float(attrs['WAVELENGTH'])!r}  Hz\n")
    for name, data in (("E.geo", enu[0]), ("N.geo", enu[1]), ("U.geo", enu[2]), ("hgt", height)):
        write_float32(geoc / name, data)
    for name, data in (("vel", vel), ("vstd", vstd), ("coh_avg", tcoh), ("mask", mask), ("hgt", height)):
        write_float32(ts / "results" / name, data)

    for name, data in (("vel", vel), ("vstd", vstd), ("E", enu[0]), ("N", enu[1]), ("U", enu[2]),
                       ("mask", mask), ("hgt", height)):
        write_geotiff(frame_dir / f"{frame}.{name}.geo.tif", data, grid)
    logger.info("%s: LiCSBAS layout in %s and frame folder %s", he5.name, ts, frame_dir)
    return ts, frame_dir
