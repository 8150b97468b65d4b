"""Exponential covariance of the noise of a LOS map, fitted from its far field.

Model (isotropic, stationary): ``C(h) = sill * exp(-h / range)`` for distances ``h > 0`` and
``C(0) = sill + nugget`` (the nugget is the uncorrelated part of the variance). Units: sill and
nugget in (m)^2 or (m/yr)^2 like the data, range in metres.

The empirical covariance is estimated from random pairs of valid far-field pixels (the data
minus its far-field mean): ``C(h_k) = mean(d_i * d_j)`` over the pairs in distance bin ``k``,
with distances on a local flat earth (6371 km sphere) for lon/lat grids. The model is fitted by
weighted least squares (weights = pairs per bin) at the mean pair distance of each bin, with the range
bounded below by half the shortest such distance (a correlation shorter than the pixel spacing cannot
be told from white noise: it goes to the nugget); ``nugget = variance - sill`` (clipped at 0).
"""

from __future__ import annotations

import numpy as np

from mimtpy.errors import InputError

EARTH_RADIUS = 6371000.0


def pixel_coordinates_m(lons: np.ndarray, lats: np.ndarray, geographic: bool) -> tuple[np.ndarray, np.ndarray]:
    """East/north coordinates in metres of pixel centres (2-D arrays from 1-D lons, lats)."""
    lon2, lat2 = np.meshgrid(lons, lats)
    if not geographic:
        return lon2, lat2
    lat0 = np.deg2rad(np.mean(lats))
    x = np.deg2rad(lon2 - np.mean(lons)) * EARTH_RADIUS * np.cos(lat0)
    y = np.deg2rad(lat2 - np.mean(lats)) * EARTH_RADIUS
    return x, y


def empirical_covariance(values: np.ndarray, x: np.ndarray, y: np.ndarray, *, npairs: int = 200_000,
                         nbins: int = 30, max_distance: float | None = None,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mean pair distance per bin in m, covariance per bin, pairs per bin, variance) from random pairs."""
    values, x, y = (np.asarray(a, dtype=np.float64).ravel() for a in (values, x, y))
    ok = np.isfinite(values) & np.isfinite(x) & np.isfinite(y)
    values, x, y = values[ok], x[ok], y[ok]
    if values.size < 50:
        raise InputError(f"covariance: only {values.size} valid far-field pixels; at least 50 are needed")
    d = values - values.mean()
    rng = np.random.default_rng(seed)
    i = rng.integers(0, d.size, npairs)
    j = rng.integers(0, d.size, npairs)
    keep = i != j
    i, j = i[keep], j[keep]
    h = np.hypot(x[i] - x[j], y[i] - y[j])
    if max_distance is None:
        max_distance = 0.5 * float(np.hypot(np.ptp(x), np.ptp(y)))
    edges = np.linspace(0.0, max_distance, nbins + 1)
    k = np.digitize(h, edges) - 1
    inside = (k >= 0) & (k < nbins)
    counts = np.bincount(k[inside], minlength=nbins)
    sums = np.bincount(k[inside], weights=(d[i] * d[j])[inside], minlength=nbins)
    hsum = np.bincount(k[inside], weights=h[inside], minlength=nbins)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sums / counts
        distance = np.where(counts > 0, hsum / counts, 0.5 * (edges[1:] + edges[:-1]))
    return distance, cov, counts, float(d.var())


def fit_exponential(values: np.ndarray, x: np.ndarray, y: np.ndarray, **kwargs) -> dict:
    """Fit ``C(h) = sill exp(-h/range)`` (see the module docstring); returns sill, range, nugget,
    variance and the empirical bins."""
    from scipy.optimize import curve_fit

    h, cov, counts, variance = empirical_covariance(values, x, y, **kwargs)
    ok = counts >= 10
    if ok.sum() < 3:
        raise InputError("covariance: fewer than 3 distance bins with pairs; enlarge the far field")
    hk, ck, nk = h[ok], cov[ok], counts[ok]

    def model(hh, sill, rng):
        return sill * np.exp(-hh / rng)

    if not variance > 0:
        raise InputError("covariance: the far field is constant (variance 0)")
    ck_n = ck / variance                   # fit in units of the variance: well-scaled for the optimiser
    rmin = 0.5 * float(hk.min())
    best = None
    for r0 in (2 * rmin, float(np.median(hk)), float(hk.max())):   # a few starts; keep the best
        try:
            popt, _ = curve_fit(model, hk, ck_n, p0=(max(float(ck_n[0]), 0.1), max(r0, 2 * rmin)),
                                sigma=1 / np.sqrt(nk), bounds=([0.0, rmin], [np.inf, np.inf]), maxfev=20000)
        except (RuntimeError, ValueError):
            continue
        cost = float(np.sum(nk * (model(hk, *popt) - ck_n) ** 2))
        if best is None or cost < best[0]:
            best = (cost, popt)
    if best is None:
        raise InputError("covariance: the exponential fit did not converge")
    sill, rng_m = float(best[1][0]) * variance, float(best[1][1])
    return {"model": "exponential", "sill": sill, "range": rng_m, "nugget": max(variance - sill, 0.0),
            "variance": variance, "distance_m": h.tolist(), "covariance": cov.tolist(),
            "pairs": counts.astype(int).tolist(),
            "formula": "C(h) = sill * exp(-h / range) for h > 0, C(0) = sill + nugget"}
