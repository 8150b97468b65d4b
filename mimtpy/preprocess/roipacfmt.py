"""ROI_PAC files for InSAMP, GeodMod and other ROI_PAC readers: ``.unw``, ``.cor``, ``.dem``, ``.los``,
each with its ``.rsc`` (``key value`` lines).

* ``.unw``: two float32 bands, line-interleaved (BIL: for every line, the amplitude line then the
  phase line), little-endian. Phase in radians, ``phase = -4 pi d / lambda`` (d = LOS displacement
  in m, positive toward the satellite; MintPy/ROI_PAC sign). No-data: amplitude 0 and phase 0;
  valid pixels have amplitude 1. A velocity map gives phase per year (``UNIT radian/year``).
* ``.cor``: BIL float32, band 1 amplitude (1/0), band 2 coherence (the product's coherence, else 1
  where valid).
* ``.dem``: one int16 band, heights in m rounded to the metre, no-data -32768.
* ``.los``: BIL float32, band 1 incidence angle from the vertical (degrees), band 2 satellite heading
  (flight direction, degrees clockwise from north, right-looking); 0/0 = no data. (MimtPy wrote
  this file band-sequential; InSAMP and ROI_PAC read it line-interleaved.)
* ``.rsc``: WIDTH, FILE_LENGTH, XMIN/XMAX/YMIN/YMAX, X_FIRST/Y_FIRST (outer corner of the first
  pixel), X_STEP/Y_STEP, X_UNIT/Y_UNIT, Z_OFFSET/Z_SCALE, PROJECTION, WAVELENGTH, DATE12,
  TIME_SPAN_YEAR, HEADING_DEG, ORBIT_DIRECTION, PLATFORM, LAT_REF1..4/LON_REF1..4, REF_* when known,
  plus BANDS/INTERLEAVE/DATA_TYPE/BYTE_ORDER so that generic readers know the layout.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from mimtpy.io.atomic import atomic_output
from mimtpy.preprocess.source import ExportInput


def rsc_text(attrs: dict) -> str:
    width = max(len(k) for k in attrs) + 2
    return "".join(f"{k:<{width}}{v}\n" for k, v in attrs.items())


def base_rsc(inp: ExportInput, wavelength: float | None) -> dict:
    """The ``.rsc`` keys common to all files of one export."""
    g, a = inp.grid, inp.attrs
    unit = "degrees" if g.epsg == 4326 else "meters"
    rsc = {"WIDTH": g.width, "FILE_LENGTH": g.length, "XMIN": 0, "XMAX": g.width - 1, "YMIN": 0,
           "YMAX": g.length - 1, "X_FIRST": repr(g.x_first), "Y_FIRST": repr(g.y_first), "X_STEP": repr(g.x_step),
           "Y_STEP": repr(g.y_step), "X_UNIT": unit, "Y_UNIT": unit, "Z_OFFSET": 0, "Z_SCALE": 1,
           "PROJECTION": "LATLON" if g.epsg == 4326 else f"EPSG:{g.epsg}"}
    try:
        rsc["WAVELENGTH"] = repr(inp.wavelength(wavelength))
    except Exception:
        pass
    if inp.dates:
        d1, d2 = (dt.datetime.strptime(d, "%Y%m%d") for d in inp.dates)
        rsc.update(DATE12=f"{inp.dates[0][2:]}-{inp.dates[1][2:]}", DATE=inp.dates[0][2:],
                   TIME_SPAN_YEAR=repr((d2 - d1).days / 365.25))
    heading = inp.heading[np.isfinite(inp.heading)]
    if heading.size:
        rsc["HEADING_DEG"] = repr(float(np.rad2deg(np.arctan2(np.mean(np.sin(np.deg2rad(heading))),
                                                              np.mean(np.cos(np.deg2rad(heading)))))))
    for key in ("ORBIT_DIRECTION", "PLATFORM", "MISSION", "CENTER_LINE_UTC", "REF_LAT", "REF_LON", "REF_Y", "REF_X",
                "LAT_REF1", "LON_REF1", "LAT_REF2", "LON_REF2", "LAT_REF3", "LON_REF3", "LAT_REF4", "LON_REF4"):
        if key in a:
            rsc[key] = a[key]
    return rsc


def _write_binary(path: Path, data: np.ndarray, rsc: dict) -> list[Path]:
    with atomic_output(path) as tmp:
        np.ascontiguousarray(data).tofile(tmp)
    rsc_path = path.with_name(path.name + ".rsc")
    with atomic_output(rsc_path) as tmp:
        tmp.write_text(rsc_text(rsc))
    return [path, rsc_path]


def bil(band1: np.ndarray, band2: np.ndarray) -> np.ndarray:
    """Two (length, width) bands interleaved by line: array (length, 2, width) float32 little-endian."""
    return np.stack([band1, band2], axis=1).astype("<f4")


def phase_of(inp: ExportInput, wavelength: float | None) -> np.ndarray:
    """Unwrapped phase in radians (per year for velocity): ``-4 pi d / lambda``."""
    return -4.0 * np.pi / inp.wavelength(wavelength) * inp.data


def write_unw(inp: ExportInput, path: Path, wavelength: float | None, rsc: dict) -> list[Path]:
    phase = phase_of(inp, wavelength)
    valid = np.isfinite(phase)
    unit = "radian" if inp.quantity == "displacement" else "radian/year"
    return _write_binary(path, bil(valid.astype(np.float32), np.where(valid, phase, 0.0)),
                         {**rsc, "UNIT": unit, "BANDS": 2, "INTERLEAVE": "BIL", "DATA_TYPE": "float32",
                          "BYTE_ORDER": "little-endian"})


def write_cor(inp: ExportInput, path: Path, rsc: dict) -> list[Path]:
    valid = np.isfinite(inp.data)
    cor = inp.coherence if inp.coherence is not None else np.ones(inp.data.shape)
    cor = np.where(valid & np.isfinite(cor), cor, 0.0)
    return _write_binary(path, bil(valid.astype(np.float32), cor),
                         {**rsc, "UNIT": "1", "BANDS": 2, "INTERLEAVE": "BIL", "DATA_TYPE": "float32",
                          "BYTE_ORDER": "little-endian"})


def write_dem(inp: ExportInput, path: Path, rsc: dict) -> list[Path]:
    if inp.height is None:
        return []
    h = np.where(np.isfinite(inp.height), np.rint(inp.height), -32768)
    return _write_binary(path, np.clip(h, -32768, 32767).astype("<i2"),
                         {**rsc, "UNIT": "m", "BANDS": 1, "DATA_TYPE": "int16", "BYTE_ORDER": "little-endian"})


def write_los(inp: ExportInput, path: Path, rsc: dict) -> list[Path]:
    inc, head = inp.incidence, inp.heading
    valid = np.isfinite(inc) & np.isfinite(head)
    return _write_binary(path, bil(np.where(valid, inc, 0.0), np.where(valid, head, 0.0)),
                         {**rsc, "UNIT": "degree", "BANDS": 2, "INTERLEAVE": "BIL", "DATA_TYPE": "float32",
                          "BYTE_ORDER": "little-endian"})


def write_roipac_set(inp: ExportInput, outdir: Path, name: str, wavelength: float | None,
                     files: tuple[str, ...] = ("unw", "cor", "dem", "los"),
                     extra_rsc: dict | None = None) -> list[Path]:
    """Write ``outdir/name.<ext>`` (+ ``.rsc``) for every ``files`` kind; the DEM only when a height exists."""
    rsc = {**base_rsc(inp, wavelength), **(extra_rsc or {})}
    out: list[Path] = []
    for kind in files:
        path = Path(outdir) / f"{name}.{kind}"
        if kind == "unw":
            out += write_unw(inp, path, wavelength, rsc)
        elif kind == "cor":
            out += write_cor(inp, path, rsc)
        elif kind == "dem":
            out += write_dem(inp, path, rsc)
        elif kind == "los":
            out += write_los(inp, path, rsc)
        else:
            raise ValueError(f"unknown ROI_PAC file kind {kind}")
    return out
