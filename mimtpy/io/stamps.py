"""StaMPS point exports (``ps_output.m``) and their gridding to a raster :class:`~mimtpy.io.product.Product`.

What StaMPS's ``ps_output.m`` (dbekaert/StaMPS, matlab/ps_output.m) writes, all MATLAB ``save -ASCII`` text,
one point a line, every value relative to the reference points of ``ps_setref``:

* ``ps_mean_v.xy``: ``lon lat v``, v = mean LOS velocity in **mm/yr**
  (``mean_v = -m(2) * 365.25 / (4 pi) * lambda * 1000``);
* ``ps_mean_v_std.xy``: ``lon lat std`` of it, mm/yr (when ``mv*.mat`` exists);
* ``ps_data.xy``: ``lon lat v hgt dem_error``: the same mean velocity (mm/yr), the height (m) and the DEM
  error (m) (NOT a time series);
* ``ps_u-dm.<i>.xy``: ``lon lat d``, d = LOS displacement in **mm** of image i (1-based, the order of
  ``date.txt``), unwrapped phase minus SCLA and master AOE: ``d = -phase * lambda * 1000 / (4 pi)``;
* ``date.txt``: one date a line, ``save -ASCII -DOUBLE`` of yyyymmdd numbers (``2.0170103000000000e+07``);
  ``ps_ll.txt``: ``lon lat`` of the points (the same order as every .xy).

Sign: StaMPS turns phase into distance with ``-lambda / (4 pi)`` and ``ps_plot.m`` states "+ve [phase] values
imply displacement away from the satellite ... velocities +ve are towards the satellite": the velocities and
displacements are positive TOWARD the satellite, as MintPy's; mimtpy keeps the sign and converts mm to m.

Other ``.xy`` text (``lon lat d1 d2 ...``) is read as a time series when the dates are given by a header line
(``lon lat 20170103 20170115 ...``) or a dates file beside it (``date.txt``, ``dates.txt``, ``day.txt``), else
as one velocity column (mm/yr).

:func:`grid_points` bins points onto a MintPy grid (outer corner of the first pixel, north up): ``velocity`` =
the median (m/yr) of the points whose position falls in each cell, ``count`` = how many; empty cells NaN / 0.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io.product import DatasetInfo, Product

logger = logging.getLogger(__name__)

DATE_FILES = ("date.txt", "dates.txt", "day.txt")
YYYYMMDD = re.compile(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
UDM = re.compile(r"^ps_u-dm\.(\d+)\.xy$", re.IGNORECASE)


@dataclass
class Points:
    """Scattered LOS observations: ``values`` (n,) in m/yr (velocity, velocityStd) or (n_dates, n) in m
    (displacement), positive toward the satellite; ``extra``: other columns in SI (``height``, ``dem_error`` m)."""

    path: Path
    lon: np.ndarray
    lat: np.ndarray
    values: np.ndarray
    quantity: str = "velocity"
    dates: list[str] = field(default_factory=list)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return "m" if self.quantity == "displacement" else "m/year"


def is_stamps_xy(path: Path) -> bool:
    return path.suffix.lower() == ".xy" and path.is_file()


def read_date_file(file: Path) -> list[str]:
    """YYYYMMDD strings of a StaMPS ``date.txt`` (MATLAB ``save -ASCII -DOUBLE``: ``2.0170103000000000e+07``)
    or of plain ``20170103`` lines; ProductError naming the file for anything else."""
    dates = []
    for k, line in enumerate(file.read_text(errors="replace").splitlines(), start=1):
        for word in line.replace(",", " ").split():
            try:
                number = float(word)
            except ValueError:
                raise ProductError(f"{file}:{k}: '{word}' is not a yyyymmdd date") from None
            text = f"{round(number):d}"
            if abs(number - round(number)) > 1e-6 or not YYYYMMDD.fullmatch(text):
                raise ProductError(f"{file}:{k}: '{word}' is not a yyyymmdd date")
            dates.append(text)
    return dates


def _dates_beside(path: Path, count: int | None) -> list[str] | None:
    for name in DATE_FILES:
        file = path.parent / name
        if file.is_file():
            dates = read_date_file(file)
            if count is not None and len(dates) != count:
                raise ProductError(f"{file}: {len(dates)} dates for the {count} value columns of {path}")
            return dates
    return None


def _read_table(path: Path) -> tuple[list[str] | None, np.ndarray]:
    """(header words or None, numbers (n, columns)) of a whitespace/comma text table."""
    if not path.is_file():
        raise ProductError(f"{path}: file not found")
    header = None
    rows = []
    for k, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith(("#", ">", "%")):
            continue
        words = text.replace(",", " ").split()
        try:
            rows.append([float(w) for w in words])
        except ValueError:
            if rows or header is not None:
                raise ProductError(f"{path}:{k}: not numbers: '{text[:60]}'") from None
            header = words
    if not rows:
        raise ProductError(f"{path}: no points (expected 'lon lat value ...' lines)")
    width = {len(r) for r in rows}
    if len(width) > 1 or min(width) < 3:
        raise ProductError(f"{path}: lines have {sorted(width)} columns; expected the same number, at least 3 "
                           "(lon lat value ...)")
    data = np.asarray(rows, dtype=np.float64)
    if np.any(np.abs(data[:, 1]) > 90) or np.any(np.abs(data[:, 0]) > 360):
        raise ProductError(f"{path}: columns 1-2 are not lon lat in degrees")
    return header, data


def read_stamps(path: str | Path) -> Points:
    """Read one StaMPS ``.xy`` export (see the module docstring); values converted from mm to m.

    ``ps_u-dm.<i>.xy`` alone is the displacement of image i (date i of ``date.txt``); :func:`read_stamps_series`
    gathers all of them into one time series."""
    path = Path(path)
    header, data = _read_table(path)
    lon, lat, values = data[:, 0], data[:, 1], data[:, 2:]
    name = path.name.lower()
    n_cols = values.shape[1]
    if name == "ps_data.xy":
        if n_cols != 3:
            raise ProductError(f"{path}: {n_cols + 2} columns; StaMPS ps_output.m writes 5 "
                               "(lon lat mean_v hgt dem_error)")
        return Points(path, lon, lat, values[:, 0] * 1e-3, "velocity",
                      extra={"height": values[:, 1], "dem_error": values[:, 2]})
    if name.startswith("ps_mean_v"):
        if n_cols != 1:
            raise ProductError(f"{path}: {n_cols + 2} columns; StaMPS writes 3 (lon lat mean_v)")
        quantity = "velocityStd" if "std" in name else "velocity"
        return Points(path, lon, lat, values[:, 0] * 1e-3, quantity)
    udm = UDM.match(path.name)
    if udm:
        if n_cols != 1:
            raise ProductError(f"{path}: {n_cols + 2} columns; StaMPS writes 3 (lon lat displacement)")
        index = int(udm.group(1))
        dates = _dates_beside(path, None)
        if dates is None or not 1 <= index <= len(dates):
            raise ProductError(f"{path}: image {index} needs its date: line {index} of date.txt beside it "
                               f"({'missing' if dates is None else f'{len(dates)} dates'})")
        return Points(path, lon, lat, values.T * 1e-3, "displacement", [dates[index - 1]])
    dates = None
    if header is not None:
        found = [w for w in header if re.fullmatch(r"\d{8}", w)]
        dates = found if len(found) == n_cols else None
    if dates is None and n_cols > 1:
        dates = _dates_beside(path, n_cols)
    if dates is None:
        if n_cols > 1:
            raise ProductError(f"{path}: {n_cols} value columns but no dates (a header line with YYYYMMDD dates or "
                               f"one of {', '.join(DATE_FILES)} beside it)")
        return Points(path, lon, lat, values[:, 0] * 1e-3, "velocity")
    return Points(path, lon, lat, values.T * 1e-3, "displacement", dates)


def read_stamps_series(path: str | Path) -> Points:
    """The LOS displacement time series (m) of every ``ps_u-dm.<i>.xy`` of a StaMPS folder (or beside the
    file given), dated by ``date.txt``: values (n_dates, n_points), in the order of the image index i.
    ProductError when an image is missing or the files hold different points."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    files = sorted((int(m.group(1)), p) for p in folder.iterdir() if (m := UDM.match(p.name)))
    if not files:
        raise ProductError(f"{folder}: no ps_u-dm.<i>.xy files (StaMPS ps_output)")
    dates = _dates_beside(files[0][1], None)
    if dates is None:
        raise ProductError(f"{folder}: no date.txt for the ps_u-dm.<i>.xy files")
    indices = [i for i, _ in files]
    if indices != list(range(1, len(dates) + 1)):
        raise ProductError(f"{folder}: ps_u-dm files {indices[:5]}... for the {len(dates)} dates of date.txt; "
                           f"expected 1..{len(dates)}")
    first = read_stamps(files[0][1])
    values = np.empty((len(files), first.lon.size))
    for k, (_i, file) in enumerate(files):
        pts = first if k == 0 else read_stamps(file)
        if pts.lon.size != first.lon.size or np.max(np.abs(pts.lon - first.lon)) > 1e-6 \
                or np.max(np.abs(pts.lat - first.lat)) > 1e-6:
            raise ProductError(f"{file}: not the points of {files[0][1].name} (same lines, same lon lat expected)")
        values[k] = pts.values[0]
    return Points(folder, first.lon, first.lat, values, "displacement", dates)


def grid_points(points: Points, step: float, snwe: tuple[float, float, float, float] | None = None) -> Product:
    """A raster Product of the points' velocity: ``velocity`` (median per cell, m/year) and ``count``.

    The grid has square cells of ``step`` degrees with its outer corner at (W, N) of ``snwe`` (default: the points'
    bounds, widened by half a cell); a point on a cell edge belongs to the cell east/south of it."""
    if not step > 0:
        raise InputError(f"grid step {step} must be positive")
    if points.quantity == "displacement":
        raise InputError(f"{points.path}: gridding takes velocities; this file holds a displacement time series")
    if snwe is None:
        s, n = points.lat.min() - step / 2, points.lat.max() + step / 2
        w, e = points.lon.min() - step / 2, points.lon.max() + step / 2
    else:
        s, n, w, e = snwe
        if not (s < n and w < e):
            raise InputError(f"SNWE {snwe} is empty: need S < N and W < E")
    width, length = max(1, math.ceil((e - w) / step - 1e-9)), max(1, math.ceil((n - s) / step - 1e-9))
    grid = Grid(width, length, float(w), float(n), float(step), -float(step))
    col = np.floor((points.lon - grid.x_first) / grid.x_step).astype(np.int64)
    row = np.floor((points.lat - grid.y_first) / grid.y_step).astype(np.int64)
    inside = (row >= 0) & (row < length) & (col >= 0) & (col < width) & np.isfinite(points.values)
    cell = row[inside] * width + col[inside]
    values = points.values[inside]
    order = np.lexsort((values, cell))
    cell, values = cell[order], values[order]
    count = np.bincount(cell, minlength=width * length)
    velocity = np.full(width * length, np.nan)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    for c in np.flatnonzero(count):
        seg = values[starts[c]:starts[c] + count[c]]
        velocity[c] = np.median(seg)
    arrays = {"velocity": velocity.reshape(length, width).astype(np.float32),
              "count": count.reshape(length, width).astype(np.int32)}
    datasets = {"velocity": DatasetInfo("velocity", grid.shape, np.dtype(np.float32), "m/year"),
                "count": DatasetInfo("count", grid.shape, np.dtype(np.int32), "1")}
    attrs = {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "PROCESSOR": "StaMPS",
             "POINT_QUANTITY": points.quantity,
             "POINTS": str(int(inside.sum()))}
    logger.info("%s: %d points gridded at %g deg (%d x %d cells, %d with data)", points.path, int(inside.sum()),
                step, length, width, int((count > 0).sum()))
    return Product(points.path, "stamps", attrs, grid, datasets, [], functools.partial(_read_array, arrays))


def _read_array(arrays: dict[str, np.ndarray], name: str, _epochs, rows: slice, cols: slice) -> np.ndarray:
    return arrays[name][rows, cols].copy()


def auto_step(points: Points) -> float:
    """A cell size holding about one point on average: sqrt(bounding-box area / points), in degrees."""
    area = max(np.ptp(points.lon), 1e-6) * max(np.ptp(points.lat), 1e-6)
    return float(f"{math.sqrt(area / max(points.lon.size, 1)):.2g}")


def read_stamps_gridded(path: str | Path) -> Product:
    """A StaMPS velocity export as a raster (median per cell of :func:`auto_step`, logged)."""
    points = read_stamps(path)
    if points.quantity == "displacement":
        raise ProductError(f"{path}: a displacement of points ({', '.join(points.dates[:3])}); opened as a raster "
                           "only velocities are gridded (read_stamps_series gives the time series of the points)")
    step = auto_step(points)
    logger.info("%s: StaMPS points gridded at %g deg (grid_points gives another step)", path, step)
    return grid_points(points, step)
