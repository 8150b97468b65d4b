"""Writing products as CF-1.8 NetCDF / Zarr datacubes (xarray, dask: streamed chunk by chunk).

:func:`write_cube` produces CF-1.8 NetCDF4 (or Zarr): ``time``, ``lat``/``lon`` (or ``y``/``x``)
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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io.atomic import part_prefix, remove_stale_parts
from mimtpy.io.netcdf import UNIT_SCALE
from mimtpy.io.product import DatasetInfo, Product

logger = logging.getLogger(__name__)


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
    from mimtpy._version import __version__

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
    remove_stale_parts(path)
    tmp = Path(tempfile.mkdtemp(prefix=part_prefix(path), suffix=".part", dir=path.parent))
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
