"""NetCDF / Zarr datacubes in and out (xarray, lazy and dask-backed).

Reading (:func:`read_cube`, registered in :data:`mimtpy.io.READERS`) turns three kinds of cube
into the same :class:`~mimtpy.io.product.Product` as a MintPy file:

* mimtpy's own cubes (written by :func:`write_cube`): MintPy dataset names, metres.
* LiCSBAS / AlignSAR cubes (``LiCSBAS_out2nc.py [--alignsar]``): ``cum``/``cum_displacement`` (mm),
  ``vel``/``linear_velocity`` (mm/yr), ``vstd``/``linear_velocity_std``, ``coh``/``mean_coherence``, ...
  are exposed under MintPy names (``timeseries``, ``velocity``, ``velocityStd``, ``avgSpatialCoherence``)
  and converted to m and m/yr (from each variable's ``units``/``unit`` attribute).
* NASA ITS_LIVE velocity cubes: ``vx``, ``vy``, ``v``, ``v_error`` (m/yr) along ``mid_date``. The
  ``mid_date`` axis is unsorted and holds duplicates: the product exposes the layers sorted by
  ``mid_date`` (stable sort, duplicates kept, in file order), ``Product.dates`` holds their YYYYMMDD
  days. The value -32767 is no-data in every ITS_LIVE velocity variable (also when the file does
  not declare it as ``_FillValue``/``missing_value``).

Conventions (pinned by tests):

* Cube coordinates are pixel CENTRES. The product grid is MintPy's: ``X_FIRST``/``Y_FIRST`` are the
  outer corner of the first pixel, so ``X_FIRST = x[0] - dx/2`` and ``Y_FIRST = y[0] - dy/2``.
* Rows run north to south (``Y_STEP < 0``). A cube stored south-up (``y``/``lat`` increasing, as
  LiCSBAS writes after sorting) is flipped on reading, so row 0 is always the northern edge.
* The CRS comes from the grid-mapping variable (``spatial_epsg``, ``crs_wkt`` or ``spatial_ref``);
  cubes with ``lat``/``lon`` axes and no grid mapping are EPSG:4326. Projected grids keep their EPSG
  in :attr:`Grid.epsg` (e.g. 3413 for ITS_LIVE Greenland, 326xx for UTM); x/y are then metres.

Writing: :mod:`mimtpy.io.cube_write`.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import ProductError
from mimtpy.io.product import DatasetInfo, Product

logger = logging.getLogger(__name__)

CUBE_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf", ".zarr")
#: ITS_LIVE no-data value of the velocity variables
ITSLIVE_NODATA = -32767
ITSLIVE_VARIABLES = ("vx", "vy", "v", "v_error", "vx_error", "vy_error", "va", "vr")

#: LiCSBAS (plain and --alignsar) variable -> MintPy dataset name
LICSBAS_NAMES = {
    "cum": "timeseries", "cum_displacement": "timeseries",
    "vel": "velocity", "linear_velocity": "velocity",
    "vstd": "velocityStd", "linear_velocity_std": "velocityStd",
    "coh": "avgSpatialCoherence", "mean_coherence": "avgSpatialCoherence",
    "DEM": "height", "hgt": "height", "mask": "mask",
    "rms": "residualRms", "residuals_rms": "residualRms",
    "stc": "spatiotemporalConsistency", "spatiotemporal_consistency": "spatiotemporalConsistency",
}
#: unit text -> (factor to mimtpy units, mimtpy unit)
UNIT_SCALE = {
    "mm": (1e-3, "m"), "millimeter": (1e-3, "m"), "millimetre": (1e-3, "m"), "millimeters": (1e-3, "m"),
    "mm/year": (1e-3, "m/year"), "mm/yr": (1e-3, "m/year"), "mm/y": (1e-3, "m/year"), "mm yr-1": (1e-3, "m/year"),
    "cm": (1e-2, "m"), "cm/year": (1e-2, "m/year"), "cm/yr": (1e-2, "m/year"),
    "m": (1.0, "m"), "meter": (1.0, "m"), "metre": (1.0, "m"), "meters": (1.0, "m"),
    "m/year": (1.0, "m/year"), "m/yr": (1.0, "m/year"), "m/y": (1.0, "m/year"), "m yr-1": (1.0, "m/year"),
    "meter/year": (1.0, "m/year"), "m a-1": (1.0, "m/year"),
}
X_NAMES = ("x", "lon", "longitude")
Y_NAMES = ("y", "lat", "latitude")
TIME_NAMES = ("time", "mid_date", "date")


# ----------------------------------------------------------------------------------------------- detection
def is_zarr(path: Path) -> bool:
    """A Zarr store: a folder named ``*.zarr`` or holding Zarr metadata."""
    if path.suffix.lower() == ".zarr":
        return True
    return path.is_dir() and any((path / name).exists() for name in (".zgroup", "zarr.json", ".zmetadata"))


def is_cube(path: Path) -> bool:
    """Cheap test on the name (and Zarr metadata) used by the reader registry."""
    return path.suffix.lower() in CUBE_SUFFIXES or is_zarr(path)


def open_dataset(path: str | Path):
    """The file as an ``xarray.Dataset``, lazily (dask-backed, CF-decoded); ProductError when unreadable."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise ProductError(f"{path}: file not found")
    try:
        with warnings.catch_warnings():   # xarray tries every installed backend plugin (e.g. pygmt without libgmt)
            warnings.filterwarnings("ignore", message="Engine .* loading failed", category=RuntimeWarning)
            return _open(xr, path)
    except Exception as err:  # backends raise many types (OSError, ValueError, KeyError, ...)
        raise ProductError(f"{path}: cannot open as NetCDF/Zarr cube: {err}") from None


def _open(xr, path: Path):
    if is_zarr(path):
        return xr.open_zarr(path, chunks={}, mask_and_scale=True, decode_times=True)
    return xr.open_dataset(path, chunks={}, mask_and_scale=True, decode_times=True)


# ----------------------------------------------------------------------------------------------- reading
def _unit(var) -> str:
    return str(var.attrs.get("units", var.attrs.get("unit", ""))).strip()


def _find_dim(ds, names: tuple[str, ...], what: str, path: Path) -> str:
    for name in names:
        if name in ds.dims:
            return name
    raise ProductError(f"{path}: no {what} dimension (expected one of {', '.join(names)}; "
                       f"the file has {', '.join(map(str, ds.dims)) or 'none'})")


def _axis(values: np.ndarray, name: str, path: Path) -> tuple[float, float]:
    """(first centre, step) of a regular axis; ProductError for irregular ones."""
    stored = np.asarray(values)
    values = stored.astype(np.float64)
    if values.size < 2:
        raise ProductError(f"{path}: coordinate '{name}' has {values.size} value(s); at least 2 are needed")
    step = (values[-1] - values[0]) / (values.size - 1)
    # float32 coordinates (some writers) carry rounding of a few ulps of the largest value
    ulps = 4 * np.finfo(stored.dtype).eps * np.abs(values).max() if stored.dtype.kind == "f" else 0.0
    if step == 0 or not np.allclose(np.diff(values), step, rtol=0, atol=max(abs(step) * 1e-5, ulps)):
        raise ProductError(f"{path}: coordinate '{name}' is not regularly spaced; only regular grids are supported")
    return float(values[0]), float(step)


def _grid_mapping(ds):
    names = {v.attrs.get("grid_mapping") for v in ds.data_vars.values()} - {None}
    for name in [*names, "spatial_ref", "crs", "mapping", "UTM_projection", "polar_stereographic"]:
        if name in ds.variables:
            return ds[name]
    return None


def _epsg(ds, xdim: str, path: Path) -> int:
    gm = _grid_mapping(ds)
    if gm is not None:
        for key in ("spatial_epsg", "epsg", "EPSG"):
            if key in gm.attrs:
                try:
                    return int(str(gm.attrs[key]).upper().replace("EPSG:", ""))
                except ValueError:
                    pass
        for key in ("crs_wkt", "spatial_ref"):
            if key in gm.attrs:
                from pyproj import CRS

                epsg = CRS.from_wkt(str(gm.attrs[key])).to_epsg()
                if epsg:
                    return int(epsg)
                raise ProductError(f"{path}: grid mapping '{gm.name}' has a CRS without an EPSG code; "
                                   "only CRSs with an EPSG code are supported")
        if gm.attrs.get("grid_mapping_name") == "latitude_longitude":
            return 4326
    if xdim in ("lon", "longitude"):
        return 4326
    raise ProductError(f"{path}: projected x/y axes but no grid-mapping variable with spatial_epsg, crs_wkt "
                       "or spatial_ref; cannot tell the CRS")


def _exact_grid(ds, grid: Grid, flip: bool) -> Grid:
    """The grid of the GDAL ``GeoTransform`` (as we write it) when it agrees with the coordinates to 1e-6 of a
    pixel: coordinates stored as float64 centres lose the last digits of X_FIRST/X_STEP."""
    gm = _grid_mapping(ds)
    if gm is None or "GeoTransform" not in gm.attrs or flip:
        return grid
    try:
        x_first, x_step, _, y_first, _, y_step = (float(v) for v in str(gm.attrs["GeoTransform"]).split())
    except ValueError:
        return grid
    exact = Grid(grid.width, grid.length, x_first, y_first, x_step, y_step, grid.epsg)
    tol_x, tol_y = abs(grid.x_step) * 1e-6, abs(grid.y_step) * 1e-6
    if (abs(exact.x_first - grid.x_first) < tol_x and abs(exact.y_first - grid.y_first) < tol_y
            and abs(exact.x_step - grid.x_step) * grid.width < tol_x
            and abs(exact.y_step - grid.y_step) * grid.length < tol_y):
        return exact
    return grid


def _dates(ds, tdim: str, path: Path) -> tuple[list[str], np.ndarray]:
    """YYYYMMDD of each layer (in file order) and the full datetime64 values."""
    values = ds[tdim].values
    if np.issubdtype(values.dtype, np.datetime64):
        stamps = values.astype("datetime64[s]")
    elif np.issubdtype(values.dtype, np.integer) and values.size and values.min() > 10_000_000:
        stamps = np.array([np.datetime64(f"{v // 10000:04d}-{v // 100 % 100:02d}-{v % 100:02d}") for v in values],
                          dtype="datetime64[s]")
    elif values.dtype == object and values.size and hasattr(values[0], "strftime"):   # cftime dates
        stamps = np.array([np.datetime64(v.strftime("%Y-%m-%dT%H:%M:%S")) for v in values], dtype="datetime64[s]")
    else:
        raise ProductError(f"{path}: coordinate '{tdim}' holds no dates (units '{ds[tdim].attrs.get('units', '')}')")
    if np.isnat(stamps).any():
        raise ProductError(f"{path}: coordinate '{tdim}' has missing dates")
    days = stamps.astype("datetime64[D]").astype(str)
    return [d.replace("-", "") for d in days], stamps


def _flavour(ds) -> str:
    if "mid_date" in ds.dims and ("vx" in ds or "v" in ds):
        return "itslive"
    if any(name in ds for name in ("cum", "cum_displacement", "vel", "linear_velocity")):
        return "licsbas"
    return "mimtpy"


def read_cube(path: str | Path) -> Product:
    """Open a NetCDF/Zarr cube lazily as a :class:`Product` (see the module docstring)."""
    path = Path(path)
    ds = open_dataset(path)
    flavour = _flavour(ds)
    xdim = _find_dim(ds, X_NAMES, "x/lon", path)
    ydim = _find_dim(ds, Y_NAMES, "y/lat", path)
    tdim = next((d for d in TIME_NAMES if d in ds.dims), None)
    x0, dx = _axis(ds[xdim].values, xdim, path)
    y0, dy = _axis(ds[ydim].values, ydim, path)
    if dx < 0:
        raise ProductError(f"{path}: '{xdim}' decreases along the columns; only west-to-east cubes are supported")
    flip = dy > 0   # south-up cube: rows are read reversed so that row 0 is the north edge
    length, width = ds.sizes[ydim], ds.sizes[xdim]
    if flip:
        y0, dy = y0 + (length - 1) * dy, -dy
    grid = _exact_grid(ds, Grid(width, length, x0 - dx / 2, y0 - dy / 2, dx, dy, _epsg(ds, xdim, path)), flip)

    dates: list[str] = []
    order = None
    if tdim is not None:
        dates_all, stamps = _dates(ds, tdim, path)
        order = np.argsort(stamps, kind="stable")
        if not np.array_equal(order, np.arange(order.size)):
            logger.info("%s: '%s' is not sorted; layers are exposed in date order", path.name, tdim)
        dates = [dates_all[i] for i in order]

    datasets: dict[str, DatasetInfo] = {}
    sources: dict[str, tuple[str, float]] = {}
    for var_name, var in ds.data_vars.items():
        dims = tuple(var.dims)
        if dims == (ydim, xdim):
            shape: tuple[int, ...] = grid.shape
        elif tdim is not None and dims == (tdim, ydim, xdim):
            shape = (len(dates), *grid.shape)
        else:
            continue
        if var.dtype.kind not in "fiub":
            continue
        unit = _unit(var)
        name = LICSBAS_NAMES.get(var_name, var_name) if flavour == "licsbas" else str(var_name)
        scale, new_unit = UNIT_SCALE.get(unit.lower(), (1.0, unit))
        if flavour == "licsbas" and name in ("timeseries", "velocity", "velocityStd") and not unit:
            scale, new_unit = 1e-3, "m" if name == "timeseries" else "m/year"   # LiCSBAS writes mm without units
        if flavour == "itslive" and var_name in ITSLIVE_VARIABLES and not unit:
            new_unit = "m/year"
        if name in datasets:
            continue
        as_float = var.dtype.kind == "f" or scale != 1.0 or (flavour == "itslive" and var_name in ITSLIVE_VARIABLES)
        dtype = np.dtype(np.float32) if as_float else var.dtype
        datasets[name] = DatasetInfo(name, shape, dtype, new_unit)
        sources[name] = (str(var_name), scale)
    if not datasets:
        raise ProductError(f"{path}: no variable on the ({ydim}, {xdim}) grid")

    attrs = {str(k): _attr_text(v) for k, v in ds.attrs.items()}
    if flavour == "licsbas":
        for key, mintpy_key in (("ref_lat", "REF_LAT"), ("ref_lon", "REF_LON")):
            if key in attrs and mintpy_key not in attrs:
                attrs[mintpy_key] = attrs[key]
        if dates:
            attrs.setdefault("REF_DATE", dates[0])
    for key in ("LENGTH", "WIDTH", "X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP", "X_UNIT", "Y_UNIT", "EPSG"):
        attrs.pop(key, None)
    attrs.update(grid.to_attrs())
    if "timeseries" in datasets:
        attrs["FILE_TYPE"] = "timeseries"
        attrs.setdefault("UNIT", "m")
    elif flavour == "itslive":
        attrs["FILE_TYPE"] = "itslive"      # horizontal velocities in m/yr (not a LOS velocity shown in mm/yr)
    else:
        attrs.setdefault("FILE_TYPE", next(iter(datasets)))
    attrs["CUBE_FLAVOUR"] = flavour
    if dates:
        attrs.setdefault("START_DATE", dates[0])
        attrs.setdefault("END_DATE", dates[-1])
    mask_itslive = flavour == "itslive"

    def read(name, epochs, rows, cols):
        var_name, scale = sources[name]
        var = ds[var_name]
        r0, r1, _ = rows.indices(length)
        c0, c1, _ = cols.indices(width)
        rsel = slice(length - r1, length - r0) if flip else slice(r0, r1)
        sel = {ydim: rsel, xdim: slice(c0, c1)}
        if epochs is not None:
            idx = np.arange(len(dates))[epochs] if isinstance(epochs, slice) else np.asarray(epochs, dtype=np.int64)
            file_idx = order[idx]
            uniq = np.unique(file_idx)          # sorted, as every backend can read it
            contiguous = uniq.size and uniq[-1] - uniq[0] + 1 == uniq.size
            sel[tdim] = slice(int(uniq[0]), int(uniq[-1]) + 1) if contiguous else uniq
            data = np.asarray(var.isel(sel).transpose(tdim, ydim, xdim).values)
            data = data[np.searchsorted(uniq, file_idx)]
        else:
            data = np.asarray(var.isel(sel).transpose(ydim, xdim).values)
        if flip:
            data = data[..., ::-1, :]
        itslive_var = mask_itslive and var_name in ITSLIVE_VARIABLES
        if data.dtype.kind == "f" or scale != 1.0 or itslive_var:
            data = data.astype(np.float32)
            if itslive_var:
                data[data == ITSLIVE_NODATA] = np.nan
            if scale != 1.0:
                data *= np.float32(scale)
        return np.ascontiguousarray(data)

    return Product(path, "cube", attrs, grid, datasets, dates, read)


def _attr_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return " ".join(str(v) for v in value.ravel()) if value.size != 1 else str(value.item())
    return str(value)
