"""Any 2-D dataset (or one epoch) of a product to GeoTIFF, with unit conversion
(script ``H5UNW_to_geotiff.py``).

Lengths convert between m, cm and mm (and rates between m/year, cm/year, mm/year); phase in
radians converts to LOS displacement and back with the radar wavelength (MintPy convention,
positive toward the satellite): ``d = -wavelength / (4 pi) * phase``. The wavelength comes from
the ``WAVELENGTH`` attribute (or PyRate's ``WAVELENGTH_METRES``) unless given.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, write_geotiff
from mimtpy.ops.datasets import main_dataset
from mimtpy.ops.units import LENGTH, PHASE, RATE

logger = logging.getLogger(__name__)



def conversion(source: str, target: str, wavelength: float | None, where: str) -> float:
    """Factor from ``source`` to ``target`` unit (data in target = data in source * factor)."""
    src, dst = source.lower(), target.lower()
    if src == dst:
        return 1.0
    for table in (LENGTH, RATE):
        if src in table and dst in table:
            return table[src] / table[dst]
    if (src in PHASE and dst in LENGTH) or (src in LENGTH and dst in PHASE):
        if not wavelength:
            raise InputError(f"{where}: converting {source} to {target} needs the wavelength "
                             "(attribute WAVELENGTH or --wavelength)")
        to_m = -wavelength / (4 * np.pi)
        return to_m / LENGTH[dst] if src in PHASE else LENGTH[src] / to_m
    raise InputError(f"{where}: cannot convert '{source}' to '{target}' "
                     f"(lengths {', '.join(LENGTH)}; rates {', '.join(RATE)}; radian <-> length)")


def to_geotiff(path: Path, dataset: str | None, out: Path | None, unit: str | None = None,
               wavelength: float | None = None, date: str | None = None) -> Path:
    """Write one dataset of ``path`` as GeoTIFF in ``unit`` (None = as stored)."""
    product = open_product(path)
    name = dataset or main_dataset(product)
    info = product.require(name)
    if info.is_3d:
        if not date:
            raise InputError(f"{path}: '{name}' is a time series; choose an epoch with --date "
                             f"({product.dates[0]}..{product.dates[-1]})")
        if date not in product.dates:
            raise InputError(f"{path}: no epoch {date} (dates {product.dates[0]}..{product.dates[-1]})")
        data = product.read(name, epochs=np.array([product.dates.index(date)]))[0]
    else:
        data = product.read(name)
    stored = info.unit or product.attrs.get("UNIT", "")
    wavelength = wavelength or (float(product.attrs["WAVELENGTH"]) if "WAVELENGTH" in product.attrs else None)
    target = unit or stored
    if not stored and unit:
        raise ProductError(f"{path}: dataset '{name}' has no unit, so it cannot be converted to {unit}")
    factor = conversion(stored, target, wavelength, str(path)) if unit else 1.0
    values = data.astype(np.float32) * np.float32(factor)
    suffix = f"_{date}" if date else ""
    out = out or path.with_name(f"{path.stem}_{name}{suffix}.tif")
    kind = file_type(name, target)
    attrs = {k: v for k, v in product.attrs.items() if k not in STALE_KEYS}
    attrs.update(FILE_TYPE=kind, UNIT=target, DATA_TYPE="float32")
    if date:
        attrs["DATE"] = date
    if wavelength:
        attrs["WAVELENGTH"] = wavelength
    logger.info("%s: %s in %s (x %.6g from %s)", path.name, name, target, factor, stored or "?")
    return write_geotiff(out, values, product.grid, attrs, description=kind, unit=target)


#: attributes of the input that would contradict the written values: other spellings of the unit and the
#: wavelength (PyRate/GAMMA tags), PyRate's DATA_TYPE (a kind, where MintPy's is the dtype), mimtpy's settings
STALE_KEYS = ("DATA_UNITS", "WAVELENGTH_METRES", "DATA_TYPE", "mimtpy_settings")


def file_type(name: str, unit: str) -> str:
    """FILE_TYPE of the written values: what the unit says they are (length: displacement, rate: velocity,
    phase: unwrapPhase) for a generic, LOS or phase dataset (GeoTIFF 'data', unwrapPhase, displacement,
    velocity, one epoch of a time series); else the dataset's own name (height, hz, ...)."""
    u = unit.lower()
    kind = ("displacement" if u in LENGTH else "velocity" if u in RATE else "unwrapPhase" if u in PHASE else "")
    generic = name.lower() in ("data", "phase", "unwrapphase", "unw", "band1", "timeseries", "displacement",
                               "velocity")
    return kind if kind and generic else name
