"""Loading one track for multi-track analysis: LOS data, its uncertainty and its per-pixel geometry.

Units are normalised to metres (displacement) or metres/year (velocity); LOS is positive
toward the satellite. The geometry of each pixel is kept as the ground-to-satellite LOS unit
vector (east, north, up), found by :func:`mimtpy.ops.geometry.geometry_array` (geometry from another file
must be of the same track, or it is refused).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mimtpy.core.arrays import DerivedArray, ResampledArray, StackedArray
from mimtpy.core.blocks import ArrayLike
from mimtpy.core.dates import decimal_years
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError
from mimtpy.io import open_product
from mimtpy.ops.datasets import main_dataset
from mimtpy.ops.geometry import geometry_array
from mimtpy.ops.paths import project_name
from mimtpy.ops.units import unit_of
from mimtpy.ops.velocity import displacement_block, period_inputs, select_period, velocity_block

logger = logging.getLogger(__name__)

class _TrackInfo:
    """What every track knows of itself: its quantity's unit and its orbit direction."""

    quantity: str
    attrs: dict

    @property
    def unit(self) -> str:
        return "m/year" if self.quantity == "velocity" else "m"

    @property
    def direction(self) -> str:
        return self.attrs.get("ORBIT_DIRECTION", "").upper()


@dataclass
class Track(_TrackInfo):
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



@dataclass
class TrackSource(_TrackInfo):
    """One track as lazy arrays on its own grid: ``obs`` (2, L, W) = LOS and its std (NaN where
    unknown) in m or m/yr, ``enu`` (3, L, W) = LOS unit vector (ground to satellite)."""

    name: str
    path: Path
    grid: Grid
    quantity: str
    obs: ArrayLike
    enu: ArrayLike
    has_std: bool
    attrs: dict


def _period_obs(blocks: dict[str, np.ndarray], window: tuple[slice, slice], kind: str, t: np.ndarray | None
                ) -> np.ndarray:
    """(2, rows, cols): velocity and its std fitted over the period, or displacement and NaN."""
    if kind == "velocity":
        out = velocity_block(blocks, t=t, ref_series=None, min_epochs=3)
        return np.stack([out["velocity"], out["velocityStd"]])
    disp = displacement_block(blocks, ref_pair=None)["displacement"]
    return np.stack([disp, np.full_like(disp, np.nan)])


def _masked(blocks: dict[str, np.ndarray], window: tuple[slice, slice]) -> np.ndarray:
    """(2, rows, cols) observations, NaN where the mask is 0 or NaN."""
    keep = np.isfinite(blocks["mask"]) & (blocks["mask"] != 0)
    return np.where(keep[None], blocks["obs"], np.nan).astype(np.float32)


def track_source(path: Path, dataname: str | None = None, geometry: Path | None = None,
                 enu: tuple[Path, Path, Path] | None = None, start: str | None = None,
                 end: str | None = None, mask: bool = True, mask_file: Path | None = None) -> TrackSource:
    """One track, lazily: a velocity/displacement file (``dataname`` or its main dataset, with
    ``<name>Std`` if present), or a time series (HDF-EOS5/timeseries.h5) whose velocity (default)
    or displacement of the period is computed block by block when read.

    ``mask``: apply the product's own mask (:func:`mimtpy.io.open_product`); ``mask_file``: a raster
    (any grid, nearest) whose 0 or NaN pixels are masked in addition."""
    product = open_product(path, mask=mask)
    grid = product.grid
    if "timeseries" in product.datasets:
        kind = dataname or "velocity"
        if kind not in ("velocity", "displacement"):
            raise InputError(f"{path}: dataname '{kind}' for a time series must be velocity or displacement")
        period = select_period(product.dates, start, end, str(path))
        rows, cols = slice(0, grid.length), slice(0, grid.width)
        inputs = period_inputs(product, period, rows, cols, kind)
        t = decimal_years(list(period.dates[period.first:period.last + 1])) if kind == "velocity" else None
        obs = DerivedArray(inputs, functools.partial(_period_obs, kind=kind, t=t), grid.shape, lead=(2,))
        quantity, has_std = kind, kind == "velocity"
        attrs = {**product.attrs, "START_DATE": period.dates[period.first], "END_DATE": period.dates[period.last]}
    else:
        name = dataname or main_dataset(product)
        product.require(name)
        quantity, factor = unit_of(product, name)
        has_std = f"{name}Std" in product.datasets
        obs = StackedArray([product.array(name), product.array(f"{name}Std") if has_std else None], [factor, factor])
        attrs = dict(product.attrs)
    if mask_file is not None:
        mproduct = open_product(mask_file)
        layer = ResampledArray(mproduct.array(next(iter(mproduct.datasets))), mproduct.grid, grid, "nearest")
        obs = DerivedArray({"obs": obs, "mask": layer}, _masked, grid.shape, lead=(2,))
        logger.info("%s: masked by %s", path.name, mask_file)
    return TrackSource(project_name(path), path, grid, quantity, obs, geometry_array(product, grid, geometry, enu),
                       has_std, attrs)


def check_quantities(tracks: list[Track]) -> str:
    """The common quantity of the tracks; InputError naming the files when they mix velocity and displacement."""
    kinds = {t.quantity for t in tracks}
    if len(kinds) > 1:
        listing = "; ".join(f"{t.path} ({t.quantity}, {t.unit})" for t in tracks)
        raise InputError(f"tracks mix velocity and displacement: {listing}")
    kind = kinds.pop()
    periods = {(t.attrs.get("START_DATE"), t.attrs.get("END_DATE")) for t in tracks}
    if len(periods) > 1 and all(a and b for a, b in periods):
        listing = "; ".join(f"{t.path} ({t.attrs['START_DATE']}..{t.attrs['END_DATE']})" for t in tracks)
        if kind == "displacement":
            raise InputError(f"the displacements cover different periods, so they cannot be decomposed together: "
                             f"{listing}; make them over one period (velcumu startDate/endDate)")
        logger.warning("the velocities cover different periods (%s): decomposed as if the rates were constant", listing)
    return kind


