"""Per-pixel network inversion of unwrapped interferograms: SBAS and NSBAS.

Conventions
-----------
* Observations are unwrapped phases in radians, one row per pixel and one column per
  interferogram ``(i, j)`` with date index ``i < j``: ``phase = phi_j - phi_i`` (MintPy's ifgramStack
  convention, ``date12 = ref_sec``). NaN marks a missing value. The solved time series is the phase of
  every date relative to the first date (``ts[:, 0] = 0``), in radians; callers convert it to metres
  with ``d = -lambda / (4 pi) * phase`` (LOS positive toward the satellite).
* Time in years: ``t = days since the first date / 365.25`` (MintPy ``date_list2tbase`` / 365.25,
  LiCSBAS ``dt_cum``).
* SBAS (Berardino et al. 2002; MintPy ``ifgram_inversion.py`` with ``minNormVelocity = yes``): weighted
  least squares; where the valid interferograms of a pixel form several sub-networks, the solution of
  minimum norm of the interval velocities ``(phi_{k+1} - phi_k) / dt_k`` is taken (what MintPy's
  ``scipy.linalg.lstsq`` on its velocity matrix B returns); the number of sub-networks is reported.
* NSBAS (LiCSBAS ``invert_nsbas``, Lopez-Quiroz et al. 2009; Doin et al. 2011): the interferogram rows
  plus, for every date k, the row ``gamma * (phi_k - v t_k - c [- a sin 2 pi t_k - b cos 2 pi t_k]) = 0``
  that ties the sub-networks together through a linear (optionally + annual) model. ``gamma`` is
  LiCSBAS's (1e-4 by default); the model parameters are returned in ``model``.
* Weights are per interferogram and pixel (MintPy ``weightFunc``: see :func:`coherence_to_weight`); the
  rows are multiplied by the square root of the weight.

Every pixel is solved in compiled code (:mod:`mimtpy._kernels.network`): pixels with the same set of
valid interferograms share one factorisation (unweighted); weighted pixels are factorised one by one.
The factorisation is a QR decomposition by Givens rotations in float64 (never the normal equations).
:func:`solve_network_numpy` is the dense NumPy reference (``numpy.linalg.lstsq``, SVD) of the same
problem; a test pins both equal.
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from mimtpy._kernels.network import solve_groups_kernel
from mimtpy.core.dates import parse_date
from mimtpy.errors import InputError

#: status codes of a pixel (why it was not solved)
OK, NO_DATA, TOO_FEW, DATE_MISSING = 0, 1, 2, 3
STATUS_NAMES = {NO_DATA: "no valid interferogram", TOO_FEW: "fewer interferograms than minIfgram",
                DATE_MISSING: "a date without a valid interferogram (SBAS)"}
WEIGHT_FUNCS = ("no", "coh", "var", "fim")


@dataclass(frozen=True)
class Network:
    """A network of interferograms: sorted ``dates`` (YYYYMMDD) and ``pairs`` of date indices ``(i, j)``,
    ``i < j``, one per interferogram (in the order of the observation columns)."""

    dates: tuple[str, ...]
    pairs: tuple[tuple[int, int], ...]
    years: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.dates) < 2:
            raise InputError(f"a network needs at least 2 dates, got {len(self.dates)}")
        if list(self.dates) != sorted(set(self.dates)):
            raise InputError("network dates must be sorted and unique")
        for i, j in self.pairs:
            if not 0 <= i < j < len(self.dates):
                raise InputError(f"interferogram ({i}, {j}) does not join two dates of the network in order")
        if len(set(self.pairs)) != len(self.pairs):
            raise InputError("the network holds the same pair twice")
        days = np.array([(parse_date(d, "date") - parse_date(self.dates[0], "date")).days for d in self.dates],
                        dtype=np.float64)
        object.__setattr__(self, "years", days / 365.25)

    @classmethod
    def from_date12(cls, date12: list[tuple[str, str]]) -> Network:
        """Network of interferograms given as (first date, second date) pairs, first < second."""
        dates = tuple(sorted({d for pair in date12 for d in pair}))
        index = {d: k for k, d in enumerate(dates)}
        return cls(dates, tuple((index[a], index[b]) for a, b in date12))

    @property
    def num_ifgram(self) -> int:
        return len(self.pairs)

    @property
    def num_date(self) -> int:
        return len(self.dates)

    @property
    def ifg_i(self) -> np.ndarray:
        return np.array([p[0] for p in self.pairs], dtype=np.int32)

    @property
    def ifg_j(self) -> np.ndarray:
        return np.array([p[1] for p in self.pairs], dtype=np.int32)

    def incidence(self) -> np.ndarray:
        """(ifgram, date) matrix with -1 at the first date and +1 at the second (MintPy's A with date 0)."""
        a = np.zeros((self.num_ifgram, self.num_date))
        a[np.arange(self.num_ifgram), self.ifg_i] = -1
        a[np.arange(self.num_ifgram), self.ifg_j] = 1
        return a

    def components(self, valid: np.ndarray | None = None) -> int:
        """Number of sub-networks (connected components over all dates) of the valid interferograms."""
        parent = list(range(self.num_date))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for k, (i, j) in enumerate(self.pairs):
            if valid is None or valid[k]:
                parent[max(find(i), find(j))] = min(find(i), find(j))
        return len({find(d) for d in range(self.num_date)})


# ----------------------------------------------------------------------------------------------- weights
def _phase_pdf_ds(looks: int, coherence: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Phase PDF of distributed scatterers (Tough et al. 1995, eq. 66; Hanssen 2001, eq. 4.2.23),
    (phi, coherence)."""
    L = int(looks)
    beta = coherence[None, :] * np.cos(phi)[:, None]
    one_b2 = 1.0 - beta**2
    front = (1.0 - coherence[None, :] ** 2) ** L / (2 * np.pi)
    k = math.gamma(2 * L - 1) / (math.gamma(L) ** 2 * 2 ** (2 * (L - 1)))
    main = (2 * L - 1) * beta / one_b2 ** (L + 0.5) * (np.pi / 2 + np.arcsin(beta)) + 1.0 / one_b2**L
    tail = 0.0
    if L > 1:
        for r in range(L - 1):
            coef = math.gamma(L - 0.5) / math.gamma(L - 0.5 - r) * math.gamma(L - 1 - r) / math.gamma(L - 1)
            tail = tail + coef * (1 + (2 * r + 1) * beta**2) / one_b2 ** (r + 2)
        tail = tail / (2 * (L - 1))
    return front * (k * main + tail)


def phase_variance_lut(looks: int, step: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    """(coherence, phase variance in rad^2) table of MintPy's ``coherence2phase_variance`` (DS):
    coherence at bin centres ``step/2 .. 1 - step/2``, variance integrated on as many phase samples."""
    num = int(1.0 / step)
    coh = np.linspace(step, 1.0, num) - step / 2.0
    phi = np.linspace(-np.pi, np.pi, num)
    pdf = _phase_pdf_ds(looks, coh, phi)
    var = np.sum(phi[:, None] ** 2 * pdf * (2 * np.pi / num), axis=0)
    bad = var <= 0
    var[bad] = var[~bad].min() if not bad.all() else np.finfo(np.float64).eps
    return coh, var


def coherence_to_weight(coherence: np.ndarray, func: str, looks: float = 1.0) -> np.ndarray | None:
    """Weight of each interferogram value from its spatial coherence, as MintPy 1.6.4 defines it
    (``decorrelation.coherence2weight``, epsilon 0.05):

    * ``no``: None (unweighted);
    * ``coh``: the coherence itself (Perissin & Wang 2012; Tong et al. 2016);
    * ``var``: 1 / phase variance of distributed scatterers (Tough et al. 1995), from a 0.005-step table,
      with ``looks`` independent looks (rounded, 1..80);
    * ``fim``: Fisher information index ``2 L c^2 / (1 - c^2)`` (Seymour & Cumming 1994), c <= 0.999.

    NaN and values below 0.05 count as 0.05. Returns float32 (as MintPy stores it).
    """
    if func not in WEIGHT_FUNCS:
        raise InputError(f"weight function '{func}' is not one of {', '.join(WEIGHT_FUNCS)}")
    if func == "no":
        return None
    coherence = np.asarray(coherence)
    L = max(int(np.rint(looks)), 1)
    lut = phase_variance_lut(min(L, 80), 0.005) if func == "var" else None
    flat = coherence.reshape(-1)
    weight = np.empty(flat.size, dtype=np.float32)
    chunk = 1 << 20                                  # float64 work in chunks: bounded memory
    for start in range(0, flat.size, chunk):
        weight[start:start + chunk] = _weight_chunk(flat[start:start + chunk], func, L, lut)
    return weight.reshape(coherence.shape)


def _weight_chunk(values: np.ndarray, func: str, L: int, lut: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    eps = 5e-2
    coh = np.array(values, dtype=np.float64)
    coh[np.isnan(coh)] = eps
    coh[coh < eps] = eps
    if func == "coh":
        return coh
    if func == "fim":
        c = np.minimum(coh, 1 - 1e-3)
        return 2.0 * L * c**2 / (1 - c**2)
    assert lut is not None
    lut_coh, lut_var = lut
    c = np.clip(coh, lut_coh.min(), lut_coh.max())
    idx = np.array((c - lut_coh.min()) / 0.005, np.int16)
    return 1.0 / lut_var[idx]


# ----------------------------------------------------------------------------------------------- solve
def _design_border(network: Network, seasonal: bool) -> np.ndarray:
    """Model columns of the NSBAS constraint rows, (date, p): -t, -1[, -sin 2 pi t, -cos 2 pi t]."""
    t = network.years
    cols = [-t, -np.ones_like(t)]
    if seasonal:
        cols += [-np.sin(2 * np.pi * t), -np.cos(2 * np.pi * t)]
    return np.ascontiguousarray(np.stack(cols, axis=1))


def pixel_status(valid: np.ndarray, network: Network, method: str, min_ifgram: int) -> np.ndarray:
    """Status code of every pixel (OK or the reason it is not solved), from its (pixel, ifgram) mask."""
    count = valid.sum(axis=1)
    status = np.full(valid.shape[0], OK, dtype=np.int8)
    if method == "sbas":
        by_ifg = np.ascontiguousarray(valid.T)
        touched = np.zeros((network.num_date, valid.shape[0]), dtype=bool)
        for k, (i, j) in enumerate(network.pairs):
            touched[i] |= by_ifg[k]
            touched[j] |= by_ifg[k]
        status[~touched.all(axis=0)] = DATE_MISSING
    status[count < max(min_ifgram, 1)] = TOO_FEW
    status[count == 0] = NO_DATA
    return status


def _check(obs: np.ndarray, network: Network, method: str, weight: np.ndarray | None) -> None:
    if method not in ("sbas", "nsbas"):
        raise InputError(f"inversion method '{method}' is not sbas or nsbas")
    if obs.ndim != 2 or obs.shape[1] != network.num_ifgram:
        raise InputError(f"observations must be (pixel, {network.num_ifgram} interferograms), got {obs.shape}")
    if weight is not None and weight.shape != obs.shape:
        raise InputError(f"weights {weight.shape} and observations {obs.shape} differ in shape")


def _groups(valid: np.ndarray, solve: np.ndarray, weighted: bool, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """(group_ptr, order): pixels to solve, grouped by their mask of valid interferograms (unweighted)
    in chunks of at most ``chunk`` pixels; one pixel per group when weighted."""
    idx = np.flatnonzero(solve).astype(np.int64)
    if idx.size == 0:
        return np.zeros(1, np.int64), idx
    if weighted:
        return np.arange(idx.size + 1, dtype=np.int64), idx
    packed = np.packbits(valid[idx], axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, inverse = np.unique(keys, return_inverse=True)
    sort = np.argsort(inverse.ravel(), kind="stable")
    order = idx[sort]
    counts = np.bincount(inverse.ravel())
    ptr = [0]
    for size in counts:
        start = ptr[-1]
        ptr.extend(range(start + chunk, start + size, chunk))
        ptr.append(start + size)
    return np.array(ptr, dtype=np.int64), order


@dataclass
class Solution:
    """Result of :func:`solve_network` for P pixels (NaN where not solved): ``ts`` (P, date) phase in rad
    relative to the first date; ``model`` (P, p) NSBAS parameters in rad/yr, rad (and rad for the annual
    sin/cos terms); ``tcoh`` temporal coherence (MintPy's, of the interferogram residuals); ``rms`` RMS of
    the interferogram residuals in rad; ``ncomp`` sub-networks of the valid interferograms; ``nifg``
    interferograms used; ``status`` OK or why the pixel was not solved."""

    ts: np.ndarray
    model: np.ndarray
    tcoh: np.ndarray
    rms: np.ndarray
    ncomp: np.ndarray
    nifg: np.ndarray
    status: np.ndarray


def _empty(P: int, network: Network, p: int, valid: np.ndarray, status: np.ndarray) -> Solution:
    return Solution(np.full((P, network.num_date), np.nan), np.full((P, p), np.nan), np.full(P, np.nan),
                    np.full(P, np.nan), np.zeros(P, np.int32), valid.sum(axis=1).astype(np.int32), status)


def _prepare(obs, network, method, weight, min_ifgram):
    obs = np.ascontiguousarray(obs, dtype=np.float32)
    _check(obs, network, method, weight)
    valid = ~np.isnan(obs)
    sqrtw = None
    if weight is not None:
        sqrtw = np.sqrt(np.ascontiguousarray(weight, dtype=np.float32))
        valid &= np.isfinite(sqrtw) & (sqrtw > 0)
    status = pixel_status(valid, network, method, min_ifgram)
    return obs, valid, sqrtw, status


def solve_network(obs: np.ndarray, network: Network, method: str = "sbas", weight: np.ndarray | None = None,
                  gamma: float = 1e-4, seasonal: bool = False, constraint_weight: float = 1.0,
                  min_ifgram: int = 1, workers: int = 1, chunk: int = 4096) -> Solution:
    """Invert a network of interferograms for every pixel (compiled kernel).

    ``obs``: (pixel, ifgram) unwrapped phase in radians, NaN = missing; ``weight``: (pixel, ifgram)
    weights (:func:`coherence_to_weight`) or None; ``method``: ``sbas`` or ``nsbas``; ``gamma``,
    ``seasonal``: NSBAS constraint (LiCSBAS); ``constraint_weight``: weight of the NSBAS constraint rows in
    a weighted inversion (LiCSBAS: 1/50, the inverse variance of a coherence-0.1 interferogram);
    ``min_ifgram``: fewest valid interferograms of a solved pixel. SBAS also needs every date touched by a
    valid interferogram (MintPy ``minRedundancy = 1``). ``workers`` threads run the kernel (it releases
    the GIL). Conventions: module docstring.
    """
    obs, valid, sqrtw, status = _prepare(obs, network, method, weight, min_ifgram)
    nsbas = method == "nsbas"
    border = _design_border(network, seasonal) if nsbas else np.zeros((network.num_date, 0))
    P = obs.shape[0]
    out = _empty(P, network, border.shape[1], valid, status)
    solve = status == OK
    weighted = sqrtw is not None
    group_ptr, order = _groups(valid, solve, weighted, max(1, int(chunk)))
    if order.size == 0:
        return out
    if weighted:
        obs = np.where(valid, obs, np.nan).astype(np.float32)
    ts = np.full((P, network.num_date), np.nan)
    model = np.full((P, max(border.shape[1], 1)), np.nan)
    tcoh = np.full(P, np.nan)
    rms = np.full(P, np.nan)
    ncomp = np.zeros(P, np.int32)
    sw = sqrtw if weighted else np.zeros((1, 1), np.float32)
    cons_w = float(gamma) * (math.sqrt(constraint_weight) if weighted else 1.0)
    args = (obs, sw, weighted, network.ifg_i, network.ifg_j, network.num_date, border, cons_w, nsbas,
            np.ascontiguousarray(np.diff(network.years)), _row_order(network, nsbas), group_ptr, order)
    results = (ts, model, tcoh, rms, ncomp)
    num_groups = group_ptr.size - 1
    tasks = _split(group_ptr, max(1, int(workers)) * 4) if workers > 1 else [(0, num_groups)]
    if len(tasks) == 1:
        solve_groups_kernel(*args, 0, num_groups, *results)
    else:
        with ThreadPoolExecutor(max_workers=int(workers)) as pool:
            for fut in [pool.submit(solve_groups_kernel, *args, g0, g1, *results) for g0, g1 in tasks]:
                fut.result()
    out.ts, out.tcoh, out.rms, out.ncomp = ts, tcoh, rms, ncomp
    out.model = model[:, :border.shape[1]]
    return out


def _row_order(network: Network, nsbas: bool) -> np.ndarray:
    """Rows (interferograms 0..m-1, then NSBAS constraints m..m+N-1) sorted by their leading unknown
    (date index - 1; constraint of date 0 last), which keeps the Givens fill-in inside the band."""
    lead = np.where(network.ifg_i > 0, network.ifg_i - 1, network.ifg_j - 1).astype(np.float64)
    if nsbas:
        d = np.arange(network.num_date, dtype=np.float64)
        lead = np.concatenate([lead, np.where(d > 0, d - 1 + 0.5, np.inf)])
    return np.argsort(lead, kind="stable").astype(np.int32)


def _split(group_ptr: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Split groups into about ``parts`` ranges of similar cost (pixels + a fixed cost per group)."""
    num = group_ptr.size - 1
    cost = np.cumsum(np.diff(group_ptr) + 8)
    edges = np.searchsorted(cost, np.linspace(0, cost[-1], parts + 1)[1:-1])
    bounds = sorted({0, *[int(e) for e in edges], num})
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def solve_network_numpy(obs: np.ndarray, network: Network, method: str = "sbas", weight: np.ndarray | None = None,
                        gamma: float = 1e-4, seasonal: bool = False, constraint_weight: float = 1.0,
                        min_ifgram: int = 1) -> Solution:
    """NumPy reference of :func:`solve_network`: a dense SVD least-squares solve per pixel.

    SBAS solves MintPy's velocity parametrisation (``B[k, i:j] = dt``) with ``numpy.linalg.lstsq``, whose
    minimum-norm solution is the minimum-norm velocity; NSBAS solves LiCSBAS's stacked system.
    """
    obs, valid, sqrtw, status = _prepare(obs, network, method, weight, min_ifgram)
    nsbas = method == "nsbas"
    border = _design_border(network, seasonal) if nsbas else np.zeros((network.num_date, 0))
    P, N = obs.shape[0], network.num_date
    out = _empty(P, network, border.shape[1], valid, status)
    dt = np.diff(network.years)
    ii, jj = network.ifg_i, network.ifg_j
    B = np.zeros((network.num_ifgram, N - 1))
    for k, (i, j) in enumerate(network.pairs):
        B[k, i:j] = dt[i:j]
    A = network.incidence()[:, 1:]
    for px in np.flatnonzero(status == OK):
        v = valid[px]
        s = sqrtw[px, v].astype(np.float64) if sqrtw is not None else np.ones(v.sum())
        y = obs[px, v].astype(np.float64)
        if nsbas:
            cons_w = gamma * (math.sqrt(constraint_weight) if sqrtw is not None else 1.0)
            top = np.hstack([A[v], np.zeros((v.sum(), border.shape[1]))]) * s[:, None]
            bottom = np.hstack([np.eye(N)[:, 1:], border]) * cons_w
            x = np.linalg.lstsq(np.vstack([top, bottom]), np.concatenate([y * s, np.zeros(N)]), rcond=1e-10)[0]
            ts = np.concatenate([[0.0], x[:N - 1]])
            out.model[px] = x[N - 1:]
        else:
            vel = np.linalg.lstsq(B[v] * s[:, None], y * s, rcond=1e-10)[0]
            ts = np.concatenate([[0.0], np.cumsum(vel * dt)])
        e = y - (ts[jj[v]] - ts[ii[v]])
        out.ts[px] = ts
        out.tcoh[px] = np.abs(np.exp(1j * e).sum()) / e.size
        out.rms[px] = np.sqrt(np.mean(e**2))
        out.ncomp[px] = network.components(v)
    return out
