"""Stacks of unwrapped interferograms behind one entry point, :func:`open_ifgram_stack`.

Sources (tried in this order):

* MintPy ``ifgramStack.h5``: ``unwrapPhase`` (+ ``coherence``, ``connectComponent``), ``date`` (pairs),
  ``bperp``, ``dropIfgram``. Dropped interferograms are left out; zero phase is no-data (as MintPy);
  ``connectComponent == 0`` is no-data (MintPy ``maskDataset = connectComponent``).
* LiCSAR GEOC folders: ``YYYYMMDD_YYYYMMDD/YYYYMMDD_YYYYMMDD.geo.unw.tif`` (+ ``.geo.cc.tif``, 0-255 or 0-1),
  radians, 0 = no-data; Sentinel-1 wavelength unless the files say otherwise.
* PyRate/GAMMA GeoTIFFs: one band of unwrapped phase in radians (``DATA_UNITS = RADIANS``), nodata 0,
  dates from the ``FIRST_DATE``/``SECOND_DATE`` tags or ``YYYYMMDD[-_]YYYYMMDD`` in the name, wavelength
  from ``WAVELENGTH_METRES``; coherence from a ``*cc*.tif``/``*coh*.tif`` of the same pair in the folder.
* ROI_PAC ``.unw`` with ``.rsc`` (+ ``.cor``): dates from ``DATE12`` (YYMMDD-YYMMDD) or the name,
  ``WAVELENGTH`` from the ``.rsc``.
* LiCSBAS GEOCml folders: ``<pair>/<pair>.unw`` raw float32 (rad, 0 = no-data) + ``<pair>.cc``, grid from
  ``EQA.dem_par``, wavelength from ``slc.mli.par``.

Every interferogram is ``phase = phi(second date) - phi(first date)`` in radians with first < second.
Problems name the file: interferograms on different grids, a pair given twice, unreadable dates, a
missing wavelength.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from mimtpy.core.dates import parse_date
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, MimtpyError, ProductError
from mimtpy.io.gamma import SENTINEL1_WAVELENGTH, dem_par_grid, wavelength_from
from mimtpy.io.geotiff import read_geotiff
from mimtpy.io.product import Product
from mimtpy.io.roipac import read_roipac, read_rsc

logger = logging.getLogger(__name__)

_PAIR = re.compile(r"(?<!\d)(\d{8})[-_](\d{8})(?!\d)")

#: (phase, coherence or None) of one window: (ifgram, rows, cols) float32, radians, NaN = no-data
ReadFn = Callable[[slice, slice, bool], tuple[np.ndarray, "np.ndarray | None"]]


@dataclass
class IfgramStack:
    """A network of unwrapped interferograms on one grid, read lazily window by window.

    ``date12``: (first, second) YYYYMMDD per interferogram, first < second, in the order of the rows of
    :meth:`read`; ``bperp``: perpendicular baseline of each interferogram in m (0 where unknown);
    ``attrs``: MintPy-style metadata (WAVELENGTH in m, LENGTH/WIDTH, grid attributes, ...);
    ``grid``: None for radar-coded MintPy stacks.
    """

    source: Path
    family: str
    attrs: dict[str, str]
    grid: Grid | None
    length: int
    width: int
    date12: list[tuple[str, str]]
    bperp: np.ndarray
    has_coherence: bool
    files: list[Path] = field(default_factory=list)
    _read: ReadFn | None = field(default=None, repr=False)

    @property
    def num_ifgram(self) -> int:
        return len(self.date12)

    @property
    def dates(self) -> list[str]:
        return sorted({d for pair in self.date12 for d in pair})

    @property
    def wavelength(self) -> float:
        try:
            return float(self.attrs["WAVELENGTH"])
        except (KeyError, ValueError):
            raise ProductError(f"{self.source}: no WAVELENGTH in the metadata; give the radar wavelength "
                               "(mimtpy.inversion.wavelength)") from None

    def date_bperp(self) -> np.ndarray:
        """Perpendicular baseline of every date relative to the first (least squares over the network,
        as MintPy's ``get_perp_baseline_timeseries``), in m."""
        dates = self.dates
        index = {d: k for k, d in enumerate(dates)}
        a = np.zeros((self.num_ifgram, len(dates)))
        for k, (d1, d2) in enumerate(self.date12):
            a[k, index[d1]], a[k, index[d2]] = -1, 1
        sol = np.linalg.lstsq(a[:, 1:], np.asarray(self.bperp, dtype=np.float64), rcond=None)[0]
        return np.concatenate([[0.0], sol])

    def read(self, rows: slice = slice(None), cols: slice = slice(None),
             coherence: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """(phase, coherence) of a window, each (ifgram, rows, cols) float32; NaN = no-data; coherence is
        None when the stack has none or ``coherence`` is False (then it is not read)."""
        assert self._read is not None
        try:
            return self._read(rows, cols, coherence)
        except MimtpyError:
            raise
        except (OSError, KeyError, RuntimeError, ValueError) as err:
            raise ProductError(f"{self.source}: cannot read interferograms: {err}") from None


def _zero_to_nan(data: np.ndarray) -> np.ndarray:
    data = np.asarray(data, dtype=np.float32)
    data[data == 0] = np.nan
    return data


# ------------------------------------------------------------------------------------------ MintPy
def _decode(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def is_ifgram_stack_h5(path: Path) -> bool:
    """A MintPy ifgramStack.h5: HDF5 with ``unwrapPhase`` and a (pairs, 2) ``date`` dataset."""
    if path.suffix.lower() != ".h5" or not h5py.is_hdf5(path):
        return False
    with h5py.File(path, "r") as f:
        return "unwrapPhase" in f and "date" in f and f["date"].ndim == 2


def read_mintpy_ifgram_stack(path: Path, mask_conn_comp: bool = True,
                             drop_untouched: bool = False) -> IfgramStack:
    """Open a MintPy ``ifgramStack.h5`` (kept interferograms only)."""
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ProductError(f"{path}: cannot open as HDF5: {err}") from None
    with f:
        attrs = {k: _decode(v) for k, v in f.attrs.items()}
        if "unwrapPhase" not in f or "date" not in f:
            raise ProductError(f"{path}: not a MintPy ifgramStack (needs 'unwrapPhase' and 'date' datasets)")
        shape = f["unwrapPhase"].shape
        try:
            date12 = [(_decode(a), _decode(b)) for a, b in f["date"][()]]
        except (TypeError, ValueError):
            raise ProductError(f"{path}: dataset 'date' is not (pairs, 2) YYYYMMDD strings") from None
        keep = f["dropIfgram"][()].astype(bool) if "dropIfgram" in f else np.ones(len(date12), bool)
        bperp = f["bperp"][()].astype(np.float64) if "bperp" in f else np.zeros(len(date12))
        has_coh = "coherence" in f
        has_cc = "connectComponent" in f and mask_conn_comp
    if len(shape) != 3 or shape[0] != len(date12) or keep.size != len(date12):
        raise ProductError(f"{path}: unwrapPhase {shape}, {len(date12)} date pairs and {keep.size} dropIfgram "
                           "values do not match")
    for d1, d2 in date12:
        for d in (d1, d2):
            try:
                parse_date(d, "date")
            except MimtpyError:
                raise ProductError(f"{path}: unreadable date '{d}' in dataset 'date'") from None
    full_dates = sorted({d for pair in date12 for d in pair})
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        raise ProductError(f"{path}: every interferogram is dropped (dropIfgram is all False)")
    kept = [date12[k] for k in idx]
    untouched = sorted(set(full_dates) - {d for pair in kept for d in pair})
    if untouched and not drop_untouched:
        raise ProductError(f"{path}: date(s) {', '.join(untouched)} of the network are touched by no kept "
                           "interferogram (dropIfgram); keep one of their interferograms, or leave those dates "
                           "out as MintPy does (mimtpy.inversion.dropUntouchedDates = yes)")
    if untouched:
        logger.warning("%s: dropIfgram leaves date(s) %s without interferogram; they are left out",
                       path, ", ".join(untouched))
    attrs.setdefault("LENGTH", str(shape[1]))
    attrs.setdefault("WIDTH", str(shape[2]))
    grid = Grid.from_attrs(attrs, str(path)) if "X_FIRST" in attrs else None

    # a slice when nothing is dropped: h5py reads it far faster than a list of indices
    sel = slice(None) if idx.size == len(date12) else idx

    def read(rows, cols, want_coh):
        with h5py.File(path, "r") as h:
            phase = _zero_to_nan(h["unwrapPhase"][sel, rows, cols])
            if has_cc:
                phase[h["connectComponent"][sel, rows, cols] == 0] = np.nan
            coh = h["coherence"][sel, rows, cols].astype(np.float32) if has_coh and want_coh else None
        return phase, coh

    return IfgramStack(path, "mintpy", attrs, grid, int(shape[1]), int(shape[2]), kept, bperp[idx], has_coh,
                       [path], read)


# ------------------------------------------------------------------------------------------ files
def _pair_from_text(text: str) -> tuple[str, str] | None:
    found = _PAIR.findall(text)
    return found[-1] if found else None


def _check_pair(pair: tuple[str, str], path: Path) -> tuple[str, str]:
    for d in pair:
        try:
            parse_date(d, "date")
        except MimtpyError:
            raise ProductError(f"{path}: unreadable date '{d}' (expected YYYYMMDD)") from None
    if pair[0] == pair[1]:
        raise ProductError(f"{path}: both dates of the interferogram are {pair[0]}")
    if pair[0] > pair[1]:
        raise ProductError(f"{path}: first date {pair[0]} is after second date {pair[1]}; interferograms must "
                           "be (earlier, later)")
    return pair


def _geotiff_pair(path: Path, product: Product) -> tuple[str, str]:
    tags = product.attrs
    if "FIRST_DATE" in tags and "SECOND_DATE" in tags:
        pair = (tags["FIRST_DATE"].replace("-", "")[:8], tags["SECOND_DATE"].replace("-", "")[:8])
    else:
        pair = _pair_from_text(path.name) or _pair_from_text(path.parent.name)
        if pair is None:
            raise ProductError(f"{path}: cannot read the dates of the interferogram (no FIRST_DATE/SECOND_DATE "
                               "tags and no YYYYMMDD_YYYYMMDD in the file or folder name)")
    return _check_pair(pair, path)


def _roipac_pair(path: Path) -> tuple[str, str]:
    rsc = read_rsc(path)
    text = rsc.get("DATE12", "")
    m = re.fullmatch(r"\s*(\d{6}|\d{8})-(\d{6}|\d{8})\s*", text)
    if m:
        pair = tuple(d if len(d) == 8 else ("19" if int(d[:2]) > 50 else "20") + d for d in m.groups())
    else:
        pair = _pair_from_text(path.name) or _pair_from_text(path.parent.name)
        if pair is None:
            raise ProductError(f"{path}: cannot read the dates of the interferogram (no DATE12 in {path.name}.rsc "
                               "and no YYYYMMDD_YYYYMMDD in the name)")
    return _check_pair(pair, path)


def _same_grid(a: Grid, b: Grid) -> bool:
    tol = 1e-6 * max(abs(a.x_step), abs(a.y_step))
    return (a.shape == b.shape and abs(a.x_first - b.x_first) <= tol and abs(a.y_first - b.y_first) <= tol
            and abs(a.x_step - b.x_step) <= tol and abs(a.y_step - b.y_step) <= tol)


def _coherence_file(path: Path, pair: tuple[str, str], family: str) -> Path | None:
    if family == "licsar":
        cand = path.with_name(path.name.replace(".geo.unw.tif", ".geo.cc.tif"))
        return cand if cand.exists() else None
    if family == "roipac":
        cand = path.with_suffix(".cor")
        return cand if cand.exists() and cand.with_name(cand.name + ".rsc").exists() else None
    for cand in sorted(path.parent.glob("*.tif")):
        low = cand.name.lower()
        if cand != path and ("cc" in low or "coh" in low) and _pair_from_text(cand.name) == pair:
            return cand
    return None


def _family(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".geo.unw.tif"):
        return "licsar"
    if path.suffix.lower() in (".tif", ".tiff"):
        return "geotiff"
    if path.suffix.lower() == ".unw":
        if not path.with_name(path.name + ".rsc").exists() and _geocml_root(path) is not None:
            return "licsbas"
        return "roipac"
    raise ProductError(f"{path}: not an interferogram file (expected .unw with .rsc, *.geo.unw.tif or a "
                       "GeoTIFF of unwrapped phase)")


def _geocml_root(path: Path) -> Path | None:
    """The LiCSBAS GEOCml folder of an interferogram ``<GEOCml>/<pair>/<pair>.unw`` (it holds EQA.dem_par)."""
    for folder in (path.parent, path.parent.parent):
        if (folder / "EQA.dem_par").exists():
            return folder
    return None


def _open_geocml(paths: list[Path]) -> IfgramStack:
    """LiCSBAS GEOCml interferograms: raw little-endian float32 ``<pair>.unw`` (rad, 0 = no-data) and
    ``<pair>.cc`` (uint8 0-255 or float32), size from ``slc.mli.par``, grid from ``EQA.dem_par`` (corner_lat/lon
    = centre of the first pixel), wavelength from ``radar_frequency``."""
    root = _geocml_root(paths[0])
    assert root is not None
    grid = dem_par_grid(root / "EQA.dem_par")
    width, length = grid.width, grid.length
    attrs = grid.to_attrs()
    attrs["WAVELENGTH"] = repr(wavelength_from(root / "slc.mli.par", str(root)))
    seen: dict[tuple[str, str], Path] = {}
    pairs, cc_files = [], []
    for path in paths:
        if _geocml_root(path) != root:
            raise ProductError(f"{path}: not in the GEOCml folder {root} of {paths[0]}")
        pair = _check_pair(_pair_from_text(path.name) or ("?", "?"), path)
        if pair in seen:
            raise ProductError(f"{path}: pair {pair[0]}_{pair[1]} is already given by {seen[pair]}")
        seen[pair] = path
        if path.stat().st_size != 4 * width * length:
            raise ProductError(f"{path}: {path.stat().st_size} bytes, expected {4 * width * length} for "
                               f"{length} x {width} float32 (EQA.dem_par); interferograms on another grid?")
        pairs.append(pair)
        cc = path.with_suffix(".cc")
        cc_files.append(cc if cc.exists() else None)
    order = sorted(range(len(pairs)), key=lambda k: pairs[k])
    files = [paths[k] for k in order]
    pairs = [pairs[k] for k in order]
    cc_files = [cc_files[k] for k in order]
    has_coh = all(c is not None for c in cc_files)

    def window(path: Path, dtype, rows: slice, cols: slice) -> np.ndarray:
        return np.array(np.memmap(path, dtype=dtype, mode="r", shape=(length, width))[rows, cols])

    def read(rows, cols, want_coh):
        phase = np.stack([_zero_to_nan(window(f, "<f4", rows, cols)) for f in files])
        coh = None
        if has_coh and want_coh:
            layers = []
            for c in cc_files:
                dtype = np.uint8 if c.stat().st_size == width * length else "<f4"
                data = window(c, dtype, rows, cols).astype(np.float32)
                layers.append(data / 255.0 if dtype == np.uint8 else data)
            coh = np.stack(layers)
        return phase, coh

    attrs["FILE_PATH"] = str(root)
    return IfgramStack(root, "licsbas", attrs, grid, length, width, pairs, np.zeros(len(pairs)), has_coh, files,
                       read)


def _open_roipac_radar(paths: list[Path]) -> IfgramStack:
    """Radar-coded ROI_PAC ``.unw`` (+ ``.cor``): two float32 bands interleaved by line, band 2 = data;
    no grid (outputs keep radar coordinates, as MintPy's)."""
    first = read_rsc(paths[0])
    try:
        width = int(first["WIDTH"])
        length = int(first.get("FILE_LENGTH", first.get("LENGTH", "")))
    except ValueError:
        raise ProductError(f"{paths[0]}.rsc: WIDTH and FILE_LENGTH are needed") from None
    seen: dict[tuple[str, str], Path] = {}
    pairs, cor = [], []
    for path in paths:
        rsc = read_rsc(path)
        if (rsc.get("WIDTH"), rsc.get("FILE_LENGTH", rsc.get("LENGTH"))) != (str(width), str(length)):
            raise ProductError(f"{path}: {rsc.get('FILE_LENGTH')} x {rsc.get('WIDTH')} pixels differ from {paths[0]}: "
                               f"{length} x {width}")
        if path.stat().st_size != 8 * width * length:
            raise ProductError(f"{path}: {path.stat().st_size} bytes, expected {8 * width * length} for "
                               f"{length} x {width} two-band float32")
        pair = _roipac_pair(path)
        if pair in seen:
            raise ProductError(f"{path}: pair {pair[0]}_{pair[1]} is already given by {seen[pair]}")
        seen[pair] = path
        pairs.append(pair)
        c = path.with_suffix(".cor")
        cor.append(c if c.exists() and c.stat().st_size == 8 * width * length else None)
    order = sorted(range(len(pairs)), key=lambda k: pairs[k])
    files, pairs, cor = [paths[k] for k in order], [pairs[k] for k in order], [cor[k] for k in order]
    has_coh = all(c is not None for c in cor)
    attrs = {k: v for k, v in first.items() if k not in ("DATE12", "FILE_TYPE")}
    attrs.update(LENGTH=str(length), WIDTH=str(width))

    def band2(path: Path, rows: slice, cols: slice) -> tuple[np.ndarray, np.ndarray]:
        bil = np.memmap(path, dtype=np.float32, mode="r", shape=(length, 2, width))
        return np.array(bil[rows, 1, cols]), np.array(bil[rows, 0, cols])

    def read(rows, cols, want_coh):
        layers = []
        for f in files:
            data, amp = band2(f, rows, cols)
            data[(data == 0) & (amp == 0)] = np.nan
            layers.append(_zero_to_nan(data))
        coh = (np.stack([band2(c, rows, cols)[0] for c in cor]).astype(np.float32) if has_coh and want_coh
               else None)
        return np.stack(layers), coh

    return IfgramStack(files[0].parent, "roipac", attrs, None, length, width, pairs, np.zeros(len(pairs)), has_coh,
                       files, read)


def _files_in_folder(folder: Path) -> list[Path]:
    if (folder / "EQA.dem_par").exists():
        found = sorted(folder.glob("*_*/*_*.unw"))
        if found:
            return found
    for pattern in ("ifgramStack.h5", "inputs/ifgramStack.h5"):
        if (folder / pattern).exists():
            return [folder / pattern]
    for pattern in ("*.geo.unw.tif", "*/*.geo.unw.tif", "*.unw", "*/*.unw"):
        found = sorted(folder.glob(pattern))
        if found:
            return found
    found = [p for p in sorted(folder.glob("*.tif")) if "unw" in p.name.lower()]
    if found:
        return found
    # GeoTIFFs named by their pair, other than coherence
    found = [p for p in sorted(folder.glob("*.tif")) if _pair_from_text(p.name)
             and not any(k in p.name.lower() for k in ("cc", "coh", "cor"))]
    if found:
        return found
    raise ProductError(f"{folder}: no interferograms found (ifgramStack.h5, LiCSAR */*.geo.unw.tif, LiCSBAS "
                       "GEOCml */*.unw, ROI_PAC *.unw, *unw*.tif or *YYYYMMDD_YYYYMMDD*.tif)")


def _open_files(paths: list[Path]) -> IfgramStack:
    families = {_family(p) for p in paths}
    if len(families) > 1:
        raise InputError(f"interferograms of different kinds ({', '.join(sorted(families))}); give one kind")
    family = families.pop()
    if family == "licsbas":
        return _open_geocml(paths)
    if family == "roipac" and "X_FIRST" not in read_rsc(paths[0]):
        return _open_roipac_radar(paths)
    products, pairs, coh_files, seen = [], [], [], {}
    grid0: Grid | None = None
    attrs0: dict[str, str] = {}
    for path in paths:
        product = read_roipac(path) if family == "roipac" else read_geotiff(path)
        pair = _roipac_pair(path) if family == "roipac" else _geotiff_pair(path, product)
        if pair in seen:
            raise ProductError(f"{path}: pair {pair[0]}_{pair[1]} is already given by {seen[pair]}")
        seen[pair] = path
        unit = product.attrs.get("UNIT", "radian").lower()
        if unit not in ("radian", "radians", "rad", ""):
            raise ProductError(f"{path}: unit '{unit}', expected unwrapped phase in radians")
        if grid0 is None:
            grid0, attrs0 = product.grid, dict(product.attrs)
        elif not _same_grid(grid0, product.grid):
            raise ProductError(f"{path}: grid {product.grid.shape} at ({product.grid.x_first}, "
                               f"{product.grid.y_first}) step ({product.grid.x_step}, {product.grid.y_step}) differs "
                               f"from {paths[0]}: {grid0.shape} at ({grid0.x_first}, {grid0.y_first}) step "
                               f"({grid0.x_step}, {grid0.y_step})")
        coh = _coherence_file(path, pair, family)
        products.append(product)
        pairs.append(pair)
        coh_files.append(coh)
    assert grid0 is not None
    has_coh = all(c is not None for c in coh_files)
    if not has_coh and any(c is not None for c in coh_files):
        missing = [str(p) for p, c in zip(paths, coh_files, strict=True) if c is None]
        logger.warning("coherence missing for %d interferogram(s) (%s ...): coherence is not used",
                       len(missing), missing[0])
    coh_products = []
    if has_coh:
        for c in coh_files:
            prod = read_roipac(c) if family == "roipac" else read_geotiff(c)
            if not _same_grid(grid0, prod.grid):
                raise ProductError(f"{c}: coherence grid differs from {paths[0]}")
            coh_products.append(prod)
    order = sorted(range(len(pairs)), key=lambda k: pairs[k])
    products = [products[k] for k in order]
    coh_products = [coh_products[k] for k in order] if has_coh else []
    pairs = [pairs[k] for k in order]
    files = [paths[k] for k in order]
    attrs = {k: v for k, v in attrs0.items() if k not in ("FIRST_DATE", "SECOND_DATE", "FILE_TYPE", "DATE12")}
    attrs.update(grid0.to_attrs())
    if "WAVELENGTH" not in attrs and family == "licsar":
        logger.info("%s: LiCSAR interferograms without a WAVELENGTH tag: Sentinel-1 C band %.8f m",
                    files[0].parent, SENTINEL1_WAVELENGTH)
        attrs["WAVELENGTH"] = str(SENTINEL1_WAVELENGTH)
        attrs.setdefault("PLATFORM", "Sen")
    attrs["FILE_PATH"] = str(files[0].parent)

    def read(rows, cols, want_coh):
        phase = np.stack([_zero_to_nan(p.read(next(iter(p.datasets)), rows, cols)) for p in products])
        coh = None
        if has_coh and want_coh:
            coh = np.stack([np.asarray(c.read(next(iter(c.datasets)), rows, cols)) for c in coh_products])
            if coh.dtype == np.uint8:
                coh = coh.astype(np.float32) / 255.0
            coh = coh.astype(np.float32)
        return phase, coh

    return IfgramStack(files[0].parent, family, attrs, grid0, grid0.length, grid0.width, pairs,
                       np.zeros(len(pairs)), has_coh, files, read)


def open_ifgram_stack(paths: str | Path | Sequence[str | Path], mask_conn_comp: bool = True,
                      drop_untouched: bool = False) -> IfgramStack:
    """Open a network of interferograms: one MintPy ``ifgramStack.h5``, one folder of interferograms
    (LiCSAR GEOC, LiCSBAS GEOCml, ROI_PAC, PyRate/GAMMA GeoTIFFs, or a MintPy project folder with
    ``inputs/ifgramStack.h5``), or a list of interferogram files of one kind (conventions: module docstring).

    ``mask_conn_comp``: ``connectComponent == 0`` is no-data (MintPy stacks); ``drop_untouched``: leave out
    dates whose interferograms are all dropped (else a ProductError names them)."""
    items = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not items:
        raise InputError("no interferograms given")
    files: list[Path] = []
    for item in items:
        item = item.expanduser()
        if not item.exists():
            raise ProductError(f"{item}: file or folder not found")
        files.extend(_files_in_folder(item) if item.is_dir() else [item])
    h5 = [f for f in files if f.suffix.lower() == ".h5"]
    if h5:
        if len(files) > 1:
            raise InputError(f"{h5[0]}: an ifgramStack.h5 is given with other inputs; give it alone")
        if not is_ifgram_stack_h5(h5[0]):
            raise ProductError(f"{h5[0]}: not a MintPy ifgramStack.h5 (needs 'unwrapPhase' and a (pairs, 2) "
                               "'date' dataset)")
        return read_mintpy_ifgram_stack(h5[0], mask_conn_comp, drop_untouched)
    return _open_files(files)
