"""The overlaps of tracks on a union grid, read window by window: pixel counts, samples of the two
tracks' values, the corrections solved over the network of overlaps (first pass of the mosaic).

Only the window where two tracks' footprints intersect is read, in row blocks; the samples kept are
every valid pixel when they fit in a quarter of the memory budget, else a regular subsample (every
``stride``-th row and column, logged): medians and robust planes do not need every pixel. Counts are
always of every pixel. Samples are kept in row-major order so that, unsubsampled, the fits equal
those of whole-grid arrays.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from mimtpy.core.blocks import row_blocks
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError

logger = logging.getLogger(__name__)


@dataclass
class PairSamples:
    """Valid pixels of both tracks i and j (``a``, ``b``: (epochs, n) values; ``rows``, ``cols``: (n,)
    union-grid indices of each sample, or per epoch for time series) and the full count per epoch."""

    i: int
    j: int
    count: np.ndarray          # (epochs,) valid pixels of both, every pixel counted
    a: list[np.ndarray]        # per epoch
    b: list[np.ndarray]
    rows: list[np.ndarray]
    cols: list[np.ndarray]
    stride: int


@dataclass
class Overlap:
    """Statistics of one overlap (differences track i minus track j, before and after correction)."""

    i: int
    j: int
    pixels: int
    median_before: float
    rms_before: float
    median_after: float = np.nan
    rms_after: float = np.nan


def fit_pair_samples(d: np.ndarray, g: np.ndarray, model: str) -> np.ndarray:
    """Parameters of ``model`` fitted to differences ``d`` (n,) with design ``g`` (n, K): the median
    (``offset``), or least squares with 3-MAD rejection repeated up to 5 times (``ramp``)."""
    if model == "offset":
        return np.array([np.median(d)])
    keep = np.ones(d.size, bool)
    params = np.zeros(g.shape[1])
    for _ in range(5):
        params = np.linalg.lstsq(g[keep], d[keep], rcond=None)[0]
        resid = d - g @ params
        mad = 1.4826 * np.median(np.abs(resid[keep] - np.median(resid[keep])))
        new = np.abs(resid) <= 3 * mad if mad > 0 else keep
        if new.sum() < g.shape[1] or np.array_equal(new, keep):
            break
        keep = new
    return params


def solve_network(pairs: list[tuple[int, int, np.ndarray, int]], n: int, ref: int, names: list[str]) -> np.ndarray:
    """Per-track parameters p_k with p_i - p_j = observed for every pair and p_ref = 0.

    Pairs are weighted by the square root of their pixel count. InputError names tracks that
    no chain of overlaps links to the reference track.
    """
    linked = {ref}
    changed = True
    while changed:
        changed = False
        for i, j, _p, _n in pairs:
            if (i in linked) != (j in linked):
                linked |= {i, j}
                changed = True
    lonely = [names[k] for k in range(n) if k not in linked]
    if lonely:
        raise InputError(f"these tracks overlap no other track (or overlap too little): {', '.join(lonely)}")
    k = pairs[0][2].size if pairs else 1
    unknown = [t for t in range(n) if t != ref]
    params = np.zeros((n, k))
    if not unknown:
        return params
    a = np.zeros((len(pairs), len(unknown)))
    for row, (i, j, _p, _n) in enumerate(pairs):
        if i != ref:
            a[row, unknown.index(i)] = 1
        if j != ref:
            a[row, unknown.index(j)] = -1
    w = np.sqrt(np.array([p[3] for p in pairs], float))[:, None]
    obs = np.stack([p[2] for p in pairs])
    solution = np.linalg.lstsq(a * w, obs * w, rcond=None)[0]
    params[unknown] = solution
    return params


def footprint(grid: Grid, track: Grid) -> tuple[slice, slice] | None:
    """Rows and columns of ``grid`` that ``track``'s extent covers (None when it covers none)."""
    s, n, w, e = track.snwe
    s0, n0, w0, e0 = grid.snwe
    box = (max(s, s0), min(n, n0), max(w, w0), min(e, e0))
    if box[0] >= box[1] or box[2] >= box[3]:
        return None
    return grid.window(box)


def pair_window(grid: Grid, a: Grid, b: Grid) -> tuple[slice, slice] | None:
    fa, fb = footprint(grid, a), footprint(grid, b)
    if fa is None or fb is None:
        return None
    rows = slice(max(fa[0].start, fb[0].start), min(fa[0].stop, fb[0].stop))
    cols = slice(max(fa[1].start, fb[1].start), min(fa[1].stop, fb[1].stop))
    return (rows, cols) if rows.stop > rows.start and cols.stop > cols.start else None


def sample_pair(layer_a, layer_b, i: int, j: int, window: tuple[slice, slice], max_memory: float) -> PairSamples:
    """Counts and samples of the pixels where both layers (2-D, or 3-D epoch x row x col) are valid."""
    rows, cols = window
    epochs = layer_a.shape[0] if len(layer_a.shape) == 3 else 1
    pixels = (rows.stop - rows.start) * (cols.stop - cols.start) * epochs
    keep = max_memory * 1024**3 / 4
    stride = max(1, math.ceil(math.sqrt(pixels * 16 / keep))) if pixels * 16 > keep else 1
    if stride > 1:
        logger.info("overlap %d-%d: %d pixels x %d epoch(s); fitted on every %d-th row and column", i, j,
                    pixels // epochs, epochs, stride)
    count = np.zeros(epochs, np.int64)
    parts: list[list[tuple]] = [[] for _ in range(epochs)]
    width = cols.stop - cols.start
    per_row = width * epochs * 4 * 6
    for blk in row_blocks(rows.stop - rows.start, per_row, max_memory / 2):
        r = slice(rows.start + blk.start, rows.start + blk.stop)
        a = _window(layer_a, r, cols).reshape(epochs, blk.stop - blk.start, width)
        b = _window(layer_b, r, cols).reshape(epochs, blk.stop - blk.start, width)
        both = np.isfinite(a) & np.isfinite(b)
        count += both.reshape(epochs, -1).sum(axis=1)
        first = (-(r.start - rows.start)) % stride
        sub = (slice(None), slice(first, None, stride), slice(None, None, stride))
        a, b, both = a[sub], b[sub], both[sub]
        rr = r.start + first + np.arange(a.shape[1]) * stride
        cc = cols.start + np.arange(a.shape[2]) * stride
        for k in range(epochs):
            y, x = np.nonzero(both[k])
            parts[k].append((a[k][y, x], b[k][y, x], rr[y], cc[x]))
    join = [[np.concatenate([p[m] for p in parts[k]]) if parts[k] else np.zeros(0) for m in range(4)]
            for k in range(epochs)]
    return PairSamples(i, j, count, [s[0] for s in join], [s[1] for s in join], [s[2].astype(np.int64) for s in join],
                       [s[3].astype(np.int64) for s in join], stride)


def _window(layer, rows: slice, cols: slice) -> np.ndarray:
    return np.asarray(layer[(slice(None),) * (len(layer.shape) - 2) + (rows, cols)], dtype=np.float32)


def sample_overlaps(layers: list, grids: list[Grid], grid: Grid, max_memory: float) -> list[PairSamples]:
    """Samples of every pair of tracks whose footprints intersect on ``grid``."""
    found = []
    for i in range(len(layers)):
        for j in range(i + 1, len(layers)):
            window = pair_window(grid, grids[i], grids[j])
            if window is not None:
                found.append(sample_pair(layers[i], layers[j], i, j, window, max_memory / max(1, len(layers))))
    return found


def counts_per_track(samples: list[PairSamples], n: int, epoch: int = -1) -> list[int]:
    """For each track, the valid pixels it shares with all others (at one epoch)."""
    counts = [0] * n
    for s in samples:
        counts[s.i] += int(s.count[epoch])
        counts[s.j] += int(s.count[epoch])
    return counts


def basis_at(lon0: float, lat0: float, grid: Grid, rows: np.ndarray, cols: np.ndarray, terms: int) -> np.ndarray:
    """(n, terms) design of the correction model at union-grid pixels: 1, lon - lon0, lat - lat0 (degrees)."""
    lon = grid.x_first + (cols + 0.5) * grid.x_step
    lat = grid.y_first + (rows + 0.5) * grid.y_step
    return np.column_stack([np.ones(rows.size), lon - lon0, lat - lat0][:terms])


def corrections(samples: list[PairSamples], n: int, epoch: int, model: str, min_overlap: int, ref: int,
                names: list[str], centre: tuple[float, float], grid: Grid) -> tuple[np.ndarray, list[Overlap]]:
    """Per-track correction parameters (n, terms) at one epoch, solved over the network of overlaps with the
    reference track fixed, and the statistics of every overlap before and after correction."""
    terms = 1 if model in ("none", "offset") else 3
    stats, pairs, designs = [], [], []
    for s in samples:
        if s.count[epoch] < min_overlap:
            continue
        a, b = s.a[epoch], s.b[epoch]
        diff = a - b
        stats.append(Overlap(s.i, s.j, int(s.count[epoch]), float(np.median(diff)), float(np.sqrt(np.mean(diff**2)))))
        g = basis_at(*centre, grid, s.rows[epoch], s.cols[epoch], terms)
        designs.append(g)
        if model != "none":
            pairs.append((s.i, s.j, fit_pair_samples(diff, g, model), int(s.count[epoch])))
    if model == "none":
        params = np.zeros((n, terms))
        if n > 1:
            solve_network([(o.i, o.j, np.zeros(1), o.pixels) for o in stats], n, ref, names)
    else:
        params = solve_network(pairs, n, ref, names)
    used = [s for s in samples if s.count[epoch] >= min_overlap]
    for o, s, g in zip(stats, used, designs, strict=True):
        after = ((s.a[epoch] - (g @ params[s.i]).astype(np.float32))
                 - (s.b[epoch] - (g @ params[s.j]).astype(np.float32)))
        o.median_after, o.rms_after = float(np.median(after)), float(np.sqrt(np.mean(after**2)))
    return params, stats
