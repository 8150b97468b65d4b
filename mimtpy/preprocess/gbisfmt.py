"""GBIS input (``.mat``, MATLAB 5 via scipy.io) as GBIS's ``loadInsarData`` reads it.

Column vectors (one row per pixel, or per quadtree leaf):

* ``Phase``: unwrapped phase in radians with GBIS's sign, ``Phase = -4 pi d / lambda`` (GBIS
  converts back with ``los = -Phase * lambda / (4 pi)``; d = LOS displacement in m, positive toward
  the satellite). A velocity map gives radians per year;
* ``Lat``, ``Lon``: pixel centres (or leaf focal points), degrees;
* ``Heading``: satellite flight direction, degrees clockwise from north (right-looking);
* ``Inc``: incidence angle from the vertical, degrees.

Pixels without data are left out. The wavelength, dates and source are stored beside as
``Wavelength`` (m), ``Dates`` and ``Source`` (GBIS ignores them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mimtpy.io.atomic import atomic_output
from mimtpy.preprocess.source import ExportInput


def gbis_arrays(inp: ExportInput, wavelength: float | None) -> dict[str, np.ndarray]:
    """The GBIS vectors of every valid pixel."""
    lam = inp.wavelength(wavelength)
    lat, lon = np.meshgrid(inp.grid.lats(), inp.grid.lons(), indexing="ij")
    heading, inc = inp.heading, inp.incidence
    ok = np.isfinite(inp.data) & np.isfinite(heading) & np.isfinite(inc)
    return {"Phase": (-4.0 * np.pi / lam * inp.data)[ok], "Lat": lat[ok], "Lon": lon[ok],
            "Heading": heading[ok], "Inc": inc[ok]}


def gbis_leaf_arrays(table: dict[str, np.ndarray], wavelength: float) -> dict[str, np.ndarray]:
    """The GBIS vectors of quadtree leaves (:mod:`mimtpy.preprocess.leaves` table)."""
    e, n, u = table["los_east"], table["los_north"], table["los_up"]
    inc = np.rad2deg(np.arccos(np.clip(u, -1, 1)))
    az = np.rad2deg(np.arctan2(-e, n))
    heading = (90.0 - az + 180.0) % 360.0 - 180.0
    ok = np.isfinite(table["value"]) & np.isfinite(inc)
    return {"Phase": (-4.0 * np.pi / wavelength * table["value"])[ok], "Lat": table["lat"][ok],
            "Lon": table["lon"][ok], "Heading": heading[ok], "Inc": inc[ok]}


def write_gbis(path: Path, vectors: dict[str, np.ndarray], wavelength: float, dates: tuple[str, str] | None,
               source: str) -> Path:
    from scipy.io import savemat

    content = {k: np.asarray(v, dtype=np.float64).reshape(-1, 1) for k, v in vectors.items()}
    content.update(Wavelength=float(wavelength), Dates="_".join(dates) if dates else "", Source=source)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as f:
            savemat(f, content, do_compression=True)
    return Path(path)
