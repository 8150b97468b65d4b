"""LiCSBAS and LiCSAR products read into the same :class:`~mimtpy.io.product.Product` as MintPy's.

Formats (each recognised by its content, see :data:`mimtpy.io.READERS`):

* LiCSBAS ``cum.h5`` / ``cum_filt.h5`` (``LiCSBAS13_sb_inv.py``, ``LiCSBAS16_filt_ts.py``): ``cum`` (n_im, length,
  width) cumulative LOS displacement in **mm**, ``imdates`` (YYYYMMDD integers), ``vel`` (mm/yr), ``bperp``,
  ``refarea`` (``"x1:x2/y1:y2"``, Python pixel ranges: x2, y2 exclusive), ``corner_lat``/``corner_lon`` = the
  **centre** of the first pixel and ``post_lat`` (< 0) / ``post_lon``. Exposed like a MintPy ``timeseries.h5``:
  ``timeseries`` in **m** (FILE_TYPE timeseries, UNIT m), ``velocity`` in m/year, ``date``; the grid is MintPy's
  (``X_FIRST = corner_lon - post_lon/2``, ``Y_FIRST = corner_lat - post_lat/2``); REF_Y/REF_X = the centre pixel of
  ``refarea`` (``(y1 + y2 - 1) // 2``), REF_LAT/REF_LON its centre. No-data: NaN, and pixels whose ``vel`` is exactly
  0 outside ``refarea``; the first epoch is 0 by construction and stays valid. 2-D datasets that LiCSBAS >= 1.5.2
  copies into cum.h5 (``hgt``, ``coh_avg``, ``E.geo``/``N.geo``/``U.geo``, ...) and LiCSBAS16 into cum_filt.h5
  (``mask``, ``vstd``, ``stc``) are exposed (:data:`INNER`), so a cum.h5 alone has its geometry. A cum.h5 without
  ``corner_lat`` (LiCSBAS in radar coordinates) is refused. What each LiCSBAS script writes (read in its source)
  is listed in the ``conventions`` of :data:`mimtpy.io.READERS` (docs/formats.md).
* a LiCSBAS time-series folder ``TS_GEOCml*/``: its ``cum_filt.h5`` (the filtered series, preferred as
  ``LiCSBAS_out2nc.py`` does) or ``cum.h5``, with ``results/mask`` applied; a LiCSBAS work folder (``<frame>/``
  with ``GEOCml*/`` and one ``TS_GEOCml*/``) opens as that time series.
* its ``results/`` folder: raw little-endian float32 rasters without extension (``vel``, ``vstd``, ``coh_avg``,
  ``mask``, ``n_gap``, ``n_unw``, ``stc``, ``resid_rms``, ``maxTlen``, ``hgt``, ...) sized by ``EQA.dem_par``
  (looked for in ``results/``, the TS folder, ``TS/info/``, then the ``GEOCml*`` folder the TS folder is named
  after, as LiCSBAS lays them out), or their GeoTIFF variants (``vel.geo.tif``, ...). ``vel``/``vstd`` (mm/yr) are
  exposed as ``velocity``/``velocityStd`` in m/year (a std of 0, as at the reference pixel, is unknown: NaN, so it
  never gets an infinite weight), ``hgt`` as ``height`` (m), ``vintercept``/``resid_rms``/``stc`` in m, the others
  under their LiCSBAS names. ``results/vel`` is relative to the preliminary reference of ``info/12ref.txt``
  (LiCSBAS13 writes it before re-referencing cum.h5): REF_Y/REF_X come from that file when it is there.
* a LiCSAR / ``decompose_insar_velocities`` frame folder ``<frame>/`` of GeoTIFFs: ``*vel*.geo.tif`` (or ``vel.tif``),
  ``*vstd*``, ``E/N/U`` (``E.geo.tif``, ``<frame>.geo.E.tif``, ``<frame>_E.geo.tif``, ...), ``mask*``, ``hgt``.
  E/N/U and hgt missing beside the velocity are taken from ``<frame>/metadata/`` (LiCSAR's layout); 0 in an
  E/N/U raster is no data (LiCSAR writes 0 there; LiCSBAS02_ml_prep.py reads it so).
  A velocity GeoTIFF without a UNIT tag is mm/yr (LiCSBAS/LiCSAR), logged. Unit-vector rasters are exposed as
  ``losEast``/``losNorth``/``losUp`` (ground to satellite, as MintPy's LOS vector) and as MintPy's
  ``incidenceAngle`` = acos(U) and ``azimuthAngle`` = atan2(-E, N) (degrees), so the geometry lookup of
  :mod:`mimtpy.ops.geometry` finds them without options. Rasters on another grid than the velocity are sampled
  at its pixel centres (nearest).

LOS sign: LiCSBAS converts unwrapped phase with ``coef_r2m = -lambda / (4 pi)`` ("positive is -LOS"): ``cum`` and
``vel`` are positive TOWARD the satellite, as MintPy; mimtpy keeps that sign. Masks: non-zero = valid (LiCSBAS
``mask``: 1 valid, 0 masked). Readers apply the product's own mask to ``timeseries``/``velocity``/``velocityStd`` by
default; ``mask=False`` turns that off. The frame ID ``TTTd_xxxxx_yyyyyy`` (e.g. ``014A_04939_131313``) found in the
path gives ``FRAME_ID``, ``relative_orbit``/``trackNumber`` (14) and ``ORBIT_DIRECTION`` (ASCENDING/DESCENDING).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from mimtpy.core.arrays import ResampledArray
from mimtpy.core.grid import Grid
from mimtpy.core.units import LENGTH, RATE
from mimtpy.errors import ProductError
from mimtpy.io.atomic import atomic_output
from mimtpy.io.gamma import SENTINEL1_WAVELENGTH, dem_par_grid
from mimtpy.io.geotiff import read_geotiff
from mimtpy.io.hdf5 import read_epochs
from mimtpy.io.product import DatasetInfo, Product

logger = logging.getLogger(__name__)

FRAME_ID = re.compile(r"(?<![0-9A-Za-z])(\d{3})([AD])_(\d{5})_(\d{6})(?![0-9])")
TIF_SUFFIXES = (".tif", ".tiff")
#: LiCSBAS raster name -> exposed dataset name (others keep their own name)
NAMES = {"vel": "velocity", "vstd": "velocityStd", "hgt": "height", "mask": "mask", "e": "losEast",
         "n": "losNorth", "u": "losUp"}
#: datasets the product's mask applies to
MASKED = ("timeseries", "velocity", "velocityStd")
ENU = ("losEast", "losNorth", "losUp")
#: 2-D datasets that LiCSBAS13_sb_inv.py (>= v1.5.2) copies into cum.h5 and LiCSBAS16_filt_ts.py into
#: cum_filt.h5 (with mask, vstd, stc of results/): name in the file -> (exposed name, factor to SI)
INNER = {"hgt": ("height", 1.0), "coh_avg": ("coh_avg", 1.0), "n_unw": ("n_unw", 1.0),
         "n_loop_err": ("n_loop_err", 1.0), "n_gap": ("n_gap", 1.0), "n_ifg_noloop": ("n_ifg_noloop", 1.0),
         "maxTlen": ("maxTlen", 1.0), "resid_rms": ("resid_rms", 0.001), "E.geo": ("losEast", 1.0),
         "N.geo": ("losNorth", 1.0), "U.geo": ("losUp", 1.0), "mask": ("mask", 1.0),
         "vstd": ("velocityStd", 0.001), "stc": ("stc", 0.001)}
_BINARY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.(filt|mskd))*$")


# ----------------------------------------------------------------------------------------------- frame ID
def parse_frame_id(text: str | Path) -> dict[str, str] | None:
    """MintPy-style attributes of the last LiCSAR frame ID in ``text`` (a name or path), or None.

    ``014A_04939_131313`` -> FRAME_ID, relative_orbit = trackNumber = '14', ORBIT_DIRECTION = 'ASCENDING'."""
    found = FRAME_ID.findall(str(text))
    if not found:
        return None
    track, direction, burst, swaths = found[-1]
    return {"FRAME_ID": f"{track}{direction}_{burst}_{swaths}", "relative_orbit": str(int(track)),
            "trackNumber": str(int(track)), "ORBIT_DIRECTION": "ASCENDING" if direction == "A" else "DESCENDING",
            "PLATFORM": "Sen", "mission": "S1", "beam_mode": "IW"}


# ----------------------------------------------------------------------------------------------- names
def tif_key(path: Path) -> str:
    """The LiCSBAS name of a GeoTIFF: the file name without frame ID, ``geo`` and extension, lower case,
    words joined by '_' (``014A_04939_131313.vel.geo.tif`` -> 'vel', ``x.geo.E.tif`` -> 'e',
    ``vel_filt.geo.tif`` -> 'vel_filt')."""
    name = path.name
    for suffix in TIF_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[:-len(suffix)]
    name = FRAME_ID.sub("", name)
    words = [w for w in re.split(r"[._\-]+", name.lower()) if w and w != "geo"]
    return "_".join(words)


def classify(key: str) -> str | None:
    """Which role a raster named ``key`` plays: velocity, velocityStd, mask, height, losEast/North/Up, or None."""
    words = key.split("_")
    if key in ("e", "n", "u"):
        return NAMES[key]
    if "vstd" in words or ("vel" in words and "std" in words) or key in ("std", "velocity_std"):
        return "velocityStd"
    if "vel" in words or "velocity" in words or key == "vlos":
        return "velocity"
    if "mask" in words:
        return "mask"
    if key in ("hgt", "dem", "height"):
        return "height"
    return None


def _plainness(key: str) -> tuple[int, int]:
    """Sort key of candidate files: unmasked before pre-masked (``mskd``: the mask is applied by the reader, and
    ``mask=False`` must be able to turn it off), then fewer words ('vel' before 'vel_filt')."""
    words = key.split("_")
    return (int(any(w in ("mskd", "masked") for w in words)), len(words))


def _pick(role: str, candidates: list[tuple[str, Path]], folder: Path) -> Path:
    """One file for ``role`` among ``(key, path)`` candidates: the plainest name (:func:`_plainness`);
    ProductError listing them when two are equally plain."""
    best = min(_plainness(k) for k, _ in candidates)
    plain = [(k, p) for k, p in candidates if _plainness(k) == best]
    if len(plain) > 1:
        raise ProductError(f"{folder}: several {role} files ({', '.join(p.name for _, p in plain)}); keep one or "
                           "give the file itself")
    if len(candidates) > 1:
        logger.info("%s: %s from %s (also found: %s)", folder, role, plain[0][1].name,
                    ", ".join(p.name for _, p in candidates if p != plain[0][1]))
    return plain[0][1]


# ----------------------------------------------------------------------------------------------- sources
# A source is a plain tuple (picklable): ("bin", path, factor) | ("tif", path, factor) | ("cum", path, factor)
# | ("vel", path, factor) (cum.h5's vel) | ("angle", which).

def _read_source(source: tuple, grid: Grid, epochs, rows: slice, cols: slice) -> np.ndarray:
    kind = source[0]
    if kind == "bin":
        _, path, factor = source
        data = np.array(np.memmap(path, dtype="<f4", mode="r", shape=grid.shape)[rows, cols], dtype=np.float32)
        return data * np.float32(factor) if factor != 1 else data
    if kind == "tif":
        _, path, factor = source
        product = read_geotiff(path)
        name = next(iter(product.datasets))
        if product.grid == grid:
            data = product.read(name, rows, cols)
        else:
            data = ResampledArray(product.array(name), product.grid, grid, "nearest")[rows, cols]
        data = np.asarray(data, dtype=np.float32)
        return data * np.float32(factor) if factor != 1 else data
    if kind == "finite":                           # a mask: 1 where the source has data (a .mskd velocity)
        return np.isfinite(_read_source(source[1], grid, epochs, rows, cols)).astype(np.float32)
    if kind == "h5":                               # a 2-D dataset of cum.h5 (LiCSBAS >= 1.5.2 copies them in)
        _, path, name, factor = source
        with h5py.File(path, "r") as f:
            data = np.asarray(f[name][rows, cols], dtype=np.float32)
        return data * np.float32(factor) if factor != 1 else data
    if kind in ("cum", "vel"):
        _, path, factor, refarea = source
        with h5py.File(path, "r") as f:
            if kind == "cum":
                data = read_epochs(f["cum"], epochs, rows, cols)
            else:
                data = f["vel"][rows, cols]
            vel = f["vel"][rows, cols] if "vel" in f else None
        data = np.asarray(data, dtype=np.float32) * np.float32(factor)
        if vel is not None:
            bad = vel == 0
            if refarea is not None:
                r0 = rows.indices(grid.length)[0]
                c0 = cols.indices(grid.width)[0]
                y1, y2, x1, x2 = refarea
                bad[max(y1 - r0, 0):max(y2 - r0, 0), max(x1 - c0, 0):max(x2 - c0, 0)] = False
            data[..., bad] = np.nan
        return data
    raise AssertionError(kind)


def _read_dataset(sources: dict[str, tuple], grid: Grid, apply_mask: bool, name: str, epochs, rows: slice,
                  cols: slice) -> np.ndarray:
    """A window of dataset ``name`` (module level, bound with functools.partial: products pickle)."""
    if name in ("incidenceAngle", "azimuthAngle"):
        e, n, u = (_read_source(sources[k], grid, None, rows, cols).astype(np.float64) for k in ENU)
        for c in (e, n, u):
            c[c == 0] = np.nan                # 0 = no data, as when each component is read
        with np.errstate(invalid="ignore"):
            angle = (np.degrees(np.arccos(np.clip(u, -1, 1))) if name == "incidenceAngle"
                     else np.degrees(np.arctan2(-e, n)))
        return angle.astype(np.float32)
    data = _read_source(sources[name], grid, epochs, rows, cols)
    if name in ENU:
        data[data == 0] = np.nan             # LiCSAR E/N/U GeoTIFFs: 0 = no data (LiCSBAS02_ml_prep.py does the same)
    if name == "velocityStd":
        data[data <= 0] = np.nan             # LiCSBAS: 0 at the reference and where no std was estimated
    if apply_mask and name in MASKED and "mask" in sources:
        mask = _read_source(sources["mask"], grid, None, rows, cols)
        data[..., ~(np.nan_to_num(mask) != 0)] = np.nan
    return data


def _direction_from_enu(sources: dict[str, tuple], grid: Grid) -> str | None:
    """ASCENDING when the LOS vector (ground to satellite) points west (right-looking: east for DESCENDING),
    from the median east component of a few rows; None when unknown."""
    if "losEast" not in sources:
        return None
    rows = sorted({0, grid.length // 4, grid.length // 2, 3 * grid.length // 4, grid.length - 1})
    east = np.concatenate([_read_source(sources["losEast"], grid, None, slice(r, r + 1), slice(None)).ravel()
                           for r in rows])
    east = east[np.isfinite(east) & (east != 0)]                # 0 = no data (LiCSAR)
    if east.size == 0:
        return None
    return "ASCENDING" if np.median(east) < 0 else "DESCENDING"


def _product(path: Path, family: str, attrs: dict, grid: Grid, sources: dict[str, tuple], apply_mask: bool,
             units: dict[str, str], dates: list[str] | None = None, n_epochs: int = 0) -> Product:
    if "ORBIT_DIRECTION" not in attrs:
        direction = _direction_from_enu(sources, grid)
        if direction:
            attrs = {**attrs, "ORBIT_DIRECTION": direction}
            logger.info("%s: no frame ID in the path; ORBIT_DIRECTION %s from the LOS vector (right-looking)",
                        path, direction)
    datasets = {}
    for name in sources:
        shape = (n_epochs, *grid.shape) if name == "timeseries" else grid.shape
        datasets[name] = DatasetInfo(name, shape, np.dtype(np.float32), units.get(name, ""))
    if all(k in sources for k in ENU):
        for name in ("incidenceAngle", "azimuthAngle"):
            datasets[name] = DatasetInfo(name, grid.shape, np.dtype(np.float32), "degrees")
    attrs = {**attrs, **grid.to_attrs(), "PROCESSOR": attrs.get("PROCESSOR", "LiCSBAS")}
    attrs.setdefault("WAVELENGTH", str(SENTINEL1_WAVELENGTH))
    if "mask" in sources:
        attrs["MASK_APPLIED"] = "yes" if apply_mask else "no"
    product = Product(path, family, attrs, grid, datasets, list(dates or []),
                      functools.partial(_read_dataset, sources, grid, apply_mask))
    return product


# ----------------------------------------------------------------------------------------------- cum.h5
def is_cum_h5(path: Path) -> bool:
    """A LiCSBAS cum*.h5: HDF5 with ``cum`` and ``imdates`` datasets."""
    if path.suffix.lower() != ".h5" or not path.is_file() or not h5py.is_hdf5(path):
        return False
    with h5py.File(path, "r") as f:
        return "cum" in f and "imdates" in f


def _scalar(f: h5py.File, key: str, path: Path) -> float:
    if key not in f:
        raise ProductError(f"{path}: no '{key}' dataset (a LiCSBAS cum.h5 has corner_lat, corner_lon, post_lat, "
                           "post_lon)")
    try:
        return float(np.asarray(f[key][()]).ravel()[0])
    except (TypeError, ValueError, IndexError):
        raise ProductError(f"{path}: dataset '{key}' is not a number") from None


def _refarea(text, path: Path, grid: Grid) -> tuple[int, int, int, int]:
    """(y1, y2, x1, x2) of LiCSBAS ``refarea`` "x1:x2/y1:y2" (x2, y2 exclusive)."""
    if isinstance(text, np.ndarray):
        text = text.ravel()[0] if text.size else ""
    if isinstance(text, bytes):
        text = text.decode()
    m = re.fullmatch(r"\s*(\d+):(\d+)/(\d+):(\d+)\s*", str(text))
    if not m:
        raise ProductError(f"{path}: refarea '{text}' is not 'x1:x2/y1:y2'")
    x1, x2, y1, y2 = map(int, m.groups())
    if not (0 <= x1 < x2 <= grid.width and 0 <= y1 < y2 <= grid.length):
        raise ProductError(f"{path}: refarea '{text}' is outside the {grid.length} x {grid.width} grid")
    return y1, y2, x1, x2


def read_cum_h5(path: str | Path, mask: bool = True, mask_file: Path | None = None) -> Product:
    """Open a LiCSBAS ``cum.h5``/``cum_filt.h5`` lazily as a MintPy-like time series (see the module docstring).

    The mask is ``mask_file`` or ``results/mask`` beside the file (TS folder), applied unless ``mask`` is False."""
    path = Path(path)
    if not h5py.is_hdf5(path):
        raise ProductError(f"{path}: not an HDF5 file (truncated or corrupt?)")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ProductError(f"{path}: cannot open HDF5 file (truncated or corrupt?): {err}") from None
    with f:
        for key in ("cum", "imdates"):
            if key not in f:
                raise ProductError(f"{path}: no '{key}' dataset; not a LiCSBAS cum.h5")
        shape = f["cum"].shape
        if len(shape) != 3:
            raise ProductError(f"{path}: 'cum' has shape {shape}, expected (n_im, length, width)")
        try:
            dates = [str(int(d)) for d in np.asarray(f["imdates"][()]).ravel()]
        except (TypeError, ValueError):
            raise ProductError(f"{path}: 'imdates' are not YYYYMMDD integers") from None
        if len(dates) != shape[0] or any(len(d) != 8 for d in dates):
            raise ProductError(f"{path}: {len(dates)} imdates ({dates[:2]} ...) for {shape[0]} epochs of 'cum'; "
                               "expected one YYYYMMDD per epoch")
        if "corner_lat" not in f:
            raise ProductError(f"{path}: no 'corner_lat' dataset: LiCSBAS wrote this cum.h5 in radar coordinates "
                               "(it writes corner_lat/lon, post_lat/lon only for geocoded GEOCml* data); mimtpy "
                               "needs a geocoded time series")
        post_lat, post_lon = _scalar(f, "post_lat", path), _scalar(f, "post_lon", path)
        corner_lat, corner_lon = _scalar(f, "corner_lat", path), _scalar(f, "corner_lon", path)
        grid = Grid(shape[2], shape[1], corner_lon - post_lon / 2, corner_lat - post_lat / 2, post_lon, post_lat)
        refarea = _refarea(f["refarea"][()], path, grid) if "refarea" in f else None
        has_vel = "vel" in f and tuple(f["vel"].shape) == tuple(shape[1:])
        inner = [k for k in f if k in INNER and isinstance(f[k], h5py.Dataset)
                 and tuple(f[k].shape) == tuple(shape[1:])]
        try:                       # a truncated file opens but fails on the first read
            f["cum"][0, :1, :1]
        except (OSError, RuntimeError) as err:
            raise ProductError(f"{path}: cannot read 'cum' (truncated or corrupt?): {err}") from None
    attrs = {"FILE_TYPE": "timeseries", "UNIT": "m", "REF_DATE": dates[0], "START_DATE": dates[0],
             "END_DATE": dates[-1], "DATA_TYPE": "float32", **(parse_frame_id(path.resolve()) or {})}
    if refarea is not None:
        y1, y2, x1, x2 = refarea
        ref_y, ref_x = (y1 + y2 - 1) // 2, (x1 + x2 - 1) // 2
        ref_lat, ref_lon = grid.rowcol_to_lalo(ref_y, ref_x)
        attrs.update(REF_Y=str(ref_y), REF_X=str(ref_x), REF_LAT=repr(ref_lat), REF_LON=repr(ref_lon))
    sources: dict[str, tuple] = {"timeseries": ("cum", str(path), 0.001, refarea)}
    if has_vel:
        sources["velocity"] = ("vel", str(path), 0.001, refarea)
    for key in inner:                          # hgt, coh_avg, E.geo, ..., and mask/vstd/stc of cum_filt.h5
        name, factor = INNER[key]
        sources[name] = ("h5", str(path), key, factor)
    results = path.parent / "results"
    mask_file = mask_file or (results / "mask" if (results / "mask").exists() else None)
    if mask_file is not None:
        sources["mask"] = _mask_source(mask_file, grid)
    sources.update(_geoc_enu(find_dem_par(results), grid))
    units = {"timeseries": "m", "velocity": "m/year", "mask": "1", "velocityStd": "m/year", "height": "m",
             "stc": "m", "resid_rms": "m", "maxTlen": "year"}
    return _product(path, "licsbas", attrs, grid, sources, mask, units, dates, shape[0])


def _mask_source(mask_file: Path, grid: Grid) -> tuple:
    if mask_file.suffix.lower() in TIF_SUFFIXES:
        return ("tif", str(mask_file), 1.0)
    size = mask_file.stat().st_size
    if size != 4 * grid.width * grid.length:
        raise ProductError(f"{mask_file}: {size} bytes, expected {4 * grid.width * grid.length} for the "
                           f"{grid.length} x {grid.width} float32 mask of the time series")
    return ("bin", str(mask_file), 1.0)


# ----------------------------------------------------------------------------------------------- TS folder
def _cum_files(folder: Path) -> list[Path]:
    return [p for p in (folder / "cum_filt.h5", folder / "cum.h5") if p.is_file()]


def is_ts_folder(path: Path) -> bool:
    """A LiCSBAS TS_GEOCml* folder: holds cum.h5 or cum_filt.h5."""
    return path.is_dir() and bool(_cum_files(path))


def read_ts_folder(path: str | Path, mask: bool = True) -> Product:
    """The time series of a LiCSBAS ``TS_GEOCml*`` folder: ``cum_filt.h5`` (else ``cum.h5``), ``results/mask``."""
    path = Path(path)
    found = _cum_files(path)
    if not found:
        raise ProductError(f"{path}: no cum.h5 or cum_filt.h5 (a LiCSBAS TS_GEOCml* folder)")
    if len(found) > 1:
        logger.info("%s: time series from %s (the filtered series; give cum.h5 itself for the unfiltered one)",
                    path, found[0].name)
    product = read_cum_h5(found[0], mask)
    product.attrs["FILE_PATH"] = str(found[0])
    return product


def _ts_children(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.glob("TS_*")) if is_ts_folder(p)]


def is_work_folder(path: Path) -> bool:
    """A LiCSBAS work folder (``<frame>/`` holding ``GEOCml*/`` and ``TS_GEOCml*/``)."""
    return path.is_dir() and bool(_ts_children(path))


def read_work_folder(path: str | Path, mask: bool = True) -> Product:
    """The time series of the one ``TS_GEOCml*`` folder of a LiCSBAS work folder; ProductError listing them
    when there are several (give the one to use)."""
    path = Path(path)
    found = _ts_children(path)
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise ProductError(f"{path}: {len(found)} LiCSBAS time-series folders ({names}); give one of them")
    logger.info("%s: LiCSBAS time series of %s", path, found[0].name)
    return read_ts_folder(found[0], mask)


# ----------------------------------------------------------------------------------------------- rasters
def find_dem_par(folder: Path) -> Path | None:
    """``EQA.dem_par`` of a LiCSBAS results folder: in it, the TS folder above, ``TS/info``, the ``GEOCml*``
    folder the TS folder is named after, or the only GEOCml* folder beside it."""
    ts = folder.parent
    candidates = [folder / "EQA.dem_par", ts / "EQA.dem_par", ts / "info" / "EQA.dem_par"]
    if ts.name.startswith("TS_"):
        candidates.append(ts.parent / ts.name[3:] / "EQA.dem_par")
    candidates += sorted(ts.parent.glob("GEOC*/EQA.dem_par"))
    candidates += [ts.parent / "EQA.dem_par"]
    return next((c for c in candidates if c.is_file()), None)


def _geoc_enu(dem_par: Path | None, grid: Grid) -> dict[str, tuple]:
    """LOS unit-vector rasters ``E.geo``/``N.geo``/``U.geo`` beside ``EQA.dem_par`` (LiCSBAS GEOCml*), when
    all three are there on ``grid``."""
    if dem_par is None:
        return {}
    try:
        if dem_par_grid(dem_par).shape != grid.shape:
            return {}
    except ProductError:
        return {}
    size = 4 * grid.width * grid.length
    files = {name: dem_par.parent / f"{comp}.geo" for comp, name in zip("ENU", ENU, strict=True)}
    if all(f.is_file() and f.stat().st_size == size for f in files.values()):
        return {name: ("bin", str(f), 1.0) for name, f in files.items()}
    return {}


def _binaries(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if p.is_file() and _BINARY.fullmatch(p.name)]


def _tifs(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in TIF_SUFFIXES]


def is_results_folder(path: Path) -> bool:
    """A LiCSBAS results/ folder of float32 binaries (a ``vel`` file without extension)."""
    return path.is_dir() and any(classify(p.name.lower().replace(".", "_")) == "velocity" for p in _binaries(path))


def is_frame_folder(path: Path) -> bool:
    """A folder of LiCSAR/LiCSBAS GeoTIFFs with a velocity (``*vel*.tif``) among them."""
    return path.is_dir() and any(classify(tif_key(p)) == "velocity" for p in _tifs(path))


def is_frame_velocity_tif(path: Path) -> bool:
    """A LiCSBAS/LiCSAR velocity GeoTIFF given alone: named like one (``vel.geo.tif``, ``<frame>.vel.geo.tif``,
    ...), without a UNIT tag, with a frame ID in its path or E/N/U rasters beside it."""
    if path.suffix.lower() not in TIF_SUFFIXES or not path.is_file() or classify(tif_key(path)) != "velocity":
        return False
    if parse_frame_id(path.resolve()) is None and not any(classify(tif_key(p)) in ENU for p in _tifs(path.parent)):
        return False
    try:
        product = read_geotiff(path)
    except ProductError:
        return False
    return "UNIT" not in product.attrs and product.attrs.get("FILE_TYPE") == "data"


def _roles(files: list[tuple[str, Path]], folder: Path) -> dict[str, Path]:
    """Dataset name -> file: velocity/velocityStd/mask/height/losEast.. picked by :func:`_pick`, others by name."""
    by_role: dict[str, list[tuple[str, Path]]] = {}
    extras: dict[str, Path] = {}
    for key, path in files:
        role = classify(key)
        if role is None:
            extras.setdefault(key, path)
        else:
            by_role.setdefault(role, []).append((key, path))
    chosen = {role: _pick(role, cands, folder) for role, cands in by_role.items()}
    for key, path in extras.items():
        if key not in chosen:
            chosen[key] = path
    return chosen


def _tif_factor(path: Path, role: str, folder: Path) -> tuple[float, str]:
    """(factor to SI, SI unit) of a GeoTIFF: from its UNIT tag, else LiCSBAS's mm/yr for velocities (logged)."""
    product = read_geotiff(path)
    unit = product.attrs.get("UNIT", "").strip().lower()
    if role in ("velocity", "velocityStd"):
        if unit in RATE:
            return RATE[unit], "m/year"
        if unit:
            raise ProductError(f"{path}: UNIT '{unit}' is not a velocity unit ({', '.join(RATE)})")
        logger.info("%s: no unit tag: read as LiCSBAS/LiCSAR mm/yr", path)
        return 0.001, "m/year"
    if role == "height":
        return LENGTH.get(unit, 1.0), "m"
    return 1.0, ""


def read_raster_folder(path: str | Path, mask: bool = True, velocity_file: Path | None = None) -> Product:
    """A LiCSBAS ``results/`` folder (float32 binaries + EQA.dem_par, or GeoTIFFs) or a LiCSAR /
    ``decompose_insar_velocities`` frame folder of GeoTIFFs, as a velocity product in m/year (module docstring).

    ``velocity_file``: the velocity GeoTIFF to use (when one was given alone)."""
    folder = Path(path)
    tifs = [(tif_key(p), p) for p in _tifs(folder)]
    all_tifs = list(tifs)
    velocity_tifs = [p for k, p in tifs if classify(k) == "velocity"]
    binaries = [(p.name.lower().replace(".", "_"), p) for p in _binaries(folder)]
    if velocity_file is None and not velocity_tifs and any(classify(k) == "velocity" for k, _ in binaries):
        return _read_binary_results(folder, binaries, mask)
    if velocity_file is None and not velocity_tifs:
        raise ProductError(f"{folder}: no velocity raster (vel, *vel*.geo.tif) found")
    if velocity_file is not None:
        tifs = [(k, p) for k, p in tifs if classify(k) != "velocity" or p == velocity_file]
    have = {classify(k) for k, _ in tifs}
    if (folder / "metadata").is_dir():            # LiCSAR frame: <frame>/metadata/<frame>.geo.E.tif, ...
        tifs += [(k, p) for k, p in ((tif_key(p), p) for p in _tifs(folder / "metadata"))
                 if classify(k) in (*ENU, "height") and classify(k) not in have]
    files = _roles(tifs, folder)
    vel_path = files["velocity"]
    grid = read_geotiff(vel_path).grid
    sources, units = {}, {}
    for name, file in files.items():
        name = NAMES.get(name, name)
        factor, unit = _tif_factor(file, name, folder)
        other = read_geotiff(file).grid
        if other != grid:
            logger.info("%s: %s is on another grid (%s) than %s: sampled at its pixel centres (nearest)", folder,
                        file.name, other.shape, vel_path.name)
        sources[name], units[name] = ("tif", str(file), factor), unit
    if "mask" not in sources:
        masked = _masked_twin(vel_path, all_tifs)
        if masked is not None:
            logger.info("%s: no mask raster; mask = where %s has data", folder, masked.name)
            sources["mask"], units["mask"] = ("finite", ("tif", str(masked), 1.0)), "1"
    attrs = {"FILE_TYPE": "velocity", "UNIT": "m/year", "FILE_PATH": str(vel_path),
             **(parse_frame_id(folder.resolve()) or parse_frame_id(vel_path.name) or {})}
    logger.info("%s: %s", folder, ", ".join(f"{n} <- {Path(s[1] if s[0] != 'finite' else s[1][1]).name}"
                                            for n, s in sources.items()))
    return _product(folder, "licsar", attrs, grid, sources, mask, units)


def _masked_twin(vel_path: Path, tifs: list[tuple[str, Path]]) -> Path | None:
    """The pre-masked version of a velocity GeoTIFF (``<frame>.vel.geo.tif`` -> ``<frame>.vel.mskd.geo.tif``, as
    COMET's licsar2licsbas.sh publishes both without a mask raster), or None."""
    key = tif_key(vel_path)
    return next((p for k, p in tifs if k == f"{key}_mskd" and p != vel_path), None)


def _read_binary_results(folder: Path, binaries: list[tuple[str, Path]], mask: bool) -> Product:
    dem_par = find_dem_par(folder)
    if dem_par is None:
        ts = folder.parent
        raise ProductError(f"{folder}: LiCSBAS float32 rasters need EQA.dem_par for their size and place; looked "
                           f"in {folder}, {ts}, {ts / 'info'} and {ts.parent}/GEOC*/ (copy it from the GEOCml "
                           "folder)")
    grid = dem_par_grid(dem_par)
    size = 4 * grid.width * grid.length
    files = _roles([(k, p) for k, p in binaries if p.stat().st_size == size], folder)
    skipped = [p.name for k, p in binaries if p.stat().st_size != size]
    if skipped:
        logger.info("%s: not %d x %d float32 (EQA.dem_par), skipped: %s", folder, grid.length, grid.width,
                    ", ".join(skipped))
    if "velocity" not in files:
        raise ProductError(f"{folder}: 'vel' is not {grid.length} x {grid.width} float32 as {dem_par} says "
                           f"({size} bytes)")
    sources, units = {}, {}
    for name, file in files.items():
        name = NAMES.get(name, name)
        unit = BINARY_UNITS.get(name, "")
        factor = 0.001 if unit in ("m/year", "m") and name != "height" else 1.0
        sources[name] = ("bin", str(file), factor)
        units[name] = unit
    for name, source in _geoc_enu(dem_par, grid).items():
        sources.setdefault(name, source)
    attrs = {"FILE_TYPE": "velocity", "UNIT": "m/year", **(parse_frame_id(folder.resolve()) or {}),
             **_results_reference(folder, grid)}
    logger.info("%s: LiCSBAS rasters (mm/yr -> m/yr) on the grid of %s", folder, dem_par)
    return _product(folder, "licsbas", attrs, grid, sources, mask, units)


#: units (SI) of LiCSBAS results/ rasters: vel, vstd (mm/yr), vintercept, resid_rms, stc (mm) -> m; hgt m
BINARY_UNITS = {"velocity": "m/year", "velocityStd": "m/year", "vintercept": "m", "resid_rms": "m", "stc": "m",
                "height": "m", "maxTlen": "year"}


def _results_reference(folder: Path, grid: Grid) -> dict[str, str]:
    """REF_Y/REF_X/REF_LAT/REF_LON of a LiCSBAS ``results/vel``: LiCSBAS13_sb_inv.py writes it per patch
    BEFORE it re-references cum.h5 to its stable point, so it is relative to the preliminary reference area of
    ``info/12ref.txt`` ("x1:x2/y1:y2", end exclusive; its centre pixel); {} without that file."""
    ref_file = folder.parent / "info" / "12ref.txt"
    if not ref_file.is_file():
        return {}
    words = ref_file.read_text().split()
    try:
        y1, y2, x1, x2 = _refarea(words[0] if words else "", ref_file, grid)
    except ProductError as err:
        logger.warning("%s; no reference point for %s", err, folder)
        return {}
    ref_y, ref_x = (y1 + y2 - 1) // 2, (x1 + x2 - 1) // 2
    ref_lat, ref_lon = grid.rowcol_to_lalo(ref_y, ref_x)
    return {"REF_Y": str(ref_y), "REF_X": str(ref_x), "REF_LAT": repr(ref_lat), "REF_LON": repr(ref_lon)}


def read_velocity_tif(path: str | Path, mask: bool = True) -> Product:
    """A LiCSBAS/LiCSAR velocity GeoTIFF given alone: the frame folder around it, with this velocity."""
    path = Path(path)
    return read_raster_folder(path.parent, mask, velocity_file=path)


# ----------------------------------------------------------------------------------------------- writers
@contextlib.contextmanager
def stream_cum_h5(path: str | Path, shape: tuple[int, int, int], dates: list[str], grid: Grid,
                  refarea: tuple[int, int, int, int], bperp: np.ndarray | None = None,
                  extras: dict[str, np.ndarray] | None = None) -> Iterator[dict]:
    """A LiCSBAS ``cum.h5`` laid out as ``LiCSBAS13_sb_inv.py`` (v1.5.2) writes it, filled through the yielded
    ``{'cum', 'vel', 'vintercept', 'gap'}`` datasets: ``cum`` (n_im, length, width) float32 mm, ``vel`` float32
    mm/yr, ``vintercept`` float32 mm, ``gap`` int8 (n_im - 1, length, width), NaN = no data; ``imdates`` int32
    YYYYMMDD; ``bperp`` only when given (LiCSBAS leaves out a dummy one); ``corner_lat/lon`` (float64 scalars) =
    centre of the first pixel of ``grid``, ``post_lat`` (< 0) / ``post_lon``; ``refarea`` = (y1, y2, x1, x2)
    written as the string "x1:x2/y1:y2" (x2, y2 exclusive); ``extras``: 2-D datasets copied in as LiCSBAS does
    (``coh_avg``, ``hgt``, ``n_gap``, ..., ``E.geo``/``N.geo``/``U.geo``). It appears under ``path`` only when
    complete."""
    path = Path(path)
    y1, y2, x1, x2 = refarea
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("imdates", data=np.array([int(d) for d in dates], dtype=np.int32))
            if bperp is not None:
                f.create_dataset("bperp", data=np.asarray(bperp, dtype=np.float64))
            chunks = (1, min(shape[1], 128), shape[2])
            out = {"gap": f.create_dataset("gap", shape=(shape[0] - 1, *shape[1:]), dtype=np.int8,
                                           chunks=(1, *chunks[1:]) if shape[0] > 1 else None, compression="lzf"),
                   "cum": f.create_dataset("cum", shape=shape, dtype=np.float32, chunks=chunks, compression="lzf"),
                   "vel": f.create_dataset("vel", shape=shape[1:], dtype=np.float32),
                   "vintercept": f.create_dataset("vintercept", shape=shape[1:], dtype=np.float32)}
            f.create_dataset("corner_lat", data=grid.y_first + grid.y_step / 2)
            f.create_dataset("corner_lon", data=grid.x_first + grid.x_step / 2)
            f.create_dataset("post_lat", data=grid.y_step)
            f.create_dataset("post_lon", data=grid.x_step)
            yield out
            f.create_dataset("refarea", data=f"{x1}:{x2}/{y1}:{y2}")
            for name, data in (extras or {}).items():
                f.create_dataset(name, data=np.asarray(data, dtype=np.float32), compression="lzf")
    logger.info("wrote %s", path)


def write_float32(path: str | Path, data: np.ndarray) -> Path:
    """A LiCSBAS raw raster: little-endian float32, rows of the grid one after the other, atomically."""
    path = Path(path)
    with atomic_output(path) as tmp:
        np.asarray(data, dtype="<f4").tofile(tmp)
    return path
