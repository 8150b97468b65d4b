"""Quadtree downsampling of a LOS map with Kite's algorithm and parameters (pyrocko/kite
``kite/quadtree.py``), so that the same parameters give the same leaves as Kite on the same scene.

Conventions (Kite's):

* ``data`` is the scene as Kite stores it: rows **south-up** (row 0 = southern edge), columns
  west to east. Tiles are squares of ``length`` pixels anchored at their lower-left pixel
  (``llr``, ``llc``); tiles at the northern/eastern edges are clipped by the array.
* Base tiles have length ``2**ceil(log2(min(rows, cols)))`` and tile the array from (0, 0).
* Tree: a tile is split into four (lower-left, lower-right, upper-left, upper-right) when
  ``(corr > epsilon_min or length >= 64) and length >= min_node_length``; children without
  any pixel inside the array or with only NaN are dropped. ``epsilon_min = 0.1 * nanstd(data)``
  and ``min_node_length = int(2 ** round(ln(max(rows, cols) / 64)))`` (Kite's natural log).
* Leaves: a tile is a leaf when ``(corr < epsilon and length <= tile_size_max_px)``, or it has
  no children, or its children are shorter than ``tile_size_min_px``; leaves whose NaN fraction
  is not below ``nan_allowed`` are dropped (if none is left, Kite retries with ``nan_allowed = 1``).
* ``corr`` (Kite's ``correction``): ``mean``, ``median`` and ``std`` are the standard deviation
  (ddof 0) of the tile's valid pixels after subtracting the mean, the median or nothing, which is
  the same number (subtracting a constant leaves a standard deviation unchanged); ``bilinear`` is
  the standard deviation after Kite's ``derampMatrix`` (linear trends fitted to the column and row
  medians, then the mean removed).
* ``epsilon`` default: ``nanstd(data)``; ``tile_size_min``/``tile_size_max`` are in the frame's
  unit (degree or meter, like Kite's ``QuadtreeConfig``); defaults ``max(dE, dN) * max(rows, cols)
  / 20`` and ``/ 5``; in pixels ``round(size / max(dE, dN))``.

The statistics of the tiles of each tree level are computed by a compiled kernel
(:func:`tile_stats`); :func:`tile_stats_numpy` is its NumPy reference and
:func:`build_quadtree_reference` a direct, recursive transcription of Kite's algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mimtpy._kernels.quadtree import tile_stats_kernel
from mimtpy.errors import InputError

CORRECTIONS = ("mean", "median", "bilinear", "std")
_CORNERS = ((0, 0), (0, 1), (1, 0), (1, 1))


@dataclass(frozen=True)
class QuadtreeParams:
    """Resolved parameters (Kite's QuadtreeConfig values actually used)."""

    epsilon: float
    epsilon_min: float
    nan_allowed: float
    tile_size_min: float
    tile_size_max: float
    tile_min_px: int
    tile_max_px: int
    min_node_length: int
    correction: str


@dataclass
class Leaves:
    """Leaves of a quadtree: lower-left row/col (south-up) and side length in pixels, in Kite's order."""

    llr: np.ndarray
    llc: np.ndarray
    length: np.ndarray
    params: QuadtreeParams

    def __len__(self) -> int:
        return int(self.llr.size)

    def keys(self) -> list[tuple[int, int, int]]:
        return list(zip(self.llr.tolist(), self.llc.tolist(), self.length.tolist(), strict=True))


def _check_data(data: np.ndarray) -> np.ndarray:
    data = np.asarray(data)
    if data.ndim != 2 or data.size == 0:
        raise InputError(f"quadtree: data must be a non-empty 2-D array, got shape {data.shape}")
    if data.dtype.kind not in "fiu":
        raise InputError(f"quadtree: data must be numeric, got {data.dtype}")
    if not np.isfinite(data).any():
        raise InputError("quadtree: data has no valid (finite) pixel")
    return np.ascontiguousarray(np.where(np.isinf(data), np.nan, data), dtype=np.float64)


def _check_tiles(tiles: np.ndarray) -> np.ndarray:
    tiles = np.ascontiguousarray(np.asarray(tiles).reshape(-1, 3), dtype=np.int64)
    if (tiles < 0).any():
        raise InputError("quadtree: tile rows, columns and lengths must be >= 0")
    return tiles


def tile_stats(data: np.ndarray, tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Size, valid-pixel count, mean and standard deviation (ddof 0) of square tiles of ``data``.

    ``tiles``: (n, 3) integers (row, col, length), each tile ``data[row:row+length, col:col+length]``
    clipped to the array (size 0 when outside). NaN pixels are ignored; a tile without valid
    pixels has NaN mean and std. Runs the compiled kernel (the GIL is released).
    """
    return tile_stats_kernel(_check_data(data), _check_tiles(tiles))


def tile_stats_numpy(data: np.ndarray, tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """NumPy reference of :func:`tile_stats`."""
    data, tiles = _check_data(data), _check_tiles(tiles)
    n = tiles.shape[0]
    size, count = np.zeros(n, np.int64), np.zeros(n, np.int64)
    mean, std = np.full(n, np.nan), np.full(n, np.nan)
    for k, (r, c, length) in enumerate(tiles):
        block = data[r:r + length, c:c + length]
        size[k] = block.size
        valid = block[np.isfinite(block)]
        count[k] = valid.size
        if valid.size:
            mean[k] = valid.mean()
            std[k] = valid.std()
    return size, count, mean, std


def deramp_std(block: np.ndarray) -> float:
    """Kite's ``corr_bilinear``: nanstd of ``derampMatrix(block)`` (linear fits to the column and row
    medians, slopes removed, then the mean)."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mx = np.nanmedian(block, axis=0)
            my = np.nanmedian(block, axis=1)
        slopes = []
        for m in (mx, my):
            idx = np.arange(m.size, dtype=np.float64)
            ok = np.isfinite(m)
            x, y = idx[ok], m[ok]
            if x.size < 2:
                slopes.append(np.nan)
                continue
            dx = x - x.mean()
            sxx = (dx * dx).sum()
            slopes.append((dx * (y - y.mean())).sum() / sxx if sxx > 0 else np.nan)
        rx = np.arange(mx.size) * slopes[0]
        ry = np.arange(my.size) * slopes[1]
        out = block - (rx[np.newaxis, :] + ry[:, np.newaxis])
        out = out - np.nanmean(out) if np.isfinite(out).any() else out
        return float(np.nanstd(out)) if np.isfinite(out).any() else float("nan")


def resolve_params(data: np.ndarray, dE: float, dN: float, *, epsilon: float | None = None,
                   nan_allowed: float = 0.9, tile_size_min: float | None = None,
                   tile_size_max: float | None = None, correction: str = "median") -> QuadtreeParams:
    """Kite's defaults and derived values for ``data`` (south-up) on a frame with spacing dE, dN."""
    if correction not in CORRECTIONS:
        raise InputError(f"quadtree: correction '{correction}' is not one of {', '.join(CORRECTIONS)}")
    if not 0.0 < nan_allowed <= 1.0:
        raise InputError(f"quadtree: nan_allowed {nan_allowed} must be in (0, 1]")
    if not (dE > 0 and dN > 0):
        raise InputError(f"quadtree: pixel spacing dE={dE}, dN={dN} must be positive")
    rows, cols = data.shape
    max_px = max(rows, cols)
    dpx = max(dE, dN)
    tmin = dpx * (max_px / 20) if tile_size_min is None else float(tile_size_min)
    tmax = dpx * (max_px / 5) if tile_size_max is None else float(tile_size_max)
    if tmin > tmax:
        raise InputError(f"quadtree: tile_size_min {tmin} > tile_size_max {tmax}")
    eps_init = float(np.nanstd(data))
    eps = eps_init if not epsilon else float(epsilon)   # Kite: config.epsilon or nanstd
    if eps <= 0:
        raise InputError(f"quadtree: epsilon {eps} must be > 0")
    return QuadtreeParams(
        epsilon=eps, epsilon_min=eps_init * 0.1, nan_allowed=float(nan_allowed), tile_size_min=tmin,
        tile_size_max=tmax, tile_min_px=round(tmin / dpx), tile_max_px=round(tmax / dpx),
        min_node_length=int(2 ** round(float(np.log(max_px / 64)))), correction=correction)


def _base_tiles(shape: tuple[int, int]) -> list[tuple[int, int, int]]:
    init_length = np.power(2, np.ceil(np.log(np.min(shape)) / np.log(2)))
    nx, ny = np.ceil(np.array(shape) / init_length)
    length = int(init_length)
    return [(ir * length, ic * length, length) for ir in range(int(nx)) for ic in range(int(ny))]


def _corr(data: np.ndarray, tiles: np.ndarray, correction: str, stats) -> np.ndarray:
    _size, count, _mean, std = stats
    if correction != "bilinear":
        return std
    out = np.full(len(tiles), np.nan)
    for k, (r, c, length) in enumerate(tiles):
        if count[k]:
            out[k] = deramp_std(data[r:r + length, c:c + length])
    return out


def build_quadtree(data: np.ndarray, dE: float, dN: float, *, epsilon: float | None = None,
                   nan_allowed: float = 0.9, tile_size_min: float | None = None,
                   tile_size_max: float | None = None, correction: str = "median") -> Leaves:
    """Kite's quadtree leaves of ``data`` (rows south-up, see the module docstring).

    The tree is built level by level; the statistics of all tiles of a level come from one call
    of the compiled :func:`tile_stats`.
    """
    data = _check_data(data)
    p = resolve_params(data, dE, dN, epsilon=epsilon, nan_allowed=nan_allowed, tile_size_min=tile_size_min,
                       tile_size_max=tile_size_max, correction=correction)
    rows, cols = data.shape
    # node table: tile, corr, nan fraction, children (first index, count)
    tiles: list[np.ndarray] = []
    corr: list[np.ndarray] = []
    nanfrac: list[np.ndarray] = []
    first_child: list[np.ndarray] = []
    n_child: list[np.ndarray] = []
    level = np.array(_base_tiles(data.shape), dtype=np.int64)
    offset = 0
    while level.size:
        stats = tile_stats_kernel(data, level)
        size, count = stats[0], stats[1]
        c = _corr(data, level, p.correction, stats)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(size > 0, (size - count) / np.maximum(size, 1), np.nan)
        length = level[:, 2]
        with np.errstate(invalid="ignore"):
            split = ((c > p.epsilon_min) | (length >= 64)) & ~(length < p.min_node_length) & (length > 1)
        # candidate children of the split tiles, in Kite's corner order
        half = length // 2
        cand = np.concatenate([np.stack([level[:, 0] + half * nr, level[:, 1] + half * nc, half], axis=1)[:, None, :]
                               for nr, nc in _CORNERS], axis=1)[split].reshape(-1, 3)
        keep = np.zeros(len(cand), bool)
        if len(cand):
            inside = (cand[:, 0] < rows) & (cand[:, 1] < cols) & (cand[:, 2] > 0)
            ccount = tile_stats_kernel(data, cand)[1]
            keep = inside & (ccount > 0)
        kept_per_parent = keep.reshape(-1, 4).sum(axis=1) if len(cand) else np.zeros(0, np.int64)
        nchild = np.zeros(len(level), np.int64)
        nchild[split] = kept_per_parent
        next_offset = offset + len(level)
        firsts = np.full(len(level), -1, np.int64)
        starts = next_offset + np.concatenate([[0], np.cumsum(nchild)[:-1]])
        firsts[nchild > 0] = starts[nchild > 0]
        tiles.append(level)
        corr.append(c)
        nanfrac.append(frac)
        first_child.append(firsts)
        n_child.append(nchild)
        offset = next_offset
        level = cand[keep] if len(cand) else np.zeros((0, 3), np.int64)
    all_tiles = np.concatenate(tiles)
    all_corr = np.concatenate(corr)
    all_frac = np.concatenate(nanfrac)
    firsts = np.concatenate(first_child)
    nch = np.concatenate(n_child)
    n_base = len(tiles[0])

    def collect(nan_allowed: float) -> list[int]:
        out: list[int] = []
        stack = list(range(n_base))[::-1]
        while stack:
            k = stack.pop()
            length = all_tiles[k, 2]
            has_children = nch[k] > 0
            if ((all_corr[k] < p.epsilon and not length > p.tile_max_px) or not has_children
                    or all_tiles[firsts[k], 2] < p.tile_min_px):
                if all_frac[k] < nan_allowed:
                    out.append(k)
            else:
                stack.extend(range(firsts[k] + nch[k] - 1, firsts[k] - 1, -1))
        return out

    chosen = collect(p.nan_allowed)
    if not chosen:
        chosen = collect(1.0)
        p = QuadtreeParams(**{**p.__dict__, "nan_allowed": 1.0})
    idx = np.array(chosen, dtype=np.int64)
    sel = all_tiles[idx]
    return Leaves(sel[:, 0].copy(), sel[:, 1].copy(), sel[:, 2].copy(), p)


def build_quadtree_reference(data: np.ndarray, dE: float, dN: float, **kwargs) -> Leaves:
    """NumPy reference: a recursive transcription of Kite's QuadNode.createTree / iterLeaves."""
    data = _check_data(data)
    p = resolve_params(data, dE, dN, **kwargs)

    def corr(block: np.ndarray) -> float:
        if p.correction == "bilinear":
            return deramp_std(block)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                if p.correction == "mean":
                    return float(np.nanstd(block - np.nanmean(block)))
                if p.correction == "median":
                    return float(np.nanstd(block - np.nanmedian(block)))
                return float(np.nanstd(block))

    class Node:
        def __init__(self, llr: int, llc: int, length: int):
            self.llr, self.llc, self.length = llr, llc, length
            self.block = data[llr:llr + length, llc:llc + length]
            self.corr = corr(self.block) if np.isfinite(self.block).any() else float("nan")
            self.nan_fraction = float(np.isnan(self.block).sum()) / self.block.size
            self.children = None

        def create(self) -> None:
            if (self.corr > p.epsilon_min or self.length >= 64) and not self.length < p.min_node_length \
                    and self.length > 1:
                kids = []
                for nr, nc in _CORNERS:
                    h = self.length // 2
                    r, c = self.llr + h * nr, self.llc + h * nc
                    block = data[r:r + h, c:c + h]
                    if block.size == 0 or np.all(np.isnan(block)):
                        continue
                    kids.append(Node(r, c, h))
                self.children = kids or None
                for kid in kids:
                    kid.create()

        def leaves(self):
            if ((self.corr < p.epsilon and not self.length > p.tile_max_px) or self.children is None
                    or self.children[0].length < p.tile_min_px):
                yield self
            else:
                for kid in self.children:
                    yield from kid.leaves()

    base = [Node(*t) for t in _base_tiles(data.shape)]
    for b in base:
        b.create()
    chosen = [lf for b in base for lf in b.leaves() if lf.nan_fraction < p.nan_allowed]
    if not chosen:
        chosen = [lf for b in base for lf in b.leaves()]
        p = QuadtreeParams(**{**p.__dict__, "nan_allowed": 1.0})
    return Leaves(np.array([lf.llr for lf in chosen], np.int64), np.array([lf.llc for lf in chosen], np.int64),
                  np.array([lf.length for lf in chosen], np.int64), p)
