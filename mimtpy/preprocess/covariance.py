"""Exponential covariance of the noise of a LOS map, fitted from its far field.

Model (isotropic, stationary): ``C(h) = sill * exp(-h / range)`` for distances ``h > 0`` and
``C(0) = sill + nugget`` (the nugget is the uncorrelated part of the variance). Units: sill and
nugget in (m)^2 or (m/yr)^2 like the data, range in metres.

The empirical covariance is estimated from random pairs of valid far-field pixels (the data
minus its far-field mean): ``C(h_k) = mean(d_i * d_j)`` over the pairs in distance bin ``k``,
with distances on a local flat earth (6371 km sphere) for lon/lat grids. The model is fitted by
weighted least squares (weights = pairs per bin); ``nugget = variance - sill`` (clipped at 0).
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
    """(bin centres m, covariance per bin, pairs per bin, variance) from random pairs of points."""
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
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sums / counts
    centres = 0.5 * (edges[1:] + edges[:-1])
    return centres, cov, counts, float(d.var())


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

    sill0 = max(float(ck[0]), variance * 0.1, 1e-30)
    try:
        popt, _ = curve_fit(model, hk, ck, p0=(sill0, float(hk[len(hk) // 3]) + 1e-9), sigma=1 / np.sqrt(nk),
                            bounds=([0.0, 1e-6], [np.inf, np.inf]), maxfev=20000)
    except (RuntimeError, ValueError) as err:
        raise InputError(f"covariance: the exponential fit did not converge ({err})") from None
    sill, rng_m = float(popt[0]), float(popt[1])
    return {"model": "exponential", "sill": sill, "range": rng_m, "nugget": max(variance - sill, 0.0),
            "variance": variance, "distance_m": h.tolist(), "covariance": cov.tolist(),
            "pairs": counts.astype(int).tolist(),
            "formula": "C(h) = sill * exp(-h / range) for h > 0, C(0) = sill + nugget"}
