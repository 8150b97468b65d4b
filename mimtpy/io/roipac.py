"""ROI_PAC binary products with their ``.rsc`` metadata (geocoded only).

``.unw`` and ``.hgt``/``.cor``: two float32 bands interleaved by line (BIL: a line of band 1,
then the same line of band 2); band 2 is the data (unwrapped phase in radians, height in m,
coherence). ``.int``: complex64 interferogram, exposed as its phase in radians.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io.product import DatasetInfo, Product

#: suffix -> (dataset name, unit)
KINDS = {".unw": ("unwrapPhase", "radian"), ".cor": ("coherence", "1"), ".hgt": ("height", "m"),
         ".int": ("wrapPhase", "radian")}


def read_rsc(path: Path) -> dict[str, str]:
    """The ``key value`` lines of a ROI_PAC ``.rsc`` file."""
    rsc = path.with_name(path.name + ".rsc")
    if not rsc.exists():
        raise ProductError(f"{path}: metadata file {rsc.name} is missing")
    attrs = {}
    for line in rsc.read_text().splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            attrs[parts[0]] = parts[1].strip()
    return attrs


def read_roipac(path: str | Path) -> Product:
    """Open a geocoded ROI_PAC file lazily (metadata only)."""
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise ProductError(f"{path}: not a ROI_PAC file ({', '.join(KINDS)})")
    attrs = read_rsc(path)
    if "LENGTH" not in attrs and "FILE_LENGTH" in attrs:
        attrs["LENGTH"] = attrs["FILE_LENGTH"]
    grid = Grid.from_attrs(attrs, str(path))
    complex_data = path.suffix.lower() == ".int"
    expected = grid.width * grid.length * 8
    if path.stat().st_size != expected:
        raise ProductError(f"{path}: {path.stat().st_size} bytes, expected {expected} for "
                           f"{grid.length} x {grid.width} {'complex64' if complex_data else 'two-band float32'}")
    name, unit = kind
    attrs.update(FILE_TYPE=path.suffix.lower(), UNIT=unit)

    return Product(path, "roipac", attrs, grid, {name: DatasetInfo(name, grid.shape, np.dtype(np.float32), unit)},
                   [], functools.partial(_read_roipac, path, grid.shape, complex_data))


def _read_roipac(path: Path, shape: tuple[int, int], complex_data: bool, name: str, _epochs, rows: slice,
                 cols: slice) -> np.ndarray:
    """A window of a ROI_PAC file (module level: products pickle)."""
    if complex_data:
        data = np.memmap(path, dtype=np.complex64, mode="r", shape=shape)
        return np.angle(np.asarray(data[rows, cols])).astype(np.float32)
    bil = np.memmap(path, dtype=np.float32, mode="r", shape=(shape[0], 2, shape[1]))
    band = np.array(bil[rows, 1, cols], dtype=np.float32)
    if name == "unwrapPhase":
        amp = np.asarray(bil[rows, 0, cols])
        band[(band == 0) & (amp == 0)] = np.nan
    return band
