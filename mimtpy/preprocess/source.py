"""The input of every exporter: one LOS map (velocity or displacement) with its per-pixel geometry.

Any product :func:`mimtpy.io.open_product` reads is accepted:

* a time series (HDF-EOS5, ``timeseries.h5``): the velocity of the period (least-squares line, m/yr)
  or, with ``date = D1_D2``, the displacement ``d(D2) - d(D1)`` (m);
* a 2-D product (velocity/displacement ``.h5``, GeoTIFF, ROI_PAC ``.unw``): its main dataset,
  converted to metres (``mm``/``cm`` units scaled; unwrapped phase in radians converted with
  ``d = -lambda / (4 pi) * phase``, MintPy's sign).

LOS is positive toward the satellite. The geometry is the ground-to-satellite unit vector
(east, north, up) of every pixel (:mod:`mimtpy.core.geometry`); incidence, azimuth and heading
derive from it. ``SNWE`` really crops: the returned grid, data, geometry and attributes
(WIDTH/LENGTH, X_FIRST/Y_FIRST, corner coordinates) all describe the cropped window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io import Product, open_product
from mimtpy.ops.datasets import require_named_main

logger = logging.getLogger(__name__)

#: unit text (lower case) -> (quantity, factor to m or m/yr)
UNITS = {
    "m/year": ("velocity", 1.0), "m/yr": ("velocity", 1.0), "m/a": ("velocity", 1.0),
    "cm/year": ("velocity", 0.01), "cm/yr": ("velocity", 0.01),
    "mm/year": ("velocity", 0.001), "mm/yr": ("velocity", 0.001), "mm/a": ("velocity", 0.001),
    "m": ("displacement", 1.0), "meters": ("displacement", 1.0), "meter": ("displacement", 1.0),
    "cm": ("displacement", 0.01), "mm": ("displacement", 0.001),
}
#: preferred main datasets of a 2-D product, in order
MAIN_NAMES = ("velocity", "displacement", "unwrapPhase")
#: attributes that describe the input, not the output
_DROP = ("FILE_TYPE", "REF_Y", "REF_X", "mimtpy_settings", "UNIT", "LENGTH", "WIDTH", "FILE_LENGTH",
         "LAT_REF1", "LAT_REF2", "LAT_REF3", "LAT_REF4", "LON_REF1", "LON_REF2", "LON_REF3", "LON_REF4")


@dataclass
class ExportInput:
    """One LOS map on a (cropped) grid, SI units, and its LOS unit vector per pixel."""

    path: Path
    grid: Grid
    data: np.ndarray          # (length, width) float64, north-up as ``grid``; NaN = no data
    quantity: str             # 'velocity' (m/yr) or 'displacement' (m)
    east: np.ndarray          # LOS unit vector, ground to satellite
    north: np.ndarray
    up: np.ndarray
    attrs: dict = field(default_factory=dict)
    dates: tuple[str, str] | None = None
    coherence: np.ndarray | None = None   # temporal/spatial coherence of the product, if it has one
    height: np.ndarray | None = None      # DEM height in m, if the product or its geometry file has one

    @property
    def unit(self) -> str:
        return "m/year" if self.quantity == "velocity" else "m"

    @property
    def incidence(self) -> np.ndarray:
        """Incidence angle from the vertical at the target, degrees."""
        return np.rad2deg(np.arccos(np.clip(self.up, -1.0, 1.0)))

    @property
    def azimuth(self) -> np.ndarray:
        """Azimuth of the ground-to-satellite LOS, degrees from north, anticlockwise (MintPy)."""
        return np.rad2deg(np.arctan2(-self.east, self.north))

    @property
    def heading(self) -> np.ndarray:
        """Flight direction of a right-looking satellite, degrees clockwise from north, in [-180, 180)."""
        return (90.0 - self.azimuth + 180.0) % 360.0 - 180.0

    def wavelength(self, override: float | None = None) -> float:
        """Radar wavelength in m: ``override`` or the product's WAVELENGTH attribute."""
        if override is not None:
            return float(override)
        if "WAVELENGTH" not in self.attrs:
            raise ProductError(f"{self.path}: no WAVELENGTH attribute; give the wavelength (m) in the "
                               "'wavelength' key / --wavelength option")
        return float(self.attrs["WAVELENGTH"])


def parse_date12(text: str | None) -> tuple[str, str] | None:
    """``D1_D2`` (YYYYMMDD_YYYYMMDD) as a pair; None for auto; InputError otherwise."""
    if text is None or str(text).strip().lower() in ("", "auto", "none"):
        return None
    parts = str(text).replace("-", "_").split("_")
    if len(parts) != 2 or not all(len(p) == 8 and p.isdigit() for p in parts):
        raise InputError(f"date '{text}': expected D1_D2 as YYYYMMDD_YYYYMMDD")
    return parts[0], parts[1]


def main_dataset(product: Product, dataname: str | None) -> str:
    """The dataset to export: ``dataname`` or the first of MAIN_NAMES the product has, else its only one.
    A file whose FILE_TYPE names a dataset it lacks (a velocity.h5 without ``velocity``) is refused unless
    ``dataname`` is given (:func:`mimtpy.ops.datasets.require_named_main`): its std is never exported as it."""
    if dataname:
        product.require(dataname)
        return dataname
    require_named_main(product)
    for name in MAIN_NAMES:
        if name in product.datasets:
            return name
    two_d = [n for n, info in product.datasets.items() if not info.is_3d]
    if len(two_d) == 1:
        return two_d[0]
    raise ProductError(f"{product.path}: cannot tell which dataset to export (has: "
                       f"{', '.join(sorted(product.datasets))}); give dataname")


def _mask(product: Product, mask, grid: Grid, rows: slice, cols: slice) -> np.ndarray | None:
    """Boolean valid-pixel mask of the window (True = keep), or None."""
    if mask is None or mask is False:
        return None
    if mask is True:
        if "mask" not in product.datasets:
            raise ProductError(f"{product.path}: mask = yes but the product has no 'mask' dataset; give a mask file")
        data = product.read("mask", rows, cols)
    else:
        source = open_product(mask)
        name = "mask" if "mask" in source.datasets else next(iter(source.datasets))
        from mimtpy.core.resample import resample

        data = resample(source.read(name), source.grid, grid, "nearest")
    return np.nan_to_num(np.asarray(data, dtype=np.float64)) != 0


def load_input(path: str | Path, *, date12: str | None = None, kind: str | None = None,
               dataname: str | None = None, geometry: Path | None = None, snwe: tuple | None = None,
               mask=None, max_memory: float = 4.0, with_geometry: bool = True) -> ExportInput:
    """Read the LOS map to export (see the module docstring) cropped to ``snwe``, with its geometry.

    ``kind``: 'velocity' or 'displacement' for a time series (None = displacement when ``date12``
    is given, else velocity). ``geometry``: a file with incidenceAngle/azimuthAngle (None = the
    product's own, a geometryGeo.h5 near it, or its HEADING/CENTER_INCIDENCE_ANGLE attributes).
    ``with_geometry=False`` skips the geometry (the unit vector is then NaN).
    """
    from mimtpy.config import ComputeConfig
    from mimtpy.ops.geometry import load_geometry
    from mimtpy.ops.velocity import compute_displacement, compute_velocity, select_period

    path = Path(path)
    product = open_product(path)
    full = product.grid
    rows, cols = (slice(0, full.length), slice(0, full.width)) if snwe is None else full.window(snwe)
    grid = full.subset(rows, cols)
    pair = parse_date12(date12)
    valid = _mask(product, mask, grid, rows, cols)
    attrs = {k: v for k, v in product.attrs.items() if k not in _DROP}
    dates = None
    if "timeseries" in product.datasets:
        kind = kind or ("displacement" if pair else "velocity")
        if kind not in ("velocity", "displacement"):
            raise InputError(f"{path}: type '{kind}' for a time series must be velocity or displacement")
        period = select_period(product.dates, pair[0] if pair else None, pair[1] if pair else None, str(path),
                               keys=(f"date {date12} (first date)", f"date {date12} (second date)"))
        dates = (period.dates[period.first], period.dates[period.last])
        if kind == "velocity":
            out = compute_velocity(product, period, rows, cols, None, ComputeConfig(max_memory=max_memory), valid)
            data = out["velocity"]
        else:
            data = compute_displacement(product, period, rows, cols, None, ComputeConfig(max_memory=max_memory),
                                        valid)["displacement"]
        quantity = kind
    else:
        if pair:
            raise InputError(f"{path}: date {date12} given, but the product is not a time series "
                             f"(FILE_TYPE={product.file_type or '?'})")
        name = main_dataset(product, dataname)
        data = np.asarray(product.read(name, rows, cols), dtype=np.float64)
        unit = (product.datasets[name].unit or product.attrs.get("UNIT", "")).strip()
        if unit.lower() in ("radian", "radians", "rad"):
            lam = float(product.attrs.get("WAVELENGTH", "nan"))
            if not np.isfinite(lam):
                raise ProductError(f"{path}: dataset '{name}' is phase in radians but WAVELENGTH is missing")
            data = -lam / (4.0 * np.pi) * data
            quantity = "displacement"
        elif unit.lower() in UNITS:
            quantity, factor = UNITS[unit.lower()]
            data = data * factor
        else:
            raise ProductError(f"{path}: dataset '{name}' has unit '{unit or 'none'}'; expected one of "
                               f"{', '.join(sorted(UNITS))} or radian (set the UNIT attribute)")
        if kind and kind != quantity:
            raise InputError(f"{path}: type '{kind}' asked, but dataset '{name}' is a {quantity}")
        if valid is not None:
            data = np.where(valid, data, np.nan)
        if "START_DATE" in product.attrs and "END_DATE" in product.attrs:
            dates = (str(product.attrs["START_DATE"]), str(product.attrs["END_DATE"]))
        elif "DATE12" in product.attrs:
            d = str(product.attrs["DATE12"]).split("-")
            if len(d) == 2:
                dates = tuple("20" + x if len(x) == 6 else x for x in d)
    data = np.asarray(data, dtype=np.float64)
    if with_geometry:
        east, north, up = (np.asarray(c, dtype=np.float64) for c in load_geometry(product, grid, geometry))
    else:
        east = north = up = np.full(grid.shape, np.nan)
    if not np.isfinite(data).any():
        raise InputError(f"{path}: no valid pixel in the selected window/period")
    attrs.update(grid.to_attrs())
    attrs["LENGTH"] = attrs["FILE_LENGTH"] = str(grid.length)
    s, n, w, e = grid.snwe
    attrs.update(LAT_REF1=n, LON_REF1=w, LAT_REF2=n, LON_REF2=e, LAT_REF3=s, LON_REF3=w, LAT_REF4=s, LON_REF4=e)
    if "REF_LAT" in product.attrs and "REF_LON" in product.attrs:
        try:
            r, c = grid.lalo_to_rowcol(float(product.attrs["REF_LAT"]), float(product.attrs["REF_LON"]))
            attrs.update(REF_Y=r, REF_X=c)
        except InputError:
            logger.info("%s: reference point lies outside the subset", path.name)
    if dates:
        attrs.update(START_DATE=dates[0], END_DATE=dates[1], DATE12=f"{dates[0][2:]}-{dates[1][2:]}")
    attrs["FILE_PATH"] = str(path)
    coherence = _optional(product, ("temporalCoherence", "coherence", "avgSpatialCoherence"), grid, rows, cols)
    height = _optional(product, ("height",), grid, rows, cols)
    if height is None and geometry is not None:
        geo = open_product(geometry)
        height = _optional(geo, ("height",), grid, None, None)
    logger.info("%s: %s on %d x %d pixels%s", path.name, quantity, grid.length, grid.width,
                f" ({dates[0]}..{dates[1]})" if dates else "")
    return ExportInput(path, grid, data, quantity, east, north, up, attrs, dates, coherence, height)


def _optional(product: Product, names: tuple[str, ...], grid: Grid, rows: slice | None,
              cols: slice | None) -> np.ndarray | None:
    """The first 2-D dataset of ``names`` the product has, on ``grid`` (a window of the product's own
    grid when ``rows``/``cols`` are given, else resampled by nearest neighbour), or None."""
    for name in names:
        info = product.datasets.get(name)
        if info is None or info.is_3d:
            continue
        if rows is not None:
            return np.asarray(product.read(name, rows, cols), dtype=np.float64)
        from mimtpy.core.resample import resample

        return np.asarray(resample(product.read(name), product.grid, grid, "nearest"), dtype=np.float64)
    return None
