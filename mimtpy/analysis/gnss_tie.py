"""Tie N LOS frames to a GNSS reference frame, jointly with the overlaps of adjacent frames (``horzvert.gnss``).

Conventions: velocities in m/yr; LOS positive toward the satellite; the LOS unit vector (e, n, u) points from
the ground to the satellite (:mod:`mimtpy.core.geometry`); x, y are east and north distances in km from the
centre of each frame's grid (:func:`mimtpy.ops.gnss.local_km`).

Every frame k gets a correction ``c_k(x, y) = sum_j p_kj b_j(x, y)`` with the basis ``b`` of its model:
``offset`` (1), ``plane`` (1, x, y) or ``quadratic`` (1, x, y, x^2, x y, y^2). The tied LOS is
``d_k + c_k``. Two kinds of observations determine every p jointly, by weighted least squares:

* a station s inside frame k: ``c_k(s) = g_ks - d_ks``, where ``g_ks = e vE + n vN (+ u vU)`` is the GNSS
  velocity projected with the frame's unit vector at the station (vertical only when the table has it) and
  ``d_ks`` the robust median of the frame's InSAR within ``tieRadius`` km (outlying pixels rejected by MAD);
  weight ``1 / (std(g)^2 + std(d)^2)``;
* an overlap of frames i and j of the same look, in up to 8 x 8 cells (median of the pixel differences per
  cell): ``c_i(p) - c_j(p) = (e_i - e_j) . v(p) - (d_i(p) - d_j(p))``, where v is the GNSS velocity
  interpolated at the cell (linear between stations, nearest outside; zero for frames of the same geometry),
  weight from the scatter of the cells about a plane (at least 0.5 mm/yr).

So frames without stations are tied through their neighbours. Stations whose normalised residual (residual /
std) exceeds 4 times max(1, the robust (MAD) scale of all normalised residuals) are rejected one at a time.
``auto`` chooses the model of each frame by leave-one-out cross-validation over its stations (each station
predicted by the joint solution without it). A model is a candidate when the frame has at least twice as many
stations as the model has coefficients (plane 6, quadratic 12); a plane replaces the offset when its leave-one-out
errors are smaller, a quadratic replaces the plane only when it lowers the squared normalised errors of the same
stations by more than one standard error of that paired difference (``MIN_STATIONS``, ``SELECT_T``): a
quadratic extrapolates badly where the stations do not reach. The parameter covariance is ``(A^T W A)^-1``
scaled by the reduced chi-square when above 1; the std of a correction at a pixel is ``sqrt(b^T C b)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mimtpy.analysis.overlaps import pair_window
from mimtpy.core.arrays import ResampledArray
from mimtpy.core.blocks import ArrayLike, row_blocks
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError
from mimtpy.io.gnss import Stations
from mimtpy.ops.gnss import gnss_los, local_km, robust_value, station_window, stations_field

logger = logging.getLogger(__name__)

MODELS = ("offset", "plane", "quadratic")
TERMS = {"offset": ("1",), "plane": ("1", "x_km", "y_km"),
         "quadratic": ("1", "x_km", "y_km", "x_km^2", "x_km*y_km", "y_km^2")}
CELLS = 8                   # overlap cells per side
MIN_SIGMA = 1e-4            # m/yr, floor of a station's std
MIN_LINK_SIGMA = 5e-4       # m/yr, floor of an overlap cell's std
#: auto: stations a frame needs before a model is a candidate (twice its coefficients)
MIN_STATIONS = {"offset": 2, "plane": 6, "quadratic": 12}
#: auto: standard errors by which a model must lower the paired leave-one-out errors of the simpler one
SELECT_T = {"plane": 0.0, "quadratic": 1.0}
#: correlation lengths (km) the residual field may take when tieField = auto
FIELD_LENGTHS = (25.0, 50.0, 100.0)
#: fewest used stations of a frame for a residual field, and the leave-one-out gain it must bring
FIELD_MIN_STATIONS = 5
FIELD_MIN_GAIN = 0.05
REJECT = 4.0                # outlier threshold on normalised residuals (times their robust scale, at least 1)


def basis(model: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n, K) basis of ``model`` at east/north distances x, y (km)."""
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    cols = [np.ones_like(x), x, y, x * x, x * y, y * y][:len(TERMS[model])]
    return np.column_stack(cols)


@dataclass
class Frame:
    """One frame for the tie: LOS (2, L, W: value and std, m/yr) and unit vector (3, L, W) on its own grid."""

    name: str
    look: str               # 'ASCENDING' or 'DESCENDING'
    grid: Grid
    obs: ArrayLike
    enu: ArrayLike

    @property
    def centre(self) -> tuple[float, float]:
        """(lon, lat) of the centre of the frame's grid: the origin of x, y."""
        s, n, w, e = self.grid.snwe
        return (w + e) / 2, (s + n) / 2


@dataclass
class StationObs:
    """A station inside a frame: InSAR around it, GNSS in the frame's LOS (m/yr) and its status."""

    frame: int
    station: int
    insar: float
    insar_std: float
    pixels: int
    enu: tuple[float, float, float]
    los: float
    los_std: float
    status: str = "used"     # used | outlier | no data

    @property
    def y(self) -> float:
        return self.los - self.insar

    @property
    def sigma(self) -> float:
        return float(max(np.hypot(self.los_std, self.insar_std), MIN_SIGMA))


@dataclass
class Link:
    """Overlap of frames i and j (same look): cell centres, observed ``expected - (d_i - d_j)`` (m/yr)."""

    i: int
    j: int
    pixels: int
    lon: np.ndarray
    lat: np.ndarray
    y: np.ndarray
    sigma: float
    median_before: float
    median_after: float = np.nan
    rms_after: float = np.nan


@dataclass
class ResidualField:
    """What the frame's polynomial leaves at its stations, interpolated between them by least-squares
    collocation: ``c(x) = s2 * sum_i w_i exp(-d(x, x_i)^2 / L^2)`` with ``w = (s2 C + diag(sigma^2))^-1 r``,
    ``r`` the station residuals (GNSS LOS - tied InSAR, m/yr), ``s2`` their signal variance, ``C`` the Gaussian
    correlation of length ``L`` (km) between stations, ``sigma^2`` their noise (nugget). Far from every station
    it goes to 0 (the polynomial alone)."""

    x: np.ndarray          # station east/north km from the frame centre
    y: np.ndarray
    weights: np.ndarray
    variance: float
    length_km: float
    centre: tuple[float, float]
    loo_rms: float = np.nan      # leave-one-out rms of the residuals with the field (m/yr)
    rms: float = np.nan          # rms of the residuals without it

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        x, y = local_km(np.ravel(lon), np.ravel(lat), *self.centre)
        out = np.zeros(x.shape)
        for xs, ys, w in zip(self.x, self.y, self.weights, strict=True):   # one station at a time: pixel-sized memory
            out += w * np.exp(-((x - xs) ** 2 + (y - ys) ** 2) / self.length_km**2)
        return self.variance * out


def tie_field_length(text: str | None) -> str | float | None:
    """'auto', 'none' or a length in km of the tieField key; None when the text is none of them."""
    text = (text or "none").strip().lower()
    if text in ("auto", "none", "no"):
        return "none" if text == "no" else text
    try:
        length = float(text)
    except ValueError:
        return None
    return length if length > 0 else None


def fit_residual_field(x: np.ndarray, y: np.ndarray, r: np.ndarray, sigma: np.ndarray, centre: tuple[float, float],
                       length: str | float) -> ResidualField | None:
    """The residual field of one frame from its station residuals ``r`` (m/yr) at x, y (km) with std ``sigma``.

    The residual variance is split into a signal part (``f`` = 1/2 or all of it, Gaussian covariance of length
    ``L``) and a nugget (station noise ``sigma^2`` + the rest); ``length`` km, or 'auto' = every ``L`` of
    :data:`FIELD_LENGTHS`. The (L, f) with the smallest leave-one-out rms wins, and with 'auto' the field is kept
    only when that rms beats the residuals themselves by :data:`FIELD_MIN_GAIN`. None with fewer than
    :data:`FIELD_MIN_STATIONS` stations or no such gain."""
    if r.size < FIELD_MIN_STATIONS:
        return None
    total = float(np.var(r))
    rms = float(np.sqrt(np.mean(r**2)))
    if total <= 0:
        return None
    d2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
    best = None
    for L in (FIELD_LENGTHS if length == "auto" else (float(length),)):
        for f in (0.5, 1.0):
            k = f * total * np.exp(-d2 / L**2) + np.diag(sigma**2 + (1 - f) * total)
            kinv = np.linalg.inv(k)
            weights = kinv @ r
            loo = float(np.sqrt(np.mean((weights / np.diag(kinv)) ** 2)))   # closed-form leave-one-out residuals
            if best is None or loo < best.loo_rms:
                best = ResidualField(x, y, weights, f * total, L, centre, loo, rms)
    if length == "auto" and not best.loo_rms < (1 - FIELD_MIN_GAIN) * rms:
        return None
    return best


@dataclass
class Tie:
    """The solved tie: a model, coefficients and covariance per frame."""

    frames: list[Frame]
    stations: Stations
    observations: list[StationObs]
    links: list[Link]
    models: list[str]
    params: list[np.ndarray]
    covs: list[np.ndarray]
    cv: list[dict[str, float]] = field(default_factory=list)
    chi2: float = np.nan
    fields: list[ResidualField | None] = field(default_factory=list)

    def correction(self, k: int, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Correction of frame k (added to its LOS) and its std at lon/lat (degrees), m/yr: the polynomial plus
        the residual field when the frame has one (the std is the polynomial's)."""
        x, y = local_km(lon, lat, *self.frames[k].centre)
        b = basis(self.models[k], x, y)
        value = b @ self.params[k]
        if self.fields and self.fields[k] is not None:
            value = value + self.fields[k](lon, lat)
        return value, np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", b, self.covs[k], b), 0.0))


# --- observations ---------------------------------------------------------------------------------------------

def station_observations(frames: list[Frame], stations: Stations, radius_km: float) -> list[StationObs]:
    """Every (frame, station) pair with the station inside the frame's grid; 'no data' where the frame has no
    valid InSAR within ``radius_km`` of it."""
    out = []
    for k, frame in enumerate(frames):
        for s in range(len(stations)):
            win = station_window(frame.grid, float(stations.lat[s]), float(stations.lon[s]), radius_km)
            if win is None:
                continue
            rows, cols, inside = win
            data = np.asarray(frame.obs[:, rows, cols], dtype=np.float64)
            values = np.where(inside, data[0], np.nan)
            insar, std, count = robust_value(values)
            if not np.isfinite(std):
                vstd = np.where(inside, data[1], np.nan)
                std = float(np.nanmedian(vstd)) if np.isfinite(vstd).any() else 1e-3
            enu = np.asarray(frame.enu[:, rows, cols], dtype=np.float64)
            r, c = frame.grid.lalo_to_rowcol(float(stations.lat[s]), float(stations.lon[s]))
            vec = enu[:, r - rows.start, c - cols.start]
            if not np.isfinite(vec).all():
                window = np.where(inside, enu, np.nan).reshape(3, -1)
                ok = np.isfinite(window).all(axis=0)
                vec = window[:, ok].mean(axis=1) if ok.any() else np.full(3, np.nan)
            sub = stations.subset(np.arange(len(stations)) == s)
            los, los_std, _ = gnss_los(sub, *(np.array([v]) for v in vec))
            ok = count > 0 and np.isfinite(vec).all() and np.isfinite(los[0])
            out.append(StationObs(k, s, insar, std, count, tuple(float(v) for v in vec), float(los[0]),
                                  float(los_std[0]), "used" if ok else "no data"))
    return out


def overlap_links(frames: list[Frame], grid: Grid, stations: Stations, max_memory: float,
                  min_pixels: int) -> list[Link]:
    """Overlaps (>= ``min_pixels`` valid pixels of both) of frames of the same look, sampled on ``grid``."""
    links = []
    layers = [ResampledArray(f.obs, f.grid, grid, "nearest") for f in frames]
    for i in range(len(frames)):
        for j in range(i + 1, len(frames)):
            if frames[i].look != frames[j].look:
                continue
            window = pair_window(grid, frames[i].grid, frames[j].grid)
            if window is None:
                continue
            count, diff, rows, cols = sample_differences(layers[i], layers[j], window, max_memory)
            if count < min_pixels:
                continue
            link = _cells(frames, grid, stations, i, j, window, diff, rows, cols, count)
            if link is not None:
                links.append(link)
                logger.info("overlap %s - %s: %d pixels, %d cells, median difference %.2f mm/yr", frames[i].name,
                            frames[j].name, link.pixels, link.y.size, 1e3 * link.median_before)
    return links


def sample_differences(a: ArrayLike, b: ArrayLike, window: tuple[slice, slice], max_memory: float,
                       max_samples: int = 1_000_000) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(valid pixels of both, a - b, rows, cols) of layer 0 of two (2, L, W) array-likes in ``window``, read
    in row blocks within ``max_memory`` GB. The samples are every pixel, or every k-th row and column when the
    window holds more than ``max_samples`` pixels (k from the window size only, so the result does not depend
    on the budget)."""
    rows, cols = window
    pixels = (rows.stop - rows.start) * (cols.stop - cols.start)
    stride = max(1, int(np.ceil(np.sqrt(pixels / max_samples))))
    count, parts = 0, []
    width = cols.stop - cols.start
    for blk in row_blocks(rows.stop - rows.start, width * 4 * 2 * 2 * 3, max_memory):
        r = slice(rows.start + blk.start, rows.start + blk.stop)
        da = np.asarray(a[0, r, cols], dtype=np.float64)
        db = np.asarray(b[0, r, cols], dtype=np.float64)
        both = np.isfinite(da) & np.isfinite(db)
        count += int(both.sum())
        first = (-(r.start - rows.start)) % stride
        sub = (slice(first, None, stride), slice(None, None, stride))
        y, x = np.nonzero(both[sub])
        rr = r.start + first + y * stride
        cc = cols.start + x * stride
        parts.append(((da[sub] - db[sub])[y, x], rr, cc))
    if not parts:
        return 0, np.zeros(0), np.zeros(0, int), np.zeros(0, int)
    return count, *(np.concatenate([p[m] for p in parts]) for m in range(3))


def _cells(frames: list[Frame], grid: Grid, stations: Stations, i: int, j: int, window: tuple[slice, slice],
           diff: np.ndarray, rows: np.ndarray, cols: np.ndarray, pixels: int) -> Link | None:
    """The overlap of frames i, j reduced to the medians of up to CELLS x CELLS cells, corrected for the
    different LOS of the two frames with the GNSS velocity interpolated at each cell."""
    r0, r1 = window[0].start, window[0].stop
    c0, c1 = window[1].start, window[1].stop
    cr = np.minimum(((rows - r0) * CELLS) // max(1, r1 - r0), CELLS - 1)
    cc = np.minimum(((cols - c0) * CELLS) // max(1, c1 - c0), CELLS - 1)
    cell = cr * CELLS + cc
    need = max(3, min(20, diff.size // (4 * CELLS * CELLS)))
    values, lat, lon = [], [], []
    for m in np.unique(cell):
        sel = cell == m
        if sel.sum() < need:
            continue
        values.append(float(np.median(diff[sel])))
        row, col = float(np.median(rows[sel])), float(np.median(cols[sel]))
        la, lo = grid.rowcol_to_lalo(row, col)
        lat.append(la)
        lon.append(lo)
    if not values:
        return None
    lat, lon, values = np.array(lat), np.array(lon), np.array(values)
    vel = stations_field(stations, lon, lat) if len(stations) else np.zeros((3, lon.size))
    expected = np.zeros(lon.size)
    for m in range(lon.size):
        ei = _vector_at(frames[i], lat[m], lon[m])
        ej = _vector_at(frames[j], lat[m], lon[m])
        d = ei - ej
        expected[m] = float(np.nansum(d * vel[:, m])) if np.isfinite(d).all() else np.nan
    ok = np.isfinite(expected)
    if not ok.any():
        return None
    y = expected[ok] - values[ok]
    lon, lat = lon[ok], lat[ok]
    x, yk = local_km(lon, lat, *frames[i].centre)
    g = basis("plane" if y.size > 3 else "offset", x, yk)
    resid = y - g @ np.linalg.lstsq(g, y, rcond=None)[0]
    scatter = 1.4826 * float(np.median(np.abs(resid - np.median(resid)))) if y.size > 3 else 0.0
    return Link(i, j, pixels, lon, lat, y, max(scatter, MIN_LINK_SIGMA), float(np.median(values)))


def _vector_at(frame: Frame, lat: float, lon: float) -> np.ndarray:
    try:
        r, c = frame.grid.lalo_to_rowcol(lat, lon)
    except InputError:
        return np.full(3, np.nan)
    return np.asarray(frame.enu[:, r:r + 1, c:c + 1], dtype=np.float64).reshape(3)


# --- the joint solution ---------------------------------------------------------------------------------------

def _system(frames: list[Frame], obs: list[StationObs], links: list[Link], models: list[str],
            stations: Stations) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int], dict[int, int]]:
    """Design, observations, sigma, the column offset of each frame and the row of each used station."""
    offsets = np.cumsum([0] + [len(TERMS[m]) for m in models]).tolist()
    used = [n for n, o in enumerate(obs) if o.status == "used"]
    a = np.zeros((len(used) + sum(lk.y.size for lk in links), offsets[-1]))
    y = np.zeros(a.shape[0])
    sigma = np.zeros(a.shape[0])
    rows = {n: r for r, n in enumerate(used)}
    for k, frame in enumerate(frames):
        mine = [n for n in used if obs[n].frame == k]
        if not mine:
            continue
        st = [obs[n].station for n in mine]
        x, yk = local_km(stations.lon[st], stations.lat[st], *frame.centre)
        a[[rows[n] for n in mine], offsets[k]:offsets[k + 1]] = basis(models[k], x, yk)
    y[:len(used)] = [obs[n].y for n in used]
    sigma[:len(used)] = [obs[n].sigma for n in used]
    r = len(used)
    for link in links:
        xi, yi = local_km(link.lon, link.lat, *frames[link.i].centre)
        xj, yj = local_km(link.lon, link.lat, *frames[link.j].centre)
        sl = slice(r, r + link.y.size)
        a[sl, offsets[link.i]:offsets[link.i + 1]] = basis(models[link.i], xi, yi)
        a[sl, offsets[link.j]:offsets[link.j + 1]] -= basis(models[link.j], xj, yj)
        y[sl], sigma[sl] = link.y, link.sigma
        r += link.y.size
    return a, y, sigma, offsets, rows


def _solve(frames, obs, links, models, stations, skip: int | None = None, system=None
           ) -> tuple[list[np.ndarray], list[np.ndarray], float] | None:
    """Parameters and covariance per frame, reduced chi-square; None when the system is rank-deficient.
    ``skip``: the index (in ``obs``) of a used station left out; ``system``: a prebuilt :func:`_system`."""
    a, y, sigma, offsets, rows = system or _system(frames, obs, links, models, stations)
    if skip is not None:
        keep = np.ones(a.shape[0], bool)
        keep[rows[skip]] = False
        a, y, sigma = a[keep], y[keep], sigma[keep]
    if a.shape[0] < a.shape[1]:
        return None
    aw, yw = a / sigma[:, None], y / sigma
    sv = np.linalg.svd(aw, compute_uv=False)
    if sv.size == 0 or sv[-1] <= 1e-9 * sv[0]:
        return None
    p = np.linalg.lstsq(aw, yw, rcond=None)[0]
    dof = a.shape[0] - a.shape[1]
    chi2 = float(np.sum((yw - aw @ p) ** 2) / dof) if dof > 0 else np.nan
    cov = np.linalg.inv(aw.T @ aw) * (max(1.0, chi2) if np.isfinite(chi2) else 1.0)
    params = [p[offsets[k]:offsets[k + 1]] for k in range(len(frames))]
    covs = [cov[offsets[k]:offsets[k + 1], offsets[k]:offsets[k + 1]] for k in range(len(frames))]
    return params, covs, chi2


def _predict(frames, models, params, stations, o: StationObs) -> float:
    x, y = local_km(stations.lon[o.station], stations.lat[o.station], *frames[o.frame].centre)
    return float(basis(models[o.frame], x, y)[0] @ params[o.frame])


def _tied(n: int, obs: list[StationObs], links: list[Link]) -> set[int]:
    """Frames with a used station or an overlap path to one."""
    tied = {o.frame for o in obs if o.status == "used"}
    changed = True
    while changed:
        changed = False
        for link in links:
            if (link.i in tied) != (link.j in tied):
                tied |= {link.i, link.j}
                changed = True
    return tied & set(range(n))


def _reject_outliers(frames, obs, links, models, stations) -> None:
    """Reject the station of largest normalised residual while it exceeds 4 x max(1, MAD scale), one at a
    time, as long as every frame stays tied and the system solvable."""
    for o in obs:
        if o.status == "outlier":
            o.status = "used"
    while True:
        solved = _solve(frames, obs, links, models, stations)
        if solved is None:
            return
        used = [o for o in obs if o.status == "used"]
        if len(used) < 3:
            return
        z = np.array([(o.y - _predict(frames, models, solved[0], stations, o)) / o.sigma for o in used])
        scale = max(1.0, 1.4826 * float(np.median(np.abs(z - np.median(z)))))
        worst = int(np.argmax(np.abs(z)))
        if abs(z[worst]) <= REJECT * scale:
            return
        candidate = used[worst]
        candidate.status = "outlier"
        if (_tied(len(frames), obs, links) != set(range(len(frames)))
                or _solve(frames, obs, links, models, stations) is None):
            candidate.status = "used"
            return
        logger.warning("GNSS station %s rejected in frame %s: residual %.2f mm/yr (%.1f x its std)",
                       stations.site[candidate.station], frames[candidate.frame].name,
                       1e3 * z[worst] * candidate.sigma, abs(z[worst]))


def _loo(frames, obs, links, models, stations, k: int) -> np.ndarray | None:
    """Normalised leave-one-out prediction errors (error / std) of frame k's used stations; None when a
    system without one of them is not solvable."""
    system = _system(frames, obs, links, models, stations)
    z = []
    for n, o in enumerate(obs):
        if o.frame != k or o.status != "used":
            continue
        solved = _solve(frames, obs, links, models, stations, skip=n, system=system)
        if solved is None:
            return None
        z.append((o.y - _predict(frames, models, solved[0], stations, o)) / o.sigma)
    return np.array(z) if z else None


def _choose_models(frames, obs, links, stations) -> tuple[list[str], list[dict[str, float]]]:
    """Per frame, by leave-one-out cross-validation over its stations (see the module docstring): from offset,
    the next model is taken when it lowers the squared normalised prediction errors of the same stations by more
    than ``SELECT_T`` standard errors of that paired difference; candidates need ``MIN_STATIONS`` stations.
    Returns the models and, per frame, the RMS leave-one-out error (m/yr) of each candidate."""
    models = ["offset"] * len(frames)
    cv: list[dict[str, float]] = [{} for _ in frames]
    for _ in range(2):
        for k in range(len(frames)):
            sigma = np.array([o.sigma for o in obs if o.frame == k and o.status == "used"])
            candidates = [m for m in MODELS if sigma.size >= MIN_STATIONS[m]]
            scores = {}
            for m in candidates:
                z = _loo(frames, obs, links, [*models[:k], m, *models[k + 1:]], stations, k)
                if z is not None:
                    scores[m] = z
            cv[k] = {m: float(np.sqrt(np.mean((z * sigma) ** 2))) for m, z in scores.items()}
            chosen = "offset"
            for m in MODELS[1:]:
                if m not in scores or chosen not in scores:
                    break
                gain = scores[chosen] ** 2 - scores[m] ** 2
                if np.mean(gain) > SELECT_T[m] * np.std(gain, ddof=1) / np.sqrt(gain.size):
                    chosen = m
            models[k] = chosen
    return models, cv


def tie_frames(frames: list[Frame], stations: Stations, model: str, radius_km: float, grid: Grid,
               max_memory: float, min_overlap: int, source: Path | str, residual_field: str | float = "none") -> Tie:
    """Solve the tie of ``frames`` to ``stations`` (``model`` = offset | plane | quadratic | auto), then, unless
    ``residual_field`` is 'none', interpolate what the polynomial leaves at each frame's stations
    (:func:`fit_residual_field`: 'auto' or a correlation length in km).

    ``grid`` is where the overlaps are sampled (the union of the frames). InputError naming ``source`` when
    no station falls on InSAR data of any frame, naming the frames that neither hold a station nor overlap a
    tied frame, and naming the frames whose model their stations and overlaps cannot determine.
    """
    obs = station_observations(frames, stations, radius_km)
    if not any(o.status == "used" for o in obs):
        names = ", ".join(f.name for f in frames)
        raise InputError(f"{source}: none of its {len(stations)} GNSS stations lies on InSAR data (within "
                         f"tieRadius = {radius_km:g} km) of any frame ({names}); check the table's lon/lat and the "
                         "frames' extents")
    links = overlap_links(frames, grid, stations, max_memory, min_overlap)
    untied = sorted(set(range(len(frames))) - _tied(len(frames), obs, links))
    if untied:
        raise InputError("nothing ties frame(s) " + ", ".join(frames[k].name for k in untied)
                         + f" to GNSS: no station of {source} on their data within {radius_km:g} km and no overlap "
                         f"(>= {min_overlap} pixels) with a tied frame of the same look")
    if model == "auto":
        _reject_outliers(frames, obs, links, ["offset"] * len(frames), stations)
        models, cv = _choose_models(frames, obs, links, stations)
    else:
        models, cv = [model] * len(frames), [{} for _ in frames]
    _reject_outliers(frames, obs, links, models, stations)
    solved = _solve(frames, obs, links, models, stations)
    if solved is None:
        weak = [f"{frames[k].name} ({sum(1 for o in obs if o.frame == k and o.status == 'used')} station(s))"
                for k in range(len(frames))]
        raise InputError(f"tieModel = {model}: the stations of {source} and the overlaps do not determine the "
                         f"{'/'.join(sorted(set(models)))} of every frame: {', '.join(weak)}; use tieModel = auto "
                         "or offset")
    params, covs, chi2 = solved
    tie = Tie(frames, stations, obs, links, models, params, covs, cv, chi2)
    if residual_field != "none":
        tie.fields = [_residual_field(tie, k, residual_field) for k in range(len(frames))]
    for link in links:
        after = link.y - (tie.correction(link.i, link.lon, link.lat)[0] - tie.correction(link.j, link.lon, link.lat)[0])
        link.median_after, link.rms_after = float(np.median(after)), float(np.sqrt(np.mean(after**2)))
    for k, f in enumerate(frames):
        used = sum(1 for o in obs if o.frame == k and o.status == "used")
        logger.info("tie %s: %s from %d station(s), coefficients %s (m/yr, x/y in km)", f.name, models[k], used,
                    ", ".join(f"{v:.4g}" for v in params[k]))
    return tie


def _residual_field(tie: Tie, k: int, length: str | float) -> ResidualField | None:
    """The residual field of frame k from its used stations (residual = GNSS LOS - tied InSAR)."""
    mine = [o for o in tie.observations if o.frame == k and o.status == "used"]
    if not mine:
        return None
    st = [o.station for o in mine]
    lon, lat = tie.stations.lon[st], tie.stations.lat[st]
    r = np.array([o.y for o in mine]) - tie.correction(k, lon, lat)[0]
    x, y = local_km(lon, lat, *tie.frames[k].centre)
    result = fit_residual_field(x, y, r, np.array([o.sigma for o in mine]), tie.frames[k].centre, length)
    if result is not None:
        logger.info("tie %s: residual field L = %g km between its %d stations (leave-one-out rms %.3g -> %.3g "
                    "mm/yr)", tie.frames[k].name, result.length_km, len(mine), 1e3 * result.rms, 1e3 * result.loo_rms)
    return result


def correction_block(blocks: dict, window: tuple[slice, slice], grid: Grid, centre: tuple[float, float],
                     model: str, params: np.ndarray, cov: np.ndarray,
                     residual: ResidualField | None = None) -> np.ndarray:
    """(2, rows, cols): a frame's tie correction (polynomial + residual field) and its std at the pixel
    centres of ``window`` of ``grid``."""
    rows, cols = window
    lon, lat = np.meshgrid(grid.lons()[cols], grid.lats()[rows])
    x, y = local_km(lon.ravel(), lat.ravel(), *centre)
    b = basis(model, x, y)
    value = b @ params
    if residual is not None:
        value = value + residual(lon.ravel(), lat.ravel())
    std = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", b, cov, b), 0.0))
    return np.stack([value, std]).reshape(2, *lon.shape).astype(np.float32)
