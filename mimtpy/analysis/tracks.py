"""Loading one track for multi-track analysis: LOS data, its uncertainty and its per-pixel geometry.

Units are normalised to metres (displacement) or metres/year (velocity); LOS is positive
toward the satellite. The geometry of each pixel is kept as the ground-to-satellite LOS unit
vector (east, north, up), see :mod:`mimtpy.core.geometry`; it comes, in this order, from
E/N/U rasters (LiCSAR/LiCSBAS), a geometry file given by the user, the product itself
(HDF-EOS5), the product named in ``FILE_PATH`` or a MintPy ``geometryGeo.h5`` near the file,
and last from the ``HEADING`` and ``CENTER_INCIDENCE_ANGLE`` attributes (constant geometry,
logged).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mimtpy.basic import velcumu
from mimtpy.core.geometry import heading_to_azimuth, los_unit_vector
from mimtpy.core.grid import Grid
from mimtpy.core.resample import resample
from mimtpy.errors import InputError, ProductError
from mimtpy.io import Product, open_product

logger = logging.getLogger(__name__)

#: unit text (lower case) -> (quantity, factor to SI)
UNITS = {
    "m/year": ("velocity", 1.0), "m/yr": ("velocity", 1.0), "m/a": ("velocity", 1.0),
    "cm/year": ("velocity", 0.01), "cm/yr": ("velocity", 0.01),
    "mm/year": ("velocity", 0.001), "mm/yr": ("velocity", 0.001), "mm/a": ("velocity", 0.001),
    "m": ("displacement", 1.0), "meters": ("displacement", 1.0), "cm": ("displacement", 0.01),
    "mm": ("displacement", 0.001),
}


@dataclass
class Track:
    """One track's LOS data on its own grid (SI units) and its LOS unit vector per pixel."""

    name: str
    path: Path
    grid: Grid
    quantity: str            # 'velocity' or 'displacement'
    los: np.ndarray
    std: np.ndarray | None
    east: np.ndarray         # LOS unit vector, ground to satellite
    north: np.ndarray
    up: np.ndarray
    attrs: dict

    @property
    def unit(self) -> str:
        return "m/year" if self.quantity == "velocity" else "m"

    @property
    def direction(self) -> str:
        return self.attrs.get("ORBIT_DIRECTION", "").upper()

    def on_grid(self, grid: Grid, method: str) -> Track:
        """This track resampled onto ``grid`` (geometry by the same method)."""
        def rs(a):
            return None if a is None else resample(a, self.grid, grid, method)
        return replace(self, grid=grid, los=rs(self.los), std=rs(self.std), east=rs(self.east),
                       north=rs(self.north), up=rs(self.up))


def unit_of(product: Product, dataset: str) -> tuple[str, float]:
    """(quantity, factor to SI) of a dataset, from its UNIT; ProductError for unknown units."""
    text = (product.datasets[dataset].unit or product.attrs.get("UNIT", "")).strip()
    if text.lower() in UNITS:
        return UNITS[text.lower()]
    raise ProductError(f"{product.path}: dataset '{dataset}' has unit '{text or 'none'}'; expected one of "
                       f"{', '.join(sorted(set(UNITS)))} (set the UNIT attribute)")


def _geometry_sources(product: Product) -> list[Path]:
    """Files that may hold the geometry of ``product``, nearest first."""
    here = product.path.parent
    candidates = []
    if "FILE_PATH" in product.attrs:
        candidates.append(Path(product.attrs["FILE_PATH"]))
    for folder in (here, here.parent):
        candidates += [folder / "inputs" / "geometryGeo.h5", folder / "geometryGeo.h5"]
        candidates += sorted(folder.glob("*.he5"))
    return [c for c in candidates if c.exists() and c.resolve() != product.path.resolve()]


def _angles_from(source: Product, grid: Grid) -> tuple[np.ndarray, np.ndarray] | None:
    if "incidenceAngle" not in source.datasets or "azimuthAngle" not in source.datasets:
        return None
    inc = resample(source.read("incidenceAngle"), source.grid, grid, "nearest")
    az = resample(source.read("azimuthAngle"), source.grid, grid, "nearest")
    return inc, az


def load_geometry(product: Product, grid: Grid, geometry: Path | None = None,
                  enu: tuple[Path, Path, Path] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north, up components of the LOS unit vector on ``grid``; see the module docstring."""
    if enu:
        comps = []
        for path in enu:
            src = open_product(path)
            comps.append(resample(src.read(next(iter(src.datasets))), src.grid, grid, "nearest"))
        norm = np.sqrt(comps[0] ** 2 + comps[1] ** 2 + comps[2] ** 2)
        if np.nanmax(np.abs(norm - 1)) > 0.01:
            raise ProductError(f"{enu[0]}: E/N/U rasters are not a unit vector (|v| up to {np.nanmax(norm):.3f})")
        logger.info("%s: LOS geometry from E/N/U rasters %s", product.path.name, ", ".join(p.name for p in enu))
        return comps[0], comps[1], comps[2]
    sources = [open_product(geometry)] if geometry else [product]
    if not geometry:
        for path in _geometry_sources(product):
            try:
                sources.append(open_product(path))
            except ProductError as err:
                logger.debug("not a geometry source: %s", err)
    for source in sources:
        angles = _angles_from(source, grid)
        if angles is not None:
            logger.info("%s: per-pixel LOS geometry from %s", product.path.name, source.path)
            return los_unit_vector(*angles)
    if geometry:
        raise ProductError(f"{geometry}: no incidenceAngle and azimuthAngle datasets")
    a = product.attrs
    if "HEADING" in a and "CENTER_INCIDENCE_ANGLE" in a:
        inc, az = float(a["CENTER_INCIDENCE_ANGLE"]), float(heading_to_azimuth(float(a["HEADING"])))
        logger.warning("%s: no geometry file found; using constant geometry from attributes "
                       "(incidence %.2f, azimuth %.2f deg, right-looking)", product.path.name, inc, az)
        e, n, u = los_unit_vector(np.full(grid.shape, inc), np.full(grid.shape, az))
        return e, n, u
    raise ProductError(f"{product.path}: no LOS geometry: give a geometry file (incidenceAngle, azimuthAngle), "
                       "E/N/U rasters, or the HEADING and CENTER_INCIDENCE_ANGLE attributes")


def load_track(path: Path, dataname: str | None = None, geometry: Path | None = None,
               enu: tuple[Path, Path, Path] | None = None, start: str | None = None, end: str | None = None,
               max_memory: float = 4.0) -> Track:
    """Read one track: a velocity/displacement file (``dataname`` or its main dataset, with
    ``<name>Std`` if present), or a time series (HDF-EOS5/timeseries.h5) from which the velocity
    (default) or displacement of the period is computed.
    """
    product = open_product(path)
    grid = product.grid
    if "timeseries" in product.datasets:
        kind = dataname or "velocity"
        if kind not in ("velocity", "displacement"):
            raise InputError(f"{path}: dataname '{kind}' for a time series must be velocity or displacement")
        period = velcumu.select_period(product.dates, start, end, str(path))
        rows, cols = slice(0, grid.length), slice(0, grid.width)
        if kind == "velocity":
            data = velcumu.compute_velocity(product, period, rows, cols, None, None, 3, max_memory)
            los, std = data["velocity"], data["velocityStd"]
        else:
            los, std = velcumu.compute_displacement(product, period, rows, cols, None, None)["displacement"], None
        quantity, factor = kind, 1.0
        attrs = {**product.attrs, "START_DATE": period.dates[period.first], "END_DATE": period.dates[period.last]}
    else:
        name = dataname or _main_dataset(product)
        product.require(name)
        quantity, factor = unit_of(product, name)
        los = product.read(name).astype(np.float32) * factor
        std = product.read(f"{name}Std").astype(np.float32) * factor if f"{name}Std" in product.datasets else None
        attrs = dict(product.attrs)
    east, north, up = load_geometry(product, grid, geometry, enu)
    return Track(velcumu.project_name(path), path, grid, quantity, los, std, east, north, up, attrs)


def _main_dataset(product: Product) -> str:
    if product.file_type in product.datasets:
        return product.file_type
    for name in ("velocity", "displacement"):
        if name in product.datasets:
            return name
    return next(iter(product.datasets))


def check_quantities(tracks: list[Track]) -> str:
    """The common quantity of the tracks; InputError naming the files when they mix velocity and displacement."""
    kinds = {t.quantity for t in tracks}
    if len(kinds) > 1:
        listing = "; ".join(f"{t.path} ({t.quantity}, {t.unit})" for t in tracks)
        raise InputError(f"tracks mix velocity and displacement: {listing}")
    return kinds.pop()


def reference_value(track: Track, lat: float, lon: float) -> float:
    """Median of the 3x3 pixels around (lat, lon); InputError if the track has no data there."""
    try:
        row, col = track.grid.lalo_to_rowcol(lat, lon)
    except InputError as err:
        raise InputError(f"{track.path}: reference {err}") from None
    window = track.los[max(row - 1, 0):row + 2, max(col - 1, 0):col + 2]
    if not np.isfinite(window).any():
        raise InputError(f"{track.path}: no valid data at the reference point lat={lat}, lon={lon}; "
                         "choose another referencepoint")
    return float(np.nanmedian(window))


def rereference(tracks: list[Track], point: tuple[float, float] | None) -> tuple[float, float] | None:
    """Subtract from every track its value at one common point (3x3 median; in memory only).

    The tracks must be on one grid. ``point`` given: that point, an InputError if a track has
    no data there. ``point`` None: nothing to do when all tracks share a reference point (within
    a pixel); else the first track's REF_LAT/REF_LON, or, where not every track has data there,
    the nearest pixel where all of them do (logged).
    """
    if point is None:
        refs = [(float(t.attrs["REF_LAT"]), float(t.attrs["REF_LON"])) for t in tracks
                if "REF_LAT" in t.attrs and "REF_LON" in t.attrs]
        if not refs:
            logger.warning("tracks have no REF_LAT/REF_LON and no referencepoint was given: not re-referenced")
            return None
        step = max(abs(tracks[0].grid.x_step), abs(tracks[0].grid.y_step))
        if len(refs) == len(tracks) and all(abs(r[0] - refs[0][0]) <= step and abs(r[1] - refs[0][1]) <= step
                                            for r in refs):
            return refs[0]
        point = _common_point(tracks, refs[0])
        logger.info("tracks have different reference points; re-referencing all to %.5f, %.5f", *point)
    for track in tracks:
        track.los = track.los - np.float32(reference_value(track, *point))
    return point


def _common_point(tracks: list[Track], wanted: tuple[float, float]) -> tuple[float, float]:
    """``wanted`` if every track has data there, else the nearest pixel where all of them do."""
    grid = tracks[0].grid
    common = np.logical_and.reduce([np.isfinite(t.los) for t in tracks])
    if not common.any():
        raise InputError(f"the tracks have no valid pixel in common: {', '.join(str(t.path) for t in tracks)}")
    try:
        row, col = grid.lalo_to_rowcol(*wanted)
        if common[max(row - 1, 0):row + 2, max(col - 1, 0):col + 2].any():
            return wanted
    except InputError:
        row, col = (grid.length - 1) / 2, (grid.width - 1) / 2
    rows, cols = np.nonzero(common)
    k = int(np.argmin((rows - row) ** 2 + (cols - col) ** 2))
    point = grid.rowcol_to_lalo(rows[k], cols[k])
    logger.warning("reference point %.5f, %.5f is not covered by every track; using the nearest common pixel "
                   "%.5f, %.5f (set referencepoint to choose)", *wanted, *point)
    return point
