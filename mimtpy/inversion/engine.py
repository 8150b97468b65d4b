"""The work of the ``inversion`` step: reference, row blocks, compiled solve, MintPy-compatible outputs.

Conventions: phase in radians, ``phase = phi(second) - phi(first)``; displacement
``d = -lambda / (4 pi) * phase`` in metres, LOS positive toward the satellite (MintPy); the time series
is relative to the first date (REF_DATE) and to the reference pixel/area, which is subtracted from
every interferogram before the inversion (MintPy: the reference pixel's phase; an area: the mean of its
valid pixels).
"""

from __future__ import annotations

import functools
import logging
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.context import RunContext
from mimtpy.core.arrays import DerivedArray
from mimtpy.core.blocks import process_blocks, row_blocks
from mimtpy.core.dates import decimal_years
from mimtpy.core.linfit import fit_lines
from mimtpy.errors import InputError, ProductError
from mimtpy.inversion.outputs import OUTPUT_NAMES, output_dir, outputs
from mimtpy.inversion.solve import OK, STATUS_NAMES, Network, coherence_to_weight, solve_network
from mimtpy.io import IfgramStack, open_ifgram_stack, stream_h5
from mimtpy.io.atomic import atomic_output

if TYPE_CHECKING:
    from mimtpy.inversion.invert import InversionConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reference:
    """Reference pixel (row, col) or area (rows, cols slices) and its phase per interferogram (rad)."""

    row: int
    col: int
    phase: np.ndarray
    area: tuple[slice, slice] | None = None
    how: str = "point"


def phase_to_metres(wavelength: float) -> float:
    """Factor from unwrapped phase (rad) to LOS displacement (m, positive toward the satellite)."""
    return -float(wavelength) / (4.0 * np.pi)


def looks_of(stack: IfgramStack, cfg: InversionConfig) -> float:
    """Independent looks for the var/fim weights (MintPy: NCORRLOOKS, else ALOOKS*RLOOKS/1.94)."""
    if cfg.looks is not None:
        return float(cfg.looks)
    attrs = stack.attrs
    try:
        if "NCORRLOOKS" in attrs:
            return float(attrs["NCORRLOOKS"])
        if "ALOOKS" in attrs and "RLOOKS" in attrs:
            return float(attrs["ALOOKS"]) * float(attrs["RLOOKS"]) / 1.94
    except ValueError:
        pass
    return 1.0


def read_masked(stack: IfgramStack, rows: slice, cols: slice, cfg: InversionConfig,
                need_coh: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """(phase, coherence) of a window with the no-data rules applied (coherence mask)."""
    phase, coh = stack.read(rows, cols, coherence=need_coh or cfg.mask_coherence is not None)
    if cfg.mask_coherence is not None and coh is not None:
        phase[~(np.nan_to_num(coh) >= cfg.mask_coherence)] = np.nan
    return phase, (coh if need_coh else None)


def _rowcol(stack: IfgramStack, lat: float, lon: float, what: str) -> tuple[int, int]:
    if stack.grid is None:
        raise InputError(f"{stack.source}: radar-coded stack, a {what} in lat/lon cannot be placed; use the "
                         "stack's REF_Y/REF_X (referencePoint = auto)")
    row, col = stack.grid.lalo_to_rowcol(lat, lon)
    if not (0 <= row < stack.length and 0 <= col < stack.width):
        raise InputError(f"{what} lat={lat}, lon={lon} is outside the interferograms ({stack.source})")
    return int(row), int(col)


def choose_reference(stack: IfgramStack, cfg: InversionConfig, max_memory: float) -> Reference:
    """The reference of the inversion: an area, a point, the stack's REF_Y/REF_X, or chosen automatically
    (valid in every interferogram, highest mean coherence, then the smallest mean deviation from the
    interferograms' block medians: the most stable)."""
    m = stack.num_ifgram
    if cfg.reference_area is not None:
        s, n, w, e = cfg.reference_area
        if stack.grid is None:
            raise InputError(f"{stack.source}: radar-coded stack, referenceArea in degrees cannot be placed")
        rows, cols = stack.grid.window((s, n, w, e))
        if rows.stop <= rows.start or cols.stop <= cols.start:
            raise InputError(f"mimtpy.inversion.referenceArea {cfg.reference_area} holds no pixel of {stack.source}")
        phase = read_masked(stack, rows, cols, cfg, False)[0].reshape(m, -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = np.nanmean(phase, axis=1) if phase.size else np.full(m, np.nan)
        bad = np.flatnonzero(~np.isfinite(ref))
        if bad.size:
            raise InputError(f"mimtpy.inversion.referenceArea {cfg.reference_area}: no valid pixel in interferogram "
                             f"{'_'.join(stack.date12[bad[0]])} of {stack.source}")
        return Reference((rows.start + rows.stop) // 2, (cols.start + cols.stop) // 2, ref, (rows, cols), "area")
    if cfg.reference_point is not None:
        row, col = _rowcol(stack, *cfg.reference_point, "referencePoint")
        how = "point"
    elif "REF_Y" in stack.attrs and "REF_X" in stack.attrs:
        row, col = int(stack.attrs["REF_Y"]), int(stack.attrs["REF_X"])
        how = "stack REF_Y/REF_X"
    else:
        row, col = _auto_reference(stack, cfg, max_memory)
        how = "auto"
    phase = read_masked(stack, slice(row, row + 1), slice(col, col + 1), cfg, False)[0].reshape(m)
    bad = np.flatnonzero(~np.isfinite(phase))
    if bad.size:
        raise InputError(f"reference pixel (row {row}, col {col}) has no data in {bad.size} interferogram(s) "
                         f"(first: {'_'.join(stack.date12[bad[0]])}) of {stack.source}; choose another "
                         "referencePoint or a referenceArea")
    return Reference(row, col, phase.astype(np.float64), None, how)


def _auto_reference(stack: IfgramStack, cfg: InversionConfig, max_memory: float) -> tuple[int, int]:
    m = stack.num_ifgram
    best = (-np.inf, -np.inf, -1, -1)
    for rows in row_blocks(stack.length, m * stack.width * 12, max_memory):
        phase, coh = read_masked(stack, rows, slice(None), cfg, True)
        full = np.all(np.isfinite(phase), axis=0)
        if not full.any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean_coh = np.nanmean(coh, axis=0) if coh is not None else np.zeros(full.shape)
            med = np.nanmedian(phase.reshape(m, -1), axis=1)
            dev = np.nanmean(np.abs(phase - med[:, None, None]), axis=0)
        score_coh = np.where(full, np.round(np.nan_to_num(mean_coh, nan=-1), 2), -np.inf)
        score_dev = np.where(full, -dev, -np.inf)
        order = np.lexsort((score_dev.ravel(), score_coh.ravel()))
        k = order[-1]
        cand = (score_coh.ravel()[k], score_dev.ravel()[k], rows.start + k // stack.width, k % stack.width)
        if cand[:2] > best[:2]:
            best = cand
    if best[2] < 0:
        raise InputError(f"{stack.source}: no pixel is valid in every interferogram; give referencePoint or "
                         "referenceArea")
    return int(best[2]), int(best[3])


def network_figure(path: Path, stack: IfgramStack, bperp: np.ndarray, share: np.ndarray, title: str) -> Path:
    """Time vs perpendicular baseline; interferograms coloured by their share of valid pixels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    dates = stack.dates
    index = {d: k for k, d in enumerate(dates)}
    t = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in dates]).astype("datetime64[D]")
    x = matplotlib.dates.date2num(t.astype("datetime64[s]").astype(object))
    known = bool(np.any(np.asarray(bperp) != 0))
    if known:
        segs = [[(x[index[a]], bperp[index[a]]), (x[index[b]], bperp[index[b]])] for a, b in stack.date12]
    else:   # no baselines in the metadata: arcs whose height follows the time span, so pairs stay apart
        span = max(x[index[b]] - x[index[a]] for a, b in stack.date12)
        s = np.linspace(0, 1, 25)
        segs = [np.column_stack([x[index[a]] + (x[index[b]] - x[index[a]]) * s,
                                 (x[index[b]] - x[index[a]]) / span * np.sin(np.pi * s)]) for a, b in stack.date12]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    lines = LineCollection(segs, array=100 * np.asarray(share), cmap="viridis", linewidths=1.2)
    lines.set_clim(0, 100)
    ax.add_collection(lines)
    ax.plot(x, bperp, "o", color="k", ms=4, zorder=3)
    ax.xaxis_date()
    ax.set_xlabel("acquisition date")
    ax.set_ylabel("perpendicular baseline (m)" if known else "baselines unknown: arc height = time span")
    ax.set_title(title, fontsize=9)
    fig.colorbar(lines, ax=ax, label="valid pixels (%)")
    ax.autoscale_view()
    fig.autofmt_xdate()
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    logger.info("wrote %s", path)
    return path


@dataclass(frozen=True)
class BlockParams:
    """What :func:`invert_block` needs besides the data (all plain values, so a block can run anywhere)."""

    method: str
    weight_func: str
    looks: float
    gamma: float
    seasonal: bool
    constraint_weight: float
    min_ifgram: int
    workers: int
    phase_to_m: float
    years: np.ndarray


#: largest block in pixels (smaller blocks when mimtpy.compute.maxMemory asks for them)
BLOCK_PIXELS = 1 << 16

#: block result -> (output file key, dataset)
BLOCK_OUTPUTS = {"timeseries": ("timeseries", "timeseries"),
                 "temporalCoherence": ("temporalCoherence", "temporalCoherence"),
                 "numInvIfgram": ("numInvIfgram", "mask"), "numComponent": ("numComponent", "numComponent"),
                 "residualRMS": ("residualRMS", "residualRMS"), "velocity": ("velocity", "velocity"),
                 "velocityStd": ("velocity", "velocityStd")}


def invert_block(phase: np.ndarray, coh: np.ndarray | None, ref_phase: np.ndarray, network: Network,
                 params: BlockParams) -> dict[str, np.ndarray]:
    """Invert one block: ``phase``/``coh`` (ifgram, rows, cols) in rad / 0..1 (NaN = no-data), ``ref_phase``
    (ifgram,) subtracted first. As MintPy, a phase that is exactly 0 after this is no-data, except in pixels equal
    to the reference in every interferogram (the reference pixel and its copies: their series is 0). Returns
    float32 maps (rows, cols) and the time series (date, rows, cols) in m, plus ``validCount`` (valid values per
    interferogram) and ``statusCount`` (pixels per status code). A pure function of arrays: the unit of work of
    the block pipeline."""
    m, nrow, ncol = phase.shape
    obs = np.empty((nrow * ncol, m), dtype=np.float32)       # (pixel, ifgram), the layout of the kernel
    obs[:] = phase.reshape(m, -1).T
    obs -= np.asarray(ref_phase, dtype=np.float32)[None, :]
    zero = obs == 0
    zero[np.all(zero | np.isnan(obs), axis=1)] = False      # the reference pixel and exact copies of it
    obs[zero] = np.nan
    weight = (coherence_to_weight(coh.reshape(m, -1).T, params.weight_func, params.looks)
              if params.weight_func != "no" else None)
    sol = solve_network(obs, network, params.method, weight, gamma=params.gamma, seasonal=params.seasonal,
                        constraint_weight=params.constraint_weight, min_ifgram=params.min_ifgram,
                        workers=params.workers)
    ts_m = (sol.ts * params.phase_to_m).T
    vel, std, _count = fit_lines(ts_m, params.years)
    ok = sol.status == OK
    maps = {"temporalCoherence": sol.tcoh, "numInvIfgram": np.where(ok, sol.nifg, 0),
            "numComponent": np.where(ok, sol.ncomp, 0), "residualRMS": sol.rms * abs(params.phase_to_m),
            "velocity": vel, "velocityStd": std}
    out = {k: np.asarray(v, dtype=np.float32).reshape(nrow, ncol) for k, v in maps.items()}
    out["timeseries"] = ts_m.reshape(-1, nrow, ncol).astype(np.float32)
    out["validCount"] = np.isfinite(obs).sum(axis=0)
    out["statusCount"] = np.bincount(sol.status, minlength=4)[:4]
    return out


def _read_window(blocks: dict, window: tuple[slice, slice], stack: IfgramStack, cfg: InversionConfig,
                 need_coh: bool) -> np.ndarray:
    """Phase (and coherence, stacked after it) of a window with the no-data rules applied."""
    phase, coh = read_masked(stack, window[0], window[1], cfg, need_coh)
    return phase if coh is None else np.concatenate([phase, coh])


def _block(block: dict[str, np.ndarray], ref_phase: np.ndarray, network: Network, params: BlockParams,
           num_ifgram: int) -> dict[str, np.ndarray]:
    data = block["ifgrams"]
    coh = data[num_ifgram:] if data.shape[0] > num_ifgram else None
    return invert_block(data[:num_ifgram], coh, ref_phase, network, params)


class _InversionWriter:
    """Writes the block results into the output files and sums the per-block counts."""

    def __init__(self, out: dict):
        self.out = out
        self.valid_count: np.ndarray | float = 0.0
        self.status_count: np.ndarray | int = 0

    def write(self, rows: slice, result: dict[str, np.ndarray]) -> None:
        self.valid_count = self.valid_count + result["validCount"]
        self.status_count = self.status_count + result["statusCount"]
        for key, (fname, dname) in BLOCK_OUTPUTS.items():
            data = result[key]
            self.out[fname][dname][(slice(None), rows) if data.ndim == 3 else rows] = data


def _weight_func(cfg: InversionConfig, stack: IfgramStack) -> str:
    func = cfg.weight_func
    if func != "no" and not stack.has_coherence:
        raise InputError(f"mimtpy.inversion.weightFunc = {func} needs coherence, but {stack.source} has none")
    return func


def invert(cfg: InversionConfig, ctx: RunContext) -> list[Path]:
    """Run the inversion step (see :mod:`mimtpy.inversion.invert`)."""
    if not cfg.dataset:
        raise InputError("mimtpy.inversion.DataSet: no interferograms given")
    paths = [ctx.resolve(p) for p in cfg.dataset]
    stack = open_ifgram_stack(paths, cfg.mask_conn_comp, cfg.drop_untouched_dates)
    if cfg.wavelength is not None:
        stack.attrs["WAVELENGTH"] = repr(float(cfg.wavelength))
    wavelength = stack.wavelength
    outdir = output_dir(cfg, ctx)
    outs = outputs(cfg, ctx)
    func = _weight_func(cfg, stack)
    settings = ctx.settings(cfg, inputs=[str(p) for p in stack.files], weight=func)
    if ctx.is_current(outs, list(stack.files), settings):
        return outs
    network = Network.from_date12(stack.date12)
    dates = list(network.dates)
    if dates != stack.dates:
        raise ProductError(f"{stack.source}: network dates differ from the stack's")
    ref = choose_reference(stack, cfg, ctx.compute.max_memory)
    looks = looks_of(stack, cfg)
    p2m = phase_to_metres(wavelength)
    bperp = stack.date_bperp()
    logger.info("%s: %d interferograms, %d dates, %s, weight %s, reference %s (row %d, col %d)", stack.source,
                network.num_ifgram, network.num_date, cfg.method, func, ref.how, ref.row, ref.col)
    attrs = {k: v for k, v in stack.attrs.items() if k not in ("FILE_TYPE", "UNIT", "mimtpy_settings")}
    attrs.update(LENGTH=str(stack.length), WIDTH=str(stack.width), REF_Y=str(ref.row), REF_X=str(ref.col),
                 REF_DATE=dates[0], START_DATE=dates[0], END_DATE=dates[-1], WAVELENGTH=repr(wavelength))
    if stack.grid is not None:
        lat, lon = stack.grid.rowcol_to_lalo(ref.row, ref.col)
        attrs.update(REF_LAT=repr(float(lat)), REF_LON=repr(float(lon)))
    if ref.area is not None:
        attrs["REF_AREA"] = " ".join(str(v) for v in cfg.reference_area)
    attrs.update(mimtpy_inversion_method=cfg.method, mimtpy_inversion_weight=func,
                 mimtpy_inversion_reference=ref.how)
    N, L, W, m = network.num_date, stack.length, stack.width, network.num_ifgram
    outdir.mkdir(parents=True, exist_ok=True)
    need_coh = func != "no"
    cons_w = 1.0
    if need_coh:
        cons_w = float(coherence_to_weight(np.array([0.1]), func, looks)[0])
    # memory of one row of a block: phase, observations, mask (+ coherence, weights, sqrt weights), outputs
    bytes_per_row = W * (m * (18 + (20 if need_coh else 0)) + N * 24 + 64)
    years = decimal_years(dates)
    names = dict(zip(("timeseries", "temporalCoherence", "numInvIfgram", "numComponent", "residualRMS",
                      "velocity"), OUTPUT_NAMES, strict=True))
    ts_attrs = {**attrs, "FILE_TYPE": "timeseries", "UNIT": "m"}
    q_attrs = {k: v for k, v in attrs.items() if k != "REF_DATE"}
    files = {
        "timeseries": (outdir / names["timeseries"], {"timeseries": (N, L, W)}, ts_attrs, dates,
                       {"timeseries": "m"}),
        "temporalCoherence": (outdir / names["temporalCoherence"], {"temporalCoherence": (L, W)},
                              {**q_attrs, "FILE_TYPE": "temporalCoherence", "UNIT": "1"}, None, None),
        "numInvIfgram": (outdir / names["numInvIfgram"], {"mask": (L, W)},
                         {**q_attrs, "FILE_TYPE": "mask", "UNIT": "1"}, None, None),
        "numComponent": (outdir / names["numComponent"], {"numComponent": (L, W)},
                         {**q_attrs, "FILE_TYPE": "numComponent", "UNIT": "1"}, None, None),
        "residualRMS": (outdir / names["residualRMS"], {"residualRMS": (L, W)},
                        {**q_attrs, "FILE_TYPE": "residualRMS", "UNIT": "m"}, None, {"residualRMS": "m"}),
        "velocity": (outdir / names["velocity"], {"velocity": (L, W), "velocityStd": (L, W)},
                     {**q_attrs, "FILE_TYPE": "velocity", "UNIT": "m/year", "DATE12": f"{dates[0]}_{dates[-1]}"},
                     None, {"velocity": "m/year", "velocityStd": "m/year"}),
    }
    with ExitStack() as stackctx:
        out = {key: stackctx.enter_context(stream_h5(path, shapes, fattrs, dates=fdates, settings=settings,
                                                     units=units))
               for key, (path, shapes, fattrs, fdates, units) in files.items()}
        out["timeseries"]["timeseries"].file.create_dataset("bperp", data=bperp.astype(np.float32))
        params = BlockParams(cfg.method, func, looks, cfg.gamma, cfg.seasonal, cons_w, cfg.min_ifgram, 1, p2m, years)
        lead = m * (2 if need_coh else 1)
        source = DerivedArray({}, functools.partial(_read_window, stack=stack, cfg=cfg, need_coh=need_coh), (L, W),
                              lead=(lead,))
        source.row_bytes = bytes_per_row
        writer = _InversionWriter(out)
        process_blocks({"ifgrams": source}, functools.partial(_block, ref_phase=ref.phase, network=network,
                                                              params=params, num_ifgram=m),
                       writer, ctx.compute.max_memory, workers=ctx.compute.workers,
                       cluster=ctx.compute.cluster if ctx.compute.use_dask else None, desc="inversion",
                       work_factor=0.0, max_rows=max(1, BLOCK_PIXELS // max(W, 1)))
        valid_count, status_count = writer.valid_count, writer.status_count
        unsolved = "; ".join(f"{STATUS_NAMES[k]}: {int(status_count[k])}" for k in STATUS_NAMES if status_count[k])
        for handle in out.values():
            next(iter(handle.values())).file.attrs["mimtpy_unsolved_pixels"] = unsolved or "none"
    logger.info("solved %d of %d pixels%s", int(status_count[OK]), L * W, f" (not solved: {unsolved})" if unsolved
                else "")
    written = [path for path, *_ in files.values()]
    if cfg.figure:
        share = valid_count / float(L * W)
        title = f"{stack.source.name}: {m} interferograms, {N} dates ({cfg.method}, weight {func})"
        written.append(network_figure(outdir / "network.png", stack, bperp, share, title))
    return written
