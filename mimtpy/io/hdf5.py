"""Readers and writer for MintPy HDF5 (``*.h5``) and HDF-EOS5 (``*.he5``) products.

MintPy ``.h5``: datasets at the root (``timeseries`` + ``date`` + ``bperp``,
``velocity`` + ``velocityStd``, geometry datasets, ...), metadata as root attributes.
HDF-EOS5 (MintPy ``save_hdfeos5``): ``HDFEOS/GRIDS/timeseries/{observation,quality,geometry}/…``;
the time-series dataset ``observation/displacement`` is exposed as ``timeseries``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io.atomic import atomic_output
from mimtpy.io.product import DatasetInfo, Product

logger = logging.getLogger(__name__)

HDFEOS_ROOT = "HDFEOS/GRIDS/timeseries"
#: exposed name -> path inside an HDF-EOS5 file
HDFEOS_DATASETS = {
    "timeseries": "observation/displacement",
    "temporalCoherence": "quality/temporalCoherence",
    "avgSpatialCoherence": "quality/avgSpatialCoherence",
    "mask": "quality/mask",
    "height": "geometry/height",
    "incidenceAngle": "geometry/incidenceAngle",
    "azimuthAngle": "geometry/azimuthAngle",
    "slantRangeDistance": "geometry/slantRangeDistance",
    "shadowMask": "geometry/shadowMask",
    "waterMask": "geometry/waterMask",
    "latitude": "geometry/latitude",
    "longitude": "geometry/longitude",
}
#: units of the HDF-EOS5 datasets (MintPy ``save_hdfeos5``), also the unit of those datasets in any file
HDFEOS_UNITS = {"displacement": "meters", "temporalCoherence": "1", "avgSpatialCoherence": "1", "mask": "1",
                "coherence": "1", "height": "meters", "incidenceAngle": "degrees", "azimuthAngle": "degrees",
                "slantRangeDistance": "meters", "shadowMask": "1", "waterMask": "1", "latitude": "degrees",
                "longitude": "degrees"}
GEOMETRY_NAMES = ("height", "incidenceAngle", "azimuthAngle", "slantRangeDistance",
                  "shadowMask", "waterMask", "latitude", "longitude")

#: attribute where mimtpy stores the settings that produced an output (for skip logic)
SETTINGS_ATTR = "mimtpy_settings"


def _decode(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.size == 1:
        return _decode(value.item())
    return str(value)


def _open_h5(path: Path) -> h5py.File:
    if not path.exists():
        raise ProductError(f"{path}: file not found")
    if not h5py.is_hdf5(path):
        raise ProductError(f"{path}: not an HDF5 file (truncated or corrupt?)")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise ProductError(f"{path}: cannot open HDF5 file (truncated or corrupt?): {err}") from None


def _dates(ds) -> list[str]:
    return [_decode(d) for d in ds[()]]


def _check_shape(path: Path, name: str, shape: tuple[int, ...], grid: Grid) -> None:
    if tuple(shape[-2:]) != grid.shape:
        raise ProductError(
            f"{path}: dataset '{name}' has shape {shape} but LENGTH x WIDTH is {grid.shape}"
        )


def read_hdfeos5(path: str | Path) -> Product:
    """Open a MintPy HDF-EOS5 file lazily (metadata only)."""
    path = Path(path)
    with _open_h5(path) as f:
        if HDFEOS_ROOT not in f:
            raise ProductError(f"{path}: no group '{HDFEOS_ROOT}'; not a MintPy HDF-EOS5 file")
        attrs = {k: _decode(v) for k, v in f.attrs.items()}
        grid = Grid.from_attrs(attrs, str(path))
        root = f[HDFEOS_ROOT]
        datasets: dict[str, DatasetInfo] = {}
        for name, inner in HDFEOS_DATASETS.items():
            if inner in root:
                ds = root[inner]
                _check_shape(path, inner, ds.shape, grid)
                datasets[name] = DatasetInfo(name, tuple(ds.shape), ds.dtype, _decode(ds.attrs.get("Units", "")))
        dates: list[str] = []
        if "timeseries" in datasets:
            if "observation/date" not in root:
                raise ProductError(f"{path}: '{HDFEOS_ROOT}/observation/date' is missing")
            dates = _dates(root["observation/date"])
            if len(dates) != datasets["timeseries"].shape[0]:
                raise ProductError(f"{path}: {len(dates)} dates but the displacement has "
                                   f"{datasets['timeseries'].shape[0]} epochs")
    attrs.setdefault("FILE_TYPE", "HDFEOS")
    return Product(path, "hdfeos5", attrs, grid, datasets, dates, functools.partial(_read_window, path, HDFEOS_ROOT))


#: datasets of a MintPy velocity file where an exact 0 is a masked pixel (MintPy writes 0 there), except at the
#: reference pixel, which is 0 by definition (velocityStd needs no masking: its velocity is NaN there)
ZERO_NODATA = ("velocity",)


def read_mintpy_h5(path: str | Path, mask: bool = True) -> Product:
    """Open a MintPy ``.h5`` file (timeseries, velocity, geometry, coherence, mask, ...) lazily.

    ``mask``: in a velocity file (FILE_TYPE velocity) written by MintPy or another tool (not by a mimtpy step,
    which writes NaN for no data and stamps ``mimtpy_settings``; its 3x3-median re-referencing can make a pixel
    next to the reference exactly 0) the exact zeros of :data:`ZERO_NODATA` are read as NaN (MintPy writes 0 for
    masked pixels; the reference pixel ``REF_Y/REF_X`` stays 0), so that no step takes them for zero motion;
    ``mask=False`` returns the values as stored."""
    path = Path(path)
    with _open_h5(path) as f:
        attrs = {k: _decode(v) for k, v in f.attrs.items()}
        grid = Grid.from_attrs(attrs, str(path))
        datasets: dict[str, DatasetInfo] = {}
        for name, ds in f.items():
            if isinstance(ds, h5py.Dataset) and ds.ndim in (2, 3):
                _check_shape(path, name, ds.shape, grid)
                datasets[name] = DatasetInfo(name, tuple(ds.shape), ds.dtype, _decode(ds.attrs.get("UNIT", "")))
        if not datasets:
            raise ProductError(f"{path}: no 2-D or 3-D dataset found")
        if "FILE_TYPE" not in attrs:
            attrs["FILE_TYPE"] = next(iter(datasets))
        dates: list[str] = []
        three_d = [d for d in datasets.values() if d.is_3d]
        if three_d:
            if "date" not in f:
                raise ProductError(f"{path}: 3-D dataset '{three_d[0].name}' but no 'date' dataset")
            dates = _dates(f["date"])
            if len(dates) != three_d[0].shape[0]:
                raise ProductError(f"{path}: {len(dates)} dates but '{three_d[0].name}' has "
                                   f"{three_d[0].shape[0]} epochs")

    zero_ref = None
    if mask and attrs.get("FILE_TYPE") == "velocity" and SETTINGS_ATTR not in attrs:
        try:
            zero_ref = (int(attrs["REF_Y"]), int(attrs["REF_X"]))
        except (KeyError, ValueError):
            zero_ref = (-1, -1)
    return Product(path, "mintpy", attrs, grid, datasets, dates,
                   functools.partial(_read_window, path, "", zero_ref=zero_ref))


def _read_window(path: Path, root: str, name: str, epochs, rows: slice, cols: slice,
                 zero_ref: tuple[int, int] | None = None) -> np.ndarray:
    """A window of dataset ``name`` (under ``root``: the HDF-EOS5 group, or '' for MintPy .h5).
    A module-level function (bound with functools.partial) so that products pickle to Dask workers.
    ``zero_ref``: the reference pixel of a velocity file whose other zeros are no data (:func:`read_mintpy_h5`)."""
    inner = f"{root}/{HDFEOS_DATASETS[name]}" if root else name
    with h5py.File(path, "r") as f:
        ds = f[inner]
        if epochs is not None:
            return read_epochs(ds, epochs, rows, cols)
        data = ds[rows, cols]
        if zero_ref is None or name not in ZERO_NODATA or data.dtype.kind != "f":
            return data
        r0, _r1, rs = rows.indices(ds.shape[0]) if isinstance(rows, slice) else (0, 0, 1)
        c0, _c1, cs = cols.indices(ds.shape[1]) if isinstance(cols, slice) else (0, 0, 1)
    zero = data == 0
    if zero.any():
        ry, rx = zero_ref[0] - r0, zero_ref[1] - c0
        if ry >= 0 and rx >= 0 and ry % rs == 0 and rx % cs == 0 and ry // rs < zero.shape[0] \
                and rx // cs < zero.shape[1]:
            zero[ry // rs, rx // cs] = False
        data = np.where(zero, np.nan, data).astype(data.dtype, copy=False)
    return data


def read_epochs(ds: h5py.Dataset, epochs: slice | np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    """``ds[epochs, rows, cols]`` of a 3-D dataset, ``epochs`` a slice or any integer array (h5py itself reads
    increasing index lists only)."""
    if isinstance(epochs, np.ndarray) and epochs.size > 1 and np.any(np.diff(epochs) <= 0):
        order = np.argsort(epochs)
        unique, inverse = np.unique(epochs[order], return_inverse=True)
        data = ds[unique, rows, cols]
        out = np.empty((epochs.size, *data.shape[1:]), data.dtype)
        out[order] = data[inverse]
        return out
    return ds[epochs, rows, cols]


def cube_chunks(shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """HDF5 chunks: a 3-D (epoch, row, col) cube in one epoch x strips of up to 128 rows, so that
    both one epoch and a block of rows over all epochs are read without reading the whole file;
    a 2-D dataset in strips of up to 128 rows (None for an empty dataset)."""
    if 0 in shape:
        return None
    if len(shape) == 3:
        return (1, min(shape[1], 128), shape[2])
    if len(shape) == 2:
        return (min(shape[0], 128), shape[1])
    return None


def write_h5(
    path: str | Path,
    datasets: dict[str, np.ndarray],
    attrs: dict,
    dates: list[str] | None = None,
    settings: dict | None = None,
    units: dict[str, str] | None = None,
) -> Path:
    """Write a MintPy-compatible ``.h5`` atomically.

    ``attrs`` are stored as string root attributes (as MintPy writes them); ``dates``
    adds the ``date`` dataset of a time series; ``settings`` are stored as JSON in the
    ``mimtpy_settings`` attribute so a re-run can tell whether the output is current.
    """
    with _new_h5(path, attrs, dates, settings) as f:
        for name, data in datasets.items():
            data = np.asarray(data)
            ds = f.create_dataset(name, data=data, chunks=cube_chunks(data.shape))
            if units and name in units:
                ds.attrs["UNIT"] = units[name]
    return Path(path)


@contextlib.contextmanager
def stream_h5(
    path: str | Path,
    shapes: dict[str, tuple[int, ...]],
    attrs: dict,
    dates: list[str] | None = None,
    settings: dict | None = None,
    units: dict[str, str] | None = None,
    dtypes: dict[str, np.dtype] | None = None,
) -> Iterator[dict[str, h5py.Dataset]]:
    """Create a MintPy-compatible ``.h5`` whose datasets (float32 unless ``dtypes`` says otherwise;
    NaN/0 where never written) are filled piece by piece, chunked; 3-D cubes lzf-compressed (2-D maps are
    left uncompressed, as MintPy writes them: compressing noisy float maps costs more time than it saves).

    Yields ``{name: dataset}`` (assign windows, e.g. ``out["timeseries"][i] = epoch``); the
    file appears under ``path`` only when the block completes (atomic, like :func:`write_h5`).
    """
    with _new_h5(path, attrs, dates, settings) as f:
        datasets = {}
        for name, shape in shapes.items():
            dtype = np.dtype((dtypes or {}).get(name, np.float32))
            fill = np.nan if dtype.kind == "f" else 0
            datasets[name] = f.create_dataset(name, shape=shape, dtype=dtype, chunks=cube_chunks(shape),
                                              fillvalue=fill, compression="lzf" if len(shape) == 3 and 0 not in shape
                                              else None)
            if units and name in units:
                datasets[name].attrs["UNIT"] = units[name]
        yield datasets


@contextlib.contextmanager
def _new_h5(path: str | Path, attrs: dict, dates: list[str] | None, settings: dict | None) -> Iterator[h5py.File]:
    """An HDF5 file being written under a temporary name, with the ``date`` dataset, the
    attributes (as strings, like MintPy) and the settings; renamed to ``path`` when complete."""
    path = Path(path)
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as f:
            if dates is not None:
                f.create_dataset("date", data=np.array(dates, dtype="S8"))
            for key, value in attrs.items():
                f.attrs[key] = str(value)
            if settings is not None:
                f.attrs[SETTINGS_ATTR] = json.dumps(settings, sort_keys=True)
            yield f
    logger.info("wrote %s", path)


def read_settings(path: str | Path) -> dict | None:
    """The settings mimtpy stored in an output, or None (missing/unreadable/foreign file)."""
    try:
        with h5py.File(path, "r") as f:
            raw = f.attrs.get(SETTINGS_ATTR)
            return None if raw is None else json.loads(_decode(raw))
    except (OSError, ValueError):
        return None


def write_hdfeos5(
    path: str | Path,
    timeseries: np.ndarray,
    dates: list[str],
    bperp: np.ndarray,
    quality: dict[str, np.ndarray],
    geometry: dict[str, np.ndarray],
    attrs: dict,
) -> Path:
    """Write an HDF-EOS5 file in MintPy's ``save_hdfeos5`` layout, atomically.

    ``timeseries`` is (epoch, row, col) LOS displacement in metres; ``quality`` keys are
    temporalCoherence/avgSpatialCoherence/mask, ``geometry`` keys any of GEOMETRY_NAMES.
    """
    with stream_hdfeos5(path, timeseries.shape, dates, bperp, quality, geometry, attrs) as displacement:
        displacement[...] = timeseries.astype(np.float32)
    return Path(path)


@contextlib.contextmanager
def stream_hdfeos5(
    path: str | Path,
    shape: tuple[int, int, int],
    dates: list[str],
    bperp: np.ndarray,
    quality: dict[str, np.ndarray],
    geometry: dict[str, np.ndarray],
    attrs: dict,
) -> Iterator[h5py.Dataset]:
    """An HDF-EOS5 file (MintPy ``save_hdfeos5`` layout) whose displacement (m, float32) is filled
    epoch by epoch through the yielded dataset; it appears under ``path`` only when complete."""
    path = Path(path)
    units = HDFEOS_UNITS
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as f:
            root = f.create_group(HDFEOS_ROOT)
            obs = root.create_group("observation")
            ds = obs.create_dataset("displacement", shape=tuple(shape), dtype=np.float32,
                                    chunks=cube_chunks(tuple(shape)), compression="lzf")
            ds.attrs["Title"] = "displacement"
            ds.attrs["MissingValue"] = np.float32(0)
            ds.attrs["Units"] = units["displacement"]
            obs.create_dataset("date", data=np.array(dates, dtype="S8"))
            obs.create_dataset("bperp", data=np.asarray(bperp, dtype=np.float32))
            for group, content in (("quality", quality), ("geometry", geometry)):
                grp = root.create_group(group)
                for name, data in content.items():
                    d = grp.create_dataset(name, data=data, compression="lzf")
                    d.attrs["Title"] = name
                    d.attrs["Units"] = units.get(name, "1")
            for key, value in attrs.items():
                f.attrs[key] = str(value)
            yield ds
    logger.info("wrote %s", path)
