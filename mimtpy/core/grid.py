"""Geographic grid of a geocoded product.

Convention (MintPy, pixel-is-area): ``x_first``/``y_first`` are the outer corner of
the first (upper-left) pixel, so the centre of pixel (row, col) is
``lon = x_first + (col + 0.5) * x_step`` and ``lat = y_first + (row + 0.5) * y_step``.
``y_step`` is negative for north-up grids. The GeoTIFF affine transform is
``(x_first, x_step, 0, y_first, 0, y_step)`` in GDAL order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from mimtpy.errors import InputError, ProductError

_REQUIRED = ("WIDTH", "LENGTH", "X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP")


@dataclass(frozen=True)
class Grid:
    """A regular lon/lat (or projected) grid; see the module docstring for registration."""

    width: int
    length: int
    x_first: float
    y_first: float
    x_step: float
    y_step: float
    epsg: int = 4326

    @classmethod
    def from_attrs(cls, attrs: dict, source: str = "product") -> Grid:
        """Build a grid from MintPy attributes; names the missing ones in a ProductError."""
        missing = [k for k in _REQUIRED if k not in attrs]
        if missing:
            raise ProductError(
                f"{source}: missing attribute(s) {', '.join(missing)}; a geocoded product "
                f"needs {', '.join(_REQUIRED)} (radar-coded products are not supported)"
            )
        try:
            epsg = int(attrs.get("EPSG", 4326) or 4326)
            utm = attrs.get("UTM_ZONE")
            if utm and "EPSG" not in attrs:
                zone = int(str(utm)[:-1]) if str(utm)[-1].isalpha() else int(utm)
                south = str(utm)[-1].upper() in "CDEFGHJKLM"
                epsg = (32700 if south else 32600) + zone
            return cls(
                width=int(attrs["WIDTH"]),
                length=int(attrs["LENGTH"]),
                x_first=float(attrs["X_FIRST"]),
                y_first=float(attrs["Y_FIRST"]),
                x_step=float(attrs["X_STEP"]),
                y_step=float(attrs["Y_STEP"]),
                epsg=epsg,
            )
        except (TypeError, ValueError) as err:
            raise ProductError(f"{source}: malformed grid attribute: {err}") from None

    def to_attrs(self) -> dict:
        """MintPy attribute dict of this grid (values as strings, as MintPy writes them)."""
        unit = "degrees" if self.epsg == 4326 else "meters"
        return {
            "WIDTH": str(self.width),
            "LENGTH": str(self.length),
            "X_FIRST": repr(self.x_first),
            "Y_FIRST": repr(self.y_first),
            "X_STEP": repr(self.x_step),
            "Y_STEP": repr(self.y_step),
            "X_UNIT": unit,
            "Y_UNIT": unit,
            "EPSG": str(self.epsg),
        }

    @property
    def shape(self) -> tuple[int, int]:
        return (self.length, self.width)

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """GDAL geotransform (x_first, x_step, 0, y_first, 0, y_step)."""
        return (self.x_first, self.x_step, 0.0, self.y_first, 0.0, self.y_step)

    @property
    def snwe(self) -> tuple[float, float, float, float]:
        """Outer bounds (south, north, west, east) of the grid."""
        y_last = self.y_first + self.length * self.y_step
        x_last = self.x_first + self.width * self.x_step
        return (min(self.y_first, y_last), max(self.y_first, y_last),
                min(self.x_first, x_last), max(self.x_first, x_last))

    def lons(self) -> np.ndarray:
        """Pixel-centre longitudes (x) of the columns."""
        return self.x_first + (np.arange(self.width) + 0.5) * self.x_step

    def lats(self) -> np.ndarray:
        """Pixel-centre latitudes (y) of the rows."""
        return self.y_first + (np.arange(self.length) + 0.5) * self.y_step

    def lalo_to_rowcol(self, lat: float, lon: float) -> tuple[int, int]:
        """Row and column of the pixel that contains (lat, lon); InputError outside the grid."""
        row = math.floor((lat - self.y_first) / self.y_step)
        col = math.floor((lon - self.x_first) / self.x_step)
        if not (0 <= row < self.length and 0 <= col < self.width):
            s, n, w, e = self.snwe
            raise InputError(
                f"point lat={lat}, lon={lon} is outside the grid (S={s:.5f} N={n:.5f} W={w:.5f} E={e:.5f})"
            )
        return row, col

    def rowcol_to_lalo(self, row: float, col: float) -> tuple[float, float]:
        """Latitude and longitude of the centre of pixel (row, col)."""
        return (self.y_first + (row + 0.5) * self.y_step, self.x_first + (col + 0.5) * self.x_step)

    def window(self, snwe: tuple[float, float, float, float]) -> tuple[slice, slice]:
        """Rows and columns of all pixels whose centres fall inside ``snwe``.

        Raises InputError when the box does not overlap the grid or is empty.
        """
        s, n, w, e = snwe
        if not (s < n and w < e):
            raise InputError(f"SNWE box {snwe} is empty: need S < N and W < E")
        lats, lons = self.lats(), self.lons()
        rows = np.flatnonzero((lats >= s) & (lats <= n))
        cols = np.flatnonzero((lons >= w) & (lons <= e))
        if rows.size == 0 or cols.size == 0:
            gs, gn, gw, ge = self.snwe
            raise InputError(
                f"SNWE box {snwe} does not overlap the data (S={gs:.5f} N={gn:.5f} W={gw:.5f} E={ge:.5f})"
            )
        return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)

    def subset(self, rows: slice, cols: slice) -> Grid:
        """Grid of the sub-window ``rows``, ``cols`` (unit-step slices)."""
        r0, r1, _ = rows.indices(self.length)
        c0, c1, _ = cols.indices(self.width)
        return replace(
            self,
            width=c1 - c0,
            length=r1 - r0,
            x_first=self.x_first + c0 * self.x_step,
            y_first=self.y_first + r0 * self.y_step,
        )
