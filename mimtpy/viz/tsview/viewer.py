"""What every browser session of the viewer shares: the opened products, their maps (cached), the fault
lines and GNSS stations, and the series of every product at a point.

Conventions as in :mod:`mimtpy.viz.tsview.data` (stored m, m/yr; shown mm, mm/yr; LOS positive toward
the satellite; a point falls in the pixel whose area contains it).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mimtpy.errors import InputError, MimtpyError
from mimtpy.viz.maps import ColorScale, MapStyle, color_scale, hillshade, shading_dem, vector_files
from mimtpy.viz.tsview.data import MAX_PIXELS, MapImage, Rate, Source, fit_rate, period_indices

logger = logging.getLogger(__name__)

#: a velocity map reading more than this (bytes of the cube) is computed in the background (the page shows the
#: displacement of the period, two epochs, until it is ready)
QUICK_BYTES = 256 * 1024**2


@dataclass(frozen=True)
class ViewerSettings:
    """What the viewer shows: the files, the first map and period, the colour scale (the plot step's rules:
    ``vlim`` in display units, else :func:`mimtpy.viz.maps.color_scale`), relief, faults, GNSS,
    the decimation and memory budget, and the folder of the exports."""

    paths: tuple[Path, ...]
    kind: str = "velocity"
    start: str | None = None
    end: str | None = None
    vlim: tuple[float, float] | None = None
    cmap: str | None = None
    shade: bool | None = None
    dem: Path | None = None
    fault: Path | None = None
    shpdir: Path | None = None
    fcolor: str = "black"
    gnss: Path | None = None
    gnss_format: str = "auto"
    max_pixels: int = MAX_PIXELS
    max_memory: float = 1.0
    export_dir: Path = Path("tsview_export")

    @property
    def style(self) -> MapStyle:
        return MapStyle(vlim=self.vlim, cmap=self.cmap, shade=self.shade, dem=self.dem, fault=self.fault,
                        shpdir=self.shpdir, fcolor=self.fcolor, gnss=self.gnss, gnss_format=self.gnss_format)


@dataclass
class PointSeries:
    """The series of one product at a point: its pixel, dates, decimal years and values (m); ``message`` says
    why there is none (outside the grid, no time series, no valid value)."""

    label: str
    row: int | None = None
    col: int | None = None
    centre: tuple[float, float] | None = None
    dates: list[str] = field(default_factory=list)
    t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.message and np.isfinite(self.values).any()

    def rate(self, start: str | None, end: str | None) -> Rate:
        """Rate (m/yr) and std over the acquisitions within [start, end]; InputError when the period holds
        fewer than 2 of this product's dates."""
        return fit_rate(self.t, self.values, period_indices(self.dates, start, end, self.label))


class Viewer:
    """The products of one viewer and what sessions ask of them (thread-safe caches)."""

    def __init__(self, settings: ViewerSettings):
        if not settings.paths:
            raise InputError("tsview: no file given")
        self.settings = settings
        from mimtpy.ops.paths import unique_names

        paths = [Path(p) for p in settings.paths]
        self.sources = [Source.open(p, label) for p, label in zip(paths, unique_names(paths), strict=True)]
        self._maps: OrderedDict = OrderedDict()
        self._cache: dict = {}
        self._lock = threading.Lock()
        self.stations = None
        if settings.gnss:
            from mimtpy.io.gnss import read_stations
            self.stations = read_stations(settings.gnss, settings.gnss_format)
        for path in vector_files(settings.style):          # refuse missing vector files at start
            if not Path(path).exists():
                raise InputError(f"tsview: fault file {path} not found")

    # -- dates -------------------------------------------------------------------------------------------
    @property
    def dates(self) -> list[str]:
        """Every acquisition date of every product with a time series, sorted."""
        return sorted({d for s in self.sources for d in s.dates})

    def default_kind(self, index: int) -> str:
        source = self.sources[index]
        return self.settings.kind if self.settings.kind in source.maps else source.maps[0]

    # -- maps ----------------------------------------------------------------------------------------------
    def map(self, index: int, kind: str, start: str | None, end: str | None) -> MapImage:
        """Map ``kind`` of product ``index`` over the period (the last 8 maps are kept)."""
        source = self.sources[index]
        key = (index, kind, start, end) if kind in ("velocity", "displacement") else (index, kind)
        with self._lock:
            if key in self._maps:
                self._maps.move_to_end(key)
                return self._maps[key]
        image = source.map(kind, start, end, self.settings.max_pixels, self.settings.max_memory)
        with self._lock:
            self._maps[key] = image
            while len(self._maps) > 8:
                self._maps.popitem(last=False)
        return image

    def is_quick(self, index: int, kind: str, start: str | None, end: str | None) -> bool:
        """Whether map ``kind`` is cached or reads less than :data:`QUICK_BYTES` (else the page shows a cheap map
        first and this one when it is ready)."""
        key = (index, kind, start, end) if kind in ("velocity", "displacement") else (index, kind)
        with self._lock:
            if key in self._maps:
                return True
        source = self.sources[index]
        if kind != "velocity" or not source.has_series:
            return True
        epochs = source.period(start, end)
        size = (epochs[-1] - epochs[0] + 1) * source.grid.length * source.grid.width * 4
        return size < QUICK_BYTES

    def scale(self, image: MapImage) -> ColorScale:
        """Colour limits and colormap of a map (the plot step's rules, :func:`mimtpy.viz.maps.color_scale`)."""
        return color_scale(image.values, self.settings.style, image.kind)

    def limits(self, image: MapImage) -> tuple[float, float]:
        """Colour limits of a map (:meth:`scale`)."""
        scale = self.scale(image)
        return scale.vmin, scale.vmax

    def _cached(self, key, make):
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._lock:
            self._cache[key] = value
        return value

    def relief(self, index: int, image: MapImage) -> np.ndarray | None:
        """Hillshade (0..1) on the map's grid from the product's height or the DEM (None: no relief)."""
        def make():
            try:
                dem = shading_dem(self.sources[index].product, self.settings.style, image.grid)
            except MimtpyError as err:
                logger.warning("no relief: %s", err)
                return None
            return None if dem is None else hillshade(dem)
        return self._cached(("relief", index, image.grid), make)

    def lines(self, index: int) -> list[np.ndarray]:
        """Fault and vector lines (lon, lat) clipped to product ``index``'s extent."""
        def make():
            from mimtpy.io.vectors import read_lines
            snwe = self.sources[index].grid.snwe
            return [part for path in vector_files(self.settings.style) for part in read_lines(path, snwe)]
        return self._cached(("lines", index), make)

    def gnss_los(self, index: int) -> dict[str, float]:
        """GNSS velocity (m/yr) projected into the LOS of product ``index`` at each station inside it ({} when the
        product has no LOS geometry or no station)."""
        def make():
            if self.stations is None:
                return {}
            from mimtpy.ops.gnss import project_to_los
            try:
                sub, los, _r, _c = project_to_los(self.stations, self.sources[index].product)
            except MimtpyError as err:
                logger.info("%s: GNSS not projected to LOS: %s", self.sources[index].label, err)
                return {}
            return {site: float(v) for site, v in zip(sub.site, los, strict=True)}
        return self._cached(("gnss", index), make)

    # -- series --------------------------------------------------------------------------------------------
    def series_at(self, lat: float, lon: float) -> list[PointSeries]:
        """The series of every product at (lat, lon): one 1 x 1 window read per product."""
        out = []
        for source in self.sources:
            try:
                row, col = source.locate(lat, lon)
            except InputError as err:
                out.append(PointSeries(source.label, message=str(err)))
                continue
            centre = source.grid.rowcol_to_lalo(row, col)
            if not source.has_series:
                kind = source.maps[0]
                value = source.pixel_value(kind, row, col)
                unit = source.product.datasets[kind].unit or source.product.attrs.get("UNIT", "")
                out.append(PointSeries(source.label, row, col, centre,
                                       message=f"{source.label}: no time series ({kind} here: {value:.6g} {unit})"))
                continue
            values = source.pixel_series(row, col)
            point = PointSeries(source.label, row, col, centre, source.dates, source.times(), values)
            if not np.isfinite(values).any():
                point.message = f"{source.label}: no valid value at pixel ({row}, {col}) (NaN in every epoch)"
            out.append(point)
        return out
