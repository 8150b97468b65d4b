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

Writing (:func:`write_cube`) produces CF-1.8 NetCDF4 (or Zarr): ``time``, ``lat``/``lon`` (or ``y``/``x``)
coordinates at pixel centres, a ``spatial_ref`` grid-mapping variable with CF attributes, ``crs_wkt``
and GDAL's ``GeoTransform`` (outer corner, so GDAL/rasterio georeference it exactly as the MintPy grid),
``units`` on every variable, chunked and compressed, the MintPy attributes as global attributes
(including ``REF_LAT``/``REF_LON``/``REF_Y``/``REF_X`` and ``REF_DATE``). Data are streamed chunk by
chunk from the source product (dask), so memory stays bounded whatever the cube size.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
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


# ----------------------------------------------------------------------------------------------- writing
class _Window:
    """Array-like view of one product dataset for ``dask.array.from_array`` (reads on demand)."""

    def __init__(self, product: Product, name: str, scale: float = 1.0):
        info = product.require(name)
        self.product, self.name, self.scale = product, name, scale
        self.shape = info.shape
        self.dtype = np.dtype(np.float32) if info.dtype.kind == "f" or scale != 1.0 else info.dtype
        self.ndim = len(self.shape)

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        key = key + (slice(None),) * (self.ndim - len(key))
        if self.ndim == 3:
            data = self.product.read(self.name, key[1], key[2], key[0])
        else:
            data = self.product.read(self.name, key[0], key[1])
        data = np.asarray(data)
        if self.scale != 1.0:
            data = data.astype(np.float32) * np.float32(self.scale)
        return data.astype(self.dtype, copy=False)


def cube_chunks(shape: tuple[int, ...]) -> tuple[int, ...]:
    """On-disk chunks: up to 32 epochs x 128 rows x 256 columns (a few MB), so that both a map of one
    epoch and the time series of a block of rows are read without reading the whole cube."""
    if len(shape) == 3:
        return (min(shape[0], 32), min(shape[1], 128), min(shape[2], 256))
    return (min(shape[0], 256), min(shape[1], 256))


def _coords(grid: Grid) -> tuple[dict, tuple[str, str]]:
    """Pixel-centre coordinate variables of the grid with CF attributes."""
    import xarray as xr

    geographic = grid.epsg == 4326
    ydim, xdim = ("lat", "lon") if geographic else ("y", "x")
    yattrs = ({"standard_name": "latitude", "long_name": "latitude of the pixel centre", "units": "degrees_north"}
              if geographic else {"standard_name": "projection_y_coordinate", "long_name": "y of the pixel centre",
                                  "units": "m"})
    xattrs = ({"standard_name": "longitude", "long_name": "longitude of the pixel centre", "units": "degrees_east"}
              if geographic else {"standard_name": "projection_x_coordinate", "long_name": "x of the pixel centre",
                                  "units": "m"})
    yattrs["axis"], xattrs["axis"] = "Y", "X"
    return ({ydim: xr.Variable(ydim, grid.lats(), yattrs), xdim: xr.Variable(xdim, grid.lons(), xattrs)},
            (ydim, xdim))


def grid_mapping_attrs(grid: Grid) -> dict:
    """CF grid-mapping attributes of the grid's CRS (pyproj), plus GDAL's ``spatial_ref`` and ``GeoTransform``
    (outer corner of the first pixel: ``X_FIRST X_STEP 0 Y_FIRST 0 Y_STEP``)."""
    from pyproj import CRS

    crs = CRS.from_epsg(grid.epsg)
    attrs = {k: v for k, v in crs.to_cf().items() if v is not None}
    attrs["spatial_ref"] = crs.to_wkt()
    attrs["crs_wkt"] = crs.to_wkt()
    attrs["spatial_epsg"] = int(grid.epsg)
    attrs["GeoTransform"] = " ".join(repr(float(v)) for v in grid.transform)
    return attrs


#: MintPy dataset -> (AlignSAR variable, AlignSAR unit, scale from mimtpy units, description)
ALIGNSAR_NAMES = {
    "timeseries": ("cum_displacement", "mm", 1e3, "Cumulative LOS displacement (positive toward the satellite)"),
    "velocity": ("linear_velocity", "mm/year", 1e3, "Linear LOS displacement trend of the cumulative displacements"),
    "velocityStd": ("linear_velocity_std", "mm/year", 1e3, "Standard deviation of the linear velocity"),
    "avgSpatialCoherence": ("mean_coherence", "unitless", 1.0, "Mean spatial coherence of the interferograms"),
    "temporalCoherence": ("temporal_coherence", "unitless", 1.0, "Temporal coherence of the network inversion"),
    "height": ("DEM", "m", 1.0, "Height of the DEM used for geocoding"),
    "mask": ("mask", "unitless", 1.0, "Valid-pixel mask (1 = valid)"),
    "incidenceAngle": ("incidence_angle", "degree", 1.0, "Incidence angle of the LOS at the ground, from vertical"),
    "azimuthAngle": ("azimuth_angle", "degree", 1.0,
                     "Azimuth of the ground-to-satellite LOS, from north, anticlockwise positive (MintPy)"),
    "residualRms": ("residuals_rms", "mm", 1e3, "RMS of the residuals of the network inversion"),
    "spatiotemporalConsistency": ("spatiotemporal_consistency", "mm", 1e3,
                                  "Spatio-temporal consistency (LiCSBAS): minimum RMS of double differences"),
}


def merge_products(products: list[Product], names: list[str] | None = None,
                   units: list[str] | None = None) -> Product:
    """One product of the datasets of several products on the same grid (e.g. LiCSBAS GeoTIFF results).

    ``names[i]`` renames the dataset of input i when it has exactly one (default: its name, or the file stem
    for a GeoTIFF's anonymous ``data``); ``units[i]`` is the unit of input i where the file declares none
    (e.g. ``mm/year`` for LiCSBAS ``vel``), converted to mimtpy units (m, m/year). 3-D datasets must share dates.
    Attributes are those of the first input. ProductError when the grids or dates differ.
    """
    if not products:
        raise InputError("merge: no products")
    if names and len(names) != len(products):
        raise InputError(f"merge: {len(names)} names for {len(products)} inputs")
    if units and len(units) != len(products):
        raise InputError(f"merge: {len(units)} units for {len(products)} inputs")
    first = products[0]
    g = first.grid
    tol = 1e-6 * max(abs(g.x_step), abs(g.y_step))
    sources: dict[str, tuple[Product, str, float]] = {}
    datasets: dict[str, DatasetInfo] = {}
    dates: list[str] = []
    for i, product in enumerate(products):
        h = product.grid
        if h.shape != g.shape or h.epsg != g.epsg or max(abs(h.x_first - g.x_first), abs(h.y_first - g.y_first),
                                                        abs(h.x_step - g.x_step) * g.width,
                                                        abs(h.y_step - g.y_step) * g.length) > tol:
            raise ProductError(f"{product.path}: grid {h} differs from {first.path} {g}; merged inputs must share "
                               "one grid")
        for name, info in product.datasets.items():
            new = name
            if names and len(product.datasets) == 1:
                new = names[i]
            elif name == "data" and len(product.datasets) == 1:
                new = product.path.stem
            unit = info.unit or (units[i] if units else "")
            scale, unit = UNIT_SCALE.get(unit.lower(), (1.0, unit))
            if new in datasets:
                raise InputError(f"merge: dataset name '{new}' occurs twice (from {product.path}); give names")
            if info.is_3d:
                if dates and product.dates != dates:
                    raise ProductError(f"{product.path}: dates differ from the other time series of the merge")
                dates = list(product.dates)
            dtype = np.dtype(np.float32) if info.dtype.kind == "f" or scale != 1.0 else info.dtype
            datasets[new] = DatasetInfo(new, info.shape, dtype, unit)
            sources[new] = (product, name, scale)

    def read(name, epochs, rows, cols):
        product, inner, scale = sources[name]
        data = product.read(inner, rows, cols, epochs)
        return data if scale == 1.0 else data.astype(np.float32) * np.float32(scale)

    attrs = {k: v for k, v in first.attrs.items() if k not in ("FILE_TYPE", "UNIT")}
    attrs["FILE_TYPE"] = "timeseries" if "timeseries" in datasets else next(iter(datasets))
    attrs["MERGED_FROM"] = ", ".join(str(p.path) for p in products)
    return Product(first.path, "merged", attrs, g, datasets, dates, read)


def _utc_text(attrs: dict) -> str | None:
    if "CENTER_LINE_UTC" not in attrs:
        return None
    seconds = float(attrs["CENTER_LINE_UTC"])
    return (dt.datetime(2000, 1, 1) + dt.timedelta(seconds=seconds)).strftime("%H:%M:%S")


def alignsar_global_attrs(product: Product, dates: list[str]) -> dict:
    """AlignSAR ``sar_*``/``geospatial_*`` global attributes from the product's own metadata.

    An attribute whose source is missing is left out (and logged), never filled with a default.
    ``sar_view_azimuth`` is the satellite ``HEADING`` (degrees from north, clockwise), as in the
    LiCSBAS AlignSAR cubes; ``sar_view_incidence_angle`` the mean of the ``incidenceAngle`` dataset
    (else ``CENTER_INCIDENCE_ANGLE``).
    """
    from mimtpy import __version__

    a = product.attrs
    out: dict = {}
    s, n, w, e = _latlon_bounds(product.grid)
    out.update(geospatial_lat_min=s, geospatial_lat_max=n, geospatial_lon_min=w, geospatial_lon_max=e,
               geospatial_lat_units="degrees_north", geospatial_lon_units="degrees_east")
    utc = _utc_text(a)
    if dates:
        ref = a.get("REF_DATE", dates[0])
        day = f"{ref[:4]}-{ref[4:6]}-{ref[6:8]}"
        out["sar_reference_date_time"] = f"{day}T{utc}" if utc else day
        first, last = (f"{d[:4]}-{d[4:6]}-{d[6:8]}" + (f"T{utc}" if utc else "") for d in (dates[0], dates[-1]))
        out["sar_date_time"] = f"{first}/{last}"
    sources = {
        "sar_instrument_mode": ("beam_mode", "BEAM_MODE", "beamMode"),
        "sar_relative_orbit": ("relative_orbit", "trackNumber", "TRACK", "track"),
        "sar_absolute_orbit": ("absolute_orbit", "ORBIT_NUMBER", "first_absolute_orbit"),
        "sar_looks_range": ("RLOOKS", "RANGE_LOOKS", "range_looks"),
        "sar_looks_azimuth": ("ALOOKS", "AZIMUTH_LOOKS", "azimuth_looks"),
        "sar_pixel_spacing_range": ("RANGE_PIXEL_SIZE", "range_pixel_size"),
        "sar_pixel_spacing_azimuth": ("AZIMUTH_PIXEL_SIZE", "azimuth_pixel_size"),
        "sar_view_azimuth": ("HEADING", "heading"),
        "sar_orbit_direction": ("ORBIT_DIRECTION", "orbit_direction"),
        "sar_platform": ("PLATFORM", "mission", "platform"),
        "sar_polarisation": ("POLARIZATION", "polarization"),
        "sar_wavelength": ("WAVELENGTH", "wavelength"),
    }
    for key, names in sources.items():
        value = next((a[k] for k in names if k in a and str(a[k]).strip() not in ("", "None", "nan")), None)
        if value is None:
            logger.info("AlignSAR attribute %s left out: the product has none of %s", key, ", ".join(names))
        else:
            out[key] = value
    if "incidenceAngle" in product.datasets:
        inc = product.read("incidenceAngle").astype(np.float64)
        inc = inc[np.isfinite(inc) & (inc != 0)]
        if inc.size:
            out["sar_view_incidence_angle"] = round(float(inc.mean()), 4)
    elif "CENTER_INCIDENCE_ANGLE" in a:
        out["sar_view_incidence_angle"] = a["CENTER_INCIDENCE_ANGLE"]
    else:
        logger.info("AlignSAR attribute sar_view_incidence_angle left out: no incidenceAngle dataset or attribute")
    software = [a[k] for k in ("PROCESSOR", "processing_software", "INSAR_PROCESSOR") if k in a]
    out["sar_processing_software"] = ", ".join(dict.fromkeys([*software, f"mimtpy {__version__}"]))
    out["processing_level"] = "InSAR time series" if dates else "InSAR"
    return out


def _latlon_bounds(grid: Grid) -> tuple[float, float, float, float]:
    """S, N, W, E of the pixel centres in degrees (the corners transformed for projected grids)."""
    lats, lons = grid.lats(), grid.lons()
    if grid.epsg == 4326:
        return float(lats.min()), float(lats.max()), float(lons.min()), float(lons.max())
    from pyproj import Transformer

    tr = Transformer.from_crs(grid.epsg, 4326, always_xy=True)
    xs, ys = np.meshgrid(lons[[0, -1]], lats[[0, -1]])
    lon, lat = tr.transform(xs.ravel(), ys.ravel())
    return float(min(lat)), float(max(lat)), float(min(lon)), float(max(lon))


def _fitted_velocity(product: Product, dates: list[str], chunks: tuple[int, ...]):
    """Dask arrays of the linear velocity and its std (m/yr) fitted to the time series, chunk by chunk."""
    import dask.array as da

    from mimtpy.core.dates import decimal_years
    from mimtpy.core.linfit import fit_lines

    t = decimal_years(dates)
    ts = da.from_array(_Window(product, "timeseries"), chunks=(len(dates), *chunks[1:]), asarray=True)

    def fit(block, which):
        n, rows, cols = block.shape
        slope, std, _count = fit_lines(block.reshape(n, -1).astype(np.float32), t, 3)
        return (slope if which == 0 else std).reshape(1, rows, cols).astype(np.float32)

    vel = ts.map_blocks(fit, 0, dtype=np.float32, chunks=((1,), *ts.chunks[1:]))[0]
    std = ts.map_blocks(fit, 1, dtype=np.float32, chunks=((1,), *ts.chunks[1:]))[0]
    return vel, std


def build_dataset(product: Product, names: list[str] | None = None, alignsar: bool = False):
    """The CF ``xarray.Dataset`` of a product (dask-backed: nothing is read until it is written)."""
    import dask.array as da
    import xarray as xr

    names = list(product.datasets) if not names else list(names)
    for name in names:
        product.require(name)
    grid = product.grid
    coords, (ydim, xdim) = _coords(grid)
    dates = list(product.dates)
    has_time = any(product.datasets[n].is_3d for n in names)
    if has_time:
        if len(set(dates)) != len(dates):
            raise ProductError(f"{product.path}: repeated dates; a cube with one layer per date is expected")
        times = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:8]}") for d in dates], dtype="datetime64[ns]")
        coords["time"] = xr.Variable("time", times, {"standard_name": "time", "long_name": "acquisition date",
                                                     "axis": "T"})
    variables = {}
    for name in names:
        info = product.datasets[name]
        scale, unit, out_name, desc = 1.0, info.unit or "", name, ""
        if name == "timeseries":
            unit = "m"
        if alignsar and name in ALIGNSAR_NAMES:
            out_name, unit, scale, desc = ALIGNSAR_NAMES[name]
        dims = ("time", ydim, xdim) if info.is_3d else (ydim, xdim)
        chunks = cube_chunks(info.shape)
        data = da.from_array(_Window(product, name, scale), chunks=chunks, asarray=True, name=False)
        attrs = {"units": unit or "1", "grid_mapping": "spatial_ref", "long_name": desc or name}
        if alignsar:
            attrs["unit"] = unit or "unitless"
            if desc:
                attrs["description"] = desc
        if name == "timeseries":
            attrs["long_name"] = desc or ("LOS displacement relative to the reference date "
                                          "(positive toward the satellite)")
        variables[out_name] = xr.Variable(dims, data, attrs)
    if alignsar and "timeseries" in names and "velocity" not in names and len(dates) >= 3:
        vel, std = _fitted_velocity(product, dates, cube_chunks((len(dates), *grid.shape)))
        for key, arr in (("velocity", vel), ("velocityStd", std)):
            out_name, unit, scale, desc = ALIGNSAR_NAMES[key]
            variables[out_name] = xr.Variable((ydim, xdim), (arr * scale).rechunk(cube_chunks(grid.shape)),
                                              {"units": unit, "unit": unit, "grid_mapping": "spatial_ref",
                                               "long_name": desc, "description": desc + " (least-squares fit, "
                                               "MintPy decimal years)"})
    variables["spatial_ref"] = xr.Variable((), np.int32(0), grid_mapping_attrs(grid))
    attrs = {k: v for k, v in product.attrs.items() if k not in ("mimtpy_settings", "CUBE_FLAVOUR")}
    attrs.update(grid.to_attrs())
    if has_time:
        attrs.setdefault("REF_DATE", dates[0])
    attrs["FILE_TYPE"] = "timeseries" if "timeseries" in names else attrs.get("FILE_TYPE", names[0])
    attrs = {k: str(v) for k, v in attrs.items()}
    attrs.update(Conventions="CF-1.8", title=f"{product.path.name} as a CF datacube",
                 source=str(product.path), history=f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ} mimtpy",
                 pixel_registration="coordinates are pixel centres; X_FIRST/Y_FIRST are the outer corner")
    if alignsar:
        attrs.update({k: (v if isinstance(v, int | float) else str(v))
                      for k, v in alignsar_global_attrs(product, dates if has_time else []).items()})
        attrs["date_created"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def write_cube(
    path: str | Path,
    product: Product,
    names: list[str] | None = None,
    alignsar: bool = False,
    fmt: str | None = None,
    complevel: int = 4,
) -> Path:
    """Write datasets ``names`` (default all) of ``product`` as a CF-1.8 NetCDF4 (``fmt='netcdf'``) or Zarr
    (``fmt='zarr'``; default from the suffix) cube, atomically, streaming chunk by chunk.

    ``alignsar`` renames to the AlignSAR InSAR time-series datacube names (``cum_displacement`` in mm,
    ``linear_velocity``/``linear_velocity_std`` in mm/year, ``mean_coherence``, ``DEM``, ...; the linear
    velocity is fitted to the time series when the product has none) and adds the ``sar_*``/``geospatial_*``
    global attributes from the product's metadata (:func:`alignsar_global_attrs`).
    """
    import dask

    path = Path(path)
    fmt = fmt or ("zarr" if path.suffix.lower() == ".zarr" else "netcdf")
    if fmt not in ("netcdf", "zarr"):
        raise InputError(f"cube format '{fmt}' is not one of: netcdf, zarr")
    ds = build_dataset(product, names, alignsar)
    encoding = {}
    for name, var in ds.data_vars.items():
        if name == "spatial_ref":
            continue
        chunks = cube_chunks(var.shape)
        fill = {"_FillValue": np.float32(np.nan)} if var.dtype.kind == "f" else {"_FillValue": None}
        if fmt == "netcdf":
            encoding[name] = {"zlib": True, "complevel": int(complevel), "chunksizes": chunks, **fill}
        else:
            encoding[name] = {"chunks": chunks, **fill}
    if "time" in ds.coords:
        encoding["time"] = {"units": "days since 1970-01-01 00:00:00", "calendar": "proleptic_gregorian",
                            "dtype": "int32"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with dask.config.set(scheduler="synchronous"):      # one reader at a time: memory = a few chunks
        if fmt == "netcdf":
            _atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4", encoding=encoding))
        else:
            _atomic_write(path, lambda tmp: ds.to_zarr(tmp, mode="w", encoding=encoding,
                                                              consolidated=True, zarr_format=2),
                          folder=True)
    logger.info("wrote %s", path)
    return path


def _atomic_write(path: Path, write: Callable[[Path], object], folder: bool = False) -> None:
    """Write to a temporary name beside ``path``, then rename (a folder for Zarr)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    target = tmp / path.name
    try:
        write(target)
        if path.exists():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        os.replace(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not folder and path.is_dir():
        raise ProductError(f"{path}: expected a file, the writer produced a folder")
