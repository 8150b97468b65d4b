"""ROI_PAC binary products with their ``.rsc`` metadata (geocoded only).

``.unw`` and ``.hgt``/``.cor``: two float32 bands interleaved by line (BIL: a line of band 1,
then the same line of band 2); band 2 is the data (unwrapped phase in radians, height in m,
coherence). ``.int``: complex64 interferogram, exposed as its phase in radians. ``.dem``: one
int16 band of heights in m. ``.los``: two float32 bands, BIL (line-interleaved, as ROI_PAC and
InSAMP read them): band 1 the incidence angle from the vertical, band 2 the satellite heading
(flight direction, degrees clockwise from north); exposed as ``incidenceAngle``, ``heading`` and
``azimuthAngle`` (MintPy convention, from the heading of a right-looking radar).
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
         ".int": ("wrapPhase", "radian"), ".dem": ("height", "m"), ".los": ("incidenceAngle", "degree")}


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
    suffix = path.suffix.lower()
    if suffix == ".dem":
        return _read_dem(path, attrs, grid)
    if suffix == ".los":
        return _read_los(path, attrs, grid)
    complex_data = suffix == ".int"
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
    """A window of a ROI_PAC two-band or complex file (module level: products pickle)."""
    if complex_data:
        data = np.memmap(path, dtype=np.complex64, mode="r", shape=shape)
        return np.angle(np.asarray(data[rows, cols])).astype(np.float32)
    bil = np.memmap(path, dtype=np.float32, mode="r", shape=(shape[0], 2, shape[1]))
    band = np.array(bil[rows, 1, cols], dtype=np.float32)
    if name == "unwrapPhase":
        amp = np.asarray(bil[rows, 0, cols])
        band[(band == 0) & (amp == 0)] = np.nan
    return band


def _check_size(path: Path, grid: Grid, itemsize: int, what: str) -> None:
    expected = grid.width * grid.length * itemsize
    if path.stat().st_size != expected:
        raise ProductError(f"{path}: {path.stat().st_size} bytes, expected {expected} for "
                           f"{grid.length} x {grid.width} {what}")


def _read_dem(path: Path, attrs: dict, grid: Grid) -> Product:
    """ROI_PAC ``.dem``: int16 heights in m (no-data: -32768)."""
    _check_size(path, grid, 2, "int16")
    attrs.update(FILE_TYPE=".dem", UNIT="m")

    info = DatasetInfo("height", grid.shape, np.dtype(np.float32), "m")
    return Product(path, "roipac", attrs, grid, {"height": info}, [], functools.partial(_dem_window, path, grid.shape))


def _dem_window(path: Path, shape: tuple[int, int], _name, _epochs, rows: slice, cols: slice) -> np.ndarray:
    data = np.memmap(path, dtype=np.int16, mode="r", shape=shape)
    out = np.array(data[rows, cols], dtype=np.float32)
    out[out == -32768] = np.nan
    return out


def _read_los(path: Path, attrs: dict, grid: Grid) -> Product:
    """ROI_PAC ``.los``: BIL float32, band 1 incidence, band 2 heading (degrees); 0/0 = no data."""
    _check_size(path, grid, 8, "two-band float32 (BIL)")
    attrs.update(FILE_TYPE=".los", UNIT="degree")

    datasets = {n: DatasetInfo(n, grid.shape, np.dtype(np.float32), "degree")
                for n in ("incidenceAngle", "azimuthAngle", "heading")}
    return Product(path, "roipac", attrs, grid, datasets, [], functools.partial(_los_window, path, grid.shape))


def _los_window(path: Path, shape: tuple[int, int], name: str, _epochs, rows: slice, cols: slice) -> np.ndarray:
    from mimtpy.core.geometry import heading_to_azimuth

    bil = np.memmap(path, dtype=np.float32, mode="r", shape=(shape[0], 2, shape[1]))
    inc = np.array(bil[rows, 0, cols], dtype=np.float32)
    head = np.array(bil[rows, 1, cols], dtype=np.float32)
    empty = (inc == 0) & (head == 0)
    if name == "incidenceAngle":
        out = inc
    elif name == "heading":
        out = head
    else:
        out = heading_to_azimuth(head).astype(np.float32)
    out[empty] = np.nan
    return out
